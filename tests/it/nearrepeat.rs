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
    // Follow-ups lie within 200 m of their burglary, so up to 400 m from each other, and
    // within 14 days.
    let metres = v["extent"]["metres"].as_f64().unwrap();
    assert!((200.0..=400.0).contains(&metres), "{}", v["extent"]);
    assert_eq!(v["extent"]["days"], 14.0, "{}", v["extent"]);
    assert!(
        v["sentence_en"].as_str().unwrap().starts_with(
            &format!("After an incident (burglary), the risk of another within {metres} m is raised for 14 days")
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

/// The demo's six districts are too few for area Gi*, yet every district gets a
/// significance from the exact rate test, so the panel and the priority list are live.
#[tokio::test]
async fn the_six_demo_districts_get_a_significance_without_gi() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, v) = get(&s, "/api/areas?layer=districts&window=2026-T2").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    let mut hot = 0;
    for f in features {
        let p = &f["properties"];
        assert!(p["gi_z"].is_null(), "too few areas for Gi*: {p}");
        let sig = p["significance"].as_str().unwrap();
        assert!(
            [
                "hot_99", "hot_95", "hot_90", "none", "cold_90", "cold_95", "cold_99"
            ]
            .contains(&sig),
            "{sig}"
        );
        hot += usize::from(sig.starts_with("hot"));
        assert!(
            p["significance_method"]
                .as_str()
                .unwrap()
                .contains("exact conditional Poisson"),
            "{p}"
        );
        let q = p["significance_p"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&q));
        // Hot means a rate above the rest's, cold below.
        let rr = p["rate_ratio_rest"].as_f64().unwrap();
        if sig.starts_with("hot") {
            assert!(rr > 1.0, "{p}");
        } else if sig.starts_with("cold") {
            assert!(rr < 1.0, "{p}");
        }
    }
    // The planted hotspots make some districts stand out.
    assert!(hot >= 1, "{v}");
}
