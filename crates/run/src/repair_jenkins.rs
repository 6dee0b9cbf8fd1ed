//! `--repair-jenkins-jobs`: hands the repaired `config.xml` of every held-back job to a live
//! Jenkins, so that the next read of the job converts to a Pipeline the v3.0 controller can
//! parse.
//!
//! The repairs are the files the conversion wrote under `<out>/jenkins-repairs/jobs/<folder>/
//! jobs/<job>/config.xml` (see the README, "Jobs held back, and their repairs"). Each is
//! posted on its own; a failed POST is reported for that job and the others go on. The caller
//! posts only after the backup of the original files is written and verified.

use std::path::{Path, PathBuf};

use crate::sources::{Jenkins, Sources};

/// One repaired `config.xml` found in the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairFile {
    /// The top-level folder (the project).
    pub folder: String,
    /// The job inside it.
    pub job: String,
    /// Where the repaired file is.
    pub path: PathBuf,
}

/// What posting one repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedRepair {
    /// The repair posted.
    pub repair: RepairFile,
    /// `Ok` when Jenkins took the file; otherwise why not (no secrets in it).
    pub result: Result<(), String>,
}

impl PostedRepair {
    /// One line for the run output and the report.
    pub fn line(&self) -> String {
        let what = format!(
            "POST /job/{}/job/{}/config.xml",
            self.repair.folder, self.repair.job
        );
        match &self.result {
            Ok(()) => format!("{what}: repaired config.xml posted to Jenkins"),
            Err(e) => format!("{what}: FAILED ({e}); the job stays held back"),
        }
    }
}

/// The repaired files under `<out>/jenkins-repairs/jobs/`, sorted by folder and job.
pub fn repair_files(out: &Path) -> std::io::Result<Vec<RepairFile>> {
    let root = ksdm_sink::TreeLayout::new(out)
        .jenkins_repairs()
        .join("jobs");
    let mut found = Vec::new();
    if !root.is_dir() {
        return Ok(found);
    }
    for folder in std::fs::read_dir(&root)? {
        let folder = folder?;
        let jobs = folder.path().join("jobs");
        if !jobs.is_dir() {
            continue;
        }
        for job in std::fs::read_dir(&jobs)? {
            let job = job?;
            let path = job.path().join("config.xml");
            if path.is_file() {
                found.push(RepairFile {
                    folder: folder.file_name().to_string_lossy().into_owned(),
                    job: job.file_name().to_string_lossy().into_owned(),
                    path,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.folder, &a.job).cmp(&(&b.folder, &b.job)));
    Ok(found)
}

/// Posts every repair in `out` to the live Jenkins of `sources` (nothing is posted, and an
/// empty list returned, when the sources read a Jenkins home).
pub fn post_repairs(sources: &Sources, out: &Path) -> std::io::Result<Vec<PostedRepair>> {
    let Jenkins::Rest {
        client, runtime, ..
    } = &sources.jenkins
    else {
        return Ok(Vec::new());
    };
    let mut posted = Vec::new();
    for repair in repair_files(out)? {
        let result = match std::fs::read(&repair.path) {
            Ok(xml) => runtime
                .block_on(client.post_job_config(&[&repair.folder, &repair.job], &xml))
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("reading {}: {e}", repair.path.display())),
        };
        match &result {
            Ok(()) => {
                tracing::info!(folder = %repair.folder, job = %repair.job, "repaired config.xml posted")
            }
            Err(e) => {
                tracing::warn!(folder = %repair.folder, job = %repair.job, error = %e, "posting the repaired config.xml failed")
            }
        }
        posted.push(PostedRepair { repair, result });
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_repairs_in_the_jenkins_home_layout() {
        let dir = tempfile::tempdir().unwrap();
        let tree = ksdm_sink::YamlTree::new(dir.path());
        tree.write_repair("p2", "b job", b"<x/>", "diff").unwrap();
        tree.write_repair("p1", "a", b"<y/>", "diff").unwrap();
        let found = repair_files(dir.path()).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|r| (r.folder.as_str(), r.job.as_str()))
            .collect();
        assert_eq!(names, [("p1", "a"), ("p2", "b job")]);
        assert_eq!(std::fs::read(&found[1].path).unwrap(), b"<x/>");
        assert!(repair_files(&dir.path().join("none")).unwrap().is_empty());
    }
}
