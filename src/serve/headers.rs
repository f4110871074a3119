//! Security headers on every response, and CORS only where it belongs.
//!
//! Every response (HTML pages, scripts, styles, JSON, tiles) gets a Content-Security-Policy
//! without inline scripts, `X-Content-Type-Options: nosniff`, frame protection
//! (`frame-ancestors 'none'` and `X-Frame-Options: DENY`) and `Referrer-Policy:
//! same-origin`. Cross-origin reads (CORS, set by `tower_http`'s layer outside this one) are
//! kept only on the public read API — GET of aggregates, tiles, OGC, reports — and stripped
//! from sign-in, session, incident and write routes, preflights included, so a foreign page
//! can never read or drive them.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy. Scripts only from this origin (no inline scripts or
/// handlers); inline `style` attributes stay allowed (the printable reports colour table
/// cells with them); MapLibre needs `blob:` workers and `data:`/`blob:` images.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; \
font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether a cross-origin GET may read `path`: the public read API only.
pub fn cors_allowed(method: &Method, path: &str) -> bool {
    if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    const EXACT: [&str; 9] = [
        "/api",
        "/health",
        "/api/config",
        "/api/layers",
        "/api/categories",
        "/api/areas",
        "/api/hexes",
        "/api/hotspots",
        "/api/timeseries",
    ];
    if EXACT.contains(&path) || path == "/api/profile" {
        return true;
    }
    if path.starts_with("/api/reports/") {
        return !path.ends_with("/notes");
    }
    path.starts_with("/tiles/") || path == "/ogc" || path.starts_with("/ogc/")
}

/// Refuses a request body sent with a `Content-Encoding` other than `identity` (415):
/// the server does not decompress request bodies, and must not store compressed bytes
/// as if they were text.
pub async fn refuse_encoded_bodies(req: Request, next: Next) -> Response {
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        let enc = enc.to_str().unwrap_or("?").trim().to_ascii_lowercase();
        if !enc.is_empty() && enc != "identity" {
            let body = serde_json::json!({
                "error": format!(
                    "Content-Encoding {enc:?} is not supported for request bodies; send the body uncompressed (no Content-Encoding header)"
                ),
                "error_sv": format!(
                    "Content-Encoding {enc:?} stöds inte för begäransdata; skicka innehållet okomprimerat (utan Content-Encoding)"
                ),
                "status": 415,
            });
            return (
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                axum::Json(body),
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Adds the security headers; removes CORS headers outside the public read API.
pub async fn security_headers(req: Request, next: Next) -> Response {
    // A preflight asks about the method it will send, not OPTIONS.
    let method = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| Method::from_bytes(v.as_bytes()).ok())
        .unwrap_or_else(|| req.method().clone());
    let cors = cors_allowed(&method, req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !cors {
        let names: Vec<HeaderName> = h
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for k in names {
            h.remove(k);
        }
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_only_on_public_reads() {
        assert!(cors_allowed(&Method::GET, "/api/areas"));
        assert!(cors_allowed(&Method::GET, "/tiles/hexes/10/1/2.mvt"));
        assert!(cors_allowed(&Method::GET, "/ogc/collections"));
        assert!(cors_allowed(&Method::GET, "/api/reports/week/2026-W47"));
        assert!(!cors_allowed(
            &Method::GET,
            "/api/reports/week/2026-W47/notes"
        ));
        assert!(!cors_allowed(&Method::POST, "/api/login"));
        assert!(!cors_allowed(&Method::GET, "/api/login"));
        assert!(!cors_allowed(&Method::POST, "/api/logout"));
        assert!(!cors_allowed(&Method::GET, "/api/me"));
        assert!(!cors_allowed(&Method::GET, "/api/incidents"));
        assert!(!cors_allowed(&Method::POST, "/api/incidents"));
        assert!(!cors_allowed(&Method::GET, "/api/my/incidents"));
        assert!(!cors_allowed(&Method::GET, "/api/interventions"));
        assert!(!cors_allowed(&Method::GET, "/"));
    }
}
