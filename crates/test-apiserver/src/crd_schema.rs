//! The `devopsprojects` and `pipelines` CustomResourceDefinitions this test double serves, written
//! by this project from the v3.0 field list (`docs/v30-objects.md`): group, names, scope, and an
//! `openAPIV3Schema` with every field, its type and the required lists the real CRDs carry.
//!
//! They are produced as JSON text (valid YAML), so the same [`crate::crd::parse_crds`] path loads
//! them as it loads any CRD a test supplies.

use serde_json::{json, Map, Value};

fn string() -> Value {
    json!({"type": "string"})
}
fn integer() -> Value {
    json!({"type": "integer"})
}
fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// An object schema with `props` and the `required` field names.
fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut o = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

fn discarder() -> Value {
    object(
        &[("days_to_keep", string()), ("num_to_keep", string())],
        &[],
    )
}
fn timer_trigger() -> Value {
    object(&[("cron", string()), ("interval", string())], &[])
}
fn clone_option() -> Value {
    object(
        &[
            ("shallow", boolean()),
            ("timeout", integer()),
            ("depth", integer()),
        ],
        &[],
    )
}

/// The GitHub and Bitbucket Server sources share one field set.
fn hosted_source() -> Value {
    object(
        &[
            ("scm_id", string()),
            ("owner", string()),
            ("repo", string()),
            ("credential_id", string()),
            ("api_uri", string()),
            ("discover_branches", integer()),
            ("discover_pr_from_origin", integer()),
            (
                "discover_pr_from_forks",
                object(&[("strategy", integer()), ("trust", integer())], &[]),
            ),
            ("git_clone_option", clone_option()),
            ("regex_filter", string()),
        ],
        &[],
    )
}

fn pipeline_spec_schema() -> Value {
    let parameter = object(
        &[
            ("name", string()),
            ("default_value", string()),
            ("type", string()),
            ("description", string()),
        ],
        &["name", "type"],
    );
    let no_scm = object(
        &[
            ("name", string()),
            ("description", string()),
            ("discarder", discarder()),
            ("parameters", json!({"type": "array", "items": parameter})),
            ("disable_concurrent", boolean()),
            ("timer_trigger", timer_trigger()),
            ("remote_trigger", object(&[("token", string())], &[])),
            ("jenkinsfile", string()),
        ],
        &["name"],
    );
    let multi_branch = object(
        &[
            ("name", string()),
            ("description", string()),
            ("discarder", discarder()),
            ("timer_trigger", timer_trigger()),
            ("source_type", string()),
            (
                "git_source",
                object(
                    &[
                        ("scm_id", string()),
                        ("url", string()),
                        ("credential_id", string()),
                        ("discover_branches", boolean()),
                        ("git_clone_option", clone_option()),
                        ("regex_filter", string()),
                    ],
                    &[],
                ),
            ),
            ("github_source", hosted_source()),
            ("bitbucket_server_source", hosted_source()),
            (
                "svn_source",
                object(
                    &[
                        ("scm_id", string()),
                        ("remote", string()),
                        ("credential_id", string()),
                        ("includes", string()),
                        ("excludes", string()),
                    ],
                    &[],
                ),
            ),
            (
                "single_svn_source",
                object(
                    &[
                        ("scm_id", string()),
                        ("remote", string()),
                        ("credential_id", string()),
                    ],
                    &[],
                ),
            ),
            ("script_path", string()),
            (
                "multibranch_job_trigger",
                object(
                    &[
                        ("create_action_job_to_trigger", string()),
                        ("delete_action_job_to_trigger", string()),
                    ],
                    &[],
                ),
            ),
        ],
        &["name", "script_path", "source_type"],
    );
    object(
        &[
            ("type", string()),
            ("pipeline", no_scm),
            ("multi_branch_pipeline", multi_branch),
        ],
        &["type"],
    )
}

/// A v1beta1 CRD document for a `devops.kubesphere.io/v1alpha3` resource.
fn crd(plural: &str, singular: &str, kind: &str, scope: &str, spec: Value, status: Value) -> Value {
    let mut names = json!({"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": singular});
    if kind == "DevOpsProject" {
        names["categories"] = json!(["devops"]);
    }
    json!({
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.devops.kubesphere.io")},
        "spec": {
            "group": "devops.kubesphere.io",
            "names": names,
            "scope": scope,
            "validation": {"openAPIV3Schema": object(
                &[("apiVersion", string()), ("kind", string()), ("metadata", json!({"type": "object"})),
                  ("spec", spec), ("status", status)],
                &[],
            )},
            "version": "v1alpha3",
            "versions": [{"name": "v1alpha3", "served": true, "storage": true}],
        }
    })
}

/// The `devopsprojects.devops.kubesphere.io` CRD (cluster-scoped; empty spec; `status.adminNamespace`).
pub fn devopsprojects_crd() -> Value {
    crd(
        "devopsprojects",
        "devopsproject",
        "DevOpsProject",
        "Cluster",
        json!({"type": "object"}),
        object(&[("adminNamespace", string())], &[]),
    )
}

/// The `pipelines.devops.kubesphere.io` CRD (namespaced; the spec of `docs/v30-objects.md`).
pub fn pipelines_crd() -> Value {
    crd(
        "pipelines",
        "pipeline",
        "Pipeline",
        "Namespaced",
        pipeline_spec_schema(),
        json!({"type": "object"}),
    )
}

/// A `workspaces.tenant.kubesphere.io` CRD (cluster-scoped; no schema: only existence matters to
/// the simulated controllers and to the migration's workspace check).
pub fn workspaces_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "workspaces.tenant.kubesphere.io"},
        "spec": {
            "group": "tenant.kubesphere.io",
            "names": {"kind": "Workspace", "listKind": "WorkspaceList", "plural": "workspaces", "singular": "workspace"},
            "scope": "Cluster",
            "version": "v1alpha1",
            "versions": [{"name": "v1alpha1", "served": true, "storage": true}],
        }
    })
}
