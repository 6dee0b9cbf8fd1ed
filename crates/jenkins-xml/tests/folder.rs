//! Tests of the folder / system credential store reader.

use ksdm_jenkins_xml::folder::{
    parse_folder_credentials, FolderConfig, FOLDER_CLASS, SYSTEM_STORE_CLASS,
};
use ksdm_model::v21::{CredentialKind, StoredSecret};

fn fixture(rel: &str) -> Vec<u8> {
    ksdm_test_fixtures::read(rel).expect("shared fixtures present (checked by require_shared!)")
}

fn parse(bytes: &[u8]) -> FolderConfig {
    parse_folder_credentials(bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn secret(s: &str) -> Option<StoredSecret> {
    Some(StoredSecret(s.to_string()))
}

#[test]
fn ssh_plugin_update_folder_fixture() {
    ksdm_test_fixtures::require_shared!();
    let cfg = parse(&fixture(
        "jenkins-xml/ssh-credentials-plugin/update_folder.xml",
    ));
    assert_eq!(cfg.root_class, FOLDER_CLASS);
    assert_eq!(cfg.description, "");
    assert_eq!(cfg.credentials.len(), 1);
    let c = &cfg.credentials[0];
    assert_eq!(c.id, "From SSH", "ids may contain spaces");
    assert_eq!(c.domain, "_");
    assert_eq!(c.scope, "GLOBAL", "missing scope is GLOBAL");
    assert_eq!(c.description, "");
    assert_eq!(
        c.class,
        "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey"
    );
    assert_eq!(
        c.kind,
        CredentialKind::SshPrivateKey {
            username: "from_ssh".into(),
            passphrase: None,
            key_source_class: "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$UsersPrivateKeySource".into(),
            private_key: None,
        }
    );
}

#[test]
fn hoto_2141_system_store_with_list_and_example_credential() {
    ksdm_test_fixtures::require_shared!();
    let cfg = parse(&fixture(
        "jenkins-secrets/hoto-jenkins_2.141/credentials.xml",
    ));
    assert_eq!(cfg.root_class, SYSTEM_STORE_CLASS);
    let ids: Vec<&str> = cfg.credentials.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["gitlab", "production-bastion", "exampleId"]);
    let up = &cfg.credentials[0];
    assert_eq!(up.description, "Gitlab admin user");
    assert_eq!(
        up.kind,
        CredentialKind::UsernamePassword {
            username: "gitlabadmin".into(),
            password: secret(
                "{AQAAABAAAAAgPT7JbBVgyWiivobt0CJEduLyP0lB3uyTj+D5WBvVk6jyG6BQFPYGN4Z3VJN2JLDm}"
            ),
        }
    );
    match &cfg.credentials[1].kind {
        CredentialKind::SshPrivateKey {
            username,
            passphrase,
            key_source_class,
            private_key,
        } => {
            assert_eq!(username, "root");
            assert_eq!(
                passphrase,
                &secret("{AQAAABAAAAAQmEZaw8Ev9tClXWVQye1TR2KgF3p/wGoYs/TEQCmsxCk=}")
            );
            assert!(
                key_source_class.ends_with("BasicSSHUserPrivateKey$DirectEntryPrivateKeySource")
            );
            let key = private_key
                .as_ref()
                .map(|k| k.0.as_str())
                .unwrap_or_default();
            assert!(
                key.starts_with("{AQAAABAAAAOATgRVSIzrinNAlvbf"),
                "value kept as stored"
            );
            assert!(key.ends_with('}'));
        }
        other => panic!("not ssh: {other:?}"),
    }
    let ex = &cfg.credentials[2];
    assert_eq!(ex.class, "com.example.ExampleCredential");
    assert_eq!(ex.kind, CredentialKind::Unsupported);
    assert_eq!(ex.domain, "_");
    assert_eq!(ex.scope, "GLOBAL");
}

#[test]
fn hoto_1625_legacy_values_kept_verbatim_with_newlines() {
    ksdm_test_fixtures::require_shared!();
    let cfg = parse(&fixture(
        "jenkins-secrets/hoto-jenkins_1.625.1/credentials.xml",
    ));
    assert_eq!(cfg.credentials.len(), 2);
    assert_eq!(
        cfg.credentials[0].kind,
        CredentialKind::UsernamePassword {
            username: "user_1".into(),
            password: secret("B+4pJjkJXD+pzyT9lcq8M8vF+p5YU4HmWy+MWldEdG4="),
        }
    );
    match &cfg.credentials[1].kind {
        CredentialKind::SshPrivateKey {
            private_key,
            passphrase,
            ..
        } => {
            assert_eq!(private_key, &secret("LINE_1\nLINE_2\nLINE_2"));
            assert_eq!(
                passphrase,
                &secret("7fPxAjao0hmb9ggFCSl8WsvF+p5YU4HmWy+MWldEdG4=")
            );
        }
        other => panic!("not ssh: {other:?}"),
    }
}

#[test]
fn ssh_fips_vector_two_keys() {
    ksdm_test_fixtures::require_shared!();
    let cfg = parse(&fixture(
        "jenkins-secrets/ssh-credentials-fips/credentials.xml",
    ));
    let ids: Vec<&str> = cfg.credentials.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["valid-rsa-key", "invalid-rsa-key"]);
    for c in &cfg.credentials {
        match &c.kind {
            CredentialKind::SshPrivateKey {
                username,
                private_key,
                ..
            } => {
                assert_eq!(username, "");
                assert!(private_key
                    .as_ref()
                    .is_some_and(|k| k.0.starts_with("{AQAAABAAAA")));
            }
            other => panic!("not ssh: {other:?}"),
        }
    }
}

#[test]
fn plain_credentials_file_credentials_are_unsupported() {
    ksdm_test_fixtures::require_shared!();
    let cfg = parse(&fixture(
        "jenkins-xml/plain-credentials-plugin/credentials.xml",
    ));
    assert_eq!(cfg.credentials.len(), 1);
    let c = &cfg.credentials[0];
    assert_eq!(
        c.class,
        "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl"
    );
    assert_eq!(c.kind, CredentialKind::Unsupported);
    assert_eq!(
        (c.id.as_str(), c.description.as_str()),
        ("secret-file", "a line")
    );
}

const KS_FOLDER: &str = r#"<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.9">
  <actions/>
  <description>demo project &amp; more</description>
  <properties>
    <org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig plugin="pipeline-model-definition@1.3.9">
      <dockerLabel></dockerLabel>
      <registry plugin="docker-commons@1.15"/>
    </org.jenkinsci.plugins.pipeline.modeldefinition.config.FolderConfig>
    <com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty>
      <domainCredentialsMap class="hudson.util.CopyOnWriteMap$Hash">
        <entry>
          <com.cloudbees.plugins.credentials.domains.Domain plugin="credentials@2.3.0">
            <specifications/>
          </com.cloudbees.plugins.credentials.domains.Domain>
          <java.util.concurrent.CopyOnWriteArrayList>
            <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
              <scope>GLOBAL</scope>
              <id>github-id</id>
              <description>GitHub</description>
              <username>octo_cat</username>
              <password>{AQAAABAAAAAQ}</password>
            </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
            <com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey plugin="ssh-credentials@1.17.1">
              <scope>GLOBAL</scope>
              <id>Deploy_Key</id>
              <description></description>
              <username>git</username>
              <privateKeySource class="com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$DirectEntryPrivateKeySource">
                <privateKey>{AQAAABAAAAAw}</privateKey>
              </privateKeySource>
            </com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey>
            <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl plugin="plain-credentials@1.5">
              <scope>GLOBAL</scope>
              <id>sonar-token</id>
              <description>token</description>
              <secret>  plain text with spaces  </secret>
            </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
            <com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials plugin="kubernetes-cd@2.3.0">
              <scope>GLOBAL</scope>
              <id>kubeconfig</id>
              <description>cluster</description>
              <kubeconfigSource class="com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials$DirectEntryKubeconfigSource">
                <content>{AQAAABAAAABA}</content>
              </kubeconfigSource>
            </com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials>
          </java.util.concurrent.CopyOnWriteArrayList>
        </entry>
        <entry>
          <com.cloudbees.plugins.credentials.domains.Domain>
            <name>internal</name>
            <specifications/>
          </com.cloudbees.plugins.credentials.domains.Domain>
          <list>
            <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
              <scope>SYSTEM</scope>
              <id>in-domain</id>
              <secret>x</secret>
            </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
          </list>
        </entry>
      </domainCredentialsMap>
    </com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty>
  </properties>
  <folderViews class="com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder"/>
  <icon class="com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon"/>
</com.cloudbees.hudson.plugins.folder.Folder>"#;

#[test]
fn kubesphere_folder_with_all_four_types_and_two_domains() {
    let cfg = parse(KS_FOLDER.as_bytes());
    assert_eq!(cfg.root_class, FOLDER_CLASS);
    assert_eq!(cfg.description, "demo project & more");
    assert_eq!(cfg.credentials.len(), 5);
    let c = &cfg.credentials;
    assert_eq!(
        c[0].kind,
        CredentialKind::UsernamePassword {
            username: "octo_cat".into(),
            password: secret("{AQAAABAAAAAQ}"),
        }
    );
    assert_eq!(c[1].id, "Deploy_Key");
    assert_eq!(
        c[1].kind,
        CredentialKind::SshPrivateKey {
            username: "git".into(),
            passphrase: None,
            key_source_class: "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey$DirectEntryPrivateKeySource".into(),
            private_key: secret("{AQAAABAAAAAw}"),
        }
    );
    assert_eq!(
        c[2].kind,
        CredentialKind::SecretText {
            secret: secret("  plain text with spaces  ")
        },
        "not trimmed"
    );
    assert_eq!(
        c[3].kind,
        CredentialKind::Kubeconfig {
            source_class: "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials$DirectEntryKubeconfigSource".into(),
            content: secret("{AQAAABAAAABA}"),
        }
    );
    assert!(c[..4]
        .iter()
        .all(|x| x.domain == "_" && x.scope == "GLOBAL"));
    assert_eq!(
        (c[4].id.as_str(), c[4].domain.as_str(), c[4].scope.as_str()),
        ("in-domain", "internal", "SYSTEM")
    );
    assert_eq!(c[4].description, "");
}

#[test]
fn folder_without_credentials_and_other_roots() {
    ksdm_test_fixtures::require_shared!();
    let plain = br#"<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.9"><actions/><properties/></com.cloudbees.hudson.plugins.folder.Folder>"#;
    let cfg = parse(plain);
    assert_eq!(cfg.root_class, FOLDER_CLASS);
    assert!(cfg.credentials.is_empty());

    let job = parse(&fixture("jenkins-xml/workflow-job-plugin/config.xml"));
    assert_eq!(job.root_class, "flow-definition");
    assert!(job.credentials.is_empty());
}

#[test]
fn malformed_xml_is_an_error() {
    let err = parse_folder_credentials(b"<com.cloudbees.hudson.plugins.folder.Folder><properties>")
        .expect_err("malformed");
    assert!(err.to_string().contains("not well-formed"), "{err}");
    assert!(parse_folder_credentials(b"").is_err());
}

#[test]
fn debug_output_does_not_show_secret_values() {
    let cfg = parse(KS_FOLDER.as_bytes());
    let shown = format!("{cfg:?}");
    assert!(!shown.contains("plain text with spaces"));
    assert!(!shown.contains("{AQAAABAAAAAQ}"));
}
