//! Answering Hint requests with the drill engine, once each, in creation order: the
//! contestant's next hint when its time has come (it costs points), else a refusal that says
//! why ("unlocks in 40 s", "no more hints"). Then the answer is mirrored into each Hint's
//! status (idempotent, like the Diagnoses' verdicts).

use firedrill_drill::Timestamp;
use kube::{Api, ResourceExt};

use super::truth::{Answered, Truth};
use crate::context::Context;
use crate::crd::{Hint, HintOutcome, HintStatus, apply_status};
use crate::error::Result;

/// Answers every Hint not answered yet.
pub fn answer_pending(truth: &mut Truth, hints: &[Hint], now: Timestamp) {
    let mut pending: Vec<&Hint> = hints.iter().filter(|h| !truth.hints.contains_key(&h.name_any())).collect();
    pending.sort_by_key(|h| (h.metadata.creation_timestamp.as_ref().map(|t| t.0), h.name_any()));
    for h in pending {
        let contestant = h.spec.team.clone().unwrap_or_else(|| h.spec.player.clone());
        let mut answered = Answered {
            outcome: HintOutcome::Refused,
            text: None,
            cost: None,
            number: None,
            message: None,
            at_ms: now.as_millis(),
        };
        match truth.drill.unlock_hint(now, &contestant) {
            Ok(hint) => {
                let number = truth.drill.hints().iter().filter(|u| u.contestant == contestant).count() as u32;
                answered.outcome = HintOutcome::Unlocked;
                (answered.text, answered.cost, answered.number) = (Some(hint.text), Some(hint.cost), Some(number));
            }
            Err(e) => answered.message = Some(e.to_string()),
        }
        truth.hints.insert(h.name_any(), answered);
    }
}

/// Writes the answer into every answered Hint whose status does not show it yet.
pub async fn mirror(ctx: &Context, hints: &[Hint], truth: &Truth) -> Result<()> {
    for h in hints.iter().filter(|h| h.status.as_ref().and_then(|s| s.outcome).is_none()) {
        let Some(a) = truth.hints.get(&h.name_any()) else { continue };
        let status = HintStatus {
            outcome: Some(a.outcome),
            text: a.text.clone(),
            cost: a.cost,
            number: a.number,
            replied_at: Some(super::view::time(a.at_ms)),
            message: a.message.clone(),
        };
        let api: Api<Hint> = Api::namespaced(ctx.client.clone(), &h.namespace().unwrap_or_default());
        apply_status(&api, &h.name_any(), &status).await?;
    }
    Ok(())
}
