//! `export --mysql URL` (a live database) and `export --mysql-dump FILE` (the real `mysqldump`
//! of that database) give byte-identical `resources/` trees and equal reports (apart from the
//! input descriptions and the output folder). Runs against MariaDB on 127.0.0.1:3306.

mod common;
#[path = "../../source-mysql/tests/support/mod.rs"]
mod support;

use std::path::Path;

use serde_json::Value;
use support::TestDb;

fn report_without_inputs(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let mut v: Value = serde_json::from_str(&text).expect("report json");
    if let Some(o) = v.as_object_mut() {
        o.remove("inputs");
        o.remove("output");
    }
    v
}

#[test]
fn live_mysql_and_its_dump_export_the_same_tree() {
    let db = TestDb::with_sample();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dump = tmp.path().join("devops.sql");
    db.dump_to(&dump);
    let home = common::repo().join("sample/jenkins_home");
    let (a, b) = (tmp.path().join("A"), tmp.path().join("B"));

    let url = db.url();
    let live = common::run(&[
        "export",
        "--mysql",
        &url,
        "--jenkins-home",
        home.to_str().expect("utf-8 path"),
        "--out",
        a.to_str().expect("utf-8 path"),
    ]);
    let from_dump = common::run(&[
        "export",
        "--mysql-dump",
        dump.to_str().expect("utf-8 path"),
        "--jenkins-home",
        home.to_str().expect("utf-8 path"),
        "--out",
        b.to_str().expect("utf-8 path"),
    ]);
    assert!(
        a.join("report.json").is_file(),
        "live export wrote no report (exit {:?}): {}",
        live.status.code(),
        String::from_utf8_lossy(&live.stderr)
    );
    assert_eq!(
        live.status.code(),
        from_dump.status.code(),
        "exit codes differ\nlive: {}\ndump: {}",
        String::from_utf8_lossy(&live.stderr),
        String::from_utf8_lossy(&from_dump.stderr)
    );

    let (ra, rb) = (a.join("resources"), b.join("resources"));
    let files = common::files(&ra);
    assert!(!files.is_empty(), "the sample exports objects");
    assert_eq!(files, common::files(&rb), "same files");
    for rel in &files {
        let (x, y) = (
            std::fs::read(ra.join(rel)).expect("read"),
            std::fs::read(rb.join(rel)).expect("read"),
        );
        assert!(x == y, "{} differs", rel.display());
    }

    assert_eq!(report_without_inputs(&a), report_without_inputs(&b));
    let inputs = std::fs::read_to_string(a.join("report.json")).expect("report.json");
    assert!(
        inputs.contains(&db.name),
        "the live input is described: {inputs}"
    );
}
