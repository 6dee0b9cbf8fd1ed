//! # ksdm-model
//!
//! The data types that flow through ks-devops-migrate, with no I/O:
//!
//! * [`v21`] — KubeSphere v2.1 records: MySQL rows (projects, memberships, credential metadata)
//!   and what is read out of Jenkins (folders, jobs, folder credentials).
//! * [`v30`] — KubeSphere v3.0 objects: `DevOpsProject` and `Pipeline` custom resources (exact
//!   JSON field names of `devops.kubesphere.io/v1alpha3`), credential `Secret`s, `RoleBinding`s.
//! * [`outcome`] — per-item outcomes and findings that end up in the report.
//! * [`usage`] — which credentials each pipeline references and how each resolves.
//! * [`plaintext`] — a wrapper for decrypted secret values that never prints them.
//!
//! Flow: `ksdm-source` fills [`v21`] → `ksdm-convert` builds [`v30`] + [`outcome`] →
//! `ksdm-sink` writes YAML and reports.

#![deny(missing_docs)]

pub mod outcome;
pub mod plaintext;
pub mod usage;
pub mod v21;
pub mod v30;

pub use outcome::{Finding, ItemKind, ItemReport, Outcome, ProjectSummary, Severity, Verdict};
pub use plaintext::Plaintext;
