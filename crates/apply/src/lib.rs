//! # ksdm-apply
//!
//! Applies the exported KubeSphere v3.0 objects (the `export` tree) to a cluster, safely:
//!
//! * [`preflight`] — API reachable, server version, the two CRDs, permissions (SelfSubjectAccessReview).
//! * [`Plan::from_tree`] — reads the tree into per-project ordered plans; [`shard_of`] / [`filter_shard`].
//! * [`apply_plan`] — per project: DevOpsProject → wait (bounded) for the controller's admin
//!   namespace → Secrets → Pipelines → RoleBindings; projects in parallel (bounded). Creates with
//!   POST; updates (only with [`ExistingPolicy::Update`]) with server-side apply where supported,
//!   else get + replace. Non-destructive: differing objects are conflicts, Secret data is never
//!   overwritten unless asked (and never with placeholder data), nothing is deleted, the credential
//!   autosync annotation is never set. Provenance on every write. Dry run = same traversal, no writes.
//! * [`Journal`] — JSON-lines progress (+ ConfigMap mirror, read back by a new pod: [`mirror`]) for resume and R16 protection.
//! * [`verify_plan`] / [`verify_tree`] — missing / different / extra.
//!
//! The in-cluster Job manifests (ServiceAccount, RBAC, Job) are written by `ksdm-run`
//! (`ksdm_run::job_manifests`).
//!
//! The library never prints; progress goes to a [`Progress`] channel of [`ApplyEvent`]s.
//! Build the client with [`connect`] (kube's own retry off; this crate retries with [`RetryPolicy`]).

#![deny(missing_docs)]

pub mod adopt;
pub mod cluster;
pub mod compare;
pub mod connect;
pub mod engine;
pub mod error;
pub mod journal;
pub mod mirror;
pub mod object;
pub mod options;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod provenance;
pub mod report;
pub mod retry;
pub mod rights;
pub mod verify;

pub use adopt::{survey, Adoption, AdoptionSummary, JenkinsJobs, Survey};
pub use compare::{compare, Comparison};
pub use connect::{
    connect, connect_described, connect_with_kubeconfig_yaml, install_crypto_provider,
    ClusterTarget, ConnectOptions,
};
pub use engine::apply_plan;
pub use error::{ApplyError, ClusterError, JournalError, PlanError};
pub use journal::{running_in_cluster, ConfigMapMirror, Journal, JournalEntry};
pub use object::{DesiredObject, ObjectKind};
pub use options::{ApplyOptions, ExistingPolicy, NamespaceWait, SsaMode};
pub use plan::{filter_shard, shard_of, Plan, PlanProblem, ProjectPlan};
pub use preflight::{preflight, PermissionCheck, PreflightOptions, PreflightReport};
pub use progress::{ApplyEvent, Progress};
pub use provenance::{RunId, FIELD_MANAGER, RUN_ID_LABEL, VERSION_ANNOTATION};
pub use report::{Action, ApplyReport, ObjectResult, ProjectResult, ProjectStatus, RightsChange};
pub use retry::RetryPolicy;
pub use verify::{verify_plan, verify_tree, VerifyItem, VerifyOptions, VerifyReport};
