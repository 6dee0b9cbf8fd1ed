//! Loading `apiextensions.k8s.io/v1beta1` CustomResourceDefinitions and turning them into served types.

use serde_json::{json, Value};

use crate::registry::{NameRule, ResourceKind};

/// API group of the KubeSphere DevOps custom resources.
pub const DEVOPS_GROUP: &str = "devops.kubesphere.io";

/// The v3.0 `devopsprojects` CRD as YAML text (written by this project: [`crate::crd_schema`]).
pub fn devopsprojects_crd_yaml() -> String {
    crate::crd_schema::devopsprojects_crd().to_string()
}

/// The v3.0 `pipelines` CRD as YAML text (written by this project: [`crate::crd_schema`]).
pub fn pipelines_crd_yaml() -> String {
    crate::crd_schema::pipelines_crd().to_string()
}

/// Why a CRD document could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// The YAML text did not parse.
    #[error("CRD YAML does not parse: {0}")]
    Yaml(String),
    /// A document is not a CustomResourceDefinition or lacks a required field.
    #[error("CRD document {name:?} is unusable: {reason}")]
    Invalid {
        /// `metadata.name` of the document, or `<unnamed>`.
        name: String,
        /// What is missing or wrong.
        reason: String,
    },
}

/// A parsed CRD: the stored document and the resource type it defines.
#[derive(Debug, Clone)]
pub struct InstalledCrd {
    /// The CRD object as loaded (v1beta1), with server metadata added.
    pub document: Value,
    /// The served custom resource type.
    pub kind: ResourceKind,
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Parses one or more YAML documents, each a v1beta1 (or v1) CustomResourceDefinition.
pub fn parse_crds(yaml: &str) -> Result<Vec<InstalledCrd>, CrdError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(yaml).map_err(|e| CrdError::Yaml(e.to_string()))?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(parse_crd)
        .collect()
}

fn parse_crd(doc: Value) -> Result<InstalledCrd, CrdError> {
    let name = text(&doc, "/metadata/name")
        .unwrap_or("<unnamed>")
        .to_string();
    let invalid = |reason: &str| CrdError::Invalid {
        name: name.clone(),
        reason: reason.to_string(),
    };
    if text(&doc, "/kind") != Some("CustomResourceDefinition") {
        return Err(invalid("kind is not CustomResourceDefinition"));
    }
    let group = text(&doc, "/spec/group").ok_or_else(|| invalid("spec.group is missing"))?;
    let plural =
        text(&doc, "/spec/names/plural").ok_or_else(|| invalid("spec.names.plural is missing"))?;
    let kind =
        text(&doc, "/spec/names/kind").ok_or_else(|| invalid("spec.names.kind is missing"))?;
    let singular = text(&doc, "/spec/names/singular")
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    if name != format!("{plural}.{group}") {
        return Err(invalid("metadata.name must be <plural>.<group>"));
    }
    let namespaced = match text(&doc, "/spec/scope") {
        Some("Cluster") => false,
        Some("Namespaced") => true,
        _ => return Err(invalid("spec.scope must be Cluster or Namespaced")),
    };
    // v1beta1: spec.version + spec.validation; v1: spec.versions[].schema.
    let served_version = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        })
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .or_else(|| text(&doc, "/spec/version"))
        .ok_or_else(|| invalid("no served version"))?
        .to_string();
    let schema = doc
        .pointer("/spec/validation/openAPIV3Schema")
        .cloned()
        .or_else(|| {
            doc.pointer("/spec/versions")
                .and_then(Value::as_array)
                .and_then(|vs| {
                    vs.iter().find(|v| {
                        v.get("name").and_then(Value::as_str) == Some(served_version.as_str())
                    })
                })
                .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
                .cloned()
        })
        .unwrap_or_else(|| json!({}));
    let categories = doc
        .pointer("/spec/names/categories")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let kind = ResourceKind {
        group: group.to_string(),
        version: served_version,
        plural: plural.to_string(),
        singular,
        kind: kind.to_string(),
        namespaced,
        name_rule: NameRule::Dns1123Subdomain,
        schema: Some(schema),
        verbs: vec![
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        short_names: Vec::new(),
        categories,
    };
    Ok(InstalledCrd {
        document: doc,
        kind,
    })
}

/// Renders a stored v1beta1 CRD as an `apiextensions.k8s.io/v1` object (schema moved into `spec.versions[]`).
pub fn as_v1(doc: &Value) -> Value {
    let mut out = doc.clone();
    let schema = doc.pointer("/spec/validation/openAPIV3Schema").cloned();
    if let Some(obj) = out.as_object_mut() {
        obj.insert("apiVersion".into(), json!("apiextensions.k8s.io/v1"));
    }
    if let Some(spec) = out.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("validation");
        let version = spec.remove("version");
        if let Some(Value::Array(versions)) = spec.get_mut("versions") {
            for v in versions.iter_mut() {
                if let (Some(obj), Some(schema)) = (v.as_object_mut(), schema.as_ref()) {
                    obj.entry("schema")
                        .or_insert_with(|| json!({ "openAPIV3Schema": schema }));
                }
            }
        } else if let Some(version) = version {
            let mut entry = json!({"name": version, "served": true, "storage": true});
            if let (Some(obj), Some(schema)) = (entry.as_object_mut(), schema) {
                obj.insert("schema".into(), json!({ "openAPIV3Schema": schema }));
            }
            spec.insert("versions".into(), json!([entry]));
        }
    }
    out
}

/// Renders a stored CRD document with the `apiVersion` of the URL it is read through.
pub fn as_version(doc: &Value, version: &str) -> Value {
    if version == "v1" {
        as_v1(doc)
    } else {
        let mut out = doc.clone();
        if let Some(obj) = out.as_object_mut() {
            obj.insert("apiVersion".into(), json!("apiextensions.k8s.io/v1beta1"));
        }
        out
    }
}
