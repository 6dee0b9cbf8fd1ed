//! `--creator owner|keep`: who goes into a DevOpsProject's `kubesphere.io/creator` (the user the
//! v3.0 namespace controller makes admin of the project on every reconcile).

mod common;

use std::path::Path;

fn run(dump: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let home = common::repo().join("sample/jenkins_home");
    let mut args = vec![
        "export",
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--jenkins-home",
        home.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = common::run(&args);
    assert!(
        matches!(o.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn creator(out: &Path) -> Option<String> {
    let yaml = std::fs::read_to_string(
        out.join("resources/devopsprojects.devops.kubesphere.io/cluster/project-b6bzvn3mopvx.yaml"),
    )
    .unwrap();
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix("kubesphere.io/creator:"))
        .map(|v| v.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
}

fn project_codes(r: &serde_json::Value) -> String {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "project" && i["id"] == "project-B6BZVN3mOPvx")
        .unwrap()["findings"]
        .to_string()
}

#[test]
fn a_creator_who_is_no_longer_an_owner_is_replaced_by_an_owner_or_reported_as_a_widening() {
    let tmp = tempfile::tempdir().unwrap();
    // The v2.1 creator of project-B6BZVN3mOPvx left the project (not a member any more).
    let dump = std::fs::read_to_string(common::repo().join("sample/devops.sql"))
        .unwrap()
        .replace(
            "'bob','2020-03-05 14:02:11'",
            "'mallory','2020-03-05 14:02:11'",
        );
    let dump_path = tmp.path().join("devops.sql");
    std::fs::write(&dump_path, dump).unwrap();

    let owner_out = tmp.path().join("owner");
    let r = run(&dump_path, &owner_out, &[]);
    let chosen = creator(&owner_out).expect("an owner is the creator");
    assert_ne!(chosen, "mallory");
    let codes = project_codes(&r);
    assert!(
        codes.contains("project.creator-owner") && codes.contains(&chosen),
        "{codes}"
    );

    let keep_out = tmp.path().join("keep");
    let r = run(&dump_path, &keep_out, &["--creator", "keep"]);
    assert_eq!(creator(&keep_out).as_deref(), Some("mallory"));
    let codes = project_codes(&r);
    assert!(
        codes.contains("project.creator-widening") && codes.contains("mallory-admin"),
        "{codes}"
    );

    // The unchanged sample: every creator is an owner, nothing to report either way.
    let plain = tmp.path().join("plain");
    let r = run(&common::repo().join("sample/devops.sql"), &plain, &[]);
    assert_eq!(creator(&plain).as_deref(), Some("bob"));
    assert!(!project_codes(&r).contains("project.creator-"));
}
