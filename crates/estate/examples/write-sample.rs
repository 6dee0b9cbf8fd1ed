//! Writes the bundled sample estate.
//!
//! `cargo run -p ksdm-estate --example write-sample -- <dir>` (the repository keeps it in
//! `sample/`). Files other than `devops.sql` and `jenkins_home/` (such as `README.md`) are left
//! alone; stale files under `jenkins_home/` are removed first so the result matches a fresh write.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write-sample <dir>");
        return ExitCode::from(2);
    };
    let home = dir.join("jenkins_home");
    if home.exists() {
        if let Err(e) = std::fs::remove_dir_all(&home) {
            eprintln!("cannot remove {}: {e}", home.display());
            return ExitCode::FAILURE;
        }
    }
    match ksdm_estate::write_sample(&dir) {
        Ok(()) => {
            println!("sample estate written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
