//! Progress events for the CLI (the library never prints).

use tokio::sync::mpsc::UnboundedSender;

use crate::report::{Action, ProjectStatus};

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyEvent {
    /// The run starts with this many projects and objects.
    RunStarted {
        /// Projects.
        projects: usize,
        /// Objects.
        objects: usize,
    },
    /// Work on a project starts.
    ProjectStarted {
        /// Project name.
        project: String,
    },
    /// Waiting for the controller to create the project's admin namespace.
    WaitingForNamespace {
        /// Project name.
        project: String,
    },
    /// One object is done.
    ObjectDone {
        /// Project name.
        project: String,
        /// Object key.
        key: String,
        /// What happened.
        action: Action,
    },
    /// A project is done.
    ProjectFinished {
        /// Project name.
        project: String,
        /// Its status.
        status: ProjectStatus,
    },
}

/// Where events go: nowhere, or an unbounded channel the CLI drains.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    sender: Option<UnboundedSender<ApplyEvent>>,
}

impl Progress {
    /// Discards events.
    pub fn none() -> Self {
        Progress { sender: None }
    }

    /// Sends events to `sender` (a closed receiver is ignored).
    pub fn channel(sender: UnboundedSender<ApplyEvent>) -> Self {
        Progress {
            sender: Some(sender),
        }
    }

    /// Emits one event.
    pub fn emit(&self, event: ApplyEvent) {
        if let Some(s) = &self.sender {
            let _ = s.send(event);
        }
    }
}
