//! Injected faults as the real `kube` client experiences them.

mod common;

use std::time::{Duration, Instant};

use common::{api_status, bounded, client, install_crypto, start};
use k8s_openapi::api::core::v1::ConfigMap;
use ksdm_test_apiserver::{FaultAction, FaultRule, ServerOptions};
use kube::api::{Api, PostParams};

fn cm(name: &str) -> ConfigMap {
    let mut c = ConfigMap::default();
    c.metadata.name = Some(name.to_string());
    c
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_and_kube_retries_it() {
    let server = start(ServerOptions::default()).await;
    bounded("429", async {
        let faults = server.faults();
        let id = faults
            .add(FaultRule::new(Some("GET"), "/configmaps", FaultAction::Status(429)).times(1));
        // Without retries the client sees the 429 Status.
        let plain: Api<ConfigMap> = Api::namespaced(client(&server, false), "default");
        let status = api_status(plain.list(&Default::default()).await.expect_err("429"));
        assert_eq!(
            (status.code, status.reason.as_str()),
            (429, "TooManyRequests")
        );
        assert_eq!(
            status.details.as_ref().map(|d| d.retry_after_seconds),
            Some(1)
        );
        assert_eq!(faults.fired(id), 1);

        // With kube's default retry policy, the Retry-After: 1 header is honoured and the retry succeeds.
        faults.add(FaultRule::new(Some("GET"), "/configmaps", FaultAction::Status(429)).times(1));
        server.clear_requests();
        let retrying: Api<ConfigMap> = Api::namespaced(client(&server, true), "default");
        let started = Instant::now();
        retrying
            .list(&Default::default())
            .await
            .expect("retried list succeeds");
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "Retry-After: 1 was honoured ({:?})",
            started.elapsed()
        );
        let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, vec![429, 200]);
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_conflicts_are_api_errors() {
    let server = start(ServerOptions::default()).await;
    let api: Api<ConfigMap> = Api::namespaced(client(&server, false), "default");
    bounded("500", async {
        let faults = server.faults();
        faults.add(FaultRule::new(Some("POST"), "/configmaps", FaultAction::Status(500)).times(1));
        let status = api_status(
            api.create(&PostParams::default(), &cm("a"))
                .await
                .expect_err("500"),
        );
        assert_eq!(
            (status.code, status.reason.as_str()),
            (500, "InternalError")
        );
        api.create(&PostParams::default(), &cm("a"))
            .await
            .expect("fault exhausted");

        faults.add(FaultRule::new(None, "/configmaps/a", FaultAction::Status(409)).every_nth(2));
        api.get("a").await.expect("1st passes");
        assert_eq!(
            api_status(api.get("a").await.expect_err("2nd conflicts")).code,
            409
        );
        api.get("a").await.expect("3rd passes");
        faults.add(FaultRule::new(
            Some("GET"),
            "/configmaps/a",
            FaultAction::Status(503),
        ));
        assert_eq!(
            api_status(api.get("a").await.expect_err("4th: 503 rule")).code,
            409,
            "every-2nd rule comes first"
        );
        assert_eq!(api_status(api.get("a").await.expect_err("5th")).code, 503);
        faults.clear();
        api.get("a").await.expect("cleared");
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_and_truncated_body_are_transport_errors() {
    let server = start(ServerOptions::default()).await;
    let api: Api<ConfigMap> = Api::namespaced(client(&server, false), "default");
    bounded("drop", async {
        let faults = server.faults();
        faults.add(
            FaultRule::new(Some("GET"), "/configmaps/x", FaultAction::DropConnection).times(1),
        );
        let err = api.get("x").await.expect_err("dropped");
        assert!(
            !matches!(err, kube::Error::Api(_)),
            "a dropped connection is not an API status: {err:?}"
        );
        assert_eq!(
            api_status(api.get("x").await.expect_err("normal 404 afterwards")).code,
            404
        );

        api.create(&PostParams::default(), &cm("x"))
            .await
            .expect("create");
        faults
            .add(FaultRule::new(Some("GET"), "/configmaps/x", FaultAction::TruncateBody).times(1));
        let err = api.get("x").await.expect_err("truncated");
        assert!(
            !matches!(err, kube::Error::Api(_)),
            "a truncated body is not an API status: {err:?}"
        );
        api.get("x").await.expect("whole body afterwards");
        let log = server.requests();
        assert_eq!(log.iter().filter(|r| r.faulted).count(), 2);
        assert!(log.iter().any(|r| r.faulted && r.status == 0));
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn slow_response_hits_the_client_read_timeout() {
    let server = start(ServerOptions::default()).await;
    install_crypto();
    let mut config = kube::Config::new(server.url().parse().expect("url"));
    config.default_retry = false;
    config.read_timeout = Some(Duration::from_millis(300));
    let api: Api<ConfigMap> =
        Api::namespaced(kube::Client::try_from(config).expect("client"), "default");
    bounded("delay", async {
        server.faults().add(
            FaultRule::new(
                Some("GET"),
                "/configmaps",
                FaultAction::Delay(Duration::from_secs(3)),
            )
            .times(1),
        );
        let started = Instant::now();
        let err = api.list(&Default::default()).await.expect_err("timed out");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the client gave up early ({:?})",
            started.elapsed()
        );
        assert!(!matches!(err, kube::Error::Api(_)), "{err:?}");

        server.faults().add(
            FaultRule::new(
                Some("GET"),
                "/configmaps",
                FaultAction::Delay(Duration::from_millis(100)),
            )
            .times(1),
        );
        let started = Instant::now();
        api.list(&Default::default())
            .await
            .expect("short delay is fine");
        assert!(started.elapsed() >= Duration::from_millis(100));
    })
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn crash_after_n_writes_then_recover() {
    let server = start(ServerOptions::default()).await;
    let api: Api<ConfigMap> = Api::namespaced(client(&server, false), "default");
    bounded("crash", async {
        let faults = server.faults();
        faults.crash_after_writes(2);
        api.create(&PostParams::default(), &cm("one"))
            .await
            .expect("write 1");
        assert!(
            api.create(&PostParams::default(), &cm("one"))
                .await
                .is_err(),
            "failed writes do not count"
        );
        api.create(&PostParams::default(), &cm("two"))
            .await
            .expect("write 2");
        assert!(faults.is_crashed());
        assert_eq!(
            api_status(
                api.create(&PostParams::default(), &cm("three"))
                    .await
                    .expect_err("crashed")
            )
            .code,
            503
        );
        assert_eq!(
            api_status(api.get("one").await.expect_err("reads fail too")).code,
            503
        );
        faults.clear_crash();
        api.create(&PostParams::default(), &cm("three"))
            .await
            .expect("recovered");
        let names: Vec<String> = server
            .snapshot()
            .as_object()
            .map(|m| {
                m.keys()
                    .filter(|k| k.starts_with("configmaps/"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            names,
            vec![
                "configmaps/default/one",
                "configmaps/default/three",
                "configmaps/default/two"
            ]
        );
        let counts = server.verb_counts();
        assert_eq!(counts.get("create"), Some(&4), "{counts:?}");
    })
    .await;
    server.shutdown().await;
}
