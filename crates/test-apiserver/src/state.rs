//! State shared by the HTTP layer, the simulated controller and the test-facing handle.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::access::{AccessDenial, RbacPolicy};
use crate::faults::FaultHandle;
use crate::observe::Observations;
use crate::options::{ServerOptions, DEFAULT_VERSION_WITHOUT_SSA, DEFAULT_VERSION_WITH_SSA};
use crate::store::Store;

/// Runtime-changeable behaviour switches.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Server-side apply accepted.
    pub ssa_enabled: bool,
    /// Explicit `/version` gitVersion.
    pub git_version: Option<String>,
    /// Controller delay (None = controller idle).
    pub controller_delay: Option<Duration>,
    /// Controller adds the pipeline finalizer.
    pub pipeline_finalizer: bool,
    /// Authorisation denials.
    pub denials: Vec<AccessDenial>,
    /// Role-based access control (None = everything not denied is allowed).
    pub rbac: Option<RbacPolicy>,
    /// User name for Forbidden messages and SSAR.
    pub user: String,
    /// Where the simulated pipeline controller reads jobs (see [`ServerOptions::jenkins_home`]).
    pub jenkins_home: Option<std::path::PathBuf>,
    /// The namespace controller creates `<creator>-admin`.
    pub creator_admin: bool,
    /// The pipeline controller rewrites jobs whose parse differs from the spec.
    pub rewrite_jobs: bool,
}

impl Settings {
    /// Settings from start-up options.
    pub fn from_options(opts: &ServerOptions) -> Self {
        Self {
            ssa_enabled: opts.ssa_enabled,
            git_version: opts.git_version.clone(),
            controller_delay: opts.controller_delay,
            pipeline_finalizer: opts.pipeline_finalizer,
            denials: Vec::new(),
            rbac: opts.rbac.clone(),
            user: opts.user.clone(),
            jenkins_home: opts.jenkins_home.clone(),
            creator_admin: opts.creator_admin,
            rewrite_jobs: opts.rewrite_jobs,
        }
    }

    /// The gitVersion `/version` reports.
    pub fn effective_git_version(&self) -> String {
        match &self.git_version {
            Some(v) => v.clone(),
            None if self.ssa_enabled => DEFAULT_VERSION_WITH_SSA.to_string(),
            None => DEFAULT_VERSION_WITHOUT_SSA.to_string(),
        }
    }
}

/// Everything the server tasks share.
#[derive(Debug)]
pub struct Shared {
    /// Objects and types.
    pub store: Mutex<Store>,
    /// Fault injection.
    pub faults: FaultHandle,
    /// Request log and counters.
    pub observations: Mutex<Observations>,
    /// Behaviour switches.
    pub settings: Mutex<Settings>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Locks the store.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Locks the observations.
    pub fn observations(&self) -> MutexGuard<'_, Observations> {
        lock(&self.observations)
    }

    /// Locks the settings.
    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        lock(&self.settings)
    }
}
