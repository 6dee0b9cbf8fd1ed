//! Every object the sample export emits is valid against the v3.0 CRD schemas and has the
//! expected shape. The schemas are the real KubeSphere v3.0.0 CRDs from `../shared/fixtures/crds`
//! when that folder is present, and otherwise the test API server's own CRDs written from the
//! field list (so the test stands alone on a fresh clone).

mod common;

use std::path::Path;

use serde_json::Value;

fn crd_schema(file: &str) -> Value {
    let crd: Value = match ksdm_test_fixtures::read(&format!("crds/{file}")) {
        Some(bytes) => serde_saphyr::from_slice(&bytes).expect("crd yaml"),
        None if file.contains("devopsprojects") => {
            ksdm_test_apiserver::crd_schema::devopsprojects_crd()
        }
        None => ksdm_test_apiserver::crd_schema::pipelines_crd(),
    };
    crd["spec"]["validation"]["openAPIV3Schema"].clone()
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("yaml");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_emitted_object_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = common::run(&["export", "--sample", "--out", out.to_str().unwrap()]);
    // The sample deliberately contains a corrupt config.xml: the run reports a failure (exit 4).
    assert_eq!(
        o.status.code(),
        Some(4),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    let project_schema =
        jsonschema::validator_for(&crd_schema("devops.kubesphere.io_devopsprojects.yaml")).unwrap();
    let pipeline_schema =
        jsonschema::validator_for(&crd_schema("devops.kubesphere.io_pipelines.yaml")).unwrap();
    let resources = out.join("resources");
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for rel in common::files(&resources) {
        let obj = load(&resources.join(&rel));
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        *counts.entry(kind.clone()).or_default() += 1;
        let name = obj["metadata"]["name"].as_str().expect("name");
        assert_eq!(
            rel.file_stem().unwrap().to_str().unwrap(),
            name,
            "file name = object name"
        );
        match kind.as_str() {
            "DevOpsProject" => {
                let errors: Vec<String> = project_schema
                    .iter_errors(&obj)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", rel.display());
                assert_eq!(obj["apiVersion"], "devops.kubesphere.io/v1alpha3");
                assert!(obj["metadata"]["labels"]["kubesphere.io/workspace"].is_string());
                assert!(obj["metadata"]["generateName"].is_string());
            }
            "Pipeline" => {
                let errors: Vec<String> = pipeline_schema
                    .iter_errors(&obj)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", rel.display());
                let t = obj["spec"]["type"].as_str().unwrap();
                let inner = if t == "pipeline" {
                    "pipeline"
                } else {
                    "multi_branch_pipeline"
                };
                assert_eq!(
                    obj["spec"][inner]["name"], obj["metadata"]["name"],
                    "spec name = metadata.name"
                );
                assert_eq!(
                    obj["metadata"]["namespace"],
                    rel.parent().unwrap().file_name().unwrap().to_str().unwrap()
                );
            }
            "Secret" => {
                assert_eq!(obj["apiVersion"], "v1");
                let t = obj["type"].as_str().unwrap();
                assert!(t.starts_with("credential.devops.kubesphere.io/"), "{t}");
                let ann = &obj["metadata"]["annotations"];
                assert!(
                    ann.get("credential.devops.kubesphere.io/autosync")
                        .is_none(),
                    "never autosync"
                );
                if t.ends_with("ssh-auth") {
                    assert_eq!(
                        obj["data"]["private_key"], obj["data"]["privatekey"],
                        "both ssh key names"
                    );
                }
            }
            "RoleBinding" => {
                assert_eq!(obj["apiVersion"], "rbac.authorization.k8s.io/v1");
                let role = obj["roleRef"]["name"].as_str().unwrap();
                assert!(["admin", "operator", "viewer"].contains(&role));
                let user = obj["subjects"][0]["name"].as_str().unwrap();
                assert_eq!(name, format!("{user}-{role}"));
            }
            other => panic!("unexpected kind {other} in {}", rel.display()),
        }
    }
    for kind in ["DevOpsProject", "Pipeline", "Secret", "RoleBinding"] {
        assert!(
            counts.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} emitted: {counts:?}"
        );
    }
}

#[test]
fn schema_validation_catches_bad_objects() {
    // The validator is not vacuous: a Pipeline missing spec.type or with a string timeout fails.
    let schema =
        jsonschema::validator_for(&crd_schema("devops.kubesphere.io_pipelines.yaml")).unwrap();
    let bad: Value = serde_json::json!({"apiVersion":"devops.kubesphere.io/v1alpha3","kind":"Pipeline",
        "metadata":{"name":"x"},"spec":{"pipeline":{"name":"x"}}});
    assert!(!schema.is_valid(&bad));
    let bad: Value = serde_json::json!({"apiVersion":"devops.kubesphere.io/v1alpha3","kind":"Pipeline",
        "metadata":{"name":"x"},"spec":{"type":"multi-branch-pipeline","multi_branch_pipeline":{"name":"x",
        "script_path":"J","source_type":"git","git_source":{"git_clone_option":{"timeout":"ten"}}}}});
    assert!(!schema.is_valid(&bad));
}
