//! Scenario loading: the shipped files, and the exact position of every kind of mistake.

use super::*;

/// A small valid scenario; tests break one line at a time, so line numbers matter.
pub(super) const MINI: &str = "\
apiVersion: firedrill.dev/v1alpha1
kind: Scenario
name: mini
title: Mini
difficulty: easy
timeLimitSeconds: 600
briefing: Edge is slow.
load:
  rateRps: 50
  mix: { product: 1 }
culprits:
  - id: slow-stock
    targets:
      - service: inventory
        faults:
          - kind: latency
            delayMs: 300
    answer: { service: inventory, faultClass: latency }
    story: inventory got slow.
    signals:
      - name: edge-slow
        query: { promql: 'up' }
        op: '>'
        threshold: 0.5
        withinSeconds: 30
hints:
  - afterSeconds: 60
    cost: 10
    text: Look at inventory.
incident: storefront latency
";

pub(super) fn errors(text: &str) -> Vec<String> {
    match Scenario::from_yaml("t.yaml", text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

/// MINI with line `n` (1-based) replaced.
pub(super) fn with_line(n: usize, line: &str) -> String {
    let mut lines: Vec<&str> = MINI.lines().collect();
    lines[n - 1] = line;
    lines.join("\n") + "\n"
}

#[test]
fn mini_loads_with_defaults() {
    let s = Scenario::from_yaml("mini.yaml", MINI).unwrap();
    assert_eq!(s.name, "mini");
    assert_eq!(s.replicas_of("inventory"), 1);
    assert_eq!(s.load.mix.checkout, 0.0);
    assert_eq!(s.culprits[0].answer.fault_class, crate::FaultClass::Latency);
}

#[test]
fn the_load_rate_follows_the_last_step_reached() {
    let stepped = MINI.replace(
        "  mix: { product: 1 }\n",
        "  mix: { product: 1 }\n  steps:\n    - { atSeconds: 60, rateMultiplier: 2 }\n    - { atSeconds: 120, rateMultiplier: 0.5 }\n",
    );
    let load = Scenario::from_yaml("stepped.yaml", &stepped).unwrap().load;
    let rates: Vec<f64> = [0.0, 59.9, 60.0, 119.0, 120.0, 599.0].iter().map(|&t| load.rate_at(t)).collect();
    assert_eq!(rates, [50.0, 50.0, 100.0, 100.0, 25.0, 25.0]);
    let waits: Vec<Option<f64>> = [0.0, 60.0, 90.0, 120.0].iter().map(|&t| load.next_step_in(t)).collect();
    assert_eq!(waits, [Some(60.0), Some(60.0), Some(30.0), None]);
    let flat = Scenario::from_yaml("mini.yaml", MINI).unwrap().load;
    assert_eq!((flat.rate_at(1e6), flat.next_step_in(0.0)), (50.0, None));
}

#[test]
fn the_mix_is_written_in_loadgens_format_in_smallest_terms() {
    let weights = |product, checkout| Mix { product, checkout }.loadgen_weights();
    assert_eq!(weights(90.0, 10.0), "product=9,checkout=1");
    assert_eq!(weights(0.75, 0.25), "product=3,checkout=1");
    assert_eq!(weights(70.0, 30.0), "product=7,checkout=3");
    assert_eq!(weights(1.0, 0.0), "product=1");
    assert_eq!(weights(0.0, 2.5), "checkout=1");
    assert_eq!(weights(0.0, 0.0), "product=1");
}

#[test]
fn unknown_fault_kind_points_at_the_kind() {
    let e = errors(&with_line(16, "          - kind: hangg"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.yaml:16:19: unknown fault kind `hangg`; expected one of latency, hang, error,"),
        "{e:?}"
    );
}

#[test]
fn field_errors_inside_a_fault_point_at_the_field() {
    let e = errors(&with_line(17, "            delayMs: slow"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("t.yaml:17:22: invalid type: string \"slow\"; expected u64"), "{e:?}");
    let e = errors(&with_line(17, "            dealyMs: 300"));
    assert!(e[0].starts_with("t.yaml:17:13: unknown field `dealyMs`; expected one of"), "{e:?}");
}

#[test]
fn every_mistake_is_reported_with_its_position() {
    let text = MINI
        .replace("difficulty: easy", "difficulty: hardest")
        .replace("  rateRps: 50", "  rateRps: 50\n  burst: 3")
        .replace("      - service: inventory", "      - service: inventroy")
        .replace("    cost: 10", "    cost: lots");
    let e = errors(&text);
    assert_eq!(
        e,
        [
            "t.yaml:5:13: unknown variant `hardest`; expected one of easy, medium, hard",
            "t.yaml:10:3: unknown field `burst`; expected one of rateRps, mix, steps",
            "t.yaml:29:11: invalid type: string \"lots\"; expected u32",
        ],
        "type errors first hide semantic ones only in the broken sections"
    );
}

#[test]
fn semantic_errors_carry_positions() {
    let text = MINI
        .replace("      - service: inventory", "      - service: inventroy")
        .replace("    answer: { service: inventory", "    answer: { service: pricing");
    let e = errors(&text);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("t.yaml:14:18: unknown service `inventroy`; expected one of api, inventory,"), "{e:?}");
    assert!(e[1].starts_with("t.yaml:18:24: answer service `pricing` is not among this culprit's targets"), "{e:?}");
}

#[test]
fn semantic_errors_after_a_pruned_item_keep_their_original_index() {
    // The first culprit has a type error and is pruned; the second one's mistake must still
    // point at the second culprit, not at the first.
    let second = concat!(
        "  - id: pool\n",
        "    targets: [{ service: api, faults: [{ kind: pool, dependency: warehouse, maxConcurrency: 1 }] }]\n",
        "    answer: { service: api, faultClass: pool-starvation }\n",
        "    story: s\n",
        "hints:",
    );
    let text = MINI.replace("            delayMs: 300", "            delayMs: -1").replacen("hints:", second, 1);
    let e = errors(&text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with("t.yaml:17:22: invalid value: integer `-1`"), "{e:?}");
    assert!(e[1].starts_with("t.yaml:26:9: culprit `pool` has no signals"), "{e:?}");
    assert!(
        e[2].starts_with("t.yaml:27:66: api does not call `warehouse`; expected one of inventory, pricing, checkout"),
        "{e:?}"
    );
}

#[test]
fn fault_range_errors_name_the_field() {
    let text = MINI.replace("            delayMs: 300", "            delayMs: 300\n            jitterMs: 9999999");
    let e = errors(&text);
    assert_eq!(e, ["t.yaml:18:23: `jitterMs` must be 0..=600000, got 9999999"]);
}

#[test]
fn duplicate_ids_hint_order_and_ranges_are_refused() {
    let text = MINI
        .replace("timeLimitSeconds: 600", "timeLimitSeconds: 30")
        .replace("name: mini", "name: Mini_1")
        .replace("        withinSeconds: 30", "        withinSeconds: 0")
        .replace(
            "    text: Look at inventory.",
            "    text: Look.\n  - afterSeconds: 10\n    cost: 1\n    text: Earlier.",
        );
    let e = errors(&text);
    let lines: Vec<&str> = e.iter().map(|s| s.split(": ").next().unwrap()).collect();
    assert_eq!(lines, ["t.yaml:3:7", "t.yaml:6:19", "t.yaml:25:24", "t.yaml:27:19", "t.yaml:30:19"], "{e:#?}");
    assert!(e[4].contains("before the previous hint (60 s); expected hints in unlock order"), "{e:?}");
}

#[test]
fn syntax_errors_are_located_and_nothing_loads() {
    let e = errors(&with_line(10, "  mix: { product: 1"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0],
        "t.yaml:11:9: did not find expected ',' or '}', while parsing a flow mapping at line 10 column 8; expected valid YAML"
    );
}

#[test]
fn missing_fields_point_at_their_mapping() {
    let text = MINI.replace("    story: inventory got slow.\n", "");
    assert_eq!(errors(&text), ["t.yaml:12:5: missing field `story`"]);
    assert_eq!(errors("")[0], "t.yaml:1:1: the document is empty; expected a Scenario mapping");
}

#[test]
fn replica_and_route_and_gap_checks() {
    let text = MINI
        .replace("      - service: inventory", "      - service: inventory\n        replica: 2")
        .replace(
            "          - kind: latency",
            "          - kind: latency\n            match: { route: \"/query/stock/{id}\" }",
        )
        .replace("hints:", "gaps:\n  - service: api\n    faults: [{ kind: cpu, burnMs: 5 }]\nhints:");
    let e = errors(&text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with("t.yaml:15:18: replica 2 does not exist: inventory runs 1"), "{e:?}");
    assert!(
        e[1].starts_with(
            "t.yaml:18:20: inventory serves no `* /query/stock/{id}`; expected one of GET /stock/{id}, POST /reserve"
        ),
        "{e:?}"
    );
    assert!(e[2].starts_with("t.yaml:30:22: `cpu` is not a telemetry fault"), "{e:?}");
}

#[test]
fn catalog_refuses_duplicate_names_and_keeps_every_error() {
    let broken = MINI.replace("kind: Scenario", "kind: Scenari");
    let files = [("a.yaml", MINI), ("b.yaml", MINI), ("c.yaml", broken.as_str())];
    let errors = Catalog::load(files).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].to_string(), "b.yaml: scenario name `mini` is already used by a.yaml; expected unique names");
    assert_eq!(errors[1].to_string(), "c.yaml:2:7: unknown kind `Scenari`; expected Scenario");
    let catalog = Catalog::load([("a.yaml", MINI)]).unwrap();
    assert_eq!(catalog.get("mini").map(|s| s.title.as_str()), Some("Mini"));
}

#[test]
fn schema_describes_the_format() {
    let schema = Scenario::json_schema().to_string();
    for word in ["timeLimitSeconds", "isolatingQueries", "promql", "withinSeconds", "retry-amplification", "drop-spans"]
    {
        assert!(schema.contains(word), "schema lacks {word}");
    }
}

pub(super) fn shipped() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_scenarios_load_and_keep_the_house_rules() {
    let files = shipped();
    let catalog = Catalog::load(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
    assert!(catalog.len() >= 8, "only {} scenarios", catalog.len());
    for (file, _) in &files {
        let name = file.trim_end_matches(".yaml");
        let s = catalog.get(name).unwrap_or_else(|| panic!("{file} must be named {name}"));
        assert!((600..=1200).contains(&s.time_limit_seconds), "{file}: time limit");
        assert!((50.0..=100.0).contains(&s.load.rate_rps), "{file}: base load");
        for c in &s.culprits {
            assert!(!c.isolating_queries.is_empty(), "{file}: {} lacks isolating queries", c.id);
            for sig in s.signals_for(c) {
                assert!(sig.within_seconds <= 60, "{file}: {} is too slow for CI", sig.name);
            }
        }
    }
    let multi = catalog.iter().filter(|s| s.culprits.len() >= 2).count();
    assert!(multi >= 5, "only {multi} scenarios have several culprits");
    assert!(
        catalog.get("storefront-slow-flat-errors").is_some() && catalog.get("product-pages-partly-failing").is_some()
    );
}

#[test]
fn the_documented_example_loads() {
    let doc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    let text = std::fs::read_to_string(doc).unwrap();
    let after = &text[text.find("## Annotated example").expect("section exists")..];
    let start = after.find("```yaml\n").unwrap() + "```yaml\n".len();
    let yaml = &after[start..start + after[start..].find("```").unwrap()];
    let s = Scenario::from_yaml("example.yaml", yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "storefront-errors-after-rollout");
}

#[test]
fn incident_titles_that_give_the_cause_away_are_refused_at_their_line() {
    let last = MINI.lines().count();
    let refused = [
        ("incident: inventory is slow", "names `inventory`, a culprit's service"),
        ("incident: storefront hangs", "fault-class word `hang`"),
        ("incident: pool starvation at the edge", "fault-class word `pool-starvation`"),
        ("incident: mini outage", "names the scenario `mini`"),
        ("incident: '  '", "incident is empty"),
        ("incident: the storefront is slow and nobody knows why at all", "at most 40"),
    ];
    for (line, expected) in refused {
        let e = errors(&with_line(last, line));
        assert_eq!(e.len(), 1, "{line}: {e:?}");
        assert!(e[0].starts_with(&format!("t.yaml:{last}:11: ")), "{line}: {e:?}");
        assert!(e[0].contains(expected), "{line}: {e:?}");
    }
    // The symptoms a page reports are fine, as are services that are not culprits.
    for line in ["incident: storefront latency", "incident: checkout errors", "incident: pricing timeouts"] {
        let ok = Scenario::from_yaml("t.yaml", &with_line(last, line));
        assert_eq!(ok.is_ok(), !line.contains("timeouts"), "{line}: {ok:?}");
    }
    let missing = MINI.replace("incident: storefront latency\n", "");
    assert!(errors(&missing).iter().any(|e| e.contains("missing field `incident`")), "the field is required");
}
