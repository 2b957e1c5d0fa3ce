//! Queries in scenario files: every backend's mistakes are refused when the file loads, each at
//! the query's line and column. Line 22 of the test scenario is its one signal's query.

use super::tests::{errors, shipped, with_line};
use super::*;

/// The test scenario with its signal's query replaced by `{ promql: '<expr>' }`; the
/// expression starts at column 26.
fn with_promql(expr: &str) -> String {
    with_line(22, &format!("        query: {{ promql: '{expr}' }}"))
}

/// The one error for a PromQL expression, which must be at 22:26.
fn promql_error(expr: &str) -> String {
    let e = errors(&with_promql(expr));
    assert_eq!(e.len(), 1, "{expr}: {e:?}");
    let message = e[0].strip_prefix("t.yaml:22:26: ").unwrap_or_else(|| panic!("{expr}: not at 22:26: {e:?}"));
    message.to_string()
}

#[test]
fn valid_promql_loads() {
    let expr =
        r#"histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="api"}[30s])))"#;
    let s = Scenario::from_yaml("t.yaml", &with_promql(expr)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.culprits[0].signals[0].query.text(), expr);
}

#[test]
fn unclosed_parentheses_are_refused_at_the_query() {
    let m = promql_error("sum(rate(x[30s]");
    assert!(m.starts_with("invalid PromQL: "), "{m}");
    assert_eq!(m, "invalid PromQL: unclosed left parenthesis; expected an expression Prometheus accepts");
}

#[test]
fn an_unknown_function_is_named() {
    let m = promql_error("sum(rat(x[1m]))");
    assert!(m.contains("unknown function with name 'rat'"), "{m}");
}

#[test]
fn a_bad_duration_is_refused() {
    for (expr, reason) in
        [("rate(x[5q])", "bad number or duration syntax: 5q"), ("rate(x[1.5m])", "not a valid duration string: 1.5m")]
    {
        let m = promql_error(expr);
        assert!(m.contains(reason), "{expr}: {m}");
    }
}

#[test]
fn unbalanced_braces_are_refused() {
    for (expr, reason) in [
        (r#"rate(x{job="api"[1m])"#, "unexpected character inside braces: '['"),
        (r#"rate(x job="api"}[1m])"#, "unexpected right brace '}'"),
    ] {
        let m = promql_error(expr);
        assert!(m.contains(reason), "{expr}: {m}");
    }
}

#[test]
fn type_and_grammar_mistakes_are_refused() {
    let m = promql_error("rate(x)");
    assert!(m.contains("expected type matrix in call to function 'rate', got vector"), "{m}");
    let m = promql_error("sum(x) +");
    assert!(m.contains("does not follow the PromQL grammar"), "{m}");
}

#[test]
fn a_signal_cannot_return_a_range_vector_but_an_isolating_query_may() {
    let m = promql_error("x[1m]");
    assert!(m.contains("returns a range vector"), "{m}");
    let isolating = MINI_ISOLATING.replace("EXPR", "x[1m]");
    Scenario::from_yaml("t.yaml", &with_line(18, &isolating)).unwrap_or_else(|e| panic!("{e}"));
}

/// An isolating query, to put in line 18 (after the culprit's `answer`).
const MINI_ISOLATING: &str = "    answer: { service: inventory, faultClass: latency }\n    isolatingQueries:\n      - { why: shows it, query: { promql: 'EXPR' } }";

#[test]
fn a_block_scalar_query_is_located_at_its_text() {
    let text = with_line(22, "        query:\n          promql: >-\n            sum(rate(x[30s]");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.yaml:24:13: invalid PromQL"), "{e:?}");
}

#[test]
fn a_broken_query_in_a_shipped_scenario_is_refused() {
    let (file, text) = shipped().into_iter().find(|(_, t)| t.contains("promql: sum(rate(")).expect("a promql signal");
    let broken = text.replacen("promql: sum(rate(", "promql: sum(rte(", 1);
    let e = Scenario::from_yaml(&file, &broken).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert!(e.0[0].message.contains("unknown function with name 'rte'"), "{e}");
    let line = text.lines().position(|l| l.contains("promql: sum(rate(")).unwrap() + 1;
    assert_eq!(e.0[0].line, line, "{e}");
}

#[test]
fn trace_queries_load_and_their_mistakes_point_at_the_field() {
    let ok = with_line(22, "        query: { traces: { service: inventory, measure: span-ratio, child: warehouse } }");
    let s = Scenario::from_yaml("t.yaml", &ok).unwrap();
    assert_eq!(s.culprits[0].signals[0].query.backend(), "traces");
    let e = errors(&with_line(
        22,
        "        query: { traces: { service: inventory, measure: span-ratio, child: payments } }",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.yaml:22:76: inventory does not call `payments`; expected one of warehouse"), "{e:?}");
}

#[test]
fn log_queries_load_and_their_mistakes_point_at_the_query() {
    let ok = with_line(
        22,
        r#"        query: { logsql: '_time:1m service.name:=inventory "upstream timeout" | stats count()' }"#,
    );
    let s = Scenario::from_yaml("t.yaml", &ok).unwrap();
    assert_eq!(s.culprits[0].signals[0].query.backend(), "logsql");
    let e = errors(&with_line(22, r#"        query: { logsql: 'service.name:=invntory "upstream timeout"' }"#));
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e.iter().all(|e| e.starts_with("t.yaml:22:")), "{e:?}");
    assert!(e[0].contains("needs a `_time:` window"), "{e:?}");
    assert!(e[2].contains("unknown service `invntory`"), "{e:?}");
}
