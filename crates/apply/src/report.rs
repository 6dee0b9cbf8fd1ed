//! Results of an apply run (or a dry run): per object, per project, totals and rights changes.

use serde::{Deserialize, Serialize};

/// What happened (or, in a dry run, would happen) to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Created (dry run: would be created).
    Create,
    /// Updated (dry run: would be updated).
    Update,
    /// Already as exported; nothing written.
    Unchanged,
    /// Exists and differs; left alone.
    Conflict,
    /// Could not be applied.
    Failed,
    /// Not attempted (its project failed, or it was deleted after an earlier run).
    Skipped,
}

impl Action {
    /// Label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Conflict => "conflict",
            Action::Failed => "failed",
            Action::Skipped => "skipped",
        }
    }
}

/// The result for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectResult {
    /// `<kind>/<ns>/<name>` or `<kind>/<name>`.
    pub key: String,
    /// The project it belongs to.
    pub project: String,
    /// What happened.
    pub action: Action,
    /// Why / details (never a Secret value).
    pub message: String,
    /// Diff of the owned fields (`-` cluster, `+` export), Secret values redacted.
    pub diff: Option<String>,
}

/// The status of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    /// Every object created, updated, unchanged or reported as a conflict.
    Done,
    /// The project itself is fine but some objects failed.
    Partial,
    /// The project failed (its DevOpsProject or admin namespace); its objects were skipped.
    Failed,
    /// Not processed (deleted after an earlier run and not recreated).
    Skipped,
}

/// The result for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectResult {
    /// Project name.
    pub project: String,
    /// Status.
    pub status: ProjectStatus,
    /// Why (for failed and skipped projects), or a summary.
    pub message: String,
}

/// A RoleBinding this run grants (or would grant), compared with the user's existing roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsChange {
    /// Namespace (project).
    pub namespace: String,
    /// User.
    pub user: String,
    /// Role granted.
    pub role: String,
    /// Roles the user already held in the namespace (binding role names).
    pub previous_roles: Vec<String>,
    /// True when the user's rights in the namespace grow (a new grant or a stronger role).
    pub widening: bool,
    /// Human-readable text.
    pub message: String,
}

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Run id.
    pub run_id: String,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Whether updates used server-side apply.
    pub server_side_apply: bool,
    /// Objects created.
    pub created: usize,
    /// Objects updated.
    pub updated: usize,
    /// Objects unchanged.
    pub unchanged: usize,
    /// Objects that differ and were left alone.
    pub conflicts: usize,
    /// Objects that failed.
    pub failed: usize,
    /// Objects skipped.
    pub skipped: usize,
    /// Per object, in plan order (unusable tree files first).
    pub per_object: Vec<ObjectResult>,
    /// Per project, in plan order.
    pub per_project: Vec<ProjectResult>,
    /// Rights granted by RoleBindings.
    pub rights: Vec<RightsChange>,
    /// Run-level notes (e.g. journal or ConfigMap mirror problems, SSA fallback).
    pub notes: Vec<String>,
    /// What `--adopt-installer-migration` did (absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption: Option<crate::adopt::AdoptionSummary>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl ApplyReport {
    /// Recomputes the totals from `per_object`.
    pub fn recount(&mut self) {
        let count = |a: Action| self.per_object.iter().filter(|o| o.action == a).count();
        self.created = count(Action::Create);
        self.updated = count(Action::Update);
        self.unchanged = count(Action::Unchanged);
        self.conflicts = count(Action::Conflict);
        self.failed = count(Action::Failed);
        self.skipped = count(Action::Skipped);
    }

    /// `3 created, 0 updated, 12 unchanged, 1 conflict, 0 failed` (`, N skipped` when any).
    pub fn summary_line(&self) -> String {
        let mut s = format!(
            "{} created, {} updated, {} unchanged, {}, {} failed",
            self.created,
            self.updated,
            self.unchanged,
            plural(self.conflicts, "conflict", "conflicts"),
            self.failed
        );
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped", self.skipped));
        }
        s
    }

    /// No object and no project failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
            && self
                .per_project
                .iter()
                .all(|p| p.status != ProjectStatus::Failed)
    }

    /// The objects with `action`.
    pub fn with_action(&self, action: Action) -> impl Iterator<Item = &ObjectResult> {
        self.per_object.iter().filter(move |o| o.action == action)
    }

    /// A Markdown rendering (projects, objects that are not unchanged with their diffs, rights).
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let title = if self.dry_run {
            "Apply plan (dry run)"
        } else {
            "Apply report"
        };
        md.push_str(&format!(
            "# {title}\n\nRun `{}`: {}\n\n",
            self.run_id,
            self.summary_line()
        ));
        md.push_str("## Projects\n\n| project | status | message |\n|---|---|---|\n");
        for p in &self.per_project {
            md.push_str(&format!(
                "| {} | {:?} | {} |\n",
                p.project,
                p.status,
                p.message.replace('|', "\\|")
            ));
        }
        md.push_str("\n## Objects\n\n");
        for o in self
            .per_object
            .iter()
            .filter(|o| o.action != Action::Unchanged)
        {
            md.push_str(&format!(
                "- **{}** `{}`: {}\n",
                o.action.label(),
                o.key,
                o.message
            ));
            if let Some(diff) = o.diff.as_deref().filter(|d| !d.is_empty()) {
                md.push_str(&format!("\n```diff\n{}```\n\n", diff));
            }
        }
        if self.unchanged > 0 {
            md.push_str(&format!("- {} unchanged\n", self.unchanged));
        }
        if !self.rights.is_empty() {
            md.push_str("\n## Rights granted\n\n");
            for r in &self.rights {
                md.push_str(&format!(
                    "- {}{}\n",
                    if r.widening { "**widening** " } else { "" },
                    r.message
                ));
            }
        }
        if let Some(a) = &self.adoption {
            md.push_str(&format!(
                "\n## Adopted from KubeSphere's migration Job\n\n{} objects adopted, {} Jenkins jobs restored to the snapshot's \
                 config.xml, {} left alone; the state before every repair is in {}.\n",
                a.adopted, a.jobs_restored, a.left_alone, a.backed_up_in
            ));
            if !a.manual_tasks.is_empty() {
                md.push_str("\n### Manual tasks\n\n");
                for t in &a.manual_tasks {
                    md.push_str(&format!("- {t}\n"));
                }
            }
        }
        if !self.notes.is_empty() {
            md.push_str("\n## Notes\n\n");
            for n in &self.notes {
                md.push_str(&format!("- {n}\n"));
            }
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_format() {
        let mut r = ApplyReport {
            created: 3,
            unchanged: 12,
            conflicts: 1,
            ..ApplyReport::default()
        };
        assert_eq!(
            r.summary_line(),
            "3 created, 0 updated, 12 unchanged, 1 conflict, 0 failed"
        );
        r.conflicts = 2;
        r.skipped = 1;
        assert_eq!(
            r.summary_line(),
            "3 created, 0 updated, 12 unchanged, 2 conflicts, 0 failed, 1 skipped"
        );
    }
}
