//! Structural validation of custom resources against a CRD `openAPIV3Schema`.
//!
//! Supported keywords: `type` (object, array, string, integer, number, boolean), `properties`,
//! `required`, `items`, `enum`, `nullable`, `additionalProperties` (as a schema for map values).
//! Unknown fields are kept and not reported, as on a v1beta1 CRD without `preserveUnknownFields: false`.

use serde_json::Value;

use crate::status::FieldCause;

/// The JSON type name used in validation messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn matches_type(v: &Value, expected: &str) -> bool {
    match expected {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.as_i64().is_some() || v.as_u64().is_some(),
        "number" => v.is_number(),
        _ => true,
    }
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Validates `object` against `schema`; returns every violation with its field path
/// (e.g. `spec.type`, `spec.pipeline.parameters[0].name`). An empty result means valid.
pub fn validate(object: &Value, schema: &Value) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    validate_at(object, schema, "", &mut causes);
    causes
}

fn validate_at(value: &Value, schema: &Value, path: &str, causes: &mut Vec<FieldCause>) {
    let display = if path.is_empty() { "<root>" } else { path };
    if value.is_null() {
        let nullable = schema
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(expected) = schema.get("type").and_then(Value::as_str) {
            if !nullable {
                causes.push(FieldCause::wrong_type(display, "null", expected));
            }
        }
        return;
    }
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        if !matches_type(value, expected) {
            causes.push(FieldCause::wrong_type(display, type_name(value), expected));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            causes.push(FieldCause {
                reason: "FieldValueNotSupported".into(),
                message: format!(
                    "Unsupported value: {value}: supported values: {}",
                    list.join(", ")
                ),
                field: display.to_string(),
            });
        }
    }
    // metadata is validated by the generic object-meta rules, not by the CRD schema.
    if path == "metadata" {
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(key) {
                        causes.push(FieldCause::required(&child_path(path, key)));
                    }
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, child) in map {
                let child_schema = properties.and_then(|p| p.get(key)).or(additional);
                if let Some(child_schema) = child_schema {
                    validate_at(child, child_schema, &child_path(path, key), causes);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for (i, item) in items.iter().enumerate() {
                    validate_at(item, item_schema, &format!("{path}[{i}]"), causes);
                }
            }
        }
        _ => {}
    }
}
