//! Hostile conditions of live sources, clusters and backups, through the real binary: wrong
//! passwords and tokens, unreachable hosts, a kubeconfig without rights, and backups with a
//! flipped byte, a missing file, a file swapped in from another run, a raised scrypt cost and a
//! truncated manifest. Each ends with a clear message and the documented exit status.

mod cluster_support;
mod common;

use std::process::Output;

use cluster_support::*;
use ksdm_test_apiserver::AccessDenial;
use ksdm_test_jenkins::{DoubleConfig, JenkinsDouble};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample(rel: &str) -> String {
    common::repo()
        .join("sample")
        .join(rel)
        .display()
        .to_string()
}

/// `export` with `args` (plus an output folder in `dir`).
fn export(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = dir.join("out").display().to_string();
    let mut cmd = std::process::Command::new(common::bin());
    cmd.arg("--no-progress")
        .arg("export")
        .args(args)
        .args(["--out", &out])
        .env_remove("KSDM_LOG");
    cmd.env_remove("MYSQL_PWD").env_remove("JENKINS_API_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run binary")
}

#[test]
fn wrong_mysql_password_and_unreachable_mysql_exit_3_naming_the_server() {
    let tmp = tempfile::tempdir().expect("tmp");
    let home = sample("jenkins_home");
    let o = export(
        tmp.path(),
        &[
            "--mysql",
            "mysql://root@127.0.0.1:3306/devops",
            "--jenkins-home",
            &home,
        ],
        &[("MYSQL_PWD", "not-the-password-4711")],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("127.0.0.1:3306") && err.to_lowercase().contains("access denied"),
        "{err}"
    );
    assert!(
        !err.contains("not-the-password-4711"),
        "the password is never shown: {err}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let url = format!("mysql://root@{closed}/devops");
    let o = export(tmp.path(), &["--mysql", &url, "--jenkins-home", &home], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains(&closed.to_string()), "{}", stderr(&o));
}

#[test]
fn wrong_jenkins_token_and_unreachable_jenkins_are_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let double = JenkinsDouble::start(DoubleConfig::new(
        common::repo().join("sample/jenkins_home"),
    ))
    .expect("double");
    let dump = sample("devops.sql");
    let url = double.url();
    let o = export(
        tmp.path(),
        &[
            "--mysql-dump",
            &dump,
            "--jenkins-url",
            &url,
            "--jenkins-user",
            "admin",
        ],
        &[("JENKINS_API_TOKEN", "wrong-token-0815")],
    );
    let text = format!(
        "{}{}",
        stderr(&o),
        std::fs::read_to_string(tmp.path().join("out/report.json")).unwrap_or_default()
    );
    // A rejected login is an unusable input, found before any work (exit 3).
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(
        text.contains("401") && text.contains("check the user name and the API token"),
        "{text}"
    );
    assert!(
        !text.contains("wrong-token-0815"),
        "the token is never shown"
    );
    double.shutdown();

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let url = format!("http://{closed}/");
    let o = export(
        tmp.path(),
        &[
            "--mysql-dump",
            &dump,
            "--jenkins-url",
            &url,
            "--jenkins-user",
            "admin",
        ],
        &[("JENKINS_API_TOKEN", "t")],
    );
    let text = format!(
        "{}{}",
        stderr(&o),
        std::fs::read_to_string(tmp.path().join("out/report.json")).unwrap_or_default()
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "unreachable Jenkins is an unusable input: {text}"
    );
    assert!(
        text.contains(&closed.to_string()) && text.contains("connection failed"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_cluster_garbage_kubeconfig_and_missing_rights_stop_before_any_write() {
    let h = Harness::start(default_options()).await;
    // A kubeconfig whose server is a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let dead = h
        .server
        .kubeconfig_yaml()
        .replace(&h.server.url(), &format!("http://{closed}"));
    std::fs::write(h.path().join("dead.yaml"), dead).expect("write");
    let o = h
        .run(&[
            "migrate",
            "--sample",
            "--kubeconfig",
            "dead.yaml",
            "--namespace-timeout",
            "5s",
        ])
        .await;
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(
        texts(&o).1.contains("dead.yaml") && texts(&o).1.contains("not reachable"),
        "{}",
        show(&o)
    );

    // `verify` (read-only) stops the same way, before reading the estate.
    let o = h
        .run(&["verify", "--sample", "--kubeconfig", "dead.yaml"])
        .await;
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(
        texts(&o).1.contains("dead.yaml") && texts(&o).1.contains("not reachable"),
        "{}",
        show(&o)
    );

    std::fs::write(h.path().join("garbage.yaml"), "this: [is not a kubeconfig").expect("write");
    let o = h
        .run(&["migrate", "--sample", "--kubeconfig", "garbage.yaml"])
        .await;
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(texts(&o).1.contains("garbage.yaml"), "{}", show(&o));

    // A kubeconfig whose user may not create Secrets: preflight names the missing right.
    h.server
        .set_access_denials(vec![AccessDenial::verb_on("create", "secrets")]);
    let o = h
        .run(&[
            "migrate",
            "--sample",
            "--kubeconfig",
            &h.kc(),
            "--namespace-timeout",
            "5s",
        ])
        .await;
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(
        texts(&o).1.contains("secrets") || texts(&o).0.contains("secrets"),
        "{}",
        show(&o)
    );
    assert!(
        h.write_requests().is_empty(),
        "nothing written: {:?}",
        h.write_requests()
    );
}

/// A way to damage a backup folder.
type Damage<'a> = Box<dyn Fn(&std::path::Path) + 'a>;

async fn verify(h: &Harness, run: &str) -> Output {
    h.run(&["backup", "verify", run, "--passphrase-file", "pass.txt"])
        .await
}

async fn restore(h: &Harness, run: &str) -> Output {
    h.run(&[
        "restore",
        run,
        "--passphrase-file",
        "pass.txt",
        "--to-dir",
        "restored",
    ])
    .await
}

/// A backup of the sample with a passphrase; returns (harness, run id).
async fn backed_up(pass: &str) -> (Harness, String) {
    let h = Harness::start(default_options()).await;
    std::fs::write(h.path().join("pass.txt"), pass).expect("pass");
    let b = h
        .run(&["backup", "--sample", "--passphrase-file", "pass.txt"])
        .await;
    assert_eq!(b.status.code(), Some(4), "{}", show(&b));
    let run = h.only_run();
    (h, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_backups_are_named_and_never_restored() {
    const PART: &str = "export/resources.tar.gz.age";
    let (h, run) = backed_up("correct horse\n").await;
    let dir = h.path().join(STORE).join(&run);
    let ok = verify(&h, &run).await;
    assert_eq!(ok.status.code(), Some(0), "{}", show(&ok));
    let original = std::fs::read(dir.join(PART)).expect("part");

    // A second run's file swapped in: same name, valid age file, wrong content.
    std::fs::write(h.path().join("pass.txt"), "correct horse\n").expect("pass");
    let b = h
        .run(&[
            "backup",
            "--sample",
            "--passphrase-file",
            "pass.txt",
            "--only",
            "id:project-qJ8xY2mR5kLp",
        ])
        .await;
    assert_eq!(b.status.code(), Some(0), "{}", show(&b));
    let other = backup_runs(h.path())
        .into_iter()
        .find(|r| *r != run)
        .expect("second run");
    std::fs::copy(h.path().join(STORE).join(&other).join(PART), dir.join(PART)).expect("swap");
    let cases: Vec<(&str, Damage)> = vec![
        ("swapped from another run", Box::new(|_| {})),
        (
            "flipped byte",
            Box::new(|d: &std::path::Path| {
                let mut bytes = original.clone();
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0x01;
                std::fs::write(d.join(PART), bytes).expect("flip");
            }),
        ),
        (
            "missing file",
            Box::new(|d: &std::path::Path| std::fs::remove_file(d.join(PART)).expect("remove")),
        ),
    ];
    for (what, damage) in cases {
        damage(&dir);
        let v = verify(&h, &run).await;
        assert_eq!(v.status.code(), Some(4), "{what}: {}", show(&v));
        assert!(
            show(&v).contains(PART),
            "{what}: the file is named\n{}",
            show(&v)
        );
        let r = restore(&h, &run).await;
        assert_eq!(r.status.code(), Some(3), "{what}: {}", show(&r));
        assert!(
            !h.path().join("restored/resources").exists(),
            "{what}: nothing restored halfway"
        );
        std::fs::write(dir.join(PART), &original).expect("repair");
    }
    assert_eq!(verify(&h, &run).await.status.code(), Some(0));

    // Wrong passphrase.
    std::fs::write(h.path().join("wrong.txt"), "battery staple\n").expect("wrong");
    let r = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            "wrong.txt",
            "--to-dir",
            "restored",
        ])
        .await;
    assert_eq!(r.status.code(), Some(3), "{}", show(&r));
    assert!(show(&r).contains("wrong passphrase"), "{}", show(&r));

    // Truncated manifest.
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    std::fs::write(dir.join("manifest.json"), &manifest[..manifest.len() / 2]).expect("cut");
    let v = verify(&h, &run).await;
    assert_eq!(v.status.code(), Some(4), "{}", show(&v));
    assert!(show(&v).contains("manifest"), "{}", show(&v));
    let r = restore(&h, &run).await;
    assert_eq!(r.status.code(), Some(3), "{}", show(&r));
    assert!(!h.path().join("restored/resources").exists());
}
