//! LogsQL queries (`query: {logsql: ...}`): checks that catch, before a drill runs, the mistakes
//! a log signal can make without any error from the backend: no time window (the count would
//! cover every line ever stored and never clear), no `stats` pipe (a search returns lines, not a
//! number), a service name the lab does not have (the query would match nothing, forever).
//!
//! The query itself is the backend's to parse; this is not a LogsQL parser.

use crate::topology;

/// What is wrong with a LogsQL query, one message each. `signal` = it must yield a number.
pub(crate) fn problems(query: &str, signal: bool) -> Vec<String> {
    let mut out = Vec::new();
    if query.trim().is_empty() {
        out.push("query is empty; expected a LogsQL query".to_string());
        return out;
    }
    if signal && !query.contains("_time:") {
        out.push(
            "a LogsQL signal needs a `_time:` window (e.g. `_time:1m`); without one it counts every line ever stored"
                .into(),
        );
    }
    if signal && !has_stats_pipe(query) {
        out.push("a LogsQL signal needs a `| stats ...` pipe, so it returns a number; expected e.g. `| stats count() as lines`".into());
    }
    for name in service_names(query) {
        if topology::service(name).is_none() {
            out.push(format!("unknown service `{name}`; expected one of {}", topology::service_names()));
        }
    }
    out
}

fn has_stats_pipe(query: &str) -> bool {
    query.split('|').skip(1).any(|pipe| pipe.trim_start().starts_with("stats"))
}

/// The values a query compares `service.name` with: `service.name:=x`, `service.name:x`,
/// `service.name:"x"` and stream filters `{service.name="x"}`.
fn service_names(query: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find("service.name") {
        rest = &rest[at + "service.name".len()..];
        let value = rest.strip_prefix(":=").or_else(|| rest.strip_prefix(':')).or_else(|| rest.strip_prefix('='));
        if let Some(value) = value {
            let value = value.trim_start_matches('"');
            let end = value.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(value.len());
            if end > 0 {
                out.push(&value[..end]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_needs_a_window_and_stats() {
        let ok = r#"_time:1m service.name:=inventory "upstream timeout" | stats count() as lines"#;
        assert!(problems(ok, true).is_empty(), "{:?}", problems(ok, true));
        let p = problems(r#"service.name:=inventory "upstream timeout""#, true);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("`_time:` window"), "{p:?}");
        assert!(p[1].contains("`| stats ...` pipe"), "{p:?}");
        assert!(problems(r#"_time:5m service.name:=inventory "upstream timeout""#, false).is_empty());
        assert_eq!(problems("  ", false), ["query is empty; expected a LogsQL query"]);
    }

    #[test]
    fn service_names_are_checked_in_every_filter_form() {
        for q in [
            "_time:1m service.name:=invntory | stats count()",
            "_time:1m service.name:invntory | stats count()",
            r#"_time:1m service.name:"invntory" | stats count()"#,
            r#"_time:1m {service.name="invntory"} | stats count()"#,
        ] {
            let p = problems(q, true);
            assert_eq!(p.len(), 1, "{q}: {p:?}");
            assert!(p[0].starts_with("unknown service `invntory`; expected one of api,"), "{q}: {p:?}");
        }
        assert!(problems(r#"_time:1m {service.name="pricing"} | stats max(_time) as newest"#, true).is_empty());
    }

    #[test]
    fn a_word_containing_stats_is_not_a_stats_pipe() {
        assert!(!has_stats_pipe("_time:1m statsd"));
        assert!(!has_stats_pipe("_time:1m | fields statsd"));
        assert!(has_stats_pipe("_time:1m |stats count()"));
    }
}
