//! Judging Diagnoses with the drill engine, once each, in creation order; then mirroring the
//! judgement into each Diagnosis's status (idempotent, so a crash between the two steps only
//! delays the mirror).

use firedrill_drill::{FaultClass, Submission, Timestamp};
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::truth::{Judged, Truth};
use crate::context::Context;
use crate::crd::Diagnosis;
use crate::error::Result;

/// Judges every Diagnosis not judged yet; returns whether the truth changed.
pub fn judge_pending(truth: &mut Truth, diagnoses: &[Diagnosis], now: Timestamp) -> bool {
    let mut pending: Vec<&Diagnosis> = diagnoses.iter().filter(|d| !truth.judged.contains_key(&d.name_any())).collect();
    pending.sort_by_key(|d| (d.metadata.creation_timestamp.as_ref().map(|t| t.0), d.name_any()));
    for d in &pending {
        let judged = judge_one(truth, d, now);
        truth.judged.insert(d.name_any(), judged);
    }
    !pending.is_empty()
}

fn judge_one(truth: &mut Truth, d: &Diagnosis, now: Timestamp) -> Judged {
    let spec = &d.spec;
    let mut judged = Judged {
        player: spec.player.clone(),
        team: spec.team.clone(),
        service: spec.service.clone(),
        fault_class: spec.fault_class.clone(),
        verdict: "refused".into(),
        message: None,
        at_ms: now.as_millis(),
        score: 0,
    };
    let class: FaultClass = match spec.fault_class.parse() {
        Ok(c) => c,
        Err(e) => {
            judged.message = Some(format!("{e}"));
            return judged;
        }
    };
    let submission = Submission {
        player: spec.player.clone(),
        team: spec.team.clone(),
        service: spec.service.clone(),
        fault_class: class,
        note: spec.note.clone(),
    };
    let contestant = spec.team.clone().unwrap_or_else(|| spec.player.clone());
    match truth.drill.diagnose(now, submission) {
        Ok(verdict) => {
            judged.verdict = verdict.as_str().into();
            let results = truth.drill.results();
            judged.score = results.iter().find(|r| r.contestant == contestant).map_or(0, |r| r.score);
        }
        Err(e) => judged.message = Some(e.to_string()),
    }
    judged
}

/// Writes the verdict into every judged Diagnosis whose status does not show it yet.
pub async fn mirror(ctx: &Context, diagnoses: &[Diagnosis], truth: &Truth) -> Result<()> {
    let params = PatchParams::apply(crate::FIELD_MANAGER).force();
    for d in diagnoses.iter().filter(|d| d.status.as_ref().and_then(|s| s.verdict.as_ref()).is_none()) {
        let Some(j) = truth.judged.get(&d.name_any()) else { continue };
        let status = json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "Diagnosis",
            "status": {
                "verdict": j.verdict,
                "judgedAt": super::view::time(j.at_ms),
                "score": j.score,
                "message": j.message,
            }
        });
        let api: Api<Diagnosis> = Api::namespaced(ctx.client.clone(), &d.namespace().unwrap_or_default());
        api.patch_status(&d.name_any(), &params, &Patch::Apply(&status)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::DiagnosisSpec;
    use firedrill_drill::{Draw, Mode, Scenario};

    fn truth() -> Truth {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/slow-shared-downstream.yaml");
        let scenario = Scenario::from_yaml("s", &std::fs::read_to_string(path).unwrap()).unwrap();
        let draw = Draw::of_culprit(&scenario, "warehouse-cpu", 1).unwrap();
        let t0 = Timestamp::from_millis(1_000);
        let mut drill = firedrill_drill::Drill::new("lab/d", scenario, draw, Mode::FirstCorrectWins, t0).unwrap();
        drill.start_warm_up(t0).unwrap();
        drill.activate(t0).unwrap();
        Truth { drill, judged: Default::default(), hints: Default::default() }
    }

    fn diagnosis(name: &str, service: &str, class: &str) -> Diagnosis {
        let spec = DiagnosisSpec {
            drill: "d".into(),
            player: "alice".into(),
            team: None,
            service: service.into(),
            fault_class: class.into(),
            note: None,
        };
        Diagnosis::new(name, spec)
    }

    #[test]
    fn each_diagnosis_is_judged_once() {
        let mut truth = truth();
        let ds = [diagnosis("a", "pricing", "latency"), diagnosis("b", "warehouse", "resource")];
        assert!(judge_pending(&mut truth, &ds, Timestamp::from_millis(5_000)));
        assert_eq!(truth.judged["a"].verdict, "wrong");
        assert_eq!(truth.judged["b"].verdict, "correct");
        assert!(truth.judged["b"].score > 0);
        // A restarted operator sees the same objects again: nothing is judged twice.
        assert!(!judge_pending(&mut truth, &ds, Timestamp::from_millis(6_000)));
        assert_eq!(truth.drill.diagnoses().len(), 2);
    }

    #[test]
    fn answers_after_the_win_are_refused_with_the_reason() {
        let mut truth = truth();
        let ds = [diagnosis("a", "warehouse", "resource"), diagnosis("late", "warehouse", "resource")];
        judge_pending(&mut truth, &ds, Timestamp::from_millis(5_000));
        assert_eq!(truth.judged["late"].verdict, "refused");
        assert!(
            truth.judged["late"].message.as_deref().unwrap_or_default().contains("Solved"),
            "{:?}",
            truth.judged["late"]
        );
    }
}
