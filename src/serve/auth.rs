//! Authentication and authorisation for the HTTP server.
//!
//! - **One permission table**, [`PERMISSIONS`]: every route (method + path pattern) with the
//!   [`Permission`] it needs. Routes are registered through `Routes`, which records them;
//!   `Routes::into_router` refuses (panics at start-up) a route without a declaration, and
//!   the `authorize` middleware denies any matched route that is not in the table, so a
//!   route added past the recorder is still closed. Unmatched paths (static web files, 404)
//!   are public.
//! - **Credentials**: `Authorization: Bearer <token>`, or the session cookie issued by
//!   `POST /api/login` (HttpOnly, SameSite=Strict, Secure when the request came over HTTPS).
//!   A cookie-authenticated request that changes state must carry the session's CSRF token in
//!   the `X-CSRF-Token` header (returned by `/api/login` and `/api/me`).
//! - **Anonymous** requests get aggregates only when public access is on.
//! - **Limits**: login attempts per client address and ingests per token are rate-limited
//!   (429 with `Retry-After`).
//!
//! Tokens never reach the logs: the request span records method and path only, and no
//! message here prints a header or a body.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use chrono::Utc;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::access::suppress::Suppression;
use crate::access::tokens::{self, TokenInfo};
use crate::access::{Role, audit};
use crate::analysis::window::TimeWindow;
use crate::model::access::SessionRecord;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Anyone (health, login, the endpoint list, static files).
    Public,
    /// Aggregates: any token; anonymous only when public access is on. Viewers, reporters
    /// and the public get them with small-count suppression.
    Aggregates,
    /// Any valid token (e.g. `/api/me`, logout).
    Signed,
    /// Incident-level reads: admin, analyst, reporter (each sees the partners it may).
    Incidents,
    /// Filing incidents: admin, analyst, reporter (for their own partner).
    Ingest,
    /// Analysis work (reports, interventions): admin, analyst.
    Analysis,
    /// Administration: admin only.
    Admin,
}

impl Permission {
    /// Whether `access` satisfies this permission, given whether public access is on.
    pub fn allows(self, access: &Access, public: bool) -> bool {
        let role = access.role();
        match self {
            Permission::Public => true,
            Permission::Aggregates => role.is_some() || public,
            Permission::Signed => role.is_some(),
            Permission::Incidents | Permission::Ingest => {
                matches!(role, Some(Role::Admin | Role::Analyst | Role::Reporter))
            }
            Permission::Analysis => matches!(role, Some(Role::Admin | Role::Analyst)),
            Permission::Admin => role == Some(Role::Admin),
        }
    }
}

/// Every route with its permission: `(method, path pattern, permission)`. A route that is
/// not listed here is refused. `GET` covers `HEAD`.
pub const PERMISSIONS: &[(&str, &str, Permission)] = &[
    // The web map and the report form: pages, scripts, styles (they sign in themselves).
    ("GET", "/", Permission::Public),
    ("GET", "/index.html", Permission::Public),
    ("GET", "/report", Permission::Public),
    // The meeting view: a page with no data in it; it signs in and reads the API itself.
    ("GET", "/meeting/week/{id}", Permission::Public),
    ("GET", "/meeting/tertial/{id}", Permission::Public),
    ("GET", "/meeting/quarter/{id}", Permission::Public),
    ("GET", "/app/*", Permission::Public),
    ("GET", "/vendor/*", Permission::Public),
    ("GET", "/api", Permission::Public),
    ("GET", "/api/config", Permission::Aggregates),
    ("GET", "/api/profile", Permission::Aggregates),
    ("GET", "/health", Permission::Public),
    ("GET", "/ready", Permission::Public),
    // Admins or the scrape token; the handler checks (`serve::metrics`).
    ("GET", "/metrics", Permission::Public),
    ("POST", "/api/login", Permission::Public),
    ("POST", "/api/logout", Permission::Public),
    ("GET", "/api/me", Permission::Signed),
    ("GET", "/api/layers", Permission::Aggregates),
    ("GET", "/api/categories", Permission::Aggregates),
    ("GET", "/api/areas", Permission::Aggregates),
    ("GET", "/api/hexes", Permission::Aggregates),
    ("GET", "/api/hotspots", Permission::Aggregates),
    ("GET", "/api/timeseries", Permission::Aggregates),
    ("GET", "/api/incidents", Permission::Incidents),
    ("POST", "/api/incidents", Permission::Ingest),
    ("GET", "/api/my/incidents", Permission::Ingest),
    ("PUT", "/api/my/incidents/{id}", Permission::Ingest),
    // Import profiles: the handler keeps non-admins to their own partner's.
    ("GET", "/api/profiles", Permission::Ingest),
    ("POST", "/api/profiles", Permission::Ingest),
    ("GET", "/api/profiles/{name}", Permission::Ingest),
    ("DELETE", "/api/profiles/{name}", Permission::Ingest),
    // Deletion of incidents: admins.
    ("DELETE", "/api/batches/{id}", Permission::Admin),
    ("POST", "/api/incidents/delete", Permission::Admin),
    ("GET", "/tiles/{name}", Permission::Aggregates),
    (
        "GET",
        "/tiles/{layer}/{z}/{x}/{file}",
        Permission::Aggregates,
    ),
    ("GET", "/ogc", Permission::Aggregates),
    ("GET", "/ogc/", Permission::Aggregates),
    ("GET", "/ogc/api", Permission::Aggregates),
    ("GET", "/ogc/conformance", Permission::Aggregates),
    ("GET", "/ogc/collections", Permission::Aggregates),
    (
        "GET",
        "/ogc/collections/{collection}",
        Permission::Aggregates,
    ),
    // The incidents collection checks incident access itself (`ogc::authorize_incidents`).
    (
        "GET",
        "/ogc/collections/{collection}/items",
        Permission::Aggregates,
    ),
    (
        "GET",
        "/ogc/collections/{collection}/items/{feature}",
        Permission::Aggregates,
    ),
    // Reports: aggregates, suppressed for viewers and the public (`serve::reports`); the
    // meeting notes are written by analysts only, and read by them only (free text may
    // name people): other callers learn that notes exist and are restricted (`serve::notes`).
    ("GET", "/api/reports/week/{id}", Permission::Aggregates),
    ("GET", "/api/reports/week/{id}/csv", Permission::Aggregates),
    (
        "GET",
        "/api/reports/week/{id}/notes",
        Permission::Aggregates,
    ),
    ("PUT", "/api/reports/week/{id}/notes", Permission::Analysis),
    ("GET", "/api/reports/tertial/{id}", Permission::Aggregates),
    (
        "GET",
        "/api/reports/tertial/{id}/csv",
        Permission::Aggregates,
    ),
    (
        "GET",
        "/api/reports/tertial/{id}/notes",
        Permission::Aggregates,
    ),
    (
        "PUT",
        "/api/reports/tertial/{id}/notes",
        Permission::Analysis,
    ),
    ("GET", "/reports/week/{id}", Permission::Aggregates),
    ("GET", "/reports/tertial/{id}", Permission::Aggregates),
    ("GET", "/api/reports/quarter/{id}", Permission::Aggregates),
    (
        "GET",
        "/api/reports/quarter/{id}/csv",
        Permission::Aggregates,
    ),
    (
        "GET",
        "/api/reports/quarter/{id}/notes",
        Permission::Aggregates,
    ),
    (
        "PUT",
        "/api/reports/quarter/{id}/notes",
        Permission::Analysis,
    ),
    ("GET", "/reports/quarter/{id}", Permission::Aggregates),
    // Interventions and the forecast (whose back-test and last-period columns are raw
    // counts per hex): analysts and admins.
    ("GET", "/api/interventions", Permission::Analysis),
    ("POST", "/api/interventions", Permission::Analysis),
    ("GET", "/api/interventions/{id}", Permission::Analysis),
    ("PUT", "/api/interventions/{id}", Permission::Analysis),
    ("DELETE", "/api/interventions/{id}", Permission::Analysis),
    (
        "POST",
        "/api/interventions/{id}/close",
        Permission::Analysis,
    ),
    (
        "GET",
        "/api/interventions/{id}/followup",
        Permission::Analysis,
    ),
    ("GET", "/api/forecast", Permission::Analysis),
    // Near repeats publish pair counts per distance and time band: analysts and admins.
    ("GET", "/api/nearrepeat", Permission::Analysis),
];

/// The permission declared for a route, if any. A declaration `PREFIX/*` covers every
/// path under `PREFIX` (nested services such as static files).
pub fn permission(method: &Method, path: &str) -> Option<Permission> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let exact = PERMISSIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path);
    let nested = || {
        PERMISSIONS.iter().find(|(m, p, _)| {
            *m == method
                && p.strip_suffix("/*").is_some_and(|prefix| {
                    path == prefix
                        || path
                            .strip_prefix(prefix)
                            .is_some_and(|rest| rest.starts_with('/'))
                })
        })
    };
    exact.or_else(nested).map(|(_, _, perm)| *perm)
}

/// A router under construction that records every `(method, path)` it registers, so the
/// permission table can be checked against the real routes.
#[derive(Default)]
pub(crate) struct Routes {
    paths: BTreeMap<&'static str, MethodRouter<AppState>>,
    list: Vec<(Method, &'static str)>,
    /// Services nested under a prefix (static files), recorded as `GET {prefix}/*`.
    nested: Vec<axum::Router<AppState>>,
}

impl Routes {
    /// No routes.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// A route for `method` (use [`Routes::get`] for `GET`, which also answers `HEAD`).
    pub fn on<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        let mr = self.paths.remove(path).unwrap_or_default();
        self.paths.insert(path, mr.on(filter, handler));
        self.list.push((method, path));
        self
    }

    /// A `GET` (and `HEAD`) route.
    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.on(Method::GET, path, h)
    }

    /// A `POST` route.
    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.on(Method::POST, path, h)
    }

    /// A `PUT` route.
    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.on(Method::PUT, path, h)
    }

    /// A `DELETE` route.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Routes {
        self.on(Method::DELETE, path, h)
    }

    /// A service for every path under `prefix` (e.g. static files), recorded as
    /// `GET {prefix}/*`; `pattern` must be exactly that (a `&'static str` for the table).
    pub fn nest_service<S>(mut self, prefix: &'static str, pattern: &'static str, svc: S) -> Routes
    where
        S: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: IntoResponse,
        S::Future: Send + 'static,
    {
        debug_assert_eq!(pattern, format!("{prefix}/*"));
        self.nested
            .push(axum::Router::new().nest_service(prefix, svc));
        self.list.push((Method::GET, pattern));
        self
    }

    /// Both sets of routes.
    pub fn merge(mut self, other: Routes) -> Routes {
        for (path, mr) in other.paths {
            let mine = self.paths.remove(path).unwrap_or_default();
            self.paths.insert(path, mine.merge(mr));
        }
        self.list.extend(other.list);
        self.nested.extend(other.nested);
        self
    }

    /// The registered `(method, path)` pairs.
    pub fn list(&self) -> &[(Method, &'static str)] {
        &self.list
    }

    /// The routes without a permission declaration.
    pub fn undeclared(&self) -> Vec<String> {
        self.list
            .iter()
            .filter(|(m, p)| permission(m, p).is_none())
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }

    /// The axum router.
    ///
    /// # Panics
    /// When a route has no entry in [`PERMISSIONS`]: a programming error that must not
    /// reach a running server.
    pub fn into_router(self) -> axum::Router<AppState> {
        let missing = self.undeclared();
        assert!(
            missing.is_empty(),
            "routes without a permission in serve::auth::PERMISSIONS: {}",
            missing.join(", ")
        );
        let routed = self
            .paths
            .into_iter()
            .fold(axum::Router::new(), |r, (path, mr)| r.route(path, mr));
        self.nested.into_iter().fold(routed, axum::Router::merge)
    }
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Access {
    /// No credentials.
    Anonymous,
    /// A valid token (directly, or through a session cookie).
    Token(TokenInfo),
}

impl Access {
    /// The role, if signed in.
    pub fn role(&self) -> Option<Role> {
        match self {
            Access::Anonymous => None,
            Access::Token(t) => Some(t.role),
        }
    }

    /// The token, if signed in.
    pub fn token(&self) -> Option<&TokenInfo> {
        match self {
            Access::Anonymous => None,
            Access::Token(t) => Some(t),
        }
    }

    /// How aggregates are shown to this caller.
    pub fn view(&self, settings: &AuthSettings) -> View {
        match self.role() {
            Some(r) if r.sees_full_aggregates() => View::Full,
            _ => View::Suppressed(settings.suppression),
        }
    }

    /// An audit entry for this caller (`anonymous` when not signed in).
    pub fn audit(&self, action: &str, target: &str, rows: i64) -> audit::Entry {
        match self {
            Access::Anonymous => audit::Entry {
                actor: "anonymous".into(),
                ..audit::Entry::by_cli("", action, target, rows)
            },
            Access::Token(t) => {
                audit::Entry::by_token(t.id, &t.partner, t.role, action, target, rows)
            }
        }
    }
}

/// How aggregates are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// As computed (admin, analyst).
    Full,
    /// With small-count suppression, whole-week windows and a resolution cap.
    Suppressed(Suppression),
}

impl View {
    /// A short tag for cache keys: answers differ between views.
    pub fn key(&self) -> String {
        match self {
            View::Full => "full".into(),
            View::Suppressed(s) => format!("k{}r{}", s.k, s.max_public_res),
        }
    }

    /// The suppression, if any.
    pub fn suppression(&self) -> Option<Suppression> {
        match self {
            View::Full => None,
            View::Suppressed(s) => Some(*s),
        }
    }

    /// The window widened to whole ISO weeks for suppressed views; unchanged otherwise or
    /// when it already is whole weeks.
    pub fn window(&self, w: TimeWindow, tz: chrono_tz::Tz) -> TimeWindow {
        if matches!(self, View::Full) {
            return w;
        }
        let (from, to) = w.bounds(tz);
        let (a, b) = crate::access::suppress::snap_to_weeks(from, to, tz);
        let week = TimeWindow::containing(a, crate::analysis::window::WindowKind::IsoWeek, tz);
        if (a, b) == (from, to) {
            w
        } else if week.bounds(tz) == (a, b) {
            week
        } else {
            TimeWindow::Custom { from: a, to: b }
        }
    }

    /// A total as published: hidden when small, else rounded, in a suppressed view.
    pub fn total(&self, total: f64) -> Value {
        match self {
            View::Full => json!(total),
            View::Suppressed(s) => json!(s.publish(total)),
        }
    }

    /// One count (a time-series point) as published.
    pub fn count(&self, count: f64) -> Value {
        self.total(count)
    }

    /// Caps a hex query's resolution for suppressed views: the finest stored resolution not
    /// finer than the cap (the automatic scale is not offered to them).
    pub fn limit_hex_query(
        &self,
        hq: &mut crate::analysis::hotspots::HexQuery,
        config: &crate::config::Config,
    ) {
        let Some(s) = self.suppression() else {
            return;
        };
        let allowed: Vec<h3o::Resolution> = config
            .h3_resolutions
            .iter()
            .copied()
            .filter(|r| !s.too_fine(*r))
            .collect();
        let fallback = allowed
            .last()
            .or(config.h3_resolutions.first())
            .copied()
            .unwrap_or(h3o::Resolution::Seven);
        hq.resolution = Some(match hq.resolution {
            Some(r) if !s.too_fine(r) => r,
            _ => fallback,
        });
    }

    /// Refuses cells finer than the cap in suppressed views.
    pub fn check_cell(&self, cell: h3o::CellIndex) -> Result<(), ApiError> {
        match self.suppression() {
            Some(s) if s.too_fine(cell.resolution()) => Err(ApiError::Forbidden(format!(
                "parameter cell: resolution {} is finer than this role may see (at most {})",
                u8::from(cell.resolution()),
                s.max_public_res
            ))),
            _ => Ok(()),
        }
    }

    /// Publishes ranked items `(score, properties)`, drops the hidden ones, and re-scores
    /// the rest by `score` recomputed from the published properties (`harm`, `count`, or
    /// `gi_bin` for `gi_z`), so a restricted role's list is ordered only by values it sees.
    pub fn ranked(&self, items: &mut Vec<(f64, Value)>, baseline_windows: usize, sort: &str) {
        let Some(s) = self.suppression() else {
            return;
        };
        let mut maps: Vec<&mut serde_json::Map<String, Value>> = items
            .iter_mut()
            .filter_map(|(_, v)| v.as_object_mut())
            .collect();
        let (hidden, _) = super::publish::units(&s, &mut maps, baseline_windows);
        let mut i = 0;
        items.retain(|_| {
            let keep = !hidden.get(i).copied().unwrap_or(true);
            i += 1;
            keep
        });
        let key = match sort {
            "gi_z" => "gi_bin",
            other => other,
        };
        for (score, v) in items.iter_mut() {
            *score = v.get(key).and_then(Value::as_f64).unwrap_or(0.0);
        }
    }

    /// Publishes a list of features' `properties` (areas or hexes) in place; returns the
    /// answer's total as published (`None` = hidden), or the raw `total` in a full view.
    pub fn features(&self, features: &mut [Value], baseline_windows: usize, total: f64) -> Value {
        let Some(s) = self.suppression() else {
            return json!(total);
        };
        let mut maps: Vec<&mut serde_json::Map<String, Value>> = features
            .iter_mut()
            .filter_map(|f| f.get_mut("properties").and_then(Value::as_object_mut))
            .collect();
        json!(super::publish::units(&s, &mut maps, baseline_windows).1)
    }

    /// Publishes the units of a prepared layer (tiles) in place.
    pub fn maps(&self, maps: &mut [&mut serde_json::Map<String, Value>], baseline_windows: usize) {
        if let Some(s) = self.suppression() {
            super::publish::units(&s, maps, baseline_windows);
        }
    }
}

/// Access settings of a server.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Whether anonymous callers get (suppressed) aggregates.
    pub public: bool,
    /// Suppression for viewers, reporters and the public.
    pub suppression: Suppression,
    /// Session cookies get `Secure` regardless of the request (base URL is https).
    pub secure_cookies: bool,
    /// Login attempts per client address per minute.
    pub login_per_minute: u32,
    /// Ingest requests per token per minute.
    pub ingest_per_minute: u32,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Public access is on only because the database is the demo; it goes off when real
    /// incidents arrive.
    pub public_for_demo: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            public: false,
            suppression: Suppression::default(),
            secure_cookies: false,
            login_per_minute: 10,
            ingest_per_minute: 30,
            session_ttl: Duration::from_secs(12 * 3600),
            public_for_demo: false,
        }
    }
}

/// The server's authentication state.
pub(crate) struct AuthState {
    settings: AuthSettings,
    /// Public access can be switched off at run time (a demo database that gets real data).
    public: std::sync::atomic::AtomicBool,
    /// Tokens and sessions verified in the last [`CREDENTIAL_TTL`], so a signed-in request
    /// for a cached tile does not touch the database.
    verified: Mutex<VerifiedCache>,
}

/// How long a verified token is trusted without asking the database again: a token revoked
/// with `lagesbild tokens revoke` stops working within this time.
pub const CREDENTIAL_TTL: Duration = Duration::from_secs(2);
/// The most verified tokens remembered (a full cache forgets the stale ones, then all).
const VERIFIED_MAX: usize = 10_000;

/// Recently verified tokens.
#[derive(Default)]
pub(super) struct VerifiedCache {
    by_hash: HashMap<[u8; 32], (TokenInfo, Instant)>,
    by_id: HashMap<i64, (TokenInfo, Instant)>,
    /// Sessions (stored in the database, shared by every server) by SHA-256 of the cookie.
    pub(super) sessions: HashMap<[u8; 32], (SessionRecord, Instant)>,
}

impl VerifiedCache {
    fn fresh(entry: Option<&(TokenInfo, Instant)>) -> Option<TokenInfo> {
        entry
            .filter(|(_, at)| at.elapsed() < CREDENTIAL_TTL)
            .map(|(t, _)| t.clone())
    }

    fn len(&self) -> usize {
        self.by_hash.len() + self.by_id.len() + self.sessions.len()
    }

    pub(super) fn make_room(&mut self) {
        if self.len() >= VERIFIED_MAX {
            self.by_hash
                .retain(|_, (_, at)| at.elapsed() < CREDENTIAL_TTL);
            self.by_id
                .retain(|_, (_, at)| at.elapsed() < CREDENTIAL_TTL);
            self.sessions
                .retain(|_, (_, at)| at.elapsed() < CREDENTIAL_TTL);
        }
        if self.len() >= VERIFIED_MAX {
            self.by_hash.clear();
            self.by_id.clear();
            self.sessions.clear();
        }
    }
}

impl AuthState {
    pub fn new(settings: AuthSettings) -> AuthState {
        AuthState {
            public: std::sync::atomic::AtomicBool::new(settings.public),
            settings,
            verified: Mutex::new(VerifiedCache::default()),
        }
    }

    pub(super) fn verified(&self) -> std::sync::MutexGuard<'_, VerifiedCache> {
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Whether anonymous callers get aggregates now.
    pub fn public(&self) -> bool {
        self.public.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Turns public access off (real data arrived in a demo database).
    pub fn close_public(&self) {
        if !self.settings.public_for_demo {
            return;
        }
        self.public
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

pub use super::session::{CSRF_HEADER, SESSION_COOKIE};

fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let s = v.to_str().map_err(|_| ());
    Some(s.and_then(|s| {
        let (scheme, rest) = s.trim().split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") {
            Ok(rest.trim().to_owned())
        } else {
            Err(())
        }
    }))
}

/// How a request authenticated.
enum Credential {
    None,
    Bearer(TokenInfo),
    Session(TokenInfo, String),
    Invalid,
}

fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Credential, ApiError> {
    let auth = state.auth();
    let now = Utc::now();
    if let Some(b) = bearer(headers) {
        let Ok(token) = b else {
            return Ok(Credential::Invalid);
        };
        let key = tokens::hash(token.trim());
        let cached = VerifiedCache::fresh(auth.verified().by_hash.get(&key));
        if let Some(t) = cached.filter(|t| t.is_active(now)) {
            return Ok(Credential::Bearer(t));
        }
        let store = super::outside_async(|| state.store())?;
        let found = super::outside_async(|| tokens::verify(&store, &token, now));
        return Ok(match found {
            Ok(Some(t)) => {
                let mut v = auth.verified();
                v.make_room();
                v.by_hash.insert(key, (t.clone(), Instant::now()));
                Credential::Bearer(t)
            }
            Ok(None) => Credential::Invalid,
            Err(e) => return Err(ApiError::Internal(e.to_string())),
        });
    }
    let Some(id) = super::session::cookie(headers, SESSION_COOKIE) else {
        return Ok(Credential::None);
    };
    let Some(session) = super::session::lookup(state, &id)? else {
        // A stale cookie (ended, expired): treat as not signed in.
        return Ok(Credential::None);
    };
    let token_id = session.token_id;
    let cached = VerifiedCache::fresh(auth.verified().by_id.get(&token_id));
    let info = match cached {
        Some(t) => Ok(Some(t)),
        None => {
            let store = super::outside_async(|| state.store())?;
            let found = super::outside_async(|| tokens::get(&store, token_id));
            if let Ok(Some(t)) = &found
                && t.is_active(now)
            {
                let mut v = auth.verified();
                v.make_room();
                v.by_id.insert(token_id, (t.clone(), Instant::now()));
            }
            found
        }
    };
    match info {
        Ok(Some(t)) if t.is_active(now) => Ok(Credential::Session(t, session.csrf)),
        Ok(_) => Ok(Credential::None),
        Err(e) => Err(ApiError::Internal(e.to_string())),
    }
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: finds the route's permission, authenticates, checks CSRF and the role,
/// and hands the handler an [`Access`].
pub(crate) async fn authorize(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let method = req.method().clone();
    let perm = match &matched {
        // Not a route: a static file or a 404.
        None => Permission::Public,
        Some(path) => match permission(&method, path) {
            Some(p) => p,
            None => {
                tracing::error!(%method, route = %path, "route without a permission declaration; denied");
                return ApiError::Forbidden(
                    "this endpoint has no permission declaration; it is closed".into(),
                )
                .into_response();
            }
        },
    };
    let cred = match authenticate(&state, req.headers()) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let access = match cred {
        Credential::None => Access::Anonymous,
        Credential::Bearer(t) => Access::Token(t),
        Credential::Session(t, csrf) => {
            if changes_state(&method) {
                let given = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let ok: bool = given.as_bytes().ct_eq(csrf.as_bytes()).into();
                if !ok {
                    return ApiError::Forbidden(format!(
                        "missing or wrong {CSRF_HEADER} header: a signed-in browser must send the CSRF token from /api/login or /api/me"
                    ))
                    .into_response();
                }
            }
            Access::Token(t)
        }
        Credential::Invalid if perm != Permission::Public => {
            return ApiError::Unauthorized(
                "the bearer token is not valid (unknown, expired, revoked or malformed)".into(),
            )
            .into_response();
        }
        Credential::Invalid => Access::Anonymous,
    };
    if !perm.allows(&access, state.auth().public()) {
        return match access {
            Access::Anonymous => ApiError::Unauthorized(
                "sign in: send Authorization: Bearer TOKEN, or log in at POST /api/login".into(),
            ),
            Access::Token(t) => ApiError::Forbidden(format!(
                "the role {} may not use {method} {}",
                t.role,
                matched.unwrap_or_default()
            )),
        }
        .into_response();
    }
    req.extensions_mut().insert(access);
    next.run(req).await
}
