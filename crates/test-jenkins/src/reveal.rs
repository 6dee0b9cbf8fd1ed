//! The script console's answer to the reveal script, computed offline: the double cannot run
//! Groovy, so it decrypts the home's folder credentials itself with `ksdm-secret`, producing the
//! JSON the real script prints on Jenkins 2.176.

use std::path::Path;

use ksdm_jenkins_xml::folder::parse_folder_credentials;
use ksdm_model::v21::CredentialKind;
use ksdm_secret::{decrypt_with_fallback, derive_key, legacy_key_from_secret_key, SecretKey};
use serde_json::{json, Map, Value};

use crate::home::{self, FOLDER_CLASS};

/// The first line of the client's reveal script (`ksdm_source_jenkins_rest::REVEAL_SCRIPT`).
/// A posted script containing this line is answered; any other script gets 400.
pub const REVEAL_SCRIPT_MARKER: &str =
    "// ksdm-reveal-credentials v1 (read-only; prints JSON only)";

/// The JSON array the reveal script prints: one object `{folder, domain, id, class, fields}` per
/// credential of every top-level folder's own store, in folder order (Jenkins' order) and
/// document order. Field rules mirror the script: `password` when present; `passphrase` when
/// present and not empty (Jenkins drops empty passphrases on load); `privateKey` for a
/// `$DirectEntryPrivateKeySource` only; `secret`; `content` for a
/// `$DirectEntryKubeconfigSource` only; no fields for other classes. Folders whose
/// `config.xml` is not well-formed are skipped (Jenkins would not load them).
///
/// Errors (missing or wrong key files) are described without any value.
pub fn reveal_json(home_dir: &Path) -> Result<String, String> {
    let key = home_key(home_dir)?;
    let historical = std::fs::read(home_dir.join("secret.key"))
        .ok()
        .map(|t| legacy_key_from_secret_key(&t));
    let plain = |stored: &str| {
        Value::String(decrypt_with_fallback(&key, historical.as_ref(), stored).value)
    };
    let mut out = Vec::new();
    for item in home::top_level(home_dir)
        .into_iter()
        .filter(|i| i.class == FOLDER_CLASS)
    {
        let Ok(bytes) = std::fs::read(item.config_path()) else {
            continue;
        };
        let Ok(config) = parse_folder_credentials(&bytes) else {
            continue;
        };
        for credential in config.credentials {
            let mut fields = Map::new();
            match &credential.kind {
                CredentialKind::UsernamePassword { password, .. } => {
                    if let Some(p) = password {
                        fields.insert("password".into(), plain(&p.0));
                    }
                }
                CredentialKind::SshPrivateKey {
                    passphrase,
                    key_source_class,
                    private_key,
                    ..
                } => {
                    if let Some(p) = passphrase {
                        let value = plain(&p.0);
                        if value.as_str().is_some_and(|v| !v.is_empty()) {
                            fields.insert("passphrase".into(), value);
                        }
                    }
                    if key_source_class.ends_with("$DirectEntryPrivateKeySource") {
                        if let Some(k) = private_key {
                            fields.insert("privateKey".into(), plain(&k.0));
                        }
                    }
                }
                CredentialKind::SecretText { secret } => {
                    if let Some(s) = secret {
                        fields.insert("secret".into(), plain(&s.0));
                    }
                }
                CredentialKind::Kubeconfig {
                    source_class,
                    content,
                } => {
                    if source_class.ends_with("$DirectEntryKubeconfigSource") {
                        if let Some(c) = content {
                            fields.insert("content".into(), plain(&c.0));
                        }
                    }
                }
                CredentialKind::Unsupported => {}
            }
            out.push(json!({
                "folder": item.name,
                "domain": credential.domain,
                "id": credential.id,
                "class": credential.class,
                "fields": fields,
            }));
        }
    }
    Ok(Value::Array(out).to_string())
}

fn home_key(home_dir: &Path) -> Result<SecretKey, String> {
    let read = |rel: &str| {
        std::fs::read(home_dir.join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
    };
    let master = read("secrets/master.key")?;
    let hudson = read("secrets/hudson.util.Secret")?;
    derive_key(&master, &hudson)
        .map_err(|e| format!("cannot derive the hudson.util.Secret key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CredentialSpec, HomeBuilder};

    #[test]
    fn reveals_top_level_folder_credentials_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut home = HomeBuilder::new(dir.path()).unwrap();
        home.folder(
            "p",
            &[
                CredentialSpec::UsernamePassword {
                    id: "u".into(),
                    username: "n".into(),
                    password: "pw".into(),
                },
                CredentialSpec::SshKey {
                    id: "s".into(),
                    username: "g".into(),
                    passphrase: Some(String::new()),
                    private_key: "K\n".into(),
                },
                CredentialSpec::SecretFile { id: "f".into() },
            ],
        )
        .unwrap();
        home.job(
            "p",
            "nested",
            "<com.cloudbees.hudson.plugins.folder.Folder/>",
        )
        .unwrap();
        home.top_level_item("init-job", "<flow-definition/>")
            .unwrap();
        let out: Value = serde_json::from_str(&reveal_json(dir.path()).unwrap()).unwrap();
        assert_eq!(
            out,
            json!([
                {"folder": "p", "domain": "_", "id": "u", "class": "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl", "fields": {"password": "pw"}},
                {"folder": "p", "domain": "_", "id": "s", "class": "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey", "fields": {"privateKey": "K\n"}},
                {"folder": "p", "domain": "_", "id": "f", "class": "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl", "fields": {}},
            ])
        );
    }

    #[test]
    fn missing_key_files_are_an_error_without_values() {
        let dir = tempfile::tempdir().unwrap();
        let err = reveal_json(dir.path()).unwrap_err();
        assert!(err.contains("secrets/master.key"), "{err}");
    }
}
