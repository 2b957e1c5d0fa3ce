//! Starting a drill: draw the scenario (from the Drill's pool, every installed Scenario, or
//! the facilitator's choice in the draw Secret) and its culprit with a fresh or replayed seed,
//! and store the engine's record as the drill's truth. A drill that cannot start says why in a
//! condition; nothing is injected. Players read that condition, so a refusal never names a
//! scenario the Drill itself does not name.

use std::collections::BTreeSet;
use std::time::Duration;

use firedrill_drill::{self as engine, Catalog, Draw, Mode, Timestamp};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::truth::{self, Truth};
use super::view;
use crate::context::Context;
use crate::crd::{Drill, DrillMode, DrillStatus, Refusable, Scenario};
use crate::error::Result;
use crate::injection::status_condition;

/// Why a drill did not start: condition reason and message.
#[derive(Debug)]
pub struct Refusal(pub &'static str, pub String);

/// What the draw Secret says: both keys are optional.
#[derive(Debug, Default, PartialEq)]
struct Choice {
    scenario: Option<String>,
    seed: Option<u64>,
}

/// Draws and stores the truth; `Err(Refusal)` when the spec cannot be played.
pub async fn start(ctx: &Context, drill: &Drill, now: Timestamp) -> Result<Result<(Truth, String), Refusal>> {
    let choice = match choice(ctx, drill).await? {
        Ok(choice) => choice,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let seed = choice.seed.unwrap_or_else(|| fastrand::u64(..));
    let installed: Api<Scenario> = Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let installed = installed.list(&Default::default()).await?.items;
    let mut scenario = match draw(&installed, &drill.spec.from, choice.scenario.as_deref(), seed) {
        Ok(s) => s,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(limit) = drill.spec.time_limit_seconds {
        scenario.time_limit_seconds = limit;
    }
    let draw = Draw::new(&scenario, seed);
    let mode = match drill.spec.mode {
        DrillMode::FirstCorrectWins => Mode::FirstCorrectWins,
        DrillMode::AllTeamsPlay => {
            Mode::AllTeamsPlay { teams: drill.spec.teams.iter().cloned().collect::<BTreeSet<_>>() }
        }
    };
    let id = format!("{}/{}", drill.namespace().unwrap_or_default(), drill.name_any());
    let warm_up = drill.spec.warm_up_seconds.map_or(engine::driver::DEFAULT_WARM_UP, |s| Duration::from_secs(s.into()));
    let mut played = match engine::Drill::new(id, scenario, draw, mode, now) {
        Ok(played) => played.with_warm_up(warm_up),
        Err(e) => return Ok(Err(Refusal("InvalidDrill", e.to_string()))),
    };
    played.start_warm_up(now).expect("a new drill is pending");
    let truth = Truth { drill: played, judged: Default::default(), hints: Default::default() };
    match truth::create(ctx, drill, &truth).await? {
        Some(version) => Ok(Ok((truth, version))),
        // Another operator instance started it first: play its draw, not ours.
        None => Ok(truth::load(ctx, drill).await?.ok_or_else(|| Refusal("Conflict", "truth vanished".into()))),
    }
}

/// The scenario of the round, drawn with the engine's `draw_scenario` from the installed
/// Scenario objects: the chosen one, else those named in `from`, else all of them. A named
/// scenario that is missing or does not parse refuses the drill; drawing from all, broken
/// ones are left out (their own status says why). A chosen scenario is never named in the
/// refusal, because players read it.
fn draw(installed: &[Scenario], from: &[String], chosen: Option<&str>, seed: u64) -> Result<engine::Scenario, Refusal> {
    if let Some(name) = chosen
        && !from.is_empty()
        && !from.iter().any(|f| f == name)
    {
        return Err(Refusal("ChoiceNotInPool", "the draw Secret's `scenario` is not one of spec.from".into()));
    }
    let named: Vec<&str> = match chosen {
        Some(name) => vec![name],
        None => from.iter().map(String::as_str).collect(),
    };
    let secret = chosen.is_some();
    let mut pool = Vec::new();
    for name in &named {
        let Some(found) = installed.iter().find(|s| s.name_any() == *name) else {
            let what =
                if secret { "the scenario the draw Secret names".to_string() } else { format!("scenario `{name}`") };
            return Err(Refusal("ScenarioNotFound", format!("{what} is not installed; ask the lab admin")));
        };
        if let Err(e) = engine::Scenario::from_yaml(&found.spec.file, &found.spec.source) {
            let what =
                if secret { "the scenario the draw Secret names".to_string() } else { format!("scenario `{name}`") };
            let detail = if secret { String::new() } else { format!(": {e}") };
            return Err(Refusal("ScenarioInvalid", format!("{what} does not parse{detail}")));
        }
        pool.push(found);
    }
    if named.is_empty() {
        pool = installed.iter().filter(|s| engine::Scenario::from_yaml(&s.spec.file, &s.spec.source).is_ok()).collect();
        if pool.is_empty() {
            return Err(Refusal("ScenarioNotFound", "no valid Scenario is installed; ask the lab admin".into()));
        }
    }
    let catalog =
        Catalog::load(pool.iter().map(|s| (s.spec.file.as_str(), s.spec.source.as_str()))).map_err(|errors| {
            Refusal("ScenarioInvalid", format!("the scenarios to draw from do not load together: {}", errors[0]))
        })?;
    let drawn = engine::draw_scenario(&catalog, seed, &[]).map_err(|e| Refusal("ScenarioNotFound", e.to_string()))?;
    Ok(drawn.clone())
}

/// Reads the draw Secret, if the Drill names one.
async fn choice(ctx: &Context, drill: &Drill) -> Result<Result<Choice, Refusal>> {
    let Some(name) = &drill.spec.draw_secret else { return Ok(Ok(Choice::default())) };
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let Some(secret) = api.get_opt(name).await? else {
        return Ok(Err(Refusal("DrawSecretNotFound", format!("no secret `{name}` in the control namespace"))));
    };
    Ok(parse_choice(name, &secret.data.unwrap_or_default()))
}

fn parse_choice(
    name: &str,
    data: &std::collections::BTreeMap<String, k8s_openapi::ByteString>,
) -> Result<Choice, Refusal> {
    let text = |key: &str| data.get(key).map(|v| String::from_utf8(v.0.clone()).map(|s| s.trim().to_string()));
    let scenario = match text("scenario") {
        None => None,
        Some(Ok(s)) if !s.is_empty() => Some(s),
        Some(_) => {
            return Err(Refusal("DrawSecretInvalid", format!("secret `{name}`: `scenario` must be a scenario name")));
        }
    };
    let seed = match text("seed") {
        None => None,
        Some(Ok(s)) => match s.parse() {
            Ok(seed) => Some(seed),
            Err(_) => {
                return Err(Refusal("DrawSecretInvalid", format!("secret `{name}`: `seed` must be a number 0..2^64")));
            }
        },
        Some(Err(_)) => {
            return Err(Refusal("DrawSecretInvalid", format!("secret `{name}`: `seed` must be a number 0..2^64")));
        }
    };
    if scenario.is_none() && seed.is_none() {
        return Err(Refusal("DrawSecretInvalid", format!("secret `{name}` has neither a `scenario` nor a `seed` key")));
    }
    Ok(Choice { scenario, seed })
}

/// Reports the refusal in status; retried slowly in case the scenario gets installed.
pub async fn refuse(ctx: &Context, drill: &Drill, Refusal(reason, message): Refusal) -> Result<Action> {
    let previous = drill.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let condition = status_condition(&previous, "Ready", false, reason, message, drill.metadata.generation);
    let status = DrillStatus { phase: Some(Refusable::Refused), conditions: vec![condition], ..Default::default() };
    view::write(ctx, drill, &status).await?;
    Ok(Action::requeue(Duration::from_secs(30)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;

    use super::*;
    use crate::crd::ScenarioSpec;

    fn installed(name: &str, source: &str) -> Scenario {
        Scenario::new(name, ScenarioSpec { file: format!("{name}.yaml"), source: source.into() })
    }

    fn shipped(name: &str) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.yaml"));
        installed(name, &std::fs::read_to_string(path).unwrap())
    }

    fn catalog() -> Vec<Scenario> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut all: Vec<Scenario> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .map(|p| shipped(p.file_stem().unwrap().to_str().unwrap()))
            .collect();
        all.push(installed("broken", "name: [unclosed"));
        all
    }

    fn refusal(r: Result<engine::Scenario, Refusal>) -> (&'static str, String) {
        match r {
            Ok(s) => panic!("drew {}", s.name),
            Err(Refusal(reason, message)) => (reason, message),
        }
    }

    #[test]
    fn an_unnamed_pool_draws_every_valid_installed_scenario_and_seeds_replay() {
        let all = catalog();
        let names: BTreeSet<String> = (0..400).map(|seed| draw(&all, &[], None, seed).unwrap().name).collect();
        assert_eq!(names.len(), all.len() - 1, "every valid scenario is drawn, the broken one never: {names:?}");
        for seed in [1, 42, u64::MAX] {
            assert_eq!(draw(&all, &[], None, seed).unwrap().name, draw(&all, &[], None, seed).unwrap().name);
        }
    }

    #[test]
    fn a_pool_limits_the_draw_and_a_choice_picks_one() {
        let all = catalog();
        let (a, b) = (all[0].name_any(), all[1].name_any());
        let pool = vec![a.clone(), b.clone()];
        let drawn: BTreeSet<String> = (0..100).map(|seed| draw(&all, &pool, None, seed).unwrap().name).collect();
        assert_eq!(drawn, BTreeSet::from([a.clone(), b.clone()]));
        for seed in 0..20 {
            assert_eq!(draw(&all, &[], Some(&b), seed).unwrap().name, b);
            assert_eq!(draw(&all, &pool, Some(&a), seed).unwrap().name, a);
        }
    }

    #[test]
    fn refusals_never_name_a_secretly_chosen_scenario() {
        let all = catalog();
        let (reason, message) = refusal(draw(&all, &[], Some("no-such-thing"), 1));
        assert_eq!(reason, "ScenarioNotFound");
        assert!(!message.contains("no-such-thing"), "{message}");
        let (reason, message) = refusal(draw(&all, &[], Some("broken"), 1));
        assert_eq!(reason, "ScenarioInvalid");
        assert!(!message.contains("broken"), "{message}");
        let pool = vec![all[0].name_any(), all[1].name_any()];
        let (reason, message) = refusal(draw(&all, &pool, Some(&all[2].name_any()), 1));
        assert_eq!(reason, "ChoiceNotInPool");
        assert!(!message.contains(&all[2].name_any()), "{message}");
        // A pool's own names are public: the refusal says which one is wrong.
        let (reason, message) = refusal(draw(&all, &[pool[0].clone(), "broken".into()], None, 1));
        assert_eq!(reason, "ScenarioInvalid");
        assert!(message.contains("scenario `broken` does not parse"), "{message}");
        let (reason, _) = refusal(draw(&[installed("broken", "name: [")], &[], None, 1));
        assert_eq!(reason, "ScenarioNotFound");
    }

    #[test]
    fn the_draw_secret_takes_a_scenario_a_seed_or_both_and_nothing_else() {
        let data = |pairs: &[(&str, &str)]| -> BTreeMap<String, ByteString> {
            pairs.iter().map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec()))).collect()
        };
        let ok = |pairs: &[(&str, &str)]| parse_choice("s", &data(pairs)).ok().unwrap();
        assert_eq!(ok(&[("seed", " 42\n")]), Choice { scenario: None, seed: Some(42) });
        assert_eq!(ok(&[("scenario", "x")]), Choice { scenario: Some("x".into()), seed: None });
        assert_eq!(ok(&[("scenario", "x"), ("seed", "7")]), Choice { scenario: Some("x".into()), seed: Some(7) });
        for bad in [&[][..], &[("seed", "-1")], &[("seed", "lots")], &[("scenario", " ")]] {
            let Err(Refusal(reason, message)) = parse_choice("s", &data(bad)) else { panic!("{bad:?} accepted") };
            assert_eq!(reason, "DrawSecretInvalid", "{message}");
        }
    }
}
