//! Builds small `JENKINS_HOME` directories for tests: key files, project folders whose
//! `config.xml` holds a folder credential store (values encrypted under the home's own key, as
//! Jenkins 2.176 writes them), child jobs and stray top-level items.

use std::io;
use std::path::{Path, PathBuf};

use ksdm_secret::{derive_key, encrypt_new_format, make_key_files, SecretKey};

/// A credential to put into a folder store.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSpec {
    /// `UsernamePasswordCredentialsImpl`.
    UsernamePassword {
        /// Id.
        id: String,
        /// Username (plain).
        username: String,
        /// Password (encrypted in the file).
        password: String,
    },
    /// `BasicSSHUserPrivateKey` with a direct-entry key.
    SshKey {
        /// Id.
        id: String,
        /// Username (plain).
        username: String,
        /// Passphrase; `None` writes no element.
        passphrase: Option<String>,
        /// Private key (encrypted in the file).
        private_key: String,
    },
    /// `StringCredentialsImpl`.
    SecretText {
        /// Id.
        id: String,
        /// Secret (encrypted in the file).
        secret: String,
    },
    /// `KubeconfigCredentials` with a direct-entry source.
    Kubeconfig {
        /// Id.
        id: String,
        /// Kubeconfig content (encrypted in the file).
        content: String,
    },
    /// A `FileCredentialsImpl` (not a KubeSphere type; no value written).
    SecretFile {
        /// Id.
        id: String,
    },
}

impl std::fmt::Debug for CredentialSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CredentialSpec::UsernamePassword { .. } => "UsernamePassword(<redacted>)",
            CredentialSpec::SshKey { .. } => "SshKey(<redacted>)",
            CredentialSpec::SecretText { .. } => "SecretText(<redacted>)",
            CredentialSpec::Kubeconfig { .. } => "Kubeconfig(<redacted>)",
            CredentialSpec::SecretFile { .. } => "SecretFile",
        })
    }
}

/// Writes a `JENKINS_HOME` under a root directory.
pub struct HomeBuilder {
    root: PathBuf,
    key: SecretKey,
    next_iv: u8,
}

impl std::fmt::Debug for HomeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HomeBuilder")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl HomeBuilder {
    /// Creates `root` with `secrets/master.key` and `secrets/hudson.util.Secret` made from fixed
    /// seeds (so tests are reproducible).
    pub fn new(root: &Path) -> io::Result<Self> {
        let (master, hudson) = make_key_files(&[0x5a; 128], &[0x3c; 256]);
        std::fs::create_dir_all(root.join("secrets"))?;
        std::fs::write(root.join("secrets/master.key"), master.as_bytes())?;
        std::fs::write(root.join("secrets/hudson.util.Secret"), &hudson)?;
        let key =
            derive_key(master.as_bytes(), &hudson).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(HomeBuilder {
            root: root.to_path_buf(),
            key,
            next_iv: 0,
        })
    }

    /// The home directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The derived `hudson.util.Secret` key.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    /// Writes `jobs/<name>/config.xml`: a cloudbees-folder with all `credentials` in the global
    /// domain.
    pub fn folder(&mut self, name: &str, credentials: &[CredentialSpec]) -> io::Result<()> {
        self.folder_with_domains(name, &[(None, credentials)])
    }

    /// Writes a folder whose store has one entry per `(domain name, credentials)`; `None` is the
    /// global domain.
    pub fn folder_with_domains(
        &mut self,
        name: &str,
        domains: &[(Option<&str>, &[CredentialSpec])],
    ) -> io::Result<()> {
        let mut entries = String::new();
        for (domain, credentials) in domains {
            let domain_name = domain
                .map(|d| format!("<name>{}</name>", escape(d)))
                .unwrap_or_default();
            let mut list = String::new();
            for c in credentials.iter() {
                list.push_str(&self.credential_xml(c));
            }
            entries.push_str(&format!(
                "<entry><com.cloudbees.plugins.credentials.domains.Domain plugin=\"credentials@2.3.0\">{domain_name}<specifications/></com.cloudbees.plugins.credentials.domains.Domain><java.util.concurrent.CopyOnWriteArrayList>{list}</java.util.concurrent.CopyOnWriteArrayList></entry>"
            ));
        }
        let xml = format!(
            "<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.hudson.plugins.folder.Folder plugin=\"cloudbees-folder@6.9\">\n  <actions/>\n  <description>{}</description>\n  <properties><com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty><domainCredentialsMap class=\"hudson.util.CopyOnWriteMap$Hash\">{entries}</domainCredentialsMap></com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty></properties>\n  <folderViews class=\"com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder\"/>\n  <healthMetrics/>\n  <icon class=\"com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon\"/>\n</com.cloudbees.hudson.plugins.folder.Folder>",
            escape(&format!("project {name}"))
        );
        self.top_level_item(name, &xml)
    }

    /// Writes `jobs/<folder>/jobs/<name>/config.xml`.
    pub fn job(&self, folder: &str, name: &str, xml: &str) -> io::Result<()> {
        self.file(
            &format!("jobs/{folder}/jobs/{name}/config.xml"),
            xml.as_bytes(),
        )
    }

    /// Writes `jobs/<name>/config.xml` (e.g. `init-job`).
    pub fn top_level_item(&self, name: &str, xml: &str) -> io::Result<()> {
        self.file(&format!("jobs/{name}/config.xml"), xml.as_bytes())
    }

    /// Writes any file below the root, creating directories.
    pub fn file(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    fn encrypt(&mut self, value: &str) -> String {
        self.next_iv = self.next_iv.wrapping_add(1);
        encrypt_new_format(&self.key, value, [self.next_iv; 16])
    }

    fn credential_xml(&mut self, c: &CredentialSpec) -> String {
        match c {
            CredentialSpec::UsernamePassword { id, username, password } => format!(
                "<com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl><scope>GLOBAL</scope><id>{}</id><description></description><username>{}</username><password>{}</password></com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>",
                escape(id), escape(username), self.encrypt(password)
            ),
            CredentialSpec::SshKey { id, username, passphrase, private_key } => {
                let passphrase = passphrase.as_ref().map(|p| format!("<passphrase>{}</passphrase>", self.encrypt(p))).unwrap_or_default();
                format!(
                    "<com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey plugin=\"ssh-credentials@1.17.1\"><scope>GLOBAL</scope><id>{}</id><description></description><username>{}</username>{passphrase}<privateKeySource class=\"com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$DirectEntryPrivateKeySource\"><privateKey>{}</privateKey></privateKeySource></com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey>",
                    escape(id), escape(username), self.encrypt(private_key)
                )
            }
            CredentialSpec::SecretText { id, secret } => format!(
                "<org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl plugin=\"plain-credentials@1.5\"><scope>GLOBAL</scope><id>{}</id><description></description><secret>{}</secret></org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>",
                escape(id), self.encrypt(secret)
            ),
            CredentialSpec::Kubeconfig { id, content } => format!(
                "<com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials plugin=\"kubernetes-cd@2.3.0\"><scope>GLOBAL</scope><id>{}</id><description></description><kubeconfigSource class=\"com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials$DirectEntryKubeconfigSource\"><content>{}</content></kubeconfigSource></com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials>",
                escape(id), self.encrypt(content)
            ),
            CredentialSpec::SecretFile { id } => format!(
                "<org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl plugin=\"plain-credentials@1.5\"><scope>GLOBAL</scope><id>{}</id><description></description><fileName>f.txt</fileName><secretBytes>{{AAAA}}</secretBytes></org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl>",
                escape(id)
            ),
        }
    }
}

/// Escapes XML text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
