//! Jenkins job `config.xml` → v3.0 `Pipeline` (`spec/target-v30.md` §3, §6, §7).
//!
//! The spec is exactly what the v3.0 controller parses out of the same file (the parser lives in
//! `ksdm_source::jenkins_xml::pipeline`), so the controller finds nothing to rewrite.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use ksdm_model::v21::JobClass;
use ksdm_model::v30::{Pipeline, CREATOR_ANNOTATION, DEVOPS_API_VERSION};
use ksdm_model::{Finding, Outcome, Severity};
use ksdm_source::jenkins_xml::pipeline::parse_job;

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
    /// The credential ids the job references (empty unless a Pipeline is emitted).
    pub credential_refs: Vec<CredentialRef>,
}

/// Converts the job `job_name` (as named in Jenkins) of the project whose admin namespace is
/// `namespace`. `creator` goes into `kubesphere.io/creator` (v2.1 kept no pipeline creator, so
/// the project creator is used).
pub fn convert_pipeline(job_name: &str, xml: &[u8], namespace: &str, creator: &str) -> ConvertedPipeline {
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
        return ConvertedPipeline { outcome: Outcome::Unsupported, object: None, findings, credential_refs: Vec::new() };
    }
    let parsed = match parse_job(&name, xml) {
        Ok(p) => p,
        Err(e) => {
            findings.push(Finding::error("pipeline.unreadable", e.to_string()));
            return ConvertedPipeline { outcome: Outcome::Failed, object: None, findings, credential_refs: Vec::new() };
        }
    };
    findings.extend(parsed.findings);
    let spec = match (&parsed.class, parsed.spec) {
        (JobClass::Other(class), _) => {
            // The parser explains the class; make that explanation the manual task.
            if let Some(f) = findings.iter_mut().find(|f| f.code == "pipeline.unsupported-job-class") {
                f.severity = Severity::Manual;
                return ConvertedPipeline { outcome: Outcome::Unsupported, object: None, findings, credential_refs: Vec::new() };
            }
            findings.push(Finding::manual(
                "pipeline.unsupported-class",
                format!(
                    "job class {class:?} is not a pipeline or multi-branch pipeline; v3.0 cannot represent it \
                     (it stays in Jenkins, invisible in KubeSphere)"
                ),
            ));
            return ConvertedPipeline { outcome: Outcome::Unsupported, object: None, findings, credential_refs: Vec::new() };
        }
        (_, None) => {
            findings.push(Finding::error("pipeline.unreadable", "job has no pipeline definition that can be read"));
            return ConvertedPipeline { outcome: Outcome::Failed, object: None, findings, credential_refs: Vec::new() };
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
    let credential_refs = job_references(xml, object.spec.pipeline.as_ref().map(|p| p.jenkinsfile.as_str()));
    let outcome = crate::migrated_outcome(&findings);
    ConvertedPipeline { outcome, object: Some(object), findings, credential_refs }
}
