//! Checks of the kind path that run without Docker (issue 5): the chart renders and lints with
//! a real `helm` built from tools/helm, every rendered manifest is accepted by a real
//! kube-apiserver (server-side dry run, strict field validation, CRDs installed first), the
//! players' role is the one the impersonation tests use, the observability configs are
//! accepted by the real Jaeger and promtool, and kind-config.yaml, the example CI workflow,
//! the Dockerfile and the Makefile agree with the chart and with each other; the images
//! tools/images/build.sh makes for a registry-free cluster hold what the Dockerfile ships.
//!
//! Needs `tools/kube/ensure.sh` (apiserver, etcd) like tests/cluster; builds helm with
//! `tools/helm/ensure.sh` on first use when the cache has none.

#[path = "../support/mod.rs"]
mod support;

mod backends;
mod binaries;
mod dry_run;
mod files;
mod images;
mod loopback;
mod render;
mod resources;
mod victorialogs;
