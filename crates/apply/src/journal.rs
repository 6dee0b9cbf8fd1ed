//! The journal: progress recorded as JSON lines in a local file (flushed and synced after each
//! object) and, when running in the cluster, mirrored per project into a ConfigMap.
//!
//! Each line is a [`JournalEntry`] `{run_id, key, digest, result, resource_version}`. On the next
//! run (a resume after a crash, or a rerun) the entries of earlier runs tell the engine which
//! objects were already done: an object whose digest is journaled as done and whose
//! resourceVersion is unchanged since is skipped without comparing; an object that an earlier run
//! created (or found) and that is gone now is not recreated unless asked. A truncated last line
//! (the process was killed while writing) is ignored.
//!
//! The ConfigMap holds one key per project (`{run_id, status, message}` as JSON), so its size
//! grows with the number of projects, not objects.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::error::{ClusterError, JournalError};
use crate::report::{Action, ProjectResult};

/// One journaled object result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The run that wrote the line.
    pub run_id: String,
    /// Object key.
    pub key: String,
    /// SHA-256 of the desired object (without provenance).
    pub digest: String,
    /// What happened.
    pub result: Action,
    /// resourceVersion of the object after this run's step, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

impl JournalEntry {
    /// Created, updated or found unchanged: the object was in the desired state.
    pub fn is_done(&self) -> bool {
        matches!(self.result, Action::Create | Action::Update | Action::Unchanged)
    }
}

/// Where the per-project progress is mirrored in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMapMirror {
    /// Namespace of the ConfigMap (must exist).
    pub namespace: String,
    /// Name of the ConfigMap.
    pub name: String,
}

/// Whether the process runs in a Kubernetes pod (`KUBERNETES_SERVICE_HOST` is set).
pub fn running_in_cluster() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some_and(|v| !v.is_empty())
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    last_done: HashMap<String, JournalEntry>,
    earlier_lines: usize,
    mirror: Option<ConfigMapMirror>,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and loads the entries of earlier runs.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io { path: path.to_path_buf(), source };
        let mut last_done = HashMap::new();
        let mut earlier_lines = 0;
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(io)?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<JournalEntry>(&line) {
                    Ok(entry) => {
                        earlier_lines += 1;
                        if entry.is_done() {
                            last_done.insert(entry.key.clone(), entry);
                        }
                    }
                    Err(e) => tracing::warn!(journal = %path.display(), line = n + 1, error = %e, "ignoring an unreadable journal line (an interrupted write?)"),
                }
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        // A line cut short by a crash must not glue onto the next entry.
        if std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false) {
            let ends_with_newline = std::fs::read(path).map(|b| b.last() == Some(&b'\n')).unwrap_or(true);
            if !ends_with_newline {
                file.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(Journal { path: path.to_path_buf(), file: Mutex::new(file), last_done, earlier_lines, mirror: None })
    }

    /// Also mirrors per-project progress into a ConfigMap.
    pub fn with_configmap_mirror(mut self, mirror: ConfigMapMirror) -> Self {
        self.mirror = Some(mirror);
        self
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries read from earlier runs.
    pub fn earlier_entries(&self) -> usize {
        self.earlier_lines
    }

    /// The latest "done" entry of an earlier run for `key`.
    pub fn last_done(&self, key: &str) -> Option<&JournalEntry> {
        self.last_done.get(key)
    }

    /// Appends one entry, flushed and synced to disk.
    pub fn record(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(entry).map_err(|e| JournalError::Serialise { path: self.path.clone(), message: e.to_string() })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let io = |source| JournalError::Io { path: self.path.clone(), source };
        file.write_all(line.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// The ConfigMap mirror, if configured.
    pub fn mirror(&self) -> Option<&ConfigMapMirror> {
        self.mirror.as_ref()
    }
}

/// The JSON stored per project in the ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirroredProject {
    /// Run id.
    pub run_id: String,
    /// The project's result.
    #[serde(flatten)]
    pub result: ProjectResult,
}

/// Writes one project's result into the mirror ConfigMap (create or get + replace, bounded retries on 409).
pub async fn mirror_project(cluster: &Cluster, mirror: &ConfigMapMirror, run_id: &str, result: &ProjectResult) -> Result<(), ClusterError> {
    let api: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), &mirror.namespace);
    let value = serde_json::to_string(&MirroredProject { run_id: run_id.to_string(), result: result.clone() })
        .map_err(|e| ClusterError::Other(e.to_string()))?;
    let key = format!("project.{}", result.project);
    let pp = PostParams::default();
    let mut last = ClusterError::Other("no attempt".into());
    for _ in 0..5 {
        let existing = cluster.retry().run("get configmap", || api.get_opt(&mirror.name)).await?;
        let outcome = match existing {
            None => {
                let mut cm = ConfigMap::default();
                cm.metadata.name = Some(mirror.name.clone());
                cm.data = Some([("run-id".to_string(), run_id.to_string()), (key.clone(), value.clone())].into());
                cluster.retry().run("create configmap", || api.create(&pp, &cm)).await.map(|_| ())
            }
            Some(mut cm) => {
                let data = cm.data.get_or_insert_with(Default::default);
                data.insert("run-id".into(), run_id.to_string());
                data.insert(key.clone(), value.clone());
                cluster.retry().run("replace configmap", || api.replace(&mirror.name, &pp, &cm)).await.map(|_| ())
            }
        };
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) if e.is_conflict() || e.is_already_exists() => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, result: Action) -> JournalEntry {
        JournalEntry { run_id: "r1".into(), key: key.into(), digest: "d".into(), result, resource_version: Some("7".into()) }
    }

    #[test]
    fn entries_survive_reopen_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/journal.jsonl");
        let j = Journal::open(&path).unwrap();
        j.record(&entry("Secret/p/a", Action::Create)).unwrap();
        j.record(&entry("Secret/p/b", Action::Failed)).unwrap();
        drop(j);
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"run_id\":\"r1\",\"key\":\"Secret/p/c\",\"dig").unwrap();
        drop(f);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.earlier_entries(), 2);
        assert_eq!(j.last_done("Secret/p/a").map(|e| e.resource_version.as_deref()), Some(Some("7")));
        assert!(j.last_done("Secret/p/b").is_none(), "failed is not done");
        assert!(j.last_done("Secret/p/c").is_none());
        j.record(&entry("Secret/p/c", Action::Unchanged)).unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert!(j.last_done("Secret/p/c").is_some(), "the entry after the torn line is readable");
    }
}
