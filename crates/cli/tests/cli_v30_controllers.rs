//! End to end against a test API server whose simulated controllers behave like v3.0.0's where
//! it matters: the pipeline controller parses the Jenkins job of every Pipeline (and "crashes"
//! ks-controller-manager where v3.0.0 panics), the DevOpsProject controller binds workspaces
//! (silently skipping missing ones) and the namespace controller creates `<creator>-admin`.
//! A migration never crashes the controller, a missing workspace fails only its projects, and a
//! same-name Namespace that is not the project's is found before anything is written for it.

mod cluster_support;
mod common;

use std::time::Duration;

use cluster_support::*;
use serde_json::json;

const NO_DESCRIPTION: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.40\">\n  <actions/>\n  <keepDependencies>false</keepDependencies>\n  <properties/>\n  <definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\" plugin=\"workflow-cps@2.80\">\n    <script>node { echo 'hi' }</script>\n    <sandbox>true</sandbox>\n  </definition>\n  <triggers/>\n  <disabled>false</disabled>\n</flow-definition>";

fn project_status<'a>(apply: &'a serde_json::Value, project: &str) -> &'a serde_json::Value {
    apply["per_project"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["project"] == project)
        .unwrap_or_else(|| panic!("no project {project} in apply.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_never_crashes_the_v30_controllers_and_checks_workspaces_and_namespaces() {
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path().join("jenkins_home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &home);
    let job = home.join("jobs/project-W4zNlwJLzgRB/jobs/no-description");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(job.join("config.xml"), NO_DESCRIPTION).unwrap();

    // beta-workspace is missing; a foreign Namespace has the name of one alpha project.
    let mut opts = default_options()
        .with_workspaces(&["alpha-workspace"])
        .with_jenkins_home(&home)
        .with_creator_admin();
    opts.namespaces.push("project-b6bzvn3mopvx".into());
    let h = Harness::start(opts).await;
    let dump = common::repo().join("sample/devops.sql");
    let started = std::time::Instant::now();
    let out = h
        .run(&[
            "migrate",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-home",
            home.to_str().unwrap(),
            "--insecure-plaintext-backup",
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "20s",
        ])
        .await;
    assert_eq!(out.status.code(), Some(4), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "found up front, not by a timeout"
    );
    // Give the simulated controllers time to reconcile every Pipeline the run wrote.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.server.controller_restarts(),
        0,
        "events: {:?}",
        h.server.controller_events()
    );

    let apply: serde_json::Value =
        serde_json::from_slice(&std::fs::read(h.out().join("apply.json")).unwrap()).unwrap();
    for beta in ["project-qj8xy2mr5klp", "project-zx3kd9pwqn7t"] {
        let p = project_status(&apply, beta);
        assert_eq!(p["status"], "failed", "{p}");
        assert!(
            p["message"]
                .as_str()
                .unwrap()
                .contains("workspace beta-workspace does not exist"),
            "{p}"
        );
        assert!(h
            .server
            .get_object("devops.kubesphere.io/v1alpha3", "DevOpsProject", None, beta)
            .is_none());
    }
    let foreign = project_status(&apply, "project-b6bzvn3mopvx");
    assert_eq!(foreign["status"], "failed", "{foreign}");
    assert!(
        foreign["message"]
            .as_str()
            .unwrap()
            .contains("already exists and is not this project's"),
        "{foreign}"
    );
    assert!(h
        .server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "DevOpsProject",
            None,
            "project-b6bzvn3mopvx"
        )
        .is_none());

    // The alpha project is migrated, bound to its workspace, and the creator's binding exists;
    // the job v3.0 cannot parse has no Pipeline.
    let alpha = project_status(&apply, "project-w4znlwjlzgrb");
    assert_ne!(alpha["status"], "failed", "{alpha}");
    let dp = h
        .server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "DevOpsProject",
            None,
            "project-w4znlwjlzgrb",
        )
        .unwrap();
    assert_eq!(
        dp["metadata"]["ownerReferences"][0]["kind"], "Workspace",
        "{dp}"
    );
    let creator = dp["metadata"]["annotations"]["kubesphere.io/creator"]
        .as_str()
        .unwrap()
        .to_owned();
    let rb = h.server.get_object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some("project-w4znlwjlzgrb"),
        &format!("{creator}-admin"),
    );
    assert!(
        rb.is_some(),
        "the namespace controller creates {creator}-admin"
    );
    assert!(h
        .server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some("project-w4znlwjlzgrb"),
            "no-description"
        )
        .is_none());

    // Control: a Pipeline for that job, written by anyone else, crashes the simulated controller.
    h.server
        .insert_object(
            json!({"apiVersion": "devops.kubesphere.io/v1alpha3", "kind": "Pipeline",
            "metadata": {"name": "no-description", "namespace": "project-w4znlwjlzgrb"},
            "spec": {"type": "pipeline", "pipeline": {"name": "no-description"}}}),
        )
        .unwrap();
    let crashed = wait_until(Duration::from_secs(10), || {
        h.server.controller_restarts() > 0
    })
    .await;
    assert!(
        crashed,
        "the simulated pipeline controller must crash on this job"
    );
}
