//! The cluster side shared by `migrate`, `plan`, `verify` and `restore`: connect, preflight,
//! apply the export tree (or diff it), verify it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ksdm_apply::{
    apply_plan, connect_described, filter_shard, preflight, verify_tree, Adoption, ApplyEvent,
    ApplyOptions, ApplyReport, ConfigMapMirror, ConnectOptions, ExistingPolicy, Journal, Plan,
    PreflightOptions, Progress, RunId, VerifyOptions, VerifyReport,
};
use ksdm_sink::tree::write_file;

use crate::args::ClusterArgs;

/// Whether the command line (or the environment) names a cluster. With `--sample` only an
/// explicit `--kubeconfig` does: the sample never goes to whatever cluster `$KUBECONFIG` names.
pub fn configured(c: &ClusterArgs, sample: bool) -> bool {
    if sample {
        return c.kubeconfig.is_some();
    }
    c.kubeconfig.is_some()
        || c.context.is_some()
        || std::env::var_os("KUBECONFIG").is_some()
        || ksdm_apply::running_in_cluster()
}

async fn client(c: &ClusterArgs) -> Result<kube::Client> {
    let opts = ConnectOptions {
        kubeconfig: c.kubeconfig.as_deref(),
        context: c.context.as_deref(),
        read_timeout: Some(std::time::Duration::from_secs(60)),
    };
    let (client, target) = connect_described(&opts)
        .await
        .context("connecting to the Kubernetes API server")?;
    // Say which cluster before the first request.
    println!("cluster: {target}");
    Ok(client)
}

/// True (after saying why on stderr) when a cluster command runs on the sample without an
/// explicit `--kubeconfig`: the caller exits with the usage code and touches no cluster.
pub fn sample_without_kubeconfig(c: &ClusterArgs, sample: bool, command: &str) -> bool {
    let refused = sample && c.kubeconfig.is_none();
    if refused {
        eprintln!(
            "ks-devops-migrate: `{command} --sample` talks to a cluster only when --kubeconfig FILE is given \
             explicitly ($KUBECONFIG and in-cluster credentials are ignored for the sample)"
        );
    }
    refused
}

/// Where the journal is kept in the cluster when `--journal-configmap` is not given.
pub const DEFAULT_JOURNAL_CONFIGMAP: &str = "default/ks-devops-migrate-journal";

/// The journal ConfigMap: `NS/NAME`, or a bare `NAME` in the pod's namespace (`POD_NAMESPACE`,
/// which the manifests of `job` set next to a bare `KSDM_JOURNAL_CONFIGMAP`).
///
/// Without `--journal-configmap` every cluster run keeps its journal in the cluster as well, in
/// [`DEFAULT_JOURNAL_CONFIGMAP`], so a rerun from another machine, another `--out` or a fresh pod
/// still knows what earlier runs left in place (and does not recreate what a user deleted since).
/// `--journal-configmap ""` turns the mirror off.
fn mirror(c: &ClusterArgs) -> Option<ConfigMapMirror> {
    let spec = c
        .journal_configmap
        .as_deref()
        .unwrap_or(DEFAULT_JOURNAL_CONFIGMAP);
    let spec = Some(spec).filter(|s| !s.is_empty())?;
    let (namespace, name) = match spec.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => match std::env::var("POD_NAMESPACE")
            .ok()
            .filter(|ns| !ns.is_empty())
        {
            Some(ns) => (ns, spec.to_string()),
            None => {
                tracing::warn!(
                    configmap = spec,
                    "journal ConfigMap without a namespace and POD_NAMESPACE is not set: not mirrored"
                );
                return None;
            }
        },
    };
    Some(ConfigMapMirror { namespace, name })
}

/// Connects and runs the cluster preflight (API reachable, server version, CRDs, permissions)
/// before anything is read, so an unusable cluster stops the run first (exit 5).
pub fn preflight_cluster(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
) -> Result<(), ksdm_run::RunError> {
    use ksdm_run::RunError;
    let what = step_label("cluster preflight", c);
    rt.block_on(async {
        let client = client(c)
            .await
            .map_err(|e| RunError::preflight(what.clone(), e.into_boxed_dyn_error()))?;
        // Adoption replaces the objects it adopts: check the update permissions too.
        let existing = if c.existing == "update" || c.adopt_installer_migration {
            ExistingPolicy::Update
        } else {
            ExistingPolicy::Keep
        };
        let pre = preflight(
            &client,
            &PreflightOptions {
                existing,
                journal_configmap: mirror(c),
                retry: Default::default(),
            },
        )
        .await
        .map_err(|e| RunError::preflight(what.clone(), e))?;
        if pre.is_ok() {
            Ok(())
        } else {
            let problems: Vec<String> = pre.problems().into_iter().collect();
            Err(RunError::Preflight {
                what: format!(
                    "the cluster is not ready (the estate was not read; nothing was applied): {}",
                    problems.join("; ")
                ),
                source: None,
            })
        }
    })
}

/// The result of applying (or planning) an export tree.
pub struct Applied {
    /// The engine's report.
    pub report: ApplyReport,
    /// Problems found before anything was written (preflight, unreadable tree files).
    pub problems: Vec<String>,
}

impl Applied {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.report.is_success()
    }
}

/// Applies (or with `dry_run`, plans) the tree under `export_dir`. Writes `apply.md`/`apply.json`
/// (or `plan.md`/`plan.json`) next to it.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
    export_dir: &Path,
    run_id: &str,
    dry_run: bool,
    no_progress: bool,
    notes: &[String],
    adopt: Option<Adoption>,
) -> Result<Applied> {
    rt.block_on(async {
        let mut problems = Vec::new();
        let client = client(c).await?;
        let existing = if c.existing == "update" {
            ExistingPolicy::Update
        } else {
            ExistingPolicy::Keep
        };
        let pre = preflight(
            &client,
            &PreflightOptions {
                existing,
                journal_configmap: mirror(c),
                retry: Default::default(),
            },
        )
        .await
        .context("preflight checks against the cluster")?;
        problems.extend(pre.problems());
        let mut plan = Plan::from_tree(export_dir).context("reading the export tree")?;
        for p in &plan.problems {
            problems.push(format!("{}: {}", p.path.display(), p.reason));
        }
        if let (Some(n), Some(i)) = (c.shards, c.shard_index) {
            plan = filter_shard(&plan, i, n);
        }
        let mut opts = ApplyOptions::new(RunId::parse(run_id)?, env!("CARGO_PKG_VERSION"));
        opts.existing = existing;
        opts.overwrite_secret_data = c.overwrite_secret_data;
        opts.recreate_deleted = c.recreate_deleted;
        opts.dry_run = dry_run;
        opts.namespace_wait.timeout = c.namespace_timeout;
        opts.concurrency = c.concurrency.max(1);
        opts.adopt = adopt;
        if !pre.is_ok() && !dry_run {
            // Nothing is written when the cluster is not ready for it.
            let report = ApplyReport::default();
            return Ok(Applied { report, problems });
        }
        let journal = if dry_run {
            None
        } else {
            let path = c
                .journal
                .clone()
                .unwrap_or_else(|| ksdm_model::OutputLayout::new(export_dir).journal());
            let mut j = Journal::open(&path)
                .with_context(|| format!("opening journal {}", path.display()))?;
            if let Some(m) = mirror(c) {
                j = j.with_configmap_mirror(m);
            }
            Some(j)
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let total = plan.projects.len() as u64;
        let bar = crate::progress::projects(total, no_progress);
        bar.set_message(if dry_run { "planning" } else { "applying" });
        let watcher = tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                match ev {
                    ApplyEvent::ProjectFinished { .. } => bar.inc(1),
                    ApplyEvent::WaitingForNamespace { .. } => {
                        bar.set_message("waiting for namespaces")
                    }
                    _ => {}
                }
            }
            bar.finish_and_clear();
        });
        let mut report = apply_plan(
            &client,
            &plan,
            &opts,
            journal.as_ref(),
            &Progress::channel(tx),
        )
        .await;
        report.notes.extend(notes.iter().cloned());
        let _ = watcher.await;
        let (md, json) = ksdm_model::OutputLayout::new(export_dir).apply_reports(dry_run);
        let mut text = report.to_markdown();
        if !problems.is_empty() {
            text.push_str("\n## Problems before applying\n\n");
            for p in &problems {
                text.push_str(&format!("- {p}\n"));
            }
        }
        write_file(&md, text.as_bytes(), false)?;
        write_file(
            &json,
            serde_json::to_string_pretty(&report)?.as_bytes(),
            false,
        )?;
        Ok(Applied { report, problems })
    })
}

/// `--adopt-installer-migration`, before the backup: finds what KubeSphere's migration Job
/// wrote for the objects of the export tree (and the DevOpsProjects it recreated for deleted v2.1
/// projects), reads the live `config.xml` of each such Pipeline's job when a live Jenkins is
/// given next to a snapshot source, and writes all of it into `<out>/adoption-before/`, which
/// the backup archives. Returns the adoption for the engine (`backed_up_in` names the backup).
pub fn prepare_adoption(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
    export_dir: &Path,
    conv: &ksdm_run::convert::Converted,
    source: &crate::args::SourceArgs,
    backed_up_in: String,
) -> Result<Adoption> {
    use std::sync::Arc;
    let before = ksdm_model::OutputLayout::new(export_dir).adoption_before();
    if before.exists() {
        std::fs::remove_dir_all(&before)
            .with_context(|| format!("removing the earlier {}", before.display()))?;
    }
    let deleted: Vec<String> = conv
        .sources
        .mysql
        .projects
        .iter()
        .filter(|p| !p.is_active())
        .map(|p| p.project_id.clone())
        .collect();
    let snapshot = ksdm_run::adopt::jenkins_is_snapshot(&conv.sources);
    let (live, no_jobs_reason) = match (&source.jenkins_url, snapshot) {
        (Some(url), true) => (
            Some(ksdm_run::adopt::live_client(
                url,
                &source.jenkins_user,
                source.jenkins_token_file.as_deref(),
                source.jenkins_concurrency,
            )?),
            String::new(),
        ),
        (None, true) => (
            None,
            "no live Jenkins was given: rerun with --jenkins-url URL (the v3.0 Jenkins) next to the snapshot source".into(),
        ),
        (_, false) => (
            None,
            "the Jenkins source is the live Jenkins, whose jobs v3.0 has already rewritten: rerun with the snapshot \
             (--from-backup RUN, or --jenkins-home with a pre-upgrade copy of the Jenkins volume) and --jenkins-url URL"
                .into(),
        ),
    };
    let mut plan = Plan::from_tree(export_dir).context("reading the export tree")?;
    if let (Some(n), Some(i)) = (c.shards, c.shard_index) {
        plan = filter_shard(&plan, i, n);
    }
    let (survey, jobs) = rt.block_on(async {
        let client = client(c).await?;
        let mut survey = ksdm_apply::survey(&client, &plan, &deleted)
            .await
            .context("finding the objects KubeSphere's migration Job wrote")?;
        let jobs = ksdm_run::adopt::SnapshotJobs::load(
            &conv.sources,
            &conv.scope,
            &survey.pipeline_jobs(),
            live,
        )?;
        if jobs.has_live() {
            survey
                .read_jobs(&jobs)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        anyhow::Ok((survey, jobs))
    })?;
    if !survey.candidates.is_empty() || !survey.recreated_deleted.is_empty() {
        survey
            .write_to(&before)
            .with_context(|| format!("writing {}", before.display()))?;
    }
    let has_live = jobs.has_live();
    Ok(Adoption {
        survey: Arc::new(survey),
        jobs: has_live.then(|| Arc::new(jobs) as Arc<dyn ksdm_apply::JenkinsJobs>),
        no_jobs_reason,
        backed_up_in,
    })
}

/// `step`, naming the kubeconfig when one was given (for error messages).
fn step_label(step: &str, c: &ClusterArgs) -> String {
    match &c.kubeconfig {
        Some(k) => format!("{step} (kubeconfig {})", k.display()),
        None => step.to_string(),
    }
}

/// Connects and asks the API server for its version, so an unusable cluster stops a read-only
/// command (`verify`) before the estate is read (exit 5). Unlike [`preflight_cluster`] it asks
/// for no write permissions.
pub fn check_reachable(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
) -> Result<(), ksdm_run::RunError> {
    use ksdm_run::RunError;
    let what = step_label("cluster check", c);
    rt.block_on(async {
        let client = client(c)
            .await
            .map_err(|e| RunError::preflight(what.clone(), e.into_boxed_dyn_error()))?;
        client.apiserver_version().await.map_err(|e| {
            RunError::preflight(
                format!("{what}: the Kubernetes API server is not reachable"),
                e,
            )
        })?;
        Ok(())
    })
}

/// Verifies the tree under `export_dir` against the cluster; writes `verify.md`/`verify.json`.
pub fn verify(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
    export_dir: &Path,
) -> Result<(VerifyReport, PathBuf)> {
    rt.block_on(async {
        let client = client(c).await?;
        let report = verify_tree(&client, export_dir, &VerifyOptions::default())
            .await
            .context("verifying")?;
        let (md, json) = ksdm_model::OutputLayout::new(export_dir).verify_reports();
        write_file(&md, report.to_markdown().as_bytes(), false)?;
        write_file(
            &json,
            serde_json::to_string_pretty(&report)?.as_bytes(),
            false,
        )?;
        Ok((report, md))
    })
}
