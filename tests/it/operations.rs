//! Operations: `/metrics` (who may scrape it; the text parsed by the `prometheus-client`
//! Python package's parser, the one Prometheus's own client library ships; the families and
//! counts checked against the requests made), `/ready` against `/health`, `--cache-mb` and
//! `LAGESBILD_LOG_FORMAT` as start-up checks of the real binary, the query limits, and the
//! memory run at a reduced size.

use std::process::Command;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::access::Role;
use lagesbild::config::Config;
use lagesbild::serve::auth::AuthSettings;
use lagesbild::serve::{AppState, CacheBudget, router};

use crate::support::*;

const SCRAPE: &str = "scrape-secret-0123456789";

async fn call(
    s: &AppState,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(body) => b
            .header(header::CONTENT_TYPE, "application/geo+json")
            .body(Body::from(body)),
        None => b.body(Body::empty()),
    }
    .unwrap();
    let res = router(s.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn python() -> String {
    std::env::var("LAGESBILD_TEST_PYTHON").unwrap_or_else(|_| {
        repo()
            .join(".venv-test/bin/python")
            .to_string_lossy()
            .into_owned()
    })
}

/// Parses Prometheus text with `prometheus_client.parser`; returns
/// `{family: {"type": .., "samples": [[name, labels, value], ..]}}`.
fn parse_prometheus(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.txt");
    std::fs::write(&file, text).unwrap();
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    out[fam.name] = {"type": fam.type,
                     "samples": [[s.name, s.labels, s.value] for s in fam.samples]}
print(json.dumps(out))
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect(
            "run the test Python: `scripts/test` makes .venv-test with prometheus-client, or \
             set LAGESBILD_TEST_PYTHON",
        );
    assert!(
        out.status.success(),
        "the Prometheus parser refused /metrics (install with `.venv-test/bin/pip install \
         prometheus-client`):\n{}\n{text}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The sample of `family` whose labels include all of `labels`.
fn sample(m: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    m[family]["samples"].as_array()?.iter().find_map(|s| {
        let ok = s[0] == name && labels.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v));
        ok.then(|| s[2].as_f64().unwrap())
    })
}

#[tokio::test]
async fn metrics_are_closed_to_the_public_and_parse_with_every_family() {
    let sb = Sandbox::new();
    sb.import_districts();
    let db = sb.db();
    let settings = AuthSettings {
        public: true,
        ..AuthSettings::default()
    };
    let s = AppState::with_auth(Config::with_db(&db), None, settings)
        .with_operations(CacheBudget::from_mb(64).unwrap(), Some(SCRAPE.into()));
    let admin = admin_token(&db);
    let analyst = make_token(&db, "polisen", Role::Analyst);
    let reporter = make_token(&db, "kommunen", Role::Reporter);

    // Who may scrape.
    let (status, body) = call(&s, Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("LAGESBILD_METRICS_TOKEN"), "{body}");
    let (status, _) = call(&s, Method::GET, "/metrics", Some(&analyst), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for wrong in ["scrape-secret", "scrape-secret-01234567890", "", "Bearer"] {
        let (status, _) = call(&s, Method::GET, "/metrics", Some(wrong), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "token {wrong:?}");
    }
    let (status, _) = call(&s, Method::GET, "/metrics", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);

    // Traffic: an ingest with one good, one bad and one duplicate row, reads twice (the
    // second from the caches), a 404.
    let feature = |id: &str, cat: &str| {
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [17.8453, 59.2395] },
                "properties": { "id": id, "category": cat, "occurred_at": "2026-11-18T19:00:00+01:00" } })
    };
    let body = json!({ "type": "FeatureCollection", "features": [
        feature("m-1", "vandalism"), feature("m-2", "no_such_category")] })
    .to_string();
    let (status, reply) = call(
        &s,
        Method::POST,
        "/api/incidents",
        Some(&reporter),
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let body = json!({ "type": "FeatureCollection", "features": [feature("m-1", "vandalism")] })
        .to_string();
    let (_, reply) = call(
        &s,
        Method::POST,
        "/api/incidents",
        Some(&reporter),
        Some(body),
    )
    .await;
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["duplicates"], 1, "{reply}");
    for _ in 0..2 {
        for uri in [
            "/api/areas?layer=districts&window=2026-11",
            "/api/hexes?res=8&window=2026-11",
            "/tiles/hexes/13/0/0.mvt?res=8&window=2026-11",
        ] {
            let (status, body) = call(&s, Method::GET, uri, Some(&analyst), None).await;
            assert!(status.is_success(), "{uri}: {status} {body}");
        }
    }
    let (status, _) = call(&s, Method::GET, "/no/such/path", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, text) = call(&s, Method::GET, "/metrics", Some(SCRAPE), None).await;
    assert_eq!(status, StatusCode::OK);
    let m = parse_prometheus(&text);
    for (family, kind) in [
        ("lagesbild_http_requests", "counter"),
        ("lagesbild_http_request_duration_seconds", "histogram"),
        ("lagesbild_http_requests_in_flight", "gauge"),
        ("lagesbild_cache_hits", "counter"),
        ("lagesbild_cache_misses", "counter"),
        ("lagesbild_cache_evictions", "counter"),
        ("lagesbild_cache_bytes", "gauge"),
        ("lagesbild_cache_budget_bytes", "gauge"),
        ("lagesbild_ingests", "counter"),
        ("lagesbild_ingest_rows", "counter"),
        ("lagesbild_db_job_seconds", "histogram"),
        ("lagesbild_data_version", "gauge"),
        ("lagesbild_incidents", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
    ] {
        assert_eq!(m[family]["type"], kind, "{family} in\n{text}");
    }
    let req = |route: &str, method: &str, status: &str| {
        sample(
            &m,
            "lagesbild_http_requests",
            "lagesbild_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(req("/api/areas", "GET", "200"), Some(2.0));
    assert_eq!(req("/api/hexes", "GET", "200"), Some(2.0));
    assert_eq!(req("/api/incidents", "POST", "200"), Some(2.0));
    assert_eq!(req("/metrics", "GET", "401"), Some(5.0));
    assert_eq!(req("/metrics", "GET", "403"), Some(1.0));
    assert_eq!(req("unmatched", "GET", "404"), Some(1.0));
    // The tile route is counted by its template, not by the path.
    let tiles: f64 = m["lagesbild_http_requests"]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s[1]["route"] == "/tiles/{layer}/{z}/{x}/{file}")
        .map(|s| s[2].as_f64().unwrap())
        .sum();
    assert_eq!(tiles, 2.0, "{text}");
    let count = sample(
        &m,
        "lagesbild_http_request_duration_seconds",
        "lagesbild_http_request_duration_seconds_count",
        &[("route", "/api/hexes"), ("method", "GET")],
    );
    assert_eq!(count, Some(2.0));
    let rows = |outcome: &str| {
        sample(
            &m,
            "lagesbild_ingest_rows",
            "lagesbild_ingest_rows_total",
            &[("outcome", outcome)],
        )
    };
    assert_eq!(rows("accepted"), Some(1.0));
    assert_eq!(rows("rejected"), Some(1.0));
    assert_eq!(rows("duplicate"), Some(1.0));
    assert_eq!(
        sample(&m, "lagesbild_ingests", "lagesbild_ingests_total", &[]),
        Some(2.0)
    );
    assert_eq!(
        sample(&m, "lagesbild_incidents", "lagesbild_incidents", &[]),
        Some(1.0)
    );
    // The second round of reads hit the whole-response cache.
    let hits = sample(
        &m,
        "lagesbild_cache_hits",
        "lagesbild_cache_hits_total",
        &[("cache", "responses")],
    )
    .unwrap();
    assert!(hits >= 3.0, "{text}");
    let budget: f64 = m["lagesbild_cache_budget_bytes"]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[2].as_f64().unwrap())
        .sum();
    assert_eq!(budget, (64 << 20) as f64, "the caches share --cache-mb");
    let rss = sample(
        &m,
        "process_resident_memory_bytes",
        "process_resident_memory_bytes",
        &[],
    )
    .unwrap();
    assert!(rss > 1e6, "{rss}");
}

#[tokio::test]
async fn ready_needs_a_database_with_data_while_health_only_needs_the_process() {
    let empty = Sandbox::new();
    let s = AppState::new(Config::with_db(empty.db()), None);
    let (status, body) = call(&s, Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("no incidents"), "{body}");
    let (status, _) = call(&s, Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);

    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let (status, body) = call(&s, Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ready"], true);

    // A database path that cannot be opened: not ready, and the reason does not leak it.
    let dir = tempfile::tempdir().unwrap();
    let s = AppState::new(Config::with_db(dir.path().join("no/such/dir/x.db")), None);
    let (status, body) = call(&s, Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(!body.contains("no/such/dir"), "{body}");
}

#[test]
fn cache_budgets_below_the_minimum_are_start_up_errors() {
    let sb = Sandbox::new();
    for bad in ["0", "31", "lots"] {
        let out = sb.run(&["serve", "--bind", "127.0.0.1:0", "--cache-mb", bad]);
        assert!(!out.status.success(), "--cache-mb {bad} started");
        let err = stderr(&out);
        assert!(err.contains("--cache-mb"), "--cache-mb {bad}: {err}");
    }
    let err = stderr(&sb.run(&["serve", "--bind", "127.0.0.1:0", "--cache-mb", "0"]));
    assert!(err.contains("at least 32"), "{err}");
    assert!(CacheBudget::from_mb(32).is_ok());
    let b = CacheBudget::from_mb(100).unwrap();
    assert!(b.total() <= 100 << 20 && b.total() > 99 << 20, "{b:?}");
}

#[test]
fn web_dir_without_the_app_is_a_start_up_error_naming_the_folder() {
    let sb = Sandbox::new();
    let empty = tempfile::tempdir().unwrap();
    let out = sb.run(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--web-dir",
        empty.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&empty.path().display().to_string()), "{err}");
    assert!(err.contains("index.html"), "{err}");
}

#[test]
fn json_logs_are_one_object_per_line_and_unknown_formats_are_refused() {
    let sb = Sandbox::new();
    let mut child = sb
        .command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"])
        .env("LAGESBILD_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    // Up to the line announcing the address; every line is a JSON object.
    let mut seen = Vec::new();
    loop {
        let line = lines.next().expect("server exited early").unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
        let serving = v["fields"]["address"].is_string();
        seen.push(v);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(!seen.is_empty());
    let out = sb
        .command(&["serve", "--bind", "127.0.0.1:0"])
        .env("LAGESBILD_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("LAGESBILD_LOG_FORMAT"));
}

#[tokio::test]
async fn expensive_queries_get_a_400_naming_the_limit() {
    let s = AppState::new(Config::with_db(demo_db().db()), None);
    let admin = admin_token(&demo_db().db());
    let get = |uri: &'static str| {
        let s = s.clone();
        let admin = admin.clone();
        async move { call(&s, Method::GET, uri, Some(&admin), None).await }
    };
    for (uri, names) in [
        // The issue's example: 6-7 s and 12 MB before the limits.
        (
            "/api/hexes?res=10&window=1900-01-01/2026-12-01&k=8&emerging_weeks=520",
            &["parameter window", "1827 days", "res=10"][..],
        ),
        (
            "/api/hexes?res=10&window=2026-11&k=8&emerging_weeks=0",
            &["parameter k", "limit of 4", "k=4"][..],
        ),
        (
            "/api/hexes?res=10&window=2026-11&emerging_weeks=520",
            &["parameter emerging_weeks", "limit of 156"][..],
        ),
        (
            "/api/hexes?window=2026-11&k=8",
            &["parameter k", "automatic scale", "give res="][..],
        ),
        (
            "/tiles/hexes/13/0/0.mvt?res=10&window=2026-11&k=6",
            &["parameter k", "limit of 4"][..],
        ),
        (
            "/api/areas?layer=districts&window=1900-01-01/2026-12-01",
            &["parameter window", "3653 days"][..],
        ),
    ] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        for n in names {
            assert!(body.contains(n), "{uri}: {n:?} not in {body}");
        }
    }
    // Inside the limits: answered.
    for uri in [
        "/api/hexes?res=8&window=2026-11&k=8&emerging_weeks=0",
        "/api/hexes?res=10&window=2026-11&k=4&emerging_weeks=0",
        "/api/areas?layer=districts&window=2017-01-01/2026-12-01",
    ] {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
}

/// A plain HTTP/1.0 request over loopback: status and body.
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    kib / 1024.0
}

/// The memory run of scripts/bench_memory.sh at a reduced size: 40 uploads into the demo, each
/// followed by reads of hexes, areas and tiles (a new data version each time), with
/// `--cache-mb 32`. The caches stay within the budget, and resident memory grows by less than
/// the budget after warm-up (20 uploads; the full run's figures are in BENCHMARKS.md).
#[test]
fn memory_stays_within_the_cache_budget_across_data_versions() {
    let sb = Sandbox::new();
    let out = sb.run(&["demo", "load", "--end", "2026-11-23T00:00:00+01:00"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let admin = admin_token(&sb.db());
    let tokens: Vec<String> = (0..4)
        .map(|_| make_token(&sb.db(), "polisen", Role::Analyst))
        .collect();
    let mut child = sb
        .command(&[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-demo",
            "--cache-mb",
            "32",
        ])
        .env("LAGESBILD_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let pid = child.id();
    let reads = [
        "/api/hexes?window=2026-W47&res=8",
        "/api/hexes?window=2026-11&res=9",
        "/api/areas?layer=districts&window=2026-W47",
        "/tiles/hexes/13/4502/2413.mvt?window=2026-W47",
        "/tiles/hexes/12/2251/1206.mvt?window=2026-11",
    ];
    let mut warm = 0.0;
    for i in 1..=40 {
        let t = &tokens[i % tokens.len()];
        let csv = format!(
            "id,occurred_at,category,lat,lon\nmem-{i},2026-11-{:02} 21:15,theft,59.2395,17.8453\n",
            1 + i % 27
        );
        let (status, body) = http(&addr, "POST", "/api/incidents", t, &csv);
        assert_eq!(status, 200, "upload {i}: {body}");
        for r in reads {
            let (status, body) = http(&addr, "GET", r, t, "");
            assert!(status == 200 || status == 204, "{r}: {status} {body}");
        }
        if i == 20 {
            warm = resident_mib(pid);
        }
    }
    let end = resident_mib(pid);
    let (status, metrics) = http(&addr, "GET", "/metrics", &admin, "");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
    let sum = |family: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(&format!("{family}{{")))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let (bytes, budget) = (
        sum("lagesbild_cache_bytes"),
        sum("lagesbild_cache_budget_bytes"),
    );
    assert_eq!(budget, (32 << 20) as f64);
    assert!(
        bytes <= budget,
        "caches hold {bytes} bytes over the budget {budget}"
    );
    assert!(sum("lagesbild_cache_hits_total") > 0.0, "{metrics}");
    eprintln!(
        "memory: {warm:.0} MiB after 20 uploads, {end:.0} MiB after 40; caches {bytes} bytes"
    );
    assert!(
        end - warm < 32.0,
        "resident memory grew {warm:.0} -> {end:.0} MiB after warm-up, more than the 32 MiB budget"
    );
}
