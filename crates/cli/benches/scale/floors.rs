//! The floors that run inside the bench process: reading an estate's files in parallel, and a
//! minimal `kube` client loop of creates.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};

/// Reads every file `assess` reads — the dump, the key files, each folder's and each job's
/// `config.xml` — with `threads` threads (folders handed out one at a time), listing the
/// folders as it goes. Returns (seconds, bytes read).
pub fn parallel_read(estate: &Path, threads: usize) -> (f64, u64) {
    let start = Instant::now();
    let home = estate.join("jenkins_home");
    let mut bytes = read_all(&estate.join("devops.sql"), &mut Vec::new());
    for key in [
        "secrets/master.key",
        "secrets/hudson.util.Secret",
        "config.xml",
    ] {
        bytes += read_all(&home.join(key), &mut Vec::new());
    }
    let folders: Vec<PathBuf> = std::fs::read_dir(home.join("jobs"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let next = AtomicUsize::new(0);
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut buf = Vec::with_capacity(1 << 20);
                    let mut n = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(folder) = folders.get(i) else { break };
                        n += read_all(&folder.join("config.xml"), &mut buf);
                        let Ok(jobs) = std::fs::read_dir(folder.join("jobs")) else {
                            continue;
                        };
                        for job in jobs.flatten() {
                            n += read_all(&job.path().join("config.xml"), &mut buf);
                        }
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    bytes += total;
    (start.elapsed().as_secs_f64(), bytes)
}

fn read_all(path: &Path, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .map(|n| n as u64)
        .unwrap_or(0)
}

/// One object of an export tree, ready to POST.
pub struct Obj {
    resource: ApiResource,
    namespace: Option<String>,
    object: DynamicObject,
}

/// The objects of an export's `resources/` tree, grouped by project (the DevOpsProject first,
/// then Secrets, Pipelines, RoleBindings in the namespace of the same name — the order the tool
/// applies them), and the namespaces they need.
pub fn load_objects(resources: &Path) -> (Vec<Vec<Obj>>, Vec<String>) {
    let mut by_project: std::collections::BTreeMap<String, Vec<(u8, Obj)>> = Default::default();
    for path in crate::proc::files_under(resources) {
        let Ok(rel) = path.strip_prefix(resources) else {
            continue;
        };
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let (res, ns) = match parts.as_slice() {
            [res, scope, _] if scope == "cluster" => (res.clone(), None),
            [res, scope, ns, _] if scope == "namespaces" => (res.clone(), Some(ns.clone())),
            _ => continue,
        };
        let text = std::fs::read_to_string(&path).expect("read an exported object");
        let value: serde_json::Value =
            serde_saphyr::from_str(&text).expect("parse an exported object");
        let api_version = value["apiVersion"].as_str().unwrap_or("v1").to_owned();
        let (group, version) = api_version
            .split_once('/')
            .unwrap_or(("", api_version.as_str()));
        let kind = value["kind"].as_str().unwrap_or_default().to_owned();
        let plural = res.split('.').next().unwrap_or(&res).to_owned();
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, version, &kind),
            &plural,
        );
        let object: DynamicObject =
            serde_json::from_value(value).expect("an exported object as DynamicObject");
        let (project, rank) = match &ns {
            None => (object.metadata.name.clone().unwrap_or_default(), 0),
            Some(ns) => (
                ns.clone(),
                match plural.as_str() {
                    "secrets" => 1,
                    "pipelines" => 2,
                    _ => 3,
                },
            ),
        };
        by_project.entry(project).or_default().push((
            rank,
            Obj {
                resource,
                namespace: ns,
                object,
            },
        ));
    }
    let namespaces = by_project.keys().cloned().collect();
    let projects = by_project
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|(rank, _)| *rank);
            v.into_iter().map(|(_, o)| o).collect()
        })
        .collect();
    (projects, namespaces)
}

/// Creates every object with `concurrency` projects in flight (each project's objects one after
/// the other, as the tool does). Returns (seconds, objects created, failures).
pub async fn create_loop(
    client: kube::Client,
    projects: Vec<Vec<Obj>>,
    concurrency: usize,
) -> (f64, usize, usize) {
    let queue = Arc::new(Mutex::new(projects));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let queue = queue.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, 0);
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .pop();
                    let Some(project) = next else { break };
                    for o in project {
                        let api: Api<DynamicObject> = match &o.namespace {
                            Some(ns) => Api::namespaced_with(client.clone(), ns, &o.resource),
                            None => Api::all_with(client.clone(), &o.resource),
                        };
                        match api.create(&PostParams::default(), &o.object).await {
                            Ok(_) => ok += 1,
                            Err(_) => failed += 1,
                        }
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for w in workers {
        let (o, f) = w.await.unwrap_or((0, 0));
        ok += o;
        failed += f;
    }
    (start.elapsed().as_secs_f64(), ok, failed)
}
