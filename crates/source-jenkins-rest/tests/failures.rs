//! Auth, crumbs and injected faults: each failure names the item and stays with it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ksdm_model::Plaintext;
use ksdm_source_jenkins_rest::{JenkinsClient, JenkinsError};
use ksdm_test_jenkins::{FaultAction, FaultRule};

fn names_ok(results: &[Result<ksdm_model::v21::JenkinsFolder, JenkinsError>]) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f.name.clone())
        .collect()
}

#[tokio::test]
async fn wrong_token_is_a_clear_401_naming_the_url_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let mut opts = options(&double);
    opts.token = Some(Plaintext::from_string("wrong-Secret-Token-123".into()));
    let client = JenkinsClient::new(opts).unwrap();
    let err = client.folder_names().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let msg = err.to_string();
    assert!(
        msg.contains("401") && msg.contains(&double.url()) && msg.contains("admin"),
        "{msg}"
    );
    assert!(
        !msg.contains("wrong-Secret-Token-123")
            && !format!("{err:?}").contains("wrong-Secret-Token-123")
    );
    assert!(!msg.contains(double.token()));
    // The listing fails once, as a single error, without retries.
    let results = read_all(&client).await;
    assert_eq!(results.len(), 1);
    assert!(matches!(results[0], Err(JenkinsError::Unauthorized { .. })));
    assert_eq!(double.stats().count("/api/json"), 2);
}

#[tokio::test]
async fn missing_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let mut opts = options(&double);
    opts.token = None;
    let err = JenkinsClient::new(opts)
        .unwrap()
        .folder_names()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    assert!(
        err.to_string().contains("top-level Jenkins item list"),
        "{err}"
    );
}

#[tokio::test]
async fn forbidden_folder_fails_only_that_item() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double
        .faults()
        .add(FaultRule::folder(PROJECT_B, FaultAction::Status(403)));
    let results = read_all(&client(&double)).await;
    assert_eq!(results.len(), 5);
    assert_eq!(
        names_ok(&results),
        ["init-job", PROJECT_A, PROJECT_C, "top-multibranch"].map(String::from)
    );
    let err = results[index_of(dir.path(), PROJECT_B)]
        .as_ref()
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let msg = err.to_string();
    assert!(msg.contains(PROJECT_B) && msg.contains("403"), "{msg}");
    assert!(
        msg.contains("job/project%20%C3%BCn%C3%AF_2/config.xml"),
        "{msg}"
    );
    // 4xx is not retried.
    assert_eq!(
        double
            .stats()
            .count(&format!("/job/{PROJECT_B}/config.xml")),
        1
    );
}

#[tokio::test]
async fn forbidden_folder_config_keeps_credential_metadata() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double.faults().add(FaultRule::path_contains(
        &format!("/job/{PROJECT_A}/config.xml"),
        FaultAction::Status(403),
    ));
    let results = read_all(&client(&double)).await;
    let err = results[index_of(dir.path(), PROJECT_A)]
        .as_ref()
        .unwrap_err();
    let JenkinsError::FolderConfigForbidden {
        item, credentials, ..
    } = err
    else {
        panic!("unexpected {err}")
    };
    assert!(item.contains(PROJECT_A));
    let ids: Vec<&str> = credentials.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "github-id",
            "ssh.Key_1",
            "ssh-nopass",
            "sonar token",
            "kubeconfig",
            "a-file"
        ]
    );
    assert_eq!(credentials[0].type_name, "Username with password");
    assert!(credentials.iter().all(|c| c.domain == "_"));
    assert!(err.to_string().contains("6 credential(s)"), "{err}");
    assert_eq!(names_ok(&results).len(), 4);
}

#[tokio::test]
async fn credential_metadata_lists_the_global_domain_only() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let creds = client(&double)
        .credential_metadata(PROJECT_B)
        .await
        .unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(
        (creds[0].id.as_str(), creds[0].type_name.as_str()),
        ("token", "Secret text")
    );
    let err = client(&double)
        .credential_metadata("init-job")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let rule = double
        .faults()
        .add(FaultRule::folder(PROJECT_A, FaultAction::Status(500)).times(2));
    let root = double
        .faults()
        .add(FaultRule::path_contains("/api/json?tree", FaultAction::Status(503)).times(1));
    let online: Vec<_> = read_all(&client(&double))
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("retried");
    assert_eq!(online, offline(dir.path()));
    assert_eq!(double.faults().fired(rule), 2);
    assert_eq!(double.faults().fired(root), 1);
}

#[tokio::test]
async fn persistent_server_error_on_a_job_fails_that_job_after_bounded_retries() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let rule = double.faults().add(FaultRule::path_contains(
        "pipeline-1/config.xml",
        FaultAction::Status(500),
    ));
    let results = read_all(&client(&double)).await;
    // One job that keeps failing fails that job only: the folder and its other jobs are read.
    let folder = results[index_of(dir.path(), PROJECT_A)]
        .as_ref()
        .expect("the folder is read");
    let (_, msg) = folder
        .unreadable_jobs
        .iter()
        .find(|(job, _)| job == "pipeline-1")
        .expect("pipeline-1 is unreadable");
    assert!(
        msg.contains(&format!("{PROJECT_A}/pipeline-1"))
            && msg.contains("HTTP 500")
            && msg.contains("after 3 attempts"),
        "{msg}"
    );
    assert!(!folder.jobs.iter().any(|(job, _)| job == "pipeline-1"));
    assert!(!folder.jobs.is_empty(), "the folder's other jobs are read");
    assert_eq!(double.faults().fired(rule), 3, "1 try + 2 retries");
    assert_eq!(names_ok(&results).len(), 5);
}

#[tokio::test]
async fn slow_answer_beyond_the_timeout_fails_the_item_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double.faults().add(FaultRule::folder(
        PROJECT_C,
        FaultAction::Delay(Duration::from_secs(30)),
    ));
    let mut opts = options(&double);
    opts.timeout = Duration::from_millis(300);
    opts.retries = 1;
    let client = JenkinsClient::new(opts).unwrap();
    let started = Instant::now();
    let results = read_all(&client).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let err = results[index_of(dir.path(), PROJECT_C)]
        .as_ref()
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().contains(PROJECT_C), "{err}");
    assert_eq!(names_ok(&results).len(), 4);
}

#[tokio::test]
async fn truncated_body_is_an_item_error() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double.faults().add(FaultRule::path_contains(
        &format!("/job/{PROJECT_A}/config.xml"),
        FaultAction::TruncateBody,
    ));
    let results = read_all(&client(&double)).await;
    let err = results[index_of(dir.path(), PROJECT_A)]
        .as_ref()
        .unwrap_err();
    assert!(matches!(err, JenkinsError::Transport { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(PROJECT_A) && msg.contains("after 3 attempt"),
        "{msg}"
    );
    assert!(
        msg.contains("body broke off"),
        "the headers arrived, the body did not: {msg}"
    );
    assert_eq!(names_ok(&results).len(), 4);
}

#[tokio::test]
async fn truncated_body_once_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double
        .faults()
        .add(FaultRule::path_contains("/config.xml", FaultAction::TruncateBody).times(1));
    double
        .faults()
        .add(FaultRule::path_contains("/config.xml", FaultAction::DropConnection).times(1));
    let online: Vec<_> = read_all(&client(&double))
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("retried");
    assert_eq!(online, offline(dir.path()));
}

#[tokio::test]
async fn dropped_connections_fail_the_item_after_retries() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let rule = double
        .faults()
        .add(FaultRule::folder("init-job", FaultAction::DropConnection));
    let results = read_all(&client(&double)).await;
    let err = results[0].as_ref().unwrap_err();
    assert!(matches!(err, JenkinsError::Transport { .. }), "{err}");
    assert!(err.to_string().contains("init-job"), "{err}");
    assert_eq!(double.faults().fired(rule), 3);
    assert_eq!(names_ok(&results).len(), 4);
}

#[tokio::test]
async fn unreachable_jenkins_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let mut opts = ksdm_source_jenkins_rest::JenkinsOptions::new(&url, "admin").unwrap();
    opts.retries = 1;
    opts.backoff_base = Duration::from_millis(5);
    opts.timeout = Duration::from_secs(2);
    let err = JenkinsClient::new(opts)
        .unwrap()
        .folder_names()
        .await
        .unwrap_err();
    assert!(
        matches!(err, JenkinsError::Transport { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&url), "{err}");
}
