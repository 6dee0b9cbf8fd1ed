//! End to end: `job` prints valid multi-document YAML (ServiceAccount, RBAC, one Job per shard),
//! and the environment and arguments those Jobs give `migrate` work: three shard runs against the
//! API server test double together migrate everything, mirroring progress into the journal ConfigMap.

mod cluster_support;
mod common;

use std::collections::BTreeSet;

use cluster_support::*;
use serde_json::Value;

const MYSQL: &str = "mysql://root@h:3306/devops";

fn job_documents(args: &[&str]) -> Vec<Value> {
    let o = common::run(args);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let text = String::from_utf8(o.stdout).expect("utf-8");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect()
}

/// The container of a Job.
fn container(job: &Value) -> &Value {
    &job["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn job_prints_a_service_account_rbac_and_one_job_per_shard() {
    let docs = job_documents(&["job", "--shards", "3", "--", "--mysql", MYSQL]);
    let sa = of_kind(&docs, "ServiceAccount");
    let cr = of_kind(&docs, "ClusterRole");
    let crb = of_kind(&docs, "ClusterRoleBinding");
    let jobs = of_kind(&docs, "Job");
    assert_eq!((sa.len(), cr.len(), crb.len(), jobs.len()), (1, 1, 1, 3), "{docs:?}");
    let (sa_name, sa_ns) = (&sa[0]["metadata"]["name"], &sa[0]["metadata"]["namespace"]);
    assert_eq!(crb[0]["roleRef"]["name"], cr[0]["metadata"]["name"]);
    assert_eq!(crb[0]["subjects"][0]["name"], *sa_name);
    assert_eq!(crb[0]["subjects"][0]["namespace"], *sa_ns);
    let rules = cr[0]["rules"].to_string();
    for resource in ["devopsprojects", "pipelines", "secrets", "rolebindings"] {
        assert!(rules.contains(resource), "ClusterRole lacks {resource}: {rules}");
    }

    let mut indexes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for job in &jobs {
        names.insert(job["metadata"]["name"].as_str().expect("name").to_string());
        assert_eq!(job["spec"]["template"]["spec"]["serviceAccountName"], *sa_name);
        let args = strings(&container(job)["args"]);
        assert_eq!(args.first().map(String::as_str), Some("migrate"), "{args:?}");
        let after = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
        assert_eq!(after("--mysql").as_deref(), Some(MYSQL), "{args:?}");
        assert_eq!(after("--shards").as_deref(), Some("3"), "{args:?}");
        indexes.insert(after("--shard-index").unwrap_or_else(|| panic!("no --shard-index in {args:?}")));
        let env = container(job)["env"].to_string();
        assert!(env.contains("KSDM_JOURNAL_CONFIGMAP") && env.contains("POD_NAMESPACE"), "{env}");
    }
    assert_eq!(indexes, ["0", "1", "2"].iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
    assert_eq!(names.len(), 3, "distinct Job names: {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_shards_and_journal_configmap_work_against_a_cluster() {
    let docs = job_documents(&["job", "--shards", "3", "--", "--sample", "--exclude", BROKEN_PROJECT]);
    let h = Harness::start(default_options()).await;
    let kc = h.kc();
    let mut created = 0;
    let mut tree = BTreeSet::new();
    let mut configmap = String::new();
    for job in of_kind(&docs, "Job") {
        // The pod's environment as the Job sets it (the namespace comes from the downward API).
        let env: Vec<(String, String)> = container(job)["env"]
            .as_array()
            .expect("env")
            .iter()
            .filter_map(|e| Some((e["name"].as_str()?.to_string(), e["value"].as_str()?.to_string())))
            .collect();
        configmap = env.iter().find(|(k, _)| k == "KSDM_JOURNAL_CONFIGMAP").map(|(_, v)| v.clone()).expect("journal env");
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.push(("POD_NAMESPACE", "default"));
        let mut args = strings(&container(job)["args"]);
        args.extend(["--kubeconfig".to_string(), kc.clone(), "--namespace-timeout".into(), "20s".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let pod = h.path().join(job["metadata"]["name"].as_str().expect("name"));
        std::fs::create_dir_all(&pod).expect("pod dir");
        let out = run_in(&pod, &args, &env).await;
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let line = texts(&out).0.lines().find(|l| l.starts_with("[5-6/6] applied:")).map(str::to_string).expect("applied line");
        created += line.split_whitespace().nth(2).and_then(|n| n.parse::<usize>().ok()).expect("N created");
        tree.extend(tree_keys(&pod.join(OUT).join("resources")));
    }
    let snap = h.server.snapshot();
    let missing: Vec<&String> = tree.iter().filter(|k| snap.get(k.as_str()).is_none()).collect();
    assert!(missing.is_empty(), "not migrated by any shard: {missing:?}");
    assert_eq!(created, tree.len(), "each object is created by exactly one shard");

    // The progress mirror: one key per project, in the pod's namespace.
    let cm = &snap[format!("configmaps/default/{configmap}").as_str()];
    let keys: BTreeSet<String> = cm["data"].as_object().map(|d| d.keys().cloned().collect()).unwrap_or_default();
    for project in tree.iter().filter_map(|k| k.strip_prefix("devopsprojects.devops.kubesphere.io/")) {
        assert!(keys.contains(&format!("project.{project}")), "no progress for {project} in ConfigMap {configmap}: {keys:?}");
    }
}
