//! The interventions register over HTTP: `GET/POST /api/interventions`,
//! `GET/PUT/DELETE /api/interventions/{id}` and `GET /api/interventions/{id}/followup`.
//!
//! Thin handlers: parse the body or query, call the store or `analysis::followup` on the
//! blocking pool, encode JSON. Bodies are JSON ([`InterventionInput`]), at most
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
use crate::intervention::{InterventionId, InterventionInput, parse_day};

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

/// The JSON body as an [`InterventionInput`]: JSON content type, size limit, syntax.
fn parse_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<InterventionInput, ApiError> {
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
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not a valid intervention: {e}")))
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "the body is larger than {} KiB; simplify the polygon or use fewer hexes",
        MAX_INTERVENTION_BODY_BYTES >> 10
    ))
}

async fn list(
    State(state): State<AppState>,
    q: Result<Params, QueryRejection>,
) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    let from = q.take("from");
    let to = q.take("to");
    q.finish(&["from", "to"])?;
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
        .blocking(move |store, _| {
            let list = match range {
                Some((f, t)) => store.interventions_overlapping(f, t)?,
                None => store.interventions()?,
            };
            Ok(axum::Json(json!({
                "interventions": list,
                "interventions_version": store.interventions_version()?,
            }))
            .into_response())
        })
        .await
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let spec = parse_body(&headers, body)?.validate()?;
    state
        .blocking(move |store, _| {
            let stored = store.add_intervention(&spec)?;
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
    let spec = parse_body(&headers, body)?.validate()?;
    state
        .blocking(move |store, _| {
            let i = store
                .update_intervention(id, &spec)?
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
