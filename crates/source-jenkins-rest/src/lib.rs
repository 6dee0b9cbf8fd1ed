//! # ksdm-source-jenkins-rest
//!
//! Reads a running KubeSphere v2.1 Jenkins (2.176) over its REST API with results identical to
//! the offline `ksdm_source::jenkins_home::JenkinsHome` reader (`docs/v21-sources.md` §3.1,
//! §4.1, §5.8):
//!
//! | what | endpoint |
//! |---|---|
//! | top-level items | `GET /api/json?tree=jobs[name,_class]` |
//! | a folder's own `config.xml` (with its credential store, encrypted values) | `GET /job/<p>/config.xml` |
//! | a folder's direct items | `GET /job/<p>/api/json?tree=jobs[name,_class]` |
//! | a job's `config.xml` | `GET /job/<p>/job/<j>/config.xml` |
//! | folder credentials' metadata (no values) | `GET /job/<p>/credentials/store/folder/domain/_/api/json?depth=2` |
//! | CSRF crumb (for POSTs) | `GET /crumbIssuer/api/json` |
//! | opt-in secret values | `POST /scriptText` with [`REVEAL_SCRIPT`] |
//!
//! Every top-level item is yielded as a [`ksdm_model::v21::JenkinsFolder`] (folders, and stray
//! items such as `init-job` with no jobs), in name order; a container's jobs are its direct
//! items (nested folders included, not recursed), sorted by name; multibranch projects' branch
//! jobs are not read. Jenkins serves `config.xml` as stored, byte for byte, to a user with
//! Job/Configure; with only Job/ExtendedRead it masks secrets, so use an administrator token.
//!
//! Behaviour on the network: HTTP Basic auth with user + API token; at most
//! [`JenkinsOptions::concurrency`] requests in flight (default 8); a timeout per request;
//! retries with exponential backoff after 5xx answers, connection errors, timeouts and broken
//! bodies; per-item failure isolation (a 403 on one folder fails that item only). When a
//! folder's `config.xml` is forbidden but its credentials can still be listed, the item fails
//! with [`JenkinsError::FolderConfigForbidden`] carrying the credentials' metadata, so the
//! caller can list them as manual tasks.
//!
//! The library never prints; progress is up to the caller (one stream item per top-level
//! item, [`JenkinsClient::folder_names`] gives the total).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ksdm_source_jenkins_rest::JenkinsError> {
//! use futures_util::StreamExt;
//! use ksdm_source_jenkins_rest::{JenkinsClient, JenkinsOptions};
//!
//! let opts = JenkinsOptions::from_env_and_file("http://jenkins/", "admin", None, "JENKINS_API_TOKEN")?;
//! let client = JenkinsClient::new(opts)?;
//! let mut folders = std::pin::pin!(client.folders());
//! while let Some(folder) = folders.next().await {
//!     match folder {
//!         Ok(f) => println!("{}: {} jobs", f.name, f.jobs.len()),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod blocking;
mod client;
mod credentials;
mod error;
mod listing;
mod options;
mod paths;
mod reveal;
mod transport;

pub use blocking::BlockingFolders;
pub use client::JenkinsClient;
pub use credentials::CredentialMetadata;
pub use error::JenkinsError;
pub use listing::{ItemRef, FOLDER_CLASS, FREESTYLE_CLASS, WORKFLOW_JOB_CLASS};
pub use options::{
    parse_base_url, JenkinsOptions, DEFAULT_BACKOFF_BASE, DEFAULT_CONCURRENCY, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT, DEFAULT_TOKEN_ENV_VAR,
};
pub use paths::encode_segment;
pub use reveal::{RevealedValues, REVEAL_SCRIPT, REVEAL_SCRIPT_MARKER};

/// Installs rustls' `aws-lc-rs` crypto provider as the process default, once. Does nothing when
/// a provider is already installed (by this or another crate). Several TLS backends are linked
/// into the CLI, so rustls cannot pick one by itself; [`JenkinsClient::new`] calls this too.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An Err means another thread installed one in between: that is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
