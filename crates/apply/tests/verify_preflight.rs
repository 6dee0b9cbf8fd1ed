//! `verify` and preflight against the API test double.

mod common;

use common::*;
use ksdm_apply::{
    apply_plan, preflight, verify_tree, ExistingPolicy, Plan, PreflightOptions, Progress,
    VerifyOptions, VerifyReport,
};
use ksdm_test_apiserver::{AccessDenial, ServerOptions};
use serde_json::json;

fn verify_opts() -> VerifyOptions {
    VerifyOptions {
        retry: fast_retry(),
        concurrency: 2,
    }
}

#[tokio::test]
async fn verify_finds_missing_different_and_extra_objects() {
    let server = start().await;
    let client = client(&server).await;
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());

    let before = bounded("verify", verify_tree(&client, dir.path(), &verify_opts()))
        .await
        .unwrap();
    assert_eq!(before.missing.len(), STANDARD_OBJECTS);
    assert!(!before.is_clean());

    let plan = Plan::from_tree(dir.path()).unwrap();
    bounded(
        "apply",
        apply_plan(&client, &plan, &options("run-1"), None, &Progress::none()),
    )
    .await;
    let clean = bounded("verify", verify_tree(&client, dir.path(), &verify_opts()))
        .await
        .unwrap();
    assert!(clean.is_clean(), "{clean:#?}");
    assert_eq!(clean.ok.len(), STANDARD_OBJECTS);
    assert_eq!(
        clean.summary_line(),
        format!("{STANDARD_OBJECTS} ok, 0 missing, 0 different, 0 extra, 0 errors")
    );

    server.delete_object(
        "devops.kubesphere.io/v1alpha3",
        "Pipeline",
        Some("p2"),
        "release",
    );
    let mut s = server
        .get_object("v1", "Secret", Some("p1"), "git-cred")
        .unwrap();
    s["data"]["password"] = json!(b64("changed"));
    s["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    server.delete_object("v1", "Secret", Some("p1"), "git-cred");
    server.insert_object(s).unwrap();
    server
        .insert_object(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "stray", "namespace": "p1", "labels": {ksdm_apply::RUN_ID_LABEL: "old-run"}}, "type": "Opaque"}))
        .unwrap();
    server.insert_object(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "users-own", "namespace": "p1"}, "type": "Opaque"})).unwrap();

    let report = bounded("verify", verify_tree(&client, dir.path(), &verify_opts()))
        .await
        .unwrap();
    assert!(!report.is_clean());
    let keys =
        |items: &[ksdm_apply::VerifyItem]| items.iter().map(|i| i.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&report.missing), vec!["Pipeline/p2/release"]);
    assert_eq!(keys(&report.different), vec!["Secret/p1/git-cred"]);
    assert_eq!(keys(&report.extra), vec!["Secret/p1/stray"]);
    let diff = report.different[0].diff.as_deref().unwrap();
    assert!(
        !diff.contains(&b64("changed")) && !diff.contains(&b64("s3cret-pass")),
        "{diff}"
    );
    let md = report.to_markdown();
    assert!(
        md.contains("NOT clean") && md.contains("`Pipeline/p2/release`") && md.contains("## Extra"),
        "{md}"
    );
    let json = serde_json::to_string(&report).unwrap();
    let back: VerifyReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    server.shutdown().await;
}

#[tokio::test]
async fn preflight_names_missing_crds_and_permissions() {
    let server = start_with(ServerOptions::default()).await;
    let client = client(&server).await;
    let report = bounded(
        "preflight",
        preflight(
            &client,
            &PreflightOptions {
                retry: fast_retry(),
                ..PreflightOptions::default()
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(report.server_version, "v1.18.6");
    assert!(report.server_side_apply);
    assert_eq!(
        report.missing_crds,
        vec![
            "devopsprojects.devops.kubesphere.io",
            "pipelines.devops.kubesphere.io"
        ]
    );
    assert!(
        report.problems()[0].contains("devopsprojects.devops.kubesphere.io is not installed"),
        "{:?}",
        report.problems()
    );

    server.install_kubesphere_crds().unwrap();
    server.set_access_denials(vec![
        AccessDenial::verb_on("create", "secrets"),
        AccessDenial::verb_on("bind", "roles"),
    ]);
    let opts = PreflightOptions {
        retry: fast_retry(),
        existing: ExistingPolicy::Update,
        journal_configmap: Some(ksdm_apply::ConfigMapMirror {
            namespace: "kubesphere-system".into(),
            name: "j".into(),
        }),
    };
    let report = bounded("preflight", preflight(&client, &opts))
        .await
        .unwrap();
    assert!(report.missing_crds.is_empty());
    assert_eq!(
        report.problems(),
        vec!["not allowed to create secrets (create missing objects)".to_string()]
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("bind roles.rbac.authorization.k8s.io/admin")),
        "{:?}",
        report.warnings
    );
    assert!(report
        .permissions
        .iter()
        .any(|p| p.verb == "patch" && p.resource == "pipelines" && p.allowed));
    assert!(
        report
            .permissions
            .iter()
            .any(|p| p.resource == "configmaps"
                && p.namespace.as_deref() == Some("kubesphere-system"))
    );

    server.set_access_denials(Vec::new());
    server.set_ssa_enabled(false);
    server.set_git_version(Some("v1.15.12"));
    let report = bounded(
        "preflight",
        preflight(
            &client,
            &PreflightOptions {
                retry: fast_retry(),
                ..PreflightOptions::default()
            },
        ),
    )
    .await
    .unwrap();
    assert!(report.is_ok(), "{:?}", report.problems());
    assert!(!report.server_side_apply);
    server.shutdown().await;
}

#[tokio::test]
async fn preflight_fails_when_the_server_is_unreachable() {
    let server = start().await;
    let client = client(&server).await;
    server.shutdown().await;
    let err = bounded(
        "preflight",
        preflight(
            &client,
            &PreflightOptions {
                retry: fast_retry(),
                ..PreflightOptions::default()
            },
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the Kubernetes API server is not reachable"),
        "{err}"
    );
}
