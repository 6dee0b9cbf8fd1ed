//! A backup run as the v2.1 sources of a new run (`--from-backup RUN`): the MySQL rows as
//! they were read, the Jenkins files (decrypted into a private temporary file, a
//! `JENKINS_HOME` tarball), the credential values read through the script console and the
//! problems found while reading MySQL. Also the formats of the two small source files this
//! crate owns: the credential values and the MySQL issues.
//!
//! Every file is downloaded and checked against the manifest (size and SHA-256) before it is
//! used; a mismatch names the file. Decrypted content goes only into a folder of mode 0700
//! (files 0600) that is removed when the [`RunSources`] is dropped.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use ksdm_model::v21::{MysqlData, RevealedValues};
use ksdm_model::Plaintext;
use serde::{Deserialize, Serialize};

use crate::archive::{create_private_file, damaged, open_stored};
use crate::crypto::DecryptionKey;
use crate::error::BackupError;
use crate::inspect::{fetch_verified, read_manifest};
use crate::layout;
use crate::manifest::{FileEntry, Manifest};
use crate::store::BackupStore;

/// The most plaintext accepted for the credential values file (a hostile backup cannot make
/// a reader allocate more).
const MAX_CREDENTIAL_VALUES_BYTES: u64 = 256 * 1024 * 1024;

/// The format version of the credential values file.
const CREDENTIAL_VALUES_FORMAT: u32 = 1;

/// The problems found while reading MySQL at backup time, kept so that a run from the backup
/// reports them as the original run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MysqlIssues {
    /// Problems that may have lost rows (each is a run error).
    #[serde(default)]
    pub errors: Vec<String>,
    /// Warnings (notes in the report).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl MysqlIssues {
    /// True when there is nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.warnings.is_empty()
    }
}

/// The credential values file as JSON, in a buffer wiped on drop. Values that are not UTF-8
/// cannot be written (the script console only yields text).
pub(crate) fn credential_values_json(values: &RevealedValues) -> Result<Plaintext, String> {
    #[derive(Serialize)]
    struct File<'a> {
        format: u32,
        values: BTreeMap<&'a str, BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>>,
    }
    let mut out = File {
        format: CREDENTIAL_VALUES_FORMAT,
        values: BTreeMap::new(),
    };
    for (folder, ids) in values {
        let folder_out = out.values.entry(folder).or_default();
        for (id, fields) in ids {
            let id_out = folder_out.entry(id).or_default();
            for (field, value) in fields {
                let text = std::str::from_utf8(value.expose()).map_err(|_| {
                    format!("field {field} of credential {id} in folder {folder} is not UTF-8 text")
                })?;
                id_out.insert(field, text);
            }
        }
    }
    let mut buf = Vec::with_capacity(64 * 1024);
    serde_json::to_writer(&mut buf, &out).map_err(|e| e.to_string())?;
    Ok(Plaintext::new(buf))
}

/// Parses the credential values file (never shows a value in an error).
fn parse_credential_values(bytes: &[u8]) -> Result<RevealedValues, String> {
    /// A value moved into a [`Plaintext`] as soon as it is parsed.
    struct Value(Plaintext);
    impl<'de> Deserialize<'de> for Value {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            String::deserialize(d).map(|s| Value(Plaintext::from_string(s)))
        }
    }
    #[derive(Deserialize)]
    struct File {
        format: u32,
        values: BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>,
    }
    // serde_json's messages may quote the content (a value): only the position is shown.
    let file: File = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not a credential values file (invalid JSON at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    if file.format != CREDENTIAL_VALUES_FORMAT {
        return Err(format!(
            "credential values format {} is not supported (this tool reads {CREDENTIAL_VALUES_FORMAT})",
            file.format
        ));
    }
    Ok(file
        .values
        .into_iter()
        .map(|(folder, ids)| {
            let ids = ids
                .into_iter()
                .map(|(id, fields)| (id, fields.into_iter().map(|(f, v)| (f, v.0)).collect()))
                .collect();
            (folder, ids)
        })
        .collect())
}

/// The v2.1 sources held by a backup run, ready to be read by a new run.
pub struct RunSources {
    /// The run's manifest (its `sources` describe where the backup was taken from).
    pub manifest: Manifest,
    /// The store, described for humans.
    pub store: String,
    /// The MySQL rows, as read when the backup was taken.
    pub mysql: MysqlData,
    /// The problems found while reading MySQL then (empty for backups that recorded none).
    pub mysql_issues: MysqlIssues,
    /// The credential values read through the script console then, if any were.
    pub revealed: Option<RevealedValues>,
    jenkins_archive: PathBuf,
    jenkins_name: String,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for RunSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunSources")
            .field("run_id", &self.manifest.run_id)
            .field("store", &self.store)
            .field("projects", &self.mysql.projects.len())
            .field("revealed_folders", &self.revealed.as_ref().map(|r| r.len()))
            .field("jenkins_archive", &self.jenkins_archive)
            .finish_non_exhaustive()
    }
}

impl RunSources {
    /// The decrypted Jenkins files: a `JENKINS_HOME` as a `.tar.gz` (mode 0600, in a private
    /// folder removed with `self`).
    pub fn jenkins_archive(&self) -> &Path {
        &self.jenkins_archive
    }

    /// True when the Jenkins files archive holds no entry at all (a backup of a live Jenkins
    /// whose shard or selection had no item: there are no key files either). Reads up to the
    /// first entry only.
    pub fn jenkins_archive_is_empty(&self) -> Result<bool, BackupError> {
        let path = &self.jenkins_archive;
        let file = std::fs::File::open(path).map_err(|e| BackupError::io("opening", path, e))?;
        let gz = flate2::read::GzDecoder::new(BufReader::new(file));
        let mut archive = tar::Archive::new(gz);
        let mut entries = archive
            .entries()
            .map_err(|e| damaged(&self.manifest.run_id, &self.jenkins_name, e))?;
        match entries.next() {
            None => Ok(true),
            Some(Ok(_)) => Ok(false),
            Some(Err(e)) => Err(damaged(&self.manifest.run_id, &self.jenkins_name, e)),
        }
    }

    /// The name of the Jenkins files archive in the run (for messages).
    pub fn jenkins_name(&self) -> &str {
        &self.jenkins_name
    }

    /// Where the backup was taken from, as its manifest records it (without the input digest
    /// line a `migrate` run adds).
    pub fn taken_from(&self) -> Vec<String> {
        self.manifest
            .sources
            .iter()
            .filter(|s| !s.starts_with(layout::INPUT_DIGEST_PREFIX))
            .cloned()
            .collect()
    }
}

/// Opens the v2.1 sources of backup run `run_id`: reads and checks the manifest (a run without
/// one is [`BackupError::Incomplete`]), downloads the MySQL rows, the Jenkins files, the
/// credential values and the MySQL issues, checks each against the manifest, and decrypts the
/// Jenkins files (streamed) into a private temporary file. Encrypted runs need `key`.
pub async fn open_run_sources(
    store: &dyn BackupStore,
    run_id: &str,
    key: Option<&DecryptionKey>,
) -> Result<RunSources, BackupError> {
    let manifest = read_manifest(store, run_id).await?;
    let dir = private_dir()?;
    let not_in = |what| BackupError::NotInBackup {
        run_id: run_id.to_string(),
        what,
    };
    let needs_key = |entry: &FileEntry| -> Result<(), BackupError> {
        if entry.encrypted && key.is_none() {
            return Err(BackupError::KeyRequired {
                run_id: run_id.to_string(),
                name: entry.name.clone(),
            });
        }
        Ok(())
    };

    // The key is needed for the Jenkins files and the values: check before downloading.
    let jenkins = manifest
        .files
        .iter()
        .find(|f| layout::is_jenkins_archive(&f.name))
        .cloned()
        .ok_or_else(|| not_in("Jenkins files archive"))?;
    needs_key(&jenkins)?;
    let values = manifest
        .files
        .iter()
        .find(|f| layout::is_credential_values(&f.name))
        .cloned();
    if let Some(v) = &values {
        needs_key(v)?;
    }

    // MySQL rows.
    let entry = manifest
        .file(layout::MYSQL)
        .ok_or_else(|| not_in("MySQL rows"))?;
    let file = fetch_verified(store, run_id, entry, dir.path()).await?;
    let bytes =
        std::fs::read(file.path()).map_err(|e| BackupError::io("reading", file.path(), e))?;
    drop(file);
    let mysql: MysqlData = serde_json::from_slice(&bytes).map_err(|e| BackupError::Corrupt {
        run_id: run_id.to_string(),
        name: entry.name.clone(),
        problem: format!("not the MySQL rows this tool writes: {e}"),
    })?;
    drop(bytes);

    // MySQL issues (absent in backups that had none).
    let mysql_issues = match manifest.file(layout::MYSQL_ISSUES) {
        None => MysqlIssues::default(),
        Some(entry) => {
            let file = fetch_verified(store, run_id, entry, dir.path()).await?;
            let bytes = std::fs::read(file.path())
                .map_err(|e| BackupError::io("reading", file.path(), e))?;
            serde_json::from_slice(&bytes).map_err(|e| BackupError::Corrupt {
                run_id: run_id.to_string(),
                name: entry.name.clone(),
                problem: format!("not the MySQL issues this tool writes: {e}"),
            })?
        }
    };

    // Credential values (only when the backup was taken with the script console).
    let revealed = match &values {
        None => None,
        Some(entry) => {
            let file = fetch_verified(store, run_id, entry, dir.path()).await?;
            let (run, name, encrypted, k) = (
                run_id.to_string(),
                entry.name.clone(),
                entry.encrypted,
                key.cloned(),
            );
            let values = tokio::task::spawn_blocking(move || {
                read_credential_values(&run, &name, file.path(), encrypted, k.as_ref())
            })
            .await??;
            Some(values)
        }
    };

    // The Jenkins files: download, check, decrypt into jenkins.tar.gz (0600), streamed.
    let download = fetch_verified(store, run_id, &jenkins, dir.path()).await?;
    let target = dir.path().join("jenkins.tar.gz");
    let (run, name, encrypted, k, to) = (
        run_id.to_string(),
        jenkins.name.clone(),
        jenkins.encrypted,
        key.cloned(),
        target.clone(),
    );
    tokio::task::spawn_blocking(move || -> Result<(), BackupError> {
        let mut plain = open_stored(&run, &name, download.path(), encrypted, k.as_ref())?;
        let mut out = create_private_file(&to)?;
        io::copy(&mut plain, &mut out).map_err(|e| damaged(&run, &name, e))?;
        out.sync_all()
            .map_err(|e| BackupError::io("writing", &to, e))?;
        Ok(())
    })
    .await??;
    tracing::info!(run_id, store = %store.describe(), "opened the v2.1 sources of a backup");
    Ok(RunSources {
        manifest,
        store: store.describe(),
        mysql,
        mysql_issues,
        revealed,
        jenkins_archive: target,
        jenkins_name: jenkins.name,
        _dir: dir,
    })
}

/// A new temporary folder only its owner can enter (mode 0700).
fn private_dir() -> Result<tempfile::TempDir, BackupError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("ksdm-from-backup-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder
        .tempdir()
        .map_err(|e| BackupError::io("creating a temporary folder in", std::env::temp_dir(), e))
}

/// Decrypts (when needed) and parses the credential values file.
fn read_credential_values(
    run_id: &str,
    name: &str,
    path: &Path,
    encrypted: bool,
    key: Option<&DecryptionKey>,
) -> Result<RevealedValues, BackupError> {
    let stream = open_stored(run_id, name, path, encrypted, key)?;
    let mut plain = Vec::new();
    BufReader::new(stream)
        .take(MAX_CREDENTIAL_VALUES_BYTES + 1)
        .read_to_end(&mut plain)
        .map_err(|e| damaged(run_id, name, e))?;
    let plain = Plaintext::new(plain);
    if plain.len() as u64 > MAX_CREDENTIAL_VALUES_BYTES {
        return Err(BackupError::Corrupt {
            run_id: run_id.to_string(),
            name: name.to_string(),
            problem: format!("larger than {MAX_CREDENTIAL_VALUES_BYTES} bytes"),
        });
    }
    parse_credential_values(plain.expose()).map_err(|problem| BackupError::Corrupt {
        run_id: run_id.to_string(),
        name: name.to_string(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_values_round_trip_and_never_show_a_value() {
        let mut values = RevealedValues::new();
        values
            .entry("project-a".into())
            .or_default()
            .entry("git".into())
            .or_default()
            .insert(
                "password".into(),
                Plaintext::from_string("hunter2\n\"x\"".into()),
            );
        let json = credential_values_json(&values).unwrap();
        assert_eq!(parse_credential_values(json.expose()).unwrap(), values);
        let bad = br#"{"format":1,"values":{"p":{"git":"hunter2"}}}"#;
        let err = parse_credential_values(bad).unwrap_err();
        assert!(!err.contains("hunter2") && err.contains("line 1"), "{err}");
        let err = parse_credential_values(br#"{"format":2,"values":{}}"#).unwrap_err();
        assert!(err.contains("format 2"), "{err}");
    }
}
