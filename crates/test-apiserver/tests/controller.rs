//! The simulated KubeSphere DevOpsProject controller, observed through the real `kube` client.

mod common;

use std::time::{Duration, Instant};

use common::{api_status, bounded, client, devopsproject_resource, pipeline_resource, start};
use k8s_openapi::api::core::v1::Namespace;
use ksdm_test_apiserver::controller::{
    DEVOPSPROJECT_FINALIZER, DEVOPSPROJECT_LABEL, PIPELINE_FINALIZER,
};
use ksdm_test_apiserver::ServerOptions;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use serde_json::json;

fn project(name: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "DevOpsProject",
        "metadata": {"name": name, "generateName": "demo", "labels": {"kubesphere.io/workspace": "ws"},
                     "annotations": {"kubesphere.io/creator": "admin"}},
        "spec": {}
    }))
    .expect("project object")
}

/// Polls `projects` until `name` has `status.adminNamespace` (at most 5 s).
async fn wait_for_admin_namespace(projects: &Api<DynamicObject>, name: &str) -> DynamicObject {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let current = projects.get(name).await.expect("get project");
        if current.data.pointer("/status/adminNamespace").is_some() {
            return current;
        }
        assert!(
            Instant::now() < deadline,
            "controller did not set status.adminNamespace within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn controller_creates_the_admin_namespace_after_the_delay() {
    let delay = Duration::from_millis(300);
    let server = start(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_controller_delay(Some(delay)),
    )
    .await;
    let client = client(&server, false);
    bounded("controller", async {
        let projects: Api<DynamicObject> = Api::all_with(client.clone(), &devopsproject_resource());
        let started = Instant::now();
        let created = projects
            .create(&PostParams::default(), &project("project-abc12"))
            .await
            .expect("create project");
        let rv_created: u64 = created
            .metadata
            .resource_version
            .clone()
            .expect("rv")
            .parse()
            .expect("numeric");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let early = projects.get("project-abc12").await.expect("get");
        assert!(
            early.data.pointer("/status/adminNamespace").is_none(),
            "nothing happens before the delay"
        );

        let done = wait_for_admin_namespace(&projects, "project-abc12").await;
        assert!(started.elapsed() >= delay);
        assert_eq!(
            done.data.pointer("/status/adminNamespace"),
            Some(&json!("project-abc12"))
        );
        assert_eq!(
            done.metadata.finalizers.clone().unwrap_or_default(),
            vec![DEVOPSPROJECT_FINALIZER.to_string()]
        );
        let rv_done: u64 = done
            .metadata
            .resource_version
            .clone()
            .expect("rv")
            .parse()
            .expect("numeric");
        assert!(
            rv_done > rv_created,
            "the status update bumps resourceVersion"
        );

        let namespaces: Api<Namespace> = Api::all(client.clone());
        let ns = namespaces
            .get("project-abc12")
            .await
            .expect("admin namespace exists");
        assert_eq!(
            ns.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(DEVOPSPROJECT_LABEL))
                .map(String::as_str),
            Some("project-abc12")
        );
        assert_eq!(
            ns.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubesphere.io/creator"))
                .map(String::as_str),
            Some("admin")
        );
        let owner = ns
            .metadata
            .owner_references
            .clone()
            .unwrap_or_default()
            .into_iter()
            .next()
            .expect("owner reference");
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.controller),
            ("DevOpsProject", "project-abc12", Some(true))
        );
        assert_eq!(Some(owner.uid), created.metadata.uid);

        // Replacing with the resourceVersion read at create time is now stale.
        let stale = api_status(
            projects
                .replace("project-abc12", &PostParams::default(), &created)
                .await
                .expect_err("stale"),
        );
        assert_eq!(stale.code, 409);

        // Deletion: the controller drops its finalizer, then the owned namespace is collected.
        projects
            .delete("project-abc12", &DeleteParams::default())
            .await
            .expect("delete");
        let deadline = Instant::now() + Duration::from_secs(5);
        while server
            .get_object("v1", "Namespace", None, "project-abc12")
            .is_some()
        {
            assert!(
                Instant::now() < deadline,
                "admin namespace not collected within 5 s"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            api_status(
                projects
                    .get("project-abc12")
                    .await
                    .expect_err("project gone")
            )
            .code,
            404
        );
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn controller_never_runs_without_a_delay_and_leaves_unlabelled_namespaces_alone() {
    let server = start(ServerOptions::default().with_kubesphere_crds()).await;
    let client = client(&server, false);
    bounded("controller-conflict", async {
        server
            .insert_object(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "taken"}}),
            )
            .expect("insert namespace");
        let projects: Api<DynamicObject> = Api::all_with(client.clone(), &devopsproject_resource());
        projects
            .create(&PostParams::default(), &project("taken"))
            .await
            .expect("create");
        projects
            .create(&PostParams::default(), &project("free"))
            .await
            .expect("create");
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            server.get_object("v1", "Namespace", None, "free").is_none(),
            "controller is off by default"
        );

        server.set_controller_delay(Some(Duration::ZERO));
        wait_for_admin_namespace(&projects, "free").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let taken = projects.get("taken").await.expect("get");
        assert!(taken.data.pointer("/status/adminNamespace").is_none());
        let ns = server
            .get_object("v1", "Namespace", None, "taken")
            .expect("namespace kept");
        assert!(
            ns.pointer("/metadata/labels").is_none(),
            "the existing namespace is not touched"
        );
        let events = server.controller_events();
        assert!(
            events
                .iter()
                .any(|e| e.object == "DevOpsProject/taken"
                    && e.reason == "CreateAdminNamespaceFailed"),
            "{events:?}"
        );
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn controller_adds_pipeline_finalizer_when_enabled() {
    let server = start(
        ServerOptions::default()
            .with_kubesphere_crds()
            .with_controller_delay(Some(Duration::ZERO)),
    )
    .await;
    server.set_pipeline_finalizer(true);
    let client = client(&server, false);
    bounded("pipeline-finalizer", async {
        let pipelines: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &pipeline_resource());
        let p: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
            "metadata": {"name": "build"}, "spec": {"type": "pipeline", "pipeline": {"name": "build"}}
        }))
        .expect("pipeline");
        pipelines.create(&PostParams::default(), &p).await.expect("create");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let current = pipelines.get("build").await.expect("get");
            if current.metadata.finalizers.clone().unwrap_or_default().contains(&PIPELINE_FINALIZER.to_string()) {
                break;
            }
            assert!(Instant::now() < deadline, "pipeline finalizer not added within 5 s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        pipelines.delete("build", &DeleteParams::default()).await.expect("delete");
        let deadline = Instant::now() + Duration::from_secs(5);
        while pipelines.get("build").await.is_ok() {
            assert!(Instant::now() < deadline, "pipeline not released within 5 s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    server.shutdown().await;
}
