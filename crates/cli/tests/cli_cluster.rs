//! End to end: the real `ks-devops-migrate` binary against the Kubernetes API test double.
//! `migrate` (backup before the first write, provenance, no autosync, idempotent rerun, verify),
//! a user-edited Secret (never reset), a controller that never acts (bounded wait), missing CRDs
//! (preflight, nothing written) and a missing backup key (fails fast, nothing read or written).
//!
//! The bundled sample has a corrupt config.xml, so a full `--sample` run exits 4 even when the
//! cluster side is perfect; the assertions are on the apply output and the cluster's state.
//! `--exclude id:project-W4zNlwJLzgRB` leaves that project out and makes a clean run exit 0.

mod cluster_support;
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cluster_support::*;
use ksdm_test_apiserver::{FaultAction, FaultRule, ServerOptions};
use serde_json::{json, Value};

const DEVOPSPROJECTS: &str = "devopsprojects.devops.kubesphere.io/";
const PIPELINES: &str = "pipelines.devops.kubesphere.io/";
const SECRETS: &str = "secrets/";
const ROLEBINDINGS: &str = "rolebindings.rbac.authorization.k8s.io/";

fn with_prefix(keys: &BTreeSet<String>, prefix: &str) -> BTreeSet<String> {
    keys.iter()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect()
}

/// The `[5-6/6] applied: …` line of a `migrate` run.
fn applied_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("[5-6/6] applied:"))
        .map(str::to_string)
        .unwrap_or_default()
}

/// The leading number of `N <what>` in a summary line.
fn count(line: &str, what: &str) -> usize {
    let words: Vec<&str> = line
        .split(|c: char| c == ',' || c == ':' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|w| w[1] == what)
        .and_then(|w| w[0].parse().ok())
        .unwrap_or_else(|| panic!("no `N {what}` in {line:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_sample_backs_up_first_applies_everything_and_reruns_as_a_no_op() {
    let h = Harness::start(default_options()).await;
    let faults = h.server.faults();
    // Every DevOpsProject create (the first writes of a run) is held for 300 ms once it reaches
    // the server; the rule's counter moves before the write is served.
    let gate = faults.add(FaultRule::new(
        Some("POST"),
        "/devopsprojects",
        FaultAction::Delay(Duration::from_millis(300)),
    ));
    let (dir, kc) = (h.path().to_path_buf(), h.kc());
    let run = tokio::spawn(async move {
        run_in(
            &dir,
            &[
                "migrate",
                "--sample",
                "--kubeconfig",
                &kc,
                "--namespace-timeout",
                "20s",
            ],
            &[],
        )
        .await
    });
    let reached = wait_until(Duration::from_secs(60), || {
        faults.fired(gate) > 0 || run.is_finished()
    })
    .await;
    assert!(
        reached && faults.fired(gate) > 0,
        "no DevOpsProject create reached the server"
    );
    // The first write is on hold: nothing has been written yet, and the backup is complete.
    let served_writes = write_requests(&h.server.requests());
    assert!(
        served_writes.is_empty(),
        "writes served before the first DevOpsProject create: {served_writes:?}"
    );
    let runs = backup_runs(h.path());
    assert_eq!(runs.len(), 1, "one backup before the first write: {runs:?}");
    let run_id = runs[0].clone();
    let manifest_path = h.path().join(STORE).join(&run_id).join("manifest.json");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(&manifest_path).expect("manifest.json before the first write"),
    )
    .expect("manifest.json is JSON");
    assert!(
        manifest.to_string().contains("resources.tar.gz"),
        "manifest lists the export: {manifest}"
    );
    faults.remove(gate);

    let out = run.await.expect("join");
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(4),
        "the sample's corrupt config.xml fails one item\n{}",
        show(&out)
    );
    let backup_at = stdout
        .find("[4/6] backup")
        .unwrap_or_else(|| panic!("no backup line\n{}", show(&out)));
    let applied_at = stdout
        .find("[5-6/6] applied:")
        .unwrap_or_else(|| panic!("no apply line\n{}", show(&out)));
    assert!(backup_at < applied_at);
    assert!(
        stdout.contains(&run_id),
        "the backup line names run {run_id}\n{stdout}"
    );
    let line = applied_line(&stdout);
    assert_eq!(count(&line, "failed"), 0, "{line}\n{stderr}");
    assert_eq!(count(&line, "conflicts"), 0, "{line}");

    // Every exported object is in the cluster, and nothing else of these kinds.
    let resources = h.out().join("resources");
    let tree = tree_keys(&resources);
    assert_eq!(count(&line, "created"), tree.len(), "{line}");
    let snap = h.server.snapshot();
    let cluster: BTreeSet<String> = snap
        .as_object()
        .expect("snapshot map")
        .keys()
        .cloned()
        .collect();
    for prefix in [DEVOPSPROJECTS, PIPELINES, SECRETS, ROLEBINDINGS] {
        let want = with_prefix(&tree, prefix);
        assert!(!want.is_empty(), "the sample exports some {prefix}");
        assert_eq!(
            with_prefix(&cluster, prefix),
            want,
            "{prefix} in the cluster vs the export tree"
        );
    }
    for key in &tree {
        let have = &snap[key.as_str()];
        let want = tree_object(&resources, key);
        // Provenance: this run's id on every object it created.
        assert_eq!(
            have.pointer(&format!(
                "/metadata/labels/{}",
                RUN_ID_LABEL.replace('/', "~1")
            )),
            Some(&json!(run_id)),
            "{key}"
        );
        // The exported content arrived as written (labels/annotations may only be added to).
        for (field, value) in want.as_object().expect("object") {
            if ["apiVersion", "kind", "metadata", "status"].contains(&field.as_str()) {
                continue;
            }
            assert_eq!(have.get(field), Some(value), "{key}: field {field}");
        }
        for m in ["labels", "annotations"] {
            for (k, v) in want
                .pointer(&format!("/metadata/{m}"))
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                assert_eq!(
                    have.pointer(&format!("/metadata/{m}"))
                        .and_then(|x| x.get(k)),
                    Some(v),
                    "{key}: {m} {k}"
                );
            }
        }
    }
    for (key, secret) in snap
        .as_object()
        .expect("map")
        .iter()
        .filter(|(k, _)| k.starts_with(SECRETS))
    {
        assert!(
            secret
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(AUTOSYNC))
                .is_none(),
            "{key} carries {AUTOSYNC}"
        );
    }
    // The first write of the run was a DevOpsProject.
    let first_write = write_requests(&h.server.requests())
        .into_iter()
        .next()
        .expect("some write");
    assert!(
        first_write.method == "POST" && first_write.path.contains("/devopsprojects"),
        "{first_write:?}"
    );

    // A rerun changes nothing: no write reaches the server.
    h.server.clear_requests();
    let again = h
        .run(&[
            "migrate",
            "--sample",
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "20s",
        ])
        .await;
    let (stdout2, _) = texts(&again);
    assert_eq!(again.status.code(), Some(4), "{}", show(&again));
    assert!(stdout2.contains("0 created, 0 updated"), "{}", show(&again));
    assert_eq!(
        count(&applied_line(&stdout2), "unchanged"),
        tree.len(),
        "{stdout2}"
    );
    let writes = h.write_requests();
    assert!(writes.is_empty(), "the rerun wrote: {writes:?}");
    assert_eq!(normalized(&h.server.snapshot()), normalized(&snap));
    // Both runs' backups still open with the key file the runs printed (the rerun must not
    // replace the first run's key).
    let runs = backup_runs(h.path());
    assert_eq!(runs.len(), 2, "{runs:?}");
    let identity = format!("{OUT}/backup-identity.txt");
    assert!(
        stdout.contains(&format!("--identity-file {identity}")),
        "{stdout}"
    );
    for r in &runs {
        let check = h
            .run(&["backup", "verify", r, "--identity-file", &identity])
            .await;
        assert_eq!(
            check.status.code(),
            Some(0),
            "backup {r} no longer opens\n{}",
            show(&check)
        );
    }

    let v = h
        .run(&["verify", "--sample", "--kubeconfig", &h.kc()])
        .await;
    assert_eq!(v.status.code(), Some(0), "{}", show(&v));
    assert!(
        texts(&v).0.contains("0 missing, 0 different"),
        "{}",
        show(&v)
    );
    assert!(h.out().join("verify.json").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_edited_in_the_cluster_is_never_reset() {
    let h = Harness::start(default_options()).await;
    let kc = h.kc();
    let base = [
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
        "--kubeconfig",
        kc.as_str(),
        "--namespace-timeout",
        "20s",
    ];
    let first = h.run(&[&["migrate"], &base[..]].concat()).await;
    assert_eq!(
        first.status.code(),
        Some(0),
        "without the broken project the run is clean\n{}",
        show(&first)
    );

    let (ns, name) = ("project-qj8xy2mr5klp", "db-password");
    let exported = h
        .server
        .get_object("v1", "Secret", Some(ns), name)
        .expect("migrated Secret");
    let exported_value = exported
        .pointer("/data/secret")
        .and_then(Value::as_str)
        .expect("value")
        .to_string();
    let mut edited = exported.clone();
    edited["data"]["secret"] = json!("ZWRpdGVkIGJ5IHRoZSB1c2Vy"); // "edited by the user"
    edited["metadata"]["annotations"][AUTOSYNC] = json!("true");
    edited["metadata"]["annotations"]["kubesphere.io/description"] =
        json!("changed in the console");
    h.server.insert_object(edited).expect("edit the Secret");
    let edited = h
        .server
        .get_object("v1", "Secret", Some(ns), name)
        .expect("edited Secret");
    let key = format!("Secret/{ns}/{name}");
    let action_of = |file: &str| -> Vec<String> {
        let report: Value =
            serde_json::from_slice(&std::fs::read(h.out().join(file)).expect(file)).expect("json");
        report["per_object"]
            .as_array()
            .expect("per_object")
            .iter()
            .filter(|o| o["key"] == json!(key))
            .map(|o| o["action"].as_str().unwrap_or_default().to_string())
            .collect()
    };

    // Rerun (keep): the Secret is untouched, byte for byte and resourceVersion.
    let rerun = h.run(&[&["migrate"], &base[..]].concat()).await;
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "a conflict is reported, not a failure\n{}",
        show(&rerun)
    );
    assert!(
        applied_line(&texts(&rerun).0).contains("1 conflict,"),
        "{}",
        show(&rerun)
    );
    assert_eq!(
        h.server.get_object("v1", "Secret", Some(ns), name).as_ref(),
        Some(&edited)
    );
    assert_eq!(action_of("apply.json"), vec!["conflict"]);

    // plan: the same conflict; its exit status is the one migrate would have (0: nothing fails).
    h.server.clear_requests();
    let plan = h.run(&[&["plan"], &base[..]].concat()).await;
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    assert!(texts(&plan).0.contains("1 conflict,"), "{}", show(&plan));
    assert_eq!(action_of("plan.json"), vec!["conflict"]);
    let plan_md = std::fs::read_to_string(h.out().join("plan.md")).expect("plan.md");
    assert!(plan_md.contains(&key), "{plan_md}");
    assert!(
        !plan_md.contains(&exported_value) && !plan_md.contains("ZWRpdGVkIGJ5IHRoZSB1c2Vy"),
        "plan.md shows a Secret value"
    );
    assert!(
        h.write_requests().is_empty(),
        "plan wrote: {:?}",
        h.write_requests()
    );

    // verify: the difference is a non-zero exit.
    let verify = h
        .run(&[
            "verify",
            "--sample",
            "--exclude",
            BROKEN_PROJECT,
            "--kubeconfig",
            &kc,
        ])
        .await;
    assert_eq!(verify.status.code(), Some(4), "{}", show(&verify));
    assert!(
        texts(&verify).0.contains("0 missing, 1 different"),
        "{}",
        show(&verify)
    );

    // migrate --dry-run: the same plan, no write, no backup.
    let backups = backup_runs(h.path()).len();
    let dry = h
        .run(&[&["migrate", "--dry-run"], &base[..]].concat())
        .await;
    assert_eq!(dry.status.code(), Some(0), "{}", show(&dry));
    assert_eq!(action_of("plan.json"), vec!["conflict"]);
    assert!(
        h.write_requests().is_empty(),
        "migrate --dry-run wrote: {:?}",
        h.write_requests()
    );
    assert_eq!(
        backup_runs(h.path()).len(),
        backups,
        "migrate --dry-run took a backup"
    );

    // --existing=update without --overwrite-secret-data: the exported description comes back,
    // the user's data (and their autosync annotation, which this tool never sets) stay.
    let update = h
        .run(&[&["migrate", "--existing", "update"], &base[..]].concat())
        .await;
    assert_eq!(update.status.code(), Some(0), "{}", show(&update));
    assert_eq!(action_of("apply.json"), vec!["update"]);
    let now = h
        .server
        .get_object("v1", "Secret", Some(ns), name)
        .expect("Secret");
    assert_eq!(
        now.get("data"),
        edited.get("data"),
        "the user's Secret data was replaced"
    );
    assert_eq!(
        now.pointer("/metadata/annotations")
            .and_then(|a| a.get(AUTOSYNC)),
        Some(&json!("true"))
    );
    assert_eq!(
        now.pointer("/metadata/annotations")
            .and_then(|a| a.get("kubesphere.io/description")),
        exported
            .pointer("/metadata/annotations")
            .and_then(|a| a.get("kubesphere.io/description"))
    );
    // Once the owned fields match again, only the data differs: a conflict, left alone (not
    // "unchanged": the journal must not take a kept difference for the desired state).
    let again = h
        .run(&[&["migrate", "--existing", "update"], &base[..]].concat())
        .await;
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
    assert_eq!(action_of("apply.json"), vec!["conflict"]);
    assert_eq!(
        h.server.get_object("v1", "Secret", Some(ns), name).as_ref(),
        Some(&now)
    );
    // Only the explicit opt-in replaces the data.
    let overwrite = h
        .run(
            &[
                &["migrate", "--existing", "update", "--overwrite-secret-data"],
                &base[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(overwrite.status.code(), Some(0), "{}", show(&overwrite));
    assert_eq!(action_of("apply.json"), vec!["update"]);
    let last = h
        .server
        .get_object("v1", "Secret", Some(ns), name)
        .expect("Secret");
    assert_eq!(
        last.get("data"),
        exported.get("data"),
        "--overwrite-secret-data did not restore the exported data"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_that_never_creates_namespaces_fails_each_project_in_bounded_time() {
    let h = Harness::start(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_controller_delay(None),
    )
    .await;
    let started = Instant::now();
    let out = h
        .run(&[
            "migrate",
            "--sample",
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "1s",
        ])
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(4), "{}", show(&out));
    // The backup was taken although nothing could be applied.
    let run_id = h.only_run();
    assert!(h
        .path()
        .join(STORE)
        .join(&run_id)
        .join("manifest.json")
        .is_file());

    let apply_md = std::fs::read_to_string(h.out().join("apply.md")).expect("apply.md");
    let tree = tree_keys(&h.out().join("resources"));
    let projects: Vec<String> = with_prefix(&tree, DEVOPSPROJECTS)
        .iter()
        .map(|k| k.trim_start_matches(DEVOPSPROJECTS).to_string())
        .collect();
    assert_eq!(projects.len(), 4);
    for p in &projects {
        let needle = format!("controller did not create namespace {p} within 1s");
        assert!(
            apply_md
                .lines()
                .any(|l| l.starts_with(&format!("| {p} | Failed |")) && l.contains(&needle)),
            "{p}:\n{apply_md}"
        );
    }
    let snap = h.server.snapshot();
    let cluster: BTreeSet<String> = snap.as_object().expect("map").keys().cloned().collect();
    assert_eq!(
        with_prefix(&cluster, DEVOPSPROJECTS),
        with_prefix(&tree, DEVOPSPROJECTS),
        "the projects were created"
    );
    for prefix in [PIPELINES, SECRETS, ROLEBINDINGS] {
        assert!(
            with_prefix(&cluster, prefix).is_empty(),
            "{prefix} written: {:?}",
            with_prefix(&cluster, prefix)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crds_stop_the_run_before_any_write() {
    let h = Harness::start(
        ServerOptions::default().with_controller_delay(Some(Duration::from_millis(100))),
    )
    .await;
    let out = h
        .run(&[
            "migrate",
            "--sample",
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "5s",
        ])
        .await;
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(5), "{}", show(&out));
    assert!(
        stderr.contains("devopsprojects.devops.kubesphere.io"),
        "{}",
        show(&out)
    );
    assert!(stderr.contains("nothing was applied"), "{}", show(&out));
    let writes = h.write_requests();
    assert!(
        writes.is_empty(),
        "written although the CRDs are missing: {writes:?}"
    );
    assert!(
        !h.server.requests().is_empty(),
        "the preflight did talk to the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_inputs_without_a_backup_key_fail_fast_and_touch_nothing() {
    let h = Harness::start(default_options()).await;
    let repo = common::repo();
    let dump = repo.join("sample/devops.sql").display().to_string();
    let home = repo.join("sample/jenkins_home").display().to_string();
    let out = h
        .run(&[
            "migrate",
            "--mysql-dump",
            &dump,
            "--jenkins-home",
            &home,
            "--kubeconfig",
            &h.kc(),
        ])
        .await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing backup key is a usage error\n{}",
        show(&out)
    );
    assert!(stderr.contains("--passphrase-file"), "{}", show(&out));
    assert!(
        !stdout.contains("[1-3/6]"),
        "nothing is read or converted before the key check\n{stdout}"
    );
    assert!(
        h.server.requests().is_empty(),
        "the cluster was contacted: {:?}",
        h.server.requests()
    );
    assert!(backup_runs(h.path()).is_empty());
    assert!(!h.out().join("resources").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_does_not_resurrect_what_was_deleted_in_the_cluster() {
    let h = Harness::start(default_options()).await;
    let kc = h.kc();
    let base = [
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
        "--kubeconfig",
        kc.as_str(),
        "--namespace-timeout",
        "20s",
    ];
    let first = h.run(&[&["migrate"], &base[..]].concat()).await;
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    let (ns, binding) = ("project-qj8xy2mr5klp", "dave-operator");
    let rbac = "rbac.authorization.k8s.io/v1";
    assert!(
        h.server
            .delete_object(rbac, "RoleBinding", Some(ns), binding)
            .is_some(),
        "migrated binding"
    );
    assert!(h
        .server
        .delete_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some(ns),
            "db-migrate"
        )
        .is_some());

    h.server.clear_requests();
    let rerun = h.run(&[&["migrate"], &base[..]].concat()).await;
    assert_eq!(rerun.status.code(), Some(0), "{}", show(&rerun));
    assert!(
        texts(&rerun).0.contains("0 created, 0 updated"),
        "{}",
        show(&rerun)
    );
    assert!(
        h.server
            .get_object(rbac, "RoleBinding", Some(ns), binding)
            .is_none(),
        "a removed binding was granted again"
    );
    assert!(h
        .server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some(ns),
            "db-migrate"
        )
        .is_none());
    assert!(h.write_requests().is_empty(), "{:?}", h.write_requests());
    let apply_md = std::fs::read_to_string(h.out().join("apply.md")).expect("apply.md");
    assert!(
        apply_md.contains(&format!("**skipped** `RoleBinding/{ns}/{binding}`")),
        "{apply_md}"
    );

    let recreate = h
        .run(&[&["migrate", "--recreate-deleted"], &base[..]].concat())
        .await;
    assert_eq!(recreate.status.code(), Some(0), "{}", show(&recreate));
    assert!(
        texts(&recreate).0.contains("2 created, 0 updated"),
        "{}",
        show(&recreate)
    );
    assert!(h
        .server
        .get_object(rbac, "RoleBinding", Some(ns), binding)
        .is_some());
}
