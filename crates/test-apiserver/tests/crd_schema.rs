//! The test double's own CRDs (written from the v3.0 field list) accept and refuse exactly what the
//! real KubeSphere v3.0.0 CRDs do: same names, scope, fields, types and required lists. Compared
//! against `../shared/fixtures/crds` when that folder is present.

use ksdm_test_apiserver::crd_schema::{devopsprojects_crd, pipelines_crd};
use serde_json::Value;

/// `v` without the `description` keys and the generator's bookkeeping, for comparing shapes.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "description")
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        other => other.clone(),
    }
}

fn compare(file: &str, ours: Value) {
    let path = ksdm_test_fixtures::require_shared!(&format!("crds/{file}"));
    let text = std::fs::read_to_string(&path).expect("read CRD");
    let real: Value = serde_saphyr::from_str(&text).expect("CRD YAML");
    for pointer in [
        "/spec/group",
        "/spec/scope",
        "/spec/names/kind",
        "/spec/names/plural",
        "/spec/names/singular",
        "/spec/version",
    ] {
        assert_eq!(
            ours.pointer(pointer),
            real.pointer(pointer),
            "{file}: {pointer}"
        );
    }
    let schema = "/spec/validation/openAPIV3Schema";
    assert_eq!(
        shape(ours.pointer(schema).unwrap()),
        shape(real.pointer(schema).unwrap()),
        "{file}: the schema written from the field list differs from the real CRD's"
    );
}

#[test]
fn devopsprojects_crd_matches_the_real_one() {
    compare(
        "devops.kubesphere.io_devopsprojects.yaml",
        devopsprojects_crd(),
    );
}

#[test]
fn pipelines_crd_matches_the_real_one() {
    compare("devops.kubesphere.io_pipelines.yaml", pipelines_crd());
}

#[test]
fn own_crds_load_as_served_types() {
    for yaml in [
        ksdm_test_apiserver::crd::devopsprojects_crd_yaml(),
        ksdm_test_apiserver::crd::pipelines_crd_yaml(),
    ] {
        let crds = ksdm_test_apiserver::crd::parse_crds(&yaml).expect("own CRD parses");
        assert_eq!(crds.len(), 1);
    }
}
