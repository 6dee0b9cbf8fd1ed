//! The manifest: what a backup run holds, written last.

use serde::{Deserialize, Serialize};

use crate::error::BackupError;

/// The format version written by this crate (semver). Readers accept the same major version.
pub const FORMAT_VERSION: &str = "1.0.0";

/// How the secret-bearing files of a run are encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionKind {
    /// age with a passphrase (scrypt recipient).
    Passphrase,
    /// age with X25519 recipient public keys.
    Recipients,
    /// Not encrypted (explicit insecure opt-in).
    None,
}

/// One file of a run, as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Name inside the run folder (e.g. `source/mysql.json`), see [`crate::layout`].
    pub name: String,
    /// Size in bytes as stored.
    pub size: u64,
    /// Lower-case hex SHA-256 of the stored bytes.
    pub sha256: String,
    /// True when the stored bytes are an age file.
    pub encrypted: bool,
}

/// The manifest of one backup run (`<run-id>/manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Semver of the backup format ([`FORMAT_VERSION`]).
    pub format_version: String,
    /// The run id (= folder name).
    pub run_id: String,
    /// Version of the tool that wrote the backup.
    pub tool_version: String,
    /// Creation time, RFC 3339 UTC.
    pub created: String,
    /// Where the data came from, as given by the caller (MySQL DSN without password, Jenkins
    /// home, …).
    pub sources: Vec<String>,
    /// Encryption of the secret-bearing files.
    pub encryption: Encryption,
    /// Every other file of the run.
    pub files: Vec<FileEntry>,
}

/// The `encryption` object of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// The kind.
    pub kind: EncryptionKind,
}

impl Manifest {
    /// Parses a manifest and checks its format version (same major as [`FORMAT_VERSION`]) and
    /// that it belongs to `run_id`.
    pub fn parse(run_id: &str, bytes: &[u8]) -> Result<Manifest, BackupError> {
        let fail = |reason: String| BackupError::Manifest {
            run_id: run_id.to_string(),
            reason,
        };
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| fail(format!("not valid manifest JSON: {e}")))?;
        let major = manifest
            .format_version
            .split('.')
            .next()
            .unwrap_or_default();
        let ours = FORMAT_VERSION.split('.').next().unwrap_or_default();
        if major != ours {
            return Err(fail(format!(
                "format version {} is not supported (this tool reads {ours}.x)",
                manifest.format_version
            )));
        }
        if manifest.run_id != run_id {
            return Err(fail(format!("it names run {:?}", manifest.run_id)));
        }
        for file in &manifest.files {
            let valid_name = !file.name.is_empty()
                && !file.name.starts_with('/')
                && file
                    .name
                    .split('/')
                    .all(|s| !s.is_empty() && s != "." && s != "..");
            if !valid_name {
                return Err(fail(format!(
                    "it lists an unsafe file name {:?}",
                    file.name
                )));
            }
        }
        Ok(manifest)
    }

    /// The entry called `name`, if listed.
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Total size of the listed files in bytes.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION.into(),
            run_id: "r1".into(),
            tool_version: "0.1.0".into(),
            created: "2026-11-23T12:13:14Z".into(),
            sources: vec!["mysql://devops".into()],
            encryption: Encryption {
                kind: EncryptionKind::Passphrase,
            },
            files: vec![FileEntry {
                name: "run.log".into(),
                size: 3,
                sha256: "00".into(),
                encrypted: false,
            }],
        }
    }

    #[test]
    fn round_trips_with_exact_field_names() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["format_version"], "1.0.0");
        assert_eq!(json["encryption"]["kind"], "passphrase");
        assert_eq!(json["files"][0]["encrypted"], false);
        let back = Manifest::parse("r1", &serde_json::to_vec(&json).unwrap()).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn refuses_other_major_versions_runs_and_unsafe_names() {
        let mut m = sample();
        m.format_version = "2.0.0".into();
        let err = Manifest::parse("r1", &serde_json::to_vec(&m).unwrap()).unwrap_err();
        assert!(err.to_string().contains("format version 2.0.0"), "{err}");
        assert!(Manifest::parse("r2", &serde_json::to_vec(&sample()).unwrap()).is_err());
        let mut m = sample();
        m.files[0].name = "../x".into();
        assert!(Manifest::parse("r1", &serde_json::to_vec(&m).unwrap()).is_err());
        assert!(Manifest::parse("r1", b"{\"trunc").is_err());
    }
}
