//! [`BlockingFolders`]: a `std` iterator over [`crate::JenkinsClient::folders`] for the
//! synchronous (rayon-based) converter.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use ksdm_model::v21::JenkinsFolder;
use tokio::sync::mpsc;

use crate::client::JenkinsClient;
use crate::error::JenkinsError;

/// Iterator of folder results read by a background task on a tokio runtime.
///
/// Ends after the last item. If the task stops early (runtime shut down, task panicked), yields
/// one [`JenkinsError::TaskStopped`] and then ends.
#[derive(Debug)]
pub struct BlockingFolders {
    rx: mpsc::Receiver<Result<JenkinsFolder, JenkinsError>>,
    finished: Arc<AtomicBool>,
    done: bool,
}

impl BlockingFolders {
    pub(crate) fn spawn(client: JenkinsClient, rt: tokio::runtime::Handle) -> Self {
        let capacity = client.concurrency;
        let (tx, rx) = mpsc::channel(capacity);
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        rt.spawn(async move {
            let folders = client.folders();
            futures_util::pin_mut!(folders);
            while let Some(item) = folders.next().await {
                if tx.send(item).await.is_err() {
                    break;
                }
            }
            flag.store(true, Ordering::SeqCst);
        });
        BlockingFolders {
            rx,
            finished,
            done: false,
        }
    }
}

impl Iterator for BlockingFolders {
    type Item = Result<JenkinsFolder, JenkinsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            self.done = true;
            return Some(Err(JenkinsError::TaskStopped {
                reason:
                    "folders_blocking() was iterated inside an async runtime; use folders() there"
                        .into(),
            }));
        }
        match self.rx.blocking_recv() {
            Some(item) => Some(item),
            None => {
                self.done = true;
                if self.finished.load(Ordering::SeqCst) {
                    None
                } else {
                    Some(Err(JenkinsError::TaskStopped {
                        reason: "the background task ended before reading every item".into(),
                    }))
                }
            }
        }
    }
}
