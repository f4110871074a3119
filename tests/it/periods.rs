//! Periods in progress, the quarter cadence and one scale per period, on the demo data:
//! a running period reports `complete: false` and its `elapsed_days`, and its comparisons are
//! to-date (checked against the area analysis of the same days as a custom window); a
//! finished one is `complete: true`; quarterly reports end to end; the report's automatic
//! H3 resolution and ring size equal the map's default for the same week.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::analysis::hotspots::AreaQuery;
use lagesbild::analysis::service::AnalysisService;
use lagesbild::analysis::window::TimeWindow;
use lagesbild::config::Config;
use lagesbild::report::{self, week::ReportOptions};
use lagesbild::serve::{AppState, router};
use lagesbild::store::Store;

use crate::support::*;

fn service() -> AnalysisService {
    let c = Config::with_db(demo_db().db());
    AnalysisService::new(c.categories, c.timezone, c.study_area)
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, Value, String) {
    let req = as_admin(
        Request::get(uri).body(Body::empty()).unwrap(),
        &state.config().db,
    );
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text,
    )
}

/// Area counts of `window` (a custom range), by area id.
fn area_counts(store: &Store, window: &str) -> std::collections::HashMap<String, f64> {
    let mut q = AreaQuery::new("districts", TimeWindow::parse(window).unwrap());
    q.as_of = at("2030-01-01T00:00:00Z");
    let r = service().areas(store, &q).unwrap();
    r.areas
        .iter()
        .map(|a| (a.id.clone(), a.aggregate.count))
        .collect()
}

#[test]
fn a_running_week_is_compared_to_date_and_a_finished_one_whole() {
    let store = Store::open(&demo_db().db()).unwrap();
    let w = report::parse_week_id("2026-W47").unwrap();
    // Wednesday 18 November 2026, 13:00 local: Monday to Wednesday have begun.
    let opts = ReportOptions {
        as_of: Some(at("2026-11-18T12:00:00Z")),
        ..ReportOptions::default()
    };
    let running = report::week::build(&service(), &store, &w, &opts).unwrap();
    assert!(!running.parameters.complete);
    assert_eq!(running.parameters.elapsed_days, 3);
    assert!(
        running
            .parameters
            .regenerate
            .contains("--as-of 2026-11-18T12:00:00Z")
    );
    // The same three days of this week, the week before and the same week last year.
    let now = area_counts(&store, "2026-11-16/2026-11-19");
    let before = area_counts(&store, "2026-11-09/2026-11-12");
    let last_year = area_counts(&store, "2025-11-17/2025-11-20");
    assert!(!running.top_areas.is_empty());
    for a in &running.top_areas {
        let close = |x: Option<f64>, y: f64| (x.unwrap() - y).abs() < 1e-9;
        assert!(close(a.figure.count, now[&a.id]), "{} count", a.id);
        assert!(close(a.figure.previous, before[&a.id]), "{} previous", a.id);
        assert!(
            close(a.figure.last_year, last_year[&a.id]),
            "{} last year",
            a.id
        );
    }
    let html = report::html::week(&running, report::Lang::Sv);
    assert!(
        html.contains("PÅGÅENDE PERIOD"),
        "the printed report says so"
    );

    let done = report::week::build(
        &service(),
        &store,
        &w,
        &ReportOptions {
            as_of: Some(at("2026-12-07T12:00:00Z")),
            ..ReportOptions::default()
        },
    )
    .unwrap();
    assert!(done.parameters.complete);
    assert_eq!(done.parameters.elapsed_days, 7);
    assert!(!report::html::week(&done, report::Lang::Sv).contains("PÅGÅENDE PERIOD"));
    let whole_before = area_counts(&store, "2026-W46");
    for a in &done.top_areas {
        assert!((a.figure.previous.unwrap() - whole_before[&a.id]).abs() < 1e-9);
    }
}

#[test]
fn a_running_tertial_counts_no_future_week() {
    let store = Store::open(&demo_db().db()).unwrap();
    let w = report::parse_tertial_id("2026-T3").unwrap();
    // Thursday 1 October 2026: of the whole ISO weeks inside the tertial (from W37, Monday
    // 7 September), W37 to W39 have ended; W40 is running and is left out of the trend.
    let r = report::tertial::build(
        &service(),
        &store,
        &w,
        &ReportOptions {
            as_of: Some(at("2026-10-01T10:00:00Z")),
            ..ReportOptions::default()
        },
    )
    .unwrap();
    assert!(!r.parameters.complete);
    assert_eq!(r.parameters.elapsed_days, 31);
    let weeks: Vec<&str> = r.weekly_totals.iter().map(|p| p.week.as_str()).collect();
    assert_eq!(
        weeks.last(),
        Some(&"2026-W39"),
        "whole weeks begun only: {weeks:?}"
    );
    assert!(r.areas.iter().all(|a| a.weekly.len() == weeks.len()));
}

#[tokio::test]
async fn api_windows_say_whether_they_are_complete() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, v, text) = get(&s, "/api/areas?layer=districts&window=2026-W47").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(v["parameters"]["complete"], true, "{}", v["parameters"]);
    assert_eq!(v["parameters"]["elapsed_days"], 7);
    // The current year has not ended (the clock of this machine says 2026 or later).
    let year = Utc::now().format("%Y").to_string();
    let (_, v, _) = get(
        &s,
        &format!("/api/hotspots?unit=hexes&window={year}&limit=1"),
    )
    .await;
    assert_eq!(
        v["parameters"]["computed"]["complete"], false,
        "{}",
        v["parameters"]
    );
    let (_, v, _) = get(&s, "/api/reports/week/2026-W47").await;
    assert_eq!(v["parameters"]["complete"], true);
}

#[tokio::test]
async fn quarterly_reports_end_to_end_and_bad_periods_are_named() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, v, text) = get(&s, "/api/reports/quarter/2026-Q3").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(v["id"], "2026-Q3");
    assert_eq!(v["parameters"]["report"], "quarter");
    assert_eq!(v["parameters"]["first_day"], "2026-07-01");
    assert_eq!(v["parameters"]["last_day"], "2026-09-30");
    assert!(!v["priority"]["items"].as_array().unwrap().is_empty());
    let (status, _, html) = get(&s, "/reports/quarter/2026-Q3").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Kvartalsanalys Q3 2026"),
        "{}",
        &html[..300.min(html.len())]
    );
    let (status, _, csv) = get(&s, "/api/reports/quarter/2026-Q3/csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("2026-Q3"));
    for (uri, want) in [
        ("/api/reports/quarter/2026-Q5", "2026-Q5"),
        ("/reports/quarter/2026-Q0", "2026-Q0"),
        ("/api/reports/quarter/2026-T3", "not a quarter"),
        ("/api/reports/tertial/2026-T4", "2026-T4"),
        ("/api/reports/week/2026-W54", "week 54"),
    ] {
        let (status, v, text) = get(&s, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {text}");
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(msg.contains(want), "{uri}: {msg}");
    }
    // The CLI with the quarter cadence.
    let out = demo_db().run(&[
        "--cadence",
        "quarter",
        "report",
        "quarter",
        "2026-Q3",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["parameters"]["report"], "quarter");
    let out = demo_db().run(&["report", "quarter", "2026-Q5"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("2026-Q5"), "{}", stderr(&out));
    let out = demo_db().run(&["--cadence", "monthly", "report", "quarter", "2026-Q3"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cadence \"monthly\""),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_map_default_and_the_report_share_one_scale() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    for window in ["2026-W47", "2026-T2"] {
        let (_, map, _) = get(
            &s,
            &format!("/api/hotspots?unit=hexes&window={window}&limit=1"),
        )
        .await;
        let kind = if window.contains('W') {
            "week"
        } else {
            "tertial"
        };
        let (_, rep, _) = get(&s, &format!("/api/reports/{kind}/{window}")).await;
        assert_eq!(
            map["parameters"]["scale"]["resolution"], rep["parameters"]["resolution"],
            "{window}: {} vs {}",
            map["parameters"]["scale"], rep["parameters"]
        );
        assert_eq!(
            map["parameters"]["scale"]["k"], rep["parameters"]["k"],
            "{window}"
        );
        assert_eq!(rep["parameters"]["automatic_scale"], true);
    }
}

#[tokio::test]
async fn config_names_the_cadence_layers_and_emerging_labels() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, v, text) = get(&s, "/api/config").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(v["cadence"], "tertial");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(layers.contains(&"districts"), "{layers:?}");
    let classes = v["emerging_classes"].as_array().unwrap();
    let new_hot = classes.iter().find(|c| c["class"] == "new_hot").unwrap();
    assert_eq!(new_hot["label_sv"], "ny hotspot");
    assert_eq!(new_hot["label_en"], "new hotspot");
}
