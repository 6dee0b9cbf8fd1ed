//! The endpoints the double serves (after auth, crumb and fault checks in [`crate::server`]):
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/json` | `{"_class":"hudson.model.Hudson","jobs":[{"_class","name"}…]}` |
//! | `GET /job/<p>/…/api/json` | `{"_class", "name", "jobs"?}` (`jobs` only for containers) |
//! | `GET /job/<p>/…/config.xml` | the file's bytes as stored |
//! | `GET /job/<p>/credentials/store/folder/domain/<d>/api/json` | `DomainWrapper` JSON (folders only) |
//! | `GET /crumbIssuer/api/json` | `{"_class","crumb","crumbRequestField":"Jenkins-Crumb"}` + session cookie; 404 when crumbs are off |
//! | `POST /scriptText` (form `script`) | the reveal script's JSON; 400 for any other script |
//! | `POST /job/<p>/…/config.xml` (raw XML body) | 200; the file is replaced and served from then on |
//!
//! The `tree` and `depth` parameters are accepted and ignored (answers always have the fields
//! the client asks for). Anything else is 404.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::credentials_api::domain_json;
use crate::home::{self, Item, ROOT_CLASS};
use crate::reveal::{reveal_json, REVEAL_SCRIPT_MARKER};
use crate::server::Shared;

/// Builds the router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/json", get(root_json))
        .route("/crumbIssuer/api/json", get(crumb))
        .route("/scriptText", post(script_text))
        .fallback(item_endpoint)
        .with_state(shared)
}

/// A Jenkins-style error page.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!("<html><head><title>Error {}</title></head><body><h2>HTTP ERROR {}</h2><p>{message}</p></body></html>", status.as_u16(), status.as_u16());
    (
        status,
        [(header::CONTENT_TYPE, "text/html;charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_response(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

fn listing(items: &[Item]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|i| json!({"_class": i.class, "name": i.name}))
            .collect(),
    )
}

async fn root_json(State(shared): State<Arc<Shared>>) -> Response {
    let items = home::top_level(&shared.config.home);
    json_response(&json!({"_class": ROOT_CLASS, "jobs": listing(&items)}))
}

async fn crumb(State(shared): State<Arc<Shared>>) -> Response {
    if !shared.config.crumbs {
        return error_page(StatusCode::NOT_FOUND, "Not Found");
    }
    let body = json!({
        "_class": "hudson.security.csrf.DefaultCrumbIssuer",
        "crumb": shared.crumb,
        "crumbRequestField": "Jenkins-Crumb",
    });
    let cookie = format!("{}; Path=/; HttpOnly", shared.session_cookie);
    ([(header::SET_COOKIE, cookie)], json_response(&body)).into_response()
}

/// The `/scriptText` form.
#[derive(Deserialize)]
struct ScriptForm {
    script: String,
}

async fn script_text(State(shared): State<Arc<Shared>>, Form(form): Form<ScriptForm>) -> Response {
    if !form
        .script
        .lines()
        .any(|l| l.trim_end() == REVEAL_SCRIPT_MARKER)
    {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This Jenkins test double cannot run Groovy; it only answers the ksdm reveal script.",
        );
    }
    match reveal_json(&shared.config.home) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain;charset=utf-8")], text).into_response(),
        Err(reason) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &reason),
    }
}

/// `/job/<a>/job/<b>/<tail>`.
async fn item_endpoint(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let not_found = || error_page(StatusCode::NOT_FOUND, "Not Found");
    if method == Method::POST {
        return post_config(&shared, &uri, &body);
    }
    if method != Method::GET {
        return error_page(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let Some(segments) = crate::server::decode_segments(uri.path()) else {
        return not_found();
    };
    let (names, tail) = split_item_path(&segments);
    if names.is_empty() {
        return not_found();
    }
    let Some(item) = home::resolve(&shared.config.home, &names) else {
        return not_found();
    };
    let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
    match tail.as_slice() {
        ["api", "json"] => {
            let mut body = json!({"_class": item.class, "name": item.name});
            if let (Some(dir), Some(map)) = (item.children_dir(), body.as_object_mut()) {
                map.insert("jobs".into(), listing(&home::items_in(&dir)));
            }
            json_response(&body)
        }
        ["config.xml"] => match std::fs::read(item.config_path()) {
            Ok(bytes) => (
                [(header::CONTENT_TYPE, "application/xml")],
                Body::from(bytes),
            )
                .into_response(),
            Err(_) => not_found(),
        },
        ["credentials", "store", "folder", "domain", domain, "api", "json"]
            if item.class == home::FOLDER_CLASS =>
        {
            let Ok(bytes) = std::fs::read(item.config_path()) else {
                return not_found();
            };
            match domain_json(&item.name, domain, &bytes) {
                Some(body) => json_response(&body),
                None => error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the folder configuration cannot be loaded",
                ),
            }
        }
        _ => not_found(),
    }
}

/// `POST /job/<p>/…/config.xml`: replaces the item's configuration (auth and crumb were
/// checked by the front layer). Jenkins rejects a body that is not XML with 500; so does the
/// double, for a body that does not start like an XML document.
fn post_config(shared: &Shared, uri: &Uri, body: &[u8]) -> Response {
    let not_found = || error_page(StatusCode::NOT_FOUND, "Not Found");
    let Some(segments) = crate::server::decode_segments(uri.path()) else {
        return not_found();
    };
    let (names, tail) = split_item_path(&segments);
    if names.is_empty() || tail != ["config.xml"] {
        return error_page(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    let Some(item) = home::resolve(&shared.config.home, &names) else {
        return not_found();
    };
    let text = String::from_utf8_lossy(body);
    if !text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the posted configuration is not XML",
        );
    }
    match std::fs::write(item.config_path(), body) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Splits `job/a/job/b/rest…` into item names and the rest.
fn split_item_path(segments: &[String]) -> (Vec<String>, &[String]) {
    let mut names = Vec::new();
    let mut i = 0;
    while i + 1 < segments.len() && segments[i] == "job" {
        names.push(segments[i + 1].clone());
        i += 2;
    }
    (names, segments.get(i..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_paths_split() {
        let segs: Vec<String> = ["job", "p", "job", "a b", "config.xml"]
            .map(String::from)
            .into();
        let (names, tail) = split_item_path(&segs);
        assert_eq!(names, ["p", "a b"]);
        assert_eq!(tail, ["config.xml"]);
        let segs: Vec<String> = ["api", "json"].map(String::from).into();
        assert!(split_item_path(&segs).0.is_empty());
    }
}
