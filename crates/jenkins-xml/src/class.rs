//! Jenkins class names (the `_class` of the REST API, the root element or `class` attribute of a
//! `config.xml`) that the tool recognises. One owner for all of them: readers, converter and test
//! doubles refer to these constants instead of spelling the names again.

/// Items: the root class of a `config.xml`, or `_class` in the JSON API.
pub mod item {
    /// A folder (a KubeSphere v2.1 DevOps project).
    pub const FOLDER: &str = "com.cloudbees.hudson.plugins.folder.Folder";
    /// A plain pipeline job (its `config.xml` root element is `flow-definition`).
    pub const WORKFLOW_JOB: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";
    /// Root element of a plain pipeline job's `config.xml`.
    pub const WORKFLOW_JOB_ROOT: &str = "flow-definition";
    /// A multibranch pipeline job (root element and class).
    pub const MULTIBRANCH: &str =
        "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject";
    /// A freestyle job (not a pipeline; reported as unsupported).
    pub const FREESTYLE: &str = "hudson.model.FreeStyleProject";
}

/// Credential stores and domains.
pub mod store {
    /// Root class of the system credential store (`credentials.xml`).
    pub const SYSTEM: &str = "com.cloudbees.plugins.credentials.SystemCredentialsProvider";
    /// The folder property holding a folder's credential store.
    pub const FOLDER_PROPERTY: &str =
        "com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider$FolderCredentialsProperty";
    /// Class of a credential domain (the key of a `domainCredentialsMap` entry).
    pub const DOMAIN: &str = "com.cloudbees.plugins.credentials.domains.Domain";
}

/// Credential classes: the four KubeSphere v2.1 creates, and their direct-entry sources.
pub mod credential {
    /// `username_password`.
    pub const USERNAME_PASSWORD: &str =
        "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl";
    /// `ssh`.
    pub const SSH_PRIVATE_KEY: &str =
        "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey";
    /// The SSH key source holding the key text itself.
    pub const SSH_DIRECT_ENTRY: &str =
        "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$DirectEntryPrivateKeySource";
    /// `secret_text`.
    pub const SECRET_TEXT: &str =
        "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl";
    /// `kubeconfig` (kubernetes-cd plugin).
    pub const KUBECONFIG: &str =
        "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials";
    /// The kubeconfig source holding the content itself.
    pub const KUBECONFIG_DIRECT_ENTRY: &str =
        "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials$DirectEntryKubeconfigSource";
}

/// Multibranch SCM source classes (`source/@class`) the v3.0 parser dispatches on.
pub mod source {
    /// `github`.
    pub const GITHUB: &str = "org.jenkinsci.plugins.github_branch_source.GitHubSCMSource";
    /// `bitbucket_server`.
    pub const BITBUCKET: &str = "com.cloudbees.jenkins.plugins.bitbucket.BitbucketSCMSource";
    /// `git`.
    pub const GIT: &str = "jenkins.plugins.git.GitSCMSource";
    /// `single_svn`.
    pub const SINGLE_SVN: &str = "jenkins.scm.impl.SingleSCMSource";
    /// `svn`.
    pub const SVN: &str = "jenkins.scm.impl.subversion.SubversionSCMSource";
}

/// Pipeline definitions (`definition/@class`) and other classes a job's settings are read by.
pub mod definition {
    /// An inline script.
    pub const CPS: &str = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition";
    /// "Pipeline script from SCM".
    pub const CPS_SCM: &str = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition";
    /// "Discard old builds" strategy.
    pub const LOG_ROTATOR: &str = "hudson.tasks.LogRotator";
    /// Multibranch orphaned-item strategy.
    pub const DEFAULT_ORPHANED_ITEM_STRATEGY: &str =
        "com.cloudbees.hudson.plugins.folder.computed.DefaultOrphanedItemStrategy";
    /// Multibranch project factory reading a Jenkinsfile (`scriptPath`).
    pub const WORKFLOW_BRANCH_PROJECT_FACTORY: &str =
        "org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory";
}
