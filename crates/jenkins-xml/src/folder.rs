//! Credential stores in Jenkins XML (see `docs/v21-sources.md`): a project folder's `config.xml`
//! (`FolderCredentialsProvider$FolderCredentialsProperty` under `properties`) and the system
//! store `credentials.xml` (`SystemCredentialsProvider`), which share the `domainCredentialsMap`
//! layout.
//!
//! Each `domainCredentialsMap/entry` holds a `…domains.Domain` (its `<name>`, or `_` for the
//! global domain when missing or blank) and one or more list elements
//! (`java.util.concurrent.CopyOnWriteArrayList`, `list`, …) whose children are credentials named
//! by their class. The four classes KubeSphere v2.1 creates are read into typed
//! [`CredentialKind`]s; any other class becomes [`CredentialKind::Unsupported`]. Secret fields
//! are kept exactly as stored ([`StoredSecret`], not trimmed); decryption happens elsewhere.

use ksdm_model::v21::{CredentialKind, JenkinsCredential, StoredSecret};

use crate::class;
use crate::dom::{self, Element, XmlError};

/// Root class of a project folder.
pub const FOLDER_CLASS: &str = class::item::FOLDER;
/// Root class of the system credential store (`credentials.xml`).
pub const SYSTEM_STORE_CLASS: &str = class::store::SYSTEM;
/// The folder property holding the folder credential store.
pub const FOLDER_CREDENTIALS_PROPERTY: &str = class::store::FOLDER_PROPERTY;
/// Class of a credential domain (the key of a `domainCredentialsMap` entry).
pub const DOMAIN_CLASS: &str = class::store::DOMAIN;
/// `username_password` credentials.
pub const USERNAME_PASSWORD_CLASS: &str = class::credential::USERNAME_PASSWORD;
/// `ssh` credentials.
pub const SSH_PRIVATE_KEY_CLASS: &str = class::credential::SSH_PRIVATE_KEY;
/// `secret_text` credentials.
pub const SECRET_TEXT_CLASS: &str = class::credential::SECRET_TEXT;
/// `kubeconfig` credentials (kubernetes-cd plugin).
pub const KUBECONFIG_CLASS: &str = class::credential::KUBECONFIG;
/// The credential scope Jenkins assumes when `<scope>` is missing.
pub const DEFAULT_SCOPE: &str = "GLOBAL";
/// The name of the global domain.
pub const GLOBAL_DOMAIN: &str = "_";

/// What is read from a folder `config.xml` (or a system `credentials.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderConfig {
    /// Class of the root element, XStream-unescaped (e.g. [`FOLDER_CLASS`]); callers use it to
    /// tell project folders from other items.
    pub root_class: String,
    /// The root's `<description>` (`""` when missing), as stored.
    pub description: String,
    /// All credentials of all domains, in document order.
    pub credentials: Vec<JenkinsCredential>,
}

/// Why a folder `config.xml` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderXmlError {
    /// The document is not well-formed XML.
    #[error("folder config.xml is not well-formed: {0}")]
    Xml(#[from] XmlError),
}

/// Parses a folder `config.xml` or a system `credentials.xml` and returns its credentials.
/// A document without a credential store yields an empty list.
pub fn parse_folder_credentials(xml: &[u8]) -> Result<FolderConfig, FolderXmlError> {
    let root = dom::parse(xml)?;
    let description = root
        .child_text("description")
        .unwrap_or_default()
        .to_string();
    let mut credentials = Vec::new();
    for map in credential_maps(&root) {
        for entry in map.children_named("entry") {
            read_entry(entry, &mut credentials);
        }
    }
    Ok(FolderConfig {
        root_class: root.name.clone(),
        description,
        credentials,
    })
}

/// The `domainCredentialsMap` elements of a folder property or a system store root.
fn credential_maps(root: &Element) -> impl Iterator<Item = &Element> {
    let from_folder = root
        .children_named("properties")
        .flat_map(|p| p.children_named(FOLDER_CREDENTIALS_PROPERTY))
        .flat_map(|p| p.children_named("domainCredentialsMap"));
    let from_system = root.children_named("domainCredentialsMap");
    from_folder.chain(from_system)
}

/// Reads one map entry: a domain key and the credential list(s) that follow it.
fn read_entry(entry: &Element, out: &mut Vec<JenkinsCredential>) {
    let domain_el = entry.child(DOMAIN_CLASS).or_else(|| entry.children.first());
    let domain = domain_el
        .and_then(|d| d.child_text("name"))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(GLOBAL_DOMAIN)
        .to_string();
    let lists = entry
        .children
        .iter()
        .filter(|c| !domain_el.is_some_and(|d| std::ptr::eq(*c, d)));
    for list in lists {
        for cred in &list.children {
            out.push(read_credential(&domain, cred));
        }
    }
}

fn text(el: &Element, name: &str) -> String {
    el.child_text(name).unwrap_or_default().to_string()
}

fn secret(el: Option<&Element>, name: &str) -> Option<StoredSecret> {
    el?.child_text(name).map(|s| StoredSecret(s.to_string()))
}

fn read_credential(domain: &str, el: &Element) -> JenkinsCredential {
    let class = el.name.clone();
    let kind = match class.as_str() {
        USERNAME_PASSWORD_CLASS => CredentialKind::UsernamePassword {
            username: text(el, "username"),
            password: secret(Some(el), "password"),
        },
        SSH_PRIVATE_KEY_CLASS => {
            let source = el.child("privateKeySource");
            CredentialKind::SshPrivateKey {
                username: text(el, "username"),
                passphrase: secret(Some(el), "passphrase"),
                key_source_class: source
                    .and_then(|s| s.attr("class"))
                    .unwrap_or_default()
                    .to_string(),
                private_key: secret(source, "privateKey"),
            }
        }
        SECRET_TEXT_CLASS => CredentialKind::SecretText {
            secret: secret(Some(el), "secret"),
        },
        KUBECONFIG_CLASS => {
            let source = el.child("kubeconfigSource");
            CredentialKind::Kubeconfig {
                source_class: source
                    .and_then(|s| s.attr("class"))
                    .unwrap_or_default()
                    .to_string(),
                content: secret(source, "content"),
            }
        }
        _ => CredentialKind::Unsupported,
    };
    JenkinsCredential {
        domain: domain.to_string(),
        class,
        id: text(el, "id"),
        description: text(el, "description"),
        scope: el.child_text("scope").unwrap_or(DEFAULT_SCOPE).to_string(),
        kind,
    }
}
