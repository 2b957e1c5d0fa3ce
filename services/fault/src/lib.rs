//! The fault document: what a chaos agent should do to its service, and for how long.
//!
//! One format, several deliveries: the chaos agent's admin API accepts it (`PUT /chaos/faults`),
//! scenario files embed its faults, the drill engine draws them, and the operator carries them in
//! FaultInjection objects. Keeping the types here, with no I/O and no runtime, lets all of them
//! agree byte for byte, and gives one JSON schema (`FaultSet::json_schema()`) to publish.
//!
//! Parsing is strict: unknown fields are rejected, every value is range-checked, and an error
//! names the field path (`faults[2].delayMs`) and what was expected.

mod document;
mod parse;

pub use document::{
    ClientLatency, Cpu, CpuBurn, DropSpans, Fault, FaultKind, FaultSet, Hang, LogDelay, LogDrop, LogNoise, Memory,
    Pool, Propagation, Retry, RouteMatch, Sampling, ServerError, ServerLatency, Timeout,
};
pub use parse::{FaultError, MAX_BURN_MILLICORES, MAX_NOISE_LINES_PER_SECOND, parse_fault_set};
