//! `ks-devops-migrate`: migrates KubeSphere v2.1 DevOps data (MySQL + Jenkins) to v3.0 objects.
//!
//! This binary is glue: argument parsing ([`args`]) and one module per command under [`cmd`]
//! that calls the run library (`ksdm-run`) and prints. Exit codes are `ksdm_run::exit`; an
//! expected failure (`ksdm_run::RunError`) gets its code there, anything else is 1.

mod args;
mod cmd;
mod progress;

use ksdm_run::exit;

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
            // The cause chain once (many errors repeat their cause in their own message).
            eprintln!(
                "ks-devops-migrate: error: {}",
                ksdm_run::anyhow_chain_text(&e)
            );
            let code = ksdm_run::exit_code_of(&e);
            if code == exit::INTERNAL {
                eprintln!("ks-devops-migrate: (exit {code}: unexpected error)");
            }
            code
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
