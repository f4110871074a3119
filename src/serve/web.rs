//! The web map's files and settings: `/` (the page), `/report` (the phone form), `/app/…`
//! (its own scripts and styles from `web/app/`), `/vendor/…` (MapLibre GL JS from
//! `web/node_modules/maplibre-gl/dist`, installed by `npm ci`), and `GET /api/config` (what
//! the page needs to know about the deployment, e.g. an optional raster base map).
//!
//! The files are embedded in the binary by `build.rs` (a release build fails without
//! `npm ci`), so a binary copied alone serves the whole map. `--web-dir` /
//! `LAGESBILD_WEB_DIR` ([`WebConfig::dir`]) serves them from a directory instead, for
//! development; the server refuses to start when that directory lacks the app. When the
//! files are missing anyway (a debug build before `npm ci`), `/` answers 503 with a page
//! that says how to install them; the API keeps working. The map's logic is in `web/app/`;
//! this module only serves it.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use tower_http::services::ServeDir;

use super::auth::Routes;
use super::{ApiError, AppState};
use crate::analysis::emerging::EmergingClass;

/// The files embedded at build time (see `build.rs`).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// An embedded file by URL path (`/app/main.js`, `/vendor/maplibre-gl.js`, `index.html`):
/// its bytes and entity tag.
fn embedded_file(path: &str) -> Option<(&'static [u8], &'static str)> {
    embedded::FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, bytes, etag)| (*bytes, *etag))
}

/// Whether this binary carries the whole web map.
pub fn embedded_complete() -> bool {
    embedded::COMPLETE
}

/// The `Content-Type` for a file name.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// An embedded file as a response: 304 when `If-None-Match` names its tag, 404 when absent.
fn embedded_response(path: &str, headers: &HeaderMap) -> Response {
    let Some((bytes, etag)) = embedded_file(path) else {
        return ApiError::NotFound(format!("no such file of the web map: {path}")).into_response();
    };
    let mut h = HeaderMap::new();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if inm.is_some_and(|inm| crate::tiles::etag_matches(inm, etag)) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    (h, bytes).into_response()
}

/// A service answering every path under `prefix` from the embedded files.
#[derive(Clone, Copy)]
struct Embedded(&'static str);

impl tower::Service<axum::extract::Request> for Embedded {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Response, std::convert::Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        let path = format!("{}{}", self.0, req.uri().path());
        std::future::ready(Ok(embedded_response(&path, req.headers())))
    }
}

/// Where the web map's files are and how the page is set up; the default serves the
/// embedded files with no base map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebConfig {
    /// A `web/` directory (`index.html`, `report.html`, `app/`, and `node_modules/` after
    /// `npm ci`) to serve instead of the embedded files; `None` = the embedded files.
    pub dir: Option<PathBuf>,
    /// An XYZ raster tile URL template (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`)
    /// shown under the layers; `None` = no base map (the app works offline).
    pub basemap_url: Option<String>,
    /// The attribution shown for the base map.
    pub basemap_attribution: Option<String>,
}

/// The repository's `web/` directory (where the binary was built from), for `--web-dir`.
pub fn default_web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// MapLibre GL JS's distribution directory under `dir`.
fn vendor_dir(dir: &Path) -> PathBuf {
    dir.join("node_modules/maplibre-gl/dist")
}

impl WebConfig {
    /// What is missing for the page to work, in words with the fix; `None` when complete.
    pub fn missing(&self) -> Option<String> {
        let Some(dir) = &self.dir else {
            return (!embedded_complete()).then(|| {
                format!(
                    "this binary was built without the web map's files (a debug build before \
                     `npm ci`); run `npm ci` in {} and rebuild (or `make run`), or pass \
                     --web-dir / LAGESBILD_WEB_DIR",
                    default_web_dir().display()
                )
            });
        };
        for page in ["index.html", "report.html"] {
            if !dir.join(page).is_file() {
                return Some(format!(
                    "the web map's files are not at {} (no {page}); set LAGESBILD_WEB_DIR or \
                     --web-dir to the repository's web/ directory, or leave both unset to use \
                     the map built into the binary",
                    dir.display()
                ));
            }
        }
        let maplibre = vendor_dir(dir).join("maplibre-gl.js");
        if !maplibre.is_file() {
            return Some(format!(
                "MapLibre GL JS is not installed ({} is missing); run `npm ci` in {} \
                 (or `make run` in the repository)",
                maplibre.display(),
                dir.display()
            ));
        }
        None
    }

    /// Checks a base map URL: http(s) with `{z}`, `{x}` and `{y}`.
    pub fn check_basemap_url(url: &str) -> Result<(), String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "base map URL {url:?} must start with http:// or https://"
            ));
        }
        for p in ["{z}", "{x}", "{y}"] {
            if !url.contains(p) {
                return Err(format!(
                    "base map URL {url:?} has no {p}; give an XYZ template such as \
                     https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
                ));
            }
        }
        Ok(())
    }
}

/// The web map's routes.
pub(crate) fn routes(web: &WebConfig) -> Routes {
    let r = Routes::new()
        .get("/", index)
        .get("/index.html", index)
        .get("/report", report_form)
        .get("/api/config", config);
    match &web.dir {
        Some(dir) => r
            .nest_service("/app", "/app/*", ServeDir::new(dir.join("app")))
            .nest_service("/vendor", "/vendor/*", ServeDir::new(vendor_dir(dir))),
        None => r
            .nest_service("/app", "/app/*", Embedded("/app"))
            .nest_service("/vendor", "/vendor/*", Embedded("/vendor")),
    }
}

/// The page, or a 503 page that says how to install what is missing.
async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "index.html", &headers).await
}

/// The partner report form (`web/report.html`), for reporter tokens on a phone.
async fn report_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "report.html", &headers).await
}

/// A page from the web directory, or a 503 page that says how to install what is missing.
pub(super) async fn page(state: &AppState, file: &str, headers: &HeaderMap) -> Response {
    let web = state.web();
    if let Some(missing) = web.missing() {
        tracing::warn!(%missing, "the web map cannot be served");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(missing_page(&missing)),
        )
            .into_response();
    }
    let Some(dir) = &web.dir else {
        return embedded_response(file, headers);
    };
    match tokio::fs::read(dir.join(file)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, file, "cannot read a page of the web map");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(missing_page(&format!(
                    "cannot read {file}; see the server log"
                ))),
            )
                .into_response()
        }
    }
}

/// The 503 page: the reason, the fix, and where the API is.
fn missing_page(reason: &str) -> String {
    let reason = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>lagesbild: web map not installed</title>\
         <h1>The web map is not installed</h1><p>{reason}</p>\
         <p>The API works meanwhile: <a href=\"/api\">/api</a> lists the endpoints.</p></html>"
    )
}

/// `GET /api/config`: the page's settings, and the partners and layers it can filter by.
async fn config(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .blocking(|store, state| {
            let web = state.web();
            let analyzer = state.analysis().analyzer(store)?;
            Ok(Json(json!({
                "basemap": web.basemap_url.as_ref().map(|url| json!({
                    "url": url,
                    "attribution": web.basemap_attribution.clone().unwrap_or_default(),
                })),
                "languages": ["sv", "en"],
                "default_language": "sv",
                "h3_resolutions": state.config().h3_resolutions.iter().map(|r| u8::from(*r)).collect::<Vec<_>>(),
                "timezone": state.config().timezone.name(),
                "cadence": state.config().cadence.as_str(),
                "partners": analyzer.table().partner_codes,
                "layers": store.layers()?.into_iter().map(|l| json!({"name": l.name, "areas": l.areas})).collect::<Vec<_>>(),
                "emerging_classes": EmergingClass::ALL.iter().map(|c| json!({
                    "class": c,
                    "label_sv": c.label_sv(),
                    "label_en": c.label_en(),
                })).collect::<Vec<_>>(),
                "study_layer": analyzer.study_layer(),
                "version": env!("CARGO_PKG_VERSION"),
                "data_version": store.data_version()?,
            })))
        })
        .await
}
