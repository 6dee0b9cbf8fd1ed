//! The cluster side shared by `migrate`, `plan`, `verify` and `restore`: connect, preflight,
//! apply the export tree (or diff it), verify it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ksdm_apply::{
    apply_plan, connect, filter_shard, preflight, verify_tree, ApplyEvent, ApplyOptions, ApplyReport,
    ConfigMapMirror, ConnectOptions, ExistingPolicy, Journal, Plan, PreflightOptions, Progress, RunId,
    VerifyOptions, VerifyReport,
};
use ksdm_sink::tree::write_file;

use crate::args::ClusterArgs;

/// Whether the command line (or the environment) names a cluster.
pub fn configured(c: &ClusterArgs) -> bool {
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
    connect(&opts).await.context("connecting to the Kubernetes API server")
}

/// The journal ConfigMap: `NS/NAME`, or a bare `NAME` in the pod's namespace (`POD_NAMESPACE`,
/// which the manifests of `job` set next to a bare `KSDM_JOURNAL_CONFIGMAP`).
fn mirror(c: &ClusterArgs) -> Option<ConfigMapMirror> {
    let spec = c.journal_configmap.as_deref().filter(|s| !s.is_empty())?;
    let (namespace, name) = match spec.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => match std::env::var("POD_NAMESPACE").ok().filter(|ns| !ns.is_empty()) {
            Some(ns) => (ns, spec.to_string()),
            None => {
                tracing::warn!(configmap = spec, "journal ConfigMap without a namespace and POD_NAMESPACE is not set: not mirrored");
                return None;
            }
        },
    };
    Some(ConfigMapMirror { namespace, name })
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
pub fn apply(
    rt: &tokio::runtime::Runtime,
    c: &ClusterArgs,
    export_dir: &Path,
    run_id: &str,
    dry_run: bool,
    no_progress: bool,
) -> Result<Applied> {
    rt.block_on(async {
        let mut problems = Vec::new();
        // A kubeconfig that cannot be used is a failed preflight (nothing is applied), not a bug.
        let client = match client(c).await {
            Ok(client) => client,
            Err(e) => {
                problems.push(format!("{e:#}"));
                return Ok(Applied { report: ApplyReport::default(), problems });
            }
        };
        let existing = if c.existing == "update" { ExistingPolicy::Update } else { ExistingPolicy::Keep };
        let pre = match preflight(
            &client,
            &PreflightOptions { existing, journal_configmap: mirror(c), retry: Default::default() },
        )
        .await
        {
            Ok(pre) => pre,
            // An unreachable server is a failed preflight (nothing is applied), not a bug.
            Err(e) => {
                let via = c.kubeconfig.as_ref().map(|k| format!(" (kubeconfig {})", k.display())).unwrap_or_default();
                problems.push(format!("preflight checks against the cluster{via}: {e}"));
                return Ok(Applied { report: ApplyReport::default(), problems });
            }
        };
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
        if !pre.is_ok() && !dry_run {
            // Nothing is written when the cluster is not ready for it.
            let report = ApplyReport::default();
            return Ok(Applied { report, problems });
        }
        let journal = if dry_run {
            None
        } else {
            let path = c.journal.clone().unwrap_or_else(|| export_dir.join("journal.jsonl"));
            let mut j = Journal::open(&path).with_context(|| format!("opening journal {}", path.display()))?;
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
                    ApplyEvent::WaitingForNamespace { .. } => bar.set_message("waiting for namespaces"),
                    _ => {}
                }
            }
            bar.finish_and_clear();
        });
        let report = apply_plan(&client, &plan, &opts, journal.as_ref(), &Progress::channel(tx)).await;
        let _ = watcher.await;
        let (md, json) = if dry_run { ("plan.md", "plan.json") } else { ("apply.md", "apply.json") };
        let mut text = report.to_markdown();
        if !problems.is_empty() {
            text.push_str("\n## Problems before applying\n\n");
            for p in &problems {
                text.push_str(&format!("- {p}\n"));
            }
        }
        write_file(&export_dir.join(md), text.as_bytes(), false)?;
        write_file(&export_dir.join(json), serde_json::to_string_pretty(&report)?.as_bytes(), false)?;
        Ok(Applied { report, problems })
    })
}

/// Verifies the tree under `export_dir` against the cluster; writes `verify.md`/`verify.json`.
pub fn verify(rt: &tokio::runtime::Runtime, c: &ClusterArgs, export_dir: &Path) -> Result<(VerifyReport, PathBuf)> {
    rt.block_on(async {
        let client = client(c).await?;
        let report = verify_tree(&client, export_dir, &VerifyOptions::default()).await.context("verifying")?;
        write_file(&export_dir.join("verify.md"), report.to_markdown().as_bytes(), false)?;
        write_file(&export_dir.join("verify.json"), serde_json::to_string_pretty(&report)?.as_bytes(), false)?;
        Ok((report, export_dir.join("verify.md")))
    })
}
