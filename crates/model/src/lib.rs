//! # ksdm-model
//!
//! The data types that flow through ks-devops-migrate, with no I/O:
//!
//! * [`v21`] — KubeSphere v2.1 records: MySQL rows (projects, memberships, credential metadata)
//!   and what is read out of Jenkins (folders, jobs, folder credentials).
//! * [`v30`] — KubeSphere v3.0 objects: `DevOpsProject` and `Pipeline` custom resources (exact
//!   JSON field names of `devops.kubesphere.io/v1alpha3`), credential `Secret`s, `RoleBinding`s.
//! * [`kind`] — the four kinds of v3.0 object: kind, apiVersion, plural, export-tree folder,
//!   scope and owned fields (one owner for every crate).
//! * [`outcome`] — per-item outcomes and findings that end up in the report.
//! * [`v21_rows`] — the v2.1 `devops` table schema and row → record assembly (one owner for
//!   every MySQL reader).
//! * [`output`] — every file name in an output folder; [`run`] — the run id.
//! * [`usage`] — which credentials each pipeline references and how each resolves.
//! * [`plaintext`] — a wrapper for decrypted secret values that never prints them.
//! * [`limits`] — size limits on everything read from outside.
//!
//! Flow: `ksdm-source` fills [`v21`] → `ksdm-convert` builds [`v30`] + [`outcome`] →
//! `ksdm-sink` writes YAML and reports.

#![deny(missing_docs)]

pub mod kind;
pub mod limits;
pub mod outcome;
pub mod output;
pub mod plaintext;
pub mod run;
pub mod usage;
pub mod v21;
pub mod v21_rows;
pub mod v30;

pub use kind::ObjectKind;
pub use outcome::{Finding, ItemKind, ItemReport, Outcome, ProjectSummary, Severity, Verdict};
pub use output::OutputLayout;
pub use plaintext::Plaintext;
pub use run::RunId;
