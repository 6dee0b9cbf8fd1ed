//! A project folder's `config.xml` as Jenkins 2.176 (cloudbees-folder 6.9, credentials 2.3.0)
//! saves it, with the project's credentials in the folder credential store
//! (`docs/v21-sources.md` §4.3). Secret fields are encrypted in the `{…}` new format.

use ksdm_secret::SecretKey;
use rand::RngCore;

use crate::xml::{document, Dialect, El};

/// A credential to place in a folder store, with its plaintext values.
///
/// `Debug` never shows secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct SampleCredential {
    /// Credential id (case-sensitive; may be any text).
    pub id: String,
    /// Description.
    pub description: String,
    /// Type and values.
    pub kind: SampleCredentialKind,
}

/// The credential types written by [`folder_config_xml`].
#[derive(Clone, PartialEq, Eq)]
pub enum SampleCredentialKind {
    /// `UsernamePasswordCredentialsImpl` (KubeSphere `username_password`).
    UsernamePassword {
        /// Plain username.
        username: String,
        /// Password (encrypted when written).
        password: String,
    },
    /// `BasicSSHUserPrivateKey` with a `DirectEntryPrivateKeySource` (KubeSphere `ssh`).
    Ssh {
        /// Plain username.
        username: String,
        /// Passphrase; `None` (or empty) is omitted, as Jenkins does.
        passphrase: Option<String>,
        /// Private key text (encrypted when written).
        private_key: String,
    },
    /// `StringCredentialsImpl` (KubeSphere `secret_text`).
    SecretText {
        /// Secret (encrypted when written).
        secret: String,
    },
    /// `KubeconfigCredentials` with a `DirectEntryKubeconfigSource` (KubeSphere `kubeconfig`).
    Kubeconfig {
        /// Kubeconfig YAML (encrypted when written).
        content: String,
    },
    /// `FileCredentialsImpl` (secret file): not a KubeSphere type. Written with unencrypted
    /// base64 `secretBytes`, a form Jenkins still loads.
    SecretFile {
        /// `fileName`.
        file_name: String,
        /// File content.
        data: Vec<u8>,
    },
}

impl SampleCredentialKind {
    /// Short type name for messages (`username_password`, `ssh`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            SampleCredentialKind::UsernamePassword { .. } => "username_password",
            SampleCredentialKind::Ssh { .. } => "ssh",
            SampleCredentialKind::SecretText { .. } => "secret_text",
            SampleCredentialKind::Kubeconfig { .. } => "kubeconfig",
            SampleCredentialKind::SecretFile { .. } => "secret_file",
        }
    }
}

impl std::fmt::Debug for SampleCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleCredential")
            .field("id", &self.id)
            .field("type", &self.kind.type_name())
            .finish_non_exhaustive()
    }
}

/// Class names of the credential types.
pub mod class {
    /// Username with password.
    pub const USERNAME_PASSWORD: &str =
        "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl";
    /// SSH username with private key.
    pub const SSH: &str =
        "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey";
    /// Secret text.
    pub const SECRET_TEXT: &str =
        "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl";
    /// Kubeconfig (kubernetes-cd).
    pub const KUBECONFIG: &str =
        "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials";
    /// Secret file.
    pub const SECRET_FILE: &str = "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl";
}

fn encrypt<R: RngCore + ?Sized>(key: &SecretKey, rng: &mut R, plaintext: &str) -> String {
    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut iv);
    ksdm_secret::encrypt_new_format(key, plaintext, iv)
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The XStream element of one credential, secret fields encrypted with `key`.
fn credential_element<R: RngCore + ?Sized>(
    c: &SampleCredential,
    key: &SecretKey,
    rng: &mut R,
) -> El {
    let head = |class: &str, plugin: &str| {
        El::new(class)
            .attr("plugin", plugin)
            .child(El::text("scope", "GLOBAL"))
            .child(El::text("id", &c.id))
            .child(El::text("description", &c.description))
    };
    match &c.kind {
        SampleCredentialKind::UsernamePassword { username, password } => {
            head(class::USERNAME_PASSWORD, "credentials@2.3.0")
                .child(El::text("username", username))
                .child(El::text("password", &encrypt(key, rng, password)))
        }
        SampleCredentialKind::Ssh {
            username,
            passphrase,
            private_key,
        } => {
            let mut el =
                head(class::SSH, "ssh-credentials@1.17.1").child(El::text("username", username));
            if let Some(p) = passphrase.as_deref().filter(|p| !p.is_empty()) {
                el.push_text("passphrase", &encrypt(key, rng, p));
            }
            el.child(
                El::new("privateKeySource")
                    .attr(
                        "class",
                        &format!("{}$DirectEntryPrivateKeySource", class::SSH),
                    )
                    .child(El::text("privateKey", &encrypt(key, rng, private_key))),
            )
        }
        SampleCredentialKind::SecretText { secret } => {
            head(class::SECRET_TEXT, "plain-credentials@1.5")
                .child(El::text("secret", &encrypt(key, rng, secret)))
        }
        SampleCredentialKind::Kubeconfig { content } => {
            head(class::KUBECONFIG, "kubernetes-cd@2.3.0").child(
                El::new("kubeconfigSource")
                    .attr(
                        "class",
                        &format!("{}$DirectEntryKubeconfigSource", class::KUBECONFIG),
                    )
                    .child(El::text("content", &encrypt(key, rng, content))),
            )
        }
        SampleCredentialKind::SecretFile { file_name, data } => {
            head(class::SECRET_FILE, "plain-credentials@1.5")
                .child(El::text("fileName", file_name))
                .child(El::text("secretBytes", &base64(data)))
        }
    }
}

/// A project folder `config.xml` as Jenkins saves it (XStream dialect), holding `credentials` in
/// the global domain of its `FolderCredentialsProperty`. Secret fields are encrypted with `key`;
/// each IV is drawn from `rng`, so a seeded `rng` gives identical bytes.
///
/// With no credentials the credential property is left out, as on a folder whose store was
/// never used.
pub fn folder_config_xml<R: RngCore + ?Sized>(
    description: &str,
    credentials: &[SampleCredential],
    key: &SecretKey,
    rng: &mut R,
) -> String {
    let mut root = El::new("com.cloudbees.hudson.plugins.folder.Folder")
        .attr("plugin", "cloudbees-folder@6.9");
    root.push(El::new("actions"));
    root.push_text("description", description);
    let props = root.push(El::new("properties"));
    props.push(
        El::new("org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig")
            .attr("plugin", "pipeline-model-definition@1.3.9")
            .child(El::text("dockerLabel", ""))
            .child(El::new("registry").attr("plugin", "docker-commons@1.15")),
    );
    if !credentials.is_empty() {
        let mut list = El::new("java.util.concurrent.CopyOnWriteArrayList");
        for c in credentials {
            list.push(credential_element(c, key, rng));
        }
        props.push(
            El::new("com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty")
                .child(
                    El::new("domainCredentialsMap").attr("class", "hudson.util.CopyOnWriteMap$Hash").child(
                        El::new("entry")
                            .child(
                                El::new("com.cloudbees.plugins.credentials.domains.Domain")
                                    .attr("plugin", "credentials@2.3.0")
                                    .child(El::new("specifications")),
                            )
                            .child(list),
                    ),
                ),
        );
    }
    root.push(
        El::new("folderViews")
            .attr(
                "class",
                "com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder",
            )
            .child(
                El::new("views").child(
                    El::new("hudson.model.AllView")
                        .child(
                            El::new("owner")
                                .attr("class", "com.cloudbees.hudson.plugins.folder.Folder")
                                .attr("reference", "../../../.."),
                        )
                        .child(El::text("name", "All"))
                        .child(El::text("filterExecutors", "false"))
                        .child(El::text("filterQueue", "false"))
                        .child(
                            El::new("properties").attr("class", "hudson.model.View$PropertyList"),
                        ),
                ),
            )
            .child(El::new("tabBar").attr("class", "hudson.views.DefaultViewsTabBar")),
    );
    root.push(
        El::new("healthMetrics").child(
            El::new("com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric")
                .child(El::text("nonRecursive", "false")),
        ),
    );
    root.push(El::new("icon").attr(
        "class",
        "com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon",
    ));
    document(&root, Dialect::XStream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"This is Base64 encoded plain text\n"),
            "VGhpcyBpcyBCYXNlNjQgZW5jb2RlZCBwbGFpbiB0ZXh0Cg=="
        );
    }

    #[test]
    fn debug_hides_values() {
        let c = SampleCredential {
            id: "x".into(),
            description: String::new(),
            kind: SampleCredentialKind::SecretText {
                secret: "hunter2".into(),
            },
        };
        let d = format!("{c:?}");
        assert!(d.contains("secret_text") && !d.contains("hunter2"), "{d}");
    }
}
