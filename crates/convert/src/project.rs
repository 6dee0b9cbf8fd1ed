//! v2.1 `project` row → v3.0 `DevOpsProject` (`docs/v30-objects.md` §2, §6).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use ksdm_model::v21::Project;
use ksdm_model::v30::{
    DevOpsProject, ALIAS_NAME_ANNOTATION, CREATOR_ANNOTATION, DESCRIPTION_ANNOTATION,
    DEVOPS_API_VERSION, WORKSPACE_LABEL,
};
use ksdm_model::Finding;

use crate::naming::{label_problem, sanitize_display_name};

/// The DevOpsProject (and admin namespace, and Jenkins folder) name of a v2.1 project id.
pub fn project_name(project_id: &str) -> String {
    project_id.to_ascii_lowercase()
}

/// Result of converting one project row.
#[derive(Debug)]
pub struct ConvertedProject {
    /// The object, or `None` when the project cannot be migrated.
    pub object: Option<DevOpsProject>,
    /// Findings (errors when `object` is `None`).
    pub findings: Vec<Finding>,
}

/// Builds the DevOpsProject of an active project row.
pub fn convert_project(p: &Project, default_workspace: Option<&str>) -> ConvertedProject {
    let mut findings = Vec::new();
    let name = project_name(&p.project_id);
    if let Some(problem) = label_problem(&name) {
        findings.push(Finding::error(
            "project.invalid-name",
            format!(
                "project id {:?} lower-cased to {name:?} is not a valid namespace name: it {problem}",
                p.project_id
            ),
        ));
        return ConvertedProject {
            object: None,
            findings,
        };
    }
    if name != p.project_id {
        findings.push(Finding::info(
            "project.name-lowercased",
            format!(
                "project id {:?} becomes {name:?}; Jenkins finds the existing folder case-insensitively",
                p.project_id
            ),
        ));
    }
    let workspace = match p.workspace.as_deref().filter(|w| !w.is_empty()) {
        Some(w) => w.to_string(),
        None => match default_workspace {
            Some(w) => {
                findings.push(Finding::warning(
                    "project.default-workspace",
                    format!("project has no workspace in MySQL; assigned to {w:?} (--default-workspace)"),
                ));
                w.to_string()
            }
            None => {
                findings.push(Finding::error(
                    "project.no-workspace",
                    "project has no workspace in MySQL (column missing or empty); v3.0 requires the \
                     kubesphere.io/workspace label. Rerun with --default-workspace WS",
                ));
                return ConvertedProject {
                    object: None,
                    findings,
                };
            }
        },
    };

    let mut labels = BTreeMap::new();
    labels.insert(WORKSPACE_LABEL.to_string(), workspace);
    let mut annotations = BTreeMap::new();
    annotations.insert(CREATOR_ANNOTATION.to_string(), p.creator.clone());
    if !p.description.is_empty() {
        annotations.insert(DESCRIPTION_ANNOTATION.to_string(), p.description.clone());
    }
    let generate_name = match sanitize_display_name(&p.name) {
        Some(g) => {
            if g != p.name {
                findings.push(Finding::info(
                    "project.display-name-sanitized",
                    format!(
                        "display name {:?} is not a valid name prefix; generateName is {g:?} and the \
                         original is kept in {ALIAS_NAME_ANNOTATION}",
                        p.name
                    ),
                ));
                annotations.insert(ALIAS_NAME_ANNOTATION.to_string(), p.name.clone());
            }
            g
        }
        None => {
            findings.push(Finding::warning(
                "project.display-name-unusable",
                format!(
                    "display name {:?} has no characters usable in a name; generateName is {name:?} \
                     and the original is kept in {ALIAS_NAME_ANNOTATION}",
                    p.name
                ),
            ));
            annotations.insert(ALIAS_NAME_ANNOTATION.to_string(), p.name.clone());
            name.clone()
        }
    };

    let object = DevOpsProject {
        api_version: DEVOPS_API_VERSION.to_string(),
        kind: "DevOpsProject".to_string(),
        metadata: ObjectMeta {
            name: Some(name),
            generate_name: Some(generate_name),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: BTreeMap::new(),
    };
    ConvertedProject {
        object: Some(object),
        findings,
    }
}

/// The `kubesphere.io/creator` of a project under `policy`, given its active owners (v2.1
/// memberships with role `owner`) — `None` when the project has no membership rows at all (then
/// nothing can be checked and the v2.1 creator stays) — with a finding whenever the choice needs
/// saying.
pub fn choose_creator(
    p: &Project,
    owners: Option<&[&str]>,
    policy: crate::options::CreatorPolicy,
) -> (Option<String>, Option<Finding>) {
    use crate::options::CreatorPolicy;
    let creator = p.creator.as_str();
    let Some(owners) = owners else {
        return (Some(creator.to_string()), None);
    };
    let is_owner = owners.contains(&creator);
    match policy {
        _ if is_owner => (Some(creator.to_string()), None),
        CreatorPolicy::Keep => (
            Some(creator.to_string()),
            Some(Finding::warning(
                "project.creator-widening",
                format!(
                    "v2.1 creator {creator:?} is no longer an owner of the project, but stays its kubesphere.io/creator \
                     (--creator keep): the v3.0 namespace controller makes {creator:?} admin of the project again \
                     (RoleBinding {creator}-admin), a widening of rights"
                ),
            )),
        ),
        CreatorPolicy::Owner => {
            let mut sorted = owners.to_vec();
            sorted.sort_unstable();
            match sorted.first() {
                Some(owner) => (
                    Some(owner.to_string()),
                    Some(Finding::info(
                        "project.creator-owner",
                        format!(
                            "v2.1 creator {creator:?} is no longer an owner of the project; {owner:?}, an owner, becomes its \
                             kubesphere.io/creator (the v3.0 namespace controller makes the creator admin), so nobody \
                             regains rights they lost (--creator keep keeps {creator:?})"
                        ),
                    )),
                ),
                None => (
                    None,
                    Some(Finding::warning(
                        "project.creator-none",
                        format!(
                            "the project has no owner in v2.1 and creator {creator:?} is not one: no kubesphere.io/creator is \
                             set, so the v3.0 namespace controller makes nobody admin; grant an admin in the console \
                             (--creator keep keeps {creator:?})"
                        ),
                    )),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, ws: Option<&str>) -> Project {
        Project {
            project_id: id.into(),
            name: name.into(),
            description: "d".into(),
            creator: "alice".into(),
            create_time: "2020-01-01 00:00:00".into(),
            status: "active".into(),
            visibility: "private".into(),
            extra: String::new(),
            workspace: ws.map(str::to_string),
        }
    }

    #[test]
    fn converts_and_sanitizes() {
        let c = convert_project(
            &row("project-W4zNlwJLzgRB", "Team Alpha_CI", Some("ws")),
            None,
        );
        let o = c.object.unwrap();
        assert_eq!(o.metadata.name.as_deref(), Some("project-w4znlwjlzgrb"));
        assert_eq!(o.metadata.generate_name.as_deref(), Some("team-alpha-ci"));
        let ann = o.metadata.annotations.unwrap();
        assert_eq!(ann[ALIAS_NAME_ANNOTATION], "Team Alpha_CI");
        assert_eq!(ann[CREATOR_ANNOTATION], "alice");
        assert_eq!(o.metadata.labels.unwrap()[WORKSPACE_LABEL], "ws");
    }

    #[test]
    fn workspace_required() {
        let c = convert_project(&row("project-a", "a", None), None);
        assert!(c.object.is_none());
        assert_eq!(c.findings[0].code, "project.no-workspace");
        let c = convert_project(&row("project-a", "a", Some("")), Some("fallback"));
        assert_eq!(
            c.object.unwrap().metadata.labels.unwrap()[WORKSPACE_LABEL],
            "fallback"
        );
    }
}
