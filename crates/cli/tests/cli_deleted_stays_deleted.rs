//! Deleted stays deleted without the local journal: every cluster run keeps its journal in the
//! cluster (ConfigMaps), so a rerun from a fresh working directory — another `--out`, another
//! machine, a fresh pod — does not recreate what a user deleted after the first run.

mod cluster_support;
mod common;

use cluster_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_out_and_a_fresh_pod_do_not_recreate_deleted_objects() {
    let h = Harness::start(default_options()).await;
    let kc = h.kc();
    let base = [
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
        "--kubeconfig",
        kc.as_str(),
        "--namespace-timeout",
        "20s",
    ];
    let first = h.run(&[&["migrate"], &base[..]].concat()).await;
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    assert!(h.out().join("journal.jsonl").is_file());

    let (ns, rbac) = ("project-b6bzvn3mopvx", "rbac.authorization.k8s.io/v1");
    assert!(h
        .server
        .delete_object(rbac, "RoleBinding", Some(ns), "alice-operator")
        .is_some());
    assert!(h
        .server
        .delete_object(
            "devops.kubesphere.io/v1alpha3",
            "Pipeline",
            Some(ns),
            "deploy-prod"
        )
        .is_some());

    // A fresh working directory: no journal.jsonl, no earlier --out, no backups.
    for (what, env) in [
        ("fresh --out", vec![]),
        ("fresh pod", vec![("POD_NAMESPACE", "default")]),
    ] {
        let fresh = tempfile::tempdir().unwrap();
        let out = run_in(fresh.path(), &[&["migrate"], &base[..]].concat(), &env).await;
        assert_eq!(out.status.code(), Some(0), "{what}: {}", show(&out));
        assert!(
            texts(&out).0.contains("0 created, 0 updated"),
            "{what}: {}",
            show(&out)
        );
        assert!(
            h.server
                .get_object(rbac, "RoleBinding", Some(ns), "alice-operator")
                .is_none(),
            "{what}: binding granted again"
        );
        assert!(
            h.server
                .get_object(
                    "devops.kubesphere.io/v1alpha3",
                    "Pipeline",
                    Some(ns),
                    "deploy-prod"
                )
                .is_none(),
            "{what}: pipeline recreated"
        );
    }
}
