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

/// One RBAC `PolicyRule` of a ClusterRole or Role: a request matches when its verb, API group and
/// resource are listed (`*` matches anything) and, when `resource_names` is not empty, its object
/// name is one of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacRule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups` (`""` = core).
    pub api_groups: Vec<String>,
    /// `resources`.
    pub resources: Vec<String>,
    /// `resourceNames` (empty = any name; a rule with names never matches a request without one,
    /// e.g. list or create, as in Kubernetes).
    pub resource_names: Vec<String>,
}

impl RbacRule {
    /// Whether this rule allows `verb` on `resource` of `group` (object `name`, if any).
    pub fn allows(&self, verb: &str, group: &str, resource: &str, name: Option<&str>) -> bool {
        let has = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        has(&self.verbs, verb)
            && has(&self.api_groups, group)
            && has(&self.resources, resource)
            && (self.resource_names.is_empty()
                || name.is_some_and(|n| self.resource_names.iter().any(|x| x == n)))
    }

    /// The rule split into single permissions: one verb × one group × one resource × at most one
    /// name each.
    pub fn atoms(&self) -> Vec<RbacRule> {
        let names: Vec<Vec<String>> = if self.resource_names.is_empty() {
            vec![Vec::new()]
        } else {
            self.resource_names
                .iter()
                .map(|n| vec![n.clone()])
                .collect()
        };
        let mut out = Vec::new();
        for g in &self.api_groups {
            for r in &self.resources {
                for v in &self.verbs {
                    for n in &names {
                        out.push(RbacRule {
                            verbs: vec![v.clone()],
                            api_groups: vec![g.clone()],
                            resources: vec![r.clone()],
                            resource_names: n.clone(),
                        });
                    }
                }
            }
        }
        out
    }
}

impl std::fmt::Display for RbacRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups: Vec<&str> = self
            .api_groups
            .iter()
            .map(|g| if g.is_empty() { "core" } else { g.as_str() })
            .collect();
        write!(
            f,
            "{} {} ({})",
            self.verbs.join(","),
            self.resources.join(","),
            groups.join(",")
        )?;
        if !self.resource_names.is_empty() {
            write!(f, " named {}", self.resource_names.join(","))?;
        }
        Ok(())
    }
}

/// Where an [`RbacRule`] applies: everywhere (a ClusterRole) or in one namespace (a Role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RbacScope {
    /// A ClusterRole's rule: every namespace and cluster-scoped resources.
    Cluster,
    /// A Role's rule: only requests in this namespace.
    Namespace(String),
}

impl RbacScope {
    /// Whether a request in `namespace` (None = cluster scope) is in this scope.
    pub fn covers(&self, namespace: Option<&str>) -> bool {
        match self {
            RbacScope::Cluster => true,
            RbacScope::Namespace(ns) => namespace == Some(ns.as_str()),
        }
    }
}

impl std::fmt::Display for RbacScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RbacScope::Cluster => f.write_str("ClusterRole"),
            RbacScope::Namespace(ns) => write!(f, "Role in {ns}"),
        }
    }
}

/// Errors reading an [`RbacPolicy`] from manifests.
#[derive(Debug, thiserror::Error)]
pub enum RbacError {
    /// The text is not a stream of YAML documents.
    #[error("the RBAC manifests are not YAML: {0}")]
    Yaml(String),
    /// A ClusterRole or Role has a malformed `rules` list.
    #[error("{kind} {name}: {reason}")]
    BadRule {
        /// `ClusterRole` or `Role`.
        kind: String,
        /// Its name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The manifests hold no ClusterRole and no Role.
    #[error("the manifests hold no ClusterRole and no Role")]
    NoRoles,
}

/// Role-based access control as if every ClusterRole and Role in a set of manifests were bound to
/// the served token's user (bindings themselves are not read): a request is allowed only when a
/// rule allows it. Creating or updating a RoleBinding also needs `bind` on the Role or ClusterRole
/// it refers to (Kubernetes' escalation check, simplified: holding all of that role's permissions
/// instead of `bind` is not considered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacPolicy {
    /// Every rule with where it applies.
    pub rules: Vec<(RbacScope, RbacRule)>,
}

fn strings(v: Option<&serde_json::Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{x} is not a string"))
            })
            .collect(),
        Some(other) => Err(format!("{other} is not a list")),
    }
}

impl RbacPolicy {
    /// Reads every `ClusterRole` and `Role` of multi-document YAML (other kinds are ignored),
    /// e.g. what `ks-devops-migrate job` prints.
    pub fn from_manifests(yaml: &str) -> Result<Self, RbacError> {
        let docs: Vec<serde_json::Value> =
            serde_saphyr::from_multiple(yaml).map_err(|e| RbacError::Yaml(e.to_string()))?;
        let mut rules = Vec::new();
        let mut roles = 0;
        for doc in docs {
            let kind = doc
                .get("kind")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            let name = doc
                .pointer("/metadata/name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_string();
            let scope = match kind {
                "ClusterRole" => RbacScope::Cluster,
                "Role" => RbacScope::Namespace(
                    doc.pointer("/metadata/namespace")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("default")
                        .to_string(),
                ),
                _ => continue,
            };
            roles += 1;
            let bad = |reason: String| RbacError::BadRule {
                kind: kind.to_string(),
                name: name.clone(),
                reason,
            };
            for rule in doc
                .get("rules")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
            {
                let rule = RbacRule {
                    verbs: strings(rule.get("verbs")).map_err(&bad)?,
                    api_groups: strings(rule.get("apiGroups")).map_err(&bad)?,
                    resources: strings(rule.get("resources")).map_err(&bad)?,
                    resource_names: strings(rule.get("resourceNames")).map_err(&bad)?,
                };
                rules.push((scope.clone(), rule));
            }
        }
        if roles == 0 {
            return Err(RbacError::NoRoles);
        }
        Ok(Self { rules })
    }

    /// Whether a rule allows `verb` on `resource` of `group` (in `namespace`, on object `name`).
    pub fn allows(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> bool {
        self.rules.iter().any(|(scope, rule)| {
            scope.covers(namespace)
                && rule.allows(verb, group, resource, name.filter(|n| !n.is_empty()))
        })
    }

    /// Every single permission (see [`RbacRule::atoms`]) with its scope.
    pub fn atoms(&self) -> Vec<(RbacScope, RbacRule)> {
        self.rules
            .iter()
            .flat_map(|(s, r)| r.atoms().into_iter().map(move |a| (s.clone(), a)))
            .collect()
    }

    /// The policy with one single permission taken away (the rule holding it keeps the others).
    pub fn without(&self, scope: &RbacScope, atom: &RbacRule) -> Self {
        let rules = self
            .atoms()
            .into_iter()
            .filter(|(s, a)| !(s == scope && a == atom))
            .collect();
        Self { rules }
    }
}
