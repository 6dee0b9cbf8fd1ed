//! What KubeSphere's own `ks-devops-migration` Job (ks-installer release-3.0, image
//! `kubesphere/ks-devops:flyway-v3.0.0`) writes into a v3.0 cluster, computed from a v2.1
//! estate — so that tests can put a cluster into the state a real 2.1 → 3.0 upgrade leaves
//! behind before our tool runs (`docs/installer-job.md`).
//!
//! The Job's rules, as reproduced here:
//! - **every** project row, soft-deleted ones included (no status filter), becomes a
//!   DevOpsProject named `lower(project_id)` with `generateName` = the display name, the
//!   `kubesphere.io/{creator,workspace,description}` annotations, the workspace label and the
//!   project finalizer — but only when its Workspace exists (otherwise the Job wrote nothing for
//!   it and then waited forever for the namespace: such projects are left out here, with all
//!   their objects);
//! - each `WorkflowJob` / `WorkflowMultiBranchProject` of the project's folder becomes a
//!   Pipeline with the creator annotation and finalizer, whose spec went through `yaml.v2` and
//!   textual key replacement: `disable_concurrent` and the multibranch job triggers are lost,
//!   every Jenkinsfile (and description) line containing `null` is deleted, and the key
//!   replacements also rewrite those values;
//! - each folder credential of domain `_` of the four supported types becomes a Secret with
//!   every data key present and **empty**, label `app`, creator (from `project_credential`) and
//!   description annotations, finalizer, no autosync annotation;
//! - each membership becomes a RoleBinding `<username>-<role>` (owner → admin, maintainer and
//!   developer → operator, reporter → viewer; other roles skipped).
//!
//! Names the Job only lower-cased and the API server then refused (not DNS-1123) are left out,
//! as their `kubectl apply` failed. The v2.1 parser is approximated by the v3.0 parse emulation
//! of `ksdm-convert` (jobs it cannot read are left out; the two differ in the password-parameter
//! default, which v2.1.1 read correctly).

use std::path::{Path, PathBuf};

use ksdm_convert::v30_parse::parse_job;
use ksdm_jenkins_xml::folder::{parse_folder_credentials, GLOBAL_DOMAIN};
use ksdm_model::v21::{CredentialKind, MysqlData};
use ksdm_model::v30::PipelineSpec;
use serde_json::{json, Value};

/// The textual replacements of the Job's `replaceKey()` that can fire inside values.
const REPLACEMENTS: &[(&str, &str)] = &[
    ("timertrigger", "timer_trigger"),
    ("scriptpath", "script_path"),
    ("credentialid", "credential_id"),
    ("cloneoption", "git_clone_option"),
    ("daystokeep", "days_to_keep"),
    ("sourcetype", "source_type"),
    ("singlesvnsource", "single_svn_source"),
    ("discoverprfromorigin", "discover_pr_from_origin"),
];

/// The Job's text mangling of one string value: key replacements, then every line containing
/// `null` deleted. `None` when nothing is left of it.
fn mangled(text: &str) -> Option<String> {
    let mut t = text.to_string();
    for (from, to) in REPLACEMENTS {
        t = t.replace(from, to);
    }
    let kept: Vec<&str> = t.split('\n').filter(|l| !l.contains("null")).collect();
    let out = kept.join("\n");
    (!out.is_empty()).then_some(out)
}

/// The spec the Job wrote for a job the v3.0 parse emulation read as `spec`.
pub fn installer_spec(mut spec: PipelineSpec) -> PipelineSpec {
    if let Some(p) = spec.pipeline.as_mut() {
        p.disable_concurrent = false;
        p.jenkinsfile = mangled(&p.jenkinsfile).unwrap_or_default();
        p.description = mangled(&p.description).unwrap_or_default();
    }
    if let Some(m) = spec.multi_branch_pipeline.as_mut() {
        m.multibranch_job_trigger = None;
        m.description = mangled(&m.description).unwrap_or_default();
    }
    spec
}

fn dns1123(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

fn child_dir(dir: &Path, wanted: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(wanted))
        .map(|e| e.path())
}

fn secret_keys(kind: &CredentialKind) -> Option<(&'static str, &'static [&'static str])> {
    Some(match kind {
        CredentialKind::UsernamePassword { .. } => ("basic-auth", &["username", "password"]),
        CredentialKind::SshPrivateKey { .. } => {
            ("ssh-auth", &["username", "passphrase", "private_key"])
        }
        CredentialKind::SecretText { .. } => ("secret-text", &["secret"]),
        CredentialKind::Kubeconfig { .. } => ("kubeconfig", &["content"]),
        _ => return None,
    })
}

/// Everything the Job writes for this estate, in the order it applied it: per project the
/// DevOpsProject first, then its Pipelines and Secrets; the RoleBindings of all projects last.
/// `workspaces` are the Workspaces that exist in the v3.0 cluster.
pub fn installer_job_objects(
    mysql: &MysqlData,
    jenkins_home: &Path,
    workspaces: &[&str],
) -> Vec<Value> {
    let mut objects = Vec::new();
    let mut written = Vec::new();
    for p in &mysql.projects {
        let Some(ws) = p.workspace.as_deref().filter(|w| workspaces.contains(w)) else {
            continue;
        };
        let ns = p.project_id.to_lowercase();
        if !dns1123(&ns) {
            continue;
        }
        written.push(p.project_id.clone());
        objects.push(json!({
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "DevOpsProject",
            "metadata": {
                "name": ns,
                "generateName": p.name,
                "annotations": {
                    "kubesphere.io/creator": p.creator,
                    "kubesphere.io/workspace": ws,
                    "kubesphere.io/description": p.description,
                },
                "labels": {"kubesphere.io/workspace": ws},
                "finalizers": ["devopsproject.finalizers.kubesphere.io"],
            },
        }));
        let Some(folder) = child_dir(&jenkins_home.join("jobs"), &p.project_id) else {
            continue;
        };
        let mut jobs: Vec<PathBuf> = std::fs::read_dir(folder.join("jobs"))
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        jobs.sort();
        for job in jobs {
            let name = job
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Ok(xml) = std::fs::read(job.join("config.xml")) else {
                continue;
            };
            let Ok(parsed) = parse_job(&name, &xml) else {
                continue;
            };
            if parsed.v30_unreadable() || !dns1123(&name.to_lowercase()) {
                continue;
            }
            let Some(spec) = parsed.spec else { continue };
            objects.push(json!({
                "apiVersion": "devops.kubesphere.io/v1alpha3",
                "kind": "Pipeline",
                "metadata": {
                    "name": name.to_lowercase(),
                    "namespace": ns,
                    "annotations": {"kubesphere.io/creator": p.creator},
                    "finalizers": ["pipeline.finalizers.kubesphere.io"],
                },
                "spec": serde_json::to_value(installer_spec(spec)).unwrap_or(Value::Null),
                "status": {},
            }));
        }
        let Ok(folder_xml) = std::fs::read(folder.join("config.xml")) else {
            continue;
        };
        let Ok(config) = parse_folder_credentials(&folder_xml) else {
            continue;
        };
        for c in config
            .credentials
            .iter()
            .filter(|c| c.domain == GLOBAL_DOMAIN)
        {
            let Some((type_, keys)) = secret_keys(&c.kind) else {
                continue;
            };
            let name = c.id.to_lowercase();
            if !dns1123(&name) {
                continue;
            }
            let creator = mysql
                .credentials
                .iter()
                .find(|r| r.project_id == p.project_id && r.credential_id == c.id)
                .map(|r| r.creator.clone())
                .unwrap_or_default();
            let data: serde_json::Map<String, Value> =
                keys.iter().map(|k| (k.to_string(), json!(""))).collect();
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "labels": {"app": name},
                    "annotations": {
                        "kubesphere.io/creator": creator,
                        "kubesphere.io/description": c.description,
                    },
                    "finalizers": ["finalizers.kubesphere.io/credential"],
                },
                "type": format!("credential.devops.kubesphere.io/{type_}"),
                "data": data,
            }));
        }
    }
    for m in &mysql.memberships {
        if !written.contains(&m.project_id) {
            continue;
        }
        let role = match m.role.as_str() {
            "owner" => "admin",
            "maintainer" | "developer" => "operator",
            "reporter" => "viewer",
            _ => continue,
        };
        let name = format!("{}-{role}", m.username);
        objects.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": name,
                "namespace": m.project_id.to_lowercase(),
                "labels": {"iam.kubesphere.io/user-ref": m.username},
            },
            "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": m.username}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        }));
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_lines_and_key_like_text_are_mangled_as_the_job_did() {
        assert_eq!(
            mangled("a\nif (x == null) {}\nscriptpath here").as_deref(),
            Some("a\nscript_path here")
        );
        assert_eq!(mangled("null"), None);
    }
}
