//! Helpers shared by the integration tests: server start-up and a real `kube` client.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use ksdm_test_apiserver::{ServerOptions, TestApiServer};
use kube::api::{ApiResource, GroupVersionKind};
use kube::{Client, Config};

/// Installs the rustls crypto provider once (ignoring "already installed").
pub fn install_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Starts a server with `opts`.
pub async fn start(opts: ServerOptions) -> TestApiServer {
    install_crypto();
    TestApiServer::start(opts)
        .await
        .expect("test API server starts")
}

/// A `kube` client for `server`; `retry` keeps kube's default retry of 429/503/504.
pub fn client(server: &TestApiServer, retry: bool) -> Client {
    install_crypto();
    let mut config = Config::new(server.url().parse().expect("server URL parses"));
    config.default_retry = retry;
    config.read_timeout = Some(Duration::from_secs(5));
    Client::try_from(config).expect("kube client builds")
}

/// The DevOpsProject `ApiResource`.
pub fn devopsproject_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("devops.kubesphere.io", "v1alpha3", "DevOpsProject"),
        "devopsprojects",
    )
}

/// The Pipeline `ApiResource`.
pub fn pipeline_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("devops.kubesphere.io", "v1alpha3", "Pipeline"),
        "pipelines",
    )
}

/// Runs `fut` with a hard limit so no test hangs.
pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 10 s"))
}

/// The `kube::Error::Api` status of `err`, or a panic naming the unexpected error.
pub fn api_status(err: kube::Error) -> Box<kube::core::Status> {
    match err {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}
