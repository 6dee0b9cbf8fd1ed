//! The HTTP API: URL routing, verbs, content types and JSON responses (behind the fault layer).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

use crate::access;
use crate::crd;
use crate::discovery;
use crate::observe::AuthorizationRecord;
use crate::registry::ResourceKind;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::Shared;
use crate::status::ApiError;
use crate::store::WriteOptions;

/// Response extension telling the outer layer what the API logic did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Served {
    /// Kubernetes verb served, if the request reached an object endpoint.
    pub verb: Option<&'static str>,
    /// Whether an object was actually written (not dry-run, not failed).
    pub object_write: bool,
}

/// Router state.
#[derive(Debug, Clone)]
pub struct App {
    /// Shared server state.
    pub shared: Arc<Shared>,
    /// `host:port` the server listens on.
    pub address: String,
}

/// The axum router: every path goes to [`handle`], which parses Kubernetes URLs itself.
pub fn router(app: App) -> Router {
    Router::new().fallback(handle).with_state(app)
}

/// Converts an [`ApiError`] into a `Status` JSON response (429 gets `Retry-After`).
pub fn error_response(err: &ApiError) -> Response {
    let mut resp = (err.status_code(), json_body(&err.to_json())).into_response();
    if let Some(secs) = err.details.retry_after_seconds {
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    if let Ok(ct) = header::HeaderValue::from_str("application/json") {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    resp
}

fn json_body(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_string())
}

fn ok_json(code: StatusCode, v: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        (code, json_body(v)),
    )
        .into_response()
}

fn with_served(mut resp: Response, verb: Option<&'static str>, object_write: bool) -> Response {
    resp.extensions_mut().insert(Served { verb, object_write });
    resp
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'%') => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            Some(b'+') => {
                out.push(b' ');
                i += 1;
            }
            Some(b) => {
                out.push(*b);
                i += 1;
            }
            None => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded query parameters.
#[derive(Debug, Default)]
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(uri: &Uri) -> Self {
        let pairs = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Self(pairs)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn write_options(&self) -> WriteOptions {
        WriteOptions {
            dry_run: self.get("dryRun").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// A parsed object URL.
#[derive(Debug)]
struct ObjectPath {
    group: String,
    version: String,
    plural: String,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn object_path(group: &str, version: &str, rest: &[&str]) -> Option<ObjectPath> {
    let build =
        |plural: &str, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| ObjectPath {
            group: group.to_string(),
            version: version.to_string(),
            plural: plural.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        };
    match rest {
        [plural] => Some(build(plural, None, None, None)),
        [plural, name] => Some(build(plural, None, Some(name), None)),
        ["namespaces", ns, sub @ ("status" | "finalize")] if group.is_empty() => {
            Some(build("namespaces", None, Some(ns), Some(sub)))
        }
        ["namespaces", ns, plural] => Some(build(plural, Some(ns), None, None)),
        [plural, name, sub] => Some(build(plural, None, Some(name), Some(sub))),
        ["namespaces", ns, plural, name] => Some(build(plural, Some(ns), Some(name), None)),
        ["namespaces", ns, plural, name, sub] => {
            Some(build(plural, Some(ns), Some(name), Some(sub)))
        }
        _ => None,
    }
}

fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok(v),
        Err(json_err) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ApiError::bad_request("request body is not UTF-8"))?;
            serde_saphyr::from_str::<Value>(text).map_err(|_| {
                ApiError::bad_request(format!(
                    "the request body is neither JSON nor YAML: {json_err}"
                ))
            })
        }
    }
}

async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let query = Query::parse(&uri);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let kinds = app.shared.store().kinds().to_vec();
    let discovery_doc = match segments.as_slice() {
        ["version"] => Some(discovery::version(
            &app.shared.settings().effective_git_version(),
        )),
        ["api"] => Some(discovery::core_versions(&app.address)),
        ["api", "v1"] => discovery::resource_list(&kinds, "", "v1"),
        ["apis"] => Some(discovery::group_list(&kinds)),
        ["apis", group] => discovery::group(&kinds, group),
        ["apis", group, version] => discovery::resource_list(&kinds, group, version),
        _ => None,
    };
    if let Some(doc) = discovery_doc {
        if method != Method::GET {
            return error_response(&ApiError::method_not_allowed(format!(
                "{method} is not allowed on {path}"
            )));
        }
        return with_served(ok_json(StatusCode::OK, &doc), None, false);
    }
    let parsed = match segments.as_slice() {
        ["api", "v1", rest @ ..] => object_path("", "v1", rest),
        ["apis", group, version, rest @ ..] => object_path(group, version, rest),
        _ => None,
    };
    let Some(target) = parsed else {
        return error_response(&ApiError::no_route(&path));
    };
    let request = Request {
        method,
        query,
        content_type,
        body,
    };
    match (target.group.as_str(), target.plural.as_str()) {
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            crd_endpoint(&app, &target, &request)
        }
        ("authorization.k8s.io", "selfsubjectaccessreviews") => {
            access_review(&app, &target, &request)
        }
        _ => object_endpoint(&app, &target, &request),
    }
}

/// The parts of a request the endpoints need.
struct Request {
    method: Method,
    query: Query,
    content_type: String,
    body: Bytes,
}

fn crd_endpoint(app: &App, target: &ObjectPath, req: &Request) -> Response {
    if !matches!(target.version.as_str(), "v1" | "v1beta1")
        || target.namespace.is_some()
        || target.subresource.is_some()
    {
        return error_response(&ApiError::no_route(&target.plural));
    }
    if req.method != Method::GET {
        return error_response(&ApiError::method_not_allowed(
            "the test API server serves CustomResourceDefinitions read-only",
        ));
    }
    let crd_verb = if target.name.is_some() { "get" } else { "list" };
    let crd_name = target.name.clone().unwrap_or_default();
    if let Err(err) = authorize(
        app,
        crd_verb,
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
        &crd_name,
    ) {
        return with_served(error_response(&err), Some(crd_verb), false);
    }
    let store = app.shared.store();
    match &target.name {
        Some(name) => match store.crd(name) {
            Some(doc) => with_served(
                ok_json(StatusCode::OK, &crd::as_version(doc, &target.version)),
                Some("get"),
                false,
            ),
            None => with_served(
                error_response(&ApiError::not_found(
                    "apiextensions.k8s.io",
                    "customresourcedefinitions",
                    name,
                )),
                Some("get"),
                false,
            ),
        },
        None => {
            let items: Vec<Value> = store
                .crds()
                .map(|d| crd::as_version(d, &target.version))
                .collect();
            let list = json!({
                "kind": "CustomResourceDefinitionList",
                "apiVersion": format!("apiextensions.k8s.io/{}", target.version),
                "metadata": {"resourceVersion": store.current_resource_version()},
                "items": items,
            });
            with_served(ok_json(StatusCode::OK, &list), Some("list"), false)
        }
    }
}

fn access_review(app: &App, target: &ObjectPath, req: &Request) -> Response {
    if req.method != Method::POST || target.name.is_some() || target.version != "v1" {
        return error_response(&ApiError::method_not_allowed(
            "only POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews is served",
        ));
    }
    let mut review = match parse_body(&req.body) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            return error_response(&ApiError::bad_request(
                "a SelfSubjectAccessReview must be a JSON object",
            ))
        }
        Err(e) => return error_response(&e),
    };
    let attr = |field: &str| {
        review
            .pointer(&format!("/spec/resourceAttributes/{field}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (verb, group, resource, namespace) = (
        attr("verb"),
        attr("group"),
        attr("resource"),
        attr("namespace"),
    );
    // Like Kubernetes' `system:basic-user`, every user may ask what it may do: the review itself
    // needs no permission.
    let denied = authorize(
        app,
        &verb,
        &group,
        &resource,
        (!namespace.is_empty()).then_some(namespace.as_str()),
        &attr("name"),
    )
    .is_err();
    if let Some(last) = app.shared.observations().authorizations.last_mut() {
        last.review = true;
    }
    let status = if denied {
        json!({"allowed": false, "denied": true, "reason": "denied by a test API server access rule"})
    } else {
        json!({"allowed": true, "reason": "the test API server allows everything not explicitly denied"})
    };
    if let Some(obj) = review.as_object_mut() {
        obj.insert("apiVersion".into(), json!("authorization.k8s.io/v1"));
        obj.insert("kind".into(), json!("SelfSubjectAccessReview"));
        obj.insert("status".into(), status);
        obj.entry("metadata")
            .or_insert_with(|| json!({"creationTimestamp": null}));
    }
    with_served(ok_json(StatusCode::CREATED, &review), Some("create"), false)
}

/// Authorisation of one request: refused (403) when a denial matches or, with an RBAC policy set,
/// when no rule allows it.
fn authorize(
    app: &App,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<(), ApiError> {
    let settings = app.shared.settings();
    let denied = access::is_denied(&settings.denials, verb, group, resource, namespace);
    let allowed = settings
        .rbac
        .as_ref()
        .is_none_or(|p| p.allows(verb, group, resource, namespace, Some(name)));
    let user = settings.user.clone();
    drop(settings);
    app.shared
        .observations()
        .authorizations
        .push(AuthorizationRecord {
            verb: verb.to_string(),
            group: group.to_string(),
            resource: resource.to_string(),
            namespace: namespace.map(str::to_string),
            name: (!name.is_empty()).then(|| name.to_string()),
            allowed: !denied && allowed,
            review: false,
        });
    if denied || !allowed {
        return Err(ApiError::forbidden(
            &user, verb, group, resource, namespace, name,
        ));
    }
    Ok(())
}

/// Kubernetes' RBAC escalation check, simplified: with an RBAC policy set, writing a RoleBinding
/// needs `bind` on the Role or ClusterRole its `roleRef` names.
fn authorize_bind(app: &App, namespace: Option<&str>, req: &Request) -> Result<(), ApiError> {
    if app.shared.settings().rbac.is_none() {
        return Ok(());
    }
    let Ok(body) = parse_body(&req.body) else {
        return Ok(()); // the verb itself answers the bad body
    };
    let Some(role_ref) = body.get("roleRef") else {
        return Ok(()); // a patch that leaves roleRef alone grants nothing new
    };
    let role = role_ref.get("name").and_then(Value::as_str).unwrap_or("");
    let resource = match role_ref.get("kind").and_then(Value::as_str) {
        Some("ClusterRole") => "clusterroles",
        _ => "roles",
    };
    authorize(
        app,
        "bind",
        "rbac.authorization.k8s.io",
        resource,
        namespace,
        role,
    )
    .map_err(|_| {
        let user = app.shared.settings().user.clone();
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "rolebindings.rbac.authorization.k8s.io is forbidden: user \"{user}\" is attempting to grant RBAC permissions not currently held: no bind on {resource} \"{role}\""
            ),
        )
    })
}

/// Which operation a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    List,
    Create,
    Update,
    MergePatch,
    JsonPatch,
    Apply,
    Delete,
}

impl Verb {
    /// Name used in logs/counters.
    fn label(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::MergePatch | Verb::JsonPatch => "patch",
            Verb::Apply => "apply",
            Verb::Delete => "delete",
        }
    }

    /// RBAC verb used for authorisation.
    fn rbac(self) -> &'static str {
        match self {
            Verb::Apply | Verb::MergePatch | Verb::JsonPatch => "patch",
            other => other.label(),
        }
    }
}

fn choose_verb(app: &App, req: &Request, has_name: bool) -> Result<Verb, ApiError> {
    let media = req
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match (&req.method, has_name) {
        (&Method::GET, true) => Ok(Verb::Get),
        (&Method::GET, false)
            if req
                .query
                .get("watch")
                .is_some_and(|w| w == "true" || w == "1") =>
        {
            Err(ApiError::method_not_allowed(
                "watch is not supported by the test API server",
            ))
        }
        (&Method::GET, false) => Ok(Verb::List),
        (&Method::POST, false) => Ok(Verb::Create),
        (&Method::PUT, true) => Ok(Verb::Update),
        (&Method::DELETE, true) => Ok(Verb::Delete),
        (&Method::PATCH, true) => match media.as_str() {
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                Ok(Verb::MergePatch)
            }
            "application/json-patch+json" => Ok(Verb::JsonPatch),
            "application/apply-patch+yaml" if app.shared.settings().ssa_enabled => Ok(Verb::Apply),
            _ => Err(ApiError::unsupported_media_type(&req.content_type)),
        },
        (method, _) => Err(ApiError::method_not_allowed(format!(
            "{method} is not supported on this URL by the test API server"
        ))),
    }
}

fn object_endpoint(app: &App, target: &ObjectPath, req: &Request) -> Response {
    let kind = app
        .shared
        .store()
        .kind_for(&target.group, &target.version, &target.plural);
    let Some(kind) = kind else {
        return error_response(&ApiError::no_route(&format!(
            "{}/{} {}",
            target.group, target.version, target.plural
        )));
    };
    if target.subresource.is_some() || (target.namespace.is_some() && !kind.namespaced) {
        return error_response(&ApiError::no_route(&target.plural));
    }
    let verb = match choose_verb(app, req, target.name.is_some()) {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    let name = target.name.clone().unwrap_or_default();
    let namespace = target.namespace.as_deref();
    if let Err(err) = authorize(
        app,
        verb.rbac(),
        &kind.group,
        &kind.plural,
        namespace,
        &name,
    ) {
        return with_served(error_response(&err), Some(verb.label()), false);
    }
    if kind.group == "rbac.authorization.k8s.io"
        && kind.plural == "rolebindings"
        && !matches!(verb, Verb::Get | Verb::List | Verb::Delete)
    {
        if let Err(err) = authorize_bind(app, namespace, req) {
            return with_served(error_response(&err), Some(verb.label()), false);
        }
    }
    if kind.namespaced && namespace.is_none() && verb != Verb::List {
        let err = ApiError::method_not_allowed(format!(
            "{} are namespaced: use /namespaces/<ns>/{}",
            kind.plural, kind.plural
        ));
        return with_served(error_response(&err), Some(verb.label()), false);
    }
    let result = run_verb(app, &kind, verb, namespace, &name, req);
    let dry_run = req.query.write_options().dry_run;
    match result {
        Ok((code, value)) => {
            let write = !matches!(verb, Verb::Get | Verb::List) && !dry_run;
            with_served(ok_json(code, &value), Some(verb.label()), write)
        }
        Err(e) => with_served(error_response(&e), Some(verb.label()), false),
    }
}

fn run_verb(
    app: &App,
    kind: &ResourceKind,
    verb: Verb,
    namespace: Option<&str>,
    name: &str,
    req: &Request,
) -> Result<(StatusCode, Value), ApiError> {
    let opts = req.query.write_options();
    let mut store = app.shared.store();
    match verb {
        Verb::Get => store
            .get(kind, namespace, name)
            .map(|v| (StatusCode::OK, v)),
        Verb::List => {
            let labels = LabelSelector::parse(req.query.get("labelSelector").unwrap_or(""))?;
            let fields = FieldSelector::parse(req.query.get("fieldSelector").unwrap_or(""))?;
            let items =
                store.list_objects(kind, namespace, |o| labels.matches(o) && fields.matches(o));
            Ok((
                StatusCode::OK,
                json!({
                    "kind": format!("{}List", kind.kind),
                    "apiVersion": kind.api_version(),
                    "metadata": {"resourceVersion": store.current_resource_version()},
                    "items": items,
                }),
            ))
        }
        Verb::Create => store
            .create(kind, namespace, parse_body(&req.body)?, opts)
            .map(|v| (StatusCode::CREATED, v)),
        Verb::Update => store
            .replace(kind, namespace, name, parse_body(&req.body)?, opts)
            .map(|v| (StatusCode::OK, v)),
        Verb::MergePatch => store
            .merge_patch(kind, namespace, name, &parse_body(&req.body)?, opts)
            .map(|v| (StatusCode::OK, v)),
        Verb::JsonPatch => store
            .json_patch(kind, namespace, name, &parse_body(&req.body)?, opts)
            .map(|v| (StatusCode::OK, v)),
        Verb::Apply => {
            let manager = req
                .query
                .get("fieldManager")
                .filter(|m| !m.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "meta.k8s.io",
                        "PatchOptions",
                        "",
                        vec![crate::status::FieldCause {
                            reason: "FieldValueRequired".into(),
                            message: "Required value: is required for apply patch".into(),
                            field: "fieldManager".into(),
                        }],
                    )
                })?;
            let force = req.query.get("force").is_some_and(|f| f == "true");
            let (obj, created) = store.apply(
                kind,
                namespace,
                name,
                parse_body(&req.body)?,
                manager,
                force,
                opts,
            )?;
            Ok((
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                obj,
            ))
        }
        Verb::Delete => store
            .delete(kind, namespace, name, opts)
            .map(|v| (StatusCode::OK, v)),
    }
}
