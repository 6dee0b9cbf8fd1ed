//! Rights granted by RoleBindings, compared with the roles users already hold in the namespace.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::report::RightsChange;

/// Rank of the KubeSphere DevOps roles (`viewer` < `operator` < `admin`); other roles rank 0.
pub fn role_rank(role: &str) -> u8 {
    match role {
        "admin" => 3,
        "operator" => 2,
        "viewer" => 1,
        _ => 0,
    }
}

/// The users (`kind: User` subjects) a RoleBinding names, and its role.
pub fn binding_grants(binding: &Value) -> (Vec<String>, String) {
    let role = binding
        .pointer("/roleRef/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let users = binding
        .get("subjects")
        .and_then(Value::as_array)
        .map(|subjects| {
            subjects
                .iter()
                .filter(|s| s.get("kind").and_then(Value::as_str) == Some("User"))
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (users, role)
}

/// User → roles held, from the RoleBindings of one namespace.
pub fn roles_by_user(bindings: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in bindings {
        let (users, role) = binding_grants(b);
        for u in users {
            let roles = map.entry(u).or_default();
            if !roles.contains(&role) {
                roles.push(role.clone());
            }
        }
    }
    map
}

/// The rights changes of granting `binding` in `namespace`, given the roles users hold there.
pub fn rights_changes(
    namespace: &str,
    binding: &Value,
    held: &BTreeMap<String, Vec<String>>,
    dry_run: bool,
) -> Vec<RightsChange> {
    let (users, role) = binding_grants(binding);
    let verb = if dry_run { "would get" } else { "gets" };
    users
        .into_iter()
        .map(|user| {
            let previous = held.get(&user).cloned().unwrap_or_default();
            let best = previous.iter().map(|r| role_rank(r)).max();
            let widening = best.is_none_or(|b| role_rank(&role) > b);
            let message = match (previous.is_empty(), widening) {
                (true, _) => format!("user {user} {verb} role {role} in {namespace} (no role there before)"),
                (false, true) => format!(
                    "user {user} {verb} role {role} in {namespace} besides {}: rights widen (KubeSphere expects one role per user and namespace)",
                    previous.join(", ")
                ),
                (false, false) => format!("user {user} {verb} role {role} in {namespace}; already holds {}", previous.join(", ")),
            };
            RightsChange { namespace: namespace.to_string(), user, role: role.clone(), previous_roles: previous, widening, message }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rb(user: &str, role: &str) -> Value {
        json!({"subjects": [{"kind": "User", "name": user}], "roleRef": {"kind": "Role", "name": role}})
    }

    #[test]
    fn widening_is_detected() {
        let held = roles_by_user(&[rb("alice", "viewer"), rb("bob", "admin")]);
        let a = rights_changes("p1", &rb("alice", "operator"), &held, false);
        assert!(
            a[0].widening && a[0].previous_roles == vec!["viewer".to_string()],
            "{a:?}"
        );
        let b = rights_changes("p1", &rb("bob", "operator"), &held, false);
        assert!(!b[0].widening);
        let c = rights_changes("p1", &rb("carol", "viewer"), &held, true);
        assert!(c[0].widening && c[0].message.contains("would get"));
    }
}
