//! Restoring a run into a folder: the export tree, or the saved Jenkins files.
//!
//! Every file used is downloaded and checked against the manifest before anything is written;
//! the content is then unpacked into a hidden staging folder beside the target and renamed into
//! place in one step only when all of it was read successfully. A failure, or the process being
//! killed, leaves the target as it was (absent or empty) or whole, never half-written.

use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::archive::unpack_archive;
use crate::crypto::DecryptionKey;
use crate::error::BackupError;
use crate::inspect::{fetch_verified, read_manifest};
use crate::layout;
use crate::store::BackupStore;

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    /// The run restored.
    pub run_id: String,
    /// The target folder.
    pub dir: PathBuf,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Restores the export of a run into `dir` (new or empty): `resources/` (the v3.0 YAML tree),
/// `report.json`, `report.md`. Encrypted runs need `key`.
pub async fn restore_to_dir(
    store: &dyn BackupStore,
    run_id: &str,
    key: Option<&DecryptionKey>,
    dir: &Path,
) -> Result<RestoreSummary, BackupError> {
    restore(store, run_id, key, dir, Part::Export).await
}

/// Writes the saved Jenkins files of a run into `dir` (new or empty), laid out as in
/// `JENKINS_HOME` (`config.xml`, `jobs/<project>/config.xml`, `secrets/…`), for an operator to
/// copy back. Needs `key` unless the backup is plaintext.
pub async fn restore_jenkins_files(
    store: &dyn BackupStore,
    run_id: &str,
    key: Option<&DecryptionKey>,
    dir: &Path,
) -> Result<RestoreSummary, BackupError> {
    restore(store, run_id, key, dir, Part::Jenkins).await
}

#[derive(Clone, Copy)]
enum Part {
    Export,
    Jenkins,
}

/// A verified download and where its content goes.
enum Item {
    Archive {
        name: String,
        encrypted: bool,
        file: NamedTempFile,
    },
    Plain {
        target: &'static str,
        file: NamedTempFile,
    },
}

async fn restore(
    store: &dyn BackupStore,
    run_id: &str,
    key: Option<&DecryptionKey>,
    dir: &Path,
    part: Part,
) -> Result<RestoreSummary, BackupError> {
    let manifest = read_manifest(store, run_id).await?;
    check_target(dir)?;
    let temp = tempfile::tempdir()
        .map_err(|e| BackupError::io("creating a temporary folder in", std::env::temp_dir(), e))?;

    // 1. Download and check every file this restore uses.
    let mut items = Vec::new();
    let archive = manifest.files.iter().find(|f| match part {
        Part::Export => layout::is_resources_archive(&f.name),
        Part::Jenkins => layout::is_jenkins_archive(&f.name),
    });
    let Some(archive) = archive else {
        return Err(BackupError::NotInBackup {
            run_id: run_id.to_string(),
            what: match part {
                Part::Export => "generated resources archive",
                Part::Jenkins => "Jenkins files archive",
            },
        });
    };
    if archive.encrypted && key.is_none() {
        return Err(BackupError::KeyRequired {
            run_id: run_id.to_string(),
            name: archive.name.clone(),
        });
    }
    items.push(Item::Archive {
        name: archive.name.clone(),
        encrypted: archive.encrypted,
        file: fetch_verified(store, run_id, archive, temp.path()).await?,
    });
    if let Part::Export = part {
        for (name, target) in [
            (layout::REPORT_JSON, layout::EXPORT_REPORT_JSON),
            (layout::REPORT_MD, layout::EXPORT_REPORT_MD),
        ] {
            if let Some(entry) = manifest.file(name) {
                let file = fetch_verified(store, run_id, entry, temp.path()).await?;
                items.push(Item::Plain { target, file });
            }
        }
    }

    // 2. Unpack into staging, then move into place.
    let (run, target_dir, key) = (run_id.to_string(), dir.to_path_buf(), key.cloned());
    let (files, bytes) =
        tokio::task::spawn_blocking(move || unpack_all(&run, &target_dir, key.as_ref(), items))
            .await??;
    tracing::info!(run_id, dir = %dir.display(), files, bytes, "restored");
    Ok(RestoreSummary {
        run_id: run_id.to_string(),
        dir: dir.to_path_buf(),
        files,
        bytes,
    })
}

/// The target must be absent or an empty folder.
fn check_target(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::TargetNotEmpty {
                    path: dir.to_path_buf(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::io("reading folder", dir, e)),
    }
}

fn unpack_all(
    run_id: &str,
    dir: &Path,
    key: Option<&DecryptionKey>,
    items: Vec<Item>,
) -> Result<(u64, u64), BackupError> {
    // Staging beside the target (same file system), so that one rename puts everything in place:
    // a process killed at any moment leaves the target absent (or empty) or whole, never half.
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| BackupError::io("creating folder", &parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".ksdm-restore-")
        .tempdir_in(&parent)
        .map_err(|e| BackupError::io("creating a staging folder in", &parent, e))?;
    let (mut files, mut bytes) = (0, 0);
    for item in &items {
        match item {
            Item::Archive {
                name,
                encrypted,
                file,
            } => {
                let (f, b) =
                    unpack_archive(run_id, name, file.path(), *encrypted, key, staging.path())?;
                files += f;
                bytes += b;
            }
            Item::Plain { target, file } => {
                let to = staging.path().join(target);
                bytes += std::fs::copy(file.path(), &to)
                    .map_err(|e| BackupError::io("writing", &to, e))?;
                files += 1;
            }
        }
    }
    // Everything was read and authenticated: put the staging folder in the target's place. The
    // target was checked absent or empty; an empty one is removed first.
    match std::fs::remove_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BackupError::io("replacing the empty folder", dir, e)),
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        BackupError::io("moving into place", dir, e)
    })?;
    Ok((files, bytes))
}
