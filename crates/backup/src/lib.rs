//! # ksdm-backup
//!
//! Checksummed, versioned, encrypted backups of a migration run, to a local folder or to
//! S3-compatible object storage (MinIO, SeaweedFS, AWS S3); and the way back: list, describe,
//! verify, restore into a folder.
//!
//! Where it sits in the flow: `migrate` reads the v2.1 data (`ksdm-source`), converts it
//! (`ksdm-convert`) and writes the YAML tree and reports (`ksdm-sink`); before the first write to
//! a cluster it calls [`create_backup`] with what was read and generated, and stops if that
//! fails. `restore` unpacks a run with [`restore_to_dir`] and re-applies the tree through the
//! same apply path; [`restore_jenkins_files`] gives an operator the saved Jenkins files;
//! [`open_run_sources`] opens a run as the v2.1 sources of a new run (`--from-backup`).
//!
//! * [`layout`] owns every name: one folder / key prefix per run, `manifest.json` written last.
//! * [`Manifest`] lists the format version, run id, tool version, time, sources, encryption and
//!   the size and SHA-256 of every other file.
//! * [`BackupStore`] is the storage trait, with [`LocalStore`] and [`S3Store`]; [`open_store`]
//!   picks one from `s3://bucket/prefix` or a path.
//! * Secret-bearing files (the Jenkins files with `secrets/`, the credential values read
//!   through the script console, the YAML tree with credential Secrets) are age-encrypted
//!   client-side ([`Protection`]); plaintext only on explicit [`Protection::InsecurePlaintext`].
//! * A run without manifest is incomplete: listed as such, never verified or restored. A file
//!   whose size or SHA-256 differs is named in the error or [`VerifyReport`]; restores check
//!   every file before writing anything and never overwrite.
//!
//! The async functions need a tokio runtime (multi-threaded or not). Before using
//! [`S3Store`], call [`install_crypto_provider`] once (rustls needs a process-level provider
//! when several are compiled in).
//!
//! ```no_run
//! # async fn demo(export_dir: &std::path::Path) -> Result<(), ksdm_backup::BackupError> {
//! use ksdm_backup::*;
//! let store = open_store("./ks-devops-backups", &S3Options::default()).await?;
//! let input = BackupInput {
//!     run_id: layout::new_run_id(time::OffsetDateTime::now_utc()),
//!     tool_version: env!("CARGO_PKG_VERSION").into(),
//!     sources: vec!["mysql://devops@db/devops".into()],
//!     mysql_json: b"{}".to_vec(),
//!     jenkins_files: Box::new(std::iter::empty()),
//!     export_dir,
//!     log: Vec::new(),
//!     revealed: None,
//!     mysql_issues: MysqlIssues::default(),
//! };
//! let protection = Protection::Passphrase(SecretString::from("correct horse"));
//! let manifest = create_backup(store.as_ref(), input, &protection).await?;
//! let key = DecryptionKey::Passphrase(SecretString::from("correct horse"));
//! assert!(verify(store.as_ref(), &manifest.run_id, Some(&key)).await?.is_ok());
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod archive;
mod create;
mod crypto;
mod error;
mod inspect;
pub mod layout;
mod local;
mod manifest;
mod restore;
mod s3;
mod snapshot;
mod store;

pub use age::secrecy::{ExposeSecret, SecretString};
pub use create::{create_backup, create_backup_with, BackupInput, BackupOptions};
pub use crypto::{generate_identity, DecryptionKey, Protection, MAX_SCRYPT_WORK_FACTOR};
pub use error::{BackupError, StoreError};
pub use inspect::{
    describe, list_backups, verify, BackupListing, FileCheck, FileStatus, VerifyReport,
};
pub use local::LocalStore;
pub use manifest::{Encryption, EncryptionKind, FileEntry, Manifest, FORMAT_VERSION};
pub use restore::{restore_jenkins_files, restore_to_dir, RestoreSummary};
pub use s3::S3Store;
pub use snapshot::{open_run_sources, MysqlIssues, RunSources};
pub use store::{
    open_store, BackupStore, ObjectInfo, S3Options, DEFAULT_LOCAL_STORE, DEFAULT_PART_SIZE,
};

/// Installs rustls' aws-lc-rs provider as the process default, once. Call before using
/// [`S3Store`] (binaries: at the start of `main`). Does nothing if a provider is already set.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
