//! The run contract through the binary: a live Jenkins through export, backup and migrate
//! (read once; the backup holds exactly the converted files), failures kept where they happen
//! (wrong token, a forbidden folder, a 500 on one job, an unreadable offline job, an empty
//! selection), and the exit-code table, one case per code.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ksdm_test_jenkins::{DoubleConfig, FaultAction, FaultRule, JenkinsDouble};
use serde_json::Value;

/// The sample project used for the fault cases (3 pipelines, 4 credentials, 2 memberships).
const CLEAN: &str = "project-qJ8xY2mR5kLp";
/// Another sample project that must stay unaffected.
const OTHER: &str = "project-B6BZVN3mOPvx";

fn sample() -> PathBuf {
    common::repo().join("sample")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Online {
    double: JenkinsDouble,
    token: PathBuf,
}

impl Online {
    fn start(tmp: &Path) -> Online {
        let double = JenkinsDouble::start(DoubleConfig::new(sample().join("jenkins_home")))
            .expect("start Jenkins double");
        let token = tmp.join("jenkins-token");
        std::fs::write(&token, format!("{}\n", double.token())).unwrap();
        Online { double, token }
    }

    fn args(&self) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--mysql-dump".into(),
            sample().join("devops.sql").display().to_string(),
        ];
        v.extend([
            "--jenkins-url".into(),
            self.double.url(),
            "--jenkins-user".into(),
            self.double.user().into(),
        ]);
        v.extend([
            "--jenkins-token-file".into(),
            self.token.display().to_string(),
        ]);
        v
    }
}

fn run(args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    common::run(&a)
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
        .expect("json")
}

fn items<'a>(r: &'a Value, project: &str) -> Vec<&'a Value> {
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["project"] == project)
        .collect()
}

fn find<'a>(r: &'a Value, project: &str, kind: &str, id: &str) -> &'a Value {
    items(r, project)
        .into_iter()
        .find(|i| i["kind"] == kind && i["id"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} in {project}: {:#}", r["items"]))
}

fn codes(i: &Value) -> Vec<String> {
    i["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

/// The Jenkins files a reader of `home` converts: top-level item and job `config.xml` files.
fn converted_files(home: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(home.join("jobs")).unwrap() {
        let item = item.unwrap().file_name().to_string_lossy().into_owned();
        if home.join("jobs").join(&item).join("config.xml").is_file() {
            out.push(format!("jobs/{item}/config.xml"));
        }
        if let Ok(jobs) = std::fs::read_dir(home.join("jobs").join(&item).join("jobs")) {
            for j in jobs {
                let j = j.unwrap().file_name().to_string_lossy().into_owned();
                if home
                    .join("jobs")
                    .join(&item)
                    .join("jobs")
                    .join(&j)
                    .join("config.xml")
                    .is_file()
                {
                    out.push(format!("jobs/{item}/jobs/{j}/config.xml"));
                }
            }
        }
    }
    out.sort();
    out
}

fn backup_run(store: &Path) -> String {
    let runs: Vec<String> = std::fs::read_dir(store)
        .expect("store")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

fn online_backup_restores_the_converted_files(script_console: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let online = Online::start(tmp.path());
    let (store, out) = (tmp.path().join("store"), tmp.path().join("out"));
    let mut args = vec!["backup".to_string()];
    args.extend(online.args());
    args.extend([
        "--store".into(),
        s(&store).into(),
        "--out".into(),
        s(&out).into(),
        "--insecure-plaintext-backup".into(),
    ]);
    if script_console {
        args.push("--jenkins-script-console".into());
    }
    let o = run(&args);
    // The sample holds a corrupt job on purpose: items failed, the backup was still taken.
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let reads = online.double.stats().count("/config.xml");

    let run_id = backup_run(&store);
    let files = tmp.path().join("jenkins-files");
    let r = common::run(&[
        "restore",
        &run_id,
        "--store",
        s(&store),
        "--jenkins-files",
        s(&files),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", show(&r));
    let home = sample().join("jenkins_home");
    let want = converted_files(&home);
    let got: Vec<String> = common::files(&files)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        got, want,
        "the backup holds exactly the Jenkins files that were read and converted"
    );
    for f in &want {
        assert!(
            std::fs::read(files.join(f)).unwrap() == std::fs::read(home.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // Read once: one request per file, none again for the backup.
    assert_eq!(reads, want.len(), "config.xml requests");

    // migrate with the same flags completes its backup step too.
    let mut args = vec!["migrate".to_string()];
    args.extend(online.args());
    let (store2, out2) = (tmp.path().join("store2"), tmp.path().join("out2"));
    args.extend([
        "--store".into(),
        s(&store2).into(),
        "--out".into(),
        s(&out2).into(),
        "--insecure-plaintext-backup".into(),
    ]);
    if script_console {
        args.push("--jenkins-script-console".into());
    }
    let m = run(&args);
    assert_eq!(m.status.code(), Some(4), "{}", show(&m));
    assert!(
        String::from_utf8_lossy(&m.stdout).contains("[4/6] backup"),
        "{}",
        show(&m)
    );
    backup_run(&store2);
}

#[test]
fn online_backup_and_migrate_complete_and_back_up_what_was_converted() {
    online_backup_restores_the_converted_files(false);
}

#[test]
fn online_backup_and_migrate_with_script_console_values_complete() {
    online_backup_restores_the_converted_files(true);
}

#[test]
fn a_wrong_api_token_is_an_input_error_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let online = Online::start(tmp.path());
    std::fs::write(&online.token, "not-the-token\n").unwrap();
    let out = tmp.path().join("out");
    let mut args = vec!["export".to_string()];
    args.extend(online.args());
    args.extend(["--out".into(), s(&out).into()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        !out.join("report.json").exists(),
        "a report was written for a run that could not log in"
    );
    assert_eq!(online.double.stats().count("/config.xml"), 0);
}

#[test]
fn a_forbidden_folder_config_fails_its_project_and_lists_its_credentials_as_manual_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let online = Online::start(tmp.path());
    online.double.faults().add(FaultRule::path_contains(
        &format!("/job/{CLEAN}/config.xml"),
        FaultAction::Status(403),
    ));
    let out = tmp.path().join("out");
    let mut args = vec!["export".to_string()];
    args.extend(online.args());
    args.extend([
        "--out".into(),
        s(&out).into(),
        "--exclude".into(),
        "id:project-W4zNlwJLzgRB".into(),
    ]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let r = report(&out);
    let p = find(&r, CLEAN, "project", CLEAN);
    assert_eq!(p["outcome"], "Failed", "{p:#}");
    assert!(
        codes(p).contains(&"project.jenkins-folder-unreadable".into()),
        "{p:#}"
    );
    assert!(p.to_string().contains("403"), "{p:#}");
    let of_project = items(&r, CLEAN);
    for i in &of_project {
        let c = codes(i);
        assert!(
            !c.contains(&"credential.missing-in-jenkins".into())
                && !c.contains(&"project.no-jenkins-folder".into()),
            "{i:#}"
        );
    }
    for id in [
        "db-password",
        "github-a1b2c3",
        "staging-kubeconfig",
        "bitbucket-carol-9f8e7d",
    ] {
        let c = find(&r, CLEAN, "credential", id);
        assert_eq!(c["outcome"], "Failed", "{c:#}");
        assert!(
            codes(c).contains(&"credential.listed-without-values".into()),
            "{c:#}"
        );
    }
    for id in ["carol/owner", "dave/developer"] {
        assert_eq!(find(&r, CLEAN, "membership", id)["outcome"], "Failed");
    }
    let tasks = r["manual_tasks"].to_string();
    assert!(tasks.contains("db-password"), "{tasks}");
    assert!(!out
        .join("resources/devopsprojects.devops.kubesphere.io/cluster")
        .join(CLEAN.to_lowercase() + ".yaml")
        .exists());
    // The other projects are untouched.
    assert_eq!(find(&r, OTHER, "project", OTHER)["outcome"], "Successful");
    assert_eq!(
        find(&r, OTHER, "pipeline", "deploy-prod")["outcome"],
        "Successful"
    );
}

#[test]
fn a_500_on_one_job_fails_that_pipeline_only() {
    let tmp = tempfile::tempdir().unwrap();
    let online = Online::start(tmp.path());
    online.double.faults().add(FaultRule::path_contains(
        &format!("/job/{CLEAN}/job/db-migrate/config.xml"),
        FaultAction::Status(500),
    ));
    let out = tmp.path().join("out");
    let mut args = vec!["export".to_string()];
    args.extend(online.args());
    args.extend(["--out".into(), s(&out).into()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let r = report(&out);
    let job = find(&r, CLEAN, "pipeline", "db-migrate");
    assert_eq!(job["outcome"], "Failed", "{job:#}");
    assert!(
        codes(job).contains(&"pipeline.config-unreadable".into())
            && job.to_string().contains("500"),
        "{job:#}"
    );
    assert_eq!(find(&r, CLEAN, "project", CLEAN)["outcome"], "Successful");
    assert_eq!(
        find(&r, CLEAN, "pipeline", "payments-bb")["outcome"],
        "Successful"
    );
    // Online without key files: values omitted (a manual task), but not failed.
    assert_eq!(
        find(&r, CLEAN, "credential", "db-password")["outcome"],
        "Partially successful"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn an_unreadable_offline_job_fails_that_pipeline_only() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    copy_dir(&sample().join("jenkins_home"), &home);
    // A config.xml that cannot be read (a folder in its place: unreadable even for root).
    let config = home.join(format!("jobs/{CLEAN}/jobs/db-migrate/config.xml"));
    std::fs::remove_file(&config).unwrap();
    std::fs::create_dir(&config).unwrap();
    let out = tmp.path().join("out");
    let dump = sample().join("devops.sql");
    let o = common::run(&[
        "export",
        "--mysql-dump",
        s(&dump),
        "--jenkins-home",
        s(&home),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let r = report(&out);
    let job = find(&r, CLEAN, "pipeline", "db-migrate");
    assert_eq!(job["outcome"], "Failed", "{job:#}");
    assert!(
        codes(job).contains(&"pipeline.config-unreadable".into()),
        "{job:#}"
    );
    assert_eq!(find(&r, CLEAN, "project", CLEAN)["outcome"], "Successful");
    assert_eq!(
        find(&r, CLEAN, "pipeline", "orders-github")["outcome"],
        "Partially successful"
    );
    assert_eq!(
        find(&r, CLEAN, "credential", "db-password")["outcome"],
        "Successful"
    );
    assert!(out
        .join(format!(
            "resources/pipelines.devops.kubesphere.io/namespaces/{}/payments-bb.yaml",
            CLEAN.to_lowercase()
        ))
        .is_file());
}

#[test]
fn nothing_selected_or_nothing_to_migrate_exits_3_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = common::run(&[
        "export",
        "--sample",
        "--only",
        "name:does-not-exist",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nothing to migrate"),
        "{}",
        show(&o)
    );
    assert!(!out.join("report.json").exists());

    let sql = std::fs::read_to_string(sample().join("devops.sql")).unwrap();
    let start = sql
        .find("INSERT INTO `project` VALUES")
        .expect("project insert");
    let end = sql
        .find("/*!40000 ALTER TABLE `project` ENABLE KEYS")
        .expect("end of project rows");
    let dump = tmp.path().join("empty.sql");
    std::fs::write(&dump, format!("{}{}", &sql[..start], &sql[end..])).unwrap();
    let home = sample().join("jenkins_home");
    let o = common::run(&[
        "export",
        "--mysql-dump",
        s(&dump),
        "--jenkins-home",
        s(&home),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no active project"),
        "{}",
        show(&o)
    );
}

/// A kubeconfig naming an API server that does not answer.
fn dead_kubeconfig(dir: &Path) -> PathBuf {
    let kc = dir.join("dead-kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: x}}]\n",
    )
    .unwrap();
    kc
}

#[test]
fn exit_codes_one_case_per_code() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = |n: &str| t.join(n).display().to_string();

    // 0: nothing failed.
    let o = common::run(&[
        "export",
        "--sample",
        "--exclude",
        "id:project-W4zNlwJLzgRB",
        "--out",
        &out("ok"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    // 1: unexpected (the output folder is a file).
    std::fs::write(t.join("a-file"), "x").unwrap();
    let o = common::run(&["export", "--sample", "--out", &out("a-file")]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));

    // 2: usage — unknown flag, bad TLS mode, shard index out of range; all before any I/O.
    let o = common::run(&["export", "--sample", "--no-such-flag", "--out", &out("u")]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let o = common::run(&[
        "export",
        "--mysql",
        "mysql://root@127.0.0.1:1/devops",
        "--mysql-tls",
        "sometimes",
        "--jenkins-home",
        s(&sample().join("jenkins_home")),
        "--out",
        &out("u"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let o = common::run(&[
        "migrate",
        "--sample",
        "--shards",
        "2",
        "--shard-index",
        "2",
        "--out",
        &out("u"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));

    let o = common::run(&[
        "migrate",
        "--sample",
        "--kubeconfig",
        &out("no-such-kubeconfig"),
        "--out",
        &out("u"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let (dump, home) = (sample().join("devops.sql"), sample().join("jenkins_home"));
    let o = common::run(&[
        "migrate",
        "--mysql-dump",
        s(&dump),
        "--jenkins-home",
        s(&home),
        "--out",
        &out("u"),
    ]);
    assert_eq!(o.status.code(), Some(2), "no backup key\n{}", show(&o));
    assert!(
        !t.join("u/report.json").exists(),
        "read before the plan was checked"
    );

    // 3: an input unusable; the cause is printed once.
    let missing = t.join("missing.sql");
    let o = common::run(&[
        "export",
        "--mysql-dump",
        s(&missing),
        "--jenkins-home",
        s(&sample().join("jenkins_home")),
        "--out",
        &out("i"),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "cause printed once:\n{stderr}"
    );

    // 4: items failed (the sample's corrupt job).
    let o = common::run(&["export", "--sample", "--out", &out("f")]);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));

    // 5: the cluster is unreachable — found before the estate is read (no report, no backup).
    let kc = dead_kubeconfig(t);
    let o = common::run(&[
        "migrate",
        "--sample",
        "--kubeconfig",
        s(&kc),
        "--out",
        &out("c"),
        "--store",
        &out("c-store"),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(
        !t.join("c/report.json").exists(),
        "the estate was read before the cluster preflight"
    );
    assert!(
        !t.join("c-store")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()),
        "a backup was taken"
    );
    // 5: restore into a cluster that is not reachable.
    let o = common::run(&[
        "backup",
        "--sample",
        "--store",
        &out("r-store"),
        "--out",
        &out("r"),
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let run_id = backup_run(&t.join("r-store"));
    let identity = out("r/backup-identity.txt");
    let o = common::run(&[
        "restore",
        &run_id,
        "--store",
        &out("r-store"),
        "--identity-file",
        &identity,
        "--kubeconfig",
        s(&kc),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    // 5: the backup store cannot be written (a standalone backup too).
    let o = common::run(&[
        "backup",
        "--sample",
        "--store",
        &format!("{}/sub", out("a-file")),
        "--out",
        &out("b"),
    ]);
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(
        !t.join("b/report.json").exists(),
        "the estate was read before the store check"
    );
}
