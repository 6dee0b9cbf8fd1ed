//! Terminal progress (only when stderr is a terminal).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar over projects, hidden when not on a terminal or with --no-progress.
pub fn projects(total: u64, disabled: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if disabled || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} projects ({per_sec})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("converting");
    bar
}
