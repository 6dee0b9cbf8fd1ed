//! Read → convert → YAML tree → report, reading Jenkins once.
//!
//! [`run_conversion`] opens the sources (an unusable input, a rejected Jenkins login or an empty
//! selection fails here, before any work), reads Jenkins once — each folder read feeds the
//! converter and, when asked, the [`Spool`] the backup is taken from — writes the v3.0 YAML tree
//! and the report, and tells the caller how far it got through [`ConvertEvent`]s (the CLI turns
//! them into a progress bar). It never prints.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use ksdm_convert::{convert_estate, ConvertOptions, ProjectOutput, V30Object};
use ksdm_model::ItemKind;
use ksdm_sink::{Report, YamlTree};

use crate::sources::{Scope, SourceSpec, Sources};
use crate::spool::Spool;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// YAML tree + report.
    Export,
    /// Report only.
    Assess,
}

/// What one conversion does.
#[derive(Debug, Clone)]
pub struct ConvertPlan {
    /// How records become objects (the selection included).
    pub options: ConvertOptions,
    /// `(index, shards)` of a sharded run.
    pub shard: Option<(u32, u32)>,
    /// Tree and report, or the report only.
    pub mode: Mode,
    /// Keep the Jenkins files read for a backup.
    pub keep_files: bool,
    /// The command, for the report.
    pub command: String,
    /// Which report files to write.
    pub formats: Formats,
    /// Notes the caller adds to the report (e.g. the repaired jobs posted to Jenkins).
    pub extra_notes: Vec<String>,
}

/// Which report files to write (`credential-usage.csv` is always written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    /// `report.md`.
    pub md: bool,
    /// `report.json`.
    pub json: bool,
    /// `report.html`.
    pub html: bool,
}

impl Formats {
    /// All three.
    pub const ALL: Formats = Formats {
        md: true,
        json: true,
        html: true,
    };
}

/// Progress of a conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConvertEvent {
    /// The sources are open and checked; `projects` active projects are to be converted.
    Started {
        /// Active projects of this run (its shard).
        projects: u64,
    },
    /// One project is converted (and written).
    ProjectDone,
    /// Every project is converted.
    Finished,
}

/// The outcome of a conversion run.
pub struct Converted {
    /// The finished report.
    pub report: Report,
    /// The opened sources (for the backup's source descriptions and MySQL rows).
    pub sources: Sources,
    /// The Jenkins files read and converted (for the backup), when asked for.
    pub spool: Option<Spool>,
    /// The projects this run handled (selection and shard).
    pub scope: Scope,
}

/// Opens the sources (checked before any work: an unusable input, a rejected Jenkins login or
/// an empty selection is an error here), then reads Jenkins once → convert → (YAML) → report
/// into `out`. With [`ConvertPlan::keep_files`], the Jenkins files read are kept for the backup.
pub fn run_conversion(
    spec: &SourceSpec,
    plan: &ConvertPlan,
    out: &Path,
    on_event: &(dyn Fn(ConvertEvent) + Sync),
) -> Result<Converted> {
    let (mode, keep_files, command) = (plan.mode, plan.keep_files, plan.command.as_str());
    let mut opts = plan.options.clone();
    let scope = Scope {
        selection: opts.selection.clone(),
        shard: plan.shard,
    };
    let mut src = crate::sources::open(spec)?;
    src.check_selection(&scope)?;
    src.restrict_to_shard(&scope);
    prepare_out_dir(out, mode)?;
    opts.revealed = src.revealed.clone();
    let tree = YamlTree::new(out);
    let keys = src.keys()?;
    let spool = if keep_files {
        Some(Spool::new().context("keeping the Jenkins files for the backup")?)
    } else {
        None
    };
    let folders = src.read_folders(&scope, spool.as_ref())?;
    let active = src.mysql.projects.iter().filter(|p| p.is_active()).count() as u64;
    on_event(ConvertEvent::Started { projects: active });

    let mut report = Report::default();
    report.tool = format!("ks-devops-migrate {}", env!("CARGO_PKG_VERSION"));
    report.command = command.to_string();
    report.inputs = src.descriptions.clone();
    if let Some((i, n)) = plan.shard {
        report.notes.push(format!(
            "shard {i} of {n}: only the projects of this shard were read and converted"
        ));
    }
    report.output = (mode == Mode::Export).then(|| out.display().to_string());
    let report = Mutex::new(report);
    let write_errors = Mutex::new(Vec::<String>::new());
    let emit = |p: ProjectOutput| {
        if mode == Mode::Export {
            for o in &p.objects {
                if let Err(e) = write_object(&tree, o) {
                    write_errors
                        .lock()
                        .expect("lock")
                        .push(format!("project {}: {e}", p.project_id));
                }
            }
            for r in &p.repairs {
                let diff = ksdm_convert::v30_repair::unified_diff(
                    &r.relative_path(),
                    &r.original,
                    &r.repair.repaired,
                );
                if let Err(e) = tree.write_repair(&r.folder, &r.job, &r.repair.repaired, &diff) {
                    write_errors
                        .lock()
                        .expect("lock")
                        .push(format!("project {}: {e}", p.project_id));
                }
            }
        }
        if p.items.iter().any(|i| i.kind == ItemKind::Project) {
            on_event(ConvertEvent::ProjectDone);
        }
        let mut r = report.lock().expect("lock");
        r.extend(p.items);
        r.add_credential_usage(p.credential_usage);
        if let Some(summary) = p.summary {
            r.add_project(summary);
        }
    };
    let summary = convert_estate(&src.mysql, &keys, folders, &opts, &emit);
    on_event(ConvertEvent::Finished);
    if let Some(s) = &spool {
        s.finish()
            .context("keeping the Jenkins files for the backup")?;
    }

    let mut report = report.into_inner().expect("report lock");
    report.run_errors.extend(src.mysql_errors.iter().cloned());
    report.notes.extend(src.mysql_warnings.iter().cloned());
    report.run_errors.extend(summary.errors);
    report
        .run_errors
        .extend(write_errors.into_inner().expect("lock"));
    report.notes.extend(summary.notes);
    report.notes.extend(plan.extra_notes.iter().cloned());
    report.ignored_top_level_items = summary.ignored_top_level_items;
    report.finish();
    let layout = tree.layout();
    if mode == Mode::Export {
        // An empty tree is a tree too (a shard, or a selection, with nothing to write).
        std::fs::create_dir_all(layout.resources())
            .with_context(|| format!("creating {}", layout.resources().display()))?;
    }
    let formats = plan.formats;
    if formats.md {
        write_streamed(&layout.report_md(), |w| report.write_markdown(w))?;
    }
    if formats.json {
        write_streamed(&layout.report_json(), |w| report.write_json(w))?;
    }
    if formats.html {
        write_streamed(&layout.report_html(), |w| report.write_html(w))?;
    }
    write_streamed(&layout.credential_usage_csv(), |w| {
        report.write_credential_csv(w)
    })?;
    Ok(Converted {
        report,
        sources: src,
        spool,
        scope,
    })
}

/// Writes a file through a buffered writer.
fn write_streamed(
    path: &Path,
    f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    f(&mut w)
        .and_then(|_| std::io::Write::flush(&mut w))
        .with_context(|| format!("writing {}", path.display()))
}

fn write_object(tree: &YamlTree, o: &V30Object) -> Result<(), ksdm_sink::tree::TreeError> {
    let (resource, ns, name) = (o.resource(), o.namespace(), o.name());
    match o {
        V30Object::DevOpsProject(x) => tree.write(resource, ns, name, x, false),
        V30Object::Pipeline(x) => tree.write(resource, ns, name, &PipelineDoc(x), false),
        V30Object::Secret(x) => {
            tree.write(resource, ns, name, &TypedDoc::new("v1", "Secret", x), true)
        }
        V30Object::RoleBinding(x) => tree.write(
            resource,
            ns,
            name,
            &TypedDoc::new("rbac.authorization.k8s.io/v1", "RoleBinding", x),
            false,
        ),
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
        TypedDoc {
            api_version,
            kind,
            inner,
        }
    }
}

impl<T: serde::Serialize> serde::Serialize for TypedDoc<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let v = serde_json::to_value(self.inner).map_err(S::Error::custom)?;
        let serde_json::Value::Object(fields) = v else {
            return Err(S::Error::custom("object expected"));
        };
        let mut m = s.serialize_map(Some(fields.len() + 2))?;
        m.serialize_entry("apiVersion", self.api_version)?;
        m.serialize_entry("kind", self.kind)?;
        // Conventional order: metadata first, then the rest as k8s-openapi orders them.
        if let Some(meta) = fields.get("metadata") {
            m.serialize_entry("metadata", meta)?;
        }
        for (k, v) in fields
            .iter()
            .filter(|(k, _)| !["apiVersion", "kind", "metadata"].contains(&k.as_str()))
        {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Makes `out` ready: creates it; replaces a previous export's `resources/` (recognised by its
/// report.json); refuses a non-empty folder that is not ours.
pub fn prepare_out_dir(out: &Path, mode: Mode) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let layout = ksdm_sink::TreeLayout::new(out);
    // Any file this tool does not write means the folder is not ours.
    let foreign = std::fs::read_dir(out)
        .with_context(|| format!("reading {}", out.display()))?
        .filter_map(|e| e.ok())
        .any(|e| !ksdm_model::OutputLayout::is_ours(&e.file_name().to_string_lossy()));
    if foreign && !layout.report_json().is_file() && !layout.credential_usage_csv().is_file() {
        bail!(
            "output folder {} is not empty and does not hold a previous ks-devops-migrate output; choose another --out",
            out.display()
        );
    }
    if mode == Mode::Export {
        for previous in [layout.resources(), layout.jenkins_repairs()] {
            if previous.exists() {
                std::fs::remove_dir_all(&previous)
                    .with_context(|| format!("removing the previous {}", previous.display()))?;
            }
        }
    }
    Ok(())
}
