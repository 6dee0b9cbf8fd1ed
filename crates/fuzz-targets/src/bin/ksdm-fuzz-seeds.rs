//! Writes the fuzz seed corpus: `ksdm-fuzz-seeds OUT_DIR` → `OUT_DIR/<target>/NNNN`.
//! Reads `sample/` of the repository and, when present, the shared fixtures (`KSDM_SHARED_FIXTURES`
//! or `../shared/fixtures` next to the repository).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: ksdm-fuzz-seeds OUT_DIR");
        return ExitCode::from(2);
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = std::env::var_os("KSDM_SHARED_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| Some(repo.join("../shared/fixtures")))
        .filter(|p| p.is_dir());
    match ksdm_fuzz_targets::seeds::write_corpus(&repo, shared.as_deref(), &out) {
        Ok(summary) => {
            for (target, n) in summary.per_target {
                println!("{target}: {n} seeds");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
