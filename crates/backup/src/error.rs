//! Error types: [`StoreError`] for the storage back ends, [`BackupError`] for everything else.
//!
//! No message ever contains a passphrase, an S3 secret key or a decrypted value.

use std::path::PathBuf;

/// A failure of a [`crate::BackupStore`] (local folder or S3-compatible object storage).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store specification given by the user cannot be used (empty bucket name, …).
    #[error("invalid backup store {spec:?}: {reason}")]
    InvalidSpec {
        /// What the user gave.
        spec: String,
        /// Why it is unusable.
        reason: String,
    },
    /// An object key built by the caller would leave the store (absolute, `..`, empty segment).
    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// Why it is refused.
        reason: String,
    },
    /// The object does not exist.
    #[error("{key} not found in {store}")]
    NotFound {
        /// Key relative to the store root.
        key: String,
        /// The store, described for humans.
        store: String,
    },
    /// A local file or folder operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("writing", "renaming to", …).
        action: &'static str,
        /// The local path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The S3 server rejected the request signature: the secret key (or access key) is wrong.
    #[error(
        "S3 rejected the request signature (SignatureDoesNotMatch) for bucket {bucket} at endpoint \
         {endpoint}: check the access key and secret"
    )]
    SignatureMismatch {
        /// Bucket name.
        bucket: String,
        /// Endpoint URL (or "AWS default").
        endpoint: String,
    },
    /// The access key is unknown to the server.
    #[error(
        "S3 does not know the access key (InvalidAccessKeyId) for bucket {bucket} at endpoint \
         {endpoint}: check the access key"
    )]
    UnknownAccessKey {
        /// Bucket name.
        bucket: String,
        /// Endpoint URL.
        endpoint: String,
    },
    /// The credentials are valid but not allowed to do this.
    #[error("S3 denied {operation} on {bucket}/{key} at endpoint {endpoint} (AccessDenied): check the permissions of the access key")]
    AccessDenied {
        /// The S3 operation.
        operation: &'static str,
        /// Bucket name.
        bucket: String,
        /// Object key (full, with prefix).
        key: String,
        /// Endpoint URL.
        endpoint: String,
    },
    /// The bucket does not exist.
    #[error("S3 bucket {bucket} does not exist at endpoint {endpoint}")]
    NoSuchBucket {
        /// Bucket name.
        bucket: String,
        /// Endpoint URL.
        endpoint: String,
    },
    /// The server could not be reached (connection refused, DNS, TLS, timeout).
    #[error("cannot reach S3 endpoint {endpoint} for {operation} on bucket {bucket}: {reason}")]
    Unreachable {
        /// The S3 operation.
        operation: &'static str,
        /// Bucket name.
        bucket: String,
        /// Endpoint URL.
        endpoint: String,
        /// The transport error.
        reason: String,
    },
    /// No credentials could be found (environment, profile) or they are incomplete.
    #[error("no usable S3 credentials for endpoint {endpoint}: {reason}")]
    Credentials {
        /// Endpoint URL.
        endpoint: String,
        /// What is missing.
        reason: String,
    },
    /// Any other S3 error, with the server's code and message.
    #[error("S3 {operation} failed for {object} at endpoint {endpoint}: {code}: {message}")]
    S3 {
        /// The S3 operation.
        operation: &'static str,
        /// `bucket/key` (key in full, with prefix; only the bucket for bucket operations).
        object: String,
        /// Endpoint URL.
        endpoint: String,
        /// Error code reported by the server or the SDK ("InternalError", "HTTP 500", …).
        code: String,
        /// Error message.
        message: String,
    },
}

/// A failure while creating, inspecting or restoring a backup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The storage back end failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A run id is not usable as a folder / key segment.
    #[error("invalid backup run id {run_id:?}: {reason}")]
    InvalidRunId {
        /// The run id.
        run_id: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A backup with this run id already exists; backups are never overwritten.
    #[error("backup run {run_id} already exists in {store}; backups are never overwritten")]
    RunExists {
        /// The run id.
        run_id: String,
        /// The store.
        store: String,
    },
    /// No object of this run exists in the store.
    #[error("backup run {run_id} not found in {store}")]
    RunNotFound {
        /// The run id.
        run_id: String,
        /// The store.
        store: String,
    },
    /// The run has files but no manifest: its upload was interrupted or failed.
    #[error(
        "backup run {run_id} in {store} is incomplete: it has no manifest.json (its upload was \
         interrupted or failed), so it cannot be verified or restored"
    )]
    Incomplete {
        /// The run id.
        run_id: String,
        /// The store.
        store: String,
    },
    /// The manifest cannot be read or has an unsupported format version.
    #[error("manifest of backup run {run_id} is unusable: {reason}")]
    Manifest {
        /// The run id.
        run_id: String,
        /// Why.
        reason: String,
    },
    /// A file the operation needs is not listed in the manifest.
    #[error("backup run {run_id} has no {what} (manifest lists no such file)")]
    NotInBackup {
        /// The run id.
        run_id: String,
        /// What was looked for ("Jenkins files archive", …).
        what: &'static str,
    },
    /// A file of the backup is missing, truncated or corrupted: its size or SHA-256 does not
    /// match the manifest.
    #[error("file {name} of backup run {run_id} is corrupted: {problem}")]
    Corrupt {
        /// The run id.
        run_id: String,
        /// File name inside the run (e.g. `source/jenkins.tar.gz.age`).
        name: String,
        /// What does not match.
        problem: String,
    },
    /// An encrypted file was needed but no key was given.
    #[error("file {name} of backup run {run_id} is encrypted: give the passphrase or an identity (age key) to read it")]
    KeyRequired {
        /// The run id.
        run_id: String,
        /// File name inside the run.
        name: String,
    },
    /// An encrypted file could not be decrypted with the given key.
    #[error("cannot decrypt {name} of backup run {run_id}: {reason}")]
    Decrypt {
        /// The run id.
        run_id: String,
        /// File name inside the run.
        name: String,
        /// Why (wrong passphrase, no matching identity, damaged data).
        reason: String,
    },
    /// An archive could not be written or read to its end.
    #[error("archive {name}: {reason}")]
    Archive {
        /// Archive file name inside the run.
        name: String,
        /// Why.
        reason: String,
    },
    /// An archive entry has a path that would escape the target folder, or a type that is
    /// never restored (links, devices).
    #[error("archive {name} holds an unsafe entry {path:?}: {reason}; nothing was restored")]
    UnsafeEntry {
        /// Archive file name inside the run.
        name: String,
        /// The entry path.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// An age recipient (public key) cannot be parsed.
    #[error("invalid age recipient {recipient:?}: {reason}")]
    Recipient {
        /// The recipient string (public, safe to show).
        recipient: String,
        /// Why.
        reason: String,
    },
    /// An age identity file cannot be read or parsed.
    #[error("invalid age identity file {path}: {reason}")]
    IdentityFile {
        /// The path.
        path: PathBuf,
        /// Why (never the key itself).
        reason: String,
    },
    /// A local file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The export folder to back up lacks `resources/`.
    #[error("export folder {path} has no resources/ tree to back up")]
    ExportMissing {
        /// The export folder.
        path: PathBuf,
    },
    /// The Jenkins file source failed while the backup was being written.
    #[error("reading the Jenkins files for the backup failed: {reason}")]
    JenkinsSource {
        /// The source's message.
        reason: String,
    },
    /// The restore target folder already holds files; restores never overwrite.
    #[error("restore target {path} is not empty; restore into a new or empty folder")]
    TargetNotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// A background task failed unexpectedly.
    #[error("internal task failed: {0}")]
    Task(String),
}

impl BackupError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        BackupError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<tokio::task::JoinError> for BackupError {
    fn from(e: tokio::task::JoinError) -> Self {
        BackupError::Task(e.to_string())
    }
}
