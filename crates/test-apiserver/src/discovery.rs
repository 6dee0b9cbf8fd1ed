//! Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>[/<version>]`) and `/version`.

use serde_json::{json, Value};

use crate::registry::ResourceKind;

/// Group, versions (preferred first) and the extra non-object resources served in each.
struct GroupInfo {
    name: String,
    versions: Vec<String>,
}

/// Groups served besides the object kinds: apiextensions (v1, v1beta1) and authorization (v1).
fn extra_resources(group: &str, version: &str) -> Vec<Value> {
    match (group, version) {
        ("apiextensions.k8s.io", "v1" | "v1beta1") => vec![json!({
            "name": "customresourcedefinitions", "singularName": "customresourcedefinition", "namespaced": false,
            "kind": "CustomResourceDefinition", "verbs": ["get", "list"], "shortNames": ["crd", "crds"]
        })],
        ("authorization.k8s.io", "v1") => vec![json!({
            "name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview", "namespaced": false,
            "kind": "SelfSubjectAccessReview", "verbs": ["create"]
        })],
        _ => Vec::new(),
    }
}

fn groups(kinds: &[ResourceKind]) -> Vec<GroupInfo> {
    let mut out: Vec<GroupInfo> = Vec::new();
    for kind in kinds.iter().filter(|k| !k.group.is_empty()) {
        match out.iter_mut().find(|g| g.name == kind.group) {
            Some(g) if !g.versions.contains(&kind.version) => g.versions.push(kind.version.clone()),
            Some(_) => {}
            None => out.push(GroupInfo {
                name: kind.group.clone(),
                versions: vec![kind.version.clone()],
            }),
        }
    }
    out.push(GroupInfo {
        name: "apiextensions.k8s.io".into(),
        versions: vec!["v1".into(), "v1beta1".into()],
    });
    out.push(GroupInfo {
        name: "authorization.k8s.io".into(),
        versions: vec!["v1".into()],
    });
    out
}

fn group_json(g: &GroupInfo) -> Value {
    let versions: Vec<Value> = g
        .versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{}/{v}", g.name), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": g.name, "versions": versions, "preferredVersion": preferred})
}

/// `GET /api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

/// `GET /apis`.
pub fn group_list(kinds: &[ResourceKind]) -> Value {
    let groups: Vec<Value> = groups(kinds).iter().map(group_json).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`; None when the group is not served.
pub fn group(kinds: &[ResourceKind], name: &str) -> Option<Value> {
    groups(kinds).iter().find(|g| g.name == name).map(|g| {
        let mut doc = group_json(g);
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("kind".into(), json!("APIGroup"));
            obj.insert("apiVersion".into(), json!("v1"));
        }
        doc
    })
}

/// `GET /api/v1` or `GET /apis/<group>/<version>`; None when not served.
pub fn resource_list(kinds: &[ResourceKind], group: &str, version: &str) -> Option<Value> {
    let mut resources: Vec<Value> = kinds
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .map(|k| {
            let mut r = json!({
                "name": k.plural, "singularName": k.singular, "namespaced": k.namespaced,
                "kind": k.kind, "verbs": k.verbs,
            });
            if let Some(obj) = r.as_object_mut() {
                if !k.short_names.is_empty() {
                    obj.insert("shortNames".into(), json!(k.short_names));
                }
                if !k.categories.is_empty() {
                    obj.insert("categories".into(), json!(k.categories));
                }
            }
            r
        })
        .collect();
    resources.extend(extra_resources(group, version));
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

/// `GET /version` for `git_version` like `v1.18.6`.
pub fn version(git_version: &str) -> Value {
    let mut parts = git_version.trim_start_matches('v').split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2020-08-13T00:00:00Z",
        "goVersion": "go1.13.15",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}
