//! The v3.0 objects a conversion emits.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::rbac::v1::RoleBinding;
use ksdm_model::v30::{DevOpsProject, Pipeline};
use ksdm_model::ObjectKind;

/// One object of the v3.0 YAML tree.
#[derive(Debug, Clone, PartialEq)]
pub enum V30Object {
    /// A cluster-scoped DevOpsProject.
    DevOpsProject(DevOpsProject),
    /// A Pipeline in the project's admin namespace.
    Pipeline(Pipeline),
    /// A credential Secret (may hold decrypted values: handle with care).
    Secret(Secret),
    /// A RoleBinding from a membership.
    RoleBinding(RoleBinding),
}

impl V30Object {
    /// The object's kind.
    pub fn kind(&self) -> ObjectKind {
        match self {
            V30Object::DevOpsProject(_) => ObjectKind::DevOpsProject,
            V30Object::Pipeline(_) => ObjectKind::Pipeline,
            V30Object::Secret(_) => ObjectKind::Secret,
            V30Object::RoleBinding(_) => ObjectKind::RoleBinding,
        }
    }

    /// The resource folder name in the YAML tree (`<plural>.<group>`, or `<plural>` for core).
    pub fn resource(&self) -> &'static str {
        self.kind().tree_dir()
    }

    /// Namespace (`None` for cluster-scoped objects).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            V30Object::DevOpsProject(_) => None,
            V30Object::Pipeline(o) => o.metadata.namespace.as_deref(),
            V30Object::Secret(o) => o.metadata.namespace.as_deref(),
            V30Object::RoleBinding(o) => o.metadata.namespace.as_deref(),
        }
    }

    /// Name.
    pub fn name(&self) -> &str {
        let n = match self {
            V30Object::DevOpsProject(o) => &o.metadata.name,
            V30Object::Pipeline(o) => &o.metadata.name,
            V30Object::Secret(o) => &o.metadata.name,
            V30Object::RoleBinding(o) => &o.metadata.name,
        };
        n.as_deref().unwrap_or("")
    }

    /// Whether the object may hold secret values.
    pub fn is_secret(&self) -> bool {
        matches!(self, V30Object::Secret(_))
    }
}
