//! Interventions as actions (issue 11 item 2) over HTTP, in-process router on a real SQLite
//! file: status, responsible, goal, decided_at, hotspot, open ends, the network's own
//! kinds, filters, closing with an outcome, and every bad input refused naming the field
//! with nothing stored.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::access::Role;
use lagesbild::config::{ActionKind, Config};
use lagesbild::serve::{AppState, router};

use crate::support::*;

fn state(sb: &Sandbox) -> AppState {
    let mut c = Config::with_db(sb.db());
    c.action_kinds = vec![ActionKind {
        code: "trygghetsvandring".into(),
        sv: "Trygghetsvandring".into(),
        en: "Safety walk".into(),
    }];
    AppState::new(c, None)
}

async fn call(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let req = as_admin(req, &state.config().db);
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn send(method: &str, uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// An open-ended safety walk in Alby decided at week 49, motivated by the Alby hotspot.
fn walk() -> Value {
    json!({"kind": "trygghetsvandring", "partner": "kommunen",
           "target": {"type": "area", "layer": "districts", "id": "alby"},
           "start": "2026-12-01", "status": "planned",
           "responsible": "Trygghetssamordnaren", "goal": "Färre bränder vid Alby centrum",
           "decided_at": "2026-w49",
           "hotspot": {"type": "area", "layer": "districts", "id": "alby"},
           "description": "Kvällsvandring med bostadsbolaget"})
}

#[tokio::test]
async fn an_action_is_planned_set_active_filtered_and_closed_with_an_outcome() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = state(&sb);
    let (status, a) = call(&s, send("POST", "/api/interventions", walk().to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["kind"], "trygghetsvandring");
    assert_eq!(a["status"], "planned");
    assert_eq!(a["end"], Value::Null, "open-ended");
    assert_eq!(a["responsible"], "Trygghetssamordnaren");
    assert_eq!(a["goal"], "Färre bränder vid Alby centrum");
    assert_eq!(a["decided_at"], "2026-W49");
    assert_eq!(
        a["hotspot"],
        json!({"type": "area", "layer": "districts", "id": "alby"})
    );
    assert_eq!(a["outcome"], "");

    // Set it active (the whole action is sent back, as the web app does).
    let mut active = walk();
    active["status"] = json!("active");
    let (status, b) = call(
        &s,
        send(
            "PUT",
            &format!("/api/interventions/{id}"),
            active.to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "active");
    assert_eq!(b["created_at"], a["created_at"]);

    // A second, ended action of a built-in kind by another partner.
    let patrol = json!({"kind": "patrol", "partner": "polisen",
        "target": {"type": "hexes", "cells": ["891f1d48a3bffff"]},
        "start": "2026-10-01", "end": "2026-10-31", "status": "done", "outcome": "Lugnare"});
    let (status, p) = call(&s, send("POST", "/api/interventions", patrol.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    let ids = |v: &Value| -> Vec<i64> {
        v["interventions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let pid = p["id"].as_i64().unwrap();
    for (query, want) in [
        ("", vec![pid, id]),
        ("?status=active", vec![id]),
        ("?status=planned,done", vec![pid]),
        ("?partner=kommunen", vec![id]),
        ("?kind=trygghetsvandring", vec![id]),
        ("?kind=patrol", vec![pid]),
        ("?period=2026-W50", vec![id]),
        ("?period=2027-T1", vec![id]),
        ("?period=2026-Q4", vec![pid, id]),
        ("?period=2026-W40", vec![pid]),
        ("?decided_at=2026-W49", vec![id]),
        ("?status=cancelled", vec![]),
    ] {
        let (status, v) = call(&s, get(&format!("/api/interventions{query}"))).await;
        assert_eq!(status, StatusCode::OK, "{query}: {v}");
        assert_eq!(ids(&v), want, "{query}");
    }
    // The list says which kinds and statuses exist, with labels in both languages.
    let (_, v) = call(&s, get("/api/interventions")).await;
    let kinds = v["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 7);
    assert_eq!(
        kinds[6],
        json!({"code": "trygghetsvandring", "sv": "Trygghetsvandring", "en": "Safety walk", "builtin": false})
    );
    assert_eq!(v["statuses"][1]["sv"], "Pågående");
    // The map's outlines: one feature per action, with its status.
    let (status, g) = call(&s, get("/api/interventions?format=geojson&status=active")).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["features"].as_array().unwrap().len(), 1);
    assert_eq!(g["features"][0]["properties"]["status"], "active");
    assert_eq!(g["features"][0]["geometry"]["type"], "MultiPolygon");
    let (status, _) = call(&s, get("/api/interventions?format=kml")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Close it with an outcome: done, and the open end becomes today.
    let (status, c) = call(
        &s,
        send(
            "POST",
            &format!("/api/interventions/{id}/close"),
            json!({"outcome": "Tre vandringar; belysning anmäld"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "done");
    assert_eq!(c["outcome"], "Tre vandringar; belysning anmäld");
    let end = c["end"].as_str().unwrap();
    assert!(end >= "2026-12-01", "{end}");
    assert_eq!(c["goal"], a["goal"], "closing keeps the other fields");
}

#[tokio::test]
async fn bad_actions_get_a_4xx_naming_the_field_and_store_nothing() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = state(&sb);
    let with = |key: &str, value: Value| {
        let mut v = walk();
        v[key] = value;
        v.to_string()
    };
    let bow_tie = json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates":
        [[[17.8, 59.2], [17.9, 59.3], [17.9, 59.2], [17.8, 59.3], [17.8, 59.2]]]}});
    for (body, needle) in [
        (with("status", json!("paused")), "status:"),
        (with("status", json!(3)), "status:"),
        (with("kind", json!("social_insats")), "kind:"),
        (
            with("end", json!("2026-11-30")),
            "end: the end 2026-11-30 is before",
        ),
        (with("decided_at", json!("2026-W54")), "decided_at:"),
        (with("decided_at", json!("2026-T4")), "decided_at:"),
        (with("decided_at", json!("2026-Q5")), "decided_at:"),
        (with("decided_at", json!("yesterday")), "decided_at:"),
        (
            with(
                "target",
                json!({"type": "area", "layer": "districts", "id": "atlantis"}),
            ),
            "target: layer \"districts\" has no area \"atlantis\"",
        ),
        (
            with(
                "hotspot",
                json!({"type": "area", "layer": "districts", "id": "atlantis"}),
            ),
            "hotspot: layer \"districts\" has no area \"atlantis\"",
        ),
        (with("hotspot", bow_tie.clone()), "hotspot"),
        (with("target", bow_tie), "self-intersection"),
        (with("responsible", json!("x".repeat(300))), "responsible:"),
        (with("goal", json!("nul\u{0}")), "goal:"),
        (with("owner", json!("x")), "unknown field \"owner\""),
        (with("status", json!("done")), "end:"),
    ] {
        let (status, v) = call(&s, send("POST", "/api/interventions", body.clone())).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}: {v}",
            &body[..body.len().min(120)]
        );
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{needle}: {msg} ({})",
            &body[..body.len().min(120)]
        );
    }
    let (_, list) = call(&s, get("/api/interventions")).await;
    assert_eq!(list["interventions"], json!([]), "nothing was stored");
    assert_eq!(list["interventions_version"], 0);

    // Bad filters name the parameter.
    for (uri, needle) in [
        ("/api/interventions?status=paused", "status:"),
        ("/api/interventions?kind=bombing", "kind:"),
        ("/api/interventions?period=2026-W54", "period:"),
        ("/api/interventions?decided_at=2026-T0", "decided_at:"),
    ] {
        let (status, v) = call(&s, get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }

    // Closing: the outcome is required, the status must close, unknown fields are refused.
    let (_, a) = call(&s, send("POST", "/api/interventions", walk().to_string())).await;
    let close = format!("/api/interventions/{}/close", a["id"]);
    for (body, needle) in [
        (json!({}), "outcome:"),
        (json!({"outcome": "  "}), "outcome:"),
        (json!({"status": "active", "outcome": "x"}), "status:"),
        (
            json!({"outcome": "x", "end": "2026-01-01"}),
            "before the start",
        ),
        (json!({"outcome": "x", "verdict": "good"}), "unknown field"),
    ] {
        let (status, v) = call(&s, send("POST", &close, body.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{body}: {v}");
    }
    let (_, again) = call(&s, get(&format!("/api/interventions/{}", a["id"]))).await;
    assert_eq!(again, a, "refused closes changed nothing");
    let (status, _) = call(
        &s,
        send(
            "POST",
            "/api/interventions/999/close",
            json!({"outcome": "x"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reporters_and_viewers_cannot_write_actions() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = state(&sb);
    let (_, a) = call(&s, send("POST", "/api/interventions", walk().to_string())).await;
    let id = a["id"].as_i64().unwrap();
    for role in [Role::Reporter, Role::Viewer] {
        let token = make_token(&sb.db(), "kommunen", role);
        for (method, uri) in [
            ("POST", "/api/interventions".to_owned()),
            ("PUT", format!("/api/interventions/{id}")),
            ("POST", format!("/api/interventions/{id}/close")),
            ("DELETE", format!("/api/interventions/{id}")),
        ] {
            let mut req = send(method, &uri, walk().to_string());
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {token}").parse().unwrap(),
            );
            let (status, v) = call(&s, req).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role:?} {method} {uri}: {v}"
            );
        }
    }
    let (_, again) = call(&s, get(&format!("/api/interventions/{id}"))).await;
    assert_eq!(again, a);
}

#[test]
fn cli_adds_updates_closes_and_filters_actions() {
    let sb = Sandbox::new();
    sb.import_districts();
    let (code, a) = sb.run_json(&[
        "interventions",
        "add",
        "--kind",
        "dialogue",
        "--partner",
        "kommunen",
        "--area",
        "districts:alby",
        "--start",
        "2026-12-01",
        "--status",
        "planned",
        "--responsible",
        "Trygghetssamordnaren",
        "--goal",
        "Färre bränder",
        "--decided-at",
        "2026-W49",
        "--hotspot-area",
        "districts:alby",
        "--json",
    ]);
    assert_eq!(code, 0, "{a}");
    assert_eq!(a["status"], "planned");
    assert_eq!(a["end"], Value::Null);
    assert_eq!(a["decided_at"], "2026-W49");
    let id = a["id"].to_string();
    let (code, b) = sb.run_json(&[
        "interventions",
        "update",
        &id,
        "--status",
        "active",
        "--json",
    ]);
    assert_eq!(code, 0, "{b}");
    assert_eq!(b["status"], "active");
    assert_eq!(b["goal"], "Färre bränder", "update keeps what is not given");
    let out = sb.run(&["interventions", "list", "--status", "active"]);
    assert!(stdout(&out).contains("active"), "{}", stdout(&out));
    let out = sb.run(&["interventions", "close", &id]);
    assert!(!out.status.success(), "the outcome is required");
    let (code, c) = sb.run_json(&[
        "interventions",
        "close",
        &id,
        "--outcome",
        "Tre vandringar",
        "--end",
        "2026-12-06",
        "--json",
    ]);
    assert_eq!(code, 0, "{c}");
    assert_eq!(c["status"], "done");
    assert_eq!(c["end"], "2026-12-06");
    let out = sb.run(&["interventions", "update", &id, "--decided-at", "2026-W54"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("decided_at"), "{}", stderr(&out));
    let out = sb.run(&["interventions", "list", "--status", "paused"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--status"), "{}", stderr(&out));
}
