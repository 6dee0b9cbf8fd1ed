//! The report: every project, pipeline, credential and membership with its outcome and reasons,
//! totals with percentages, and the manual tasks. Rendered as Markdown and JSON. It never holds a
//! secret value: findings are written by the converters without values.
//!
//! Memory stays flat however big the estate: items arrive one project at a time and are spilled
//! to an unnamed temporary file as JSON lines; only counters, the manual tasks and a small index
//! (project id → byte range) stay in memory. Rendering reads the groups back in project order.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Write};

use ksdm_model::usage::{CredentialUse, Resolution};
use ksdm_model::{Finding, ItemKind, ItemReport, Outcome, ProjectSummary, Severity, Verdict};
use serde::Serialize;

use crate::glossary::{explain, Explanation};

/// Version of the report.json format, described by `docs/report.schema.json`. The major number
/// changes when a field is removed or changes meaning; the minor one when fields are added.
pub const REPORT_SCHEMA_VERSION: &str = "2.0";

/// The report of one run.
#[derive(Debug, Default)]
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
    log: ItemLog,
    projects: BTreeMap<String, ProjectSummary>,
    credential_usage: Vec<CredentialUse>,
}

/// Counts of one item kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct KindTotals {
    /// All items of this kind.
    pub total: usize,
    /// Per outcome label.
    pub by_outcome: BTreeMap<String, usize>,
    /// Per verdict key (the outcome with "Partially successful" split by whether a person must act).
    pub by_verdict: BTreeMap<String, usize>,
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

/// Items spilled to disk, grouped by project, plus what must stay at hand.
#[derive(Debug, Default)]
struct ItemLog {
    file: Option<File>,
    len: u64,
    /// (project, offset, length) of each group.
    index: Vec<(String, u64, u64)>,
    totals: BTreeMap<ItemKind, KindTotals>,
    failed_items: usize,
    worst: Option<Outcome>,
    codes: BTreeSet<String>,
    manual: Vec<ManualTask>,
    error: Option<String>,
}

impl ItemLog {
    fn add(&mut self, mut items: Vec<ItemReport>) {
        if items.is_empty() {
            return;
        }
        sort_items(&mut items);
        for i in &items {
            let e = self.totals.entry(i.kind).or_default();
            e.total += 1;
            *e.by_outcome
                .entry(i.outcome.label().to_string())
                .or_default() += 1;
            *e.by_verdict
                .entry(i.verdict().key().to_string())
                .or_default() += 1;
            if i.outcome == Outcome::Failed {
                self.failed_items += 1;
            }
            if i.outcome != Outcome::Skipped {
                self.worst = self.worst.max(Some(i.outcome));
            }
            self.codes.extend(i.findings.iter().map(|f| f.code.clone()));
            self.manual.extend(i.manual_tasks().map(|f| ManualTask {
                kind: i.kind,
                project: i.project.clone(),
                id: i.id.clone(),
                finding: f.clone(),
            }));
        }
        let project = items[0].project.clone();
        let mut line = match serde_json::to_vec(&items) {
            Ok(l) => l,
            Err(e) => {
                self.error = Some(format!("cannot record report items: {e}"));
                return;
            }
        };
        line.push(b'\n');
        if self.file.is_none() {
            match tempfile::tempfile() {
                Ok(f) => self.file = Some(f),
                Err(e) => {
                    self.error = Some(format!("cannot create the report's temporary file: {e}"));
                    return;
                }
            }
        }
        if let Some(f) = &mut self.file {
            if let Err(e) = f.write_all(&line) {
                self.error = Some(format!("cannot write the report's temporary file: {e}"));
                return;
            }
        }
        self.index.push((project, self.len, line.len() as u64));
        self.len += line.len() as u64;
    }

    /// Calls `f` with each project's items, in project order.
    fn for_each_project(
        &self,
        mut f: impl FnMut(&[ItemReport]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut order: Vec<usize> = (0..self.index.len()).collect();
        order.sort_by(|a, b| self.index[*a].0.cmp(&self.index[*b].0).then(a.cmp(b)));
        let mut k = 0;
        while k < order.len() {
            let project = &self.index[order[k]].0;
            let mut group: Vec<ItemReport> = Vec::new();
            while k < order.len() && self.index[order[k]].0 == *project {
                group.extend(self.read(order[k])?);
                k += 1;
            }
            sort_items(&mut group);
            f(&group)?;
        }
        Ok(())
    }

    fn read(&self, i: usize) -> io::Result<Vec<ItemReport>> {
        use std::os::unix::fs::FileExt;
        let (_, offset, len) = &self.index[i];
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("report items missing"))?;
        let mut buf = vec![0u8; *len as usize];
        file.read_exact_at(&mut buf, *offset)?;
        serde_json::from_slice(&buf).map_err(io::Error::other)
    }
}

fn sort_items(items: &mut [ItemReport]) {
    items.sort_by(|a, b| (&a.project, a.kind, &a.id).cmp(&(&b.project, b.kind, &b.id)));
}

#[derive(Serialize)]
struct Header<'a> {
    schema_version: &'static str,
    tool: &'a str,
    command: &'a str,
    inputs: &'a [String],
    output: &'a Option<String>,
    run_errors: &'a [String],
    notes: &'a [String],
    ignored_top_level_items: &'a [String],
}

/// An item as written to report.json: the item plus its verdict.
#[derive(Serialize)]
struct ItemOut<'a> {
    #[serde(flatten)]
    item: &'a ItemReport,
    verdict: Verdict,
}

impl Report {
    /// Adds the items of one project (or any group; groups of the same project are merged).
    pub fn extend(&mut self, items: impl IntoIterator<Item = ItemReport>) {
        self.log.add(items.into_iter().collect());
    }

    /// Records a project's summary (names, outcome, what `migrate` applies, admins).
    pub fn add_project(&mut self, summary: ProjectSummary) {
        self.projects.insert(summary.id.clone(), summary);
    }

    /// Records resolved credential references of pipelines.
    pub fn add_credential_usage(&mut self, usage: impl IntoIterator<Item = CredentialUse>) {
        self.credential_usage.extend(usage);
    }

    /// Finishes the run-level lists (sorted, deduplicated) and records a spill failure, if any.
    pub fn finish(&mut self) {
        self.ignored_top_level_items.sort();
        self.ignored_top_level_items.dedup();
        self.credential_usage.sort_by(|a, b| {
            (&a.project, &a.pipeline, &a.credential_id, &a.referenced_in).cmp(&(
                &b.project,
                &b.pipeline,
                &b.credential_id,
                &b.referenced_in,
            ))
        });
        if let Some(e) = self.log.error.take() {
            self.run_errors.push(e);
        }
    }

    /// True when any item failed or the run had an error: the exit status must be non-zero.
    pub fn failed(&self) -> bool {
        !self.run_errors.is_empty() || self.log.failed_items > 0 || self.log.error.is_some()
    }

    /// True when some item that is not skipped has an outcome at or above `threshold` in the
    /// order Successful < Partially successful < Unsupported < Failed (for `--fail-on`).
    pub fn reaches(&self, threshold: Outcome) -> bool {
        self.log.worst.is_some_and(|w| w >= threshold)
    }

    /// Counts per kind and outcome (every kind present).
    pub fn totals(&self) -> BTreeMap<ItemKind, KindTotals> {
        let mut t = self.log.totals.clone();
        for k in ItemKind::ALL {
            t.entry(k).or_default();
        }
        t
    }

    /// Count of items of `kind` with `outcome`.
    pub fn count(&self, kind: ItemKind, outcome: Outcome) -> usize {
        self.log
            .totals
            .get(&kind)
            .and_then(|t| t.by_outcome.get(outcome.label()).copied())
            .unwrap_or(0)
    }

    /// Every finding a person must act on, in report order.
    pub fn manual_tasks(&self) -> Vec<ManualTask> {
        let mut tasks = self.log.manual.clone();
        tasks.sort_by(|a, b| (&a.project, a.kind, &a.id).cmp(&(&b.project, b.kind, &b.id)));
        tasks
    }

    /// The project summaries, by project id.
    pub fn projects(&self) -> &BTreeMap<String, ProjectSummary> {
        &self.projects
    }

    /// Every resolved credential reference (sorted after [`Report::finish`]).
    pub fn credential_usage(&self) -> &[CredentialUse] {
        &self.credential_usage
    }

    /// Count of credential references per resolution key (`migrated`, `not-migrated`,
    /// `not-found`; every resolution present).
    pub fn credential_usage_totals(&self) -> BTreeMap<String, usize> {
        let mut t: BTreeMap<String, usize> = Resolution::ALL
            .iter()
            .map(|r| (r.key().to_string(), 0))
            .collect();
        for u in &self.credential_usage {
            *t.entry(u.resolution.key().to_string()).or_default() += 1;
        }
        t
    }

    /// "6 migrated, 1 not migrated, 0 not found", in report order.
    pub fn credential_usage_line(&self) -> String {
        let t = self.credential_usage_totals();
        Resolution::ALL
            .iter()
            .map(|r| format!("{} {}", t.get(r.key()).copied().unwrap_or(0), r.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The explanations of every finding code that occurs in the report, by code.
    pub fn glossary(&self) -> Vec<&'static Explanation> {
        self.log.codes.iter().filter_map(|c| explain(c)).collect()
    }

    /// Every item in report order (reads them back; for tests and small reports).
    pub fn items(&self) -> Vec<ItemReport> {
        let mut all = Vec::new();
        let _ = self.for_each_project(|g| {
            all.extend_from_slice(g);
            Ok(())
        });
        all
    }

    /// Calls `f` with each project's items, in project order (streamed back from disk).
    pub fn for_each_project(
        &self,
        f: impl FnMut(&[ItemReport]) -> io::Result<()>,
    ) -> io::Result<()> {
        self.log.for_each_project(f)
    }

    /// How a project is named in headings: `alpha-ci (workspace alpha-ws, id project-…)`.
    pub fn project_title(&self, id: &str) -> String {
        match self.projects.get(id) {
            Some(p) if !p.display_name.is_empty() => match &p.workspace {
                Some(w) => format!("{} (workspace {w}, id {id})", p.display_name),
                None => format!("{} (id {id})", p.display_name),
            },
            _ => format!("{id} (no project in MySQL)"),
        }
    }

    /// One-line summary for the terminal, e.g. `projects 4/6 migrated (0 failed), …`.
    pub fn summary_line(&self) -> String {
        let totals = self.totals();
        let parts: Vec<String> = ItemKind::ALL
            .iter()
            .map(|k| {
                let t = &totals[k];
                let ok = t
                    .by_outcome
                    .get(Outcome::Successful.label())
                    .copied()
                    .unwrap_or(0)
                    + t.by_outcome
                        .get(Outcome::PartiallySuccessful.label())
                        .copied()
                        .unwrap_or(0);
                let failed = t
                    .by_outcome
                    .get(Outcome::Failed.label())
                    .copied()
                    .unwrap_or(0);
                format!("{} {ok}/{} migrated ({failed} failed)", k.plural(), t.total)
            })
            .collect();
        parts.join(", ")
    }

    /// Writes `credential-usage.csv`: one line per reference (RFC 4180 quoting).
    pub fn write_credential_csv(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(
            w,
            "project,pipeline,credential_id,referenced_in,resolution,detail"
        )?;
        for u in &self.credential_usage {
            let fields = [
                u.project.as_str(),
                u.pipeline.as_str(),
                u.credential_id.as_str(),
                u.referenced_in.as_str(),
                u.resolution.label(),
                u.detail.as_str(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(w, "{}", line.join(","))?;
        }
        Ok(())
    }

    /// Writes the JSON report, streaming the items. Its format is `docs/report.schema.json`.
    pub fn write_json(&self, w: &mut impl Write) -> io::Result<()> {
        let header = Header {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: &self.tool,
            command: &self.command,
            inputs: &self.inputs,
            output: &self.output,
            run_errors: &self.run_errors,
            notes: &self.notes,
            ignored_top_level_items: &self.ignored_top_level_items,
        };
        let head = serde_json::to_string_pretty(&header).map_err(io::Error::other)?;
        // Everything but the closing brace, then the streamed items and the summary fields.
        w.write_all(head.trim_end().trim_end_matches('}').trim_end().as_bytes())?;
        w.write_all(b",\n  \"items\": [")?;
        let mut first = true;
        self.log.for_each_project(|group| {
            for item in group {
                w.write_all(if first { b"\n    " } else { b",\n    " })?;
                first = false;
                let out = ItemOut {
                    item,
                    verdict: item.verdict(),
                };
                let text = serde_json::to_string_pretty(&out).map_err(io::Error::other)?;
                w.write_all(text.replace('\n', "\n    ").as_bytes())?;
            }
            Ok(())
        })?;
        w.write_all(if first { b"]" } else { b"\n  ]" })?;
        let glossary: BTreeMap<&str, &Explanation> =
            self.glossary().into_iter().map(|e| (e.code, e)).collect();
        // Serialised straight into the writer (no intermediate `serde_json::Value`, no copy of
        // the text: these sections grow with the estate), indented one level.
        section(w, "projects", &self.projects.values().collect::<Vec<_>>())?;
        section(w, "totals", &self.totals())?;
        section(w, "manual_tasks", &self.manual_tasks())?;
        section(w, "credential_usage", &self.credential_usage)?;
        section(
            w,
            "credential_usage_totals",
            &self.credential_usage_totals(),
        )?;
        section(w, "glossary", &glossary)?;
        section(w, "failed", &self.failed())?;
        w.write_all(b"\n}\n")
    }

    /// The JSON report as a string.
    pub fn to_json(&self) -> String {
        let mut v = Vec::new();
        let _ = self.write_json(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// The Markdown report as a string.
    pub fn to_markdown(&self) -> String {
        let mut v = Vec::new();
        let _ = self.write_markdown(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// Where a manual task is, in words: `pipeline `x` of alpha-ci` or `project alpha-ci (id …)`.
    pub fn task_subject(&self, t: &ManualTask) -> String {
        if t.kind == ItemKind::Project {
            format!("project {}", self.project_title(&t.project))
        } else {
            let name = self
                .projects
                .get(&t.project)
                .filter(|p| !p.display_name.is_empty())
                .map(|p| p.display_name.clone())
                .unwrap_or_else(|| t.project.clone());
            format!("{} `{}` of project {name}", kind_singular(t.kind), t.id)
        }
    }

    /// Writes the Markdown report, streaming the items.
    pub fn write_markdown(&self, s: &mut impl Write) -> io::Result<()> {
        writeln!(s, "# ks-devops-migrate {} report\n", self.command)?;
        writeln!(s, "- tool: {}", self.tool)?;
        for i in &self.inputs {
            writeln!(s, "- input: {}", md(i))?;
        }
        if let Some(o) = &self.output {
            writeln!(s, "- output: {}", md(o))?;
        }
        writeln!(
            s,
            "- result: **{}**\n",
            if self.failed() {
                "FAILED (see Failed items and run errors)"
            } else {
                "no failures"
            }
        )?;

        writeln!(s, "## Totals\n")?;
        writeln!(
            s,
            "\"Partial: migrates, settings lost on a later edit or changed\" items migrate and work as \
             before; pipelines lose some settings the first time they are edited in KubeSphere, memberships get \
             a different role. \"Partial: needs a \
             person\" items migrate, but someone must act before or after (see Manual tasks).\n"
        )?;
        write!(s, "| kind | total |")?;
        for v in Verdict::ALL {
            write!(s, " {} |", v.label())?;
        }
        writeln!(s, "\n|---|---:|{}", "---:|".repeat(Verdict::ALL.len()))?;
        for (kind, t) in self.totals() {
            write!(s, "| {} | {} |", kind.plural(), t.total)?;
            for v in Verdict::ALL {
                let n = t.by_verdict.get(v.key()).copied().unwrap_or(0);
                write!(s, " {} |", pct(n, t.total))?;
            }
            writeln!(s)?;
        }
        writeln!(s)?;

        if !self.run_errors.is_empty() {
            writeln!(s, "## Run errors\n")?;
            for e in &self.run_errors {
                writeln!(s, "- {}", md(e))?;
            }
            writeln!(s)?;
        }
        if !self.notes.is_empty() {
            writeln!(s, "## Notes\n")?;
            for n in &self.notes {
                writeln!(s, "- {}", md(n))?;
            }
            writeln!(s)?;
        }
        if !self.ignored_top_level_items.is_empty() {
            writeln!(
                s,
                "Ignored top-level Jenkins items that are not project folders: {}\n",
                self.ignored_top_level_items
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }

        writeln!(s, "## Projects: what `migrate` applies\n")?;
        writeln!(
            s,
            "| project | workspace | id | outcome | applies | admins |\n|---|---|---|---|---|---|"
        )?;
        for p in self.projects.values() {
            let applies: Vec<String> = p.applies.iter().map(|(k, n)| format!("{n} {k}")).collect();
            writeln!(
                s,
                "| {} | {} | `{}` | {} | {} | {} |",
                if p.display_name.is_empty() {
                    "—".into()
                } else {
                    md(&p.display_name)
                },
                p.workspace.as_deref().map(md).unwrap_or_else(|| "—".into()),
                p.id,
                p.outcome.label(),
                if applies.is_empty() {
                    "nothing".into()
                } else {
                    applies.join(", ")
                },
                if p.admins.is_empty() {
                    "—".into()
                } else {
                    p.admins
                        .iter()
                        .map(|a| md(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )?;
        }
        writeln!(s)?;

        let tasks = self.manual_tasks();
        writeln!(s, "## Manual tasks ({})\n", tasks.len())?;
        if tasks.is_empty() {
            writeln!(s, "None.\n")?;
        }
        for (n, t) in tasks.iter().enumerate() {
            let sev = if t.finding.severity == Severity::Error {
                "failed"
            } else {
                "to do"
            };
            writeln!(
                s,
                "{}. [{sev}] {} — {} (`{}`)",
                n + 1,
                md(&self.task_subject(t)),
                md(&t.finding.message),
                t.finding.code
            )?;
        }
        writeln!(s)?;

        writeln!(s, "## Credential usage\n")?;
        writeln!(
            s,
            "{} references: {}. The same list is in credential-usage.csv.\n",
            self.credential_usage.len(),
            self.credential_usage_line()
        )?;
        if !self.credential_usage.is_empty() {
            writeln!(s, "| project | pipeline | credential | referenced in | resolution |\n|---|---|---|---|---|")?;
            for u in &self.credential_usage {
                let name = self
                    .projects
                    .get(&u.project)
                    .map(|p| p.display_name.as_str())
                    .filter(|n| !n.is_empty());
                writeln!(
                    s,
                    "| {} | `{}` | `{}` | {} | {} |",
                    md(name.unwrap_or(&u.project)),
                    u.pipeline,
                    u.credential_id,
                    md(&u.referenced_in),
                    u.resolution.label()
                )?;
            }
            writeln!(s)?;
        }

        writeln!(s, "## Items\n")?;
        writeln!(
            s,
            "Each reason is `severity code: detail`; the glossary below explains every code once."
        )?;
        self.log.for_each_project(|group| {
            if let Some(first) = group.first() {
                writeln!(s, "\n### {}\n", md(&self.project_title(&first.project)))?;
                writeln!(
                    s,
                    "| kind | item | v3.0 object | outcome | reasons |\n|---|---|---|---|---|"
                )?;
            }
            for i in group {
                let reasons: Vec<String> = i
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{} `{}`: {}",
                            severity_label(f.severity),
                            f.code,
                            md(&short_message(&i.id, &f.message))
                        )
                    })
                    .collect();
                writeln!(
                    s,
                    "| {} | `{}` | {} | {} | {} |",
                    kind_singular(i.kind),
                    i.id.replace('|', "\\|"),
                    i.target
                        .as_deref()
                        .map(|t| format!("`{t}`"))
                        .unwrap_or_else(|| "—".into()),
                    i.verdict().label(),
                    if reasons.is_empty() {
                        "—".into()
                    } else {
                        reasons.join("<br>")
                    }
                )?;
            }
            Ok(())
        })?;
        writeln!(s)?;

        let glossary = self.glossary();
        writeln!(s, "\n## Glossary of finding codes\n")?;
        for e in glossary {
            writeln!(
                s,
                "- **`{}`** — {}. *When:* {}. *What to do:* {}.",
                e.code, e.what, e.when, e.action
            )?;
        }
        Ok(())
    }
}

/// A finding message without the `job `x`: ` prefix when the item is that job.
pub fn short_message(id: &str, message: &str) -> String {
    let prefix = format!("job `{}`: ", id.to_ascii_lowercase());
    let prefix_raw = format!("job `{id}`: ");
    message
        .strip_prefix(&prefix_raw)
        .or_else(|| message.strip_prefix(&prefix))
        .unwrap_or(message)
        .to_string()
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

fn pct(n: usize, total: usize) -> String {
    if total == 0 {
        return "0".into();
    }
    format!("{n} ({:.1}%)", n as f64 * 100.0 / total as f64)
}

pub(crate) fn kind_singular(k: ItemKind) -> &'static str {
    match k {
        ItemKind::Project => "project",
        ItemKind::Pipeline => "pipeline",
        ItemKind::Credential => "credential",
        ItemKind::Membership => "membership",
    }
}

pub(crate) fn severity_label(s: Severity) -> &'static str {
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

/// Writes `,\n  "key": <value as pretty JSON, indented one level>`.
fn section<T: serde::Serialize + ?Sized>(
    w: &mut impl Write,
    key: &str,
    value: &T,
) -> io::Result<()> {
    write!(w, ",\n  \"{key}\": ")?;
    serde_json::to_writer_pretty(Indented(w), value).map_err(io::Error::other)
}

/// A writer that indents every line after the first by two spaces.
struct Indented<W>(W);

impl<W: Write> Write for Indented<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.0.write_all(&rest[..=i])?;
            self.0.write_all(b"  ")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(
        project: &str,
        kind: ItemKind,
        id: &str,
        outcome: Outcome,
        f: Vec<Finding>,
    ) -> ItemReport {
        ItemReport {
            kind,
            project: project.into(),
            id: id.into(),
            target: None,
            outcome,
            findings: f,
        }
    }

    #[test]
    fn totals_tasks_and_failure() {
        let mut r = Report {
            tool: "t".into(),
            command: "export".into(),
            ..Report::default()
        };
        r.extend([
            item(
                "p",
                ItemKind::Pipeline,
                "b",
                Outcome::Failed,
                vec![Finding::error("x", "broken")],
            ),
            item("p", ItemKind::Pipeline, "a", Outcome::Successful, vec![]),
            item(
                "p",
                ItemKind::Credential,
                "c",
                Outcome::Unsupported,
                vec![Finding::manual("y", "do | this")],
            ),
        ]);
        r.finish();
        assert_eq!(r.items()[0].id, "a");
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
        assert_eq!(j["items"].as_array().unwrap().len(), 3);
        assert_eq!(j["tool"], "t");
    }

    #[test]
    fn groups_come_back_in_project_order_and_merge() {
        let mut r = Report::default();
        r.extend([item(
            "b",
            ItemKind::Project,
            "b",
            Outcome::Successful,
            vec![],
        )]);
        r.extend([item(
            "a",
            ItemKind::Pipeline,
            "x",
            Outcome::Successful,
            vec![],
        )]);
        r.extend([item("a", ItemKind::Project, "a", Outcome::Skipped, vec![])]);
        let ids: Vec<String> = r
            .items()
            .into_iter()
            .map(|i| format!("{}/{}", i.project, i.id))
            .collect();
        assert_eq!(ids, ["a/a", "a/x", "b/b"]);
        let j: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(j["items"][2]["id"], "b");
        let empty: serde_json::Value = serde_json::from_str(&Report::default().to_json()).unwrap();
        assert_eq!(empty["items"], serde_json::json!([]));
    }
}
