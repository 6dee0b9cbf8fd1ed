//! The simulated KubeSphere v3.0 DevOpsProject controller (admin-namespace handling only).
//!
//! For each DevOpsProject older than the configured delay it: adds the finalizer
//! `devopsproject.finalizers.kubesphere.io`; adopts a Namespace labelled
//! `kubesphere.io/devopsproject=<name>` or creates a Namespace named exactly `metadata.name` with that
//! label, the `kubesphere.io/creator` annotation copied and a controller ownerReference to the
//! project; then sets `status.adminNamespace` with a plain update. A same-name Namespace without
//! the label is left alone and a `CreateAdminNamespaceFailed` event is recorded. When a project is
//! deleted it removes its finalizer (the Jenkins folder deletion is not simulated), after which the
//! owned Namespace is garbage-collected.
//!
//! Like v3.0.0 it also binds each project to its Workspace (label `kubesphere.io/workspace`) with
//! a controller ownerReference, **silently skipping** a workspace that does not exist, and the
//! namespace controller (when enabled) creates the RoleBinding `<creator>-admin` in the admin
//! namespace from its `kubesphere.io/creator` annotation on every pass.
//!
//! With a Jenkins home configured, the simulated pipeline controller parses the job each Pipeline
//! names with the v3.0 parse emulation: where v3.0.0 would panic, the simulated
//! ks-controller-manager "crashes" (a restart is counted and a `ControllerManagerCrashed` event
//! recorded); where it would return an error, a `ParsePipelineFailed` event is recorded (v3.0.0
//! requeues such a Pipeline forever).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

use ksdm_model::v30::PipelineSpec;

use crate::crd::DEVOPS_GROUP;
use crate::registry::ResourceKind;
use crate::state::Shared;
use crate::store::{ControllerEvent, Store, WriteOptions};

/// Finalizer the DevOpsProject controller adds.
pub const DEVOPSPROJECT_FINALIZER: &str = "devopsproject.finalizers.kubesphere.io";
/// Finalizer the pipeline controller adds (only when enabled).
pub const PIPELINE_FINALIZER: &str = "pipeline.finalizers.kubesphere.io";
/// Label linking an admin Namespace to its DevOpsProject.
pub const DEVOPSPROJECT_LABEL: &str = "kubesphere.io/devopsproject";
/// Annotation naming the creator, copied to the admin Namespace.
pub const CREATOR_ANNOTATION: &str = "kubesphere.io/creator";

/// How often the controller looks at the store.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Runs reconcile passes every [`POLL_INTERVAL`] until `stop` changes or its sender is dropped.
pub async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            () = tokio::time::sleep(POLL_INTERVAL) => reconcile_once(&shared),
        }
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn has_finalizer(obj: &Value, finalizer: &str) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x.as_str() == Some(finalizer)))
}

fn with_finalizer(mut obj: Value, finalizer: &str, present: bool) -> Value {
    let mut list: Vec<Value> = obj
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.as_str() != Some(finalizer))
        .collect();
    if present {
        list.push(json!(finalizer));
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("finalizers");
        } else {
            meta.insert("finalizers".into(), Value::Array(list));
        }
    }
    obj
}

fn record(store: &mut Store, object: String, reason: &str, message: String) {
    let duplicate = store
        .events
        .iter()
        .any(|e| e.object == object && e.reason == reason && e.message == message);
    if !duplicate {
        tracing::warn!(%object, reason, %message, "simulated controller event");
        store.events.push(ControllerEvent {
            object,
            reason: reason.to_string(),
            message,
        });
    }
}

/// One reconcile pass over all DevOpsProjects (and Pipelines when the pipeline finalizer is on).
pub fn reconcile_once(shared: &Shared) {
    let (delay, pipeline_finalizer, jenkins_home, creator_admin, rewrite_jobs) = {
        let settings = shared.settings();
        (
            settings.controller_delay,
            settings.pipeline_finalizer,
            settings.jenkins_home.clone(),
            settings.creator_admin,
            settings.rewrite_jobs,
        )
    };
    let jobs = jenkins_home.as_deref().map(|home| Jobs {
        home,
        rewrite: rewrite_jobs,
    });
    let Some(delay) = delay else { return };
    let mut store = shared.store();
    if let Some(kind) = store.kind_for(DEVOPS_GROUP, "v1alpha3", "devopsprojects") {
        let namespace_kind = store.kind_for("", "v1", "namespaces");
        for project in store.list_objects(&kind, None, |_| true) {
            if let Some(ns_kind) = &namespace_kind {
                reconcile_project(&mut store, &kind, ns_kind, project, delay, creator_admin);
            }
        }
    }
    if let Some(kind) = store.kind_for(DEVOPS_GROUP, "v1alpha3", "pipelines") {
        // Without a Jenkins home and without the finalizer, only terminating Pipelines need
        // work: skipping (not cloning) the rest keeps a pass cheap with 100,000 Pipelines.
        let all = pipeline_finalizer || jobs.is_some();
        let wanted = |p: &Value| all || p.pointer("/metadata/deletionTimestamp").is_some();
        for pipeline in store.list_objects(&kind, None, wanted) {
            reconcile_pipeline(&mut store, &kind, pipeline, delay, pipeline_finalizer, jobs);
        }
    }
}

/// Where the simulated pipeline controller finds jobs, and whether it rewrites them.
#[derive(Clone, Copy)]
struct Jobs<'a> {
    home: &'a Path,
    rewrite: bool,
}

fn old_enough(store: &Store, obj: &Value, delay: Duration) -> bool {
    text(obj, "/metadata/uid")
        .and_then(|uid| store.created_at(uid))
        .is_none_or(|t| t.elapsed() >= delay)
}

fn update(store: &mut Store, kind: &ResourceKind, obj: Value) -> Result<Value, String> {
    let name = text(&obj, "/metadata/name").unwrap_or("").to_string();
    let namespace = text(&obj, "/metadata/namespace").map(str::to_string);
    store
        .replace(
            kind,
            namespace.as_deref(),
            &name,
            obj,
            WriteOptions::default(),
        )
        .map_err(|e| e.to_string())
}

fn reconcile_pipeline(
    store: &mut Store,
    kind: &ResourceKind,
    pipeline: Value,
    delay: Duration,
    add_finalizer: bool,
    jobs: Option<Jobs<'_>>,
) {
    let object = format!(
        "Pipeline/{}/{}",
        text(&pipeline, "/metadata/namespace").unwrap_or(""),
        text(&pipeline, "/metadata/name").unwrap_or("")
    );
    let terminating = pipeline.pointer("/metadata/deletionTimestamp").is_some();
    if !terminating && old_enough(store, &pipeline, delay) {
        parse_pipeline_job(store, &pipeline, &object, jobs);
    }
    let result = if terminating && has_finalizer(&pipeline, PIPELINE_FINALIZER) {
        update(
            store,
            kind,
            with_finalizer(pipeline, PIPELINE_FINALIZER, false),
        )
    } else if !terminating
        && add_finalizer
        && !has_finalizer(&pipeline, PIPELINE_FINALIZER)
        && old_enough(store, &pipeline, delay)
    {
        update(
            store,
            kind,
            with_finalizer(pipeline, PIPELINE_FINALIZER, true),
        )
    } else {
        return;
    };
    if let Err(message) = result {
        record(store, object, "UpdateFailed", message);
    }
}

fn reconcile_project(
    store: &mut Store,
    kind: &ResourceKind,
    ns_kind: &ResourceKind,
    project: Value,
    delay: Duration,
    creator_admin_binding: bool,
) {
    let Some(name) = text(&project, "/metadata/name").map(str::to_string) else {
        return;
    };
    let object = format!("DevOpsProject/{name}");
    if project.pointer("/metadata/deletionTimestamp").is_some() {
        if has_finalizer(&project, DEVOPSPROJECT_FINALIZER) {
            if let Err(message) = update(
                store,
                kind,
                with_finalizer(project, DEVOPSPROJECT_FINALIZER, false),
            ) {
                record(store, object, "RemoveFinalizerFailed", message);
            }
        }
        return;
    }
    if !old_enough(store, &project, delay) {
        return;
    }
    let mut project = project;
    if !has_finalizer(&project, DEVOPSPROJECT_FINALIZER) {
        match update(
            store,
            kind,
            with_finalizer(project, DEVOPSPROJECT_FINALIZER, true),
        ) {
            Ok(updated) => project = updated,
            Err(message) => {
                record(store, object, "AddFinalizerFailed", message);
                return;
            }
        }
    }
    let project = bind_workspace(store, kind, project);
    if let Some(admin) = text(&project, "/status/adminNamespace") {
        if creator_admin_binding && store.namespace_exists(admin) {
            creator_admin(store, admin);
        }
        if !store.namespace_exists(admin) {
            // The admin namespace is gone: clear the status; the next pass recreates it.
            let mut cleared = project.clone();
            if let Some(status) = cleared.get_mut("status").and_then(Value::as_object_mut) {
                status.remove("adminNamespace");
            }
            if let Err(message) = update(store, kind, cleared) {
                record(store, object, "UpdateStatusFailed", message);
            }
        }
        return;
    }
    let uid = text(&project, "/metadata/uid").unwrap_or("").to_string();
    let owner = json!({
        "apiVersion": format!("{DEVOPS_GROUP}/v1alpha3"),
        "kind": "DevOpsProject",
        "name": name,
        "uid": uid,
        "controller": true,
        "blockOwnerDeletion": true,
    });
    let labelled = store.list_objects(ns_kind, None, |ns| {
        text(
            ns,
            &format!(
                "/metadata/labels/{}",
                DEVOPSPROJECT_LABEL.replace('/', "~1")
            ),
        ) == Some(name.as_str())
    });
    let admin_namespace = if let Some(existing) = labelled.into_iter().next() {
        let ns_name = text(&existing, "/metadata/name").unwrap_or("").to_string();
        let owned = existing
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid.as_str()))
            });
        if !owned {
            let mut adopted = existing;
            if let Some(meta) = adopted.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("ownerReferences".into(), json!([owner]));
            }
            if let Err(message) = update(store, ns_kind, adopted) {
                record(store, object, "AdoptAdminNamespaceFailed", message);
                return;
            }
        }
        ns_name
    } else if store.namespace_exists(&name) {
        let message = format!(
            "namespaces \"{name}\" already exists and is not labelled {DEVOPSPROJECT_LABEL}={name}"
        );
        record(store, object, "CreateAdminNamespaceFailed", message);
        return;
    } else {
        let mut metadata = json!({
            "name": name,
            "labels": { DEVOPSPROJECT_LABEL: name },
            "ownerReferences": [owner],
        });
        if let (Some(creator), Some(meta)) = (
            text(
                &project,
                &format!(
                    "/metadata/annotations/{}",
                    CREATOR_ANNOTATION.replace('/', "~1")
                ),
            ),
            metadata.as_object_mut(),
        ) {
            meta.insert("annotations".into(), json!({ CREATOR_ANNOTATION: creator }));
        }
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata});
        if let Err(e) = store.create(ns_kind, None, namespace, WriteOptions::default()) {
            record(store, object, "CreateAdminNamespaceFailed", e.to_string());
            return;
        }
        name.clone()
    };
    let mut with_status = project;
    if let Some(map) = with_status.as_object_mut() {
        let status = map.entry("status").or_insert_with(|| json!({}));
        if !status.is_object() {
            *status = json!({});
        }
        if let Some(status) = status.as_object_mut() {
            status.insert("adminNamespace".into(), json!(admin_namespace));
        }
    }
    if let Err(message) = update(store, kind, with_status) {
        record(store, object, "UpdateStatusFailed", message);
    }
}

/// `bindWorkspace`: a controller ownerReference from the project to its Workspace; a workspace
/// that does not exist is skipped silently (as v3.0.0 does: the project then belongs to none).
fn bind_workspace(store: &mut Store, kind: &ResourceKind, project: Value) -> Value {
    let Some(ws) = text(&project, "/metadata/labels/kubesphere.io~1workspace").map(str::to_string)
    else {
        return project;
    };
    let ws = ws.as_str();
    let Some(ws_kind) = store.kind_for("tenant.kubesphere.io", "v1alpha1", "workspaces") else {
        return project;
    };
    let Some(workspace) = store
        .list_objects(&ws_kind, None, |w| text(w, "/metadata/name") == Some(ws))
        .into_iter()
        .next()
    else {
        return project;
    };
    let uid = text(&workspace, "/metadata/uid").unwrap_or("").to_string();
    let bound = project
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|r| {
            r.iter()
                .any(|o| o.get("uid").and_then(Value::as_str) == Some(uid.as_str()))
        });
    if bound {
        return project;
    }
    let mut updated = project.clone();
    if let Some(meta) = updated.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "ownerReferences".into(),
            json!([{"apiVersion": "tenant.kubesphere.io/v1alpha1", "kind": "Workspace", "name": ws,
                    "uid": uid, "controller": true, "blockOwnerDeletion": true}]),
        );
    }
    let object = format!(
        "DevOpsProject/{}",
        text(&project, "/metadata/name").unwrap_or("")
    );
    match update(store, kind, updated) {
        Ok(updated) => updated,
        Err(message) => {
            record(store, object, "BindWorkspaceFailed", message);
            project
        }
    }
}

/// The namespace controller: RoleBinding `<creator>-admin` in `namespace` from the Namespace's
/// `kubesphere.io/creator` annotation, created again whenever it is missing.
fn creator_admin(store: &mut Store, namespace: &str) {
    let (Some(ns_kind), Some(rb_kind)) = (
        store.kind_for("", "v1", "namespaces"),
        store.kind_for("rbac.authorization.k8s.io", "v1", "rolebindings"),
    ) else {
        return;
    };
    let Some(ns) = store
        .list_objects(&ns_kind, None, |n| {
            text(n, "/metadata/name") == Some(namespace)
        })
        .into_iter()
        .next()
    else {
        return;
    };
    let Some(creator) =
        text(&ns, "/metadata/annotations/kubesphere.io~1creator").map(str::to_string)
    else {
        return;
    };
    let name = format!("{creator}-admin");
    let exists = !store
        .list_objects(&rb_kind, Some(namespace), |rb| {
            text(rb, "/metadata/name") == Some(name.as_str())
        })
        .is_empty();
    if exists {
        return;
    }
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace, "labels": {"iam.kubesphere.io/user-ref": creator}},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": creator}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "admin"},
    });
    if let Err(e) = store.create(&rb_kind, Some(namespace), binding, WriteOptions::default()) {
        record(
            store,
            format!("Namespace/{namespace}"),
            "CreateCreatorBindingFailed",
            e.to_string(),
        );
    }
}

/// The job's `config.xml` in `home`: folder `namespace` matched case-insensitively (as Jenkins
/// does), then the job `name` likewise.
fn job_config(home: &Path, namespace: &str, name: &str) -> Option<PathBuf> {
    let find = |dir: &Path, wanted: &str| -> Option<PathBuf> {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(wanted))
            .map(|e| e.path())
    };
    let folder = find(&home.join("jobs"), namespace)?;
    let job = find(&folder.join("jobs"), name)?;
    Some(job.join("config.xml")).filter(|p| p.is_file())
}

/// v3.0.0's `UpdateProjectPipeline`: when the spec read back from the job is not deeply equal to
/// the Pipeline's spec, a freshly generated `config.xml` replaces the job's (everything the
/// generator does not model is lost). The generator is the v2.1.1 one of `ksdm-estate`, which
/// v3.0.0's `pipeline_internal.go` carries over unchanged for the fields both model.
fn rewrite_if_different(
    store: &mut Store,
    pipeline: &Value,
    object: &str,
    path: &Path,
    parsed: Option<&PipelineSpec>,
) {
    let spec: Option<PipelineSpec> = pipeline
        .get("spec")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    let Some(spec) = spec else {
        record(
            store,
            object.to_string(),
            "UpdatePipelineFailed",
            "the Pipeline's spec cannot be decoded".into(),
        );
        return;
    };
    if parsed == Some(&spec) {
        return;
    }
    let namespace = text(pipeline, "/metadata/namespace").unwrap_or("");
    match ksdm_estate::v21_xml::pipeline_config_xml(namespace, &spec) {
        Ok(xml) => match std::fs::write(path, xml) {
            Ok(()) => {
                store.jobs_rewritten += 1;
                tracing::info!(%object, "simulated pipeline controller rewrote the job's config.xml");
                record(
                    store,
                    object.to_string(),
                    "JobRewritten",
                    format!(
                        "the job's config.xml differed from the spec and was replaced ({} rewrites so far)",
                        store.jobs_rewritten
                    ),
                );
            }
            Err(e) => record(
                store,
                object.to_string(),
                "UpdatePipelineFailed",
                format!("writing {}: {e}", path.display()),
            ),
        },
        Err(e) => record(
            store,
            object.to_string(),
            "UpdatePipelineFailed",
            e.to_string(),
        ),
    }
}

/// Whether a v3.0 parser failure is a Go error (the decoder refuses the prolog or a character)
/// rather than a nil-pointer panic.
fn is_parse_error(message: &str) -> bool {
    message.contains("XML declaration") || message.contains("XML 1.0 forbids")
}

/// `GetProjectPipelineConfig` + parse, once per Pipeline version.
fn parse_pipeline_job(store: &mut Store, pipeline: &Value, object: &str, jobs: Option<Jobs<'_>>) {
    let Some(Jobs { home, rewrite }) = jobs else {
        return;
    };
    let version = format!(
        "{}@{}",
        text(pipeline, "/metadata/uid").unwrap_or(""),
        text(pipeline, "/metadata/resourceVersion").unwrap_or("")
    );
    if !store.parsed_pipelines.insert(version) {
        return;
    }
    let namespace = text(pipeline, "/metadata/namespace").unwrap_or("");
    let name = text(pipeline, "/metadata/name").unwrap_or("");
    let Some(path) = job_config(home, namespace, name) else {
        // v3.0 then creates the job in Jenkins; not simulated.
        return;
    };
    let Ok(xml) = std::fs::read(&path) else {
        return;
    };
    match ksdm_convert::v30_parse::parse_job(name, &xml) {
        Err(e) => record(
            store,
            object.to_string(),
            "ParsePipelineFailed",
            e.to_string(),
        ),
        Ok(parsed) => {
            let failures: Vec<String> = parsed.v30_failures().map(|f| f.message.clone()).collect();
            if failures.is_empty() {
                if rewrite {
                    rewrite_if_different(store, pipeline, object, &path, parsed.spec.as_ref());
                }
                return;
            }
            if failures.iter().all(|m| is_parse_error(m)) {
                record(
                    store,
                    object.to_string(),
                    "ParsePipelineFailed",
                    failures.join("; "),
                );
            } else {
                store.controller_restarts += 1;
                tracing::error!(%object, "simulated ks-controller-manager crash: the v3.0 pipeline parser panics on this job");
                record(
                    store,
                    object.to_string(),
                    "ControllerManagerCrashed",
                    format!(
                        "nil pointer dereference while parsing the job: {}",
                        failures.join("; ")
                    ),
                );
            }
        }
    }
}
