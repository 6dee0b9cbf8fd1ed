//! The apply engine: projects in parallel (bounded), each in order DevOpsProject → wait for the
//! admin namespace → Secrets → Pipelines → RoleBindings; non-destructive by default; journaled.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt as _;
use kube::Client;
use serde_json::Value;

use crate::adopt::{installer_shape, Adoption, AdoptionSummary, Candidate, InstallerShape};
use crate::cluster::Cluster;
use crate::compare::{compare, creation_diff};
use crate::error::ClusterError;
use crate::journal::{Journal, JournalEntry};
use crate::mirror::{flush_project, load_mirror, mirror_project, FLUSH_EVERY};
use crate::object::{DesiredObject, ObjectKind};
use crate::options::{go_duration, ApplyOptions, ExistingPolicy, SsaMode};
use crate::plan::{Plan, ProjectPlan};
use crate::progress::{ApplyEvent, Progress};
use crate::provenance::{run_id_of, with_provenance};
use crate::report::{
    Action, ApplyReport, ObjectResult, ProjectResult, ProjectStatus, RightsChange,
};
use crate::rights::{rights_changes, roles_by_user};

/// Applies `plan` (or plans it, with `opts.dry_run`). Never fails as a whole: every problem is
/// reported per object or project. `journal` records progress and enables a quick resume; with
/// a ConfigMap mirror, the entries of earlier runs stored there are loaded first (so a new pod
/// resumes like a local rerun).
pub async fn apply_plan(
    client: &Client,
    plan: &Plan,
    opts: &ApplyOptions,
    journal: Option<&Journal>,
    progress: &Progress,
) -> ApplyReport {
    let cluster = Cluster::new(client.clone(), opts.retry.clone(), &opts.field_manager);
    let mut notes = Vec::new();
    if let Some((journal, mirror)) = journal.and_then(|j| j.mirror().map(|m| (j, m))) {
        match load_mirror(&cluster, journal).await {
            Ok(n) => tracing::info!(entries = n, configmap = %mirror.name, namespace = %mirror.namespace, "journal entries loaded from the cluster"),
            Err(e) => notes.push(format!(
                "cannot read the journal ConfigMaps {}-* in namespace {}: {e}; resuming from the local journal only \
                 (objects deleted since an earlier in-cluster run may be recreated)",
                mirror.name, mirror.namespace
            )),
        }
    }
    let ssa = match opts.ssa {
        SsaMode::Never => false,
        SsaMode::Always => true,
        SsaMode::Auto => match server_supports_ssa(&cluster).await {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!(
                    "cannot read the server version ({e}); updating with get + replace"
                ));
                false
            }
        },
    };
    let workspaces_served = match cluster.workspaces_served().await {
        Ok(true) => true,
        Ok(false) => {
            notes.push(format!(
                "the server does not serve {} Workspaces (not a KubeSphere cluster?): project workspaces were not checked",
                crate::cluster::WORKSPACE_API_VERSION
            ));
            false
        }
        Err(e) => {
            notes.push(format!(
                "cannot discover the Workspace API ({e}): project workspaces were not checked"
            ));
            false
        }
    };
    let engine = Engine {
        cluster,
        opts,
        journal,
        progress,
        ssa: AtomicBool::new(ssa),
        notes: Mutex::new(notes),
        workspaces_served,
        adoption: Mutex::new(opts.adopt.as_ref().map(|a| {
            AdoptionSummary {
                backed_up_in: a.backed_up_in.clone(),
                manual_tasks: a
                    .survey
                    .recreated_deleted
                    .iter()
                    .map(|r| r.task.clone())
                    .collect(),
                ..AdoptionSummary::default()
            }
        })),
    };
    progress.emit(ApplyEvent::RunStarted {
        projects: plan.projects.len(),
        objects: plan.object_count(),
    });

    let mut outcomes: Vec<(usize, ProjectOutcome)> =
        futures::stream::iter(plan.projects.iter().enumerate())
            .map(|(i, p)| {
                let engine = &engine;
                async move { (i, engine.run_project(p).await) }
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    outcomes.sort_by_key(|(i, _)| *i);

    let mut report = ApplyReport {
        run_id: opts.run_id.to_string(),
        dry_run: opts.dry_run,
        server_side_apply: engine.ssa.load(Ordering::SeqCst),
        ..ApplyReport::default()
    };
    for problem in &plan.problems {
        report.per_object.push(ObjectResult {
            key: format!("file:{}", problem.path.display()),
            project: problem.project.clone().unwrap_or_default(),
            action: Action::Failed,
            message: format!(
                "{} cannot be used: {}",
                problem.path.display(),
                problem.reason
            ),
            diff: None,
        });
    }
    for (_, outcome) in outcomes {
        report.per_object.extend(outcome.objects);
        report.per_project.push(outcome.project);
        report.rights.extend(outcome.rights);
    }
    report.notes = engine
        .notes
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    report.adoption = engine
        .adoption
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    report.recount();
    report
}

async fn server_supports_ssa(cluster: &Cluster) -> Result<bool, ClusterError> {
    let info = cluster
        .retry()
        .run("version", || cluster.client().apiserver_version())
        .await?;
    let num = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    };
    let (major, minor) = (num(&info.major), num(&info.minor));
    Ok(major > 1 || (major == 1 && minor >= 16))
}

struct ProjectOutcome {
    objects: Vec<ObjectResult>,
    project: ProjectResult,
    rights: Vec<RightsChange>,
}

struct Engine<'a> {
    cluster: Cluster,
    opts: &'a ApplyOptions,
    journal: Option<&'a Journal>,
    progress: &'a Progress,
    ssa: AtomicBool,
    notes: Mutex<Vec<String>>,
    /// The Workspace API is served, so each project's workspace can be checked.
    workspaces_served: bool,
    /// What adoption did so far (with `opts.adopt`).
    adoption: Mutex<Option<AdoptionSummary>>,
}

/// What reconciling one object produced.
struct Step {
    action: Action,
    message: String,
    diff: Option<String>,
    resource_version: Option<String>,
}

impl Step {
    fn new(action: Action, message: impl Into<String>) -> Self {
        Step {
            action,
            message: message.into(),
            diff: None,
            resource_version: None,
        }
    }
    fn diff(mut self, diff: String) -> Self {
        self.diff = (!diff.is_empty()).then_some(diff);
        self
    }
    fn rv(mut self, obj: &Value) -> Self {
        self.resource_version = resource_version(obj);
        self
    }
    /// Records the resourceVersion only when the object is now in the desired state: after an
    /// update that kept differing Secret data it is not, and a journaled resourceVersion would
    /// make the next run call it "unchanged" without comparing (and skip a later
    /// `overwrite_secret_data`).
    fn rv_if(self, desired_state: bool, obj: &Value) -> Self {
        if desired_state {
            self.rv(obj)
        } else {
            self
        }
    }
}

fn resource_version(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn set_field(target: &mut Value, field: &str, value: Option<&Value>) {
    if let Some(map) = target.as_object_mut() {
        match value {
            Some(v) => {
                map.insert(field.to_string(), v.clone());
            }
            None => {
                map.remove(field);
            }
        }
    }
}

/// `existing` with the desired (provenance-carrying) labels, annotations and owned fields laid over it.
fn merge_into(existing: &Value, desired: &Value, kind: ObjectKind, keep_data: bool) -> Value {
    let mut merged = existing.clone();
    for field in ["labels", "annotations"] {
        let Some(wanted) = desired
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        if let Some(meta) = merged.get_mut("metadata").and_then(Value::as_object_mut) {
            let entry = meta
                .entry(field)
                .or_insert_with(|| Value::Object(Default::default()));
            if !entry.is_object() {
                *entry = Value::Object(Default::default());
            }
            if let Some(map) = entry.as_object_mut() {
                for (k, v) in wanted {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
    for field in kind.owned_fields() {
        if keep_data && *field == "data" {
            continue;
        }
        set_field(&mut merged, field, desired.get(*field));
    }
    merged
}

impl Engine<'_> {
    fn note(&self, text: String) {
        self.notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(text);
    }

    async fn run_project(&self, pp: &ProjectPlan) -> ProjectOutcome {
        self.progress.emit(ApplyEvent::ProjectStarted {
            project: pp.name.clone(),
        });
        let mut objects = Vec::new();
        let mut rights = Vec::new();
        let mut parent_missing = false;
        let precheck = if pp.project.is_some() {
            self.precheck(pp).await
        } else {
            Ok(())
        };
        let failure = match (&pp.project, precheck) {
            (Some(dp), Err(message)) => {
                objects.push(ObjectResult {
                    key: dp.key(),
                    project: pp.name.clone(),
                    action: Action::Failed,
                    message: message.clone(),
                    diff: None,
                });
                Some((ProjectStatus::Failed, message))
            }
            (Some(dp), Ok(())) => {
                let r = self.reconcile(&pp.name, dp, false, None).await;
                let action = r.action;
                let message = r.message.clone();
                objects.push(r);
                match action {
                    Action::Failed => Some((ProjectStatus::Failed, format!("DevOpsProject {} could not be applied: {message}", pp.name))),
                    Action::Skipped => Some((ProjectStatus::Skipped, message)),
                    _ if self.opts.dry_run => {
                        parent_missing = action == Action::Create || !self.cluster.namespace_exists(&pp.name).await.unwrap_or(false);
                        None
                    }
                    _ => {
                        self.progress.emit(ApplyEvent::WaitingForNamespace { project: pp.name.clone() });
                        self.wait_for_namespace(pp).await.err().map(|m| (ProjectStatus::Failed, m))
                    }
                }
            }
            (None, _) => match self.cluster.namespace_exists(&pp.name).await {
                Ok(true) => None,
                Ok(false) => Some((
                    ProjectStatus::Failed,
                    format!("the export has objects for namespace {} but no DevOpsProject {0}, and that namespace does not exist", pp.name),
                )),
                Err(e) => Some((ProjectStatus::Failed, format!("cannot check namespace {}: {e}", pp.name))),
            },
        };
        if let Some((status, message)) = failure {
            for child in pp.children() {
                let r = ObjectResult {
                    key: child.key(),
                    project: pp.name.clone(),
                    action: Action::Skipped,
                    message: format!(
                        "not applied: project {} {}",
                        pp.name,
                        if status == ProjectStatus::Failed {
                            "failed"
                        } else {
                            "was skipped"
                        }
                    ),
                    diff: None,
                };
                self.progress.emit(ApplyEvent::ObjectDone {
                    project: pp.name.clone(),
                    key: r.key.clone(),
                    action: r.action,
                });
                objects.push(r);
            }
            return self.finish(pp, objects, rights, status, message).await;
        }

        let listed = if parent_missing {
            Listed::new()
        } else {
            self.list_children(pp).await
        };
        let mut held: Option<BTreeMap<String, Vec<String>>> = None;
        for child in pp.children() {
            if child.kind == ObjectKind::RoleBinding && held.is_none() {
                let existing = if parent_missing {
                    Vec::new()
                } else {
                    self.cluster.list(ObjectKind::RoleBinding, Some(&pp.name), "").await.unwrap_or_else(|e| {
                        self.note(format!("cannot list the RoleBindings of {}: {e}; rights changes there are reported as new grants", pp.name));
                        Vec::new()
                    })
                };
                held = Some(roles_by_user(&existing));
            }
            let known = prefetched(&listed, child);
            let r = self.reconcile(&pp.name, child, parent_missing, known).await;
            if child.kind == ObjectKind::RoleBinding && r.action == Action::Create {
                if let Some(held) = &held {
                    rights.extend(rights_changes(
                        &pp.name,
                        &child.body,
                        held,
                        self.opts.dry_run,
                    ));
                }
            }
            objects.push(r);
        }
        let failed = objects
            .iter()
            .filter(|o| o.action == Action::Failed)
            .count();
        let (status, message) = if failed == 0 {
            (ProjectStatus::Done, format!("{} objects", objects.len()))
        } else {
            (
                ProjectStatus::Partial,
                format!("{failed} of {} objects failed", objects.len()),
            )
        };
        self.finish(pp, objects, rights, status, message).await
    }

    /// Checks made before a project's DevOpsProject is applied: its workspace exists (v3.0.0's
    /// controller silently leaves a project whose workspace is missing outside every workspace,
    /// invisible to its members), and no Namespace of the same name belongs to something else
    /// (the controller would fail on it forever).
    async fn precheck(&self, pp: &ProjectPlan) -> Result<(), String> {
        let name = pp.name.as_str();
        if self.workspaces_served {
            match pp.workspace() {
                None => {}
                Some(ws) => match self.cluster.workspace_exists(ws).await {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(format!(
                            "workspace {ws} does not exist in the cluster: the v3.0 controller would create project {name} \
                             outside every workspace, invisible to its members. Create workspace {ws} (or migrate the \
                             project into an existing one) and rerun"
                        ))
                    }
                    Err(e) => return Err(format!("cannot check workspace {ws} of project {name}: {e}")),
                },
            }
        }
        match self.cluster.get_namespace(name).await {
            Ok(Some(ns)) => {
                let label = ns
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(ksdm_model::v30::DEVOPSPROJECT_LABEL))
                    .and_then(Value::as_str);
                if label != Some(name) {
                    return Err(format!(
                        "a Namespace named {name} already exists and is not this project's (it has no label \
                         {}={name}): the v3.0 controller cannot create the project's admin namespace. Rename or remove \
                         that Namespace, or leave this project out, and rerun",
                        ksdm_model::v30::DEVOPSPROJECT_LABEL
                    ));
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(format!("cannot check namespace {name}: {e}")),
        }
    }

    async fn finish(
        &self,
        pp: &ProjectPlan,
        objects: Vec<ObjectResult>,
        rights: Vec<RightsChange>,
        status: ProjectStatus,
        message: String,
    ) -> ProjectOutcome {
        let project = ProjectResult {
            project: pp.name.clone(),
            status,
            message,
        };
        if !self.opts.dry_run {
            if let Some(journal) = self.journal {
                self.flush_mirror(journal, &pp.name).await;
            }
            if let Some(mirror) = self.journal.and_then(Journal::mirror) {
                if let Err(e) =
                    mirror_project(&self.cluster, mirror, self.opts.run_id.as_str(), &project).await
                {
                    self.note(format!(
                        "cannot record the progress of project {} in ConfigMap {}/{}: {e}",
                        pp.name, mirror.namespace, mirror.name
                    ));
                }
            }
        }
        self.progress.emit(ApplyEvent::ProjectFinished {
            project: pp.name.clone(),
            status,
        });
        ProjectOutcome {
            objects,
            project,
            rights,
        }
    }

    /// Writes this run's journal entries of `project` into its mirror ConfigMap (problems become notes).
    async fn flush_mirror(&self, journal: &Journal, project: &str) {
        let Some(mirror) = journal.mirror() else {
            return;
        };
        match flush_project(&self.cluster, journal, project, self.opts.run_id.as_str()).await {
            Ok(0) => {}
            Ok(left_out) => self.note(format!(
                "the journal ConfigMap of project {project} in namespace {} is full: {left_out} entries are only in the local journal",
                mirror.namespace
            )),
            Err(e) => self.note(format!("cannot record the journal of project {project} in namespace {}: {e}", mirror.namespace)),
        }
    }

    /// Polls (with backoff, bounded by the namespace timeout) until the controller has set
    /// `status.adminNamespace` and that Namespace exists.
    async fn wait_for_namespace(&self, pp: &ProjectPlan) -> Result<(), String> {
        let wait = &self.opts.namespace_wait;
        let name = pp.name.as_str();
        let poll = async {
            let mut interval = wait.initial_interval.max(Duration::from_millis(1));
            loop {
                match self
                    .cluster
                    .get(ObjectKind::DevOpsProject, None, name)
                    .await
                {
                    Ok(Some(project)) => {
                        let admin = project
                            .pointer("/status/adminNamespace")
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty());
                        if let Some(admin) = admin {
                            if admin != name {
                                return Err(format!(
                                    "the controller set status.adminNamespace of DevOpsProject {name} to {admin:?}: the export's objects \
                                     belong in namespace {name:?}; a Namespace labelled kubesphere.io/devopsproject={name} was adopted?"
                                ));
                            }
                            match self.cluster.namespace_exists(admin).await {
                                Ok(true) => return Ok(()),
                                Ok(false) => {}
                                Err(e) => {
                                    tracing::debug!(project = name, error = %e, "checking the admin namespace failed; polling again")
                                }
                            }
                        }
                    }
                    Ok(None) => {
                        return Err(format!(
                            "DevOpsProject {name} disappeared while waiting for its namespace"
                        ))
                    }
                    Err(e) => {
                        tracing::debug!(project = name, error = %e, "reading the DevOpsProject failed; polling again")
                    }
                }
                tokio::time::sleep(interval).await;
                interval = (interval * 2).min(wait.max_interval.max(interval));
            }
        };
        match tokio::time::timeout(wait.timeout, poll).await {
            Ok(r) => r,
            Err(_) => {
                let ws = pp
                    .workspace()
                    .map(|w| format!("does workspace {w} exist?"))
                    .unwrap_or_else(|| {
                        "the DevOpsProject has no kubesphere.io/workspace label".into()
                    });
                Err(format!(
                    "controller did not create namespace {name} within {}: is ks-controller-manager running? {ws}",
                    go_duration(wait.timeout)
                ))
            }
        }
    }

    /// The objects of the kinds `pp` applies in its namespace, one list per kind (instead of
    /// one GET per object: a first run then only creates, a rerun only compares). A kind whose
    /// list fails is left out, and its objects are read one by one. Secrets are always read one
    /// by one: a list would read every Secret of the namespace, not only the migrated ones.
    async fn list_children(&self, pp: &ProjectPlan) -> Listed {
        let mut listed = Listed::new();
        for child in pp.children() {
            if child.kind == ObjectKind::Secret || listed.contains_key(&child.kind) {
                continue;
            }
            match self
                .cluster
                .list(child.kind, child.namespace.as_deref(), "")
                .await
            {
                Ok(items) => {
                    let by_name = items
                        .into_iter()
                        .filter_map(|item| {
                            let name = item.pointer("/metadata/name")?.as_str()?.to_string();
                            Some((name, item))
                        })
                        .collect();
                    listed.insert(child.kind, Some(by_name));
                }
                Err(e) => {
                    tracing::debug!(project = %pp.name, kind = ?child.kind, error = %e, "listing failed; reading objects one by one");
                    listed.insert(child.kind, None);
                }
            }
        }
        listed
    }

    async fn reconcile(
        &self,
        project: &str,
        obj: &DesiredObject,
        parent_missing: bool,
        known: Option<Option<Value>>,
    ) -> ObjectResult {
        let key = obj.key();
        let step = if parent_missing {
            Step::new(
                Action::Create,
                format!("would create (namespace {project} does not exist yet)"),
            )
            .diff(creation_diff(obj))
        } else {
            let found = match known {
                Some(listed) => Ok(listed),
                None => {
                    self.cluster
                        .get(obj.kind, obj.namespace.as_deref(), &obj.name)
                        .await
                }
            };
            match found {
                Err(e) => Step::new(Action::Failed, format!("cannot read {key}: {e}")),
                Ok(None) => self.create_missing(obj, &key).await,
                Ok(Some(existing)) => self.reconcile_existing(obj, &key, existing).await,
            }
        };
        let mut message = step.message;
        for note in &obj.notes {
            message.push_str("; ");
            message.push_str(note);
        }
        if !self.opts.dry_run {
            if let Some(journal) = self.journal {
                let entry = JournalEntry {
                    run_id: self.opts.run_id.to_string(),
                    key: key.clone(),
                    digest: obj.digest(),
                    result: step.action,
                    resource_version: step.resource_version.clone(),
                };
                match journal.record_in_project(project, &entry) {
                    Ok(unflushed) if unflushed >= FLUSH_EVERY => {
                        self.flush_mirror(journal, project).await
                    }
                    Ok(_) => {}
                    Err(e) => self.note(format!("cannot journal {key}: {e}")),
                }
            }
        }
        self.progress.emit(ApplyEvent::ObjectDone {
            project: project.to_string(),
            key: key.clone(),
            action: step.action,
        });
        ObjectResult {
            key,
            project: project.to_string(),
            action: step.action,
            message,
            diff: step.diff,
        }
    }

    async fn create_missing(&self, obj: &DesiredObject, key: &str) -> Step {
        if let Some(prev) = self.journal.and_then(|j| j.last_done(key)) {
            if !self.opts.recreate_deleted {
                return Step::new(
                    Action::Skipped,
                    format!(
                        "run {} left {key} in place and it is gone now (deleted in the cluster since?): not recreated \
                         (allow recreating deleted objects to create it again)",
                        prev.run_id
                    ),
                );
            }
        }
        let placeholder = if obj.placeholder_data {
            " with placeholder data (a required value is missing)"
        } else {
            ""
        };
        if self.opts.dry_run {
            return Step::new(Action::Create, format!("would create{placeholder}"))
                .diff(creation_diff(obj));
        }
        let body = with_provenance(obj.body.clone(), &self.opts.run_id, &self.opts.tool_version);
        match self
            .cluster
            .create(obj.kind, obj.namespace.as_deref(), &body)
            .await
        {
            Ok(created) => Step::new(Action::Create, format!("created{placeholder}")).rv(&created),
            Err(e) if e.is_already_exists() => match self
                .cluster
                .get(obj.kind, obj.namespace.as_deref(), &obj.name)
                .await
            {
                Ok(Some(existing)) => {
                    // A retried create whose first answer was lost finds its own object.
                    if run_id_of(&existing) == Some(self.opts.run_id.as_str())
                        && compare(obj, &existing).is_equal()
                    {
                        Step::new(Action::Create, format!("created{placeholder}")).rv(&existing)
                    } else {
                        self.reconcile_existing(obj, key, existing).await
                    }
                }
                Ok(None) => Step::new(
                    Action::Failed,
                    format!("cannot create {key}: it exists and vanished again"),
                ),
                Err(e) => Step::new(
                    Action::Failed,
                    format!("cannot read {key} after a create conflict: {e}"),
                ),
            },
            Err(e) => Step::new(Action::Failed, format!("cannot create {key}: {e}")),
        }
    }

    async fn reconcile_existing(&self, obj: &DesiredObject, key: &str, existing: Value) -> Step {
        if let Some(adopt) = &self.opts.adopt {
            if let Some(c) = adopt.survey.candidates.get(key) {
                if installer_shape(obj.kind, &existing).is_some() {
                    return self.adopt_existing(obj, key, existing, adopt, c).await;
                }
            }
        }
        // The quick path (skip the comparison when neither side changed since a run that left
        // the object in place); never for a Secret, whose digest does not cover its values.
        if let Some(prev) = self
            .journal
            .and_then(|j| j.last_done(key))
            .filter(|_| obj.kind != ObjectKind::Secret)
        {
            if prev.digest == obj.digest()
                && prev.resource_version.is_some()
                && prev.resource_version == resource_version(&existing)
            {
                return Step::new(
                    Action::Unchanged,
                    format!("unchanged since run {}", prev.run_id),
                )
                .rv(&existing);
            }
        }
        let cmp = compare(obj, &existing);
        let placeholder_kept = obj.placeholder_data
            && existing
                .get("data")
                .and_then(Value::as_object)
                .is_some_and(|d| {
                    d.values()
                        .any(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                });
        let placeholder_note = if placeholder_kept {
            if self.opts.overwrite_secret_data {
                "; placeholder kept: the export lacks a value this Secret type requires, so the cluster's data is kept \
                 even with overwrite of Secret data"
            } else {
                "; placeholder kept: the export lacks a value this Secret type requires, so the cluster's data is kept"
            }
        } else {
            ""
        };
        if cmp.is_equal() {
            return Step::new(Action::Unchanged, format!("unchanged{placeholder_note}"))
                .rv(&existing);
        }
        let fields = cmp.differing.join(", ");
        // An object an earlier run created (our run-id label) that no journal here knows (another
        // --out, another machine, a fresh pod): ours, not someone else's; still not overwritten
        // without updating existing objects.
        let origin = match run_id_of(&existing) {
            Some(id) if self.journal.and_then(|j| j.last_done(key)).is_none() => {
                format!(
                    "ours from run {id} (created by an earlier run this journal does not know); "
                )
            }
            _ => String::new(),
        };
        if obj.kind == ObjectKind::RoleBinding && cmp.differing.iter().any(|f| f == "roleRef") {
            return Step::new(
                Action::Conflict,
                format!("{origin}differs in {fields}; roleRef cannot be changed in place and this tool never deletes: left alone"),
            )
            .diff(cmp.diff)
            .rv(&existing);
        }
        if self.opts.existing == ExistingPolicy::Keep {
            return Step::new(Action::Conflict, format!("{origin}exists and differs in {fields}: left alone (update existing objects to change it)"))
                .diff(cmp.diff)
                .rv(&existing);
        }
        let keep_data = obj.kind == ObjectKind::Secret
            && (obj.placeholder_data || !self.opts.overwrite_secret_data);
        if keep_data && cmp.differing.iter().all(|f| f == "data") {
            return Step::new(
                Action::Conflict,
                "Secret data differs: left alone (overwriting Secret data was not allowed)",
            )
            .diff(cmp.diff)
            .rv(&existing);
        }
        let data_note = if placeholder_kept {
            placeholder_note
        } else if keep_data && cmp.differing.iter().any(|f| f == "data") {
            "; Secret data differs and is kept"
        } else {
            ""
        };
        if self.opts.dry_run {
            return Step::new(Action::Update, format!("would update {fields}{data_note}"))
                .diff(cmp.diff)
                .rv(&existing);
        }
        let desired = with_provenance(obj.body.clone(), &self.opts.run_id, &self.opts.tool_version);
        if self.ssa.load(Ordering::SeqCst) {
            let mut body = desired.clone();
            if keep_data {
                set_field(&mut body, "data", existing.get("data"));
            }
            match self
                .cluster
                .apply(obj.kind, obj.namespace.as_deref(), &obj.name, &body)
                .await
            {
                Ok(applied) => {
                    let step = Step::new(
                        Action::Update,
                        format!("updated {fields} (server-side apply){data_note}"),
                    )
                    .diff(cmp.diff);
                    return step.rv_if(data_note.is_empty(), &applied);
                }
                Err(e) if e.is_unsupported_media_type() => {
                    if self.ssa.swap(false, Ordering::SeqCst) {
                        self.note("the server does not accept server-side apply (415): updating with get + replace".into());
                    }
                }
                Err(e) => {
                    return Step::new(Action::Failed, format!("cannot update {key}: {e}"))
                        .diff(cmp.diff)
                }
            }
        }
        self.replace_loop(
            obj, key, existing, &desired, keep_data, &fields, data_note, cmp.diff,
        )
        .await
    }

    fn count_adoption(&self, f: impl FnOnce(&mut AdoptionSummary)) {
        if let Some(a) = self
            .adoption
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            f(a);
        }
    }

    /// Leaves an object of the installer's Job alone; `task` (if any) is a manual task.
    fn leave_alone(
        &self,
        existing: &Value,
        cmp_diff: String,
        message: String,
        task: Option<String>,
    ) -> Step {
        self.count_adoption(|a| {
            a.left_alone += 1;
            a.manual_tasks.extend(task);
        });
        Step::new(Action::Conflict, message)
            .diff(cmp_diff)
            .rv(existing)
    }

    /// Adopts (and repairs) an object that KubeSphere's migration Job wrote (see [`crate::adopt`]).
    async fn adopt_existing(
        &self,
        obj: &DesiredObject,
        key: &str,
        existing: Value,
        adopt: &Adoption,
        c: &Candidate,
    ) -> Step {
        let cmp = compare(obj, &existing);
        if cmp.is_equal() {
            return Step::new(
                Action::Unchanged,
                "unchanged (written by KubeSphere's migration Job, equal to the export)",
            )
            .rv(&existing);
        }
        let fields = cmp.differing.join(", ");
        let by_job = "written by KubeSphere's migration Job";
        if resource_version(&existing).as_deref() != Some(c.resource_version.as_str()) {
            return self.leave_alone(
                &existing,
                cmp.diff,
                format!("{by_job}, but changed since the pre-repair backup (resourceVersion {} then): not adopted; rerun to back it up and adopt it", c.resource_version),
                None,
            );
        }
        let verb = if self.opts.dry_run { "would " } else { "" };
        match c.shape {
            InstallerShape::RoleBinding => {
                return self.leave_alone(
                    &existing,
                    cmp.diff,
                    format!("{by_job} and differs in {fields}: RoleBindings are reported, never changed or deleted"),
                    None,
                )
            }
            InstallerShape::EmptySecret if obj.placeholder_data => {
                return self.leave_alone(
                    &existing,
                    cmp.diff,
                    format!("{by_job} with empty values, and the snapshot has no values for it either: left alone"),
                    Some(format!(
                        "enter the values of credential {key} in the KubeSphere console (neither the installer's Job nor the snapshot has them)"
                    )),
                )
            }
            InstallerShape::Pipeline => {
                let ns = obj.namespace.as_deref().unwrap_or_default();
                let job = c.job.clone().unwrap_or_else(|| obj.name.clone());
                let Some(jobs) = adopt.jobs.as_ref() else {
                    return self.leave_alone(
                        &existing,
                        cmp.diff,
                        format!("{by_job}; its Jenkins job must get the snapshot's config.xml back before the spec changes: {}; left alone", adopt.no_jobs_reason),
                        Some(format!("Pipeline {key} (job {ns}/{job}): {}", adopt.no_jobs_reason)),
                    );
                };
                let Some(original) = jobs.original(ns, &job) else {
                    return self.leave_alone(
                        &existing,
                        cmp.diff,
                        format!("{by_job}; the snapshot has no config.xml for job {ns}/{job}: left alone"),
                        None,
                    );
                };
                if !c.job_is_original {
                    let current = match jobs.current(ns, &job).await {
                        Ok(x) => x,
                        Err(e) => {
                            return Step::new(Action::Failed, format!("cannot read job {ns}/{job} from {}: {e}; spec not changed", jobs.describe())).diff(cmp.diff)
                        }
                    };
                    let current_sha = current.as_deref().map(|x| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(x)));
                    if current.as_deref() == Some(&original[..]) {
                        // Already back (an earlier, interrupted run): only the spec is left.
                    } else if current_sha != c.job_sha256 {
                        return self.leave_alone(
                            &existing,
                            cmp.diff,
                            format!("{by_job}; job {ns}/{job} changed in Jenkins since the pre-repair backup: left alone; rerun to back it up and adopt it"),
                            None,
                        );
                    } else if !self.opts.dry_run {
                        if let Err(e) = jobs.put(ns, &job, &original).await {
                            return Step::new(
                                Action::Failed,
                                format!("{by_job}; putting the snapshot's config.xml of job {ns}/{job} back into {} failed: {e}; spec not changed", jobs.describe()),
                            )
                            .diff(cmp.diff);
                        }
                        self.count_adoption(|a| a.jobs_restored += 1);
                    } else {
                        self.count_adoption(|a| a.jobs_restored += 1);
                    }
                }
            }
            InstallerShape::EmptySecret | InstallerShape::Project => {}
        }
        let what = match c.shape {
            InstallerShape::EmptySecret => "filled the empty Secret with the snapshot's values (autosync not added)".to_string(),
            InstallerShape::Pipeline if c.job_is_original => "the job already has the snapshot's config.xml; set the spec to its v3.0 parse".to_string(),
            InstallerShape::Pipeline => "put the snapshot's config.xml back into Jenkins, then set the spec to its v3.0 parse".to_string(),
            _ => format!("set {fields} to the export's"),
        };
        let message = format!(
            "adopted from KubeSphere's migration Job: {verb}{what}; before: {}",
            adopt.backed_up_in
        );
        if self.opts.dry_run {
            self.count_adoption(|a| a.adopted += 1);
            return Step::new(Action::Update, message)
                .diff(cmp.diff)
                .rv(&existing);
        }
        let desired = with_provenance(obj.body.clone(), &self.opts.run_id, &self.opts.tool_version);
        let step = self
            .replace_loop(obj, key, existing, &desired, false, &fields, "", cmp.diff)
            .await;
        if step.action == Action::Update {
            self.count_adoption(|a| a.adopted += 1);
            Step { message, ..step }
        } else {
            step
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn replace_loop(
        &self,
        obj: &DesiredObject,
        key: &str,
        mut existing: Value,
        desired: &Value,
        keep_data: bool,
        fields: &str,
        data_note: &str,
        diff: String,
    ) -> Step {
        let attempts = self.opts.conflict_retries.max(1);
        let mut last = String::new();
        for _ in 0..attempts {
            let merged = merge_into(&existing, desired, obj.kind, keep_data);
            match self
                .cluster
                .replace(obj.kind, obj.namespace.as_deref(), &obj.name, &merged)
                .await
            {
                Ok(replaced) => {
                    return Step::new(Action::Update, format!("updated {fields}{data_note}"))
                        .diff(diff)
                        .rv_if(data_note.is_empty(), &replaced)
                }
                Err(e) if e.is_conflict() => {
                    last = e.to_string();
                    match self
                        .cluster
                        .get(obj.kind, obj.namespace.as_deref(), &obj.name)
                        .await
                    {
                        Ok(Some(fresh)) => {
                            if compare(obj, &fresh).is_equal() {
                                return Step::new(
                                    Action::Unchanged,
                                    "unchanged (someone else made the same change)",
                                )
                                .rv(&fresh);
                            }
                            existing = fresh;
                        }
                        Ok(None) => {
                            return Step::new(
                                Action::Failed,
                                format!("{key} was deleted while it was being updated"),
                            )
                        }
                        Err(e) => {
                            return Step::new(
                                Action::Failed,
                                format!("cannot re-read {key} after a conflict: {e}"),
                            )
                        }
                    }
                }
                Err(e) => {
                    return Step::new(Action::Failed, format!("cannot update {key}: {e}"))
                        .diff(diff)
                }
            }
        }
        Step::new(
            Action::Failed,
            format!("cannot update {key}: still conflicting after {attempts} attempts ({last})"),
        )
        .diff(diff)
    }
}

/// A project's listed objects per kind, by name; `None` for a kind whose list failed (see
/// `Engine::list_children`).
type Listed = BTreeMap<ObjectKind, Option<BTreeMap<String, Value>>>;

/// What the lists say about `obj`: `Some(None)` = listed and absent, `Some(Some(v))` = listed,
/// `None` = not listed (read it with a GET). List items may lack `apiVersion`/`kind`; they are
/// filled in from the desired object.
fn prefetched(listed: &Listed, obj: &DesiredObject) -> Option<Option<Value>> {
    let objects = listed.get(&obj.kind)?.as_ref()?;
    Some(objects.get(&obj.name).cloned().map(|mut v| {
        for field in ["apiVersion", "kind"] {
            if v.get(field).is_none() {
                if let (Some(m), Some(value)) = (v.as_object_mut(), obj.body.get(field)) {
                    m.insert(field.to_string(), value.clone());
                }
            }
        }
        v
    }))
}
