//! In-cluster Job manifests (snapshots).

use ksdm_run::{job_manifests, JobOptions};

fn opts() -> JobOptions {
    let mut o = JobOptions::new(
        "example.invalid/ks-devops-migrate:0.1.0",
        "kubesphere-system",
        vec!["migrate".into(), "--estate".into(), "/data".into()],
    );
    o.env_from_secret = Some("ks-devops-migrate-sources".into());
    o
}

fn docs(yaml: &str) -> Vec<serde_json::Value> {
    yaml.split("\n---\n")
        .skip(1)
        .map(|d| {
            serde_saphyr::from_str::<serde_json::Value>(d).unwrap_or_else(|e| panic!("{e}\n{d}"))
        })
        .collect()
}

#[test]
fn unsharded_job() {
    let yaml = job_manifests(&opts());
    let kinds: Vec<String> = docs(&yaml)
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Job"
        ]
    );
    insta::assert_snapshot!("unsharded", yaml);
}

#[test]
fn per_shard_jobs() {
    let mut o = opts();
    o.shards = Some(3);
    let yaml = job_manifests(&o);
    let jobs: Vec<serde_json::Value> = docs(&yaml)
        .into_iter()
        .filter(|d| d["kind"] == "Job")
        .collect();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[2]["metadata"]["name"], "ks-devops-migrate-shard-2");
    let args = jobs[2]["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap();
    assert_eq!(
        args[args.len() - 4..],
        [
            serde_json::json!("--shards"),
            "3".into(),
            "--shard-index".into(),
            "2".into()
        ]
    );
    insta::assert_snapshot!("per_shard", yaml);
}

#[test]
fn indexed_job() {
    let mut o = opts();
    o.shards = Some(4);
    o.indexed = true;
    let yaml = job_manifests(&o);
    assert!(yaml.contains("Indexed Jobs need Kubernetes 1.21+"));
    let job = docs(&yaml)
        .into_iter()
        .find(|d| d["kind"] == "Job")
        .unwrap();
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], 4);
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    insta::assert_snapshot!("indexed", yaml);
}
