//! Per-item outcomes and findings, the raw material of the report.

use serde::{Deserialize, Serialize};

/// What happened to one item.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Outcome {
    /// Migrated with nothing lost.
    Successful,
    /// Migrated, but something is lost or needs a manual step (see the findings).
    #[serde(rename = "Partially successful")]
    PartiallySuccessful,
    /// Cannot be represented in v3.0 (unsupported type, name, class); nothing emitted.
    Unsupported,
    /// Could not be read or converted; nothing emitted.
    Failed,
    /// Deliberately not migrated (soft-deleted project, orphan, excluded by selection).
    #[default]
    Skipped,
}

impl Outcome {
    /// Label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Successful => "Successful",
            Outcome::PartiallySuccessful => "Partially successful",
            Outcome::Unsupported => "Unsupported",
            Outcome::Failed => "Failed",
            Outcome::Skipped => "Skipped",
        }
    }

    /// All outcomes in report order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Successful,
        Outcome::PartiallySuccessful,
        Outcome::Unsupported,
        Outcome::Failed,
        Outcome::Skipped,
    ];
}

/// Kind of a reported item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A DevOps project (MySQL row / Jenkins folder).
    Project,
    /// A pipeline job.
    Pipeline,
    /// A folder credential.
    Credential,
    /// A project membership.
    Membership,
}

impl ItemKind {
    /// All kinds in report order.
    pub const ALL: [ItemKind; 4] = [
        ItemKind::Project,
        ItemKind::Pipeline,
        ItemKind::Credential,
        ItemKind::Membership,
    ];

    /// Plural label used in reports.
    pub fn plural(self) -> &'static str {
        match self {
            ItemKind::Project => "projects",
            ItemKind::Pipeline => "pipelines",
            ItemKind::Credential => "credentials",
            ItemKind::Membership => "memberships",
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information (e.g. a name was lower-cased).
    Info,
    /// Something is lost or changed; the item is still migrated.
    Warning,
    /// A person must act (it becomes a manual task).
    Manual,
    /// The item failed.
    Error,
}

/// One observation about an item. Never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Stable machine code, e.g. `pipeline.scm-script-lost`.
    pub code: String,
    /// Human-readable text naming what and why.
    pub message: String,
}

impl Finding {
    /// Creates a finding.
    pub fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity,
            code: code.into(),
            message: message.into(),
        }
    }
    /// Shorthand for [`Severity::Info`].
    pub fn info(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }
    /// Shorthand for [`Severity::Warning`].
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }
    /// Shorthand for [`Severity::Manual`].
    pub fn manual(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Manual, code, message)
    }
    /// Shorthand for [`Severity::Error`].
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }
}

/// The report line of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    /// Item kind.
    pub kind: ItemKind,
    /// v2.1 project id the item belongs to (the project itself for projects).
    pub project: String,
    /// Item id in v2.1 terms: project id, job name, credential id, `user/role`.
    pub id: String,
    /// The v3.0 object written (`namespace/name` or `name`), if any.
    pub target: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// Reasons and notes.
    pub findings: Vec<Finding>,
}

impl ItemReport {
    /// The findings a person must act on (manual tasks and errors).
    pub fn manual_tasks(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.severity, Severity::Manual | Severity::Error))
    }
}

/// What an item's outcome means for the people doing the migration: [`Outcome`] with
/// "Partially successful" split by whether a person must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Migrated with nothing lost.
    Successful,
    /// Migrated and works as before, with something lost or changed that needs no action: for
    /// pipelines, settings the v3.0 controller drops when it rewrites the job after a later edit in
    /// KubeSphere; for memberships, a changed role.
    MigratesWithLosses,
    /// Migrated, but a person must act before or after the migration (a manual task).
    NeedsPerson,
    /// Cannot be represented in v3.0.
    Unsupported,
    /// Could not be read or converted.
    Failed,
    /// Deliberately not migrated.
    Skipped,
}

impl Verdict {
    /// All verdicts in report order.
    pub const ALL: [Verdict; 6] = [
        Verdict::Successful,
        Verdict::MigratesWithLosses,
        Verdict::NeedsPerson,
        Verdict::Unsupported,
        Verdict::Failed,
        Verdict::Skipped,
    ];

    /// Label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Successful => "Successful",
            Verdict::MigratesWithLosses => {
                "Partial: migrates, settings lost on a later edit or changed"
            }
            Verdict::NeedsPerson => "Partial: needs a person",
            Verdict::Unsupported => "Unsupported",
            Verdict::Failed => "Failed",
            Verdict::Skipped => "Skipped",
        }
    }

    /// The stable key used in report.json (`loses-settings-on-later-edit`, …).
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Successful => "successful",
            Verdict::MigratesWithLosses => "migrates-with-losses",
            Verdict::NeedsPerson => "needs-person",
            Verdict::Unsupported => "unsupported",
            Verdict::Failed => "failed",
            Verdict::Skipped => "skipped",
        }
    }
}

impl ItemReport {
    /// The item's verdict: its outcome, with "Partially successful" split into
    /// [`Verdict::NeedsPerson`] (a manual task or error) and [`Verdict::MigratesWithLosses`].
    pub fn verdict(&self) -> Verdict {
        match self.outcome {
            Outcome::Successful => Verdict::Successful,
            Outcome::PartiallySuccessful if self.manual_tasks().next().is_some() => {
                Verdict::NeedsPerson
            }
            Outcome::PartiallySuccessful => Verdict::MigratesWithLosses,
            Outcome::Unsupported => Verdict::Unsupported,
            Outcome::Failed => Verdict::Failed,
            Outcome::Skipped => Verdict::Skipped,
        }
    }
}

/// What `migrate` will do for one project: its names, the objects it applies, its admins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// v2.1 project id (or the folder name of an orphan folder).
    pub id: String,
    /// Display name people know (MySQL `name`); empty for an orphan folder.
    pub display_name: String,
    /// Workspace, if known.
    pub workspace: Option<String>,
    /// The project's outcome.
    pub outcome: Outcome,
    /// The DevOpsProject name = admin namespace, when migrated.
    pub namespace: Option<String>,
    /// Objects `migrate` applies, per kind (`DevOpsProject`, `Secret`, `Pipeline`, `RoleBinding`).
    pub applies: std::collections::BTreeMap<String, usize>,
    /// Users who become admin of the project (RoleBinding to `admin`).
    pub admins: Vec<String>,
}
