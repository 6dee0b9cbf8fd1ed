//! Shared fixtures and scenarios for the store tests: the same scenarios run against the local
//! folder store (tests/local.rs) and SeaweedFS S3 (tests/s3.rs).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use ksdm_backup::*;
use ksdm_model::v21::JenkinsFile;

/// A passphrase used by the tests (the scrypt work factor is lowered via [`fast`]).
pub const PASSPHRASE: &str = "test passphrase: correct horse battery staple";
/// A value standing for decrypted secret material; must never appear in stored bytes.
pub const SECRET_MARKER: &str = "S3CR3T-decrypted-password-value";

/// Options with a low scrypt work factor so tests do not spend a second per file.
pub fn fast() -> BackupOptions {
    BackupOptions {
        scrypt_work_factor: Some(10),
        temp_dir: None,
    }
}

pub fn passphrase() -> Protection {
    Protection::Passphrase(SecretString::from(PASSPHRASE))
}

pub fn passphrase_key() -> DecryptionKey {
    DecryptionKey::Passphrase(SecretString::from(PASSPHRASE))
}

/// The Jenkins files of a small estate, including secret key files.
pub fn jenkins_files() -> Vec<JenkinsFile> {
    let f = |path: &str, bytes: &[u8]| JenkinsFile {
        path: path.to_string(),
        bytes: bytes.to_vec(),
    };
    vec![
        f("config.xml", b"<hudson><version>2.176</version></hudson>"),
        f("jobs/project-a1b2c3/config.xml", b"<com.cloudbees.hudson.plugins.folder.Folder><properties><credentials><password>{AQAAABAAAAAQenc}</password></credentials></properties></com.cloudbees.hudson.plugins.folder.Folder>"),
        f("jobs/project-a1b2c3/jobs/build/config.xml", b"<flow-definition><script>pipeline {}</script></flow-definition>"),
        f("secrets/master.key", b"0123456789abcdef-master-key-bytes"),
        f("secrets/hudson.util.Secret", &[0x8a, 0x00, 0xff, 0x10, 0x42]),
    ]
}

/// An export folder: resources/ with a credential Secret holding a decrypted value, reports.
pub fn export_dir(root: &Path) -> PathBuf {
    let dir = root.join("export");
    let res = dir.join("resources/project-a1b2c3");
    std::fs::create_dir_all(res.join("pipelines")).unwrap();
    std::fs::create_dir_all(res.join("credentials")).unwrap();
    std::fs::write(
        res.join("devopsproject.yaml"),
        "apiVersion: devops.kubesphere.io/v1alpha3\nkind: DevOpsProject\n",
    )
    .unwrap();
    std::fs::write(
        res.join("pipelines/build.yaml"),
        "kind: Pipeline\nmetadata:\n  name: build\n",
    )
    .unwrap();
    std::fs::write(
        res.join("credentials/git.yaml"),
        format!("kind: Secret\nstringData:\n  password: {SECRET_MARKER}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("report.md"), "# Migration report\n").unwrap();
    std::fs::write(dir.join("report.json"), "{\"projects\":1}").unwrap();
    dir
}

pub fn input<'a>(run_id: &str, export: &'a Path) -> BackupInput<'a> {
    BackupInput {
        run_id: run_id.to_string(),
        tool_version: "0.1.0-test".into(),
        sources: vec![
            "mysql://devops@127.0.0.1/devops".into(),
            "jenkins_home=/var/jenkins_home".into(),
        ],
        mysql_json: br#"{"project":[{"project_id":"project-a1b2c3"}]}"#.to_vec(),
        jenkins_files: Box::new(jenkins_files().into_iter().map(Ok)),
        export_dir: export,
        log: b"INFO read 1 project\n".to_vec(),
        revealed: None,
        mysql_issues: MysqlIssues::default(),
    }
}

/// Every regular file under `dir` as (relative path, bytes), sorted.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

pub fn is_empty_or_absent(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut it) => it.next().is_none(),
        Err(_) => true,
    }
}

/// Rewrites one stored object through the store interface with `change` applied.
pub async fn tamper(store: &dyn BackupStore, key: &str, change: impl FnOnce(&mut Vec<u8>)) {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    store.get_to_file(key, tmp.path()).await.unwrap();
    let mut bytes = std::fs::read(tmp.path()).unwrap();
    change(&mut bytes);
    std::fs::write(tmp.path(), &bytes).unwrap();
    store.put_file(key, tmp.path()).await.unwrap();
}

/// A store that passes everything to `inner` but fails the `fail_at`-th upload (1-based),
/// as an interrupted connection would.
#[derive(Debug)]
pub struct FailingStore<'a> {
    pub inner: &'a dyn BackupStore,
    pub fail_at: usize,
    pub puts: AtomicUsize,
}

#[async_trait]
impl BackupStore for FailingStore<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn put_file(&self, key: &str, source: &Path) -> Result<(), StoreError> {
        let n = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at {
            return Err(StoreError::Io {
                action: "uploading",
                path: source.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    format!("connection reset while uploading {key}"),
                ),
            });
        }
        self.inner.put_file(key, source).await
    }
    async fn get_to_file(&self, key: &str, dest: &Path) -> Result<u64, StoreError> {
        self.inner.get_to_file(key, dest).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        self.inner.list(prefix).await
    }
    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key).await
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios, run against every store.
// ---------------------------------------------------------------------------------------------

/// backup → list → describe → verify → restore (export and Jenkins files), byte for byte.
pub async fn round_trip(store: &dyn BackupStore, run_id: &str) {
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    let manifest = create_backup_with(store, input(run_id, &export), &passphrase(), &fast())
        .await
        .unwrap();
    assert_eq!(manifest.format_version, "1.0.0");
    assert_eq!(manifest.encryption.kind, EncryptionKind::Passphrase);
    let names: Vec<(&str, bool)> = manifest
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.encrypted))
        .collect();
    assert_eq!(
        names,
        [
            ("source/mysql.json", false),
            ("source/jenkins.tar.gz.age", true),
            ("export/resources.tar.gz.age", true),
            ("export/report.json", false),
            ("export/report.md", false),
            ("run.log", false),
        ]
    );

    // No stored byte shows the secret material in clear.
    for object in store.list(&format!("{run_id}/")).await.unwrap() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        store.get_to_file(&object.key, tmp.path()).await.unwrap();
        let bytes = std::fs::read(tmp.path()).unwrap();
        for needle in [
            SECRET_MARKER.as_bytes(),
            b"master-key-bytes",
            b"pipeline {}",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds plaintext",
                object.key
            );
        }
    }

    let listing = list_backups(store).await.unwrap();
    let run = listing
        .iter()
        .find(|r| r.run_id == run_id)
        .expect("run listed");
    assert!(run.complete);
    assert_eq!(run.created.as_deref(), Some(manifest.created.as_str()));
    assert!(
        run.size > manifest.total_size(),
        "size counts the manifest too"
    );

    assert_eq!(describe(store, run_id).await.unwrap(), manifest);

    let report = verify(store, run_id, Some(&passphrase_key()))
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert!(
        report.files.iter().all(|f| f.status == FileStatus::Ok),
        "{report:?}"
    );
    let report = verify(store, run_id, None).await.unwrap();
    assert!(report.is_ok());
    assert_eq!(
        report
            .files
            .iter()
            .filter(|f| f.status == FileStatus::NotDecrypted)
            .count(),
        2,
        "{report:?}"
    );

    let out = work.path().join("restored");
    let summary = restore_to_dir(store, run_id, Some(&passphrase_key()), &out)
        .await
        .unwrap();
    assert_eq!(tree(&out), tree(&export));
    assert_eq!(summary.files, 5);

    let jenkins_out = work.path().join("jenkins");
    restore_jenkins_files(store, run_id, Some(&passphrase_key()), &jenkins_out)
        .await
        .unwrap();
    let mut expected: Vec<(String, Vec<u8>)> = jenkins_files()
        .into_iter()
        .map(|f| (f.path, f.bytes))
        .collect();
    expected.sort();
    assert_eq!(tree(&jenkins_out), expected);
}

/// A flipped byte in the encrypted export archive: verify names the file; restore refuses and
/// writes nothing.
pub async fn flipped_byte(store: &dyn BackupStore, run_id: &str) {
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    create_backup_with(store, input(run_id, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let name = "export/resources.tar.gz.age";
    tamper(store, &format!("{run_id}/{name}"), |b| {
        let middle = b.len() / 2;
        b[middle] ^= 0x01;
    })
    .await;
    let report = verify(store, run_id, Some(&passphrase_key()))
        .await
        .unwrap();
    assert!(!report.is_ok());
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(problems.len(), 1, "{report:?}");
    assert_eq!(problems[0].name, name);
    assert!(
        matches!(&problems[0].status, FileStatus::Corrupt(p) if p.contains("SHA-256")),
        "{report:?}"
    );

    let out = work.path().join("restored");
    let err = restore_to_dir(store, run_id, Some(&passphrase_key()), &out)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BackupError::Corrupt { name: n, .. } if n == name),
        "{err}"
    );
    assert!(err.to_string().contains(name), "{err}");
    assert!(
        is_empty_or_absent(&out),
        "restore wrote into {}",
        out.display()
    );
}

/// A wrong passphrase or identity: verify reports both encrypted files undecryptable; restore
/// fails clearly and writes nothing.
pub async fn wrong_key(store: &dyn BackupStore, run_id: &str) {
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    create_backup_with(store, input(run_id, &export), &passphrase(), &fast())
        .await
        .unwrap();
    let wrong = DecryptionKey::Passphrase(SecretString::from("not the passphrase"));
    let report = verify(store, run_id, Some(&wrong)).await.unwrap();
    let problems: Vec<_> = report.problems().collect();
    assert_eq!(
        problems.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["source/jenkins.tar.gz.age", "export/resources.tar.gz.age"]
    );
    for p in &problems {
        assert!(
            matches!(&p.status, FileStatus::Undecryptable(r) if r.contains("passphrase")),
            "{p:?}"
        );
    }
    let (other, _) = generate_identity();
    let report = verify(store, run_id, Some(&DecryptionKey::Identities(vec![other])))
        .await
        .unwrap();
    assert_eq!(report.problems().count(), 2);

    let out = work.path().join("jenkins");
    let err = restore_jenkins_files(store, run_id, Some(&wrong), &out)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::Decrypt { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("source/jenkins.tar.gz.age") && text.contains(run_id),
        "{text}"
    );
    assert!(!text.contains("not the passphrase"));
    assert!(is_empty_or_absent(&out));

    let err = restore_to_dir(store, run_id, None, &work.path().join("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::KeyRequired { .. }), "{err}");
}

/// An upload that fails after the first files: the error is returned, the run is listed as
/// incomplete, and it can be neither described, verified nor restored.
pub async fn interrupted_upload(store: &dyn BackupStore, run_id: &str) {
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    let failing = FailingStore {
        inner: store,
        fail_at: 3,
        puts: AtomicUsize::new(0),
    };
    let err = create_backup_with(&failing, input(run_id, &export), &passphrase(), &fast())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    let run = list_backups(store)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.run_id == run_id)
        .expect("listed");
    assert!(!run.complete);
    assert_eq!(run.objects, 2);
    for err in [
        describe(store, run_id).await.unwrap_err(),
        verify(store, run_id, Some(&passphrase_key()))
            .await
            .unwrap_err(),
        restore_to_dir(
            store,
            run_id,
            Some(&passphrase_key()),
            &work.path().join("out"),
        )
        .await
        .unwrap_err(),
    ] {
        assert!(matches!(err, BackupError::Incomplete { .. }), "{err}");
        assert!(err.to_string().contains(run_id));
    }
    assert!(is_empty_or_absent(&work.path().join("out")));
    // The failed run is never overwritten by a retry under the same id.
    let err = create_backup_with(store, input(run_id, &export), &passphrase(), &fast())
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::RunExists { .. }), "{err}");
}

/// Recipient (X25519) encryption: the right identity restores, the passphrase does not.
pub async fn recipients(store: &dyn BackupStore, run_id: &str) {
    let work = tempfile::tempdir().unwrap();
    let export = export_dir(work.path());
    let (id, public) = generate_identity();
    let manifest = create_backup_with(
        store,
        input(run_id, &export),
        &Protection::Recipients(vec![public]),
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(manifest.encryption.kind, EncryptionKind::Recipients);
    let key = DecryptionKey::Identities(vec![id]);
    assert!(verify(store, run_id, Some(&key)).await.unwrap().is_ok());
    assert!(!verify(store, run_id, Some(&passphrase_key()))
        .await
        .unwrap()
        .is_ok());
    let out = work.path().join("out");
    restore_to_dir(store, run_id, Some(&key), &out)
        .await
        .unwrap();
    assert_eq!(tree(&out), tree(&export));
}
