//! Options of an apply run.

use std::time::Duration;

use crate::provenance::{RunId, FIELD_MANAGER};
use crate::retry::RetryPolicy;

/// What to do with an existing object that differs from the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExistingPolicy {
    /// Report a conflict and leave it alone (default).
    #[default]
    Keep,
    /// Update it (`--existing=update`); Secret data still needs `overwrite_secret_data`.
    Update,
}

/// Whether updates use server-side apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SsaMode {
    /// Use it when `/version` is 1.16 or newer; fall back to get + replace on 415.
    #[default]
    Auto,
    /// Always try it (still falls back on 415).
    Always,
    /// Never: get + replace with resourceVersion.
    Never,
}

/// How long and how often to poll for a project's admin namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceWait {
    /// Give up after this long (the project fails, the run goes on). Default 5 minutes.
    pub timeout: Duration,
    /// First poll interval (default 25 ms: a controller usually acts within a few hundred); doubles up to `max_interval`.
    pub initial_interval: Duration,
    /// Largest poll interval.
    pub max_interval: Duration,
}

impl Default for NamespaceWait {
    fn default() -> Self {
        NamespaceWait {
            timeout: Duration::from_secs(300),
            initial_interval: Duration::from_millis(25),
            max_interval: Duration::from_secs(5),
        }
    }
}

/// Options of [`crate::apply_plan`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Id of this run (provenance label value).
    pub run_id: RunId,
    /// Tool version (provenance annotation value).
    pub tool_version: String,
    /// Server-side apply field manager.
    pub field_manager: String,
    /// Existing objects that differ: keep (conflict) or update.
    pub existing: ExistingPolicy,
    /// Overwrite an existing Secret's data (never with placeholder data).
    pub overwrite_secret_data: bool,
    /// Create again objects that an earlier run (per the journal) created and that are gone now.
    /// Off by default: a rerun must not resurrect what was deleted in v3.0.
    pub recreate_deleted: bool,
    /// Plan only: read the cluster, write nothing.
    pub dry_run: bool,
    /// Admin namespace wait.
    pub namespace_wait: NamespaceWait,
    /// Projects processed at the same time (at least 1).
    pub concurrency: usize,
    /// Retries of API calls.
    pub retry: RetryPolicy,
    /// Bounded re-reads after a 409 Conflict on replace.
    pub conflict_retries: u32,
    /// Server-side apply usage.
    pub ssa: SsaMode,
    /// Adopt and repair what KubeSphere's own migration Job wrote (`--adopt-installer-migration`):
    /// only the candidates found before the backup ([`crate::adopt`]). `None` = never.
    pub adopt: Option<crate::adopt::Adoption>,
}

impl ApplyOptions {
    /// Defaults with `run_id` and `tool_version`.
    pub fn new(run_id: RunId, tool_version: &str) -> Self {
        ApplyOptions {
            run_id,
            tool_version: tool_version.to_string(),
            field_manager: FIELD_MANAGER.to_string(),
            existing: ExistingPolicy::Keep,
            overwrite_secret_data: false,
            recreate_deleted: false,
            dry_run: false,
            namespace_wait: NamespaceWait::default(),
            concurrency: 4,
            retry: RetryPolicy::default(),
            conflict_retries: 5,
            ssa: SsaMode::Auto,
            adopt: None,
        }
    }
}

/// Formats a duration like Go's `time.Duration.String()`: `5m0s`, `1s`, `1.5s`, `250ms`.
pub fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let total_secs = d.as_secs();
    let frac_ms = d.subsec_millis();
    let (h, m, s) = (total_secs / 3600, (total_secs / 60) % 60, total_secs % 60);
    let secs = if frac_ms == 0 {
        format!("{s}s")
    } else {
        format!("{s}.{}s", format!("{frac_ms:03}").trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::from_secs(300)), "5m0s");
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(go_duration(Duration::from_secs(3725)), "1h2m5s");
    }
}
