//! Opens the v2.1 inputs of a run — a dump or a live MySQL, and a Jenkins home or a live
//! Jenkins — checks that they can be used (a Jenkins login is tried and the item list read
//! before any work), and reads Jenkins **once**: one stream of per-folder results feeds the
//! conversion and, through a [`Spool`], the backup's copy of the Jenkins files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use ksdm_convert::Selection;
use ksdm_model::v21::{
    FolderReadError, JenkinsFolder, JenkinsKeys, ListedCredential, MysqlData, RevealedValues,
};
use ksdm_source::jenkins_home::JenkinsHome;
use ksdm_source_jenkins_rest::{ItemRef, JenkinsClient, JenkinsError, JenkinsOptions};
use ksdm_source_mysql::{MysqlOptions, TlsMode};

use crate::error::RunError;
use crate::spool::Spool;

/// The bundled sample's MySQL dump (the committed `sample/devops.sql`, embedded at build time).
const SAMPLE_DUMP: &[u8] = include_bytes!("../../../sample/devops.sql");
/// The bundled sample's Jenkins home (the committed `sample/jenkins_home/`, packed by `build.rs`).
const SAMPLE_JENKINS_HOME_TAR: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sample-jenkins-home.tar"));

/// Where the inputs come from, validated (no I/O has happened yet).
#[derive(Debug, Clone, Default)]
pub struct SourceSpec {
    /// Use the bundled sample (dump + Jenkins home).
    pub sample: bool,
    /// A mysqldump file.
    pub mysql_dump: Option<PathBuf>,
    /// A live MySQL URL.
    pub mysql: Option<String>,
    /// File with the MySQL password.
    pub mysql_password_file: Option<PathBuf>,
    /// MySQL TLS mode (parsed while validating the plan).
    pub mysql_tls: Option<TlsMode>,
    /// A Jenkins home folder or archive.
    pub jenkins_home: Option<PathBuf>,
    /// A live Jenkins URL.
    pub jenkins_url: Option<String>,
    /// Jenkins user.
    pub jenkins_user: String,
    /// File with the Jenkins API token (else `JENKINS_API_TOKEN`).
    pub jenkins_token_file: Option<PathBuf>,
    /// Requests in flight to Jenkins at most.
    pub jenkins_concurrency: usize,
    /// Read credential values through the script console.
    pub jenkins_script_console: bool,
    /// With a live Jenkins: the folder holding its key files (`master.key`,
    /// `hudson.util.Secret`).
    pub jenkins_key_files: Option<PathBuf>,
    /// Read the whole v2.1 estate (MySQL rows, Jenkins files, credential values) from a backup
    /// run instead. `jenkins_url` may still be set next to it (it then names a live Jenkins for
    /// other purposes); Jenkins is read from the backup, never from that URL.
    pub from_backup: Option<FromBackup>,
}

/// A backup run to read the v2.1 estate from (`--from-backup RUN`).
#[derive(Debug, Clone)]
pub struct FromBackup {
    /// The run id.
    pub run_id: String,
    /// The store as given (`PATH` or `s3://bucket/prefix`).
    pub store: String,
    /// S3 connection settings (for an `s3://` store).
    pub s3: ksdm_backup::S3Options,
    /// The key that opens the run's encrypted files (`None` for a plaintext backup).
    pub key: Option<ksdm_backup::DecryptionKey>,
}

/// Which projects this run handles: the selection and, in a sharded run, one shard.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `--only` / `--exclude`.
    pub selection: Selection,
    /// `(index, shards)`: only the projects whose name hashes to `index`.
    pub shard: Option<(u32, u32)>,
}

impl Scope {
    /// Whether a project (or folder) name, lower-cased, belongs to this run's shard.
    pub fn in_shard(&self, lower_name: &str) -> bool {
        self.shard
            .is_none_or(|(i, n)| ksdm_apply::shard_of(lower_name, n) == i)
    }
}

/// Where Jenkins data comes from.
pub enum Jenkins {
    /// A JENKINS_HOME folder or tarball.
    Home(JenkinsHome),
    /// A running Jenkins, read over REST.
    Rest {
        /// The client.
        client: JenkinsClient,
        /// The top-level items, listed while opening (which also proved the login works).
        items: Vec<ItemRef>,
        /// Runtime the client's requests run on.
        runtime: tokio::runtime::Runtime,
        /// Key files given with `--jenkins-key-files` (else none).
        keys: JenkinsKeys,
    },
}

/// Opened inputs: MySQL rows (small, in memory) and Jenkins, read lazily.
pub struct Sources {
    /// MySQL rows (only this run's shard, when sharded).
    pub mysql: MysqlData,
    /// Problems found while reading MySQL that may have lost rows (each is a run error).
    pub mysql_errors: Vec<String>,
    /// Warnings found while reading MySQL (notes in the report).
    pub mysql_warnings: Vec<String>,
    /// Jenkins.
    pub jenkins: Jenkins,
    /// Values from the script console, when asked for.
    pub revealed: Option<Arc<RevealedValues>>,
    /// Descriptions for the report (never with passwords or tokens).
    pub descriptions: Vec<String>,
    /// Kept alive while the run lasts (a generated sample, or a backup's decrypted files).
    _tmp: Option<Box<dyn std::any::Any + Send + Sync>>,
}

/// Lower-cased name: a project's namespace and the key by which folders match projects.
fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Sources {
    /// The Jenkins key files (absent ones are `None`; a live Jenkins has none).
    pub fn keys(&self) -> Result<JenkinsKeys, RunError> {
        match &self.jenkins {
            Jenkins::Home(h) => h
                .keys()
                .map_err(|e| RunError::input("reading the Jenkins key files", e)),
            Jenkins::Rest { keys, .. } => Ok(keys.clone()),
        }
    }

    /// Keeps only the MySQL rows of this run's shard (projects, memberships and credential
    /// rows by the lower-cased project id).
    pub fn restrict_to_shard(&mut self, scope: &Scope) {
        if scope.shard.is_none() {
            return;
        }
        self.mysql
            .projects
            .retain(|p| scope.in_shard(&lower(&p.project_id)));
        self.mysql
            .memberships
            .retain(|m| scope.in_shard(&lower(&m.project_id)));
        self.mysql
            .credentials
            .retain(|c| scope.in_shard(&lower(&c.project_id)));
    }

    /// Checks that the run has something to do: at least one active project selected (in any
    /// shard). Call before [`Sources::restrict_to_shard`].
    pub fn check_selection(&self, scope: &Scope) -> Result<(), RunError> {
        let active: Vec<_> = self
            .mysql
            .projects
            .iter()
            .filter(|p| p.is_active())
            .collect();
        if active.is_empty() {
            return Err(RunError::NothingToMigrate(
                "the MySQL project table has no active project".into(),
            ));
        }
        if !active.iter().any(|p| scope.selection.includes(p)) {
            return Err(RunError::NothingToMigrate(format!(
                "--only/--exclude select none of the {} active projects",
                active.len()
            )));
        }
        Ok(())
    }

    /// Which top-level Jenkins items this run reads: the folders of selected projects of its
    /// shard, and items that are no active project (orphans, `init-job`) of its shard.
    fn folder_filter(&self, scope: &Scope) -> Arc<dyn Fn(&str) -> bool + Send + Sync> {
        let mut projects = std::collections::HashMap::new();
        for p in self.mysql.projects.iter().filter(|p| p.is_active()) {
            projects.insert(lower(&p.project_id), scope.selection.includes(p));
        }
        let scope = scope.clone();
        Arc::new(move |name: &str| {
            let l = lower(name);
            scope.in_shard(&l) && projects.get(&l).copied().unwrap_or(true)
        })
    }

    /// Reads Jenkins once: every top-level item this run handles, as `Ok(folder)` or a typed
    /// per-folder error. Each folder read is also added to `spool` (with the key files and the
    /// root `config.xml` first), so the backup holds exactly what was converted.
    ///
    /// Call from a thread that is not running async code (the converter's rayon workers are
    /// fine): a live Jenkins is read by a task on this source's own runtime.
    pub fn read_folders<'a>(
        &'a self,
        scope: &Scope,
        spool: Option<&'a Spool>,
    ) -> Result<
        Box<dyn Iterator<Item = Result<JenkinsFolder, FolderReadError>> + Send + 'a>,
        RunError,
    > {
        let keep = self.folder_filter(scope);
        let folders: Box<dyn Iterator<Item = Result<JenkinsFolder, FolderReadError>> + Send + 'a> =
            match &self.jenkins {
                Jenkins::Home(h) => {
                    if let Some(spool) = spool {
                        for rel in [
                            "secrets/master.key",
                            "secrets/hudson.util.Secret",
                            "config.xml",
                        ] {
                            match h.read_file(rel) {
                                Ok(Some(bytes)) => spool.add(rel, &bytes),
                                Ok(None) => {}
                                Err(e) => {
                                    return Err(RunError::input(
                                        format!("reading {rel} of the Jenkins home"),
                                        e,
                                    ))
                                }
                            }
                        }
                    }
                    if h.is_archive() {
                        let all = h
                            .folders()
                            .map_err(|e| RunError::input("reading the Jenkins home archive", e))?;
                        Box::new(
                            all.map(|r| r.map_err(|e| FolderReadError::source(e.to_string())))
                                .filter(move |r| r.as_ref().map_or(true, |f| keep(&f.name))),
                        )
                    } else {
                        let names = h
                            .folder_names()
                            .map_err(|e| RunError::input("listing the Jenkins folders", e))?;
                        Box::new(names.into_iter().filter(move |n| keep(n)).map(move |name| {
                            h.read_folder(&name)
                                .map_err(|e| FolderReadError::folder(name, e.to_string()))
                        }))
                    }
                }
                Jenkins::Rest {
                    client,
                    items,
                    runtime,
                    keys,
                } => {
                    // The key files given with --jenkins-key-files go into the backup's
                    // Jenkins archive where a Jenkins home keeps them.
                    if let Some(spool) = spool {
                        for (rel, bytes) in [
                            (KEY_FILES[0].1, &keys.master_key),
                            (KEY_FILES[1].1, &keys.hudson_util_secret),
                        ] {
                            if let Some(bytes) = bytes {
                                spool.add(rel, bytes);
                            }
                        }
                    }
                    let items: Vec<ItemRef> =
                        items.iter().filter(|i| keep(&i.name)).cloned().collect();
                    Box::new(rest_folders(client.clone(), items, runtime.handle()))
                }
            };
        Ok(match spool {
            Some(spool) => Box::new(folders.inspect(move |r| {
                if let Ok(f) = r {
                    spool.add_folder(f);
                }
            })),
            None => folders,
        })
    }
}

/// Reads the given items on `rt` and hands them over one at a time (bounded channel).
fn rest_folders(
    client: JenkinsClient,
    items: Vec<ItemRef>,
    rt: &tokio::runtime::Handle,
) -> impl Iterator<Item = Result<JenkinsFolder, FolderReadError>> + Send {
    let concurrency = 8;
    let (tx, mut rx) = tokio::sync::mpsc::channel(concurrency);
    rt.spawn(async move {
        let client = &client;
        let mut reads = futures_util::stream::iter(items)
            .map(|item| async move {
                let name = item.name.clone();
                client
                    .read_folder(&item)
                    .await
                    .map_err(|e| folder_error(&name, e))
            })
            .buffered(concurrency);
        while let Some(r) = reads.next().await {
            if tx.send(r).await.is_err() {
                break;
            }
        }
    });
    std::iter::from_fn(move || rx.blocking_recv())
}

/// A per-folder error of the REST reader, keeping the credentials listed without values.
fn folder_error(name: &str, e: JenkinsError) -> FolderReadError {
    let mut out = FolderReadError::folder(name, e.to_string());
    if let JenkinsError::FolderConfigForbidden { credentials, .. } = e {
        out.listed_credentials = credentials
            .into_iter()
            .map(|c| ListedCredential {
                domain: c.domain,
                id: c.id,
                type_name: c.type_name,
                description: c.description,
            })
            .collect();
    }
    out
}

/// Opens the sources named by `spec`: reads MySQL (small, in memory), opens the Jenkins home,
/// or logs in to Jenkins and lists its items. Every failure here is [`RunError::Input`] (exit 3)
/// and happens before any conversion.
pub fn open(spec: &SourceSpec) -> Result<Sources, RunError> {
    if let Some(from) = &spec.from_backup {
        return open_backup(from);
    }
    let mut descriptions = Vec::new();
    let (dump, home, tmp) = if spec.sample {
        let (dir, tmp) = sample_dir()?;
        (
            Some(dir.join("devops.sql")),
            Some(dir.join("jenkins_home")),
            tmp,
        )
    } else {
        (spec.mysql_dump.clone(), spec.jenkins_home.clone(), None)
    };

    let (mysql, mysql_errors, mysql_warnings) = match (&dump, &spec.mysql) {
        (Some(dump), _) => {
            let read = ksdm_source::mysqldump::read_dump_file(dump).map_err(|e| {
                RunError::input(format!("reading MySQL dump {}", dump.display()), e)
            })?;
            let issue = |i: &ksdm_source::mysqldump::DumpIssue| {
                format!("MySQL dump {}: {i}", dump.display())
            };
            descriptions.push(format!("MySQL dump {}", shown(dump, spec.sample)));
            (
                read.data.clone(),
                read.issues
                    .iter()
                    .filter(|i| i.is_error())
                    .map(issue)
                    .collect(),
                read.issues
                    .iter()
                    .filter(|i| !i.is_error())
                    .map(issue)
                    .collect(),
            )
        }
        (None, Some(url)) => {
            let mut opts = MysqlOptions::from_url_and_env(
                url,
                spec.mysql_password_file.as_deref(),
                "MYSQL_PWD",
            )
            .map_err(|e| RunError::input("MySQL connection settings", e))?;
            if let Some(tls) = &spec.mysql_tls {
                opts.tls = tls.clone();
            }
            let shown = ksdm_source_mysql::describe(&opts);
            let read = ksdm_source_mysql::read_live_blocking(&opts)
                .map_err(|e| RunError::input(format!("reading {shown}"), e))?;
            descriptions.push(format!("MySQL {shown}"));
            (
                read.data,
                Vec::new(),
                read.warnings
                    .into_iter()
                    .map(|w| format!("MySQL {shown}: {w}"))
                    .collect(),
            )
        }
        (None, None) => {
            return Err(RunError::Usage(
                "give --mysql-dump FILE or --mysql URL".into(),
            ))
        }
    };

    let mut revealed = None;
    let jenkins = match (&home, &spec.jenkins_url) {
        (Some(home), _) => {
            descriptions.push(format!("Jenkins home {}", shown(home, spec.sample)));
            Jenkins::Home(JenkinsHome::open(home).map_err(|e| {
                RunError::input(format!("opening Jenkins home {}", home.display()), e)
            })?)
        }
        (None, Some(url)) => {
            // Key files first: a missing or oversized file is an input error before any request.
            let keys = match &spec.jenkins_key_files {
                Some(dir) => key_files(dir)?,
                None => JenkinsKeys::default(),
            };
            let mut opts = JenkinsOptions::from_env_and_file(
                url,
                &spec.jenkins_user,
                spec.jenkins_token_file.as_deref(),
                "JENKINS_API_TOKEN",
            )
            .map_err(|e| RunError::input("Jenkins connection settings", e))?;
            opts.concurrency = spec.jenkins_concurrency.max(1);
            let client =
                JenkinsClient::new(opts).map_err(|e| RunError::input("Jenkins client", e))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| RunError::input("starting the async runtime", e))?;
            // The login and the item list, before any work: a wrong token or an unreachable
            // Jenkins stops the run here.
            let items = runtime
                .block_on(client.items())
                .map_err(|e| RunError::input(format!("listing the items of Jenkins {url}"), e))?;
            if spec.jenkins_script_console {
                let values = runtime.block_on(client.reveal_credentials()).map_err(|e| {
                    RunError::input(
                        format!("reading credential values through the script console of {url}"),
                        e,
                    )
                })?;
                revealed = Some(Arc::new(values));
            }
            descriptions.push(format!(
                "Jenkins {} as {}{}",
                client.url(),
                spec.jenkins_user,
                match (spec.jenkins_script_console, &spec.jenkins_key_files) {
                    (true, _) => " (values through the script console)".to_string(),
                    (false, Some(dir)) => format!(" (key files from {})", dir.display()),
                    (false, None) => String::new(),
                }
            ));
            Jenkins::Rest {
                client,
                items,
                runtime,
                keys,
            }
        }
        (None, None) => {
            return Err(RunError::Usage(
                "give --jenkins-home PATH or --jenkins-url URL".into(),
            ))
        }
    };
    Ok(Sources {
        mysql,
        mysql_errors,
        mysql_warnings,
        jenkins,
        revealed,
        descriptions,
        _tmp: tmp.map(|t| Box::new(t) as Box<dyn std::any::Any + Send + Sync>),
    })
}

/// Opens the v2.1 sources held by a backup run: the MySQL rows (and the problems found
/// reading them) as they were read, the Jenkins files (checked, decrypted into a private
/// temporary tarball), the credential values read through the script console. Every failure
/// is [`RunError::Input`] naming the run, the file and the reason.
fn open_backup(from: &FromBackup) -> Result<Sources, RunError> {
    let what = format!("reading backup {} in {}", from.run_id, from.store);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::input("starting the async runtime", e))?;
    let mut snap = runtime
        .block_on(async {
            let store = ksdm_backup::open_store(&from.store, &from.s3).await?;
            ksdm_backup::open_run_sources(store.as_ref(), &from.run_id, from.key.as_ref()).await
        })
        .map_err(|e| RunError::input(what.clone(), e))?;
    let opening = || format!("{what}: opening its Jenkins files {}", snap.jenkins_name());
    let (home, empty_home) = match JenkinsHome::open(snap.jenkins_archive()) {
        Ok(home) => (home, None),
        // A backup of a live Jenkins whose shard or selection had no item holds no file at
        // all: an empty Jenkins home, not a damaged one.
        Err(e) if !snap.jenkins_archive_is_empty().unwrap_or(false) => {
            return Err(RunError::input(opening(), e))
        }
        Err(_) => {
            let dir = tempfile::tempdir().map_err(|e| RunError::input(opening(), e))?;
            std::fs::create_dir(dir.path().join("jobs"))
                .map_err(|e| RunError::input(opening(), e))?;
            let home = JenkinsHome::open(dir.path()).map_err(|e| RunError::input(opening(), e))?;
            (home, Some(dir))
        }
    };
    let taken_from = snap.taken_from();
    let description = if taken_from.is_empty() {
        format!("backup {} in {}", from.run_id, snap.store)
    } else {
        format!(
            "backup {} in {} (taken from: {})",
            from.run_id,
            snap.store,
            taken_from.join("; ")
        )
    };
    let revealed = snap.revealed.take().map(Arc::new);
    let issues = std::mem::take(&mut snap.mysql_issues);
    Ok(Sources {
        mysql: std::mem::take(&mut snap.mysql),
        mysql_errors: issues.errors,
        mysql_warnings: issues.warnings,
        jenkins: Jenkins::Home(home),
        revealed,
        descriptions: vec![description],
        _tmp: Some(Box::new((snap, empty_home))),
    })
}

/// Jenkins' key files: the name in a `secrets` folder and the path inside a Jenkins home.
const KEY_FILES: [(&str, &str); 2] = [
    ("master.key", "secrets/master.key"),
    ("hudson.util.Secret", "secrets/hudson.util.Secret"),
];

/// Reads both key files from `dir` (each must exist, at most the key-file size limit).
fn key_files(dir: &Path) -> Result<JenkinsKeys, RunError> {
    let read = |name: &str| -> Result<Vec<u8>, RunError> {
        let path = dir.join(name);
        let what = || {
            format!(
                "reading Jenkins key file {} (--jenkins-key-files)",
                path.display()
            )
        };
        let len = std::fs::metadata(&path)
            .map_err(|e| RunError::input(what(), e))?
            .len();
        if len > ksdm_model::limits::MAX_KEY_FILE_BYTES {
            return Err(RunError::input(
                what(),
                std::io::Error::other(format!(
                    "{len} bytes: more than a key file can be ({})",
                    ksdm_model::limits::human_size(ksdm_model::limits::MAX_KEY_FILE_BYTES)
                )),
            ));
        }
        std::fs::read(&path).map_err(|e| RunError::input(what(), e))
    };
    Ok(JenkinsKeys {
        master_key: Some(read(KEY_FILES[0].0)?),
        hudson_util_secret: Some(read(KEY_FILES[1].0)?),
    })
}

fn shown(p: &Path, sample: bool) -> String {
    if sample {
        format!(
            "(bundled sample) {}",
            p.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        )
    } else {
        p.display().to_string()
    }
}

/// The bundled sample, unpacked into a temporary folder as two files: `devops.sql` and
/// `jenkins_home` (a tarball, read by the normal archive reader). Works wherever the binary runs.
fn sample_dir() -> Result<(PathBuf, Option<tempfile::TempDir>), RunError> {
    let tmp = tempfile::tempdir()
        .map_err(|e| RunError::input("creating a temporary folder for the sample", e))?;
    std::fs::write(tmp.path().join("devops.sql"), SAMPLE_DUMP)
        .map_err(|e| RunError::input("writing the sample dump", e))?;
    std::fs::write(tmp.path().join("jenkins_home"), SAMPLE_JENKINS_HOME_TAR)
        .map_err(|e| RunError::input("writing the sample Jenkins home", e))?;
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}
