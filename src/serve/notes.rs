//! Meeting notes with history over HTTP: `GET`/`PUT /api/reports/{week|tertial|quarter}/{id}/notes`.
//!
//! - `PUT` takes today's `{"notes": "..."}` (or `text/plain`), the meeting notes, and
//!   `{"section": "notes"|"decisions"|"partner", "text": "..."}`; partner input is filed
//!   under the writer's partner. Every save is kept as a version with its author (the
//!   token's label, or its partner) and time, with an audit entry in the same transaction;
//!   nothing is overwritten. A text above 64 KiB is refused with 413 naming the field.
//! - `GET` answers today's `notes` and `updated_at`, the current text per section
//!   (`sections`) and every version (`versions`, newest first). Roles that may not read
//!   notes (reporters, viewers, the public) get `restricted: true` and whether notes
//!   exist, never "no notes".
//!
//! Both take `layer=` and `region=` (the scope of the notes).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::auth::{Access, Routes};
use super::params::QueryMap;
use super::reports::{Kind, QueryResult, parse_id, query};
use super::{ApiError, AppState};
use crate::report::check_notes;
use crate::report::notes::{CurrentNotes, NoteSection, too_large};
use crate::store::{NoteVersion, Store};

/// The largest notes body accepted, in bytes (the text limit is 64 KiB; JSON escaping may
/// make the body longer).
pub const MAX_NOTES_BODY: usize = 512 << 10;

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/reports/week/{id}/notes", week_notes)
        .put("/api/reports/week/{id}/notes", put_week_notes)
        .get("/api/reports/tertial/{id}/notes", tertial_notes)
        .put("/api/reports/tertial/{id}/notes", put_tertial_notes)
        .get("/api/reports/quarter/{id}/notes", quarter_notes)
        .put("/api/reports/quarter/{id}/notes", put_quarter_notes)
}

/// The notes scope key from `region=` (and `layer=`, which only checks), resolved against
/// the loaded layers so that `norra` and `regions:norra` share notes.
fn notes_scope(store: &Store, state: &AppState, q: &mut QueryMap) -> Result<String, ApiError> {
    let layer = q.take("layer");
    let region = q.take("region");
    q.take("lang");
    let analyzer = state.analysis().analyzer(store)?;
    let scope = crate::report::scope::Scope::resolve(
        analyzer.table(),
        layer.as_deref(),
        region.as_deref(),
    )?;
    Ok(scope.key())
}

/// Whether `access` may read the notes' text (free text may name people).
fn may_read(access: &Access) -> bool {
    access.role().is_some_and(|r| r.sees_full_aggregates())
}

/// The answer for `report` and `scope`, as `access` may see it.
fn answer(store: &Store, report: &str, scope: &str, access: &Access) -> Result<Value, ApiError> {
    let current = store.report_notes(report, scope)?;
    let versions = store.report_note_versions(report, scope)?;
    if !may_read(access) {
        return Ok(json!({
            "report": report,
            "scope": scope,
            "restricted": true,
            "exists": !versions.is_empty(),
            "notes": Value::Null,
            "message": if versions.is_empty() {
                "no notes are saved for this period; only analysts and admins read them / inga anteckningar sparade; bara analytiker och administratörer läser dem"
            } else {
                "notes exist for this period, but your role may not read them; ask an analyst / det finns anteckningar för perioden, men din roll får inte läsa dem; fråga en analytiker"
            },
        }));
    }
    let sections = CurrentNotes::from_versions(&versions);
    Ok(json!({
        "report": report,
        "scope": scope,
        "restricted": false,
        "exists": !versions.is_empty(),
        "notes": current.as_ref().map(|n| n.text.clone()),
        "updated_at": current.map(|n| n.updated_at),
        "sections": sections,
        "versions": versions,
    }))
}

async fn notes(
    state: AppState,
    access: Access,
    kind: Kind,
    id: String,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    let window = parse_id(kind, &id)?;
    state
        .blocking(move |store, state| {
            let scope = notes_scope(store, state, &mut q)?;
            q.finish(&["layer", "region"])?;
            Ok(axum::Json(answer(store, &window.to_string(), &scope, &access)?).into_response())
        })
        .await
}

/// The section and text of a `PUT` body.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<(NoteSection, String), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bad = || {
        ApiError::BadRequest(
            "body: give {\"notes\": \"text\"} or {\"section\": \"notes\"|\"decisions\"|\"partner\", \"text\": \"...\"} (the text a string; \"\" or null clears)".into(),
        )
    };
    let text_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) | None => Ok(String::new()),
        _ => Err(bad()),
    };
    match content_type.as_str() {
        "application/json" => {
            let v: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::BadRequest(format!("body: not JSON: {e}")))?;
            let map = v.as_object().ok_or_else(bad)?;
            if let Some(k) = map
                .keys()
                .find(|k| !["notes", "section", "text"].contains(&k.as_str()))
            {
                return Err(ApiError::BadRequest(format!(
                    "body: unknown field {:?}; give notes, or section and text",
                    k.chars().take(40).collect::<String>()
                )));
            }
            match (map.get("notes"), map.get("section")) {
                (Some(n), None) if !map.contains_key("text") => {
                    Ok((NoteSection::Notes, text_of(Some(n))?))
                }
                (None, Some(Value::String(section))) => {
                    let section = NoteSection::parse(section)?;
                    let text = text_of(map.get("text"))?;
                    Ok((section, text))
                }
                _ => Err(bad()),
            }
        }
        "text/plain" | "" => {
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::BadRequest("body: notes must be UTF-8 text".into()))?;
            Ok((NoteSection::Notes, text))
        }
        other => Err(ApiError::BadRequest(format!(
            "Content-Type {other:?} is not accepted for notes; send text/plain or application/json"
        ))),
    }
}

async fn put_notes(
    state: AppState,
    access: Access,
    kind: Kind,
    id: String,
    q: QueryResult,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
    })?;
    if body.len() > MAX_NOTES_BODY {
        return Err(ApiError::TooLarge(format!(
            "text: the notes body is {} bytes; at most 64 KiB of text are kept per save",
            body.len()
        )));
    }
    let mut q = query(q)?;
    let window = parse_id(kind, &id)?;
    let (section, text) = parse_body(&headers, &body)?;
    let field = if section == NoteSection::Notes && !text.is_empty() {
        "notes"
    } else {
        "text"
    };
    if let Some(m) = too_large(&text, field) {
        return Err(ApiError::TooLarge(m));
    }
    let text = check_notes(&text)?;
    let token = access
        .token()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("sign in to write notes".into()))?;
    state
        .blocking(move |store, state| {
            let scope = notes_scope(store, state, &mut q)?;
            q.finish(&["layer", "region"])?;
            let report = window.to_string();
            let version = NoteVersion {
                section: section.as_str().to_owned(),
                partner: token.partner.clone(),
                author: if token.label.trim().is_empty() {
                    token.partner.clone()
                } else {
                    token.label.clone()
                },
                saved_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                text,
            };
            let audit = access
                .audit("notes.save", &format!("/api/reports/{report}/notes"), 1)
                .with_detail(format!(
                    "section={} scope={scope} bytes={}",
                    version.section,
                    version.text.len()
                ));
            store.save_report_note(&report, &scope, &version, &audit)?;
            Ok(axum::Json(answer(store, &report, &scope, &access)?).into_response())
        })
        .await
}

async fn week_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    notes(s, access, Kind::Week, id, q).await
}

async fn tertial_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    notes(s, access, Kind::Tertial, id, q).await
}

async fn quarter_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
) -> Result<Response, ApiError> {
    notes(s, access, Kind::Quarter, id, q).await
}

async fn put_week_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    put_notes(s, access, Kind::Week, id, q, headers, body).await
}

async fn put_tertial_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    put_notes(s, access, Kind::Tertial, id, q, headers, body).await
}

async fn put_quarter_notes(
    State(s): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    q: QueryResult,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    put_notes(s, access, Kind::Quarter, id, q, headers, body).await
}
