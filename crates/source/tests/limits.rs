//! Hostile JENKINS_HOME and dump inputs: size limits, non-file archive entries, `..` paths,
//! duplicate names. Each refusal is for the one item concerned; the rest is read.

use std::path::Path;

use ksdm_model::limits::{MAX_JENKINS_FILE_BYTES, MAX_KEY_FILE_BYTES};
use ksdm_model::v21::JenkinsFolder;
use ksdm_source::jenkins_home::{HomeError, JenkinsHome};
use ksdm_source::mysqldump::{read_dump_limited, DumpIssueKind};

const FOLDER_XML: &[u8] = b"<com.cloudbees.hudson.plugins.folder.Folder/>";
const JOB_XML: &[u8] = b"<flow-definition/>";

fn folders(home: &JenkinsHome) -> Vec<JenkinsFolder> {
    let mut v: Vec<JenkinsFolder> = home
        .folders()
        .expect("folders")
        .map(|f| f.expect("folder"))
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn job_names(f: &JenkinsFolder) -> Vec<&str> {
    f.jobs.iter().map(|(n, _)| n.as_str()).collect()
}

fn refused(f: &JenkinsFolder) -> Vec<(Option<&str>, &str)> {
    f.refused
        .iter()
        .map(|r| (r.job.as_deref(), r.reason.as_str()))
        .collect()
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

#[test]
fn directory_home_refuses_oversized_files_and_fifos_per_item() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    write(root, "jobs/p/config.xml", FOLDER_XML);
    write(root, "jobs/p/jobs/ok/config.xml", JOB_XML);
    write(root, "jobs/p/jobs/big/config.xml", b"");
    // A sparse file: the size is refused from the metadata, nothing is read.
    let big = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("jobs/p/jobs/big/config.xml"))
        .expect("open");
    big.set_len(MAX_JENKINS_FILE_BYTES + 1).expect("set_len");
    std::fs::create_dir_all(root.join("jobs/p/jobs/fifo")).expect("mkdir");
    let st = std::process::Command::new("mkfifo")
        .arg(root.join("jobs/p/jobs/fifo/config.xml"))
        .status();
    let have_fifo = st.is_ok_and(|s| s.success());
    // The folder's own config.xml too big: its credentials fail, its jobs are still read.
    write(root, "jobs/q/jobs/ok/config.xml", JOB_XML);
    let q = std::fs::File::create(root.join("jobs/q/config.xml")).expect("create");
    q.set_len(MAX_JENKINS_FILE_BYTES + 10).expect("set_len");

    let home = JenkinsHome::open(root).expect("open");
    let f = folders(&home);
    assert_eq!(f.len(), 2);
    assert_eq!(job_names(&f[0]), ["ok"]);
    let r = refused(&f[0]);
    assert_eq!(r.len(), if have_fifo { 2 } else { 1 }, "{r:?}");
    assert_eq!(r[0].0, Some("big"));
    assert!(
        r[0].1.contains("33554433 bytes, more than 32 MiB"),
        "{}",
        r[0].1
    );
    if have_fifo {
        assert_eq!(r[1], (Some("fifo"), "it is not a regular file"));
    }
    assert_eq!(f[1].config_xml, None);
    assert_eq!(job_names(&f[1]), ["ok"]);
    assert_eq!(refused(&f[1])[0].0, None);
    // Debug output shows sizes, never content.
    let dbg = format!("{:?}", f[0]);
    assert!(
        dbg.contains("<18 bytes>") && !dbg.contains("flow-definition"),
        "{dbg}"
    );
}

#[test]
fn oversized_key_file_is_a_named_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "jobs/p/config.xml", FOLDER_XML);
    write(
        tmp.path(),
        "secrets/master.key",
        &vec![b'a'; MAX_KEY_FILE_BYTES as usize + 1],
    );
    let home = JenkinsHome::open(tmp.path()).expect("open");
    let e = home.keys().unwrap_err();
    assert!(matches!(e, HomeError::Refused { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("secrets/master.key") && msg.contains("more than 64 KiB"),
        "{msg}"
    );
}

/// A tar entry with any name and type, written without the builder's path checks.
fn raw_entry(
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

#[test]
fn hostile_archive_entries_fail_alone() {
    use tar::EntryType as T;
    let mut b = tar::Builder::new(Vec::new());
    raw_entry(&mut b, "jobs/p/config.xml", T::Regular, FOLDER_XML, None);
    raw_entry(
        &mut b,
        "jobs/p/jobs/ok/config.xml",
        T::Regular,
        JOB_XML,
        None,
    );
    raw_entry(
        &mut b,
        "jobs/p/jobs/symlink/config.xml",
        T::Symlink,
        b"",
        Some("/etc/passwd"),
    );
    raw_entry(
        &mut b,
        "jobs/p/jobs/hardlink/config.xml",
        T::Link,
        b"",
        Some("../../../../etc/shadow"),
    );
    raw_entry(&mut b, "jobs/p/jobs/device/config.xml", T::Char, b"", None);
    raw_entry(
        &mut b,
        "jobs/p/jobs/../../../../etc/config.xml",
        T::Regular,
        JOB_XML,
        None,
    );
    raw_entry(
        &mut b,
        "../jobs/p/jobs/dotdot/config.xml",
        T::Regular,
        JOB_XML,
        None,
    );
    raw_entry(
        &mut b,
        "/jobs/p/jobs/absolute/config.xml",
        T::Regular,
        JOB_XML,
        None,
    );
    // Duplicate names: the later entry wins (as `tar -x`), oversized or not.
    raw_entry(
        &mut b,
        "jobs/p/jobs/dup/config.xml",
        T::Regular,
        b"<first/>",
        None,
    );
    raw_entry(
        &mut b,
        "jobs/p/jobs/dup/config.xml",
        T::Regular,
        b"<second/>",
        None,
    );
    let big = vec![b' '; MAX_JENKINS_FILE_BYTES as usize + 1];
    raw_entry(&mut b, "jobs/p/jobs/big/config.xml", T::Regular, &big, None);
    raw_entry(
        &mut b,
        "jobs/p/jobs/fixed/config.xml",
        T::Regular,
        &big,
        None,
    );
    raw_entry(
        &mut b,
        "jobs/p/jobs/fixed/config.xml",
        T::Regular,
        JOB_XML,
        None,
    );
    raw_entry(
        &mut b,
        "secrets/master.key",
        T::Symlink,
        b"",
        Some("/etc/hostname"),
    );
    let bytes = b.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &bytes).expect("gz");
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("home.tgz");
    std::fs::write(&path, gz.finish().expect("gz")).expect("write");

    let home = JenkinsHome::open(&path).expect("open");
    let f = folders(&home);
    assert_eq!(f.len(), 1, "{f:?}");
    let p = &f[0];
    // Absolute paths are read relative to the archive (nothing is ever unpacked).
    assert_eq!(job_names(p), ["absolute", "dup", "fixed", "ok"]);
    assert_eq!(p.jobs[1].1, b"<second/>");
    let r = refused(p);
    let names: Vec<_> = r.iter().map(|(j, _)| j.unwrap_or("-")).collect();
    assert_eq!(names, ["big", "device", "hardlink", "symlink"], "{r:?}");
    assert!(r[0].1.contains("more than 32 MiB"));
    assert!(r[1].1.contains("a character device"));
    assert!(r[2].1.contains("a hard link"));
    assert!(r[3].1.contains("a symbolic link") && r[3].1.contains("not followed"));
    // A key file that is a symlink is a named error, not a read of the link's target.
    let e = home.keys().unwrap_err().to_string();
    assert!(
        e.contains("secrets/master.key") && e.contains("symbolic link"),
        "{e}"
    );
}

#[test]
fn dump_statement_over_the_limit_is_skipped_with_an_issue() {
    let mut sql = String::from(
        "INSERT INTO `project_membership` VALUES ('alice','p1','owner','active','admin');\n\
         INSERT INTO `project` VALUES ('p1','P','','alice','2020-01-01 00:00:00','active','private','','ws');\n",
    );
    sql.push_str("INSERT INTO `project` VALUES ('p2','");
    sql.push_str(&"x".repeat(5000));
    sql.push_str("','','alice','2020-01-01 00:00:00','active','private','','ws');\n");
    sql.push_str(
        "INSERT INTO `project_credential` VALUES ('p1','c','_','alice','2020-01-01 00:00:00');\n",
    );
    let read = read_dump_limited(sql.as_bytes(), 1000).expect("read");
    let ids: Vec<_> = read
        .data
        .projects
        .iter()
        .map(|p| p.project_id.as_str())
        .collect();
    assert_eq!(ids, ["p1"]);
    assert_eq!(read.data.credentials.len(), 1);
    assert_eq!(read.issues.len(), 1, "{:?}", read.issues);
    let i = &read.issues[0];
    assert_eq!(i.kind, DumpIssueKind::StatementTooLarge);
    assert!(i.is_error());
    assert_eq!(i.table.as_deref(), Some("project"));
    assert!(i.to_string().contains("longer than 1000 bytes"), "{i}");

    // An unterminated quote runs to the end without buffering past the limit.
    let mut sql = String::from("INSERT INTO `project` VALUES ('p1','P','','alice','2020-01-01 00:00:00','active','private','','ws');\n");
    sql.push_str("INSERT INTO `project` VALUES ('p2,");
    sql.push_str(&"y".repeat(100_000));
    let read = read_dump_limited(sql.as_bytes(), 4096).expect("read");
    assert_eq!(read.data.projects.len(), 1);
    let kinds: Vec<_> = read.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [DumpIssueKind::StatementTooLarge, DumpIssueKind::Truncated]
    );
}
