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
    /// The whole migration: read → convert → YAML tree + report → backup → apply → authorizations.
    Migrate(MigrateArgs),
    /// Show what `migrate` would change in the cluster (create/update/unchanged/conflict with diffs); writes nothing.
    Plan(ClusterRunArgs),
    /// Compare the source estate with the cluster object by object (missing, different, extra).
    Verify(ClusterRunArgs),
    /// Take a backup (same source flags as export), or list/describe/verify backups.
    Backup(BackupCmdArgs),
    /// Re-apply a backup's v3.0 objects to a cluster, or unpack it (--to-dir, --jenkins-files).
    Restore(RestoreArgs),
    /// Print the manifests that run the migration in-cluster as a Kubernetes Job (optionally sharded).
    Job(JobArgs),
}

/// Where the v2.1 data comes from: a dump or a live MySQL, and a Jenkins home or a live Jenkins;
/// or a backup run (`--from-backup`) holding both.
///
/// `jenkins_source` allows several of its flags at once so that `--jenkins-url` may stand next
/// to `--from-backup` (Jenkins is then still read from the backup); the flags that exclude each
/// other say so themselves.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("mysql_source").args(["mysql_dump", "mysql", "sample", "from_backup"]).required(true)))]
#[command(group(clap::ArgGroup::new("jenkins_source").args(["jenkins_home", "jenkins_url", "sample", "from_backup"]).required(true).multiple(true)))]
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
    #[arg(
        long,
        value_name = "MODE",
        default_value = "preferred",
        requires = "mysql"
    )]
    pub mysql_tls: String,
    /// A JENKINS_HOME folder, or a .tar/.tar.gz/.tgz of one (streamed, never unpacked).
    #[arg(long, value_name = "PATH", conflicts_with = "jenkins_url")]
    pub jenkins_home: Option<PathBuf>,
    /// A live v2.1 Jenkins, e.g. http://ks-jenkins.kubesphere-devops-system.svc/ (REST API).
    #[arg(long, value_name = "URL")]
    pub jenkins_url: Option<String>,
    /// Jenkins user for --jenkins-url.
    #[arg(
        long,
        value_name = "USER",
        default_value = "admin",
        requires = "jenkins_url"
    )]
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
    /// With --jenkins-url: a folder holding Jenkins' key files `master.key` and
    /// `hudson.util.Secret` (e.g. `kubectl cp <jenkins-pod>:/var/jenkins_home/secrets DIR`), so
    /// credential values are decrypted offline instead of read through the script console. They
    /// go into the backup's Jenkins archive like a Jenkins home's.
    #[arg(long, value_name = "DIR", requires = "jenkins_url")]
    pub jenkins_key_files: Option<PathBuf>,
    /// Use the bundled sample v2.1 estate instead of the flags above.
    #[arg(long, conflicts_with_all = ["mysql_dump", "mysql", "jenkins_home", "jenkins_url"])]
    pub sample: bool,
    /// Read the v2.1 estate from backup run RUN (taken by `backup` or `migrate`) in --store,
    /// opened with --identity-file or --passphrase-file: the MySQL rows, Jenkins files and
    /// credential values as they were read then. Replaces the MySQL and Jenkins source flags.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["sample", "mysql_dump", "mysql", "jenkins_home"])]
    pub from_backup: Option<String>,
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
    /// Who becomes a project's `kubesphere.io/creator` (made admin by the v3.0 namespace
    /// controller): `owner` (default; an active owner, reported when it is not the v2.1 creator)
    /// or `keep` (the v2.1 creator; reported as a widening when no longer an owner).
    #[arg(long, default_value = "owner", value_parser = ["owner", "keep"])]
    pub creator: String,
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
    /// Store and key of --from-backup.
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
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
    /// Store and key of --from-backup.
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Conversion.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Folder for the report (report.md, report.json, report.html) and credential-usage.csv.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Report files to write, comma-separated (credential-usage.csv is always written).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "md,json,html"
    )]
    pub format: Vec<ReportFormatArg>,
    /// Exit with status 6 when an item is at or above this outcome (for CI gates):
    /// partial < unsupported < failed. Failed items always give status 4.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOnArg>,
}

/// A report file format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormatArg {
    /// report.md
    Md,
    /// report.json
    Json,
    /// report.html (one self-contained page)
    Html,
}

/// The outcome from which `assess` exits non-zero.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOnArg {
    /// Partially successful, unsupported or failed.
    Partial,
    /// Unsupported or failed.
    Unsupported,
    /// Failed.
    Failed,
}

impl FailOnArg {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOnArg::Partial => "partial",
            FailOnArg::Unsupported => "unsupported",
            FailOnArg::Failed => "failed",
        }
    }
}

/// Where backups go and how they are protected.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Backup store: a folder, or s3://bucket/prefix (MinIO and other S3-compatible stores).
    #[arg(
        long,
        value_name = "PATH|s3://BUCKET/PREFIX",
        default_value = "ks-devops-backups"
    )]
    pub store: String,
    /// S3 endpoint, e.g. http://minio.kubesphere-system.svc:9000 (path-style addressing is used).
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region (default: environment or profile, else us-east-1).
    #[arg(long, value_name = "REGION")]
    pub s3_region: Option<String>,
    /// AWS profile for S3 credentials (default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the default profile).
    #[arg(long, value_name = "NAME")]
    pub s3_profile: Option<String>,
}

/// How a new backup is encrypted (backups hold secret material).
#[derive(Debug, Clone, Args)]
pub struct ProtectionArgs {
    /// File holding the backup passphrase (first line); else the KSDM_BACKUP_PASSPHRASE variable.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// age public key (age1…) to encrypt the backup to (repeatable).
    #[arg(long, value_name = "AGE_PUBLIC_KEY")]
    pub recipient: Vec<String>,
    /// Write secret material unencrypted (not recommended).
    #[arg(long)]
    pub insecure_plaintext_backup: bool,
}

/// How an existing backup is decrypted.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// File holding the backup passphrase; else the KSDM_BACKUP_PASSPHRASE variable.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The identity.
    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// An age identity that opens an existing backup.
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// age identity file (AGE-SECRET-KEY-…) matching a recipient of the backup.
    #[arg(long, value_name = "FILE")]
    pub identity_file: Option<PathBuf>,
}

/// The backup store and key of `--from-backup` (commands that take no backup themselves).
#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// Store of the --from-backup run.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Key of the --from-backup run.
    #[command(flatten)]
    pub key: KeyArgs,
}

impl SnapshotArgs {
    /// The flags as [`SnapshotFlags`].
    pub fn flags(&self) -> SnapshotFlags<'_> {
        SnapshotFlags {
            store: &self.store,
            passphrase_file: self.key.passphrase_file.as_deref(),
            identity_file: self.key.identity.identity_file.as_deref(),
            only_for_snapshot: true,
        }
    }
}

/// Where a command finds the store and key of a `--from-backup` run. `migrate` and `backup`
/// have no flags of their own for it: their `--store` and `--passphrase-file` (which also
/// name and protect the backup they take) serve both, with `--identity-file` added.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotFlags<'a> {
    /// The store.
    pub store: &'a StoreArgs,
    /// `--passphrase-file`.
    pub passphrase_file: Option<&'a std::path::Path>,
    /// `--identity-file`.
    pub identity_file: Option<&'a std::path::Path>,
    /// True when these flags serve nothing but `--from-backup` (so giving them without it is
    /// a mistake worth saying).
    pub only_for_snapshot: bool,
}

impl SnapshotFlags<'_> {
    /// The flags given on the command line that only `--from-backup` uses, by name.
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.only_for_snapshot {
            for (flag, set) in [
                ("--identity-file", self.identity_file.is_some()),
                ("--passphrase-file", self.passphrase_file.is_some()),
                ("--s3-endpoint", self.store.s3_endpoint.is_some()),
                ("--s3-region", self.store.s3_region.is_some()),
                ("--s3-profile", self.store.s3_profile.is_some()),
            ] {
                if set {
                    given.push(flag);
                }
            }
        }
        given
    }
}

/// Which cluster and how to apply.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// kubeconfig file (else $KUBECONFIG; in a pod the ServiceAccount is used).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Existing objects that differ: `keep` (report a conflict, default) or `update`.
    #[arg(long, value_name = "POLICY", default_value = "keep", value_parser = ["keep", "update"])]
    pub existing: String,
    /// Allow replacing the data of existing credential Secrets (never with placeholders).
    #[arg(long)]
    pub overwrite_secret_data: bool,
    /// Recreate objects that an earlier run created and that were deleted since.
    #[arg(long)]
    pub recreate_deleted: bool,
    /// How long to wait for the controller to create a project's namespace (e.g. 5m, 90s).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub namespace_timeout: std::time::Duration,
    /// Projects applied at the same time.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Progress journal (resume after a crash); default: <out>/journal.jsonl.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Also mirror progress into this ConfigMap (NS/NAME, or NAME in $POD_NAMESPACE) — set by `job`.
    #[arg(long, value_name = "NS/NAME", env = "KSDM_JOURNAL_CONFIGMAP")]
    pub journal_configmap: Option<String>,
    /// Split the projects into N shards (by a stable hash of the project name) …
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// … and apply only shard I (0-based; in an Indexed Job: $(JOB_COMPLETION_INDEX)).
    #[arg(long, value_name = "I", env = "JOB_COMPLETION_INDEX")]
    pub shard_index: Option<u32>,
    /// (migrate, plan) Adopt and repair what KubeSphere's own `ks-devops-migration` Job wrote
    /// during the upgrade: empty credential Secrets get the snapshot's values; Pipelines get
    /// their job's original config.xml put back into the live Jenkins (--jenkins-url, with the
    /// snapshot as the Jenkins source: --from-backup RUN), then the spec of its v3.0 parse;
    /// DevOpsProjects get the export's labels and annotations. RoleBindings and recreated
    /// deleted projects are only reported. Everything repaired is backed up first.
    #[arg(long)]
    pub adopt_installer_migration: bool,
}

/// Parses a duration: `90s`, `5m`, `1h`, `1m30s`, `1h 30m` (humantime), or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration {s:?}: {e} (e.g. 90s, 5m, 1h30m)"))
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
        // No overflow panic on absurd values.
        assert!(parse_duration("99999999999999999999999h").is_err());
    }
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
    /// Backup store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Backup encryption.
    #[command(flatten)]
    pub protection: ProtectionArgs,
    /// Key of a --from-backup run (its store is --store; --passphrase-file also opens it).
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Show what would change in the cluster; write nothing (no backup either).
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after export and backup even when a cluster is configured.
    #[arg(long)]
    pub no_apply: bool,
    /// With a live Jenkins (--jenkins-url): after the backup is written and verified, post the
    /// repaired config.xml of every job held back (written to <out>/jenkins-repairs/) to
    /// Jenkins, then migrate those jobs' Pipelines from the repaired files.
    #[arg(long)]
    pub repair_jenkins_jobs: bool,
    /// Running as a Kubernetes Job (set by the manifests of `job`): a run whose items failed
    /// exits 0 so the Job does not repeat it, and writes its totals to the termination message
    /// (/dev/termination-log, or $KSDM_TERMINATION_LOG).
    #[arg(long)]
    pub in_job: bool,
}

/// `plan` and `verify` arguments: the sources, the conversion, the cluster.
#[derive(Debug, Args)]
pub struct ClusterRunArgs {
    /// Inputs.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Store and key of --from-backup.
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Conversion.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Output folder for the YAML tree, the report and plan.md or verify.md.
    #[arg(long, value_name = "DIR", default_value = "ks-devops-migrate-out")]
    pub out: PathBuf,
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `backup` arguments: a new backup, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupCmdArgs {
    /// list / describe / verify.
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// Inputs.
    #[command(flatten)]
    pub source: Option<SourceArgs>,
    /// Conversion. Not an `Option`: clap leaves a flattened `Option` at `None` unless one of its
    /// flags is given, and these all have defaults.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Output folder for the export that goes into the backup.
    #[arg(long, value_name = "DIR", default_value = "ks-devops-migrate-out")]
    pub out: PathBuf,
    /// Store (defaults apply when no store flag is given).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Encryption.
    #[command(flatten)]
    pub protection: ProtectionArgs,
    /// Key of a --from-backup run (its store is --store; --passphrase-file also opens it).
    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// Backup subcommands.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// List the backups in a store (incomplete ones are marked).
    List {
        /// Store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show a backup's manifest.
    Describe {
        /// Run id.
        run: String,
        /// Store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Check every file's size and SHA-256, and that encrypted parts decrypt with the key.
    Verify {
        /// Run id.
        run: String,
        /// Store.
        #[command(flatten)]
        store: StoreArgs,
        /// Key.
        #[command(flatten)]
        key: KeyArgs,
    },
}

/// `restore` arguments.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Run id of the backup.
    pub run: String,
    /// Store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Unpack the v3.0 objects and reports into this folder instead of applying them.
    #[arg(long, value_name = "DIR", conflicts_with = "jenkins_files")]
    pub to_dir: Option<PathBuf>,
    /// Write the saved Jenkins files (config.xml files, key files) into this folder.
    #[arg(long, value_name = "DIR")]
    pub jenkins_files: Option<PathBuf>,
    /// Show what re-applying would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `job` arguments.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Container image holding the ks-devops-migrate binary, built from the repository's Dockerfile
    /// (`docker build -t REGISTRY/ks-devops-migrate:TAG .`, then push it where the cluster pulls from).
    #[arg(long, default_value = "ks-devops-migrate:latest")]
    pub image: String,
    /// Namespace of the Job.
    #[arg(long, default_value = "kubesphere-system")]
    pub namespace: String,
    /// Number of shards; with --indexed an Indexed Job (Kubernetes ≥ 1.21), else one Job per shard.
    #[arg(long)]
    pub shards: Option<u32>,
    /// Make one Indexed Job (completionMode: Indexed) instead of one Job per shard.
    #[arg(long)]
    pub indexed: bool,
    /// Secret whose keys become the pod's environment (MYSQL_PWD, JENKINS_API_TOKEN, KSDM_BACKUP_PASSPHRASE, AWS_*).
    #[arg(long, value_name = "SECRET")]
    pub env_from_secret: Option<String>,
    /// PersistentVolumeClaim mounted at /backups for a folder backup store (a folder on the
    /// pod's own disk is refused: it is gone with the pod). Not needed with --store s3://….
    #[arg(long, value_name = "NAME")]
    pub backup_pvc: Option<String>,
    /// Arguments of `migrate` inside the pod (after `--`).
    #[arg(last = true)]
    pub migrate_args: Vec<String>,
}

/// Where a Job mounts the `--backup-pvc` volume.
pub const JOB_BACKUP_MOUNT: &str = "/backups";

impl MigrateArgs {
    /// Store and key of --from-backup: the same --store and --passphrase-file as the backup
    /// this run takes, plus --identity-file.
    pub fn snapshot(&self) -> SnapshotFlags<'_> {
        SnapshotFlags {
            store: &self.store,
            passphrase_file: self.protection.passphrase_file.as_deref(),
            identity_file: self.identity.identity_file.as_deref(),
            only_for_snapshot: false,
        }
    }
}

impl BackupCmdArgs {
    /// Store and key of --from-backup (as for `migrate`).
    pub fn snapshot(&self) -> SnapshotFlags<'_> {
        SnapshotFlags {
            store: &self.store,
            passphrase_file: self.protection.passphrase_file.as_deref(),
            identity_file: self.identity.identity_file.as_deref(),
            only_for_snapshot: false,
        }
    }
}

impl SourceArgs {
    /// The validated source plan (no I/O): the MySQL TLS mode is parsed here. A
    /// `--from-backup` run is filled in by the command, which holds the store and key flags.
    pub fn spec(&self) -> Result<ksdm_run::SourceSpec, ksdm_run::RunError> {
        let mysql_tls = match &self.mysql {
            Some(_) => Some(self.mysql_tls.parse().map_err(|e| {
                ksdm_run::RunError::Usage(format!("--mysql-tls {:?}: {e}", self.mysql_tls))
            })?),
            None => None,
        };
        Ok(ksdm_run::SourceSpec {
            sample: self.sample,
            mysql_dump: self.mysql_dump.clone(),
            mysql: self.mysql.clone(),
            mysql_password_file: self.mysql_password_file.clone(),
            mysql_tls,
            jenkins_home: self.jenkins_home.clone(),
            jenkins_url: self.jenkins_url.clone(),
            jenkins_user: self.jenkins_user.clone(),
            jenkins_token_file: self.jenkins_token_file.clone(),
            jenkins_concurrency: self.jenkins_concurrency,
            jenkins_script_console: self.jenkins_script_console,
            jenkins_key_files: self.jenkins_key_files.clone(),
            from_backup: None,
        })
    }
}

impl SourceArgs {
    /// The source settings that shape the output (for the input digest of a backup): which
    /// kind of source, and whether values come through the script console. Never a secret.
    pub fn secret_plan(&self) -> String {
        format!(
            "sample={} dump={} mysql={} home={} url={} script-console={} key-files={} from-backup={}",
            self.sample,
            self.mysql_dump.is_some(),
            self.mysql.is_some(),
            self.jenkins_home.is_some(),
            self.jenkins_url.is_some(),
            self.jenkins_script_console,
            self.jenkins_key_files.is_some(),
            self.from_backup.is_some()
        )
    }
}

impl ClusterArgs {
    /// `(index, shards)` of a sharded run, checked: both or neither, `shards` ≥ 1, index < shards.
    pub fn shard(&self) -> Result<Option<(u32, u32)>, ksdm_run::RunError> {
        use ksdm_run::RunError::Usage;
        match (self.shard_index, self.shards) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(Usage(
                "--shard-index (or JOB_COMPLETION_INDEX) needs --shards N".into(),
            )),
            (None, Some(_)) => Err(Usage(
                "--shards N needs --shard-index I (or JOB_COMPLETION_INDEX)".into(),
            )),
            (Some(_), Some(0)) => Err(Usage("--shards must be at least 1".into())),
            (Some(i), Some(n)) if i >= n => Err(Usage(format!(
                "--shard-index {i} is not below --shards {n} (shards are numbered from 0)"
            ))),
            (Some(i), Some(n)) => Ok(Some((i, n))),
        }
    }

    /// Checks the cluster flags before any I/O: the shard, and that a named kubeconfig exists.
    pub fn validate(&self) -> Result<(), ksdm_run::RunError> {
        self.shard()?;
        if let Some(k) = &self.kubeconfig {
            if !k.is_file() {
                return Err(ksdm_run::RunError::Usage(format!(
                    "--kubeconfig {}: no such file",
                    k.display()
                )));
            }
        }
        Ok(())
    }
}
