//! Sustained API faults through the real binary: during a whole `migrate` the API server test
//! double answers a steady share of requests with 409 (on replaces), 429 with `Retry-After`, 500,
//! a dropped connection, a lost answer (the write happened, the body is cut off) or a slow answer.
//! The run completes with the same final state as a clean run, every call is retried a bounded
//! number of times, and an object whose calls always fail fails alone (exit 4, named in the report).

mod cluster_support;
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use cluster_support::*;
use ksdm_test_apiserver::{FaultAction, FaultRule, RequestRecord};
use serde_json::Value;

/// Each fault's rate (of the requests it can match).
const RATE: f64 = 0.04;

fn add_sustained_faults(h: &Harness, seed: u64) {
    let f = h.server.faults();
    f.seed(seed);
    // First firing rule wins: each rule sees the requests the earlier ones let through.
    f.add(FaultRule::new(Some("PUT"), "", FaultAction::Status(409)).at_rate(RATE));
    f.add(FaultRule::new(None, "", FaultAction::Status(429)).at_rate(RATE));
    f.add(FaultRule::new(None, "", FaultAction::Status(500)).at_rate(RATE));
    f.add(FaultRule::new(None, "", FaultAction::DropConnection).at_rate(RATE));
    f.add(FaultRule::new(None, "", FaultAction::TruncateBody).at_rate(RATE));
    f.add(FaultRule::new(None, "", FaultAction::Delay(Duration::from_millis(300))).at_rate(RATE));
}

/// Objects written by the migration (no journal ConfigMaps: they name the run).
fn objects(snapshot: &Value) -> BTreeMap<String, Value> {
    normalized(snapshot)
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("configmaps/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The most consecutive attempts of one identical request (method + path) that failed in a row
/// before the next different request or a success.
fn longest_failure_streak(requests: &[RequestRecord]) -> (usize, String) {
    let mut streaks: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut worst = (0, String::new());
    for r in requests {
        let key = (r.method.clone(), r.path.clone());
        let failed = r.faulted && r.status != 200 && r.status != 201;
        let n = streaks.entry(key.clone()).or_insert(0);
        if failed {
            *n += 1;
            if *n > worst.0 {
                worst = (*n, format!("{} {}", key.0, key.1));
            }
        } else {
            *n = 0;
        }
    }
    worst
}

const JOURNAL_ENV: [(&str, &str); 2] = [
    ("POD_NAMESPACE", "default"),
    ("KSDM_JOURNAL_CONFIGMAP", "ksdm-journal"),
];

async fn migrate(h: &Harness, extra: &[&str]) -> std::process::Output {
    let kc = h.kc();
    let mut args = vec![
        "migrate",
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
        "--kubeconfig",
        &kc,
        "--namespace-timeout",
        "30s",
    ];
    args.extend_from_slice(extra);
    h.run_env(&args, &JOURNAL_ENV).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_migration_under_steady_faults_ends_like_a_clean_one() {
    let clean = Harness::start(default_options()).await;
    let o = migrate(&clean, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let expected = objects(&clean.server.snapshot());
    let clean_requests = clean.server.requests().len();

    for seed in [1_u64, 2] {
        let h = Harness::start(default_options()).await;
        add_sustained_faults(&h, seed);
        let o = migrate(&h, &[]).await;
        let requests = h.server.requests();
        let faulted = requests.iter().filter(|r| r.faulted).count();
        eprintln!(
            "seed {seed}: {} requests ({clean_requests} in the clean run), {faulted} faulted, exit {:?}",
            requests.len(),
            o.status.code()
        );
        assert_eq!(o.status.code(), Some(0), "seed {seed}\n{}", show(&o));
        assert!(faulted >= 10, "too few faults to mean anything: {faulted}");
        let got = objects(&h.server.snapshot());
        let missing: Vec<&String> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
        let extra: Vec<&String> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "seed {seed}: missing {missing:?}, extra {extra:?}"
        );
        for (k, v) in &expected {
            assert_eq!(
                got.get(k),
                Some(v),
                "seed {seed}: {k} differs from the clean run"
            );
        }
        // Bounded: no request is tried more than the retry policy's attempts in a row (5), and the
        // whole run makes a bounded number of extra requests.
        let (streak, which) = longest_failure_streak(&requests);
        assert!(
            streak <= 5,
            "seed {seed}: {which} failed {streak} times in a row"
        );
        assert!(
            requests.len() < clean_requests * 3,
            "seed {seed}: {} requests vs {clean_requests}",
            requests.len()
        );

        // The rerun under the same faults changes nothing.
        let again = migrate(&h, &[]).await;
        assert_eq!(
            again.status.code(),
            Some(0),
            "seed {seed} rerun\n{}",
            show(&again)
        );
        assert!(
            texts(&again).0.contains("0 created, 0 updated"),
            "seed {seed} rerun\n{}",
            show(&again)
        );
        assert_eq!(
            objects(&h.server.snapshot()),
            got,
            "seed {seed}: the rerun changed the cluster"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_that_always_fails_fails_alone() {
    let clean = Harness::start(default_options()).await;
    let o = migrate(&clean, &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let expected = objects(&clean.server.snapshot());
    let victim = expected
        .keys()
        .find(|k| k.starts_with("secrets/"))
        .cloned()
        .expect("the sample migrates a Secret");
    let name = victim.rsplit('/').next().expect("name").to_string();

    let h = Harness::start(default_options()).await;
    // Ahead of the steady faults: every call naming this Secret fails, for good.
    h.server.faults().add(FaultRule::new(
        None,
        &format!("/secrets/{name}"),
        FaultAction::Status(500),
    ));
    add_sustained_faults(&h, 3);

    let o = migrate(&h, &[]).await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let report = std::fs::read_to_string(h.out().join("report.md")).expect("report.md");
    assert!(
        report.contains(&name),
        "the report does not name {name}:\n{report}"
    );
    let got = objects(&h.server.snapshot());
    for (k, v) in &expected {
        if *k == victim {
            assert!(!got.contains_key(k), "{k} should have failed");
        } else {
            assert_eq!(
                got.get(k),
                Some(v),
                "{k} is missing or differs: only {victim} may fail"
            );
        }
    }
}
