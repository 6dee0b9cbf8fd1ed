//! The plan: the export tree read into per-project, ordered lists of desired objects, plus the
//! shard selection used by the in-cluster Job.
//!
//! Tree layout (written by `export`):
//! ```text
//! DIR/resources/devopsprojects.devops.kubesphere.io/cluster/<name>.yaml
//! DIR/resources/pipelines.devops.kubesphere.io/namespaces/<ns>/<name>.yaml
//! DIR/resources/secrets/namespaces/<ns>/<name>.yaml
//! DIR/resources/rolebindings.rbac.authorization.k8s.io/namespaces/<ns>/<name>.yaml
//! ```
//! `<ns>` is the DevOpsProject's `metadata.name` (the controller's admin namespace).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::PlanError;
use crate::object::{DesiredObject, ObjectKind};

/// A file of the tree that could not be used (it becomes a failed object in reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanProblem {
    /// The file.
    pub path: PathBuf,
    /// The project (namespace) it belongs to, when known.
    pub project: Option<String>,
    /// Why it was not used.
    pub reason: String,
}

/// Everything to apply for one DevOps project, in apply order.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectPlan {
    /// The project name (= DevOpsProject `metadata.name` = admin namespace).
    pub name: String,
    /// The DevOpsProject; None when the tree only holds objects for this namespace.
    pub project: Option<DesiredObject>,
    /// Credential Secrets, by name.
    pub secrets: Vec<DesiredObject>,
    /// Pipelines, by name.
    pub pipelines: Vec<DesiredObject>,
    /// RoleBindings, by name.
    pub role_bindings: Vec<DesiredObject>,
}

impl ProjectPlan {
    /// An empty plan for project `name`.
    pub fn new(name: &str) -> Self {
        ProjectPlan {
            name: name.to_string(),
            project: None,
            secrets: Vec::new(),
            pipelines: Vec::new(),
            role_bindings: Vec::new(),
        }
    }

    /// The workspace label of the DevOpsProject, if any.
    pub fn workspace(&self) -> Option<&str> {
        self.project
            .as_ref()?
            .label(ksdm_model::v30::WORKSPACE_LABEL)
    }

    /// The namespaced objects in apply order: Secrets, Pipelines, RoleBindings.
    pub fn children(&self) -> impl Iterator<Item = &DesiredObject> {
        self.secrets
            .iter()
            .chain(&self.pipelines)
            .chain(&self.role_bindings)
    }

    /// All objects in apply order, the DevOpsProject first.
    pub fn objects(&self) -> impl Iterator<Item = &DesiredObject> {
        self.project.iter().chain(self.children())
    }
}

/// The whole plan: projects sorted by name, plus the files that could not be used.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Projects, sorted by name.
    pub projects: Vec<ProjectPlan>,
    /// Unusable files.
    pub problems: Vec<PlanProblem>,
}

impl Plan {
    /// Reads `DIR/resources` of an export tree. Unknown folders are ignored (logged); a file that
    /// cannot be parsed or does not match its folder becomes a [`PlanProblem`].
    pub fn from_tree(dir: &Path) -> Result<Plan, PlanError> {
        let resources = ksdm_model::OutputLayout::new(dir).resources();
        let mut projects: BTreeMap<String, ProjectPlan> = BTreeMap::new();
        let mut problems = Vec::new();
        for kind_dir in read_dir_sorted(&resources)? {
            let Some(dir_name) = kind_dir
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let Some(kind) = ObjectKind::from_tree_dir(&dir_name) else {
                tracing::debug!(folder = %kind_dir.display(), "ignoring a folder of the export tree that holds no kind this tool applies");
                continue;
            };
            if kind.namespaced() {
                let base = kind_dir.join("namespaces");
                if !base.is_dir() {
                    continue;
                }
                for ns_dir in read_dir_sorted(&base)? {
                    let Some(ns) = ns_dir
                        .file_name()
                        .and_then(|n| n.to_str())
                        .map(str::to_string)
                    else {
                        continue;
                    };
                    if !ns_dir.is_dir() {
                        continue;
                    }
                    for file in yaml_files(&ns_dir)? {
                        load_file(kind, Some(&ns), &file, &mut projects, &mut problems);
                    }
                }
            } else {
                let base = kind_dir.join("cluster");
                if !base.is_dir() {
                    continue;
                }
                for file in yaml_files(&base)? {
                    load_file(kind, None, &file, &mut projects, &mut problems);
                }
            }
        }
        let mut projects: Vec<ProjectPlan> = projects.into_values().collect();
        for p in &mut projects {
            for list in [&mut p.secrets, &mut p.pipelines, &mut p.role_bindings] {
                list.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        Ok(Plan { projects, problems })
    }

    /// Number of objects in the plan.
    pub fn object_count(&self) -> usize {
        self.projects.iter().map(|p| p.objects().count()).sum()
    }

    /// The project plan named `name`.
    pub fn project(&self, name: &str) -> Option<&ProjectPlan> {
        self.projects.iter().find(|p| p.name == name)
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, PlanError> {
    let rd = fs::read_dir(dir).map_err(|source| PlanError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| PlanError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, PlanError> {
    Ok(read_dir_sorted(dir)?
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect())
}

fn load_file(
    kind: ObjectKind,
    namespace: Option<&str>,
    path: &Path,
    projects: &mut BTreeMap<String, ProjectPlan>,
    problems: &mut Vec<PlanProblem>,
) {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let project_name = namespace
        .map(str::to_string)
        .unwrap_or_else(|| name.clone());
    let problem = |reason: String| PlanProblem {
        path: path.to_path_buf(),
        project: Some(project_name.clone()),
        reason,
    };
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return problems.push(problem(format!("cannot read the file: {e}"))),
    };
    let doc: Value = match serde_saphyr::from_str(&text) {
        Ok(v) => v,
        Err(e) => return problems.push(problem(format!("not a YAML object: {e}"))),
    };
    let object = match DesiredObject::from_document(kind, namespace, &name, doc, path.to_path_buf())
    {
        Ok(o) => o,
        Err(reason) => return problems.push(problem(reason)),
    };
    let plan = projects
        .entry(project_name.clone())
        .or_insert_with(|| ProjectPlan::new(&project_name));
    match kind {
        ObjectKind::DevOpsProject => plan.project = Some(object),
        ObjectKind::Secret => plan.secrets.push(object),
        ObjectKind::Pipeline => plan.pipelines.push(object),
        ObjectKind::RoleBinding => plan.role_bindings.push(object),
    }
}

/// The shard (0..shards) of a project: 32-bit FNV-1a of the UTF-8 name, modulo `shards`.
/// Stable across runs, machines and versions; `shards` 0 or 1 puts everything in shard 0.
pub fn shard_of(project_name: &str, shards: u32) -> u32 {
    if shards <= 1 {
        return 0;
    }
    let mut hash: u32 = 0x811c_9dc5;
    for b in project_name.as_bytes() {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % shards
}

/// The plan restricted to the projects of shard `index` of `shards` (problems of other shards dropped).
pub fn filter_shard(plan: &Plan, index: u32, shards: u32) -> Plan {
    let mine = |name: &str| shard_of(name, shards) == index;
    Plan {
        projects: plan
            .projects
            .iter()
            .filter(|p| mine(&p.name))
            .cloned()
            .collect(),
        problems: plan
            .problems
            .iter()
            .filter(|p| p.project.as_deref().is_none_or(mine))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        // FNV-1a 32-bit test vectors: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
        assert_eq!(shard_of("a", 1000), 0xe40c_292c % 1000);
        assert_eq!(shard_of("foobar", 1000), 0xbf9c_f968 % 1000);
        assert_eq!(shard_of("anything", 1), 0);
        assert_eq!(shard_of("anything", 0), 0);
    }

    #[test]
    fn shards_partition_the_projects() {
        let plan = Plan {
            projects: (0..50)
                .map(|i| ProjectPlan::new(&format!("project-{i}")))
                .collect(),
            problems: Vec::new(),
        };
        let mut seen = Vec::new();
        for i in 0..4 {
            let part = filter_shard(&plan, i, 4);
            assert!(!part.projects.is_empty(), "shard {i} empty");
            seen.extend(part.projects.into_iter().map(|p| p.name));
        }
        seen.sort();
        let mut all: Vec<String> = plan.projects.iter().map(|p| p.name.clone()).collect();
        all.sort();
        assert_eq!(seen, all);
    }
}
