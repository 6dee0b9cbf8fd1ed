//! Listening socket, per-connection HTTP/1 serving, the fault layer, and the test-facing handle.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::http::{header, Request, Response};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::access::{AccessDenial, RbacPolicy};
use crate::api::{self, App, Served};
use crate::controller;
use crate::crd;
use crate::faults::{FaultAction, FaultHandle};
use crate::observe::{AuthorizationRecord, Observations, RequestRecord};
use crate::options::ServerOptions;
use crate::state::{Settings, Shared};
use crate::status::ApiError;
use crate::store::{ControllerEvent, Store};

/// Error returned to hyper to make it close a connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

/// A body that yields some bytes and then fails, so hyper aborts the connection mid-body.
struct TruncatedBody {
    data: Option<Bytes>,
    failed: bool,
}

impl hyper::body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = ConnectionDropped;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if !self.failed {
            self.failed = true;
            return Poll::Ready(Some(Err(ConnectionDropped)));
        }
        Poll::Ready(None)
    }
}

/// A running test double of a Kubernetes API server on `127.0.0.1:<ephemeral port>`.
///
/// Stops when [`TestApiServer::shutdown`] is awaited or the value is dropped.
#[derive(Debug)]
pub struct TestApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
    controller_task: Option<JoinHandle<()>>,
    user: String,
    token: String,
}

impl TestApiServer {
    /// Binds `127.0.0.1:0`, installs the CRDs and namespaces from `opts`, starts serving and the controller task.
    pub async fn start(opts: ServerOptions) -> anyhow::Result<Self> {
        let mut store = Store::new();
        for (i, yaml) in opts.crd_yaml.iter().enumerate() {
            let crds = crd::parse_crds(yaml)
                .with_context(|| format!("installing CRD document #{i} of the server options"))?;
            for c in crds {
                store.install_crd(c);
            }
        }
        if let Some(workspaces) = &opts.workspaces {
            for c in crd::parse_crds(&crate::crd_schema::workspaces_crd().to_string())
                .context("installing the Workspace CRD")?
            {
                store.install_crd(c);
            }
            let kind = store
                .kind_for("tenant.kubesphere.io", "v1alpha1", "workspaces")
                .context("the workspaces type is not registered")?;
            for ws in workspaces {
                let doc = serde_json::json!({"apiVersion": "tenant.kubesphere.io/v1alpha1", "kind": "Workspace", "metadata": {"name": ws}});
                store
                    .create(&kind, None, doc, Default::default())
                    .map_err(|e| anyhow::anyhow!("creating start-up workspace {ws:?}: {e}"))?;
            }
        }
        for ns in &opts.namespaces {
            let doc = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let kind = store
                .kind_for("", "v1", "namespaces")
                .context("the namespaces type is not registered")?;
            store
                .create(&kind, None, doc, Default::default())
                .map_err(|e| anyhow::anyhow!("creating start-up namespace {ns:?}: {e}"))?;
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: FaultHandle::default(),
            observations: Mutex::new(Observations::default()),
            settings: Mutex::new(Settings::from_options(&opts)),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the test API server to 127.0.0.1:0")?;
        let addr = listener
            .local_addr()
            .context("reading the test API server's local address")?;
        let (stop, stop_rx) = watch::channel(false);
        let app = App {
            shared: shared.clone(),
            address: addr.to_string(),
        };
        let accept_task = tokio::spawn(accept_loop(listener, app, stop_rx.clone()));
        let controller_task = tokio::spawn(controller::run(shared.clone(), stop_rx));
        tracing::debug!(%addr, "test API server listening");
        Ok(Self {
            shared,
            addr,
            stop,
            accept_task: Some(accept_task),
            controller_task: Some(controller_task),
            user: opts.user,
            token: opts.token,
        })
    }

    /// How often the simulated ks-controller-manager crashed (the v3.0.0 pipeline parser
    /// panicked on the job of a Pipeline). A migration must keep this at 0.
    pub fn controller_restarts(&self) -> u64 {
        self.shared.store().controller_restarts
    }

    /// How often the simulated pipeline controller replaced a job's `config.xml` (only with
    /// [`ServerOptions::rewrite_jobs`]).
    pub fn jobs_rewritten(&self) -> u64 {
        self.shared.store().jobs_rewritten
    }

    /// Whether the simulated pipeline controller has handled the current version of every
    /// Pipeline (parsed its job, and rewritten it when asked to): nothing is left for it to do.
    pub fn pipelines_settled(&self) -> bool {
        let store = self.shared.store();
        let Some(kind) = store.kind_for(crate::crd::DEVOPS_GROUP, "v1alpha3", "pipelines") else {
            return true;
        };
        store.list_objects(&kind, None, |_| true).iter().all(|p| {
            let version = format!(
                "{}@{}",
                p.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                p.pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            );
            store.parsed_pipelines.contains(&version)
        })
    }

    /// Base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig (YAML) with cluster `test-apiserver` at [`TestApiServer::url`], a token user and current-context.
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test-apiserver\n  cluster:\n    server: {url}\ncontexts:\n- name: test-apiserver\n  context:\n    cluster: test-apiserver\n    user: {user}\n    namespace: default\ncurrent-context: test-apiserver\nusers:\n- name: {user}\n  user:\n    token: {token}\npreferences: {{}}\n",
            url = self.url(),
            user = self.user,
            token = self.token
        )
    }

    /// Handle for runtime fault injection.
    pub fn faults(&self) -> FaultHandle {
        self.shared.faults.clone()
    }

    /// Every stored object as `{"<plural>[.<group>]/[<namespace>/]<name>": object}`.
    pub fn snapshot(&self) -> Value {
        self.shared.store().snapshot()
    }

    /// Stores an object directly, bypassing validation and faults (its `apiVersion`/`kind` must be served).
    /// uid, resourceVersion and creationTimestamp are filled in. Returns the stored object.
    pub fn insert_object(&self, object: Value) -> anyhow::Result<Value> {
        self.shared
            .store()
            .insert_raw(object)
            .map_err(|e| anyhow::anyhow!("insert_object: {e}"))
    }

    /// Writes what KubeSphere's own migration Job writes ([`crate::installer_job`]) the way it
    /// did: cluster-scoped objects first, then — once the simulated controller has created each
    /// project's namespace (bounded by `timeout`) — the namespaced ones; a RoleBinding that
    /// exists is deleted and created again. Namespaced objects whose namespace did not appear
    /// are not written (the Job waited for them forever). Returns how many objects were written.
    pub async fn apply_installer_job(
        &self,
        objects: &[Value],
        timeout: Duration,
    ) -> anyhow::Result<usize> {
        let mut written = 0;
        for o in objects
            .iter()
            .filter(|o| o.pointer("/metadata/namespace").is_none())
        {
            self.insert_object(o.clone())?;
            written += 1;
        }
        let deadline = std::time::Instant::now() + timeout;
        for o in objects
            .iter()
            .filter(|o| o.pointer("/metadata/namespace").is_some())
        {
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            while self.get_object("v1", "Namespace", None, ns).is_none()
                && std::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if self.get_object("v1", "Namespace", None, ns).is_none() {
                continue;
            }
            let api_version = o["apiVersion"].as_str().unwrap_or_default();
            let kind = o["kind"].as_str().unwrap_or_default();
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if kind == "RoleBinding" {
                self.delete_object(api_version, kind, Some(ns), name);
            }
            if self.get_object(api_version, kind, Some(ns), name).is_none() {
                self.insert_object(o.clone())?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// Reads an object directly.
    pub fn get_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let store = self.shared.store();
        let k = store.kind_by_type(api_version, kind)?;
        store.get(&k, namespace, name).ok()
    }

    /// Removes an object directly (ignoring finalizers, no cascade). Returns it when it existed.
    pub fn delete_object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let mut store = self.shared.store();
        let k = store.kind_by_type(api_version, kind)?;
        store.remove_raw(&k, namespace, name)
    }

    /// Installs CRDs from YAML at runtime (e.g. after a preflight test saw them missing). Returns their names.
    pub fn install_crds_yaml(&self, yaml: &str) -> Result<Vec<String>, crd::CrdError> {
        let crds = crd::parse_crds(yaml)?;
        let mut store = self.shared.store();
        let names = crds
            .iter()
            .map(|c| format!("{}.{}", c.kind.plural, c.kind.group))
            .collect();
        for c in crds {
            store.install_crd(c);
        }
        Ok(names)
    }

    /// Installs the KubeSphere v3.0.0 DevOps CRDs at runtime.
    pub fn install_kubesphere_crds(&self) -> Result<Vec<String>, crd::CrdError> {
        let mut names = self.install_crds_yaml(&crd::devopsprojects_crd_yaml())?;
        names.extend(self.install_crds_yaml(&crd::pipelines_crd_yaml())?);
        Ok(names)
    }

    /// Removes a CRD (`<plural>.<group>`) and all its objects; false when not installed.
    pub fn uninstall_crd(&self, name: &str) -> bool {
        self.shared.store().uninstall_crd(name)
    }

    /// Turns server-side apply on or off (off answers apply patches with 415 like Kubernetes 1.15).
    pub fn set_ssa_enabled(&self, enabled: bool) {
        self.shared.settings().ssa_enabled = enabled;
    }

    /// Sets the `/version` gitVersion (None = v1.18.6 with SSA, v1.15.12 without).
    pub fn set_git_version(&self, git_version: Option<&str>) {
        self.shared.settings().git_version = git_version.map(str::to_string);
    }

    /// Sets the simulated controller's delay; None stops it from handling projects.
    pub fn set_controller_delay(&self, delay: Option<Duration>) {
        self.shared.settings().controller_delay = delay;
    }

    /// Whether the simulated controller adds the pipeline finalizer to Pipelines.
    pub fn set_pipeline_finalizer(&self, enabled: bool) {
        self.shared.settings().pipeline_finalizer = enabled;
    }

    /// Replaces the authorisation denials (requests → 403, access reviews → `allowed: false`).
    pub fn set_access_denials(&self, denials: Vec<AccessDenial>) {
        self.shared.settings().denials = denials;
    }

    /// Sets (or with None, lifts) the enforced RBAC policy.
    pub fn set_rbac(&self, policy: Option<RbacPolicy>) {
        self.shared.settings().rbac = policy;
    }

    /// Runs one controller pass now (independent of the polling task; still honours the delay).
    pub fn run_controller_once(&self) {
        controller::reconcile_once(&self.shared);
    }

    /// Events recorded by the simulated controllers.
    pub fn controller_events(&self) -> Vec<ControllerEvent> {
        self.shared.store().events.clone()
    }

    /// The request log, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.observations().requests.clone()
    }

    /// Requests served by the API logic per verb (`get`, `list`, `create`, `update`, `patch`, `apply`, `delete`).
    pub fn verb_counts(&self) -> BTreeMap<String, u64> {
        self.shared.observations().verbs.clone()
    }

    /// Every authorisation decision so far (requests and access reviews), in order.
    pub fn authorizations(&self) -> Vec<AuthorizationRecord> {
        self.shared.observations().authorizations.clone()
    }

    /// Clears the request log and the counters.
    pub fn clear_requests(&self) {
        let mut obs = self.shared.observations();
        obs.requests.clear();
        obs.verbs.clear();
    }

    /// Stops accepting, closes open connections and stops the controller.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in [self.accept_task.take(), self.controller_task.take()]
            .into_iter()
            .flatten()
        {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in [self.accept_task.take(), self.controller_task.take()]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, app: App, mut stop: watch::Receiver<bool>) {
    let router = api::router(app.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        continue;
                    }
                };
                let router = router.clone();
                let shared = app.shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        serve_one(shared.clone(), router.clone(), req)
                    });
                    if let Err(e) = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

/// Applies faults, runs the router, records the outcome.
async fn serve_one(
    shared: Arc<Shared>,
    router: axum::Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, ConnectionDropped> {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut record = RequestRecord {
        method: method.clone(),
        path: path.clone(),
        content_type,
        status: 0,
        verb: None,
        faulted: false,
    };
    let mut truncate = false;
    match shared.faults.decide(&method, &path) {
        Some(FaultAction::Status(code)) => {
            let resp = api::error_response(&ApiError::injected(code));
            record.status = resp.status().as_u16();
            record.faulted = true;
            shared.observations().record(record);
            return Ok(resp);
        }
        Some(FaultAction::DropConnection) => {
            record.faulted = true;
            shared.observations().record(record);
            return Err(ConnectionDropped);
        }
        Some(FaultAction::Delay(d)) => {
            record.faulted = true;
            tokio::time::sleep(d).await;
        }
        Some(FaultAction::TruncateBody) => {
            record.faulted = true;
            truncate = true;
        }
        None => {}
    }
    let resp = match router.oneshot(req.map(Body::new)).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let served = resp
        .extensions()
        .get::<Served>()
        .copied()
        .unwrap_or_default();
    if served.object_write && resp.status().is_success() {
        shared.faults.record_write();
    }
    record.status = resp.status().as_u16();
    record.verb = served.verb.map(str::to_string);
    shared.observations().record(record);
    if !truncate {
        return Ok(resp);
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return Err(ConnectionDropped),
    };
    let half = bytes.slice(0..bytes.len() / 2);
    if let Ok(len) = header::HeaderValue::from_str(&bytes.len().to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, len);
    }
    Ok(Response::from_parts(
        parts,
        Body::new(TruncatedBody {
            data: Some(half),
            failed: false,
        }),
    ))
}
