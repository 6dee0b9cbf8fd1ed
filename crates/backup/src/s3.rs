//! [`S3Store`]: backups in S3-compatible object storage (MinIO, SeaweedFS, AWS S3).

use std::path::Path;

use age::secrecy::ExposeSecret;
use async_trait::async_trait;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;

use crate::error::StoreError;
use crate::layout::join_prefix;
use crate::store::{check_key, BackupStore, ObjectInfo, S3Options};

/// A store in an S3 bucket under a key prefix: key `a/b` is object `<prefix>/a/b`.
///
/// Uploads larger than the part size use multipart upload; a failed multipart upload is
/// aborted, so no partial object is left visible.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
    part_size: usize,
}

impl S3Store {
    /// Builds the client: endpoint override, path-style addressing, region and credentials
    /// (explicit keys, else the AWS default chain: environment, profile, …). Sends no request.
    pub async fn connect(
        bucket: &str,
        prefix: &str,
        options: &S3Options,
    ) -> Result<S3Store, StoreError> {
        let endpoint = options
            .endpoint
            .clone()
            .unwrap_or_else(|| "AWS default".to_string());
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        let mut region_profile = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(profile) = &options.profile {
            region_profile = region_profile.profile_name(profile);
        }
        // Not the full default region chain: it would query EC2 instance metadata off-cloud.
        let region = aws_config::meta::region::RegionProviderChain::first_try(
            options.region.clone().map(Region::new),
        )
        .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .or_else(region_profile.build())
        .or_else(Region::from_static("us-east-1"));
        loader = loader.region(region);
        match (&options.access_key, &options.secret_key) {
            (Some(access), Some(secret)) => {
                loader = loader.credentials_provider(Credentials::new(
                    access.clone(),
                    secret.expose_secret().to_string(),
                    None,
                    None,
                    "ksdm-backup",
                ));
            }
            (None, None) => {}
            _ => {
                return Err(StoreError::Credentials {
                    endpoint,
                    reason: "give both the access key and the secret key, or neither".into(),
                })
            }
        }
        if let Some(url) = &options.endpoint {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        let config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(options.path_style)
            // S3-compatible servers differ in their support of the newer default checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Ok(S3Store {
            client: Client::from_conf(config),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            endpoint,
            part_size: options.part_size.max(1),
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist yet (for setup and tests).
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e.code() {
                Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists") => Ok(()),
                _ => Err(self.classify("CreateBucket", "", e)),
            },
        }
    }

    fn full_key(&self, key: &str) -> Result<String, StoreError> {
        check_key(key)?;
        Ok(join_prefix(&self.prefix, key))
    }

    /// Maps an SDK error to a [`StoreError`] that names bucket, key and endpoint.
    fn classify<E>(
        &self,
        operation: &'static str,
        key: &str,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let bucket = self.bucket.clone();
        let endpoint = self.endpoint.clone();
        let status = err.raw_response().map(|r| r.status().as_u16());
        let detail = DisplayErrorContext(&err).to_string();
        match &err {
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ConstructionFailure(_) => {
                if detail.to_ascii_lowercase().contains("credentials") {
                    return StoreError::Credentials {
                        endpoint,
                        reason: "none found in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or the AWS profile".into(),
                    };
                }
                return StoreError::Unreachable {
                    operation,
                    bucket,
                    endpoint,
                    reason: detail,
                };
            }
            _ => {}
        }
        let full_key = key.to_string();
        match (err.code(), status) {
            (Some("SignatureDoesNotMatch"), _) => {
                StoreError::SignatureMismatch { bucket, endpoint }
            }
            (Some("InvalidAccessKeyId"), _) => StoreError::UnknownAccessKey { bucket, endpoint },
            (Some("NoSuchBucket"), _) => StoreError::NoSuchBucket { bucket, endpoint },
            (Some("NoSuchKey") | Some("NotFound"), _) | (None, Some(404)) => StoreError::NotFound {
                key: full_key,
                store: self.describe(),
            },
            (Some("AccessDenied"), _) => StoreError::AccessDenied {
                operation,
                bucket,
                key: full_key,
                endpoint,
            },
            (None, Some(403)) => StoreError::S3 {
                operation,
                object: format!("{bucket}/{full_key}"),
                endpoint,
                code: "HTTP 403".into(),
                message: "forbidden: wrong access key or secret, or missing permission".into(),
            },
            (code, status) => StoreError::S3 {
                operation,
                object: format!("{bucket}/{full_key}"),
                endpoint,
                code: code
                    .map(str::to_string)
                    .or_else(|| status.map(|s| format!("HTTP {s}")))
                    .unwrap_or_else(|| "error".into()),
                message: err.message().map(str::to_string).unwrap_or(detail),
            },
        }
    }

    async fn put_multipart(
        &self,
        full_key: &str,
        source: &Path,
        size: u64,
    ) -> Result<(), StoreError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(full_key)
            .send()
            .await
            .map_err(|e| self.classify("CreateMultipartUpload", full_key, e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let result = self.upload_parts(full_key, source, size, &upload_id).await;
        if result.is_err() {
            tracing::warn!(bucket = %self.bucket, key = full_key, "multipart upload failed; aborting it");
            if let Err(abort) = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(full_key)
                .upload_id(&upload_id)
                .send()
                .await
            {
                tracing::warn!(bucket = %self.bucket, key = full_key, error = %DisplayErrorContext(&abort), "aborting the multipart upload failed");
            }
        }
        result
    }

    async fn upload_parts(
        &self,
        full_key: &str,
        source: &Path,
        size: u64,
        upload_id: &str,
    ) -> Result<(), StoreError> {
        let part_size = self.part_size as u64;
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        while offset < size {
            let length = part_size.min(size - offset);
            let body = ByteStream::read_from()
                .path(source)
                .offset(offset)
                .length(Length::Exact(length))
                .build()
                .await
                .map_err(|e| StoreError::Io {
                    action: "reading",
                    path: source.to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            let uploaded = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(full_key)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(length as i64)
                .body(body)
                .send()
                .await
                .map_err(|e| self.classify("UploadPart", full_key, e))?;
            parts.push(
                CompletedPart::builder()
                    .set_e_tag(uploaded.e_tag().map(str::to_string))
                    .part_number(number)
                    .build(),
            );
            tracing::debug!(key = full_key, part = number, length, "uploaded part");
            offset += length;
            number += 1;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(full_key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.classify("CompleteMultipartUpload", full_key, e))?;
        Ok(())
    }
}

#[async_trait]
impl BackupStore for S3Store {
    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{} at {}", self.bucket, self.endpoint)
        } else {
            format!("s3://{}/{} at {}", self.bucket, self.prefix, self.endpoint)
        }
    }

    async fn put_file(&self, key: &str, source: &Path) -> Result<(), StoreError> {
        let full_key = self.full_key(key)?;
        let size = tokio::fs::metadata(source)
            .await
            .map_err(|e| StoreError::Io {
                action: "inspecting",
                path: source.to_path_buf(),
                source: e,
            })?
            .len();
        if size > self.part_size as u64 {
            return self.put_multipart(&full_key, source, size).await;
        }
        let body = ByteStream::from_path(source)
            .await
            .map_err(|e| StoreError::Io {
                action: "reading",
                path: source.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .content_length(size as i64)
            .body(body)
            .send()
            .await
            .map_err(|e| self.classify("PutObject", &full_key, e))?;
        Ok(())
    }

    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        let full_key = self.full_key(key)?;
        let response = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .send()
            .await
            .map_err(|e| match self.classify("GetObject", &full_key, e) {
                StoreError::NotFound { store, .. } => StoreError::NotFound {
                    key: key.to_string(),
                    store,
                },
                other => other,
            })?;
        let io_err = |action, e| StoreError::Io {
            action,
            path: dest.to_path_buf(),
            source: e,
        };
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| io_err("creating", e))?;
        let mut body = response.body.into_async_read();
        let n = tokio::io::copy(&mut body, &mut file)
            .await
            .map_err(|e| StoreError::S3 {
                operation: "GetObject",
                object: format!("{}/{full_key}", self.bucket),
                endpoint: self.endpoint.clone(),
                code: "download interrupted".into(),
                message: e.to_string(),
            })?;
        file.sync_all().await.map_err(|e| io_err("writing", e))?;
        Ok(n)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let root = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let full_prefix = format!("{root}{prefix}");
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.classify("ListObjectsV2", &full_prefix, e))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let Some(relative) = key.strip_prefix(&root) else {
                    continue;
                };
                out.push(ObjectInfo {
                    key: relative.to_string(),
                    size: object.size().unwrap_or(0).max(0) as u64,
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let full_key = self.full_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&full_key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match self.classify("HeadObject", &full_key, e) {
                StoreError::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }
}
