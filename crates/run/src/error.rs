//! The expected failures of a run and their exit codes.

use std::error::Error as StdError;

/// A boxed cause.
pub type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// An expected failure that ends a run before it completes. Each variant has one exit code
/// ([`RunError::exit_code`]); anything else that goes wrong is an internal error (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The command line or run plan is not usable (checked before any I/O): exit 2.
    #[error("{0}")]
    Usage(String),
    /// An input cannot be used at all (unreadable dump or Jenkins home, MySQL or Jenkins
    /// unreachable, a rejected login): exit 3. Nothing was converted.
    #[error("{what}")]
    Input {
        /// What could not be used.
        what: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// The inputs are readable but there is nothing to do (no project selected, no active
    /// project): exit 3.
    #[error("nothing to migrate: {0}")]
    NothingToMigrate(String),
    /// A check that guards the cluster failed before the estate was read (cluster unreachable,
    /// CRDs missing, permissions, backup store not writable): exit 5. Nothing was written.
    #[error("{what}")]
    Preflight {
        /// What failed.
        what: String,
        /// Why.
        #[source]
        source: Option<Cause>,
    },
    /// The backup could not be written or verified: exit 5. Nothing was applied.
    #[error("{what}")]
    Backup {
        /// What failed.
        what: String,
        /// Why.
        #[source]
        source: Cause,
    },
}

impl RunError {
    /// The process exit code of this failure (see [`crate::exit`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_) => crate::exit::USAGE,
            RunError::Input { .. } | RunError::NothingToMigrate(_) => crate::exit::INPUT,
            RunError::Preflight { .. } | RunError::Backup { .. } => crate::exit::STEP_FAILED,
        }
    }

    /// An input failure.
    pub fn input(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        RunError::Input {
            what: what.into(),
            source: source.into(),
        }
    }

    /// A preflight failure with a cause.
    pub fn preflight(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        RunError::Preflight {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// A backup failure.
    pub fn backup(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        RunError::Backup {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// The exit code of an error from a command: the code of the first [`RunError`] in its chain,
/// else [`crate::exit::INTERNAL`].
pub fn exit_code_of(e: &anyhow::Error) -> i32 {
    e.chain()
        .find_map(|c| c.downcast_ref::<RunError>())
        .map_or(crate::exit::INTERNAL, RunError::exit_code)
}

/// The error and its causes as one line, `a: b: c`, each cause once: a cause whose text the
/// line already holds (many errors repeat their cause in their own message) is left out.
pub fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// [`chain_text`] for an `anyhow::Error`.
pub fn anyhow_chain_text(e: &anyhow::Error) -> String {
    chain_text(e.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read x: {source}")]
    struct Repeats {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_repeated_in_the_message_is_printed_once() {
        let e = anyhow::Error::new(Repeats {
            source: std::io::Error::other("disk on fire"),
        })
        .context("reading input");
        assert_eq!(
            anyhow_chain_text(&e),
            "reading input: cannot read x: disk on fire"
        );
    }

    #[test]
    fn codes_come_from_the_first_run_error_in_the_chain() {
        let e = anyhow::Error::new(RunError::NothingToMigrate("none".into())).context("export");
        assert_eq!(exit_code_of(&e), crate::exit::INPUT);
        assert_eq!(exit_code_of(&anyhow::anyhow!("bug")), crate::exit::INTERNAL);
        let p = RunError::Preflight {
            what: "store".into(),
            source: None,
        };
        assert_eq!(p.exit_code(), crate::exit::STEP_FAILED);
        assert_eq!(RunError::Usage("x".into()).exit_code(), crate::exit::USAGE);
    }
}
