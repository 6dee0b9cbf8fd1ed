//! "Differs": comparison of the fields this tool owns, and a readable line diff of them.
//!
//! Owned: the labels and annotations the export sets (by key; others on the cluster object are
//! ignored), and the kind's top-level fields ([`ObjectKind::owned_fields`]). Server-populated
//! fields (resourceVersion, uid, managedFields, finalizers, status, ownerReferences,
//! creationTimestamp) and this tool's provenance never take part. A placeholder Secret's `data`
//! is not compared. A top-level field that is absent, null, `{}` or `[]` counts as empty.
//! Secret values never appear in a diff: each value is shown as a size, marked when it differs.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::object::{DesiredObject, ObjectKind};

/// The result of comparing a cluster object with the desired one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Owned fields that differ, e.g. `spec`, `data`, `metadata.labels`.
    pub differing: Vec<String>,
    /// A unified diff of the owned fields (`-` cluster, `+` export); empty when equal.
    pub diff: String,
}

impl Comparison {
    /// Whether nothing owned differs.
    pub fn is_equal(&self) -> bool {
        self.differing.is_empty()
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The owned part of `object` as seen for `desired` (a mapping with `metadata.labels`,
/// `metadata.annotations` and the owned top-level fields, empty ones left out).
pub fn owned_view(desired: &DesiredObject, object: &Value) -> Value {
    let mut meta = Map::new();
    for field in ["labels", "annotations"] {
        let Some(wanted) = desired
            .body
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let actual = object
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object);
        let mut out = Map::new();
        for key in wanted.keys() {
            if let Some(v) = actual.and_then(|a| a.get(key)) {
                out.insert(key.clone(), v.clone());
            }
        }
        if !out.is_empty() {
            meta.insert(field.into(), Value::Object(out));
        }
    }
    let mut view = Map::new();
    if !meta.is_empty() {
        view.insert("metadata".into(), Value::Object(meta));
    }
    for field in desired.kind.owned_fields() {
        if desired.kind == ObjectKind::Secret && *field == "data" && desired.placeholder_data {
            continue;
        }
        if let Some(v) = object.get(*field).filter(|v| !is_empty(v)) {
            view.insert((*field).to_string(), v.clone());
        }
    }
    Value::Object(view)
}

fn field_names(view: &Value) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(meta) = view.get("metadata").and_then(Value::as_object) {
        names.extend(meta.keys().map(|k| format!("metadata.{k}")));
    }
    if let Some(m) = view.as_object() {
        names.extend(m.keys().filter(|k| *k != "metadata").cloned());
    }
    names
}

fn field_value<'a>(view: &'a Value, name: &str) -> Option<&'a Value> {
    match name.strip_prefix("metadata.") {
        Some(rest) => view.get("metadata")?.get(rest),
        None => view.get(name),
    }
}

/// Compares the owned fields of the cluster object `existing` with `desired`.
pub fn compare(desired: &DesiredObject, existing: &Value) -> Comparison {
    let want = owned_view(desired, &desired.body);
    let have = owned_view(desired, existing);
    let mut names = field_names(&want);
    for n in field_names(&have) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let differing: Vec<String> = names
        .into_iter()
        .filter(|n| field_value(&want, n) != field_value(&have, n))
        .collect();
    let diff = if differing.is_empty() {
        String::new()
    } else {
        render_diff(desired.kind, Some(&have), &want)
    };
    Comparison { differing, diff }
}

/// The diff shown for an object that does not exist yet (every owned line added).
pub fn creation_diff(desired: &DesiredObject) -> String {
    render_diff(desired.kind, None, &owned_view(desired, &desired.body))
}

fn decoded_len(v: &Value) -> usize {
    let s = v.as_str().unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(|b| b.len())
        .unwrap_or(s.len())
}

/// Replaces Secret values by `<N bytes>` / `<N bytes, differs>` so they never show.
fn redact(view: &Value, other: Option<&Value>) -> Value {
    let mut view = view.clone();
    let other_data = other.and_then(|o| o.get("data")).and_then(Value::as_object);
    if let Some(data) = view.get_mut("data").and_then(Value::as_object_mut) {
        for (k, v) in data.iter_mut() {
            let same = other_data.and_then(|o| o.get(k)) == Some(&*v);
            let marker = if same || other.is_none() {
                ""
            } else {
                ", differs"
            };
            *v = Value::String(format!("<{} bytes{marker}>", decoded_len(v)));
        }
    }
    view
}

fn to_yaml(v: &Value) -> String {
    if is_empty(v) {
        return String::new();
    }
    serde_saphyr::to_string(v).unwrap_or_else(|e| format!("<cannot render as YAML: {e}>\n"))
}

fn render_diff(kind: ObjectKind, have: Option<&Value>, want: &Value) -> String {
    let (old, new) = if kind == ObjectKind::Secret {
        (have.map(|h| redact(h, Some(want))), redact(want, have))
    } else {
        (have.cloned(), want.clone())
    };
    let old_text = old.as_ref().map(to_yaml).unwrap_or_default();
    let new_text = to_yaml(&new);
    similar::TextDiff::from_lines(&old_text, &new_text)
        .unified_diff()
        .context_radius(3)
        .header("cluster", "export")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    fn pipeline(spec: Value) -> DesiredObject {
        DesiredObject::from_document(
            ObjectKind::Pipeline,
            Some("p1"),
            "build",
            json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
                "metadata": {"annotations": {"kubesphere.io/creator": "admin"}}, "spec": spec}),
            PathBuf::new(),
        )
        .unwrap()
    }

    #[test]
    fn server_fields_provenance_and_foreign_keys_are_ignored() {
        let d = pipeline(json!({"type": "pipeline", "pipeline": {"name": "build"}}));
        let existing = json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
            "metadata": {"name": "build", "namespace": "p1", "uid": "x", "resourceVersion": "9",
                "finalizers": ["pipeline.finalizers.kubesphere.io"], "managedFields": [{}],
                "labels": {"ks-devops-migrate.kubesphere.io/run-id": "other-run"},
                "annotations": {"kubesphere.io/creator": "admin", "ks-devops-migrate.kubesphere.io/version": "9.9", "user": "note"}},
            "spec": {"type": "pipeline", "pipeline": {"name": "build"}}, "status": {}});
        let c = compare(&d, &existing);
        assert!(c.is_equal(), "{c:?}");
        assert!(c.diff.is_empty());
    }

    #[test]
    fn spec_difference_gives_a_readable_diff() {
        let d = pipeline(
            json!({"type": "pipeline", "pipeline": {"name": "build", "jenkinsfile": "new"}}),
        );
        let existing = json!({"metadata": {"annotations": {"kubesphere.io/creator": "admin"}},
            "spec": {"type": "pipeline", "pipeline": {"name": "build", "jenkinsfile": "old"}}});
        let c = compare(&d, &existing);
        assert_eq!(c.differing, vec!["spec".to_string()]);
        assert!(
            c.diff.contains("--- cluster") && c.diff.contains("+++ export"),
            "{}",
            c.diff
        );
        assert!(c.diff.contains("-    jenkinsfile: old"), "{}", c.diff);
        assert!(c.diff.contains("+    jenkinsfile: new"), "{}", c.diff);
    }

    #[test]
    fn missing_annotation_differs() {
        let d = pipeline(json!({"type": "pipeline"}));
        let c = compare(&d, &json!({"spec": {"type": "pipeline"}}));
        assert_eq!(c.differing, vec!["metadata.annotations".to_string()]);
    }

    #[test]
    fn secret_values_never_show_in_diffs() {
        let d = DesiredObject::from_document(
            ObjectKind::Secret,
            Some("p1"),
            "c",
            json!({"apiVersion": "v1", "kind": "Secret", "type": "t", "data": {"password": "c2VjcmV0MQ==", "username": "YWRtaW4="}}),
            PathBuf::new(),
        )
        .unwrap();
        let existing = json!({"type": "t", "data": {"password": "b3RoZXJwYXNzd29yZA==", "username": "YWRtaW4="}});
        let c = compare(&d, &existing);
        assert_eq!(c.differing, vec!["data".to_string()]);
        for secret in [
            "c2VjcmV0MQ==",
            "b3RoZXJwYXNzd29yZA==",
            "secret1",
            "otherpassword",
            "YWRtaW4=",
        ] {
            assert!(!c.diff.contains(secret), "{}", c.diff);
        }
        assert!(
            c.diff.contains("-  password: <13 bytes, differs>"),
            "{}",
            c.diff
        );
        assert!(
            c.diff.contains("+  password: <7 bytes, differs>"),
            "{}",
            c.diff
        );
        assert!(!creation_diff(&d).contains("c2VjcmV0MQ=="));
    }

    #[test]
    fn placeholder_secret_data_is_not_compared() {
        let d = DesiredObject::from_document(
            ObjectKind::Secret,
            Some("p1"),
            "c",
            json!({"apiVersion": "v1", "kind": "Secret", "type": "t", "data": {"secret": ""}}),
            PathBuf::new(),
        )
        .unwrap();
        assert!(compare(&d, &json!({"type": "t", "data": {"secret": "cmVhbA=="}})).is_equal());
        assert!(!compare(&d, &json!({"type": "other"})).is_equal());
    }
}
