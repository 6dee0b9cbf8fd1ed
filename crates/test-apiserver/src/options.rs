//! Start-up options of the test API server.

use std::time::Duration;

use crate::access::RbacPolicy;
use crate::crd::{devopsprojects_crd_yaml, pipelines_crd_yaml};

/// Kubernetes version reported when server-side apply is on and no version is given.
pub const DEFAULT_VERSION_WITH_SSA: &str = "v1.18.6";
/// Kubernetes version reported when server-side apply is off and no version is given.
pub const DEFAULT_VERSION_WITHOUT_SSA: &str = "v1.15.12";

/// How to start a [`crate::TestApiServer`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// CRD YAML documents installed at start (apiextensions v1beta1 or v1).
    pub crd_yaml: Vec<String>,
    /// Whether `application/apply-patch+yaml` is accepted (off = 415, like Kubernetes 1.15).
    pub ssa_enabled: bool,
    /// `gitVersion` served at `/version`; None = v1.18.6 with SSA, v1.15.12 without.
    pub git_version: Option<String>,
    /// Delay after which the simulated DevOpsProject controller handles a new project; None = never.
    pub controller_delay: Option<Duration>,
    /// Whether the simulated controller also adds `pipeline.finalizers.kubesphere.io` to Pipelines.
    pub pipeline_finalizer: bool,
    /// Namespaces that exist at start.
    pub namespaces: Vec<String>,
    /// User name the kubeconfig names and Forbidden messages quote.
    pub user: String,
    /// Bearer token written into the kubeconfig (not checked by the server).
    pub token: String,
    /// KubeSphere `tenant.kubesphere.io/v1alpha1` Workspaces that exist at start; `None` = the
    /// Workspace API is not served at all (not a KubeSphere cluster).
    pub workspaces: Option<Vec<String>>,
    /// The Jenkins the simulated pipeline controller reads jobs from: a `JENKINS_HOME` folder
    /// (`jobs/<folder>/jobs/<job>/config.xml`, folder matched case-insensitively). `None` = the
    /// pipeline controller does not parse jobs.
    pub jenkins_home: Option<std::path::PathBuf>,
    /// Whether the simulated namespace controller creates `<creator>-admin` RoleBindings (as
    /// v3.0.0's does on every reconcile). Off by default so object counts stay the export's.
    pub creator_admin: bool,
    /// Whether the simulated pipeline controller rewrites a job whose parse differs from its
    /// Pipeline's spec (v3.0.0's `UpdateProjectPipeline`: a freshly generated `config.xml`
    /// replaces the job's). Needs [`ServerOptions::jenkins_home`]. Off by default.
    pub rewrite_jobs: bool,
    /// Role-based access control enforced for the token's user (None = allow all not denied).
    pub rbac: Option<RbacPolicy>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            crd_yaml: Vec::new(),
            ssa_enabled: true,
            git_version: None,
            controller_delay: None,
            pipeline_finalizer: false,
            namespaces: vec!["default".into(), "kube-system".into(), "kube-public".into()],
            user: "test-user".into(),
            token: "test-token".into(),
            workspaces: None,
            jenkins_home: None,
            creator_admin: false,
            rewrite_jobs: false,
            rbac: None,
        }
    }
}

impl ServerOptions {
    /// Serves the Workspace API with these Workspaces at start.
    pub fn with_workspaces(mut self, names: &[&str]) -> Self {
        self.workspaces = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Makes the simulated namespace controller create `<creator>-admin` RoleBindings.
    pub fn with_creator_admin(mut self) -> Self {
        self.creator_admin = true;
        self
    }

    /// Lets the simulated pipeline controller parse jobs from this `JENKINS_HOME`.
    pub fn with_jenkins_home(mut self, home: impl Into<std::path::PathBuf>) -> Self {
        self.jenkins_home = Some(home.into());
        self
    }

    /// Makes the simulated pipeline controller rewrite jobs whose parse differs from their
    /// Pipeline's spec, as v3.0.0 does (see [`ServerOptions::rewrite_jobs`]).
    pub fn with_job_rewrites(mut self) -> Self {
        self.rewrite_jobs = true;
        self
    }

    /// Installs the KubeSphere v3.0.0 `devopsprojects` and `pipelines` CRDs at start.
    pub fn with_kubesphere_crds(mut self) -> Self {
        self.crd_yaml.push(devopsprojects_crd_yaml());
        self.crd_yaml.push(pipelines_crd_yaml());
        self
    }

    /// Runs the simulated DevOpsProject controller with `delay` (None = never).
    pub fn with_controller_delay(mut self, delay: Option<Duration>) -> Self {
        self.controller_delay = delay;
        self
    }

    /// Emulates Kubernetes 1.15: server-side apply off, `/version` v1.15.12.
    pub fn kubernetes_1_15(mut self) -> Self {
        self.ssa_enabled = false;
        self.git_version = Some(DEFAULT_VERSION_WITHOUT_SSA.into());
        self
    }

    /// Enforces `policy` (see [`RbacPolicy`]) for every request of the token's user.
    pub fn with_rbac(mut self, policy: RbacPolicy) -> Self {
        self.rbac = Some(policy);
        self
    }
}
