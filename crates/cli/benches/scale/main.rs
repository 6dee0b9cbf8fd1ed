//! Performance at scale, every figure next to a floor measured in the same run.
//!
//! `cargo bench -p ks-devops-migrate --bench scale` generates seeded v2.1 estates with the
//! project's own generator (`ksdm-estate`, with [`Realism::benchmark`]: Jenkinsfiles of 1–50 KB,
//! every credential type) and runs the real release binary on them as a child process. Each
//! measurement is interleaved with its floor (tool, floor, tool, floor, …) so both see the same
//! machine load; the ratio tool / floor is what counts, the absolute figures vary with the
//! machine. It prints one Markdown table (also written to `target/bench-scale-<time>.md`) for
//! BENCHMARKS.md. This is a measurement, not a test: nothing here asserts a speed.
//!
//! Measurements (section names for `KSDM_BENCH_ONLY`):
//! * `assess` — wall time, pipelines/s, CPU cores used, peak RSS; floor: reading the same files
//!   with one thread per core.
//! * `export` — the same, output on the estate's file system; floor: `cp -r` of the export's own
//!   output tree on the same file system.
//! * `jenkins` — `export --jenkins-url` against the Jenkins test double with 20 ms added to every
//!   request, `--jenkins-concurrency 8`; floor: requests × 20 ms / 8.
//! * `mysql` — the live MySQL read of `assess --mysql` against MariaDB (from the tool's own log
//!   lines "connecting" → "read the v2.1 devops database"); floor: the same SELECTs with the
//!   `mariadb` client (a process start and a connection included in both).
//! * `apply` — `migrate` against the Kubernetes API test double: objects/s of the apply phase
//!   (from the "[4/6] backup" line to the "[5-6/6] applied" line), then the rerun (all unchanged);
//!   floor: a minimal `kube` client loop POSTing the same objects with the same concurrency
//!   (4 projects in flight) to a fresh instance of the same server.
//! * `resume` — `migrate` killed (SIGKILL) when 99 % of the objects are written, then restarted:
//!   seconds from the restart to its first object write (and where they go), then a rerun.
//! * `backup` — `backup` (read, convert, archive, encrypt to an age recipient, verify) to a local
//!   folder and to SeaweedFS S3, and `backup verify`; MB/s of the input bytes (Jenkins files +
//!   YAML tree); floors: `tar -c | gzip -1` of the same trees (the tool compresses with gzip's
//!   fastest level), `gzip -dc` of that archive, and a plain S3 PUT (curl, SigV4) of it.
//!
//! Environment: `KSDM_BENCH_SIZES` (default `1k,10k`; `1k`, `10k`, `100k` or `PxN` = P projects
//! × N pipelines), `KSDM_BENCH_RUNS` (interleaved pairs per measurement, default 3),
//! `KSDM_BENCH_ONLY` (comma-separated sections, default all), `KSDM_BENCH_RESUME` (size label
//! for `resume`, default the largest size), `KSDM_BENCH_DIR` (estates and outputs; default
//! `/dev/shm/ksdm-bench` when `/dev/shm` exists, else `target/bench-estates`),
//! `KSDM_BENCH_MIGRATE_ARGS` (extra `migrate` flags for `apply` and `resume`, e.g.
//! `--journal-configmap=` to measure without the journal's ConfigMap mirror).

mod floors;
mod proc;
mod services;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ksdm_estate::{write_synthetic_with, Realism, SyntheticOptions};
use ksdm_test_apiserver::{ServerOptions, TestApiServer};
use ksdm_test_jenkins::{DoubleConfig, FaultAction, FaultRule, JenkinsDouble};
use proc::{run, run_watched, sh, tool, Run, Tick};

/// Latency added to every Jenkins request.
const JENKINS_LATENCY: Duration = Duration::from_millis(20);
/// `--jenkins-concurrency`.
const JENKINS_CONCURRENCY: usize = 8;
/// The tool's default `--concurrency` (projects applied at the same time).
const APPLY_CONCURRENCY: usize = 4;

struct Size {
    label: String,
    projects: usize,
    per: usize,
}

fn sizes() -> Vec<Size> {
    let spec = std::env::var("KSDM_BENCH_SIZES").unwrap_or_else(|_| "1k,10k".into());
    spec.split(',')
        .filter_map(|s| {
            let s = s.trim();
            let (projects, per) = match s {
                "1k" => (10, 100),
                "10k" => (100, 100),
                "100k" => (1000, 100),
                other => {
                    let (a, b) = other.split_once('x')?;
                    (a.parse().ok()?, b.parse().ok()?)
                }
            };
            Some(Size {
                label: s.to_owned(),
                projects,
                per,
            })
        })
        .collect()
}

/// Generates (once; cached with a marker) the estate of `size`; returns its folder and its
/// pipeline count.
fn estate(dir: &Path, size: &Size) -> (PathBuf, usize) {
    let path = dir.join(format!("estate-{}x{}", size.projects, size.per));
    let marker = path.join(".complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&path);
        let opts = SyntheticOptions {
            projects: size.projects,
            pipelines_per_project: size.per,
            credentials_per_project: 5,
            workspaces: 10,
            seed: 211,
            workspace_column: true,
        };
        let t = Instant::now();
        let s = write_synthetic_with(&path, &opts, &Realism::benchmark()).expect("generate");
        std::fs::write(&marker, s.pipelines.to_string()).expect("marker");
        eprintln!(
            "generated {} ({} pipelines) in {:.1}s",
            path.display(),
            s.pipelines,
            t.elapsed().as_secs_f64()
        );
    }
    let n = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    (path, n)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn fresh(p: &Path) {
    let _ = std::fs::remove_dir_all(p);
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn range(v: &[f64]) -> String {
    let lo = min(v);
    let hi = v.iter().copied().fold(0.0, f64::max);
    format!("{lo:.2}–{hi:.2}")
}

/// The results table.
struct Table {
    rows: Vec<String>,
}

impl Table {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        size: &str,
        what: &str,
        tool: String,
        floor: String,
        ratio: String,
        target: &str,
        res: String,
        note: String,
    ) {
        let line =
            format!("| {size} | {what} | {tool} | {floor} | {ratio} | {target} | {res} | {note} |");
        println!("{line}");
        self.rows.push(line);
    }
}

fn res(r: &Run) -> String {
    format!("{:.2} cores, {:.0} MiB", r.cores(), r.peak_mib)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("scale bench: run with `cargo bench -p ks-devops-migrate --bench scale`");
        return;
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = std::env::var("KSDM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            if Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm/ksdm-bench")
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-estates")
            }
        });
    std::fs::create_dir_all(&dir).expect("bench dir");
    let runs: usize = std::env::var("KSDM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let only: Option<Vec<String>> = std::env::var("KSDM_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let on = |section: &str| only.as_ref().is_none_or(|o| o.iter().any(|s| s == section));
    let sizes = sizes();
    let resume_at = std::env::var("KSDM_BENCH_RESUME")
        .ok()
        .or_else(|| sizes.last().map(|s| s.label.clone()))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    println!(
        "ks-devops-migrate scale benchmark: {cores} cores, {runs} interleaved runs, in {}, load {}",
        dir.display(),
        load()
    );
    let mut t = Table { rows: Vec::new() };
    println!();
    println!("| estate | measurement | tool | floor | tool / floor | target | tool CPU, peak RSS | notes |");
    println!("|---|---|---:|---:|---:|---|---|---|");
    for size in &sizes {
        let (home, pipelines) = estate(&dir, size);
        let work = dir.join(format!("work-{}", size.label));
        fresh(&work);
        std::fs::create_dir_all(&work).expect("work dir");
        let label = format!("{} ({pipelines} pipelines)", size.label);
        let dump = home.join("devops.sql");
        let jhome = home.join("jenkins_home");
        let (in_bytes, in_files) = proc::tree_size(&jhome);
        eprintln!(
            "{label}: {:.0} MB in {in_files} Jenkins files, load {}",
            in_bytes as f64 / 1e6,
            load()
        );
        let src = |cmd: &str, out: &Path| -> Vec<String> {
            vec![
                cmd.to_owned(),
                "--mysql-dump".into(),
                s(&dump).to_owned(),
                "--jenkins-home".into(),
                s(&jhome).to_owned(),
                "--out".into(),
                s(out).to_owned(),
            ]
        };
        let args = |v: &[String]| -> Vec<String> { v.to_vec() };
        let run_tool = |v: Vec<String>| -> Run {
            let a: Vec<&str> = v.iter().map(String::as_str).collect();
            run(tool(&a))
        };

        // assess and export, interleaved with their floors.
        let export_out = work.join("export");
        if on("assess") || on("export") {
            let load_before = load();
            let (mut a, mut fr, mut e, mut fc) = (vec![], vec![], vec![], vec![]);
            let (mut a_runs, mut e_runs) = (vec![], vec![]);
            for _ in 0..runs {
                if on("assess") {
                    let (secs, _) = floors::parallel_read(&home, cores);
                    fr.push(secs);
                    let out = work.join("assess");
                    fresh(&out);
                    let r = run_tool(args(&src("assess", &out)));
                    a.push(r.secs);
                    a_runs.push(r);
                }
                if on("export") {
                    fresh(&export_out);
                    let r = run_tool(args(&src("export", &export_out)));
                    e.push(r.secs);
                    e_runs.push(r);
                    let copy = work.join("copy");
                    fresh(&copy);
                    let c = run(sh(&format!("cp -r '{}' '{}'", s(&export_out), s(&copy))));
                    fc.push(c.secs);
                    fresh(&copy);
                }
            }
            let load_after = load();
            if on("assess") {
                let best = a_runs
                    .iter()
                    .min_by(|x, y| x.secs.total_cmp(&y.secs))
                    .cloned()
                    .unwrap_or_default();
                let ratios: Vec<f64> = a.iter().zip(&fr).map(|(x, y)| x / y).collect();
                t.row(
                    &label,
                    "assess",
                    format!(
                        "{:.2} s, {:.0} pipelines/s",
                        min(&a),
                        pipelines as f64 / min(&a)
                    ),
                    format!("{:.2} s (parallel read, {cores} threads)", min(&fr)),
                    format!("**{:.2}** (runs {})", min(&a) / min(&fr), range(&ratios)),
                    "≤ 1.2",
                    res(&best),
                    format!("exit {}; load {load_before} → {load_after}", best.code),
                );
            }
            if on("export") {
                let best = e_runs
                    .iter()
                    .min_by(|x, y| x.secs.total_cmp(&y.secs))
                    .cloned()
                    .unwrap_or_default();
                let (out_bytes, out_files) = proc::tree_size(&export_out);
                let ratios: Vec<f64> = e.iter().zip(&fc).map(|(x, y)| x / y).collect();
                t.row(
                    &label,
                    "export",
                    format!(
                        "{:.2} s, {:.0} pipelines/s",
                        min(&e),
                        pipelines as f64 / min(&e)
                    ),
                    format!("{:.2} s (`cp -r` of its output)", min(&fc)),
                    format!("**{:.2}** (runs {})", min(&e) / min(&fc), range(&ratios)),
                    "≤ 1.1",
                    res(&best),
                    format!(
                        "exit {}; output {out_files} files, {:.0} MB; load {load_before} → {load_after}",
                        best.code,
                        out_bytes as f64 / 1e6
                    ),
                );
            }
        }
        if !export_out.join("resources").is_dir()
            && (on("apply") || on("backup") || (on("resume") && size.label == resume_at))
        {
            let r = run_tool(args(&src("export", &export_out)));
            assert!(r.code == 0 || r.code == 4, "export failed: {}", r.tail());
        }

        // Live Jenkins with latency.
        if on("jenkins") {
            let load_before = load();
            let double =
                JenkinsDouble::start(DoubleConfig::new(&jhome)).expect("start the Jenkins double");
            double.faults().add(FaultRule::path_contains(
                "",
                FaultAction::Delay(JENKINS_LATENCY),
            ));
            let token = work.join("jenkins-token");
            std::fs::write(&token, format!("{}\n", double.token())).expect("token file");
            let out = work.join("live-jenkins");
            fresh(&out);
            let url = double.url();
            let conc = JENKINS_CONCURRENCY.to_string();
            let r = run(tool(&[
                "export",
                "--mysql-dump",
                s(&dump),
                "--jenkins-url",
                &url,
                "--jenkins-user",
                double.user(),
                "--jenkins-token-file",
                s(&token),
                "--jenkins-concurrency",
                &conc,
                "--out",
                s(&out),
            ]));
            let requests = double.stats().requests().len();
            let in_flight = double.stats().max_in_flight();
            double.shutdown();
            fresh(&out);
            let floor =
                requests as f64 * JENKINS_LATENCY.as_secs_f64() / JENKINS_CONCURRENCY as f64;
            t.row(
                &label,
                "live Jenkins reads (`export --jenkins-url`, +20 ms/request, concurrency 8)",
                format!(
                    "{:.2} s, {:.0} requests/s",
                    r.secs,
                    requests as f64 / r.secs
                ),
                format!("{floor:.2} s ({requests} requests × 20 ms / 8)"),
                format!("**{:.2}**", r.secs / floor),
                "≤ 1.3",
                res(&r),
                format!(
                    "exit {}; at most {in_flight} requests in flight; load {load_before} → {}",
                    r.code,
                    load()
                ),
            );
        }

        // Live MySQL.
        if on("mysql") {
            let db = format!(
                "ksdm_bench_{}",
                size.label
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            services::load_dump(&dump, &db);
            let url = format!("mysql://root@127.0.0.1:3306/{db}");
            let selects = format!(
                "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}'; \
                 START TRANSACTION WITH CONSISTENT SNAPSHOT; \
                 SELECT * FROM `{db}`.`project` ORDER BY project_id; \
                 SELECT * FROM `{db}`.`project_membership` ORDER BY project_id, username; \
                 SELECT * FROM `{db}`.`project_credential` ORDER BY project_id, credential_id; COMMIT;"
            );
            let load_before = load();
            let (mut reads, mut floor, mut walls) = (vec![], vec![], vec![]);
            let mut last = Run::default();
            for _ in 0..runs {
                let f = run(sh(&format!(
                    "mariadb -h 127.0.0.1 -P 3306 -u root --batch -e \"{}\" > /dev/null",
                    selects.replace('`', "\\`")
                )));
                assert_eq!(f.code, 0, "the floor's SELECTs failed: {}", f.tail());
                floor.push(f.secs);
                let out = work.join("live-mysql");
                fresh(&out);
                let mut cmd = tool(&[
                    "assess",
                    "--mysql",
                    &url,
                    "--mysql-tls",
                    "disabled",
                    "--jenkins-home",
                    s(&jhome),
                    "--out",
                    s(&out),
                ]);
                cmd.env("KSDM_LOG", "ksdm_source_mysql=debug");
                let r = run(cmd);
                let read = match (
                    r.line_at("connecting to MySQL"),
                    r.line_at("read the v2.1 devops database"),
                ) {
                    (Some(a), Some(b)) => b - a,
                    _ => f64::NAN,
                };
                reads.push(read);
                walls.push(r.secs);
                last = r;
            }
            services::drop_db(&db);
            t.row(
                &label,
                "live MySQL read (`assess --mysql`, MariaDB)",
                format!("{:.3} s (whole assess {:.2} s)", min(&reads), min(&walls)),
                format!("{:.3} s (`mariadb` client, same SELECTs)", min(&floor)),
                format!("**{:.2}**", min(&reads) / min(&floor)),
                "—",
                res(&last),
                format!("exit {}; load {load_before} → {}", last.code, load()),
            );
        }

        // Apply, rerun, and the floor.
        if on("apply") {
            apply_section(&rt, &mut t, &label, &work, &dump, &jhome, &export_out);
        }
        if on("resume") && size.label == resume_at {
            resume_section(&rt, &mut t, &label, &work, &dump, &jhome, &export_out);
        }
        if on("backup") {
            backup_section(&mut t, &label, &work, &dump, &jhome, &export_out, runs);
        }
        fresh(&work);
    }
    println!();
    println!(
        "total {:.0} s; load at the end {}",
        started.elapsed().as_secs_f64(),
        load()
    );
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench-scale-{stamp}.md"));
    let mut text = String::from(
        "| estate | measurement | tool | floor | tool / floor | target | tool CPU, peak RSS | notes |\n|---|---|---:|---:|---:|---|---|---|\n",
    );
    for r in &t.rows {
        text.push_str(r);
        text.push('\n');
    }
    if std::fs::write(&file, text).is_ok() {
        println!("table written to {}", file.display());
    }
}

/// A test API server (KubeSphere CRDs, namespace controller acting at once) and its kubeconfig.
fn api_server(
    rt: &tokio::runtime::Runtime,
    work: &Path,
    name: &str,
    controller: bool,
) -> (TestApiServer, PathBuf) {
    let opts = ServerOptions::default()
        .with_kubesphere_crds()
        .with_controller_delay(controller.then_some(Duration::ZERO));
    let server = rt
        .block_on(TestApiServer::start(opts))
        .expect("start the test API server");
    let kc = work.join(format!("{name}-kubeconfig.yaml"));
    std::fs::write(&kc, server.kubeconfig_yaml()).expect("kubeconfig");
    (server, kc)
}

fn migrate_args(dump: &Path, jhome: &Path, out: &Path, store: &Path, kc: &Path) -> Vec<String> {
    [
        "migrate",
        "--mysql-dump",
        s(dump),
        "--jenkins-home",
        s(jhome),
        "--out",
        s(out),
        "--store",
        s(store),
        "--insecure-plaintext-backup",
        "--kubeconfig",
        s(kc),
    ]
    .map(String::from)
    .into_iter()
    .chain(
        std::env::var("KSDM_BENCH_MIGRATE_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from),
    )
    .collect()
}

/// Seconds of the apply phase of a `migrate` run: from the backup line to the applied line.
fn apply_secs(r: &Run) -> f64 {
    match (r.line_at("[4/6] backup"), r.line_at("[5-6/6] applied")) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    }
}

/// Successful writes of migrated objects (not the journal's ConfigMaps, not access reviews).
fn object_writes(records: &[ksdm_test_apiserver::RequestRecord]) -> usize {
    records
        .iter()
        .filter(|r| {
            matches!(r.method.as_str(), "POST" | "PUT" | "PATCH")
                && r.status < 300
                && !r.path.contains("selfsubjectaccessreviews")
                && !r.path.contains("/configmaps")
        })
        .count()
}

fn count_objects(export_out: &Path) -> usize {
    proc::files_under(&export_out.join("resources")).len()
}

fn apply_section(
    rt: &tokio::runtime::Runtime,
    t: &mut Table,
    label: &str,
    work: &Path,
    dump: &Path,
    jhome: &Path,
    export_out: &Path,
) {
    let objects = count_objects(export_out);
    let load_before = load();
    // Floor first: a fresh server, the namespaces there already, POSTs only.
    let (floor_server, floor_kc) = api_server(rt, work, "floor", true);
    let (projects, namespaces) = floors::load_objects(&export_out.join("resources"));
    for ns in &namespaces {
        floor_server
            .insert_object(serde_json::json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubesphere.io/devopsproject": ns}}
            }))
            .expect("insert a namespace");
    }
    let (floor_secs, created, failed) = rt.block_on(async {
        let yaml = std::fs::read_to_string(&floor_kc).expect("kubeconfig");
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig yaml");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("kube config");
        let client = kube::Client::try_from(config).expect("kube client");
        floors::create_loop(client, projects, APPLY_CONCURRENCY).await
    });
    rt.block_on(floor_server.shutdown());
    let floor_rate = created as f64 / floor_secs;

    let (server, kc) = api_server(rt, work, "apply", true);
    let out = work.join("migrate");
    let store = work.join("store");
    fresh(&out);
    fresh(&store);
    let a = migrate_args(dump, jhome, &out, &store, &kc);
    let av: Vec<&str> = a.iter().map(String::as_str).collect();
    let first = run(tool(&av));
    let rerun = run(tool(&av));
    rt.block_on(server.shutdown());
    fresh(&out);
    fresh(&store);
    let (f, r) = (apply_secs(&first), apply_secs(&rerun));
    t.row(
        label,
        "apply (`migrate`, test API server)",
        format!("{:.0} objects/s ({objects} objects in {f:.2} s)", objects as f64 / f),
        format!(
            "{floor_rate:.0} objects/s ({created} POSTs in {floor_secs:.2} s{})",
            if failed > 0 { format!(", {failed} refused") } else { String::new() }
        ),
        format!("**{:.2}** (rate ratio)", (objects as f64 / f) / floor_rate),
        "≥ 0.9",
        res(&first),
        format!(
            "exit {}; whole migrate {:.2} s (read, convert, backup, apply); load {load_before} → {}",
            first.code,
            first.secs,
            load()
        ),
    );
    t.row(
        label,
        "rerun, all unchanged",
        format!("{:.0} objects/s ({r:.2} s)", objects as f64 / r),
        format!("{:.0} objects/s (first run)", objects as f64 / f),
        format!("**{:.2}** (rerun / first)", f / r),
        "≥ 5",
        res(&rerun),
        format!("exit {}; whole migrate {:.2} s", rerun.code, rerun.secs),
    );
}

fn resume_section(
    rt: &tokio::runtime::Runtime,
    t: &mut Table,
    label: &str,
    work: &Path,
    dump: &Path,
    jhome: &Path,
    export_out: &Path,
) {
    let objects = count_objects(export_out);
    let load_before = load();
    let (server, kc) = api_server(rt, work, "resume", true);
    let out = work.join("resume");
    let store = work.join("resume-store");
    fresh(&out);
    fresh(&store);
    let a = migrate_args(dump, jhome, &out, &store, &kc);
    let av: Vec<&str> = a.iter().map(String::as_str).collect();
    let goal = objects * 99 / 100;
    let mut kill_at = 0.0;
    // Cheap counters until 97 % (they also count the journal's ConfigMaps), then the request
    // log, whose copy is slow at 100k objects, on every tick: the kill comes at 99 %.
    let near = |server: &TestApiServer| {
        let v = server.verb_counts();
        let n: u64 = ["create", "apply"]
            .iter()
            .map(|k| v.get(*k).copied().unwrap_or(0))
            .sum();
        n as usize >= objects * 97 / 100
    };
    let first = run_watched(tool(&av), |secs| {
        if near(&server) && object_writes(&server.requests()) >= goal {
            kill_at = secs;
            Tick::Kill
        } else {
            Tick::Go
        }
    });
    let written = object_writes(&server.requests());
    let rate_until_kill = match first.line_at("[4/6] backup") {
        Some(b) => written as f64 / (kill_at - b),
        None => f64::NAN,
    };
    server.clear_requests();
    let mut first_write: Option<f64> = None;
    let resumed = run_watched(tool(&av), |secs| {
        if first_write.is_none() && object_writes(&server.requests()) > 0 {
            first_write = Some(secs);
        }
        Tick::Go
    });
    let after_resume = object_writes(&server.requests());
    let rerun = run(tool(&av));
    rt.block_on(server.shutdown());
    fresh(&out);
    fresh(&store);
    let fw = first_write.unwrap_or(f64::NAN);
    let conv = resumed.line_at("[1-3/6]").unwrap_or(f64::NAN);
    let backup = resumed.line_at("[4/6] backup").unwrap_or(f64::NAN);
    t.row(
        label,
        "resume: restart → first new write, after SIGKILL at 99 %",
        format!("{fw:.2} s"),
        "—".into(),
        "—".into(),
        "< 5 s",
        res(&resumed),
        format!(
            "killed at {written} of {objects} object writes ({rate_until_kill:.0} objects/s until then, exit {}); \
             the restart: read+convert done at {conv:.2} s, backup at {backup:.2} s, first write {fw:.2} s, \
             done in {:.2} s with {} more object writes (exit {}); rerun {:.2} s, apply phase {:.2} s \
             ({:.0} objects/s, exit {}); load {load_before} → {}",
            first.code,
            resumed.secs,
            after_resume,
            resumed.code,
            rerun.secs,
            apply_secs(&rerun),
            objects as f64 / apply_secs(&rerun),
            rerun.code,
            load()
        ),
    );
}

/// The age recipient of a fresh identity (written by `migrate --sample`, untimed).
fn recipient(work: &Path) -> (String, PathBuf) {
    let out = work.join("sample-key");
    let _ = run(tool(&[
        "migrate",
        "--sample",
        "--out",
        s(&out),
        "--store",
        s(&work.join("sample-store")),
    ]));
    let identity = out.join("backup-identity.txt");
    let text = std::fs::read_to_string(&identity).expect("backup-identity.txt");
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key line")
        .trim()
        .to_owned();
    (public, identity)
}

fn backup_section(
    t: &mut Table,
    label: &str,
    work: &Path,
    dump: &Path,
    jhome: &Path,
    export_out: &Path,
    runs: usize,
) {
    let (recipient, identity) = recipient(work);
    let (jb, _) = proc::tree_size(jhome);
    let (rb, _) = proc::tree_size(&export_out.join("resources"));
    let mb = (jb + rb) as f64 / 1e6;
    let load_before = load();
    let archive = work.join("floor.tar.gz");
    let tar_gz = format!(
        "tar -cf - -C '{}' jenkins_home -C '{}' resources | gzip -1 > '{}'",
        s(jhome.parent().expect("estate")),
        s(export_out),
        s(&archive)
    );
    let out = work.join("backup-out");
    let backup_cmd = |store: &str, extra: &[&str]| {
        let mut v = vec![
            "backup",
            "--mysql-dump",
            s(dump),
            "--jenkins-home",
            s(jhome),
            "--out",
            s(&out),
            "--store",
            store,
            "--recipient",
            &recipient,
        ];
        v.extend_from_slice(extra);
        tool(&v)
    };
    let (mut tool_s, mut floor_s, mut ver_s, mut gunzip_s) = (vec![], vec![], vec![], vec![]);
    let mut step_s = vec![];
    let mut last = Run::default();
    let mut last_verify = Run::default();
    for i in 0..runs.min(2) {
        let f = run(sh(&tar_gz));
        floor_s.push(f.secs);
        let store = work.join(format!("bstore-{i}"));
        fresh(&out);
        let r = run(backup_cmd(s(&store), &[]));
        tool_s.push(r.secs);
        let run_id = std::fs::read_dir(&store)
            .ok()
            .and_then(|rd| rd.flatten().find(|e| e.path().is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .unwrap_or_default();
        let v = run(tool(&[
            "backup",
            "verify",
            &run_id,
            "--store",
            s(&store),
            "--identity-file",
            s(&identity),
        ]));
        ver_s.push(v.secs);
        let g = run(sh(&format!("gzip -dc '{}' > /dev/null", s(&archive))));
        gunzip_s.push(g.secs);
        // The backup step alone: `migrate --no-apply` prints a line when the conversion is
        // written and one when the backup is written and verified.
        fresh(&out);
        let step_store = work.join(format!("mstore-{i}"));
        let m = run(tool(&[
            "migrate",
            "--no-apply",
            "--mysql-dump",
            s(dump),
            "--jenkins-home",
            s(jhome),
            "--out",
            s(&out),
            "--store",
            s(&step_store),
            "--recipient",
            &recipient,
        ]));
        if let (Some(a), Some(b)) = (m.line_at("[1-3/6]"), m.line_at("[4/6] backup")) {
            step_s.push(b - a);
        }
        fresh(&step_store);
        last = r;
        last_verify = v;
        fresh(&store);
    }
    let archive_mb = std::fs::metadata(&archive)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    t.row(
        label,
        "backup to a local folder",
        format!("{:.0} MB/s ({:.2} s)", mb / min(&tool_s), min(&tool_s)),
        format!("{:.0} MB/s ({:.2} s, `tar \\| gzip -1`)", mb / min(&floor_s), min(&floor_s)),
        format!("**{:.2}** (MB/s ratio)", min(&floor_s) / min(&tool_s)),
        "≥ 0.8",
        res(&last),
        format!(
            "exit {}; {mb:.0} MB in (Jenkins files + YAML), gzip -1 archive {archive_mb:.0} MB; the tool also reads, converts and writes the YAML tree; load {load_before} → {}",
            last.code,
            load()
        ),
    );
    t.row(
        label,
        "backup step of `migrate` (archive, encrypt, write, verify; local folder)",
        format!("{:.0} MB/s ({:.2} s)", mb / min(&step_s), min(&step_s)),
        format!("{:.0} MB/s ({:.2} s, `tar \\| gzip -1`)", mb / min(&floor_s), min(&floor_s)),
        format!("**{:.2}** (MB/s ratio)", min(&floor_s) / min(&step_s)),
        "≥ 0.8",
        "—".into(),
        "from the `[1-3/6]` line to the `[4/6] backup … written and verified` line of `migrate --no-apply`".into(),
    );
    t.row(
        label,
        "backup verify (local)",
        format!("{:.0} MB/s ({:.2} s)", mb / min(&ver_s), min(&ver_s)),
        format!(
            "{:.0} MB/s ({:.2} s, `gzip -dc`)",
            mb / min(&gunzip_s),
            min(&gunzip_s)
        ),
        format!("**{:.2}** (MB/s ratio)", min(&gunzip_s) / min(&ver_s)),
        "—",
        res(&last_verify),
        format!("exit {}", last_verify.code),
    );

    // S3.
    let weed = services::start_weed(&work.join("weed"));
    let load_before = load();
    let (mut s3_s, mut put_s) = (vec![], vec![]);
    let mut last = Run::default();
    for i in 0..runs.min(2) {
        let put = run({
            let mut c = services::s3_curl_cmd(
                &weed,
                &["-T", s(&archive)],
                &format!("/bench/floor-{i}.tar.gz"),
            );
            c.env_remove("http_proxy");
            c
        });
        put_s.push(put.secs);
        fresh(&out);
        let mut cmd = backup_cmd(
            &format!("s3://bench/run{i}"),
            &[
                "--s3-endpoint",
                &weed.endpoint(),
                "--s3-region",
                "us-east-1",
            ],
        );
        cmd.env("AWS_ACCESS_KEY_ID", services::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", services::SECRET_KEY);
        let r = run(cmd);
        s3_s.push(r.secs);
        last = r;
    }
    drop(weed);
    let floor = min(&floor_s) + min(&put_s);
    t.row(
        label,
        "backup to S3 (SeaweedFS)",
        format!("{:.0} MB/s ({:.2} s)", mb / min(&s3_s), min(&s3_s)),
        format!(
            "{:.0} MB/s ({floor:.2} s = `tar \\| gzip -1` {:.2} s + plain PUT {:.2} s)",
            mb / floor,
            min(&floor_s),
            min(&put_s)
        ),
        format!("**{:.2}** (MB/s ratio)", floor / min(&s3_s)),
        "≥ 0.8",
        res(&last),
        format!("exit {}; load {load_before} → {}", last.code, load()),
    );
    fresh(&out);
    let _ = std::fs::remove_file(&archive);
}
