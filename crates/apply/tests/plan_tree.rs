//! Reading export trees into plans.

mod common;

use common::*;
use ksdm_apply::{filter_shard, shard_of, ObjectKind, Plan};

#[test]
fn the_tree_becomes_ordered_project_plans() {
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());
    let plan = Plan::from_tree(dir.path()).unwrap();
    assert!(plan.problems.is_empty());
    assert_eq!(plan.object_count(), STANDARD_OBJECTS);
    let names: Vec<_> = plan.projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["p1", "p2"]);
    let p1 = plan.project("p1").unwrap();
    assert_eq!(p1.workspace(), Some("ws1"));
    let keys: Vec<String> = p1.objects().map(|o| o.key()).collect();
    assert_eq!(
        keys,
        vec![
            "DevOpsProject/p1",
            "Secret/p1/git-cred",
            "Secret/p1/token",
            "Pipeline/p1/build",
            "Pipeline/p1/mb",
            "RoleBinding/p1/alice-operator",
            "RoleBinding/p1/bob-viewer"
        ]
    );
    let dp = p1.project.as_ref().unwrap();
    assert!(
        dp.body["metadata"].get("finalizers").is_none(),
        "controllers add finalizers themselves"
    );
    assert_eq!(dp.body["metadata"]["generateName"], "p1-display");
    let token = p1.secrets.iter().find(|s| s.name == "token").unwrap();
    assert!(token.placeholder_data);
    assert_eq!(token.notes.len(), 1, "autosync stripped and noted");
    assert!(p1
        .pipelines
        .iter()
        .all(|p| p.kind == ObjectKind::Pipeline && p.body.get("status").is_none()));
}

#[test]
fn bad_files_become_problems_and_orphans_get_a_project_without_devopsproject() {
    let dir = tempfile::tempdir().unwrap();
    standard_tree(dir.path());
    let res = dir.path().join("resources");
    std::fs::write(
        res.join("secrets/namespaces/p1/broken.yaml"),
        "apiVersion: v1\nkind: Secret\ndata: [unclosed\n",
    )
    .unwrap();
    std::fs::write(
        res.join("pipelines.devops.kubesphere.io/namespaces/p1/wrong.yaml"),
        "apiVersion: v1\nkind: Secret\n",
    )
    .unwrap();
    std::fs::create_dir_all(res.join("configmaps/namespaces/p1")).unwrap();
    std::fs::write(
        res.join("configmaps/namespaces/p1/ignored.yaml"),
        "kind: ConfigMap\n",
    )
    .unwrap();
    pipeline(dir.path(), "orphan", "x", "echo\n");
    let plan = Plan::from_tree(dir.path()).unwrap();
    assert_eq!(plan.problems.len(), 2, "{:?}", plan.problems);
    assert!(plan
        .problems
        .iter()
        .any(|p| p.path.ends_with("wrong.yaml") && p.reason.contains("kind is \"Secret\"")));
    assert!(plan
        .problems
        .iter()
        .all(|p| p.project.as_deref() == Some("p1")));
    let orphan = plan.project("orphan").unwrap();
    assert!(orphan.project.is_none());
    assert_eq!(orphan.pipelines.len(), 1);
    assert!(Plan::from_tree(&dir.path().join("nope")).is_err());
}

#[test]
fn shards_are_stable_and_cover_every_project() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        project(dir.path(), &format!("project-{i}"), "ws");
    }
    let plan = Plan::from_tree(dir.path()).unwrap();
    let total: usize = (0..3)
        .map(|i| filter_shard(&plan, i, 3).projects.len())
        .sum();
    assert_eq!(total, 20);
    for p in &filter_shard(&plan, 1, 3).projects {
        assert_eq!(shard_of(&p.name, 3), 1);
    }
    assert_eq!(
        shard_of("project-w4znlwjlzgrb", 7),
        shard_of("project-w4znlwjlzgrb", 7)
    );
}
