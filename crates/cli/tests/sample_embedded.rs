//! `--sample` reads the sample embedded in the binary (packed from the committed `sample/` at
//! build time), so it works from any folder, and converts exactly like the committed files.

mod common;

use std::process::Command;

#[test]
fn embedded_sample_equals_the_committed_one_from_any_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("embedded"), tmp.path().join("committed"));
    // Run from a folder that is not the repository, with no repository path in the environment.
    let embedded = Command::new(common::bin())
        .current_dir(tmp.path())
        .args([
            "--no-progress",
            "export",
            "--sample",
            "--out",
            a.to_str().expect("utf-8"),
        ])
        .env_remove("KSDM_LOG")
        .output()
        .expect("run");
    let repo = common::repo();
    let committed = common::run(&[
        "export",
        "--mysql-dump",
        repo.join("sample/devops.sql").to_str().expect("utf-8"),
        "--jenkins-home",
        repo.join("sample/jenkins_home").to_str().expect("utf-8"),
        "--out",
        b.to_str().expect("utf-8"),
    ]);
    // The sample holds a corrupt job on purpose: both runs report it (exit 4).
    assert_eq!(
        embedded.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&embedded.stderr)
    );
    assert_eq!(
        committed.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&committed.stderr)
    );
    let (fa, fb) = (
        common::files(&a.join("resources")),
        common::files(&b.join("resources")),
    );
    assert!(!fa.is_empty());
    assert_eq!(fa, fb, "same objects");
    for rel in &fa {
        let (x, y) = (
            std::fs::read(a.join("resources").join(rel)).unwrap(),
            std::fs::read(b.join("resources").join(rel)).unwrap(),
        );
        assert!(x == y, "{} differs", rel.display());
    }
}
