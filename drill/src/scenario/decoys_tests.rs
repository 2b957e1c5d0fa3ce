//! Decoys and claims: what loads, and every mistake at its line and column.

use super::tests::errors;
use super::*;

/// `MINI` from the scenario tests plus one decoy and one claim, at the end (line 31 on).
fn text() -> String {
    super::tests::MINI.to_string()
        + "\
decoys:
  - service: payments
    faults:
      - kind: cpu-burn
        millicores: 200
    signals:
      - name: payments-busy
        query: { promql: 'up' }
        op: '>'
        threshold: 0.5
        withinSeconds: 30
    story: payments runs a batch job.
claims:
  - name: edge-slow
    text: Edge is slow.
    query: { promql: 'up' }
    op: '>'
    threshold: 0.5
    withinSeconds: 30
"
}

/// `text()` with line `n` (1-based) replaced.
fn with(n: usize, line: &str) -> String {
    let text = text();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[n - 1] = line;
    lines.join("\n") + "\n"
}

#[test]
fn decoys_and_claims_load_and_the_draw_delivers_the_decoy() {
    let s = Scenario::from_yaml("t.yaml", &text()).unwrap();
    assert_eq!(s.decoys[0].service, "payments");
    assert_eq!(s.claims[0].text, "Edge is slow.");
    assert!(s.claims[0].holds(1.0) && !s.claims[0].holds(0.0));
    let sets = crate::Draw::new(&s, 1).fault_sets();
    assert_eq!(sets[&("payments".to_string(), 0)], s.decoys[0].faults, "delivered with the culprit's");
    assert!(sets.contains_key(&("inventory".to_string(), 0)));
}

#[test]
fn a_decoy_on_an_answer_service_is_refused() {
    let e = errors(&with(32, "  - service: inventory"));
    assert_eq!(
        e,
        [
            "t.yaml:32:14: decoy on `inventory`, the answer service of culprit `slow-stock`; expected a service no culprit's answer names (a decoy must not be the cause)"
        ]
    );
}

#[test]
fn a_decoy_needs_its_own_signal_and_a_story() {
    let no_signals = text().replace(
        "    signals:\n      - name: payments-busy\n        query: { promql: 'up' }\n        op: '>'\n        threshold: 0.5\n        withinSeconds: 30\n    story",
        "    signals: []\n    story",
    );
    let e = errors(&no_signals);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.yaml:36:14: decoy has no signals"), "{e:?}");
    let e = errors(&with(37, "      - name: edge-slow"));
    assert!(
        e == [
            "t.yaml:37:15: duplicate signal name `edge-slow`; expected names unique among a culprit's and the common signals"
        ],
        "a culprit's signal name is taken: {e:?}"
    );
    let e = errors(&with(42, "    story: ' '"));
    assert!(e[0].starts_with("t.yaml:42:12: story is empty"), "{e:?}");
}

#[test]
fn decoy_faults_are_checked_like_every_fault() {
    let e = errors(&with(35, "        millicores: 2000"));
    assert!(e == ["t.yaml:35:21: `millicores` must be 1..=1000, got 2000"], "{e:?}");
    let e = errors(&with(35, "        cores: 2"));
    assert!(e.iter().any(|m| m.starts_with("t.yaml:35:9: unknown field `cores`")), "{e:?}");
    let e = errors(&with(34, "      - kind: log-noise"));
    assert!(e.iter().any(|m| m.starts_with("t.yaml:35:9: unknown field `millicores`")), "{e:?}");
    let e = errors(&with(32, "  - service: paymnets"));
    assert!(e[0].starts_with("t.yaml:32:14: unknown service `paymnets`"), "{e:?}");
    let e = errors(&with(32, "  - servcie: payments"));
    assert!(e[0].starts_with("t.yaml:32:5: unknown field `servcie`"), "{e:?}");
}

#[test]
fn claims_are_checked_like_signals() {
    let e = errors(&with(44, "  - name: Edge_Slow"));
    assert!(e[0].starts_with("t.yaml:44:11: claim name `Edge_Slow` is not kebab-case"), "{e:?}");
    let e = errors(&with(45, "    text: ''"));
    assert!(e[0].starts_with("t.yaml:45:11: claim text is empty"), "{e:?}");
    let e = errors(&with(46, "    query: { promql: 'rate(x' }"));
    assert!(e[0].starts_with("t.yaml:46:22: invalid PromQL"), "{e:?}");
    let e = errors(&with(49, "    withinSeconds: 0"));
    assert!(e[0].starts_with("t.yaml:49:20: withinSeconds 0 is out of range"), "{e:?}");
    let e = errors(&with(47, "    op: '=='"));
    assert!(e[0].starts_with("t.yaml:47:9: unknown variant `==`"), "{e:?}");
    let twice = text()
        + "  - name: edge-slow\n    text: again\n    query: { promql: 'up' }\n    op: '<'\n    threshold: 1\n    withinSeconds: 30\n";
    let e = errors(&twice);
    assert!(e == ["t.yaml:50:11: duplicate claim name `edge-slow`; expected names unique among the claims"], "{e:?}");
}
