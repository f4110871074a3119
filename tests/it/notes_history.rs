//! Meeting notes with history (issue 11 item 3), over the in-process router on a real
//! SQLite file: every save kept as a version with author and time, sections (notes,
//! decisions, partner input filed under the writer's partner), concurrent saves both kept,
//! restricted roles told that notes exist, bad input refused naming the field.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::access::Role;
use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

const URI: &str = "/api/reports/week/2026-W49/notes";

async fn call(state: &AppState, req: Request<Body>, token: &str) -> (StatusCode, Value) {
    let mut req = req;
    req.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn put(body: impl Into<Body>) -> Request<Body> {
    Request::put(URI)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn get() -> Request<Body> {
    Request::get(URI).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn every_save_is_a_version_and_partners_write_side_by_side() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let police = make_token(&sb.db(), "polisen", Role::Analyst);
    let housing = make_token(&sb.db(), "bostadsbolaget", Role::Analyst);

    // Today's body still works and is the meeting notes.
    let (status, v) = call(
        &s,
        put(json!({"notes": "Första utkast"}).to_string()),
        &police,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["notes"], "Första utkast");
    let saves = [
        (
            &police,
            json!({"section": "notes", "text": "Anteckningar v49"}),
        ),
        (
            &police,
            json!({"section": "partner", "text": "Från polisen: bränder i Alby"}),
        ),
        (
            &housing,
            json!({"section": "partner", "text": "Från bostadsbolaget: klotter"}),
        ),
        (
            &housing,
            json!({"section": "decisions", "text": "Trygghetsvandring i Alby\nBelysning vid Fittja"}),
        ),
        (
            &police,
            json!({"section": "partner", "text": "Från polisen: bränder och stölder"}),
        ),
    ];
    for (token, body) in &saves {
        let (status, v) = call(&s, put(body.to_string()), token).await;
        assert_eq!(status, StatusCode::OK, "{body}: {v}");
    }
    let (status, v) = call(&s, get(), &police).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["restricted"], false);
    assert_eq!(
        v["notes"], "Anteckningar v49",
        "today's field: the current notes"
    );
    assert_eq!(v["sections"]["notes"], "Anteckningar v49");
    assert_eq!(
        v["sections"]["decisions"],
        "Trygghetsvandring i Alby\nBelysning vid Fittja"
    );
    assert_eq!(
        v["sections"]["partner"],
        json!({"bostadsbolaget": "Från bostadsbolaget: klotter",
               "polisen": "Från polisen: bränder och stölder"})
    );
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 6, "nothing is overwritten");
    assert_eq!(versions[0]["text"], "Från polisen: bränder och stölder");
    assert_eq!(versions[0]["section"], "partner");
    assert_eq!(versions[0]["partner"], "polisen");
    assert_eq!(versions[0]["author"], "test", "the token's label");
    assert!(versions[0]["saved_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(versions[5]["text"], "Första utkast");
    // Each save has its audit entry.
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    let audit = lagesbild::access::audit::list(
        &store,
        &lagesbild::access::audit::Filter {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "notes.save").count(), 6);
}

#[tokio::test]
async fn concurrent_edits_of_the_same_notes_keep_both_versions() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let a = make_token(&sb.db(), "polisen", Role::Analyst);
    let b = make_token(&sb.db(), "kommunen", Role::Analyst);
    let (ra, rb) = tokio::join!(
        call(
            &s,
            put(json!({"section": "notes", "text": "Version A"}).to_string()),
            &a
        ),
        call(
            &s,
            put(json!({"section": "notes", "text": "Version B"}).to_string()),
            &b
        ),
    );
    assert_eq!(ra.0, StatusCode::OK, "{}", ra.1);
    assert_eq!(rb.0, StatusCode::OK, "{}", rb.1);
    let (_, v) = call(&s, get(), &a).await;
    let mut texts: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["text"].as_str().unwrap())
        .collect();
    texts.sort_unstable();
    assert_eq!(texts, ["Version A", "Version B"]);
    let current = v["notes"].as_str().unwrap();
    assert_eq!(
        current, v["versions"][0]["text"],
        "the newest save is current"
    );
}

#[tokio::test]
async fn restricted_roles_see_that_notes_exist_and_cannot_write() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let analyst = make_token(&sb.db(), "polisen", Role::Analyst);
    for role in [Role::Viewer, Role::Reporter] {
        let t = make_token(&sb.db(), "kommunen", role);
        let (status, v) = call(&s, get(), &t).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["restricted"], true);
        assert_eq!(v["exists"], false);
    }
    call(
        &s,
        put(json!({"section": "partner", "text": "Hemligt namn"}).to_string()),
        &analyst,
    )
    .await;
    for role in [Role::Viewer, Role::Reporter] {
        let t = make_token(&sb.db(), "kommunen", role);
        let (status, v) = call(&s, get(), &t).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["restricted"], true);
        assert_eq!(v["exists"], true, "notes exist, never 'no notes saved'");
        assert!(!v.to_string().contains("Hemligt"), "{v}");
        assert!(v["message"].as_str().unwrap().contains("may not read"));
        let (status, v) = call(
            &s,
            put(json!({"section": "partner", "text": "x"}).to_string()),
            &t,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {v}");
    }
}

#[tokio::test]
async fn bad_notes_are_refused_naming_the_field_and_store_nothing() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let t = make_token(&sb.db(), "polisen", Role::Analyst);
    let big = "å".repeat(40_000); // 80,000 bytes
    for (body, status, needle) in [
        (
            json!({"section": "partner", "text": big}).to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "text: the text is 80000 bytes",
        ),
        (
            json!({"notes": "x".repeat(70_000)}).to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "notes:",
        ),
        (
            json!({"section": "gossip", "text": "x"}).to_string(),
            StatusCode::BAD_REQUEST,
            "section:",
        ),
        (
            json!({"section": "notes", "text": 5}).to_string(),
            StatusCode::BAD_REQUEST,
            "body:",
        ),
        (
            json!({"section": "notes", "text": "x", "author": "me"}).to_string(),
            StatusCode::BAD_REQUEST,
            "unknown field \"author\"",
        ),
        (
            json!({"notes": "x", "section": "notes"}).to_string(),
            StatusCode::BAD_REQUEST,
            "body:",
        ),
        (
            json!({"section": "notes", "text": "nul\u{0}"}).to_string(),
            StatusCode::BAD_REQUEST,
            "control character",
        ),
        ("[1, 2]".into(), StatusCode::BAD_REQUEST, "body:"),
    ] {
        let (got, v) = call(&s, put(body.clone()), &t).await;
        assert_eq!(got, status, "{}: {v}", &body[..body.len().min(60)]);
        assert!(
            v["error"].as_str().unwrap_or_default().contains(needle),
            "{needle}: {v}"
        );
    }
    for uri in [
        "/api/reports/week/2026-W54/notes",
        "/api/reports/tertial/2026-T4/notes",
        "/api/reports/quarter/2026-Q5/notes",
    ] {
        let req = Request::get(uri).body(Body::empty()).unwrap();
        let (status, v) = call(&s, req, &t).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
    }
    let (_, v) = call(&s, get(), &t).await;
    assert_eq!(v["versions"], json!([]));
    assert_eq!(v["exists"], false);
}
