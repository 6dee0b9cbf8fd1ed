//! Tests of the JENKINS_HOME reader on directories and tar / tar.gz archives.

use std::path::{Path, PathBuf};

use ksdm_model::v21::JenkinsFolder;
use ksdm_source::jenkins_home::{HomeError, JenkinsHome};

const FOLDER_XML: &[u8] =
    b"<?xml version='1.1' encoding='UTF-8'?><com.cloudbees.hudson.plugins.folder.Folder/>";

/// The files of a small home: (relative path, content).
fn home_files() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = vec![
        ("config.xml".into(), b"<hudson/>".to_vec()),
        ("secrets/master.key".into(), b"abcdef0123\n".to_vec()),
        (
            "secrets/hudson.util.Secret".into(),
            vec![0u8, 1, 2, 255, 254],
        ),
        ("secrets/other.key".into(), b"x".to_vec()),
        (
            "jobs/init-job/config.xml".into(),
            b"<flow-definition/>".to_vec(),
        ),
        (
            "jobs/init-job/builds/1/build.xml".into(),
            b"<build/>".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/config.xml".into(),
            FOLDER_XML.to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/Build_App/config.xml".into(),
            b"<flow-definition>a</flow-definition>".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/Build_App/builds/7/log".into(),
            vec![b'L'; 70_000],
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/Build_App/nextBuildNumber".into(),
            b"8".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/mb/config.xml".into(),
            b"<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject/>".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/mb/branches/master/config.xml".into(),
            b"<branch/>".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/mb/indexing/indexing.xml".into(),
            b"<i/>".to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/nested/config.xml".into(),
            FOLDER_XML.to_vec(),
        ),
        (
            "jobs/project-W4zNlwJLzgRB/jobs/nested/jobs/deep/config.xml".into(),
            b"<flow-definition/>".to_vec(),
        ),
        (
            "jobs/project-B6BZVN3mOPvx/config.xml".into(),
            FOLDER_XML.to_vec(),
        ),
        (
            "jobs/project-B6BZVN3mOPvx/jobs/ünïcode-Job/config.xml".into(),
            b"<flow-definition>u</flow-definition>".to_vec(),
        ),
        (
            "jobs/project-B6BZVN3mOPvx/jobs/no-config/builds/1/log".into(),
            b"l".to_vec(),
        ),
        ("jobs/empty-folder/.keep".into(), Vec::new()),
        (
            "config-history/jobs/x/2020-01-01_00-00-00/config.xml".into(),
            b"<old/>".to_vec(),
        ),
        (
            "workspace/project-W4zNlwJLzgRB/Build_App/file".into(),
            b"w".to_vec(),
        ),
    ];
    v.sort();
    v
}

fn write_dir(root: &Path, files: &[(String, Vec<u8>)]) {
    for (rel, bytes) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
    }
}

/// Builds a tar of `files` under `prefix` in the given order, with directory entries first
/// when `dirs` is set.
fn tar_bytes(prefix: &str, files: &[(String, Vec<u8>)], dirs: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut seen_dirs = std::collections::BTreeSet::new();
    for (rel, bytes) in files {
        if dirs {
            let parts: Vec<&str> = rel.split('/').collect();
            for i in 1..parts.len() {
                let d = format!("{prefix}{}/", parts[..i].join("/"));
                if seen_dirs.insert(d.clone()) {
                    let mut h = tar::Header::new_gnu();
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(0o755);
                    h.set_cksum();
                    b.append_data(&mut h, &d, std::io::empty()).expect("dir");
                }
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, format!("{prefix}{rel}"), &bytes[..])
            .expect("file");
    }
    b.into_inner().expect("tar")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, bytes).expect("gz");
    e.finish().expect("gz")
}

fn collect(home: &JenkinsHome) -> Vec<JenkinsFolder> {
    let mut v: Vec<JenkinsFolder> = home
        .folders()
        .expect("folders")
        .map(|f| f.expect("folder"))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn check_home(home: &JenkinsHome) {
    let keys = home.keys().expect("keys");
    assert_eq!(keys.master_key.as_deref(), Some(&b"abcdef0123\n"[..]));
    assert_eq!(
        keys.hudson_util_secret.as_deref(),
        Some(&[0u8, 1, 2, 255, 254][..])
    );
    assert_eq!(
        home.folder_names().expect("names"),
        vec![
            "empty-folder",
            "init-job",
            "project-B6BZVN3mOPvx",
            "project-W4zNlwJLzgRB"
        ]
    );
    let folders = collect(home);
    assert_eq!(folders.len(), 4);
    let empty = &folders[0];
    assert_eq!(empty.name, "empty-folder");
    assert!(empty.config_xml.is_none() && empty.jobs.is_empty());
    let init = &folders[1];
    assert_eq!(init.config_xml.as_deref(), Some(&b"<flow-definition/>"[..]));
    assert!(init.jobs.is_empty(), "builds/ are not child jobs");
    let b = &folders[2];
    assert_eq!(
        b.jobs.len(),
        1,
        "a child dir without config.xml is not an item"
    );
    assert_eq!(b.jobs[0].0, "ünïcode-Job");
    let w = &folders[3];
    assert_eq!(w.config_xml.as_deref(), Some(FOLDER_XML));
    let names: Vec<&str> = w.jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["Build_App", "mb", "nested"],
        "branches/ and nested children are not read"
    );
    assert_eq!(w.jobs[0].1, b"<flow-definition>a</flow-definition>");
    assert_eq!(
        w.jobs[2].1, FOLDER_XML,
        "a nested folder is yielded with its config"
    );

    assert_eq!(
        home.read_file("config.xml").expect("read"),
        Some(b"<hudson/>".to_vec())
    );
    assert_eq!(
        home.read_file("./jobs/init-job/config.xml").expect("read"),
        Some(b"<flow-definition/>".to_vec())
    );
    assert_eq!(home.read_file("nope.xml").expect("read"), None);
    assert!(matches!(
        home.read_file("../etc/passwd"),
        Err(HomeError::InvalidPath { .. })
    ));
    assert!(matches!(
        home.read_file("/etc/passwd"),
        Err(HomeError::InvalidPath { .. })
    ));
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn directory_home() {
    let tmp = tempfile::tempdir().expect("tmp");
    write_dir(tmp.path(), &home_files());
    check_home(&JenkinsHome::open(tmp.path()).expect("open"));
}

#[test]
fn plain_tar_without_prefix() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = write_file(tmp.path(), "home.tar", &tar_bytes("", &home_files(), true));
    check_home(&JenkinsHome::open(&p).expect("open"));
}

#[test]
fn tar_gz_with_dot_slash_prefix() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = write_file(
        tmp.path(),
        "home.tar.gz",
        &gzip(&tar_bytes("./", &home_files(), true)),
    );
    check_home(&JenkinsHome::open(&p).expect("open"));
}

#[test]
fn tgz_with_jenkins_home_prefix_and_odd_extension() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bytes = gzip(&tar_bytes("jenkins_home/", &home_files(), false));
    let p = write_file(tmp.path(), "backup.tgz", &bytes);
    check_home(&JenkinsHome::open(&p).expect("open"));
    // gzip is recognised by its magic bytes, whatever the extension.
    let p = write_file(tmp.path(), "backup.bin", &bytes);
    check_home(&JenkinsHome::open(&p).expect("open"));
}

#[test]
fn non_contiguous_archive_is_merged() {
    // Like `tar czf x jobs/*/config.xml jobs/*/jobs/*/config.xml secrets/*`: folder configs
    // first, then all child configs, keys last.
    let mut files = home_files();
    files.sort_by_key(|(p, _)| (p.matches('/').count(), p.clone()));
    let tmp = tempfile::tempdir().expect("tmp");
    let p = write_file(
        tmp.path(),
        "list.tar.gz",
        &gzip(&tar_bytes("var/jenkins_home/", &files, false)),
    );
    check_home(&JenkinsHome::open(&p).expect("open"));
}

#[test]
fn corrupt_gzip_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut bytes = gzip(&tar_bytes("", &home_files(), true));
    let n = bytes.len();
    for b in &mut bytes[20..n - 8] {
        *b ^= 0x5a;
    }
    let p = write_file(tmp.path(), "bad.tar.gz", &bytes);
    let err = JenkinsHome::open(&p).expect_err("corrupt gzip");
    let msg = err.to_string();
    assert!(msg.contains("bad.tar.gz"), "{msg}");
    assert!(matches!(err, HomeError::Archive { .. }), "{err:?}");
}

#[test]
fn truncated_tar_gives_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().expect("tmp");
    let full = tar_bytes("", &home_files(), true);
    // Cut inside the data of the big build log: later entries are missing.
    let log_at = full
        .windows(64)
        .position(|w| w.iter().all(|b| *b == b'L'))
        .expect("log");
    let cut = log_at + 30_000;
    let p = write_file(tmp.path(), "cut.tar", &full[..cut]);
    let home = JenkinsHome::open(&p).expect("the head is fine");
    let results: Vec<_> = home.folders().expect("folders").collect();
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "truncation must show as an error: {results:?}"
    );
    assert!(errors[0].contains("cut.tar"), "{}", errors[0]);

    let gz = write_file(tmp.path(), "cut.tar.gz", &gzip(&full)[..1500]);
    match JenkinsHome::open(&gz) {
        Err(e) => assert!(e.to_string().contains("cut.tar.gz"), "{e}"),
        Ok(home) => {
            let any_err = home.keys().is_err()
                || home.folders().map_or(true, |mut it| it.any(|r| r.is_err()));
            assert!(any_err, "a truncated gzip must yield an error somewhere");
        }
    }
}

#[test]
fn not_a_home() {
    let tmp = tempfile::tempdir().expect("tmp");
    assert!(matches!(
        JenkinsHome::open(tmp.path()),
        Err(HomeError::NotJenkinsHome { .. })
    ));
    let p = write_file(tmp.path(), "x.txt", b"hello");
    assert!(matches!(
        JenkinsHome::open(&p),
        Err(HomeError::NotJenkinsHome { .. })
    ));
    let missing = tmp.path().join("missing");
    let err = JenkinsHome::open(&missing).expect_err("missing");
    assert!(err.to_string().contains("missing"), "{err}");
    let only_builds = vec![("workspace/a".to_string(), b"x".to_vec())];
    let p = write_file(tmp.path(), "other.tar", &tar_bytes("", &only_builds, true));
    assert!(matches!(
        JenkinsHome::open(&p),
        Err(HomeError::NotJenkinsHome { .. })
    ));
}

#[test]
fn home_without_keys_or_jobs() {
    let tmp = tempfile::tempdir().expect("tmp");
    write_dir(
        tmp.path(),
        &[("config.xml".to_string(), b"<hudson/>".to_vec())],
    );
    let home = JenkinsHome::open(tmp.path()).expect("open");
    let keys = home.keys().expect("keys");
    assert!(keys.master_key.is_none() && keys.hudson_util_secret.is_none());
    assert!(home.folder_names().expect("names").is_empty());
    assert_eq!(home.folders().expect("folders").count(), 0);
}

#[test]
fn dropping_the_stream_early_is_fine() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = write_file(tmp.path(), "home.tar", &tar_bytes("", &home_files(), true));
    let home = JenkinsHome::open(&p).expect("open");
    let first = home.folders().expect("folders").next();
    assert!(matches!(first, Some(Ok(_))));
    // And a second full stream still works (the index is cached).
    assert_eq!(collect(&home).len(), 4);
}
