//! # ksdm-test-jenkins — a TEST DOUBLE of Jenkins 2.176's HTTP API
//!
//! Not Jenkins. A small loopback HTTP server (axum 0.8 on hyper) that serves a `JENKINS_HOME`
//! directory over exactly the endpoints `ksdm-source-jenkins-rest` uses, so the online reader
//! can be tested against the same homes as the offline one. Publish: no.
//!
//! What it implements:
//! * `GET /api/json?tree=jobs[name,_class]` and `GET /job/<p>/…/api/json?tree=jobs[name,_class]`
//!   — items are directories with a `config.xml`; `_class` from the root element
//!   (`flow-definition` → `org.jenkinsci.plugins.workflow.job.WorkflowJob`, `project` →
//!   `hudson.model.FreeStyleProject`, folder and multibranch root elements as their class);
//!   containers list their direct children (multibranch projects their `branches/`), in
//!   Jenkins' case-insensitive order; names resolve case-insensitively; `tree`/`depth` are
//!   ignored.
//! * `GET /job/<p>/config.xml`, `GET /job/<p>/job/<j>/config.xml` — bytes as stored.
//! * `GET /job/<p>/credentials/store/folder/domain/<d>/api/json?depth=2` — the folder store's
//!   credentials' metadata (`DomainWrapper` JSON, no values).
//! * `GET /crumbIssuer/api/json` — `{"crumbRequestField":"Jenkins-Crumb","crumb":…}` plus a
//!   session cookie; 404 when [`DoubleConfig::crumbs`] is off.
//! * `POST /scriptText` — only the reveal script (recognised by [`REVEAL_SCRIPT_MARKER`]):
//!   the double cannot run Groovy, so it decrypts the home's folder credentials offline with
//!   `ksdm-secret` and answers the JSON the script prints; any other script → 400.
//! * Security: HTTP Basic auth on every request (no header → 403 "Authentication required",
//!   wrong user/token → 401); POSTs need the `Jenkins-Crumb` header (403 "No valid crumb was
//!   included in the request"), and optionally the session cookie.
//! * Fault injection at runtime ([`Faults`], [`FaultRule`]): a status for one folder or path
//!   (e.g. 403 on one project, N× 500 then OK), slow answers, truncated bodies, dropped
//!   connections. [`Stats`] logs every request and the most requests in flight.
//!
//! Not implemented: anything else of Jenkins (builds, views, HTML pages, writes, users,
//! permissions beyond the single user, `tree` filtering).
//!
//! ```
//! use ksdm_test_jenkins::{DoubleConfig, JenkinsDouble};
//! let home = tempfile::tempdir().unwrap();
//! let double = JenkinsDouble::start(DoubleConfig::new(home.path())).unwrap();
//! assert!(double.url().starts_with("http://127.0.0.1:"));
//! ```

#![deny(missing_docs)]

mod credentials_api;
mod faults;
pub mod home;
mod home_builder;
mod reveal;
mod routes;
mod server;
mod stats;

pub use faults::{FaultAction, FaultId, FaultRule, Faults};
pub use home_builder::{CredentialSpec, HomeBuilder};
pub use reveal::{reveal_json, REVEAL_SCRIPT_MARKER};
pub use server::{DoubleConfig, JenkinsDouble};
pub use stats::{LoggedRequest, Stats};
