//! Jenkins folder credential → v3.0 credential `Secret` (`docs/v30-objects.md` §4, §6).
//!
//! Values are decrypted offline (`ksdm-secret`). The `credential.devops.kubesphere.io/autosync`
//! annotation is never written: without it the v3.0 controller never overwrites an existing
//! Jenkins credential, so neither a placeholder nor a stale copy can erase a real secret.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use ksdm_model::v21::{CredentialKind, CredentialMeta, JenkinsCredential, StoredSecret};
use ksdm_model::v30::{CredentialType, CREATOR_ANNOTATION, DESCRIPTION_ANNOTATION};
use ksdm_model::{Finding, Outcome, Plaintext};
use ksdm_secret::{decrypt, SecretForm, SecretKey};

use crate::naming::subdomain_problem;

const DIRECT_KEY_SOURCE: &str = ksdm_jenkins_xml::class::credential::SSH_DIRECT_ENTRY;
const DIRECT_KUBECONFIG_SOURCE: &str = ksdm_jenkins_xml::class::credential::KUBECONFIG_DIRECT_ENTRY;

/// How values are obtained for this run.
pub enum ValueSource<'a> {
    /// Decrypt with this key.
    Decrypt(&'a SecretKey),
    /// Write placeholders; the reason goes into the manual task.
    Placeholder(&'a str),
    /// Values were wanted but cannot be decrypted: the credential fails with this reason.
    Unavailable(&'a str),
    /// Values revealed by a running Jenkins: field name → value.
    Revealed(&'a BTreeMap<String, Plaintext>),
}

/// Result of converting one credential. `Debug` never shows the Secret's values.
pub struct ConvertedCredential {
    /// Outcome.
    pub outcome: Outcome,
    /// The Secret, when one is emitted.
    pub object: Option<Secret>,
    /// Findings (never contain values).
    pub findings: Vec<Finding>,
}

impl std::fmt::Debug for ConvertedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertedCredential")
            .field("outcome", &self.outcome)
            .field(
                "object",
                &self.object.as_ref().map(crate::object::RedactedSecret),
            )
            .field("findings", &self.findings)
            .finish()
    }
}

fn short_class(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// Converts a credential of the project whose admin namespace is `namespace`.
/// `meta` is its `project_credential` row (if any); `project_creator` is the fallback creator.
pub fn convert_credential(
    c: &JenkinsCredential,
    meta: Option<&CredentialMeta>,
    namespace: &str,
    project_creator: &str,
    values: &ValueSource<'_>,
) -> ConvertedCredential {
    let mut findings = Vec::new();
    let unsupported = |findings: &mut Vec<Finding>, code: &str, msg: String| {
        findings.push(Finding::manual(code, msg));
        ConvertedCredential {
            outcome: Outcome::Unsupported,
            object: None,
            findings: std::mem::take(findings),
        }
    };
    if c.domain != "_" {
        return unsupported(
            &mut findings,
            "credential.domain-unsupported",
            format!(
                "credential {:?} is in domain {:?}; KubeSphere v3.0 only manages the global domain `_` \
                 (it stays in Jenkins)",
                c.id, c.domain
            ),
        );
    }
    let ctype = match &c.kind {
        CredentialKind::UsernamePassword { .. } => CredentialType::BasicAuth,
        CredentialKind::SshPrivateKey { key_source_class, .. } => {
            if key_source_class != DIRECT_KEY_SOURCE {
                return unsupported(
                    &mut findings,
                    "credential.key-source-unsupported",
                    format!(
                        "SSH credential {:?} takes its key from {:?}, not from a directly entered key; \
                         it cannot become an ssh-auth Secret (it stays in Jenkins)",
                        c.id,
                        short_class(key_source_class)
                    ),
                );
            }
            CredentialType::SshAuth
        }
        CredentialKind::SecretText { .. } => CredentialType::SecretText,
        CredentialKind::Kubeconfig { source_class, .. } => {
            if source_class != DIRECT_KUBECONFIG_SOURCE {
                return unsupported(
                    &mut findings,
                    "credential.key-source-unsupported",
                    format!(
                        "kubeconfig credential {:?} reads its content from {:?}, not from direct entry; \
                         it cannot become a kubeconfig Secret (it stays in Jenkins)",
                        c.id,
                        short_class(source_class)
                    ),
                );
            }
            CredentialType::Kubeconfig
        }
        CredentialKind::Unsupported => {
            return unsupported(
                &mut findings,
                "credential.type-unsupported",
                format!(
                    "credential {:?} is of type {:?}, which KubeSphere v3.0 does not support; it stays in \
                     Jenkins and is invisible in KubeSphere",
                    c.id,
                    short_class(&c.class)
                ),
            )
        }
    };
    if let Some(problem) = subdomain_problem(&c.id) {
        return unsupported(
            &mut findings,
            "credential.id-unrepresentable",
            format!(
                "credential id {:?} is not a valid Secret name: it {problem}. Jenkins ids are case-sensitive \
                 and pipelines refer to this exact id, so a renamed Secret would be a different (empty) \
                 credential; rename it in Jenkins and in the pipelines that use it, then rerun",
                c.id
            ),
        );
    }

    let creator = match meta {
        Some(m) => m.creator.clone(),
        None => {
            findings.push(Finding::info(
                "credential.no-metadata-row",
                format!(
                    "credential {:?} has no project_credential row (created in the Jenkins UI?); creator set \
                     to the project creator {project_creator:?}",
                    c.id
                ),
            ));
            project_creator.to_string()
        }
    };

    let data = match values {
        ValueSource::Unavailable(reason) => {
            findings.push(Finding::error(
                "credential.undecryptable",
                format!(
                    "values of credential {:?} cannot be decrypted: {reason}",
                    c.id
                ),
            ));
            return ConvertedCredential {
                outcome: Outcome::Failed,
                object: None,
                findings,
            };
        }
        ValueSource::Placeholder(reason) => {
            findings.push(Finding::manual(
                "credential.values-omitted",
                format!(
                    "credential {:?} written without its secret values ({reason}); Jenkins keeps the real \
                     value (no autosync annotation). Re-enter it in KubeSphere if you want to edit it there",
                    c.id
                ),
            ));
            placeholder_data(&c.kind)
        }
        ValueSource::Decrypt(key) => decrypted_data(&c.id, &c.kind, key, &mut findings),
        ValueSource::Revealed(fields) => revealed_data(&c.kind, fields),
    };

    let name = c.id.clone();
    let mut labels = BTreeMap::new();
    labels.insert("app".to_string(), name.clone());
    let mut annotations = BTreeMap::new();
    annotations.insert(CREATOR_ANNOTATION.to_string(), creator);
    if !c.description.is_empty() {
        annotations.insert(DESCRIPTION_ANNOTATION.to_string(), c.description.clone());
    }
    let data: BTreeMap<String, ByteString> = ctype
        .data_keys()
        .iter()
        .map(|k| {
            let v = data
                .get(*k)
                .map(|p| p.expose().to_vec())
                .unwrap_or_default();
            (k.to_string(), ByteString(v))
        })
        .collect();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.to_string()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        type_: Some(ctype.secret_type().to_string()),
        data: Some(data),
        ..Secret::default()
    };
    let outcome = crate::migrated_outcome(&findings);
    ConvertedCredential {
        outcome,
        object: Some(secret),
        findings,
    }
}

fn username_of(kind: &CredentialKind) -> Option<&str> {
    match kind {
        CredentialKind::UsernamePassword { username, .. }
        | CredentialKind::SshPrivateKey { username, .. } => Some(username),
        _ => None,
    }
}

fn placeholder_data(kind: &CredentialKind) -> BTreeMap<&'static str, Plaintext> {
    let mut out = BTreeMap::new();
    if let Some(u) = username_of(kind) {
        out.insert("username", Plaintext::from_string(u.to_string()));
    }
    out
}

fn revealed_data(
    kind: &CredentialKind,
    fields: &BTreeMap<String, Plaintext>,
) -> BTreeMap<&'static str, Plaintext> {
    let mut out = placeholder_data(kind);
    let map: &[(&str, &[&'static str])] = match kind {
        CredentialKind::UsernamePassword { .. } => &[("password", &["password"])],
        CredentialKind::SshPrivateKey { .. } => &[
            ("passphrase", &["passphrase"]),
            ("privateKey", &["private_key", "privatekey"]),
        ],
        CredentialKind::SecretText { .. } => &[("secret", &["secret"])],
        CredentialKind::Kubeconfig { .. } => &[("content", &["content"])],
        CredentialKind::Unsupported => &[],
    };
    for (field, keys) in map {
        if let Some(v) = fields.get(*field) {
            for k in *keys {
                out.insert(*k, v.clone());
            }
        }
    }
    out
}

fn decrypted_data(
    id: &str,
    kind: &CredentialKind,
    key: &SecretKey,
    findings: &mut Vec<Finding>,
) -> BTreeMap<&'static str, Plaintext> {
    let mut out = placeholder_data(kind);
    let mut put = |field: &'static str, keys: &[&'static str], stored: &Option<StoredSecret>| {
        let Some(stored) = stored else { return };
        let d = decrypt(key, &stored.0);
        match d.form {
            SecretForm::PlainText => findings.push(Finding::info(
                "credential.stored-unencrypted",
                format!(
                    "field {field} of credential {id:?} is stored unencrypted in Jenkins; it is used as \
                     stored, as Jenkins does"
                ),
            )),
            SecretForm::NotData => findings.push(Finding::info(
                "credential.empty-field",
                format!("field {field} of credential {id:?} is empty in Jenkins"),
            )),
            SecretForm::NewFormat | SecretForm::Legacy => {}
        }
        if d.lossy_utf8 {
            findings.push(Finding::warning(
                "credential.not-utf8",
                format!(
                    "field {field} of credential {id:?} decrypts to bytes that are not UTF-8; invalid bytes were \
                     replaced as Jenkins does when it reads the value — check the Secret"
                ),
            ));
        }
        let value = if matches!(d.form, SecretForm::NotData) {
            String::new()
        } else {
            d.value
        };
        let p = Plaintext::from_string(value);
        for k in keys {
            out.insert(*k, p.clone());
        }
    };
    match kind {
        CredentialKind::UsernamePassword { password, .. } => {
            put("password", &["password"], password)
        }
        CredentialKind::SshPrivateKey {
            passphrase,
            private_key,
            ..
        } => {
            put("passphrase", &["passphrase"], passphrase);
            put("privateKey", &["private_key", "privatekey"], private_key);
        }
        CredentialKind::SecretText { secret } => put("secret", &["secret"], secret),
        CredentialKind::Kubeconfig { content, .. } => put("content", &["content"], content),
        CredentialKind::Unsupported => {}
    }
    out
}
