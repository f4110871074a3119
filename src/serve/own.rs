//! A partner's own recent reports, for the report form: `GET /api/my/incidents` lists them,
//! `PUT /api/my/incidents/{id}` corrects one (a GeoJSON Feature with the new content,
//! validated like an ingest). Every read and every correction is audited.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use serde_json::{Value, json};

use super::auth::{Access, Routes};
use super::geojson_out::incident_feature;
use super::params::QueryMap;
use super::{ApiError, AppState};
use crate::access::audit;
use crate::model::Partner;
use crate::pipeline::{self, PipelineError};

/// The most reports listed.
pub const RECENT_MAX: usize = 200;
/// The largest correction body.
pub const CORRECTION_MAX_BYTES: usize = 64 << 10;

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/my/incidents", recent)
        .put("/api/my/incidents/{id}", correct)
}

async fn recent(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let mut q = QueryMap::new(pairs);
    let limit = q
        .parse("limit", &format!("a whole number 1..={RECENT_MAX}"), |s| {
            s.parse::<usize>()
                .ok()
                .filter(|n| (1..=RECENT_MAX).contains(n))
        })?
        .unwrap_or(20);
    q.finish(&["limit"])?;
    let token = access
        .token()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("sign in to see your reports".into()))?;
    let body = state
        .blocking(move |store, _| {
            let list = store.recent_incidents(&token.partner, limit)?;
            audit::append(
                store,
                &access.audit("incidents.read", "GET /api/my/incidents", list.len() as i64),
            )?;
            Ok(json!({
                "type": "FeatureCollection",
                "partner": token.partner,
                "features": list.iter().map(incident_feature).collect::<Vec<Value>>(),
            }))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body.to_string(),
    )
        .into_response())
}

async fn correct(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = access
        .token()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("sign in to correct your reports".into()))?;
    super::session::ingest_allowed(&state, token.id).await?;
    let body =
        body.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {}", e.body_text())))?;
    if body.len() > CORRECTION_MAX_BYTES {
        return Err(ApiError::TooLarge(format!(
            "a correction is at most {} KiB",
            CORRECTION_MAX_BYTES >> 10
        )));
    }
    let feature: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let partner = Partner::parse(&token.partner).map_err(ApiError::Internal)?;
    let done = state
        .blocking(move |store, state| {
            let entry = access.audit(
                "incident.correct",
                &format!("PUT /api/my/incidents/{id}"),
                1,
            );
            let c = pipeline::correct_incident(
                store,
                state.config(),
                &partner,
                &id,
                feature,
                Utc::now(),
                Some(&entry),
            )
            .map_err(|e| match e {
                PipelineError::Store(s) => ApiError::from(s),
                PipelineError::Correction(m) if m.contains("has no incident") => {
                    ApiError::NotFound(m)
                }
                other => ApiError::BadRequest(other.to_string()),
            })?;
            Ok(c)
        })
        .await?;
    state.refresh_version();
    Ok(Json(json!({
        "before": incident_feature(&done.before),
        "after": incident_feature(&done.after),
        "data_version": done.data_version,
    }))
    .into_response())
}
