//! What tests can observe about the traffic: a request log and per-verb counters.

use std::collections::BTreeMap;

/// One answered (or dropped) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/api/v1/namespaces/a/secrets?fieldManager=x`.
    pub path: String,
    /// The request `Content-Type`, if any.
    pub content_type: Option<String>,
    /// HTTP status sent, or 0 when the connection was dropped.
    pub status: u16,
    /// Kubernetes verb the API logic served (`get`, `list`, `create`, `update`, `patch`, `apply`,
    /// `delete`, …); None for discovery, `/version` and injected faults.
    pub verb: Option<String>,
    /// Whether a fault rule or the crash switch produced this answer.
    pub faulted: bool,
}

/// One authorisation decision (a request, or a SelfSubjectAccessReview's question).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRecord {
    /// RBAC verb (`get`, `list`, `create`, `update`, `patch`, `delete`, `bind`).
    pub verb: String,
    /// API group (`""` = core).
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Namespace of the request, if any.
    pub namespace: Option<String>,
    /// Object name, if any.
    pub name: Option<String>,
    /// Whether it was allowed.
    pub allowed: bool,
    /// Whether a SelfSubjectAccessReview asked (rather than a request needing it).
    pub review: bool,
}

/// The request log and counters.
#[derive(Debug, Default)]
pub struct Observations {
    /// Every request in arrival order.
    pub requests: Vec<RequestRecord>,
    /// Requests served by the API logic per Kubernetes verb.
    pub verbs: BTreeMap<String, u64>,
    /// Every authorisation decision, in order.
    pub authorizations: Vec<AuthorizationRecord>,
}

impl Observations {
    /// Appends a record and counts its verb.
    pub fn record(&mut self, record: RequestRecord) {
        if let Some(verb) = &record.verb {
            *self.verbs.entry(verb.clone()).or_insert(0) += 1;
        }
        self.requests.push(record);
    }
}
