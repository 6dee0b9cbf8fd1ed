//! Provenance put on every object this tool writes: a run-id label and a tool-version annotation.

use serde_json::{Map, Value};

/// Label carrying the id of the run that last wrote the object (a valid label value).
pub const RUN_ID_LABEL: &str = "ks-devops-migrate.kubesphere.io/run-id";
/// Annotation carrying the version of the tool that last wrote the object.
pub const VERSION_ANNOTATION: &str = "ks-devops-migrate.kubesphere.io/version";
/// Default server-side apply field manager.
pub const FIELD_MANAGER: &str = "ks-devops-migrate";

/// The id of one run (one type and format for the whole tool).
pub use ksdm_model::RunId;

fn meta_map<'a>(body: &'a mut Value, field: &str) -> Option<&'a mut Map<String, Value>> {
    let meta = body
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let map = meta
        .as_object_mut()?
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    map.as_object_mut()
}

/// Returns `body` with the run-id label and the version annotation set.
pub fn with_provenance(mut body: Value, run_id: &RunId, tool_version: &str) -> Value {
    if let Some(labels) = meta_map(&mut body, "labels") {
        labels.insert(
            RUN_ID_LABEL.into(),
            Value::String(run_id.as_str().to_string()),
        );
    }
    if let Some(annotations) = meta_map(&mut body, "annotations") {
        annotations.insert(
            VERSION_ANNOTATION.into(),
            Value::String(tool_version.to_string()),
        );
    }
    body
}

/// The run id an object in the cluster carries, if any.
pub fn run_id_of(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/labels")?
        .get(RUN_ID_LABEL)?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provenance_is_added_without_touching_other_keys() {
        let id = RunId::parse("r1").unwrap();
        let body = with_provenance(
            json!({"metadata": {"name": "a", "labels": {"x": "y"}}}),
            &id,
            "0.1.0",
        );
        assert_eq!(
            body["metadata"]["labels"],
            json!({"x": "y", RUN_ID_LABEL: "r1"})
        );
        assert_eq!(
            body["metadata"]["annotations"],
            json!({VERSION_ANNOTATION: "0.1.0"})
        );
        assert_eq!(run_id_of(&body), Some("r1"));
    }
}
