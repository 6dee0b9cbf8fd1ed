//! The resource types the test double serves: fixed built-ins plus the installed CRDs.

use serde_json::Value;

/// One served resource type (`group/version`, plural, Kind, scope).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceKind {
    /// API group, empty for core.
    pub group: String,
    /// Served version, e.g. `v1` or `v1alpha3`.
    pub version: String,
    /// Plural resource name used in URLs, e.g. `secrets`.
    pub plural: String,
    /// Singular name, e.g. `secret`.
    pub singular: String,
    /// Kind, e.g. `Secret`.
    pub kind: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Name validation rule for `metadata.name`.
    pub name_rule: NameRule,
    /// `openAPIV3Schema` of a CRD (None for built-ins).
    pub schema: Option<Value>,
    /// Verbs advertised in discovery.
    pub verbs: Vec<&'static str>,
    /// Short names advertised in discovery.
    pub short_names: Vec<&'static str>,
    /// Categories advertised in discovery.
    pub categories: Vec<String>,
}

/// How `metadata.name` is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 label (namespaces): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    Dns1123Label,
    /// DNS-1123 subdomain (most resources): dot-separated labels, at most 253 characters.
    Dns1123Subdomain,
    /// Path-segment name (RBAC objects): anything but `.`, `..` or names containing `/` or `%`.
    PathSegment,
}

/// The object verbs every stored resource supports.
const OBJECT_VERBS: [&str; 7] = [
    "create", "delete", "get", "list", "patch", "update", "watch",
];

impl ResourceKind {
    fn builtin(
        group: &str,
        plural: &str,
        singular: &str,
        kind: &str,
        namespaced: bool,
        rule: NameRule,
        short: Vec<&'static str>,
    ) -> Self {
        Self {
            group: group.into(),
            version: "v1".into(),
            plural: plural.into(),
            singular: singular.into(),
            kind: kind.into(),
            namespaced,
            name_rule: rule,
            schema: None,
            verbs: OBJECT_VERBS.to_vec(),
            short_names: short,
            categories: Vec::new(),
        }
    }

    /// `apiVersion` string: `v1` for core, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this type is one of the served custom resources.
    pub fn is_custom(&self) -> bool {
        self.schema.is_some() || self.group == crate::crd::DEVOPS_GROUP
    }
}

/// The built-in resource types: core namespaces, secrets, configmaps, serviceaccounts and RBAC roles/rolebindings.
pub fn builtin_kinds() -> Vec<ResourceKind> {
    vec![
        ResourceKind::builtin(
            "",
            "namespaces",
            "namespace",
            "Namespace",
            false,
            NameRule::Dns1123Label,
            vec!["ns"],
        ),
        ResourceKind::builtin(
            "",
            "secrets",
            "secret",
            "Secret",
            true,
            NameRule::Dns1123Subdomain,
            vec![],
        ),
        ResourceKind::builtin(
            "",
            "configmaps",
            "configmap",
            "ConfigMap",
            true,
            NameRule::Dns1123Subdomain,
            vec!["cm"],
        ),
        ResourceKind::builtin(
            "",
            "serviceaccounts",
            "serviceaccount",
            "ServiceAccount",
            true,
            NameRule::Dns1123Subdomain,
            vec!["sa"],
        ),
        ResourceKind::builtin(
            "rbac.authorization.k8s.io",
            "rolebindings",
            "rolebinding",
            "RoleBinding",
            true,
            NameRule::PathSegment,
            vec![],
        ),
        ResourceKind::builtin(
            "rbac.authorization.k8s.io",
            "roles",
            "role",
            "Role",
            true,
            NameRule::PathSegment,
            vec![],
        ),
    ]
}
