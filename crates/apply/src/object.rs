//! The objects this tool applies: their kinds, keys, the cleaned desired body and its digest.

use std::path::PathBuf;

use base64::Engine as _;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::RoleBinding;
use ksdm_model::v30::AUTOSYNC_ANNOTATION;
use kube::api::{ApiResource, GroupVersionKind};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::provenance::{RUN_ID_LABEL, VERSION_ANNOTATION};

pub use ksdm_model::kind::{ObjectKind, DEVOPS_GROUP, DEVOPS_VERSION};

/// The `kube` resource description of an [`ObjectKind`].
pub fn api_resource(kind: ObjectKind) -> ApiResource {
    match kind {
        ObjectKind::DevOpsProject | ObjectKind::Pipeline => {
            devops_resource(kind.kind(), kind.plural())
        }
        ObjectKind::Secret => ApiResource::erase::<Secret>(&()),
        ObjectKind::RoleBinding => ApiResource::erase::<RoleBinding>(&()),
    }
}

fn devops_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(DEVOPS_GROUP, DEVOPS_VERSION, kind),
        plural,
    )
}

/// The `kube` resource description of Namespaces.
pub fn namespace_resource() -> ApiResource {
    ApiResource::erase::<Namespace>(&())
}

/// `"<kind>/<ns>/<name>"`, or `"<kind>/<name>"` for cluster-scoped objects.
pub fn object_key(kind: ObjectKind, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{}/{ns}/{name}", kind.kind()),
        None => format!("{}/{name}", kind.kind()),
    }
}

/// One object to apply, cleaned of server-populated fields and provenance.
///
/// `Debug` shows Secret `data` values as `<redacted>`.
#[derive(Clone, PartialEq)]
pub struct DesiredObject {
    /// Kind.
    pub kind: ObjectKind,
    /// Namespace (None for DevOpsProjects).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// The body to write (apiVersion, kind, metadata with name/generateName/namespace/labels/
    /// annotations, and the owned fields), without provenance.
    pub body: Value,
    /// The export-tree file it came from.
    pub source: PathBuf,
    /// A placeholder Secret (see [`is_placeholder_secret`]): its data never overwrites an
    /// existing Secret's data, whatever the options, and is not compared.
    pub placeholder_data: bool,
    /// Notes made while cleaning (e.g. the autosync annotation was removed).
    pub notes: Vec<String>,
}

/// The `data` keys each KubeSphere credential type needs; for `ssh-auth` either key name of
/// the private key will do (v3.0 builds disagree on it).
pub const REQUIRED_SECRET_KEYS: [(&str, &[&[&str]]); 4] = [
    (
        "credential.devops.kubesphere.io/basic-auth",
        &[&["username"], &["password"]],
    ),
    (
        "credential.devops.kubesphere.io/ssh-auth",
        &[&["username"], &["private_key", "privatekey"]],
    ),
    (
        "credential.devops.kubesphere.io/secret-text",
        &[&["secret"]],
    ),
    (
        "credential.devops.kubesphere.io/kubeconfig",
        &[&["content"]],
    ),
];

/// Whether a Secret body is a placeholder: a value its credential type requires is missing or
/// empty (for other types: every value is empty). Writing such data over a real Secret would
/// erase a credential, so it never replaces existing data.
pub fn is_placeholder_secret(body: &Value) -> bool {
    body.as_object().is_none_or(placeholder_body)
}

fn placeholder_body(body: &Map<String, Value>) -> bool {
    let data = body.get("data").and_then(Value::as_object);
    let filled = |key: &str| {
        data.and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    let type_ = body.get("type").and_then(Value::as_str).unwrap_or("");
    match REQUIRED_SECRET_KEYS.iter().find(|(t, _)| *t == type_) {
        Some((_, required)) => required
            .iter()
            .any(|alternatives| !alternatives.iter().any(|k| filled(k))),
        None => data.is_none_or(|d| d.values().all(|v| v.as_str().is_none_or(str::is_empty))),
    }
}

impl DesiredObject {
    /// Cleans a parsed export-tree document into a desired object. `namespace` and `name` are
    /// taken from the tree path; a document naming another kind, namespace or name is refused.
    pub fn from_document(
        kind: ObjectKind,
        namespace: Option<&str>,
        name: &str,
        doc: Value,
        source: PathBuf,
    ) -> Result<Self, String> {
        let Value::Object(mut doc) = doc else {
            return Err("the document is not a YAML mapping".into());
        };
        let doc_kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if doc_kind != kind.kind() {
            return Err(format!(
                "kind is {doc_kind:?}, expected {:?} for this folder",
                kind.kind()
            ));
        }
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if api_version != kind.api_version() {
            return Err(format!(
                "apiVersion is {api_version:?}, expected {:?}",
                kind.api_version()
            ));
        }
        let meta = match doc.remove("metadata") {
            Some(Value::Object(m)) => m,
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err("metadata is not a mapping".into()),
        };
        let doc_name = meta.get("name").and_then(Value::as_str).unwrap_or(name);
        if doc_name != name {
            return Err(format!(
                "metadata.name is {doc_name:?} but the file is named {name:?}"
            ));
        }
        if let Some(doc_ns) = meta.get("namespace").and_then(Value::as_str) {
            if Some(doc_ns) != namespace {
                return Err(format!("metadata.namespace is {doc_ns:?} but the file is in namespace folder {namespace:?}"));
            }
        }
        let mut notes = Vec::new();
        let mut clean_meta = Map::new();
        clean_meta.insert("name".into(), Value::String(name.to_string()));
        if let Some(ns) = namespace {
            clean_meta.insert("namespace".into(), Value::String(ns.to_string()));
        }
        if let Some(g) = meta.get("generateName").filter(|g| g.is_string()) {
            clean_meta.insert("generateName".into(), g.clone());
        }
        for field in ["labels", "annotations"] {
            if let Some(Value::Object(map)) = meta.get(field) {
                let mut map = map.clone();
                map.retain(|k, v| v.is_string() && k != RUN_ID_LABEL && k != VERSION_ANNOTATION);
                if field == "annotations" && map.remove(AUTOSYNC_ANNOTATION).is_some() {
                    notes.push(format!(
                        "removed annotation {AUTOSYNC_ANNOTATION} from the export: this tool never sets it \
                         (it would make the controller push this Secret's data into Jenkins)"
                    ));
                }
                if !map.is_empty() {
                    clean_meta.insert(field.into(), Value::Object(map));
                }
            }
        }
        let mut body = Map::new();
        body.insert(
            "apiVersion".into(),
            Value::String(kind.api_version().into()),
        );
        body.insert("kind".into(), Value::String(kind.kind().into()));
        body.insert("metadata".into(), Value::Object(clean_meta));
        for field in kind.owned_fields() {
            if let Some(v) = doc.get(*field).filter(|v| !v.is_null()) {
                body.insert((*field).to_string(), v.clone());
            }
        }
        let mut placeholder_data = false;
        if kind == ObjectKind::Secret {
            fold_string_data(&mut body, doc.get("stringData"))?;
            placeholder_data = placeholder_body(&body);
        }
        if kind == ObjectKind::DevOpsProject && !body.contains_key("spec") {
            body.insert("spec".into(), Value::Object(Map::new()));
        }
        Ok(DesiredObject {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            body: Value::Object(body),
            source,
            placeholder_data,
            notes,
        })
    }

    /// The object key, e.g. `Secret/p1/git-cred` or `DevOpsProject/p1`.
    pub fn key(&self) -> String {
        object_key(self.kind, self.namespace.as_deref(), &self.name)
    }

    /// SHA-256 (hex) of the canonical JSON of the desired body (provenance is never part of it).
    ///
    /// For a Secret the digest covers its metadata, type and data *keys* but none of its values:
    /// the digest is stored in the journal (a local file and ConfigMaps), where a digest over the
    /// values would let anyone who can read it test guesses of a password offline. A Secret's
    /// values are therefore always compared with the cluster's, never skipped by digest.
    pub fn digest(&self) -> String {
        let body = if self.kind == ObjectKind::Secret {
            without_values(&self.body)
        } else {
            self.body.clone()
        };
        let canonical = canonical(&body);
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// A label value of the desired object.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.body.pointer("/metadata/labels")?.get(key)?.as_str()
    }
}

impl std::fmt::Debug for DesiredObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut body = self.body.clone();
        for field in ["data", "stringData"] {
            if let Some(data) = body.get_mut(field).and_then(Value::as_object_mut) {
                for v in data.values_mut() {
                    *v = Value::String("<redacted>".into());
                }
            }
        }
        f.debug_struct("DesiredObject")
            .field("kind", &self.kind)
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("body", &body)
            .field("source", &self.source)
            .field("placeholder_data", &self.placeholder_data)
            .field("notes", &self.notes)
            .finish()
    }
}

fn fold_string_data(
    body: &mut Map<String, Value>,
    string_data: Option<&Value>,
) -> Result<(), String> {
    let Some(Value::Object(sd)) = string_data else {
        return Ok(());
    };
    let data = body
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(data) = data.as_object_mut() else {
        return Err("data is not a mapping".into());
    };
    for (k, v) in sd {
        let text = v
            .as_str()
            .ok_or_else(|| format!("stringData key {k:?} is not a string"))?;
        data.insert(
            k.clone(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(text.as_bytes())),
        );
    }
    Ok(())
}

/// A Secret body with every `data`/`stringData` value replaced by `null` (keys kept).
fn without_values(body: &Value) -> Value {
    let mut body = body.clone();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(map)) = body.get_mut(field) {
            for v in map.values_mut() {
                *v = Value::Null;
            }
        }
    }
    body
}

/// `v` with every object's keys sorted (recursively), for stable digests.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), canonical(x));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(doc: Value) -> Result<DesiredObject, String> {
        DesiredObject::from_document(
            ObjectKind::Secret,
            Some("p1"),
            "cred",
            doc,
            PathBuf::from("x.yaml"),
        )
    }

    #[test]
    fn cleaning_drops_server_fields_and_autosync() {
        let d = secret(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "cred", "namespace": "p1", "uid": "u", "resourceVersion": "5",
                "finalizers": ["finalizers.kubesphere.io/credential"],
                "labels": {"app": "cred", RUN_ID_LABEL: "old"},
                "annotations": {AUTOSYNC_ANNOTATION: "true", "kubesphere.io/creator": "admin"}},
            "type": "credential.devops.kubesphere.io/basic-auth",
            "data": {"username": "YQ==", "password": ""},
            "status": {}
        }))
        .unwrap();
        assert_eq!(
            d.body,
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "cred", "namespace": "p1", "labels": {"app": "cred"},
                    "annotations": {"kubesphere.io/creator": "admin"}},
                "type": "credential.devops.kubesphere.io/basic-auth",
                "data": {"username": "YQ==", "password": ""}})
        );
        // A basic-auth Secret without a password is a placeholder, even with a username.
        assert!(d.placeholder_data);
        assert_eq!(d.notes.len(), 1);
        assert_eq!(d.key(), "Secret/p1/cred");
    }

    #[test]
    fn a_secret_missing_any_required_value_is_a_placeholder() {
        let body = |type_: &str, data: Value| json!({"type": format!("credential.devops.kubesphere.io/{type_}"), "data": data});
        let (a, e) = ("YQ==", "");
        for (type_, full, partials) in [
            (
                "basic-auth",
                json!({"username": a, "password": a}),
                vec![
                    json!({"username": a, "password": e}),
                    json!({"username": a}),
                    json!({"password": a}),
                ],
            ),
            (
                "ssh-auth",
                json!({"username": a, "private_key": a, "privatekey": a, "passphrase": e}),
                vec![
                    json!({"username": a, "private_key": e, "privatekey": e, "passphrase": a}),
                    json!({"private_key": a}),
                ],
            ),
            (
                "secret-text",
                json!({"secret": a}),
                vec![json!({"secret": e}), json!({})],
            ),
            (
                "kubeconfig",
                json!({"content": a}),
                vec![json!({"content": e}), json!({"other": a})],
            ),
        ] {
            assert!(
                !is_placeholder_secret(&body(type_, full)),
                "{type_} with every value"
            );
            for p in partials {
                assert!(
                    is_placeholder_secret(&body(type_, p.clone())),
                    "{type_} {p}"
                );
            }
        }
        // Either key name of the SSH key is enough; the passphrase is optional.
        assert!(!is_placeholder_secret(&body(
            "ssh-auth",
            json!({"username": a, "privatekey": a})
        )));
        // Other types: only all-empty.
        assert!(is_placeholder_secret(
            &json!({"type": "Opaque", "data": {"x": ""}})
        ));
        assert!(!is_placeholder_secret(
            &json!({"type": "Opaque", "data": {"x": a, "y": ""}})
        ));
    }

    #[test]
    fn placeholder_and_string_data() {
        let p =
            secret(json!({"apiVersion": "v1", "kind": "Secret", "data": {"secret": ""}})).unwrap();
        assert!(p.placeholder_data);
        let s =
            secret(json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"secret": "abc"}}))
                .unwrap();
        assert!(!s.placeholder_data);
        assert_eq!(s.body["data"]["secret"], "YWJj");
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("YWJj") && debug.contains("<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn mismatches_are_refused() {
        assert!(secret(json!({"apiVersion": "v1", "kind": "ConfigMap"})).is_err());
        assert!(secret(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "other"}})
        )
        .is_err());
        assert!(secret(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": "p2"}})
        )
        .is_err());
        assert!(secret(json!(["a"])).is_err());
    }

    #[test]
    fn secret_digest_covers_keys_but_no_value() {
        let secret = |data: Value| {
            let doc = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}, "type": "t", "data": data});
            DesiredObject::from_document(
                ObjectKind::Secret,
                Some("p1"),
                "c",
                doc,
                PathBuf::from("x.yaml"),
            )
            .unwrap()
        };
        let a = secret(json!({"password": "aHVudGVyMg=="}));
        let b = secret(json!({"password": "b3RoZXI="}));
        let c = secret(json!({"token": "aHVudGVyMg=="}));
        assert_eq!(a.digest(), b.digest(), "values are not part of the digest");
        assert_ne!(a.digest(), c.digest(), "keys are");
        let unkeyed = hex::encode(Sha256::digest(
            serde_json::to_vec(&canonical(&a.body)).unwrap(),
        ));
        assert_ne!(a.digest(), unkeyed);
    }

    #[test]
    fn digest_ignores_key_order_but_not_content() {
        let a = secret(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "t", "data": {"a": "", "b": ""}}),
        )
        .unwrap();
        let b = secret(
            json!({"kind": "Secret", "data": {"b": "", "a": ""}, "type": "t", "apiVersion": "v1"}),
        )
        .unwrap();
        let c = secret(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "t2", "data": {"a": "", "b": ""}}),
        )
        .unwrap();
        assert_eq!(a.digest(), b.digest());
        assert_ne!(a.digest(), c.digest());
        assert_eq!(a.digest().len(), 64);
    }
}
