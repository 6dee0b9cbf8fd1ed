//! The opt-in script-console path: same values as offline decryption, crumb handling, and no
//! value in any error.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use ksdm_model::v21::CredentialKind;
use ksdm_source_jenkins_rest::{
    JenkinsClient, RevealedValues, REVEAL_SCRIPT, REVEAL_SCRIPT_MARKER,
};
use ksdm_test_jenkins::{DoubleConfig, FaultAction, FaultRule, JenkinsDouble};

/// Offline decryption of every top-level folder's credential store, with the script's field
/// rules, as plain strings.
fn offline_values(dir: &Path) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> {
    let home = ksdm_source::jenkins_home::JenkinsHome::open(dir).unwrap();
    let keys = home.keys().unwrap();
    let key = ksdm_secret::derive_key(&keys.master_key.unwrap(), &keys.hudson_util_secret.unwrap())
        .unwrap();
    let plain = |s: &ksdm_model::v21::StoredSecret| ksdm_secret::decrypt(&key, &s.0).value;
    let mut out = BTreeMap::new();
    for folder in home.folders().unwrap() {
        let folder = folder.unwrap();
        let Some(xml) = folder.config_xml else {
            continue;
        };
        let config = ksdm_jenkins_xml::folder::parse_folder_credentials(&xml).unwrap();
        if config.root_class != ksdm_jenkins_xml::folder::FOLDER_CLASS {
            continue;
        }
        let creds: &mut BTreeMap<String, BTreeMap<String, String>> =
            out.entry(folder.name.clone()).or_default();
        for c in config.credentials {
            let mut fields = BTreeMap::new();
            match &c.kind {
                CredentialKind::UsernamePassword {
                    password: Some(p), ..
                } => {
                    fields.insert("password".to_owned(), plain(p));
                }
                CredentialKind::SshPrivateKey {
                    passphrase,
                    private_key,
                    ..
                } => {
                    if let Some(p) = passphrase.as_ref().map(plain).filter(|p| !p.is_empty()) {
                        fields.insert("passphrase".to_owned(), p);
                    }
                    if let Some(k) = private_key {
                        fields.insert("privateKey".to_owned(), plain(k));
                    }
                }
                CredentialKind::SecretText { secret: Some(s) } => {
                    fields.insert("secret".to_owned(), plain(s));
                }
                CredentialKind::Kubeconfig {
                    content: Some(k), ..
                } => {
                    fields.insert("content".to_owned(), plain(k));
                }
                _ => {}
            }
            creds.entry(c.id.clone()).or_insert(fields);
        }
        if creds.is_empty() {
            out.remove(&folder.name);
        }
    }
    out
}

fn as_strings(
    values: &RevealedValues,
) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> {
    values
        .iter()
        .map(|(folder, creds)| {
            let creds = creds
                .iter()
                .map(|(id, fields)| {
                    let fields = fields
                        .iter()
                        .map(|(k, v)| (k.clone(), String::from_utf8(v.expose().to_vec()).unwrap()))
                        .collect();
                    (id.clone(), fields)
                })
                .collect();
            (folder.clone(), creds)
        })
        .collect()
}

#[tokio::test]
async fn script_console_values_equal_offline_decryption() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let revealed = client(&double).reveal_credentials().await.expect("reveal");
    let online = as_strings(&revealed);
    assert_eq!(online, offline_values(dir.path()));

    // And they are the values that went in.
    let a = &online[PROJECT_A];
    assert_eq!(a["github-id"]["password"], "pa$$ wörd");
    assert_eq!(a["ssh.Key_1"]["privateKey"], ssh_key());
    assert_eq!(a["ssh.Key_1"]["passphrase"], "pp");
    assert!(!a["ssh-nopass"].contains_key("passphrase"));
    assert_eq!(
        a["ssh-nopass"]["privateKey"], "k1\u{c}k2\n",
        "keys exactly as stored, \\f-joined"
    );
    assert_eq!(a["sonar token"]["secret"], "t0k\n");
    assert_eq!(a["kubeconfig"]["content"], "apiVersion: v1\nkind: Config\n");
    assert!(a["a-file"].is_empty());
    assert_eq!(online[PROJECT_B]["token"]["secret"], "ünï-secret");
    assert_eq!(
        online[PROJECT_B]["gh"]["password"], "p2",
        "other domains too"
    );
    assert!(!online.contains_key(PROJECT_C) && !online.contains_key("init-job"));
    // Debug output never shows values.
    assert!(!format!("{revealed:?}").contains("pa$$"));
}

#[test]
fn the_double_recognises_the_script() {
    assert_eq!(
        REVEAL_SCRIPT_MARKER,
        ksdm_test_jenkins::REVEAL_SCRIPT_MARKER
    );
    assert_eq!(REVEAL_SCRIPT.lines().next(), Some(REVEAL_SCRIPT_MARKER));
}

#[tokio::test]
async fn posts_need_the_crumb() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    ksdm_source_jenkins_rest::install_crypto_provider();
    let raw = reqwest::Client::new();
    let url = format!("{}scriptText", double.url());
    let form = [("script", REVEAL_SCRIPT)];
    let without = raw
        .post(&url)
        .basic_auth(double.user(), Some(double.token()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status().as_u16(), 403);
    assert!(without.text().await.unwrap().contains("No valid crumb"));
    let with = raw
        .post(&url)
        .basic_auth(double.user(), Some(double.token()))
        .header("Jenkins-Crumb", double.crumb())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status().as_u16(), 200);
    let other = raw
        .post(&url)
        .basic_auth(double.user(), Some(double.token()))
        .header("Jenkins-Crumb", double.crumb())
        .form(&[("script", "println Jenkins.instance.systemMessage")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 400);

    // The client fetches and sends the crumb itself.
    assert!(client(&double).reveal_credentials().await.is_ok());
    assert_eq!(double.stats().count("/crumbIssuer/api/json"), 1);
}

#[tokio::test]
async fn crumb_with_session_cookie_and_no_crumb_issuer_both_work() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let mut config = DoubleConfig::new(dir.path());
    config.crumb_requires_session = true;
    let double = JenkinsDouble::start(config).unwrap();
    let values = client(&double)
        .reveal_credentials()
        .await
        .expect("crumb + cookie");
    assert_eq!(as_strings(&values), offline_values(dir.path()));

    let mut config = DoubleConfig::new(dir.path());
    config.crumbs = false;
    let double = JenkinsDouble::start(config).unwrap();
    let values = client(&double)
        .reveal_credentials()
        .await
        .expect("no crumb issuer");
    assert_eq!(as_strings(&values), offline_values(dir.path()));
}

#[tokio::test]
async fn script_console_errors_never_show_values() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    double.faults().add(FaultRule::path_contains(
        "/scriptText",
        FaultAction::TruncateBody,
    ));
    let err = client(&double).reveal_credentials().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("script console"), "{text}");
    for value in ["pa$$", "t0k", "apiVersion", "BEGIN RSA"] {
        assert!(!text.contains(value), "{text}");
    }

    // Forbidden (no Overall/RunScripts): a 403 naming the permission.
    double.faults().clear();
    double.faults().add(FaultRule::path_contains(
        "/scriptText",
        FaultAction::Status(403),
    ));
    let err = client(&double).reveal_credentials().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("Overall/RunScripts"), "{err}");
}

#[tokio::test]
async fn wrong_token_on_the_script_console_is_401() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let mut opts = options(&double);
    opts.token = Some(ksdm_model::Plaintext::from_string("nope".into()));
    let err = JenkinsClient::new(opts)
        .unwrap()
        .reveal_credentials()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn script_console_on_the_bundled_sample_equals_offline_decryption() {
    let sample = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../sample/jenkins_home"
    ));
    if !sample.is_dir() {
        eprintln!("sample/jenkins_home not generated yet; covered by the tempdir home above");
        return;
    }
    let double = start(sample);
    let revealed = client(&double).reveal_credentials().await.expect("reveal");
    let expected = offline_values(sample);
    assert!(!expected.is_empty(), "the sample has folder credentials");
    assert_eq!(as_strings(&revealed), expected);
}
