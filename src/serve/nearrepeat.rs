//! `GET /api/nearrepeat`: the Knox near-repeat table of a window
//! (`analysis::knox::near_repeat`), for analysts and admins (it publishes pair counts).
//!
//! Thin: parse, run on the blocking pool, encode. Answers are kept in the whole-response
//! cache under the data version and the request's parameters (the default window moves
//! every Monday, so it is part of the key).

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::auth::Routes;
use super::params::{QueryMap, parse_alpha};
use super::{ApiError, AppState, CachedResponse};
use crate::analysis::knox::{self, KnoxOptions, PERMUTATIONS, default_window, near_repeat};

type Params = Query<Vec<(String, String)>>;

/// The parameters of `/api/nearrepeat`.
pub const NEARREPEAT_PARAMS: [&str; 11] = [
    "window",
    "from",
    "to",
    "category",
    "group",
    "partner",
    "distance_bands",
    "time_bands",
    "permutations",
    "seed",
    "alpha",
];

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/nearrepeat", get_nearrepeat)
}

/// Band edges `200,400,600`; the error names the parameter.
fn parse_bands(name: &str, text: &str) -> Result<Vec<f64>, ApiError> {
    knox::parse_bands(name, text).map_err(|e| ApiError::BadRequest(format!("parameter {e}")))
}

/// The Knox options from a query; every error names its parameter.
pub fn knox_options(q: &mut QueryMap) -> Result<KnoxOptions, ApiError> {
    let mut o = KnoxOptions::default();
    if let Some(t) = q.take("distance_bands") {
        o.distance_bands = parse_bands("distance_bands", &t)?;
    }
    if let Some(t) = q.take("time_bands") {
        o.time_bands = parse_bands("time_bands", &t)?;
    }
    if let Some(p) = q.parse(
        "permutations",
        &format!(
            "a whole number {}..={} (999 is customary)",
            PERMUTATIONS.start(),
            PERMUTATIONS.end()
        ),
        |s| s.parse::<u32>().ok().filter(|p| PERMUTATIONS.contains(p)),
    )? {
        o.permutations = p;
    }
    if let Some(s) = q.parse("seed", "a whole number 0..2^64", |s| s.parse::<u64>().ok())? {
        o.seed = s;
    }
    if let Some(a) = q.parse("alpha", "a number between 0 and 1", parse_alpha)? {
        o.alpha = a;
    }
    Ok(o)
}

async fn get_nearrepeat(
    State(state): State<AppState>,
    q: Result<Params, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let mut raw = pairs.clone();
    raw.sort();
    let mut q = QueryMap::new(pairs);
    let config = state.config();
    let wf = q.window_filter();
    let window = if wf.window.is_none() && wf.from.is_none() && wf.to.is_none() {
        default_window(Utc::now(), config.timezone)
    } else {
        wf.window(config, Utc::now())?
    };
    let filter = wf.filter(config)?;
    let opts = knox_options(&mut q)?;
    q.finish(&NEARREPEAT_PARAMS)?;
    let key = format!(
        "{}|/api/nearrepeat|{window}|{}",
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
            let r = near_repeat(&analyzer, &window, &filter, &opts)?;
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            v["data_version"] = json!(r.parameters.data_version);
            v["band_rule"] = json!(
                "bands are lo < x <= hi; the first time band is [0, hi]; \"same location\" is distance 0"
            );
            Ok(v)
        })
        .await?;
    let bytes = Bytes::from(body.to_string());
    state.keep_response(
        key,
        CachedResponse {
            etag: None,
            content_type: "application/json",
            body: Some(bytes.clone()),
        },
    );
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}
