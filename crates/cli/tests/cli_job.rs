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
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The shard of a project: 32-bit FNV-1a of the lower-cased name, modulo the shard count.
fn shard_of(name: &str, shards: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.as_bytes() {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % shards
}

/// The container of a Job.
fn container(job: &Value) -> &Value {
    &job["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn job_prints_a_service_account_rbac_and_one_job_per_shard() {
    let docs = job_documents(&[
        "job",
        "--shards",
        "3",
        "--",
        "--mysql",
        MYSQL,
        "--jenkins-url",
        "http://ks-jenkins/",
        "--store",
        "s3://ks-devops-backups/runs",
    ]);
    let sa = of_kind(&docs, "ServiceAccount");
    let cr = of_kind(&docs, "ClusterRole");
    let crb = of_kind(&docs, "ClusterRoleBinding");
    let jobs = of_kind(&docs, "Job");
    assert_eq!(
        (sa.len(), cr.len(), crb.len(), jobs.len()),
        (1, 1, 1, 3),
        "{docs:?}"
    );
    let (sa_name, sa_ns) = (&sa[0]["metadata"]["name"], &sa[0]["metadata"]["namespace"]);
    assert_eq!(crb[0]["roleRef"]["name"], cr[0]["metadata"]["name"]);
    assert_eq!(crb[0]["subjects"][0]["name"], *sa_name);
    assert_eq!(crb[0]["subjects"][0]["namespace"], *sa_ns);
    let rules = cr[0]["rules"].to_string();
    for resource in ["devopsprojects", "pipelines", "secrets", "rolebindings"] {
        assert!(
            rules.contains(resource),
            "ClusterRole lacks {resource}: {rules}"
        );
    }

    let mut indexes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for job in &jobs {
        names.insert(job["metadata"]["name"].as_str().expect("name").to_string());
        assert_eq!(
            job["spec"]["template"]["spec"]["serviceAccountName"],
            *sa_name
        );
        let args = strings(&container(job)["args"]);
        assert_eq!(
            args.first().map(String::as_str),
            Some("migrate"),
            "{args:?}"
        );
        let after = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        assert_eq!(after("--mysql").as_deref(), Some(MYSQL), "{args:?}");
        assert_eq!(after("--shards").as_deref(), Some("3"), "{args:?}");
        assert!(args.iter().any(|a| a == "--in-job"), "{args:?}");
        indexes.insert(
            after("--shard-index").unwrap_or_else(|| panic!("no --shard-index in {args:?}")),
        );
        let env = container(job)["env"].to_string();
        assert!(
            env.contains("KSDM_JOURNAL_CONFIGMAP") && env.contains("POD_NAMESPACE"),
            "{env}"
        );
    }
    assert_eq!(
        indexes,
        ["0", "1", "2"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(names.len(), 3, "distinct Job names: {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_shards_and_journal_configmap_work_against_a_cluster() {
    let docs = job_documents(&[
        "job",
        "--shards",
        "3",
        "--backup-pvc",
        "backups",
        "--",
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
    ]);
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
            .filter_map(|e| {
                Some((
                    e["name"].as_str()?.to_string(),
                    e["value"].as_str()?.to_string(),
                ))
            })
            .collect();
        configmap = env
            .iter()
            .find(|(k, _)| k == "KSDM_JOURNAL_CONFIGMAP")
            .map(|(_, v)| v.clone())
            .expect("journal env");
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.push(("POD_NAMESPACE", "default"));
        // The mounted volume (shared by the shards) is a folder of the test.
        let mount = container(job)["volumeMounts"][0]["mountPath"]
            .as_str()
            .expect("backup volume mount")
            .to_string();
        let volume = h.path().join("volume");
        let mut args: Vec<String> = strings(&container(job)["args"])
            .into_iter()
            .map(|a| {
                if a == mount {
                    volume.display().to_string()
                } else {
                    a
                }
            })
            .collect();
        args.extend([
            "--kubeconfig".to_string(),
            kc.clone(),
            "--namespace-timeout".into(),
            "20s".into(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let pod = h
            .path()
            .join(job["metadata"]["name"].as_str().expect("name"));
        std::fs::create_dir_all(&pod).expect("pod dir");
        let termination = pod.join("termination-log");
        let termination_env = termination.display().to_string();
        env.push(("KSDM_TERMINATION_LOG", termination_env.as_str()));
        let out = run_in(&pod, &args, &env).await;
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let message = std::fs::read_to_string(&termination).expect("termination message");
        assert!(message.starts_with("OK: "), "{message}");
        // Each shard read and converted only its own projects.
        let index: u32 = args[args
            .iter()
            .position(|a| *a == "--shard-index")
            .expect("index")
            + 1]
        .parse()
        .expect("n");
        let report: Value = serde_json::from_slice(
            &std::fs::read(pod.join(OUT).join("report.json")).expect("report"),
        )
        .expect("json");
        for item in report["items"].as_array().expect("items") {
            let project = item["project"]
                .as_str()
                .expect("project")
                .to_ascii_lowercase();
            assert_eq!(
                shard_of(&project, 3),
                index,
                "shard {index} handled {project}"
            );
        }
        // … and backed up only its own Jenkins folders.
        let stdout = texts(&out).0;
        let run = stdout
            .lines()
            .find_map(|l| l.strip_prefix("[4/6] backup "))
            .and_then(|l| l.split_whitespace().next())
            .expect("backup line");
        let identity = pod.join(OUT).join("backup-identity.txt");
        let files = pod.join("jenkins-files");
        let restored = run_in(
            &pod,
            &[
                "restore",
                run,
                "--store",
                &volume.display().to_string(),
                "--identity-file",
                &identity.display().to_string(),
                "--jenkins-files",
                &files.display().to_string(),
            ],
            &[],
        )
        .await;
        assert_eq!(restored.status.code(), Some(0), "{}", show(&restored));
        for folder in std::fs::read_dir(files.join("jobs"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
        {
            let name = folder.file_name().to_string_lossy().to_ascii_lowercase();
            assert_eq!(
                shard_of(&name, 3),
                index,
                "shard {index} backed up folder {name}"
            );
        }
        let line = texts(&out)
            .0
            .lines()
            .find(|l| l.starts_with("[5-6/6] applied:"))
            .map(str::to_string)
            .expect("applied line");
        created += line
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse::<usize>().ok())
            .expect("N created");
        tree.extend(tree_keys(&pod.join(OUT).join("resources")));
    }
    let snap = h.server.snapshot();
    let missing: Vec<&String> = tree
        .iter()
        .filter(|k| snap.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "not migrated by any shard: {missing:?}");
    assert_eq!(
        created,
        tree.len(),
        "each object is created by exactly one shard"
    );
    let runs = std::fs::read_dir(h.path().join("volume"))
        .expect("volume")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(runs, 3, "one backup per shard on the volume");

    // The progress mirror: one key per project, in the pod's namespace.
    let cm = &snap[format!("configmaps/default/{configmap}").as_str()];
    let keys: BTreeSet<String> = cm["data"]
        .as_object()
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    for project in tree
        .iter()
        .filter_map(|k| k.strip_prefix("devopsprojects.devops.kubesphere.io/"))
    {
        assert!(
            keys.contains(&format!("project.{project}")),
            "no progress for {project} in ConfigMap {configmap}: {keys:?}"
        );
    }
}

/// The pod environment a Job gives its container (the namespace from the downward API).
fn pod_env(job: &Value) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = container(job)["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    env.push(("POD_NAMESPACE".into(), "default".into()));
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_pod_is_retried_and_resumes_without_a_second_backup() {
    let docs = job_documents(&[
        "job",
        "--backup-pvc",
        "backups",
        "--",
        "--sample",
        "--exclude",
        BROKEN_PROJECT,
    ]);
    let job = of_kind(&docs, "Job")[0];
    let h = Harness::start(default_options()).await;
    let mount = container(job)["volumeMounts"][0]["mountPath"]
        .as_str()
        .expect("mount")
        .to_string();
    let volume = h.path().join("volume");
    let mut args: Vec<String> = strings(&container(job)["args"])
        .into_iter()
        .map(|a| {
            if a == mount {
                volume.display().to_string()
            } else {
                a
            }
        })
        .collect();
    args.extend([
        "--kubeconfig".to_string(),
        h.kc(),
        "--namespace-timeout".into(),
        "20s".into(),
    ]);
    let mut env = pod_env(job);

    // Pod 1 takes the backup, writes once, and is killed (SIGKILL) while the API server is down.
    let faults = h.server.faults();
    faults.crash_after_writes(1);
    let pod1 = h.path().join("pod-1");
    std::fs::create_dir_all(&pod1).expect("pod dir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"));
    cmd.arg("--no-progress").args(&args).current_dir(&pod1);
    for var in [
        "KSDM_LOG",
        "KUBECONFIG",
        "KSDM_BACKUP_PASSPHRASE",
        "KUBERNETES_SERVICE_HOST",
        "JOB_COMPLETION_INDEX",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.env("KSDM_TERMINATION_LOG", pod1.join("termination-log"));
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn pod 1");
    let crashed = wait_until(std::time::Duration::from_secs(60), || faults.is_crashed()).await;
    child.kill().expect("kill pod 1");
    let _ = child.wait();
    assert!(crashed, "pod 1 never wrote to the cluster");
    let backups = || {
        std::fs::read_dir(&volume)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(backups(), 1, "pod 1 took its backup before its first write");
    faults.clear_crash();

    // The Job's retry: a new pod (empty disk), same volume, same journal ConfigMap.
    let pod2 = h.path().join("pod-2");
    std::fs::create_dir_all(&pod2).expect("pod dir");
    let termination = pod2.join("termination-log").display().to_string();
    env.push(("KSDM_TERMINATION_LOG".into(), termination.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_in(&pod2, &argv, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = texts(&out).0;
    assert!(stdout.contains("not taken again"), "{stdout}");
    assert_eq!(backups(), 1, "the retry took a second backup");
    assert!(std::fs::read_to_string(&termination)
        .expect("termination message")
        .starts_with("OK: "));
    let snap = h.server.snapshot();
    let tree = tree_keys(&pod2.join(OUT).join("resources"));
    let missing: Vec<&String> = tree
        .iter()
        .filter(|k| snap.get(k.as_str()).is_none())
        .collect();
    assert!(
        !tree.is_empty() && missing.is_empty(),
        "not migrated after the retry: {missing:?}"
    );
}

#[test]
fn job_refuses_bad_forwarded_arguments_and_a_store_on_the_pods_disk() {
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "job",
                "--",
                "--mysql",
                MYSQL,
                "--jenkins-url",
                "http://j/",
                "--no-such-flag",
            ],
            "not valid",
        ),
        (&["job", "--", "--mysql", MYSQL], "not valid"),
        (
            &["job", "--", "--mysql", MYSQL, "--jenkins-url", "http://j/"],
            "--backup-pvc",
        ),
        (
            &[
                "job",
                "--backup-pvc",
                "p",
                "--",
                "--sample",
                "--store",
                "/elsewhere",
            ],
            "not on the --backup-pvc volume",
        ),
    ];
    for (args, why) in cases {
        let o = common::run(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
        assert!(o.stdout.is_empty(), "{args:?} printed manifests");
    }
}

#[test]
fn in_a_job_failed_items_exit_0_with_the_totals_in_the_termination_message() {
    let tmp = tempfile::tempdir().expect("tmp");
    let termination = tmp.path().join("termination-log");
    let out = tmp.path().join("out");
    let store = tmp.path().join("store");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"))
        .args([
            "--no-progress",
            "migrate",
            "--sample",
            "--in-job",
            "--insecure-plaintext-backup",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--store")
        .arg(&store)
        .env("KSDM_TERMINATION_LOG", &termination)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let message = std::fs::read_to_string(&termination).expect("termination message");
    assert!(
        message.starts_with("ITEMS FAILED")
            && message.contains("(exit 4)")
            && message.contains("1 failed"),
        "{message}"
    );
}
