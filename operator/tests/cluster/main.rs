//! Integration tests against a real kube-apiserver and etcd (see tests/support). One test
//! binary so the control plane starts once; every test gets its own namespaces and operator.
//! Needs `tools/kube/ensure.sh` to have built the binaries.

#[path = "../support/mod.rs"]
mod support;

mod bench;
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
