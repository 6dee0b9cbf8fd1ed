//! One module per command.

mod export;

use anyhow::Result;

use crate::args::{Cli, Command};

/// Runs the command and returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Export(a) => export::export(&a.source, &a.convert, &a.out, export::Mode::Export, cli.no_progress),
        Command::Assess(a) => export::export(&a.source, &a.convert, &a.out, export::Mode::Assess, cli.no_progress),
        Command::Migrate(a) => export::migrate(&a, cli.no_progress),
    }
}
