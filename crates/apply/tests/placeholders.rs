//! Placeholder Secrets (a value their credential type requires is missing) never replace the
//! data of an existing Secret, whatever the options, and a rerun reports them as
//! "placeholder kept" — for every KubeSphere credential type, with and without server-side apply.

mod common;

use std::path::Path;

use common::*;
use ksdm_apply::{apply_plan, Action, ExistingPolicy, Plan, Progress, SsaMode};
use serde_json::{json, Value};

const TYPES: [(&str, &str); 4] = [
    ("basic", "basic-auth"),
    ("ssh", "ssh-auth"),
    ("text", "secret-text"),
    ("kube", "kubeconfig"),
];

/// The data of each Secret: with real values, or as a placeholder that still carries the
/// values that were known (the username), which is what the export writes.
fn data(type_: &str, real: bool) -> Value {
    let v = |s: &str| if real { json!(b64(s)) } else { json!("") };
    match type_ {
        "basic-auth" => json!({"username": b64("deployer"), "password": v("pa55")}),
        "ssh-auth" => {
            json!({"username": b64("git"), "private_key": v("-----KEY-----"), "privatekey": v("-----KEY-----"), "passphrase": ""})
        }
        "secret-text" => json!({"secret": v("tok3n")}),
        _ => json!({"content": v("apiVersion: v1\nkind: Config\n")}),
    }
}

fn tree(dir: &Path, real: bool) -> Plan {
    project(dir, "p1", "ws1");
    for (name, type_) in TYPES {
        let path = dir.join(format!("resources/secrets/namespaces/p1/{name}.yaml"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let doc = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "p1", "annotations": {"kubesphere.io/creator": "admin"}},
            "type": format!("credential.devops.kubesphere.io/{type_}"),
            "data": data(type_, real)});
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    let plan = Plan::from_tree(dir).unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    plan
}

#[tokio::test]
async fn placeholders_of_every_type_never_overwrite_and_are_reported_as_kept() {
    for ssa in [SsaMode::Auto, SsaMode::Never] {
        let server = start().await;
        let client = client(&server).await;
        let real_dir = tempfile::tempdir().unwrap();
        let real = tree(real_dir.path(), true);
        let r = bounded(
            "first run",
            apply_plan(&client, &real, &options("run-1"), None, &Progress::none()),
        )
        .await;
        assert_eq!(r.created, 5, "{r:#?}");
        let before: Vec<Value> = TYPES
            .iter()
            .map(|(n, _)| server.get_object("v1", "Secret", Some("p1"), n).unwrap()["data"].clone())
            .collect();

        // The rerun only has placeholders (e.g. key files no longer at hand).
        let ph_dir = tempfile::tempdir().unwrap();
        let placeholders = tree(ph_dir.path(), false);
        let mut opts = options("run-2");
        opts.existing = ExistingPolicy::Update;
        opts.overwrite_secret_data = true;
        opts.ssa = ssa;
        let r = bounded(
            "placeholder run",
            apply_plan(&client, &placeholders, &opts, None, &Progress::none()),
        )
        .await;
        for ((name, type_), data) in TYPES.iter().zip(&before) {
            let o = r
                .per_object
                .iter()
                .find(|o| o.key == format!("Secret/p1/{name}"))
                .unwrap();
            assert_eq!(o.action, Action::Unchanged, "{type_} ({ssa:?}): {o:?}");
            assert!(
                o.message.contains("placeholder kept"),
                "{type_}: {}",
                o.message
            );
            let now = server.get_object("v1", "Secret", Some("p1"), name).unwrap();
            assert_eq!(&now["data"], data, "{type_} ({ssa:?}): data overwritten");
        }
        assert_eq!(r.conflicts, 0, "{r:#?}");
        server.shutdown().await;
    }
}
