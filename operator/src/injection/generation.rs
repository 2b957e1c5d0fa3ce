//! The fault-set generation: the number by which a chaos agent orders the documents it gets.
//!
//! An agent applies a document only if its generation is at least the highest it has ever
//! applied (`services/runtime/src/chaos/agent.rs`; an equal one renews the lease), and it keeps
//! that highest value across reverts. So the operator's generation must
//!
//! 1. grow with every spec edit of one FaultInjection (`metadata.generation`), or the agents
//!    refuse every delivery after the edit that made it shrink; and
//! 2. put every spec of a newer FaultInjection above every spec of an older one, so a newer
//!    object aimed at the same pods wins (and a re-created one is not refused as stale).
//!
//! Both hold with the creation second in the high 32 bits and the edit count in the low 32:
//! `creationTimestamp` has one-second resolution, and 2^32 edits is more than an API server
//! will ever see for one object. Objects created in the same second are ordered by their edit
//! counts only; nothing finer is known about them. Past either limit (a creation time after
//! 2106, more than 4,294,967,295 edits) the generation is refused, never wrapped.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Bits of the generation that hold `metadata.generation`.
const EDIT_BITS: u32 = 32;
/// The highest `metadata.generation` that fits.
pub const MAX_EDITS: i64 = (1 << EDIT_BITS) - 1;

/// Why an object has no fault-set generation; the FaultInjection is refused with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerationError {
    #[error(
        "metadata.generation {0} is above {MAX_EDITS}, the most spec edits a fault-set generation can order; \
         delete the FaultInjection and create it again"
    )]
    TooManyEdits(i64),
    #[error("creationTimestamp {0} is outside 1970-01-01..2106-02-07, which a fault-set generation can order")]
    CreatedOutOfRange(i64),
}

impl GenerationError {
    /// The condition reason.
    pub fn reason(&self) -> &'static str {
        match self {
            GenerationError::TooManyEdits(_) => "TooManyEdits",
            GenerationError::CreatedOutOfRange(_) => "CreatedOutOfRange",
        }
    }
}

/// The generation for an object created at `created` (absent: the epoch) whose spec is at
/// `metadata.generation` `edits` (absent: 1, the API server's first).
pub fn of(created: Option<&Time>, edits: Option<i64>) -> Result<u64, GenerationError> {
    let seconds = created.map_or(0, |t| t.0.as_second());
    let edits = edits.unwrap_or(1);
    let seconds = u32::try_from(seconds).map_err(|_| GenerationError::CreatedOutOfRange(seconds))?;
    let edits = u32::try_from(edits).map_err(|_| GenerationError::TooManyEdits(edits))?;
    Ok(u64::from(seconds) << EDIT_BITS | u64::from(edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T00:00:00Z.
    const CREATED: i64 = 1_796_083_200;

    fn at(seconds: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap())
    }

    fn generation(created: i64, edits: i64) -> u64 {
        of(Some(&at(created)), Some(edits)).unwrap()
    }

    #[test]
    fn every_edit_raises_it_across_the_thousandth() {
        let mut last = generation(CREATED, 1);
        for edits in 2..=2_100 {
            let next = generation(CREATED, edits);
            assert!(next > last, "edit {edits}: {next} is not above {last}");
            last = next;
        }
    }

    #[test]
    fn it_keeps_rising_up_to_the_limit_and_refuses_past_it() {
        assert!(generation(CREATED, MAX_EDITS) > generation(CREATED, MAX_EDITS - 1));
        let past = of(Some(&at(CREATED)), Some(MAX_EDITS + 1));
        assert_eq!(past, Err(GenerationError::TooManyEdits(MAX_EDITS + 1)));
        assert!(past.unwrap_err().to_string().contains("create it again"));
    }

    #[test]
    fn a_newer_object_is_above_every_edit_of_an_older_one() {
        assert!(generation(CREATED + 1, 1) > generation(CREATED, MAX_EDITS));
        assert!(generation(CREATED + 1, 1) > generation(CREATED, 1_000_000));
    }

    /// Agents remember the highest generation the previous formula sent
    /// (`created_ms * 1000 + generation % 1000`, with whole-second creation times): an object
    /// delivered again after the upgrade must not be refused as stale.
    #[test]
    fn it_is_above_what_the_previous_formula_sent() {
        let previous_highest = (CREATED as u64 * 1000) * 1000 + 999;
        assert!(generation(CREATED, 1) > previous_highest);
    }

    #[test]
    fn creation_times_it_cannot_order_are_refused() {
        assert_eq!(of(Some(&at(-1)), Some(1)), Err(GenerationError::CreatedOutOfRange(-1)));
        let after_2106 = i64::from(u32::MAX) + 1;
        assert_eq!(of(Some(&at(after_2106)), Some(1)), Err(GenerationError::CreatedOutOfRange(after_2106)));
        assert_eq!(of(None, None), Ok(1));
    }
}
