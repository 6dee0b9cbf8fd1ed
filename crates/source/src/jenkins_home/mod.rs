//! Reader of a `JENKINS_HOME`: a directory, or a `.tar`/`.tar.gz`/`.tgz` of one, streamed.
//!
//! Only these files are read: `secrets/master.key`, `secrets/hudson.util.Secret`,
//! `jobs/<item>/config.xml` and `jobs/<item>/jobs/<child>/config.xml` (plus any single file
//! asked for with [`JenkinsHome::read_file`]). Everything else (`builds/`, multibranch
//! `branches/`, `indexing/`, workspaces, deeper nesting) is skipped without being read.
//!
//! Archives are never unpacked to disk and never held in memory as a whole:
//! * gzip is detected by its magic bytes (any extension); plain tar by the `.tar` extension or
//!   the `ustar` magic;
//! * the root is the directory holding `jobs/<item>/config.xml` (or `secrets/master.key`), so
//!   leading components such as `./` or `jenkins_home/` are found; it is the first such
//!   directory in archive order whose path has no `jobs`/`secrets` component (so
//!   `config-history/jobs/…` of the JobConfigHistory plugin is not mistaken for it);
//! * [`JenkinsHome::folders`] on an archive does a header-only pass first (seeking over data
//!   for a plain `.tar`; a decompressing read for gzip; shared with and cached by
//!   [`JenkinsHome::folder_names`]) that records, per top-level item, the position of its last
//!   `config.xml` entry. The second, streaming pass yields each item right after that entry.
//!   For the usual archive (entries of a directory are contiguous) this means one item in
//!   memory at a time; for archives whose entries are not contiguous (e.g. made from a file list
//!   such as `jobs/*/config.xml jobs/*/jobs/*/config.xml`) the small `config.xml` files of the
//!   items not yet complete are buffered, so items are still merged correctly.
//!
//! Items are yielded in name order for a directory and in archive order for a tar; child jobs
//! are always in name order. A later tar entry for the same path replaces an earlier one (as
//! `tar -x` does).

mod archive;
mod dir;
mod paths;

use archive::*;
use dir::*;
use paths::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ksdm_model::limits::{human_size, MAX_JENKINS_FILE_BYTES, MAX_KEY_FILE_BYTES};
use ksdm_model::v21::{JenkinsFolder, JenkinsKeys, RefusedFile};

/// Why a Jenkins home (or a file in it) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// The path does not exist or cannot be opened.
    #[error("cannot open Jenkins home {path}: {source}")]
    Open {
        /// The home directory or archive.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The path is readable but does not look like a Jenkins home.
    #[error("{path} is not a Jenkins home: {reason}")]
    NotJenkinsHome {
        /// The directory or archive.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A file of a home directory cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The archive is corrupt, truncated or cannot be read.
    #[error("cannot read archive {archive}: {reason}")]
    Archive {
        /// The archive file.
        archive: PathBuf,
        /// What went wrong, naming the entry where known.
        reason: String,
    },
    /// A file the tool needs as a whole (a key file, or one asked for with
    /// [`JenkinsHome::read_file`]) is over its size limit or is not a regular file.
    #[error("cannot use {path}: {reason}")]
    Refused {
        /// The file (a path in the home, or `archive!entry`).
        path: String,
        /// Why (names the limit or the entry type).
        reason: String,
    },
    /// A relative path given to [`JenkinsHome::read_file`] is not acceptable.
    #[error("invalid path {rel:?} inside the Jenkins home: {reason}")]
    InvalidPath {
        /// The path as given.
        rel: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// A `JENKINS_HOME` directory or archive, opened for reading.
pub struct JenkinsHome {
    source: Source,
    /// Header index of an archive, computed once on demand.
    index: Mutex<Option<Arc<TarIndex>>>,
}

impl std::fmt::Debug for JenkinsHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsHome")
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Clone)]
enum Source {
    Dir(PathBuf),
    Tar(TarSource),
}

impl JenkinsHome {
    /// Opens a home directory or a `.tar`, `.tar.gz` or `.tgz` of one. For an archive this reads
    /// entry headers until the home's root is found.
    pub fn open(path: &Path) -> Result<Self, HomeError> {
        let meta = std::fs::metadata(path).map_err(|source| HomeError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let source = if meta.is_dir() {
            let markers = ["jobs", "secrets", "config.xml"];
            if !markers.iter().any(|m| path.join(m).exists()) {
                return Err(HomeError::NotJenkinsHome {
                    path: path.to_path_buf(),
                    reason: "it has no jobs/, secrets/ or config.xml".into(),
                });
            }
            Source::Dir(path.to_path_buf())
        } else {
            Source::Tar(open_archive(path)?)
        };
        Ok(Self {
            source,
            index: Mutex::new(None),
        })
    }

    /// Reads `secrets/master.key` and `secrets/hudson.util.Secret` (each `None` when absent).
    /// For an archive: one pass that reads only these two entries and stops once both are found.
    pub fn keys(&self) -> Result<JenkinsKeys, HomeError> {
        match &self.source {
            Source::Dir(root) => Ok(JenkinsKeys {
                master_key: read_needed(&root.join(MASTER_KEY), MAX_KEY_FILE_BYTES)?,
                hudson_util_secret: read_needed(&root.join(HUDSON_SECRET), MAX_KEY_FILE_BYTES)?,
            }),
            Source::Tar(t) => {
                let mut keys = JenkinsKeys::default();
                t.for_each(false, |_, rel, entry, size, kind| {
                    match classify(rel) {
                        Rel::MasterKey => {
                            keys.master_key =
                                Some(t.read_needed(rel, entry, size, kind, MAX_KEY_FILE_BYTES)?)
                        }
                        Rel::HudsonSecret => {
                            keys.hudson_util_secret =
                                Some(t.read_needed(rel, entry, size, kind, MAX_KEY_FILE_BYTES)?)
                        }
                        _ => {}
                    }
                    Ok(keys.master_key.is_none() || keys.hudson_util_secret.is_none())
                })?;
                Ok(keys)
            }
        }
    }

    /// Names of the top-level items under `jobs/` (project folders and others such as
    /// `init-job`), sorted. Directory: a `read_dir`; archive: a header-only pass (cached).
    pub fn folder_names(&self) -> Result<Vec<String>, HomeError> {
        match &self.source {
            Source::Dir(root) => list_dirs(&root.join("jobs")),
            Source::Tar(_) => Ok(self.tar_index()?.names.iter().cloned().collect()),
        }
    }

    /// Streams the top-level items one at a time with their `config.xml` and their child items'
    /// `config.xml` (see the module documentation for the archive strategy). A failure to read
    /// one item is an `Err` item for it (directory) or ends the stream with an `Err` (archive).
    pub fn folders(
        &self,
    ) -> Result<Box<dyn Iterator<Item = Result<JenkinsFolder, HomeError>> + Send + '_>, HomeError>
    {
        match &self.source {
            Source::Dir(root) => {
                let names = list_dirs(&root.join("jobs"))?;
                let root = root.clone();
                Ok(Box::new(
                    names
                        .into_iter()
                        .map(move |name| read_dir_folder(&root, name)),
                ))
            }
            Source::Tar(t) => {
                let index = self.tar_index()?;
                let t = t.clone();
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                std::thread::Builder::new()
                    .name("ksdm-jenkins-tar".into())
                    .spawn(move || t.stream(&index, &tx))
                    .map_err(|e| HomeError::Archive {
                        archive: self.archive_path(),
                        reason: format!("cannot start the reader thread: {e}"),
                    })?;
                Ok(Box::new(rx.into_iter()))
            }
        }
    }

    /// True for a `.tar`/`.tar.gz` home (read as one stream), false for a directory.
    pub fn is_archive(&self) -> bool {
        matches!(self.source, Source::Tar(_))
    }

    /// Reads one top-level item of a home *directory* by name (as [`JenkinsHome::folders`]
    /// yields it). An unreadable child job is listed in
    /// [`JenkinsFolder::unreadable_jobs`]; an unreadable folder `config.xml` or job list is an
    /// error. For an archive this is an error: archives are read as one stream.
    pub fn read_folder(&self, name: &str) -> Result<JenkinsFolder, HomeError> {
        match &self.source {
            Source::Dir(root) => read_dir_folder(root, name.to_string()),
            Source::Tar(t) => Err(HomeError::Archive {
                archive: t.path.clone(),
                reason: "items of an archive are read with folders(), not one by one".into(),
            }),
        }
    }

    /// Reads one file by its path relative to the home root (e.g. `config.xml`); `None` when it
    /// does not exist. For an archive this is a pass that stops at the file.
    pub fn read_file(&self, rel: &str) -> Result<Option<Vec<u8>>, HomeError> {
        let want = checked_rel(rel)?;
        match &self.source {
            Source::Dir(root) => {
                let mut p = root.clone();
                p.extend(&want);
                read_needed(&p, MAX_JENKINS_FILE_BYTES)
            }
            Source::Tar(t) => {
                let mut found = None;
                t.for_each(false, |_, comps, entry, size, kind| {
                    if kind != EntryKind::Dir && comps == want.as_slice() {
                        found = Some(t.read_needed(
                            comps,
                            entry,
                            size,
                            kind,
                            MAX_JENKINS_FILE_BYTES,
                        )?);
                        return Ok(false);
                    }
                    Ok(true)
                })?;
                Ok(found)
            }
        }
    }

    fn archive_path(&self) -> PathBuf {
        match &self.source {
            Source::Dir(p) => p.clone(),
            Source::Tar(t) => t.path.clone(),
        }
    }

    fn tar_index(&self) -> Result<Arc<TarIndex>, HomeError> {
        let Source::Tar(t) = &self.source else {
            return Ok(Arc::new(TarIndex::default()));
        };
        let mut guard = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ix) = guard.as_ref() {
            return Ok(ix.clone());
        }
        let ix = Arc::new(t.build_index()?);
        *guard = Some(ix.clone());
        Ok(ix)
    }
}
