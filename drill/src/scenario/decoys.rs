//! The checks on decoys and on the briefing's claims.
//!
//! A decoy must never be the cause: its service may not be any culprit's answer service, or a
//! diagnosis naming it would score, and the red herring would be the answer in disguise. It
//! must be visible, so it needs a signal of its own, named apart from every other signal.

use std::collections::BTreeSet;

use super::path::Path;
use super::validate::Checker;
use super::{Claim, Decoy};

pub(super) fn check(c: &mut Checker<'_>) {
    let s = c.s;
    let mut taken: BTreeSet<&str> = s.signals.iter().map(|x| x.name.as_str()).collect();
    taken.extend(s.culprits.iter().flat_map(|k| k.signals.iter().map(|x| x.name.as_str())));
    for (i, decoy) in s.decoys.iter().enumerate() {
        let at = Path::root().key("decoys").index(i);
        self::decoy(c, &at, decoy, &taken);
        taken.extend(decoy.signals.iter().map(|x| x.name.as_str()));
    }
    let mut names = BTreeSet::new();
    for (i, claim) in s.claims.iter().enumerate() {
        let at = Path::root().key("claims").index(i);
        self::claim(c, &at, claim, &mut names);
    }
}

fn decoy<'a>(c: &mut Checker<'a>, path: &Path, decoy: &'a Decoy, taken: &BTreeSet<&str>) {
    c.target(path, &decoy.target(), false);
    let answered = c.s.culprits.iter().find(|k| k.answer.service == decoy.service);
    if let Some(culprit) = answered {
        let msg = format!(
            "decoy on `{}`, the answer service of culprit `{}`; expected a service no culprit's answer names (a decoy must not be the cause)",
            decoy.service, culprit.id
        );
        c.report(path.key("service"), msg);
    }
    if decoy.signals.is_empty() {
        let msg = "decoy has no signals; expected at least one, so verify can prove it visible".to_string();
        c.report(path.key("signals"), msg);
    }
    c.signals(&path.key("signals"), &decoy.signals, taken);
    c.non_empty(path.key("story"), "story", &decoy.story);
}

fn claim<'a>(c: &mut Checker<'a>, path: &Path, claim: &'a Claim, names: &mut BTreeSet<&'a str>) {
    c.kebab(path.key("name"), "claim name", &claim.name);
    if !names.insert(claim.name.as_str()) {
        let msg = format!("duplicate claim name `{}`; expected names unique among the claims", claim.name);
        c.report(path.key("name"), msg);
    }
    c.non_empty(path.key("text"), "claim text", &claim.text);
    c.assertion(path, &claim.query, claim.threshold, claim.within_seconds);
}
