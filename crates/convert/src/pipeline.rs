//! Jenkins job `config.xml` → v3.0 `Pipeline` (`docs/v30-objects.md` §3, §6, §7).
//!
//! The spec is exactly what the v3.0 controller parses out of the same file (the parser lives in
//! [`crate::v30_parse`]), so the controller finds nothing to rewrite.

use std::collections::BTreeMap;

use crate::v30_parse::parse_job;
use crate::v30_repair::{repair_job, JobRepair, RepairOutcome};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use ksdm_model::v21::JobClass;
use ksdm_model::v30::{Pipeline, CREATOR_ANNOTATION, DEVOPS_API_VERSION};
use ksdm_model::{Finding, Outcome, Severity};

use crate::credential_usage::{job_references, CredentialRef};
use crate::naming::subdomain_problem;

/// Result of converting one job.
#[derive(Debug)]
pub struct ConvertedPipeline {
    /// Outcome.
    pub outcome: Outcome,
    /// The Pipeline, when one is emitted.
    pub object: Option<Pipeline>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// For a job the v3.0 parser cannot read (held back): a minimally repaired `config.xml`.
    pub repair: Option<JobRepair>,
    /// The credential ids the job references (empty unless a Pipeline is emitted).
    pub credential_refs: Vec<CredentialRef>,
}

/// Converts the job `job_name` (as named in Jenkins) of the project whose admin namespace is
/// `namespace`. `creator` goes into `kubesphere.io/creator` (v2.1 kept no pipeline creator, so
/// the project creator is used).
pub fn convert_pipeline(
    job_name: &str,
    xml: &[u8],
    namespace: &str,
    creator: &str,
) -> ConvertedPipeline {
    let mut findings = Vec::new();
    let name = job_name.to_ascii_lowercase();
    if let Some(problem) = subdomain_problem(&name) {
        findings.push(Finding::manual(
            "pipeline.name-unrepresentable",
            format!(
                "job name {job_name:?} cannot be a Pipeline name: lower-cased it {problem}. Renaming would make \
                 the v3.0 controller create a new Jenkins job while the history stays with the old one; rename \
                 the job in Jenkins (or recreate it in KubeSphere) and rerun"
            ),
        ));
        return ConvertedPipeline {
            outcome: Outcome::Unsupported,
            object: None,
            findings,
            repair: None,
            credential_refs: Vec::new(),
        };
    }
    let parsed = match parse_job(&name, xml) {
        Ok(p) => p,
        Err(e) => {
            findings.push(Finding::error("pipeline.unreadable", e.to_string()));
            return ConvertedPipeline {
                outcome: Outcome::Failed,
                object: None,
                findings,
                repair: None,
                credential_refs: Vec::new(),
            };
        }
    };
    let unreadable = parsed.v30_unreadable();
    findings.extend(parsed.findings);
    if unreadable && !matches!(parsed.class, JobClass::Other(_)) {
        return held_back(&name, xml, findings);
    }
    let spec = match (&parsed.class, parsed.spec) {
        (JobClass::Other(class), _) => {
            // The parser explains the class; make that explanation the manual task.
            if let Some(f) = findings
                .iter_mut()
                .find(|f| f.code == "pipeline.unsupported-job-class")
            {
                f.severity = Severity::Manual;
                return ConvertedPipeline {
                    outcome: Outcome::Unsupported,
                    object: None,
                    findings,
                    repair: None,
                    credential_refs: Vec::new(),
                };
            }
            findings.push(Finding::manual(
                "pipeline.unsupported-class",
                format!(
                    "job class {class:?} is not a pipeline or multi-branch pipeline; v3.0 cannot represent it \
                     (it stays in Jenkins, invisible in KubeSphere)"
                ),
            ));
            return ConvertedPipeline {
                outcome: Outcome::Unsupported,
                object: None,
                findings,
                repair: None,
                credential_refs: Vec::new(),
            };
        }
        (_, None) => {
            findings.push(Finding::error(
                "pipeline.unreadable",
                "job has no pipeline definition that can be read",
            ));
            return ConvertedPipeline {
                outcome: Outcome::Failed,
                object: None,
                findings,
                repair: None,
                credential_refs: Vec::new(),
            };
        }
        (_, Some(spec)) => spec,
    };
    if name != job_name {
        findings.push(Finding::info(
            "pipeline.name-lowercased",
            format!("job {job_name:?} becomes Pipeline {name:?}; Jenkins finds the job case-insensitively"),
        ));
    }
    let mut annotations = BTreeMap::new();
    annotations.insert(CREATOR_ANNOTATION.to_string(), creator.to_string());
    let object = Pipeline {
        api_version: DEVOPS_API_VERSION.to_string(),
        kind: "Pipeline".to_string(),
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.to_string()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec,
    };
    let credential_refs = job_references(
        xml,
        object
            .spec
            .pipeline
            .as_ref()
            .map(|p| p.jenkinsfile.as_str()),
    );
    let outcome = crate::migrated_outcome(&findings);
    ConvertedPipeline {
        outcome,
        object: Some(object),
        findings,
        repair: None,
        credential_refs,
    }
}

/// A job the v3.0 parser panics or fails on: no Pipeline (one such object crash-loops
/// ks-controller-manager, or requeues forever), outcome Failed, the parser's failures as manual
/// tasks, and a repaired `config.xml` when one can be made.
fn held_back(name: &str, xml: &[u8], mut findings: Vec<Finding>) -> ConvertedPipeline {
    // What a rewrite would drop no longer matters: nothing is written for this job.
    findings.retain(|f| f.severity == Severity::Manual || f.severity == Severity::Error);
    let repair = match repair_job(name, xml) {
        RepairOutcome::Repaired(r) => {
            findings.push(Finding::manual(
                "pipeline.v30-held-back",
                format!(
                    "no Pipeline is written or applied for job `{name}` until the job is fixed in Jenkins. A repaired \
                     config.xml (only adding: {}) is in jenkins-repairs/ with a diff; copy it over the job's \
                     config.xml in JENKINS_HOME (then reload Jenkins) or rerun with a live Jenkins and \
                     --repair-jenkins-jobs, then rerun the migration",
                    r.changes.join("; ")
                ),
            ));
            Some(r)
        }
        RepairOutcome::NotRepairable(why) => {
            findings.push(Finding::manual(
                "pipeline.v30-held-back",
                format!("no Pipeline is written or applied for job `{name}` until the job is fixed in Jenkins; {why}"),
            ));
            None
        }
        RepairOutcome::NotNeeded => None,
    };
    ConvertedPipeline {
        outcome: Outcome::Failed,
        object: None,
        findings,
        repair,
        credential_refs: Vec::new(),
    }
}
