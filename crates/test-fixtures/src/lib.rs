//! Test-only access to the third-party test data that lives **outside** this repository.
//!
//! Files copied from other projects (KubeSphere CRDs and DDL, Jenkins secret vectors, real Jenkins
//! XML, the `jenkins-wild` corpus) are never committed here. Development and CI machines have them
//! in `../shared/fixtures/` next to the checkout; `KSDM_SHARED_FIXTURES` names another folder.
//! Tests that need them start with [`require_shared!`], which returns from the test (printing one
//! clear line) when the folder is absent, so a fresh clone still runs every self-contained test.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variable that overrides where the shared fixtures are.
pub const ENV: &str = "KSDM_SHARED_FIXTURES";

/// The shared fixtures folder, if it exists: `$KSDM_SHARED_FIXTURES`, else `<repo>/../shared/fixtures`.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let candidate = match std::env::var_os(ENV) {
            Some(v) => PathBuf::from(v),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
        };
        candidate.canonicalize().ok().filter(|p| p.is_dir())
    })
    .as_deref()
}

/// `rel` inside the shared fixtures, or `None` (after printing why) when the folder is absent.
pub fn path(rel: &str) -> Option<PathBuf> {
    match dir() {
        Some(d) => Some(d.join(rel)),
        None => {
            announce_absent(rel);
            None
        }
    }
}

/// Reads `rel` from the shared fixtures; `None` when the folder is absent. Panics (a test
/// failure) when the folder exists but the file cannot be read.
pub fn read(rel: &str) -> Option<Vec<u8>> {
    let p = path(rel)?;
    Some(
        std::fs::read(&p)
            .unwrap_or_else(|e| panic!("cannot read shared fixture {}: {e}", p.display())),
    )
}

/// Prints the one line that says a test was skipped because the shared fixtures are absent.
pub fn announce_absent(rel: &str) {
    eprintln!(
        "skipped: needs ../shared/fixtures/{rel} (third-party test data kept outside the repository; set {ENV} to its folder)"
    );
}

/// Returns early from the calling test when the shared fixtures folder is absent (printing one
/// line); otherwise evaluates to the folder's path.
#[macro_export]
macro_rules! require_shared {
    () => {
        match $crate::dir() {
            Some(d) => d,
            None => {
                $crate::announce_absent("");
                return;
            }
        }
    };
    ($rel:expr) => {
        match $crate::path($rel) {
            Some(p) => p,
            None => return,
        }
    };
}
