//! Where backups live: the [`BackupStore`] trait and [`open_store`].

use std::path::Path;

use age::secrecy::SecretString;
use async_trait::async_trait;

use crate::error::StoreError;
use crate::local::LocalStore;
use crate::s3::S3Store;

/// Default local store folder.
pub const DEFAULT_LOCAL_STORE: &str = "./ks-devops-backups";

/// Default S3 multipart part size (also the threshold above which multipart upload is used).
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// One object listed by a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key relative to the store root (`<run-id>/<name>`).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// A place that holds backup runs. Keys are `/`-separated and relative to the store root; they
/// come from [`crate::layout`].
#[async_trait]
pub trait BackupStore: Send + Sync + std::fmt::Debug {
    /// The store for humans (`local folder ./ks-devops-backups`, `s3://bucket/prefix at
    /// http://127.0.0.1:9000`); used in messages. Never contains credentials.
    fn describe(&self) -> String;

    /// Uploads the local file `source` as `key`, streaming. The object appears complete or not
    /// at all (local: temp file + rename; S3: single PUT or completed multipart upload, aborted
    /// on error).
    async fn put_file(&self, key: &str, source: &Path) -> Result<(), StoreError>;

    /// Downloads `key` into the local file `dest` (created or truncated); returns its size.
    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError>;

    /// Lists every object whose key starts with `prefix` (`""` = everything), in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;

    /// True when `key` exists.
    async fn exists(&self, key: &str) -> Result<bool, StoreError>;
}

/// Connection settings for S3-compatible object storage (MinIO, SeaweedFS, AWS).
#[derive(Clone)]
pub struct S3Options {
    /// Endpoint URL (`http://127.0.0.1:9000`); `None` = AWS.
    pub endpoint: Option<String>,
    /// Region; `None` = from the environment / profile, else `us-east-1`.
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), needed by MinIO; default `true`.
    pub path_style: bool,
    /// Access key id; with `secret_key`, overrides the environment / profile.
    pub access_key: Option<String>,
    /// Secret access key.
    pub secret_key: Option<SecretString>,
    /// AWS profile name for credentials and region (`None` = default chain).
    pub profile: Option<String>,
    /// Multipart part size and threshold in bytes (S3 requires at least 5 MiB for all parts
    /// but the last).
    pub part_size: usize,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            endpoint: None,
            region: None,
            path_style: true,
            access_key: None,
            secret_key: None,
            profile: None,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key", &self.access_key)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("profile", &self.profile)
            .field("part_size", &self.part_size)
            .finish()
    }
}

/// Opens the store named by `spec`: `s3://bucket[/prefix]` for object storage, anything else a
/// local folder (created on first write); an empty spec is [`DEFAULT_LOCAL_STORE`].
pub async fn open_store(spec: &str, s3: &S3Options) -> Result<Box<dyn BackupStore>, StoreError> {
    if let Some(rest) = spec.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StoreError::InvalidSpec {
                spec: spec.to_string(),
                reason: "the bucket name is empty (use s3://bucket/prefix)".into(),
            });
        }
        let store = S3Store::connect(bucket, prefix, s3).await?;
        Ok(Box::new(store))
    } else {
        let path = if spec.is_empty() {
            DEFAULT_LOCAL_STORE
        } else {
            spec
        };
        Ok(Box::new(LocalStore::new(path)))
    }
}

/// Checks a key: relative, `/`-separated, no empty, `.` or `..` segments.
pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    if crate::layout::is_safe_relative_path(key) {
        Ok(())
    } else {
        Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason: "keys are relative, '/'-separated, without empty, '.' or '..' segments".into(),
        })
    }
}
