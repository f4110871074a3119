//! Import profiles over HTTP: `GET/POST /api/profiles`, `GET/DELETE /api/profiles/{name}`;
//! `POST /api/incidents?profile=NAME` reads a file with one (see `api.rs`). And deletion
//! for admins: `DELETE /api/batches/{id}` undoes an import, `POST /api/incidents/delete`
//! (`{"partner", "before"?, "ids"?}`) removes a partner's incidents.
//!
//! Reporters and analysts see and change their own partner's profiles; admins all. Bodies
//! are JSON ([`ImportProfile`]: `name`, `partner`, `map`, optional `date_format`,
//! `decimal`, `crs`, `encoding`), at most [`MAX_PROFILE_BODY_BYTES`]. Changes are audited
//! in their own transaction.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::auth::{Access, Routes};
use super::{ApiError, AppState};
use crate::access::Role;
use crate::access::tokens::TokenInfo;
use crate::ingest::ImportProfile;
use crate::pipeline::{self, PipelineError};

/// The largest profile body, bytes.
pub const MAX_PROFILE_BODY_BYTES: usize = 16 << 10;

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/profiles", list)
        .post("/api/profiles", put)
        .get("/api/profiles/{name}", show)
        .delete("/api/profiles/{name}", remove)
        .delete("/api/batches/{id}", delete_batch)
        .post("/api/incidents/delete", delete_incidents)
}

async fn delete_batch(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let batch = id.parse::<i64>().ok().filter(|b| *b > 0).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "id: {:?} is not a batch number (a positive whole number)",
            id.chars().take(40).collect::<String>()
        ))
    })?;
    let entry = access.audit("incidents.delete", &format!("batch {batch}"), 0);
    let report = state
        .blocking(move |store, _| {
            pipeline::delete_incidents(store, &crate::store::Deletion::Batch(batch), &entry)
                .map_err(|e| match e {
                    PipelineError::Store(s) => ApiError::from(s),
                    other => ApiError::NotFound(other.to_string()),
                })
        })
        .await?;
    state.refresh_version();
    Ok(Json(report).into_response())
}

/// The body of `POST /api/incidents/delete`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    partner: String,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    ids: Option<Vec<String>>,
}

async fn delete_incidents(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body =
        body.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {}", e.body_text())))?;
    if body.len() > 4 << 20 {
        return Err(ApiError::TooLarge(
            "the body is larger than 4 MiB; delete in parts".into(),
        ));
    }
    let b: DeleteBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be {{\"partner\": P, \"before\"?: RFC 3339, \"ids\"?: [..]}}: {e}"
        ))
    })?;
    let partner = crate::model::Partner::parse(&b.partner)
        .map_err(|e| ApiError::BadRequest(format!("partner: {e}")))?;
    let before = b
        .before
        .as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::BadRequest(format!(
                        "before: {:?} is not an RFC 3339 time",
                        t.chars().take(40).collect::<String>()
                    ))
                })
        })
        .transpose()?;
    if b.before.is_some() && b.ids.is_some() {
        return Err(ApiError::BadRequest("give before or ids, not both".into()));
    }
    if b.ids.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::BadRequest(
            "ids: the list is empty; nothing was deleted".into(),
        ));
    }
    let target = match (&b.before, &b.ids) {
        (Some(t), _) => format!("partner {partner} before {t}"),
        (None, Some(ids)) => format!("partner {partner}, {} id(s)", ids.len()),
        (None, None) => format!("partner {partner}"),
    };
    let entry = access.audit("incidents.delete", &target, 0);
    let report = state
        .blocking(move |store, _| {
            let ids = b.ids.unwrap_or_default();
            let what = if ids.is_empty() {
                crate::store::Deletion::Partner {
                    partner: partner.as_str(),
                    before,
                }
            } else {
                crate::store::Deletion::Ids {
                    partner: partner.as_str(),
                    ids: &ids,
                }
            };
            pipeline::delete_incidents(store, &what, &entry).map_err(|e| match e {
                PipelineError::Store(s) => ApiError::from(s),
                other => ApiError::BadRequest(other.to_string()),
            })
        })
        .await?;
    state.refresh_version();
    Ok(Json(report).into_response())
}

fn signed(access: &Access) -> Result<TokenInfo, ApiError> {
    access
        .token()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("sign in to manage import profiles".into()))
}

fn may_use(token: &TokenInfo, partner: &str) -> bool {
    token.role == Role::Admin || token.partner == partner
}

fn pipeline_error(e: PipelineError) -> ApiError {
    match e {
        PipelineError::Store(s) => ApiError::from(s),
        PipelineError::Profile(m) if m.contains("there is no import profile") => {
            ApiError::NotFound(m)
        }
        other => ApiError::BadRequest(format!("nothing was stored: {other}")),
    }
}

async fn list(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
) -> Result<Response, ApiError> {
    let token = signed(&access)?;
    let list = state
        .blocking(move |store, _| Ok(store.profiles()?))
        .await?;
    let mine: Vec<ImportProfile> = list
        .into_iter()
        .filter(|p| may_use(&token, &p.partner))
        .collect();
    Ok(Json(mine).into_response())
}

async fn show(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let token = signed(&access)?;
    let p = state
        .blocking(move |store, _| pipeline::load_profile(store, &name).map_err(pipeline_error))
        .await?;
    if !may_use(&token, &p.partner) {
        return Err(ApiError::Forbidden(format!(
            "the import profile {:?} belongs to partner {}; a {} token of {} sees its own partner's profiles only",
            p.name, p.partner, token.role, token.partner
        )));
    }
    Ok(Json(p).into_response())
}

async fn put(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = signed(&access)?;
    let too_large = || {
        ApiError::TooLarge(format!(
            "the profile is larger than {} KiB / profilen är för stor",
            MAX_PROFILE_BODY_BYTES >> 10
        ))
    };
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
        }
    })?;
    if body.len() > MAX_PROFILE_BODY_BYTES {
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
            "Content-Type {content_type:?}: send the profile as application/json"
        )));
    }
    let profile: ImportProfile = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not a valid import profile ({{\"name\", \"partner\", \"map\": \"id=Händelsenummer,...\"}}): {e} / ogiltig importprofil"
        ))
    })?;
    if !may_use(&token, &profile.partner) {
        return Err(ApiError::Forbidden(format!(
            "partner: a {} token of {} makes profiles for {} only",
            token.role, token.partner, token.partner
        )));
    }
    let entry = access
        .audit("profile.put", &format!("/api/profiles/{}", profile.name), 1)
        .with_detail(serde_json::to_string(&profile).unwrap_or_default());
    let saved = profile.clone();
    state
        .blocking(move |store, _| {
            if crate::access::partner(store, &profile.partner)?.is_none() {
                return Err(ApiError::BadRequest(format!(
                    "partner: {:?} is not a configured partner; an administrator adds it with `lagesbild partner add {} --name NAME` / {:?} är ingen inlagd partner",
                    profile.partner, profile.partner, profile.partner
                )));
            }
            pipeline::put_profile(store, &profile, &entry).map_err(pipeline_error)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let token = signed(&access)?;
    let entry = access.audit("profile.delete", &format!("/api/profiles/{name}"), 1);
    state
        .blocking(move |store, _| {
            let p = pipeline::load_profile(store, &name).map_err(pipeline_error)?;
            if !may_use(&token, &p.partner) {
                return Err(ApiError::Forbidden(format!(
                    "the import profile {:?} belongs to partner {}; a {} token of {} deletes its own partner's profiles only",
                    p.name, p.partner, token.role, token.partner
                )));
            }
            store.delete_profile(&name, &entry)?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
