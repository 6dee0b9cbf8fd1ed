//! The four kinds of v3.0 object the tool writes: one owner for their kind and apiVersion, group
//! and plural, folder in the export tree, scope, and the fields the tool owns. Used by the
//! converter, the YAML sink and the apply engine alike.

use serde::{Deserialize, Serialize};

/// Group of the KubeSphere DevOps custom resources.
pub const DEVOPS_GROUP: &str = "devops.kubesphere.io";
/// Version of the KubeSphere DevOps custom resources.
pub const DEVOPS_VERSION: &str = "v1alpha3";

/// The four kinds in an export tree, in apply order within a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// `devops.kubesphere.io/v1alpha3 DevOpsProject` (cluster-scoped).
    DevOpsProject,
    /// Core `v1 Secret` (a credential).
    Secret,
    /// `devops.kubesphere.io/v1alpha3 Pipeline`.
    Pipeline,
    /// `rbac.authorization.k8s.io/v1 RoleBinding`.
    RoleBinding,
}

impl ObjectKind {
    /// All kinds in apply order.
    pub const ALL: [ObjectKind; 4] = [
        ObjectKind::DevOpsProject,
        ObjectKind::Secret,
        ObjectKind::Pipeline,
        ObjectKind::RoleBinding,
    ];

    /// The `kind` string.
    pub fn kind(self) -> &'static str {
        match self {
            ObjectKind::DevOpsProject => "DevOpsProject",
            ObjectKind::Secret => "Secret",
            ObjectKind::Pipeline => "Pipeline",
            ObjectKind::RoleBinding => "RoleBinding",
        }
    }

    /// The `apiVersion` string.
    pub fn api_version(self) -> &'static str {
        match self {
            ObjectKind::DevOpsProject | ObjectKind::Pipeline => "devops.kubesphere.io/v1alpha3",
            ObjectKind::Secret => "v1",
            ObjectKind::RoleBinding => "rbac.authorization.k8s.io/v1",
        }
    }

    /// API group (`""` for core).
    pub fn group(self) -> &'static str {
        match self {
            ObjectKind::DevOpsProject | ObjectKind::Pipeline => DEVOPS_GROUP,
            ObjectKind::Secret => "",
            ObjectKind::RoleBinding => "rbac.authorization.k8s.io",
        }
    }

    /// Resource plural.
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::DevOpsProject => "devopsprojects",
            ObjectKind::Secret => "secrets",
            ObjectKind::Pipeline => "pipelines",
            ObjectKind::RoleBinding => "rolebindings",
        }
    }

    /// The export-tree folder: `<plural>.<group>`, or `<plural>` for the core group.
    pub fn tree_dir(self) -> &'static str {
        match self {
            ObjectKind::DevOpsProject => "devopsprojects.devops.kubesphere.io",
            ObjectKind::Secret => "secrets",
            ObjectKind::Pipeline => "pipelines.devops.kubesphere.io",
            ObjectKind::RoleBinding => "rolebindings.rbac.authorization.k8s.io",
        }
    }

    /// Kind for an export-tree folder name.
    pub fn from_tree_dir(dir: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tree_dir() == dir)
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        !matches!(self, ObjectKind::DevOpsProject)
    }

    /// The top-level fields this tool owns (besides the labels/annotations it sets).
    pub fn owned_fields(self) -> &'static [&'static str] {
        match self {
            ObjectKind::DevOpsProject | ObjectKind::Pipeline => &["spec"],
            ObjectKind::Secret => &["type", "data"],
            ObjectKind::RoleBinding => &["subjects", "roleRef"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_consistent() {
        for k in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_tree_dir(k.tree_dir()), Some(k));
            let expected = if k.group().is_empty() {
                k.plural().to_string()
            } else {
                format!("{}.{}", k.plural(), k.group())
            };
            assert_eq!(k.tree_dir(), expected);
            assert!(k.api_version().starts_with(k.group()));
        }
    }
}
