//! The bundled sample estate: deterministic, committed copy up to date, secrets decryptable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ksdm_secret::SecretForm;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sample");
const REFRESH: &str = "run `cargo run -p ksdm-estate --example write-sample -- sample` to refresh";

/// All files under `dir`, relative path → bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
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
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn fresh_sample() -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    ksdm_estate::write_sample(dir.path()).expect("write sample");
    let tree = read_tree(dir.path());
    (dir, tree)
}

#[test]
fn sample_is_deterministic() {
    let (_a, first) = fresh_sample();
    let (_b, second) = fresh_sample();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(
            second.get(path) == Some(bytes),
            "{path} differs between two writes"
        );
    }
    assert!(first.len() > 25, "only {} files", first.len());
}

#[test]
fn committed_sample_is_up_to_date() {
    let committed_dir = Path::new(COMMITTED);
    assert!(
        committed_dir.join("devops.sql").is_file(),
        "sample/devops.sql is missing: {REFRESH}"
    );
    let (_dir, fresh) = fresh_sample();
    let mut committed = read_tree(committed_dir);
    // Hand-written files that live beside the generated ones.
    committed.remove("README.md");
    committed.remove(".gitattributes");
    for (path, bytes) in &fresh {
        match committed.get(path) {
            None => panic!("sample/{path} is missing: {REFRESH}"),
            Some(c) if c != bytes => panic!("sample/{path} is stale: {REFRESH}"),
            Some(_) => {}
        }
    }
    for path in committed.keys() {
        assert!(
            fresh.contains_key(path),
            "sample/{path} is not produced by write_sample: {REFRESH}"
        );
    }
}

/// The text of `<field>…</field>` inside the credential element whose `<id>` is `id`.
fn stored_field<'a>(folder_xml: &'a str, id: &str, field: &str) -> Option<&'a str> {
    let start = folder_xml.find(&format!("<id>{id}</id>"))?;
    let rest = &folder_xml[start..];
    let end_of_cred = rest[5..].find("<id>").map(|i| i + 5).unwrap_or(rest.len());
    let cred = &rest[..end_of_cred];
    let open = format!("<{field}>");
    let a = cred.find(&open)? + open.len();
    let b = cred[a..].find(&format!("</{field}>"))? + a;
    Some(&cred[a..b])
}

#[test]
fn sample_secrets_decrypt_to_the_plaintexts() {
    let (dir, _) = fresh_sample();
    let home = dir.path().join("jenkins_home");
    let master = std::fs::read(home.join("secrets/master.key")).expect("master.key");
    let hudson =
        std::fs::read(home.join("secrets/hudson.util.Secret")).expect("hudson.util.Secret");
    assert_eq!(master.len(), 256, "master.key is 256 hex characters");
    let key = ksdm_secret::derive_key(&master, &hudson).expect("key derives");
    let plaintexts = ksdm_estate::sample_plaintexts();
    assert!(plaintexts.len() >= 15, "{}", plaintexts.len());
    for (project, id, field, value) in plaintexts {
        let xml = std::fs::read_to_string(home.join("jobs").join(&project).join("config.xml"))
            .expect("folder config");
        let stored = stored_field(&xml, &id, &field)
            .unwrap_or_else(|| panic!("{project}/{id}: no <{field}> element"));
        assert!(
            stored.starts_with("{AQAAABAAAA") && stored.ends_with('}'),
            "{project}/{id}/{field}: {stored}"
        );
        let decoded = ksdm_secret::decrypt(&key, stored);
        assert_eq!(
            decoded.form,
            SecretForm::NewFormat,
            "{project}/{id}/{field}"
        );
        assert!(
            decoded.value == value,
            "{project}/{id}/{field} decrypts to another value"
        );
    }
}

#[test]
fn sample_layout_matches_the_requirements() {
    let (dir, tree) = fresh_sample();
    let has = |p: &str| tree.contains_key(p);
    assert!(has("devops.sql"));
    assert!(has("jenkins_home/config.xml"));
    assert!(has("jenkins_home/jobs/init-job/config.xml"));
    assert!(has(
        "jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/api-gateway/branches/master/config.xml"
    ));
    assert!(has(
        "jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/build-app/builds/1/log"
    ));
    assert!(has(
        "jenkins_home/jobs/project-W4zNlwJLzgRB/jobs/build-app/nextBuildNumber"
    ));
    // Orphan folder without a row; active project and deleted project without folders.
    assert!(has("jenkins_home/jobs/project-Hn4Mv6Cx1Bz0/config.xml"));
    assert!(!tree
        .keys()
        .any(|k| k.contains("project-Zx3Kd9PwQn7T") || k.contains("project-R2dE5tGhY8uI")));
    let sql = String::from_utf8(tree["devops.sql"].clone()).expect("utf-8 dump");
    assert!(sql.contains("'project-Zx3Kd9PwQn7T'") && sql.contains("'deleted'"));
    assert!(!sql.contains("project-Hn4Mv6Cx1Bz0"));
    assert!(sql.contains("'Team Alpha_CI'"));
    assert!(
        sql.contains("'Alpha\\'s \\\"CI\\\" sandbox\\nbuilds for C:\\\\ci too'"),
        "escapes in the dump"
    );

    let job = |p: &str, n: &str| {
        String::from_utf8(tree[&format!("jenkins_home/jobs/{p}/jobs/{n}/config.xml")].clone())
            .expect("utf-8")
    };
    let alpha = "project-W4zNlwJLzgRB";
    let build_app = job(alpha, "build-app");
    assert!(build_app.starts_with(
        "<?xml version=\"1.1\" encoding=\"UTF-8\"?><flow-definition plugin=\"workflow-job\">\n"
    ));
    assert!(build_app.contains("echo \"部署 ✓\""));
    assert!(build_app.contains(
        "&lt;note&gt;&lt;![CDATA[build ${BUILD_NUMBER} &amp; &lt;more&gt;]]&gt;&lt;/note&gt;"
    ));
    assert!(build_app.contains("\nnull\n"));
    assert!(job(alpha, "Build_Release").contains("node('base') {\r\n"));
    let resaved = job(alpha, "nightly-report");
    assert!(resaved.starts_with(
        "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin=\"workflow-job@2.32\">"
    ));
    assert!(resaved.contains("hudson.plugins.jira.JiraProjectProperty"));
    assert!(resaved.contains("<hudson.triggers.TimerTrigger>"));
    assert!(job(alpha, "infra-from-scm").contains("CpsScmFlowDefinition"));
    assert!(job(alpha, "legacy-freestyle").contains("\n<project>\n"));
    assert!(!job(alpha, "broken-job").ends_with("</flow-definition>"));
    assert!(job("project-qJ8xY2mR5kLp", "payments-bb").contains("BranchDiscoveryTrait>&gt;"));
    let folder =
        String::from_utf8(tree["jenkins_home/jobs/project-W4zNlwJLzgRB/config.xml"].clone())
            .expect("utf-8");
    assert!(folder.contains("<id>GitHub_Token</id>"));
    assert!(folder.contains("org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl"));
    assert!(folder.contains("KubeconfigCredentials$DirectEntryKubeconfigSource"));
    drop(dir);
}
