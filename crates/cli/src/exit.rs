//! Process exit codes (documented in the README; scripts and the Kubernetes Job rely on them).

/// Everything done; no item failed (some may be partially migrated, unsupported or skipped:
/// see the report's manual tasks).
pub const OK: i32 = 0;
/// Unexpected error (a bug, or an environment problem such as an unwritable output folder).
pub const INTERNAL: i32 = 1;
/// Bad command line (clap's own code).
#[allow(dead_code)]
pub const USAGE: i32 = 2;
/// An input could not be used at all (dump or Jenkins home unreadable): nothing was converted.
pub const INPUT: i32 = 3;
/// The run completed but at least one item (or a run-level step) failed: see the report.
pub const ITEMS_FAILED: i32 = 4;
/// A step that guards the cluster failed — the backup could not be written or verified, or the
/// cluster preflight failed — so nothing was applied.
pub const STEP_FAILED: i32 = 5;
/// `assess --fail-on LEVEL`: no item failed, but at least one item is at or above LEVEL.
pub const THRESHOLD: i32 = 6;
