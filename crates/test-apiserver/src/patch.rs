//! Patch semantics: JSON merge patch (RFC 7386) and a simplified server-side apply with field ownership.

use serde_json::{json, Map, Value};

/// Applies an RFC 7386 JSON merge patch to `target` in place (`null` deletes a key; arrays replace).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch_map) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(target_map) = target.as_object_mut() {
                for (key, value) in patch_map {
                    if value.is_null() {
                        target_map.remove(key);
                    } else {
                        let slot = target_map.entry(key.clone()).or_insert(Value::Null);
                        merge_patch(slot, value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Why a JSON patch (RFC 6902) could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JSON patch operation #{index} ({op} {path}) failed: {reason}")]
pub struct JsonPatchError {
    /// Position of the failing operation.
    pub index: usize,
    /// The `op` of the failing operation.
    pub op: String,
    /// The `path` of the failing operation.
    pub path: String,
    /// What went wrong.
    pub reason: String,
}

fn unescape_pointer_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn split_pointer(pointer: &str) -> Option<(String, String)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent.to_string(), unescape_pointer_token(last)))
}

fn add_at(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, key) = split_pointer(pointer).ok_or("path must start with '/'")?;
    match doc.pointer_mut(&parent) {
        Some(Value::Object(map)) => {
            map.insert(key, value);
            Ok(())
        }
        Some(Value::Array(list)) => {
            let index = if key == "-" {
                list.len()
            } else {
                key.parse::<usize>().map_err(|_| "bad array index")?
            };
            if index > list.len() {
                return Err("array index out of range".into());
            }
            list.insert(index, value);
            Ok(())
        }
        _ => Err("parent does not exist".into()),
    }
}

fn remove_pointer(doc: &mut Value, pointer: &str) -> Result<Value, String> {
    let (parent, key) = split_pointer(pointer).ok_or("path must start with '/'")?;
    match doc.pointer_mut(&parent) {
        Some(Value::Object(map)) => map
            .remove(&key)
            .ok_or_else(|| "path does not exist".to_string()),
        Some(Value::Array(list)) => {
            let index = key.parse::<usize>().map_err(|_| "bad array index")?;
            if index >= list.len() {
                return Err("array index out of range".into());
            }
            Ok(list.remove(index))
        }
        _ => Err("parent does not exist".into()),
    }
}

/// Applies a JSON patch (RFC 6902: add, remove, replace, move, copy, test) to `doc`.
pub fn json_patch(doc: &mut Value, patch: &Value) -> Result<(), JsonPatchError> {
    let ops = patch.as_array().ok_or_else(|| JsonPatchError {
        index: 0,
        op: String::new(),
        path: String::new(),
        reason: "a JSON patch must be an array".into(),
    })?;
    for (index, op) in ops.iter().enumerate() {
        let name = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let from = op
            .get("from")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let value = op.get("value").cloned();
        let result = match (name.as_str(), value) {
            ("add", Some(v)) => add_at(doc, &path, v),
            ("remove", _) => remove_pointer(doc, &path).map(|_| ()),
            ("replace", Some(v)) => remove_pointer(doc, &path).and_then(|_| add_at(doc, &path, v)),
            ("move", _) => remove_pointer(doc, &from).and_then(|v| add_at(doc, &path, v)),
            ("copy", _) => match doc.pointer(&from).cloned() {
                Some(v) => add_at(doc, &path, v),
                None => Err("from path does not exist".into()),
            },
            ("test", Some(v)) => {
                if doc.pointer(&path) == Some(&v) {
                    Ok(())
                } else {
                    Err("test failed".into())
                }
            }
            _ => Err("unknown op or missing value".into()),
        };
        result.map_err(|reason| JsonPatchError {
            index,
            op: name.clone(),
            path: path.clone(),
            reason,
        })?;
    }
    Ok(())
}

/// A field path owned by a manager: object keys from the root, e.g. `["spec", "pipeline", "name"]`.
pub type FieldPath = Vec<String>;

/// Metadata fields whose ownership is tracked (everything else in `metadata` is server-managed).
const TRACKED_METADATA: [&str; 4] = ["labels", "annotations", "finalizers", "ownerReferences"];

/// The leaf field paths set by an applied configuration. Lists and scalars are leaves (atomic);
/// empty objects are leaves; `apiVersion`, `kind` and server-managed metadata are not owned.
pub fn leaf_paths(applied: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    if let Some(map) = applied.as_object() {
        for (key, value) in map {
            match key.as_str() {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    if let Some(meta) = value.as_object() {
                        for field in TRACKED_METADATA {
                            if let Some(v) = meta.get(field) {
                                collect(v, vec!["metadata".into(), field.into()], &mut out);
                            }
                        }
                    }
                }
                _ => collect(value, vec![key.clone()], &mut out),
            }
        }
    }
    out
}

fn collect(value: &Value, path: FieldPath, out: &mut Vec<FieldPath>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let mut p = path.clone();
                p.push(key.clone());
                collect(child, p, out);
            }
        }
        _ => out.push(path),
    }
}

/// The value at `path` inside `object`, if any.
pub fn value_at<'a>(object: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(object, |v, key| v.get(key))
}

/// Removes the value at `path` (and parents left empty by the removal, except top-level keys).
pub fn remove_at(object: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cursor = object;
    for key in parents {
        match cursor.get_mut(key) {
            Some(next) => cursor = next,
            None => return,
        }
    }
    if let Some(map) = cursor.as_object_mut() {
        map.remove(last);
    }
}

/// Renders a field path the way apply conflicts name it: `.spec.pipeline.name`.
pub fn display_path(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// Encodes owned paths as a `fieldsV1` object (`{"f:spec":{"f:type":{}}}`).
pub fn to_fields_v1(paths: &[FieldPath]) -> Value {
    let mut root = Map::new();
    for path in paths {
        let mut cursor = &mut root;
        for key in path {
            let entry = cursor
                .entry(format!("f:{key}"))
                .or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(next) => cursor = next,
                None => break,
            }
        }
    }
    Value::Object(root)
}

/// Decodes a `fieldsV1` object into leaf paths (keys without the `f:` prefix; `.` and `k:`/`v:` entries are leaves).
pub fn from_fields_v1(fields: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    walk_fields(fields, Vec::new(), &mut out);
    out
}

fn walk_fields(node: &Value, path: FieldPath, out: &mut Vec<FieldPath>) {
    let children: Vec<(&String, &Value)> = node
        .as_object()
        .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
        .unwrap_or_default();
    if children.is_empty() {
        if !path.is_empty() {
            out.push(path);
        }
        return;
    }
    for (key, child) in children {
        let mut p = path.clone();
        p.push(key.trim_start_matches("f:").to_string());
        walk_fields(child, p, out);
    }
}

/// Fields owned by each `Apply` manager, read from `metadata.managedFields`.
pub fn apply_owners(object: &Value) -> Vec<(String, Vec<FieldPath>)> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e.get("operation").and_then(Value::as_str) == Some("Apply"))
                .filter_map(|e| {
                    let manager = e.get("manager").and_then(Value::as_str)?.to_string();
                    let paths = e.get("fieldsV1").map(from_fields_v1).unwrap_or_default();
                    Some((manager, paths))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Result of a server-side apply onto an existing object.
#[derive(Debug)]
pub enum ApplyOutcome {
    /// The merged object (managedFields updated).
    Merged(Value),
    /// Conflicts with other managers: `(manager, .field.path)`; only returned without `force`.
    Conflicts(Vec<(String, String)>),
}

/// Applies `applied` (owned by `manager`) onto `current`.
///
/// Simplified SSA: ownership is tracked only between `Apply` managers; lists are atomic; a field
/// another manager owns with a different value conflicts unless `force` (which transfers it);
/// fields this manager applied before but omits now are removed when nobody else owns them.
pub fn server_side_apply(
    current: &Value,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    now: &str,
) -> ApplyOutcome {
    let applied_paths = leaf_paths(applied);
    let mut owners = apply_owners(current);
    let mut conflicts = Vec::new();
    for (other, owned) in owners.iter_mut().filter(|(m, _)| m != manager) {
        let mut kept = Vec::new();
        for path in owned.drain(..) {
            let contested = applied_paths
                .iter()
                .any(|p| p == &path || p.starts_with(&path) || path.starts_with(p));
            let differs = contested && value_at(current, &path) != value_at(applied, &path);
            if differs && !force {
                conflicts.push((other.clone(), display_path(&path)));
                kept.push(path);
            } else if !differs || !contested {
                kept.push(path);
            }
        }
        *owned = kept;
    }
    if !conflicts.is_empty() {
        return ApplyOutcome::Conflicts(conflicts);
    }
    let mut merged = current.clone();
    let previously_owned = owners
        .iter()
        .find(|(m, _)| m == manager)
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    for path in previously_owned {
        let still_applied = applied_paths
            .iter()
            .any(|p| p == &path || p.starts_with(&path));
        let owned_by_other = owners
            .iter()
            .any(|(m, ps)| m != manager && ps.contains(&path));
        if !still_applied && !owned_by_other {
            remove_at(&mut merged, &path);
        }
    }
    let mut body = applied.clone();
    if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.retain(|k, _| TRACKED_METADATA.contains(&k.as_str()));
    }
    merge_patch(&mut merged, &strip_nulls(body));
    owners.retain(|(m, _)| m != manager);
    owners.push((manager.to_string(), applied_paths));
    set_apply_owners(&mut merged, &owners, api_version, now);
    ApplyOutcome::Merged(merged)
}

fn strip_nulls(v: Value) -> Value {
    // In an applied configuration, null means "not set by this manager", not "delete".
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Rewrites the `Apply` entries of `metadata.managedFields`, keeping other entries.
pub fn set_apply_owners(
    object: &mut Value,
    owners: &[(String, Vec<FieldPath>)],
    api_version: &str,
    now: &str,
) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let mut entries: Vec<Value> = meta
        .get("managedFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|e| e.get("operation").and_then(Value::as_str) != Some("Apply"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let previous_times: Vec<(String, Value)> = meta
        .get("managedFields")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some((
                        e.get("manager")?.as_str()?.to_string(),
                        e.get("time")?.clone(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for (manager, paths) in owners.iter().filter(|(_, p)| !p.is_empty()) {
        let time = previous_times
            .iter()
            .find(|(m, _)| m == manager)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| json!(now));
        entries.push(json!({
            "manager": manager,
            "operation": "Apply",
            "apiVersion": api_version,
            "time": time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(paths),
        }));
    }
    meta.insert("managedFields".into(), Value::Array(entries));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(&mut t, &json!({"a": {"b": null, "d": 3}, "l": [3]}));
        assert_eq!(t, json!({"a": {"c": 2, "d": 3}, "l": [3]}));
    }

    #[test]
    fn json_patch_ops() {
        let mut doc = json!({"metadata": {"finalizers": ["a", "b"], "labels": {"x/y": "1"}}});
        let patch = json!([
            {"op": "test", "path": "/metadata/finalizers/0", "value": "a"},
            {"op": "remove", "path": "/metadata/finalizers/0"},
            {"op": "add", "path": "/metadata/finalizers/-", "value": "c"},
            {"op": "replace", "path": "/metadata/labels/x~1y", "value": "2"},
            {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"}
        ]);
        json_patch(&mut doc, &patch).expect("patch applies");
        assert_eq!(
            doc,
            json!({"metadata": {"finalizers": ["b", "c"], "labels": {"x/y": "2"}, "annotations": {"x/y": "2"}}})
        );
        let err = json_patch(&mut doc, &json!([{"op": "remove", "path": "/nope"}]))
            .expect_err("missing path");
        assert_eq!(err.index, 0);
    }

    #[test]
    fn fields_v1_round_trip() {
        let paths = leaf_paths(
            &json!({"apiVersion": "v1", "metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"t": 1, "l": [1]}}),
        );
        let encoded = to_fields_v1(&paths);
        assert_eq!(
            encoded,
            json!({"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:t": {}, "f:l": {}}})
        );
        let mut decoded = from_fields_v1(&encoded);
        decoded.sort();
        let mut expected = paths;
        expected.sort();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn apply_conflicts_and_force() {
        let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}});
        let ApplyOutcome::Merged(first) =
            server_side_apply(&base, &base, "alice", false, "v1", "t")
        else {
            panic!("first apply")
        };
        let change = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "2"}});
        match server_side_apply(&first, &change, "bob", false, "v1", "t") {
            ApplyOutcome::Conflicts(c) => {
                assert_eq!(c, vec![("alice".to_string(), ".data.k".to_string())])
            }
            ApplyOutcome::Merged(_) => panic!("expected a conflict"),
        }
        let ApplyOutcome::Merged(forced) =
            server_side_apply(&first, &change, "bob", true, "v1", "t")
        else {
            panic!("force")
        };
        assert_eq!(forced.pointer("/data/k"), Some(&json!("2")));
        let owners = apply_owners(&forced);
        assert!(owners.iter().all(|(m, p)| m != "alice" || p.is_empty()));
    }

    #[test]
    fn apply_removes_fields_dropped_by_the_same_manager() {
        let v1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
        let ApplyOutcome::Merged(first) = server_side_apply(&v1, &v1, "m", false, "v1", "t") else {
            panic!("apply")
        };
        let v2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let ApplyOutcome::Merged(second) = server_side_apply(&first, &v2, "m", false, "v1", "t")
        else {
            panic!("apply")
        };
        assert_eq!(second.get("data"), Some(&json!({"a": "1"})));
    }
}
