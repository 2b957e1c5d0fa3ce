//! The drill engine: everything a played incident needs except I/O.
//!
//! A scenario file ([`scenario`]) is parsed and validated with an error per mistake; a seeded
//! [`draw`] picks one culprit and produces the fault documents to deliver; the [`drill`] state
//! machine runs the round (warm-up, clock, hints, diagnoses, revert); [`verdict`] and
//! [`scoring`] judge the answers; [`debrief`] tells what happened; [`leaderboard`] adds drills
//! up. [`pool`] is the catalog's fairness rule (every scenario's culprits span several
//! answers) and [`distinguish`] the rule that the signals tell every culprit from every other.
//! The same engine runs in the `firedrill` CLI's local lab and in the operator, so it reads
//! no files, opens no sockets, starts no threads and never reads the clock: callers pass `now`.

pub mod distinguish;
pub mod pool;
pub mod scenario;
pub mod taxonomy;
pub mod topology;

pub use pool::{AnswerPool, PoolError};
pub use scenario::{Catalog, Scenario, ScenarioError, ScenarioErrors};
pub use taxonomy::FaultClass;
pub mod draw;
pub mod scoring;
pub mod time;
pub mod verdict;

pub use draw::{Draw, ScenarioDrawError, draw_scenario};
pub use time::Timestamp;
pub use verdict::Verdict;
pub mod apart;
pub mod debrief;
pub mod drill;
pub mod driver;
pub mod leaderboard;

pub use debrief::Debrief;
pub use drill::{Drill, DrillError, DrillStatus, Mode, Phase, Submission};
pub use driver::{Driver, Host, LEASE, Lease, Traffic};
pub use leaderboard::Leaderboard;
