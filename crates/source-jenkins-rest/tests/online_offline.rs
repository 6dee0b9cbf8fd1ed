//! The online reader yields exactly what the offline `JenkinsHome` reader yields.

mod common;

use std::time::Duration;

use common::*;
use ksdm_source_jenkins_rest::JenkinsClient;
use ksdm_test_jenkins::{FaultAction, FaultRule};

#[tokio::test]
async fn online_folders_equal_offline_folders() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let client = client(&double);

    let online: Vec<_> = read_all(&client)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("online read");
    let offline = offline(dir.path());
    assert_eq!(online, offline);

    // Spot checks of what "identical" covers.
    let names: Vec<&str> = online.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "init-job",
            PROJECT_B,
            PROJECT_A,
            PROJECT_C,
            "top-multibranch"
        ],
        "byte order"
    );
    let a = &online[2];
    let jobs: Vec<&str> = a.jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        jobs,
        ["Multi_Branch", "freestyle", "nested folder", "pipeline-1"]
    );
    assert_eq!(
        a.jobs[3].1,
        PIPELINE_XML.as_bytes(),
        "config.xml bytes as stored"
    );
    assert!(online[0].jobs.is_empty() && online[4].jobs.is_empty());
    assert_eq!(
        online[1]
            .jobs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["A-upper", "pipé line"]
    );

    assert_eq!(client.folder_names().await.unwrap(), names);
    // Multibranch projects' branches are never asked for.
    assert_eq!(double.stats().count("top-multibranch/api/json"), 0);
    assert_eq!(double.stats().count("branches"), 0);
}

#[tokio::test]
async fn requests_in_flight_stay_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let home = build_home(dir.path());
    for i in 0..12 {
        home.job(PROJECT_C, &format!("job-{i:02}"), PIPELINE_XML)
            .unwrap();
    }
    let double = start(dir.path());
    double.faults().add(FaultRule::path_contains(
        "",
        FaultAction::Delay(Duration::from_millis(40)),
    ));
    let mut opts = options(&double);
    opts.concurrency = 3;
    let client = JenkinsClient::new(opts).unwrap();
    let online: Vec<_> = read_all(&client)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("online read");
    assert_eq!(online, offline(dir.path()));
    let max = double.stats().max_in_flight();
    assert!(max <= 3, "{max} requests in flight with concurrency 3");
    assert!(max >= 2, "requests were not concurrent (max {max})");
}

#[test]
fn blocking_adapter_yields_the_same_folders() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let iter = client(&double).folders_blocking(rt.handle().clone());
    let online: Vec<_> = iter.collect::<Result<_, _>>().expect("blocking read");
    assert_eq!(online, offline(dir.path()));
}

#[test]
fn blocking_adapter_refuses_to_block_inside_a_runtime() {
    let dir = tempfile::tempdir().unwrap();
    build_home(dir.path());
    let double = start(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut iter = client(&double).folders_blocking(rt.handle().clone());
    let first = rt.block_on(async { iter.next() });
    let err = first
        .expect("one item")
        .expect_err("error inside a runtime");
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
    assert!(iter.next().is_none());
}

#[tokio::test]
async fn the_bundled_sample_home_reads_the_same_online() {
    let sample = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../sample/jenkins_home"
    ));
    if !sample.is_dir() {
        eprintln!("sample/jenkins_home not generated yet; covered by the tempdir homes above");
        return;
    }
    let double = start(sample);
    let client = client(&double);
    let online: Vec<_> = read_all(&client)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("online read");
    let offline = offline(sample);
    assert_eq!(online.len(), offline.len());
    assert_eq!(online, offline);
}
