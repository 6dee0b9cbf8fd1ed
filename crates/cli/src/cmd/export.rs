//! `export`, `assess` and (for now) `migrate`: read → convert → YAML tree → report.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use ksdm_convert::select::Selector;
use ksdm_convert::{convert_estate, ConvertOptions, ProjectOutput, SecretValues, Selection, V30Object};
use ksdm_model::{ItemKind, Outcome};
use ksdm_sink::{Report, YamlTree};

use crate::args::{ConvertArgs, FailOnArg, ReportFormatArg, SecretValuesArg, SourceArgs};
use crate::{exit, progress, sources};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// YAML tree + report.
    Export,
    /// Report only.
    Assess,
}

/// Which report files to write (credential-usage.csv is always written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// report.md
    pub md: bool,
    /// report.json
    pub json: bool,
    /// report.html
    pub html: bool,
}

impl Formats {
    /// All three.
    pub const ALL: Formats = Formats { md: true, json: true, html: true };

    /// From `--format` values (`md`, `json`, `html`).
    pub fn from_args(values: &[ReportFormatArg]) -> Formats {
        Formats {
            md: values.contains(&ReportFormatArg::Md),
            json: values.contains(&ReportFormatArg::Json),
            html: values.contains(&ReportFormatArg::Html),
        }
    }
}

/// The outcome of a conversion run.
pub struct Converted {
    /// The finished report.
    pub report: Report,
    /// The opened sources (for the backup's source snapshot).
    pub sources: sources::Sources,
}

pub fn convert_options(a: &ConvertArgs) -> ConvertOptions {
    ConvertOptions {
        secret_values: match a.secret_values {
            SecretValuesArg::Auto => SecretValues::Auto,
            SecretValuesArg::Include => SecretValues::Include,
            SecretValuesArg::Omit => SecretValues::Omit,
        },
        developer_role: a.developer_role.clone(),
        default_workspace: a.default_workspace.clone(),
        selection: Selection {
            only: a.only.iter().map(|s| Selector::parse(s)).collect(),
            exclude: a.exclude.iter().map(|s| Selector::parse(s)).collect(),
        },
        revealed: None,
    }
}

/// Runs read → convert → (YAML) → report into `out`.
pub fn run_conversion(
    source: &SourceArgs,
    convert: &ConvertArgs,
    out: &Path,
    mode: Mode,
    no_progress: bool,
    command: &str,
    formats: Formats,
) -> Result<Option<Converted>> {
    let src = match sources::open(source) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ks-devops-migrate: cannot read the inputs: {e:#}");
            return Ok(None);
        }
    };
    prepare_out_dir(out, mode)?;
    let mut opts = convert_options(convert);
    opts.revealed = src.revealed.clone();
    let tree = YamlTree::new(out);
    let keys = src.keys()?;
    let folders = src.folders()?;
    let active = src.mysql.projects.iter().filter(|p| p.is_active()).count() as u64;
    let bar = progress::projects(active, no_progress);

    let mut report = Report::default();
    report.tool = format!("ks-devops-migrate {}", env!("CARGO_PKG_VERSION"));
    report.command = command.to_string();
    report.inputs = src.descriptions.clone();
    report.output = (mode == Mode::Export).then(|| out.display().to_string());
    let report = Mutex::new(report);
    let write_errors = Mutex::new(Vec::<String>::new());
    let emit = |p: ProjectOutput| {
        if mode == Mode::Export {
            for o in &p.objects {
                if let Err(e) = write_object(&tree, o) {
                    write_errors.lock().expect("lock").push(format!("project {}: {e}", p.project_id));
                }
            }
        }
        if p.items.iter().any(|i| i.kind == ItemKind::Project) {
            bar.inc(1);
        }
        let mut r = report.lock().expect("lock");
        r.extend(p.items);
        r.add_credential_usage(p.credential_usage);
        if let Some(summary) = p.summary {
            r.add_project(summary);
        }
    };
    let summary = convert_estate(&src.mysql, &keys, folders, &opts, &emit);
    bar.finish_and_clear();

    let mut report = report.into_inner().expect("report lock");
    report.run_errors.extend(src.mysql_errors.iter().cloned());
    report.notes.extend(src.mysql_warnings.iter().cloned());
    report.run_errors.extend(summary.errors);
    report.run_errors.extend(write_errors.into_inner().expect("lock"));
    report.notes.extend(summary.notes);
    report.ignored_top_level_items = summary.ignored_top_level_items;
    report.finish();
    let layout = tree.layout();
    if formats.md {
        write_streamed(&layout.report_md(), |w| report.write_markdown(w))?;
    }
    if formats.json {
        write_streamed(&layout.report_json(), |w| report.write_json(w))?;
    }
    if formats.html {
        write_streamed(&layout.report_html(), |w| report.write_html(w))?;
    }
    write_streamed(&layout.credential_usage_csv(), |w| report.write_credential_csv(w))?;
    Ok(Some(Converted { report, sources: src }))
}

/// Writes a file through a buffered writer.
fn write_streamed(path: &Path, f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    f(&mut w).and_then(|_| std::io::Write::flush(&mut w)).with_context(|| format!("writing {}", path.display()))
}

fn write_object(tree: &YamlTree, o: &V30Object) -> Result<(), ksdm_sink::tree::TreeError> {
    let (resource, ns, name) = (o.resource(), o.namespace(), o.name());
    match o {
        V30Object::DevOpsProject(x) => tree.write(resource, ns, name, x, false),
        V30Object::Pipeline(x) => tree.write(resource, ns, name, &PipelineDoc(x), false),
        V30Object::Secret(x) => tree.write(resource, ns, name, &TypedDoc::new("v1", "Secret", x), true),
        V30Object::RoleBinding(x) => {
            tree.write(resource, ns, name, &TypedDoc::new("rbac.authorization.k8s.io/v1", "RoleBinding", x), false)
        }
    }
    .map(|_| ())
}

/// A Pipeline with `status: {}` as the CRD expects.
struct PipelineDoc<'a>(&'a ksdm_model::v30::Pipeline);

impl serde::Serialize for PipelineDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("apiVersion", &self.0.api_version)?;
        m.serialize_entry("kind", &self.0.kind)?;
        m.serialize_entry("metadata", &self.0.metadata)?;
        m.serialize_entry("spec", &self.0.spec)?;
        m.serialize_entry("status", &serde_json::Map::new())?;
        m.end()
    }
}

/// k8s-openapi types serialise without apiVersion/kind; this puts them first.
struct TypedDoc<'a, T> {
    api_version: &'static str,
    kind: &'static str,
    inner: &'a T,
}

impl<'a, T> TypedDoc<'a, T> {
    fn new(api_version: &'static str, kind: &'static str, inner: &'a T) -> Self {
        TypedDoc { api_version, kind, inner }
    }
}

impl<T: serde::Serialize> serde::Serialize for TypedDoc<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let v = serde_json::to_value(self.inner).map_err(S::Error::custom)?;
        let serde_json::Value::Object(fields) = v else { return Err(S::Error::custom("object expected")) };
        let mut m = s.serialize_map(Some(fields.len() + 2))?;
        m.serialize_entry("apiVersion", self.api_version)?;
        m.serialize_entry("kind", self.kind)?;
        // Conventional order: metadata first, then the rest as k8s-openapi orders them.
        if let Some(meta) = fields.get("metadata") {
            m.serialize_entry("metadata", meta)?;
        }
        for (k, v) in fields.iter().filter(|(k, _)| !["apiVersion", "kind", "metadata"].contains(&k.as_str())) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Makes `out` ready: creates it; replaces a previous export's `resources/` (recognised by its
/// report.json); refuses a non-empty folder that is not ours.
fn prepare_out_dir(out: &Path, mode: Mode) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let layout = ksdm_sink::TreeLayout::new(out);
    // Files this tool writes into an output folder; any other file means it is not ours.
    const OURS: [&str; 13] = [
        "resources", "report.md", "report.json", "report.html", "credential-usage.csv", "backup-identity.txt", "journal.jsonl",
        "apply.md", "apply.json", "plan.md", "plan.json", "verify.md", "verify.json",
    ];
    let foreign = std::fs::read_dir(out)
        .with_context(|| format!("reading {}", out.display()))?
        .filter_map(|e| e.ok())
        .any(|e| !OURS.contains(&e.file_name().to_string_lossy().as_ref()));
    if foreign && !layout.report_json().is_file() && !layout.credential_usage_csv().is_file() {
        bail!(
            "output folder {} is not empty and does not hold a previous ks-devops-migrate output; choose another --out",
            out.display()
        );
    }
    if mode == Mode::Export && layout.resources().exists() {
        std::fs::remove_dir_all(layout.resources())
            .with_context(|| format!("removing the previous {}", layout.resources().display()))?;
    }
    Ok(())
}

/// `export` / `assess`. With `fail_on`, an item at or above that outcome makes the exit status
/// [`exit::THRESHOLD`] (unless items failed, which is [`exit::ITEMS_FAILED`]).
pub fn export(
    source: &SourceArgs,
    convert: &ConvertArgs,
    out: &Path,
    mode: Mode,
    no_progress: bool,
    formats: Formats,
    fail_on: Option<FailOnArg>,
) -> Result<i32> {
    let command = if mode == Mode::Export { "export" } else { "assess" };
    let Some(c) = run_conversion(source, convert, out, mode, no_progress, command, formats)? else {
        return Ok(exit::INPUT);
    };
    print_result(&c.report, out, mode, formats);
    if c.report.failed() {
        return Ok(exit::ITEMS_FAILED);
    }
    if let Some(t) = fail_on {
        let threshold = match t {
            FailOnArg::Partial => Outcome::PartiallySuccessful,
            FailOnArg::Unsupported => Outcome::Unsupported,
            FailOnArg::Failed => Outcome::Failed,
        };
        if c.report.reaches(threshold) {
            println!("result:       --fail-on {}: at least one item is {} or worse", t.as_str(), threshold.label());
            return Ok(exit::THRESHOLD);
        }
    }
    Ok(exit::OK)
}

pub fn print_result(report: &Report, out: &Path, mode: Mode, formats: Formats) {
    let layout = ksdm_sink::TreeLayout::new(out);
    println!("{}", report.summary_line());
    if mode == Mode::Export {
        println!("v3.0 objects: {}", layout.resources().display());
    }
    let mut files = Vec::new();
    if formats.md {
        files.push(layout.report_md());
    }
    if formats.json {
        files.push(layout.report_json());
    }
    if formats.html {
        files.push(layout.report_html());
    }
    files.push(layout.credential_usage_csv());
    for (n, f) in files.iter().enumerate() {
        println!("{}{}", if n == 0 { "report:       " } else { "              " }, f.display());
    }
    let tasks = report.manual_tasks().len();
    if tasks > 0 {
        println!("manual tasks: {tasks} (listed in the report)");
    }
    if report.failed() {
        println!("result:       FAILED — some items could not be migrated; see the report");
    }
}
