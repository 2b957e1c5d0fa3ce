//! The seeded draws: of a scenario from a catalog (a mystery drill), of a culprit from its
//! scenario, and the fault documents the culprit produces.
//!
//! A drill picks one culprit from its scenario with a seed; a mystery drill picks the scenario
//! with the same seed first. The seed is all a replay needs, so the picks must never change
//! with a crate upgrade: the generator is splitmix64, written out here (a few lines, with
//! published constants), and the index is taken with a fixed multiply-shift rather than a
//! library's range method. The culprit takes the stream's first number and the scenario its
//! second, so the two picks are independent and a named scenario's draw is unchanged.

use crate::scenario::{Catalog, Culprit, Scenario, Target};
use firedrill_fault::Fault;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// splitmix64 (Steele, Lea, Flood 2014; the seeder of xoshiro): tiny, fast, and every
/// seed, zero included, gives a well-mixed stream.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

/// Which culprit a drill runs, and everything needed to deliver its faults. This is the truth:
/// keep it where players cannot read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draw {
    pub seed: u64,
    pub scenario: String,
    pub culprit: Culprit,
    /// Amplifiers then gaps: applied in every draw.
    pub always: Vec<Target>,
    /// The decoys' faults: also applied in every draw, kept apart so the debrief can name
    /// them as red herrings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoys: Vec<Target>,
    /// Replica count per service, to expand targets without a replica index.
    pub replicas: BTreeMap<String, u32>,
}

/// Why no scenario could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioDrawError {
    #[error("no scenario {} in the catalog; expected names from {}", quote(.unknown), .catalog.join(", "))]
    Unknown { unknown: Vec<String>, catalog: Vec<String> },
    #[error("the catalog has no scenarios; expected at least one to draw from")]
    Empty,
}

fn quote(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Faults per `(service, replica index)`.
pub type FaultSets = BTreeMap<(String, u32), Vec<Fault>>;

/// How many seeds `seed_for` tries: a culprit has a 1-in-(culprits) chance per seed, so with
/// the handful of culprits a scenario has the search ends within a few seeds.
const SEED_SEARCH: u64 = 100_000;

// === impl SplitMix64 ===

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index in `0..n` (n > 0), by multiply-shift: `(x * n) >> 64`.
    pub fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.next_u64()) * n as u128;
        (wide >> 64) as usize
    }
}

// === draw_scenario ===

/// The scenario of a mystery drill: one of `from` (the whole catalog when empty), picked with
/// `seed`. `from` is a set: order and repeats do not change the pick, so `--from a,b` and
/// `--from b,a` replay alike. Any name not in the catalog is refused, with the catalog listed.
pub fn draw_scenario<'c>(catalog: &'c Catalog, seed: u64, from: &[String]) -> Result<&'c Scenario, ScenarioDrawError> {
    let unknown: Vec<String> = from.iter().filter(|n| catalog.get(n).is_none()).cloned().collect();
    if !unknown.is_empty() {
        let catalog = catalog.iter().map(|s| s.name.clone()).collect();
        return Err(ScenarioDrawError::Unknown { unknown, catalog });
    }
    let pool: Vec<&Scenario> = match from {
        [] => catalog.iter().collect(),
        names => catalog.iter().filter(|s| names.contains(&s.name)).collect(),
    };
    if pool.is_empty() {
        return Err(ScenarioDrawError::Empty);
    }
    let mut rng = SplitMix64::new(seed);
    rng.next_u64(); // the culprit draw's number
    Ok(pool[rng.below(pool.len())])
}

// === impl Draw ===

impl Draw {
    /// Draws a culprit for `seed`. A loaded scenario always has at least one culprit.
    pub fn new(scenario: &Scenario, seed: u64) -> Draw {
        let index = SplitMix64::new(seed).below(scenario.culprits.len());
        Self::build(scenario, seed, &scenario.culprits[index])
    }

    /// Runs a named culprit (for `verify --all-culprits`); `seed` is kept for the record.
    pub fn of_culprit(scenario: &Scenario, culprit_id: &str, seed: u64) -> Option<Draw> {
        Some(Self::build(scenario, seed, scenario.culprit(culprit_id)?))
    }

    /// The smallest seed from 1 whose draw picks `culprit_id`, so a drill that only takes a
    /// seed (a Drill object on a cluster) can be made to run a given culprit. `None` for an
    /// unknown culprit.
    pub fn seed_for(scenario: &Scenario, culprit_id: &str) -> Option<u64> {
        scenario.culprit(culprit_id)?;
        (1..=SEED_SEARCH).find(|seed| Draw::new(scenario, *seed).culprit.id == culprit_id)
    }

    fn build(scenario: &Scenario, seed: u64, culprit: &Culprit) -> Draw {
        let replicas =
            crate::topology::SERVICES.iter().map(|s| (s.name.to_string(), scenario.replicas_of(s.name))).collect();
        Draw {
            seed,
            scenario: scenario.name.clone(),
            culprit: culprit.clone(),
            always: scenario.amplifiers.iter().chain(&scenario.gaps).cloned().collect(),
            decoys: scenario.decoys.iter().map(|d| d.target()).collect(),
            replicas,
        }
    }

    /// The faults each replica must carry: culprit, then amplifiers, then gaps, then decoys,
    /// merged per `(service, replica)`. Replicas without faults are absent (deliver them an
    /// empty set). Every host delivers exactly this, so decoys reach both the local lab and
    /// the operator's FaultInjections, and a fault set never says which of its faults is
    /// which.
    pub fn fault_sets(&self) -> FaultSets {
        let mut sets = FaultSets::new();
        for target in self.culprit.targets.iter().chain(&self.always).chain(&self.decoys) {
            let count = self.replicas.get(&target.service).copied().unwrap_or(1);
            let replicas = match target.replica {
                Some(r) => r..r + 1,
                None => 0..count,
            };
            for r in replicas {
                sets.entry((target.service.clone(), r)).or_default().extend(target.faults.iter().cloned());
            }
        }
        sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> Scenario {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let text = std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap();
        Scenario::from_yaml(name, &text).unwrap()
    }

    fn catalog() -> Catalog {
        let names = [
            "storefront-slow-flat-errors",
            "storefront-errors-after-rollout",
            "storefront-slower-with-traffic",
            "product-pages-partly-failing",
        ];
        let texts: Vec<_> = names.iter().map(|n| (*n, text(n))).collect();
        Catalog::load(texts.iter().map(|(n, t)| (*n, t.as_str()))).unwrap()
    }

    fn text(name: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_seed_replays_the_scenario_and_its_culprit() {
        let c = catalog();
        let mut pairs = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let s = draw_scenario(&c, seed, &[]).unwrap();
            assert_eq!(draw_scenario(&c, seed, &[]).unwrap().name, s.name, "seed {seed} replays");
            pairs.insert((s.name.clone(), Draw::new(s, seed).culprit.id));
        }
        let scenarios: std::collections::BTreeSet<_> = pairs.iter().map(|(s, _)| s).collect();
        assert_eq!(scenarios.len(), c.len(), "every scenario is drawn");
        let culprits: usize = c.iter().map(|s| s.culprits.len()).sum();
        assert_eq!(pairs.len(), culprits, "every culprit of every scenario: the picks are independent");
    }

    #[test]
    fn from_limits_the_draw_as_a_set_and_refuses_unknown_names() {
        let c = catalog();
        let from = names(&["storefront-slower-with-traffic", "storefront-slow-flat-errors"]);
        let reversed =
            names(&["storefront-slow-flat-errors", "storefront-slower-with-traffic", "storefront-slow-flat-errors"]);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let s = draw_scenario(&c, seed, &from).unwrap();
            assert!(from.contains(&s.name), "{} is not in --from", s.name);
            assert_eq!(draw_scenario(&c, seed, &reversed).unwrap().name, s.name, "order does not matter");
            seen.insert(s.name.clone());
        }
        assert_eq!(seen.len(), 2);
        assert_eq!(
            draw_scenario(&c, 9, &names(&["storefront-slow-flat-errors"])).unwrap().name,
            "storefront-slow-flat-errors"
        );
        let e = draw_scenario(&c, 1, &names(&["storefront-slow-flat-errors", "retry-strom"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "no scenario `retry-strom` in the catalog; expected names from product-pages-partly-failing, storefront-errors-after-rollout, storefront-slow-flat-errors, storefront-slower-with-traffic"
        );
        assert_eq!(draw_scenario(&Catalog::default(), 1, &[]), Err(ScenarioDrawError::Empty));
        let pinned =
            draw_scenario(&c, 11, &names(&["storefront-slower-with-traffic", "storefront-errors-after-rollout"]))
                .unwrap();
        assert_eq!(pinned.name, "storefront-errors-after-rollout", "the CLI tests rely on it");
    }

    #[test]
    fn splitmix_matches_the_reference_stream() {
        // Reference values for seed 1234567 from the published C implementation.
        let mut rng = SplitMix64::new(1234567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(got, [6457827717110365317, 3203168211198807973, 9817491932198370423]);
    }

    #[test]
    fn draws_are_deterministic_and_reach_every_culprit() {
        let s = scenario("storefront-slow-flat-errors");
        assert_eq!(Draw::new(&s, 42), Draw::new(&s, 42));
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            seen.insert(Draw::new(&s, seed).culprit.id);
        }
        assert_eq!(seen.len(), s.culprits.len());
    }

    #[test]
    fn seed_for_finds_a_seed_that_draws_the_culprit() {
        let s = scenario("storefront-errors-after-rollout");
        for c in &s.culprits {
            let seed = Draw::seed_for(&s, &c.id).unwrap();
            assert_eq!(Draw::new(&s, seed).culprit.id, c.id);
            assert!((1..seed).all(|smaller| Draw::new(&s, smaller).culprit.id != c.id), "the smallest seed");
        }
        assert_eq!(Draw::seed_for(&s, "inventory-warehouse-timeout"), Some(3), "the CLI tests rely on it");
        assert_eq!(Draw::seed_for(&s, "no-such-culprit"), None);
    }

    #[test]
    fn fault_sets_merge_culprit_amplifiers_and_gaps() {
        let s = scenario("storefront-slow-flat-errors");
        let draw = Draw::of_culprit(&s, "stock-query-hang", 7).unwrap();
        let sets = draw.fault_sets();
        let kinds =
            |svc: &str| -> Vec<String> { sets[&(svc.to_string(), 0)].iter().map(|f| f.kind().to_string()).collect() };
        assert_eq!(kinds("warehouse"), ["hang"]);
        assert_eq!(kinds("inventory"), ["retry", "timeout", "drop-spans"]);
        assert_eq!(sets.len(), 2);
        assert!(Draw::of_culprit(&s, "nope", 7).is_none());
    }

    #[test]
    fn replica_targets_hit_only_their_replica() {
        let s = scenario("product-pages-partly-failing");
        let sets = Draw::of_culprit(&s, "replica-1-slow", 0).unwrap().fault_sets();
        let keys: Vec<_> = sets.keys().cloned().collect();
        assert_eq!(keys, [("inventory".to_string(), 1)]);
    }
}
