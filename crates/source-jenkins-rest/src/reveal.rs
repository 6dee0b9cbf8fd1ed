//! The opt-in script-console path (`docs/v21-sources.md` §5.8): a read-only Groovy script posted to
//! `/scriptText` that prints every project folder credential's decrypted fields as JSON, and
//! the parser of its output.

use std::collections::BTreeMap;

use ksdm_model::Plaintext;
use serde::Deserialize;
use zeroize::Zeroizing;

/// Folder name → credential id → field (`password`, `passphrase`, `privateKey`, `secret`,
/// `content`) → decrypted value. The same type as [`ksdm_model::v21::RevealedValues`].
pub type RevealedValues = ksdm_model::v21::RevealedValues;

/// The first line of [`REVEAL_SCRIPT`]; a Jenkins test double recognises the script by it.
pub const REVEAL_SCRIPT_MARKER: &str =
    "// ksdm-reveal-credentials v1 (read-only; prints JSON only)";

/// The Groovy script posted to `POST /scriptText` (form field `script`) by
/// [`crate::JenkinsClient::reveal_credentials`]. It needs the Overall/RunScripts permission
/// (in practice: an administrator's API token).
///
/// What it does, line by line, for an administrator to review:
///
/// 1. A comment naming the script and its version (also the marker a test double checks).
/// 2. Imports: the cloudbees-folder `Folder` class and its `FolderCredentialsProvider`, the
///    credentials plugin's `CredentialsProvider`, Groovy's `JsonOutput`, `hudson.util.Secret`
///    and `jenkins.model.Jenkins`. No plugin class of a credential type is imported, so the
///    script runs whether or not ssh-credentials, plain-credentials or kubernetes-cd are
///    installed.
/// 3. `plain` turns a `Secret` into its plain text with `Secret.getPlainText()` (Jenkins
///    decrypts with its own key; nothing is re-encrypted or stored); other values become text.
/// 4. For every `Folder` returned by `Jenkins.get().getAllItems(Folder)` whose parent is the
///    Jenkins root (top-level folders only = KubeSphere v2.1 projects; nested folders are
///    skipped),
/// 5. it asks `CredentialsProvider.lookupStores(folder)` for the credential stores visible from
///    the folder and keeps only the folder's own store (`store.getContext() == folder` and a
///    `FolderCredentialsProvider` provider), so system and parent stores are never read;
/// 6. for every domain of that store (`store.getDomains()`: the global domain `_` and any
///    other) and every credential in it (`store.getCredentials(domain)`),
/// 7. it reads, by credential class name:
///    * `UsernamePasswordCredentialsImpl`: `password` (`getPassword().getPlainText()`);
///    * `BasicSSHUserPrivateKey`: `passphrase` when not empty, and, for a
///      `…$DirectEntryPrivateKeySource` key source, `privateKey` = the source's stored
///      `privateKey` Secret in plain text — the keys exactly as stored, several keys joined
///      with `\f` as the plugin stores them (not `getPrivateKeys()`, which splits them and
///      appends newlines);
///    * `StringCredentialsImpl`: `secret` (`getSecret().getPlainText()`);
///    * `KubeconfigCredentials` (kubernetes-cd): for a `…$DirectEntryKubeconfigSource`,
///      `content` in plain text;
///    * any other class: no fields (listed with id and class only);
/// 8. and appends `{folder, domain, id, class, fields}` to a list;
/// 9. finally it prints the list as one JSON array (`JsonOutput.toJson`) and nothing else.
///
/// The script only calls getters: it creates, changes, saves or deletes nothing, starts no
/// build, and writes nothing to disk or to the Jenkins log. The values travel once, in the HTTP
/// answer to the caller; use HTTPS when Jenkins is not on a trusted network.
pub const REVEAL_SCRIPT: &str = r#"// ksdm-reveal-credentials v1 (read-only; prints JSON only)
import com.cloudbees.hudson.plugins.folder.Folder
import com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider
import com.cloudbees.plugins.credentials.CredentialsProvider
import groovy.json.JsonOutput
import hudson.util.Secret
import jenkins.model.Jenkins

def plain = { v -> v == null ? null : (v instanceof Secret ? v.getPlainText() : v.toString()) }
def jenkins = Jenkins.get()
def result = []
for (folder in jenkins.getAllItems(Folder)) {
  if (folder.getParent() != jenkins) continue
  for (store in CredentialsProvider.lookupStores(folder)) {
    if (store.getContext() != folder || !(store.getProvider() instanceof FolderCredentialsProvider)) continue
    for (domain in store.getDomains()) {
      for (c in store.getCredentials(domain)) {
        def cls = c.getClass().getName()
        def fields = [:]
        if (cls == 'com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl') {
          if (c.password != null) fields.password = plain(c.password)
        } else if (cls == 'com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey') {
          def passphrase = plain(c.passphrase)
          if (passphrase) fields.passphrase = passphrase
          def source = c.privateKeySource
          if (source != null && source.getClass().getName().endsWith('$DirectEntryPrivateKeySource') && source.privateKey != null) fields.privateKey = plain(source.privateKey)
        } else if (cls == 'org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl') {
          if (c.secret != null) fields.secret = plain(c.secret)
        } else if (cls == 'com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials') {
          def source = c.kubeconfigSource
          if (source != null && source.getClass().getName().endsWith('$DirectEntryKubeconfigSource') && source.content != null) fields.content = plain(source.content)
        }
        result << [folder: folder.getName(), domain: domain.getName() ?: '_', id: c.getId(), 'class': cls, fields: fields]
      }
    }
  }
}
print JsonOutput.toJson(result)
"#;

/// One element of the script's output.
#[derive(Deserialize)]
struct RevealedCredential {
    folder: String,
    id: String,
    #[serde(default)]
    fields: BTreeMap<String, Option<String>>,
}

/// Parses the script output into [`RevealedValues`]. When a folder has the same credential id in
/// two domains, the first one printed (the store's domain order, `_` first) wins, like Jenkins'
/// own id lookup. Credentials without fields are kept with an empty field map. `null` field
/// values are dropped. Errors give the position only, never the text.
pub(crate) fn parse_output(body: &[u8]) -> Result<RevealedValues, String> {
    let body = Zeroizing::new(body.to_vec());
    let entries: Vec<RevealedCredential> = serde_json::from_slice(&body).map_err(|e| {
        format!(
            "the script console did not print the expected JSON array ({} at line {}, column {})",
            category(&e),
            e.line(),
            e.column()
        )
    })?;
    let mut out = RevealedValues::new();
    for entry in entries {
        let folder = out.entry(entry.folder).or_default();
        if folder.contains_key(&entry.id) {
            continue;
        }
        let fields: BTreeMap<String, Plaintext> = entry
            .fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, Plaintext::from_string(v))))
            .collect();
        folder.insert(entry.id, fields);
    }
    Ok(out)
}

fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "wrong JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_starts_with_the_marker_and_is_read_only() {
        assert!(REVEAL_SCRIPT.starts_with(REVEAL_SCRIPT_MARKER));
        for forbidden in [
            ".save(",
            "delete",
            "update",
            "addCredentials",
            "removeCredentials",
            "println",
            "new File",
        ] {
            assert!(
                !REVEAL_SCRIPT.contains(forbidden),
                "script contains {forbidden}"
            );
        }
    }

    #[test]
    fn parses_output_first_id_wins_and_nulls_drop() {
        let out = br#"[
          {"folder":"p1","domain":"_","id":"a","class":"x.UsernamePasswordCredentialsImpl","fields":{"password":"pw1"}},
          {"folder":"p1","domain":"other","id":"a","class":"x","fields":{"password":"pw2"}},
          {"folder":"p1","domain":"_","id":"k","class":"x","fields":{"privateKey":"K\n","passphrase":null}},
          {"folder":"p2","domain":"_","id":"f","class":"x.FileCredentialsImpl","fields":{}}
        ]"#;
        let values = parse_output(out).unwrap();
        assert_eq!(values["p1"]["a"]["password"].expose(), b"pw1");
        assert_eq!(values["p1"]["k"]["privateKey"].expose(), b"K\n");
        assert!(!values["p1"]["k"].contains_key("passphrase"));
        assert!(values["p2"]["f"].is_empty());
    }

    #[test]
    fn errors_never_quote_the_output() {
        let err = parse_output(br#"[{"folder":"p","id":"a","fields":{"password":42}}, "hunter2"]"#)
            .unwrap_err();
        assert!(!err.contains("hunter2") && !err.contains("42"), "{err}");
        let err = parse_output(b"groovy.lang.MissingPropertyException: hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
