//! Connection settings: base URL, user, API token (from a file or an environment variable),
//! concurrency, timeout and retry policy.

use std::path::Path;
use std::time::Duration;

use ksdm_model::Plaintext;
use url::Url;

use crate::error::JenkinsError;

/// Default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default timeout of one request (connect + answer + body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of retries after a 5xx answer, a connection error or a timeout.
pub const DEFAULT_RETRIES: u32 = 3;
/// Default first backoff delay (doubled on every further retry).
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);
/// The environment variable the CLI reads the API token from.
pub const DEFAULT_TOKEN_ENV_VAR: &str = "JENKINS_API_TOKEN";

/// How to reach a running Jenkins. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct JenkinsOptions {
    /// Base URL of Jenkins (e.g. `http://ks-jenkins.kubesphere-devops-system.svc/` or
    /// `http://host:8080/jenkins/`); a missing trailing `/` is added.
    pub url: Url,
    /// Jenkins user name (v2.1 installs use `admin`).
    pub user: String,
    /// API token or password for HTTP Basic auth; `None` sends requests anonymously.
    pub token: Option<Plaintext>,
    /// Maximum number of requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Timeout of one request, including reading the body.
    pub timeout: Duration,
    /// Retries after 5xx answers, connection errors, timeouts and broken bodies.
    pub retries: u32,
    /// Delay before the first retry; doubled for every further retry (capped at 30 s).
    pub backoff_base: Duration,
}

impl JenkinsOptions {
    /// Options with the defaults (8 in flight, 30 s timeout, 3 retries, 500 ms backoff) and no
    /// token.
    pub fn new(url: &str, user: &str) -> Result<Self, JenkinsError> {
        Ok(JenkinsOptions {
            url: parse_base_url(url)?,
            user: user.to_owned(),
            token: None,
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff_base: DEFAULT_BACKOFF_BASE,
        })
    }

    /// Options with the defaults and the API token taken from `token_file` (surrounding
    /// whitespace trimmed) when given, otherwise from the environment variable `env_var` when it
    /// is set and not blank, otherwise no token.
    pub fn from_env_and_file(
        url: &str,
        user: &str,
        token_file: Option<&Path>,
        env_var: &str,
    ) -> Result<Self, JenkinsError> {
        let mut opts = Self::new(url, user)?;
        opts.token = match token_file {
            Some(path) => Some(read_token_file(path)?),
            None => std::env::var(env_var)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(Plaintext::from_string),
        };
        Ok(opts)
    }
}

fn read_token_file(path: &Path) -> Result<Plaintext, JenkinsError> {
    let bytes = std::fs::read(path).map_err(|source| JenkinsError::TokenFile {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let token = text.trim();
    if token.is_empty() {
        return Err(JenkinsError::EmptyTokenFile {
            path: path.to_path_buf(),
        });
    }
    Ok(Plaintext::from_string(token.to_owned()))
}

/// Parses and normalises the base URL: `http`/`https` only, no user info (the token must not
/// travel in URLs, which end up in logs), no query or fragment, path ending with `/`.
pub fn parse_base_url(text: &str) -> Result<Url, JenkinsError> {
    let invalid = |reason: &str| JenkinsError::InvalidUrl {
        url: redact_userinfo(text),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid("only http and https URLs are supported"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "do not put credentials in the URL; use the user option and the API token file or environment variable",
        ));
    }
    if url.host_str().is_none() {
        return Err(invalid("the URL has no host"));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The URL text with any `user:password@` part replaced, for error messages.
fn redact_userinfo(text: &str) -> String {
    match (text.find("://"), text.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://<redacted>@{}", &text[..scheme_end], &text[at + 1..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_a_trailing_slash_and_loses_query() {
        let url = parse_base_url("http://jenkins:8080/ctx?x=1#f").unwrap();
        assert_eq!(url.as_str(), "http://jenkins:8080/ctx/");
    }

    #[test]
    fn credentials_in_url_are_refused_and_not_echoed() {
        let err = parse_base_url("http://admin:s3cr3t@jenkins/").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("do not put credentials"), "{msg}");
        assert!(!msg.contains("s3cr3t"), "{msg}");
        assert!(parse_base_url("ftp://jenkins/").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn token_from_file_wins_and_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  abc123\n").unwrap();
        let opts = JenkinsOptions::from_env_and_file(
            "http://127.0.0.1:1/",
            "admin",
            Some(&file),
            "KSDM_TEST_UNSET_VARIABLE_1",
        )
        .unwrap();
        assert_eq!(
            opts.token.as_ref().map(|t| t.expose().to_vec()),
            Some(b"abc123".to_vec())
        );
        assert!(!format!("{opts:?}").contains("abc123"));
        assert_eq!(opts.concurrency, DEFAULT_CONCURRENCY);
    }

    #[test]
    fn empty_or_missing_token_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let err =
            JenkinsOptions::from_env_and_file("http://h/", "u", Some(&empty), "X").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let missing = dir.path().join("missing");
        let err =
            JenkinsOptions::from_env_and_file("http://h/", "u", Some(&missing), "X").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn no_file_and_unset_variable_means_no_token() {
        let opts =
            JenkinsOptions::from_env_and_file("http://h/", "u", None, "KSDM_TEST_UNSET_VARIABLE_2")
                .unwrap();
        assert!(opts.token.is_none());
    }
}
