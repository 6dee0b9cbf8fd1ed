//! The loopback HTTP server: a dedicated thread with its own tokio runtime, hyper HTTP/1.1
//! connections, and a front layer that logs, injects faults, checks Basic auth and crumbs
//! before handing the request to the axum router.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use tokio::sync::oneshot;
use tower::ServiceExt as _;

use crate::faults::{FaultAction, Faults, RequestKey};
use crate::routes::{error_page, router};
use crate::stats::{LoggedRequest, Stats};

/// How the double behaves.
#[derive(Debug, Clone)]
pub struct DoubleConfig {
    /// The `JENKINS_HOME` directory served.
    pub home: PathBuf,
    /// The only accepted user.
    pub user: String,
    /// The user's API token.
    pub token: String,
    /// Whether a crumb issuer exists (POSTs then need the crumb header); default true.
    pub crumbs: bool,
    /// Whether a POST must also send the session cookie that came with the crumb (Jenkins
    /// ≥ 2.186 behaviour; 2.176 does not need it); default false.
    pub crumb_requires_session: bool,
}

impl DoubleConfig {
    /// Serves `home` for user `admin` with token `ksdm-test-token`, crumbs on.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        DoubleConfig {
            home: home.into(),
            user: "admin".into(),
            token: "ksdm-test-token".into(),
            crumbs: true,
            crumb_requires_session: false,
        }
    }
}

/// State shared by all requests.
pub(crate) struct Shared {
    pub config: DoubleConfig,
    pub crumb: String,
    /// `name=value` of the session cookie issued with the crumb.
    pub session_cookie: String,
    pub faults: Faults,
    pub stats: Stats,
}

/// A running Jenkins test double on `127.0.0.1:<random port>`. Stops on drop.
pub struct JenkinsDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for JenkinsDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JenkinsDouble")
            .field("addr", &self.addr)
            .field("home", &self.shared.config.home)
            .finish()
    }
}

impl JenkinsDouble {
    /// Binds `127.0.0.1:0` and starts serving on a background thread (usable from sync and
    /// async tests alike).
    pub fn start(config: DoubleConfig) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let seed = RandomState::new();
        let shared = Arc::new(Shared {
            crumb: format!(
                "{:016x}{:016x}",
                seed.hash_one(addr.port()),
                seed.hash_one("crumb")
            ),
            session_cookie: format!(
                "JSESSIONID.{:08x}=node0{:016x}",
                seed.hash_one("node") as u32,
                seed.hash_one("session")
            ),
            config,
            faults: Faults::default(),
            stats: Stats::default(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ksdm-test-jenkins".into())
            .spawn(move || {
                runtime.block_on(serve(listener, serving, stopped));
                runtime.shutdown_background();
            })?;
        Ok(JenkinsDouble {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The accepted user.
    pub fn user(&self) -> &str {
        &self.shared.config.user
    }

    /// The accepted API token.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The crumb the issuer hands out.
    pub fn crumb(&self) -> &str {
        &self.shared.crumb
    }

    /// Fault injection rules, changeable while the double runs.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// What the double saw.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Stops serving and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for JenkinsDouble {
    fn drop(&mut self) {
        self.stop_now();
    }
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let app = router(shared.clone());
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                front(shared.clone(), app.clone(), req.map(Body::new))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Error that makes hyper close the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

async fn front(
    shared: Arc<Shared>,
    app: axum::Router,
    req: Request<Body>,
) -> Result<Response<Body>, Dropped> {
    let _in_flight = shared.stats.enter();
    let method = req.method().as_str().to_ascii_uppercase();
    let segments = decode_segments(req.uri().path()).unwrap_or_default();
    let mut path = format!("/{}", segments.join("/"));
    if let Some(query) = req.uri().query() {
        path.push('?');
        path.push_str(&percent_decode_str(query).decode_utf8_lossy());
    }
    let log = |status: Option<u16>| {
        shared.stats.record(LoggedRequest {
            method: method.clone(),
            path: path.clone(),
            status,
        });
    };
    let fault = shared.faults.decide(&RequestKey {
        method: &method,
        segments: &segments,
        path_and_query: &path,
    });
    let mut truncate = false;
    match fault {
        Some(FaultAction::DropConnection) => {
            log(None);
            return Err(Dropped);
        }
        Some(FaultAction::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultAction::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            log(Some(status.as_u16()));
            return Ok(error_page(status, "injected fault"));
        }
        Some(FaultAction::TruncateBody) => truncate = true,
        None => {}
    }
    let response = match check_access(&shared, &req) {
        Some(denied) => denied,
        None => match app.oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
    };
    if truncate {
        log(None);
        return Ok(truncated(response).await);
    }
    log(Some(response.status().as_u16()));
    Ok(response)
}

/// Basic auth on every request; the crumb (and, if configured, the session cookie) on POSTs.
fn check_access(shared: &Shared, req: &Request<Body>) -> Option<Response<Body>> {
    let config = &shared.config;
    let credentials = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok());
    let Some(credentials) = credentials else {
        return Some(error_page(StatusCode::FORBIDDEN, "Authentication required"));
    };
    let (user, token) = credentials
        .split_once(':')
        .unwrap_or((credentials.as_str(), ""));
    if user != config.user || token != config.token {
        let mut response = error_page(
            StatusCode::UNAUTHORIZED,
            &format!("Invalid password/token for user: {user}"),
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Basic realm=\"Jenkins\""),
        );
        return Some(response);
    }
    if req.method() == axum::http::Method::POST && config.crumbs {
        let crumb_ok = req
            .headers()
            .get("Jenkins-Crumb")
            .and_then(|v| v.to_str().ok())
            == Some(shared.crumb.as_str());
        let session_ok = !config.crumb_requires_session
            || req
                .headers()
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .any(|c| c.trim() == shared.session_cookie);
        if !crumb_ok || !session_ok {
            return Some(error_page(
                StatusCode::FORBIDDEN,
                "No valid crumb was included in the request",
            ));
        }
    }
    None
}

/// The response with only the first half of its body, the full `Content-Length` announced, and
/// an error after that so hyper closes the connection.
async fn truncated(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let full: Bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let half = full.slice(..full.len() / 2);
    parts.headers.insert(
        header::CONTENT_LENGTH,
        axum::http::HeaderValue::from(full.len().max(1)),
    );
    // The pause lets hyper flush the headers and the first half before the error closes the
    // connection, so the client sees a real short body rather than no answer.
    let first = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
    let broken = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "body truncated by fault injection",
        ))
    });
    Response::from_parts(
        parts,
        Body::from_stream(futures_util::StreamExt::chain(first, broken)),
    )
}

/// Percent-decoded, non-empty path segments; `None` when a segment is not UTF-8.
pub(crate) fn decode_segments(path: &str) -> Option<Vec<String>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        })
        .collect()
}
