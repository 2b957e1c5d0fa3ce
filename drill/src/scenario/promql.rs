//! PromQL queries (`query: {promql: ...}`): parsed with a real PromQL parser when the scenario
//! loads, so a typo (`sum(rate(x[30s]`, `rat(x[1m])`, `[30]`) is refused at its line and
//! column instead of failing every evaluation during a drill, where it looks like "no data" and
//! the signal simply never clears.
//!
//! The parser is GreptimeTeam's `promql-parser`, which follows Prometheus's own grammar and
//! function table. It reports what is wrong but not where inside the expression, so the caller
//! points at the start of the query.

use promql_parser::parser::{self, value::ValueType};

/// What is wrong with a PromQL query, one message each. `signal` = it is evaluated as an
/// instant query whose single sample is compared with a threshold.
pub(crate) fn problems(query: &str, signal: bool) -> Vec<String> {
    if query.trim().is_empty() {
        return vec!["query is empty; expected a PromQL expression".into()];
    }
    let expr = match parser::parse(query) {
        Ok(expr) => expr,
        Err(reason) => return vec![syntax(&reason)],
    };
    match expr.value_type() {
        ValueType::Matrix if signal => vec![
            "a PromQL signal must return an instant vector or a scalar, and this returns a range vector; expected a function over the range, e.g. `rate(x[30s])` rather than `x[30s]`".into(),
        ],
        ValueType::String if signal => {
            vec!["a PromQL signal must return a number, and this returns a string; expected an instant vector or a scalar".into()]
        }
        _ => Vec::new(),
    }
}

/// The parser's reason, made into a sentence that says what to fix.
fn syntax(reason: &str) -> String {
    // The grammar's own failures carry no detail; the lexer's and the type checker's do.
    let reason = if reason == "invalid promql query" {
        "the expression does not follow the PromQL grammar (a missing operand, operator or comma?)"
    } else {
        reason
    };
    format!("invalid PromQL: {reason}; expected an expression Prometheus accepts")
}
