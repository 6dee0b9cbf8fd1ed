//! Online and offline reads of the same Jenkins home give byte-identical exports: the sample's
//! `jenkins_home` is served by the Jenkins test double (`ksdm-test-jenkins`) and exported once
//! through `--jenkins-url` and once through `--jenkins-home`.

mod common;

use std::path::Path;
use std::process::Output;

use ksdm_test_jenkins::{DoubleConfig, JenkinsDouble};

fn export(
    tmp: &Path,
    name: &str,
    jenkins: &[&str],
    secret_values: &str,
) -> (Output, std::path::PathBuf) {
    let repo = common::repo();
    let dump = repo.join("sample/devops.sql");
    let out = tmp.join(name);
    let mut args = vec![
        "export",
        "--mysql-dump",
        dump.to_str().unwrap(),
        "--secret-values",
        secret_values,
    ];
    args.extend_from_slice(jenkins);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    (common::run(&args), out)
}

fn assert_same_resources(offline: &Path, online: &Path) {
    let (a, b) = (offline.join("resources"), online.join("resources"));
    let files = common::files(&a);
    assert!(!files.is_empty(), "the offline export wrote no resources");
    assert_eq!(files, common::files(&b), "same files");
    for f in &files {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{} differs between the online and the offline export",
            f.display()
        );
    }
}

fn start_double(tmp: &Path) -> (JenkinsDouble, std::path::PathBuf) {
    let home = common::repo().join("sample/jenkins_home");
    let double =
        JenkinsDouble::start(DoubleConfig::new(&home)).expect("start the Jenkins test double");
    let token = tmp.join("jenkins-token");
    std::fs::write(&token, format!("{}\n", double.token())).unwrap();
    (double, token)
}

#[test]
fn online_export_equals_offline_export_with_values_omitted() {
    let tmp = tempfile::tempdir().unwrap();
    let (double, token) = start_double(tmp.path());
    let home = common::repo().join("sample/jenkins_home");
    let url = double.url();

    let (off, off_dir) = export(
        tmp.path(),
        "offline",
        &["--jenkins-home", home.to_str().unwrap()],
        "omit",
    );
    let (on, on_dir) = export(
        tmp.path(),
        "online",
        &[
            "--jenkins-url",
            &url,
            "--jenkins-user",
            double.user(),
            "--jenkins-token-file",
            token.to_str().unwrap(),
        ],
        "omit",
    );
    let stderr = String::from_utf8_lossy(&on.stderr);
    assert_eq!(
        on.status.code(),
        off.status.code(),
        "exit codes differ; online stderr:\n{stderr}"
    );
    assert!(!stderr.contains(double.token()), "the token was printed");
    assert_same_resources(&off_dir, &on_dir);
    assert!(
        double.stats().count("/config.xml") > 0,
        "the online export did not read from Jenkins"
    );
    assert_eq!(
        double.stats().count("/scriptText"),
        0,
        "the script console is opt-in"
    );
}

#[test]
fn script_console_export_equals_offline_decryption() {
    let tmp = tempfile::tempdir().unwrap();
    let (double, token) = start_double(tmp.path());
    let home = common::repo().join("sample/jenkins_home");
    let url = double.url();

    let (off, off_dir) = export(
        tmp.path(),
        "offline",
        &["--jenkins-home", home.to_str().unwrap()],
        "include",
    );
    let (on, on_dir) = export(
        tmp.path(),
        "online",
        &[
            "--jenkins-url",
            &url,
            "--jenkins-user",
            double.user(),
            "--jenkins-token-file",
            token.to_str().unwrap(),
            "--jenkins-script-console",
        ],
        "include",
    );
    let stderr = String::from_utf8_lossy(&on.stderr);
    assert_eq!(
        on.status.code(),
        off.status.code(),
        "exit codes differ; online stderr:\n{stderr}"
    );
    assert_same_resources(&off_dir, &on_dir);
    assert_eq!(double.stats().count("/scriptText"), 1);
}
