//! `GET /api/nearrepeat` and `lagesbild nearrepeat` on the synthetic demo, whose burglaries
//! have planted near repeats (1–3 follow-ups within 200 m and 1–14 days): the Knox table
//! finds them and says so in a sentence; bad parameters get a 400 that names them.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
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
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_demo_burglaries_show_their_planted_near_repeats() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, v) = get(
        &s,
        "/api/nearrepeat?category=burglary&window=2026-01-01/2026-11-23&seed=3",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let cells = v["table"]["cells"].as_array().unwrap();
    // Same location + 5 bands + beyond; 8 weekly bands + beyond.
    assert_eq!(cells.len(), 7);
    assert_eq!(cells[0].as_array().unwrap().len(), 9);
    let first = &cells[1][0];
    assert_eq!(first["raised"], true, "{first}");
    assert!(first["ratio"].as_f64().unwrap() > 2.0, "{first}");
    // Far away and long after: no raised risk.
    assert_eq!(cells[6][8]["raised"], false);
    assert_eq!(v["extent"]["metres"], 200.0, "{}", v["extent"]);
    assert!(
        v["sentence_en"].as_str().unwrap().starts_with(
            "After an incident (burglary), the risk of another within 200 m is raised for"
        ),
        "{}",
        v["sentence_en"]
    );
    assert!(
        v["sentence_sv"]
            .as_str()
            .unwrap()
            .starts_with("Efter en händelse (inbrott)")
    );
    assert_eq!(v["parameters"]["seed"], 3);
    assert_eq!(v["table"]["options"]["permutations"], 999);
    assert_eq!(v["table"]["distance_bands"][1]["label"], "(0 – 200] m");
    // The same request again: the same bytes (seeded, cached or not).
    let (_, again) = get(
        &s,
        "/api/nearrepeat?category=burglary&window=2026-01-01/2026-11-23&seed=3",
    )
    .await;
    assert_eq!(again, v);
}

#[tokio::test]
async fn bad_nearrepeat_parameters_are_named() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let many: Vec<String> = (1..=21).map(|i| (i * 10).to_string()).collect();
    let many = format!("/api/nearrepeat?distance_bands={}", many.join(","));
    for (uri, needle) in [
        (
            "/api/nearrepeat?distance_bands=400,200",
            "distance_bands: the band edges must be increasing",
        ),
        (
            "/api/nearrepeat?time_bands=7,7",
            "time_bands: the band edges must be increasing",
        ),
        (
            "/api/nearrepeat?time_bands=7,x",
            "parameter time_bands: \"x\" is not a number",
        ),
        (
            "/api/nearrepeat?distance_bands=-1",
            "distance_bands: -1 is not a positive number",
        ),
        (many.as_str(), "distance_bands: 21 bands is more than 20"),
        ("/api/nearrepeat?permutations=18", "parameter permutations"),
        (
            "/api/nearrepeat?permutations=10000",
            "parameter permutations",
        ),
        ("/api/nearrepeat?seed=-1", "parameter seed"),
        ("/api/nearrepeat?alpha=2", "parameter alpha"),
        ("/api/nearrepeat?category=nonsense", "category"),
        ("/api/nearrepeat?bbox=1,2,3,4", "unknown parameter"),
        ("/api/nearrepeat?window=2026-13", "parameter window"),
        (
            "/api/nearrepeat?category=shooting_explosion&window=2026-11",
            "needs at least 10 incidents",
        ),
    ] {
        let (status, v) = get(&s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }
}
