//! End to end: the API server "crashes" (503 for everything) after N writes in the middle of a
//! `migrate`; once the client has given up on an object the server comes back and the run ends
//! with failures (exit 4). A plain rerun then resumes from the journal: the final cluster equals
//! the one a clean run makes in a fresh server, and nothing the first run wrote is rewritten.

mod cluster_support;

use std::collections::BTreeMap;
use std::time::Duration;

use cluster_support::*;
use serde_json::Value;

const ARGS: [&str; 4] = ["migrate", "--sample", "--namespace-timeout", "8s"];

fn migrate_args(kc: &str) -> Vec<String> {
    let mut a: Vec<String> = ARGS.iter().map(|s| s.to_string()).collect();
    a.extend(["--kubeconfig".to_string(), kc.to_string()]);
    a
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `N failed` etc. from the `[5-6/6] applied:` line.
fn applied(stdout: &str, what: &str) -> usize {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("[5-6/6] applied:"))
        .unwrap_or_default();
    let words: Vec<&str> = line
        .split(|c: char| c == ',' || c == ':' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|w| w[1] == what)
        .and_then(|w| w[0].parse().ok())
        .unwrap_or(0)
}

/// resourceVersion of every Secret in the project namespaces.
fn secret_versions(snapshot: &Value) -> BTreeMap<String, String> {
    snapshot
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with("secrets/project-"))
        .map(|(k, v)| {
            (
                k.clone(),
                v.pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

async fn crash_then_resume(crash_after: u64) {
    // The reference: a clean run in a fresh server.
    let clean = Harness::start(default_options()).await;
    let reference = clean.run(&as_strs(&migrate_args(&clean.kc()))).await;
    assert_eq!(reference.status.code(), Some(4), "{}", show(&reference));
    assert_eq!(
        applied(&texts(&reference).0, "failed"),
        0,
        "{}",
        show(&reference)
    );
    let want = normalized(&clean.server.snapshot());

    // The crashing run.
    let h = Harness::start(default_options()).await;
    let faults = h.server.faults();
    faults.crash_after_writes(crash_after);
    let (dir, args) = (h.path().to_path_buf(), migrate_args(&h.kc()));
    let run = tokio::spawn(async move { run_in(&dir, &as_strs(&args), &[]).await });
    let journal = h.out().join("journal.jsonl");
    let gave_up =
        || std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("\"result\":\"failed\""));
    let settled = wait_until(Duration::from_secs(80), || {
        run.is_finished() || (faults.is_crashed() && gave_up())
    })
    .await;
    assert!(
        settled,
        "the crashing run neither failed an object nor finished"
    );
    assert!(
        faults.is_crashed(),
        "the crash switch (after {crash_after} writes) never tripped"
    );
    faults.clear_crash();
    let first = run.await.expect("join");
    let (stdout, _) = texts(&first);
    assert_eq!(first.status.code(), Some(4), "{}", show(&first));
    let apply: Value =
        serde_json::from_slice(&std::fs::read(h.out().join("apply.json")).expect("apply.json"))
            .expect("json");
    let failed_projects = apply["per_project"]
        .as_array()
        .expect("projects")
        .iter()
        .filter(|p| p["status"] == "failed")
        .count();
    assert!(
        applied(&stdout, "failed") + failed_projects > 0,
        "the crash caused no failure\n{}",
        show(&first)
    );

    let tree = tree_keys(&h.out().join("resources"));
    let partial = h.server.snapshot();
    let present = tree
        .iter()
        .filter(|k| partial.get(k.as_str()).is_some())
        .count();
    assert!(
        present >= 1 && present < tree.len(),
        "partial state expected: {present} of {}",
        tree.len()
    );
    let secrets_before = secret_versions(&partial);

    // Resume: a plain rerun.
    let second = h.run(&as_strs(&migrate_args(&h.kc()))).await;
    let (stdout2, _) = texts(&second);
    assert_eq!(
        second.status.code(),
        Some(4),
        "only the sample's corrupt item fails\n{}",
        show(&second)
    );
    assert_eq!(applied(&stdout2, "failed"), 0, "{}", show(&second));
    assert_eq!(applied(&stdout2, "updated"), 0, "{}", show(&second));
    assert_eq!(
        applied(&stdout2, "created") + present,
        tree.len(),
        "{}",
        show(&second)
    );

    let got = h.server.snapshot();
    if let Some(diff) = first_difference(&normalized(&got), &want) {
        panic!("the resumed cluster differs from a clean run's: {diff}");
    }
    // Secrets written before the crash were not rewritten (same resourceVersion), and every
    // Secret holds exactly the exported data.
    let after = secret_versions(&got);
    for (key, rv) in &secrets_before {
        assert_eq!(
            after.get(key),
            Some(rv),
            "{key} was rewritten by the resumed run"
        );
    }
    let resources = h.out().join("resources");
    for key in tree.iter().filter(|k| k.starts_with("secrets/")) {
        assert_eq!(
            got[key.as_str()].get("data"),
            tree_object(&resources, key).get("data"),
            "{key}"
        );
    }
    for key in &tree {
        let label = got[key.as_str()].pointer(&format!(
            "/metadata/labels/{}",
            RUN_ID_LABEL.replace('/', "~1")
        ));
        assert!(
            label.and_then(Value::as_str).is_some_and(|l| !l.is_empty()),
            "{key} has no run-id label"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_the_first_write_then_resume() {
    crash_then_resume(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_in_the_middle_then_resume() {
    crash_then_resume(17).await;
}
