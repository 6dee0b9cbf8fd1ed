//! Loads the v2.1 inputs named on the command line: a dump or a live MySQL, and a Jenkins home
//! or a live Jenkins. Whatever the mix, the converter sees the same records.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use ksdm_model::v21::{JenkinsFile, JenkinsFolder, JenkinsKeys, MysqlData, RevealedValues};
use ksdm_source::jenkins_home::JenkinsHome;
use ksdm_source_jenkins_rest::{JenkinsClient, JenkinsOptions};
use ksdm_source_mysql::MysqlOptions;

use crate::args::SourceArgs;

/// The bundled sample's MySQL dump (the committed `sample/devops.sql`, embedded at build time).
const SAMPLE_DUMP: &[u8] = include_bytes!("../../../sample/devops.sql");
/// The bundled sample's Jenkins home (the committed `sample/jenkins_home/`, packed by `build.rs`).
const SAMPLE_JENKINS_HOME_TAR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sample-jenkins-home.tar"));

/// Where Jenkins data comes from.
pub enum Jenkins {
    /// A JENKINS_HOME folder or tarball.
    Home(JenkinsHome),
    /// A running Jenkins, read over REST.
    Rest {
        /// The client.
        client: JenkinsClient,
        /// Runtime the client's requests run on.
        runtime: tokio::runtime::Runtime,
    },
}

/// Loaded inputs: MySQL rows (small, in memory) and Jenkins read lazily.
pub struct Sources {
    /// MySQL rows.
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
    /// Kept alive while the run lasts (a generated sample).
    _tmp: Option<tempfile::TempDir>,
}

impl Sources {
    /// The Jenkins key files (absent ones are `None`; a live Jenkins has none).
    pub fn keys(&self) -> Result<JenkinsKeys> {
        match &self.jenkins {
            Jenkins::Home(h) => h.keys().context("reading the Jenkins key files"),
            Jenkins::Rest { .. } => Ok(JenkinsKeys::default()),
        }
    }

    /// Project folders, one at a time.
    pub fn folders(&self) -> Result<Box<dyn Iterator<Item = Result<JenkinsFolder, String>> + Send + '_>> {
        Ok(match &self.jenkins {
            Jenkins::Home(h) => {
                Box::new(h.folders().context("listing Jenkins folders")?.map(|r| r.map_err(|e| e.to_string())))
            }
            Jenkins::Rest { client, runtime } => Box::new(
                client.clone().folders_blocking(runtime.handle().clone()).map(|r| r.map_err(|e| e.to_string())),
            ),
        })
    }
}

/// Opens the sources named by `args`.
pub fn open(args: &SourceArgs) -> Result<Sources> {
    let mut descriptions = Vec::new();
    let (dump, home, tmp) = if args.sample {
        let (dir, tmp) = sample_dir()?;
        (Some(dir.join("devops.sql")), Some(dir.join("jenkins_home")), tmp)
    } else {
        (args.mysql_dump.clone(), args.jenkins_home.clone(), None)
    };

    let (mysql, mysql_errors, mysql_warnings) = match (&dump, &args.mysql) {
        (Some(dump), _) => {
            let read = ksdm_source::mysqldump::read_dump_file(dump)
                .with_context(|| format!("reading MySQL dump {}", dump.display()))?;
            let issue = |i: &ksdm_source::mysqldump::DumpIssue| format!("MySQL dump {}: {i}", dump.display());
            descriptions.push(format!("MySQL dump {}", shown(dump, args.sample)));
            (
                read.data.clone(),
                read.issues.iter().filter(|i| i.is_error()).map(issue).collect(),
                read.issues.iter().filter(|i| !i.is_error()).map(issue).collect(),
            )
        }
        (None, Some(url)) => {
            let mut opts =
                MysqlOptions::from_url_and_env(url, args.mysql_password_file.as_deref(), "MYSQL_PWD")?;
            opts.tls = args.mysql_tls.parse()?;
            let shown = ksdm_source_mysql::describe(&opts);
            let read = ksdm_source_mysql::read_live_blocking(&opts).with_context(|| format!("reading {shown}"))?;
            descriptions.push(format!("MySQL {shown}"));
            (read.data, Vec::new(), read.warnings.into_iter().map(|w| format!("MySQL {shown}: {w}")).collect())
        }
        (None, None) => anyhow::bail!("give --mysql-dump FILE or --mysql URL"),
    };

    let mut revealed = None;
    let jenkins = match (&home, &args.jenkins_url) {
        (Some(home), _) => {
            descriptions.push(format!("Jenkins home {}", shown(home, args.sample)));
            Jenkins::Home(
                JenkinsHome::open(home).with_context(|| format!("opening Jenkins home {}", home.display()))?,
            )
        }
        (None, Some(url)) => {
            let mut opts = JenkinsOptions::from_env_and_file(
                url,
                &args.jenkins_user,
                args.jenkins_token_file.as_deref(),
                "JENKINS_API_TOKEN",
            )?;
            opts.concurrency = args.jenkins_concurrency.max(1);
            let client = JenkinsClient::new(opts)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            if args.jenkins_script_console {
                let values = runtime
                    .block_on(client.reveal_credentials())
                    .with_context(|| format!("reading credential values through the script console of {url}"))?;
                revealed = Some(Arc::new(values));
            }
            descriptions.push(format!(
                "Jenkins {} as {}{}",
                client.url(),
                args.jenkins_user,
                if args.jenkins_script_console { " (values through the script console)" } else { "" }
            ));
            Jenkins::Rest { client, runtime }
        }
        (None, None) => anyhow::bail!("give --jenkins-home PATH or --jenkins-url URL"),
    };
    Ok(Sources {
        mysql,
        mysql_errors,
        mysql_warnings,
        jenkins,
        revealed,
        descriptions,
        _tmp: tmp,
    })
}

fn shown(p: &Path, sample: bool) -> String {
    if sample {
        format!("(bundled sample) {}", p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default())
    } else {
        p.display().to_string()
    }
}

/// The bundled sample, unpacked into a temporary folder as two files: `devops.sql` and
/// `jenkins_home` (a tarball, read by the normal archive reader). Works wherever the binary runs.
fn sample_dir() -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    let tmp = tempfile::tempdir().context("creating a temporary folder for the sample")?;
    std::fs::write(tmp.path().join("devops.sql"), SAMPLE_DUMP).context("writing the sample dump")?;
    std::fs::write(tmp.path().join("jenkins_home"), SAMPLE_JENKINS_HOME_TAR).context("writing the sample Jenkins home")?;
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}

impl Sources {
    /// The Jenkins files the migration read, for the backup's source snapshot: the key files,
    /// the root `config.xml`, every top-level item's and job's `config.xml`. Streamed.
    pub fn jenkins_files(&self) -> Result<Box<dyn Iterator<Item = Result<JenkinsFile, String>> + Send + '_>> {
        let mut head: Vec<Result<JenkinsFile, String>> = Vec::new();
        if let Jenkins::Home(h) = &self.jenkins {
            for rel in ["secrets/master.key", "secrets/hudson.util.Secret", "config.xml"] {
                match h.read_file(rel) {
                    Ok(Some(bytes)) => head.push(Ok(JenkinsFile { path: rel.to_string(), bytes })),
                    Ok(None) => {}
                    Err(e) => head.push(Err(e.to_string())),
                }
            }
        }
        let folders = self.folders()?.flat_map(|f| -> Vec<Result<JenkinsFile, String>> {
            match f {
                Err(e) => vec![Err(e)],
                Ok(f) => {
                    let mut out = Vec::with_capacity(f.jobs.len() + 1);
                    if let Some(c) = f.config_xml {
                        out.push(Ok(JenkinsFile { path: format!("jobs/{}/config.xml", f.name), bytes: c }));
                    }
                    for (job, bytes) in f.jobs {
                        out.push(Ok(JenkinsFile { path: format!("jobs/{}/jobs/{job}/config.xml", f.name), bytes }));
                    }
                    out
                }
            }
        });
        Ok(Box::new(head.into_iter().chain(folders)))
    }
}
