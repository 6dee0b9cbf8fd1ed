//! Helpers for the CLI tests that run the real binary against the Kubernetes API test double
//! (`ksdm-test-apiserver`): a server plus a kubeconfig file plus a private working directory,
//! running the binary off the async runtime (so the in-process server keeps serving) with a
//! deadline, and snapshot/tree utilities.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ksdm_test_apiserver::{RequestRecord, ServerOptions, TestApiServer};
use serde_json::Value;

/// Label the tool puts on every object it writes.
pub const RUN_ID_LABEL: &str = "ks-devops-migrate.kubesphere.io/run-id";
/// Annotation the tool must never put on a Secret.
pub const AUTOSYNC: &str = "credential.devops.kubesphere.io/autosync";
/// Project of the sample that holds the corrupt config.xml; excluding it makes a clean run exit 0.
pub const BROKEN_PROJECT: &str = "id:project-W4zNlwJLzgRB";
/// The longest any single binary run may take in these tests.
pub const RUN_DEADLINE: Duration = Duration::from_secs(90);
/// Folder (inside the working directory) the `migrate`/`plan`/`verify` default `--out` points at.
pub const OUT: &str = "ks-devops-migrate-out";
/// Default backup store folder (inside the working directory).
pub const STORE: &str = "ks-devops-backups";

/// The default server for the CLI tests: KubeSphere CRDs, controller acting after 100 ms.
pub fn default_options() -> ServerOptions {
    ServerOptions::default()
        .with_kubesphere_crds()
        .with_controller_delay(Some(Duration::from_millis(100)))
}

/// A running test double, its kubeconfig file, and a working directory for the binary.
pub struct Harness {
    /// The server.
    pub server: TestApiServer,
    /// Working directory (also holds the kubeconfig).
    pub dir: tempfile::TempDir,
    /// The kubeconfig file for `--kubeconfig`.
    pub kubeconfig: PathBuf,
}

impl Harness {
    /// Starts a server with `opts` and writes its kubeconfig.
    pub async fn start(opts: ServerOptions) -> Harness {
        let server = TestApiServer::start(opts)
            .await
            .expect("start the test API server");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig.yaml");
        std::fs::write(&kubeconfig, server.kubeconfig_yaml()).expect("write kubeconfig");
        Harness {
            server,
            dir,
            kubeconfig,
        }
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--kubeconfig` value.
    pub fn kc(&self) -> String {
        self.kubeconfig.display().to_string()
    }

    /// The output folder of `migrate`/`plan`/`verify` (default `--out`).
    pub fn out(&self) -> PathBuf {
        self.path().join(OUT)
    }

    /// Runs the binary in the working directory (see [`run_in`]).
    pub async fn run(&self, args: &[&str]) -> Output {
        run_in(self.path(), args, &[]).await
    }

    /// Runs the binary with extra environment variables.
    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        run_in(self.path(), args, env).await
    }

    /// Every request that wrote an object (or tried to), excluding access reviews.
    pub fn write_requests(&self) -> Vec<RequestRecord> {
        write_requests(&self.server.requests())
    }

    /// The single backup run in the default store (panics unless exactly one exists).
    pub fn only_run(&self) -> String {
        let runs = backup_runs(self.path());
        assert_eq!(runs.len(), 1, "expected one backup run, found {runs:?}");
        runs.into_iter().next().unwrap_or_default()
    }
}

/// Backup run folders in `<dir>/ks-devops-backups`, sorted.
pub fn backup_runs(dir: &Path) -> Vec<String> {
    let store = dir.join(STORE);
    let Ok(rd) = std::fs::read_dir(&store) else {
        return Vec::new();
    };
    let mut runs: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    runs.sort();
    runs
}

/// Requests with a write method, excluding SelfSubjectAccessReviews (a read in disguise) and the
/// tool's own journal ConfigMaps (every cluster run keeps its journal there).
pub fn write_requests(requests: &[RequestRecord]) -> Vec<RequestRecord> {
    requests
        .iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
        .filter(|r| !r.path.contains("selfsubjectaccessreviews"))
        .filter(|r| !r.path.contains("/configmaps/ks-devops-migrate-journal"))
        .cloned()
        .collect()
}

/// Runs the binary with `--no-progress` and `args` in `dir`, off the async runtime, with a clean
/// environment for the variables the tool reads, plus `env`. Panics after [`RUN_DEADLINE`].
pub async fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || run_blocking(&dir, &args, &env))
        .await
        .expect("join the binary run")
}

/// The blocking part of [`run_in`].
pub fn run_blocking(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"));
    cmd.arg("--no-progress").args(args).current_dir(dir);
    for var in [
        "KSDM_LOG",
        "KUBECONFIG",
        "KSDM_BACKUP_PASSPHRASE",
        "KUBERNETES_SERVICE_HOST",
        "KSDM_JOURNAL_CONFIGMAP",
        "JOB_COMPLETION_INDEX",
        "POD_NAMESPACE",
        "MYSQL_PWD",
        "JENKINS_API_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ks-devops-migrate");
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ks-devops-migrate") {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ks-devops-migrate {args:?} did not finish within {RUN_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// stdout and stderr as text.
pub fn texts(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Both streams, for assertion messages.
pub fn show(o: &Output) -> String {
    let (out, err) = texts(o);
    format!(
        "exit {:?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
        o.status.code()
    )
}

/// Every file under `dir`, relative, sorted (a missing folder has none).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The snapshot keys (`<resource>/[<ns>/]<name>`) of every object file in an export `resources/` tree.
pub fn tree_keys(resources: &Path) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for rel in files(resources) {
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let file = parts.last().cloned().unwrap_or_default();
        let Some(name) = file.strip_suffix(".yaml") else {
            continue;
        };
        match parts.as_slice() {
            [res, scope, _] if scope == "cluster" => keys.insert(format!("{res}/{name}")),
            [res, scope, ns, _] if scope == "namespaces" => {
                keys.insert(format!("{res}/{ns}/{name}"))
            }
            other => panic!("unexpected file in the export tree: {other:?}"),
        };
    }
    keys
}

/// Parses one YAML file of the export tree.
pub fn tree_object(resources: &Path, key: &str) -> Value {
    let parts: Vec<&str> = key.split('/').collect();
    let path = match parts.as_slice() {
        [res, name] => resources
            .join(res)
            .join("cluster")
            .join(format!("{name}.yaml")),
        [res, ns, name] => resources
            .join(res)
            .join("namespaces")
            .join(ns)
            .join(format!("{name}.yaml")),
        _ => panic!("bad key {key}"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The snapshot's keys of one resource (e.g. `secrets`), optionally only in namespaces with `ns_prefix`.
pub fn snapshot_keys(snapshot: &Value, resource_prefix: &str) -> BTreeSet<String> {
    snapshot
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| k.starts_with(resource_prefix))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A snapshot without what differs between two equivalent runs: uid, resourceVersion,
/// creationTimestamp, managedFields, the run-id label, and ownerReference uids.
pub fn normalized(snapshot: &Value) -> Value {
    let mut s = snapshot.clone();
    if let Some(m) = s.as_object_mut() {
        // The tool's own journal ConfigMaps change with every run.
        m.retain(|k, _| !k.contains("/ks-devops-migrate-journal"));
        for obj in m.values_mut() {
            let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
                continue;
            };
            for f in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "managedFields",
            ] {
                meta.remove(f);
            }
            if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                labels.remove(RUN_ID_LABEL);
            }
            if let Some(refs) = meta
                .get_mut("ownerReferences")
                .and_then(Value::as_array_mut)
            {
                for r in refs {
                    if let Some(r) = r.as_object_mut() {
                        r.remove("uid");
                    }
                }
            }
        }
    }
    s
}

/// The first differing key between two normalized snapshots, for a readable failure.
pub fn first_difference(a: &Value, b: &Value) -> Option<String> {
    let (am, bm) = (a.as_object()?, b.as_object()?);
    for k in am.keys().chain(bm.keys()) {
        if am.get(k) != bm.get(k) {
            return Some(format!(
                "{k}:\n  left:  {}\n  right: {}",
                am.get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "<absent>".into()),
                bm.get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "<absent>".into())
            ));
        }
    }
    None
}

/// Polls `cond` every 10 ms until it holds or `timeout` passes; returns whether it held.
pub async fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
