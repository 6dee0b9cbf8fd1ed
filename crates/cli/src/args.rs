//! Command-line arguments. Each flag is documented once here; `--help` is generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Migrate KubeSphere v2.1 DevOps data (MySQL `devops` database + Jenkins) to KubeSphere v3.0
/// objects: DevOpsProjects, Pipelines, credential Secrets and RoleBindings.
#[derive(Debug, Parser)]
#[command(name = "ks-devops-migrate", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). KSDM_LOG overrides (tracing filter syntax).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never show a progress bar.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the v2.1 estate, convert it, write the v3.0 YAML tree and the report into --out.
    Export(ExportArgs),
    /// Like export, but write only the report (what would migrate, what would be lost).
    Assess(AssessArgs),
    /// The whole migration: read → convert → YAML tree + report (→ backup → apply, as configured).
    Migrate(MigrateArgs),
}

/// Where the v2.1 data comes from.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A mysqldump of the v2.1 `devops` database.
    #[arg(long, value_name = "FILE", required_unless_present = "sample")]
    pub mysql_dump: Option<PathBuf>,
    /// A JENKINS_HOME folder, or a .tar/.tar.gz/.tgz of one (streamed, never unpacked).
    #[arg(long, value_name = "PATH", required_unless_present = "sample")]
    pub jenkins_home: Option<PathBuf>,
    /// Use the bundled sample v2.1 estate instead of --mysql-dump/--jenkins-home.
    #[arg(long, conflicts_with_all = ["mysql_dump", "jenkins_home"])]
    pub sample: bool,
}

/// Secret value policy.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SecretValuesArg {
    /// Include decrypted values when the Jenkins key files are present, else placeholders.
    Auto,
    /// Include decrypted values; credentials that cannot be decrypted fail.
    Include,
    /// Never include values: placeholder Secrets, each listed as a manual task.
    Omit,
}

/// How v2.1 data becomes v3.0 objects.
#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    /// Whether decrypted credential values go into the Secrets.
    #[arg(long, value_enum, default_value = "auto")]
    pub secret_values: SecretValuesArg,
    /// v3.0 Role for v2.1 developers: `operator` (default; a widening of rights, reported) or `viewer`.
    #[arg(long, default_value = "operator", value_parser = ["operator", "viewer"])]
    pub developer_role: String,
    /// Workspace for projects whose MySQL row has none (schemas before the workspace column).
    #[arg(long, value_name = "WORKSPACE")]
    pub default_workspace: Option<String>,
    /// Migrate only these projects: `id:ID`, `name:NAME`, `workspace:WS`, or a bare value matching any (repeatable).
    #[arg(long, value_name = "SELECTOR")]
    pub only: Vec<String>,
    /// Leave these projects out (same forms as --only; repeatable).
    #[arg(long, value_name = "SELECTOR")]
    pub exclude: Vec<String>,
}

/// `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Conversion.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Output folder (created; a previous export's resources/ in it is replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `assess` arguments.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Conversion.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Folder for report.md and report.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `migrate` arguments.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Conversion.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Output folder for the YAML tree and the report.
    #[arg(long, value_name = "DIR", default_value = "ks-devops-migrate-out")]
    pub out: PathBuf,
}
