//! The interventions register (the partnership's actions) over HTTP:
//! `GET/POST /api/interventions`, `GET/PUT/DELETE /api/interventions/{id}`,
//! `POST /api/interventions/{id}/close` and `GET /api/interventions/{id}/followup`.
//!
//! Thin handlers: parse the body or query, call the store or `analysis::followup` on the
//! blocking pool, encode JSON. Bodies are JSON ([`ActionInput`], [`CloseInput`]), at most
//! [`MAX_INTERVENTION_BODY_BYTES`]; every refusal is a 4xx naming the field.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Routes;
use super::params::QueryMap;
use super::{ApiError, AppState};
use crate::analysis::followup::{AfterWindow, Control, FollowupOptions, followup};
use crate::analysis::window::TimeWindow;
use crate::intervention::{
    ActionInput, ActionStatus, CloseInput, Intervention, InterventionId, InterventionKind,
    local_days, parse_day,
};

/// The largest intervention body, bytes (a drawn polygon of [`crate::intervention::MAX_POLYGON_VERTICES`]
/// vertices fits).
pub const MAX_INTERVENTION_BODY_BYTES: usize = 1 << 20;

type Params = Query<Vec<(String, String)>>;

/// The routes.
pub(crate) fn routes() -> Routes {
    // Bodies are limited to MAX_INTERVENTION_BODY_BYTES by the handlers themselves.
    Routes::new()
        .get("/api/interventions", list)
        .post("/api/interventions", create)
        .get("/api/interventions/{id}", show)
        .put("/api/interventions/{id}", replace)
        .delete("/api/interventions/{id}", remove)
        .post("/api/interventions/{id}/close", close)
        .get("/api/interventions/{id}/followup", follow_up)
}

fn query(q: Result<Params, QueryRejection>) -> Result<QueryMap, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    Ok(QueryMap::new(pairs))
}

fn parse_id(raw: &str) -> Result<InterventionId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|&i| i > 0)
        .map(InterventionId)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "id: {:?} is not an intervention id (a positive whole number)",
                raw.chars().take(40).collect::<String>()
            ))
        })
}

fn not_found(id: InterventionId) -> ApiError {
    ApiError::NotFound(format!(
        "there is no intervention {id}; GET /api/interventions lists them"
    ))
}

/// The JSON body as an [`ActionInput`]: JSON content type, size limit, syntax, known
/// fields.
fn parse_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ActionInput, ApiError> {
    let body = json_body(headers, body)?;
    Ok(ActionInput::from_json(&body)?)
}

/// A JSON body within the size limit.
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
        }
    })?;
    if body.len() > MAX_INTERVENTION_BODY_BYTES {
        return Err(too_large());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if content_type != "application/json" {
        return Err(ApiError::BadRequest(format!(
            "Content-Type {content_type:?}: send the intervention as application/json"
        )));
    }
    Ok(body)
}

/// Today in the deployment's time zone.
fn today(state: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&state.config().timezone)
        .date_naive()
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "the body is larger than {} KiB; simplify the polygon or use fewer hexes",
        MAX_INTERVENTION_BODY_BYTES >> 10
    ))
}

/// The list's filters: `status` (comma separated), `partner`, `kind`, `period` (a week,
/// tertial or quarter the action overlaps), `decided_at` (the meeting period it was
/// decided at), and `from`/`to` (days, together). `format=geojson` answers the actions'
/// outlines as a GeoJSON FeatureCollection for the map (properties: id, status, kind,
/// partner, responsible, goal, start, end).
const LIST_PARAMS: [&str; 8] = [
    "format",
    "from",
    "to",
    "status",
    "partner",
    "kind",
    "period",
    "decided_at",
];

async fn list(
    State(state): State<AppState>,
    q: Result<Params, QueryRejection>,
) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    let from = q.take("from");
    let to = q.take("to");
    let statuses = match q.take("status") {
        None => None,
        Some(list) => Some(
            list.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| ActionStatus::parse(s, "status"))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?,
        ),
    };
    let partner = q.take("partner");
    let kind = match q.take("kind") {
        None => None,
        Some(k) => Some(
            InterventionKind::parse_with(&k, &state.config().action_kinds)
                .map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?,
        ),
    };
    let tz = state.config().timezone;
    let period = match q.take("period") {
        None => None,
        Some(p) => {
            let canonical = crate::intervention::check_period(&p, "period")
                .map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?;
            let w = TimeWindow::parse_in(&canonical, tz)
                .map_err(|e| ApiError::BadRequest(format!("parameter period: {e}")))?;
            let (f, t) = w.bounds(tz);
            Some(local_days(f, t, tz))
        }
    };
    let decided_at = match q.take("decided_at") {
        None => None,
        Some(p) => Some(
            crate::intervention::check_period(&p, "decided_at")
                .map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?,
        ),
    };
    let geojson = match q.take("format").as_deref() {
        None | Some("json") => false,
        Some("geojson") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "parameter format: {:?} is not json or geojson",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    q.finish(&LIST_PARAMS)?;
    let range = match (from, to) {
        (None, None) => None,
        (Some(f), Some(t)) => {
            let f = parse_day(&f, "from")
                .map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?;
            let t =
                parse_day(&t, "to").map_err(|e| ApiError::BadRequest(format!("parameter {e}")))?;
            if t < f {
                return Err(ApiError::BadRequest(
                    "parameter to: it is before from".into(),
                ));
            }
            Some((f, t))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "parameters from and to (YYYY-MM-DD) go together".into(),
            ));
        }
    };
    state
        .blocking(move |store, state| {
            let list = match range.or(period) {
                Some((f, t)) => store.interventions_overlapping(f, t)?,
                None => store.interventions()?,
            };
            let keep = |i: &Intervention| {
                statuses
                    .as_ref()
                    .is_none_or(|s| s.contains(&i.action.status))
                    && partner
                        .as_ref()
                        .is_none_or(|p| i.spec.partner.as_str() == p.trim())
                    && kind.as_ref().is_none_or(|k| &i.spec.kind == k)
                    && period.is_none_or(|(f, t)| i.spec.overlaps(f, t))
                    && decided_at
                        .as_ref()
                        .is_none_or(|d| i.action.decided_at.as_ref() == Some(d))
            };
            let list: Vec<&Intervention> = list.iter().filter(|i| keep(i)).collect();
            if geojson {
                let analyzer = state.analysis().analyzer(store)?;
                let features: Vec<Value> = list
                    .iter()
                    .filter_map(|i| {
                        let g = crate::report::interventions::target_geometry(
                            &analyzer,
                            &i.spec.target,
                        )?;
                        Some(json!({
                            "type": "Feature",
                            "geometry": geojson::Geometry::from(&g),
                            "properties": {
                                "id": i.id, "status": i.action.status, "kind": i.spec.kind,
                                "partner": i.spec.partner.as_str(),
                                "responsible": i.action.responsible, "goal": i.action.goal,
                                "start": i.spec.start, "end": i.spec.end,
                            },
                        }))
                    })
                    .collect();
                return Ok(
                    axum::Json(json!({"type": "FeatureCollection", "features": features}))
                        .into_response(),
                );
            }
            Ok(axum::Json(json!({
                "interventions": list,
                "interventions_version": store.interventions_version()?,
                "kinds": kinds_json(state),
                "statuses": ActionStatus::ALL.map(|s| {
                    let (sv, en) = s.labels();
                    json!({ "code": s.as_str(), "sv": sv, "en": en })
                }),
            }))
            .into_response())
        })
        .await
}

/// The kinds an action may have: the built-in ones and the configured ones, with labels.
fn kinds_json(state: &AppState) -> Value {
    let mut out: Vec<Value> = InterventionKind::ALL
        .iter()
        .map(|k| {
            let (sv, en) = k.builtin_labels().unwrap_or(("", ""));
            json!({ "code": k.as_str(), "sv": sv, "en": en, "builtin": true })
        })
        .collect();
    out.extend(
        state
            .config()
            .action_kinds
            .iter()
            .map(|k| json!({ "code": k.code, "sv": k.sv, "en": k.en, "builtin": false })),
    );
    Value::Array(out)
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (spec, action) =
        parse_body(&headers, body)?.validate(&state.config().action_kinds, today(&state))?;
    state
        .blocking(move |store, _| {
            let stored = store.add_action(&spec, &action)?;
            let location = format!("/api/interventions/{}", stored.id);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                axum::Json(stored),
            )
                .into_response())
        })
        .await
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    state
        .blocking(move |store, _| {
            let i = store.intervention(id)?.ok_or_else(|| not_found(id))?;
            Ok(axum::Json(i).into_response())
        })
        .await
}

async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (spec, action) =
        parse_body(&headers, body)?.validate(&state.config().action_kinds, today(&state))?;
    state
        .blocking(move |store, _| {
            let i = store
                .update_action(id, &spec, Some(&action))?
                .ok_or_else(|| not_found(id))?;
            Ok(axum::Json(i).into_response())
        })
        .await
}

/// Closes an action: `{"status": "done"|"cancelled", "outcome": "...", "end": "YYYY-MM-DD"}`.
async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let body = json_body(&headers, body)?;
    let input: CloseInput = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body: {e}; send {{\"status\": \"done\"|\"cancelled\", \"outcome\": \"...\", \"end\": \"YYYY-MM-DD\"}}"
        ))
    })?;
    let today = today(&state);
    state
        .blocking(move |store, _| {
            let old = store.intervention(id)?.ok_or_else(|| not_found(id))?;
            let (mut spec, mut action) = (old.spec, old.action);
            input.apply(&mut spec, &mut action, today)?;
            let i = store
                .update_action(id, &spec, Some(&action))?
                .ok_or_else(|| not_found(id))?;
            Ok(axum::Json(i).into_response())
        })
        .await
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    state
        .blocking(move |store, _| {
            if store.delete_intervention(id)? {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(not_found(id))
            }
        })
        .await
}

/// The follow-up parameters: `buffer` (metres), `control` (`rest` or `LAYER:ID`), `after`
/// (`during` or `following`), `days`, `level`, and the incident filter.
pub const FOLLOWUP_PARAMS: [&str; 8] = [
    "buffer", "control", "after", "days", "level", "category", "group", "partner",
];

async fn follow_up(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Params, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let mut q = query(q)?;
    let mut opts = FollowupOptions::default();
    if let Some(b) = q.parse("buffer", "a width in metres (e.g. 400)", |s| {
        s.parse::<f64>().ok().filter(|b| b.is_finite())
    })? {
        opts.buffer_m = b;
    }
    if let Some(c) = q.take("control") {
        opts.control = parse_control(&c)?;
    }
    if let Some(a) = q.parse("after", "during or following", |s| match s {
        "during" => Some(AfterWindow::During),
        "following" => Some(AfterWindow::Following),
        _ => None,
    })? {
        opts.after = a;
    }
    opts.window_days = q.parse("days", "a whole number of days", |s| s.parse::<u32>().ok())?;
    if let Some(l) = q.parse("level", "a confidence level such as 0.95", |s| {
        s.parse::<f64>().ok().filter(|l| *l > 0.0 && *l < 1.0)
    })? {
        opts.level = l;
    }
    let wf = q.window_filter();
    q.finish(&FOLLOWUP_PARAMS)?;
    if wf.window.is_some() || wf.from.is_some() || wf.to.is_some() {
        return Err(ApiError::BadRequest(
            "window/from/to: the follow-up windows come from the intervention's days; use days= and after= instead".into(),
        ));
    }
    opts.filter = wf.filter(state.config())?;
    state
        .blocking(move |store, state| {
            let i = store.intervention(id)?.ok_or_else(|| not_found(id))?;
            let analyzer = state.analysis().analyzer(store)?;
            let f = followup(&analyzer, &i, &opts)?;
            let body: Value = json!({ "intervention": i, "followup": f });
            Ok(axum::Json(body).into_response())
        })
        .await
}

/// `rest` (the default) or `LAYER:ID`.
fn parse_control(s: &str) -> Result<Control, ApiError> {
    let s = s.trim();
    if s == "rest" {
        return Ok(Control::RestOfStudyArea);
    }
    match s.split_once(':') {
        Some((layer, id)) if !layer.is_empty() && !id.is_empty() => Ok(Control::Area {
            layer: layer.to_owned(),
            id: id.to_owned(),
        }),
        _ => Err(ApiError::BadRequest(format!(
            "parameter control: {:?} is not `rest` or `LAYER:ID` (e.g. districts:fittja)",
            s.chars().take(60).collect::<String>()
        ))),
    }
}
