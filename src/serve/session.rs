//! Sign-in sessions and rate limits, kept in the database so that several servers on one
//! database share them: a session made through one server works through another, a logout
//! ends it everywhere, and the login and upload limits count requests to all of them.
//!
//! A session is looked up in the database at most once per [`CREDENTIAL_TTL`] per server
//! (a signed-in tile request is answered without a database round trip); a logout through
//! another server therefore takes effect here within that time.
//!
//! Rate limits count requests in fixed one-minute windows (`count_request`): at most the
//! limit per window, so a burst at a window's edge may see up to twice the limit within 60
//! seconds. The answer is 429 with `Retry-After` = the seconds to the next window.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::auth::{Access, CREDENTIAL_TTL, Routes};
use super::{ApiError, AppState};
use crate::access::tokens;
use crate::model::access::SessionRecord;
use crate::store::Store;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lagesbild_session";
/// The CSRF header for cookie-authenticated state changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The login routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/login", login)
        .post("/api/logout", logout)
        .get("/api/me", me)
}

fn session_key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The value of cookie `name`, if the request sent it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The live session of cookie value `id`: from this server's short cache, else from the
/// database. Runs the database call outside the async workers.
pub(crate) fn lookup(state: &AppState, id: &str) -> Result<Option<SessionRecord>, ApiError> {
    let key = session_key(id);
    let now = Utc::now();
    {
        let v = state.auth().verified();
        if let Some((s, at)) = v.sessions.get(&key)
            && at.elapsed() < CREDENTIAL_TTL
            && s.expires_at > now
        {
            return Ok(Some(s.clone()));
        }
    }
    let store = super::outside_async(|| state.store())?;
    let found = super::outside_async(|| store.session(&key, now)).map_err(ApiError::from)?;
    let mut v = state.auth().verified();
    match &found {
        Some(s) => {
            v.make_room();
            v.sessions.insert(key, (s.clone(), Instant::now()));
        }
        None => {
            v.sessions.remove(&key);
        }
    }
    Ok(found)
}

/// Counts one request of `key` against `per_minute` in the shared window: `Ok`, or the
/// seconds until the next window.
fn within_rate(store: &Store, key: &str, per_minute: u32) -> Result<Result<(), u64>, ApiError> {
    let now = Utc::now().timestamp();
    let start = now - now.rem_euclid(60);
    let n = store.count_request(key, start).map_err(ApiError::from)?;
    Ok(if n > i64::from(per_minute.max(1)) {
        Err((start + 60 - now).max(1) as u64)
    } else {
        Ok(())
    })
}

/// Checks (and counts) an upload or correction of a token: at most
/// `ingest_per_minute` a minute across all servers.
pub(crate) async fn ingest_allowed(state: &AppState, token_id: i64) -> Result<(), ApiError> {
    let per_minute = state.auth().settings().ingest_per_minute;
    state
        .blocking(move |store, _| within_rate(store, &format!("ingest:token:{token_id}"), per_minute))
        .await?
        .map_err(|secs| {
            ApiError::TooMany(
                format!(
                    "too many uploads with this token; at most {per_minute} per minute / för många uppladdningar med denna token; högst {per_minute} per minut"
                ),
                secs,
            )
        })
}

/// The client address for login limits, when the server knows it.
fn client_ip(req_ext: Option<&ConnectInfo<SocketAddr>>) -> Option<IpAddr> {
    req_ext.map(|c| c.0.ip())
}

/// Whether the request came over HTTPS (directly or through a proxy that says so).
fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.auth().settings().secure_cookies
        || state.base_url().is_some_and(|b| b.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// `POST /api/login` with `{"token": "..."}`: stores a session (with its audit entry), sets
/// the session cookie and returns `{partner, role, csrf_token}`.
pub(crate) async fn login(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ip = client_ip(connect.as_ref().map(|c| &c.0));
    let per_minute = state.auth().settings().login_per_minute;
    let key = match ip {
        Some(ip) => format!("login:{ip}"),
        None => "login:unknown".to_owned(),
    };
    state
        .blocking(move |store, _| within_rate(store, &key, per_minute))
        .await?
        .map_err(|secs| {
            ApiError::TooMany(
                format!(
                    "too many login attempts from this address; at most {per_minute} per minute / för många inloggningsförsök från denna adress; högst {per_minute} per minut"
                ),
                secs,
            )
        })?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::BadRequest(
            "send the token as JSON: Content-Type application/json, body {\"token\": \"...\"}"
                .into(),
        ));
    }
    if body.len() > 4096 {
        return Err(ApiError::TooLarge("a login body is at most 4 KiB".into()));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let token = v
        .get("token")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("field token: missing or not a string".into()))?
        .to_owned();
    let id = random_hex(32);
    let csrf = random_hex(32);
    let ttl = state.auth().settings().session_ttl;
    let now = Utc::now();
    let session = SessionRecord {
        key: session_key(&id),
        token_id: 0,
        csrf: csrf.clone(),
        created_at: now,
        expires_at: now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12)),
    };
    let info = state
        .blocking(move |store, _| {
            let Some(info) = tokens::verify(store, &token, now)
                .map_err(|e| ApiError::Internal(e.to_string()))?
            else {
                return Ok(None);
            };
            let entry = Access::Token(info.clone()).audit("login", "/api/login", 0);
            let session = SessionRecord {
                token_id: info.id,
                ..session
            };
            store
                .create_session(&session, &entry)
                .map_err(ApiError::from)?;
            Ok(Some(info))
        })
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the token is not valid (unknown, expired or revoked)".into())
        })?;
    let secure = if is_https(&state, &headers) {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        ttl.as_secs()
    );
    let mut h = HeaderMap::new();
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((
        h,
        Json(json!({ "partner": info.partner, "role": info.role, "csrf_token": csrf })),
    )
        .into_response())
}

/// `POST /api/logout`: ends the session (for every server) and clears the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        let key = session_key(&id);
        state.auth().verified().sessions.remove(&key);
        state
            .blocking(move |store, _| store.end_session(&key, Utc::now()).map_err(ApiError::from))
            .await?;
    }
    let secure = if is_https(&state, &headers) {
        "; Secure"
    } else {
        ""
    };
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        h.insert(header::SET_COOKIE, v);
    }
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

/// `GET /api/me`: `{partner, role, csrf_token}` (the CSRF token only for sessions).
pub(crate) async fn me(
    State(state): State<AppState>,
    axum::Extension(access): axum::Extension<Access>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let t = access
        .token()
        .ok_or_else(|| ApiError::Unauthorized("not signed in".into()))?;
    let csrf = match cookie(&headers, SESSION_COOKIE) {
        Some(id) => lookup(&state, &id)?.map(|s| s.csrf),
        None => None,
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "partner": t.partner,
            "role": t.role,
            "expires_at": t.expires_at,
            "csrf_token": csrf,
        })),
    )
        .into_response())
}
