//! The journal: progress recorded as JSON lines in a local file (flushed and synced after each
//! object) and, when running in the cluster, mirrored per project into a ConfigMap.
//!
//! Each line is a [`JournalEntry`] `{run_id, key, digest, result, resource_version}`. On the next
//! run (a resume after a crash, or a rerun) the entries of earlier runs tell the engine which
//! objects were already done: an object whose digest is journaled as done and whose
//! resourceVersion is unchanged since is skipped without comparing (except Secrets: their digest
//! leaves the values out, so that the journal holds nothing to test password guesses against,
//! and they are always compared); an object that an earlier run
//! created (or found) and that is gone now is not recreated unless asked. A truncated last line
//! (the process was killed while writing) is ignored.
//!
//! With a [`ConfigMapMirror`] the journal also lives in the cluster (see [`crate::mirror`]): the
//! mirror ConfigMap holds one status key per project, and one ConfigMap per project holds that
//! project's latest "done" entries. A new pod (a rerun of the Job) has no local file: it loads
//! those entries at the start of the run ([`crate::apply_plan`] does), so it resumes, and protects
//! objects deleted since, exactly like a local rerun. On a key known to both, the local file wins:
//! it is written after every object, the mirror only every few objects and at each project's end,
//! so for the same history the local entry is never the older one (and an older entry only costs a
//! comparison: its resourceVersion no longer matches).

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::JournalError;
use crate::report::Action;

/// One journaled object result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The run that wrote the line.
    pub run_id: String,
    /// Object key.
    pub key: String,
    /// SHA-256 of the desired object (without provenance; for a Secret without its values, see
    /// [`crate::DesiredObject::digest`]).
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
        matches!(
            self.result,
            Action::Create | Action::Update | Action::Unchanged
        )
    }
}

/// Where the progress is mirrored in the cluster: ConfigMap `name` (per-project status) and the
/// per-project entry ConfigMaps named after it (see [`crate::mirror`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMapMirror {
    /// Namespace of the ConfigMaps (must exist).
    pub namespace: String,
    /// Name of the status ConfigMap, and the base of the per-project ConfigMaps' names.
    pub name: String,
}

/// This run's "done" entries of one project, kept for the ConfigMap mirror.
#[derive(Debug, Default)]
struct ProjectEntries {
    /// Latest done entry per key.
    done: BTreeMap<String, JournalEntry>,
    /// Entries recorded since the project was last written to the mirror.
    unflushed: usize,
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
    /// Done entries of earlier runs loaded from the mirror (filled once per run).
    mirrored: RwLock<HashMap<String, JournalEntry>>,
    /// This run's entries per project, for the mirror.
    this_run: Mutex<HashMap<String, ProjectEntries>>,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and loads the entries of earlier runs.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
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
                    Err(e) => {
                        tracing::warn!(journal = %path.display(), line = n + 1, error = %e, "ignoring an unreadable journal line (an interrupted write?)")
                    }
                }
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        // A line cut short by a crash must not glue onto the next entry.
        if std::fs::metadata(path)
            .map(|m| m.len() > 0)
            .unwrap_or(false)
        {
            let ends_with_newline = std::fs::read(path)
                .map(|b| b.last() == Some(&b'\n'))
                .unwrap_or(true);
            if !ends_with_newline {
                file.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            last_done,
            earlier_lines,
            mirror: None,
            mirrored: RwLock::new(HashMap::new()),
            this_run: Mutex::new(HashMap::new()),
        })
    }

    /// Also mirrors the progress into ConfigMaps (and reads earlier runs' entries back from them).
    pub fn with_configmap_mirror(mut self, mirror: ConfigMapMirror) -> Self {
        self.mirror = Some(mirror);
        self
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries read from earlier runs in the local file.
    pub fn earlier_entries(&self) -> usize {
        self.earlier_lines
    }

    /// Done entries of earlier runs loaded from the ConfigMap mirror.
    pub fn mirrored_entries(&self) -> usize {
        self.mirrored
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The latest "done" entry of an earlier run for `key`: the local file's, else the mirror's.
    pub fn last_done(&self, key: &str) -> Option<JournalEntry> {
        if let Some(entry) = self.last_done.get(key) {
            return Some(entry.clone());
        }
        self.mirrored
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Adds done entries of earlier runs read from the mirror (not-done entries are ignored; a
    /// later entry for the same key replaces an earlier one).
    pub fn add_mirrored(&self, entries: impl IntoIterator<Item = JournalEntry>) {
        let mut map = self
            .mirrored
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for entry in entries.into_iter().filter(JournalEntry::is_done) {
            map.insert(entry.key.clone(), entry);
        }
    }

    /// Appends one entry of `project` (flushed and synced to disk) and, with a mirror, keeps it
    /// for the project's entry ConfigMap. Returns the number of the project's entries recorded
    /// since its last mirror write.
    pub fn record_in_project(
        &self,
        project: &str,
        entry: &JournalEntry,
    ) -> Result<usize, JournalError> {
        self.record(entry)?;
        if self.mirror.is_none() {
            return Ok(0);
        }
        let mut this_run = self.this_run.lock().unwrap_or_else(PoisonError::into_inner);
        let pe = this_run.entry(project.to_string()).or_default();
        pe.unflushed += 1;
        if entry.is_done() {
            pe.done.insert(entry.key.clone(), entry.clone());
        }
        Ok(pe.unflushed)
    }

    /// This run's done entries of `project` (latest per key), marking them as written to the mirror.
    pub(crate) fn take_unflushed(&self, project: &str) -> Vec<JournalEntry> {
        let mut this_run = self.this_run.lock().unwrap_or_else(PoisonError::into_inner);
        match this_run.get_mut(project) {
            Some(pe) => {
                pe.unflushed = 0;
                pe.done.values().cloned().collect()
            }
            None => Vec::new(),
        }
    }

    /// Appends one entry, flushed and synced to disk.
    pub fn record(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(entry).map_err(|e| JournalError::Serialise {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        file.write_all(line.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// The ConfigMap mirror, if configured.
    pub fn mirror(&self) -> Option<&ConfigMapMirror> {
        self.mirror.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, result: Action) -> JournalEntry {
        JournalEntry {
            run_id: "r1".into(),
            key: key.into(),
            digest: "d".into(),
            result,
            resource_version: Some("7".into()),
        }
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
        f.write_all(b"{\"run_id\":\"r1\",\"key\":\"Secret/p/c\",\"dig")
            .unwrap();
        drop(f);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.earlier_entries(), 2);
        assert_eq!(
            j.last_done("Secret/p/a").and_then(|e| e.resource_version),
            Some("7".to_string())
        );
        assert!(j.last_done("Secret/p/b").is_none(), "failed is not done");
        assert!(j.last_done("Secret/p/c").is_none());
        j.record(&entry("Secret/p/c", Action::Unchanged)).unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert!(
            j.last_done("Secret/p/c").is_some(),
            "the entry after the torn line is readable"
        );
    }

    #[test]
    fn mirrored_entries_fill_gaps_and_the_local_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let j = Journal::open(&path).unwrap();
        j.record(&entry("Secret/p/a", Action::Create)).unwrap();
        drop(j);
        let j = Journal::open(&path)
            .unwrap()
            .with_configmap_mirror(ConfigMapMirror {
                namespace: "ns".into(),
                name: "cm".into(),
            });
        let mut from_cluster = entry("Secret/p/a", Action::Update);
        from_cluster.run_id = "r0".into();
        j.add_mirrored([
            from_cluster,
            entry("Secret/p/b", Action::Unchanged),
            entry("Secret/p/c", Action::Failed),
        ]);
        assert_eq!(j.mirrored_entries(), 2, "a failed entry is not done");
        assert_eq!(
            j.last_done("Secret/p/a").map(|e| e.run_id),
            Some("r1".to_string()),
            "the local file wins"
        );
        assert_eq!(
            j.last_done("Secret/p/b").map(|e| e.result),
            Some(Action::Unchanged)
        );
        assert!(j.last_done("Secret/p/c").is_none());
        // This run's entries are kept per project for the mirror; only done ones are mirrored.
        assert_eq!(
            j.record_in_project("p", &entry("Secret/p/d", Action::Create))
                .unwrap(),
            1
        );
        assert_eq!(
            j.record_in_project("p", &entry("Secret/p/e", Action::Failed))
                .unwrap(),
            2
        );
        let taken = j.take_unflushed("p");
        assert_eq!(
            taken.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["Secret/p/d"]
        );
        assert_eq!(
            j.record_in_project("p", &entry("Secret/p/f", Action::Create))
                .unwrap(),
            1,
            "the counter restarts"
        );
        assert_eq!(
            j.take_unflushed("p").len(),
            2,
            "every done entry of the run is written each time"
        );
        assert!(
            j.last_done("Secret/p/d").is_none(),
            "this run's entries are not an earlier run's"
        );
    }
}
