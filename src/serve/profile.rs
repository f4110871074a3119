//! `GET /api/profile`: what is behind one area or hex cell in a window — counts per
//! category and the hour-by-weekday pattern — for the map's details panel and the reports.
//!
//! `area=ID&layer=` or `cell=H3` (neither: the whole study area), plus the window and filter
//! parameters of every windowed endpoint. The library does the counting
//! ([`crate::analysis::hotspots::Analyzer::category_counts`] and `hour_weekday`); this
//! handler parses and encodes.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use h3o::CellIndex;
use serde_json::{Value, json};

use super::params::{QueryMap, WINDOW_FILTER, check_layer, default_layer};
use super::{ApiError, AppState};
use crate::analysis::hotspots::SeriesUnit;

type Params = Query<Vec<(String, String)>>;

/// The profile route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/profile", get(profile))
}

async fn profile(
    State(state): State<AppState>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let mut q = QueryMap::new(pairs);
    state
        .blocking(move |store, state| {
            let (unit, unit_json) = match (q.take("area"), q.take("cell")) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::BadRequest("give area= or cell=, not both".into()));
                }
                (Some(id), None) => {
                    let layers = store.layers()?;
                    let layer = match q.take("layer") {
                        Some(l) => l,
                        None => default_layer(&layers)?,
                    };
                    check_layer(&layers, &layer)?;
                    let j = json!({ "area": id, "layer": layer });
                    (SeriesUnit::Area { layer, id }, j)
                }
                (None, Some(c)) => {
                    let cell = c.trim().parse::<CellIndex>().map_err(|_| {
                        ApiError::BadRequest(format!(
                            "parameter cell: {c:?} is not an H3 cell index"
                        ))
                    })?;
                    (SeriesUnit::Cell(cell), json!({ "cell": cell.to_string() }))
                }
                (None, None) => (SeriesUnit::All, json!({ "all": true })),
            };
            let wf = q.window_filter();
            let window = wf.window(state.config(), Utc::now())?;
            let filter = wf.filter(state.config())?;
            let mut known: Vec<&str> = WINDOW_FILTER.to_vec();
            known.extend(["area", "layer", "cell"]);
            q.finish(&known)?;
            let analyzer = state.analysis().analyzer(store)?;
            let by_category = analyzer.category_counts(&window, &filter, &unit)?;
            let hour_weekday = analyzer.hour_weekday(&window, &filter, &unit)?;
            let cats = &state.config().categories;
            let total: f64 = by_category.iter().map(|(_, n)| n).sum();
            let (from, to) = window.bounds(state.config().timezone);
            Ok(Json(json!({
                "unit": unit_json,
                "parameters": {
                    "window": window.to_string(),
                    "from": from.to_rfc3339(),
                    "to": to.to_rfc3339(),
                    "filter": filter.to_string(),
                    "timezone": state.config().timezone.name(),
                },
                "total": total,
                "by_category": by_category.iter().map(|(code, n)| {
                    let c = cats.get(code);
                    json!({
                        "category": code,
                        "sv": c.map(|c| c.sv.as_str()),
                        "en": c.map(|c| c.en.as_str()),
                        "group": c.map(|c| c.group),
                        "count": n,
                    })
                }).collect::<Vec<_>>(),
                "hour_weekday": {
                    "rows": "weekday, Monday first",
                    "columns": "local hour 0-23",
                    "counts": hour_weekday.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                },
                "data_version": store.data_version()?,
            })))
        })
        .await
}
