//! `JenkinsClient::post_job_config`: the raw XML reaches the job with auth, crumb and session
//! cookie; Jenkins (the double) serves the new file afterwards; refusals are errors naming the
//! job.

mod common;

use common::*;
use ksdm_test_jenkins::{DoubleConfig, JenkinsDouble};

const NEW_XML: &str = "<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition>\n  <description></description>\n</flow-definition>\n";

#[tokio::test]
async fn posted_config_is_served_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let mut config = DoubleConfig::new(dir.path());
    config.crumb_requires_session = true;
    let double = JenkinsDouble::start(config).unwrap();
    ksdm_source_jenkins_rest::install_crypto_provider();

    // Without the crumb the double refuses the POST, as Jenkins does.
    let raw = reqwest::Client::new();
    let url = format!("{}job/{PROJECT_A}/job/pipeline-1/config.xml", double.url());
    let without = raw
        .post(&url)
        .basic_auth(double.user(), Some(double.token()))
        .body(NEW_XML)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status().as_u16(), 403);

    client(&double)
        .post_job_config(&[PROJECT_A, "pipeline-1"], NEW_XML.as_bytes())
        .await
        .expect("post with crumb and cookie");
    let served = raw
        .get(&url)
        .basic_auth(double.user(), Some(double.token()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, NEW_XML);

    // An unknown job is an error naming it; nothing is created.
    let err = client(&double)
        .post_job_config(&[PROJECT_A, "no-such-job"], NEW_XML.as_bytes())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-job"), "{err}");
    assert!(!dir
        .path()
        .join(format!("jobs/{PROJECT_A}/jobs/no-such-job"))
        .exists());
}
