//! Hostile and broken inputs through the real binary: every case ends with a clear message
//! naming the item and the reason, the exit status the README documents, the report written,
//! and the other items migrated. RELIABILITY.md lists these cases in a table.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// A writable copy of the sample estate (dump + JENKINS_HOME) in a temporary folder.
struct Estate {
    tmp: tempfile::TempDir,
}

impl Estate {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp");
        let sample = common::repo().join("sample");
        copy_dir(&sample.join("jenkins_home"), &tmp.path().join("home"));
        std::fs::copy(sample.join("devops.sql"), tmp.path().join("devops.sql")).expect("copy dump");
        Estate { tmp }
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    fn dump(&self) -> PathBuf {
        self.tmp.path().join("devops.sql")
    }

    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }

    /// Writes a job `config.xml` into project `project-W4zNlwJLzgRB`.
    fn job(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let dir = self
            .home()
            .join("jobs/project-W4zNlwJLzgRB/jobs")
            .join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join("config.xml");
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// `export` of the dump and the home (or `home` instead).
    fn export_with(&self, dump: &Path, home: &Path) -> Output {
        common::run(&[
            "export",
            "--mysql-dump",
            dump.to_str().expect("utf8"),
            "--jenkins-home",
            home.to_str().expect("utf8"),
            "--out",
            self.out().to_str().expect("utf8"),
        ])
    }

    fn export(&self) -> Output {
        self.export_with(&self.dump(), &self.home())
    }

    fn report(&self) -> Value {
        let bytes = std::fs::read(self.out().join("report.json")).expect("report.json written");
        serde_json::from_slice(&bytes).expect("report.json")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The report item of `kind` with id `id`.
fn item<'a>(r: &'a Value, kind: &str, id: &str) -> &'a Value {
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == kind && i["id"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} in the report"))
}

fn count(r: &Value, kind: &str, outcome: &str) -> usize {
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["kind"] == kind && i["outcome"] == outcome)
        .count()
}

/// Asserts that pipeline `id` failed with a reason containing `reason`, and that the sample's
/// good pipelines still migrated (the run went on).
fn assert_pipeline_failed(e: &Estate, o: &Output, id: &str, reason: &str) {
    assert_eq!(o.status.code(), Some(4), "{}", stderr(o));
    let r = e.report();
    let it = item(&r, "pipeline", id);
    assert_eq!(it["outcome"], "Failed", "{it}");
    assert!(
        it.to_string().contains(reason),
        "{id}: expected {reason:?} in {it}"
    );
    assert!(
        count(&r, "pipeline", "Successful") + count(&r, "pipeline", "Partially successful") >= 5,
        "the other pipelines migrate: {}",
        r["totals"]
    );
    assert!(e.out().join("report.md").exists());
}

/// The sample's reference figures: successful pipelines and credentials.
fn baseline() -> (usize, usize) {
    let e = Estate::new();
    let o = e.export();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = e.report();
    (
        count(&r, "pipeline", "Successful"),
        count(&r, "credential", "Successful"),
    )
}

// ---------------------------------------------------------------------------------------------
// XML

#[test]
fn deeply_nested_job_fails_alone_and_the_report_is_written() {
    let e = Estate::new();
    let n = 200_000;
    let mut xml = String::from("<?xml version='1.1' encoding='UTF-8'?><flow-definition>");
    xml.push_str(&"<a>".repeat(n));
    xml.push_str(&"</a>".repeat(n));
    xml.push_str("</flow-definition>");
    e.job("deep", xml.as_bytes());
    let o = e.export();
    assert_pipeline_failed(&e, &o, "deep", "nested more than 256 levels deep");
    let (pipelines, credentials) = baseline();
    let r = e.report();
    assert_eq!(count(&r, "pipeline", "Successful"), pipelines);
    assert_eq!(count(&r, "credential", "Successful"), credentials);
}

#[test]
fn huge_job_config_is_not_read_and_fails_alone() {
    let e = Estate::new();
    let p = e.job("huge", b"");
    // Sparse: 32 MiB + 1 byte on paper, nothing on disk; refused from its size.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open")
        .set_len((32 << 20) + 1)
        .expect("set_len");
    let o = e.export();
    assert_pipeline_failed(&e, &o, "huge", "more than 32 MiB");
}

#[test]
fn malformed_job_xml_fails_alone_with_the_reason() {
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><flow-definition><description>&lol3;</description></flow-definition>";
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE f [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><flow-definition><description>&xxe;</description></flow-definition>";
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "truncated",
            b"<?xml version='1.1'?><flow-definition><description>cut",
            "unexpected end of document",
        ),
        (
            "non-utf8",
            b"<flow-definition><description>\xff\xfe\xfd</description></flow-definition>",
            "not valid UTF-8",
        ),
        ("entity-bomb", bomb.as_bytes(), "unknown entity &lol3;"),
        ("external-entity", xxe.as_bytes(), "unknown entity &xxe;"),
        ("empty", b"", "no root element"),
        (
            "two-roots",
            b"<flow-definition/><flow-definition/>",
            "content after the root element",
        ),
    ];
    let e = Estate::new();
    for (name, bytes, _) in cases {
        e.job(name, bytes);
    }
    let o = e.export();
    for (name, _, reason) in cases {
        assert_pipeline_failed(&e, &o, name, reason);
    }
    // Nothing of /etc/passwd reached the output.
    let report = std::fs::read_to_string(e.out().join("report.md")).expect("report.md");
    assert!(!report.contains("root:x:0:0"), "{report}");
}

#[test]
fn job_config_that_is_a_directory_or_a_fifo_fails_alone_without_hanging() {
    let e = Estate::new();
    let dir = e
        .home()
        .join("jobs/project-W4zNlwJLzgRB/jobs/dir-config/config.xml");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let fifo = e.home().join("jobs/project-W4zNlwJLzgRB/jobs/fifo-config");
    std::fs::create_dir_all(&fifo).expect("mkdir");
    let made = std::process::Command::new("mkfifo")
        .arg(fifo.join("config.xml"))
        .status()
        .is_ok_and(|s| s.success());
    let o = e.export();
    assert_pipeline_failed(&e, &o, "dir-config", "not a regular file");
    if made {
        assert_pipeline_failed(&e, &o, "fifo-config", "not a regular file");
    }
}

#[test]
fn unreadable_folder_config_fails_the_credentials_of_that_project_only() {
    let e = Estate::new();
    std::fs::write(
        e.home().join("jobs/project-W4zNlwJLzgRB/config.xml"),
        b"<com.cloudbees.hudson.plugins.folder.Folder><properties>",
    )
    .expect("write");
    let big = e.home().join("jobs/project-qJ8xY2mR5kLp/config.xml");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .expect("open")
        .set_len((32 << 20) + 1)
        .expect("set_len");
    let o = e.export();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = e.report();
    for (project, reason) in [
        ("project-W4zNlwJLzgRB", "unexpected end of document"),
        ("project-qJ8xY2mR5kLp", "more than 32 MiB"),
    ] {
        let store = r["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["project"] == project && i["id"] == "(folder credential store)")
            .unwrap_or_else(|| panic!("no credential store item for {project}"));
        assert_eq!(store["outcome"], "Failed");
        assert!(store.to_string().contains(reason), "{store}");
    }
    // Their pipelines still migrate.
    assert!(
        count(&r, "pipeline", "Successful") + count(&r, "pipeline", "Partially successful") >= 5
    );
}

// ---------------------------------------------------------------------------------------------
// Archives

fn append(
    b: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: tar::EntryType,
    data: &[u8],
    link: Option<&str>,
) {
    let mut h = tar::Header::new_gnu();
    let field = &mut h.as_gnu_mut().expect("gnu").name;
    field[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    if let Some(l) = link {
        h.set_link_name(l).expect("link");
    }
    h.set_cksum();
    b.append(&h, data).expect("append");
}

/// The sample home as a `.tgz`, with `extra` entries appended.
fn sample_tgz(e: &Estate, extra: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> PathBuf {
    let mut b = tar::Builder::new(Vec::new());
    for rel in common::files(&e.home()) {
        let bytes = std::fs::read(e.home().join(&rel)).expect("read");
        append(
            &mut b,
            &format!("jenkins_home/{}", rel.display()),
            tar::EntryType::Regular,
            &bytes,
            None,
        );
    }
    extra(&mut b);
    let tar = b.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).expect("gz");
    let path = e.tmp.path().join("home.tgz");
    std::fs::write(&path, gz.finish().expect("gz")).expect("write");
    path
}

#[test]
fn hostile_archive_entries_are_never_followed_and_fail_alone() {
    use tar::EntryType as T;
    let e = Estate::new();
    let job = |n: &str| format!("jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/{n}/config.xml");
    let good = std::fs::read(
        e.home()
            .join("jobs/project-W4zNlwJLzgRB/jobs/build-app/config.xml"),
    )
    .expect("good job");
    let tgz = sample_tgz(&e, |b| {
        append(b, &job("link-out"), T::Symlink, b"", Some("/etc/passwd"));
        append(
            b,
            &job("hardlink-out"),
            T::Link,
            b"",
            Some("../../../../../etc/shadow"),
        );
        append(b, &job("device"), T::Char, b"", None);
        append(
            b,
            "jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/dotdot/../../../../../../tmp/x/config.xml",
            T::Regular,
            &good,
            None,
        );
        append(
            b,
            "../jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/escape/config.xml",
            T::Regular,
            &good,
            None,
        );
        append(b, &job("dup"), T::Regular, b"<broken", None);
        append(b, &job("dup"), T::Regular, &good, None);
    });
    let o = e.export_with(&e.dump(), &tgz);
    assert_pipeline_failed(
        &e,
        &o,
        "link-out",
        "symbolic link, not a regular file; it was not followed",
    );
    assert_pipeline_failed(&e, &o, "hardlink-out", "hard link");
    assert_pipeline_failed(&e, &o, "device", "character device");
    let r = e.report();
    // A later entry of the same name wins, as with `tar -x`.
    // (the good file migrates; whether some setting is lost on a later rewrite does not matter here)
    assert_ne!(item(&r, "pipeline", "dup")["outcome"], "Failed");
    // Entries whose path has `..` are not part of the home.
    let ids: Vec<&str> = r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert!(
        !ids.contains(&"dotdot") && !ids.contains(&"escape") && !ids.contains(&"x"),
        "{ids:?}"
    );
    assert!(!std::path::Path::new("/tmp/x/config.xml").exists());
}

#[test]
fn truncated_or_foreign_archives_are_named() {
    let e = Estate::new();
    let tgz = sample_tgz(&e, |_| {});
    let bytes = std::fs::read(&tgz).expect("read");
    let cut = e.tmp.path().join("cut.tgz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let o = e.export_with(&e.dump(), &cut);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let text = format!(
        "{err}{}",
        std::fs::read_to_string(e.out().join("report.json")).unwrap_or_default()
    );
    assert!(
        text.contains("cut.tgz") && (text.contains("truncated") || text.contains("corrupt")),
        "{text}"
    );

    let junk = e.tmp.path().join("junk.tar");
    std::fs::write(&junk, vec![0x5a; 4096]).expect("write");
    let o = e.export_with(&e.dump(), &junk);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("junk.tar"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// Dumps

fn write_dump(e: &Estate, name: &str, text: &[u8]) -> PathBuf {
    let p = e.tmp.path().join(name);
    std::fs::write(&p, text).expect("write dump");
    p
}

#[test]
fn dump_with_only_unknown_tables_or_nothing_is_refused_with_exit_3() {
    let e = Estate::new();
    for (name, text, reason) in [
        (
            "other.sql",
            &b"CREATE TABLE `users` (`id` int);\nINSERT INTO `users` VALUES (1);\n"[..],
            "holds no `project` table",
        ),
        ("empty.sql", b"", "holds no `project` table"),
        (
            "xml.sql",
            b"<?xml version=\"1.0\"?>\n<mysqldump>\n",
            "XML format",
        ),
    ] {
        let p = write_dump(&e, name, text);
        let o = e.export_with(&p, &e.home());
        assert_eq!(o.status.code(), Some(3), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(name) && stderr(&o).contains(reason),
            "{name}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn unknown_tables_next_to_the_devops_ones_are_ignored() {
    let e = Estate::new();
    let (pipelines, credentials) = baseline();
    let mut text = b"CREATE TABLE `audit` (`id` int, `t` text);\nINSERT INTO `audit` VALUES (1,'it''s; a \\\"trap\\\" ;'),(2,'x');\n".to_vec();
    text.extend(std::fs::read(e.dump()).expect("dump"));
    text.extend(b"INSERT INTO `zzz` VALUES ('unterminated;\n');\n");
    let p = write_dump(&e, "extra.sql", &text);
    let o = e.export_with(&p, &e.home());
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = e.report();
    assert_eq!(
        (
            count(&r, "pipeline", "Successful"),
            count(&r, "credential", "Successful")
        ),
        (pipelines, credentials)
    );
}

#[test]
fn broken_quoting_in_the_dump_is_a_named_error_and_earlier_rows_survive() {
    let e = Estate::new();
    let mut text = std::fs::read(e.dump()).expect("dump");
    text.extend(b"\nINSERT INTO `project` VALUES ('p-late','Late','it''s open,'alice");
    let p = write_dump(&e, "quote.sql", &text);
    let o = e.export_with(&p, &e.home());
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = e.report();
    let errors = r["run_errors"].to_string();
    assert!(
        errors.contains("quote.sql") && errors.contains("ends inside"),
        "{errors}"
    );
    assert!(
        count(&r, "project", "Successful") + count(&r, "project", "Partially successful") >= 3,
        "{}",
        r["totals"]
    );
}

#[test]
fn huge_dump_statement_is_skipped_with_a_named_error() {
    let e = Estate::new();
    let mut text = std::fs::read(e.dump()).expect("dump");
    text.extend(b"\nINSERT INTO `project` VALUES ('p-huge','");
    text.resize(text.len() + (64 << 20) + 16, b'a');
    text.extend(b"','','alice','2020-01-01 00:00:00','active','private','','ws');\n");
    let p = write_dump(&e, "huge.sql", &text);
    drop(text);
    let o = e.export_with(&p, &e.home());
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = e.report();
    let errors = r["run_errors"].to_string();
    assert!(
        errors.contains("huge.sql") && errors.contains("longer than 64 MiB"),
        "{errors}"
    );
    let ids: Vec<&str> = r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert!(!ids.contains(&"p-huge"));
    assert!(
        count(&r, "pipeline", "Successful") + count(&r, "pipeline", "Partially successful") >= 5
    );
}

// ---------------------------------------------------------------------------------------------
// Jenkins key files

#[test]
fn broken_key_files_fail_the_credentials_and_name_the_file() {
    let sample = Estate::new();
    let master = std::fs::read(sample.home().join("secrets/master.key")).expect("master.key");
    let hus = std::fs::read(sample.home().join("secrets/hudson.util.Secret"))
        .expect("hudson.util.Secret");
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "truncated master.key",
            "secrets/master.key",
            master[..10].to_vec(),
            "does not decrypt secrets/hudson.util.Secret",
        ),
        (
            "empty master.key",
            "secrets/master.key",
            b"\n".to_vec(),
            "empty or holds only whitespace",
        ),
        (
            "binary master.key",
            "secrets/master.key",
            vec![0xff; 64],
            "not text",
        ),
        (
            "truncated hudson.util.Secret",
            "secrets/hudson.util.Secret",
            hus[..20].to_vec(),
            "not a non-empty multiple of 16",
        ),
        (
            "foreign hudson.util.Secret",
            "secrets/hudson.util.Secret",
            vec![0x42; 272],
            "does not decrypt",
        ),
        (
            "huge master.key",
            "secrets/master.key",
            vec![b'a'; 70_000],
            "more than 64 KiB",
        ),
    ];
    for (what, rel, bytes, reason) in cases {
        let e = Estate::new();
        std::fs::write(e.home().join(rel), &bytes).expect("write key");
        let o = e.export();
        let text = format!(
            "{}{}",
            stderr(&o),
            std::fs::read_to_string(e.out().join("report.json")).unwrap_or_default()
        );
        assert!(text.contains(reason), "{what}: {text}");
        // An unreadable key file is an unusable input (exit 3); a wrong one fails the credentials.
        let expected = if what.starts_with("huge") { 3 } else { 4 };
        assert_eq!(o.status.code(), Some(expected), "{what}: {}", stderr(&o));
        if expected == 4 {
            let r = e.report();
            assert!(
                count(&r, "credential", "Failed") >= 5,
                "{what}: {}",
                r["totals"]
            );
            assert!(
                count(&r, "pipeline", "Successful") + count(&r, "pipeline", "Partially successful")
                    >= 5,
                "{what}"
            );
        }
    }
}
