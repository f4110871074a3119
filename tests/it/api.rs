//! The JSON/GeoJSON API on the demo data, in-process through the router: shapes,
//! parameters echoed, cross-checks between endpoints, and every bad input named.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};

use crate::support::*;

fn state() -> AppState {
    AppState::new(Config::with_db(demo_db().db()), None)
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

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value) {
    call(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn hexes_cover_the_study_area_with_statistics_and_parameters() {
    let s = state();
    let (status, v) = get(&s, "/api/hexes?window=2026-W46&res=8&k=1").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let features = v["features"].as_array().unwrap();
    assert!(features.len() > 300);
    assert!(
        features.iter().any(|f| f["properties"]["count"] == 0.0),
        "zero cells included"
    );
    let f = &features[0];
    for key in [
        "cell",
        "count",
        "harm",
        "gi_z",
        "gi_p",
        "gi_bin",
        "emerging",
        "baseline_mean",
        "rise",
    ] {
        assert!(f["properties"].get(key).is_some(), "missing {key}");
    }
    assert_eq!(f["id"], f["properties"]["cell"]);
    assert_eq!(v["parameters"]["resolution"], 8);
    assert_eq!(v["parameters"]["k"], 1);
    assert_eq!(v["parameters"]["window"], "2026-W46");
    assert!(v["data_version"].as_i64().unwrap() > 0);
    assert_eq!(v["scale"]["automatic"], false);
    // Automatic scale is the default, and says so.
    let (_, auto) = get(&s, "/api/hexes?window=2026-T3&emerging_weeks=0").await;
    assert_eq!(auto["scale"]["automatic"], true);
    assert!(
        auto["scale"]["rule"]
            .as_str()
            .unwrap()
            .contains("nearest-neighbour")
    );
}

#[tokio::test]
async fn areas_hotspots_and_timeseries_agree() {
    let s = state();
    // Monday 2026-01-05 to Monday 2026-03-30: 12 whole ISO weeks.
    let (status, areas) = get(
        &s,
        "/api/areas?layer=districts&from=2026-01-05&to=2026-03-30",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{areas}");
    let alby = areas["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "alby")
        .unwrap();
    let count = alby["properties"]["count"].as_f64().unwrap();
    assert!(alby["properties"]["rate_per_1000"].as_f64().unwrap() > 0.0);
    assert!(
        alby["properties"]["gi_z"].is_null(),
        "6 districts are too few for Gi*"
    );
    assert!(areas["warnings"][0].as_str().unwrap().contains("too few"));

    let (status, ts) = get(
        &s,
        "/api/timeseries?area=alby&layer=districts&from=2026-01-05&to=2026-03-30",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ts}");
    let points = ts["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    assert_eq!(points[0]["window"], "2026-W02");
    let sum: f64 = points.iter().map(|p| p["count"].as_f64().unwrap()).sum();
    assert!(
        (sum - count).abs() < 1e-9,
        "weekly sum {sum} vs window count {count}"
    );

    let (status, hot) = get(
        &s,
        "/api/hotspots?unit=areas&layer=districts&window=2026-T3&limit=3",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{hot}");
    let items = hot["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["rank"], 1);
    let scores: Vec<f64> = items.iter().map(|i| i["harm"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let (status, hot) = get(
        &s,
        "/api/hotspots?window=2026-T3&res=9&k=1&limit=5&emerging_weeks=0",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{hot}");
    assert_eq!(hot["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn incidents_categories_and_layers() {
    let s = state();
    let (status, v) = get(
        &s,
        "/api/incidents?bbox=17.80,59.20,17.90,59.26&window=2026-W46&limit=10",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let n = v["features"].as_array().unwrap().len();
    assert!(n <= 10 && n > 0);
    assert!(v["numberMatched"].as_u64().unwrap() >= n as u64);
    let (_, filtered) = get(
        &s,
        "/api/incidents?window=2026-W46&category=graffiti&limit=10000",
    )
    .await;
    assert!(
        filtered["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["category"] == "graffiti")
    );
    assert_eq!(
        filtered["numberMatched"].as_u64().unwrap() as usize,
        filtered["features"].as_array().unwrap().len()
    );
    let (status, c) = get(&s, "/api/categories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(c["categories"].as_array().unwrap().len() >= 14);
    let (_, l) = get(&s, "/api/layers").await;
    assert_eq!(l["layers"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_names_the_parameter() {
    let s = state();
    let cases = [
        ("/api/hexes?res=99", "res"),
        ("/api/hexes?res=5", "not stored"),
        ("/api/hexes?k=0", "k"),
        ("/api/hexes?alpha=2", "alpha"),
        ("/api/hexes?fdr=maybe", "fdr"),
        ("/api/hexes?window=2026-W54", "week 54"),
        ("/api/hexes?window=2026-T4", "tertial"),
        (
            "/api/hexes?from=2026-11-10&to=2026-11-01",
            "after its start",
        ),
        ("/api/hexes?from=2026-11-10", "to"),
        ("/api/hexes?category=nonsense", "nonsense"),
        (
            "/api/hexes?resolution=9",
            "unknown parameter \"resolution\"",
        ),
        ("/api/areas?layer=nope", "layer"),
        ("/api/incidents?bbox=18,59,17,60", "swapped"),
        ("/api/incidents?bbox=NaN,59,18,60", "bbox"),
        ("/api/incidents?bbox=1,2,3", "bbox"),
        ("/api/incidents?limit=0", "limit"),
        ("/api/incidents?limit=-1", "limit"),
        ("/api/incidents?limit=1e9", "limit"),
        ("/api/hotspots?unit=people", "unit"),
        ("/api/hotspots?sort=size", "sort"),
        ("/api/timeseries?cell=nothex", "cell"),
        ("/api/timeseries?interval=day", "interval"),
    ];
    for (uri, needle) in cases {
        let (status, v) = get(&s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{uri}: {msg:?} lacks {needle:?}");
    }
}

#[tokio::test]
async fn uploads_are_validated_and_limited() {
    let sb = Sandbox::new();
    sb.import_districts();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let post = |ct: &str, body: Vec<u8>, q: &str| {
        Request::post(format!("/api/incidents{q}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let csv = format!(
        "{HEADER}{}bad,2026-11-20 10:00,nonsense,59.2,17.8\n",
        row(1)
    );
    let (status, v) = call(
        &s,
        post("text/csv", csv.clone().into_bytes(), "?partner=polisen"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["rejections"][0]["field"], "category");
    let (status, v) = call(
        &s,
        post("text/csv", csv.into_bytes(), "?partner=polisen&strict=true"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // An admin files for another partner, once it is configured (unknown ones are refused).
    lagesbild::access::put_partner(
        &lagesbild::store::Store::open(&s.config().db).unwrap(),
        "bostadsbolaget",
        "Bostadsbolaget",
        false,
        "test",
    )
    .unwrap();
    let gj = br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"g1","geometry":{"type":"Point","coordinates":[17.8453,59.2395]},"properties":{"occurred_at":"2026-11-20T21:15:00+01:00","category":"graffiti"}}]}"#;
    let (status, v) = call(
        &s,
        post(
            "application/geo+json",
            gj.to_vec(),
            "?partner=bostadsbolaget",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], 1);
    let (status, v) = call(&s, post("image/png", b"x".to_vec(), "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("Content-Type"));
    let (status, v) = call(&s, post("text/csv", b"".to_vec(), "?partner=polisen")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("empty"));
    let big = vec![b'a'; lagesbild::serve::MAX_BODY_BYTES + 1];
    let (status, v) = call(&s, post("text/csv", big, "?partner=polisen")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap().contains("MiB"), "{v}");
    assert_eq!(count(&sb.db()), 2);
}

#[tokio::test]
async fn compression_is_negotiated_never_forced() {
    let s = state();
    let plain = router(s.clone())
        .oneshot(as_admin(
            Request::get("/api/layers").body(Body::empty()).unwrap(),
            &s.config().db,
        ))
        .await
        .unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let db = s.config().db.clone();
    let gz = router(s)
        .oneshot(as_admin(
            Request::get("/api/categories")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
            &db,
        ))
        .await
        .unwrap();
    assert_eq!(gz.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
}

#[tokio::test]
async fn cors_preflight_and_repeated_requests() {
    let s = state();
    let res = router(s.clone())
        .oneshot(
            Request::options("/api/hexes")
                .header(header::ORIGIN, "https://karta.example.se")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "*"
    );
    // The second identical request is answered from memory with the same body.
    let (_, a) = get(&s, "/api/areas?layer=districts&window=2026-W40").await;
    let (_, b) = get(&s, "/api/areas?layer=districts&window=2026-W40").await;
    assert_eq!(a, b);
    assert_eq!(a["parameters"]["window"], "2026-W40");
}
