//! Integration tests against a real kube-apiserver and etcd (see tests/support). One test
//! binary so the control plane starts once; every test gets its own namespaces and operator.
//! Needs `tools/kube/ensure.sh` to have built the binaries.

#[path = "../support/mod.rs"]
mod support;

mod bench;
/// The cli's DevTools client for headless Chromium, shared rather than copied.
#[path = "../../../cli/tests/common/cdp.rs"]
#[allow(dead_code)]
mod cdp;
mod crds;
mod deletion;
mod drills;
mod generation;
mod hints;
mod injection;
mod load;
mod players;
mod screen;
mod signals;
