//! Writing a backup run: seal each file into a temporary file, upload it, write the manifest
//! last.

use std::path::{Path, PathBuf};

use ksdm_model::v21::{JenkinsFile, RevealedValues};
use time::format_description::well_known::Rfc3339;

use crate::archive::{seal, seal_plain, ArchiveWriter, Sealed};
use crate::crypto::Protection;
use crate::error::BackupError;
use crate::layout;
use crate::manifest::{Encryption, FileEntry, Manifest, FORMAT_VERSION};
use crate::snapshot::{credential_values_json, MysqlIssues};
use crate::store::BackupStore;

/// Everything one backup run holds.
pub struct BackupInput<'a> {
    /// The run id ([`layout::new_run_id`]); becomes the run's folder / key prefix.
    pub run_id: String,
    /// Version of the tool writing the backup.
    pub tool_version: String,
    /// Where the data came from (free-form; never include passwords).
    pub sources: Vec<String>,
    /// The MySQL rows read, as JSON (contains no secrets; stored plain).
    pub mysql_json: Vec<u8>,
    /// The Jenkins files read (root `config.xml`, folder and pipeline `config.xml`s,
    /// `secrets/master.key`, `secrets/hudson.util.Secret`, …), streamed one by one.
    pub jenkins_files: Box<dyn Iterator<Item = Result<JenkinsFile, String>> + Send + 'a>,
    /// The export folder: `resources/` (the YAML tree), `report.md`, `report.json`.
    pub export_dir: &'a Path,
    /// The run log so far.
    pub log: Vec<u8>,
    /// Credential values read through Jenkins' script console, if any: stored with the same
    /// protection as the Jenkins files ([`layout::CREDENTIAL_VALUES_ENCRYPTED`]), so a run from
    /// the backup has them too.
    pub revealed: Option<&'a RevealedValues>,
    /// Problems found while reading MySQL (stored when there are any).
    pub mysql_issues: MysqlIssues,
}

/// Tuning of [`create_backup_with`].
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// scrypt work factor (log2 N) for passphrase encryption. `None` (and anything higher) means
    /// [`crate::MAX_SCRYPT_WORK_FACTOR`], the most a restore accepts. Tests lower it.
    pub scrypt_work_factor: Option<u8>,
    /// Folder for the temporary files (`None` = the system temporary folder). Needs room for the
    /// largest compressed archive.
    pub temp_dir: Option<PathBuf>,
}

/// Creates a backup run with default options. See [`create_backup_with`].
pub async fn create_backup(
    store: &dyn BackupStore,
    input: BackupInput<'_>,
    protection: &Protection,
) -> Result<Manifest, BackupError> {
    create_backup_with(store, input, protection, &BackupOptions::default()).await
}

/// Creates backup run `input.run_id` in `store` and returns its manifest.
///
/// Each file is written to a temporary file (tar → gzip → age for the archives, hashing as it
/// goes), uploaded, and dropped; the manifest goes last, after a listing confirmed every upload.
/// Any failure returns an error and leaves at most a run without manifest, which
/// [`crate::list_backups`] shows as incomplete and which is never restored. An existing run is
/// never overwritten.
pub async fn create_backup_with(
    store: &dyn BackupStore,
    input: BackupInput<'_>,
    protection: &Protection,
    options: &BackupOptions,
) -> Result<Manifest, BackupError> {
    let run_id = input.run_id.clone();
    layout::validate_run_id(&run_id)?;
    protection.validate()?;
    let resources = input.export_dir.join(layout::EXPORT_RESOURCES_DIR);
    if !resources.is_dir() {
        return Err(BackupError::ExportMissing {
            path: input.export_dir.to_path_buf(),
        });
    }
    if !store.list(&layout::run_prefix(&run_id)).await?.is_empty() {
        return Err(BackupError::RunExists {
            run_id,
            store: store.describe(),
        });
    }
    let temp_root = options.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let temp = tempfile::Builder::new()
        .prefix("ksdm-backup-")
        .tempdir_in(&temp_root)
        .map_err(|e| BackupError::io("creating a temporary folder in", &temp_root, e))?;
    let temp_path = temp.path().to_path_buf();
    let now = time::OffsetDateTime::now_utc();
    let created = now
        .format(&Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    let mtime = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let encrypted = protection.encrypts();
    let mut files = Vec::new();
    tracing::info!(run_id = %run_id, store = %store.describe(), encrypted, "creating backup");

    // source/mysql.json (plain)
    let mysql_json = input.mysql_json;
    let dir = temp_path.clone();
    let sealed = tokio::task::spawn_blocking(move || seal_plain(&dir, &mysql_json[..])).await??;
    upload(store, &run_id, layout::MYSQL, sealed, false, &mut files).await?;

    // source/jenkins.tar.gz[.age]: files stream from the caller's iterator to a worker thread.
    let name = layout::jenkins_archive(encrypted);
    let recipients = protection.recipients(options.scrypt_work_factor)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<JenkinsFile>(16);
    let dir = temp_path.clone();
    let worker = tokio::task::spawn_blocking(move || -> Result<Sealed, BackupError> {
        let mut writer = ArchiveWriter::create(&dir, name, recipients.as_deref(), mtime)?;
        while let Some(file) = rx.blocking_recv() {
            writer.append_bytes(&file.path, &file.bytes)?;
        }
        writer.finish()
    });
    let mut source_error = None;
    for item in input.jenkins_files {
        match item {
            Ok(file) => {
                if tx.send(file).await.is_err() {
                    break; // the worker failed; its error is returned below
                }
            }
            Err(reason) => {
                source_error = Some(reason);
                break;
            }
        }
    }
    drop(tx);
    let sealed = worker.await??;
    if let Some(reason) = source_error {
        return Err(BackupError::JenkinsSource { reason });
    }
    upload(store, &run_id, name, sealed, encrypted, &mut files).await?;

    // source/mysql-issues.json (plain; only when there are any)
    if !input.mysql_issues.is_empty() {
        let json =
            serde_json::to_vec_pretty(&input.mysql_issues).map_err(|e| BackupError::Archive {
                name: layout::MYSQL_ISSUES.into(),
                reason: e.to_string(),
            })?;
        let dir = temp_path.clone();
        let sealed = tokio::task::spawn_blocking(move || seal_plain(&dir, &json[..])).await??;
        upload(
            store,
            &run_id,
            layout::MYSQL_ISSUES,
            sealed,
            false,
            &mut files,
        )
        .await?;
    }

    // source/credential-values.json[.age] (only when values were read)
    if let Some(values) = input.revealed {
        let name = layout::credential_values(encrypted);
        let json = credential_values_json(values).map_err(|reason| BackupError::Archive {
            name: name.into(),
            reason,
        })?;
        let recipients = protection.recipients(options.scrypt_work_factor)?;
        let dir = temp_path.clone();
        let sealed =
            tokio::task::spawn_blocking(move || seal(&dir, json.expose(), recipients.as_deref()))
                .await??;
        upload(store, &run_id, name, sealed, encrypted, &mut files).await?;
    }

    // export/resources.tar.gz[.age]
    let name = layout::resources_archive(encrypted);
    let recipients = protection.recipients(options.scrypt_work_factor)?;
    let dir = temp_path.clone();
    let export_dir = input.export_dir.to_path_buf();
    let sealed = tokio::task::spawn_blocking(move || -> Result<Sealed, BackupError> {
        let mut writer = ArchiveWriter::create(&dir, name, recipients.as_deref(), mtime)?;
        writer.append_tree(&export_dir, layout::EXPORT_RESOURCES_DIR)?;
        writer.finish()
    })
    .await??;
    upload(store, &run_id, name, sealed, encrypted, &mut files).await?;

    // adopt/before.tar.gz[.age]: only when --adopt-installer-migration found something to repair.
    if input
        .export_dir
        .join(layout::EXPORT_ADOPTION_BEFORE_DIR)
        .is_dir()
    {
        let name = layout::adoption_before_archive(encrypted);
        let recipients = protection.recipients(options.scrypt_work_factor)?;
        let dir = temp_path.clone();
        let export_dir = input.export_dir.to_path_buf();
        let sealed = tokio::task::spawn_blocking(move || -> Result<Sealed, BackupError> {
            let mut writer = ArchiveWriter::create(&dir, name, recipients.as_deref(), mtime)?;
            writer.append_tree(&export_dir, layout::EXPORT_ADOPTION_BEFORE_DIR)?;
            writer.finish()
        })
        .await??;
        upload(store, &run_id, name, sealed, encrypted, &mut files).await?;
    }

    // export/report.json, export/report.md (plain; optional)
    for (local, name) in [
        (layout::EXPORT_REPORT_JSON, layout::REPORT_JSON),
        (layout::EXPORT_REPORT_MD, layout::REPORT_MD),
    ] {
        let path = input.export_dir.join(local);
        if !path.is_file() {
            tracing::warn!(path = %path.display(), "report not found; not in the backup");
            continue;
        }
        let dir = temp_path.clone();
        let sealed = tokio::task::spawn_blocking(move || -> Result<Sealed, BackupError> {
            let file =
                std::fs::File::open(&path).map_err(|e| BackupError::io("opening", &path, e))?;
            seal_plain(&dir, file)
        })
        .await??;
        upload(store, &run_id, name, sealed, false, &mut files).await?;
    }

    // run.log (plain)
    let log = input.log;
    let dir = temp_path.clone();
    let sealed = tokio::task::spawn_blocking(move || seal_plain(&dir, &log[..])).await??;
    upload(store, &run_id, layout::RUN_LOG, sealed, false, &mut files).await?;

    // Confirm every upload before the manifest makes the run complete.
    let listed = store.list(&layout::run_prefix(&run_id)).await?;
    for entry in &files {
        let key = layout::key(&run_id, &entry.name);
        match listed.iter().find(|o| o.key == key) {
            Some(object) if object.size == entry.size => {}
            Some(object) => {
                return Err(BackupError::Corrupt {
                    run_id: run_id.clone(),
                    name: entry.name.clone(),
                    problem: format!(
                        "uploaded {} bytes but the store holds {}",
                        entry.size, object.size
                    ),
                })
            }
            None => {
                return Err(BackupError::Corrupt {
                    run_id: run_id.clone(),
                    name: entry.name.clone(),
                    problem: "uploaded, but the store does not list it".into(),
                })
            }
        }
    }

    let manifest = Manifest {
        format_version: FORMAT_VERSION.to_string(),
        run_id: run_id.clone(),
        tool_version: input.tool_version,
        created,
        sources: input.sources,
        encryption: Encryption {
            kind: protection.kind(),
        },
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Manifest {
        run_id: run_id.clone(),
        reason: e.to_string(),
    })?;
    let dir = temp_path.clone();
    let sealed = tokio::task::spawn_blocking(move || seal_plain(&dir, &json[..])).await??;
    store
        .put_file(&layout::key(&run_id, layout::MANIFEST), sealed.file.path())
        .await?;
    tracing::info!(run_id = %run_id, files = manifest.files.len(), bytes = manifest.total_size(), "backup complete");
    Ok(manifest)
}

async fn upload(
    store: &dyn BackupStore,
    run_id: &str,
    name: &str,
    sealed: Sealed,
    encrypted: bool,
    files: &mut Vec<FileEntry>,
) -> Result<(), BackupError> {
    store
        .put_file(&layout::key(run_id, name), sealed.file.path())
        .await?;
    tracing::info!(run_id, name, size = sealed.size, encrypted, "uploaded");
    files.push(FileEntry {
        name: name.to_string(),
        size: sealed.size,
        sha256: sealed.sha256,
        encrypted,
    });
    Ok(())
}
