//! KubeSphere v2.1 records: MySQL rows and what is read from Jenkins.
//!
//! Field meanings are in `docs/v21-sources.md` §2 (MySQL) and §3–4 (Jenkins).

use serde::{Deserialize, Serialize};

/// A row of `devops.project`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// `project_id`: mixed-case id such as `project-W4zNlwJLzgRB`; also the Jenkins folder name.
    pub project_id: String,
    /// `name`: display name (not unique, not validated by the v2.1 API).
    pub name: String,
    /// `description` (`""` when none).
    pub description: String,
    /// `creator`: KubeSphere username.
    pub creator: String,
    /// `create_time` as UTC text `YYYY-MM-DD HH:MM:SS`.
    pub create_time: String,
    /// `status`: `active` or `deleted` (soft delete).
    pub status: String,
    /// `visibility` (always `private`).
    pub visibility: String,
    /// `extra` (always `""`).
    pub extra: String,
    /// `workspace`; `None` when the column does not exist (schema before `V0_3__workspace`).
    pub workspace: Option<String>,
}

impl Project {
    /// True for `status = 'active'`, the only projects that are migrated.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// A row of `devops.project_membership`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// `username`.
    pub username: String,
    /// `project_id`.
    pub project_id: String,
    /// `role`: `owner` | `maintainer` | `developer` | `reporter` (others possible in damaged data).
    pub role: String,
    /// `status` (always `active`).
    pub status: String,
    /// `grant_by`.
    pub grant_by: String,
}

/// A row of `devops.project_credential` (metadata only; values live in Jenkins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialMeta {
    /// `project_id`.
    pub project_id: String,
    /// `credential_id` (the Jenkins credential id, case-sensitive).
    pub credential_id: String,
    /// `domain` (`_` = global).
    pub domain: String,
    /// `creator`.
    pub creator: String,
    /// `create_time` as UTC text.
    pub create_time: String,
}

/// Everything read from the MySQL `devops` database. Small even for big estates (no pipelines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MysqlData {
    /// All `project` rows, active and deleted, in source order.
    pub projects: Vec<Project>,
    /// All `project_membership` rows.
    pub memberships: Vec<Membership>,
    /// All `project_credential` rows.
    pub credentials: Vec<CredentialMeta>,
    /// Whether the `project.workspace` column exists.
    pub has_workspace_column: bool,
}

/// The Jenkins key material needed to decrypt `hudson.util.Secret` values offline.
#[derive(Clone, Default)]
pub struct JenkinsKeys {
    /// Content of `secrets/master.key`, if present.
    pub master_key: Option<Vec<u8>>,
    /// Content of `secrets/hudson.util.Secret`, if present.
    pub hudson_util_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for JenkinsKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsKeys")
            .field("master_key", &self.master_key.as_ref().map(|_| "<present>"))
            .field(
                "hudson_util_secret",
                &self.hudson_util_secret.as_ref().map(|_| "<present>"),
            )
            .finish()
    }
}

/// One raw Jenkins file as read from a `jenkins_home` or the REST API.
#[derive(Clone, PartialEq, Eq)]
pub struct JenkinsFile {
    /// Path relative to `JENKINS_HOME`, with `/` separators (e.g. `jobs/p/jobs/x/config.xml`).
    pub path: String,
    /// The bytes as stored.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for JenkinsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // May be a key file or hold secrets: the path and the size only.
        f.debug_struct("JenkinsFile")
            .field("path", &self.path)
            .field("bytes", &ByteCount(self.bytes.len()))
            .finish()
    }
}

/// One project folder of Jenkins with its raw files, read lazily project by project.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JenkinsFolder {
    /// Folder name as stored in Jenkins (= v2.1 `project_id`, case as on disk).
    pub name: String,
    /// `jobs/<name>/config.xml`, or `None` if the folder has no config file (or it was refused,
    /// see [`JenkinsFolder::refused`]).
    pub config_xml: Option<Vec<u8>>,
    /// Child items: `(item name, config.xml bytes)` in name order.
    pub jobs: Vec<(String, Vec<u8>)>,
    /// Child items whose `config.xml` could not be read: `(item name, reason)` in name order.
    /// Each fails that pipeline only; the rest of the folder is converted.
    pub unreadable_jobs: Vec<(String, String)>,
    /// Files of this folder that exist but were not read (over a size limit), in reading order.
    /// A refused child job is not in [`JenkinsFolder::jobs`]; it fails on its own.
    pub refused: Vec<RefusedFile>,
}

/// A Jenkins file that exists but was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFile {
    /// The child job's name, or `None` for the folder's own `config.xml`.
    pub job: Option<String>,
    /// Why it was not read (names the limit).
    pub reason: String,
}

impl std::fmt::Debug for JenkinsFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The files may hold plain-text or encrypted secrets: show names and sizes only.
        f.debug_struct("JenkinsFolder")
            .field("name", &self.name)
            .field(
                "config_xml",
                &self.config_xml.as_ref().map(|b| ByteCount(b.len())),
            )
            .field(
                "jobs",
                &self
                    .jobs
                    .iter()
                    .map(|(n, b)| (n, ByteCount(b.len())))
                    .collect::<Vec<_>>(),
            )
            .field("unreadable_jobs", &self.unreadable_jobs)
            .field("refused", &self.refused)
            .finish()
    }
}

/// Prints `<N bytes>` in place of content.
struct ByteCount(usize);

impl std::fmt::Debug for ByteCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

/// A credential of a folder listed without its values (the folder's `config.xml` was not
/// readable, but Jenkins' credentials API still listed the folder's credentials).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedCredential {
    /// Credential domain (`_` = global).
    pub domain: String,
    /// Credential id.
    pub id: String,
    /// Jenkins' name of the credential type (e.g. `Username with password`).
    pub type_name: String,
    /// Description.
    pub description: String,
}

/// Why a top-level Jenkins item (a project folder) could not be read.
///
/// With `folder` set, only that item is lost: its project fails with `reason`. Without it the
/// source itself failed (the item list could not be read, the archive is corrupt, …) and no
/// further item follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderReadError {
    /// The item's name as stored in Jenkins; `None` when the whole source failed.
    pub folder: Option<String>,
    /// Why (names the file or the request, never a secret).
    pub reason: String,
    /// Credentials listed without values when the folder's `config.xml` was forbidden.
    pub listed_credentials: Vec<ListedCredential>,
}

impl FolderReadError {
    /// An error of one item.
    pub fn folder(name: impl Into<String>, reason: impl Into<String>) -> Self {
        FolderReadError {
            folder: Some(name.into()),
            reason: reason.into(),
            listed_credentials: Vec::new(),
        }
    }

    /// An error of the whole source.
    pub fn source(reason: impl Into<String>) -> Self {
        FolderReadError {
            folder: None,
            reason: reason.into(),
            listed_credentials: Vec::new(),
        }
    }
}

impl std::fmt::Display for FolderReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.folder {
            Some(name) => write!(f, "Jenkins folder {name:?}: {}", self.reason),
            None => write!(f, "Jenkins: {}", self.reason),
        }
    }
}

impl std::error::Error for FolderReadError {}

/// A credential read from a folder credential store (`jobs/<projectId>/config.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JenkinsCredential {
    /// Credential domain name; `_` for the global domain (a `Domain` without `<name>`).
    pub domain: String,
    /// Java class of the credential (XStream escaping removed).
    pub class: String,
    /// `<id>`; empty when missing.
    pub id: String,
    /// `<description>`; empty when missing.
    pub description: String,
    /// `<scope>`; `GLOBAL` when missing.
    pub scope: String,
    /// The typed content.
    pub kind: CredentialKind,
}

/// A secret field as stored in Jenkins XML: `{…}` new format, legacy base64, or plain text.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret(pub String);

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The stored form may be plain text (Jenkins' fallback): never print it.
        write!(f, "StoredSecret(<{} chars>)", self.0.len())
    }
}

/// The content of a credential, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialKind {
    /// `UsernamePasswordCredentialsImpl`.
    UsernamePassword {
        /// Plain username.
        username: String,
        /// Encrypted password.
        password: Option<StoredSecret>,
    },
    /// `BasicSSHUserPrivateKey`.
    SshPrivateKey {
        /// Plain username.
        username: String,
        /// Encrypted passphrase (omitted by Jenkins when empty).
        passphrase: Option<StoredSecret>,
        /// Class of `privateKeySource` (only `…$DirectEntryPrivateKeySource` holds a key).
        key_source_class: String,
        /// Encrypted private key(s) of a direct-entry source.
        private_key: Option<StoredSecret>,
    },
    /// `StringCredentialsImpl`.
    SecretText {
        /// Encrypted secret.
        secret: Option<StoredSecret>,
    },
    /// `KubeconfigCredentials` (kubernetes-cd).
    Kubeconfig {
        /// Class of `kubeconfigSource` (only `…$DirectEntryKubeconfigSource` holds content).
        source_class: String,
        /// Encrypted kubeconfig content.
        content: Option<StoredSecret>,
    },
    /// Any other class (secret file, certificate, …): not representable in v3.0.
    Unsupported,
}

/// Credential values revealed by a running Jenkins (script console), already decrypted:
/// folder name → credential id → field (`password`, `passphrase`, `privateKey`, `secret`,
/// `content`) → value.
pub type RevealedValues = std::collections::BTreeMap<
    String,
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, crate::Plaintext>>,
>;

/// Kind of a Jenkins item, from its root element (or `_class` online).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobClass {
    /// `flow-definition` (`org.jenkinsci.plugins.workflow.job.WorkflowJob`).
    WorkflowJob,
    /// `org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject`.
    WorkflowMultiBranchProject,
    /// Anything else (freestyle `project`, nested folder, …) with its class/element name.
    Other(String),
}
