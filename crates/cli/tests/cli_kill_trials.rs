//! Kill -9 at a random moment: the real binary migrates a generated estate (more than 500 objects)
//! into the API server test double, is killed with SIGKILL after a random delay, and is run again
//! to completion. The final objects must equal a clean run's (nothing missing, duplicated, or with
//! different Secret data); at the moment of the kill, the journal (local file and ConfigMaps) must
//! claim nothing the cluster does not hold; every backup that `backup list` calls complete must
//! verify. A killed `backup` must never leave a backup that looks complete but is not.
//!
//! CI runs a few seeds; `scripts/kill-trials.sh N` runs N (`KSDM_KILL_SEEDS=N`).

mod cluster_support;
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster_support::*;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const PASS: &str = "pass.txt";
const JOURNAL_CM: &str = "ksdm-journal";

fn seeds() -> Vec<u64> {
    let n = std::env::var("KSDM_KILL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_u64);
    let first = std::env::var("KSDM_KILL_FIRST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_u64);
    (first..first + n).collect()
}

/// Writes the estate (13 projects × 30 pipelines, 10 credentials) once per test process.
fn estate(dir: &Path) {
    let opts = ksdm_estate::SyntheticOptions {
        projects: 13,
        pipelines_per_project: 30,
        credentials_per_project: 10,
        workspaces: 3,
        seed: 13,
        workspace_column: true,
    };
    ksdm_estate::write_synthetic(dir, &opts).expect("write the synthetic estate");
}

fn source_args(estate: &Path) -> Vec<String> {
    vec![
        "--mysql-dump".into(),
        estate.join("devops.sql").display().to_string(),
        "--jenkins-home".into(),
        estate.join("jenkins_home").display().to_string(),
    ]
}

fn env() -> Vec<(String, String)> {
    vec![
        ("POD_NAMESPACE".into(), "default".into()),
        ("KSDM_JOURNAL_CONFIGMAP".into(), JOURNAL_CM.into()),
    ]
}

fn migrate_args(estate: &Path, kc: &str) -> Vec<String> {
    let mut a = vec!["migrate".to_string()];
    a.extend(source_args(estate));
    a.extend([
        "--kubeconfig".into(),
        kc.into(),
        "--namespace-timeout".into(),
        "60s".into(),
        "--passphrase-file".into(),
        PASS.into(),
    ]);
    a
}

/// Starts the binary, kills it with SIGKILL after `delay` (if still running). Returns whether it
/// was killed (false = it had finished already).
fn run_and_kill(dir: &Path, args: &[String], delay: Duration) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"));
    cmd.arg("--no-progress")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for var in [
        "KSDM_LOG",
        "KUBECONFIG",
        "KSDM_BACKUP_PASSPHRASE",
        "KUBERNETES_SERVICE_HOST",
        "KSDM_JOURNAL_CONFIGMAP",
        "POD_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().expect("try_wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    killed
}

/// Objects of the migration (no journal ConfigMaps or namespaces).
fn objects(snapshot: &Value) -> BTreeMap<String, Value> {
    normalized(snapshot)
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("configmaps/") && !k.starts_with("namespaces/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Snapshot key of a journal key (`Kind/[ns/]name`).
fn snapshot_key(journal_key: &str) -> String {
    let (kind, rest) = journal_key.split_once('/').unwrap_or((journal_key, ""));
    let resource = match kind {
        "DevOpsProject" => "devopsprojects.devops.kubesphere.io",
        "Pipeline" => "pipelines.devops.kubesphere.io",
        "Secret" => "secrets",
        "RoleBinding" => "rolebindings.rbac.authorization.k8s.io",
        other => panic!("unknown kind in the journal: {other}"),
    };
    format!("{resource}/{rest}")
}

/// Journal claims (local file, and the per-project ConfigMaps) that an object was put in place.
fn journal_claims(dir: &Path, snapshot: &Value) -> Vec<String> {
    let mut claims = Vec::new();
    let local = std::fs::read_to_string(dir.join(OUT).join("journal.jsonl")).unwrap_or_default();
    for line in local.lines() {
        // A line cut by the kill is not a claim.
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if matches!(
            entry["result"].as_str(),
            Some("create" | "update" | "unchanged" | "Create" | "Update" | "Unchanged")
        ) {
            claims.push(entry["key"].as_str().unwrap_or_default().to_string());
        }
    }
    for (k, cm) in snapshot.as_object().into_iter().flatten() {
        if !k.starts_with(&format!("configmaps/default/{JOURNAL_CM}-")) {
            continue;
        }
        let Some(text) = cm.pointer("/data/entries").and_then(Value::as_str) else {
            continue;
        };
        let map: BTreeMap<String, Value> =
            serde_json::from_str(text).expect("journal ConfigMap entries are JSON");
        claims.extend(map.keys().cloned());
    }
    claims
}

/// Every backup `backup list` calls complete verifies.
fn complete_backups_verify(dir: &Path) -> usize {
    let list = run_blocking(dir, &["backup".into(), "list".into()], &[]);
    assert_eq!(list.status.code(), Some(0), "{}", show(&list));
    let (stdout, _) = texts(&list);
    let mut complete = 0;
    for line in stdout.lines().skip(1) {
        let run = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if line.contains("INCOMPLETE") || run.is_empty() {
            continue;
        }
        complete += 1;
        let v = run_blocking(
            dir,
            &[
                "backup".into(),
                "verify".into(),
                run.clone(),
                "--passphrase-file".into(),
                PASS.into(),
            ],
            &[],
        );
        assert_eq!(
            v.status.code(),
            Some(0),
            "backup {run} is listed complete but does not verify\n{}",
            show(&v)
        );
    }
    complete
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_killed_at_a_random_moment_then_rerun_ends_like_a_clean_run() {
    let estate_dir = tempfile::tempdir().expect("tempdir");
    estate(estate_dir.path());

    let clean = Harness::start(default_options()).await;
    std::fs::write(clean.path().join(PASS), "kill trial passphrase\n").expect("passphrase");
    let args = migrate_args(estate_dir.path(), &clean.kc());
    let started = Instant::now();
    let env = env();
    let o = tokio::task::block_in_place(|| run_blocking(clean.path(), &args, &env));
    let clean_time = started.elapsed();
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", show(&o));
    let clean_code = o.status.code();
    let expected = objects(&clean.server.snapshot());
    assert!(
        expected.len() >= 500,
        "the estate gives only {} objects",
        expected.len()
    );
    eprintln!(
        "clean run: {} objects in {clean_time:?}, exit {clean_code:?}",
        expected.len()
    );

    let (mut killed, mut finished) = (0, 0);
    for seed in seeds() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let delay = Duration::from_millis(rng.random_range(0..=clean_time.as_millis() as u64));
        let h = Harness::start(default_options()).await;
        std::fs::write(h.path().join(PASS), "kill trial passphrase\n").expect("passphrase");
        let args = migrate_args(estate_dir.path(), &h.kc());
        let was_killed = tokio::task::block_in_place(|| run_and_kill(h.path(), &args, delay));
        if was_killed {
            killed += 1;
        } else {
            finished += 1;
        }
        // The journal claims nothing the cluster does not hold.
        let at_kill = h.server.snapshot();
        for claim in journal_claims(h.path(), &at_kill) {
            let key = snapshot_key(&claim);
            assert!(
                at_kill.get(&key).is_some(),
                "seed {seed}: the journal claims {claim} but the cluster has no {key}"
            );
        }
        let backups_before = backup_runs(h.path()).len();

        let o = tokio::task::block_in_place(|| run_blocking(h.path(), &args, &env));
        assert_eq!(
            o.status.code(),
            clean_code,
            "seed {seed} (killed after {delay:?}): rerun\n{}",
            show(&o)
        );
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
                "seed {seed} (killed after {delay:?}): {k} differs from the clean run"
            );
        }
        // One backup per run: the killed run's (if it got that far) and the rerun's, never more.
        let backups = backup_runs(h.path()).len();
        assert!(
            backups <= backups_before + 1 && backups <= 2,
            "seed {seed}: {backups} backups"
        );
        let complete = tokio::task::block_in_place(|| complete_backups_verify(h.path()));
        assert!(
            complete >= 1,
            "seed {seed}: the finished rerun left no complete backup"
        );
        eprintln!("seed {seed}: {} after {delay:?}; {backups} backups ({complete} complete), final state equal", if was_killed { "killed" } else { "finished" });
    }
    eprintln!("kill trials: {killed} killed, {finished} finished before the kill, 0 failures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_killed_at_a_random_moment_never_looks_complete() {
    let estate_dir = tempfile::tempdir().expect("tempdir");
    estate(estate_dir.path());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(PASS), "kill trial passphrase\n").expect("passphrase");
    let mut args = vec!["backup".to_string()];
    args.extend(source_args(estate_dir.path()));
    args.extend(["--passphrase-file".into(), PASS.into()]);
    let started = Instant::now();
    let o = run_blocking(dir.path(), &args, &[]);
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", show(&o));
    let clean_time = started.elapsed();
    let (mut killed, mut complete_total) = (0, 0);
    for seed in seeds() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let delay = Duration::from_millis(rng.random_range(0..=clean_time.as_millis() as u64));
        if run_and_kill(dir.path(), &args, delay) {
            killed += 1;
        }
        complete_total = complete_backups_verify(dir.path());
    }
    eprintln!(
        "backup kill trials: {killed} killed; {complete_total} backups listed complete, all verify"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_to_dir_killed_at_a_random_moment_leaves_nothing_half_written() {
    let estate_dir = tempfile::tempdir().expect("tempdir");
    estate(estate_dir.path());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(PASS), "kill trial passphrase\n").expect("passphrase");
    let mut args = vec!["backup".to_string()];
    args.extend(source_args(estate_dir.path()));
    args.extend(["--passphrase-file".into(), PASS.into()]);
    let o = run_blocking(dir.path(), &args, &[]);
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", show(&o));
    let run = backup_runs(dir.path())
        .into_iter()
        .next()
        .expect("a backup");
    let restore = |to: &str| -> Vec<String> {
        vec![
            "restore".into(),
            run.clone(),
            "--passphrase-file".into(),
            PASS.into(),
            "--to-dir".into(),
            to.into(),
        ]
    };
    let started = Instant::now();
    let o = run_blocking(dir.path(), &restore("clean"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let clean_time = started.elapsed();
    let clean_files = files(&dir.path().join("clean"));
    assert!(clean_files.len() >= 500, "{}", clean_files.len());
    let (mut killed, mut whole, mut absent) = (0, 0, 0);
    for seed in seeds() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let delay = Duration::from_millis(rng.random_range(0..=clean_time.as_millis() as u64));
        let to = format!("restored-{seed}");
        if run_and_kill(dir.path(), &restore(&to), delay) {
            killed += 1;
        }
        let target = dir.path().join(&to);
        let got = files(&target);
        if got.is_empty() {
            absent += 1;
            // Nothing there: a rerun restores into it.
            let o = run_blocking(dir.path(), &restore(&to), &[]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "seed {seed}: restore after the kill\n{}",
                show(&o)
            );
        } else {
            whole += 1;
        }
        assert_eq!(
            files(&target),
            clean_files,
            "seed {seed} (killed after {delay:?}): {to} is not whole"
        );
        for f in &clean_files {
            assert_eq!(
                std::fs::read(target.join(f)).ok(),
                std::fs::read(dir.path().join("clean").join(f)).ok(),
                "seed {seed}: {}",
                f.display()
            );
        }
    }
    eprintln!("restore --to-dir kill trials: {killed} killed; {absent} left nothing (then restored), {whole} whole; none half-written");
}
