//! # ksdm-run — one migration run
//!
//! What a command of `ks-devops-migrate` does between parsing its arguments and printing its
//! results: open the inputs and check them before any work ([`sources`]), read Jenkins once
//! and keep what was read for the backup ([`spool`]), map every expected failure to one exit
//! code ([`error`], [`exit`]), convert and write the tree and report ([`convert`]), and, inside a Kubernetes Job, report the totals without making
//! the Job repeat a run whose items failed ([`job`]); write the manifests that run the
//! migration as a Kubernetes Job: ServiceAccount, least-privilege RBAC, the (sharded) Job
//! ([`job_manifests`]).
//!
//! The library never prints; the CLI renders.

#![deny(missing_docs)]

pub mod adopt;
pub mod convert;
pub mod error;
pub mod exit;
pub mod job;
pub mod job_manifests;
pub mod repair_jenkins;
pub mod sources;
pub mod spool;
pub mod verify_jobs;

pub use error::{anyhow_chain_text, chain_text, exit_code_of, RunError};
pub use job_manifests::{job_manifests, JobOptions};
pub use sources::{open, FromBackup, Jenkins, Scope, SourceSpec, Sources};
pub use spool::{input_digest, Spool};
