//! The probes of issue 16, as attacks on the public demo (anonymous, public access on)
//! and as a viewer. Each attack gathers restricted answers and works out, for every
//! hidden count it targets, the values the published numbers still allow. An attack
//! "recovers" a count when one value is left; each must recover nothing. Every attack
//! also checks that it had hidden counts to aim at, so it could fail.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::access::Role;
use lagesbild::config::Config;
use lagesbild::serve::auth::AuthSettings;
use lagesbild::serve::{AppState, router};

use crate::support::*;

const K: f64 = 5.0;

/// The attackers: anonymous on the public demo, and a viewer.
fn attackers() -> Vec<(AppState, Option<String>)> {
    let db = demo_db().db();
    let state = AppState::with_auth(
        Config::with_db(&db),
        None,
        AuthSettings {
            public: true,
            ..AuthSettings::default()
        },
    );
    let viewer = make_token(&db, "polisen", Role::Viewer);
    vec![(state.clone(), None), (state, Some(viewer))]
}

fn analyst() -> String {
    make_token(&demo_db().db(), "polisen", Role::Analyst)
}

async fn fetch(state: &AppState, uri: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
    let mut b = Request::builder().uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = router(state.clone())
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

async fn json(state: &AppState, uri: &str, token: Option<&str>) -> Value {
    let (status, body) = fetch(state, uri, token).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

/// What a published count says about the true count: `[lo, hi]` (hidden: `(0, k)`;
/// zero: exactly 0; `r`: rounded to the nearest multiple of k, never below k).
#[derive(Debug, Clone, Copy)]
struct Iv {
    lo: f64,
    hi: f64,
}

fn iv(v: &Value) -> Iv {
    match v.as_f64() {
        None => Iv {
            lo: 0.01,
            hi: K - 0.01,
        },
        Some(0.0) => Iv { lo: 0.0, hi: 0.0 },
        Some(r) if r == K => Iv { lo: K, hi: K * 1.5 },
        Some(r) => Iv {
            lo: r - K / 2.0,
            hi: r + K / 2.0,
        },
    }
}

/// The whole counts a hidden part may still have, given `total = part + others`.
fn feasible(total: Iv, others: &[Iv]) -> usize {
    let lo = total.lo - others.iter().map(|o| o.hi).sum::<f64>();
    let hi = total.hi - others.iter().map(|o| o.lo).sum::<f64>();
    (1..(K as i64))
        .filter(|&h| (h as f64) >= lo - 1e-9 && (h as f64) <= hi + 1e-9)
        .count()
}

/// Attacks one table: for each hidden part, total minus the others.
fn attack_table(what: &str, total: &Value, parts: &[Value]) -> usize {
    let ivs: Vec<Iv> = parts.iter().map(iv).collect();
    let mut targets = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.is_null() {
            targets += 1;
            let others: Vec<Iv> = ivs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, v)| *v)
                .collect();
            let n = feasible(iv(total), &others);
            assert!(n >= 2, "{what}: hidden part {i} has {n} feasible value(s)");
        }
    }
    targets
}

fn assert_published(v: &Value, what: &str) {
    if let Some(c) = v.as_f64() {
        assert!(
            c == 0.0 || (c >= K && (c / K).fract() == 0.0),
            "{what}: {c} is neither 0 nor a multiple of k"
        );
    }
}

#[tokio::test]
async fn gi_star_gives_nothing_back() {
    for (state, token) in attackers() {
        let t = token.as_deref();
        let hexes = json(&state, "/api/hexes?window=2026-W47", t).await;
        let features = hexes["features"].as_array().unwrap();
        let hidden = features
            .iter()
            .filter(|f| f["properties"]["count"].is_null())
            .count();
        assert!(hidden > 0, "the attack has hidden cells to aim at");
        for f in features {
            let p = &f["properties"];
            assert!(p["gi_z"].is_null() && p["gi_p"].is_null(), "{p}");
            assert!(p["gi_bin"].is_i64(), "the class stays");
            assert_published(&p["count"], "hex count");
        }
        // The same in the OGC collection, tiles and the report's top hexes.
        let ogc = json(&state, "/ogc/collections/hexes-r8/items?datetime=2026-11-16T00:00:00Z/2026-11-23T00:00:00Z&limit=1000", t).await;
        for f in ogc["features"].as_array().unwrap() {
            assert!(f["properties"]["gi_z"].is_null(), "{}", f["properties"]);
        }
        let report = json(&state, "/api/reports/week/2026-W47", t).await;
        for h in report["top_hexes"].as_array().unwrap() {
            assert!(h["gi_z"].is_null(), "{h}");
        }
    }
    // The analyst sees z: the equations the attack would need exist, and are withheld.
    let (state, _) = attackers().remove(0);
    let full = json(&state, "/api/hexes?window=2026-W47", Some(&analyst())).await;
    assert!(
        full["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["gi_z"].is_f64())
    );
}

#[tokio::test]
async fn windows_one_day_apart_and_a_binary_search_learn_nothing() {
    for (state, token) in attackers() {
        let t = token.as_deref();
        for route in ["/api/hexes", "/api/areas", "/api/hotspots"] {
            let week = json(&state, &format!("{route}?from=2026-11-16&to=2026-11-23"), t).await;
            let counts = |v: &Value| -> Vec<Value> {
                let list = v["features"].as_array().or(v["items"].as_array()).unwrap();
                list.iter()
                    .map(|f| f.get("properties").unwrap_or(f)["count"].clone())
                    .collect()
            };
            // A binary search on the start time: every probe gets the same answer.
            for start in [
                "2026-11-17",
                "2026-11-16T12:00:00%2B01:00",
                "2026-11-19T03:17:00%2B01:00",
                "2026-11-22T23:59:00%2B01:00",
            ] {
                let other = json(&state, &format!("{route}?from={start}&to=2026-11-23"), t).await;
                assert_eq!(counts(&week), counts(&other), "{route} from {start}");
                assert_eq!(
                    week["parameters"]["computed"]["from"]
                        .as_str()
                        .or(week["parameters"]["from"].as_str()),
                    other["parameters"]["computed"]["from"]
                        .as_str()
                        .or(other["parameters"]["from"].as_str()),
                    "{route}: the window is widened to whole weeks and says so"
                );
            }
        }
    }
}

/// Every (total, parts) table of a report's breakdown.
fn breakdown_tables(totals: &Value) -> Vec<(String, Value, Vec<Value>)> {
    let col = |list: &str| -> Vec<Value> {
        totals[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["count"].clone())
            .collect()
    };
    let mut out = vec![
        (
            "all vs categories".into(),
            totals["all"]["count"].clone(),
            col("by_category"),
        ),
        (
            "all vs partners".into(),
            totals["all"]["count"].clone(),
            col("by_partner"),
        ),
        (
            "all vs groups".into(),
            totals["all"]["count"].clone(),
            col("by_group"),
        ),
    ];
    out.retain(|(_, _, parts)| !parts.is_empty());
    out
}

#[tokio::test]
async fn reports_give_nothing_back_by_subtraction() {
    let mut targets = 0;
    for (state, token) in attackers() {
        let t = token.as_deref();
        for id in ["week/2026-W47", "week/2026-W46", "tertial/2026-T3"] {
            let r = json(&state, &format!("/api/reports/{id}"), t).await;
            for (what, total, parts) in breakdown_tables(&r["totals"]) {
                assert_published(&total, &what);
                parts.iter().for_each(|p| assert_published(p, &what));
                targets += attack_table(&format!("{id} {what}"), &total, &parts);
            }
            // The CSV and the HTML print the same published numbers.
            let (status, csv) = fetch(&state, &format!("/api/reports/{id}/csv"), t).await;
            if status == StatusCode::OK {
                let csv = String::from_utf8_lossy(&csv).into_owned();
                check_csv_counts(&csv, id);
            }
            let (status, html) = fetch(&state, &format!("/reports/{id}"), t).await;
            assert_eq!(status, StatusCode::OK);
            let html = String::from_utf8_lossy(&html);
            assert!(html.contains("<table"), "{id}");
            // Ranked lists: only published units, by published harm.
            for list in ["top_hexes", "top_areas"] {
                if let Some(rows) = r[list].as_array() {
                    let harms: Vec<f64> = rows
                        .iter()
                        .map(|h| {
                            assert!(
                                !h["count"].is_null(),
                                "{id} {list}: a hidden unit is ranked"
                            );
                            h["harm"].as_f64().unwrap_or(0.0)
                        })
                        .collect();
                    assert!(
                        harms.windows(2).all(|w| w[0] >= w[1]),
                        "{id} {list}: {harms:?}"
                    );
                }
            }
        }
    }
    assert!(targets > 0, "the reports have hidden figures to aim at");
}

/// The category codes, for filters that make counts small.
async fn categories(state: &AppState, t: Option<&str>) -> Vec<String> {
    json(state, "/api/categories", t).await["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"].as_str().map(str::to_owned))
        .collect()
}

/// Every number in a count column of the CSV is blank, 0 or a multiple of k.
fn check_csv_counts(csv: &str, id: &str) {
    let mut header: Vec<String> = Vec::new();
    for line in csv.lines() {
        let cells: Vec<&str> = line.split(';').collect();
        if cells.iter().any(|c| c.trim_matches('"') == "count") {
            header = cells
                .iter()
                .map(|c| c.trim_matches('"').to_owned())
                .collect();
            continue;
        }
        for (h, c) in header.iter().zip(&cells) {
            if ["count", "previous", "last_year"].contains(&h.as_str()) {
                let c = c.trim_matches('"').replace(',', ".");
                if let Ok(v) = c.parse::<f64>() {
                    assert!(
                        v == 0.0 || (v >= K && (v / K).fract() == 0.0),
                        "{id} CSV {h}: {v}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn regions_minus_districts_give_nothing_back() {
    let mut targets = 0;
    for (state, token) in attackers() {
        let t = token.as_deref();
        let cats = categories(&state, t).await;
        for (w, cat) in (40..=47).flat_map(|w| cats.iter().map(move |c| (w, c))) {
            let win = format!("window=2026-W{w}&category={cat}");
            let regions = json(&state, &format!("/api/areas?layer=regions&{win}"), t).await;
            let districts = json(&state, &format!("/api/areas?layer=districts&{win}"), t).await;
            for r in regions["features"].as_array().unwrap() {
                let id = &r["properties"]["id"];
                let parts: Vec<Value> = districts["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| &d["properties"]["parent"] == id)
                    .map(|d| d["properties"]["count"].clone())
                    .collect();
                assert!(!parts.is_empty(), "districts name their region");
                targets += attack_table(
                    &format!("W{w} {cat} region {id}"),
                    &r["properties"]["count"],
                    &parts,
                );
            }
        }
    }
    assert!(targets > 0, "hidden districts to aim at");
}

#[tokio::test]
async fn a_profile_minus_the_areas_answer_gives_nothing_back() {
    let mut targets = 0;
    for (state, token) in attackers() {
        let t = token.as_deref();
        let areas = json(&state, "/api/areas?layer=districts&window=2026-W47", t).await;
        for a in areas["features"].as_array().unwrap() {
            let id = a["properties"]["id"].as_str().unwrap();
            let p = json(
                &state,
                &format!("/api/profile?area={id}&layer=districts&window=2026-W47"),
                t,
            )
            .await;
            let parts: Vec<Value> = p["by_category"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["count"].clone())
                .collect();
            targets += attack_table(
                &format!("{id} areas vs profile"),
                &a["properties"]["count"],
                &parts,
            );
            targets += attack_table(&format!("{id} profile total"), &p["total"], &parts);
        }
    }
    assert!(targets > 0, "hidden categories to aim at");
}

#[tokio::test]
async fn fifty_two_weeks_minus_fifty_one_give_nothing_back() {
    let mut targets = 0;
    for (state, token) in attackers() {
        let t = token.as_deref();
        for cat in categories(&state, t).await {
            let q = |range: &str| format!("/api/areas?layer=districts&category={cat}&{range}");
            let long = json(&state, &q("from=2025-11-24&to=2026-11-23"), t).await;
            let short = json(&state, &q("from=2025-11-24&to=2026-11-16"), t).await;
            let last = json(&state, &q("window=2026-W47"), t).await;
            let by_id = |v: &Value, id: &Value| -> Value {
                v["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| &f["properties"]["id"] == id)
                    .map(|f| f["properties"]["count"].clone())
                    .unwrap()
            };
            for f in last["features"].as_array().unwrap() {
                let id = &f["properties"]["id"];
                if f["properties"]["count"].is_null() {
                    targets += 1;
                    let n = feasible(iv(&by_id(&long, id)), &[iv(&by_id(&short, id))]);
                    assert!(n >= 2, "{cat} {id}: week 47 has {n} feasible value(s)");
                }
            }
        }
        // And the weekly time series against the 52-week total.
        let ts = json(
            &state,
            "/api/timeseries?layer=districts&area=alby&from=2025-11-24&to=2026-11-23",
            t,
        )
        .await;
        let points: Vec<Value> = ts["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["count"].clone())
            .collect();
        points
            .iter()
            .for_each(|p| assert_published(p, "time series"));
    }
    assert!(targets > 0, "hidden weeks to aim at");
}

#[tokio::test]
async fn rankings_use_only_what_the_caller_sees() {
    for (state, token) in attackers() {
        let t = token.as_deref();
        for sort in ["harm", "count", "gi_z"] {
            let r = json(
                &state,
                &format!("/api/hotspots?window=2026-W47&sort={sort}&limit=1000"),
                t,
            )
            .await;
            let items = r["items"].as_array().unwrap();
            assert!(!items.is_empty());
            let key = if sort == "gi_z" { "gi_bin" } else { sort };
            let mut last = f64::INFINITY;
            for i in items {
                assert!(!i["count"].is_null(), "hidden unit ranked");
                assert!(i["gi_z"].is_null());
                let v = i[key].as_f64().unwrap_or(0.0);
                assert_eq!(
                    i["score"].as_f64(),
                    Some(v),
                    "{sort}: the score is the published value"
                );
                assert!(v <= last, "{sort}: order by published values");
                last = v;
            }
        }
    }
}
