//! `GET /api/forecast` on the synthetic demo: the forecast finds the planted hotspots, its
//! back-test beats the last-period baseline, and bad parameters get a 400 naming them.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::demo::generate::{HotspotKind, PLANTED};
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

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (a.1 - b.1) * 111_320.0;
    let dx = (a.0 - b.0) * 111_320.0 * a.1.to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

fn centre(feature: &Value) -> (f64, f64) {
    let ring = feature["geometry"]["coordinates"][0].as_array().unwrap();
    let n = (ring.len() - 1) as f64;
    let sum = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |s, p| {
        (s.0 + p[0].as_f64().unwrap(), s.1 + p[1].as_f64().unwrap())
    });
    (sum.0 / n, sum.1 / n)
}

#[tokio::test]
async fn the_forecast_finds_the_planted_hotspots_and_beats_last_week() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    // The demo ends with week 2026-W47; forecast that week from the weeks before it.
    let (status, v) = get(&s, "/api/forecast?res=9&week=2026-W47").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["week"], "2026-W47");
    assert_eq!(v["res"], 9);
    assert!(v["method"].as_str().unwrap().contains("Bowers"));
    assert!(v["data_version"].as_i64().unwrap() > 0);
    let features = v["features"].as_array().unwrap();
    assert!(features.len() > 1000, "{}", features.len());
    let mut ranks: Vec<u64> = features
        .iter()
        .map(|f| f["properties"]["rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=features.len() as u64).collect::<Vec<_>>());
    for key in ["cell", "forecast", "rank", "last_period", "kde"] {
        assert!(
            features[0]["properties"].get(key).is_some(),
            "missing {key}"
        );
    }
    let total: f64 = features
        .iter()
        .map(|f| f["properties"]["forecast"].as_f64().unwrap())
        .sum();
    // About 7,000 incidents a year plus the planted ones: 130–170 a week.
    assert!(
        (100.0..220.0).contains(&total),
        "expected weekly total {total}"
    );

    // The 20 highest-ranked cells lie at planted clusters still active at the end.
    let active: Vec<(f64, f64)> = PLANTED
        .iter()
        .filter(|p| p.kind != HotspotKind::Fading)
        .map(|p| (p.lon, p.lat))
        .collect();
    let mut by_rank: Vec<&Value> = features.iter().collect();
    by_rank.sort_by_key(|f| f["properties"]["rank"].as_u64().unwrap());
    for f in &by_rank[..20] {
        let c = centre(f);
        let nearest = active
            .iter()
            .map(|p| distance_m(c, *p))
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest < 1000.0,
            "rank {} at {c:?} is {nearest:.0} m from a planted hotspot",
            f["properties"]["rank"]
        );
    }
    // The emerging cluster (full strength at the end) is in the top 5 %; at the faded one
    // (gone for a year; a persistent residential cluster lies 700 m away) the forecast is
    // far lower.
    let top5 = by_rank.len() / 20;
    let site = |name: &str| {
        let p = PLANTED.iter().find(|p| p.name.contains(name)).unwrap();
        (p.lon, p.lat)
    };
    let best_near = |at: (f64, f64)| {
        by_rank
            .iter()
            .filter(|f| distance_m(centre(f), at) < 250.0)
            .map(|f| {
                (
                    f["properties"]["rank"].as_u64().unwrap(),
                    f["properties"]["forecast"].as_f64().unwrap(),
                )
            })
            .min_by_key(|x| x.0)
            .unwrap()
    };
    let (emerging_rank, emerging) = best_near(site("framväxande"));
    let (fading_rank, fading) = best_near(site("avtagande"));
    eprintln!(
        "emerging: rank {emerging_rank} ({emerging:.3}); faded: rank {fading_rank} ({fading:.3}); top 5 % = {top5}"
    );
    assert!(emerging_rank as usize <= top5);
    assert!(emerging > 2.0 * fading);

    // The back-test.
    let bt = &v["backtest"];
    assert_eq!(bt["weeks"], 52);
    assert_eq!(bt["to"], "2026-W46");
    assert_eq!(bt["from"], "2025-W47");
    let levels = bt["levels"].as_array().unwrap();
    let coverages: Vec<f64> = levels
        .iter()
        .map(|l| l["coverage"].as_f64().unwrap())
        .collect();
    assert_eq!(coverages, [0.01, 0.02, 0.05, 0.10]);
    for l in levels {
        for method in ["forecast", "last_period", "kde"] {
            for m in ["hit_rate", "pai", "pei", "rri"] {
                let x = l[method][m]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{method}.{m} missing: {l}"));
                assert!(x.is_finite() && x >= 0.0);
            }
            let pei = l[method]["pei"].as_f64().unwrap();
            assert!(pei <= 1.0 + 1e-9, "PEI above 1: {l}");
        }
        // The hit rate grows with the area covered.
    }
    for w in levels.windows(2) {
        assert!(w[1]["forecast"]["hit_rate"].as_f64() >= w[0]["forecast"]["hit_rate"].as_f64());
    }
    let at5 = &levels[2];
    let pai = |m: &str| at5[m]["pai"].as_f64().unwrap();
    eprintln!(
        "PAI at 5 %: forecast {:.2}, last_period {:.2}, kde {:.2}",
        pai("forecast"),
        pai("last_period"),
        pai("kde")
    );
    assert!(pai("forecast") > 2.0, "{at5}");
    assert!(pai("forecast") > pai("last_period"), "{at5}");
}

#[tokio::test]
async fn bad_forecast_parameters_are_named() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    for (uri, needle) in [
        ("/api/forecast?res=16", "parameter res"),
        ("/api/forecast?res=nine", "parameter res"),
        ("/api/forecast?res=5", "res: cells are stored"),
        ("/api/forecast?week=2026-W54", "week 54 does not exist"),
        ("/api/forecast?week=2026-11", "not an ISO week"),
        ("/api/forecast?week=2999-W01", "lies after"),
        ("/api/forecast?week=%00", "parameter week"),
        ("/api/forecast?backtest_weeks=100000", "backtest_weeks"),
        ("/api/forecast?window=2026-W47", "week="),
        ("/api/forecast?category=nonsense", "category"),
        ("/api/forecast?bbox=1,2,3,4", "unknown parameter"),
    ] {
        let (status, v) = get(&s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["error"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }
}
