//! Writes a synthetic benchmark estate.
//!
//! `cargo run --release -p ksdm-estate --example write-synthetic -- <dir> [projects] [pipelines] [credentials] [seed]`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: write-synthetic <dir> [projects] [pipelines-per-project] [credentials-per-project] [seed]");
        return ExitCode::from(2);
    };
    let mut opts = ksdm_estate::SyntheticOptions::default();
    let num = |i: usize, default: usize| -> Option<usize> {
        match args.get(i) {
            None => Some(default),
            Some(s) => s.parse().ok(),
        }
    };
    let (Some(p), Some(m), Some(k), Some(seed)) = (
        num(1, opts.projects),
        num(2, opts.pipelines_per_project),
        num(3, opts.credentials_per_project),
        num(4, opts.seed as usize),
    ) else {
        eprintln!("error: counts and seed must be non-negative integers");
        return ExitCode::from(2);
    };
    opts.projects = p;
    opts.pipelines_per_project = m;
    opts.credentials_per_project = k;
    opts.seed = seed as u64;
    match ksdm_estate::write_synthetic(&dir, &opts) {
        Ok(s) => {
            println!(
                "{} projects, {} folders, {} pipelines, {} credentials written to {}",
                s.projects,
                s.folders,
                s.pipelines,
                s.credentials,
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
