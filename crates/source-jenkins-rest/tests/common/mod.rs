//! Shared helpers: a small but varied `JENKINS_HOME`, a running double, and client options with
//! short timeouts.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use ksdm_model::v21::JenkinsFolder;
use ksdm_source_jenkins_rest::{JenkinsClient, JenkinsError, JenkinsOptions};
use ksdm_test_jenkins::{CredentialSpec, DoubleConfig, HomeBuilder, JenkinsDouble};

/// Project folder with every credential type.
pub const PROJECT_A: &str = "project-AbC123";
/// Project folder with a non-ASCII name, a space, and two domains.
pub const PROJECT_B: &str = "project ünï_2";
/// Empty project folder.
pub const PROJECT_C: &str = "project-c";

pub const PIPELINE_XML: &str = "<?xml version=\"1.1\" encoding=\"UTF-8\"?><flow-definition plugin=\"workflow-job\"><description>esc &#x1b; \r\n kept  </description><definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\"><script>node { echo 'hi' }</script><sandbox>true</sandbox></definition></flow-definition>";
pub const MULTIBRANCH_XML: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject plugin=\"workflow-multibranch@2.21\">\n  <description></description>\n</org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>\n";
pub const FREESTYLE_XML: &str =
    "<?xml version='1.1' encoding='UTF-8'?>\n<project>\n  <builders/>\n</project>";
pub const PLAIN_FOLDER_XML: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.hudson.plugins.folder.Folder plugin=\"cloudbees-folder@6.9\"><description>nested</description></com.cloudbees.hudson.plugins.folder.Folder>";

pub fn ssh_key() -> String {
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n".into()
}

/// Builds the test home in `dir` (see the constants for what is in it).
pub fn build_home(dir: &Path) -> HomeBuilder {
    let mut home = HomeBuilder::new(dir).expect("home");
    home.folder(
        PROJECT_A,
        &[
            CredentialSpec::UsernamePassword {
                id: "github-id".into(),
                username: "bot".into(),
                password: "pa$$ wörd".into(),
            },
            CredentialSpec::SshKey {
                id: "ssh.Key_1".into(),
                username: "git".into(),
                passphrase: Some("pp".into()),
                private_key: ssh_key(),
            },
            CredentialSpec::SshKey {
                id: "ssh-nopass".into(),
                username: "git".into(),
                passphrase: None,
                private_key: "k1\u{c}k2\n".into(),
            },
            CredentialSpec::SecretText {
                id: "sonar token".into(),
                secret: "t0k\n".into(),
            },
            CredentialSpec::Kubeconfig {
                id: "kubeconfig".into(),
                content: "apiVersion: v1\nkind: Config\n".into(),
            },
            CredentialSpec::SecretFile {
                id: "a-file".into(),
            },
        ],
    )
    .expect("folder A");
    home.job(PROJECT_A, "pipeline-1", PIPELINE_XML)
        .expect("job");
    home.job(PROJECT_A, "Multi_Branch", MULTIBRANCH_XML)
        .expect("job");
    home.job(PROJECT_A, "nested folder", PLAIN_FOLDER_XML)
        .expect("job");
    home.job(PROJECT_A, "freestyle", FREESTYLE_XML)
        .expect("job");
    // Not children of the project: generated branches, a nested folder's own jobs, a directory
    // without config.xml.
    home.file(
        &format!("jobs/{PROJECT_A}/jobs/Multi_Branch/branches/master/config.xml"),
        PIPELINE_XML.as_bytes(),
    )
    .unwrap();
    home.file(
        &format!("jobs/{PROJECT_A}/jobs/nested folder/jobs/deep/config.xml"),
        PIPELINE_XML.as_bytes(),
    )
    .unwrap();
    home.file(
        &format!("jobs/{PROJECT_A}/jobs/not-an-item/nextBuildNumber"),
        b"1",
    )
    .unwrap();
    home.file(
        &format!("jobs/{PROJECT_A}/jobs/pipeline-1/builds/1/log"),
        b"log",
    )
    .unwrap();

    home.folder_with_domains(
        PROJECT_B,
        &[
            (
                None,
                &[CredentialSpec::SecretText {
                    id: "token".into(),
                    secret: "ünï-secret".into(),
                }],
            ),
            (
                Some("github.com"),
                &[CredentialSpec::UsernamePassword {
                    id: "gh".into(),
                    username: "u".into(),
                    password: "p2".into(),
                }],
            ),
        ],
    )
    .expect("folder B");
    home.job(PROJECT_B, "pipé line", PIPELINE_XML).expect("job");
    home.job(PROJECT_B, "A-upper", PIPELINE_XML).expect("job");

    home.folder(PROJECT_C, &[]).expect("folder C");
    home.top_level_item("init-job", PIPELINE_XML)
        .expect("init-job");
    home.top_level_item("top-multibranch", MULTIBRANCH_XML)
        .expect("mb");
    home.file(
        "jobs/top-multibranch/branches/feature%2Fx/config.xml",
        PIPELINE_XML.as_bytes(),
    )
    .unwrap();
    home
}

/// Starts the double on `dir`.
pub fn start(dir: &Path) -> JenkinsDouble {
    JenkinsDouble::start(DoubleConfig::new(dir)).expect("start double")
}

/// Client options for `double` with short timeouts and fast retries.
pub fn options(double: &JenkinsDouble) -> JenkinsOptions {
    let mut opts = JenkinsOptions::new(&double.url(), double.user()).expect("options");
    opts.token = Some(ksdm_model::Plaintext::from_string(
        double.token().to_owned(),
    ));
    opts.timeout = Duration::from_secs(5);
    opts.retries = 2;
    opts.backoff_base = Duration::from_millis(10);
    opts
}

/// A client for `double`.
pub fn client(double: &JenkinsDouble) -> JenkinsClient {
    JenkinsClient::new(options(double)).expect("client")
}

/// Every item of `client.folders()`.
pub async fn read_all(client: &JenkinsClient) -> Vec<Result<JenkinsFolder, JenkinsError>> {
    client.folders().collect().await
}

/// What the offline reader yields for `dir`.
pub fn offline(dir: &Path) -> Vec<JenkinsFolder> {
    let home = ksdm_source::jenkins_home::JenkinsHome::open(dir).expect("open home");
    home.folders()
        .expect("folders")
        .collect::<Result<Vec<_>, _>>()
        .expect("offline read")
}

/// Position of top-level item `name` in the (name-ordered) results for `dir`.
pub fn index_of(dir: &Path, name: &str) -> usize {
    offline(dir)
        .iter()
        .position(|f| f.name == name)
        .expect("item in home")
}
