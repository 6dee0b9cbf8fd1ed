//! Credential usage: which credential ids a pipeline references and how each resolves against
//! the credentials of its project (see `ksdm_convert::credential_usage`, which finds them).

use serde::{Deserialize, Serialize};

/// How a reference resolves against the project's folder credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// The folder holds it and it becomes a v3.0 Secret.
    Migrated,
    /// The folder holds it but it is not migrated (the reason says why).
    NotMigrated,
    /// The folder does not hold it: a Jenkins global credential, another folder's, or a typo.
    NotFound,
}

impl Resolution {
    /// Label used in reports and the CSV.
    pub fn label(self) -> &'static str {
        match self {
            Resolution::Migrated => "migrated",
            Resolution::NotMigrated => "not migrated",
            Resolution::NotFound => "not found",
        }
    }

    /// The key used in report.json (`migrated`, `not-migrated`, `not-found`).
    pub fn key(self) -> &'static str {
        match self {
            Resolution::Migrated => "migrated",
            Resolution::NotMigrated => "not-migrated",
            Resolution::NotFound => "not-found",
        }
    }

    /// All resolutions in report order.
    pub const ALL: [Resolution; 3] = [
        Resolution::Migrated,
        Resolution::NotMigrated,
        Resolution::NotFound,
    ];
}

/// One resolved reference of one pipeline: a line of `credential-usage.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialUse {
    /// v2.1 project id.
    pub project: String,
    /// Jenkins job name.
    pub pipeline: String,
    /// Credential id.
    pub credential_id: String,
    /// Where the pipeline references it.
    pub referenced_in: String,
    /// Resolution.
    pub resolution: Resolution,
    /// Why it is not migrated / not found (empty when migrated).
    pub detail: String,
}
