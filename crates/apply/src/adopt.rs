//! Adopting what KubeSphere's own `ks-devops-migration` Job wrote during the 2.1 → 3.0 upgrade
//! (`--adopt-installer-migration`), and repairing it.
//!
//! Only objects that carry no provenance label of ours **and** have the shapes that Job wrote
//! (`docs/installer-job.md`) are candidates:
//! - a credential Secret whose data values are all empty and that has no autosync annotation:
//!   it gets the export's values (nothing can be lost: it is empty); autosync is not added;
//! - a Pipeline with the creator annotation: its Jenkins job was rewritten by the v3.0
//!   controller from the Job's lossy spec, so first the snapshot's original `config.xml` is put
//!   back into Jenkins, **then** the spec is set to the v3.0 parse of that original (the export's
//!   spec), so the controller finds them equal and leaves the job alone. The other way round the
//!   controller would rewrite the job again. Without a live Jenkins the Pipeline is left alone;
//! - a DevOpsProject with `generateName` and the creator/workspace annotations: its labels and
//!   annotations become the export's;
//! - a RoleBinding with the user-ref label that differs from ours: reported, never changed or
//!   deleted.
//!
//! DevOpsProjects the Job recreated for projects that are deleted in v2.1 are reported as manual
//! tasks with the command that removes them; nothing is deleted by this tool.
//!
//! [`survey`] finds the candidates **before** the backup is taken, so that every object (and
//! every Jenkins `config.xml`) about to be repaired is in the verified backup; the engine then
//! adopts only candidates whose resourceVersion (and job) are still those backed up.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::cluster::Cluster;
use crate::error::ClusterError;
use crate::object::{DesiredObject, ObjectKind};
use crate::plan::Plan;
use crate::provenance::run_id_of;

/// The credential autosync annotation (never added by this tool).
pub const AUTOSYNC_ANNOTATION: &str = "credential.devops.kubesphere.io/autosync";
const CREATOR_ANNOTATION: &str = "kubesphere.io/creator";
const WORKSPACE_ANNOTATION: &str = "kubesphere.io/workspace";
const USER_REF_LABEL: &str = "iam.kubesphere.io/user-ref";
const CREDENTIAL_TYPE_PREFIX: &str = "credential.devops.kubesphere.io/";
/// Projects surveyed at the same time.
const SURVEY_CONCURRENCY: usize = 8;

/// Which of the installer Job's shapes an object has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallerShape {
    /// A credential Secret with every value empty.
    EmptySecret,
    /// A Pipeline (its job was rewritten from a lossy spec).
    Pipeline,
    /// A DevOpsProject.
    Project,
    /// A member RoleBinding.
    RoleBinding,
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// The installer Job's shape of `existing`, or `None` when it is ours (provenance label) or
/// does not look like what that Job wrote.
pub fn installer_shape(kind: ObjectKind, existing: &Value) -> Option<InstallerShape> {
    if run_id_of(existing).is_some() {
        return None;
    }
    match kind {
        ObjectKind::Secret => {
            let typed = existing
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with(CREDENTIAL_TYPE_PREFIX));
            let empty = existing
                .get("data")
                .and_then(Value::as_object)
                .is_none_or(|d| d.values().all(|v| v.as_str().is_none_or(str::is_empty)));
            let autosync = annotation(existing, AUTOSYNC_ANNOTATION).is_some();
            (typed && empty && !autosync).then_some(InstallerShape::EmptySecret)
        }
        ObjectKind::Pipeline => annotation(existing, CREATOR_ANNOTATION)
            .is_some()
            .then_some(InstallerShape::Pipeline),
        ObjectKind::DevOpsProject => (existing.pointer("/metadata/generateName").is_some()
            && annotation(existing, CREATOR_ANNOTATION).is_some()
            && annotation(existing, WORKSPACE_ANNOTATION).is_some())
        .then_some(InstallerShape::Project),
        ObjectKind::RoleBinding => existing
            .pointer("/metadata/labels")
            .and_then(|l| l.get(USER_REF_LABEL))
            .is_some()
            .then_some(InstallerShape::RoleBinding),
    }
}

/// The Jenkins side of a repair: the snapshot's original job files and the live Jenkins.
pub trait JenkinsJobs: Send + Sync {
    /// The snapshot's original `config.xml` of the job of Pipeline `namespace/pipeline`
    /// (`job` is the spec's job name).
    fn original(&self, namespace: &str, job: &str) -> Option<Vec<u8>>;
    /// The live Jenkins' current `config.xml` of that job (`None` when there is no such job).
    fn current<'a>(
        &'a self,
        namespace: &'a str,
        job: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, String>>;
    /// Replaces the live job's `config.xml`.
    fn put<'a>(
        &'a self,
        namespace: &'a str,
        job: &'a str,
        xml: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>>;
    /// The live Jenkins, for messages.
    fn describe(&self) -> String;
}

/// One object found to have been written by the installer's Job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Candidate {
    /// Object key (`<kind>/<ns>/<name>`).
    pub key: String,
    /// Its namespace (none for a DevOpsProject).
    pub namespace: Option<String>,
    /// Its shape.
    pub shape: InstallerShape,
    /// Its resourceVersion when backed up.
    pub resource_version: String,
    /// For a Pipeline: the job name (the spec's `name`).
    pub job: Option<String>,
    /// For a Pipeline with a live Jenkins: sha256 of the job's `config.xml` when backed up
    /// (`None` when Jenkins has no such job).
    pub job_sha256: Option<String>,
    /// For a Pipeline: whether the live job already equals the snapshot's original.
    pub job_is_original: bool,
}

/// A DevOpsProject the installer's Job recreated although the v2.1 project is deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecreatedProject {
    /// Its name.
    pub name: String,
    /// What to do about it.
    pub task: String,
}

/// What [`survey`] found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Survey {
    /// Candidates by key.
    pub candidates: BTreeMap<String, Candidate>,
    /// Soft-deleted v2.1 projects recreated by the installer's Job.
    pub recreated_deleted: Vec<RecreatedProject>,
    /// RoleBindings of the installer's Job that the export does not have, granting a user a
    /// role the export does not give them (e.g. developer → operator where the export maps
    /// developers to viewer): what to do about each.
    pub other_bindings: Vec<String>,
    /// Files of the pre-repair backup: relative path → bytes (the cluster objects as JSON, the
    /// live Jenkins `config.xml`s).
    #[serde(skip)]
    pub files: BTreeMap<String, Vec<u8>>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The job name of a Pipeline body (the spec's `name`, else `metadata.name`).
pub fn job_name(body: &Value) -> Option<String> {
    [
        "/spec/pipeline/name",
        "/spec/multi_branch_pipeline/name",
        "/metadata/name",
    ]
    .iter()
    .find_map(|p| body.pointer(p).and_then(Value::as_str))
    .map(str::to_string)
}

impl Survey {
    /// The `(namespace, job)` of every Pipeline candidate.
    pub fn pipeline_jobs(&self) -> Vec<(String, String)> {
        self.candidates
            .values()
            .filter_map(|c| Some((c.namespace.clone()?, c.job.clone()?)))
            .collect()
    }

    /// Reads the live `config.xml` of each Pipeline candidate's job for the pre-repair backup
    /// and notes whether it already is the snapshot's original.
    pub async fn read_jobs(&mut self, jobs: &dyn JenkinsJobs) -> Result<(), String> {
        let keys: Vec<String> = self.candidates.keys().cloned().collect();
        for key in keys {
            let Some(c) = self.candidates.get(&key) else {
                continue;
            };
            let (Some(job), Some(ns)) = (c.job.clone(), c.namespace.clone()) else {
                continue;
            };
            let current = jobs.current(&ns, &job).await.map_err(|e| {
                format!(
                    "reading the config.xml of job {ns}/{job} from {}: {e}",
                    jobs.describe()
                )
            })?;
            let original = jobs.original(&ns, &job);
            if let (Some(c), Some(xml)) = (self.candidates.get_mut(&key), current) {
                c.job_sha256 = Some(sha256_hex(&xml));
                c.job_is_original = original.as_deref() == Some(&xml[..]);
                self.files
                    .insert(format!("jenkins/{ns}/{job}/config.xml"), xml);
            }
        }
        Ok(())
    }

    /// Number of objects that will be (or would be) changed: every candidate but RoleBindings.
    pub fn repairs(&self) -> usize {
        self.candidates
            .values()
            .filter(|c| c.shape != InstallerShape::RoleBinding)
            .count()
    }

    /// Writes the pre-repair files (and `survey.json`) under `dir`.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<usize> {
        let mut n = 0;
        for (rel, bytes) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
            n += 1;
        }
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("survey.json"), json)?;
        Ok(n)
    }
}

/// Finds the objects of `plan` that the installer's Job wrote, reads them for the pre-repair
/// backup, and lists the DevOpsProjects it recreated for `deleted_projects` (v2.1 project ids
/// with a status other than active). Reads only. The Jenkins side is added by
/// [`Survey::read_jobs`].
pub async fn survey(
    client: &kube::Client,
    plan: &Plan,
    deleted_projects: &[String],
) -> Result<Survey, ClusterError> {
    let cluster = &Cluster::new(
        client.clone(),
        crate::retry::RetryPolicy::default(),
        crate::provenance::FIELD_MANAGER,
    );
    let mut out = Survey::default();
    // Per project: a GET of the DevOpsProject and of each Secret, one LIST of Pipelines and one
    // of RoleBindings in its namespace; projects in parallel (bounded).
    type Found<'p> = (Vec<(&'p DesiredObject, Value)>, Vec<String>);
    let found: Vec<Result<Found<'_>, ClusterError>> = futures::stream::iter(&plan.projects)
        .map(|pp| async move {
            let mut existing: Vec<(&DesiredObject, Value)> = Vec::new();
            let mut tasks = Vec::new();
            if let Some(dp) = &pp.project {
                if let Some(o) = cluster.get(dp.kind, None, &dp.name).await? {
                    existing.push((dp, o));
                }
            }
            if !cluster.namespace_exists(&pp.name).await? {
                return Ok((existing, tasks));
            }
            // Secrets one by one: a list would read every Secret of the namespace, not only the
            // migrated ones.
            for obj in pp.children().filter(|o| o.kind == ObjectKind::Secret) {
                if let Some(o) = cluster
                    .get(obj.kind, obj.namespace.as_deref(), &obj.name)
                    .await?
                {
                    existing.push((obj, o));
                }
            }
            for kind in [ObjectKind::Pipeline, ObjectKind::RoleBinding] {
                let wanted: Vec<&DesiredObject> =
                    pp.children().filter(|o| o.kind == kind).collect();
                if wanted.is_empty() {
                    continue;
                }
                let listed: BTreeMap<String, Value> = cluster
                    .list(kind, Some(&pp.name), "")
                    .await?
                    .into_iter()
                    .filter_map(|o| {
                        let name = o.pointer("/metadata/name")?.as_str()?.to_string();
                        Some((name, o))
                    })
                    .collect();
                for obj in wanted.iter().copied() {
                    if let Some(o) = listed.get(&obj.name) {
                        existing.push((obj, o.clone()));
                    }
                }
                if kind == ObjectKind::RoleBinding {
                    tasks.extend(other_bindings(&pp.name, &wanted, &listed));
                }
            }
            Ok((existing, tasks))
        })
        .buffer_unordered(SURVEY_CONCURRENCY)
        .collect()
        .await;
    for project in found {
        let (objects, tasks) = project?;
        out.other_bindings.extend(tasks);
        for (obj, existing) in objects {
            let Some(shape) = installer_shape(obj.kind, &existing) else {
                continue;
            };
            let key = obj.key();
            let mut c = Candidate {
                key: key.clone(),
                namespace: obj.namespace.clone(),
                shape,
                resource_version: existing
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                job: None,
                job_sha256: None,
                job_is_original: false,
            };
            out.files.insert(
                format!("cluster/{key}.json"),
                serde_json::to_vec_pretty(&existing).unwrap_or_default(),
            );
            if shape == InstallerShape::Pipeline {
                c.job = Some(job_name(&obj.body).unwrap_or_else(|| obj.name.clone()));
            }
            out.candidates.insert(key, c);
        }
    }
    for id in deleted_projects {
        let name = id.to_ascii_lowercase();
        if plan.projects.iter().any(|p| p.name == name) {
            continue;
        }
        if let Some(existing) = cluster.get(ObjectKind::DevOpsProject, None, &name).await? {
            if installer_shape(ObjectKind::DevOpsProject, &existing).is_some() {
                out.files.insert(
                    format!("cluster/devopsprojects/{name}.json"),
                    serde_json::to_vec_pretty(&existing).unwrap_or_default(),
                );
                out.recreated_deleted.push(RecreatedProject {
                    name: name.clone(),
                    task: format!(
                        "DevOpsProject {name} was recreated by KubeSphere's migration Job although v2.1 project {id} \
                         is deleted. If nobody uses it, remove it with `kubectl delete devopsproject {name}` (the v3.0 \
                         controller then deletes its namespace and its Jenkins folder with all jobs and build history); \
                         this tool deletes nothing"
                    ),
                });
            }
        }
    }
    Ok(out)
}

fn binding_user_role(b: &Value) -> Option<(String, String)> {
    let user = b
        .pointer("/metadata/labels")
        .and_then(|l| l.get(USER_REF_LABEL))
        .and_then(Value::as_str)?;
    let role = b.pointer("/roleRef/name").and_then(Value::as_str)?;
    Some((user.to_string(), role.to_string()))
}

/// The installer Job's RoleBindings in `namespace` (no provenance, user-ref label) that the
/// export does not have and that give their user a role the export does not: manual tasks.
fn other_bindings(
    namespace: &str,
    wanted: &[&DesiredObject],
    listed: &BTreeMap<String, Value>,
) -> Vec<String> {
    let ours: Vec<(String, String)> = wanted
        .iter()
        .filter_map(|o| binding_user_role(&o.body))
        .collect();
    listed
        .iter()
        .filter(|(name, b)| {
            run_id_of(b).is_none() && !wanted.iter().any(|o| &o.name == *name)
        })
        .filter_map(|(name, b)| {
            let (user, role) = binding_user_role(b)?;
            let export: Vec<&str> = ours
                .iter()
                .filter(|(u, _)| *u == user)
                .map(|(_, r)| r.as_str())
                .collect();
            if export.is_empty() || export.contains(&role.as_str()) {
                return None;
            }
            Some(format!(
                "RoleBinding {namespace}/{name} (written by KubeSphere's migration Job) gives {user} role {role}, the export \
                 gives {}: if the export's role is meant, remove it with `kubectl -n {namespace} delete rolebinding {name}`; \
                 this tool deletes nothing",
                export.join(", ")
            ))
        })
        .collect()
}

/// Adoption settings handed to the engine.
#[derive(Clone)]
pub struct Adoption {
    /// What the survey found (and the backup holds).
    pub survey: Arc<Survey>,
    /// The Jenkins side; `None` = no live Jenkins (Pipelines are left alone).
    pub jobs: Option<Arc<dyn JenkinsJobs>>,
    /// Why there is no Jenkins side, with what to do (a manual task per Pipeline).
    pub no_jobs_reason: String,
    /// Where the pre-repair state is backed up (for messages), e.g. `backup RUN (adopt/…)`.
    pub backed_up_in: String,
}

impl std::fmt::Debug for Adoption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adoption")
            .field("candidates", &self.survey.candidates.len())
            .field("jobs", &self.jobs.as_ref().map(|j| j.describe()))
            .field("backed_up_in", &self.backed_up_in)
            .finish()
    }
}

/// What adoption did in a run (for the apply report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionSummary {
    /// Objects written by the installer's Job and now ours (updated, or would be).
    pub adopted: usize,
    /// Jenkins jobs whose original `config.xml` was put back.
    pub jobs_restored: usize,
    /// Objects of the installer's Job left alone (RoleBindings, changed since the backup,
    /// no snapshot values, no live Jenkins).
    pub left_alone: usize,
    /// Things only a person can do (with the exact command).
    pub manual_tasks: Vec<String>,
    /// Where the pre-repair state is backed up.
    pub backed_up_in: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_of_the_installer_job() {
        let secret = json!({"type": "credential.devops.kubesphere.io/basic-auth",
            "metadata": {"name": "a"}, "data": {"username": "", "password": ""}});
        assert_eq!(
            installer_shape(ObjectKind::Secret, &secret),
            Some(InstallerShape::EmptySecret)
        );
        let filled = json!({"type": "credential.devops.kubesphere.io/basic-auth",
            "metadata": {"name": "a"}, "data": {"username": "dQ==", "password": ""}});
        assert_eq!(installer_shape(ObjectKind::Secret, &filled), None);
        let ours = json!({"metadata": {"name": "p", "annotations": {"kubesphere.io/creator": "bob"},
            "labels": {crate::provenance::RUN_ID_LABEL: "20260101-000000-abcd"}}});
        assert_eq!(installer_shape(ObjectKind::Pipeline, &ours), None);
        let theirs =
            json!({"metadata": {"name": "p", "annotations": {"kubesphere.io/creator": "bob"}}});
        assert_eq!(
            installer_shape(ObjectKind::Pipeline, &theirs),
            Some(InstallerShape::Pipeline)
        );
        let synced = json!({"type": "credential.devops.kubesphere.io/secret-text",
            "metadata": {"name": "a", "annotations": {AUTOSYNC_ANNOTATION: "true"}}, "data": {"secret": ""}});
        assert_eq!(installer_shape(ObjectKind::Secret, &synced), None);
    }
}
