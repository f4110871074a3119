//! The HTTP server: a thin axum layer over the library.
//!
//! Handlers parse the request ([`params`]), run one library call on the blocking pool
//! (`spawn_blocking`, since SQLite and the statistics are synchronous), and encode the
//! answer. Each request opens its own SQLite connection (cheap, and WAL lets readers run
//! beside a writer); the [`AnalysisService`] with its caches is shared. This is the only
//! module that knows about HTTP.
//!
//! Routes: `api` (JSON/GeoJSON, the endpoint list at `/api`), `profile`, `tiles`, `ogc`
//! (OGC API - Features), `reports` (weekly situation picture and tertial analysis: JSON,
//! CSV, HTML, notes), `/health`, and `web` (the web map at `/`).
//! Access control is in [`auth`]: every route is registered through `auth::Routes` and
//! declared in [`auth::PERMISSIONS`]; `own` serves a reporter's own reports.
//! Cross-cutting layers: request logs (tracing), negotiated compression (never forced),
//! CORS for GET/OPTIONS on the public read API only and security headers ([`headers`]), a
//! request time-out and a body-size limit.

mod api;
pub mod auth;
mod error;
mod forecast;
mod geojson_out;
pub mod headers;
mod interventions;
pub mod limits;
mod meeting;
pub mod metrics;
mod nearrepeat;
mod notes;
mod ogc;
mod own;
pub mod params;
mod profile;
mod profiles;
mod publish;
mod reports;
mod session;
mod tiles;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use tower_http::compression::CompressionLayer;

use axum::http::HeaderValue;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

pub use error::ApiError;

use crate::analysis::service::AnalysisService;
use crate::config::Config;
use crate::store::Store;
use crate::tiles::TileService;

/// The largest request body accepted (incident uploads), in bytes.
pub const MAX_BODY_BYTES: usize = 32 << 20;
/// The longest a request may take before it is answered with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// The database handle (a connection pool), opened on first use and then shared.
    store: std::sync::Mutex<Option<Store>>,
    config: Config,
    analysis: AnalysisService,
    tiles: TileService,
    base_url: Option<String>,
    /// The data version as last read, and when; see [`AppState::data_version_fast`].
    version: std::sync::Mutex<(i64, Option<std::time::Instant>)>,
    /// Whole responses (tiles, `/api/hexes`, `/api/areas`) by data version, path and raw
    /// query, so a repeated request is answered without touching the database.
    responses: crate::tiles::SizedLru<CachedResponse>,
    /// Sessions, rate limits and access settings.
    auth: auth::AuthState,
    /// The web map's files and settings.
    web: web::WebConfig,
    /// Request, cache and ingest counters for `/metrics`.
    metrics: metrics::Metrics,
}

/// A response body kept by [`Inner::responses`].
pub(crate) struct CachedResponse {
    /// The entity tag, if the response has one.
    pub etag: Option<String>,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body; `None` for an empty answer (204).
    pub body: Option<axum::body::Bytes>,
}

/// Answers from a cached response: 304 when `If-None-Match` matches its entity tag, 204 for
/// an empty body, otherwise the body with its type, entity tag and `cache_control`.
pub(crate) fn cached_answer(
    r: &CachedResponse,
    request: &axum::http::HeaderMap,
    cache_control: Option<&'static str>,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut h = axum::http::HeaderMap::new();
    if let Some(cc) = cache_control {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    h.insert(header::VARY, HeaderValue::from_static(VARY));
    if let Some(tag) = &r.etag {
        if let Ok(v) = HeaderValue::from_str(tag) {
            h.insert(header::ETAG, v);
        }
        let inm = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        if inm.is_some_and(|inm| crate::tiles::etag_matches(inm, tag)) {
            return (StatusCode::NOT_MODIFIED, h).into_response();
        }
    }
    match &r.body {
        None => (StatusCode::NO_CONTENT, h).into_response(),
        Some(body) => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(r.content_type),
            );
            (StatusCode::OK, h, body.clone()).into_response()
        }
    }
}

/// The whole-response cache key for this request at the current data version (`Ok`), or
/// the cached answer when there is one (`Err`). `view` is part of the key: viewers and the
/// public get suppressed answers to the same URI.
pub(crate) fn response_key_or_hit(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    cache_control: Option<&'static str>,
    view: &auth::View,
) -> Result<Result<String, axum::response::Response>, ApiError> {
    let key = format!("{}|{}|{uri}", view.key(), state.data_version_fast()?);
    Ok(match state.cached_response(&key) {
        Some(hit) => Err(cached_answer(&hit, headers, cache_control)),
        None => Ok(key),
    })
}

/// Runs a short blocking database call from async code. The PostgreSQL client blocks on
/// its own runtime, which must not happen on an async worker thread, so on a multi-threaded
/// runtime the call runs in `block_in_place`; elsewhere (a current-thread test runtime, or
/// no runtime) it runs as it is.
pub(crate) fn outside_async<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// `Vary` of answers that depend on who asks.
pub(crate) const VARY: &str = "Authorization, Cookie";

/// How long a read data version is trusted before it is read again. A request within this
/// time after an ingest in another process may still be answered from the previous version;
/// ingests through this server refresh it at once.
pub const VERSION_TTL: Duration = Duration::from_millis(200);
/// Memory for whole cached responses with the default budget.
pub const RESPONSE_CACHE_BYTES: usize = DEFAULT_CACHE_MB << 17;
/// The default memory budget of all caches together (`--cache-mb`), MiB.
pub const DEFAULT_CACHE_MB: usize = 384;
/// The smallest budget `--cache-mb` accepts, MiB: below it a single prepared fine-resolution
/// layer would not fit and every tile would be rebuilt.
pub const MIN_CACHE_MB: usize = 32;

/// How one memory budget is shared by the caches, bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    /// Whole responses (tiles, `/api/hexes`, `/api/areas`): 1/8.
    pub responses: usize,
    /// Encoded tiles: 1/8.
    pub tiles: usize,
    /// Prepared tile layers: 1/2.
    pub layers: usize,
    /// Each of the two analysis result caches (hexes, areas): 1/8.
    pub analysis: usize,
}

impl CacheBudget {
    /// The split of `mb` MiB, or an error in words (with the fix) when `mb` is below
    /// [`MIN_CACHE_MB`].
    pub fn from_mb(mb: usize) -> Result<CacheBudget, String> {
        if mb < MIN_CACHE_MB {
            return Err(format!(
                "--cache-mb {mb}: the caches need at least {MIN_CACHE_MB} MiB (the default is \
                 {DEFAULT_CACHE_MB}); give --cache-mb {MIN_CACHE_MB} or more / cacharna \
                 behöver minst {MIN_CACHE_MB} MiB"
            ));
        }
        let total = mb.saturating_mul(1 << 20);
        Ok(CacheBudget {
            responses: total / 8,
            tiles: total / 8,
            layers: total / 2,
            analysis: total / 8,
        })
    }

    /// The default budget, [`DEFAULT_CACHE_MB`].
    pub fn default_budget() -> CacheBudget {
        let total = DEFAULT_CACHE_MB << 20;
        CacheBudget {
            responses: total / 8,
            tiles: total / 8,
            layers: total / 2,
            analysis: total / 8,
        }
    }

    /// The whole budget, bytes.
    pub fn total(&self) -> usize {
        self.responses + self.tiles + self.layers + 2 * self.analysis
    }
}

impl AppState {
    /// State for a server over the database named in `config`. `base_url` (e.g.
    /// `https://example.org/lagesbild`) makes absolute links right behind a reverse proxy.
    ///
    /// Access: public (anonymous) access is on only when the database holds just the
    /// synthetic demo; see [`AppState::with_auth`] to set it.
    pub fn new(config: Config, base_url: Option<String>) -> AppState {
        let store = Store::open(&config.db).ok();
        let demo = store
            .as_ref()
            .and_then(|s| crate::access::is_demo(s).ok())
            .unwrap_or(false);
        let settings = auth::AuthSettings {
            public: demo,
            public_for_demo: demo,
            ..auth::AuthSettings::default()
        };
        let state = AppState::with_auth(config, base_url, settings);
        if let Some(store) = store {
            *state
                .inner
                .store
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(store);
        }
        state
    }

    /// State with explicit access settings.
    pub fn with_auth(
        config: Config,
        base_url: Option<String>,
        settings: auth::AuthSettings,
    ) -> AppState {
        let budget = CacheBudget::default_budget();
        AppState {
            inner: Arc::new(Inner {
                version: std::sync::Mutex::new((0, None)),
                store: std::sync::Mutex::new(None),
                responses: crate::tiles::SizedLru::new(budget.responses),
                analysis: AnalysisService::with_budget(
                    config.categories.clone(),
                    config.timezone,
                    config.study_area.clone(),
                    budget.analysis,
                ),
                tiles: TileService::new(budget.tiles, budget.layers),
                web: web::WebConfig::default(),
                metrics: metrics::Metrics::new(None),
                base_url: base_url.map(|u| u.trim_end_matches('/').to_owned()),
                auth: auth::AuthState::new(settings),
                config,
            }),
        }
    }

    /// The same state with the web map served from `web` (call before the state is shared;
    /// the default is the repository's `web/` directory and no base map).
    pub fn with_web(mut self, web: web::WebConfig) -> AppState {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.web = web,
            None => tracing::warn!("with_web on a shared state; the web settings are ignored"),
        }
        self
    }

    /// The same state with caches sharing `budget`, and `/metrics` open to the scrape
    /// token `metrics_token` besides admins (call before the state is shared).
    pub fn with_operations(
        mut self,
        budget: CacheBudget,
        metrics_token: Option<String>,
    ) -> AppState {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => {
                inner.responses = crate::tiles::SizedLru::new(budget.responses);
                inner.tiles = TileService::new(budget.tiles, budget.layers);
                inner.analysis = AnalysisService::with_budget(
                    inner.config.categories.clone(),
                    inner.config.timezone,
                    inner.config.study_area.clone(),
                    budget.analysis,
                );
                inner.metrics = metrics::Metrics::new(metrics_token);
            }
            None => tracing::warn!("with_operations on a shared state; ignored"),
        }
        self
    }

    /// Request, cache and ingest counters.
    pub(crate) fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    /// Every cache's counters and size, by name.
    pub(crate) fn cache_stats(&self) -> Vec<(&'static str, crate::analysis::cache::CacheStats)> {
        let mut v = vec![("responses", self.inner.responses.stats())];
        v.extend(self.inner.tiles.cache_stats());
        v.extend(self.inner.analysis.cache_stats());
        v
    }

    /// The web map's files and settings.
    pub fn web(&self) -> &web::WebConfig {
        &self.inner.web
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base URL for absolute links, without a trailing slash, if configured.
    pub fn base_url(&self) -> Option<&str> {
        self.inner.base_url.as_deref()
    }

    /// The shared database handle, opened on first use (and again after a failed open).
    pub(crate) fn store(&self) -> Result<Store, ApiError> {
        let mut slot = self
            .inner
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let s = Store::open(&self.inner.config.db)?;
        *slot = Some(s.clone());
        Ok(s)
    }

    /// Runs `f` with the store and the shared state on the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &AppState) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let start = std::time::Instant::now();
            let result = state.store().and_then(|store| f(&store, &state));
            state.metrics().observe_db(start.elapsed().as_secs_f64());
            result
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
    }

    /// Sessions, rate limits and access settings.
    pub(crate) fn auth(&self) -> &auth::AuthState {
        &self.inner.auth
    }

    /// Whether anonymous callers get (suppressed) aggregates.
    pub fn public_access(&self) -> bool {
        self.inner.auth.public()
    }

    /// The analysis service.
    fn analysis(&self) -> &AnalysisService {
        &self.inner.analysis
    }

    /// The tile caches.
    fn tiles(&self) -> &TileService {
        &self.inner.tiles
    }

    /// The store's data version, read at most every [`VERSION_TTL`] through the pool (a few
    /// microseconds), so most cache hits never touch the database.
    pub(crate) fn data_version_fast(&self) -> Result<i64, ApiError> {
        let mut cached = self
            .inner
            .version
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (v, Some(at)) = *cached
            && at.elapsed() < VERSION_TTL
        {
            return Ok(v);
        }
        let v = outside_async(|| self.store()?.data_version().map_err(ApiError::from))?;
        *cached = (v, Some(std::time::Instant::now()));
        Ok(v)
    }

    /// Forgets the read data version (after this server wrote to the store).
    pub(crate) fn refresh_version(&self) {
        self.inner
            .version
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1 = None;
    }

    /// A cached whole response.
    pub(crate) fn cached_response(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.inner.responses.get(key)
    }

    /// Keeps a whole response.
    pub(crate) fn keep_response(&self, key: String, r: CachedResponse) {
        let size = r.body.as_ref().map_or(0, |b| b.len()) + 64;
        self.inner.responses.put(key, Arc::new(r), size);
    }
}

/// CORS for GET/HEAD and OPTIONS preflight: any origin by default, or the origins listed
/// in `LAGESBILD_CORS_ORIGINS` (comma-separated; empty = no cross-origin access).
fn cors_layer(origins: &Option<Vec<HeaderValue>>) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any);
    match origins {
        None => layer.allow_origin(Any),
        Some(list) => layer.allow_origin(AllowOrigin::list(list.clone())),
    }
}

/// The allowed CORS origins from `LAGESBILD_CORS_ORIGINS`, or `None` for any origin.
fn cors_origins() -> Option<Vec<HeaderValue>> {
    let raw = std::env::var("LAGESBILD_CORS_ORIGINS").ok()?;
    if raw.trim() == "*" {
        return None;
    }
    Some(
        raw.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .filter_map(|o| match HeaderValue::from_str(o) {
                Ok(v) => Some(v),
                Err(_) => {
                    tracing::warn!(
                        origin = o,
                        "LAGESBILD_CORS_ORIGINS: not a valid origin; ignored"
                    );
                    None
                }
            })
            .collect(),
    )
}

/// Every route, recorded with its method (see [`auth::Routes`]).
fn routes(web: &web::WebConfig) -> auth::Routes {
    auth::Routes::new()
        .merge(session::routes())
        .merge(api::routes())
        .merge(profile::routes())
        .merge(web::routes(web))
        .merge(tiles::routes())
        .merge(ogc::routes())
        .merge(own::routes())
        .merge(profiles::routes())
        .merge(reports::routes())
        .merge(interventions::routes())
        .merge(notes::routes())
        .merge(meeting::routes())
        .merge(forecast::routes())
        .merge(nearrepeat::routes())
        .merge(metrics::routes())
}

/// Every registered `(method, path pattern)`, for the test that checks each one against
/// [`auth::PERMISSIONS`].
pub fn route_list() -> Vec<(Method, &'static str)> {
    routes(&web::WebConfig::default()).list().to_vec()
}

/// The application's routes with their layers.
pub fn router(state: AppState) -> Router {
    let cors = cors_origins();
    routes(state.web())
        .into_router()
        .fallback(not_found)
        // Innermost, so it runs after routing and sees the matched route.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authorize,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(headers::refuse_encoded_bodies))
        .layer(CompressionLayer::new())
        .layer(cors_layer(&cors))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// How long a client may take to send its request headers before the connection is
/// closed (a slow client cannot hold a connection open by trickling bytes).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish (up to
/// [`SHUTDOWN_GRACE`]). `header_timeout` bounds how long a client may take to send its
/// request headers ([`HEADER_READ_TIMEOUT`] by default); handlers are bounded by
/// [`REQUEST_TIMEOUT`].
pub async fn run(
    state: AppState,
    bind: SocketAddr,
    header_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    // Install the signal handlers before announcing the address, so a supervisor that
    // signals as soon as we are up gets a graceful stop.
    let shutdown = shutdown_signal()?;
    tokio::pin!(shutdown);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    // Other servers' commits reach this one at once on PostgreSQL (LISTEN/NOTIFY); the
    // data version is also re-read every VERSION_TTL, which covers SQLite and a lost
    // LISTEN connection.
    let watcher = state.clone();
    let watching = tokio::task::spawn_blocking(move || {
        let store = watcher.store()?;
        let w = watcher.clone();
        store
            .watch_data_version(Arc::new(move || w.refresh_version()))
            .map_err(ApiError::from)
    })
    .await;
    match watching {
        Ok(Ok(true)) => tracing::info!("listening for other servers' data versions"),
        Ok(Ok(false)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "not listening for data versions"),
        Err(e) => tracing::warn!(error = %e, "not listening for data versions"),
    }
    let address = listener.local_addr()?;
    tracing::info!(%address, "lagesbild is serving; open http://{address}/");
    if let Some(missing) = state.web().missing() {
        tracing::warn!("web map unavailable at / : {missing}");
    }
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    // The peer address, for the per-address login limit.
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    app.clone().oneshot(req)
                },
            );
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("requests still running after the grace period; stopping"),
    }
    Ok(())
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
    ApiError::NotFound("no such endpoint; GET /api lists them (the web map is at /)".into())
}
