//! `ks-devops-migrate`: migrates KubeSphere v2.1 DevOps data (MySQL + Jenkins) to v3.0 objects.
//!
//! This binary is glue: argument parsing ([`args`]), input loading ([`sources`]), and one module
//! per command under [`cmd`]. Exit codes are in [`exit`].

mod args;
mod cmd;
mod exit;
mod progress;
mod sources;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    // One rustls crypto provider, aws-lc-rs, is linked for every client (kube, sqlx, reqwest,
    // the AWS SDK); install it as the process default before any client exists.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    init_tracing(cli.verbose);
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ks-devops-migrate: error: {e:#}");
            exit::INTERNAL
        }
    };
    std::process::exit(code);
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KSDM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
