//! The web map's files and settings: `/` (the page), `/app/…` (its own scripts and styles
//! from `web/app/`), `/vendor/…` (MapLibre GL JS from `web/node_modules/maplibre-gl/dist`,
//! installed by `npm ci`), and `GET /api/config` (what the page needs to know about the
//! deployment, e.g. an optional raster base map).
//!
//! The files are read from a directory given at start ([`WebConfig`]); nothing is embedded
//! in the binary, so `npm ci` in `web/` is what installs MapLibre. When the files are
//! missing, `/` answers 503 with a page that says how to install them; the API keeps
//! working. The map's logic is in `web/app/`; this module only serves it.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use tower_http::services::ServeDir;

use super::auth::Routes;
use super::{ApiError, AppState};
use crate::analysis::emerging::EmergingClass;

/// Where the web map's files are and how the page is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct WebConfig {
    /// The `web/` directory: `index.html`, `app/`, and `node_modules/` after `npm ci`.
    pub dir: PathBuf,
    /// An XYZ raster tile URL template (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`)
    /// shown under the layers; `None` = no base map (the app works offline).
    pub basemap_url: Option<String>,
    /// The attribution shown for the base map.
    pub basemap_attribution: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            dir: default_web_dir(),
            basemap_url: None,
            basemap_attribution: None,
        }
    }
}

/// The repository's `web/` directory (where `cargo run` was built from).
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
        let index = self.dir.join("index.html");
        if !index.is_file() {
            return Some(format!(
                "the web map's files are not at {} (no index.html); set LAGESBILD_WEB_DIR or \
                 --web-dir to the repository's web/ directory",
                self.dir.display()
            ));
        }
        let maplibre = vendor_dir(&self.dir).join("maplibre-gl.js");
        if !maplibre.is_file() {
            return Some(format!(
                "MapLibre GL JS is not installed ({} is missing); run `npm ci` in {} \
                 (or `make run` in the repository)",
                maplibre.display(),
                self.dir.display()
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
    Routes::new()
        .get("/", index)
        .get("/index.html", index)
        .get("/report", report_form)
        .get("/api/config", config)
        .nest_service("/app", "/app/*", ServeDir::new(web.dir.join("app")))
        .nest_service("/vendor", "/vendor/*", ServeDir::new(vendor_dir(&web.dir)))
}

/// The page, or a 503 page that says how to install what is missing.
async fn index(State(state): State<AppState>) -> Response {
    page(&state, "index.html").await
}

/// The partner report form (`web/report.html`), for reporter tokens on a phone.
async fn report_form(State(state): State<AppState>) -> Response {
    page(&state, "report.html").await
}

/// A page from the web directory, or a 503 page that says how to install what is missing.
async fn page(state: &AppState, file: &str) -> Response {
    let web = state.web();
    if let Some(missing) = web.missing() {
        tracing::warn!(%missing, "the web map cannot be served");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(missing_page(&missing)),
        )
            .into_response();
    }
    match tokio::fs::read(web.dir.join(file)).await {
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
