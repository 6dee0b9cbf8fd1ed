//! `--from-backup RUN`: a backup run is a source like `--mysql-dump`/`--jenkins-home`, and a run
//! on it equals a run on the live sources at snapshot time.
//!
//! * offline: `backup --sample` to a folder store, then `export --from-backup` equals
//!   `export --sample` (resources byte for byte, report.json apart from `inputs` and `output`);
//!   the same through an S3 store (SeaweedFS);
//! * live: a backup of a real MariaDB and the Jenkins test double read with the script console
//!   (no key files: the values come only from the script console); with the database dropped
//!   and Jenkins stopped, `export --from-backup` equals the live export, values included; a
//!   `migrate --from-backup` keeps the values in its own backup;
//! * the cluster commands (assess, plan, migrate, verify) against the API server test double;
//! * failures: unknown run, wrong or missing key, a tampered archive, a run without manifest,
//!   a conflicting source flag.

mod cluster_support;
mod common;
#[path = "../../source-mysql/tests/support/mod.rs"]
mod support;
#[path = "../../backup/tests/weed/mod.rs"]
mod weed;

use std::path::{Path, PathBuf};
use std::process::Output;

use cluster_support::{default_options, show, texts, Harness, BROKEN_PROJECT, OUT, STORE};
use ksdm_backup::ExposeSecret;
use ksdm_test_jenkins::{DoubleConfig, JenkinsDouble};
use serde_json::Value;

const JENKINS_ARCHIVE: &str = "source/jenkins.tar.gz.age";
const VALUES_FILE: &str = "source/credential-values.json.age";

/// Writes a fresh age identity file into `dir`; returns (its path, the public key).
fn identity(dir: &Path, name: &str) -> (PathBuf, String) {
    let (id, public) = ksdm_backup::generate_identity();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", id.to_string().expose_secret())).expect("identity");
    (path, public)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The run id `backup` printed (`backup RUN written to …`).
fn run_of(o: &Output) -> String {
    texts(o)
        .0
        .lines()
        .find_map(|l| {
            l.strip_prefix("backup ")
                .and_then(|r| r.split_once(" written to "))
                .map(|(run, _)| run.to_string())
        })
        .unwrap_or_else(|| panic!("no run id printed\n{}", show(o)))
}

/// `report.json` without what names the sources and the output folder: `inputs` (the
/// from-backup run describes its inputs as the backup, "taken from" the original sources) and
/// `output` (a different --out). Everything else must be equal.
fn report_without_inputs(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let mut v: Value = serde_json::from_str(&text).expect("report json");
    let o = v.as_object_mut().expect("report object");
    o.remove("inputs").expect("report has inputs");
    o.remove("output");
    v
}

fn inputs(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let v: Value = serde_json::from_str(&text).expect("report json");
    v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Same files under `resources/`, byte for byte; returns how many.
fn assert_same_resources(a: &Path, b: &Path) -> usize {
    let (ra, rb) = (a.join("resources"), b.join("resources"));
    let files = common::files(&ra);
    assert!(!files.is_empty(), "{} has no resources", a.display());
    assert_eq!(files, common::files(&rb), "same files");
    for f in &files {
        assert!(
            std::fs::read(ra.join(f)).ok() == std::fs::read(rb.join(f)).ok(),
            "{} differs",
            f.display()
        );
    }
    files.len()
}

/// The export equals `export --sample` apart from the input descriptions.
fn assert_equals_sample_export(from: &Path, sample: &Path, run: &str) {
    assert_same_resources(sample, from);
    assert_eq!(
        report_without_inputs(from),
        report_without_inputs(sample),
        "report.json differs beyond inputs/output"
    );
    let described = inputs(from);
    assert_eq!(described.len(), 1, "{described:?}");
    assert!(
        described[0].starts_with(&format!("backup {run} in "))
            && described[0].contains("(taken from: MySQL dump (bundled sample) devops.sql; Jenkins home (bundled sample) jenkins_home)"),
        "{described:?}"
    );
}

#[test]
fn export_from_a_backup_equals_the_export_of_its_sources_and_failures_are_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let (id, public) = identity(t, "id.txt");
    let (other_id, _) = identity(t, "other.txt");
    let store = t.join("store");
    let b = common::run(&[
        "backup",
        "--sample",
        "--store",
        s(&store),
        "--recipient",
        &public,
        "--out",
        s(&t.join("backup-out")),
    ]);
    assert_eq!(b.status.code(), Some(4), "{}", show(&b));
    let run = run_of(&b);

    let sample = common::run(&["export", "--sample", "--out", s(&t.join("sample"))]);
    assert_eq!(sample.status.code(), Some(4), "{}", show(&sample));
    let from_args = |out: &str| {
        vec![
            "--from-backup".to_string(),
            run.clone(),
            "--store".into(),
            s(&store).into(),
            "--identity-file".into(),
            s(&id).into(),
            "--out".into(),
            s(&t.join(out)).into(),
        ]
    };
    let export = |extra: &[&str], out: &str| {
        let mut args = vec!["export".to_string()];
        args.extend(from_args(out));
        args.extend(extra.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run(&refs)
    };

    let from = export(&[], "from");
    assert_eq!(from.status.code(), Some(4), "{}", show(&from));
    assert_equals_sample_export(&t.join("from"), &t.join("sample"), &run);

    // --jenkins-url may stand next to --from-backup; Jenkins is still read from the backup
    // (this URL answers nothing: port 9 on loopback is closed).
    let with_url = export(&["--jenkins-url", "http://127.0.0.1:9/"], "with-url");
    assert_eq!(with_url.status.code(), Some(4), "{}", show(&with_url));
    assert_equals_sample_export(&t.join("with-url"), &t.join("sample"), &run);

    // assess reads it too.
    let mut args = vec!["assess".to_string()];
    args.extend(from_args("assess"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let assess = common::run(&refs);
    assert_eq!(assess.status.code(), Some(4), "{}", show(&assess));
    assert_eq!(
        report_without_inputs(&t.join("assess"))["totals"],
        report_without_inputs(&t.join("sample"))["totals"]
    );

    // A backup of the backup (same --store: read from and written to), read back once more.
    let again = common::run(&[
        "backup",
        "--from-backup",
        &run,
        "--store",
        s(&store),
        "--identity-file",
        s(&id),
        "--recipient",
        &public,
        "--out",
        s(&t.join("again-backup")),
    ]);
    assert_eq!(again.status.code(), Some(4), "{}", show(&again));
    let second = run_of(&again);
    assert_ne!(second, run);
    let mut args = vec!["export".to_string()];
    args.extend(from_args("second"));
    args[2] = second.clone();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let from_second = common::run(&refs);
    assert_eq!(from_second.status.code(), Some(4), "{}", show(&from_second));
    assert_same_resources(&t.join("sample"), &t.join("second"));
    assert_eq!(
        report_without_inputs(&t.join("second")),
        report_without_inputs(&t.join("sample"))
    );

    // Failures: each exit 3 (the input cannot be used) with the run, the file and the reason.
    let fails = |args: &[&str], code: i32, wants: &[&str]| {
        let o = common::run(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}\n{}", show(&o));
        let err = texts(&o).1;
        for w in wants {
            assert!(err.contains(w), "{args:?}: stderr lacks {w:?}\n{err}");
        }
    };
    let never = t.join("never");
    let out = s(&never);
    let unknown = "20200101T000000Z-00000000";
    fails(
        &[
            "export",
            "--from-backup",
            unknown,
            "--store",
            s(&store),
            "--identity-file",
            s(&id),
            "--out",
            out,
        ],
        3,
        &[unknown, "not found"],
    );
    fails(
        &[
            "export",
            "--from-backup",
            &run,
            "--store",
            s(&store),
            "--identity-file",
            s(&other_id),
            "--out",
            out,
        ],
        3,
        &[&run, JENKINS_ARCHIVE, "does not match"],
    );
    fails(
        &[
            "export",
            "--from-backup",
            &run,
            "--store",
            s(&store),
            "--out",
            out,
        ],
        3,
        &[&run, JENKINS_ARCHIVE, "encrypted"],
    );
    fails(
        &[
            "export",
            "--from-backup",
            &run,
            "--store",
            s(&store),
            "--identity-file",
            s(&id),
            "--mysql-dump",
            "devops.sql",
            "--out",
            out,
        ],
        2,
        &["--from-backup", "--mysql-dump"],
    );
    for other in [
        &["--jenkins-home", "home"][..],
        &["--sample"][..],
        &["--mysql", "mysql://x@127.0.0.1/devops"][..],
    ] {
        fails(
            &[&["export", "--from-backup", &run, "--out", out][..], other].concat(),
            2,
            &["--from-backup", other[0]],
        );
    }
    // The key and S3 flags of export/assess/plan/verify mean nothing without --from-backup.
    fails(
        &[
            "export",
            "--sample",
            "--identity-file",
            s(&id),
            "--out",
            out,
        ],
        2,
        &["--identity-file is used only with --from-backup"],
    );
    // A run without manifest (its upload never finished).
    let incomplete = "20200101T000001Z-00000001";
    let copy = store.join(incomplete);
    std::fs::create_dir_all(copy.join("source")).expect("mkdir");
    for f in ["source/mysql.json", JENKINS_ARCHIVE] {
        std::fs::copy(store.join(&run).join(f), copy.join(f)).expect("copy");
    }
    fails(
        &[
            "export",
            "--from-backup",
            incomplete,
            "--store",
            s(&store),
            "--identity-file",
            s(&id),
            "--out",
            out,
        ],
        3,
        &[incomplete, "incomplete", "manifest"],
    );
    // One changed byte in the Jenkins archive: its checksum names it.
    let part = store.join(&run).join(JENKINS_ARCHIVE);
    let mut bytes = std::fs::read(&part).expect("archive");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&part, bytes).expect("tamper");
    fails(
        &[
            "export",
            "--from-backup",
            &run,
            "--store",
            s(&store),
            "--identity-file",
            s(&id),
            "--out",
            out,
        ],
        3,
        &[&run, JENKINS_ARCHIVE, "SHA-256"],
    );
    assert!(!t.join("never/resources").exists(), "nothing was converted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_a_backup_in_s3() {
    let lease = weed::lease();
    let _bucket = weed::bucket_store_at(&lease, "snapshots", "ksdm").await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path().to_path_buf();
    let (id, public) = identity(&t, "id.txt");
    let endpoint = lease.endpoint();
    let env = [
        ("AWS_ACCESS_KEY_ID", weed::ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", weed::SECRET_KEY),
    ];
    let store = "s3://snapshots/ksdm";
    let s3 = [
        "--store",
        store,
        "--s3-endpoint",
        &endpoint,
        "--s3-region",
        "us-east-1",
    ];
    let b = cluster_support::run_in(
        &t,
        &[
            &["backup", "--sample", "--recipient", &public, "--out", "b"][..],
            &s3[..],
        ]
        .concat(),
        &env,
    )
    .await;
    assert_eq!(b.status.code(), Some(4), "{}", show(&b));
    let run = run_of(&b);
    let sample = cluster_support::run_in(&t, &["export", "--sample", "--out", "sample"], &[]).await;
    assert_eq!(sample.status.code(), Some(4), "{}", show(&sample));
    let from = cluster_support::run_in(
        &t,
        &[
            &[
                "export",
                "--from-backup",
                &run,
                "--identity-file",
                s(&id),
                "--out",
                "from",
            ][..],
            &s3[..],
        ]
        .concat(),
        &env,
    )
    .await;
    assert_eq!(from.status.code(), Some(4), "{}", show(&from));
    assert_equals_sample_export(&t.join("from"), &t.join("sample"), &run);
    assert!(
        inputs(&t.join("from"))[0].contains("s3://snapshots/ksdm"),
        "{:?}",
        inputs(&t.join("from"))
    );
}

/// Every Secret of an export: (file, its `data` map).
fn secret_data(out: &Path) -> Vec<(PathBuf, serde_json::Map<String, Value>)> {
    let secrets = out.join("resources/secrets");
    common::files(&secrets)
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(secrets.join(&f)).expect("secret");
            let v: Value = serde_saphyr::from_str(&text).expect("secret yaml");
            let data = v["data"].as_object().cloned().unwrap_or_default();
            (f, data)
        })
        .collect()
}

#[test]
fn a_backup_of_live_sources_with_script_console_values_exports_like_the_live_sources() {
    let db = support::TestDb::with_sample();
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let double = JenkinsDouble::start(DoubleConfig::new(
        common::repo().join("sample/jenkins_home"),
    ))
    .expect("start the Jenkins test double");
    let token = t.join("jenkins-token");
    std::fs::write(&token, format!("{}\n", double.token())).expect("token");
    let (id, public) = identity(t, "id.txt");
    let store = t.join("store");
    let url = double.url();
    let live_sources = [
        "--mysql",
        &db.url(),
        "--jenkins-url",
        &url,
        "--jenkins-user",
        double.user(),
        "--jenkins-token-file",
        s(&token),
        "--jenkins-script-console",
        "--secret-values",
        "include",
    ]
    .map(str::to_string);
    let live_refs: Vec<&str> = live_sources.iter().map(String::as_str).collect();

    let live = common::run(&[&["export", "--out", s(&t.join("live"))][..], &live_refs].concat());
    let b = common::run(
        &[
            &[
                "backup",
                "--store",
                s(&store),
                "--recipient",
                &public,
                "--out",
                s(&t.join("b")),
            ][..],
            &live_refs,
        ]
        .concat(),
    );
    assert_eq!(
        b.status.code(),
        live.status.code(),
        "{}\n{}",
        show(&b),
        show(&live)
    );
    let run = run_of(&b);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(store.join(&run).join("manifest.json")).expect("manifest"),
    )
    .expect("manifest json");
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(names.contains(&VALUES_FILE), "{names:?}");
    let at_rest = std::fs::read(store.join(&run).join(VALUES_FILE)).expect("values file");
    assert!(
        at_rest.starts_with(b"age-encryption.org/v1"),
        "the values are encrypted"
    );
    assert_eq!(
        double.stats().count("/scriptText"),
        2,
        "live export + backup"
    );

    // The snapshot alone: the database is dropped and Jenkins is stopped.
    drop(db);
    double.shutdown();
    let from = common::run(&[
        "export",
        "--from-backup",
        &run,
        "--store",
        s(&store),
        "--identity-file",
        s(&id),
        "--secret-values",
        "include",
        "--out",
        s(&t.join("from")),
    ]);
    assert_eq!(from.status.code(), live.status.code(), "{}", show(&from));
    assert_same_resources(&t.join("live"), &t.join("from"));
    assert_eq!(
        report_without_inputs(&t.join("from")),
        report_without_inputs(&t.join("live"))
    );
    // The values came through: the same Secrets with values, none of them from key files.
    let secrets = secret_data(&t.join("from"));
    let with_values = secrets.iter().filter(|(_, d)| !d.is_empty()).count();
    assert!(with_values >= 5, "Secrets with values: {secrets:?}");
    let (stdout, stderr) = texts(&from);
    for (f, data) in &secrets {
        for v in data.values().filter_map(Value::as_str) {
            use base64::Engine;
            let plain = base64::engine::general_purpose::STANDARD
                .decode(v)
                .expect("base64 data");
            let plain = String::from_utf8_lossy(&plain);
            if plain.len() >= 6 {
                assert!(
                    !stdout.contains(plain.as_ref()) && !stderr.contains(plain.as_ref()),
                    "a value of {} was printed",
                    f.display()
                );
            }
        }
    }

    // migrate --from-backup takes its own backup (same store), which keeps the values too.
    let m = common::run(&[
        "migrate",
        "--from-backup",
        &run,
        "--store",
        s(&store),
        "--identity-file",
        s(&id),
        "--recipient",
        &public,
        "--secret-values",
        "include",
        "--no-apply",
        "--out",
        s(&t.join("m")),
    ]);
    assert_eq!(m.status.code(), live.status.code(), "{}", show(&m));
    let mut runs: Vec<String> = std::fs::read_dir(&store)
        .expect("store")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|r| *r != run)
        .collect();
    assert_eq!(runs.len(), 1, "migrate took one backup: {runs:?}");
    let second = runs.remove(0);
    assert!(store.join(&second).join(VALUES_FILE).is_file());
    let again = common::run(&[
        "export",
        "--from-backup",
        &second,
        "--store",
        s(&store),
        "--identity-file",
        s(&id),
        "--secret-values",
        "include",
        "--out",
        s(&t.join("again")),
    ]);
    assert_eq!(again.status.code(), live.status.code(), "{}", show(&again));
    assert_same_resources(&t.join("live"), &t.join("again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assess_plan_migrate_and_verify_read_from_a_backup() {
    let h = Harness::start(default_options()).await;
    let (id, public) = identity(h.path(), "id.txt");
    let b = h.run(&["backup", "--sample", "--recipient", &public]).await;
    assert_eq!(b.status.code(), Some(4), "{}", show(&b));
    let run = h.only_run();
    let kc = h.kc();
    let id = s(&id).to_string();
    let snap = ["--from-backup", &run, "--identity-file", &id];
    let cluster = [
        "--kubeconfig",
        &kc,
        "--exclude",
        BROKEN_PROJECT,
        "--namespace-timeout",
        "20s",
    ];

    let assess = h
        .run(
            &[
                &["assess", "--out", "assess"][..],
                &snap,
                &["--exclude", BROKEN_PROJECT],
            ]
            .concat(),
        )
        .await;
    assert_eq!(assess.status.code(), Some(0), "{}", show(&assess));

    let plan = h.run(&[&["plan"][..], &snap, &cluster].concat()).await;
    assert_eq!(plan.status.code(), Some(0), "{}", show(&plan));
    assert!(h.write_requests().is_empty(), "plan wrote");

    // migrate reads the snapshot from --store (the default here) and writes its own backup
    // there too.
    let migrate = h
        .run(&[&["migrate", "--recipient", &public][..], &snap, &cluster].concat())
        .await;
    assert_eq!(migrate.status.code(), Some(0), "{}", show(&migrate));
    assert_eq!(
        cluster_support::backup_runs(h.path()).len(),
        2,
        "the snapshot and migrate's own backup"
    );
    let tree = cluster_support::tree_keys(&h.out().join("resources"));
    assert!(!tree.is_empty());
    let snapshot = h.server.snapshot();
    let missing: Vec<&String> = tree
        .iter()
        .filter(|k| snapshot.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "not applied: {missing:?}");
    let report = std::fs::read_to_string(h.out().join("report.json")).expect("report");
    assert!(report.contains(&format!("backup {run} in ")), "{report}");

    let verify = h.run(&[&["verify"][..], &snap, &cluster].concat()).await;
    assert_eq!(verify.status.code(), Some(0), "{}", show(&verify));
    assert!(h.path().join(OUT).join("verify.json").is_file());
    assert!(h.path().join(STORE).is_dir());
}

/// Runs the binary in `dir` with the tool's environment variables cleared.
fn run_clean(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    cluster_support::run_blocking(dir, &args, &[])
}

#[test]
fn a_shard_backup_of_a_live_jenkins_holds_only_its_shard_and_reads_back() {
    // Shard 3 of 4 holds one active project, `project-Zx3Kd9PwQn7T`, whose Jenkins folder was
    // removed, a soft-deleted one, and no Jenkins item: its backup of a live Jenkins has an
    // empty Jenkins archive (no key files either), which reads back as an empty Jenkins home.
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let double = JenkinsDouble::start(DoubleConfig::new(
        common::repo().join("sample/jenkins_home"),
    ))
    .expect("start the Jenkins test double");
    let token = t.join("jenkins-token");
    std::fs::write(&token, format!("{}\n", double.token())).expect("token");
    let (id, public) = identity(t, "id.txt");
    let dump = common::repo().join("sample/devops.sql");
    let url = double.url();
    let m = run_clean(
        t,
        &[
            "migrate",
            "--mysql-dump",
            s(&dump),
            "--jenkins-url",
            &url,
            "--jenkins-user",
            double.user(),
            "--jenkins-token-file",
            s(&token),
            "--shards",
            "4",
            "--shard-index",
            "3",
            "--no-apply",
            "--recipient",
            &public,
            "--out",
            "shard",
        ],
    );
    assert!(matches!(m.status.code(), Some(0 | 4)), "{}", show(&m));
    let runs = cluster_support::backup_runs(t);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    let from = run_clean(
        t,
        &[
            "export",
            "--from-backup",
            run,
            "--identity-file",
            s(&id),
            "--out",
            "from",
        ],
    );
    assert_eq!(from.status.code(), m.status.code(), "{}", show(&from));
    let (a, b) = (t.join("shard/resources"), t.join("from/resources"));
    assert_eq!(common::files(&a), common::files(&b));
    let (ra, rb) = (
        report_without_inputs(&t.join("shard")),
        report_without_inputs(&t.join("from")),
    );
    assert_eq!(ra["totals"], rb["totals"]);
    assert_eq!(ra["items"], rb["items"]);
    let projects: Vec<&str> = rb["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        projects,
        ["project-R2dE5tGhY8uI", "project-Zx3Kd9PwQn7T"],
        "only the shard's rows (the second one is soft-deleted)"
    );
    // The backup's Jenkins archive is indeed empty.
    let jf = run_clean(
        t,
        &[
            "restore",
            run,
            "--identity-file",
            s(&id),
            "--jenkins-files",
            "jf",
        ],
    );
    assert_eq!(jf.status.code(), Some(0), "{}", show(&jf));
    assert!(texts(&jf).0.starts_with("0 Jenkins files"), "{}", show(&jf));
}

#[test]
fn problems_found_reading_mysql_are_reported_again_from_the_backup() {
    // A dump cut inside its last statement: the reader reports an error (rows may be missing).
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let text = std::fs::read_to_string(common::repo().join("sample/devops.sql")).expect("dump");
    let cut = text.rfind("INSERT INTO").expect("an INSERT") + 40;
    let dump = t.join("cut.sql");
    std::fs::write(&dump, &text[..cut]).expect("cut dump");
    let home = common::repo().join("sample/jenkins_home");
    let (id, public) = identity(t, "id.txt");
    let store = t.join("store");
    let sources = ["--mysql-dump", s(&dump), "--jenkins-home", s(&home)];
    let direct = common::run(&[&["export", "--out", s(&t.join("direct"))][..], &sources].concat());
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(t.join("direct/report.json")).expect("report"),
    )
    .expect("json");
    let errors = report["run_errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().unwrap_or_default().contains("MySQL dump")),
        "the cut dump is reported: {}",
        report["run_errors"]
    );
    let b = common::run(
        &[
            &[
                "backup",
                "--store",
                s(&store),
                "--recipient",
                &public,
                "--out",
                s(&t.join("b")),
            ][..],
            &sources,
        ]
        .concat(),
    );
    assert_eq!(b.status.code(), direct.status.code(), "{}", show(&b));
    let run = run_of(&b);
    assert!(store.join(&run).join("source/mysql-issues.json").is_file());
    let from = common::run(&[
        "export",
        "--from-backup",
        &run,
        "--store",
        s(&store),
        "--identity-file",
        s(&id),
        "--out",
        s(&t.join("from")),
    ]);
    assert_eq!(from.status.code(), direct.status.code(), "{}", show(&from));
    assert_same_resources(&t.join("direct"), &t.join("from"));
    assert_eq!(
        report_without_inputs(&t.join("from")),
        report_without_inputs(&t.join("direct"))
    );
}

/// In a pod the identity comes from the environment (`job --env-from-secret`):
/// `KSDM_BACKUP_IDENTITY` holds the identity text; a wrong one is named without its value.
#[test]
fn the_identity_may_come_from_the_environment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let (id, public) = identity(t, "id.txt");
    let (other, _) = identity(t, "other.txt");
    let store = t.join("store");
    let b = common::run(&[
        "backup",
        "--sample",
        "--store",
        s(&store),
        "--recipient",
        &public,
        "--out",
        s(&t.join("backup-out")),
    ]);
    assert_eq!(b.status.code(), Some(4), "{}", show(&b));
    let run = run_of(&b);
    let export = |identity_text: &str, out: &str| {
        std::process::Command::new(common::bin())
            .current_dir(t)
            .env("KSDM_BACKUP_IDENTITY", identity_text)
            .env_remove("KSDM_BACKUP_PASSPHRASE")
            .args([
                "export",
                "--from-backup",
                &run,
                "--store",
                s(&store),
                "--out",
                s(&t.join(out)),
            ])
            .output()
            .expect("run")
    };
    let text = std::fs::read_to_string(&id).unwrap();
    let o = export(&text, "from-env");
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    assert!(t.join("from-env/resources").is_dir());
    let wrong = std::fs::read_to_string(&other).unwrap();
    let o = export(&wrong, "wrong");
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let (stdout, stderr) = texts(&o);
    assert!(!stdout.contains(wrong.trim()) && !stderr.contains(wrong.trim()));
    let o = export("not an identity", "bad");
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(texts(&o).1.contains("KSDM_BACKUP_IDENTITY"), "{}", show(&o));
}
