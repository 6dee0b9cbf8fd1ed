//! # ksdm-convert
//!
//! Turns KubeSphere v2.1 DevOps records into v3.0 objects, one project at a time, and says what
//! happened to every item ([`ksdm_model::ItemReport`]).
//!
//! Where it sits: `ksdm-source` (and the live readers) yield v2.1 records — MySQL rows and
//! Jenkins folders with their raw `config.xml` bytes → **this crate** builds `DevOpsProject`,
//! `Pipeline`, credential `Secret` and `RoleBinding` objects ([`object::V30Object`]) →
//! `ksdm-sink` writes the YAML tree and the report.
//!
//! The rules (naming, role mapping, credential types, the pipeline no-op condition) are those
//! described in `docs/v30-objects.md`; each module handles one kind of item:
//! [`project`], [`pipeline`], [`credential`], [`membership`]. The v3.0 semantics of a job's
//! `config.xml` live here too: [`v30_parse`] reads it exactly as KubeSphere v3.0's controller does
//! (so the Pipeline spec we write is the one it would parse, and it leaves the job alone), and
//! [`v30_losses`] says what a later rewrite by that controller would drop. [`estate`] streams a
//! whole estate through them, in parallel, without holding it in memory.

#![deny(missing_docs)]

pub mod credential;
pub mod credential_usage;
pub mod estate;
pub mod membership;
pub mod naming;
pub mod object;
pub mod options;
pub mod pipeline;
pub mod project;
pub mod select;
pub mod v30_losses;
pub mod v30_parse;
pub mod v30_repair;

/// The outcome of an item that is migrated: partial as soon as one finding is a warning or worse.
pub(crate) fn migrated_outcome(findings: &[ksdm_model::Finding]) -> ksdm_model::Outcome {
    if findings
        .iter()
        .any(|f| f.severity >= ksdm_model::Severity::Warning)
    {
        ksdm_model::Outcome::PartiallySuccessful
    } else {
        ksdm_model::Outcome::Successful
    }
}

pub use estate::{convert_estate, EstateSummary, ProjectOutput, RepairedJob};
pub use object::V30Object;
pub use options::{ConvertOptions, CreatorPolicy, SecretValues};
pub use select::Selection;
