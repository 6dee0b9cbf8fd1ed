//! One HTTP exchange with Jenkins, done right: Basic auth, a global bound on requests in
//! flight, a per-request timeout, and retries with exponential backoff on 5xx answers,
//! connection errors, timeouts and bodies that break off.
//!
//! 401 and other 4xx answers are not retried. Errors name the item, method and URL; the
//! `Authorization` header is marked sensitive and never logged.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, SET_COOKIE};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use url::Url;

use crate::error::{timeout_reason, JenkinsError};
use crate::options::JenkinsOptions;

/// Longest delay between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A successful answer.
pub(crate) struct Answer {
    /// The body bytes as sent.
    pub body: Vec<u8>,
    /// `name=value` of every `Set-Cookie` header (attributes dropped).
    pub cookies: Vec<String>,
}

/// A request to make (rebuilt for every attempt).
pub(crate) enum Request<'a> {
    /// `GET`.
    Get,
    /// `POST` of an `application/x-www-form-urlencoded` form with extra headers.
    PostForm {
        /// Form fields.
        form: &'a [(&'a str, &'a str)],
        /// Extra headers (crumb, cookie).
        headers: HeaderMap,
    },
    /// `POST` of a raw body (an item's `config.xml`) with extra headers.
    PostBody {
        /// The bytes sent as they are.
        body: &'a [u8],
        /// `Content-Type` of the body.
        content_type: &'static str,
        /// Extra headers (crumb, cookie).
        headers: HeaderMap,
    },
}

impl Request<'_> {
    fn method(&self) -> &'static str {
        match self {
            Request::Get => "GET",
            Request::PostForm { .. } | Request::PostBody { .. } => "POST",
        }
    }
}

/// What one attempt produced.
enum Attempt {
    Done(Option<Answer>),
    Fatal(JenkinsError),
    Retry(Failure),
}

/// A retryable failure.
enum Failure {
    Status(u16),
    Transport(String),
}

/// Shared HTTP state of a [`crate::JenkinsClient`].
pub(crate) struct Transport {
    client: reqwest::Client,
    base: Url,
    user: String,
    auth: Option<HeaderValue>,
    permits: Arc<Semaphore>,
    retries: u32,
    backoff_base: Duration,
    timeout: Duration,
}

impl Transport {
    /// Builds the HTTP client from the options.
    pub fn new(opts: &JenkinsOptions) -> Result<Self, JenkinsError> {
        let client = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("ks-devops-migrate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| JenkinsError::ClientSetup {
                reason: describe(&e, opts.timeout),
            })?;
        let auth = match &opts.token {
            Some(token) => {
                let mut raw = opts.user.as_bytes().to_vec();
                raw.push(b':');
                raw.extend_from_slice(token.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
                let mut value =
                    HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
                        JenkinsError::ClientSetup {
                            reason: "the user name or token cannot go into an HTTP header".into(),
                        }
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(Transport {
            client,
            base: opts.url.clone(),
            user: opts.user.clone(),
            auth,
            permits: Arc::new(Semaphore::new(opts.concurrency.max(1))),
            retries: opts.retries,
            backoff_base: opts.backoff_base,
            timeout: opts.timeout,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Absolute URL of a relative endpoint path.
    pub fn url(&self, rel: &str) -> Result<Url, JenkinsError> {
        self.base.join(rel).map_err(|e| JenkinsError::InvalidUrl {
            url: format!("{}{rel}", self.base),
            reason: e.to_string(),
        })
    }

    /// `GET` that must succeed (2xx).
    pub async fn get(&self, item: &str, rel: &str) -> Result<Answer, JenkinsError> {
        let url = self.url(rel)?;
        match self.execute(item, &url, &Request::Get, false).await? {
            Some(answer) => Ok(answer),
            None => Err(JenkinsError::Status {
                item: item.into(),
                method: "GET",
                url: url.into(),
                status: 404,
                attempts: 1,
            }),
        }
    }

    /// `GET` where 404 means "not there" (`Ok(None)`).
    pub async fn get_optional(
        &self,
        item: &str,
        rel: &str,
    ) -> Result<Option<Answer>, JenkinsError> {
        let url = self.url(rel)?;
        self.execute(item, &url, &Request::Get, true).await
    }

    /// `POST` that must succeed (2xx).
    pub async fn post_form(
        &self,
        item: &str,
        rel: &str,
        request: &Request<'_>,
    ) -> Result<Answer, JenkinsError> {
        let url = self.url(rel)?;
        match self.execute(item, &url, request, false).await? {
            Some(answer) => Ok(answer),
            None => Err(JenkinsError::Status {
                item: item.into(),
                method: "POST",
                url: url.into(),
                status: 404,
                attempts: 1,
            }),
        }
    }

    async fn execute(
        &self,
        item: &str,
        url: &Url,
        request: &Request<'_>,
        accept_404: bool,
    ) -> Result<Option<Answer>, JenkinsError> {
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            let outcome = {
                let _permit =
                    self.permits
                        .acquire()
                        .await
                        .map_err(|_| JenkinsError::TaskStopped {
                            reason: "the request limiter was closed".into(),
                        })?;
                self.attempt(item, url, request, accept_404).await
            };
            let failure = match outcome {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::Fatal(err) => return Err(err),
                Attempt::Retry(failure) => failure,
            };
            if attempts > self.retries {
                return Err(match failure {
                    Failure::Status(status) => JenkinsError::Status {
                        item: item.into(),
                        method: request.method(),
                        url: url.to_string(),
                        status,
                        attempts,
                    },
                    Failure::Transport(reason) => JenkinsError::Transport {
                        item: item.into(),
                        method: request.method(),
                        url: url.to_string(),
                        attempts,
                        reason,
                    },
                });
            }
            let delay = backoff(self.backoff_base, attempts);
            match &failure {
                Failure::Status(status) => {
                    tracing::debug!(%url, status, attempt = attempts, ?delay, "Jenkins answered 5xx; retrying");
                }
                Failure::Transport(reason) => {
                    tracing::debug!(%url, %reason, attempt = attempts, ?delay, "request to Jenkins failed; retrying");
                }
            }
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        item: &str,
        url: &Url,
        request: &Request<'_>,
        accept_404: bool,
    ) -> Attempt {
        let mut builder = match request {
            Request::Get => self.client.get(url.clone()),
            Request::PostForm { form, headers } => self
                .client
                .post(url.clone())
                .headers(headers.clone())
                .form(form),
            Request::PostBody {
                body,
                content_type,
                headers,
            } => self
                .client
                .post(url.clone())
                .headers(headers.clone())
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(body.to_vec()),
        };
        if let Some(auth) = &self.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(Failure::Transport(describe(&e, self.timeout))),
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Attempt::Fatal(JenkinsError::Unauthorized {
                url: url.to_string(),
                user: self.user.clone(),
            });
        }
        if status.is_server_error() {
            return Attempt::Retry(Failure::Status(status.as_u16()));
        }
        if status == StatusCode::NOT_FOUND && accept_404 {
            return Attempt::Done(None);
        }
        if !status.is_success() {
            return Attempt::Fatal(JenkinsError::Status {
                item: item.into(),
                method: request.method(),
                url: url.to_string(),
                status: status.as_u16(),
                attempts: 1,
            });
        }
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| v.contains('='))
            .collect();
        let limit = body_limit(url);
        let too_large = || {
            Attempt::Fatal(JenkinsError::TooLarge {
                item: item.into(),
                url: url.to_string(),
                limit: ksdm_model::limits::human_size(limit),
            })
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return too_large();
        }
        // Read chunk by chunk so that an answer without (or with a false) Content-Length cannot
        // grow past the limit.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > limit {
                        return too_large();
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Attempt::Done(Some(Answer { body, cookies })),
                Err(e) => return Attempt::Retry(Failure::Transport(describe(&e, self.timeout))),
            }
        }
    }
}

/// The largest answer accepted from `url`: a Jenkins file (`…/config.xml`) or any other answer.
fn body_limit(url: &Url) -> u64 {
    if url.path().ends_with("/config.xml") {
        ksdm_model::limits::MAX_JENKINS_FILE_BYTES
    } else {
        ksdm_model::limits::MAX_REST_BODY_BYTES
    }
}

/// Delay before retry number `attempt` (1-based): `base · 2^(attempt-1)`, at most 30 s.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
}

/// A short reason for a transport error, without the URL (the caller adds it).
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return timeout_reason(timeout);
    }
    let kind = if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "the answer body broke off"
    } else if err.is_request() {
        "the request failed"
    } else {
        "HTTP error"
    };
    let mut causes = Vec::new();
    let mut source = err.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1), Duration::from_millis(100));
        assert_eq!(backoff(base, 2), Duration::from_millis(200));
        assert_eq!(backoff(base, 4), Duration::from_millis(800));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }
}
