//! The v3.0 parse emulation and the repairs checked against every case of the `jenkins-wild`
//! corpus (real-world `config.xml` files, each with KubeSphere v3.0.0's own parse or panic),
//! read from `../shared/fixtures/jenkins-wild/` at test time.

use std::path::Path;

use ksdm_convert::v30_parse::parse_job;
use ksdm_convert::v30_repair::{repair_job, RepairOutcome};
use ksdm_model::v21::JobClass;

struct Case {
    name: String,
    job: String,
    xml: Vec<u8>,
    expected: serde_json::Value,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut out: Vec<Case> = std::fs::read_dir(dir)
        .expect("jenkins-wild folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("config.xml").is_file())
        .map(|e| {
            let p = e.path();
            let meta: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p.join("meta.json")).unwrap()).unwrap();
            Case {
                name: e.file_name().to_string_lossy().into_owned(),
                job: meta["job_name"].as_str().unwrap().to_owned(),
                xml: std::fs::read(p.join("config.xml")).unwrap(),
                expected: serde_json::from_slice(&std::fs::read(p.join("v30-spec.json")).unwrap())
                    .unwrap(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(out.len(), 78, "the corpus has 78 cases");
    out
}

/// Our verdict: does v3.0 fail on the job (panic or error, or not a pipeline at all)?
fn v30_fails(c: &Case) -> bool {
    match parse_job(&c.job, &c.xml) {
        Err(_) => true,
        Ok(p) => matches!(p.class, JobClass::Other(_)) || p.v30_unreadable(),
    }
}

#[test]
fn crash_verdict_and_spec_match_v300_on_every_case() {
    let dir = ksdm_test_fixtures::require_shared!("jenkins-wild");
    let mut wrong = Vec::new();
    for c in cases(&dir) {
        let v30_failed = c.expected.get("panic").is_some() || c.expected.get("error").is_some();
        if v30_fails(&c) != v30_failed {
            wrong.push(format!(
                "{}: v3.0 failed = {v30_failed}, we say {}",
                c.name, !v30_failed
            ));
            continue;
        }
        if !v30_failed {
            let spec = parse_job(&c.job, &c.xml).unwrap().spec.unwrap();
            let ours = serde_json::to_value(&spec).unwrap();
            if ours != c.expected {
                wrong.push(format!(
                    "{}: spec differs\n ours: {ours}\n v3.0: {}",
                    c.name, c.expected
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} case(s) differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_crashing_pipeline_job_is_repaired_and_then_readable() {
    let dir = ksdm_test_fixtures::require_shared!("jenkins-wild");
    let (mut held_back, mut repaired, mut readable_after) = (0, 0, 0);
    let mut not_repaired = Vec::new();
    for c in cases(&dir) {
        let parsed = parse_job(&c.job, &c.xml).unwrap();
        if !parsed.v30_unreadable() {
            assert_eq!(
                repair_job(&c.job, &c.xml),
                RepairOutcome::NotNeeded,
                "{}",
                c.name
            );
            continue;
        }
        held_back += 1;
        match repair_job(&c.job, &c.xml) {
            RepairOutcome::Repaired(r) => {
                repaired += 1;
                // Only additions: every original byte is still there, in order.
                let mut it = r.repaired.iter();
                let blank_prefix = c.xml.iter().take_while(|b| b.is_ascii_whitespace()).count();
                for b in &c.xml[blank_prefix..] {
                    assert!(
                        it.any(|x| x == b),
                        "{}: the repair removed or changed a byte",
                        c.name
                    );
                }
                let after = parse_job(&c.job, &r.repaired).unwrap();
                assert!(!after.v30_unreadable(), "{}: {:?}", c.name, after.findings);
                assert!(after.spec.is_some());
                readable_after += 1;
            }
            other => not_repaired.push(format!("{}: {other:?}", c.name)),
        }
    }
    eprintln!(
        "jenkins-wild: {held_back} pipeline jobs held back, {repaired} repaired, {readable_after} migratable after repair"
    );
    assert_eq!(
        held_back, 14,
        "v3.0.0 panics on 14 pipeline and multibranch jobs of the corpus"
    );
    assert!(
        not_repaired.is_empty(),
        "not repaired:\n{}",
        not_repaired.join("\n")
    );
    assert_eq!(readable_after, held_back);
}
