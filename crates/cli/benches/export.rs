//! Export throughput and memory on synthetic v2.1 estates.
//!
//! `cargo bench -p ks-devops-migrate --bench export` generates seeded estates with the project's
//! own generator (`ksdm-estate`: a mysqldump + a JENKINS_HOME with encrypted credentials, in the
//! shapes v2.1 wrote), then runs the real release binary's `export` on each and reports
//! wall time, pipelines per second and the child's peak RSS (from `wait4`). Sizes grow, so a flat
//! peak RSS shows that memory does not grow with the estate.
//!
//! Environment: `KSDM_BENCH_SIZES` = comma-separated `projects x pipelines` pairs (default
//! `20x100,100x100,200x100,400x100`), `KSDM_BENCH_RUNS` = runs per size (default 3, best taken),
//! `KSDM_BENCH_DIR` = where estates are cached (default `target/bench-estates`),
//! `KSDM_BENCH_OUT` = comma-separated folders the export writes into (default: `/dev/shm` when it
//! exists — the tool's own cost — and the estate folder's disk, whose per-file creation cost
//! usually dominates `export`: one YAML file per object is the output contract).
//! This is a measurement, not a test: nothing here asserts a speed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ksdm_estate::{write_synthetic, SyntheticOptions};

fn sizes() -> Vec<(usize, usize)> {
    let spec = std::env::var("KSDM_BENCH_SIZES")
        .unwrap_or_else(|_| "20x100,100x100,200x100,400x100".into());
    spec.split(',')
        .filter_map(|p| {
            let (a, b) = p.trim().split_once('x')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

fn estate(dir: &Path, projects: usize, pipelines: usize) -> (PathBuf, usize) {
    let path = dir.join(format!("p{projects}x{pipelines}"));
    let opts = SyntheticOptions {
        projects,
        pipelines_per_project: pipelines,
        credentials_per_project: 5,
        workspaces: 10,
        seed: 211,
        workspace_column: true,
    };
    let marker = path.join(".complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&path);
        let s = write_synthetic(&path, &opts).expect("generate estate");
        std::fs::write(&marker, s.pipelines.to_string()).expect("marker");
    }
    let n = std::fs::read_to_string(&marker)
        .expect("marker")
        .trim()
        .parse()
        .expect("count");
    (path, n)
}

/// The peak resident set size (`VmHWM`, KiB) of a live process, from `/proc`.
fn peak_rss_kib(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the binary and returns (seconds, peak RSS in KiB, exit code). The peak is sampled from
/// `/proc` every few milliseconds while the process runs (its high-water mark only grows).
fn run(args: &[&str]) -> (f64, i64, i32) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let secs = start.elapsed().as_secs_f64();
    (secs, peak, status.code().unwrap_or(-1))
}

fn main() {
    // `cargo test --benches` passes flags; a bench run passes `--bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("export bench: run with `cargo bench -p ks-devops-migrate --bench export`");
        return;
    }
    let dir = std::env::var("KSDM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-estates")
        });
    let runs: usize = std::env::var("KSDM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!("ks-devops-migrate export benchmark ({cores} cores, best of {runs})");
    let outs: Vec<PathBuf> = match std::env::var("KSDM_BENCH_OUT") {
        Ok(v) => v.split(',').map(PathBuf::from).collect(),
        Err(_) => {
            let mut v = Vec::new();
            if Path::new("/dev/shm").is_dir() {
                v.push(PathBuf::from("/dev/shm"));
            }
            v.push(dir.clone());
            v
        }
    };
    println!("| projects | pipelines | command | output on | seconds | pipelines/s | peak RSS MiB | exit |");
    println!("|---:|---:|---|---|---:|---:|---:|---:|");
    for (projects, per) in sizes() {
        let (home, pipelines) = estate(&dir, projects, per);
        for (cmd, out_base) in outs.iter().map(|o| ("export", o)).chain([("assess", &dir)]) {
            let out = tempfile::tempdir_in(out_base).expect("tempdir");
            let mut best = (f64::MAX, 0, 0);
            for _ in 0..runs {
                let o = out.path().join("o");
                let _ = std::fs::remove_dir_all(&o);
                let r = run(&[
                    "--no-progress",
                    cmd,
                    "--mysql-dump",
                    home.join("devops.sql").to_str().expect("utf-8"),
                    "--jenkins-home",
                    home.join("jenkins_home").to_str().expect("utf-8"),
                    "--out",
                    o.to_str().expect("utf-8"),
                ]);
                if r.0 < best.0 {
                    best = r;
                }
            }
            println!(
                "| {projects} | {pipelines} | {cmd} | {} | {:.2} | {:.0} | {:.1} | {} |",
                out_base.display(),
                best.0,
                pipelines as f64 / best.0,
                best.1 as f64 / 1024.0,
                best.2
            );
        }
    }
}
