//! The HTTP server: in-process through the router, and the real binary on a loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

async fn get(state: &AppState, uri: &str) -> (StatusCode, serde_json::Value) {
    let res = router(state.clone())
        .oneshot(as_admin(
            Request::get(uri).body(Body::empty()).unwrap(),
            &state.config().db,
        ))
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn areas_are_served_as_rfc7946_geojson() {
    let sb = Sandbox::new();
    sb.import_districts();
    let f = sb.file("a.csv", format!("{HEADER}{}{}", row(1), row(2)).as_bytes());
    assert!(
        sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );
    let state = AppState::new(Config::with_db(sb.db()), None);

    // The rows are dated 2026-11-02 and 2026-11-03.
    let (status, v) = get(
        &state,
        "/api/areas?layer=districts&from=2026-11-01&to=2026-11-08",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none());
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    let alby = features
        .iter()
        .find(|f| f["properties"]["id"] == "alby")
        .unwrap();
    assert_eq!(alby["properties"]["count"], 2.0);
    assert_eq!(alby["properties"]["population"], 11400);
    let rate = alby["properties"]["rate_per_1000"].as_f64().unwrap();
    assert!((rate - 2000.0 / 11400.0).abs() < 1e-12);
    // Coordinates have at most 7 decimals.
    let x = alby["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
    assert!(((x * 1e7).round() / 1e7 - x).abs() < 1e-12);

    let (status, v) = get(&state, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["incidents"], 2);
    let (status, v) = get(&state, "/api/layers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["layers"][0]["name"], "districts");
}

#[tokio::test]
async fn bad_requests_name_the_parameter() {
    let sb = Sandbox::new();
    sb.import_districts();
    let state = AppState::new(Config::with_db(sb.db()), None);
    let (status, v) = get(&state, "/api/areas?layer=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("layer"));
    let (status, v) = get(&state, "/api/areas?lager=districts").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("lager"), "{v}");
    let (status, _) = get(&state, "/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn the_real_binary_serves_on_loopback_and_stops_on_sigterm() {
    let sb = Sandbox::new();
    sb.import_districts();
    let mut child = sb
        .command(&[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-demo",
            "--public",
            "on",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /api/areas?layer=districts HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response:.200}");
    assert!(response.contains("application/geo+json"));
    assert!(response.contains("Hallunda-Norsborg"));

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
}

#[test]
fn a_slow_client_cannot_hold_a_connection() {
    let sb = Sandbox::new();
    sb.import_districts();
    let mut child = sb
        .command(&[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-demo",
            "--read-timeout",
            "1",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Trickle half a request line, then stall: the server closes the connection after the
    // header read time-out instead of waiting forever.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the connection stayed open {waited:?}"
    );
    assert!(!String::from_utf8_lossy(&buf).contains("\"status\":\"ok\""));
    // Others are served meanwhile.
    let mut ok = TcpStream::connect(&addr).unwrap();
    write!(
        ok,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    ok.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
}
