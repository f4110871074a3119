//! Operations endpoints: `GET /metrics` (Prometheus text format 0.0.4, for admins or the
//! scrape token `LAGESBILD_METRICS_TOKEN`), `GET /ready` (can the server answer: database
//! reachable, demo or data loaded), and the middleware that counts requests.
//!
//! Families (all prefixed `lagesbild_` except the standard `process_*`):
//! requests by route template, method and status; latency histograms by route and method;
//! in-flight requests; hits, misses, evictions and bytes per cache; ingests and their rows
//! (accepted, rejected, duplicate); time spent in database jobs on the blocking pool; the
//! data version; incidents; resident and virtual memory. Counting is a few atomic adds and
//! one short lock per request; the values that need the database are read on scrape.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::auth::{Access, Routes};
use super::{ApiError, AppState};
use crate::access::Role;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative-on-output latency histogram.
#[derive(Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative); the last slot is `+Inf`.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let i = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i] += 1;
        self.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, c) in self.counts.iter().enumerate() {
            cumulative += c;
            let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// Requests of one route and method.
#[derive(Default)]
struct RouteStats {
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// Counters a server keeps; see the module documentation.
#[derive(Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    /// By route template, then method.
    routes: Mutex<HashMap<String, BTreeMap<String, RouteStats>>>,
    db: Mutex<Histogram>,
    ingests: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    duplicates: AtomicU64,
    /// The scrape token, if configured.
    token: Option<String>,
}

impl Metrics {
    /// Counters with an optional scrape token (`LAGESBILD_METRICS_TOKEN`).
    pub fn new(token: Option<String>) -> Metrics {
        Metrics {
            token: token.filter(|t| !t.is_empty()),
            ..Metrics::default()
        }
    }

    /// Records one blocking database job's time.
    pub(crate) fn observe_db(&self, seconds: f64) {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .observe(seconds);
    }

    /// Records one ingest and its rows.
    pub(crate) fn observe_ingest(&self, accepted: u64, rejected: u64, duplicates: u64) {
        self.ingests.fetch_add(1, Ordering::Relaxed);
        self.accepted.fetch_add(accepted, Ordering::Relaxed);
        self.rejected.fetch_add(rejected, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
    }

    fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Look up without allocating; allocate only the first time a pair is seen.
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), BTreeMap::new());
        }
        let Some(methods) = routes.get_mut(route) else {
            return;
        };
        if !methods.contains_key(method) {
            methods.insert(method.to_owned(), RouteStats::default());
        }
        let Some(stats) = methods.get_mut(method) else {
            return;
        };
        *stats.statuses.entry(status).or_default() += 1;
        stats.latency.observe(seconds);
    }
}

/// The operations routes.
pub(crate) fn routes() -> Routes {
    Routes::new().get("/metrics", metrics).get("/ready", ready)
}

/// The route template of a request (`/tiles/{layer}/{z}/{x}/{file}`), `/app/*` for the
/// nested static files, `unmatched` for 404s, so labels stay few.
fn route_label(matched: Option<&MatchedPath>, path: &str) -> String {
    match matched.map(MatchedPath::as_str) {
        Some(m) if !m.contains("__private__") => m.to_owned(),
        _ => {
            for prefix in ["/app", "/vendor"] {
                if path.starts_with(&format!("{prefix}/")) {
                    return format!("{prefix}/*");
                }
            }
            "unmatched".to_owned()
        }
    }
}

/// The middleware: counts the request by route, method and status, and its latency.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let m = state.metrics();
    let route = route_label(req.extensions().get::<MatchedPath>(), req.uri().path());
    let method = req.method().as_str().to_owned();
    m.in_flight.fetch_add(1, Ordering::Relaxed);
    let start = Instant::now();
    let res = next.run(req).await;
    m.in_flight.fetch_sub(1, Ordering::Relaxed);
    m.observe_request(
        &route,
        &method,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Whether the caller may scrape: an admin, or the scrape token as a bearer token.
fn may_scrape(state: &AppState, access: &Access, headers: &HeaderMap) -> bool {
    if access.role() == Some(Role::Admin) {
        return true;
    }
    let Some(token) = &state.metrics().token else {
        return false;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    given.as_bytes().ct_eq(token.as_bytes()).into()
}

/// `GET /metrics`: the Prometheus text format.
async fn metrics(
    State(state): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !may_scrape(&state, &access, &headers) {
        return Err(match access {
            Access::Anonymous => ApiError::Unauthorized(
                "metrics are for admins or the scrape token (LAGESBILD_METRICS_TOKEN): send \
                 Authorization: Bearer TOKEN / mätvärden kräver en admin-nyckel eller \
                 skrapnyckeln"
                    .into(),
            ),
            Access::Token(_) => ApiError::Forbidden(
                "metrics are for admins or the scrape token (LAGESBILD_METRICS_TOKEN) / \
                 mätvärden är bara för admin eller skrapnyckeln"
                    .into(),
            ),
        });
    }
    let (version, incidents) = state
        .blocking(|store, _| Ok((store.data_version()?, store.incident_count()?)))
        .await?;
    let mut out = String::with_capacity(16 << 10);
    write_requests(&state, &mut out);
    write_caches(&state, &mut out);
    let m = state.metrics();
    family(
        &mut out,
        "lagesbild_ingests_total",
        "counter",
        "Ingests through this server (POST /api/incidents).",
    );
    let _ = writeln!(
        out,
        "lagesbild_ingests_total {}",
        m.ingests.load(Ordering::Relaxed)
    );
    family(
        &mut out,
        "lagesbild_ingest_rows_total",
        "counter",
        "Rows of ingests through this server by outcome.",
    );
    for (outcome, n) in [
        ("accepted", &m.accepted),
        ("rejected", &m.rejected),
        ("duplicate", &m.duplicates),
    ] {
        let _ = writeln!(
            out,
            "lagesbild_ingest_rows_total{{outcome=\"{outcome}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    family(
        &mut out,
        "lagesbild_db_job_seconds",
        "histogram",
        "Time of each database job on the blocking pool (open, queries, analysis on a miss).",
    );
    m.db.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .write(&mut out, "lagesbild_db_job_seconds", "");
    family(
        &mut out,
        "lagesbild_data_version",
        "gauge",
        "The store's data version (moves on every change).",
    );
    let _ = writeln!(out, "lagesbild_data_version {version}");
    family(
        &mut out,
        "lagesbild_incidents",
        "gauge",
        "Incidents stored.",
    );
    let _ = writeln!(out, "lagesbild_incidents {incidents}");
    let (rss, vsize) = process_memory();
    family(
        &mut out,
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
    );
    let _ = writeln!(out, "process_resident_memory_bytes {rss}");
    family(
        &mut out,
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
    );
    let _ = writeln!(out, "process_virtual_memory_bytes {vsize}");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response())
}

fn write_requests(state: &AppState, out: &mut String) {
    let m = state.metrics();
    family(
        out,
        "lagesbild_http_requests_in_flight",
        "gauge",
        "Requests being answered now.",
    );
    let _ = writeln!(
        out,
        "lagesbild_http_requests_in_flight {}",
        m.in_flight.load(Ordering::Relaxed)
    );
    let routes = m
        .routes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut keys: Vec<(&String, &String, &RouteStats)> = routes
        .iter()
        .flat_map(|(r, ms)| ms.iter().map(move |(m, s)| (r, m, s)))
        .collect();
    keys.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    family(
        out,
        "lagesbild_http_requests_total",
        "counter",
        "Requests answered, by route template, method and status.",
    );
    for (route, method, stats) in &keys {
        for (status, n) in &stats.statuses {
            let _ = writeln!(
                out,
                "lagesbild_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                label(route),
                label(method)
            );
        }
    }
    family(
        out,
        "lagesbild_http_request_duration_seconds",
        "histogram",
        "Time to answer, by route template and method (to the response head).",
    );
    for (route, method, stats) in &keys {
        stats.latency.write(
            out,
            "lagesbild_http_request_duration_seconds",
            &format!("route=\"{}\",method=\"{}\"", label(route), label(method)),
        );
    }
}

fn write_caches(state: &AppState, out: &mut String) {
    let caches = state.cache_stats();
    for (name, kind, help) in [
        ("hits", "counter", "Cache hits."),
        ("misses", "counter", "Cache misses."),
        (
            "evictions",
            "counter",
            "Entries evicted to stay within the budget.",
        ),
        ("bytes", "gauge", "Bytes held."),
        ("budget_bytes", "gauge", "Bytes the cache may hold."),
    ] {
        let suffix = if kind == "counter" { "_total" } else { "" };
        let fam = format!("lagesbild_cache_{name}{suffix}");
        family(out, &fam, kind, help);
        for (cache, s) in &caches {
            let v = match name {
                "hits" => s.hits,
                "misses" => s.misses,
                "evictions" => s.evictions,
                "bytes" => s.bytes as u64,
                _ => s.budget as u64,
            };
            let _ = writeln!(out, "{fam}{{cache=\"{cache}\"}} {v}");
        }
    }
}

/// Resident and virtual memory in bytes from `/proc/self/statm` (0 where unavailable).
pub fn process_memory() -> (u64, u64) {
    let page = 4096;
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return (0, 0);
    };
    let mut f = statm
        .split_whitespace()
        .map(|x| x.parse::<u64>().unwrap_or(0));
    let vsize = f.next().unwrap_or(0) * page;
    let rss = f.next().unwrap_or(0) * page;
    (rss, vsize)
}

/// `GET /ready`: 200 when the database answers and holds the demo or data, otherwise 503
/// with the reason (`/health` only says the process is up).
async fn ready(State(state): State<AppState>) -> Response {
    let checked = state
        .blocking(|store, _| {
            let version = store.data_version()?;
            let incidents = store.incident_count()?;
            let layers = store.layers()?.len();
            Ok((version, incidents, layers))
        })
        .await;
    match checked {
        Ok((version, incidents, layers)) if incidents > 0 || layers > 0 => (
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({
                "ready": true,
                "data_version": version,
                "incidents": incidents,
                "area_layers": layers,
            })),
        )
            .into_response(),
        Ok(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({
                "ready": false,
                "reason": "the database holds no incidents and no area layers: load the demo \
                           (`lagesbild demo load`) or ingest data / databasen är tom: ladda \
                           demon eller läs in data",
            })),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(json!({
                    "ready": false,
                    "reason": "the database does not answer; see the server log / databasen \
                               svarar inte; se serverloggen",
                })),
            )
                .into_response()
        }
    }
}
