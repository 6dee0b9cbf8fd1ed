//! Snapshot of the sample's full export: every YAML object (credential values replaced by a
//! digest) and the Markdown report. A change in conversion shows up here as a readable diff.

mod common;

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

fn redact_secret_data(yaml: &str) -> String {
    let mut v: serde_json::Value = serde_saphyr::from_str(yaml).expect("yaml");
    if let Some(data) = v.get_mut("data").and_then(|d| d.as_object_mut()) {
        for (_, val) in data.iter_mut() {
            let s = val.as_str().unwrap_or_default();
            let digest = Sha256::digest(s.as_bytes());
            *val = serde_json::Value::String(format!(
                "<redacted sha256:{}>",
                &hex::encode(digest)[..16]
            ));
        }
    }
    serde_saphyr::to_string(&v).expect("yaml")
}

#[test]
fn sample_export_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = common::run(&["export", "--sample", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    let mut all = String::new();
    let resources = out.join("resources");
    for rel in common::files(&resources) {
        let text = std::fs::read_to_string(resources.join(&rel)).unwrap();
        let text = if rel.starts_with("secrets") {
            redact_secret_data(&text)
        } else {
            text
        };
        let _ = writeln!(all, "=== {} ===\n{}", rel.display(), text);
    }
    insta::assert_snapshot!("sample_resources", all);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    insta::assert_snapshot!(
        "sample_report",
        report.replace(out.to_str().unwrap(), "[OUT]")
    );
}

#[test]
fn export_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        common::run(&["export", "--sample", "--out", d.to_str().unwrap()]);
    }
    let fa = common::files(&a.join("resources"));
    assert_eq!(fa, common::files(&b.join("resources")));
    for f in &fa {
        assert_eq!(
            std::fs::read(a.join("resources").join(f)).unwrap(),
            std::fs::read(b.join("resources").join(f)).unwrap(),
            "{}",
            f.display()
        );
    }
    let ra: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("report.json")).unwrap()).unwrap();
    let rb: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("report.json")).unwrap()).unwrap();
    assert_eq!(ra["items"], rb["items"]);
}
