//! The interventions register over HTTP (in-process router on a real SQLite file) and the
//! CLI (the real binary): create, read, update, delete, follow-up, and every bad input
//! refused with a 4xx (or exit code) that names the field.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

/// A sandbox with the demo districts only (no incidents).
fn districts_only() -> Sandbox {
    let sb = Sandbox::new();
    sb.import_districts();
    sb
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

fn alby(start: &str, end: &str) -> Value {
    json!({"kind": "patrol", "partner": "polisen",
           "target": {"type": "area", "layer": "districts", "id": "alby"},
           "start": start, "end": end, "description": "Kvällspatruller vid centrum"})
}

#[tokio::test]
async fn create_read_update_delete() {
    let sb = districts_only();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let (status, created) = call(
        &s,
        send(
            "POST",
            "/api/interventions",
            alby("2026-03-01", "2026-03-31").to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["kind"], "patrol");
    assert_eq!(
        created["target"],
        json!({"type": "area", "layer": "districts", "id": "alby"})
    );
    assert_eq!(created["start"], "2026-03-01");
    let (status, shown) = call(&s, get(&format!("/api/interventions/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, created);

    let mut changed = alby("2026-03-01", "2026-04-15");
    changed["kind"] = json!("clean-up");
    changed["partner"] = json!("kommunen");
    let (status, updated) = call(
        &s,
        send(
            "PUT",
            &format!("/api/interventions/{id}"),
            changed.to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["kind"], "clean-up");
    assert_eq!(updated["end"], "2026-04-15");
    assert_eq!(updated["created_at"], created["created_at"]);

    let (_, list) = call(&s, get("/api/interventions")).await;
    assert_eq!(list["interventions"].as_array().unwrap().len(), 1);
    let (_, none) = call(&s, get("/api/interventions?from=2026-05-01&to=2026-05-31")).await;
    assert_eq!(none["interventions"], json!([]));
    let (_, some) = call(&s, get("/api/interventions?from=2026-04-15&to=2026-04-21")).await;
    assert_eq!(some["interventions"][0]["id"], id);

    let (status, _) = call(
        &s,
        Request::delete(format!("/api/interventions/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, v) = call(&s, get(&format!("/api/interventions/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, _) = call(
        &s,
        Request::delete(format!("/api/interventions/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Incident data were never touched.
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    assert_eq!(store.interventions_version().unwrap(), 3);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[tokio::test]
async fn bad_interventions_get_a_clear_4xx_and_store_nothing() {
    let sb = districts_only();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let (status, _) = call(
        &s,
        send(
            "POST",
            "/api/interventions",
            alby("2026-03-01", "2026-03-31").to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let with = |key: &str, value: Value| {
        let mut v = alby("2026-06-01", "2026-06-30");
        v[key] = value;
        v.to_string()
    };
    let cases: Vec<(String, StatusCode, &str)> = vec![
        // The cases named in the issue.
        (
            alby("2026-06-30", "2026-06-01").to_string(),
            StatusCode::BAD_REQUEST,
            "before the start",
        ),
        (
            with(
                "target",
                json!({"type": "area", "layer": "districts", "id": "atlantis"}),
            ),
            StatusCode::BAD_REQUEST,
            "has no area \"atlantis\"",
        ),
        (
            with(
                "target",
                json!({"type": "area", "layer": "kommuner", "id": "x"}),
            ),
            StatusCode::BAD_REQUEST,
            "no area layer",
        ),
        (
            alby("2026-03-15", "2026-04-15").to_string(),
            StatusCode::CONFLICT,
            "already registers",
        ),
        (
            with("kind", json!("bombing")),
            StatusCode::BAD_REQUEST,
            "kind:",
        ),
        // Malformed and hostile bodies.
        (
            "{".into(),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            "[]".into(),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            "".into(),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            "\u{0}\u{1}binary".into(),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            "[".repeat(100_000),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            with("colour", json!("red")),
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (
            with("kind", json!(7)),
            StatusCode::BAD_REQUEST,
            "not a valid intervention",
        ),
        (
            with("start", json!("2026-02-30")),
            StatusCode::BAD_REQUEST,
            "start:",
        ),
        (
            with("partner", json!("<script>")),
            StatusCode::BAD_REQUEST,
            "partner:",
        ),
        (
            with(
                "target",
                json!({"type": "hexes", "cells": ["ffffffffffffffff"]}),
            ),
            StatusCode::BAD_REQUEST,
            "target.cells",
        ),
        (
            with(
                "target",
                json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[1e308, 0], [0, 0], [0, 1], [1e308, 0]]]}}),
            ),
            StatusCode::BAD_REQUEST,
            "target.geometry",
        ),
        (
            with("description", json!("x".repeat(5000))),
            StatusCode::BAD_REQUEST,
            "description",
        ),
    ];
    for (body, want, needle) in cases {
        let (status, v) = call(&s, send("POST", "/api/interventions", body.clone())).await;
        assert_eq!(status, want, "{}: {v}", &body[..body.len().min(80)]);
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{}: {msg}",
            &body[..body.len().min(80)]
        );
    }
    // Oversized: 2 MiB of JSON.
    let big = format!("{{\"description\": \"{}\"}}", "x".repeat(2 << 20));
    let (status, v) = call(&s, send("POST", "/api/interventions", big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("larger than"));
    // Not JSON.
    let req = Request::post("/api/interventions")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(alby("2026-06-01", "2026-06-30").to_string()))
        .unwrap();
    let (status, v) = call(&s, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("application/json"));
    // Bad ids and parameters.
    for (uri, needle) in [
        ("/api/interventions/abc", "id:"),
        ("/api/interventions/-1", "id:"),
        ("/api/interventions/99999999999999999999999", "id:"),
        ("/api/interventions?from=2026-01-01", "go together"),
        (
            "/api/interventions?from=2026-02-01&to=2026-01-01",
            "before from",
        ),
        ("/api/interventions?color=red", "unknown parameter"),
        ("/api/interventions/1/followup?buffer=-5", "buffer"),
        ("/api/interventions/1/followup?buffer=abc", "buffer"),
        ("/api/interventions/1/followup?control=nowhere", "control"),
        ("/api/interventions/1/followup?after=later", "after"),
        ("/api/interventions/1/followup?days=0", "window_days"),
        ("/api/interventions/1/followup?window=2026-W10", "days="),
    ] {
        let (status, v) = call(&s, get(uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }
    let (status, _) = call(
        &s,
        send(
            "PUT",
            "/api/interventions/999",
            alby("2026-06-01", "2026-06-30").to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An update into a duplicate is refused too, and leaves the stored one as it was.
    let (status, second) = call(
        &s,
        send(
            "POST",
            "/api/interventions",
            alby("2026-05-01", "2026-05-31").to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = second["id"].as_i64().unwrap();
    let (status, _) = call(
        &s,
        send(
            "PUT",
            &format!("/api/interventions/{id}"),
            alby("2026-03-31", "2026-05-31").to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, again) = call(&s, get(&format!("/api/interventions/{id}"))).await;
    assert_eq!(again, second);
    let (_, list) = call(&s, get("/api/interventions")).await;
    assert_eq!(list["interventions"].as_array().unwrap().len(), 2);
}

/// A one-year demo (synthetic incidents) in its own sandbox, since tests here write.
fn one_year_demo() -> Sandbox {
    let sb = Sandbox::new();
    let out = sb.run(&["demo", "load", "--end", END, "--years", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    sb
}

/// The demo's planted FADING cluster (Storvreten parking, fictional) falls from its peak
/// at the start of the period to nothing two thirds in: a patrol there over months 3–5,
/// compared with months 0–2, must show a fall relative to the rest of the municipality.
#[tokio::test]
async fn followup_finds_the_fall_at_the_demos_fading_cluster() {
    let sb = one_year_demo();
    let s = AppState::new(Config::with_db(sb.db()), None);
    // A 600 m square around the cluster centre (17.8470 E, 59.1930 N; radius 300 m).
    let (dx, dy) = (0.0053, 0.0027);
    let (x, y) = (17.8470, 59.1930);
    let body = json!({"kind": "patrol", "partner": "polisen",
        "target": {"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[
            [x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]]}},
        "start": "2026-02-23", "end": "2026-05-24"});
    let (status, created) = call(&s, send("POST", "/api/interventions", body.to_string())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, v) = call(&s, get(&format!("/api/interventions/{id}/followup"))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let f = &v["followup"];
    let (before, after) = (
        f["target"]["before"].as_u64().unwrap(),
        f["target"]["after"].as_u64().unwrap(),
    );
    assert!(before > 30 && after < before, "{before} → {after}");
    assert!(
        f["relative_change"]["high"].as_f64().unwrap() < 1.0,
        "{}",
        f["relative_change"]
    );
    assert!(
        f["verdict"].as_str().unwrap().contains("fell by about"),
        "{}",
        f["verdict"]
    );
    assert_eq!(f["before"]["first_day"], "2025-11-24");
    assert_eq!(f["buffer_m"], 400.0);
    assert!(f["displacement"]["reading"].as_str().unwrap().len() > 20);
    assert!(f["control"]["before"].as_u64().unwrap() > 1000);
    // A narrower ring, a chosen control and the following window are accepted.
    let (status, v) = call(&s, get(&format!("/api/interventions/{id}/followup?buffer=200&control=districts:alby&after=following&days=30&group=crime"))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["followup"]["after"]["first_day"], "2026-05-25");
    assert_eq!(v["followup"]["filter"], "group=crime");
    let (status, v) = call(&s, get("/api/interventions/9999/followup")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
}

#[test]
fn cli_add_list_show_update_followup_delete() {
    let sb = one_year_demo();
    let (code, added) = sb.run_json(&[
        "interventions",
        "add",
        "--kind",
        "lighting",
        "--partner",
        "kommunen",
        "--area",
        "districts:fittja",
        "--start",
        "2026-03-01",
        "--end",
        "2026-05-31",
        "--description",
        "Ny belysning i gångtunneln",
        "--json",
    ]);
    assert_eq!(code, 0, "{added}");
    let id = added["id"].as_i64().unwrap().to_string();
    let polygon = sb.file(
        "gard.geojson",
        br#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[17.84, 59.23], [17.85, 59.23], [17.85, 59.24], [17.84, 59.23]]]}}]}"#,
    );
    let (code, poly) = sb.run_json(&[
        "interventions",
        "add",
        "--kind",
        "camera",
        "--partner",
        "bostadsbolaget",
        "--polygon",
        polygon.to_str().unwrap(),
        "--start",
        "2026-01-15",
        "--end",
        "2026-12-31",
        "--json",
    ]);
    assert_eq!(code, 0, "{poly}");
    assert_eq!(poly["target"]["type"], "polygon");
    let (code, list) = sb.run_json(&[
        "interventions",
        "list",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-07",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, shown) = sb.run_json(&["interventions", "show", &id, "--json"]);
    assert_eq!(shown, added);
    // Update changes only the fields given.
    let (code, updated) = sb.run_json(&[
        "interventions",
        "update",
        &id,
        "--end",
        "2026-06-30",
        "--json",
    ]);
    assert_eq!(code, 0, "{updated}");
    assert_eq!(updated["end"], "2026-06-30");
    assert_eq!(updated["description"], added["description"]);
    assert_eq!(updated["target"], added["target"]);
    let (code, f) = sb.run_json(&[
        "interventions",
        "followup",
        &id,
        "--buffer",
        "300",
        "--json",
    ]);
    assert_eq!(code, 0, "{f}");
    assert_eq!(f["followup"]["buffer_m"], 300.0);
    assert!(
        f["followup"]["verdict"]
            .as_str()
            .unwrap()
            .contains("In the target area")
    );
    let out = sb.run(&["interventions", "followup", &id]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("zone"), "{}", stdout(&out));
    let out = sb.run(&["interventions", "delete", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sb.run(&["interventions", "show", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no intervention"), "{}", stderr(&out));
}

#[test]
fn cli_refuses_bad_interventions_with_the_fix() {
    let sb = districts_only();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "interventions",
            "add",
            "--kind",
            "patrol",
            "--partner",
            "polisen",
            "--start",
            "2026-03-01",
        ];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let ok = add(&["--end", "2026-03-31", "--area", "districts:alby"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    for (extra, needle) in [
        (
            vec!["--end", "2026-02-01", "--area", "districts:alby"],
            "before the start",
        ),
        (
            vec!["--end", "2026-03-31", "--area", "districts:atlantis"],
            "has no area",
        ),
        (vec!["--end", "2026-03-31", "--area", "alby"], "LAYER:ID"),
        (
            vec!["--end", "2026-03-10", "--area", "districts:alby"],
            "already registers",
        ),
        (vec!["--end", "2026-03-31"], "target: is required"),
        (
            vec!["--end", "31/3", "--area", "districts:alby"],
            "YYYY-MM-DD",
        ),
        (
            vec!["--end", "2026-03-31", "--hexes", "nonsense"],
            "H3 cell",
        ),
        (
            vec!["--end", "2026-03-31", "--polygon", "/nonexistent.geojson"],
            "cannot read",
        ),
    ] {
        let out = add(&extra);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&out).contains(needle), "{extra:?}: {}", stderr(&out));
    }
    let out = sb.run(&["interventions", "--help"]);
    assert!(stdout(&out).contains("Examples:") && stdout(&out).contains("followup 3"));
    let (_, list) = sb.run_json(&["interventions", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
}
