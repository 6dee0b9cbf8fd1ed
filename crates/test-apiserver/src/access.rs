//! Authorisation of the test double: everything is allowed unless a denial rule matches.
//! Denials apply to real requests (403 Forbidden) and to SelfSubjectAccessReviews (`allowed: false`).

/// A denial: `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessDenial {
    /// Verb, e.g. `create`, `patch`, `get`, `list`, `update`, `delete`.
    pub verb: Option<String>,
    /// API group (`""` for core).
    pub group: Option<String>,
    /// Resource plural, e.g. `secrets`.
    pub resource: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
}

impl AccessDenial {
    /// Denies `verb` on `resource` in any group and namespace.
    pub fn verb_on(verb: &str, resource: &str) -> Self {
        Self {
            verb: Some(verb.to_string()),
            resource: Some(resource.to_string()),
            ..Self::default()
        }
    }

    /// Restricts the denial to `namespace`.
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_string());
        self
    }

    /// Restricts the denial to API `group`.
    pub fn in_group(mut self, group: &str) -> Self {
        self.group = Some(group.to_string());
        self
    }

    /// Whether this denial covers the request attributes.
    pub fn matches(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> bool {
        let field = |rule: &Option<String>, actual: &str| {
            rule.as_deref().is_none_or(|r| r == "*" || r == actual)
        };
        field(&self.verb, verb)
            && field(&self.group, group)
            && field(&self.resource, resource)
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| Some(n) == namespace)
    }
}

/// Whether any of `denials` covers the request.
pub fn is_denied(
    denials: &[AccessDenial],
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> bool {
    denials
        .iter()
        .any(|d| d.matches(verb, group, resource, namespace))
}
