//! Security headers on every HTML page and asset, CORS only on the public read API, and
//! request bodies with an unsupported `Content-Encoding` or an unknown partner refused.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use lagesbild::access::Role;
use lagesbild::config::Config;
use lagesbild::serve::auth::AuthSettings;
use lagesbild::serve::{AppState, router};

use crate::support::*;

fn state() -> AppState {
    AppState::with_auth(
        Config::with_db(demo_db().db()),
        None,
        AuthSettings {
            public: true,
            ..AuthSettings::default()
        },
    )
}

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn cross_origin(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ORIGIN, "https://evil.example")
}

#[tokio::test]
async fn every_html_page_and_asset_carries_the_security_headers() {
    let s = state();
    for uri in [
        "/",
        "/index.html",
        "/report",
        "/app/main.js",
        "/app/style.css",
        "/reports/week/2026-W47",
        "/reports/tertial/2026-T3",
        "/ogc?f=html",
        "/api/areas?window=2026-W47",
        "/no/such/page",
    ] {
        let (status, h, _) = send(&s, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert!(
            status.is_success() || status == StatusCode::NOT_FOUND,
            "{uri}: {status}"
        );
        let get = |n: header::HeaderName| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
        let csp = get(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or("");
        assert!(!scripts.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(get(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{uri}");
        assert_eq!(get(header::X_FRAME_OPTIONS), "DENY", "{uri}");
        assert_eq!(get(header::REFERRER_POLICY), "same-origin", "{uri}");
    }
}

#[tokio::test]
async fn the_pages_have_no_inline_scripts_or_handlers() {
    let s = state();
    for uri in ["/", "/report", "/reports/week/2026-W47"] {
        let (_, _, html) = send(&s, Request::get(uri).body(Body::empty()).unwrap()).await;
        let lower = html.to_lowercase();
        for (i, _) in lower.match_indices("<script") {
            let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
            assert!(tag.contains("src="), "{uri}: inline script {tag}");
        }
        for handler in [
            " onsubmit=",
            " onclick=",
            " onload=",
            " onchange=",
            " onerror=",
        ] {
            assert!(!lower.contains(handler), "{uri}: inline handler {handler}");
        }
    }
}

#[tokio::test]
async fn cors_only_on_the_public_read_api() {
    let s = state();
    let acao = |h: &axum::http::HeaderMap| h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    let (_, h, _) = send(
        &s,
        cross_origin(Method::GET, "/api/areas?window=2026-W47")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(acao(&h), "public aggregates are readable cross-origin");
    let (_, h, _) = send(
        &s,
        cross_origin(Method::GET, "/tiles/hexes.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(acao(&h));
    let (_, h, _) = send(
        &s,
        cross_origin(Method::POST, "/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"token":"lgb_x"}"#))
            .unwrap(),
    )
    .await;
    assert!(!acao(&h), "no CORS on /api/login");
    for (method, uri) in [
        (Method::POST, "/api/login"),
        (Method::POST, "/api/logout"),
        (Method::GET, "/api/me"),
        (Method::POST, "/api/incidents"),
        (Method::GET, "/api/incidents"),
    ] {
        let (_, h, _) = send(
            &s,
            cross_origin(Method::OPTIONS, uri)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, method.as_str())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert!(!acao(&h), "preflight {method} {uri} must not be allowed");
    }
    let (_, h, _) = send(
        &s,
        cross_origin(Method::GET, "/api/me")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!acao(&h), "no CORS on /api/me");
}

#[tokio::test]
async fn encoded_bodies_and_unknown_partners_are_refused() {
    let sb = Sandbox::new();
    sb.import_districts();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, AuthSettings::default());
    let admin = make_token(&db, "polisen", Role::Admin);
    for enc in ["gzip", "br", "deflate", "x-unknown"] {
        let (status, _, body) = send(
            &s,
            Request::post("/api/incidents")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .header(header::CONTENT_ENCODING, enc)
                .body(Body::from(format!("{HEADER}{}", row(1))))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{enc}: {body}");
        assert!(
            body.contains("Content-Encoding") && body.contains("uncompressed"),
            "{body}"
        );
    }
    let (status, _, body) = send(
        &s,
        Request::post("/api/incidents?partner=nosuchpartner")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(format!("{HEADER}{}", row(1))))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("lagesbild partner add nosuchpartner"),
        "the fix: {body}"
    );
    assert_eq!(count(&db), 0, "nothing stored");
    // A control character in an id is rejected with row and field; one in a description
    // is cleaned and reported.
    let csv = format!("{HEADER}{}", row(2)).replacen("2,2026", "A\u{1}2,2026", 1);
    let (status, _, body) = send(
        &s,
        Request::post("/api/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("control character"), "{body}");
}
