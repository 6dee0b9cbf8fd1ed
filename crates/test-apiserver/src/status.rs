//! Kubernetes `Status` failure objects: the error type of every API operation of the test double.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

/// One entry of `details.causes` of an `Invalid` status (a field-level validation error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCause {
    /// Machine-readable cause, e.g. `FieldValueRequired`, `FieldValueInvalid`, `FieldValueTypeInvalid`.
    pub reason: String,
    /// Human-readable message, e.g. `Required value`.
    pub message: String,
    /// Field path, e.g. `spec.pipeline.name` or `spec.parameters[0].type`.
    pub field: String,
}

impl FieldCause {
    /// A `FieldValueRequired` cause for `field`.
    pub fn required(field: &str) -> Self {
        Self {
            reason: "FieldValueRequired".into(),
            message: "Required value".into(),
            field: field.into(),
        }
    }

    /// A `FieldValueInvalid` cause for `field` with `detail` as the message.
    pub fn invalid(field: &str, detail: &str) -> Self {
        Self {
            reason: "FieldValueInvalid".into(),
            message: format!("Invalid value: {detail}"),
            field: field.into(),
        }
    }

    /// A `FieldValueTypeInvalid` cause: `field` holds a `found` value where `expected` was required.
    pub fn wrong_type(field: &str, found: &str, expected: &str) -> Self {
        Self {
            reason: "FieldValueTypeInvalid".into(),
            message: format!("Invalid value: \"{found}\": {field} in body must be of type {expected}: \"{found}\""),
            field: field.into(),
        }
    }
}

/// `details` of a failure Status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorDetails {
    /// `details.name`.
    pub name: Option<String>,
    /// `details.group`.
    pub group: Option<String>,
    /// `details.kind` (the resource plural for most errors, the Kind for `Invalid`).
    pub kind: Option<String>,
    /// `details.causes`.
    pub causes: Vec<FieldCause>,
    /// `details.retryAfterSeconds` (also sent as a `Retry-After` header).
    pub retry_after_seconds: Option<u32>,
}

/// A failed API request, rendered as a `kind: Status` object with `status: Failure`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code (also `code` in the body).
    pub code: u16,
    /// `reason`, e.g. `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`.
    pub reason: String,
    /// Human-readable `message`.
    pub message: String,
    /// `details` (boxed to keep `Result<_, ApiError>` small).
    pub details: Box<ErrorDetails>,
}

/// Formats `resource` the way API server messages do: `secrets` or `pipelines.devops.kubesphere.io`.
pub fn qualified_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

impl ApiError {
    /// A bare failure with `code`, `reason` and `message` and no details.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: Box::default(),
        }
    }

    fn with_details(mut self, group: &str, kind: &str, name: &str) -> Self {
        self.details.group = (!group.is_empty()).then(|| group.to_string());
        self.details.kind = Some(kind.to_string());
        self.details.name = Some(name.to_string());
        self
    }

    /// 404 `<resource> "<name>" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let msg = format!(
            "{} \"{name}\" not found",
            qualified_resource(group, resource)
        );
        Self::new(404, "NotFound", msg).with_details(group, resource, name)
    }

    /// 409 `<resource> "<name>" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let msg = format!(
            "{} \"{name}\" already exists",
            qualified_resource(group, resource)
        );
        Self::new(409, "AlreadyExists", msg).with_details(group, resource, name)
    }

    /// 409 optimistic-concurrency conflict (stale `resourceVersion`).
    pub fn conflict(group: &str, resource: &str, name: &str) -> Self {
        let msg = format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            qualified_resource(group, resource)
        );
        Self::new(409, "Conflict", msg).with_details(group, resource, name)
    }

    /// 409 server-side apply field-ownership conflict.
    pub fn apply_conflict(
        group: &str,
        resource: &str,
        name: &str,
        conflicts: &[(String, String)],
    ) -> Self {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(m, f)| format!("conflict with \"{m}\": {f}"))
            .collect();
        let msg = format!(
            "Apply failed with {} conflict{}: {}",
            conflicts.len(),
            if conflicts.len() == 1 { "" } else { "s" },
            list.join("\n")
        );
        let mut err = Self::new(409, "Conflict", msg).with_details(group, resource, name);
        err.details.causes = conflicts
            .iter()
            .map(|(m, f)| FieldCause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with \"{m}\""),
                field: f.clone(),
            })
            .collect();
        err
    }

    /// 422 `<Kind>.<group> "<name>" is invalid: <causes>`.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<FieldCause>) -> Self {
        let summary: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let msg = format!(
            "{} \"{name}\" is invalid: {}",
            qualified_resource(group, kind),
            if summary.len() == 1 {
                summary.join("")
            } else {
                format!("[{}]", summary.join(", "))
            }
        );
        let mut err = Self::new(422, "Invalid", msg).with_details(group, kind, name);
        err.details.causes = causes;
        err
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 403 Forbidden for `user` doing `verb` on a resource.
    pub fn forbidden(
        user: &str,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Self {
        let target = if name.is_empty() {
            qualified_resource(group, resource)
        } else {
            format!("{} \"{name}\"", qualified_resource(group, resource))
        };
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let msg = format!(
            "{target} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}"
        );
        Self::new(403, "Forbidden", msg).with_details(group, resource, name)
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    /// 415 UnsupportedMediaType, worded like an API server without server-side apply.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{content_type}\")"
            ),
        )
    }

    /// 404 for a URL that names no served resource.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// A failure injected by a fault rule (`code` 409, 429, 500, 503, …).
    pub fn injected(code: u16) -> Self {
        let (reason, retry) = match code {
            409 => ("Conflict", None),
            429 => ("TooManyRequests", Some(1)),
            500 => ("InternalError", None),
            503 => ("ServiceUnavailable", None),
            504 => ("Timeout", None),
            _ => ("InternalError", None),
        };
        let mut err = Self::new(
            code,
            reason,
            format!("injected fault: HTTP {code} from the test API server"),
        );
        err.details.retry_after_seconds = retry;
        err
    }

    /// The HTTP status code, falling back to 500 for an out-of-range code.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The `kind: Status` JSON body.
    pub fn to_json(&self) -> Value {
        let mut details = Map::new();
        if let Some(name) = &self.details.name {
            details.insert("name".into(), json!(name));
        }
        if let Some(group) = &self.details.group {
            details.insert("group".into(), json!(group));
        }
        if let Some(kind) = &self.details.kind {
            details.insert("kind".into(), json!(kind));
        }
        if !self.details.causes.is_empty() {
            let causes: Vec<Value> = self
                .details
                .causes
                .iter()
                .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if let Some(secs) = self.details.retry_after_seconds {
            details.insert("retryAfterSeconds".into(), json!(secs));
        }
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            if let Some(obj) = body.as_object_mut() {
                obj.insert("details".into(), Value::Object(details));
            }
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}
