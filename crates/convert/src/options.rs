//! Conversion options.

use crate::select::Selection;

/// Whether decrypted credential values go into the Secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretValues {
    /// Include values when the Jenkins key files are present; otherwise write placeholders and
    /// list each credential as a manual task.
    #[default]
    Auto,
    /// Include values; a credential that cannot be decrypted fails.
    Include,
    /// Never include values: placeholders (username kept, secret keys empty), each a manual task.
    Omit,
}

/// Who goes into a DevOpsProject's `kubesphere.io/creator` annotation. The v3.0 namespace
/// controller makes that user admin of the project (RoleBinding `<creator>-admin`) on every
/// reconcile, whatever the memberships say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreatorPolicy {
    /// An active owner of the project: the v2.1 creator when still an owner, else the first owner
    /// by name (reported); no annotation when the project has no owner (reported).
    #[default]
    Owner,
    /// The v2.1 creator as recorded; reported as a widening when that user is no longer an owner.
    Keep,
}

/// Options of a conversion run.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// Secret value policy.
    pub secret_values: SecretValues,
    /// v3.0 Role for v2.1 `developer` (default `operator`, a widening of rights; `viewer` narrows).
    pub developer_role: String,
    /// Workspace for projects whose row has none (schema without the `workspace` column).
    pub default_workspace: Option<String>,
    /// Which projects to migrate.
    pub selection: Selection,
    /// Who becomes the projects' `kubesphere.io/creator`.
    pub creator: CreatorPolicy,
    /// Values revealed by a running Jenkins (`--jenkins-script-console`); used instead of
    /// offline decryption when present.
    pub revealed: Option<std::sync::Arc<ksdm_model::v21::RevealedValues>>,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            secret_values: SecretValues::Auto,
            developer_role: "operator".to_string(),
            default_workspace: None,
            selection: Selection::default(),
            creator: CreatorPolicy::Owner,
            revealed: None,
        }
    }
}
