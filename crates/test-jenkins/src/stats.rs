//! What the double saw: every request (method, decoded path + query, status) and the most
//! requests it had in flight at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One served (or dropped) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Decoded path plus `?query` when present.
    pub path: String,
    /// Status sent; `None` when the connection was dropped or the body truncated.
    pub status: Option<u16>,
}

/// Request statistics; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    log: Arc<Mutex<Vec<LoggedRequest>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Stats {
    /// Every request so far, in arrival order of completion.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many requests' decoded path contains `text`.
    pub fn count(&self, text: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path.contains(text))
            .count()
    }

    /// The most requests that were being handled at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Forgets the log and the in-flight maximum.
    pub fn reset(&self) {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    pub(crate) fn record(&self, request: LoggedRequest) {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(request);
    }

    /// Counts a request as in flight until the guard drops.
    pub(crate) fn enter(&self) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self.in_flight.clone())
    }
}

/// Guard of one in-flight request.
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
