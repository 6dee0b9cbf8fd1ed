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

/// Where the v2.1 data comes from: a dump or a live MySQL, and a Jenkins home or a live Jenkins.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("mysql_source").args(["mysql_dump", "mysql", "sample"]).required(true)))]
#[command(group(clap::ArgGroup::new("jenkins_source").args(["jenkins_home", "jenkins_url", "sample"]).required(true)))]
pub struct SourceArgs {
    /// A mysqldump of the v2.1 `devops` database.
    #[arg(long, value_name = "FILE", conflicts_with = "mysql")]
    pub mysql_dump: Option<PathBuf>,
    /// A live v2.1 MySQL: `mysql://user@host:port/devops`. The password comes from
    /// --mysql-password-file, the MYSQL_PWD environment variable, or the URL.
    #[arg(long, value_name = "URL")]
    pub mysql: Option<String>,
    /// File holding the MySQL password (first line).
    #[arg(long, value_name = "FILE", requires = "mysql")]
    pub mysql_password_file: Option<PathBuf>,
    /// MySQL TLS: disabled, preferred, required, verify-ca[:CA_FILE], verify-full[:CA_FILE].
    #[arg(long, value_name = "MODE", default_value = "preferred", requires = "mysql")]
    pub mysql_tls: String,
    /// A JENKINS_HOME folder, or a .tar/.tar.gz/.tgz of one (streamed, never unpacked).
    #[arg(long, value_name = "PATH", conflicts_with = "jenkins_url")]
    pub jenkins_home: Option<PathBuf>,
    /// A live v2.1 Jenkins, e.g. http://ks-jenkins.kubesphere-devops-system.svc/ (REST API).
    #[arg(long, value_name = "URL")]
    pub jenkins_url: Option<String>,
    /// Jenkins user for --jenkins-url.
    #[arg(long, value_name = "USER", default_value = "admin", requires = "jenkins_url")]
    pub jenkins_user: String,
    /// File holding the Jenkins API token (else the JENKINS_API_TOKEN environment variable).
    #[arg(long, value_name = "FILE", requires = "jenkins_url")]
    pub jenkins_token_file: Option<PathBuf>,
    /// Requests in flight to Jenkins at most.
    #[arg(long, value_name = "N", default_value_t = 8, requires = "jenkins_url")]
    pub jenkins_concurrency: usize,
    /// Opt-in: read credential values through Jenkins' script console (POST /scriptText with a
    /// read-only Groovy script, needs Overall/RunScripts; see the README for the script).
    #[arg(long, requires = "jenkins_url")]
    pub jenkins_script_console: bool,
    /// Use the bundled sample v2.1 estate instead of the flags above.
    #[arg(long, conflicts_with_all = ["mysql_dump", "mysql", "jenkins_home", "jenkins_url"])]
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
