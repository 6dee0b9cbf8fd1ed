//! The real 2.1 → 3.0 upgrade, simulated in the test doubles: a snapshot of the live v2.1
//! estate is taken first; then the "upgrade" writes into the test API server exactly what
//! KubeSphere's own `ks-devops-migration` Job writes for the sample (empty Secrets, lossy
//! Pipeline specs, its RoleBindings, a DevOpsProject even for the soft-deleted project), and the
//! simulated v3.0 pipeline controller rewrites the Jenkins jobs from those lossy specs, as v3.0
//! does. Then `migrate --adopt-installer-migration` must repair it all from the snapshot —
//! Jenkins jobs first, then the specs — back everything up first, delete nothing, and change
//! nothing on a rerun. Without the flag nothing the Job wrote is touched.

mod cluster_support;
mod common;
#[path = "../../source-mysql/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cluster_support::*;
use ksdm_test_apiserver::installer_job::installer_job_objects;
use ksdm_test_jenkins::{DoubleConfig, FaultAction, FaultRule, JenkinsDouble};
use serde_json::Value;

const WORKSPACES: [&str; 2] = ["alpha-workspace", "beta-workspace"];
/// The sample's job that cannot be read (its run exits 4 for it alone).
const CORRUPT_JOB: &str = "broken-job";
/// The sample's soft-deleted project, recreated by the installer's Job.
const DELETED_NS: &str = "project-r2de5tghy8ui";

/// Every `jobs/<folder>/jobs/<job>/config.xml` of a Jenkins home, by `(folder, job)`.
fn job_files(home: &Path) -> BTreeMap<(String, String), Vec<u8>> {
    let mut out = BTreeMap::new();
    for folder in std::fs::read_dir(home.join("jobs")).unwrap() {
        let folder = folder.unwrap();
        let Ok(jobs) = std::fs::read_dir(folder.path().join("jobs")) else {
            continue;
        };
        for job in jobs {
            let job = job.unwrap();
            if let Ok(bytes) = std::fs::read(job.path().join("config.xml")) {
                out.insert(
                    (
                        folder.file_name().to_string_lossy().into_owned(),
                        job.file_name().to_string_lossy().into_owned(),
                    ),
                    bytes,
                );
            }
        }
    }
    out
}

/// A v3.0 cluster right after ks-installer's upgrade: the live Jenkins (served by the double,
/// and read and rewritten by the simulated pipeline controller), a pre-upgrade copy of its home
/// (the snapshot an operator would have), and the installer Job's objects in the API server.
struct Upgraded {
    /// Keeps the homes alive.
    _tmp: tempfile::TempDir,
    live_home: PathBuf,
    snapshot_home: PathBuf,
    double: JenkinsDouble,
    h: Harness,
    /// Keys (snapshot form) of everything the installer's Job wrote.
    installer_keys: Vec<String>,
}

impl Upgraded {
    fn dump(&self) -> PathBuf {
        common::repo().join("sample/devops.sql")
    }
    /// The installer Job's objects as they are in the cluster now.
    fn installer_objects(&self) -> BTreeMap<String, Value> {
        let snap = self.h.server.snapshot();
        self.installer_keys
            .iter()
            .filter_map(|k| snap.get(k).map(|v| (k.clone(), v.clone())))
            .collect()
    }
}

fn snapshot_key(o: &Value) -> String {
    let kind = o["kind"].as_str().unwrap();
    let name = o["metadata"]["name"].as_str().unwrap();
    let ns = o["metadata"]["namespace"].as_str();
    let resource = match kind {
        "DevOpsProject" => "devopsprojects.devops.kubesphere.io",
        "Pipeline" => "pipelines.devops.kubesphere.io",
        "Secret" => "secrets",
        "RoleBinding" => "rolebindings.rbac.authorization.k8s.io",
        other => panic!("unexpected kind {other}"),
    };
    match ns {
        Some(ns) => format!("{resource}/{ns}/{name}"),
        None => format!("{resource}/{name}"),
    }
}

/// The upgrade itself: KubeSphere's migration Job writes its objects for the sample into the
/// API server, and the simulated v3.0 pipeline controller rewrites the jobs whose lossy spec
/// differs from their parse. Returns the Job's objects once the controller has nothing left to do.
async fn run_installer_job(h: &Harness, live_home: &Path) -> Vec<Value> {
    let dump = common::repo().join("sample/devops.sql");
    let mysql = ksdm_source::mysqldump::read_dump_file(&dump)
        .expect("sample dump")
        .data;
    let objects = installer_job_objects(&mysql, live_home, &WORKSPACES);
    let written = h
        .server
        .apply_installer_job(&objects, Duration::from_secs(10))
        .await
        .expect("installer Job objects");
    assert_eq!(written, objects.len(), "every namespace appeared");
    assert!(
        wait_until(Duration::from_secs(10), || h.server.jobs_rewritten() > 0
            && h.server.pipelines_settled())
        .await,
        "the simulated controller rewrote no job"
    );
    objects
}

async fn upgraded() -> Upgraded {
    let tmp = tempfile::tempdir().unwrap();
    let live_home = tmp.path().join("jenkins_home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &live_home);
    let snapshot_home = tmp.path().join("snapshot_home");
    common::copy_dir(&live_home, &snapshot_home);
    let double = JenkinsDouble::start(DoubleConfig::new(&live_home)).expect("Jenkins double");
    std::fs::write(tmp.path().join("token"), format!("{}\n", double.token())).unwrap();
    let opts = default_options()
        .with_workspaces(&WORKSPACES)
        .with_jenkins_home(&live_home)
        .with_job_rewrites();
    let h = Harness::start(opts).await;

    let objects = run_installer_job(&h, &live_home).await;
    let installer_keys = objects.iter().map(snapshot_key).collect();
    Upgraded {
        _tmp: tmp,
        live_home,
        snapshot_home,
        double,
        h,
        installer_keys,
    }
}

/// `<out>/apply.json` of the last cluster run.
fn apply_json(h: &Harness) -> Value {
    serde_json::from_slice(&std::fs::read(h.out().join("apply.json")).expect("apply.json"))
        .expect("apply.json is JSON")
}

/// The export tree's object keys of kind `resource` (e.g. `pipelines.devops.kubesphere.io`).
fn exported(h: &Harness, resource: &str) -> Vec<String> {
    tree_keys(&h.out().join("resources"))
        .into_iter()
        .filter(|k| k.starts_with(resource))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_nothing_the_installer_job_wrote_is_touched() {
    let u = upgraded().await;
    let before = u.installer_objects();
    let jobs_before = job_files(&u.live_home);
    let dump = u.dump();
    let kc = u.h.kc();
    let o =
        u.h.run(&[
            "migrate",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-home",
            u.snapshot_home.to_str().unwrap(),
            "--insecure-plaintext-backup",
            "--kubeconfig",
            &kc,
        ])
        .await;
    // The installer's objects differ from ours: conflicts, left alone (exit 4 = items need a look).
    assert!(matches!(o.status.code(), Some(0) | Some(4)), "{}", show(&o));
    assert_eq!(u.installer_objects(), before, "an installer object changed");
    assert_eq!(
        job_files(&u.live_home),
        jobs_before,
        "a Jenkins job changed"
    );
    let apply: Value = apply_json(&u.h);
    assert!(apply["conflicts"].as_u64().unwrap() > 0, "{apply}");
    assert!(apply.get("adoption").is_none());
    u.double.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopting_without_a_live_jenkins_fills_secrets_and_leaves_pipelines_as_manual_tasks() {
    let u = upgraded().await;
    let jobs_before = job_files(&u.live_home);
    let pipelines_before: BTreeMap<String, Value> = u
        .installer_objects()
        .into_iter()
        .filter(|(k, _)| k.starts_with("pipelines."))
        .collect();
    let dump = u.dump();
    let kc = u.h.kc();
    let o =
        u.h.run(&[
            "migrate",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-home",
            u.snapshot_home.to_str().unwrap(),
            "--insecure-plaintext-backup",
            "--adopt-installer-migration",
            "--developer-role",
            "viewer",
            "--kubeconfig",
            &kc,
        ])
        .await;
    assert!(matches!(o.status.code(), Some(0) | Some(4)), "{}", show(&o));
    let apply: Value = apply_json(&u.h);
    let adoption = &apply["adoption"];
    assert!(adoption["adopted"].as_u64().unwrap() > 0, "{apply}");
    assert_eq!(adoption["jobs_restored"], 0);
    let tasks: Vec<&str> = adoption["manual_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tasks
            .iter()
            .any(|t| t.contains(&format!("kubectl delete devopsproject {DELETED_NS}"))),
        "{tasks:?}"
    );
    let md = std::fs::read_to_string(u.h.out().join("apply.md")).unwrap();
    assert!(
        tasks.iter().any(|t| t.contains("--jenkins-url")),
        "{tasks:?}\n{md}"
    );
    // Secrets got the snapshot's values (non-empty, no autosync); Pipelines and Jenkins untouched.
    for key in exported(&u.h, "secrets/") {
        let s = u.h.server.snapshot()[&key].clone();
        let data = s["data"].as_object().unwrap();
        assert!(
            data.values()
                .any(|v| v.as_str().is_some_and(|v| !v.is_empty())),
            "{key}: {s}"
        );
        assert!(s
            .pointer(&format!(
                "/metadata/annotations/{}",
                AUTOSYNC.replace('/', "~1")
            ))
            .is_none());
    }
    let pipelines_after: BTreeMap<String, Value> = u
        .installer_objects()
        .into_iter()
        .filter(|(k, _)| k.starts_with("pipelines."))
        .collect();
    assert_eq!(pipelines_after, pipelines_before);
    assert_eq!(job_files(&u.live_home), jobs_before);
    // Nothing deleted.
    let deletes =
        u.h.write_requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count();
    assert_eq!(deletes, 0);
    assert!(u
        .h
        .server
        .get_object(
            "devops.kubesphere.io/v1alpha3",
            "DevOpsProject",
            None,
            DELETED_NS
        )
        .is_some());
    u.double.shutdown();
}

/// The runbook of the README's "Upgrade" section, step by step, on the simulated upgrade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_snapshot_then_adopt_repairs_the_installer_jobs_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let live_home = tmp.path().join("jenkins_home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &live_home);
    let snapshot_jobs = job_files(&live_home);
    let double = JenkinsDouble::start(DoubleConfig::new(&live_home)).expect("Jenkins double");
    let token = tmp.path().join("token");
    std::fs::write(&token, format!("{}\n", double.token())).unwrap();
    let pass = tmp.path().join("passphrase");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let dump = common::repo().join("sample/devops.sql");
    let url = double.url();
    let live = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--jenkins-url",
            url.as_str(),
            "--jenkins-user",
            double.user(),
            "--jenkins-token-file",
            token.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let opts = default_options()
        .with_workspaces(&WORKSPACES)
        .with_jenkins_home(&live_home)
        .with_job_rewrites();
    let h = Harness::start(opts).await;
    let store = h.path().join(STORE);
    let run = |args: Vec<String>| {
        let h = &h;
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            h.run(&refs).await
        }
    };

    // 1. Before the upgrade: assess, then the snapshot (live MySQL rows from the dump here, the
    //    live Jenkins with values through the script console).
    let mut snap = vec![
        "backup".to_string(),
        "--mysql-dump".into(),
        dump.display().to_string(),
    ];
    snap.extend(live(&[
        "--jenkins-script-console",
        "--store",
        store.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]));
    let o = run(snap).await;
    assert!(matches!(o.status.code(), Some(0) | Some(4)), "{}", show(&o));
    let runs = backup_runs(h.path());
    assert_eq!(runs.len(), 1, "{runs:?}");
    let snapshot = runs[0].clone();

    // 2. The upgrade: KubeSphere's migration Job, and the v3.0 controller rewriting jobs.
    let objects = run_installer_job(&h, &live_home).await;
    let rewritten = h.server.jobs_rewritten();
    let damaged: Vec<_> = job_files(&live_home)
        .into_iter()
        .filter(|(k, v)| snapshot_jobs.get(k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(damaged.len() as u64, rewritten, "{damaged:?}");
    let installer_keys: Vec<String> = objects.iter().map(snapshot_key).collect();

    // 3. After the upgrade: migrate from the snapshot, adopting the Job's objects.
    let from = |cmd: &str, extra: &[&str]| -> Vec<String> {
        let mut v = vec![
            cmd.to_string(),
            "--from-backup".into(),
            snapshot.clone(),
            "--store".into(),
            store.display().to_string(),
            "--passphrase-file".into(),
            pass.display().to_string(),
            "--kubeconfig".into(),
            h.kc(),
        ];
        v.extend(live(extra));
        v
    };
    // verify sees the damage on both sides before anything is repaired.
    let o = run(from("verify", &[])).await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let (stdout, _) = texts(&o);
    assert!(
        stdout.contains(&format!("{rewritten} different, 0 missing, 0 errors")),
        "{stdout}"
    );
    let o = run(from("plan", &["--adopt-installer-migration"])).await;
    assert!(matches!(o.status.code(), Some(0) | Some(4)), "{}", show(&o));
    assert_eq!(job_files(&live_home).len(), snapshot_jobs.len());
    assert_ne!(
        job_files(&live_home),
        snapshot_jobs,
        "plan wrote to Jenkins"
    );

    let o = run(from("migrate", &["--adopt-installer-migration"])).await;
    // The sample's unreadable job fails alone (exit 4); everything else must be repaired.
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let apply: Value = apply_json(&h);
    let adoption = &apply["adoption"];
    let md = std::fs::read_to_string(h.out().join("apply.md")).unwrap();
    assert_eq!(apply["failed"], 0, "{md}");
    assert_eq!(
        adoption["jobs_restored"].as_u64().unwrap(),
        rewritten,
        "{md}"
    );
    let mut by_kind = BTreeMap::new();
    for o in apply["per_object"].as_array().unwrap() {
        if o["message"].as_str().unwrap().starts_with("adopted") {
            let kind = o["key"]
                .as_str()
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .to_string();
            *by_kind.entry(kind).or_insert(0) += 1;
        }
    }
    eprintln!(
        "sample: the installer's Job wrote {} objects, the controller rewrote {rewritten} jobs {damaged:?}; \
         {} objects adopted {by_kind:?}, {} jobs restored, {} left alone, {} manual tasks",
        objects.len(),
        adoption["adopted"],
        adoption["jobs_restored"],
        adoption["left_alone"],
        adoption["manual_tasks"].as_array().unwrap().len()
    );
    // Jenkins: every job byte-equal to the snapshot (except the one our run could not read,
    // which nobody touched either).
    assert!(wait_until(Duration::from_secs(10), || h.server.pipelines_settled()).await);
    assert_eq!(job_files(&live_home), snapshot_jobs, "{md}");
    assert_eq!(
        h.server.jobs_rewritten(),
        rewritten,
        "the controller rewrote a job again"
    );
    assert_eq!(h.server.controller_restarts(), 0);
    // Every repair was backed up first: the new backup holds the state before.
    let runs = backup_runs(h.path());
    assert_eq!(runs.len(), 2, "{runs:?}");
    let new_run = runs.iter().find(|r| **r != snapshot).unwrap();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(store.join(new_run).join("manifest.json")).unwrap())
            .unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "adopt/before.tar.gz.age"),
        "{manifest}"
    );
    let before = h.out().join("adoption-before");
    for (folder, job) in &damaged {
        let ns = folder.to_ascii_lowercase();
        assert!(
            before
                .join(format!("jenkins/{ns}/{job}/config.xml"))
                .is_file(),
            "{ns}/{job} not backed up"
        );
    }
    // Nothing deleted; the installer's objects all still there.
    assert!(h.write_requests().iter().all(|r| r.method != "DELETE"));
    let snap = h.server.snapshot();
    for k in &installer_keys {
        assert!(snap.get(k).is_some(), "{k} was deleted");
    }
    assert!(
        md.contains(&format!("kubectl delete devopsproject {DELETED_NS}")),
        "{md}"
    );

    // 4. verify from the snapshot: cluster objects equal to a clean migration's, jobs equal.
    let o = run(from("verify", &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let (stdout, _) = texts(&o);
    assert!(stdout.contains("0 different"), "{stdout}");
    assert!(
        stdout.contains("0 different, 0 missing, 0 errors"),
        "{stdout}"
    );

    // 5. A rerun changes nothing.
    let writes_before = h.write_requests().len();
    let o = run(from("migrate", &["--adopt-installer-migration"])).await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let apply: Value = apply_json(&h);
    assert_eq!(
        (apply["created"].as_u64(), apply["updated"].as_u64()),
        (Some(0), Some(0)),
        "{apply}"
    );
    assert_eq!(job_files(&live_home), snapshot_jobs);
    let object_writes = h
        .write_requests()
        .iter()
        .skip(writes_before)
        .filter(|r| !r.path.contains("configmaps"))
        .count();
    assert_eq!(object_writes, 0);
    let _ = CORRUPT_JOB;
    double.shutdown();
}

#[test]
fn repairing_held_back_jobs_needs_the_live_jenkins_as_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ks-devops-migrate"))
        .current_dir(dir.path())
        .args([
            "migrate",
            "--from-backup",
            "20260101T000000Z-00000000",
            "--jenkins-url",
            "http://127.0.0.1:9/",
            "--repair-jenkins-jobs",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--repair-jenkins-jobs"));
}

/// The snapshot without the script console: the key files copied from the Jenkins volume
/// (`--jenkins-key-files`) decrypt the credentials read over REST, go into the backup, and a run
/// from that backup equals a run on the sample's Jenkins home (values included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_with_key_files_from_the_jenkins_volume() {
    let tmp = tempfile::tempdir().unwrap();
    let home = common::repo().join("sample/jenkins_home");
    let double = JenkinsDouble::start(DoubleConfig::new(&home)).expect("Jenkins double");
    let token = tmp.path().join("token");
    std::fs::write(&token, format!("{}\n", double.token())).unwrap();
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let dump = common::repo().join("sample/devops.sql");
    let secrets = home.join("secrets");
    let url = double.url();
    let store = tmp.path().join("store");
    let run = |args: Vec<&str>| {
        std::process::Command::new(common::bin())
            .current_dir(tmp.path())
            .args(args)
            .output()
            .unwrap()
    };
    let live = [
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--jenkins-url",
        &url,
        "--jenkins-user",
        double.user(),
        "--jenkins-token-file",
        token.to_str().unwrap(),
        "--jenkins-key-files",
        secrets.to_str().unwrap(),
    ];
    let mut args = vec!["backup"];
    args.extend(live);
    args.extend([
        "--store",
        store.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    let o = tokio::task::block_in_place(|| run(args));
    assert!(matches!(o.status.code(), Some(0) | Some(4)), "{}", show(&o));
    let runs: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs.len(), 1);
    double.shutdown();

    // Jenkins is gone: the snapshot alone is read.
    let out_backup = tmp.path().join("from-backup");
    let o = tokio::task::block_in_place(|| {
        run(vec![
            "export",
            "--from-backup",
            &runs[0],
            "--store",
            store.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
            "--out",
            out_backup.to_str().unwrap(),
        ])
    });
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let out_home = tmp.path().join("from-home");
    let o = tokio::task::block_in_place(|| {
        run(vec![
            "export",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-home",
            home.to_str().unwrap(),
            "--out",
            out_home.to_str().unwrap(),
        ])
    });
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let (a, b) = (out_backup.join("resources"), out_home.join("resources"));
    let names = common::files(&a);
    assert_eq!(names, common::files(&b));
    assert!(names.iter().any(|n| n.starts_with("secrets")));
    for n in &names {
        assert_eq!(
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
            "{}",
            n.display()
        );
    }

    // A key files folder without the key files is an input error before any request.
    let empty = tmp.path().join("no-keys");
    std::fs::create_dir_all(&empty).unwrap();
    let o = tokio::task::block_in_place(|| {
        run(vec![
            "export",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-url",
            "http://127.0.0.1:9/",
            "--jenkins-key-files",
            empty.to_str().unwrap(),
            "--out",
            tmp.path().join("x").to_str().unwrap(),
        ])
    });
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("master.key"),
        "{}",
        show(&o)
    );
}

/// Jenkins refuses to take back one job's original `config.xml`: that Pipeline fails alone, its
/// spec stays as it was (the order matters), the others are repaired, the exit status says so,
/// and a rerun once Jenkins takes it finishes the repair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_job_restore_fails_that_pipeline_alone_and_a_rerun_finishes() {
    let u = upgraded().await;
    let dir = u.h.path();
    std::fs::write(dir.join("pass"), "correct horse battery staple\n").unwrap();
    std::fs::write(dir.join("token"), format!("{}\n", u.double.token())).unwrap();
    let dump = u.dump();
    let o =
        u.h.run(&[
            "backup",
            "--mysql-dump",
            dump.to_str().unwrap(),
            "--jenkins-home",
            u.snapshot_home.to_str().unwrap(),
            "--passphrase-file",
            "pass",
        ])
        .await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let snapshot = backup_runs(dir).pop().expect("the snapshot");
    let url = u.double.url();
    let kc = u.h.kc();
    let args = [
        "migrate",
        "--from-backup",
        &snapshot,
        "--passphrase-file",
        "pass",
        "--jenkins-url",
        &url,
        "--jenkins-user",
        u.double.user(),
        "--jenkins-token-file",
        "token",
        "--adopt-installer-migration",
        "--kubeconfig",
        &kc,
    ];
    let migrate = || u.h.run(&args);
    let spec_of = |name: &str| {
        u.h.server
            .get_object(
                "devops.kubesphere.io/v1alpha3",
                "Pipeline",
                Some("project-w4znlwjlzgrb"),
                name,
            )
            .unwrap()["spec"]
            .clone()
    };
    let installer_spec = spec_of("build-app");
    let rewritten =
        job_files(&u.live_home)[&("project-W4zNlwJLzgRB".into(), "build-app".into())].clone();
    let rule = u.double.faults().add(
        FaultRule::path_contains("build-app/config.xml", FaultAction::Status(403)).method("POST"),
    );
    let o = migrate().await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    assert!(u.double.faults().fired(rule) >= 1);
    let apply: Value = apply_json(&u.h);
    let failed: Vec<&Value> = apply["per_object"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["key"], "Pipeline/project-w4znlwjlzgrb/build-app");
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("spec not changed"),
        "{failed:?}"
    );
    assert_eq!(spec_of("build-app"), installer_spec);
    let live = job_files(&u.live_home);
    let snap = job_files(&u.snapshot_home);
    let key = |j: &str| ("project-W4zNlwJLzgRB".to_string(), j.to_string());
    assert_eq!(live[&key("build-app")], rewritten);
    assert_eq!(live[&key("api-gateway")], snap[&key("api-gateway")]);

    u.double.faults().remove(rule);
    let o = migrate().await;
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let apply: Value = apply_json(&u.h);
    assert_eq!(apply["failed"], 0, "{apply}");
    assert_eq!(apply["adoption"]["jobs_restored"], 1);
    assert!(wait_until(Duration::from_secs(10), || u.h.server.pipelines_settled()).await);
    assert_eq!(job_files(&u.live_home), snap);
    assert_ne!(spec_of("build-app"), installer_spec);
    u.double.shutdown();
}

/// The README's "Upgrade" runbook block, as commands: `VAR="…"` definitions expanded, comments
/// dropped; `None` marks the upgrade itself (the `# 3.` line).
fn readme_runbook() -> Vec<Option<Vec<String>>> {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Upgrade: the runbook")
        .expect("the runbook section")..];
    let block = &section[section.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut steps = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in block.lines() {
        if let Some((name, mut value)) = open.take() {
            value.push(' ');
            value.push_str(line.trim().trim_end_matches('"'));
            if line.trim_end().ends_with('"') {
                vars.push((name, value));
            } else {
                open = Some((name, value));
            }
            continue;
        }
        let t = line.trim();
        if t.starts_with("# 3.") {
            steps.push(None);
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some((name, rest)) = t.split_once("=\"") {
            let value = rest.trim_end_matches('"').to_string();
            if rest.ends_with('"') {
                vars.push((name.to_string(), value));
            } else {
                open = Some((name.to_string(), value));
            }
            continue;
        }
        let command = t.split("  #").next().unwrap();
        let mut words = Vec::new();
        for w in command.split_whitespace() {
            match w.strip_prefix('$') {
                Some(v) => {
                    let value = &vars.iter().find(|(n, _)| n == v).expect("defined").1;
                    words.extend(value.split_whitespace().map(str::to_string));
                }
                None => words.push(w.to_string()),
            }
        }
        assert_eq!(words.remove(0), "ks-devops-migrate", "{command}");
        steps.push(Some(words));
    }
    steps
}

/// Runs the README's runbook, word for word (in-cluster URLs, file names and placeholders
/// replaced by the test's), on the simulated upgrade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_runbook_commands_work_on_the_simulated_upgrade() {
    let steps = readme_runbook();
    assert!(
        steps.iter().filter(|s| s.is_none()).count() == 1,
        "{steps:?}"
    );
    let db = tokio::task::block_in_place(support::TestDb::with_sample);
    let tmp = tempfile::tempdir().unwrap();
    let live_home = tmp.path().join("jenkins_home");
    common::copy_dir(&common::repo().join("sample/jenkins_home"), &live_home);
    let snapshot_jobs = job_files(&live_home);
    let double = JenkinsDouble::start(DoubleConfig::new(&live_home)).expect("Jenkins double");
    let opts = default_options()
        .with_workspaces(&WORKSPACES)
        .with_jenkins_home(&live_home)
        .with_job_rewrites();
    let h = Harness::start(opts).await;
    std::fs::write(h.path().join("token"), format!("{}\n", double.token())).unwrap();
    std::fs::write(h.path().join("pass"), "correct horse battery staple\n").unwrap();
    let store = h.path().join("snapshots");
    let mut run_id = None;
    for step in steps {
        let Some(words) = step else {
            // 3. The upgrade: KubeSphere's migration Job, then the v3.0 controller.
            run_installer_job(&h, &live_home).await;
            assert_ne!(job_files(&live_home), snapshot_jobs);
            continue;
        };
        let args: Vec<String> = words
            .iter()
            .map(|w| match w.as_str() {
                "mysql://root@mysql.kubesphere-system.svc:3306/devops" => db.url(),
                "http://ks-jenkins.kubesphere-devops-system.svc/" => double.url(),
                "STORE" => store.display().to_string(),
                "K" => h.kc(),
                "RUN" => run_id.clone().expect("RUN before the snapshot was taken"),
                _ => w.clone(),
            })
            .collect();
        // The README relies on the default Jenkins user, admin (the double's too).
        assert_eq!(double.user(), "admin");
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = h.run(&refs).await;
        let code = o.status.code();
        // The sample's unreadable job makes reading runs exit 4; `backup verify` and the final
        // `verify` must be clean.
        let clean =
            matches!(args[0].as_str(), "verify") || args.get(1).is_some_and(|a| a == "verify");
        if clean {
            assert_eq!(code, Some(0), "{args:?}\n{}", show(&o));
        } else {
            assert!(matches!(code, Some(0) | Some(4)), "{args:?}\n{}", show(&o));
        }
        if args[0] == "backup" && run_id.is_none() {
            let runs: Vec<String> = std::fs::read_dir(&store)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(runs.len(), 1, "{runs:?}");
            run_id = Some(runs[0].clone());
        }
    }
    assert_eq!(job_files(&live_home), snapshot_jobs);
    assert!(h.path().join("assess/report.html").is_file());
    let apply: Value = apply_json(&h);
    assert_eq!(apply["adoption"]["jobs_restored"], 2, "{apply}");
    let verify: Value =
        serde_json::from_slice(&std::fs::read(h.out().join("verify.json")).unwrap()).unwrap();
    assert!(!verify["jenkins_jobs"]["jobs"]
        .as_array()
        .unwrap()
        .is_empty());
    double.shutdown();
}
