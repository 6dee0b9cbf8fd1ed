//! Apply runs against the Kubernetes API test double: order, idempotence, non-destructiveness,
//! dry run, SSA on/off, timeouts, rights.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ksdm_apply::{
    apply_plan, Action, ApplyEvent, ExistingPolicy, Journal, Plan, Progress, ProjectStatus,
    SsaMode, RUN_ID_LABEL, VERSION_ANNOTATION,
};
use ksdm_test_apiserver::ServerOptions;
use serde_json::{json, Value};

fn tree() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());
    let plan = Plan::from_tree(dir.path()).unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    (dir, plan)
}

fn position(
    server_requests: &[ksdm_test_apiserver::RequestRecord],
    method: &str,
    path: &str,
) -> usize {
    server_requests
        .iter()
        .position(|r| {
            r.method == method && r.path.starts_with(path) && (200..300).contains(&r.status)
        })
        .unwrap_or_else(|| panic!("no successful {method} {path}"))
}

#[tokio::test]
async fn clean_run_creates_everything_in_order_then_rerun_changes_nothing() {
    let server = start().await;
    let client = client(&server).await;
    let (dir, plan) = tree();
    let journal_path = dir.path().join("journal.jsonl");
    let journal = Journal::open(&journal_path).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = bounded(
        "first run",
        apply_plan(
            &client,
            &plan,
            &options("run-1"),
            Some(&journal),
            &Progress::channel(tx),
        ),
    )
    .await;
    assert_eq!(
        report.summary_line(),
        format!("{STANDARD_OBJECTS} created, 0 updated, 0 unchanged, 0 conflicts, 0 failed"),
        "{report:#?}"
    );
    assert!(report.is_success());
    assert!(report
        .per_project
        .iter()
        .all(|p| p.status == ProjectStatus::Done));
    assert!(report.server_side_apply, "v1.18 supports server-side apply");

    // Order within p1: DevOpsProject → (namespace appears) → Secrets → Pipelines → RoleBindings.
    let reqs = server.requests();
    let project = position(
        &reqs,
        "POST",
        "/apis/devops.kubesphere.io/v1alpha3/devopsprojects",
    );
    let secret = position(&reqs, "POST", "/api/v1/namespaces/p1/secrets");
    let pipeline = position(
        &reqs,
        "POST",
        "/apis/devops.kubesphere.io/v1alpha3/namespaces/p1/pipelines",
    );
    let binding = position(
        &reqs,
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/p1/rolebindings",
    );
    assert!(
        project < secret && secret < pipeline && pipeline < binding,
        "{project} {secret} {pipeline} {binding}"
    );

    // Provenance everywhere; the autosync annotation never written; finalizers not sent.
    let token = server
        .get_object("v1", "Secret", Some("p1"), "token")
        .unwrap();
    assert_eq!(token["metadata"]["labels"][RUN_ID_LABEL], "run-1");
    assert_eq!(
        token["metadata"]["annotations"][VERSION_ANNOTATION],
        "0.1.0-test"
    );
    assert!(token["metadata"]["annotations"]
        .get("credential.devops.kubesphere.io/autosync")
        .is_none());
    let token_result = report
        .per_object
        .iter()
        .find(|o| o.key == "Secret/p1/token")
        .unwrap();
    assert!(
        token_result.message.contains("autosync"),
        "{}",
        token_result.message
    );
    let build = server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("p1"),
            "build",
        )
        .unwrap();
    assert_eq!(
        build["spec"]["pipeline"]["jenkinsfile"],
        "pipeline {\n  agent any\n  // null is kept\n}\n"
    );
    assert_eq!(build["metadata"]["labels"][RUN_ID_LABEL], "run-1");

    // Progress events arrived.
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    assert!(matches!(
        events.first(),
        Some(ApplyEvent::RunStarted {
            projects: 2,
            objects: STANDARD_OBJECTS
        })
    ));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ApplyEvent::ObjectDone { .. }))
            .count(),
        STANDARD_OBJECTS
    );

    // Rights: every binding is a new grant.
    assert_eq!(report.rights.len(), 3);
    assert!(report.rights.iter().all(|r| r.widening));

    // Rerun with the journal: nothing written, quick path.
    let before = normalized(&server);
    server.clear_requests();
    let journal = Journal::open(&journal_path).unwrap();
    let rerun = bounded(
        "rerun",
        apply_plan(
            &client,
            &plan,
            &options("run-2"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!(
        rerun.summary_line(),
        format!("0 created, 0 updated, {STANDARD_OBJECTS} unchanged, 0 conflicts, 0 failed")
    );
    assert_eq!(writes(&server), 0, "{:?}", server.verb_counts());
    assert!(
        rerun
            .per_object
            .iter()
            .any(|o| o.message.starts_with("unchanged since run run-1")),
        "{rerun:#?}"
    );
    assert_eq!(normalized(&server), before);

    // Rerun without any journal: still a no-op (the comparison decides).
    let rerun = bounded(
        "rerun without journal",
        apply_plan(&client, &plan, &options("run-3"), None, &Progress::none()),
    )
    .await;
    assert_eq!(rerun.created + rerun.updated, 0);
    assert_eq!(writes(&server), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn dry_run_writes_nothing_and_shows_diffs() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let mut opts = options("dry");
    opts.dry_run = true;
    let before = server.snapshot();
    let report = bounded(
        "dry run",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert_eq!(report.created, STANDARD_OBJECTS, "{report:#?}");
    assert!(report.dry_run);
    assert_eq!(writes(&server), 0);
    assert_eq!(server.snapshot(), before);
    let build = report
        .per_object
        .iter()
        .find(|o| o.key == "Pipeline/p1/build")
        .unwrap();
    assert!(
        build.diff.as_deref().unwrap().contains("+    jenkinsfile:"),
        "{:?}",
        build.diff
    );
    let secret = report
        .per_object
        .iter()
        .find(|o| o.key == "Secret/p1/git-cred")
        .unwrap();
    assert!(
        !secret
            .diff
            .as_deref()
            .unwrap()
            .contains(&b64("s3cret-pass")),
        "secret values never show"
    );

    // After a real run, a changed pipeline is planned as conflict (default) or update.
    bounded(
        "apply",
        apply_plan(&client, &plan, &options("real"), None, &Progress::none()),
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
    build["spec"]["pipeline"]["jenkinsfile"] = json!("edited in the cluster\n");
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
    server.clear_requests();
    let plan_keep = bounded(
        "plan",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    let b = plan_keep
        .per_object
        .iter()
        .find(|o| o.key == "Pipeline/p1/build")
        .unwrap();
    assert_eq!(b.action, Action::Conflict);
    // No journal knows the object, but it carries our run-id label: ours from run "real".
    assert!(
        b.message.starts_with("ours from run real ") && b.message.contains("left alone"),
        "{}",
        b.message
    );
    assert!(
        b.diff
            .as_deref()
            .unwrap()
            .contains("-      edited in the cluster\n+      pipeline {"),
        "{:?}",
        b.diff
    );
    let mut upd = opts.clone();
    upd.existing = ExistingPolicy::Update;
    let plan_update = bounded(
        "plan update",
        apply_plan(&client, &plan, &upd, None, &Progress::none()),
    )
    .await;
    assert_eq!(
        plan_update.summary_line(),
        format!(
            "0 created, 1 updated, {} unchanged, 0 conflicts, 0 failed",
            STANDARD_OBJECTS - 1
        )
    );
    assert_eq!(writes(&server), 0);
    assert!(plan_update.to_markdown().contains("```diff"));

    // The same object without our label is someone else's: a plain conflict.
    let mut foreign = server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("p1"),
            "build",
        )
        .unwrap();
    let meta = foreign["metadata"].as_object_mut().unwrap();
    meta.remove("resourceVersion");
    meta.remove("labels");
    server.delete_object(
        "devops.kubesphere.io/v1alpha3",
        "Pipeline",
        Some("p1"),
        "build",
    );
    server.insert_object(foreign).unwrap();
    let plan_foreign = bounded(
        "plan foreign",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    let b = plan_foreign
        .per_object
        .iter()
        .find(|o| o.key == "Pipeline/p1/build")
        .unwrap();
    assert_eq!(b.action, Action::Conflict);
    assert!(b.message.starts_with("exists and differs"), "{}", b.message);
    server.shutdown().await;
}

#[tokio::test]
async fn user_edited_secrets_are_never_overwritten() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;

    // "The user" re-enters both credentials in the console: new data and the autosync annotation.
    for name in ["git-cred", "token"] {
        let mut s = server.get_object("v1", "Secret", Some("p1"), name).unwrap();
        let key = if name == "token" {
            "secret"
        } else {
            "password"
        };
        s["data"][key] = json!(b64("entered-by-user"));
        s["metadata"]["annotations"]["credential.devops.kubesphere.io/autosync"] = json!("true");
        s["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("resourceVersion");
        server.delete_object("v1", "Secret", Some("p1"), name);
        server.insert_object(s).unwrap();
    }
    let edited = normalized(&server);

    // Default policy: the real-valued Secret is a conflict, the placeholder one is unchanged.
    let r = bounded(
        "rerun",
        apply_plan(&client, &plan, &options("run-2"), None, &Progress::none()),
    )
    .await;
    let git = r
        .per_object
        .iter()
        .find(|o| o.key == "Secret/p1/git-cred")
        .unwrap();
    assert_eq!(git.action, Action::Conflict, "{git:?}");
    let token = r
        .per_object
        .iter()
        .find(|o| o.key == "Secret/p1/token")
        .unwrap();
    assert_eq!(token.action, Action::Unchanged, "{token:?}");
    assert!(token.message.contains("placeholder"), "{}", token.message);

    // Even --existing=update --overwrite-secret-data never writes placeholder data; without
    // --overwrite-secret-data real data is kept as well.
    let mut upd = options("run-3");
    upd.existing = ExistingPolicy::Update;
    let r = bounded(
        "update run",
        apply_plan(&client, &plan, &upd, None, &Progress::none()),
    )
    .await;
    assert_eq!(
        r.per_object
            .iter()
            .find(|o| o.key == "Secret/p1/git-cred")
            .unwrap()
            .action,
        Action::Conflict
    );
    upd.overwrite_secret_data = true;
    let r = bounded(
        "overwrite run",
        apply_plan(&client, &plan, &upd, None, &Progress::none()),
    )
    .await;
    let token = r
        .per_object
        .iter()
        .find(|o| o.key == "Secret/p1/token")
        .unwrap();
    assert_eq!(token.action, Action::Unchanged);
    assert!(
        token.message.contains("even with overwrite"),
        "{}",
        token.message
    );
    let after_token = server
        .get_object("v1", "Secret", Some("p1"), "token")
        .unwrap();
    assert_eq!(after_token["data"]["secret"], json!(b64("entered-by-user")));
    assert_eq!(
        after_token["metadata"]["annotations"]["credential.devops.kubesphere.io/autosync"], "true",
        "the user's annotation stays"
    );
    assert_eq!(edited["secrets/p1/token"]["data"], after_token["data"]);
    // With explicit permission the real-valued Secret is overwritten (and keeps the user's annotation).
    let git = server
        .get_object("v1", "Secret", Some("p1"), "git-cred")
        .unwrap();
    assert_eq!(git["data"]["password"], json!(b64("s3cret-pass")));
    assert_eq!(
        git["metadata"]["annotations"]["credential.devops.kubesphere.io/autosync"],
        "true"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_project_whose_namespace_never_appears_fails_alone_within_the_timeout() {
    let server = start().await;
    // A same-name Namespace without the devopsproject label: the controller would refuse to adopt
    // it and never set status.adminNamespace for p2; the run finds it up front, without waiting.
    server
        .insert_object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "p2"}}))
        .unwrap();
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let mut opts = options("run-1");
    opts.namespace_wait.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let p1 = report
        .per_project
        .iter()
        .find(|p| p.project == "p1")
        .unwrap();
    let p2 = report
        .per_project
        .iter()
        .find(|p| p.project == "p2")
        .unwrap();
    assert_eq!(p1.status, ProjectStatus::Done);
    assert_eq!(p2.status, ProjectStatus::Failed);
    assert!(
        p2.message
            .starts_with("a Namespace named p2 already exists and is not this project's"),
        "{}",
        p2.message
    );
    assert!(
        server
            .get_object("devops.kubesphere.io/v1alpha3", "DevOpsProject", None, "p2")
            .is_none(),
        "nothing written for p2"
    );
    let p2_children: Vec<_> = report
        .per_object
        .iter()
        .filter(|o| o.project == "p2" && o.key != "DevOpsProject/p2")
        .collect();
    assert_eq!(p2_children.len(), 3);
    assert!(p2_children.iter().all(|o| o.action == Action::Skipped));
    assert!(!report.is_success());
    assert!(
        server
            .get_object("v1", "Secret", Some("p2"), "deploy")
            .is_none(),
        "nothing written into the foreign namespace"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn controller_down_fails_every_project_but_the_run_ends() {
    let server = start_with(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_controller_delay(None),
    )
    .await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let mut opts = options("run-1");
    opts.namespace_wait.timeout = Duration::from_millis(500);
    let report = bounded(
        "apply",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert_eq!(report.created, 2, "only the DevOpsProjects: {report:#?}");
    assert_eq!(report.skipped, STANDARD_OBJECTS - 2);
    assert!(report
        .per_project
        .iter()
        .all(|p| p.status == ProjectStatus::Failed && p.message.contains("within 500ms")));
    server.shutdown().await;
}

async fn change_pipeline_and_update(
    server: &ksdm_test_apiserver::TestApiServer,
    ssa: SsaMode,
) -> ksdm_apply::ApplyReport {
    let client = client(server).await;
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
    build["metadata"]["labels"]["user-label"] = json!("kept");
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
    server.clear_requests();
    let mut opts = options("run-2");
    opts.existing = ExistingPolicy::Update;
    opts.ssa = ssa;
    let report = bounded(
        "update",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    assert_eq!(
        report.summary_line(),
        format!(
            "0 created, 1 updated, {} unchanged, 0 conflicts, 0 failed",
            STANDARD_OBJECTS - 1
        ),
        "{report:#?}"
    );
    let build = server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("p1"),
            "build",
        )
        .unwrap();
    assert_eq!(
        build["spec"]["pipeline"]["jenkinsfile"],
        "pipeline {\n  agent any\n  // null is kept\n}\n"
    );
    assert_eq!(build["metadata"]["labels"]["user-label"], "kept");
    assert_eq!(build["metadata"]["labels"][RUN_ID_LABEL], "run-2");
    report
}

#[tokio::test]
async fn updates_use_server_side_apply_when_available() {
    let server = start().await;
    let report = change_pipeline_and_update(&server, SsaMode::Auto).await;
    assert!(report.server_side_apply);
    let counts = server.verb_counts();
    assert_eq!(counts.get("apply"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("update"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn updates_use_get_and_replace_on_kubernetes_1_15() {
    let server = start_with(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_controller_delay(Some(Duration::from_millis(30)))
            .kubernetes_1_15(),
    )
    .await;
    let report = change_pipeline_and_update(&server, SsaMode::Auto).await;
    assert!(!report.server_side_apply);
    let counts = server.verb_counts();
    assert_eq!(counts.get("update"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("apply"), None);
    server.shutdown().await;
}

#[tokio::test]
async fn a_415_answer_falls_back_to_replace() {
    let server = start().await;
    server.set_ssa_enabled(false); // still reports v1.18
    let report = change_pipeline_and_update(&server, SsaMode::Always).await;
    assert!(!report.server_side_apply);
    assert!(
        report.notes.iter().any(|n| n.contains("415")),
        "{:?}",
        report.notes
    );
    assert_eq!(server.verb_counts().get("update"), Some(&1));
    server.shutdown().await;
}

#[tokio::test]
async fn objects_deleted_after_a_run_are_not_resurrected() {
    let server = start().await;
    let client = client(&server).await;
    let (dir, plan) = tree();
    let journal_path = dir.path().join("j.jsonl");
    let journal = Journal::open(&journal_path).unwrap();
    bounded(
        "apply",
        apply_plan(
            &client,
            &plan,
            &options("run-1"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    drop(journal);
    server.delete_object(
        "devops.kubesphere.io/v1alpha3",
        "Pipeline",
        Some("p1"),
        "mb",
    );
    server.delete_object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some("p1"),
        "bob-viewer",
    );
    let journal = Journal::open(&journal_path).unwrap();
    let r = bounded(
        "rerun",
        apply_plan(
            &client,
            &plan,
            &options("run-2"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!(r.skipped, 2, "{r:#?}");
    assert_eq!(r.created, 0);
    assert!(server
        .get_object(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            Some("p1"),
            "bob-viewer"
        )
        .is_none());
    let mut opts = options("run-3");
    opts.recreate_deleted = true;
    let r = bounded(
        "recreate",
        apply_plan(&client, &plan, &opts, Some(&journal), &Progress::none()),
    )
    .await;
    assert_eq!(r.created, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn an_existing_weaker_role_is_reported_as_a_widening_and_roleref_changes_are_conflicts() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    // p1 already exists with alice as viewer and bob bound to a different role under the same name.
    server.insert_object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "p1", "labels": {"kubesphere.io/devopsproject": "p1"}}})).unwrap();
    server
        .insert_object(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "alice-viewer", "namespace": "p1"},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "viewer"}}),
        )
        .unwrap();
    server.insert_object(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "bob-viewer", "namespace": "p1", "labels": {"iam.kubesphere.io/user-ref": "bob"}},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "admin"}})).unwrap();
    let mut opts = options("run-1");
    opts.existing = ExistingPolicy::Update;
    let r = bounded(
        "apply",
        apply_plan(&client, &plan, &opts, None, &Progress::none()),
    )
    .await;
    let alice = r.rights.iter().find(|c| c.user == "alice").unwrap();
    assert!(
        alice.widening && alice.previous_roles == vec!["viewer".to_string()],
        "{alice:?}"
    );
    assert!(alice.message.contains("rights widen"));
    let bob = r
        .per_object
        .iter()
        .find(|o| o.key == "RoleBinding/p1/bob-viewer")
        .unwrap();
    assert_eq!(bob.action, Action::Conflict);
    assert!(
        bob.message.contains("roleRef cannot be changed"),
        "{}",
        bob.message
    );
    assert_eq!(
        server.verb_counts().get("delete"),
        None,
        "nothing is ever deleted"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn progress_is_mirrored_into_a_configmap() {
    let server = start().await;
    let client = client(&server).await;
    let (dir, plan) = tree();
    let journal = Journal::open(&dir.path().join("j.jsonl"))
        .unwrap()
        .with_configmap_mirror(ksdm_apply::ConfigMapMirror {
            namespace: "default".into(),
            name: "ksdm-journal".into(),
        });
    let r = bounded(
        "apply",
        apply_plan(
            &client,
            &plan,
            &options("run-1"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    let cm = server
        .get_object("v1", "ConfigMap", Some("default"), "ksdm-journal")
        .unwrap();
    assert_eq!(cm["data"]["run-id"], "run-1");
    let p1: Value = serde_json::from_str(cm["data"]["project.p1"].as_str().unwrap()).unwrap();
    assert_eq!(p1["status"], "done");
    assert_eq!(p1["run_id"], "run-1");
    assert_eq!(cm["data"].as_object().unwrap().len(), 3);
    server.shutdown().await;
}
