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

/// Which cluster a client talks to, for telling the user before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    /// The API server URL.
    pub server: String,
    /// The kubeconfig context used, or a description such as `in-cluster service account`.
    pub context: String,
}

impl std::fmt::Display for ClusterTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (context {})", self.server, self.context)
    }
}

/// Like [`connect`], and also says which API server and context were chosen.
pub async fn connect_described(
    opts: &ConnectOptions<'_>,
) -> Result<(Client, ClusterTarget), ApplyError> {
    let (config, context) = config(opts).await?;
    let target = ClusterTarget {
        server: config.cluster_url.to_string(),
        context,
    };
    let client = Client::try_from(config).map_err(|e| ApplyError::Config(e.to_string()))?;
    Ok((client, target))
}

/// A client with `kube`'s built-in retry off (the engine retries with its own bounded policy).
pub async fn connect(opts: &ConnectOptions<'_>) -> Result<Client, ApplyError> {
    connect_described(opts).await.map(|(c, _)| c)
}

async fn config(opts: &ConnectOptions<'_>) -> Result<(Config, String), ApplyError> {
    install_crypto_provider();
    let kc_opts = KubeConfigOptions {
        context: opts.context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let named = |current: Option<String>| {
        opts.context
            .map(str::to_string)
            .or(current)
            .unwrap_or_else(|| "(none)".to_string())
    };
    let (mut config, context) = match opts.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| ApplyError::Config(format!("{}: {e}", path.display())))?;
            let context = named(kubeconfig.current_context.clone());
            let config = Config::from_custom_kubeconfig(kubeconfig, &kc_opts)
                .await
                .map_err(|e| ApplyError::Config(format!("{}: {e}", path.display())))?;
            (config, context)
        }
        None if opts.context.is_some() => (
            Config::from_kubeconfig(&kc_opts)
                .await
                .map_err(|e| ApplyError::Config(e.to_string()))?,
            named(None),
        ),
        None => {
            let config = Config::infer()
                .await
                .map_err(|e| ApplyError::Config(e.to_string()))?;
            // `infer` prefers a kubeconfig ($KUBECONFIG, ~/.kube/config) and falls back to the pod's
            // service account.
            let context = match Kubeconfig::read() {
                Ok(k) => named(k.current_context),
                Err(_) => "in-cluster service account".to_string(),
            };
            (config, context)
        }
    };
    config.default_retry = false;
    if opts.read_timeout.is_some() {
        config.read_timeout = opts.read_timeout;
    }
    Ok((config, context))
}

/// A client from kubeconfig YAML text (e.g. for tests), kube's retry off.
pub async fn connect_with_kubeconfig_yaml(yaml: &str) -> Result<Client, ApplyError> {
    install_crypto_provider();
    let kubeconfig = Kubeconfig::from_yaml(yaml).map_err(|e| ApplyError::Config(e.to_string()))?;
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| ApplyError::Config(e.to_string()))?;
    config.default_retry = false;
    Client::try_from(config).map_err(|e| ApplyError::Config(e.to_string()))
}
