//! `GET /api/forecast?res=&week=`: the next-week hotspot forecast per H3 cell as GeoJSON,
//! with the back-test figures as foreign members, so that the forecast is never shown
//! without how far to trust it.
//!
//! Thin: parse, call `analysis::forecast::forecast` on the blocking pool, encode. Answers
//! are kept in the whole-response cache under the data version and the resolved week (the
//! default week moves on every Monday).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use h3o::Resolution;
use serde_json::{Value, json};

use super::auth::Routes;
use super::geojson_out::cell_polygon;
use super::params::{QueryMap, last_complete_week};
use super::{ApiError, AppState, CachedResponse};
use crate::analysis::forecast::{ForecastOptions, MAX_BACKTEST_WEEKS, forecast};
use crate::analysis::window::{TimeWindow, WindowKind};

type Params = Query<Vec<(String, String)>>;

/// The parameters of `/api/forecast`.
pub const FORECAST_PARAMS: [&str; 6] = [
    "res",
    "week",
    "backtest_weeks",
    "category",
    "group",
    "partner",
];

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/forecast", get_forecast)
}

async fn get_forecast(
    State(state): State<AppState>,
    q: Result<Params, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let raw: Vec<(String, String)> = pairs.clone();
    let mut q = QueryMap::new(pairs);
    let tz = state.config().timezone;
    let latest = last_complete_week(Utc::now(), state.config()).next();
    let week = match q.take("week") {
        None => latest,
        Some(w) => {
            let parsed = TimeWindow::parse_in(&w, tz)
                .map_err(|e| ApiError::BadRequest(format!("parameter week: {e}")))?;
            if parsed.kind() != Some(WindowKind::IsoWeek) {
                return Err(ApiError::BadRequest(format!(
                    "parameter week: {w:?} is not an ISO week such as 2026-W47"
                )));
            }
            if parsed.bounds(tz).0 > latest.bounds(tz).0 {
                return Err(ApiError::BadRequest(format!(
                    "parameter week: {parsed} lies after {latest}, the week after the last complete one; only that week or earlier ones can be forecast"
                )));
            }
            parsed
        }
    };
    let mut opts = ForecastOptions::default();
    if let Some(r) = q.parse("res", "an H3 resolution 0..15", |s| {
        s.parse::<u8>()
            .ok()
            .and_then(|r| Resolution::try_from(r).ok())
    })? {
        opts.res = r;
    }
    if let Some(n) = q.parse(
        "backtest_weeks",
        &format!("a number of weeks 0..{MAX_BACKTEST_WEEKS}"),
        |s| s.parse::<u32>().ok().filter(|n| *n <= MAX_BACKTEST_WEEKS),
    )? {
        opts.backtest_weeks = n;
    }
    let wf = q.window_filter();
    if wf.window.is_some() || wf.from.is_some() || wf.to.is_some() {
        return Err(ApiError::BadRequest(
            "window/from/to: the forecast takes week= (the week to forecast)".into(),
        ));
    }
    q.finish(&FORECAST_PARAMS)?;
    opts.filter = wf.filter(state.config())?;

    let mut raw = raw;
    raw.sort();
    let key = format!(
        "{}|/api/forecast|{week}|{}",
        state.data_version_fast()?,
        raw.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    );
    if let Some(hit) = state.cached_response(&key) {
        return Ok(super::cached_answer(
            &hit,
            &axum::http::HeaderMap::new(),
            None,
        ));
    }
    let body = state
        .blocking(move |store, state| {
            let analyzer = state.analysis().analyzer(store)?;
            let f = forecast(&analyzer, &week, &opts)?;
            let features: Vec<Value> = f
                .cells
                .iter()
                .map(|c| {
                    json!({
                        "type": "Feature",
                        "id": c.cell.to_string(),
                        "geometry": cell_polygon(c.cell),
                        "properties": c,
                    })
                })
                .collect();
            Ok(json!({
                "type": "FeatureCollection",
                "features": features,
                "week": f.week,
                "res": f.res,
                "method": f.method,
                "beta": f.beta,
                "parameters": f.options,
                "data_version": f.data_version,
                "backtest": f.backtest,
                "warnings": f.warnings,
            }))
        })
        .await?;
    let bytes = Bytes::from(body.to_string());
    state.keep_response(
        key,
        CachedResponse {
            etag: None,
            content_type: "application/geo+json",
            body: Some(bytes.clone()),
        },
    );
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], bytes).into_response())
}
