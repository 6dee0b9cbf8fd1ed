//! Reading backups without restoring: list, describe, verify.

use std::path::Path;

use tempfile::NamedTempFile;

use crate::archive::{check_archive, check_sealed, hash_file};
use crate::crypto::DecryptionKey;
use crate::error::{BackupError, StoreError};
use crate::layout;
use crate::manifest::{FileEntry, Manifest};
use crate::store::BackupStore;

/// One run in a store, as [`list_backups`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupListing {
    /// The run id.
    pub run_id: String,
    /// Creation time from the manifest (RFC 3339), `None` when there is no readable manifest.
    pub created: Option<String>,
    /// True when the run has a readable manifest. Incomplete runs (interrupted or failed
    /// uploads) are never restored.
    pub complete: bool,
    /// Bytes stored under the run (all objects, manifest included).
    pub size: u64,
    /// Number of objects stored under the run.
    pub objects: usize,
    /// Why the manifest is unusable, when it exists but cannot be read.
    pub problem: Option<String>,
}

/// Lists every run in the store, sorted by run id (= by time for generated ids).
pub async fn list_backups(store: &dyn BackupStore) -> Result<Vec<BackupListing>, BackupError> {
    let objects = store.list("").await?;
    let mut runs: Vec<BackupListing> = Vec::new();
    for object in &objects {
        let Some((run_id, _)) = layout::split_key(&object.key) else {
            continue;
        };
        match runs.last_mut() {
            Some(last) if last.run_id == run_id => {
                last.size += object.size;
                last.objects += 1;
            }
            _ => runs.push(BackupListing {
                run_id: run_id.to_string(),
                created: None,
                complete: false,
                size: object.size,
                objects: 1,
                problem: None,
            }),
        }
    }
    for run in &mut runs {
        let manifest_key = layout::key(&run.run_id, layout::MANIFEST);
        if !objects.iter().any(|o| o.key == manifest_key) {
            continue;
        }
        match read_manifest(store, &run.run_id).await {
            Ok(manifest) => {
                run.created = Some(manifest.created);
                run.complete = true;
            }
            Err(BackupError::Store(e)) => return Err(BackupError::Store(e)),
            Err(e) => run.problem = Some(e.to_string()),
        }
    }
    Ok(runs)
}

/// The manifest of a complete run. A run without manifest is [`BackupError::Incomplete`].
pub async fn describe(store: &dyn BackupStore, run_id: &str) -> Result<Manifest, BackupError> {
    read_manifest(store, run_id).await
}

/// Result of checking one file of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Size and SHA-256 match; the content was read to its end (decrypted when encrypted).
    Ok,
    /// Size and SHA-256 match; the file is encrypted and no key was given, so its content was
    /// not opened.
    NotDecrypted,
    /// The file is listed in the manifest but absent from the store.
    Missing,
    /// Size or SHA-256 differ from the manifest (truncated, flipped bytes, replaced).
    Corrupt(String),
    /// The checksum matches but the file cannot be decrypted with the given key.
    Undecryptable(String),
    /// The checksum matches but the content cannot be read to its end.
    Unreadable(String),
}

impl FileStatus {
    /// True for a problem that makes the backup unusable.
    pub fn is_problem(&self) -> bool {
        !matches!(self, FileStatus::Ok | FileStatus::NotDecrypted)
    }
}

impl std::fmt::Display for FileStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileStatus::Ok => f.write_str("ok"),
            FileStatus::NotDecrypted => {
                f.write_str("checksum ok; encrypted, not opened (no key given)")
            }
            FileStatus::Missing => f.write_str("missing"),
            FileStatus::Corrupt(p) => write!(f, "corrupted: {p}"),
            FileStatus::Undecryptable(p) => write!(f, "cannot decrypt: {p}"),
            FileStatus::Unreadable(p) => write!(f, "unreadable: {p}"),
        }
    }
}

/// The check of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Name inside the run.
    pub name: String,
    /// What was found.
    pub status: FileStatus,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The run id.
    pub run_id: String,
    /// One check per manifest entry, in manifest order.
    pub files: Vec<FileCheck>,
    /// Objects under the run that the manifest does not list (reported, not a failure).
    pub unexpected: Vec<String>,
}

impl VerifyReport {
    /// True when no file has a problem.
    pub fn is_ok(&self) -> bool {
        self.files.iter().all(|f| !f.status.is_problem())
    }

    /// The files with a problem.
    pub fn problems(&self) -> impl Iterator<Item = &FileCheck> {
        self.files.iter().filter(|f| f.status.is_problem())
    }
}

/// Verifies a run: every manifest file is present with the right size and SHA-256, and — when a
/// key is given — every encrypted file decrypts and every archive reads to its end.
///
/// Problems with files are reported in the [`VerifyReport`]; an `Err` means the run could not be
/// checked at all (no such run, incomplete, store unreachable).
pub async fn verify(
    store: &dyn BackupStore,
    run_id: &str,
    key: Option<&DecryptionKey>,
) -> Result<VerifyReport, BackupError> {
    let manifest = read_manifest(store, run_id).await?;
    let listed = store.list(&layout::run_prefix(run_id)).await?;
    let temp = tempfile::tempdir()
        .map_err(|e| BackupError::io("creating a temporary folder in", std::env::temp_dir(), e))?;
    let mut files = Vec::new();
    for entry in &manifest.files {
        let status = match fetch_verified(store, run_id, entry, temp.path()).await {
            Ok(file) => check_content(run_id, entry, file, key).await?,
            Err(BackupError::Store(StoreError::NotFound { .. })) => FileStatus::Missing,
            Err(BackupError::Corrupt { problem, .. }) => FileStatus::Corrupt(problem),
            Err(e) => return Err(e),
        };
        if status.is_problem() {
            tracing::warn!(run_id, name = %entry.name, %status, "verify found a problem");
        }
        files.push(FileCheck {
            name: entry.name.clone(),
            status,
        });
    }
    let unexpected = listed
        .iter()
        .filter_map(|o| layout::split_key(&o.key).map(|(_, name)| name))
        .filter(|name| *name != layout::MANIFEST && manifest.file(name).is_none())
        .map(str::to_string)
        .collect();
    Ok(VerifyReport {
        run_id: run_id.to_string(),
        files,
        unexpected,
    })
}

async fn check_content(
    run_id: &str,
    entry: &FileEntry,
    file: NamedTempFile,
    key: Option<&DecryptionKey>,
) -> Result<FileStatus, BackupError> {
    if entry.encrypted && key.is_none() {
        return Ok(FileStatus::NotDecrypted);
    }
    let archive = layout::is_archive(&entry.name);
    if !archive && !entry.encrypted {
        return Ok(FileStatus::Ok);
    }
    let (run, name, encrypted, key) = (
        run_id.to_string(),
        entry.name.clone(),
        entry.encrypted,
        key.cloned(),
    );
    let result = tokio::task::spawn_blocking(move || {
        if archive {
            check_archive(&run, &name, file.path(), encrypted, key.as_ref())
        } else {
            // An encrypted file that is no archive (the credential values): decrypt to the end.
            check_sealed(&run, &name, file.path(), encrypted, key.as_ref())
        }
    })
    .await?;
    Ok(match result {
        Ok(_) => FileStatus::Ok,
        Err(BackupError::Decrypt { reason, .. }) => FileStatus::Undecryptable(reason),
        Err(BackupError::Corrupt { problem, .. }) => FileStatus::Unreadable(problem),
        Err(e) => FileStatus::Unreadable(e.to_string()),
    })
}

/// Reads and parses the manifest of `run_id`; distinguishes a missing run from an incomplete one.
pub(crate) async fn read_manifest(
    store: &dyn BackupStore,
    run_id: &str,
) -> Result<Manifest, BackupError> {
    layout::validate_run_id(run_id)?;
    let temp = tempfile::NamedTempFile::new()
        .map_err(|e| BackupError::io("creating a temporary file in", std::env::temp_dir(), e))?;
    match store
        .get_to_file(&layout::key(run_id, layout::MANIFEST), temp.path())
        .await
    {
        Ok(_) => {}
        Err(StoreError::NotFound { .. }) => {
            let any = !store.list(&layout::run_prefix(run_id)).await?.is_empty();
            return Err(if any {
                BackupError::Incomplete {
                    run_id: run_id.to_string(),
                    store: store.describe(),
                }
            } else {
                BackupError::RunNotFound {
                    run_id: run_id.to_string(),
                    store: store.describe(),
                }
            });
        }
        Err(e) => return Err(e.into()),
    }
    let bytes =
        std::fs::read(temp.path()).map_err(|e| BackupError::io("reading", temp.path(), e))?;
    Manifest::parse(run_id, &bytes)
}

/// Downloads one file of a run into `temp_dir` and checks its size and SHA-256 against the
/// manifest. Missing → `Store(NotFound)`; mismatch → [`BackupError::Corrupt`].
pub(crate) async fn fetch_verified(
    store: &dyn BackupStore,
    run_id: &str,
    entry: &FileEntry,
    temp_dir: &Path,
) -> Result<NamedTempFile, BackupError> {
    let temp = NamedTempFile::new_in(temp_dir)
        .map_err(|e| BackupError::io("creating a temporary file in", temp_dir, e))?;
    store
        .get_to_file(&layout::key(run_id, &entry.name), temp.path())
        .await?;
    let path = temp.path().to_path_buf();
    let (size, sha256) = tokio::task::spawn_blocking(move || hash_file(&path)).await??;
    let corrupt = |problem: String| BackupError::Corrupt {
        run_id: run_id.to_string(),
        name: entry.name.clone(),
        problem,
    };
    if size != entry.size {
        let what = if size < entry.size {
            "truncated"
        } else {
            "too long"
        };
        return Err(corrupt(format!(
            "{what}: {size} bytes, manifest says {}",
            entry.size
        )));
    }
    if !sha256.eq_ignore_ascii_case(&entry.sha256) {
        return Err(corrupt(format!(
            "SHA-256 is {sha256}, manifest says {}",
            entry.sha256
        )));
    }
    Ok(temp)
}
