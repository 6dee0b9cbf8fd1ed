//! The one owner of every file name in an output folder (`--out`): for writing, for reading back,
//! and for recognising a folder (or a file in it) as ours.
//!
//! ```text
//! DIR/resources/…             the v3.0 objects, one YAML file each (see the README)
//! DIR/report.md|json|html     the report
//! DIR/credential-usage.csv    which credentials each pipeline references
//! DIR/jenkins-repairs/        repaired config.xml files for jobs v3.0 cannot parse
//! DIR/plan.md|json            plan (dry run)
//! DIR/apply.md|json           what apply did
//! DIR/verify.md|json          verify's comparison
//! DIR/journal.jsonl           the local apply journal
//! DIR/backup-identity.txt     the age identity made for a --sample run
//! ```

use std::path::{Path, PathBuf};

/// The folder of v3.0 objects.
pub const RESOURCES: &str = "resources";
/// The Markdown report.
pub const REPORT_MD: &str = "report.md";
/// The JSON report.
pub const REPORT_JSON: &str = "report.json";
/// The self-contained HTML report.
pub const REPORT_HTML: &str = "report.html";
/// Credential references per pipeline, as CSV.
pub const CREDENTIAL_USAGE_CSV: &str = "credential-usage.csv";
/// Repaired Jenkins job files (the `jenkins_home` layout).
pub const JENKINS_REPAIRS: &str = "jenkins-repairs";
/// Plan (dry run), Markdown.
pub const PLAN_MD: &str = "plan.md";
/// Plan (dry run), JSON.
pub const PLAN_JSON: &str = "plan.json";
/// What apply did, Markdown.
pub const APPLY_MD: &str = "apply.md";
/// What apply did, JSON.
pub const APPLY_JSON: &str = "apply.json";
/// Verify's comparison, Markdown.
pub const VERIFY_MD: &str = "verify.md";
/// Verify's comparison, JSON.
pub const VERIFY_JSON: &str = "verify.json";
/// The local apply journal.
pub const JOURNAL: &str = "journal.jsonl";
/// The age identity made for a `--sample` run.
pub const BACKUP_IDENTITY: &str = "backup-identity.txt";

/// What `--adopt-installer-migration` is about to repair, as found before the backup (the
/// cluster objects and the live Jenkins `config.xml`s); archived into the backup.
pub const ADOPTION_BEFORE: &str = "adoption-before";

/// Every name this tool writes at the top of an output folder.
pub const OWNED_NAMES: [&str; 15] = [
    RESOURCES,
    REPORT_MD,
    REPORT_JSON,
    REPORT_HTML,
    CREDENTIAL_USAGE_CSV,
    JENKINS_REPAIRS,
    PLAN_MD,
    PLAN_JSON,
    APPLY_MD,
    APPLY_JSON,
    VERIFY_MD,
    VERIFY_JSON,
    JOURNAL,
    BACKUP_IDENTITY,
    ADOPTION_BEFORE,
];

/// Paths inside one output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLayout {
    root: PathBuf,
}

impl OutputLayout {
    /// The layout of the output folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        OutputLayout { root: dir.into() }
    }

    /// The output folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `DIR/<name>` for one of this module's names.
    pub fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// `DIR/resources`.
    pub fn resources(&self) -> PathBuf {
        self.file(RESOURCES)
    }
    /// `DIR/report.md`.
    pub fn report_md(&self) -> PathBuf {
        self.file(REPORT_MD)
    }
    /// `DIR/report.json`.
    pub fn report_json(&self) -> PathBuf {
        self.file(REPORT_JSON)
    }
    /// `DIR/adoption-before/`.
    pub fn adoption_before(&self) -> PathBuf {
        self.file(ADOPTION_BEFORE)
    }
    /// `DIR/journal.jsonl`.
    pub fn journal(&self) -> PathBuf {
        self.file(JOURNAL)
    }
    /// `DIR/backup-identity.txt`.
    pub fn backup_identity(&self) -> PathBuf {
        self.file(BACKUP_IDENTITY)
    }
    /// `DIR/plan.md` and `DIR/plan.json` (`dry_run`), else `DIR/apply.md` and `DIR/apply.json`.
    pub fn apply_reports(&self, dry_run: bool) -> (PathBuf, PathBuf) {
        if dry_run {
            (self.file(PLAN_MD), self.file(PLAN_JSON))
        } else {
            (self.file(APPLY_MD), self.file(APPLY_JSON))
        }
    }
    /// `DIR/verify.md` and `DIR/verify.json`.
    pub fn verify_reports(&self) -> (PathBuf, PathBuf) {
        (self.file(VERIFY_MD), self.file(VERIFY_JSON))
    }

    /// Whether a top-level entry called `name` is one this tool writes.
    pub fn is_ours(name: &str) -> bool {
        OWNED_NAMES.contains(&name)
    }
}
