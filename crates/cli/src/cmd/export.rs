//! `export` and `assess` (read → convert → YAML tree → report, done by `ksdm_run::convert`), and
//! the arguments → conversion plan mapping and the progress bar the other commands share.

use std::path::Path;

use anyhow::Result;
use ksdm_convert::select::Selector;
use ksdm_convert::{ConvertOptions, SecretValues, Selection};
use ksdm_model::Outcome;
use ksdm_run::convert::{ConvertEvent, ConvertPlan};
pub use ksdm_run::convert::{Converted, Formats, Mode};
use ksdm_sink::Report;

use crate::args::{
    ConvertArgs, FailOnArg, ReportFormatArg, SecretValuesArg, SnapshotFlags, SourceArgs,
};
use crate::{exit, progress};

pub fn convert_options(a: &ConvertArgs) -> ConvertOptions {
    ConvertOptions {
        secret_values: match a.secret_values {
            SecretValuesArg::Auto => SecretValues::Auto,
            SecretValuesArg::Include => SecretValues::Include,
            SecretValuesArg::Omit => SecretValues::Omit,
        },
        developer_role: a.developer_role.clone(),
        default_workspace: a.default_workspace.clone(),
        creator: if a.creator == "keep" {
            ksdm_convert::CreatorPolicy::Keep
        } else {
            ksdm_convert::CreatorPolicy::Owner
        },
        selection: Selection {
            only: a.only.iter().map(|s| Selector::parse(s)).collect(),
            exclude: a.exclude.iter().map(|s| Selector::parse(s)).collect(),
        },
        revealed: None,
    }
}

/// The report files `--format` asks for.
pub fn formats_from_args(values: &[ReportFormatArg]) -> Formats {
    Formats {
        md: values.contains(&ReportFormatArg::Md),
        json: values.contains(&ReportFormatArg::Json),
        html: values.contains(&ReportFormatArg::Html),
    }
}

/// The source plan of the source flags (no I/O but reading the key of a `--from-backup` run,
/// which is part of checking the command line): `--from-backup` takes its store and key from
/// `snapshot`.
pub fn source_spec(
    source: &SourceArgs,
    snapshot: &SnapshotFlags<'_>,
) -> Result<ksdm_run::SourceSpec, ksdm_run::RunError> {
    let mut spec = source.spec()?;
    let given = snapshot.given();
    if source.from_backup.is_none() && !given.is_empty() {
        return Err(ksdm_run::RunError::Usage(format!(
            "{} {} used only with --from-backup RUN (to read the estate from that backup)",
            given.join(", "),
            if given.len() == 1 { "is" } else { "are" }
        )));
    }
    if let Some(run) = &source.from_backup {
        let key = super::backup::key_from(snapshot.passphrase_file, snapshot.identity_file)
            .map_err(|e| {
                ksdm_run::RunError::input(
                    format!("the key for backup {run}"),
                    e.into_boxed_dyn_error(),
                )
            })?;
        spec.from_backup = Some(ksdm_run::FromBackup {
            run_id: run.clone(),
            store: snapshot.store.store.clone(),
            s3: super::backup::s3_options(snapshot.store),
            key,
        });
    }
    Ok(spec)
}

/// What to convert: the sources, the conversion options, and the shard of a sharded run.
pub struct Inputs<'a> {
    /// Sources.
    pub source: &'a SourceArgs,
    /// Store and key of `--from-backup`.
    pub snapshot: SnapshotFlags<'a>,
    /// Conversion.
    pub convert: &'a ConvertArgs,
    /// `(index, shards)`.
    pub shard: Option<(u32, u32)>,
    /// Notes added to the report.
    pub extra_notes: Vec<String>,
}

impl<'a> Inputs<'a> {
    /// Unsharded.
    pub fn new(
        source: &'a SourceArgs,
        convert: &'a ConvertArgs,
        snapshot: SnapshotFlags<'a>,
    ) -> Self {
        Inputs {
            source,
            snapshot,
            convert,
            shard: None,
            extra_notes: Vec::new(),
        }
    }
}

/// Runs the conversion of `inputs` into `out` with a progress bar over projects.
pub fn run_conversion(
    inputs: &Inputs<'_>,
    out: &Path,
    mode: Mode,
    no_progress: bool,
    command: &str,
    keep_files: bool,
    formats: Formats,
) -> Result<Converted> {
    let spec = source_spec(inputs.source, &inputs.snapshot)?;
    let plan = ConvertPlan {
        options: convert_options(inputs.convert),
        shard: inputs.shard,
        mode,
        keep_files,
        command: command.to_string(),
        formats,
        extra_notes: inputs.extra_notes.clone(),
    };
    let bar = progress::projects(0, no_progress);
    let on_event = |e: ConvertEvent| match e {
        ConvertEvent::Started { projects } => bar.set_length(projects),
        ConvertEvent::ProjectDone => bar.inc(1),
        ConvertEvent::Finished => bar.finish_and_clear(),
    };
    let converted = ksdm_run::convert::run_conversion(&spec, &plan, out, &on_event);
    bar.finish_and_clear();
    converted
}

/// `export` / `assess`. With `fail_on`, an item at or above that outcome makes the exit status
/// [`exit::THRESHOLD`] (unless items failed, which is [`exit::ITEMS_FAILED`]).
#[allow(clippy::too_many_arguments)]
pub fn export(
    source: &SourceArgs,
    snapshot: SnapshotFlags<'_>,
    convert: &ConvertArgs,
    out: &Path,
    mode: Mode,
    no_progress: bool,
    formats: Formats,
    fail_on: Option<FailOnArg>,
) -> Result<i32> {
    let command = if mode == Mode::Export {
        "export"
    } else {
        "assess"
    };
    let c = run_conversion(
        &Inputs::new(source, convert, snapshot),
        out,
        mode,
        no_progress,
        command,
        false,
        formats,
    )?;
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
            println!(
                "result:       --fail-on {}: at least one item is {} or worse",
                t.as_str(),
                threshold.label()
            );
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
        if layout.jenkins_repairs().is_dir() {
            println!(
                "job repairs:  {} (jobs held back: the v3.0 parser cannot read them)",
                layout.jenkins_repairs().display()
            );
        }
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
        println!(
            "{}{}",
            if n == 0 {
                "report:       "
            } else {
                "              "
            },
            f.display()
        );
    }
    let tasks = report.manual_tasks().len();
    if tasks > 0 {
        println!("manual tasks: {tasks} (listed in the report)");
    }
    if report.failed() {
        println!("result:       FAILED — some items could not be migrated; see the report");
    }
}
