//! `GET /api/profile`: what is behind one area or hex cell in a window — counts per
//! category and the hour-by-weekday pattern — for the map's details panel and the reports.
//!
//! `area=ID&layer=` or `cell=H3` (neither: the whole study area), plus the window and filter
//! parameters of every windowed endpoint. The library does the counting
//! ([`crate::analysis::hotspots::Analyzer::category_counts`] and `hour_weekday`); this
//! handler parses and encodes.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use chrono::Utc;
use h3o::CellIndex;
use serde_json::{Value, json};

use super::auth::{Access, Routes};
use super::params::{QueryMap, WINDOW_FILTER, check_layer, default_layer};
use super::{ApiError, AppState};
use crate::analysis::hotspots::SeriesUnit;

type Params = Query<Vec<(String, String)>>;

/// The profile route.
pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/profile", profile)
}

async fn profile(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let view = access.view(state.auth().settings());
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
                    view.check_cell(cell)?;
                    (SeriesUnit::Cell(cell), json!({ "cell": cell.to_string() }))
                }
                (None, None) => (SeriesUnit::All, json!({ "all": true })),
            };
            let wf = q.window_filter();
            let window = view.window(
                wf.window(state.config(), Utc::now())?,
                state.config().timezone,
            );
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
            let mut doc = json!({
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
            });
            if let Some(s) = view.suppression() {
                suppress_profile(&mut doc, s);
            }
            Ok(Json(doc))
        })
        .await
}

/// Publishes the category list (hidden or rounded, each on its own), the hour-by-weekday
/// grid the same way, and the total from the published categories.
fn suppress_profile(doc: &mut Value, s: crate::access::suppress::Suppression) {
    let mut total = None;
    if let Some(list) = doc["by_category"].as_array_mut() {
        let mut maps: Vec<_> = list.iter_mut().filter_map(Value::as_object_mut).collect();
        total = super::publish::units(&s, &mut maps, 1).1;
    }
    if let Some(rows) = doc["hour_weekday"]["counts"].as_array_mut() {
        super::publish::grid(&s, rows);
    }
    doc["total"] = serde_json::json!(total);
}
