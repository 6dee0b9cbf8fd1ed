//! Error types of the apply engine. Messages name the item (file, object key, project) and the
//! reason; they never contain Secret values.

use std::path::PathBuf;
use std::time::Duration;

/// Reading the export tree failed as a whole (a single bad file is a [`crate::plan::PlanProblem`]).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The `resources` folder of the export tree is missing or unreadable.
    #[error("cannot read the export tree {path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A journal file could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// File I/O failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An entry could not be serialised.
    #[error("journal {path}: cannot serialise an entry: {message}")]
    Serialise {
        /// The journal file.
        path: PathBuf,
        /// The serialiser's message.
        message: String,
    },
}

/// A failed call to the Kubernetes API (after retries), in a form that is easy to classify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The API server answered with a `Status` error.
    #[error("the API server answered {code} {reason}: {message}")]
    Api {
        /// HTTP code.
        code: u16,
        /// `Status.reason` (e.g. `AlreadyExists`, `Conflict`, `NotFound`).
        reason: String,
        /// `Status.message`.
        message: String,
    },
    /// No answer within the per-request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connection or protocol failure (dropped connection, truncated body, …).
    #[error("connection error: {0}")]
    Transport(String),
    /// Anything else (request building, configuration, …).
    #[error("{0}")]
    Other(String),
}

impl ClusterError {
    /// HTTP code of an API answer.
    pub fn code(&self) -> Option<u16> {
        match self {
            ClusterError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
    /// 404 NotFound.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(404)
    }
    /// 409 AlreadyExists (a create of an existing name).
    pub fn is_already_exists(&self) -> bool {
        matches!(self, ClusterError::Api { code: 409, reason, .. } if reason == "AlreadyExists")
    }
    /// 409 Conflict (stale resourceVersion or server-side apply field conflict).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClusterError::Api { code: 409, reason, .. } if reason != "AlreadyExists")
    }
    /// 415 UnsupportedMediaType (server-side apply not available).
    pub fn is_unsupported_media_type(&self) -> bool {
        self.code() == Some(415)
    }
}

/// A run-level failure: the run could not start (each object's failure is in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The Kubernetes client could not be configured.
    #[error("cannot configure the Kubernetes client: {0}")]
    Config(String),
    /// The API server could not be reached.
    #[error("the Kubernetes API server is not reachable: {0}")]
    Unreachable(ClusterError),
    /// The export tree could not be read.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The journal could not be used.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The run id is not a valid label value.
    #[error(transparent)]
    InvalidRunId(#[from] ksdm_model::run::InvalidRunId),
}
