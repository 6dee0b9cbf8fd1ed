//! Fault handling: 409, 429 with Retry-After, 500, dropped connections, truncated answers, slow
//! responses, and a crash mid-run followed by a resume.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ksdm_apply::{
    apply_plan, Action, ExistingPolicy, Journal, Plan, Progress, ProjectStatus, SsaMode,
};
use ksdm_test_apiserver::{FaultAction, FaultRule};
use serde_json::json;

fn tree() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());
    let plan = Plan::from_tree(dir.path()).unwrap();
    (dir, plan)
}

fn clean_summary() -> String {
    format!("{STANDARD_OBJECTS} created, 0 updated, 0 unchanged, 0 conflicts, 0 failed")
}

#[tokio::test]
async fn transient_faults_are_retried_until_the_run_succeeds() {
    let server = start().await;
    let faults = server.faults();
    let too_many = faults.add(
        FaultRule::new(
            Some("POST"),
            "/namespaces/p1/secrets",
            FaultAction::Status(429),
        )
        .times(2),
    );
    let internal =
        faults.add(FaultRule::new(Some("POST"), "/pipelines", FaultAction::Status(500)).times(2));
    let dropped = faults
        .add(FaultRule::new(Some("POST"), "/rolebindings", FaultAction::DropConnection).times(2));
    let unavailable = faults
        .add(FaultRule::new(Some("GET"), "/devopsprojects/p2", FaultAction::Status(503)).times(2));
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let started = Instant::now();
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;
    assert_eq!(report.summary_line(), clean_summary(), "{report:#?}");
    for id in [too_many, internal, dropped, unavailable] {
        assert_eq!(faults.fired(id), 2);
    }
    // 429 carries Retry-After: 1, capped at 300 ms by the test policy: two waits in a row for p1.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_lost_create_answer_does_not_duplicate_or_fail() {
    let server = start().await;
    // The server creates the Secret, then the answer is cut off: the retried POST finds it.
    let truncated = server.faults().add(
        FaultRule::new(
            Some("POST"),
            "/namespaces/p1/secrets",
            FaultAction::TruncateBody,
        )
        .times(1),
    );
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;
    assert_eq!(server.faults().fired(truncated), 1);
    assert_eq!(report.summary_line(), clean_summary(), "{report:#?}");
    let secrets = server
        .snapshot()
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("secrets/p1/"))
        .count();
    assert_eq!(secrets, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_persistent_fault_fails_that_object_alone() {
    let server = start().await;
    server.faults().add(FaultRule::new(
        Some("POST"),
        "/namespaces/p1/pipelines",
        FaultAction::Status(500),
    ));
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;
    assert_eq!(report.failed, 2, "{report:#?}");
    assert_eq!(report.created, STANDARD_OBJECTS - 2);
    let failed: Vec<_> = report
        .with_action(Action::Failed)
        .map(|o| o.key.as_str())
        .collect();
    assert_eq!(failed, vec!["Pipeline/p1/build", "Pipeline/p1/mb"]);
    assert!(report
        .with_action(Action::Failed)
        .all(|o| o.message.contains("500")));
    let p1 = report
        .per_project
        .iter()
        .find(|p| p.project == "p1")
        .unwrap();
    assert_eq!(p1.status, ProjectStatus::Partial);
    assert!(
        server
            .get_object(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                Some("p1"),
                "alice-operator"
            )
            .is_some(),
        "later objects still applied"
    );
    assert!(!report.is_success());
    server.shutdown().await;
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let server = start().await;
    let slow = server.faults().add(
        FaultRule::new(
            Some("GET"),
            "/secrets/git-cred",
            FaultAction::Delay(Duration::from_millis(800)),
        )
        .times(1),
    );
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let mut opts = options("run-1");
    opts.retry.request_timeout = Duration::from_millis(300);
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert_eq!(server.faults().fired(slow), 1);
    assert_eq!(report.summary_line(), clean_summary(), "{report:#?}");
    server.shutdown().await;
}

#[tokio::test]
async fn replace_conflicts_are_retried_a_bounded_number_of_times() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;
    let mut build = server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("p1"),
            "build",
        )
        .unwrap();
    build["spec"]["pipeline"]["jenkinsfile"] = json!("edited\n");
    build["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    server.delete_object(
        "devops.kubesphere.io/v1alpha3",
        "Pipeline",
        Some("p1"),
        "build",
    );
    server.insert_object(build).unwrap();
    let conflict = server
        .faults()
        .add(FaultRule::new(Some("PUT"), "/pipelines/build", FaultAction::Status(409)).times(2));
    let mut opts = options("run-2");
    opts.existing = ExistingPolicy::Update;
    opts.ssa = SsaMode::Never;
    let report = bounded(
        "update",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert_eq!(server.faults().fired(conflict), 2);
    assert_eq!(report.updated, 1, "{report:#?}");

    // Always conflicting: fails after the bounded attempts, the run goes on.
    let mut build = server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("p1"),
            "build",
        )
        .unwrap();
    build["spec"]["pipeline"]["jenkinsfile"] = json!("edited again\n");
    build["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    server.delete_object(
        "devops.kubesphere.io/v1alpha3",
        "Pipeline",
        Some("p1"),
        "build",
    );
    server.insert_object(build).unwrap();
    server.faults().add(FaultRule::new(
        Some("PUT"),
        "/pipelines/build",
        FaultAction::Status(409),
    ));
    opts.conflict_retries = 3;
    let report = bounded(
        "update",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    let b = report
        .per_object
        .iter()
        .find(|o| o.key == "Pipeline/p1/build")
        .unwrap();
    assert_eq!(b.action, Action::Failed);
    assert!(
        b.message.contains("still conflicting after 3 attempts"),
        "{}",
        b.message
    );
    assert_eq!(report.failed, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn crash_mid_run_then_resume_reaches_the_clean_state() {
    // Reference: a clean run on its own server.
    let reference = start().await;
    let (_d, plan) = tree();
    let r = bounded(
        "clean",
        apply_plan(
            &client(&reference).await,
            &plan,
            &options("clean"),
            None,
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!(r.summary_line(), clean_summary());
    let want = normalized(&reference);
    reference.shutdown().await;

    for crash_after in [1u64, 4, 7] {
        let server = start().await;
        let client = client(&server).await;
        let (dir, plan) = tree();
        let journal_path = dir.path().join("journal.jsonl");
        server.faults().crash_after_writes(crash_after);
        let mut opts = options("crashed");
        opts.namespace_wait.timeout = Duration::from_millis(400);
        let journal = Journal::open(&journal_path).unwrap();
        let crashed = bounded(
            "crashing run",
            apply_plan(&client, &plan, &opts, Some(&journal), &Progress::none()),
        )
        .await;
        drop(journal);
        assert!(
            !crashed.is_success(),
            "crash after {crash_after} writes: {crashed:#?}"
        );
        assert!(crashed.created < STANDARD_OBJECTS);

        // "The server is back": the user reruns with the same journal.
        server.faults().clear_crash();
        let journal = Journal::open(&journal_path).unwrap();
        assert!(journal.earlier_entries() > 0);
        let resumed = bounded(
            "resume",
            apply_plan(
                &client,
                &plan,
                &options("resumed"),
                Some(&journal),
                &Progress::none(),
            ),
        )
        .await;
        assert!(
            resumed.is_success(),
            "crash after {crash_after}: {resumed:#?}"
        );
        assert_eq!(
            resumed.created + resumed.unchanged,
            STANDARD_OBJECTS,
            "{resumed:#?}"
        );
        assert_eq!(resumed.updated, 0);
        assert_eq!(
            normalized(&server),
            want,
            "crash after {crash_after} writes"
        );
        // Secret data never overwritten, nothing duplicated.
        assert_eq!(
            server
                .get_object("v1", "Secret", Some("p1"), "git-cred")
                .unwrap()["data"]["password"],
            json!(b64("s3cret-pass"))
        );

        // And a second rerun is a no-op.
        server.clear_requests();
        let again = bounded(
            "rerun",
            apply_plan(
                &client,
                &plan,
                &options("again"),
                Some(&journal),
                &Progress::none(),
            ),
        )
        .await;
        assert_eq!(
            again.summary_line(),
            format!("0 created, 0 updated, {STANDARD_OBJECTS} unchanged, 0 conflicts, 0 failed")
        );
        assert_eq!(writes(&server), 0);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_killed_run_resumes_where_it_stopped() {
    let server = start().await;
    // Every POST is slow, so the run is still busy when it is killed.
    server.faults().add(FaultRule::new(
        Some("POST"),
        "",
        FaultAction::Delay(Duration::from_millis(60)),
    ));
    let client = client(&server).await;
    let (dir, plan) = tree();
    let journal_path = dir.path().join("journal.jsonl");
    let journal = Journal::open(&journal_path).unwrap();
    let killed = tokio::time::timeout(
        Duration::from_millis(450),
        apply_plan(
            &client,
            &plan,
            &options("killed"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert!(
        killed.is_err(),
        "the run must still be running when it is killed"
    );
    drop(journal);
    let done_before = std::fs::read_to_string(&journal_path)
        .unwrap()
        .lines()
        .count();
    assert!(
        done_before > 0 && done_before < STANDARD_OBJECTS,
        "{done_before}"
    );
    server.faults().clear();
    let journal = Journal::open(&journal_path).unwrap();
    let resumed = bounded(
        "resume",
        apply_plan(
            &client,
            &plan,
            &options("resumed"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert!(resumed.is_success(), "{resumed:#?}");
    assert_eq!(resumed.created + resumed.unchanged, STANDARD_OBJECTS);
    assert!(
        resumed.unchanged >= done_before,
        "journaled objects are not written again"
    );
    let objects = normalized(&server);
    let count = objects
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("namespaces/"))
        .count();
    assert_eq!(count, STANDARD_OBJECTS);
    server.shutdown().await;
}
