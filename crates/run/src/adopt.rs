//! The Jenkins side of `--adopt-installer-migration`: the snapshot's original job files (read
//! from the Jenkins source, which must be a snapshot — `--from-backup RUN` or a pre-upgrade
//! copy of the Jenkins home) and the live v3.0 Jenkins (`--jenkins-url`) whose rewritten jobs
//! get them back.

use std::collections::{HashMap, HashSet};

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use ksdm_apply::JenkinsJobs;
use ksdm_source_jenkins_rest::{JenkinsClient, JenkinsOptions};

use crate::error::RunError;
use crate::sources::{Jenkins, Scope, Sources};

/// The snapshot's job files and, when given, the live Jenkins.
pub struct SnapshotJobs {
    /// `(namespace, job)` → the snapshot's `config.xml`.
    originals: HashMap<(String, String), Vec<u8>>,
    /// namespace → the Jenkins folder name (case as stored).
    folders: HashMap<String, String>,
    live: Option<JenkinsClient>,
}

impl std::fmt::Debug for SnapshotJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotJobs")
            .field("originals", &self.originals.len())
            .field("live", &self.live.as_ref().map(|c| c.url().to_string()))
            .finish()
    }
}

/// Whether the run's Jenkins source is a snapshot (a Jenkins home or a backup), not a live
/// Jenkins whose jobs the v3.0 controller may already have rewritten.
pub fn jenkins_is_snapshot(sources: &Sources) -> bool {
    matches!(sources.jenkins, Jenkins::Home(_))
}

/// A client of the live Jenkins at `url` (token from `token_file` or `JENKINS_API_TOKEN`).
pub fn live_client(
    url: &str,
    user: &str,
    token_file: Option<&std::path::Path>,
    concurrency: usize,
) -> Result<JenkinsClient, RunError> {
    let mut opts = JenkinsOptions::from_env_and_file(url, user, token_file, "JENKINS_API_TOKEN")
        .map_err(|e| RunError::input("Jenkins connection settings", e))?;
    opts.concurrency = concurrency.max(1);
    JenkinsClient::new(opts).map_err(|e| RunError::input("Jenkins client", e))
}

impl SnapshotJobs {
    /// Reads, in one pass over the snapshot, the `config.xml` of each `(namespace, job)` in
    /// `wanted`. A live Jenkins source is refused: its jobs are no snapshot.
    pub fn load(
        sources: &Sources,
        scope: &Scope,
        wanted: &[(String, String)],
        live: Option<JenkinsClient>,
    ) -> Result<Self, RunError> {
        let mut originals = HashMap::new();
        let mut folders = HashMap::new();
        if jenkins_is_snapshot(sources) && !wanted.is_empty() {
            let wanted: HashSet<(String, String)> = wanted.iter().cloned().collect();
            for folder in sources.read_folders(scope, None)?.flatten() {
                let ns = folder.name.to_ascii_lowercase();
                for (job, xml) in folder.jobs {
                    let k = (ns.clone(), job);
                    if wanted.contains(&k) {
                        originals.insert(k, xml);
                    }
                }
                folders.insert(ns, folder.name);
            }
        }
        Ok(SnapshotJobs {
            originals,
            folders,
            live,
        })
    }

    /// Whether a live Jenkins was given.
    pub fn has_live(&self) -> bool {
        self.live.is_some()
    }

    fn folder<'a>(&'a self, namespace: &'a str) -> &'a str {
        self.folders
            .get(namespace)
            .map(String::as_str)
            .unwrap_or(namespace)
    }
}

impl JenkinsJobs for SnapshotJobs {
    fn original(&self, namespace: &str, job: &str) -> Option<Vec<u8>> {
        self.originals
            .get(&(namespace.to_string(), job.to_string()))
            .cloned()
    }

    fn current<'a>(
        &'a self,
        namespace: &'a str,
        job: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, String>> {
        async move {
            let Some(client) = &self.live else {
                return Err("no live Jenkins (--jenkins-url) was given".to_string());
            };
            client
                .job_config(&[self.folder(namespace), job])
                .await
                .map_err(|e| e.to_string())
        }
        .boxed()
    }

    fn put<'a>(
        &'a self,
        namespace: &'a str,
        job: &'a str,
        xml: &'a [u8],
    ) -> BoxFuture<'a, Result<(), String>> {
        async move {
            let Some(client) = &self.live else {
                return Err("no live Jenkins (--jenkins-url) was given".to_string());
            };
            client
                .post_job_config(&[self.folder(namespace), job], xml)
                .await
                .map_err(|e| e.to_string())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        match &self.live {
            Some(c) => format!("Jenkins {}", c.url()),
            None => "no live Jenkins".into(),
        }
    }
}
