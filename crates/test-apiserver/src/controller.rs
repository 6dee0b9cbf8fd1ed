//! The simulated KubeSphere v3.0 DevOpsProject controller (admin-namespace handling only).
//!
//! For each DevOpsProject older than the configured delay it: adds the finalizer
//! `devopsproject.finalizers.kubesphere.io`; adopts a Namespace labelled
//! `kubesphere.io/devopsproject=<name>` or creates a Namespace named exactly `metadata.name` with that
//! label, the `kubesphere.io/creator` annotation copied and a controller ownerReference to the
//! project; then sets `status.adminNamespace` with a plain update. A same-name Namespace without
//! the label is left alone and a `CreateAdminNamespaceFailed` event is recorded. When a project is
//! deleted it removes its finalizer (the Jenkins folder deletion is not simulated), after which the
//! owned Namespace is garbage-collected. No Jenkins interaction, no workspace binding, no RoleBindings.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;

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
    let (delay, pipeline_finalizer) = {
        let settings = shared.settings();
        (settings.controller_delay, settings.pipeline_finalizer)
    };
    let Some(delay) = delay else { return };
    let mut store = shared.store();
    if let Some(kind) = store.kind_for(DEVOPS_GROUP, "v1alpha3", "devopsprojects") {
        let namespace_kind = store.kind_for("", "v1", "namespaces");
        for project in store.list_objects(&kind, None, |_| true) {
            if let Some(ns_kind) = &namespace_kind {
                reconcile_project(&mut store, &kind, ns_kind, project, delay);
            }
        }
    }
    if let Some(kind) = store.kind_for(DEVOPS_GROUP, "v1alpha3", "pipelines") {
        for pipeline in store.list_objects(&kind, None, |_| true) {
            reconcile_pipeline(&mut store, &kind, pipeline, delay, pipeline_finalizer);
        }
    }
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
) {
    let object = format!(
        "Pipeline/{}/{}",
        text(&pipeline, "/metadata/namespace").unwrap_or(""),
        text(&pipeline, "/metadata/name").unwrap_or("")
    );
    let terminating = pipeline.pointer("/metadata/deletionTimestamp").is_some();
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
    if let Some(admin) = text(&project, "/status/adminNamespace") {
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
