//! `migrate --repair-jenkins-jobs` against a live Jenkins (the test double) and the test API
//! server: after the backup, the repaired `config.xml` of a held-back job is posted to Jenkins
//! (with auth and crumb), the Pipeline is migrated from it, the backup keeps the original, and
//! the simulated v3.0 pipeline controller never crashes. Without the flag the job stays held
//! back; the flag without `--jenkins-url` is a usage error.

mod cluster_support;
mod common;

use std::path::Path;
use std::time::Duration;

use cluster_support::*;
use ksdm_test_jenkins::{DoubleConfig, FaultAction, FaultRule, JenkinsDouble};

const PROJECT: &str = "project-W4zNlwJLzgRB";
const NS: &str = "project-w4znlwjlzgrb";
const JOB: &str = "no-description";

/// A plain pipeline job as Jenkins saves it when nobody typed a description: v3.0.0's parser
/// panics on it.
const NO_DESCRIPTION: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.40\">\n  <actions/>\n  <keepDependencies>false</keepDependencies>\n  <properties/>\n  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\" plugin=\"workflow-cps@2.80\">\n    <script>node { echo 'hi' }</script>\n    <sandbox>true</sandbox>\n  </definition>\n  <triggers/>\n  <disabled>false</disabled>\n</flow-definition>";

/// A Jenkins home (the sample plus the job v3.0 cannot parse) served by the double, and an API
/// server whose pipeline controller parses jobs from that same home.
async fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    JenkinsDouble,
    Harness,
) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("jenkins_home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &home);
    let job = home.join(format!("jobs/{PROJECT}/jobs/{JOB}"));
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(job.join("config.xml"), NO_DESCRIPTION).unwrap();
    let double = JenkinsDouble::start(DoubleConfig::new(&home)).expect("Jenkins double");
    std::fs::write(tmp.path().join("token"), format!("{}\n", double.token())).unwrap();
    let opts = default_options()
        .with_workspaces(&["alpha-workspace", "beta-workspace"])
        .with_jenkins_home(&home);
    let h = Harness::start(opts).await;
    (tmp, home, double, h)
}

async fn migrate(
    h: &Harness,
    tmp: &Path,
    double: &JenkinsDouble,
    extra: &[&str],
) -> std::process::Output {
    let dump = common::repo().join("sample/devops.sql");
    let token = tmp.join("token");
    let url = double.url();
    let mut args = vec![
        "migrate",
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--jenkins-url",
        &url,
        "--jenkins-user",
        double.user(),
        "--jenkins-token-file",
        token.to_str().unwrap(),
        "--only",
        "id:project-W4zNlwJLzgRB",
        "--insecure-plaintext-backup",
        "--kubeconfig",
    ];
    let kc = h.kc();
    args.push(&kc);
    args.extend_from_slice(extra);
    h.run(&args).await
}

fn pipeline(h: &Harness) -> Option<serde_json::Value> {
    h.server
        .get_object("devops.kubesphere.io/v1alpha3", "Pipeline", Some(NS), JOB)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_job_stays_held_back() {
    let (tmp, home, double, h) = setup().await;
    let o = migrate(&h, tmp.path(), &double, &[]).await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    assert!(!texts(&o).0.contains("POST /job/"), "{}", show(&o));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.server.controller_restarts(), 0);
    assert!(pipeline(&h).is_none());
    assert_eq!(
        std::fs::read_to_string(home.join(format!("jobs/{PROJECT}/jobs/{JOB}/config.xml")))
            .unwrap(),
        NO_DESCRIPTION
    );
    assert!(h
        .out()
        .join(format!(
            "jenkins-repairs/jobs/{PROJECT}/jobs/{JOB}/config.xml"
        ))
        .is_file());
    double.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repaired_job_is_posted_after_the_backup_and_migrated() {
    let (tmp, home, double, h) = setup().await;
    let o = migrate(&h, tmp.path(), &double, &["--repair-jenkins-jobs"]).await;
    let (stdout, _) = texts(&o);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(4),
        "{}",
        show(&o)
    );
    let post_line = format!("POST /job/{PROJECT}/job/{JOB}/config.xml: repaired config.xml posted");
    assert!(stdout.contains(&post_line), "{stdout}");
    // The backup line comes before the POST.
    let backup_at = stdout.find("backup ").expect("backup line");
    assert!(backup_at < stdout.find(&post_line).unwrap(), "{stdout}");

    // Jenkins (the double) now holds the repaired file, and serves it.
    let served =
        std::fs::read_to_string(home.join(format!("jobs/{PROJECT}/jobs/{JOB}/config.xml")))
            .unwrap();
    assert_eq!(
        served,
        NO_DESCRIPTION.replace(
            "  <actions/>\n",
            "  <description></description>\n  <actions/>\n"
        )
    );

    // The Pipeline exists; the simulated controller parsed it without crashing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.server.controller_restarts(),
        0,
        "events: {:?}",
        h.server.controller_events()
    );
    assert!(pipeline(&h).is_some(), "{}", show(&o));

    // The report and the apply report list the POST; the job is no longer failed.
    let report = std::fs::read_to_string(h.out().join("report.json")).unwrap();
    assert!(report.contains(&post_line), "{report}");
    let apply = std::fs::read_to_string(h.out().join("apply.md")).unwrap();
    assert!(apply.contains(&post_line), "{apply}");
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let item = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "pipeline" && i["id"] == JOB)
        .unwrap();
    assert_ne!(item["outcome"], "Failed", "{item}");

    // The backup holds the original file, restorable.
    let run = h.only_run();
    let jf = h
        .run(&["restore", &run, "--jenkins-files", "restored-jenkins"])
        .await;
    assert_eq!(jf.status.code(), Some(0), "{}", show(&jf));
    let restored = h.path().join("restored-jenkins");
    let original = common::files(&restored)
        .into_iter()
        .find(|f| f.ends_with(format!("{JOB}/config.xml")))
        .unwrap_or_else(|| panic!("{:?}", common::files(&restored)));
    assert_eq!(
        std::fs::read_to_string(restored.join(original)).unwrap(),
        NO_DESCRIPTION
    );
    double.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_post_keeps_only_that_job_held_back() {
    let (tmp, home, double, h) = setup().await;
    let other = "refused-job";
    let dir = home.join(format!("jobs/{PROJECT}/jobs/{other}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.xml"), NO_DESCRIPTION).unwrap();
    let rule = double.faults().add(
        FaultRule::path_contains(&format!("{other}/config.xml"), FaultAction::Status(403))
            .method("POST"),
    );
    let o = migrate(&h, tmp.path(), &double, &["--repair-jenkins-jobs"]).await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    assert!(double.faults().fired(rule) >= 1);
    let (stdout, _) = texts(&o);
    assert!(
        stdout.contains(&format!(
            "POST /job/{PROJECT}/job/{other}/config.xml: FAILED"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!(
        "POST /job/{PROJECT}/job/{JOB}/config.xml: repaired config.xml posted"
    )));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.server.controller_restarts(), 0);
    // The accepted one is migrated; the refused one is unchanged in Jenkins and held back.
    assert!(pipeline(&h).is_some());
    assert!(h
        .server
        .get_object("devops.kubesphere.io/v1alpha3", "Pipeline", Some(NS), other)
        .is_none());
    assert_eq!(
        std::fs::read_to_string(dir.join("config.xml")).unwrap(),
        NO_DESCRIPTION
    );
    assert!(h
        .out()
        .join(format!(
            "jenkins-repairs/jobs/{PROJECT}/jobs/{other}/config.xml"
        ))
        .is_file());
    double.shutdown();
}

#[test]
fn the_flag_needs_a_live_jenkins() {
    let dump = common::repo().join("sample/devops.sql");
    let home = common::repo().join("sample/jenkins_home");
    let o = common::run(&[
        "migrate",
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--jenkins-home",
        home.to_str().unwrap(),
        "--repair-jenkins-jobs",
        "--no-apply",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--jenkins-url"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
