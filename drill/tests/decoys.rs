//! Decoys in the shipped catalog, through the engine's public API: delivered in every draw,
//! never the answer (a diagnosis naming a decoy's service is wrong whatever the class), absent
//! from everything players see, and named as red herrings in the debrief.

use firedrill_drill::drill::Submission;
use firedrill_drill::{Draw, Drill, FaultClass, Mode, Scenario, Timestamp, Verdict};

fn catalog() -> Vec<Scenario> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut scenarios: Vec<Scenario> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| Scenario::from_yaml(&p.display().to_string(), &std::fs::read_to_string(&p).unwrap()).unwrap())
        .collect();
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    scenarios
}

fn t(secs: u64) -> Timestamp {
    Timestamp(1_000_000 + secs * 1000)
}

fn active(s: &Scenario, culprit: &str) -> Drill {
    let draw = Draw::of_culprit(s, culprit, 1).unwrap();
    let mut d = Drill::new("d", s.clone(), draw, Mode::FirstCorrectWins, t(0)).unwrap();
    d.start_warm_up(t(1)).unwrap();
    d.activate(t(2)).unwrap();
    d
}

fn guess(service: &str, class: FaultClass) -> Submission {
    Submission { player: "alice".into(), team: None, service: service.into(), fault_class: class, note: None }
}

#[test]
fn at_least_half_the_catalog_carries_a_decoy() {
    let all = catalog();
    let with: Vec<&str> = all.iter().filter(|s| !s.decoys.is_empty()).map(|s| s.name.as_str()).collect();
    assert!(with.len() * 2 >= all.len(), "only {with:?} of {} scenarios carry a decoy", all.len());
}

#[test]
fn a_diagnosis_naming_a_decoys_service_is_wrong_in_every_draw() {
    for s in catalog().iter().filter(|s| !s.decoys.is_empty()) {
        for culprit in &s.culprits {
            for decoy in &s.decoys {
                for class in FaultClass::ALL {
                    let mut d = active(s, &culprit.id);
                    let verdict = d.diagnose(t(10), guess(&decoy.service, class)).unwrap();
                    assert_eq!(verdict, Verdict::Wrong, "{} / {}: {} {class}", s.name, culprit.id, decoy.service);
                }
            }
        }
    }
}

#[test]
fn every_draw_delivers_the_decoys_faults() {
    for s in catalog().iter().filter(|s| !s.decoys.is_empty()) {
        for culprit in &s.culprits {
            let sets = Draw::of_culprit(s, &culprit.id, 1).unwrap().fault_sets();
            for decoy in &s.decoys {
                let replicas = match decoy.replica {
                    Some(r) => vec![r],
                    None => (0..s.replicas_of(&decoy.service)).collect(),
                };
                for r in replicas {
                    let carried = &sets[&(decoy.service.clone(), r)];
                    assert!(
                        decoy.faults.iter().all(|f| carried.contains(f)),
                        "{} / {}: {} replica {r} lacks its decoy faults: {carried:?}",
                        s.name,
                        culprit.id,
                        decoy.service
                    );
                }
            }
        }
    }
}

#[test]
fn players_see_nothing_of_a_decoy_and_the_debrief_names_it() {
    for s in catalog().iter().filter(|s| !s.decoys.is_empty()) {
        let culprit = &s.culprits[0].id;
        let mut d = active(s, culprit);
        let view = serde_json::to_string(&d.status(t(20))).unwrap();
        for decoy in &s.decoys {
            assert!(!view.contains(decoy.story.trim()), "{}: the player view tells the decoy's story", s.name);
            for signal in &decoy.signals {
                assert!(!view.contains(&signal.name), "{}: the player view names `{}`", s.name, signal.name);
            }
        }
        assert!(!view.to_lowercase().contains("red herring") && !view.contains("decoy"), "{}: {view}", s.name);
        d.stop(t(30)).unwrap();
        d.revert(t(31)).unwrap();
        let debrief = d.debrief(t(32)).unwrap();
        assert_eq!(debrief.red_herrings, s.decoys, "{}", s.name);
        let md = debrief.to_markdown();
        assert!(md.contains("## Red herrings"), "{}:\n{md}", s.name);
        for decoy in &s.decoys {
            assert!(md.contains(decoy.story.trim().lines().next().unwrap()), "{}: story missing:\n{md}", s.name);
        }
    }
}
