//! v2.1 `project_membership` row → v3.0 `RoleBinding` (`docs/v30-objects.md` §5).

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use ksdm_model::v21::Membership;
use ksdm_model::v30::USER_REF_LABEL;
use ksdm_model::{Finding, Outcome};

use crate::naming::subdomain_problem;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Result of converting one membership.
#[derive(Debug)]
pub struct ConvertedMembership {
    /// Outcome.
    pub outcome: Outcome,
    /// The binding, when one is emitted.
    pub object: Option<RoleBinding>,
    /// Findings.
    pub findings: Vec<Finding>,
}

/// Maps a v2.1 role to the v3.0 Role; `developer_role` is the configured target for developers.
pub fn map_role<'a>(role: &str, developer_role: &'a str) -> Option<&'a str> {
    match role {
        "owner" => Some("admin"),
        "maintainer" => Some("operator"),
        "developer" => Some(developer_role),
        "reporter" => Some("viewer"),
        _ => None,
    }
}

/// Builds the RoleBinding `<username>-<role>` in `namespace`.
pub fn convert_membership(
    m: &Membership,
    namespace: &str,
    developer_role: &str,
) -> ConvertedMembership {
    let mut findings = Vec::new();
    let Some(role) = map_role(&m.role, developer_role) else {
        findings.push(Finding::manual(
            "membership.unknown-role",
            format!(
                "user {:?} has role {:?}, which is not a v2.1 role (owner, maintainer, developer, reporter); \
                 no RoleBinding written — grant a role in the KubeSphere console if needed",
                m.username, m.role
            ),
        ));
        return ConvertedMembership {
            outcome: Outcome::Unsupported,
            object: None,
            findings,
        };
    };
    let name = format!("{}-{role}", m.username);
    if let Some(problem) = subdomain_problem(&name) {
        findings.push(Finding::manual(
            "membership.invalid-name",
            format!(
                "RoleBinding name {name:?} for user {:?} is not a valid name: it {problem}",
                m.username
            ),
        ));
        return ConvertedMembership {
            outcome: Outcome::Unsupported,
            object: None,
            findings,
        };
    }
    if m.role == "developer" && role == "operator" {
        findings.push(Finding::warning(
            "membership.rights-widened",
            format!(
                "user {:?} was a v2.1 developer (build, cancel, read only) and becomes v3.0 operator, which can \
                 also create, edit and delete pipelines and credentials; use --developer-role viewer to narrow",
                m.username
            ),
        ));
    } else if m.role == "developer" && role != "operator" {
        findings.push(Finding::warning(
            "membership.rights-changed",
            format!(
                "user {:?} was a v2.1 developer and becomes v3.0 {role} (--developer-role)",
                m.username
            ),
        ));
    } else if m.role == "maintainer" {
        findings.push(Finding::info(
            "membership.rights-slightly-widened",
            format!(
                "user {:?}: maintainer → operator can also edit and delete pipelines",
                m.username
            ),
        ));
    }
    let mut labels = BTreeMap::new();
    labels.insert(USER_REF_LABEL.to_string(), m.username.clone());
    let rb = RoleBinding {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.to_string()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "Role".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            api_group: Some(RBAC_GROUP.into()),
            kind: "User".into(),
            name: m.username.clone(),
            namespace: None,
        }]),
    };
    let outcome = crate::migrated_outcome(&findings);
    ConvertedMembership {
        outcome,
        object: Some(rb),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(user: &str, role: &str) -> Membership {
        Membership {
            username: user.into(),
            project_id: "p".into(),
            role: role.into(),
            status: "active".into(),
            grant_by: "admin".into(),
        }
    }

    #[test]
    fn roles() {
        let c = convert_membership(&m("alice", "owner"), "ns", "operator");
        assert_eq!(c.outcome, Outcome::Successful);
        let rb = c.object.unwrap();
        assert_eq!(rb.metadata.name.as_deref(), Some("alice-admin"));
        assert_eq!(rb.role_ref.name, "admin");
        let c = convert_membership(&m("bob", "developer"), "ns", "operator");
        assert_eq!(c.outcome, Outcome::PartiallySuccessful);
        assert_eq!(c.findings[0].code, "membership.rights-widened");
        let c = convert_membership(&m("bob", "developer"), "ns", "viewer");
        assert_eq!(c.object.unwrap().role_ref.name, "viewer");
        let c = convert_membership(&m("eve", "guest"), "ns", "operator");
        assert_eq!(c.outcome, Outcome::Unsupported);
        let c = convert_membership(&m("Bad_User", "owner"), "ns", "operator");
        assert_eq!(c.outcome, Outcome::Unsupported);
    }
}
