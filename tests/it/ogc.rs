//! OGC API - Features under `/ogc`: every endpoint in-process on the demo data (links,
//! paging, bbox, datetime, HTML, bad input), then real clients against the real binary on
//! a loopback port: GDAL's OAPIF driver (`ogrinfo`, `ogr2ogr`) and OWSLib.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::Duration;

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

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:.300}", self.body))
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

async fn call(state: &AppState, req: Request<Body>) -> Answer {
    let req = as_admin(req, &state.config().db);
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn get(state: &AppState, uri: &str) -> Answer {
    call(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_ok(state: &AppState, uri: &str) -> Value {
    let a = get(state, uri).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
    a.json()
}

fn href<'a>(doc: &'a Value, rel: &str) -> Option<&'a str> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
        .map(|l| l["href"].as_str().unwrap())
}

/// The path and query of an absolute link, for calling the router.
fn local(url: &str) -> &str {
    let rest = url.split_once("://").unwrap().1;
    &rest[rest.find('/').unwrap()..]
}

#[tokio::test]
async fn the_landing_page_answers_with_and_without_a_slash() {
    let s = state();
    for uri in ["/ogc", "/ogc/"] {
        let a = get(&s, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert_eq!(a.content_type, "application/json");
        let v = a.json();
        for rel in ["self", "service-desc", "conformance", "data"] {
            assert!(href(&v, rel).is_some(), "{uri}: no {rel} link: {v}");
        }
        assert_eq!(
            href(&v, "data").unwrap(),
            "http://localhost/ogc/collections"
        );
        let desc = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "service-desc")
            .unwrap();
        assert_eq!(desc["href"], "http://localhost/ogc/api");
        assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    }
}

#[tokio::test]
async fn links_follow_the_host_the_proxy_headers_or_the_base_url() {
    let s = state();
    let req = Request::get("/ogc")
        .header(header::HOST, "gis.example:8080")
        .body(Body::empty())
        .unwrap();
    let v = call(&s, req).await.json();
    assert_eq!(
        href(&v, "data").unwrap(),
        "http://gis.example:8080/ogc/collections"
    );

    let req = Request::get("/ogc")
        .header(header::HOST, "127.0.0.1:8080")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "lagesbild.example")
        .body(Body::empty())
        .unwrap();
    let v = call(&s, req).await.json();
    assert_eq!(
        href(&v, "data").unwrap(),
        "https://lagesbild.example/ogc/collections"
    );

    // A forged host with markup is not copied into links.
    let req = Request::get("/ogc")
        .header(header::HOST, "evil\"><script>")
        .body(Body::empty())
        .unwrap();
    let v = call(&s, req).await.json();
    assert_eq!(
        href(&v, "data").unwrap(),
        "http://localhost/ogc/collections"
    );

    let based = AppState::new(
        Config::with_db(demo_db().db()),
        Some("https://example.org/lagesbild/".into()),
    );
    let req = Request::get("/ogc/collections/incidents/items?limit=5")
        .header(header::HOST, "ignored.example")
        .body(Body::empty())
        .unwrap();
    let v = call(&based, req).await.json();
    let next = href(&v, "next").unwrap();
    assert!(
        next.starts_with("https://example.org/lagesbild/ogc/collections/incidents/items?"),
        "{next}"
    );
}

#[tokio::test]
async fn the_openapi_document_declares_limit_and_our_parameters() {
    let s = state();
    let a = get(&s, "/ogc/api").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.content_type,
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let v = a.json();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.0"));
    let params = v["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 10000);
    assert_eq!(limit["schema"]["default"], 10);
    let names: HashSet<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in [
        "bbox", "datetime", "offset", "window", "category", "group", "partner", "f",
    ] {
        assert!(names.contains(name), "{name}");
    }
}

#[tokio::test]
async fn conformance_lists_core_geojson_html_and_oas30() {
    let v = get_ok(&state(), "/ogc/conformance").await;
    let classes: Vec<&str> = v["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in ["core", "geojson", "html", "oas30"] {
        assert!(
            classes.contains(
                &format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}").as_str()
            ),
            "{c}"
        );
    }
}

#[tokio::test]
async fn collections_are_the_area_layers_the_hex_resolutions_and_incidents() {
    let s = state();
    let v = get_ok(&s, "/ogc/collections").await;
    let list = v["collections"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "areas-districts",
        "areas-kommun",
        "areas-kommuner",
        "hexes-r7",
        "hexes-r8",
        "hexes-r9",
        "hexes-r10",
        "incidents",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for c in list {
        let bbox = c["extent"]["spatial"]["bbox"][0].as_array().unwrap();
        assert_eq!(bbox.len(), 4);
        // Botkyrka lies around 17.8 E, 59.2 N; the county layer reaches further.
        let (w, so, e, n) = (
            bbox[0].as_f64().unwrap(),
            bbox[1].as_f64().unwrap(),
            bbox[2].as_f64().unwrap(),
            bbox[3].as_f64().unwrap(),
        );
        assert!(w < 17.9 && e > 17.7 && so < 59.3 && n > 59.1, "{c}");
        let interval = &c["extent"]["temporal"]["interval"][0];
        assert!(interval[0].as_str().unwrap().starts_with("2023-"), "{c}");
        assert!(interval[1].as_str().unwrap().starts_with("2026-11"), "{c}");
        let items = c["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "items" && l["type"] == "application/geo+json")
            .unwrap();
        assert!(items["href"].as_str().unwrap().ends_with("/items?f=json"));
        assert!(href(c, "self").is_some());
    }

    let one = get_ok(&s, "/ogc/collections/hexes-r9").await;
    assert_eq!(one["id"], "hexes-r9");
    assert_eq!(one["itemType"], "feature");
    let missing = get(&s, "/ogc/collections/hexes-r3").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.error().contains("hexes-r3"), "{}", missing.body);
    assert!(
        missing.error().contains("areas-districts"),
        "{}",
        missing.body
    );
}

#[tokio::test]
async fn area_items_carry_the_scores_of_the_window() {
    let s = state();
    let a = get(&s, "/ogc/collections/areas-districts/items?window=2026-W46").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.content_type, "application/geo+json");
    let v = a.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberMatched"], 6);
    assert_eq!(v["numberReturned"], 6);
    assert!(v["timeStamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["parameters"]["window"], "2026-W46");
    let f = &v["features"][0];
    for key in [
        "id",
        "name",
        "population",
        "count",
        "rate_per_1000",
        "harm",
        "gi_z",
        "layer",
    ] {
        assert!(f["properties"].get(key).is_some(), "missing {key}");
    }
    assert!(href(&v, "next").is_none() && href(&v, "prev").is_none());

    // The same scores as /api/areas, and datetime selects the same window.
    let api = get_ok(&s, "/api/areas?layer=districts&window=2026-W46").await;
    let count = |v: &Value, id: &str| {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["properties"]["count"]
            .clone()
    };
    assert_eq!(count(&v, "alby"), count(&api, "alby"));
    for dt in [
        "2026-11-11T12:00:00Z",
        "2026-11-09T00:00:00%2B01:00/2026-11-16T00:00:00%2B01:00",
    ] {
        let d = get_ok(
            &s,
            &format!("/ogc/collections/areas-districts/items?datetime={dt}"),
        )
        .await;
        assert_eq!(count(&d, "alby"), count(&api, "alby"), "{dt}");
    }
    // Filters are our own extra parameters.
    let theft = get_ok(
        &s,
        "/ogc/collections/areas-districts/items?window=2026-T3&category=theft&partner=polisen",
    )
    .await;
    assert!(
        theft["parameters"]["filter"]
            .as_str()
            .unwrap()
            .contains("theft")
    );

    // bbox keeps the areas that intersect it: a small box in Alby.
    let small = get_ok(
        &s,
        "/ogc/collections/areas-districts/items?window=2026-W46&bbox=17.84,59.238,17.846,59.241",
    )
    .await;
    let n = small["numberMatched"].as_u64().unwrap();
    assert!((1..6).contains(&n), "{n}");
    assert!(
        small["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "alby")
    );
}

#[tokio::test]
async fn hex_items_page_through_the_grid() {
    let s = state();
    let v = get_ok(
        &s,
        "/ogc/collections/hexes-r8/items?window=2026-W46&limit=50",
    )
    .await;
    let matched = v["numberMatched"].as_u64().unwrap();
    assert!(matched > 50, "{matched}");
    assert_eq!(v["numberReturned"], 50);
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Polygon");
    for key in ["cell", "count", "gi_z", "gi_bin", "emerging"] {
        assert!(f["properties"].get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["parameters"]["resolution"], 8);
    let next = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap();
    assert_eq!(next["type"], "application/geo+json");
    let page2 = get_ok(&s, local(next["href"].as_str().unwrap())).await;
    assert!(
        page2["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "prev")
    );
    assert_ne!(page2["features"][0]["id"], v["features"][0]["id"]);
    // The window parameter survives in the paging links.
    assert!(next["href"].as_str().unwrap().contains("window=2026-W46"));

    // One cell.
    let cell = f["id"].as_str().unwrap();
    let one = get_ok(
        &s,
        &format!("/ogc/collections/hexes-r8/items/{cell}?window=2026-W46"),
    )
    .await;
    assert_eq!(one["type"], "Feature");
    assert_eq!(one["id"], cell);
    assert_eq!(one["properties"]["count"], f["properties"]["count"]);
}

#[tokio::test]
async fn incidents_page_with_next_and_prev_until_number_matched() {
    let s = state();
    let datetime = "2026-11-01T00:00:00Z/2026-11-22T23:59:59Z";
    let mut uri = format!("/ogc/collections/incidents/items?limit=250&datetime={datetime}");
    let mut seen = HashSet::new();
    let mut matched = None;
    let mut pages = 0;
    loop {
        let v = get_ok(&s, &uri).await;
        pages += 1;
        let m = v["numberMatched"].as_u64().unwrap();
        assert_eq!(*matched.get_or_insert(m), m);
        let features = v["features"].as_array().unwrap();
        assert_eq!(v["numberReturned"].as_u64().unwrap(), features.len() as u64);
        for f in features {
            assert!(
                seen.insert(f["id"].as_str().unwrap().to_owned()),
                "seen twice"
            );
            let t = f["properties"]["occurred_at"].as_str().unwrap();
            let t = chrono::DateTime::parse_from_rfc3339(t).unwrap();
            assert!(t >= chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap());
            assert!(t <= chrono::DateTime::parse_from_rfc3339("2026-11-22T23:59:59Z").unwrap());
            for key in [
                "id",
                "partner",
                "category",
                "occurred_at",
                "occurred_to",
                "description",
            ] {
                assert!(f["properties"].get(key).is_some(), "missing {key}");
            }
        }
        if pages > 1 {
            assert!(href(&v, "prev").is_some());
        }
        match href(&v, "next") {
            Some(next) => uri = local(next).to_owned(),
            None => break,
        }
    }
    let matched = matched.unwrap();
    assert!(pages > 1, "more than one page");
    assert_eq!(seen.len() as u64, matched);

    // Open intervals and an instant.
    let all = get_ok(&s, "/ogc/collections/incidents/items?limit=1").await["numberMatched"]
        .as_u64()
        .unwrap();
    let before = get_ok(
        &s,
        "/ogc/collections/incidents/items?limit=1&datetime=../2026-11-01T00:00:00Z",
    )
    .await["numberMatched"]
        .as_u64()
        .unwrap();
    let after = get_ok(
        &s,
        "/ogc/collections/incidents/items?limit=1&datetime=2026-11-01T00:00:01Z/..",
    )
    .await["numberMatched"]
        .as_u64()
        .unwrap();
    assert_eq!(before + after, all);
    assert!(before > 0 && after > 0);

    // bbox: every point inside, fewer than all.
    let boxed = get_ok(
        &s,
        "/ogc/collections/incidents/items?limit=1000&bbox=17.80,59.20,17.86,59.25",
    )
    .await;
    let n = boxed["numberMatched"].as_u64().unwrap();
    assert!(n > 0 && n < all, "{n} of {all}");
    for f in boxed["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((17.80..=17.86).contains(&x) && (59.20..=59.25).contains(&y));
    }

    // One incident, and an absent one.
    let first = &boxed["features"][0];
    let id = first["id"].as_str().unwrap();
    let one = get_ok(&s, &format!("/ogc/collections/incidents/items/{id}")).await;
    assert_eq!(one["properties"], first["properties"]);
    assert!(href(&one, "collection").is_some());
    for absent in ["polisen:no-such-id", "nocolon"] {
        let a = get(&s, &format!("/ogc/collections/incidents/items/{absent}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert!(a.error().contains(absent), "{}", a.body);
    }
    let a = get(&s, "/ogc/collections/areas-districts/items/atlantis").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.error().contains("atlantis"), "{}", a.body);
}

#[tokio::test]
async fn limit_is_clamped_above_and_defaults_to_ten() {
    let s = state();
    let v = get_ok(&s, "/ogc/collections/incidents/items").await;
    assert_eq!(v["numberReturned"], 10);
    let v = get_ok(&s, "/ogc/collections/incidents/items?limit=20000").await;
    assert_eq!(v["numberReturned"], 10000);
    assert!(href(&v, "next").unwrap().contains("limit=10000"));
}

#[tokio::test]
async fn every_bad_input_is_a_400_naming_the_parameter() {
    let s = state();
    let cases: &[(&str, &str)] = &[
        ("/ogc/collections/incidents/items?limit=0", "limit"),
        ("/ogc/collections/incidents/items?limit=-1", "limit"),
        ("/ogc/collections/incidents/items?limit=1e9", "limit"),
        ("/ogc/collections/incidents/items?limit=abc", "limit"),
        ("/ogc/collections/areas-districts/items?limit=0", "limit"),
        ("/ogc/collections/incidents/items?offset=-5", "offset"),
        (
            "/ogc/collections/incidents/items?offset=18446744073709551615",
            "offset",
        ),
        (
            "/ogc/collections/incidents/items?bbox=17.9,59.2,17.8,59.3",
            "bbox",
        ),
        (
            "/ogc/collections/incidents/items?bbox=17.8,59.3,17.9,59.2",
            "bbox",
        ),
        (
            "/ogc/collections/incidents/items?bbox=NaN,59.2,17.9,59.3",
            "bbox",
        ),
        (
            "/ogc/collections/incidents/items?bbox=17.8,59.2,17.9",
            "bbox",
        ),
        (
            "/ogc/collections/areas-districts/items?bbox=a,b,c,d",
            "bbox",
        ),
        (
            "/ogc/collections/incidents/items?datetime=yesterday",
            "datetime",
        ),
        (
            "/ogc/collections/incidents/items?datetime=../..",
            "datetime",
        ),
        (
            "/ogc/collections/incidents/items?datetime=2026-11-02T00:00:00Z/2026-11-01T00:00:00Z",
            "datetime",
        ),
        (
            "/ogc/collections/hexes-r9/items?datetime=2026-13-01T00:00:00Z",
            "datetime",
        ),
        (
            "/ogc/collections/areas-districts/items?datetime=2026-11-11T00:00:00Z&window=2026-W46",
            "window",
        ),
        (
            "/ogc/collections/areas-districts/items?window=2026-W54",
            "window",
        ),
        (
            "/ogc/collections/areas-districts/items?category=nonsense",
            "category",
        ),
        ("/ogc/collections/incidents/items?window=2026-W46", "window"),
        ("/ogc/collections/incidents/items?lmit=5", "lmit"),
        ("/ogc/collections?foo=1", "foo"),
        ("/ogc?foo=1", "foo"),
        ("/ogc/conformance?f=xml", "f"),
        (
            "/ogc/collections/areas-districts/items/alby?limit=3",
            "limit",
        ),
    ];
    for (uri, name) in cases {
        let a = get(&s, uri).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.body);
        assert!(a.error().contains(name), "{uri}: {}", a.body);
    }
    // f is always accepted.
    for uri in [
        "/ogc?f=json",
        "/ogc/collections?f=json",
        "/ogc/collections/incidents/items?f=geojson&limit=2",
    ] {
        assert_eq!(get(&s, uri).await.status, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn html_is_served_for_f_html_and_for_browsers() {
    let s = state();
    for uri in [
        "/ogc?f=html",
        "/ogc/api?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/areas-districts?f=html",
        "/ogc/collections/areas-districts/items?f=html&window=2026-W46",
        "/ogc/collections/areas-districts/items/alby?f=html&window=2026-W46",
        "/ogc/collections/incidents/items?f=html&limit=5",
    ] {
        let a = get(&s, uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.body);
        assert_eq!(a.content_type, "text/html; charset=utf-8", "{uri}");
        assert!(a.body.starts_with("<!DOCTYPE html>"), "{uri}");
        assert!(a.body.contains("<a href=\"http://localhost/ogc"), "{uri}");
    }
    let a = get(
        &s,
        "/ogc/collections/areas-districts/items?f=html&window=2026-W46",
    )
    .await;
    assert!(a.body.contains("Hallunda-Norsborg"));
    assert!(a.body.contains("rate_per_1000"));
    // Item pages link from the features table.
    assert!(
        a.body
            .contains("/ogc/collections/areas-districts/items/alby\"")
    );

    let browser = |uri: &str| {
        Request::get(uri)
            .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
            .body(Body::empty())
            .unwrap()
    };
    let a = call(&s, browser("/ogc/collections")).await;
    assert_eq!(a.content_type, "text/html; charset=utf-8");
    assert!(a.body.contains("incidents"));
    // f=json wins over Accept.
    let a = call(&s, browser("/ogc/collections?f=json")).await;
    assert_eq!(a.content_type, "application/json");
    let a = call(
        &s,
        browser("/ogc/collections/incidents/items?f=json&limit=1"),
    )
    .await;
    assert_eq!(a.content_type, "application/geo+json");
    // HTML paging links are HTML.
    let v = get_ok(&s, "/ogc/collections/incidents/items?limit=5").await;
    let alternate = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "alternate")
        .unwrap();
    assert_eq!(alternate["type"], "text/html");
    assert!(alternate["href"].as_str().unwrap().contains("f=html"));
}

/// The real `lagesbild serve` on a loopback port over a one-year demo; stopped on drop.
struct Server {
    child: Child,
    addr: String,
    /// An admin token (the incidents collection needs one).
    token: String,
    _sandbox: Sandbox,
}

impl Server {
    fn start() -> Server {
        let sb = Sandbox::new();
        let out = sb.run(&["demo", "load", "--years", "1", "--end", END]);
        assert!(out.status.success(), "{}", stderr(&out));
        let token = make_token(&sb.db(), "polisen", lagesbild::access::Role::Admin);
        let mut child = sb
            .command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"])
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
        // Keep reading the log, so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            token,
            _sandbox: sb,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/ogc", self.addr)
    }

    /// GET over a plain socket; the JSON body.
    fn get(&self, path: &str) -> Value {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            self.addr, self.token
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response:.300}");
        let body = response.split_once("\r\n\r\n").unwrap().1;
        serde_json::from_str(body).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

fn gdal(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "120")
        .env("GDAL_HTTP_HEADERS", gdal_headers())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program} ({e}): install GDAL's command-line tools with \
                 `scripts/test` or `sudo apt-get install -y gdal-bin`"
            )
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    // With --debug on, GDAL's log (the URLs it fetched) is on standard error.
    format!("{}\n{}", stdout(&out), stderr(&out))
}

thread_local! {
    /// `Authorization: Bearer ...` for GDAL's requests in this test.
    static GDAL_AUTH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn gdal_headers() -> String {
    GDAL_AUTH.with(|a| a.borrow().clone())
}

fn feature_count(ogrinfo: &str) -> u64 {
    ogrinfo
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in {ogrinfo}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn gdal_lists_pages_and_copies_the_collections() {
    let server = Server::start();
    GDAL_AUTH.with(|a| *a.borrow_mut() = format!("Authorization: Bearer {}", server.token));
    let url = format!("OAPIF:{}", server.url());

    let listing = gdal("ogrinfo", &["-ro", "-so", &url]);
    for id in ["areas-districts", "hexes-r7", "hexes-r10", "incidents"] {
        assert!(listing.contains(id), "{id} not listed: {listing}");
    }

    let matched = server.get("/ogc/collections/incidents/items?limit=1")["numberMatched"]
        .as_u64()
        .unwrap();
    assert!(matched > 1000, "{matched}");
    let info = gdal("ogrinfo", &["-ro", "-al", "-so", &url, "incidents"]);
    assert_eq!(feature_count(&info), matched, "{info}");
    for field in ["partner", "category", "occurred_at", "description"] {
        assert!(info.contains(&format!("{field}: ")), "{field}: {info}");
    }

    // A spatial filter goes to the server as bbox.
    let boxed = server.get("/ogc/collections/incidents/items?limit=1&bbox=17.80,59.20,17.86,59.25")
        ["numberMatched"]
        .as_u64()
        .unwrap();
    assert!(boxed > 0 && boxed < matched);
    let info = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-al",
            "-so",
            "-spat",
            "17.80",
            "59.20",
            "17.86",
            "59.25",
            &url,
            "incidents",
        ],
    );
    assert_eq!(feature_count(&info), boxed, "{info}");

    // Copying reads every page (1,000 features a page) through the next links.
    let dir = tempfile::tempdir().unwrap();
    let points = dir.path().join("incidents.gpkg");
    let points = points.to_str().unwrap();
    let log = gdal(
        "ogr2ogr",
        &[
            "--debug",
            "on",
            "-f",
            "GPKG",
            points,
            &url,
            "incidents",
            "-oo",
            "PAGE_SIZE=1000",
        ],
    );
    let fetched = log
        .lines()
        .filter(|l| l.contains("Fetch(") && l.contains("/incidents/items?"))
        .count();
    assert!(
        log.contains("offset=1000") && fetched as u64 > matched / 1000,
        "GDAL follows the next links: {log}"
    );
    let copied = gdal("ogrinfo", &["-ro", "-so", "-al", points]);
    assert_eq!(feature_count(&copied), matched, "{copied}");

    let gpkg = dir.path().join("areas.gpkg");
    let gpkg = gpkg.to_str().unwrap();
    gdal("ogr2ogr", &["-f", "GPKG", gpkg, &url, "areas-districts"]);
    let info = gdal("ogrinfo", &["-ro", "-so", "-al", gpkg]);
    assert_eq!(feature_count(&info), 6, "{info}");
    for field in [
        "name",
        "population",
        "count",
        "rate_per_1000",
        "harm",
        "gi_z",
        "layer",
    ] {
        assert!(info.contains(&format!("{field}: ")), "{field}: {info}");
    }
    assert!(info.contains("Polygon"), "{info}");
}

fn python() -> String {
    let python = std::env::var("LAGESBILD_TEST_PYTHON").unwrap_or_else(|_| {
        repo()
            .join(".venv-test/bin/python")
            .to_string_lossy()
            .into_owned()
    });
    let ok = Command::new(&python)
        .args(["-c", "import owslib.ogcapi.features"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "no Python with OWSLib at {python}: run `scripts/test`, or `python3 -m venv .venv-test && \
         .venv-test/bin/pip install 'owslib==0.35.*'` (or set LAGESBILD_TEST_PYTHON)"
    );
    python
}

#[test]
fn owslib_reads_collections_and_items() {
    let python = python();
    let server = Server::start();
    let script = repo().join("tests/fixtures/ogc_owslib.py");
    let out = Command::new(python)
        .arg(script)
        .arg(server.url())
        .arg(&server.token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    for id in ["areas-districts", "hexes-r9", "incidents"] {
        assert!(ids.contains(&id), "{id}: {v}");
    }
    assert_eq!(v["areas"]["numberMatched"], 6);
    assert_eq!(v["areas"]["numberReturned"], 4);
    assert_eq!(v["areas"]["features"], 4);
    let props: Vec<&str> = v["areas"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for p in ["count", "gi_z", "name", "rate_per_1000"] {
        assert!(props.contains(&p), "{p}: {v}");
    }
    assert_eq!(v["incidents"]["features"], 25);
    assert_eq!(v["second"]["features"], 25);
    let matched = server.get("/ogc/collections/incidents/items?limit=1")["numberMatched"].clone();
    assert_eq!(v["incidents"]["numberMatched"], matched);
    let first: HashSet<&str> = v["incidents"]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(
        v["second"]["ids"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !first.contains(i.as_str().unwrap()))
    );
    assert!(
        v["incidents"]["next"][0]
            .as_str()
            .unwrap()
            .contains("offset=25")
    );
    let props: Vec<&str> = v["incidents"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        props,
        [
            "category",
            "description",
            "id",
            "occurred_at",
            "occurred_to",
            "partner"
        ]
    );
}
