use super::*;
use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, PodStatus};
use std::collections::BTreeMap;

fn pod(name: &str, injectable: bool, ip: Option<&str>) -> Pod {
    let mut labels = BTreeMap::from([("app".to_string(), "api".to_string())]);
    if injectable {
        labels.insert(INJECTABLE_LABEL.into(), "true".into());
    }
    let mut p = Pod::default();
    p.metadata.name = Some(name.into());
    p.metadata.namespace = Some("lab".into());
    p.metadata.uid = Some(format!("uid-{name}"));
    p.metadata.labels = Some(labels);
    let port = ContainerPort { name: Some("admin".into()), container_port: 9100, ..Default::default() };
    let container = Container { name: "svc".into(), ports: Some(vec![port]), ..Default::default() };
    p.spec = Some(PodSpec { containers: vec![container], ..Default::default() });
    p.status = ip.map(|ip| PodStatus { phase: Some("Running".into()), pod_ip: Some(ip.into()), ..Default::default() });
    p
}

fn selector(mode: SelectionMode, value: Option<u32>) -> PodSelector {
    let match_labels = BTreeMap::from([("app".to_string(), "api".to_string())]);
    PodSelector { namespace: "lab".into(), match_labels, mode, value }
}

#[test]
fn counts_per_mode() {
    assert_eq!(count(SelectionMode::One, None, 0), 0);
    assert_eq!(count(SelectionMode::One, None, 5), 1);
    assert_eq!(count(SelectionMode::All, None, 5), 5);
    assert_eq!(count(SelectionMode::Fixed, Some(3), 2), 2);
    assert_eq!(count(SelectionMode::Percent, Some(50), 5), 3, "percent rounds up");
    assert_eq!(count(SelectionMode::Percent, Some(1), 5), 1);
}

#[test]
fn non_injectable_pods_are_refused_not_chosen() {
    let pods = vec![pod("a", true, Some("10.0.0.1")), pod("b", false, Some("10.0.0.2"))];
    let s = select(&selector(SelectionMode::All, None), "salt", &pods);
    assert_eq!(s.chosen.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(s.refused, ["b"]);
    assert_eq!(s.chosen[0].endpoint.as_deref(), Some("10.0.0.1:9100"));
}

#[test]
fn pods_in_other_namespaces_or_without_labels_do_not_match() {
    let mut other = pod("c", true, Some("10.0.0.3"));
    other.metadata.namespace = Some("prod".into());
    let mut unlabelled = pod("d", true, Some("10.0.0.4"));
    unlabelled.metadata.labels.as_mut().unwrap().remove("app");
    let s = select(&selector(SelectionMode::All, None), "salt", &[other, unlabelled]);
    assert!(s.chosen.is_empty() && s.refused.is_empty(), "{s:?}");
}

#[test]
fn pick_is_stable_and_replacement_takes_the_place() {
    let pods: Vec<Pod> = (0..6).map(|i| pod(&format!("p{i}"), true, None)).collect();
    let sel = selector(SelectionMode::Fixed, Some(2));
    let first = select(&sel, "uid-1", &pods);
    assert_eq!(first, select(&sel, "uid-1", &pods), "same input, same pick");
    assert_eq!(first.chosen.len(), 2);
    let gone = &first.chosen[0].name;
    let rest: Vec<Pod> = pods.iter().filter(|p| p.name_any() != *gone).cloned().collect();
    let after = select(&sel, "uid-1", &rest);
    assert_eq!(after.chosen.len(), 2, "a remaining pod takes the gone pod's place");
    assert!(after.chosen.iter().any(|c| c.name == first.chosen[1].name), "the surviving pick stays");
}

#[test]
fn endpoint_needs_running_ip_and_admin_port() {
    assert_eq!(admin_endpoint(&pod("a", true, None)), None);
    let mut no_port = pod("a", true, Some("10.0.0.1"));
    no_port.spec.as_mut().unwrap().containers[0].ports = None;
    assert_eq!(admin_endpoint(&no_port), None);
    assert_eq!(admin_endpoint(&pod("a", true, Some("fd00::1"))).as_deref(), Some("[fd00::1]:9100"));
}
