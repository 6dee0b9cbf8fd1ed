//! Generic object validation: names, `generateName`, and Secret `data`.

use base64::Engine as _;
use serde_json::Value;

use crate::registry::NameRule;
use crate::status::FieldCause;

const LABEL_MAX: usize = 63;
const SUBDOMAIN_MAX: usize = 253;

fn is_dns1123_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    let ok_inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    let ok_edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= LABEL_MAX
        && bytes.iter().all(ok_inner)
        && bytes.first().is_some_and(ok_edge)
        && bytes.last().is_some_and(ok_edge)
}

fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= SUBDOMAIN_MAX
        && s.split('.').all(|part| {
            let bytes = part.as_bytes();
            let ok_inner = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
            let ok_edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            !bytes.is_empty()
                && bytes.iter().all(ok_inner)
                && bytes.first().is_some_and(ok_edge)
                && bytes.last().is_some_and(ok_edge)
        })
}

/// Checks `name` against `rule`; returns the API server's message on failure.
pub fn check_name(name: &str, rule: NameRule) -> Result<(), String> {
    match rule {
        NameRule::Dns1123Label if !is_dns1123_label(name) => Err(format!(
            "Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        )),
        NameRule::Dns1123Subdomain if !is_dns1123_subdomain(name) => Err(format!(
            "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )),
        NameRule::PathSegment if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('%') => {
            Err(format!("Invalid value: \"{name}\": may not be '.' or '..' and may not contain '/' or '%'"))
        }
        _ => Ok(()),
    }
}

/// Validates `metadata.name` of an object about to be stored.
pub fn validate_name(name: &str, rule: NameRule) -> Vec<FieldCause> {
    match check_name(name, rule) {
        Ok(()) => Vec::new(),
        Err(msg) => vec![FieldCause {
            reason: "FieldValueInvalid".into(),
            message: msg,
            field: "metadata.name".into(),
        }],
    }
}

/// Characters the API server uses for `generateName` suffixes (no vowels, no confusables).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of a generated suffix.
const SUFFIX_LEN: usize = 5;
/// Longest base kept from `generateName` (63 − 5), as in apimachinery.
const MAX_GENERATED_BASE: usize = 58;

/// Builds a name from `generate_name` plus a random 5-character suffix.
pub fn generate_name(generate_name: &str) -> String {
    use rand::Rng as _;
    let base: String = generate_name.chars().take(MAX_GENERATED_BASE).collect();
    let mut rng = rand::rng();
    let suffix: String = (0..SUFFIX_LEN)
        .map(|_| {
            let i = rng.random_range(0..SUFFIX_ALPHABET.len());
            char::from(SUFFIX_ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect();
    format!("{base}{suffix}")
}

/// Validates a Secret: `data` values must be base64 strings; `type` must be a string when present.
pub fn validate_secret(secret: &Value) -> Vec<FieldCause> {
    let mut causes = Vec::new();
    if let Some(data) = secret.get("data") {
        match data {
            Value::Null => {}
            Value::Object(map) => {
                for (key, value) in map {
                    let field = format!("data[{key}]");
                    match value.as_str() {
                        Some(s) if base64::engine::general_purpose::STANDARD.decode(s).is_ok() => {}
                        _ => causes.push(FieldCause::invalid(
                            &field,
                            "illegal base64 data (value not shown)",
                        )),
                    }
                    if !is_config_key(key) {
                        causes.push(FieldCause::invalid(
                            &field,
                            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                        ));
                    }
                }
            }
            _ => causes.push(FieldCause::wrong_type("data", "non-object", "object")),
        }
    }
    if let Some(Value::Object(map)) = secret.get("stringData") {
        for (key, value) in map {
            if !value.is_string() {
                causes.push(FieldCause::wrong_type(
                    &format!("stringData[{key}]"),
                    "non-string",
                    "string",
                ));
            }
        }
    }
    causes
}

fn is_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= SUBDOMAIN_MAX
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Moves `stringData` into `data` (base64-encoded, overriding same keys), as the API server does on write.
pub fn fold_string_data(secret: &mut Value) {
    let Some(obj) = secret.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = obj.remove("stringData") else {
        return;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Default::default()));
    if data.is_null() {
        *data = Value::Object(Default::default());
    }
    if let Some(data) = data.as_object_mut() {
        for (key, value) in string_data {
            if let Some(s) = value.as_str() {
                data.insert(
                    key,
                    Value::String(base64::engine::general_purpose::STANDARD.encode(s)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("project-abc", NameRule::Dns1123Label).is_ok());
        assert!(check_name("Project", NameRule::Dns1123Label).is_err());
        assert!(check_name("a.b", NameRule::Dns1123Label).is_err());
        assert!(check_name("a.b", NameRule::Dns1123Subdomain).is_ok());
        assert!(check_name("a_b", NameRule::Dns1123Subdomain).is_err());
        assert!(check_name(&"a".repeat(64), NameRule::Dns1123Label).is_err());
        assert!(check_name("system:admin", NameRule::PathSegment).is_ok());
        assert!(check_name("a/b", NameRule::PathSegment).is_err());
    }

    #[test]
    fn generated_names_have_suffix() {
        let n = generate_name("demo-");
        assert_eq!(n.len(), 10);
        assert!(n.starts_with("demo-"));
        assert!(is_dns1123_label(&n));
    }

    #[test]
    fn secret_data_must_be_base64() {
        let bad = serde_json::json!({"data": {"password": "not base64!"}});
        let causes = validate_secret(&bad);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "data[password]");
        assert!(!causes[0].message.contains("not base64!"));
        let mut ok = serde_json::json!({"data": {"a": "YQ=="}, "stringData": {"b": "bb"}});
        assert!(validate_secret(&ok).is_empty());
        fold_string_data(&mut ok);
        assert_eq!(ok, serde_json::json!({"data": {"a": "YQ==", "b": "YmI="}}));
    }
}
