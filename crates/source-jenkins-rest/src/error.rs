//! Errors of the Jenkins REST client. Every message names the Jenkins item (or endpoint) and the
//! reason; none ever contains the API token or a credential value.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialMetadata;

/// Why reading from a running Jenkins failed.
#[derive(Debug, thiserror::Error)]
pub enum JenkinsError {
    /// The `--jenkins-url` value is not a usable base URL.
    #[error("invalid Jenkins URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given (user info, if any, removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The API token file could not be read.
    #[error("cannot read the Jenkins API token file {}: {source}", path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The API token file exists but holds no token.
    #[error("the Jenkins API token file {} is empty", path.display())]
    EmptyTokenFile {
        /// The file.
        path: PathBuf,
    },

    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot set up the HTTP client for Jenkins: {reason}")]
    ClientSetup {
        /// The reason reported by the HTTP library.
        reason: String,
    },

    /// Jenkins answered 401: the user or API token is wrong.
    #[error(
        "Jenkins at {url} rejected the credentials of user `{user}` (HTTP 401 Unauthorized): \
         check the user name and the API token"
    )]
    Unauthorized {
        /// The request URL.
        url: String,
        /// The Jenkins user name sent.
        user: String,
    },

    /// Jenkins answered with an error status that is not retried (4xx), or a 5xx after every
    /// retry.
    #[error("{item}: {method} {url} returned HTTP {status}{}", attempts_note(*attempts))]
    Status {
        /// What was being read (`project folder `p``, `job `p/j``, `the top-level item list`, …).
        item: String,
        /// HTTP method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// How many requests were made.
        attempts: u32,
    },

    /// The folder's `config.xml` is forbidden to the API user; its credentials could still be
    /// listed (metadata only) through the credentials store API.
    #[error(
        "{item}: GET {url} returned HTTP 403 (the API user lacks Job/Configure on the folder); \
         {} credential(s) were listed through the credentials store API with values omitted",
        credentials.len()
    )]
    FolderConfigForbidden {
        /// The project folder.
        item: String,
        /// The `config.xml` URL.
        url: String,
        /// The folder credentials' metadata from `…/credentials/store/folder/domain/_/api/json`.
        credentials: Vec<CredentialMetadata>,
    },

    /// The connection failed, timed out or broke while reading the body, after every retry.
    #[error("{item}: {method} {url} failed after {attempts} attempt(s): {reason}")]
    Transport {
        /// What was being read.
        item: String,
        /// HTTP method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// How many requests were made.
        attempts: u32,
        /// The last failure (connection refused, timed out after …, body truncated, …).
        reason: String,
    },

    /// The answer was not what the endpoint returns (bad JSON, missing fields).
    #[error("{item}: unexpected answer from {url}: {reason}")]
    BadResponse {
        /// What was being read.
        item: String,
        /// The request URL.
        url: String,
        /// What was wrong (never the answer's text: it may hold secrets).
        reason: String,
    },

    /// The answer is bigger than this tool accepts (see `ksdm_model::limits`); not retried.
    #[error("{item}: the answer from {url} is larger than {limit}, the most this tool reads; it was not read")]
    TooLarge {
        /// What was being read.
        item: String,
        /// The request URL.
        url: String,
        /// The limit, human-readable (`32 MiB`).
        limit: String,
    },

    /// The blocking adapter's background task ended unexpectedly.
    #[error("the Jenkins reader task stopped: {reason}")]
    TaskStopped {
        /// Why.
        reason: String,
    },
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

impl JenkinsError {
    /// The HTTP status this error carries, if any (401, 403, 404, 5xx, …).
    pub fn status(&self) -> Option<u16> {
        match self {
            JenkinsError::Unauthorized { .. } => Some(401),
            JenkinsError::FolderConfigForbidden { .. } => Some(403),
            JenkinsError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a timeout ("timed out after …") after every retry.
    pub fn is_timeout(&self) -> bool {
        matches!(self, JenkinsError::Transport { reason, .. } if reason.starts_with(TIMEOUT_PREFIX))
    }
}

/// Start of [`JenkinsError::Transport::reason`] for timeouts.
pub(crate) const TIMEOUT_PREFIX: &str = "timed out after";

/// Formats the timeout reason.
pub(crate) fn timeout_reason(timeout: Duration) -> String {
    format!("{TIMEOUT_PREFIX} {timeout:?}")
}
