//! Synthetic estates: reproducible, complete, parseable and decryptable.

use std::path::Path;

use ksdm_estate::{write_synthetic, write_synthetic_with, Realism, SyntheticOptions};

fn opts() -> SyntheticOptions {
    SyntheticOptions {
        projects: 12,
        pipelines_per_project: 6,
        credentials_per_project: 5,
        workspaces: 3,
        seed: 42,
        workspace_column: true,
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn synthetic_estate_is_reproducible_and_complete() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let sa = write_synthetic(a.path(), &opts()).expect("write a");
    let sb = write_synthetic(b.path(), &opts()).expect("write b");
    assert_eq!(sa, sb);
    assert_eq!(sa.projects, 12);
    assert_eq!(sa.pipelines, sa.folders * 6);
    assert_eq!(sa.credentials, sa.folders * 5);
    assert!(
        files(a.path()) == files(b.path()),
        "two writes with the same seed differ"
    );

    let other = tempfile::tempdir().expect("tempdir");
    write_synthetic(other.path(), &SyntheticOptions { seed: 43, ..opts() }).expect("write");
    assert!(
        files(a.path()) != files(other.path()),
        "the seed changes the estate"
    );

    let sql = std::fs::read_to_string(a.path().join("devops.sql")).expect("dump");
    assert_eq!(sql.matches("'workspace-").count(), 12);
    let folders: Vec<_> = std::fs::read_dir(a.path().join("jenkins_home/jobs"))
        .expect("jobs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("project-"))
        .collect();
    assert_eq!(folders.len(), sa.folders);
    for f in &folders {
        assert!(
            sql.contains(&format!("('{f}',")),
            "folder {f} has a project row"
        );
    }
}

#[test]
fn synthetic_jobs_parse_and_secrets_decrypt() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_synthetic(dir.path(), &opts()).expect("write");
    let home = dir.path().join("jenkins_home");
    let key = ksdm_secret::derive_key(
        &std::fs::read(home.join("secrets/master.key")).expect("master.key"),
        &std::fs::read(home.join("secrets/hudson.util.Secret")).expect("secret"),
    )
    .expect("key");
    let mut parsed = 0;
    let mut secrets = 0;
    for (path, bytes) in files(&home.join("jobs")) {
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        if path.contains("/jobs/") {
            let name = Path::new(&path)
                .parent()
                .and_then(|p| p.file_name())
                .expect("job dir");
            let job = ksdm_convert::v30_parse::parse_job(&name.to_string_lossy(), &bytes)
                .expect("parses");
            assert!(job.spec.is_some(), "{path}");
            parsed += 1;
        } else if path.ends_with("config.xml") && path.starts_with("project-") {
            for stored in text
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}'))
                .map(|(v, _)| v)
            {
                if stored.starts_with("AQAAAB") {
                    let d = ksdm_secret::decrypt(&key, &format!("{{{stored}}}"));
                    assert!(d.is_decrypted(), "{path}");
                    secrets += 1;
                }
            }
        }
    }
    assert!(parsed >= 60, "{parsed}");
    assert!(secrets >= 55, "{secrets}");
}

#[test]
fn benchmark_realism_pads_jenkinsfiles_and_adds_secret_files_only() {
    let plain = tempfile::tempdir().expect("tempdir");
    let real = tempfile::tempdir().expect("tempdir");
    let sp = write_synthetic(plain.path(), &opts()).expect("write plain");
    let sr = write_synthetic_with(real.path(), &opts(), &Realism::benchmark()).expect("write real");
    assert_eq!(sp, sr, "same counts");
    let (a, b) = (files(plain.path()), files(real.path()));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "same files"
    );
    let dump = |f: &[(String, Vec<u8>)]| f.iter().find(|x| x.0 == "devops.sql").cloned();
    assert_eq!(dump(&a), dump(&b), "the dump does not change");
    // Inline Jenkinsfiles (`<script>`) are padded to 1–50 KB; nothing else about a job changes size much.
    let scripts: Vec<usize> = b
        .iter()
        .filter(|(n, _)| n.contains("/jobs/") && n.ends_with("config.xml"))
        .filter_map(|(_, x)| {
            let t = String::from_utf8_lossy(x);
            let start = t.find("<script>")?;
            let end = t.find("</script>")?;
            Some(end - start)
        })
        .collect();
    assert!(!scripts.is_empty(), "some pipelines have inline scripts");
    // (A few re-saved jobs keep the generator's short script.)
    let in_range = scripts
        .iter()
        .filter(|&&n| (1000..=60 * 1024).contains(&n))
        .count();
    assert!(
        in_range * 10 >= scripts.len() * 9 && scripts.iter().all(|&n| n <= 60 * 1024),
        "script sizes out of range: {scripts:?}"
    );
    assert!(
        scripts.iter().any(|&n| n > 5 * 1024),
        "a spread of sizes: {scripts:?}"
    );
    let folder_xml: String = b
        .iter()
        .filter(|(n, _)| n.matches('/').count() == 3 && n.ends_with("config.xml"))
        .map(|(_, x)| String::from_utf8_lossy(x).into_owned())
        .collect();
    for class in [
        "UsernamePasswordCredentialsImpl",
        "BasicSSHUserPrivateKey",
        "StringCredentialsImpl",
        "KubeconfigCredentials",
        "FileCredentialsImpl",
    ] {
        assert!(folder_xml.contains(class), "no {class} credential");
    }
}
