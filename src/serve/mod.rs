//! The HTTP server: a thin axum layer over the library.
//!
//! Handlers parse the request, run one library call on the blocking pool
//! (`spawn_blocking`, since SQLite and the geometry work are synchronous), and encode the
//! answer. Each request opens its own SQLite connection (cheap, and WAL lets readers run
//! beside a writer). This is the only module that knows about HTTP.

mod error;
mod geojson_out;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub use error::ApiError;

use crate::config::Config;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: PathBuf,
    #[expect(
        dead_code,
        reason = "read by the analysis endpoints of the serving issue"
    )]
    config: Config,
}

impl AppState {
    /// State for a server over the database named in `config`.
    pub fn new(config: Config) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                db: config.db.clone(),
                config,
            }),
        }
    }

    /// Runs `f` with a fresh store connection on the blocking pool.
    async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || {
            let store = Store::open(&db)?;
            f(&store)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/api/layers", get(layers))
        .route("/api/areas", get(areas))
        .fallback(not_found)
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn run(state: AppState, bind: SocketAddr) -> std::io::Result<()> {
    // Install the signal handlers before announcing the address, so a supervisor that
    // signals as soon as we are up gets a graceful stop.
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "lagesbild is serving; open http://{address}/");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A future that completes on Ctrl-C or SIGTERM; the handlers are installed at once.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    })
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; GET / lists them".into())
}

async fn index() -> Json<serde_json::Value> {
    Json(json!({
        "name": "lagesbild",
        "version": env!("CARGO_PKG_VERSION"),
        "endpoints": {
            "/health": "status, version, data version, incident count",
            "/api/layers": "the area layers",
            "/api/areas?layer=districts": "an area layer as GeoJSON with incident counts and rates",
        },
        "note": "The Botkyrka demo incidents are synthetic (seeded generator), not real reports.",
    }))
}

async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .with_store(|store| {
            Ok(Json(json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "data_version": store.data_version()?,
                "incidents": store.incident_count()?,
            })))
        })
        .await
}

async fn layers(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .with_store(|store| {
            Ok(Json(json!({
                "layers": store.layers()?,
                "data_version": store.data_version()?,
            })))
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreasQuery {
    layer: Option<String>,
}

async fn areas(
    State(state): State<AppState>,
    query: Result<Query<AreasQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let body = state
        .with_store(move |store| {
            let layers = store.layers()?;
            let name = match q.layer {
                Some(l) => l,
                None => layers
                    .iter()
                    .find(|l| l.name == "districts")
                    .or(layers.first())
                    .map(|l| l.name.clone())
                    .ok_or_else(|| ApiError::NotFound("no area layers are loaded; run `lagesbild areas import` or `lagesbild demo load`".into()))?,
            };
            let Some(info) = layers.iter().find(|l| l.name == name) else {
                let known: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
                return Err(ApiError::BadRequest(format!("unknown layer {name:?}; parameter layer must be one of: {}", known.join(", "))));
            };
            let areas = store.areas(Some(&name))?;
            let counts: std::collections::HashMap<i64, i64> = store.area_counts(info.key)?.into_iter().collect();
            let data_version = store.data_version()?;
            Ok(geojson_out::areas_collection(&name, &areas, &counts, data_version))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body))
}
