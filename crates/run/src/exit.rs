//! The process exit codes: the contract scripts and the Kubernetes Job rely on (the README's
//! table lists the same codes). [`crate::RunError::exit_code`] is the one place an expected
//! failure becomes a code.

/// Everything done; no item failed (some may be partially migrated, unsupported or skipped:
/// see the report's manual tasks). Also: inside a Job (`--in-job`), a run whose items failed
/// (the totals are in the termination message), so the Job does not repeat it.
pub const OK: i32 = 0;
/// Unexpected error: a bug, or an environment problem such as an unwritable output folder.
pub const INTERNAL: i32 = 1;
/// Bad command line or run plan (clap's own code for unknown flags), found before any I/O.
pub const USAGE: i32 = 2;
/// An input could not be used at all (dump, MySQL or Jenkins unreadable, rejected login,
/// unreachable source, nothing selected or nothing to migrate): nothing was converted.
pub const INPUT: i32 = 3;
/// The run completed but at least one item failed (conversion, apply, or `verify` found
/// differences, or a backup did not verify): the reports name them.
pub const ITEMS_FAILED: i32 = 4;
/// A step that guards the cluster failed — the cluster preflight, the backup store, or the
/// backup could not be written or verified — so nothing was applied.
pub const STEP_FAILED: i32 = 5;
/// `assess --fail-on LEVEL`: no item failed, but at least one item is at or above LEVEL.
pub const THRESHOLD: i32 = 6;
