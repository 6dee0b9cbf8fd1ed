//! The assessment an administrator reads: credential usage (CSV and report.json), the
//! report.json schema, `--fail-on` exit codes and `--format`, all through the real binary.

mod common;

use std::path::{Path, PathBuf};

fn assess(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["assess", "--sample", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::run(&args)
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// The sample's credential usage, exactly: web-frontend uses GitHub_Token, which is not migrated.
#[test]
fn sample_credential_usage_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(assess(&out, &[]).status.code(), Some(4));
    let csv = std::fs::read_to_string(out.join("credential-usage.csv")).unwrap();
    insta::assert_snapshot!("sample_credential_usage_csv", csv);

    let report = json(out.join("report.json"));
    assert_eq!(
        report["credential_usage_totals"],
        serde_json::json!({"migrated": 6, "not-migrated": 1, "not-found": 0})
    );
    assert_eq!(
        report["credential_usage"].as_array().unwrap().len(),
        csv.lines().count() - 1
    );
    let web = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "pipeline" && i["id"] == "web-frontend")
        .expect("web-frontend reported");
    assert_eq!(web["outcome"], "Partially successful");
    assert_eq!(web["verdict"], "needs-person");
    assert!(web["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "pipeline.credential-not-migrated"
            && f["severity"] == "manual"
            && f["message"].as_str().unwrap().contains("GitHub_Token")));
    // The Markdown report says the same, under the project's display name.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("7 references: 6 migrated, 1 not migrated, 0 not found."),
        "{md}"
    );
    assert!(md.contains("### alpha-ci (workspace alpha-workspace, id project-W4zNlwJLzgRB)"));
    assert!(md.contains("| alpha-ci | `web-frontend` | `GitHub_Token` | config.xml GitHubSCMSource | not migrated |"));
}

/// A job whose inline Jenkinsfile uses every reference form, added to a copy of the sample:
/// each id is listed and resolved against the alpha-ci folder (found, not migrated, not found).
#[test]
fn jenkinsfile_references_resolve_against_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("jenkins_home");
    copy_dir(&common::repo().join("sample/jenkins_home"), &home);
    let script = "pipeline { agent any\n environment { T = credentials('sonar-token') }\n stages { stage('s') { steps {\n\
        withCredentials([usernamePassword(credentialsId: 'GitHub_Token', usernameVariable: 'U', passwordVariable: 'P')]) { sh 'true' }\n\
        withCredentials([file(credentialsId: 'release-signing', variable: 'F')]) { sh 'true' }\n\
        sshagent(['deploy-ssh']) { sh 'true' }\n\
        withCredentials([kubeconfigFile(credentialsId: 'prod-kubeconfig', variable: 'K')]) { sh 'true' }\n\
        git url: 'https://example.invalid/r.git', credentialsId: 'global-github'\n\
        checkout([$class: 'GitSCM', userRemoteConfigs: [[credentialsId: 'Sonar-Token', url: 'https://example.invalid/r.git']]])\n\
        } } } }";
    let xml = format!(
        "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job\">\n  <actions/>\n  <description/>\n  \
         <keepDependencies>false</keepDependencies>\n  <properties/>\n  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\" plugin=\"workflow-cps\">\n    \
         <script>{}</script>\n    <sandbox>true</sandbox>\n  </definition>\n  <triggers/>\n  <disabled>false</disabled>\n</flow-definition>\n",
        script.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    );
    let job = home.join("jobs/project-W4zNlwJLzgRB/jobs/uses-credentials");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(job.join("config.xml"), xml).unwrap();
    let out = tmp.path().join("out");
    let dump = common::repo().join("sample/devops.sql");
    let o = common::run(&[
        "assess",
        "--mysql-dump",
        dump.to_str().unwrap(),
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
    let report = json(out.join("report.json"));
    let rows: Vec<(String, String, String)> = report["credential_usage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["pipeline"] == "uses-credentials")
        .map(|u| {
            (
                u["credential_id"].as_str().unwrap().to_string(),
                u["referenced_in"].as_str().unwrap().to_string(),
                u["resolution"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (
            "GitHub_Token",
            "Jenkinsfile line 4: usernamePassword(credentialsId)",
            "not-migrated",
        ),
        (
            "Sonar-Token",
            "Jenkinsfile line 9: checkout(credentialsId)",
            "not-found",
        ),
        ("deploy-ssh", "Jenkinsfile line 6: sshagent", "migrated"),
        (
            "global-github",
            "Jenkinsfile line 8: git(credentialsId)",
            "not-found",
        ),
        (
            "prod-kubeconfig",
            "Jenkinsfile line 7: kubeconfigFile(credentialsId)",
            "migrated",
        ),
        (
            "release-signing",
            "Jenkinsfile line 5: file(credentialsId)",
            "not-migrated",
        ),
        (
            "sonar-token",
            "Jenkinsfile line 2: credentials()",
            "migrated",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(rows, expected);
    let item = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "uses-credentials")
        .unwrap();
    assert_eq!(item["verdict"], "needs-person");
    let codes: Vec<&str> = item["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "pipeline.credential-not-migrated")
            .count(),
        2,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "pipeline.credential-not-found")
            .count(),
        2,
        "{codes:?}"
    );
    let not_found = item["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("Sonar-Token"))
        .unwrap();
    assert!(
        not_found["message"]
            .as_str()
            .unwrap()
            .contains("\"sonar-token\""),
        "names the id that differs in case: {not_found}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// report.json of assess and export validates against the committed schema, whose version
/// matches the report's.
#[test]
fn report_json_matches_the_committed_schema() {
    let schema = json(common::repo().join("docs/report.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["assess", "export"] {
        let out = tmp.path().join(cmd);
        common::run(&[cmd, "--sample", "--out", out.to_str().unwrap()]);
        let report = json(out.join("report.json"));
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{cmd}: {errors:#?}");
        assert_eq!(
            report["schema_version"],
            schema["properties"]["schema_version"]["const"]
        );
    }
    // The schema is not vacuous: a report with a wrong verdict is refused.
    let mut bad = json(tmp.path().join("assess/report.json"));
    bad["items"][0]["verdict"] = serde_json::json!("fine");
    assert!(!validator.is_valid(&bad));
    bad = json(tmp.path().join("assess/report.json"));
    bad.as_object_mut().unwrap().remove("credential_usage");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn fail_on_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str, i32); 9] = [
        // The whole sample has a failed item: 4 whatever the threshold.
        (&[], "partial", 4),
        (&[], "failed", 4),
        // Without alpha-ci: an unsupported membership and partial items, nothing failed.
        (&["--exclude", "id:project-W4zNlwJLzgRB"], "failed", 0),
        (&["--exclude", "id:project-W4zNlwJLzgRB"], "unsupported", 6),
        (&["--exclude", "id:project-W4zNlwJLzgRB"], "partial", 6),
        // beta-services: partial items only.
        (&["--only", "id:project-qJ8xY2mR5kLp"], "unsupported", 0),
        (&["--only", "id:project-qJ8xY2mR5kLp"], "partial", 6),
        // beta-legacy: everything successful (skipped items never count).
        (&["--only", "id:project-Zx3Kd9PwQn7T"], "partial", 0),
        (&["--only", "id:project-Zx3Kd9PwQn7T"], "failed", 0),
    ];
    for (n, (select, level, code)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("o{n}"));
        let mut args: Vec<&str> = select.to_vec();
        args.extend(["--fail-on", level]);
        let o = assess(&out, &args);
        assert_eq!(
            o.status.code(),
            Some(*code),
            "{select:?} --fail-on {level}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        if *code == 6 {
            assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("--fail-on {level}")));
        }
    }
    // Without --fail-on the same partial estate exits 0.
    assert_eq!(
        assess(
            &tmp.path().join("plain"),
            &["--only", "id:project-qJ8xY2mR5kLp"]
        )
        .status
        .code(),
        Some(0)
    );
    // A bad level is a usage error.
    assert_eq!(
        assess(&tmp.path().join("bad"), &["--fail-on", "warning"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn format_chooses_the_report_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("json-only");
    assess(&out, &["--format", "json"]);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["credential-usage.csv", "report.json"]);
    let out = tmp.path().join("md-html");
    assess(&out, &["--format", "md,html"]);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["credential-usage.csv", "report.html", "report.md"]);
    assert_eq!(
        assess(&tmp.path().join("x"), &["--format", "pdf"])
            .status
            .code(),
        Some(2)
    );
}
