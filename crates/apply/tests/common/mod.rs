//! Shared helpers: a hand-made export tree, a test API server, fast options.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use ksdm_apply::{connect_with_kubeconfig_yaml, ApplyOptions, NamespaceWait, RetryPolicy, RunId};
use ksdm_test_apiserver::{ServerOptions, TestApiServer};
use serde_json::{json, Value};

/// Base64 of `s`.
pub fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn write(dir: &Path, rel: &str, doc: &Value) {
    let path = dir.join("resources").join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_saphyr_like(doc)).unwrap();
}

/// JSON is valid YAML: write the documents as pretty JSON (the reader parses YAML).
fn serde_saphyr_like(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap()
}

/// Writes a DevOpsProject.
pub fn project(dir: &Path, name: &str, workspace: &str) {
    write(
        dir,
        &format!("devopsprojects.devops.kubesphere.io/cluster/{name}.yaml"),
        &json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "DevOpsProject",
            "metadata": {"name": name, "generateName": format!("{name}-display"),
                "labels": {"kubesphere.io/workspace": workspace},
                "annotations": {"kubesphere.io/creator": "admin", "kubesphere.io/description": "migrated"},
                "finalizers": ["devopsproject.finalizers.kubesphere.io"]}}),
    );
}

/// Writes a basic-auth Secret with real values.
pub fn secret(dir: &Path, ns: &str, name: &str, password: &str) {
    write(
        dir,
        &format!("secrets/namespaces/{ns}/{name}.yaml"),
        &json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": name},
                "annotations": {"kubesphere.io/creator": "admin"}},
            "type": "credential.devops.kubesphere.io/basic-auth",
            "data": {"username": b64("admin"), "password": b64(password)}}),
    );
}

/// Writes a placeholder secret-text Secret (empty value), carrying an autosync annotation that must be stripped.
pub fn placeholder_secret(dir: &Path, ns: &str, name: &str) {
    write(
        dir,
        &format!("secrets/namespaces/{ns}/{name}.yaml"),
        &json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": name},
                "annotations": {"credential.devops.kubesphere.io/autosync": "true"}},
            "type": "credential.devops.kubesphere.io/secret-text",
            "data": {"secret": ""}}),
    );
}

/// Writes a plain Pipeline.
pub fn pipeline(dir: &Path, ns: &str, name: &str, script: &str) {
    write(
        dir,
        &format!("pipelines.devops.kubesphere.io/namespaces/{ns}/{name}.yaml"),
        &json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
            "metadata": {"name": name, "namespace": ns, "annotations": {"kubesphere.io/creator": "admin"}},
            "spec": {"type": "pipeline", "pipeline": {"name": name, "disable_concurrent": true, "jenkinsfile": script}},
            "status": {}}),
    );
}

/// Writes a multi-branch Pipeline.
pub fn mb_pipeline(dir: &Path, ns: &str, name: &str) {
    write(
        dir,
        &format!("pipelines.devops.kubesphere.io/namespaces/{ns}/{name}.yaml"),
        &json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "multi-branch-pipeline", "multi_branch_pipeline": {"name": name, "source_type": "git",
                "script_path": "Jenkinsfile", "git_source": {"url": "https://example.invalid/r.git", "credential_id": "git-cred"}}}}),
    );
}

/// Writes a RoleBinding `<user>-<role>`.
pub fn role_binding(dir: &Path, ns: &str, user: &str, role: &str) {
    let name = format!("{user}-{role}");
    write(
        dir,
        &format!("rolebindings.rbac.authorization.k8s.io/namespaces/{ns}/{name}.yaml"),
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns, "labels": {"iam.kubesphere.io/user-ref": user}},
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role}}),
    );
}

/// The standard estate: p1 (2 secrets, 2 pipelines, 2 bindings) and p2 (1 of each): 11 objects.
pub fn standard_tree(dir: &Path) {
    project(dir, "p1", "ws1");
    secret(dir, "p1", "git-cred", "s3cret-pass");
    placeholder_secret(dir, "p1", "token");
    pipeline(
        dir,
        "p1",
        "build",
        "pipeline {\n  agent any\n  // null is kept\n}\n",
    );
    mb_pipeline(dir, "p1", "mb");
    role_binding(dir, "p1", "alice", "operator");
    role_binding(dir, "p1", "bob", "viewer");
    project(dir, "p2", "ws1");
    secret(dir, "p2", "deploy", "hunter2");
    pipeline(dir, "p2", "release", "echo release\n");
    role_binding(dir, "p2", "carol", "admin");
}

/// Number of objects in [`standard_tree`].
pub const STANDARD_OBJECTS: usize = 11;

/// Starts a server with the KubeSphere CRDs, workspace `ws1` and the controller acting after 30 ms.
pub async fn start() -> TestApiServer {
    start_with(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_workspaces(&["ws1"])
            .with_controller_delay(Some(Duration::from_millis(30))),
    )
    .await
}

/// Starts a server with `opts`.
pub async fn start_with(opts: ServerOptions) -> TestApiServer {
    ksdm_apply::install_crypto_provider();
    TestApiServer::start(opts)
        .await
        .expect("test API server starts")
}

/// A client for `server` (kube's retry off).
pub async fn client(server: &TestApiServer) -> kube::Client {
    connect_with_kubeconfig_yaml(&server.kubeconfig_yaml())
        .await
        .expect("client")
}

/// Fast retry policy for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        retry_after_cap: Duration::from_millis(300),
        request_timeout: Duration::from_secs(2),
    }
}

/// Fast options with run id `run`.
pub fn options(run: &str) -> ApplyOptions {
    let mut o = ApplyOptions::new(RunId::parse(run).unwrap(), "0.1.0-test");
    o.retry = fast_retry();
    o.namespace_wait = NamespaceWait {
        timeout: Duration::from_secs(5),
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(50),
    };
    o
}

/// Runs `fut` with a hard 30 s limit.
pub async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 30 s"))
}

/// Counts of write verbs served (create, update, patch, apply, delete).
pub fn writes(server: &TestApiServer) -> u64 {
    let counts = server.verb_counts();
    ["create", "update", "patch", "apply", "delete"]
        .iter()
        .map(|v| counts.get(*v).copied().unwrap_or(0))
        .sum()
}

/// The snapshot of the objects this tool manages, without volatile fields (uid, resourceVersion,
/// timestamps, run ids, managedFields, owner uids).
pub fn normalized(server: &TestApiServer) -> Value {
    let snap = server.snapshot();
    let mut out = serde_json::Map::new();
    for (k, v) in snap.as_object().unwrap() {
        if !(k.starts_with("devopsprojects")
            || k.starts_with("pipelines")
            || k.starts_with("secrets")
            || k.starts_with("rolebindings")
            || k.starts_with("namespaces/p"))
        {
            continue;
        }
        let mut v = v.clone();
        let meta = v
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .unwrap();
        for f in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "generation",
        ] {
            meta.remove(f);
        }
        if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
            if labels.contains_key(ksdm_apply::RUN_ID_LABEL) {
                labels.insert(ksdm_apply::RUN_ID_LABEL.into(), json!("<run>"));
            }
        }
        if let Some(refs) = meta
            .get_mut("ownerReferences")
            .and_then(Value::as_array_mut)
        {
            for r in refs {
                r.as_object_mut().unwrap().remove("uid");
            }
        }
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}
