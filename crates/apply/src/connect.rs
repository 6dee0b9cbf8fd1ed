//! Building a `kube` client suitable for this engine (its own retries, so kube's are off).

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::error::ApplyError;

/// Installs the `aws-lc-rs` rustls crypto provider (the one the whole tool links) as the process
/// default (no-op when one is set).
/// Call once at start-up, before building a client.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Where to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions<'a> {
    /// A kubeconfig file; None = `$KUBECONFIG`, `~/.kube/config` or the in-cluster ServiceAccount.
    pub kubeconfig: Option<&'a Path>,
    /// A kubeconfig context (default: current-context).
    pub context: Option<&'a str>,
    /// Read timeout of one request (the engine also bounds every attempt).
    pub read_timeout: Option<Duration>,
}

/// A client with `kube`'s built-in retry off (the engine retries with its own bounded policy).
pub async fn connect(opts: &ConnectOptions<'_>) -> Result<Client, ApplyError> {
    install_crypto_provider();
    let kc_opts = KubeConfigOptions { context: opts.context.map(str::to_string), ..KubeConfigOptions::default() };
    let mut config = match opts.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|e| ApplyError::Config(format!("{}: {e}", path.display())))?;
            Config::from_custom_kubeconfig(kubeconfig, &kc_opts).await.map_err(|e| ApplyError::Config(format!("{}: {e}", path.display())))?
        }
        None if opts.context.is_some() => Config::from_kubeconfig(&kc_opts).await.map_err(|e| ApplyError::Config(e.to_string()))?,
        None => Config::infer().await.map_err(|e| ApplyError::Config(e.to_string()))?,
    };
    config.default_retry = false;
    if opts.read_timeout.is_some() {
        config.read_timeout = opts.read_timeout;
    }
    Client::try_from(config).map_err(|e| ApplyError::Config(e.to_string()))
}

/// A client from kubeconfig YAML text (e.g. for tests), kube's retry off.
pub async fn connect_with_kubeconfig_yaml(yaml: &str) -> Result<Client, ApplyError> {
    install_crypto_provider();
    let kubeconfig = Kubeconfig::from_yaml(yaml).map_err(|e| ApplyError::Config(e.to_string()))?;
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await.map_err(|e| ApplyError::Config(e.to_string()))?;
    config.default_retry = false;
    Client::try_from(config).map_err(|e| ApplyError::Config(e.to_string()))
}
