//! The HTTP client the CLI shares with the backends' queries.

pub use firedrill_backends::http::{Http, HttpError};
