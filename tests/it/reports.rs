//! Reports on the demo data: the weekly situation picture and the tertial analysis as
//! JSON (snapshot-tested with insta), CSV for Swedish Excel, printable HTML (rendered to PDF
//! by headless Chromium and checked with pdftotext), the notes API, small-count
//! suppression, interventions, and every bad input named with a 4xx.

use std::path::PathBuf;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::analysis::hotspots::{AreaQuery, SeriesUnit};
use lagesbild::analysis::mann_kendall::mann_kendall;
use lagesbild::analysis::service::AnalysisService;
use lagesbild::analysis::window::TimeWindow;
use lagesbild::config::{Config, PriorityWeights};
use lagesbild::report::week::ReportOptions;
use lagesbild::report::{self, Lang, html};
use lagesbild::serve::{AppState, router};
use lagesbild::store::Store;

use crate::support::*;

fn service() -> AnalysisService {
    let c = Config::with_db(demo_db().db());
    AnalysisService::new(c.categories, c.timezone, c.study_area)
}

fn week(id: &str, opts: &ReportOptions) -> report::week::WeekReport {
    let store = Store::open(&demo_db().db()).unwrap();
    let w = report::parse_week_id(id).unwrap();
    report::week::build(&service(), &store, &w, opts).unwrap()
}

fn tertial(id: &str, opts: &ReportOptions) -> report::tertial::TertialReport {
    let store = Store::open(&demo_db().db()).unwrap();
    let w = report::parse_tertial_id(id).unwrap();
    report::tertial::build(&service(), &store, &w, opts).unwrap()
}

/// A private copy of the demo database, for tests that write (notes, interventions).
fn demo_copy() -> Sandbox {
    let sb = Sandbox::new();
    let src = demo_db().db();
    // Make sure everything is in the main file before copying it.
    let store = Store::open(&src).unwrap();
    drop(store);
    std::fs::copy(&src, sb.db()).unwrap();
    for ext in ["-wal", "-shm"] {
        let mut from = src.clone().into_os_string();
        from.push(ext);
        let mut to = sb.db().into_os_string();
        to.push(ext);
        if std::path::Path::new(&from).exists() {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    sb
}

async fn call(state: &AppState, req: Request<Body>) -> (StatusCode, Vec<u8>, String) {
    let req = as_admin(req, &state.config().db);
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec(), ct)
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Vec<u8>, String) {
    call(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn json(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or(Value::Null)
}

/// Snapshot options: the present fixed, so the snapshots do not depend on the clock.
fn snapshot_options() -> ReportOptions {
    ReportOptions {
        as_of: Some(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        ),
        ..ReportOptions::default()
    }
}

#[test]
fn week_report_snapshot() {
    let r = week("2026-W47", &snapshot_options());
    insta::assert_json_snapshot!("week_2026_W47", r);
}

#[test]
fn tertial_report_snapshot() {
    let r = tertial("2026-T2", &snapshot_options());
    insta::assert_json_snapshot!("tertial_2026_T2", r);
}

#[test]
fn reports_are_deterministic_and_record_their_parameters() {
    let a = serde_json::to_string(&week("2026-W47", &ReportOptions::default())).unwrap();
    let b = serde_json::to_string(&week("2026-W47", &ReportOptions::default())).unwrap();
    assert_eq!(a, b);
    let v: Value = serde_json::from_str(&a).unwrap();
    let p = &v["parameters"];
    assert_eq!(p["period"], "2026-W47");
    assert_eq!(p["first_day"], "2026-11-16");
    assert_eq!(p["last_day"], "2026-11-22");
    assert_eq!(p["automatic_scale"], true);
    assert_eq!(p["complete"], true);
    assert_eq!(p["elapsed_days"], 7);
    assert!(p["data_version"].as_i64().unwrap() > 0);
    assert_eq!(
        p["regenerate"],
        format!(
            "lagesbild report week 2026-W47 --layer districts --res {} --k {}",
            p["resolution"], p["k"]
        )
    );
    assert!(!v["synthetic_data"].as_array().unwrap().is_empty());
}

#[test]
fn totals_agree_with_the_area_analysis_and_add_up() {
    let r = week("2026-W47", &ReportOptions::default());
    let all = r.totals.all.count.unwrap();
    let groups: f64 = r
        .totals
        .by_group
        .iter()
        .map(|g| g.figure.count.unwrap())
        .sum();
    let partners: f64 = r
        .totals
        .by_partner
        .iter()
        .map(|g| g.figure.count.unwrap())
        .sum();
    let categories: f64 = r
        .totals
        .by_category
        .iter()
        .map(|g| g.figure.count.unwrap())
        .sum();
    assert!((groups - all).abs() < 1e-9 && (partners - all).abs() < 1e-9);
    assert!((categories - all).abs() < 1e-9);
    // An independent path: the area aggregate of the one-area `kommun` layer, per category.
    let store = Store::open(&demo_db().db()).unwrap();
    let svc = service();
    let cats = Config::with_db(demo_db().db()).categories;
    for row in &r.totals.by_category {
        let mut q = AreaQuery::new("kommun", TimeWindow::parse("2026-W47").unwrap());
        q.filter =
            lagesbild::analysis::filter::IncidentFilter::parse(Some(&row.code), None, None, &cats)
                .unwrap();
        let a = svc.areas(&store, &q).unwrap();
        let u = &a.areas[0].aggregate;
        let f = &row.figure;
        assert!((u.count - f.count.unwrap()).abs() < 1e-9, "{}", row.code);
        assert!((u.previous - f.previous.unwrap()).abs() < 1e-9);
        assert!((u.baseline_mean - f.baseline_mean.unwrap()).abs() < 1e-9);
        assert!((u.last_year - f.last_year.unwrap()).abs() < 1e-9);
        assert_eq!(u.rise_p, f.rise_p.unwrap(), "{}", row.code);
    }
    // Rises: every flagged rise has p < alpha, and the multiple-testing figures add up.
    assert_eq!(r.rises.expected_by_chance, r.rises.tests as f64 * 0.05);
    assert!(r.rises.tests >= 3 + r.totals.by_category.len());
    for i in &r.rises.items {
        assert!(i.figure.rise_p.unwrap() < 0.05 && i.q_value >= i.figure.rise_p.unwrap());
    }
}

#[test]
fn tertial_trends_match_mann_kendall_on_the_weekly_series() {
    let r = tertial("2026-T2", &ReportOptions::default());
    let store = Store::open(&demo_db().db()).unwrap();
    let analyzer = service().analyzer(&store).unwrap();
    let tz = analyzer.timezone();
    // Whole ISO weeks of May–August 2026: W19 (4 May) to W35 (ends 31 Aug).
    let from = TimeWindow::parse("2026-W19").unwrap().bounds(tz).0;
    let to = TimeWindow::parse("2026-W35").unwrap().bounds(tz).1 - chrono::Duration::seconds(1);
    for a in &r.areas {
        let s = analyzer
            .weekly_series(
                &SeriesUnit::Area {
                    layer: "districts".into(),
                    id: a.area.id.clone(),
                },
                from,
                to,
                &Default::default(),
            )
            .unwrap();
        let series: Vec<f64> = s.points.iter().map(|p| p.1).collect();
        assert_eq!(series.len(), 17);
        let weekly: Vec<f64> = a.weekly.iter().map(|w| w.unwrap()).collect();
        assert_eq!(weekly, series, "{}", a.area.id);
        let mk = mann_kendall(&series, 0.05).unwrap();
        let got = a.mann_kendall.as_ref().unwrap();
        assert_eq!((got.s, got.z, got.p), (mk.s, mk.z, mk.p));
    }
    // The priority list: components in [0, 1], score by the formula, ranks by score.
    let w = PriorityWeights::default();
    let mut last = f64::INFINITY;
    for i in &r.priority.items {
        let c = i.components;
        for v in [c.harm, c.trend, c.significance, c.population] {
            assert!((0.0..=1.0).contains(&v));
        }
        let expect = (w.harm * c.harm
            + w.trend * c.trend
            + w.significance * c.significance
            + w.population * c.population)
            / (w.harm + w.trend + w.significance + w.population);
        assert!((i.score - expect).abs() < 1e-12);
        assert!(i.score <= last);
        last = i.score;
    }
    assert!(r.priority.formula_en.contains("0.4·harm"));
    // With only population weighted, the ranking is the population order.
    let pop_only = PriorityWeights {
        harm: 0.0,
        trend: 0.0,
        significance: 0.0,
        population: 1.0,
    };
    let r2 = tertial(
        "2026-T2",
        &ReportOptions {
            priority_weights: pop_only,
            ..ReportOptions::default()
        },
    );
    let pops: Vec<u64> = r2
        .priority
        .items
        .iter()
        .map(|i| {
            r2.areas
                .iter()
                .find(|a| a.area.id == i.id)
                .unwrap()
                .area
                .population
                .unwrap()
        })
        .collect();
    assert!(pops.windows(2).all(|w| w[0] >= w[1]), "{pops:?}");
}

/// Every number under a count-like key in the JSON, for the suppression check.
fn count_values(v: &Value, out: &mut Vec<(String, f64)>) {
    const KEYS: [&str; 4] = ["count", "previous", "baseline_mean", "last_year"];
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if KEYS.contains(&k.as_str())
                    && let Some(n) = x.as_f64()
                {
                    out.push((k.clone(), n));
                }
                if k == "cells"
                    && let Some(rows) = x.as_array()
                {
                    for n in rows.iter().flat_map(|r| r.as_array().into_iter().flatten()) {
                        if let Some(n) = n.as_f64() {
                            out.push(("cell".into(), n));
                        }
                    }
                }
                count_values(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| count_values(x, out)),
        _ => {}
    }
}

#[test]
fn small_count_suppression_blanks_every_section() {
    let original = week("2026-W47", &ReportOptions::default());
    let mut before = Vec::new();
    count_values(&serde_json::to_value(&original).unwrap(), &mut before);
    let small = before.iter().filter(|(_, n)| *n > 0.0 && *n < 5.0).count();
    assert!(
        small > 20,
        "the demo week has small counts to suppress: {small}"
    );
    let mut r = original.clone();
    r.suppress_small_counts(5);
    let v = serde_json::to_value(&r).unwrap();
    let mut after = Vec::new();
    count_values(&v, &mut after);
    let windows = r.parameters.baseline_windows as f64;
    for (k, n) in &after {
        // Published counts are hidden or rounded to a multiple of k (a baseline mean is a
        // rounded sum over its windows, divided back).
        let n = if k == "baseline_mean" {
            n * windows
        } else {
            *n
        };
        assert!(
            n == 0.0 || (n >= 5.0 && (n / 5.0 - (n / 5.0).round()).abs() < 1e-9),
            "{k} = {n} survived suppression"
        );
    }
    assert_eq!(v["parameters"]["suppressed_below"], 5);
    // Big counts stay (rounded; the total is built from the published categories), and a
    // blanked count takes its changes with it.
    let (all, was) = (
        r.totals.all.count.unwrap(),
        original.totals.all.count.unwrap(),
    );
    let slack = 2.5 * (r.totals.by_category.len() as f64 + 1.0);
    assert!((all - was).abs() <= slack, "{all} vs {was}");
    for row in &r.totals.by_category {
        if row.figure.count.is_none() {
            assert!(row.figure.change_vs_previous.is_none());
            assert!(row.figure.harm.is_none());
        }
    }
    let mut t = tertial("2026-T2", &ReportOptions::default());
    t.suppress_small_counts(5);
    let mut after = Vec::new();
    count_values(&serde_json::to_value(&t).unwrap(), &mut after);
    let windows = t.parameters.baseline_windows as f64;
    assert!(after.iter().all(|(k, n)| {
        let n = if k == "baseline_mean" {
            n * windows
        } else {
            *n
        };
        n == 0.0 || n >= 5.0
    }));
    assert!(
        t.areas
            .iter()
            .flat_map(|a| &a.weekly)
            .all(|w| w.is_none_or(|n| n == 0.0 || n >= 5.0))
    );
    // HTML and CSV show the blanks.
    let page = html::week(&r, Lang::Sv);
    assert!(page.contains("Antal under 5 visas inte"));
}

#[test]
fn a_region_limits_every_section() {
    let whole = week("2026-W47", &ReportOptions::default());
    let norra = week(
        "2026-W47",
        &ReportOptions {
            region: Some("norra".into()),
            ..ReportOptions::default()
        },
    );
    let same = week(
        "2026-W47",
        &ReportOptions {
            region: Some("regions:norra".into()),
            ..ReportOptions::default()
        },
    );
    assert_eq!(
        serde_json::to_value(&norra).unwrap(),
        serde_json::to_value(&same).unwrap()
    );
    let n = norra.totals.all.count.unwrap();
    assert!(n > 0.0 && n < whole.totals.all.count.unwrap());
    let ids: Vec<&str> = norra.top_areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    for id in ["alby", "fittja", "hallunda-norsborg"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert_eq!(norra.parameters.region.as_ref().unwrap().id, "norra");
    let district_sum: f64 = norra
        .top_areas
        .iter()
        .map(|a| a.figure.count.unwrap())
        .sum();
    assert!((district_sum - n).abs() < 1e-6, "{district_sum} vs {n}");
    let hw: f64 = norra
        .hour_weekday
        .cells
        .iter()
        .flatten()
        .map(|c| c.unwrap())
        .sum();
    assert!((hw - n).abs() < 1e-6);
    assert!(norra.top_hexes.len() <= whole.top_hexes.len());
}

#[tokio::test]
async fn api_serves_json_csv_and_html() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, body, ct) = get(&s, "/api/reports/week/2026-W47").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert!(ct.starts_with("application/json"));
    let v = json(&body);
    for key in [
        "totals",
        "rises",
        "top_areas",
        "top_hexes",
        "emerging",
        "hour_weekday",
        "interventions",
        "notes",
        "parameters",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let (status, body, _) = get(&s, "/api/reports/tertial/2026-T2?layer=districts").await;
    assert_eq!(status, StatusCode::OK);
    let t = json(&body);
    assert!(
        t["priority"]["formula_sv"]
            .as_str()
            .unwrap()
            .contains("poäng")
    );
    assert!(t["followup"].is_array());

    // CSV for Swedish Excel.
    let (status, csv, ct) = get(&s, "/api/reports/week/2026-W47?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        report::csv_out::HEADER.join(";"),
        "semicolon header"
    );
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(';').collect())
        .collect();
    assert!(rows.iter().all(|r| r.len() == 20 || r[0] == "parameters"));
    let all = rows
        .iter()
        .find(|r| r[0] == "totals" && r[1] == "all")
        .unwrap();
    assert!(all[5].contains(','), "decimal comma: {}", all[5]);
    let n: f64 = all[5].replace(',', ".").parse().unwrap();
    let from_json = v["totals"]["all"]["count"].as_f64().unwrap();
    assert_eq!(n, from_json);
    assert!(text.contains("Misshandel"), "Swedish labels");
    let (_, csv2, _) = get(&s, "/api/reports/week/2026-W47/csv?decimal=point&lang=en").await;
    let text2 = String::from_utf8(csv2[3..].to_vec()).unwrap();
    assert!(text2.contains("Assault"));
    let all2 = text2.lines().find(|l| l.starts_with("totals;all")).unwrap();
    assert!(all2.split(';').nth(5).unwrap().contains('.'));
    let (status, tcsv, _) = get(&s, "/api/reports/tertial/2026-T2/csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&tcsv).contains("\r\npriority;area;"));

    // HTML, Swedish by default and English on request.
    let (status, page, ct) = get(&s, "/reports/week/2026-W47").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<html lang=\"sv\">"));
    for (id, sv, _) in html::WEEK_SECTIONS {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        assert!(page.contains(sv), "{sv}");
    }
    assert!(page.contains("SYNTETISKA DEMODATA"));
    assert!(page.contains("<svg"), "inline map");
    assert!(page.contains("@page { size: A4"));
    let (_, page_en, _) = get(&s, "/reports/tertial/2026-T2?lang=en").await;
    let page_en = String::from_utf8(page_en).unwrap();
    for (_, _, en) in html::TERTIAL_SECTIONS {
        assert!(page_en.contains(en), "{en}");
    }
}

#[tokio::test]
async fn bad_report_requests_get_a_clear_4xx() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let long = "9".repeat(5000);
    let cases: Vec<(String, &str)> = vec![
        (
            "/api/reports/week/2026-W54".into(),
            "week 54 does not exist",
        ),
        ("/reports/week/2026-W54".into(), "week 54 does not exist"),
        (
            "/api/reports/week/2025-W53".into(),
            "week 53 does not exist",
        ),
        ("/api/reports/tertial/2026-T4".into(), "T1 (Jan–Apr)"),
        ("/reports/tertial/2026-T0?lang=en".into(), "not a tertial"),
        ("/api/reports/week/2026-T3".into(), "not an ISO week"),
        ("/api/reports/tertial/2026-W47".into(), "not a tertial"),
        ("/api/reports/week/v47".into(), "is not a time window"),
        ("/api/reports/week/2026-W47%00".into(), "not an ISO week"),
        (format!("/api/reports/week/{long}"), "too long"),
        (
            "/api/reports/week/2026-W47?layer=nope".into(),
            "unknown layer \"nope\"",
        ),
        (
            "/api/reports/week/2026-W47?region=atlantis".into(),
            "region \"atlantis\"",
        ),
        (
            "/api/reports/week/2026-W47?region=nope:x".into(),
            "unknown layer \"nope\"",
        ),
        (
            "/api/reports/week/2026-W47?colour=red".into(),
            "unknown parameter \"colour\"",
        ),
        ("/reports/week/2026-W47?lang=de".into(), "parameter lang"),
        (
            "/api/reports/week/2026-W47?format=xml".into(),
            "parameter format",
        ),
        (
            "/reports/week/2026-W47?format=csv".into(),
            "unknown parameter \"format\"",
        ),
        (
            "/api/reports/week/2026-W47/csv?decimal=semicolon".into(),
            "parameter decimal",
        ),
        ("/api/reports/week/2026-W47?res=16".into(), "parameter res"),
        ("/api/reports/week/2026-W47?k=0".into(), "parameter k"),
        (
            "/api/reports/week/2026-W47?region=".to_owned() + &"x".repeat(300),
            "longer than 200",
        ),
    ];
    for (uri, want) in cases {
        let (status, body, _) = get(&s, &uri).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        let msg = json(&body)["error"].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(want), "{uri}: {msg}");
    }
}

#[tokio::test]
async fn notes_are_stored_with_the_report() {
    let sb = demo_copy();
    let s = AppState::new(Config::with_db(sb.db()), None);
    let put = |uri: &str, ct: &str, body: Vec<u8>| {
        Request::put(uri)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let text = "Beslut: extra belysning vid Alby centrum.\n<script>alert(1)</script> & 'citat'";
    let (status, body, _) = call(
        &s,
        put(
            "/api/reports/week/2026-W47/notes",
            "text/plain; charset=utf-8",
            text.into(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (_, body, _) = get(&s, "/api/reports/week/2026-W47").await;
    let v = json(&body);
    assert_eq!(v["notes"]["text"], text);
    let (_, page, _) = get(&s, "/reports/week/2026-W47").await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;citat&#39;"));
    assert!(!page.contains("<script>"));
    // Notes belong to the region they were written for.
    let (status, _, _) = call(
        &s,
        put(
            "/api/reports/week/2026-W47/notes?region=norra",
            "application/json",
            br#"{"notes": "Norra: trygghetsvandring"}"#.to_vec(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body, _) = get(&s, "/api/reports/week/2026-W47/notes?region=regions:norra").await;
    assert_eq!(json(&body)["notes"], "Norra: trygghetsvandring");
    let (_, body, _) = get(&s, "/api/reports/week/2026-W47/notes").await;
    assert_eq!(json(&body)["notes"], text);
    // Tertial notes are separate.
    let (_, body, _) = get(&s, "/api/reports/tertial/2026-T3/notes").await;
    assert!(json(&body)["notes"].is_null());

    // Bad notes leave the stored ones alone.
    let bad: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "text/plain",
                b"a\0b".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "control character",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "text/plain",
                vec![0xff, 0xfe],
            ),
            StatusCode::BAD_REQUEST,
            "UTF-8",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "text/plain",
                "x".repeat(65_537).into_bytes(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "notes: the text is 65537 bytes",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "text/plain",
                vec![b'x'; 300 << 10],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "at most",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "application/json",
                b"{\"notes\": 5}".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "a string",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "application/json",
                b"{not json".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "not JSON",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes",
                "image/png",
                b"x".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "Content-Type",
        ),
        (
            put(
                "/api/reports/week/2026-W54/notes",
                "text/plain",
                b"x".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "week 54",
        ),
        (
            put(
                "/api/reports/tertial/2026-T4/notes",
                "text/plain",
                b"x".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "tertial",
        ),
        (
            put(
                "/api/reports/week/2026-W47/notes?region=atlantis",
                "text/plain",
                b"x".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "atlantis",
        ),
    ];
    for (req, want_status, want) in bad {
        let uri = req.uri().to_string();
        let (status, body, _) = call(&s, req).await;
        assert_eq!(status, want_status, "{uri}");
        let msg = json(&body)["error"].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(want), "{uri}: {msg}");
    }
    let (_, body, _) = get(&s, "/api/reports/week/2026-W47/notes").await;
    assert_eq!(json(&body)["notes"], text, "unchanged by bad requests");
    // An empty text deletes.
    let (status, _, _) = call(
        &s,
        put("/api/reports/week/2026-W47/notes", "text/plain", Vec::new()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body, _) = get(&s, "/api/reports/week/2026-W47/notes").await;
    assert!(json(&body)["notes"].is_null());
}

#[test]
fn interventions_appear_in_the_week_and_their_follow_up_in_the_tertial() {
    use lagesbild::intervention::{InterventionInput, TargetInput};
    let sb = demo_copy();
    let store = Store::open(&sb.db()).unwrap();
    let add = |kind: &str, id: &str, start: &str, end: &str| {
        let input = InterventionInput {
            kind: Some(kind.into()),
            partner: Some("kommunen".into()),
            target: Some(TargetInput {
                kind: Some("area".into()),
                layer: Some("districts".into()),
                id: Some(id.into()),
                ..TargetInput::default()
            }),
            start: Some(start.into()),
            end: Some(end.into()),
            description: Some(format!("{kind} in {id}")),
        };
        store.add_intervention(&input.validate().unwrap()).unwrap()
    };
    let lighting = add("lighting", "alby", "2026-11-01", "2026-12-15");
    let patrol = add("patrol", "tumba", "2026-05-04", "2026-06-28");
    let _earlier = add("dialogue", "fittja", "2026-01-05", "2026-02-01");
    let c = Config::with_db(sb.db());
    let svc = AnalysisService::new(c.categories, c.timezone, c.study_area);
    let w = report::parse_week_id("2026-W47").unwrap();
    let r = report::week::build(&svc, &store, &w, &ReportOptions::default()).unwrap();
    let ids: Vec<i64> = r
        .interventions
        .iter()
        .map(|a| a.intervention.id.0)
        .collect();
    assert_eq!(ids, vec![lighting.id.0]);
    assert_eq!(r.interventions[0].place, "Alby (districts)");
    let page = html::week(&r, Lang::Sv);
    assert!(page.contains("belysning") && page.contains("class=\"intervention\""));
    // In the southern region, Alby's lighting is out of scope.
    let south = report::week::build(
        &svc,
        &store,
        &w,
        &ReportOptions {
            region: Some("sodra".into()),
            ..ReportOptions::default()
        },
    )
    .unwrap();
    assert!(south.interventions.is_empty());

    let t = report::parse_tertial_id("2026-T2").unwrap();
    let r = report::tertial::build(&svc, &store, &t, &ReportOptions::default()).unwrap();
    assert_eq!(r.followup.len(), 1);
    let f = r.followup[0].followup.as_ref().unwrap();
    assert_eq!(f.intervention, patrol.id.0);
    assert!(f.target.before + f.target.after > 0);
    let page = html::tertial(&r, Lang::En);
    assert!(page.contains("WDQ") && page.contains("Tumba (districts)"));
    let csv = report::csv_out::tertial(
        &r,
        report::csv_out::CsvOptions {
            decimal_comma: true,
            lang: Lang::Sv,
        },
    )
    .unwrap();
    let csv = String::from_utf8_lossy(&csv);
    assert!(csv.contains("\r\nfollowup;target;"));
    // One row per zone for the one intervention (a regression: they were written twice).
    for zone in ["target", "buffer", "control"] {
        assert_eq!(
            csv.matches(&format!("\r\nfollowup;{zone};")).count(),
            1,
            "{zone}"
        );
    }
}

/// Where the PDF test leaves its screenshot (documented in docs/reports.md).
fn screenshots() -> PathBuf {
    let dir = repo().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn need(program: &str, package: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{program} is missing: install it with `apt-get install {package}` (scripts/test does)"
    );
}

#[test]
fn html_report_prints_to_pdf_with_every_section() {
    need("chromium", "chromium");
    need("pdftotext", "poppler-utils");
    need("pdftoppm", "poppler-utils");
    let dir = tempfile::tempdir().unwrap();
    for (name, page, sections) in [
        (
            "report-week",
            html::week(&week("2026-W47", &ReportOptions::default()), Lang::Sv),
            html::WEEK_SECTIONS.map(|s| s.1).to_vec(),
        ),
        (
            "report-tertial",
            html::tertial(&tertial("2026-T2", &ReportOptions::default()), Lang::En),
            html::TERTIAL_SECTIONS.map(|s| s.2).to_vec(),
        ),
    ] {
        let html_path = dir.path().join(format!("{name}.html"));
        std::fs::write(&html_path, page).unwrap();
        let pdf = dir.path().join(format!("{name}.pdf"));
        let profile = tempfile::tempdir().unwrap();
        let out = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-unsafe-swiftshader",
                "--use-angle=swiftshader",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", html_path.display()))
            .output()
            .unwrap();
        assert!(
            pdf.exists(),
            "no PDF: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = Command::new("pdftotext")
            .arg("-layout")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        for (i, title) in sections.iter().enumerate() {
            let heading = format!("{}. {title}", i + 1);
            assert!(
                text.contains(&heading),
                "{name}: no section {heading:?} in the PDF"
            );
        }
        let info = Command::new("pdfinfo").arg(&pdf).output();
        if let Ok(info) = info {
            let info = String::from_utf8_lossy(&info.stdout).into_owned();
            assert!(info.contains("(A4)"), "A4 pages: {info}");
        }
        let png = screenshots().join(name);
        let st = Command::new("pdftoppm")
            .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&pdf)
            .arg(&png)
            .status()
            .unwrap();
        assert!(st.success());
        let bytes = std::fs::read(png.with_extension("png")).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000);
    }
}

#[test]
fn cli_writes_reports_and_refuses_bad_ids() {
    let sb = demo_copy();
    let out_html = sb.dir.path().join("v47.html");
    let o = sb.run(&[
        "report",
        "week",
        "2026-W47",
        "--region",
        "norra",
        "--lang",
        "en",
        "--out",
        out_html.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(&out_html).unwrap();
    assert!(
        page.contains("Weekly situation picture, week 47, 2026") && page.contains("Norra Botkyrka")
    );
    let o = sb.run(&["report", "tertial", "2026-T2", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["id"], "2026-T2");
    let o = sb.run(&[
        "report",
        "week",
        "2026-W47",
        "--format",
        "csv",
        "--decimal",
        "point",
    ]);
    assert!(o.status.success() && o.stdout.starts_with(b"\xEF\xBB\xBFsection;"));
    let o = sb.run(&["report", "notes", "2026-W47", "--text", "Möte 25/11"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sb.run(&["report", "week", "2026-W47", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["notes"]["text"], "Möte 25/11");
    for (args, want) in [
        (vec!["report", "week", "2026-W54"], "week 54 does not exist"),
        (vec!["report", "tertial", "2026-T4"], "T1 (Jan–Apr)"),
        (vec!["report", "week", "2026-T3"], "not an ISO week"),
        (vec!["report", "week", "2026-W47", "--res", "20"], "--res"),
        (
            vec!["report", "week", "2026-W47", "--region", "atlantis"],
            "atlantis",
        ),
        (
            vec!["report", "notes", "2026-W99", "--text", "x"],
            "not a report id",
        ),
        (vec!["report", "notes", "2026-W47"], "--text"),
    ] {
        let o = sb.run(&args);
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let help = sb.run(&["report", "week", "--help"]);
    assert!(stdout(&help).contains("Examples:"));
}
