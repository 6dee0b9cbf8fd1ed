//! Bounded retries of API calls: 429 honours `Retry-After` (capped), 5xx and connection errors
//! back off exponentially with jitter, every attempt has a timeout. Other errors return at once.

use std::future::Future;
use std::time::Duration;

use crate::error::ClusterError;

/// How API calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total (at least 1).
    pub max_attempts: u32,
    /// First backoff; doubles per attempt.
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// Largest wait honoured from `Retry-After` / `details.retryAfterSeconds`.
    pub retry_after_cap: Duration,
    /// Timeout of one attempt.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Converts a `kube` error into a [`ClusterError`] (plus the server's retry-after hint, if any).
pub fn classify(err: kube::Error) -> (ClusterError, Option<Duration>) {
    match err {
        kube::Error::Api(status) => {
            let retry_after = status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(u64::from(s)));
            (
                ClusterError::Api {
                    code: status.code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                },
                retry_after,
            )
        }
        kube::Error::HyperError(e) => (ClusterError::Transport(e.to_string()), None),
        kube::Error::Service(e) => (ClusterError::Transport(e.to_string()), None),
        kube::Error::SerdeError(e) => (
            ClusterError::Transport(format!("unreadable answer: {e}")),
            None,
        ),
        kube::Error::ReadEvents(e) => (ClusterError::Transport(e.to_string()), None),
        other => (ClusterError::Other(other.to_string()), None),
    }
}

fn retryable(err: &ClusterError) -> bool {
    match err {
        ClusterError::Api { code, .. } => *code == 429 || (500..=599).contains(code),
        ClusterError::Timeout(_) | ClusterError::Transport(_) => true,
        ClusterError::Other(_) => false,
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1), with jitter in [50 %, 100 %].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let jitter: f64 = 0.5 + rand::random::<f64>() * 0.5;
        full.mul_f64(jitter)
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or attempts run out.
    /// `what` names the call in logs.
    pub async fn run<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T, ClusterError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let attempts = self.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (err, hint) = match tokio::time::timeout(self.request_timeout, op()).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => classify(e),
                Err(_) => (ClusterError::Timeout(self.request_timeout), None),
            };
            if !retryable(&err) || attempt >= attempts {
                return Err(err);
            }
            let wait = match (err.code(), hint) {
                (Some(429), Some(h)) => h.min(self.retry_after_cap),
                _ => self.backoff(attempt),
            };
            tracing::debug!(call = what, attempt, error = %err, ?wait, "retrying a Kubernetes API call");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            retry_after_cap: Duration::from_millis(5),
            request_timeout: Duration::from_millis(200),
        }
    }

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status {
                code,
                reason: "X".into(),
                message: "m".into(),
                ..kube::core::Status::default()
            }
            .boxed(),
        )
    }

    #[tokio::test]
    async fn retries_5xx_until_success_and_stops_at_the_limit() {
        let calls = AtomicU32::new(0);
        let r = quick()
            .run("t", || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(api(500))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(r, Ok(2));
        calls.store(0, Ordering::SeqCst);
        let r: Result<(), _> = quick()
            .run("t", || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(api(503)) }
            })
            .await;
        assert_eq!(r.map_err(|e| e.code()), Err(Some(503)));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_slow_calls_time_out() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = quick()
            .run("t", || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(api(409)) }
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let r: Result<(), _> = quick()
            .run("t", || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
        assert_eq!(r, Err(ClusterError::Timeout(Duration::from_millis(200))));
    }

    #[test]
    fn backoff_is_jittered() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            ..quick()
        };
        let waits: std::collections::BTreeSet<Duration> = (0..50).map(|_| p.backoff(3)).collect();
        assert!(
            waits.len() > 10,
            "50 backoffs gave only {} distinct waits: clients retrying together would stay in step",
            waits.len()
        );
        assert!(
            waits
                .iter()
                .all(|w| *w >= Duration::from_millis(200) && *w <= Duration::from_millis(400)),
            "{waits:?}"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..quick()
        };
        assert!(
            p.backoff(1) <= Duration::from_millis(100) && p.backoff(1) >= Duration::from_millis(50)
        );
        assert!(
            p.backoff(10) <= Duration::from_millis(300)
                && p.backoff(10) >= Duration::from_millis(150)
        );
    }
}
