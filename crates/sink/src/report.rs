//! The report: every project, pipeline, credential and membership with its outcome and reasons,
//! totals with percentages, and the manual tasks. Rendered as Markdown and JSON. It never holds a
//! secret value: findings are written by the converters without values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ksdm_model::{Finding, ItemKind, ItemReport, Outcome, Severity};
use serde::Serialize;

/// The report of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Tool name and version.
    pub tool: String,
    /// What was done (`export`, `assess`, `migrate`).
    pub command: String,
    /// Human-readable descriptions of the inputs (paths, URLs without credentials).
    pub inputs: Vec<String>,
    /// Where the output went (empty for `assess`).
    pub output: Option<String>,
    /// Run-level errors (each makes the run fail).
    pub run_errors: Vec<String>,
    /// Run-level notes.
    pub notes: Vec<String>,
    /// Top-level Jenkins items that are not project folders (ignored).
    pub ignored_top_level_items: Vec<String>,
    /// Every item, sorted by project, kind, id.
    pub items: Vec<ItemReport>,
}

/// Counts of one item kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct KindTotals {
    /// All items of this kind.
    pub total: usize,
    /// Per outcome label.
    pub by_outcome: BTreeMap<String, usize>,
}

/// One manual task.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ManualTask {
    /// Item kind.
    pub kind: ItemKind,
    /// Project id.
    pub project: String,
    /// Item id.
    pub id: String,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    totals: BTreeMap<ItemKind, KindTotals>,
    manual_tasks: Vec<ManualTask>,
    failed: bool,
}

impl Report {
    /// Adds items (any order; [`Report::finish`] sorts).
    pub fn extend(&mut self, items: impl IntoIterator<Item = ItemReport>) {
        self.items.extend(items);
    }

    /// Sorts items into their stable report order and deduplicates ignored item names.
    pub fn finish(&mut self) {
        self.items.sort_by(|a, b| (&a.project, a.kind, &a.id).cmp(&(&b.project, b.kind, &b.id)));
        self.ignored_top_level_items.sort();
        self.ignored_top_level_items.dedup();
    }

    /// True when any item failed or the run had an error: the exit status must be non-zero.
    pub fn failed(&self) -> bool {
        !self.run_errors.is_empty() || self.items.iter().any(|i| i.outcome == Outcome::Failed)
    }

    /// Counts per kind and outcome.
    pub fn totals(&self) -> BTreeMap<ItemKind, KindTotals> {
        let mut t: BTreeMap<ItemKind, KindTotals> = ItemKind::ALL.iter().map(|k| (*k, KindTotals::default())).collect();
        for i in &self.items {
            let e = t.entry(i.kind).or_default();
            e.total += 1;
            *e.by_outcome.entry(i.outcome.label().to_string()).or_default() += 1;
        }
        t
    }

    /// Count of items of `kind` with `outcome`.
    pub fn count(&self, kind: ItemKind, outcome: Outcome) -> usize {
        self.items.iter().filter(|i| i.kind == kind && i.outcome == outcome).count()
    }

    /// Every finding a person must act on, in report order.
    pub fn manual_tasks(&self) -> Vec<ManualTask> {
        self.items
            .iter()
            .flat_map(|i| {
                i.manual_tasks().map(move |f| ManualTask {
                    kind: i.kind,
                    project: i.project.clone(),
                    id: i.id.clone(),
                    finding: f.clone(),
                })
            })
            .collect()
    }

    /// One-line summary for the terminal, e.g. `projects 4/6 ok, pipelines 12/15 ok, …`.
    pub fn summary_line(&self) -> String {
        let totals = self.totals();
        let parts: Vec<String> = ItemKind::ALL
            .iter()
            .map(|k| {
                let t = &totals[k];
                let ok = t.by_outcome.get(Outcome::Successful.label()).copied().unwrap_or(0)
                    + t.by_outcome.get(Outcome::PartiallySuccessful.label()).copied().unwrap_or(0);
                let failed = t.by_outcome.get(Outcome::Failed.label()).copied().unwrap_or(0);
                format!("{} {ok}/{} migrated ({failed} failed)", k.plural(), t.total)
            })
            .collect();
        parts.join(", ")
    }

    /// The JSON report.
    pub fn to_json(&self) -> String {
        let j = JsonReport { report: self, totals: self.totals(), manual_tasks: self.manual_tasks(), failed: self.failed() };
        serde_json::to_string_pretty(&j).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The Markdown report.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# ks-devops-migrate {} report\n", self.command);
        let _ = writeln!(s, "- tool: {}", self.tool);
        for i in &self.inputs {
            let _ = writeln!(s, "- input: {}", md(i));
        }
        if let Some(o) = &self.output {
            let _ = writeln!(s, "- output: {}", md(o));
        }
        let _ = writeln!(
            s,
            "- result: **{}**\n",
            if self.failed() { "FAILED (see Failed items and run errors)" } else { "no failures" }
        );

        let _ = writeln!(s, "## Totals\n");
        let _ = write!(s, "| kind | total |");
        for o in Outcome::ALL {
            let _ = write!(s, " {} |", o.label());
        }
        let _ = writeln!(s, "\n|---|---:|{}", "---:|".repeat(Outcome::ALL.len()));
        for (kind, t) in self.totals() {
            let _ = write!(s, "| {} | {} |", kind.plural(), t.total);
            for o in Outcome::ALL {
                let n = t.by_outcome.get(o.label()).copied().unwrap_or(0);
                let _ = write!(s, " {} |", pct(n, t.total));
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);

        if !self.run_errors.is_empty() {
            let _ = writeln!(s, "## Run errors\n");
            for e in &self.run_errors {
                let _ = writeln!(s, "- {}", md(e));
            }
            let _ = writeln!(s);
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {}", md(n));
            }
            let _ = writeln!(s);
        }
        if !self.ignored_top_level_items.is_empty() {
            let _ = writeln!(
                s,
                "Ignored top-level Jenkins items that are not project folders: {}\n",
                self.ignored_top_level_items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
            );
        }

        let tasks = self.manual_tasks();
        let _ = writeln!(s, "## Manual tasks ({})\n", tasks.len());
        if tasks.is_empty() {
            let _ = writeln!(s, "None.\n");
        }
        for (n, t) in tasks.iter().enumerate() {
            let sev = if t.finding.severity == Severity::Error { "failed" } else { "to do" };
            let _ = writeln!(
                s,
                "{}. [{sev}] {} `{}` in project `{}` — {} (`{}`)",
                n + 1,
                kind_singular(t.kind),
                t.id,
                t.project,
                md(&t.finding.message),
                t.finding.code
            );
        }
        let _ = writeln!(s);

        let _ = writeln!(s, "## Items\n");
        let mut current = None;
        for i in &self.items {
            if current != Some(&i.project) {
                current = Some(&i.project);
                let _ = writeln!(s, "\n### Project `{}`\n", i.project);
                let _ = writeln!(s, "| kind | item | v3.0 object | outcome | reasons |\n|---|---|---|---|---|");
            }
            let reasons: Vec<String> =
                i.findings.iter().map(|f| format!("{}: {}", severity_label(f.severity), md(&f.message))).collect();
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} |",
                kind_singular(i.kind),
                i.id.replace('|', "\\|"),
                i.target.as_deref().map(|t| format!("`{t}`")).unwrap_or_else(|| "—".into()),
                i.outcome.label(),
                if reasons.is_empty() { "—".into() } else { reasons.join("<br>") }
            );
        }
        s
    }
}

fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        return "0".into();
    }
    format!("{n} ({:.1}%)", n as f64 * 100.0 / total as f64)
}

fn kind_singular(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Project => "project",
        ItemKind::Pipeline => "pipeline",
        ItemKind::Credential => "credential",
        ItemKind::Membership => "membership",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Manual => "manual",
        Severity::Error => "error",
    }
}

/// Escapes text for a Markdown table cell or list item.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind, id: &str, outcome: Outcome, f: Vec<Finding>) -> ItemReport {
        ItemReport { kind, project: "p".into(), id: id.into(), target: None, outcome, findings: f }
    }

    #[test]
    fn totals_tasks_and_failure() {
        let mut r = Report { tool: "t".into(), command: "export".into(), ..Report::default() };
        r.extend([
            item(ItemKind::Pipeline, "b", Outcome::Failed, vec![Finding::error("x", "broken")]),
            item(ItemKind::Pipeline, "a", Outcome::Successful, vec![]),
            item(ItemKind::Credential, "c", Outcome::Unsupported, vec![Finding::manual("y", "do | this")]),
        ]);
        r.finish();
        assert_eq!(r.items[0].id, "a");
        assert!(r.failed());
        let t = r.totals();
        assert_eq!(t[&ItemKind::Pipeline].total, 2);
        assert_eq!(r.manual_tasks().len(), 2);
        let md = r.to_markdown();
        assert!(md.contains("| pipelines | 2 | 1 (50.0%) |"), "{md}");
        assert!(md.contains("do \\| this"));
        let j: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(j["failed"], true);
        assert_eq!(j["totals"]["pipeline"]["total"], 2);
    }
}
