//! The local folder store: the shared scenarios plus local-only corruption cases.

mod common;

use std::sync::atomic::AtomicUsize;

use common::*;
use ksdm_backup::*;

fn store_in(dir: &std::path::Path) -> LocalStore {
    LocalStore::new(dir.join("ks-devops-backups"))
}

#[tokio::test]
async fn round_trip_backup_verify_restore() {
    let root = tempfile::tempdir().unwrap();
    round_trip(&store_in(root.path()), "20261123T121314Z-0000aaaa").await;
}

#[tokio::test]
async fn flipped_byte_fails_verify_and_restore() {
    let root = tempfile::tempdir().unwrap();
    flipped_byte(&store_in(root.path()), "20261123T121314Z-0000bbbb").await;
}

#[tokio::test]
async fn wrong_key_fails_clearly() {
    let root = tempfile::tempdir().unwrap();
    wrong_key(&store_in(root.path()), "20261123T121314Z-0000cccc").await;
}

#[tokio::test]
async fn interrupted_upload_leaves_an_incomplete_run() {
    let root = tempfile::tempdir().unwrap();
    interrupted_upload(&store_in(root.path()), "20261123T121314Z-0000dddd").await;
}

#[tokio::test]
async fn recipient_encryption_round_trip() {
    let root = tempfile::tempdir().unwrap();
    recipients(&store_in(root.path()), "20261123T121314Z-0000eeee").await;
}

#[tokio::test]
async fn layout_on_disk_and_atomic_writes() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00001111";
    create_backup_with(&store, input(run, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let run_dir = store.root().join(run);
    for name in [
        "manifest.json",
        "source/mysql.json",
        "source/jenkins.tar.gz.age",
        "export/resources.tar.gz.age",
        "export/report.json",
        "export/report.md",
        "run.log",
    ] {
        assert!(run_dir.join(name).is_file(), "{name} missing");
    }
    // No temporary upload files are left behind.
    let leftovers: Vec<_> = tree(&run_dir)
        .into_iter()
        .filter(|(p, _)| p.contains(".ksdm-upload-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The manifest is readable JSON with the documented fields.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(json["format_version"], "1.0.0");
    assert_eq!(json["run_id"], run);
    assert_eq!(json["tool_version"], "0.1.0-test");
    assert_eq!(json["encryption"]["kind"], "passphrase");
    assert_eq!(json["sources"][1], "jenkins_home=/var/jenkins_home");
    assert_eq!(json["files"].as_array().unwrap().len(), 6);
    assert_eq!(json["files"][0]["sha256"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn truncated_file_is_named_and_never_restored() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00002222";
    create_backup_with(&store, input(run, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let path = store.root().join(run).join("source/jenkins.tar.gz.age");
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 20)
        .unwrap();

    let report = verify(&store, run, Some(&passphrase_key())).await.unwrap();
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].name, "source/jenkins.tar.gz.age");
    assert!(
        matches!(&problems[0].status, FileStatus::Corrupt(p) if p.starts_with("truncated")),
        "{report:?}"
    );

    let out = root.path().join("jenkins");
    let err = restore_jenkins_files(&store, run, Some(&passphrase_key()), &out)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("file source/jenkins.tar.gz.age of backup run")
            && text.contains("is corrupted: truncated"),
        "{text}"
    );
    assert!(is_empty_or_absent(&out));
    // The export part does not use that file and still restores.
    restore_to_dir(
        &store,
        run,
        Some(&passphrase_key()),
        &root.path().join("export-out"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn missing_file_and_missing_manifest() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00003333";
    create_backup_with(&store, input(run, &export), &passphrase(), &fast())
        .await
        .unwrap();
    std::fs::remove_file(store.root().join(run).join("export/report.md")).unwrap();
    let report = verify(&store, run, None).await.unwrap();
    let problems: Vec<_> = report
        .problems()
        .map(|p| (p.name.clone(), p.status.clone()))
        .collect();
    assert_eq!(
        problems,
        [("export/report.md".to_string(), FileStatus::Missing)]
    );

    std::fs::remove_file(store.root().join(run).join("manifest.json")).unwrap();
    let listing = list_backups(&store).await.unwrap();
    assert_eq!(listing.len(), 1);
    assert!(!listing[0].complete);
    assert_eq!(listing[0].created, None);
    let err = restore_to_dir(
        &store,
        run,
        Some(&passphrase_key()),
        &root.path().join("out"),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is incomplete: it has no manifest.json"),
        "{err}"
    );

    let err = describe(&store, "20200101T000000Z-ffffffff")
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::RunNotFound { .. }), "{err}");
    let err = describe(&store, "../etc").await.unwrap_err();
    assert!(matches!(err, BackupError::InvalidRunId { .. }), "{err}");
}

/// Damage the checksum cannot see (the manifest was rewritten to match): decryption fails
/// part-way, and the restore still writes nothing.
#[tokio::test]
async fn damage_behind_a_matching_checksum_is_not_half_restored() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00004444";
    let manifest = create_backup_with(&store, input(run, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let name = "export/resources.tar.gz.age";
    let path = store.root().join(run).join(name);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut manifest = manifest;
    for f in &mut manifest.files {
        if f.name == name {
            use sha2::Digest;
            f.sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        }
    }
    std::fs::write(
        store.root().join(run).join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();

    let report = verify(&store, run, Some(&passphrase_key())).await.unwrap();
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1, "{report:?}");
    assert!(
        matches!(
            problems[0].status,
            FileStatus::Unreadable(_) | FileStatus::Undecryptable(_)
        ),
        "{report:?}"
    );

    let out = root.path().join("out");
    let err = restore_to_dir(&store, run, Some(&passphrase_key()), &out)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(name), "{err}");
    assert!(is_empty_or_absent(&out), "{:?}", tree(&out));
}

#[tokio::test]
async fn insecure_plaintext_only_when_asked_and_named_so() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00005555";
    let manifest = create_backup_with(
        &store,
        input(run, &export),
        &Protection::InsecurePlaintext,
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(manifest.encryption.kind, EncryptionKind::None);
    assert!(manifest
        .files
        .iter()
        .all(|f| !f.encrypted && !f.name.ends_with(".age")));
    assert!(manifest.file("source/jenkins.tar.gz").is_some());
    let report = verify(&store, run, None).await.unwrap();
    assert!(
        report.files.iter().all(|f| f.status == FileStatus::Ok),
        "{report:?}"
    );
    let out = root.path().join("out");
    restore_to_dir(&store, run, None, &out).await.unwrap();
    assert_eq!(tree(&out), tree(&export));
}

#[tokio::test]
async fn refusals_before_anything_is_written() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());

    let err = create_backup_with(&store, input("bad id:1", &export), &passphrase(), &fast())
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::InvalidRunId { .. }), "{err}");

    let err = create_backup_with(
        &store,
        input("r-recipient", &export),
        &Protection::Recipients(vec!["age1nope".into()]),
        &fast(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid age recipient \"age1nope\""),
        "{err}"
    );

    let err = create_backup_with(
        &store,
        input("r-noexport", &root.path().join("nope")),
        &passphrase(),
        &fast(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BackupError::ExportMissing { .. }), "{err}");
    assert!(list_backups(&store).await.unwrap().is_empty());

    // A failing Jenkins source stops the backup; no manifest is written.
    let mut failing = input("r-jenkins", &export);
    failing.jenkins_files = Box::new(jenkins_files().into_iter().map(Ok).take(2).chain(
        std::iter::once(Err("jobs/x/config.xml: permission denied".to_string())),
    ));
    let err = create_backup_with(&store, failing, &passphrase(), &fast())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    assert!(list_backups(&store)
        .await
        .unwrap()
        .iter()
        .all(|r| !r.complete));

    // A Jenkins path that would escape on restore is refused at backup time.
    let mut escaping = input("r-escape", &export);
    escaping.jenkins_files = Box::new(std::iter::once(Ok(ksdm_model::v21::JenkinsFile {
        path: "../../etc/cron.d/x".into(),
        bytes: b"x".to_vec(),
    })));
    let err = create_backup_with(&store, escaping, &passphrase(), &fast())
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::UnsafeEntry { .. }), "{err}");
}

#[tokio::test]
async fn restore_never_overwrites() {
    let root = tempfile::tempdir().unwrap();
    let store = store_in(root.path());
    let export = export_dir(root.path());
    let run = "20261123T121314Z-00006666";
    create_backup_with(&store, input(run, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let out = root.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"mine").unwrap();
    let err = restore_to_dir(&store, run, Some(&passphrase_key()), &out)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::TargetNotEmpty { .. }), "{err}");
    assert_eq!(tree(&out), [("keep.txt".to_string(), b"mine".to_vec())]);
}

#[tokio::test]
async fn identity_file_parsing_never_echoes_keys() {
    let root = tempfile::tempdir().unwrap();
    let (id, public) = generate_identity();
    let secret = ExposeSecret::expose_secret(&id.to_string()).to_string();
    let path = root.path().join("key.txt");
    std::fs::write(
        &path,
        format!("# created: test\n# public key: {public}\n{secret}\n"),
    )
    .unwrap();
    assert!(
        matches!(DecryptionKey::from_identity_file(&path).unwrap(), DecryptionKey::Identities(v) if v.len() == 1)
    );
    // Change the last character (to another one: a random key may already end in the first).
    let replacement = if secret.ends_with('Q') { 'P' } else { 'Q' };
    let bad = format!("{}{replacement}\n", &secret[..secret.len() - 1]);
    std::fs::write(&path, &bad).unwrap();
    let err = DecryptionKey::from_identity_file(&path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 1") && !err.contains(&bad.trim()[15..]),
        "{err}"
    );
    assert_eq!(format!("{:?}", passphrase_key()), "Passphrase(<redacted>)");
    assert!(!format!("{:?}", passphrase()).contains("correct horse"));
}

#[tokio::test]
async fn open_store_picks_local_or_s3() {
    let root = tempfile::tempdir().unwrap();
    let spec = root.path().join("b");
    let store = open_store(spec.to_str().unwrap(), &S3Options::default())
        .await
        .unwrap();
    assert!(store.describe().starts_with("local folder"));
    let err = open_store("s3:///prefix", &S3Options::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bucket name is empty"), "{err}");
    // Unused import guard for the shared FailingStore type.
    let _ = FailingStore {
        inner: store.as_ref(),
        fail_at: 0,
        puts: AtomicUsize::new(0),
    };
}

#[tokio::test]
async fn run_sources_give_back_rows_jenkins_files_values_and_issues() {
    use ksdm_model::v21::{MysqlData, RevealedValues};
    use ksdm_model::Plaintext;
    let (id, public) = generate_identity();
    let mut values = RevealedValues::new();
    values
        .entry("project-a1b2c3".into())
        .or_default()
        .entry("git".into())
        .or_default()
        .insert(
            "password".into(),
            Plaintext::from_string(SECRET_MARKER.into()),
        );
    let rows = MysqlData {
        has_workspace_column: true,
        ..MysqlData::default()
    };
    let issues = MysqlIssues {
        errors: Vec::new(),
        warnings: vec!["MySQL dump x: a warning".into()],
    };
    for (n, (protection, key, values_name)) in [
        (
            Protection::Recipients(vec![public]),
            Some(DecryptionKey::Identities(vec![id])),
            layout::CREDENTIAL_VALUES_ENCRYPTED,
        ),
        (
            Protection::InsecurePlaintext,
            None,
            layout::CREDENTIAL_VALUES_PLAIN,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let root = tempfile::tempdir().unwrap();
        let store = store_in(root.path());
        let export = export_dir(root.path());
        let run_id = format!("20261123T121314Z-0000fff{n}");
        let mut input = input(&run_id, &export);
        input.mysql_json = serde_json::to_vec(&rows).unwrap();
        input.revealed = Some(&values);
        input.mysql_issues = issues.clone();
        let manifest = create_backup_with(&store, input, &protection, &fast())
            .await
            .unwrap();
        assert!(manifest.file(values_name).is_some(), "{manifest:?}");
        assert!(manifest.file(layout::MYSQL_ISSUES).is_some());
        let stored = std::fs::read(
            root.path()
                .join("ks-devops-backups")
                .join(&run_id)
                .join(values_name),
        )
        .unwrap();
        let marker_at_rest = stored
            .windows(SECRET_MARKER.len())
            .any(|w| w == SECRET_MARKER.as_bytes());
        assert_eq!(marker_at_rest, !protection.encrypts(), "{values_name}");
        // backup verify decrypts the values file too.
        let report = verify(&store, &run_id, key.as_ref()).await.unwrap();
        assert!(report.is_ok(), "{report:?}");

        let opened = open_run_sources(&store, &run_id, key.as_ref())
            .await
            .unwrap();
        assert_eq!(opened.mysql, rows);
        assert_eq!(opened.mysql_issues, issues);
        assert_eq!(opened.revealed.as_ref(), Some(&values));
        assert!(!format!("{opened:?}").contains(SECRET_MARKER));
        let home = opened.jenkins_archive().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&home), 0o600);
            assert_eq!(mode(home.parent().unwrap()), 0o700);
        }
        let tar = std::fs::read(&home).unwrap();
        assert_eq!(&tar[..2], &[0x1f, 0x8b], "a gzip'd tar");
        drop(opened);
        assert!(
            !home.exists(),
            "the decrypted files are removed with the sources"
        );
    }
}
