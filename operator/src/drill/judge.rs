//! Judging Diagnoses with the drill engine, once each, in creation order; then mirroring the
//! judgement into each Diagnosis's status (idempotent, so a crash between the two steps only
//! delays the mirror).

use firedrill_drill::{Submission, Timestamp};
use kube::{Api, ResourceExt};

use super::truth::{Judged, Truth};
use crate::context::Context;
use crate::crd::{Diagnosis, DiagnosisStatus, Refusable, apply_status};
use crate::error::Result;

/// Judges every Diagnosis not judged yet.
pub fn judge_pending(truth: &mut Truth, diagnoses: &[Diagnosis], now: Timestamp) {
    let mut pending: Vec<&Diagnosis> = diagnoses.iter().filter(|d| !truth.judged.contains_key(&d.name_any())).collect();
    pending.sort_by_key(|d| (d.metadata.creation_timestamp.as_ref().map(|t| t.0), d.name_any()));
    for d in &pending {
        let judged = judge_one(truth, d, now);
        truth.judged.insert(d.name_any(), judged);
    }
}

fn judge_one(truth: &mut Truth, d: &Diagnosis, now: Timestamp) -> Judged {
    let spec = &d.spec;
    let mut judged = Judged {
        player: spec.player.clone(),
        team: spec.team.clone(),
        service: spec.service.clone(),
        fault_class: spec.fault_class,
        verdict: Refusable::Refused,
        message: None,
        at_ms: now.as_millis(),
        score: 0,
    };
    let submission = Submission {
        player: spec.player.clone(),
        team: spec.team.clone(),
        service: spec.service.clone(),
        fault_class: spec.fault_class,
        note: spec.note.clone(),
    };
    let contestant = spec.team.clone().unwrap_or_else(|| spec.player.clone());
    match truth.drill.diagnose(now, submission) {
        Ok(verdict) => {
            judged.verdict = verdict.into();
            let results = truth.drill.results();
            judged.score = results.iter().find(|r| r.contestant == contestant).map_or(0, |r| r.score);
        }
        Err(e) => judged.message = Some(e.to_string()),
    }
    judged
}

/// Writes the verdict into every judged Diagnosis whose status does not show it yet.
pub async fn mirror(ctx: &Context, diagnoses: &[Diagnosis], truth: &Truth) -> Result<()> {
    for d in diagnoses.iter().filter(|d| d.status.as_ref().and_then(|s| s.verdict).is_none()) {
        let Some(j) = truth.judged.get(&d.name_any()) else { continue };
        let status = DiagnosisStatus {
            verdict: Some(j.verdict),
            judged_at: Some(super::view::time(j.at_ms)),
            score: Some(j.score),
            message: j.message.clone(),
        };
        let api: Api<Diagnosis> = Api::namespaced(ctx.client.clone(), &d.namespace().unwrap_or_default());
        apply_status(&api, &d.name_any(), &status).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::DiagnosisSpec;
    use firedrill_drill::{self as engine, Draw, FaultClass, Mode, Verdict};

    fn truth() -> Truth {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/product-pages-slow-teams-paged.yaml");
        let scenario = engine::Scenario::from_yaml("s", &std::fs::read_to_string(path).unwrap()).unwrap();
        let draw = Draw::of_culprit(&scenario, "warehouse-cpu", 1).unwrap();
        let t0 = Timestamp::from_millis(1_000);
        let mut drill = engine::Drill::new("lab/d", scenario, draw, Mode::FirstCorrectWins, t0).unwrap();
        drill.start_warm_up(t0).unwrap();
        drill.activate(t0).unwrap();
        Truth { drill, judged: Default::default(), hints: Default::default() }
    }

    fn diagnosis(name: &str, service: &str, class: FaultClass) -> Diagnosis {
        let spec = DiagnosisSpec {
            drill: "d".into(),
            player: "alice".into(),
            team: None,
            service: service.into(),
            fault_class: class,
            note: None,
        };
        Diagnosis::new(name, spec)
    }

    #[test]
    fn each_diagnosis_is_judged_once() {
        let mut truth = truth();
        let ds = [diagnosis("a", "pricing", FaultClass::Latency), diagnosis("b", "warehouse", FaultClass::Resource)];
        judge_pending(&mut truth, &ds, Timestamp::from_millis(5_000));
        assert_eq!(truth.judged["a"].verdict, Refusable::Engine(Verdict::Wrong));
        assert_eq!(truth.judged["b"].verdict, Refusable::Engine(Verdict::Correct));
        assert!(truth.judged["b"].score > 0);
        let first = truth.judged.clone();
        // A restarted operator sees the same objects again: nothing is judged twice.
        judge_pending(&mut truth, &ds, Timestamp::from_millis(6_000));
        assert_eq!(truth.drill.diagnoses().len(), 2);
        assert_eq!(truth.judged, first, "the second pass changed a judgement");
    }

    #[test]
    fn answers_after_the_win_are_refused_with_the_reason() {
        let mut truth = truth();
        let ds =
            [diagnosis("a", "warehouse", FaultClass::Resource), diagnosis("late", "warehouse", FaultClass::Resource)];
        judge_pending(&mut truth, &ds, Timestamp::from_millis(5_000));
        assert_eq!(truth.judged["late"].verdict, Refusable::Refused);
        assert!(
            truth.judged["late"].message.as_deref().unwrap_or_default().contains("Solved"),
            "{:?}",
            truth.judged["late"]
        );
    }
}
