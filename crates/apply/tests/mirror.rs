//! The journal ConfigMaps read back by a new pod: a rerun with a fresh local journal file resumes
//! and protects deleted objects exactly like a local rerun.

mod common;

use std::time::Duration;

use common::*;
use ksdm_apply::mirror::{project_configmap_name, JOURNAL_LABEL};
use ksdm_apply::{apply_plan, Action, ConfigMapMirror, Journal, Plan, Progress};
use serde_json::{json, Value};

fn tree() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());
    let plan = Plan::from_tree(dir.path()).unwrap();
    (dir, plan)
}

fn mirror() -> ConfigMapMirror {
    ConfigMapMirror {
        namespace: "default".into(),
        name: "ksdm-journal".into(),
    }
}

/// A journal at a path of its own (a new pod's empty disk) with the shared mirror.
fn pod_journal(pod: &tempfile::TempDir) -> Journal {
    Journal::open(&pod.path().join("journal.jsonl"))
        .unwrap()
        .with_configmap_mirror(mirror())
}

#[tokio::test]
async fn a_new_pod_does_not_resurrect_objects_deleted_after_the_first_run() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    let pod_a = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod_a);
    let first = bounded(
        "first run",
        apply_plan(
            &client,
            &plan,
            &options("run-1"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!(first.created, STANDARD_OBJECTS, "{first:#?}");
    assert!(first.notes.is_empty(), "{:?}", first.notes);
    drop(journal);

    // Each project's entries are in a labelled ConfigMap of its own.
    for (project, objects) in [("p1", 7usize), ("p2", 4)] {
        let name = project_configmap_name("ksdm-journal", project);
        let cm = server
            .get_object("v1", "ConfigMap", Some("default"), &name)
            .unwrap_or_else(|| panic!("no ConfigMap {name}"));
        assert_eq!(cm["metadata"]["labels"][JOURNAL_LABEL], "ksdm-journal");
        assert_eq!(
            cm["metadata"]["labels"]["app.kubernetes.io/name"],
            "ks-devops-migrate"
        );
        assert_eq!(cm["data"]["project"], project);
        let entries: Value = serde_json::from_str(cm["data"]["entries"].as_str().unwrap()).unwrap();
        assert_eq!(entries.as_object().unwrap().len(), objects, "{entries:#}");
        assert_eq!(
            entries[format!("DevOpsProject/{project}")]["a"],
            "create",
            "{entries:#}"
        );
    }

    server.delete_object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some("p1"),
        "bob-viewer",
    );
    // A new pod: no local journal file, same mirror.
    let pod_b = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod_b);
    assert_eq!(journal.earlier_entries(), 0);
    server.clear_requests();
    let second = bounded(
        "rerun in a new pod",
        apply_plan(
            &client,
            &plan,
            &options("run-2"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!(journal.mirrored_entries(), STANDARD_OBJECTS);
    assert!(
        second.summary_line().starts_with("0 created, 0 updated"),
        "{}",
        second.summary_line()
    );
    assert_eq!(second.skipped, 1, "{second:#?}");
    let bob = second
        .per_object
        .iter()
        .find(|o| o.key == "RoleBinding/p1/bob-viewer")
        .unwrap();
    assert_eq!(bob.action, Action::Skipped);
    assert!(bob.message.contains("run run-1"), "{}", bob.message);
    assert!(server
        .get_object(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            Some("p1"),
            "bob-viewer"
        )
        .is_none());
    // The quick path, as for a local rerun: every object the controller did not touch since
    // (all but the DevOpsProjects, whose status it set) is "unchanged since run run-1" uncompared,
    // except the 3 Secrets: their journaled digest leaves the values out, so they are compared.
    let quick: Vec<&str> = second
        .per_object
        .iter()
        .filter(|o| o.message.starts_with("unchanged since run run-1"))
        .map(|o| o.key.as_str())
        .collect();
    assert_eq!(quick.len(), STANDARD_OBJECTS - 6, "{second:#?}");
    assert!(
        quick
            .iter()
            .all(|k| !k.starts_with("DevOpsProject/") && !k.starts_with("Secret/")),
        "{quick:?}"
    );
    // Nothing but the journal ConfigMaps was written.
    let other_writes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/configmaps"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(other_writes.is_empty(), "{other_writes:?}");
    drop(journal);

    // A third pod still knows (the second run kept the first run's entry of the deleted binding).
    let pod_c = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod_c);
    let third = bounded(
        "third pod",
        apply_plan(
            &client,
            &plan,
            &options("run-3"),
            Some(&journal),
            &Progress::none(),
        ),
    )
    .await;
    assert_eq!((third.created, third.skipped), (0, 1), "{third:#?}");
    // Asked to, it recreates it.
    let pod_d = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod_d);
    let mut opts = options("run-4");
    opts.recreate_deleted = true;
    let fourth = bounded(
        "recreate",
        apply_plan(&client, &plan, &opts, Some(&journal), &Progress::none()),
    )
    .await;
    assert_eq!(fourth.created, 1, "{fourth:#?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_crashed_pod_is_resumed_by_a_new_pod() {
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
    assert_eq!(r.created, STANDARD_OBJECTS);
    let want = normalized(&reference);
    reference.shutdown().await;

    for crash_after in [1u64, 5, 9] {
        let server = start().await;
        let client = client(&server).await;
        let (_dir, plan) = tree();
        server.faults().crash_after_writes(crash_after);
        let mut opts = options("crashed");
        opts.namespace_wait.timeout = Duration::from_millis(400);
        let pod_a = tempfile::tempdir().unwrap();
        let journal = pod_journal(&pod_a);
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

        server.faults().clear_crash();
        let pod_b = tempfile::tempdir().unwrap();
        let journal = pod_journal(&pod_b);
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
        assert_eq!(
            server
                .get_object("v1", "Secret", Some("p1"), "git-cred")
                .unwrap()["data"]["password"],
            json!(b64("s3cret-pass"))
        );
        drop(journal);

        // A third pod finds everything journaled: the quick path for every object, no object writes.
        server.clear_requests();
        let pod_c = tempfile::tempdir().unwrap();
        let journal = pod_journal(&pod_c);
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
        let compared: Vec<&str> = again
            .per_object
            .iter()
            .filter(|o| !o.message.starts_with("unchanged since run"))
            .map(|o| o.key.as_str())
            .collect();
        assert!(
            compared
                .iter()
                .all(|k| k.starts_with("DevOpsProject/") || k.starts_with("Secret/")),
            "only objects the controller changes (and Secrets) are compared: {compared:?}"
        );
        let object_writes = server
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/configmaps"))
            .count();
        assert_eq!(object_writes, 0);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn an_unreadable_mirror_is_a_note_and_the_run_goes_on() {
    let server = start().await;
    let client = client(&server).await;
    let (_dir, plan) = tree();
    server
        .insert_object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ksdm-journal-p1", "namespace": "default", "labels": {JOURNAL_LABEL: "ksdm-journal"}},
            "data": {"entries": "{not json"}}))
        .unwrap();
    let pod = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod);
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
    assert_eq!(r.created, STANDARD_OBJECTS, "{r:#?}");
    // The garbled entries were replaced by this run's.
    let cm = server
        .get_object("v1", "ConfigMap", Some("default"), "ksdm-journal-p1")
        .unwrap();
    let entries: Value = serde_json::from_str(cm["data"]["entries"].as_str().unwrap()).unwrap();
    assert_eq!(entries.as_object().unwrap().len(), 7);
    server.shutdown().await;
}

#[tokio::test]
async fn a_large_project_is_mirrored_every_few_objects_and_at_its_end() {
    let server = start().await;
    let client = client(&server).await;
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "big", "ws1");
    for i in 0..41 {
        pipeline(dir.path(), "big", &format!("pl-{i:02}"), "echo hi\n");
    }
    let plan = Plan::from_tree(dir.path()).unwrap();
    let pod = tempfile::tempdir().unwrap();
    let journal = pod_journal(&pod);
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
    assert_eq!(r.created, 42, "{r:#?}");
    let name = project_configmap_name("ksdm-journal", "big");
    let writes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| {
            r.method != "GET"
                && r.path.contains("/configmaps")
                && (r.path.contains(&name) || r.method == "POST")
        })
        .map(|r| r.method)
        .collect();
    // Created after 20 objects, replaced after 40 and at the end; then the status ConfigMap is created.
    assert_eq!(writes, vec!["POST", "PUT", "PUT", "POST"], "{writes:?}");
    let cm = server
        .get_object("v1", "ConfigMap", Some("default"), &name)
        .unwrap();
    let entries: Value = serde_json::from_str(cm["data"]["entries"].as_str().unwrap()).unwrap();
    assert_eq!(entries.as_object().unwrap().len(), 42);
    server.shutdown().await;
}
