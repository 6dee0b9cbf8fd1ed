//! The in-memory object store and the write semantics of the API server (create, replace, patch,
//! apply, delete), including resourceVersion, uid, finalizers, garbage collection and validation.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::crd::InstalledCrd;
use crate::patch::{self, ApplyOutcome};
use crate::registry::{builtin_kinds, ResourceKind};
use crate::schema;
use crate::status::{ApiError, FieldCause};
use crate::validation;

/// Store key: group, plural, namespace ("" when cluster-scoped), name.
pub type ObjectKey = (String, String, String, String);

/// A warning the simulated controllers recorded (like a Kubernetes Event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerEvent {
    /// `<kind>/<name>` of the object the event is about.
    pub object: String,
    /// Machine-readable reason, e.g. `CreateAdminNamespaceFailed`.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
}

/// Options of a write request.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: validate and compute the result without storing it.
    pub dry_run: bool,
}

/// All objects and served types.
#[derive(Debug)]
pub struct Store {
    kinds: Vec<ResourceKind>,
    crds: BTreeMap<String, Value>,
    objects: BTreeMap<ObjectKey, Value>,
    resource_version: u64,
    created_at: HashMap<String, Instant>,
    /// Events recorded by the simulated controllers.
    pub events: Vec<ControllerEvent>,
    /// How often the simulated ks-controller-manager "crashed": the v3.0.0 pipeline parser
    /// panicked on a job a Pipeline names (each crash restarts every KubeSphere controller).
    pub controller_restarts: u64,
    /// How often the simulated pipeline controller replaced a job's `config.xml`.
    pub jobs_rewritten: u64,
    /// Pipelines (`uid@resourceVersion`) whose job the pipeline controller has already parsed.
    pub parsed_pipelines: std::collections::HashSet<String>,
}

/// Current time as an RFC 3339 timestamp with whole seconds, like `metav1.Time`.
pub fn now_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

fn new_uid() -> String {
    let n: u128 = rand::random();
    let h = format!("{n:032x}");
    let part = |a: usize, b: usize| h.get(a..b).unwrap_or("0");
    format!(
        "{}-{}-4{}-a{}-{}",
        part(0, 8),
        part(8, 12),
        part(13, 16),
        part(17, 20),
        part(20, 32)
    )
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn meta_mut(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    let map = obj.as_object_mut()?;
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut()
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn without_meta_and_status(obj: &Value) -> Value {
    let mut copy = obj.clone();
    if let Some(map) = copy.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    copy
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    /// An empty store serving only the built-in types.
    pub fn new() -> Self {
        Self {
            kinds: builtin_kinds(),
            crds: BTreeMap::new(),
            objects: BTreeMap::new(),
            resource_version: 0,
            created_at: HashMap::new(),
            events: Vec::new(),
            controller_restarts: 0,
            jobs_rewritten: 0,
            parsed_pipelines: Default::default(),
        }
    }

    /// Installs (or replaces) a CRD; its custom resource type becomes served.
    pub fn install_crd(&mut self, crd: InstalledCrd) {
        let InstalledCrd { mut document, kind } = crd;
        let name = format!("{}.{}", kind.plural, kind.group);
        let rv = self.next_resource_version();
        if let Some(meta) = meta_mut(&mut document) {
            meta.insert("resourceVersion".into(), json!(rv));
            meta.insert("uid".into(), json!(new_uid()));
            meta.insert("creationTimestamp".into(), json!(now_timestamp()));
        }
        // Like a real API server once the CRD is served: names accepted, Established.
        if let Some(map) = document.as_object_mut() {
            let names = map
                .get("spec")
                .and_then(|s| s.get("names"))
                .cloned()
                .unwrap_or_else(|| json!({}));
            let now = now_timestamp();
            let condition = |kind: &str, reason: &str, message: &str| json!({"type": kind, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
            map.insert(
                "status".into(),
                json!({
                    "acceptedNames": names,
                    "conditions": [
                        condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                        condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                    ],
                    "storedVersions": [kind.version],
                }),
            );
        }
        self.kinds
            .retain(|k| !(k.group == kind.group && k.plural == kind.plural));
        self.kinds.push(kind);
        self.crds.insert(name, document);
    }

    /// Removes a CRD and every object of its type; false when it was not installed.
    pub fn uninstall_crd(&mut self, name: &str) -> bool {
        let Some((plural, group)) = name.split_once('.') else {
            return false;
        };
        let removed = self.crds.remove(name).is_some();
        self.kinds
            .retain(|k| !(k.group == group && k.plural == plural));
        self.objects
            .retain(|(g, p, _, _), _| !(g == group && p == plural));
        removed
    }

    /// The stored CRD document named `name`.
    pub fn crd(&self, name: &str) -> Option<&Value> {
        self.crds.get(name)
    }

    /// All stored CRD documents.
    pub fn crds(&self) -> impl Iterator<Item = &Value> {
        self.crds.values()
    }

    /// Every served type.
    pub fn kinds(&self) -> &[ResourceKind] {
        &self.kinds
    }

    /// The served type for `group`, `version`, `plural`.
    pub fn kind_for(&self, group: &str, version: &str, plural: &str) -> Option<ResourceKind> {
        self.kinds
            .iter()
            .find(|k| k.group == group && k.version == version && k.plural == plural)
            .cloned()
    }

    /// The served type for an `apiVersion` and `kind`.
    pub fn kind_by_type(&self, api_version: &str, kind: &str) -> Option<ResourceKind> {
        self.kinds
            .iter()
            .find(|k| k.api_version() == api_version && k.kind == kind)
            .cloned()
    }

    fn next_resource_version(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// The latest resourceVersion handed out.
    pub fn current_resource_version(&self) -> String {
        self.resource_version.to_string()
    }

    fn key(kind: &ResourceKind, namespace: Option<&str>, name: &str) -> ObjectKey {
        let ns = if kind.namespaced {
            namespace.unwrap_or("")
        } else {
            ""
        };
        (
            kind.group.clone(),
            kind.plural.clone(),
            ns.to_string(),
            name.to_string(),
        )
    }

    /// When the object with `uid` was created (for controller delays).
    pub fn created_at(&self, uid: &str) -> Option<Instant> {
        self.created_at.get(uid).copied()
    }

    /// GET one object.
    pub fn get(
        &self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.objects
            .get(&Self::key(kind, namespace, name))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&kind.group, &kind.plural, name))
    }

    /// All objects of `kind` (in `namespace` when given) accepted by `filter`, ordered by namespace and name.
    pub fn list_objects(
        &self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        filter: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((g, p, ns, _), _)| {
                g == &kind.group
                    && p == &kind.plural
                    && namespace.is_none_or(|n| !kind.namespaced || n == ns)
            })
            .map(|(_, v)| v)
            .filter(|v| filter(v))
            .cloned()
            .collect()
    }

    /// Whether namespace `name` exists.
    pub fn namespace_exists(&self, name: &str) -> bool {
        self.objects.contains_key(&(
            String::new(),
            "namespaces".into(),
            String::new(),
            name.to_string(),
        ))
    }

    /// Every stored object keyed `plural[.group]/[namespace/]name`.
    pub fn snapshot(&self) -> Value {
        let mut out = Map::new();
        for ((group, plural, ns, name), obj) in &self.objects {
            let resource = crate::status::qualified_resource(group, plural);
            let key = if ns.is_empty() {
                format!("{resource}/{name}")
            } else {
                format!("{resource}/{ns}/{name}")
            };
            out.insert(key, obj.clone());
        }
        Value::Object(out)
    }

    fn validate(&self, kind: &ResourceKind, obj: &Value, name: &str) -> Result<(), ApiError> {
        let mut causes: Vec<FieldCause> = validation::validate_name(name, kind.name_rule);
        if let Some(schema) = &kind.schema {
            causes.extend(schema::validate(obj, schema));
        }
        if kind.group.is_empty() && kind.plural == "secrets" {
            causes.extend(validation::validate_secret(obj));
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(&kind.group, &kind.kind, name, causes))
        }
    }

    fn check_type_meta(kind: &ResourceKind, obj: &mut Value) -> Result<(), ApiError> {
        let Some(map) = obj.as_object_mut() else {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        };
        let api_version = kind.api_version();
        match map.get("apiVersion").and_then(Value::as_str) {
            Some(v) if v != api_version => {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({api_version})"
                )))
            }
            _ => {}
        }
        match map.get("kind").and_then(Value::as_str) {
            Some(k) if k != kind.kind => {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    kind.kind
                )))
            }
            _ => {}
        }
        map.insert("apiVersion".into(), json!(api_version));
        map.insert("kind".into(), json!(kind.kind));
        Ok(())
    }

    fn check_namespace(
        &self,
        kind: &ResourceKind,
        obj: &mut Value,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        if !kind.namespaced {
            if let Some(meta) = meta_mut(obj) {
                meta.remove("namespace");
            }
            return Ok(());
        }
        let Some(ns) = namespace else {
            return Err(ApiError::bad_request(
                "a namespaced object must be written through a /namespaces/<ns>/ URL",
            ));
        };
        if let Some(body_ns) = meta_str(obj, "namespace") {
            if body_ns != ns {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
        }
        if let Some(meta) = meta_mut(obj) {
            meta.insert("namespace".into(), json!(ns));
        }
        if !self.namespace_exists(ns) {
            return Err(ApiError::not_found("", "namespaces", ns));
        }
        Ok(())
    }

    /// POST: creates `body` (honouring `generateName`).
    pub fn create(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        mut body: Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_type_meta(kind, &mut body)?;
        self.check_namespace(kind, &mut body, namespace)?;
        let name = match (meta_str(&body, "name"), meta_str(&body, "generateName")) {
            (Some(name), _) => name.to_string(),
            (None, Some(prefix)) => {
                let prefix = prefix.to_string();
                let mut candidate = validation::generate_name(&prefix);
                let mut attempts = 0;
                while self
                    .objects
                    .contains_key(&Self::key(kind, namespace, &candidate))
                    && attempts < 8
                {
                    candidate = validation::generate_name(&prefix);
                    attempts += 1;
                }
                candidate
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    &kind.group,
                    &kind.kind,
                    "",
                    vec![FieldCause {
                        reason: "FieldValueRequired".into(),
                        message: "Required value: name or generateName is required".into(),
                        field: "metadata.name".into(),
                    }],
                ))
            }
        };
        if let Some(meta) = meta_mut(&mut body) {
            meta.insert("name".into(), json!(name));
        }
        self.prepare_new(kind, &mut body);
        self.validate(kind, &body, &name)?;
        let key = Self::key(kind, namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(&kind.group, &kind.plural, &name));
        }
        if opts.dry_run {
            return Ok(body);
        }
        self.stamp_new(&mut body);
        self.objects.insert(key, body.clone());
        Ok(body)
    }

    fn prepare_new(&self, kind: &ResourceKind, body: &mut Value) {
        if let Some(meta) = meta_mut(body) {
            for server_field in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "selfLink",
            ] {
                meta.remove(server_field);
            }
            meta.insert("generation".into(), json!(1));
        }
        if kind.group.is_empty() && kind.plural == "secrets" {
            validation::fold_string_data(body);
            if let Some(map) = body.as_object_mut() {
                map.entry("type").or_insert_with(|| json!("Opaque"));
            }
        }
        if kind.group.is_empty() && kind.plural == "namespaces" {
            if let Some(map) = body.as_object_mut() {
                map.insert("spec".into(), json!({"finalizers": ["kubernetes"]}));
                map.insert("status".into(), json!({"phase": "Active"}));
            }
        }
    }

    fn stamp_new(&mut self, body: &mut Value) {
        let rv = self.next_resource_version();
        let uid = new_uid();
        self.created_at.insert(uid.clone(), Instant::now());
        if let Some(meta) = meta_mut(body) {
            meta.insert("uid".into(), json!(uid));
            meta.insert("resourceVersion".into(), json!(rv));
            meta.insert("creationTimestamp".into(), json!(now_timestamp()));
        }
    }

    /// PUT: replaces an existing object; a stale `metadata.resourceVersion` is a 409 Conflict.
    /// Custom resources require a resourceVersion (422 without one), built-ins allow unconditional updates.
    pub fn replace(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        mut body: Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_type_meta(kind, &mut body)?;
        match meta_str(&body, "name") {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )))
            }
            _ => {}
        }
        if let Some(meta) = meta_mut(&mut body) {
            meta.insert("name".into(), json!(name));
        }
        self.check_namespace(kind, &mut body, namespace)?;
        let existing = self.get(kind, namespace, name)?;
        match meta_str(&body, "resourceVersion") {
            Some(rv) if Some(rv) != meta_str(&existing, "resourceVersion") => {
                return Err(ApiError::conflict(&kind.group, &kind.plural, name));
            }
            None if kind.is_custom() => {
                return Err(ApiError::invalid(
                    &kind.group,
                    &kind.kind,
                    name,
                    vec![FieldCause::invalid(
                        "metadata.resourceVersion",
                        "0x0: must be specified for an update",
                    )],
                ));
            }
            _ => {}
        }
        self.commit_update(kind, namespace, name, body, &existing, opts)
    }

    /// Stores `body` as the new state of `existing`: carries server fields over, validates, bumps
    /// resourceVersion/generation, and deletes the object when it is terminating and its finalizers are gone.
    fn commit_update(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        mut body: Value,
        existing: &Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        if kind.group.is_empty() && kind.plural == "secrets" {
            validation::fold_string_data(&mut body);
            if let Some(map) = body.as_object_mut() {
                map.entry("type").or_insert_with(|| {
                    existing
                        .get("type")
                        .cloned()
                        .unwrap_or_else(|| json!("Opaque"))
                });
            }
        }
        let old_generation = existing
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let spec_changed = without_meta_and_status(&body) != without_meta_and_status(existing);
        if let Some(meta) = meta_mut(&mut body) {
            for field in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generateName",
            ] {
                match existing.get("metadata").and_then(|m| m.get(field)) {
                    Some(v) => {
                        meta.insert(field.into(), v.clone());
                    }
                    None => {
                        if field != "generateName" {
                            meta.remove(field);
                        }
                    }
                }
            }
            let managed_empty = meta
                .get("managedFields")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            if managed_empty {
                if let Some(mf) = existing.pointer("/metadata/managedFields") {
                    meta.insert("managedFields".into(), mf.clone());
                }
            }
            meta.insert(
                "generation".into(),
                json!(if spec_changed {
                    old_generation + 1
                } else {
                    old_generation
                }),
            );
        }
        if kind.group.is_empty() && kind.plural == "namespaces" {
            if let Some(map) = body.as_object_mut() {
                for field in ["spec", "status"] {
                    if let Some(v) = existing.get(field) {
                        map.insert(field.into(), v.clone());
                    }
                }
            }
        }
        self.validate(kind, &body, name)?;
        if opts.dry_run {
            return Ok(body);
        }
        let terminating = body.pointer("/metadata/deletionTimestamp").is_some();
        let rv = self.next_resource_version();
        if let Some(meta) = meta_mut(&mut body) {
            meta.insert("resourceVersion".into(), json!(rv));
        }
        let key = Self::key(kind, namespace, name);
        if terminating && finalizers(&body).is_empty() {
            self.remove_cascading(&key);
            return Ok(body);
        }
        self.objects.insert(key, body.clone());
        Ok(body)
    }

    /// Stores `updated`, the result of patching `existing`: checks its type meta, that the patch
    /// kept `metadata.name`, and its namespace, then commits it as an update.
    fn commit_patched(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        mut updated: Value,
        existing: &Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_type_meta(kind, &mut updated)?;
        if meta_str(&updated, "name") != Some(name) {
            return Err(ApiError::bad_request(
                "metadata.name cannot be changed by a patch",
            ));
        }
        self.check_namespace(kind, &mut updated, namespace)?;
        self.commit_update(kind, namespace, name, updated, existing, opts)
    }

    /// PATCH with a JSON merge patch (also used for strategic merge patches, which are treated as merge).
    pub fn merge_patch(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        patch_body: &Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        if !patch_body.is_object() {
            return Err(ApiError::bad_request("a merge patch must be a JSON object"));
        }
        let existing = self.get(kind, namespace, name)?;
        if let Some(rv) = patch_body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            if Some(rv) != meta_str(&existing, "resourceVersion") {
                return Err(ApiError::conflict(&kind.group, &kind.plural, name));
            }
        }
        let mut updated = existing.clone();
        patch::merge_patch(&mut updated, patch_body);
        self.commit_patched(kind, namespace, name, updated, &existing, opts)
    }

    /// PATCH with a JSON patch (RFC 6902); a failing operation is 422 Invalid.
    pub fn json_patch(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        patch_body: &Value,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let existing = self.get(kind, namespace, name)?;
        let mut updated = existing.clone();
        patch::json_patch(&mut updated, patch_body).map_err(|e| {
            ApiError::new(
                422,
                "Invalid",
                format!(
                    "{} \"{name}\": {e}",
                    crate::status::qualified_resource(&kind.group, &kind.kind)
                ),
            )
        })?;
        if meta_str(&updated, "resourceVersion") != meta_str(&existing, "resourceVersion") {
            return Err(ApiError::conflict(&kind.group, &kind.plural, name));
        }
        self.commit_patched(kind, namespace, name, updated, &existing, opts)
    }

    /// PATCH `application/apply-patch+yaml`: simplified server-side apply (see [`crate::patch::server_side_apply`]).
    /// Creates the object when missing. Returns the object and whether it was created.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        mut body: Value,
        manager: &str,
        force: bool,
        opts: WriteOptions,
    ) -> Result<(Value, bool), ApiError> {
        Self::check_type_meta(kind, &mut body)?;
        match meta_str(&body, "name") {
            Some(n) if n == name => {}
            Some(n) => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )))
            }
            None => {
                return Err(ApiError::bad_request(
                    "metadata.name is required in an apply configuration",
                ));
            }
        }
        self.check_namespace(kind, &mut body, namespace)?;
        let now = now_timestamp();
        let api_version = kind.api_version();
        match self.get(kind, namespace, name) {
            Err(_) => {
                let mut fresh = body.clone();
                patch::set_apply_owners(
                    &mut fresh,
                    &[(manager.to_string(), patch::leaf_paths(&body))],
                    &api_version,
                    &now,
                );
                self.create(kind, namespace, fresh, opts).map(|v| (v, true))
            }
            Ok(existing) => {
                if let Some(rv) = meta_str(&body, "resourceVersion") {
                    if Some(rv) != meta_str(&existing, "resourceVersion") {
                        return Err(ApiError::conflict(&kind.group, &kind.plural, name));
                    }
                }
                match patch::server_side_apply(&existing, &body, manager, force, &api_version, &now)
                {
                    ApplyOutcome::Conflicts(conflicts) => Err(ApiError::apply_conflict(
                        &kind.group,
                        &kind.plural,
                        name,
                        &conflicts,
                    )),
                    ApplyOutcome::Merged(merged) => self
                        .commit_update(kind, namespace, name, merged, &existing, opts)
                        .map(|v| (v, false)),
                }
            }
        }
    }

    /// DELETE: objects with finalizers get `deletionTimestamp` and stay; others are removed
    /// (namespaces with their contents, and objects owned by the removed object).
    pub fn delete(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
        opts: WriteOptions,
    ) -> Result<Value, ApiError> {
        let existing = self.get(kind, namespace, name)?;
        if opts.dry_run {
            return Ok(existing);
        }
        let key = Self::key(kind, namespace, name);
        if !finalizers(&existing).is_empty() {
            if existing.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok(existing);
            }
            let mut terminating = existing;
            let rv = self.next_resource_version();
            if let Some(meta) = meta_mut(&mut terminating) {
                meta.insert("deletionTimestamp".into(), json!(now_timestamp()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                meta.insert("resourceVersion".into(), json!(rv));
            }
            self.objects.insert(key, terminating.clone());
            return Ok(terminating);
        }
        self.remove_cascading(&key);
        Ok(existing)
    }

    /// Removes an object immediately, then its namespace contents and dependents (ownerReferences), transitively.
    fn remove_cascading(&mut self, key: &ObjectKey) {
        let mut pending = vec![key.clone()];
        let mut guard = 0usize;
        while let Some(key) = pending.pop() {
            guard += 1;
            if guard > 100_000 {
                break;
            }
            let Some(removed) = self.objects.remove(&key) else {
                continue;
            };
            let uid = meta_str(&removed, "uid").map(str::to_string);
            if let Some(uid) = &uid {
                self.created_at.remove(uid);
            }
            let (group, plural, _, name) = &key;
            let is_namespace = group.is_empty() && plural == "namespaces";
            for (k, obj) in &self.objects {
                let in_namespace = is_namespace && &k.2 == name;
                let owned = uid.as_deref().is_some_and(|uid| {
                    obj.pointer("/metadata/ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(|refs| {
                            refs.iter()
                                .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
                        })
                });
                if in_namespace || owned {
                    pending.push(k.clone());
                }
            }
        }
    }

    /// Stores `object` directly (no validation), filling uid, resourceVersion and creationTimestamp
    /// when missing and overwriting any object with the same key.
    pub fn insert_raw(&mut self, mut object: Value) -> Result<Value, ApiError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind_name = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = self.kind_by_type(&api_version, &kind_name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "no served type for apiVersion {api_version:?} kind {kind_name:?}"
            ))
        })?;
        let name = meta_str(&object, "name")
            .ok_or_else(|| ApiError::bad_request("metadata.name is required"))?
            .to_string();
        let namespace = meta_str(&object, "namespace").map(str::to_string);
        if kind.namespaced && namespace.is_none() {
            return Err(ApiError::bad_request(format!(
                "{} {name:?} needs metadata.namespace",
                kind.kind
            )));
        }
        let rv = self.next_resource_version();
        let uid = meta_str(&object, "uid")
            .map(str::to_string)
            .unwrap_or_else(new_uid);
        self.created_at
            .entry(uid.clone())
            .or_insert_with(Instant::now);
        if let Some(meta) = meta_mut(&mut object) {
            meta.insert("uid".into(), json!(uid));
            meta.insert("resourceVersion".into(), json!(rv));
            meta.entry("creationTimestamp")
                .or_insert_with(|| json!(now_timestamp()));
        }
        self.objects.insert(
            Self::key(&kind, namespace.as_deref(), &name),
            object.clone(),
        );
        Ok(object)
    }

    /// Removes an object immediately (ignoring finalizers, no cascade).
    pub fn remove_raw(
        &mut self,
        kind: &ResourceKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        self.objects.remove(&Self::key(kind, namespace, name))
    }
}
