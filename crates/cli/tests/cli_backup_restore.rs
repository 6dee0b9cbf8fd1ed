//! End to end: `backup` (create, list, describe, verify — with the right key, a wrong key and a
//! corrupted file) and `restore` (`--to-dir`, `--jenkins-files`, `--dry-run`, re-apply into a
//! fresh API server test double).

mod cluster_support;
mod common;

use std::collections::BTreeSet;

use cluster_support::*;
use serde_json::Value;

const PASS: &str = "pass.txt";
const WRONG: &str = "wrong.txt";
const RESOURCES_PART: &str = "export/resources.tar.gz.age";

/// The status column `backup verify` prints for `file`.
fn verify_status<'a>(stdout: &'a str, file: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(file).map(str::trim))
        .unwrap_or_else(|| panic!("backup verify does not list {file}:\n{stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_verify_restore_round_trip() {
    // This server stays empty until the restore re-applies the backup into it.
    let h = Harness::start(default_options()).await;
    std::fs::write(h.path().join(PASS), "correct horse battery staple\n").expect("passphrase");
    std::fs::write(h.path().join(WRONG), "not the passphrase\n").expect("passphrase");

    let b = h
        .run(&["backup", "--sample", "--passphrase-file", PASS])
        .await;
    assert_eq!(
        b.status.code(),
        Some(4),
        "the sample's corrupt item is reported\n{}",
        show(&b)
    );
    let run = h.only_run();
    assert!(
        texts(&b).0.contains(&format!("backup {run} written")),
        "{}",
        show(&b)
    );

    let list = h.run(&["backup", "list"]).await;
    assert_eq!(list.status.code(), Some(0), "{}", show(&list));
    let line = texts(&list)
        .0
        .lines()
        .find(|l| l.starts_with(&run))
        .map(str::to_string);
    let line = line.unwrap_or_else(|| panic!("{run} not listed\n{}", show(&list)));
    assert!(
        line.contains("complete") && !line.contains("INCOMPLETE"),
        "{line}"
    );

    let describe = h.run(&["backup", "describe", &run]).await;
    assert_eq!(describe.status.code(), Some(0), "{}", show(&describe));
    let manifest: Value =
        serde_json::from_slice(&describe.stdout).expect("describe prints the manifest as JSON");
    assert!(manifest.to_string().contains(RESOURCES_PART), "{manifest}");

    let ok = h
        .run(&["backup", "verify", &run, "--passphrase-file", PASS])
        .await;
    assert_eq!(ok.status.code(), Some(0), "{}", show(&ok));
    assert_eq!(verify_status(&texts(&ok).0, RESOURCES_PART), "Ok");

    let wrong = h
        .run(&["backup", "verify", &run, "--passphrase-file", WRONG])
        .await;
    assert_ne!(wrong.status.code(), Some(0), "{}", show(&wrong));
    assert!(
        verify_status(&texts(&wrong).0, RESOURCES_PART).contains("wrong passphrase"),
        "{}",
        show(&wrong)
    );
    let wrong_restore = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            WRONG,
            "--to-dir",
            "never",
        ])
        .await;
    assert_ne!(
        wrong_restore.status.code(),
        Some(0),
        "{}",
        show(&wrong_restore)
    );
    assert!(
        texts(&wrong_restore).1.contains("wrong passphrase"),
        "{}",
        show(&wrong_restore)
    );

    // --to-dir: the export tree byte for byte.
    let to_dir = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            PASS,
            "--to-dir",
            "restored",
        ])
        .await;
    assert_eq!(to_dir.status.code(), Some(0), "{}", show(&to_dir));
    let (orig, copy) = (
        h.out().join("resources"),
        h.path().join("restored/resources"),
    );
    let files = common::files(&orig);
    assert!(!files.is_empty());
    assert_eq!(common::files(&copy), files);
    for f in &files {
        assert_eq!(
            std::fs::read(orig.join(f)).ok(),
            std::fs::read(copy.join(f)).ok(),
            "{}",
            f.display()
        );
    }

    // --jenkins-files: the config.xml files and key files, as they were.
    let jf = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            PASS,
            "--jenkins-files",
            "jenkins",
        ])
        .await;
    assert_eq!(jf.status.code(), Some(0), "{}", show(&jf));
    let (sample, restored) = (
        common::repo().join("sample/jenkins_home"),
        h.path().join("jenkins"),
    );
    let got = common::files(&restored);
    let names: BTreeSet<String> = got.iter().map(|p| p.display().to_string()).collect();
    assert!(
        names.contains("secrets/master.key") && names.contains("secrets/hudson.util.Secret"),
        "{names:?}"
    );
    let folders = names
        .iter()
        .filter(|n| {
            n.starts_with("jobs/") && n.matches('/').count() == 2 && n.ends_with("/config.xml")
        })
        .count();
    assert!(folders >= 4, "project folder config.xml files: {names:?}");
    for f in &got {
        assert_eq!(
            std::fs::read(restored.join(f)).ok(),
            std::fs::read(sample.join(f)).ok(),
            "{}",
            f.display()
        );
    }

    // Re-apply: --dry-run writes nothing, then the real thing creates every object.
    let kc = h.kc();
    let dry = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            PASS,
            "--kubeconfig",
            &kc,
            "--dry-run",
        ])
        .await;
    assert_eq!(dry.status.code(), Some(0), "{}", show(&dry));
    assert!(
        texts(&dry).0.contains("restore plan (nothing written)"),
        "{}",
        show(&dry)
    );
    assert!(
        h.write_requests().is_empty(),
        "the dry run wrote: {:?}",
        h.write_requests()
    );
    let tree = tree_keys(&orig);
    let snap = h.server.snapshot();
    assert!(
        tree.iter().all(|k| snap.get(k.as_str()).is_none()),
        "the dry run created objects"
    );

    let apply = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            PASS,
            "--kubeconfig",
            &kc,
            "--namespace-timeout",
            "20s",
        ])
        .await;
    assert_eq!(apply.status.code(), Some(0), "{}", show(&apply));
    assert!(
        texts(&apply)
            .0
            .contains(&format!("restored: {} created, 0 updated", tree.len())),
        "{}",
        show(&apply)
    );
    let snap = h.server.snapshot();
    let missing: Vec<&String> = tree
        .iter()
        .filter(|k| snap.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "not restored: {missing:?}");

    // One flipped byte: verify names the file and fails, with or without the key; restore refuses.
    let part = h.path().join(STORE).join(&run).join(RESOURCES_PART);
    let mut bytes = std::fs::read(&part).expect("backup part");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&part, bytes).expect("corrupt the part");
    for key in [&["--passphrase-file", PASS][..], &[][..]] {
        let bad = h
            .run(&[&["backup", "verify", run.as_str()][..], key].concat())
            .await;
        assert_ne!(bad.status.code(), Some(0), "{}", show(&bad));
        let stdout = texts(&bad).0;
        assert_ne!(verify_status(&stdout, RESOURCES_PART), "Ok", "{stdout}");
        assert_eq!(
            verify_status(&stdout, "export/report.json"),
            "Ok",
            "{stdout}"
        );
    }
    let refused = h
        .run(&[
            "restore",
            &run,
            "--passphrase-file",
            PASS,
            "--to-dir",
            "restored-again",
        ])
        .await;
    assert_ne!(refused.status.code(), Some(0), "{}", show(&refused));
    assert!(
        texts(&refused).1.contains("resources.tar.gz"),
        "{}",
        show(&refused)
    );
}
