//! Loads the v2.1 inputs named on the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ksdm_model::v21::{JenkinsFolder, JenkinsKeys, MysqlData};
use ksdm_source::jenkins_home::JenkinsHome;

use crate::args::SourceArgs;

/// The bundled sample estate, as committed in the repository (`sample/`).
const BUNDLED_SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sample");

/// Loaded inputs: MySQL rows (small, in memory) and a Jenkins home read lazily.
pub struct Sources {
    /// MySQL rows.
    pub mysql: MysqlData,
    /// Problems found while reading MySQL that may have lost rows (each is a run error).
    pub mysql_errors: Vec<String>,
    /// Warnings found while reading MySQL (notes in the report).
    pub mysql_warnings: Vec<String>,
    /// The Jenkins home.
    pub jenkins: JenkinsHome,
    /// Descriptions for the report.
    pub descriptions: Vec<String>,
    /// Kept alive while the run lasts (a generated sample).
    _tmp: Option<tempfile::TempDir>,
}

impl Sources {
    /// The Jenkins key files (absent ones are `None`).
    pub fn keys(&self) -> Result<JenkinsKeys> {
        self.jenkins.keys().context("reading the Jenkins key files")
    }

    /// Project folders, one at a time.
    pub fn folders(&self) -> Result<impl Iterator<Item = Result<JenkinsFolder, String>> + Send + '_> {
        Ok(self.jenkins.folders().context("listing Jenkins folders")?.map(|r| r.map_err(|e| e.to_string())))
    }
}

/// Opens the sources named by `args`.
pub fn open(args: &SourceArgs) -> Result<Sources> {
    let (dump, home, tmp) = if args.sample {
        let (dir, tmp) = sample_dir()?;
        (dir.join("devops.sql"), dir.join("jenkins_home"), tmp)
    } else {
        let dump = args.mysql_dump.clone().context("--mysql-dump is required")?;
        let home = args.jenkins_home.clone().context("--jenkins-home is required")?;
        (dump, home, None)
    };
    let read = ksdm_source::mysqldump::read_dump_file(&dump)
        .with_context(|| format!("reading MySQL dump {}", dump.display()))?;
    let issue = |i: &ksdm_source::mysqldump::DumpIssue| format!("MySQL dump {}: {i}", dump.display());
    let mysql_errors = read.issues.iter().filter(|i| i.is_error()).map(issue).collect();
    let mysql_warnings = read.issues.iter().filter(|i| !i.is_error()).map(issue).collect();
    let jenkins =
        JenkinsHome::open(&home).with_context(|| format!("opening Jenkins home {}", home.display()))?;
    let descriptions = vec![
        format!("MySQL dump {}", shown(&dump, args.sample)),
        format!("Jenkins home {}", shown(&home, args.sample)),
    ];
    Ok(Sources { mysql: read.data, mysql_errors, mysql_warnings, jenkins, descriptions, _tmp: tmp })
}

fn shown(p: &Path, sample: bool) -> String {
    if sample {
        format!("(bundled sample) {}", p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default())
    } else {
        p.display().to_string()
    }
}

/// The bundled sample folder; when the binary runs outside the repository, the same sample is
/// generated into a temporary folder by the code that generated the bundled one.
fn sample_dir() -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    let bundled = PathBuf::from(BUNDLED_SAMPLE);
    if bundled.join("devops.sql").is_file() && bundled.join("jenkins_home").is_dir() {
        return Ok((bundled.canonicalize().unwrap_or(bundled), None));
    }
    let tmp = tempfile::tempdir().context("creating a temporary folder for the sample")?;
    ksdm_estate::sample::write_sample(tmp.path()).context("generating the sample estate")?;
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}
