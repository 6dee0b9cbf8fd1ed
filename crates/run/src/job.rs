//! Running inside a Kubernetes Job.
//!
//! KubeSphere 3.0 runs on Kubernetes 1.15–1.18, where a Job cannot tell "some items failed"
//! apart from a crash (no `podFailurePolicy`): every non-zero exit is retried up to
//! `backoffLimit`, which for a run whose items failed only repeats the same failures. So in a
//! Job (`migrate --in-job`) such a run exits 0 and says what happened in the pod's
//! termination message (`/dev/termination-log`, shown by `kubectl describe pod` and in the
//! pod status) — the journal ConfigMap carries the per-project results as well. A crash or a
//! failed step still exits non-zero, and the Job retries it; the retry resumes from the journal
//! and reuses the backup of the same inputs instead of taking another.

use std::path::PathBuf;

use crate::error::RunError;

/// Environment variable naming the termination-message file (tests point it elsewhere).
pub const TERMINATION_LOG_ENV: &str = "KSDM_TERMINATION_LOG";
/// Kubernetes' default `terminationMessagePath`.
pub const DEFAULT_TERMINATION_LOG: &str = "/dev/termination-log";
/// Kubernetes keeps at most this many bytes of a termination message.
const TERMINATION_MESSAGE_MAX: usize = 4096;

/// Where the termination message goes.
pub fn termination_log_path() -> PathBuf {
    std::env::var_os(TERMINATION_LOG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_TERMINATION_LOG))
}

/// Writes the pod's termination message (truncated to what Kubernetes keeps).
pub fn write_termination_message(text: &str) -> std::io::Result<()> {
    let mut end = text.len().min(TERMINATION_MESSAGE_MAX);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::fs::write(termination_log_path(), &text.as_bytes()[..end])
}

/// The exit code of a run inside a Job: "items failed" becomes 0 (not retried); every other
/// code is kept (a crash or a failed step is retried by the Job).
pub fn in_job_exit_code(code: i32) -> i32 {
    if code == crate::exit::ITEMS_FAILED {
        crate::exit::OK
    } else {
        code
    }
}

/// The store a Job may use: an object store (`s3://…`), or a folder on a mounted volume
/// (`--backup-pvc`); a folder on the pod's own disk would vanish with the pod.
pub fn check_store(store: &str, backup_pvc: Option<&str>) -> Result<(), RunError> {
    if store.starts_with("s3://") || backup_pvc.is_some_and(|p| !p.is_empty()) {
        return Ok(());
    }
    Err(RunError::Usage(format!(
        "backup store {store:?} is a folder on the pod's own disk, which is gone with the pod: give --store \
         s3://BUCKET/PREFIX (with --s3-endpoint for MinIO), or --backup-pvc NAME to mount a PersistentVolumeClaim \
         for it"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_failed_is_not_retried_but_crashes_are() {
        assert_eq!(in_job_exit_code(crate::exit::ITEMS_FAILED), 0);
        assert_eq!(
            in_job_exit_code(crate::exit::STEP_FAILED),
            crate::exit::STEP_FAILED
        );
        assert_eq!(
            in_job_exit_code(crate::exit::INTERNAL),
            crate::exit::INTERNAL
        );
    }

    #[test]
    fn a_local_store_needs_a_volume() {
        assert!(check_store("ks-devops-backups", None).is_err());
        assert!(check_store("/backups", Some("pvc")).is_ok());
        assert!(check_store("s3://b/p", None).is_ok());
    }
}
