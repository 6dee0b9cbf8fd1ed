//! Bad input: clear messages naming the item and the reason, other items still processed, and an
//! exit status that tells the truth. No panics.

mod common;

use std::path::Path;

fn sample() -> std::path::PathBuf {
    common::repo().join("sample")
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json")).unwrap()
}

fn outcome(r: &serde_json::Value, kind: &str, outcome: &str) -> usize {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind && i["outcome"] == outcome)
        .count()
}

#[test]
fn missing_inputs_exit_3_with_a_named_path() {
    let tmp = tempfile::tempdir().unwrap();
    let o = common::run(&[
        "export",
        "--mysql-dump",
        "/nonexistent/devops.sql",
        "--jenkins-home",
        sample().join("jenkins_home").to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/nonexistent/devops.sql"), "{err}");
}

#[test]
fn wrong_master_key_fails_credentials_but_not_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    common::copy_dir(&sample().join("jenkins_home"), &home);
    std::fs::write(home.join("secrets/master.key"), "00".repeat(128)).unwrap();
    let out = tmp.path().join("o");
    let o = common::run(&[
        "export",
        "--mysql-dump",
        sample().join("devops.sql").to_str().unwrap(),
        "--jenkins-home",
        home.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = report(&out);
    assert!(outcome(&r, "credential", "Failed") >= 8, "{}", r["totals"]);
    // Pipelines still migrate; those that use a credential now need a person (it is not migrated).
    assert!(
        outcome(&r, "pipeline", "Successful") + outcome(&r, "pipeline", "Partially successful")
            >= 10,
        "pipelines still migrate: {}",
        r["totals"]
    );
    assert_eq!(
        r["credential_usage_totals"]["migrated"], 0,
        "{}",
        r["credential_usage_totals"]
    );
    let errors = r["run_errors"].to_string();
    assert!(errors.contains("master.key"), "{errors}");
    assert!(
        !out.join("resources/secrets").exists(),
        "no Secret written without values"
    );
}

#[test]
fn missing_key_files_give_placeholders_and_manual_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    common::copy_dir(&sample().join("jenkins_home"), &home);
    std::fs::remove_dir_all(home.join("secrets")).unwrap();
    let out = tmp.path().join("o");
    common::run(&[
        "export",
        "--mysql-dump",
        sample().join("devops.sql").to_str().unwrap(),
        "--jenkins-home",
        home.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = report(&out);
    assert_eq!(outcome(&r, "credential", "Failed"), 0);
    let tasks = r["manual_tasks"].as_array().unwrap();
    assert!(
        tasks
            .iter()
            .filter(|t| t["code"] == "credential.values-omitted")
            .count()
            >= 8
    );
    // A placeholder never carries the autosync annotation and keeps the username.
    let s = std::fs::read_to_string(
        out.join("resources/secrets/namespaces/project-w4znlwjlzgrb/deploy-ssh.yaml"),
    )
    .unwrap();
    assert!(!s.contains("autosync"));
    assert!(s.contains("username: Z2l0"), "{s}");
    assert!(s.contains("private_key: \"\""), "{s}");
}

#[test]
fn truncated_dump_is_reported_and_rows_before_it_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = std::fs::read_to_string(sample().join("devops.sql")).unwrap();
    let cut = dump
        .find("INSERT INTO `project_membership`")
        .expect("membership insert")
        + 60;
    let path = tmp.path().join("cut.sql");
    std::fs::write(&path, &dump[..cut]).unwrap();
    let out = tmp.path().join("o");
    let o = common::run(&[
        "assess",
        "--mysql-dump",
        path.to_str().unwrap(),
        "--jenkins-home",
        sample().join("jenkins_home").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    let r = report(&out);
    assert!(
        r["run_errors"].to_string().contains("cut.sql"),
        "{}",
        r["run_errors"]
    );
    assert!(
        outcome(&r, "project", "Successful") >= 3,
        "projects read before the cut survive"
    );
    assert!(
        !out.join("resources").exists(),
        "assess writes only the report"
    );
}

#[test]
fn selection_limits_the_projects() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    common::run(&[
        "export",
        "--sample",
        "--only",
        "workspace:beta-workspace",
        "--out",
        out.to_str().unwrap(),
    ]);
    let r = report(&out);
    let migrated: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "project" && i["outcome"] == "Successful")
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(!migrated.is_empty());
    for id in common::files(&out.join("resources/devopsprojects.devops.kubesphere.io/cluster")) {
        let text = std::fs::read_to_string(
            out.join("resources/devopsprojects.devops.kubesphere.io/cluster")
                .join(id),
        )
        .unwrap();
        assert!(
            text.contains("kubesphere.io/workspace: beta-workspace"),
            "{text}"
        );
    }
    assert!(r["items"].to_string().contains("not selected"));
}

#[test]
fn no_secret_value_in_report_or_terminal_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o = common::run(&["-vv", "export", "--sample", "--out", out.to_str().unwrap()]);
    let mut visible = String::from_utf8_lossy(&o.stdout).into_owned();
    visible.push_str(&String::from_utf8_lossy(&o.stderr));
    visible.push_str(&std::fs::read_to_string(out.join("report.md")).unwrap());
    visible.push_str(&std::fs::read_to_string(out.join("report.json")).unwrap());
    let values = ksdm_estate::sample_plaintexts();
    assert!(!values.is_empty());
    for (project, id, field, value) in values {
        if value.len() < 4 {
            continue;
        }
        for line in value.lines().filter(|l| l.len() >= 8) {
            assert!(
                !visible.contains(line),
                "value of {project}/{id}/{field} leaked"
            );
        }
        assert!(
            !visible.contains(&value),
            "value of {project}/{id}/{field} leaked"
        );
    }
}
