//! Every `mysqldump` option set that changes the SQL it writes, run by MariaDB's own
//! `mysqldump` on the same database (the sample loaded into 127.0.0.1:3306): each dump exports
//! exactly the objects and item outcomes the default dump does, and `--xml` is refused with a
//! message that names the format.

mod common;
#[path = "../../source-mysql/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::TestDb;

/// The option sets tried, each against the default dump.
const VARIANTS: &[&[&str]] = &[
    &["--skip-extended-insert"],
    &["--complete-insert"],
    &["--hex-blob"],
    // MariaDB's mysqldump writes latin1 under --compatible=ansi (non-Latin characters become
    // `?` in the dump itself); with the character set named, the dump is whole.
    &["--compatible=ansi", "--default-character-set=utf8mb4"],
    &[
        "--compatible=ansi",
        "--complete-insert",
        "--default-character-set=utf8mb4",
    ],
    &["--skip-quote-names"],
    &["--compact"],
    &["--no-create-info"],
    &["--insert-ignore"],
    &["--replace"],
    &["--net-buffer-length=4096"],
    &[
        "--compact",
        "--skip-extended-insert",
        "--complete-insert",
        "--skip-quote-names",
    ],
];

fn dump(db: &TestDb, options: &[&str], path: &Path) {
    let out = Command::new(support::dump_program())
        .args([
            "--protocol=TCP",
            "-h",
            support::HOST,
            "-P",
            &support::PORT.to_string(),
            "-u",
            "root",
        ])
        .args(options)
        .arg(&db.name)
        .output()
        .expect("run mysqldump");
    assert!(
        out.status.success(),
        "mysqldump {options:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(path, &out.stdout).expect("write the dump");
}

fn export(dump: &Path, out: &Path) -> std::process::Output {
    let home = common::repo().join("sample/jenkins_home");
    common::run(&[
        "export",
        "--mysql-dump",
        dump.to_str().expect("utf-8"),
        "--jenkins-home",
        home.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ])
}

/// The report's items and totals (inputs, output and notes left out: they name the dump).
fn items(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let v: Value = serde_json::from_str(&text).expect("report json");
    serde_json::json!({"items": v["items"], "totals": v["totals"], "run_errors": v["run_errors"]})
}

fn tree(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let root = out.join("resources");
    common::files(&root)
        .into_iter()
        .map(|rel| (rel.clone(), std::fs::read(root.join(&rel)).expect("read")))
        .collect()
}

#[test]
fn every_dump_variant_gives_the_objects_of_the_default_dump() {
    let db = TestDb::with_sample();
    let tmp = tempfile::tempdir().expect("tempdir");
    let reference = tmp.path().join("default.sql");
    dump(&db, &[], &reference);
    let ref_out = tmp.path().join("out-default");
    let o = export(&reference, &ref_out);
    assert_eq!(
        o.status.code(),
        Some(4),
        "the sample's corrupt job: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (ref_tree, ref_items) = (tree(&ref_out), items(&ref_out));
    assert!(ref_tree.len() > 20, "{}", ref_tree.len());

    let mut differing = Vec::new();
    for (i, options) in VARIANTS.iter().enumerate() {
        let path = tmp.path().join(format!("variant-{i}.sql"));
        dump(&db, options, &path);
        let out = tmp.path().join(format!("out-{i}"));
        let o = export(&path, &out);
        if o.status.code() != Some(4) || !out.join("report.json").exists() {
            differing.push(format!(
                "{options:?}: exit {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            ));
            continue;
        }
        let t = tree(&out);
        if t != ref_tree {
            let names = |t: &[(PathBuf, Vec<u8>)]| {
                t.iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
            };
            differing.push(format!(
                "{options:?}: the tree differs: {:?} vs {:?}",
                names(&t),
                names(&ref_tree)
            ));
        } else if items(&out) != ref_items {
            differing.push(format!(
                "{options:?}: the report items differ: {}",
                items(&out)
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} variants differ:\n{}",
        differing.len(),
        VARIANTS.len(),
        differing.join("\n")
    );
}

#[test]
fn xml_dump_is_refused_naming_the_format() {
    let db = TestDb::with_sample();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("devops.xml");
    dump(&db, &["--xml"], &path);
    let o = export(&path, &tmp.path().join("out"));
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("XML format (written with --xml)") && err.contains("without --xml"),
        "{err}"
    );
    assert!(!err.contains("holds no `project` table"), "{err}");
}

#[test]
fn plain_ansi_dump_is_read_and_its_lost_characters_are_named() {
    let db = TestDb::with_sample();
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("ansi.sql");
    dump(&db, &["--compatible=ansi"], &path);
    let out = tmp.path().join("out");
    let o = export(&path, &out);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let reference = tmp.path().join("default.sql");
    dump(&db, &[], &reference);
    let ref_out = tmp.path().join("out-default");
    export(&reference, &ref_out);
    let names = |t: Vec<(PathBuf, Vec<u8>)>| t.into_iter().map(|(p, _)| p).collect::<Vec<_>>();
    assert_eq!(names(tree(&out)), names(tree(&ref_out)), "the same objects");
    let report = std::fs::read_to_string(out.join("report.json")).expect("report");
    assert!(
        report.contains("ansi.sql") && report.contains("not valid UTF-8"),
        "the latin1 text is named: {report}"
    );
}
