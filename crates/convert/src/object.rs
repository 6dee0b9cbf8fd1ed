//! The v3.0 objects a conversion emits.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::rbac::v1::RoleBinding;
use ksdm_model::v30::{DevOpsProject, Pipeline};
use ksdm_model::ObjectKind;

/// One object of the v3.0 YAML tree. `Debug` never shows a Secret's values (see
/// [`RedactedSecret`]).
#[derive(Clone, PartialEq)]
// Each object is built once and moved to the sink; boxing the larger variants would only add an
// allocation per object.
#[allow(clippy::large_enum_variant)]
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

impl std::fmt::Debug for V30Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            V30Object::DevOpsProject(o) => f.debug_tuple("DevOpsProject").field(o).finish(),
            V30Object::Pipeline(o) => f.debug_tuple("Pipeline").field(o).finish(),
            V30Object::Secret(o) => f.debug_tuple("Secret").field(&RedactedSecret(o)).finish(),
            V30Object::RoleBinding(o) => f.debug_tuple("RoleBinding").field(o).finish(),
        }
    }
}

/// `Debug` of a Secret that shows its metadata, type and data keys, never the values.
pub struct RedactedSecret<'a>(pub &'a Secret);

impl std::fmt::Debug for RedactedSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data_keys: Vec<&String> = self.0.data.iter().flat_map(|d| d.keys()).collect();
        let string_data_keys: Vec<&String> =
            self.0.string_data.iter().flat_map(|d| d.keys()).collect();
        f.debug_struct("Secret")
            .field("metadata", &self.0.metadata)
            .field("type_", &self.0.type_)
            .field("data_keys", &data_keys)
            .field("string_data_keys", &string_data_keys)
            .field("values", &"<redacted>")
            .finish()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    #[test]
    fn debug_never_shows_secret_values() {
        let mut s = Secret::default();
        s.metadata.name = Some("git".into());
        s.data = Some(
            [(
                "password".to_string(),
                ByteString(b"hunter2-value".to_vec()),
            )]
            .into(),
        );
        s.string_data = Some([("token".to_string(), "tok-value".to_string())].into());
        let converted = crate::credential::ConvertedCredential {
            outcome: ksdm_model::Outcome::Successful,
            object: Some(s.clone()),
            findings: Vec::new(),
        };
        let text = format!(
            "{:?} {:#?} {converted:?}",
            V30Object::Secret(s.clone()),
            V30Object::Secret(s)
        );
        assert!(
            text.contains("password") && text.contains("token") && text.contains("git"),
            "{text}"
        );
        assert!(
            !text.contains("hunter2") && !text.contains("tok-value"),
            "{text}"
        );
        // The bytes as Debug would print them raw, too.
        assert!(!text.contains("104, 117, 110"), "{text}");
    }
}
