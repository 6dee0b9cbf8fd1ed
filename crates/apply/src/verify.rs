//! `verify`: compares the export with the cluster object by object: missing, different, extra
//! (objects carrying this tool's run-id label in the project namespaces that the export does not
//! have), ok.

use std::collections::BTreeSet;
use std::path::Path;

use futures::StreamExt as _;
use kube::Client;
use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::compare::compare;
use crate::error::PlanError;
use crate::object::{object_key, ObjectKind};
use crate::plan::{Plan, ProjectPlan};
use crate::provenance::{FIELD_MANAGER, RUN_ID_LABEL};
use crate::retry::RetryPolicy;

/// One finding of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyItem {
    /// Object key.
    pub key: String,
    /// Details (differing fields, the error, the run id of an extra object).
    pub message: String,
    /// Diff of the owned fields for different objects (`-` cluster, `+` export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// The result of [`verify_plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VerifyReport {
    /// In the export, not in the cluster.
    pub missing: Vec<VerifyItem>,
    /// In both, the owned fields differ.
    pub different: Vec<VerifyItem>,
    /// Written by this tool (run-id label) in a project namespace, not in the export.
    pub extra: Vec<VerifyItem>,
    /// In both and equal (keys).
    pub ok: Vec<String>,
    /// Could not be checked (API errors, unusable export files).
    pub errors: Vec<VerifyItem>,
}

impl VerifyReport {
    /// Nothing missing, different or unchecked (extra objects are reported but do not fail).
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.different.is_empty() && self.errors.is_empty()
    }

    /// `12 ok, 1 missing, 0 different, 0 extra, 0 errors`.
    pub fn summary_line(&self) -> String {
        format!(
            "{} ok, {} missing, {} different, {} extra, {} errors",
            self.ok.len(),
            self.missing.len(),
            self.different.len(),
            self.extra.len(),
            self.errors.len()
        )
    }

    /// Markdown rendering.
    pub fn to_markdown(&self) -> String {
        let mut md = format!(
            "# Verification\n\n{}: {}\n",
            if self.is_clean() {
                "Clean"
            } else {
                "NOT clean"
            },
            self.summary_line()
        );
        for (title, items) in [
            ("Missing", &self.missing),
            ("Different", &self.different),
            (
                "Extra (written by this tool, not in the export)",
                &self.extra,
            ),
            ("Errors", &self.errors),
        ] {
            if items.is_empty() {
                continue;
            }
            md.push_str(&format!("\n## {title}\n\n"));
            for i in items {
                md.push_str(&format!("- `{}`: {}\n", i.key, i.message));
                if let Some(d) = i.diff.as_deref().filter(|d| !d.is_empty()) {
                    md.push_str(&format!("\n```diff\n{d}```\n\n"));
                }
            }
        }
        md
    }
}

#[derive(Default)]
struct ProjectVerify {
    missing: Vec<VerifyItem>,
    different: Vec<VerifyItem>,
    extra: Vec<VerifyItem>,
    ok: Vec<String>,
    errors: Vec<VerifyItem>,
}

fn item(key: String, message: impl Into<String>) -> VerifyItem {
    VerifyItem {
        key,
        message: message.into(),
        diff: None,
    }
}

async fn verify_project(cluster: &Cluster, pp: &ProjectPlan) -> ProjectVerify {
    let mut out = ProjectVerify::default();
    for obj in pp.objects() {
        let key = obj.key();
        match cluster
            .get(obj.kind, obj.namespace.as_deref(), &obj.name)
            .await
        {
            Err(e) => out.errors.push(item(key, format!("cannot read: {e}"))),
            Ok(None) => out.missing.push(item(key, "not in the cluster")),
            Ok(Some(existing)) => {
                let cmp = compare(obj, &existing);
                if cmp.is_equal() {
                    out.ok.push(key);
                } else {
                    out.different.push(VerifyItem {
                        key,
                        message: format!("differs in {}", cmp.differing.join(", ")),
                        diff: Some(cmp.diff),
                    });
                }
            }
        }
    }
    let wanted: BTreeSet<String> = pp.children().map(|o| o.key()).collect();
    for kind in [
        ObjectKind::Secret,
        ObjectKind::Pipeline,
        ObjectKind::RoleBinding,
    ] {
        match cluster.list(kind, Some(&pp.name), RUN_ID_LABEL).await {
            Ok(items) => {
                for o in items {
                    let name = o
                        .pointer("/metadata/name")
                        .and_then(|v| v.as_str())
                        .unwrap_or("");
                    let key = object_key(kind, Some(&pp.name), name);
                    if !wanted.contains(&key) {
                        let run = crate::provenance::run_id_of(&o).unwrap_or("");
                        out.extra.push(item(
                            key,
                            format!("carries {RUN_ID_LABEL}={run} but is not in the export"),
                        ));
                    }
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => out.errors.push(item(
                format!("{}/{}", kind.kind(), pp.name),
                format!("cannot list {}: {e}", kind.plural()),
            )),
        }
    }
    out
}

/// Options of a verification.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Retries of API calls.
    pub retry: RetryPolicy,
    /// Projects checked at the same time.
    pub concurrency: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            retry: RetryPolicy::default(),
            concurrency: 4,
        }
    }
}

/// Compares `plan` with the cluster.
pub async fn verify_plan(client: &Client, plan: &Plan, opts: &VerifyOptions) -> VerifyReport {
    let cluster = Cluster::new(client.clone(), opts.retry.clone(), FIELD_MANAGER);
    let mut parts: Vec<(usize, ProjectVerify)> =
        futures::stream::iter(plan.projects.iter().enumerate())
            .map(|(i, p)| {
                let cluster = &cluster;
                async move { (i, verify_project(cluster, p).await) }
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    parts.sort_by_key(|(i, _)| *i);
    let mut report = VerifyReport::default();
    for p in &plan.problems {
        report
            .errors
            .push(item(format!("file:{}", p.path.display()), p.reason.clone()));
    }
    for (_, p) in parts {
        report.missing.extend(p.missing);
        report.different.extend(p.different);
        report.extra.extend(p.extra);
        report.ok.extend(p.ok);
        report.errors.extend(p.errors);
    }
    report
}

/// Reads the export tree at `dir` and compares it with the cluster.
pub async fn verify_tree(
    client: &Client,
    dir: &Path,
    opts: &VerifyOptions,
) -> Result<VerifyReport, PlanError> {
    let plan = Plan::from_tree(dir)?;
    Ok(verify_plan(client, &plan, opts).await)
}
