//! Runs the ksdm TEST DOUBLE of a Kubernetes API server until Ctrl-C: KubeSphere v3.0 DevOps CRDs
//! installed, the simulated DevOpsProject controller on (200 ms delay), a kubeconfig written to
//! `--kubeconfig-out FILE` for clients such as `ks-devops-migrate migrate --sample`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ksdm_test_apiserver::{RbacPolicy, ServerOptions, TestApiServer};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "ksdm-test-apiserver",
    about = "TEST DOUBLE of a Kubernetes API server (loopback only) for ks-devops-migrate"
)]
struct Args {
    /// Where to write the kubeconfig pointing at the server.
    #[arg(long, value_name = "FILE")]
    kubeconfig_out: PathBuf,
    /// Emulate Kubernetes 1.15 (server-side apply off, /version v1.15.12).
    #[arg(long)]
    k8s_1_15: bool,
    /// Simulated controller delay in milliseconds.
    #[arg(long, default_value_t = 200)]
    controller_delay_ms: u64,
    /// Start without the KubeSphere CRDs (to try preflight checks).
    #[arg(long)]
    no_crds: bool,
    /// Enforce the ClusterRoles and Roles of this YAML file (e.g. what `ks-devops-migrate job`
    /// prints) for the kubeconfig's user; without it everything is allowed.
    #[arg(long, value_name = "FILE")]
    rbac_from: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut opts = ServerOptions::default()
        .with_controller_delay(Some(Duration::from_millis(args.controller_delay_ms)));
    if !args.no_crds {
        opts = opts.with_kubesphere_crds();
    }
    if args.k8s_1_15 {
        opts = opts.kubernetes_1_15();
    }
    if let Some(path) = &args.rbac_from {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading RBAC manifests from {}", path.display()))?;
        opts = opts.with_rbac(RbacPolicy::from_manifests(&text)?);
    }
    let server = TestApiServer::start(opts).await?;
    std::fs::write(&args.kubeconfig_out, server.kubeconfig_yaml()).with_context(|| {
        format!(
            "writing the kubeconfig to {}",
            args.kubeconfig_out.display()
        )
    })?;
    println!(
        "test API server (TEST DOUBLE) listening on {}",
        server.url()
    );
    println!("kubeconfig written to {}", args.kubeconfig_out.display());
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    server.shutdown().await;
    Ok(())
}
