//! [`JenkinsClient`]: reads every top-level Jenkins item (project folders and stray items such
//! as `init-job`) with its `config.xml` and its direct child items, the same
//! [`JenkinsFolder`]s the offline `ksdm_source::jenkins_home::JenkinsHome` reader yields.

use std::sync::Arc;

use futures_util::stream::{self, Stream, StreamExt};
use ksdm_model::v21::{JenkinsFolder, RefusedFile};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, COOKIE};
use serde::Deserialize;
use url::Url;

use crate::credentials::{parse_domain, CredentialMetadata};
use crate::error::JenkinsError;
use crate::listing::{parse_listing, ItemRef};
use crate::options::JenkinsOptions;
use crate::paths;
use crate::reveal::{parse_output, RevealedValues, REVEAL_SCRIPT};
use crate::transport::{Request, Transport};

/// Label of the top-level listing in errors.
const ROOT_LIST: &str = "the top-level Jenkins item list";
/// Label of the script console in errors.
const SCRIPT_CONSOLE: &str = "the script console (needs Overall/RunScripts)";

/// A client of one running Jenkins. Cheap to clone (shares the connection pool and the bound on
/// requests in flight).
#[derive(Clone)]
pub struct JenkinsClient {
    transport: Arc<Transport>,
    pub(crate) concurrency: usize,
}

impl std::fmt::Debug for JenkinsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsClient")
            .field("url", &self.transport.base().as_str())
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// The crumb answer of `GET /crumbIssuer/api/json`.
#[derive(Deserialize)]
struct CrumbAnswer {
    crumb: String,
    #[serde(rename = "crumbRequestField")]
    field: String,
}

impl JenkinsClient {
    /// Builds a client (installs the rustls crypto provider first, see
    /// [`crate::install_crypto_provider`]). Makes no request.
    pub fn new(opts: JenkinsOptions) -> Result<Self, JenkinsError> {
        crate::install_crypto_provider();
        let transport = Transport::new(&opts)?;
        Ok(JenkinsClient {
            transport: Arc::new(transport),
            concurrency: opts.concurrency.max(1),
        })
    }

    /// The Jenkins base URL.
    pub fn url(&self) -> &Url {
        self.transport.base()
    }

    /// The top-level items with their classes, sorted by name (byte order).
    pub async fn items(&self) -> Result<Vec<ItemRef>, JenkinsError> {
        self.list(ROOT_LIST, &[]).await
    }

    /// The names of all top-level items, sorted by name (byte order), as
    /// [`JenkinsClient::folders`] yields them.
    pub async fn folder_names(&self) -> Result<Vec<String>, JenkinsError> {
        Ok(self.items().await?.into_iter().map(|i| i.name).collect())
    }

    /// Reads every top-level item, in name order, with at most `concurrency` requests in flight.
    /// Yields one result per item; an item's error names it and the HTTP status, and does not
    /// stop the others. If the top-level list itself cannot be read, yields that single error.
    pub fn folders(&self) -> impl Stream<Item = Result<JenkinsFolder, JenkinsError>> + Send + '_ {
        self.folders_where(|_| true)
    }

    /// Like [`JenkinsClient::folders`], but reads only the top-level items for which `keep`
    /// returns true (the others are never requested), e.g. the projects of one shard.
    pub fn folders_where<'a, F>(
        &'a self,
        keep: F,
    ) -> impl Stream<Item = Result<JenkinsFolder, JenkinsError>> + Send + 'a
    where
        F: Fn(&ItemRef) -> bool + Send + Sync + 'a,
    {
        stream::once(self.items())
            .map(move |listed| match listed {
                Ok(items) => {
                    stream::iter(items.into_iter().filter(|i| keep(i)).collect::<Vec<_>>())
                        .map(move |item| async move { self.read_folder(&item).await })
                        .buffered(self.concurrency)
                        .left_stream()
                }
                Err(err) => stream::once(std::future::ready(Err(err))).right_stream(),
            })
            .flatten()
    }

    /// Blocking adapter for synchronous callers: the items of [`JenkinsClient::folders`], read
    /// by a task on `rt` and handed over through a bounded channel (capacity = concurrency).
    /// Call `next()` from a thread that is not running async code (e.g. the main thread or a
    /// rayon worker); inside a runtime it yields an error instead of blocking. Dropping the
    /// iterator stops the reading.
    pub fn folders_blocking(self, rt: tokio::runtime::Handle) -> crate::blocking::BlockingFolders {
        crate::blocking::BlockingFolders::spawn(self, rt)
    }

    /// Reads one top-level item: its `config.xml` and, for containers, each direct child's
    /// `config.xml` (sorted by name).
    ///
    /// A 403 on the folder's `config.xml` becomes [`JenkinsError::FolderConfigForbidden`] when
    /// the credentials store API still lists the folder's credentials (metadata only), so the
    /// caller can report them as manual tasks; otherwise the 403 error itself.
    pub async fn read_folder(&self, item: &ItemRef) -> Result<JenkinsFolder, JenkinsError> {
        let name = item.name.as_str();
        let label = format!("Jenkins item `{name}`");
        tracing::debug!(item = name, class = %item.class, "reading Jenkins item");
        let mut refused = Vec::new();
        let config = match self
            .transport
            .get(&label, &paths::config_xml(&[name]))
            .await
        {
            Ok(answer) => Some(answer.body),
            Err(err @ JenkinsError::TooLarge { .. }) => {
                refused.push(RefusedFile {
                    job: None,
                    reason: err.to_string(),
                });
                None
            }
            Err(err) if err.status() == Some(403) => {
                return Err(self.forbidden_config(name, &label, err).await)
            }
            Err(err) => return Err(err),
        };
        let mut jobs = Vec::new();
        let mut unreadable_jobs = Vec::new();
        if item.has_job_children() {
            let children = self.list(&label, &[name]).await?;
            let results = stream::iter(children)
                .map(|child| async move {
                    let label = format!("job `{name}/{}`", child.name);
                    let answer = self
                        .transport
                        .get(&label, &paths::config_xml(&[name, &child.name]))
                        .await;
                    (child.name, answer.map(|a| a.body))
                })
                .buffered(self.concurrency)
                .collect::<Vec<_>>()
                .await;
            // One job that cannot be read fails that job only; a rejected login fails the item.
            for (job, result) in results {
                match result {
                    Ok(body) => jobs.push((job, body)),
                    Err(err @ JenkinsError::Unauthorized { .. }) => return Err(err),
                    // Over the size limit: refused (not retried), and this job fails alone.
                    Err(err @ JenkinsError::TooLarge { .. }) => refused.push(RefusedFile {
                        job: Some(job),
                        reason: err.to_string(),
                    }),
                    Err(err) => unreadable_jobs.push((job, err.to_string())),
                }
            }
            jobs.sort_by(|a, b| a.0.cmp(&b.0));
            unreadable_jobs.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(JenkinsFolder {
            name: name.to_owned(),
            config_xml: config,
            jobs,
            unreadable_jobs,
            refused,
        })
    }

    /// The folder's credentials in domain `_` as listed by the credentials store API
    /// (`GET /job/<p>/credentials/store/folder/domain/_/api/json?depth=2`); metadata only.
    pub async fn credential_metadata(
        &self,
        folder: &str,
    ) -> Result<Vec<CredentialMetadata>, JenkinsError> {
        let label = format!("credentials of Jenkins folder `{folder}`");
        let rel = paths::folder_credentials(folder);
        let answer = self.transport.get(&label, &rel).await?;
        parse_domain(&answer.body).map_err(|reason| JenkinsError::BadResponse {
            item: label,
            url: self.url_text(&rel),
            reason,
        })
    }

    /// Runs [`REVEAL_SCRIPT`] through `POST /scriptText` (with the CSRF crumb when Jenkins
    /// issues one) and returns each top-level folder credential's decrypted fields. Needs the
    /// Overall/RunScripts permission. Values never appear in errors or logs.
    pub async fn reveal_credentials(&self) -> Result<RevealedValues, JenkinsError> {
        let headers = self.crumb_headers().await?;
        let form = [("script", REVEAL_SCRIPT)];
        let request = Request::PostForm {
            form: &form,
            headers,
        };
        let answer = self
            .transport
            .post_form(SCRIPT_CONSOLE, paths::SCRIPT_TEXT, &request)
            .await?;
        let revealed = parse_output(&answer.body).map_err(|reason| JenkinsError::BadResponse {
            item: SCRIPT_CONSOLE.into(),
            url: self.url_text(paths::SCRIPT_TEXT),
            reason,
        });
        drop(zeroize::Zeroizing::new(answer.body));
        revealed
    }

    /// The `config.xml` of the job `names` (folder path, then the job), or `None` when Jenkins
    /// has no such job (404).
    pub async fn job_config(&self, names: &[&str]) -> Result<Option<Vec<u8>>, JenkinsError> {
        let label = format!("job `{}`", names.join("/"));
        Ok(self
            .transport
            .get_optional(&label, &paths::config_xml(names))
            .await?
            .map(|a| a.body))
    }

    /// Replaces the configuration of the job `names` (folder path, then the job) with `xml`:
    /// `POST /job/<folder>/job/<job>/config.xml` with the raw XML as body, the CSRF crumb and
    /// the session cookie that came with it. Jenkins keeps the posted file as it is.
    pub async fn post_job_config(&self, names: &[&str], xml: &[u8]) -> Result<(), JenkinsError> {
        let headers = self.crumb_headers().await?;
        let label = names.join("/");
        let request = Request::PostBody {
            body: xml,
            content_type: "application/xml",
            headers,
        };
        self.transport
            .post_form(&label, &paths::config_xml(names), &request)
            .await?;
        Ok(())
    }

    /// Headers for a POST: the crumb (`Jenkins-Crumb: …`) and the session cookie that came with
    /// it, or none when Jenkins has no crumb issuer (404).
    async fn crumb_headers(&self) -> Result<HeaderMap, JenkinsError> {
        let label = "the CSRF crumb issuer";
        let mut headers = HeaderMap::new();
        let Some(answer) = self
            .transport
            .get_optional(label, paths::CRUMB_ISSUER)
            .await?
        else {
            tracing::debug!("Jenkins issues no CSRF crumb; posting without one");
            return Ok(headers);
        };
        let bad = |reason: String| JenkinsError::BadResponse {
            item: label.into(),
            url: self.url_text(paths::CRUMB_ISSUER),
            reason,
        };
        let crumb: CrumbAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            bad(format!(
                "not a crumb JSON object (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let name = HeaderName::from_bytes(crumb.field.as_bytes()).map_err(|_| {
            bad(format!(
                "crumb field `{}` is not a header name",
                crumb.field
            ))
        })?;
        let mut value = HeaderValue::from_str(&crumb.crumb)
            .map_err(|_| bad("the crumb is not a header value".into()))?;
        value.set_sensitive(true);
        headers.insert(name, value);
        if !answer.cookies.is_empty() {
            let mut cookie = HeaderValue::from_str(&answer.cookies.join("; "))
                .map_err(|_| bad("the session cookie is not a header value".into()))?;
            cookie.set_sensitive(true);
            headers.insert(COOKIE, cookie);
        }
        Ok(headers)
    }

    async fn list(&self, label: &str, names: &[&str]) -> Result<Vec<ItemRef>, JenkinsError> {
        let rel = paths::list_children(names);
        let answer = self.transport.get(label, &rel).await?;
        parse_listing(&answer.body).map_err(|reason| JenkinsError::BadResponse {
            item: label.to_owned(),
            url: self.url_text(&rel),
            reason,
        })
    }

    async fn forbidden_config(&self, name: &str, label: &str, err: JenkinsError) -> JenkinsError {
        match self.credential_metadata(name).await {
            Ok(credentials) => JenkinsError::FolderConfigForbidden {
                item: label.to_owned(),
                url: self.url_text(&paths::config_xml(&[name])),
                credentials,
            },
            Err(meta_err) => {
                tracing::debug!(item = name, error = %meta_err, "credentials store API not readable either");
                err
            }
        }
    }

    fn url_text(&self, rel: &str) -> String {
        self.transport
            .url(rel)
            .map(String::from)
            .unwrap_or_else(|_| format!("{}{rel}", self.transport.base()))
    }
}
