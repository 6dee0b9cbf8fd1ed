//! Answers over the size limit: the one job (or folder) is refused, the rest is read, and the
//! offline reader refuses the same files the same way.

mod common;

use common::*;
use ksdm_model::limits::MAX_JENKINS_FILE_BYTES;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_job_config_is_refused_alone_online_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let home = build_home(dir.path());
    let mut huge = b"<flow-definition>".to_vec();
    huge.resize(MAX_JENKINS_FILE_BYTES as usize + 1, b' ');
    home.file(&format!("jobs/{PROJECT_C}/jobs/huge/config.xml"), &huge)
        .unwrap();
    home.job(PROJECT_C, "small", PIPELINE_XML).unwrap();
    let double = start(dir.path());
    let results = read_all(&client(&double)).await;
    let online: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("every item is read"))
        .collect();
    let c = online
        .iter()
        .find(|f| f.name == PROJECT_C)
        .expect("project C");
    assert_eq!(
        c.jobs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["small"]
    );
    assert_eq!(c.refused.len(), 1, "{c:?}");
    assert_eq!(c.refused[0].job.as_deref(), Some("huge"));
    assert!(
        c.refused[0].reason.contains("larger than 32 MiB"),
        "{}",
        c.refused[0].reason
    );
    // Not retried: one request for the huge file.
    assert_eq!(
        double
            .stats()
            .count(&format!("/job/{PROJECT_C}/job/huge/config.xml")),
        1
    );

    let offline = offline(dir.path());
    let off_c = offline
        .iter()
        .find(|f| f.name == PROJECT_C)
        .expect("project C");
    assert_eq!(off_c.jobs, c.jobs);
    assert_eq!(off_c.refused.len(), 1);
    assert!(off_c.refused[0].reason.contains("more than 32 MiB"));
    double.shutdown();
}
