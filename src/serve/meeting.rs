//! The meeting view's pages: `/meeting/week/{YYYY-Www}`, `/meeting/tertial/{YYYY-Tn}` and
//! `/meeting/quarter/{YYYY-Qn}` answer the web app's `meeting.html`, which reads the
//! report, the notes and the actions through the API and renders them in the order a
//! meeting runs (`web/app/meeting.js`; docs/meeting.md).
//!
//! The period is checked here, so a link to a week or tertial that does not exist
//! (2026-W54, 2026-T4, 2026-Q5) answers 400 naming it: a short bilingual HTML page for a
//! browser, JSON `{"error", "status"}` for a client that asks for JSON.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Routes;
use super::{ApiError, AppState};
use crate::report::{parse_quarter_id, parse_tertial_id, parse_week_id};

/// The routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/meeting/week/{id}", week)
        .get("/meeting/tertial/{id}", tertial)
        .get("/meeting/quarter/{id}", quarter)
}

async fn week(s: State<AppState>, id: Path<String>, headers: HeaderMap) -> Response {
    meeting(s, id, headers, "week").await
}

async fn tertial(s: State<AppState>, id: Path<String>, headers: HeaderMap) -> Response {
    meeting(s, id, headers, "tertial").await
}

async fn quarter(s: State<AppState>, id: Path<String>, headers: HeaderMap) -> Response {
    meeting(s, id, headers, "quarter").await
}

async fn meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    kind: &str,
) -> Response {
    let checked = match kind {
        "week" => parse_week_id(&id),
        "tertial" => parse_tertial_id(&id),
        _ => parse_quarter_id(&id),
    };
    match checked {
        Ok(_) => super::web::page(&state, "meeting.html", &headers).await,
        Err(e) => refusal(kind, &e.to_string(), &headers),
    }
}

/// The 400 answer for a period that does not exist: JSON when asked for, else a page.
fn refusal(kind: &str, reason: &str, headers: &HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    let example = match kind {
        "week" => "/meeting/week/2026-W49",
        "tertial" => "/meeting/tertial/2026-T3",
        _ => "/meeting/quarter/2026-Q4",
    };
    let message = format!("period: {reason}; open e.g. {example}");
    if wants_json {
        return ApiError::BadRequest(message).into_response();
    }
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let body = format!(
        "<!doctype html><html lang=\"sv\"><meta charset=\"utf-8\"><title>Lägesbild – okänd period / unknown period</title>\
         <h1>Perioden finns inte / The period does not exist</h1>\
         <p lang=\"sv\">Mötesvyn behöver en vecka (2026-W49), en tertial (2026-T3) eller ett kvartal (2026-Q4).</p>\
         <p lang=\"en\">{}</p><p><a href=\"{example}\">{example}</a> · <a href=\"/\">Kartan / The map</a></p></html>",
        esc(&message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}
