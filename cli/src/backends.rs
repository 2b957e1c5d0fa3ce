//! The observability backends signals are checked on (the shared `firedrill-backends` crate).

pub use firedrill_backends::{Backends, NO_PROMETHEUS, parse_addr};
