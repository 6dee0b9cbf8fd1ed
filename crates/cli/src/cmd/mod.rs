//! One module per command.

mod backup;
mod cluster;
mod export;
mod job;
mod migrate;
mod restore;

use anyhow::{Context, Result};

use crate::args::{Cli, Command};

/// Runs the command and returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let np = cli.no_progress;
    match cli.command {
        Command::Export(a) => export::export(
            &a.source,
            a.snapshot.flags(),
            &a.convert,
            &a.out,
            export::Mode::Export,
            np,
            export::Formats::ALL,
            None,
        ),
        Command::Assess(a) => export::export(
            &a.source,
            a.snapshot.flags(),
            &a.convert,
            &a.out,
            export::Mode::Assess,
            np,
            export::formats_from_args(&a.format),
            a.fail_on,
        ),
        Command::Migrate(a) => migrate::migrate(&a, np),
        Command::Plan(a) => migrate::plan(&a, np),
        Command::Verify(a) => migrate::verify(&a, np),
        Command::Backup(a) => backup::backup(&a, np),
        Command::Restore(a) => restore::restore(&a),
        Command::Job(a) => job::job(&a),
    }
}

/// A runtime for the async parts (S3, Kubernetes).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A new run id (sortable, valid as a label value), shared by the backup and the provenance label.
pub(crate) fn new_run_id() -> String {
    ksdm_backup::layout::new_run_id(time::OffsetDateTime::now_utc())
}
