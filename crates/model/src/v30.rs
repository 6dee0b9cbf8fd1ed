//! KubeSphere v3.0 objects with the exact JSON names of `devops.kubesphere.io/v1alpha3`
//! (`docs/v30-objects.md` §3.1).
//!
//! Optional scalars follow Go's `omitempty`: empty strings, `false` and `0` are not serialised,
//! and sub-objects are `Option`s (present even as `{}` when the XML element exists). Equality of
//! these types is the controller's `reflect.DeepEqual` on the Go structs (`""` ≡ absent), which is
//! what the "no-op condition" compares.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// API group/version of the KubeSphere DevOps custom resources.
pub const DEVOPS_API_VERSION: &str = "devops.kubesphere.io/v1alpha3";
/// `spec.type` of a plain pipeline.
pub const TYPE_PIPELINE: &str = "pipeline";
/// `spec.type` of a multi-branch pipeline.
pub const TYPE_MULTI_BRANCH: &str = "multi-branch-pipeline";

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(i: &i64) -> bool {
    *i == 0
}

/// `Pipeline.spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineSpec {
    /// `pipeline` | `multi-branch-pipeline`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Set when `type_ == "pipeline"`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pipeline: Option<NoScmPipeline>,
    /// Set when `type_ == "multi-branch-pipeline"`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub multi_branch_pipeline: Option<MultiBranchPipeline>,
}

/// `spec.pipeline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoScmPipeline {
    /// Job name (= `metadata.name`).
    pub name: String,
    /// Job description.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
    /// `BuildDiscarderProperty`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discarder: Option<Discarder>,
    /// Parameters in order; empty = absent (Go nil).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parameters: Vec<Parameter>,
    /// `DisableConcurrentBuildsJobProperty` present.
    #[serde(skip_serializing_if = "is_false", default)]
    pub disable_concurrent: bool,
    /// `TimerTrigger` (only `cron` is used here).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timer_trigger: Option<TimerTrigger>,
    /// Root `authToken`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remote_trigger: Option<RemoteTrigger>,
    /// Inline script, byte for byte.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub jenkinsfile: String,
}

/// `discarder`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discarder {
    /// `daysToKeep` as text (e.g. `"7"`, `"-1"`).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub days_to_keep: String,
    /// `numToKeep` as text.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub num_to_keep: String,
}

/// A pipeline parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Default value (choice: values joined with `\n`).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub default_value: String,
    /// `string|choice|text|boolean|file|password`, or the element name of an unknown class.
    #[serde(rename = "type")]
    pub type_: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
}

/// `timer_trigger`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerTrigger {
    /// Cron spec (plain pipelines).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub cron: String,
    /// Scan interval in milliseconds, as text (multi-branch pipelines).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub interval: String,
}

/// `remote_trigger`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteTrigger {
    /// `authToken`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub token: String,
}

/// `spec.multi_branch_pipeline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiBranchPipeline {
    /// Job name (= `metadata.name`).
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
    /// From `orphanedItemStrategy`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discarder: Option<Discarder>,
    /// From `PeriodicFolderTrigger` (only `interval` is used here).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timer_trigger: Option<TimerTrigger>,
    /// `git|github|svn|single_svn|bitbucket_server`, or `""` for an unknown source (always written).
    pub source_type: String,
    /// Git source.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub git_source: Option<GitSource>,
    /// GitHub source.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub github_source: Option<GithubSource>,
    /// Bitbucket Server source (same shape as GitHub).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bitbucket_server_source: Option<GithubSource>,
    /// Subversion source.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub svn_source: Option<SvnSource>,
    /// Single-branch Subversion source.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub single_svn_source: Option<SingleSvnSource>,
    /// `factory/scriptPath` (always written).
    pub script_path: String,
    /// `PipelineTriggerProperty`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub multibranch_job_trigger: Option<MultibranchJobTrigger>,
}

/// `git_clone_option`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitCloneOption {
    /// Shallow clone.
    #[serde(skip_serializing_if = "is_false", default)]
    pub shallow: bool,
    /// Timeout in minutes.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub timeout: i64,
    /// Depth.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub depth: i64,
}

/// `git_source`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitSource {
    /// Never parsed by v3.0; kept empty.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scm_id: String,
    /// `remote`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub url: String,
    /// `credentialsId`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub credential_id: String,
    /// `BranchDiscoveryTrait` present.
    #[serde(skip_serializing_if = "is_false", default)]
    pub discover_branches: bool,
    /// `CloneOptionTrait/extension`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub git_clone_option: Option<GitCloneOption>,
    /// `RegexSCMHeadFilterTrait/regex`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub regex_filter: String,
}

/// `discover_pr_from_forks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoverPrFromForks {
    /// `strategyId`.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub strategy: i64,
    /// Trust code (GitHub 1..4, Bitbucket 1..3).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub trust: i64,
}

/// `github_source` and `bitbucket_server_source`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubSource {
    /// Never parsed by v3.0; kept empty.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scm_id: String,
    /// `repoOwner`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub owner: String,
    /// `repository`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub repo: String,
    /// `credentialsId`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub credential_id: String,
    /// `apiUri` (GitHub) or `serverUrl` (Bitbucket).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub api_uri: String,
    /// Branch discovery `strategyId`.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub discover_branches: i64,
    /// Origin PR discovery `strategyId`.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub discover_pr_from_origin: i64,
    /// Fork PR discovery.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub discover_pr_from_forks: Option<DiscoverPrFromForks>,
    /// Clone options (parsed only when a fork trait exists).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub git_clone_option: Option<GitCloneOption>,
    /// Regex filter (parsed only when a fork trait exists).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub regex_filter: String,
}

/// `svn_source`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SvnSource {
    /// Never parsed by v3.0; kept empty.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scm_id: String,
    /// `remoteBase`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub remote: String,
    /// `credentialsId`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub credential_id: String,
    /// `includes`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub includes: String,
    /// `excludes`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub excludes: String,
}

/// `single_svn_source`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleSvnSource {
    /// Never parsed by v3.0; kept empty.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub scm_id: String,
    /// `ModuleLocation/remote`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub remote: String,
    /// `ModuleLocation/credentialsId`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub credential_id: String,
}

/// `multibranch_job_trigger`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultibranchJobTrigger {
    /// `createActionJobsToTrigger`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub create_action_job_to_trigger: String,
    /// `deleteActionJobsToTrigger`.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub delete_action_job_to_trigger: String,
}

/// An empty status object (`status: {}`) for Pipelines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyStatus {}

/// `DevOpsProject` (cluster-scoped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevOpsProject {
    /// `devops.kubesphere.io/v1alpha3`.
    pub api_version: String,
    /// `DevOpsProject`.
    pub kind: String,
    /// Metadata (name, generateName, labels, annotations).
    pub metadata: ObjectMeta,
    /// Always `{}`.
    pub spec: BTreeMap<String, serde_json::Value>,
}

/// `Pipeline` (namespaced, in the project's admin namespace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    /// `devops.kubesphere.io/v1alpha3`.
    pub api_version: String,
    /// `Pipeline`.
    pub kind: String,
    /// Metadata (name, namespace, annotations).
    pub metadata: ObjectMeta,
    /// The spec.
    pub spec: PipelineSpec,
}

/// Secret `type` prefix watched by the v3.0 credential controller.
pub const CREDENTIAL_TYPE_PREFIX: &str = "credential.devops.kubesphere.io/";
/// The annotation that makes the v3.0 controller overwrite Jenkins credentials. Never written.
pub const AUTOSYNC_ANNOTATION: &str = "credential.devops.kubesphere.io/autosync";
/// Label carrying the workspace of a DevOpsProject.
pub const WORKSPACE_LABEL: &str = "kubesphere.io/workspace";
/// Label the v3.0 controller puts on a DevOpsProject's admin Namespace (value: the project name).
pub const DEVOPSPROJECT_LABEL: &str = "kubesphere.io/devopsproject";
/// Annotation carrying the creator.
pub const CREATOR_ANNOTATION: &str = "kubesphere.io/creator";
/// Annotation carrying the description.
pub const DESCRIPTION_ANNOTATION: &str = "kubesphere.io/description";
/// Annotation carrying an original display name.
pub const ALIAS_NAME_ANNOTATION: &str = "kubesphere.io/alias-name";
/// Label on RoleBindings naming the user.
pub const USER_REF_LABEL: &str = "iam.kubesphere.io/user-ref";

/// The v3.0 credential types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialType {
    /// `credential.devops.kubesphere.io/basic-auth`.
    BasicAuth,
    /// `credential.devops.kubesphere.io/ssh-auth`.
    SshAuth,
    /// `credential.devops.kubesphere.io/secret-text`.
    SecretText,
    /// `credential.devops.kubesphere.io/kubeconfig`.
    Kubeconfig,
}

impl CredentialType {
    /// The Secret `type` string.
    pub fn secret_type(self) -> &'static str {
        match self {
            CredentialType::BasicAuth => "credential.devops.kubesphere.io/basic-auth",
            CredentialType::SshAuth => "credential.devops.kubesphere.io/ssh-auth",
            CredentialType::SecretText => "credential.devops.kubesphere.io/secret-text",
            CredentialType::Kubeconfig => "credential.devops.kubesphere.io/kubeconfig",
        }
    }

    /// The `data` keys of this type (ssh writes both `privatekey` and `private_key`).
    pub fn data_keys(self) -> &'static [&'static str] {
        match self {
            CredentialType::BasicAuth => &["username", "password"],
            CredentialType::SshAuth => &["username", "passphrase", "private_key", "privatekey"],
            CredentialType::SecretText => &["secret"],
            CredentialType::Kubeconfig => &["content"],
        }
    }
}
