//! The web map's server side, in-process: the page and its files (`/`, `/app`, `/vendor`),
//! the message when the files are missing, `/api` (the endpoint list), `/api/config`, and
//! `/api/profile` cross-checked against `/api/areas` and `/api/hexes`, with bad input.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::web::WebConfig;
use lagesbild::serve::{AppState, router};

use crate::support::*;

fn state() -> AppState {
    AppState::new(Config::with_db(demo_db().db()), None)
}

/// A `web/` directory with the files the server looks for (no npm needed).
fn fake_web_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>map</title>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("report.html"),
        "<!doctype html><title>report</title>",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/main.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"secret\": true}").unwrap();
    let dist = dir.path().join("node_modules/maplibre-gl/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("maplibre-gl.js"), "var maplibregl = {};").unwrap();
    std::fs::write(dist.join("maplibre-gl.css"), ".maplibregl-map {}").unwrap();
    dir
}

async fn raw(state: &AppState, uri: &str) -> (StatusCode, String, String) {
    // As an admin: these tests check the numbers, which the public sees suppressed.
    let req = as_admin(
        Request::get(uri).body(Body::empty()).unwrap(),
        &state.config().db,
    );
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = raw(state, uri).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_page_and_its_files_are_served_from_the_web_dir() {
    let dir = fake_web_dir();
    let s = state().with_web(WebConfig {
        dir: Some(dir.path().to_owned()),
        basemap_url: None,
        basemap_attribution: None,
    });
    let (status, ct, body) = raw(&s, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(body.contains("<title>map</title>"));
    let (status, ct, _) = raw(&s, "/app/main.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("javascript"), "{ct}");
    let (status, _, body) = raw(&s, "/vendor/maplibre-gl.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("maplibregl"));
    let (status, ct, _) = raw(&s, "/vendor/maplibre-gl.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/css"), "{ct}");
}

#[tokio::test]
async fn files_outside_app_and_vendor_are_not_served() {
    let dir = fake_web_dir();
    let s = state().with_web(WebConfig {
        dir: Some(dir.path().to_owned()),
        basemap_url: None,
        basemap_attribution: None,
    });
    for uri in [
        "/package.json",
        "/app/../package.json",
        "/app/..%2fpackage.json",
        "/app/%2e%2e/package.json",
        "/vendor/../../../package.json",
        "/vendor/..%2f..%2f..%2fpackage.json",
        "/app//etc/passwd",
        "/app/%00",
        "/node_modules/maplibre-gl/dist/maplibre-gl.js",
    ] {
        let (status, _, body) = raw(&s, uri).await;
        assert!(
            !body.contains("secret"),
            "{uri} leaked a file outside app/ and vendor/: {status}"
        );
        assert_ne!(status, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn missing_assets_give_a_page_that_says_how_to_install_them() {
    let empty = tempfile::tempdir().unwrap();
    let s = state().with_web(WebConfig {
        dir: Some(empty.path().to_owned()),
        basemap_url: None,
        basemap_attribution: None,
    });
    let (status, ct, body) = raw(&s, "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ct.starts_with("text/html"));
    assert!(body.contains("LAGESBILD_WEB_DIR"), "{body}");

    let dir = fake_web_dir();
    std::fs::remove_dir_all(dir.path().join("node_modules")).unwrap();
    let s = state().with_web(WebConfig {
        dir: Some(dir.path().to_owned()),
        basemap_url: None,
        basemap_attribution: None,
    });
    let (status, _, body) = raw(&s, "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("npm ci"), "{body}");
    // The API still works.
    let (status, v) = get(&s, "/api").await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["endpoints"]["/api/areas?layer=districts&window=2026-W47"].is_string());
}

#[tokio::test]
async fn the_endpoint_list_is_at_api_and_unknown_paths_point_there() {
    let s = state();
    let (status, v) = get(&s, "/api").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["name"], "lagesbild");
    assert!(v["endpoints"]["/"].as_str().unwrap().contains("web map"));
    let (status, v) = get(&s, "/no/such/thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(v["error"].as_str().unwrap().contains("GET /api"), "{v}");
}

#[tokio::test]
async fn config_names_the_base_map_partners_and_resolutions() {
    let (status, v) = get(&state(), "/api/config").await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["basemap"].is_null(), "no base map unless configured");
    assert_eq!(v["default_language"], "sv");
    assert_eq!(v["h3_resolutions"], serde_json::json!([7, 8, 9, 10]));
    let partners: Vec<&str> = v["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(partners.len() >= 2, "{partners:?}");

    let s = state().with_web(WebConfig {
        basemap_url: Some("https://tile.openstreetmap.org/{z}/{x}/{y}.png".into()),
        basemap_attribution: Some("© OpenStreetMap contributors".into()),
        ..WebConfig::default()
    });
    let (_, v) = get(&s, "/api/config").await;
    assert_eq!(
        v["basemap"]["url"],
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    );
    assert_eq!(v["basemap"]["attribution"], "© OpenStreetMap contributors");
}

#[test]
fn base_map_urls_are_checked() {
    assert!(WebConfig::check_basemap_url("https://a.tile.example/{z}/{x}/{y}.png").is_ok());
    for bad in [
        "tile.openstreetmap.org/{z}/{x}/{y}.png",
        "javascript:alert(1)//{z}{x}{y}",
        "https://example.org/tiles.png",
        "https://example.org/{z}/{x}.png",
        "",
    ] {
        let e = WebConfig::check_basemap_url(bad).unwrap_err();
        assert!(e.contains("base map URL"), "{bad}: {e}");
    }
}

fn sum(v: &Value) -> f64 {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_f64().unwrap())
        .sum()
}

#[tokio::test]
async fn area_profiles_add_up_to_the_area_counts() {
    let s = state();
    let (_, areas) = get(&s, "/api/areas?layer=districts&window=2026-W47").await;
    for f in areas["features"].as_array().unwrap() {
        let id = f["properties"]["id"].as_str().unwrap();
        let count = f["properties"]["count"].as_f64().unwrap();
        let (status, p) = get(
            &s,
            &format!("/api/profile?area={id}&layer=districts&window=2026-W47"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert!((sum(&p["by_category"]) - count).abs() < 1e-9, "{id}");
        assert!((p["total"].as_f64().unwrap() - count).abs() < 1e-9);
        let hw: f64 = p["hour_weekday"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
            .sum();
        assert!(
            (hw - count).abs() < 1e-6,
            "{id}: hour-weekday {hw} vs {count}"
        );
        assert_eq!(p["hour_weekday"]["counts"].as_array().unwrap().len(), 7);
        assert_eq!(p["unit"]["area"], id);
        assert_eq!(p["parameters"]["window"], "2026-W47");
    }
}

#[tokio::test]
async fn cell_profiles_match_the_hexes_and_filters_apply() {
    let s = state();
    let (_, hexes) = get(&s, "/api/hexes?window=2026-W46&res=8&k=1").await;
    let busiest = hexes["features"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            a["properties"]["count"]
                .as_f64()
                .partial_cmp(&b["properties"]["count"].as_f64())
                .unwrap()
        })
        .unwrap();
    let cell = busiest["properties"]["cell"].as_str().unwrap();
    let count = busiest["properties"]["count"].as_f64().unwrap();
    assert!(count > 0.0);
    let (status, p) = get(&s, &format!("/api/profile?cell={cell}&window=2026-W46")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert!((sum(&p["by_category"]) - count).abs() < 1e-9);

    // A group filter keeps only that group's categories, and its count matches /api/hexes.
    let (_, crime) = get(&s, "/api/hexes?window=2026-W46&res=8&k=1&group=crime").await;
    let crime_count = crime["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["cell"] == cell)
        .unwrap()["properties"]["count"]
        .as_f64()
        .unwrap();
    let (_, p) = get(
        &s,
        &format!("/api/profile?cell={cell}&window=2026-W46&group=crime"),
    )
    .await;
    assert!((sum(&p["by_category"]) - crime_count).abs() < 1e-9);
    for c in p["by_category"].as_array().unwrap() {
        if c["group"] != "crime" {
            assert_eq!(c["count"], 0.0, "{c}");
        }
    }
}

#[tokio::test]
async fn bad_profile_requests_name_the_parameter() {
    let s = state();
    let long = "8".repeat(20_000);
    for (uri, needle) in [
        ("/api/profile?cell=nothex", "parameter cell"),
        ("/api/profile?cell=8f2830828052d25&area=alby", "not both"),
        ("/api/profile?area=nowhere&layer=districts", "nowhere"),
        ("/api/profile?area=alby&layer=nolayer", "parameter layer"),
        ("/api/profile?area=alby&window=2026-W99", "parameter window"),
        ("/api/profile?area=alby&from=2026-01-01", "parameter to"),
        ("/api/profile?area=alby&category=ufo", "category"),
        ("/api/profile?area=alby&bogus=1", "unknown parameter"),
        ("/api/profile?area=%00%ff", "nowhere"),
        (
            &format!("/api/profile?cell={long}") as &str,
            "parameter cell",
        ),
        ("/api/profile?cell=85283473fffffff", "resolution"),
    ] {
        let (status, v) = get(&s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri:.80}: {v}");
        let msg = v["error"].as_str().unwrap_or_default();
        if needle != "nowhere" {
            assert!(msg.contains(needle), "{uri:.80}: {msg}");
        }
    }
}

#[tokio::test]
async fn config_answers_on_an_empty_database() {
    let sb = Sandbox::new();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let (status, v) = get(&s, "/api/config").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["partners"], serde_json::json!([]));
}
