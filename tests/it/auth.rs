//! Access control through the real router: every route against every role (anonymous
//! included), partner visibility, small-count suppression and the ways around it, the
//! session cookie with CSRF, rate limits, the audit log, and tokens kept out of logs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use lagesbild::access::{self, Role, audit};
use lagesbild::config::Config;
use lagesbild::serve::auth::{AuthSettings, PERMISSIONS};
use lagesbild::serve::{AppState, route_list, router};
use lagesbild::tiles::TileId;

use crate::support::*;

/// Inside Alby, where the fixture's incidents are.
const ALBY: (f64, f64) = (17.8453, 59.2395);

/// A database with the districts and incidents of three partners: polisen and kommunen
/// share with the collaboration, bostadsbolaget does not. Rows are dated 2026-11-02..20.
fn fixture() -> Sandbox {
    let sb = Sandbox::new();
    sb.import_districts();
    let store = lagesbild::store::Store::open(&sb.db()).unwrap();
    access::put_partner(&store, "polisen", "Polisen", true, "test").unwrap();
    access::put_partner(&store, "kommunen", "Kommunen", true, "test").unwrap();
    access::put_partner(&store, "bostadsbolaget", "Bostadsbolaget", false, "test").unwrap();
    for (partner, n) in [("polisen", 12), ("kommunen", 3), ("bostadsbolaget", 7)] {
        let rows: String = (1..=n).map(row).collect();
        let f = sb.file(
            &format!("{partner}.csv"),
            format!("{HEADER}{rows}").as_bytes(),
        );
        let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", partner]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    sb
}

fn settings(public: bool) -> AuthSettings {
    AuthSettings {
        public,
        ..AuthSettings::default()
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(state: &AppState, req: Request<Body>) -> Reply {
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn request(
    method: &Method,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Request<Body> {
    let mut b = Request::builder().method(method.clone()).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some((ct, text)) => b
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(text))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn get(state: &AppState, uri: &str, token: Option<&str>) -> Reply {
    send(state, request(&Method::GET, uri, token, None)).await
}

/// Who asks, in the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    /// No credentials, public access off.
    Closed,
    /// No credentials, public access on.
    Public,
    Viewer,
    Reporter,
    Analyst,
    Admin,
}

const WHO: [Who; 6] = [
    Who::Closed,
    Who::Public,
    Who::Viewer,
    Who::Reporter,
    Who::Analyst,
    Who::Admin,
];

/// The expected statuses for the kinds of route: `[closed, public, viewer, reporter, analyst, admin]`.
const PUBLIC: [u16; 6] = [200, 200, 200, 200, 200, 200];
const AGGREGATES: [u16; 6] = [401, 200, 200, 200, 200, 200];
const SIGNED: [u16; 6] = [401, 401, 200, 200, 200, 200];
const INCIDENTS: [u16; 6] = [401, 401, 403, 200, 200, 200];
const ANALYSIS: [u16; 6] = [401, 401, 403, 403, 200, 200];

/// An intervention body for the matrix: a different kind per caller, so two callers'
/// interventions are not duplicates of each other.
fn intervention(who: Who) -> String {
    let kind = if who == Who::Admin {
        "guards"
    } else {
        "patrol"
    };
    json!({"kind": kind, "partner": "polisen",
           "target": {"type": "area", "layer": "districts", "id": "alby"},
           "start": "2026-10-01", "end": "2026-10-31", "description": "matris"})
    .to_string()
}

#[tokio::test]
async fn every_route_against_every_role() {
    let sb = fixture();
    let db = sb.db();
    let closed = AppState::with_auth(Config::with_db(&db), None, settings(false));
    let public = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let tokens: Vec<(Who, String)> = [
        (Who::Viewer, Role::Viewer),
        (Who::Reporter, Role::Reporter),
        (Who::Analyst, Role::Analyst),
        (Who::Admin, Role::Admin),
    ]
    .into_iter()
    .map(|(w, r)| (w, make_token(&db, "polisen", r)))
    .collect();
    let t = TileId::containing(ALBY.0, ALBY.1, 11);
    let tile = format!("/tiles/hexes/11/{}/{}.geojson?window=2026-W45", t.x, t.y);
    let correction = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [17.8453, 59.2395] },
                             "properties": { "category": "theft", "occurred_at": "2026-11-03T21:15:00+01:00" } })
    .to_string();
    // (method, route pattern, concrete URI, body, expected per Who).
    let csv = |who: Who| format!("{HEADER}matrix-{who:?},2026-11-03 21:15,theft,59.2395,17.8453\n");
    type Case = (
        Method,
        &'static str,
        String,
        Option<(&'static str, Box<dyn Fn(Who) -> String>)>,
        [u16; 6],
    );
    let cases: Vec<Case> = vec![
        (Method::GET, "/", "/".into(), None, PUBLIC),
        (
            Method::GET,
            "/index.html",
            "/index.html".into(),
            None,
            PUBLIC,
        ),
        (Method::GET, "/report", "/report".into(), None, PUBLIC),
        (
            Method::GET,
            "/meeting/week/{id}",
            "/meeting/week/2026-W45".into(),
            None,
            PUBLIC,
        ),
        (
            Method::GET,
            "/meeting/tertial/{id}",
            "/meeting/tertial/2026-T3".into(),
            None,
            PUBLIC,
        ),
        (
            Method::GET,
            "/meeting/quarter/{id}",
            "/meeting/quarter/2026-Q3".into(),
            None,
            PUBLIC,
        ),
        (Method::GET, "/app/*", "/app/main.js".into(), None, PUBLIC),
        (
            Method::GET,
            "/vendor/*",
            "/vendor/maplibre-gl.js".into(),
            None,
            PUBLIC,
        ),
        (Method::GET, "/api", "/api".into(), None, PUBLIC),
        (
            Method::GET,
            "/api/config",
            "/api/config".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/profile",
            "/api/profile?area=alby&window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (Method::GET, "/health", "/health".into(), None, PUBLIC),
        (Method::GET, "/ready", "/ready".into(), None, PUBLIC),
        (
            Method::GET,
            "/metrics",
            "/metrics".into(),
            None,
            [401, 401, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/login",
            "/api/login".into(),
            Some((
                "application/json",
                Box::new(|_| r#"{"token":"lgb_nope"}"#.into()),
            )),
            [401; 6],
        ),
        (
            Method::POST,
            "/api/logout",
            "/api/logout".into(),
            None,
            [204; 6],
        ),
        (Method::GET, "/api/me", "/api/me".into(), None, SIGNED),
        (
            Method::GET,
            "/api/layers",
            "/api/layers".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/categories",
            "/api/categories".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/areas",
            "/api/areas?window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/hexes",
            "/api/hexes?window=2026-W45&res=8&emerging_weeks=0".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/hotspots",
            "/api/hotspots?unit=areas&window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/timeseries",
            "/api/timeseries?from=2026-10-05&to=2026-11-23".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/incidents",
            "/api/incidents?window=2026-11".into(),
            None,
            INCIDENTS,
        ),
        (
            Method::POST,
            "/api/incidents",
            "/api/incidents".into(),
            Some(("text/csv", Box::new(csv))),
            INCIDENTS,
        ),
        (
            Method::GET,
            "/api/my/incidents",
            "/api/my/incidents".into(),
            None,
            INCIDENTS,
        ),
        (
            Method::PUT,
            "/api/my/incidents/{id}",
            "/api/my/incidents/absent".into(),
            Some((
                "application/geo+json",
                Box::new(move |_| correction.clone()),
            )),
            [401, 401, 403, 404, 404, 404],
        ),
        // Import profiles: filers (reporters, analysts, admins), each for its own partner.
        (
            Method::POST,
            "/api/profiles",
            "/api/profiles".into(),
            Some((
                "application/json",
                Box::new(|who: Who| {
                    json!({"name": format!("matrix-{}", format!("{who:?}").to_lowercase()),
                           "partner": "polisen", "map": "id=Nr"})
                    .to_string()
                }),
            )),
            [401, 401, 403, 201, 201, 201],
        ),
        (
            Method::GET,
            "/api/profiles",
            "/api/profiles".into(),
            None,
            INCIDENTS,
        ),
        (
            Method::GET,
            "/api/profiles/{name}",
            "/api/profiles/absent".into(),
            None,
            [401, 401, 403, 404, 404, 404],
        ),
        (
            Method::DELETE,
            "/api/profiles/{name}",
            "/api/profiles/absent".into(),
            None,
            [401, 401, 403, 404, 404, 404],
        ),
        // Deletion: admins only (an absent batch, a partner with nothing to delete).
        (
            Method::DELETE,
            "/api/batches/{id}",
            "/api/batches/999".into(),
            None,
            [401, 401, 403, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/incidents/delete",
            "/api/incidents/delete".into(),
            Some((
                "application/json",
                Box::new(|_| json!({"partner": "ingen"}).to_string()),
            )),
            [401, 401, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/tiles/{name}",
            "/tiles/hexes.json?window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/tiles/{layer}/{z}/{x}/{file}",
            tile,
            None,
            AGGREGATES,
        ),
        (Method::GET, "/ogc", "/ogc".into(), None, AGGREGATES),
        (Method::GET, "/ogc/", "/ogc/".into(), None, AGGREGATES),
        (Method::GET, "/ogc/api", "/ogc/api".into(), None, AGGREGATES),
        (
            Method::GET,
            "/ogc/conformance",
            "/ogc/conformance".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/ogc/collections",
            "/ogc/collections".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/ogc/collections/{collection}",
            "/ogc/collections/areas-districts".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/ogc/collections/{collection}/items",
            "/ogc/collections/areas-districts/items?window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/ogc/collections/{collection}/items",
            "/ogc/collections/incidents/items".into(),
            None,
            INCIDENTS,
        ),
        (
            Method::GET,
            "/ogc/collections/{collection}/items/{feature}",
            "/ogc/collections/areas-districts/items/alby?window=2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/ogc/collections/{collection}/items/{feature}",
            "/ogc/collections/incidents/items/polisen:1".into(),
            None,
            INCIDENTS,
        ),
        // Reports: aggregates (suppressed for viewers/public); notes for analysts.
        (
            Method::GET,
            "/api/reports/week/{id}",
            "/api/reports/week/2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/reports/week/{id}/csv",
            "/api/reports/week/2026-W45/csv".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/reports/week/{id}",
            "/reports/week/2026-W45".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/reports/tertial/{id}",
            "/api/reports/tertial/2026-T3".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/reports/tertial/{id}/csv",
            "/api/reports/tertial/2026-T3/csv".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/reports/tertial/{id}",
            "/reports/tertial/2026-T3".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::PUT,
            "/api/reports/week/{id}/notes",
            "/api/reports/week/2026-W45/notes".into(),
            Some((
                "text/plain",
                Box::new(|who: Who| format!("notes by {who:?}")),
            )),
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/reports/week/{id}/notes",
            "/api/reports/week/2026-W45/notes".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::PUT,
            "/api/reports/tertial/{id}/notes",
            "/api/reports/tertial/2026-T3/notes".into(),
            Some((
                "text/plain",
                Box::new(|who: Who| format!("notes by {who:?}")),
            )),
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/reports/tertial/{id}/notes",
            "/api/reports/tertial/2026-T3/notes".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/reports/quarter/{id}",
            "/api/reports/quarter/2026-Q3".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/api/reports/quarter/{id}/csv",
            "/api/reports/quarter/2026-Q3/csv".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::GET,
            "/reports/quarter/{id}",
            "/reports/quarter/2026-Q3".into(),
            None,
            AGGREGATES,
        ),
        (
            Method::PUT,
            "/api/reports/quarter/{id}/notes",
            "/api/reports/quarter/2026-Q3/notes".into(),
            Some((
                "text/plain",
                Box::new(|who: Who| format!("notes by {who:?}")),
            )),
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/reports/quarter/{id}/notes",
            "/api/reports/quarter/2026-Q3/notes".into(),
            None,
            AGGREGATES,
        ),
        // Interventions: analysts and admins. The analyst creates #1, the admin #2.
        (
            Method::POST,
            "/api/interventions",
            "/api/interventions".into(),
            Some(("application/json", Box::new(intervention))),
            [401, 401, 403, 403, 201, 201],
        ),
        (
            Method::GET,
            "/api/interventions",
            "/api/interventions".into(),
            None,
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/interventions/{id}",
            "/api/interventions/1".into(),
            None,
            ANALYSIS,
        ),
        (
            Method::PUT,
            "/api/interventions/{id}",
            "/api/interventions/1".into(),
            Some((
                "application/json",
                Box::new(|_| intervention(Who::Analyst).replace("patrol", "lighting")),
            )),
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/interventions/{id}/followup",
            "/api/interventions/1/followup".into(),
            None,
            ANALYSIS,
        ),
        (
            Method::DELETE,
            "/api/interventions/{id}",
            "/api/interventions/999".into(),
            None,
            [401, 401, 403, 403, 404, 404],
        ),
        (
            Method::POST,
            "/api/interventions/{id}/close",
            "/api/interventions/999/close".into(),
            Some((
                "application/json",
                Box::new(|_| r#"{"outcome": "klart"}"#.to_owned()),
            )),
            [401, 401, 403, 403, 404, 404],
        ),
        (
            Method::GET,
            "/api/forecast",
            "/api/forecast?res=8&week=2026-W46".into(),
            None,
            ANALYSIS,
        ),
        (
            Method::GET,
            "/api/nearrepeat",
            "/api/nearrepeat?window=2026-11&permutations=19".into(),
            None,
            ANALYSIS,
        ),
    ];
    // The matrix covers every registered route, and nothing else.
    let covered: std::collections::BTreeSet<(String, &str)> =
        cases.iter().map(|(m, p, ..)| (m.to_string(), *p)).collect();
    let registered: std::collections::BTreeSet<(String, &str)> = route_list()
        .iter()
        .map(|(m, p)| (m.to_string(), *p))
        .collect();
    assert_eq!(covered, registered, "the matrix must test every route");

    for (method, pattern, uri, body, expected) in &cases {
        for (i, who) in WHO.iter().enumerate() {
            let state = if *who == Who::Public {
                &public
            } else {
                &closed
            };
            let token = tokens
                .iter()
                .find(|(w, _)| w == who)
                .map(|(_, t)| t.as_str());
            let body = body.as_ref().map(|(ct, f)| (*ct, f(*who)));
            let r = send(state, request(method, uri, token, body)).await;
            assert_eq!(
                r.status.as_u16(),
                expected[i],
                "{method} {uri} ({pattern}) as {who:?}: {}",
                String::from_utf8_lossy(&r.body)
            );
            if r.status == StatusCode::UNAUTHORIZED {
                assert!(
                    r.header(header::WWW_AUTHENTICATE)
                        .is_some_and(|v| v.starts_with("Bearer"))
                );
            }
        }
    }
}

#[test]
fn every_route_has_exactly_one_permission_and_every_declaration_a_route() {
    let routes = route_list();
    for (m, p) in &routes {
        let n = PERMISSIONS
            .iter()
            .filter(|(dm, dp, _)| *dm == m.as_str() && dp == p)
            .count();
        assert_eq!(n, 1, "{m} {p} has {n} permission declarations");
    }
    for (m, p, _) in PERMISSIONS {
        assert!(
            routes.iter().any(|(rm, rp)| rm.as_str() == *m && rp == p),
            "declared {m} {p} is not a route"
        );
    }
}

/// Routes are registered only through `auth::Routes` (which records them); a plain axum
/// router elsewhere in `src/serve` would escape the check above.
#[test]
fn no_route_bypasses_the_recorder() {
    let dir = repo().join("src/serve");
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("auth.rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for needle in [".route(", "Router::new(", ".nest(", ".route_service("] {
                    assert!(
                        !text.contains(needle),
                        "{} registers a route with {needle}; use serve::auth::Routes and declare its permission",
                        p.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn partners_see_their_own_and_the_shared_incidents_only() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(false));
    let partners_seen = |v: &Value| -> std::collections::BTreeSet<String> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["partner"].as_str().unwrap().to_owned())
            .collect()
    };
    let set = |l: &[&str]| {
        l.iter()
            .map(|s| s.to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    // Analyst of polisen: own + kommunen (shares); not bostadsbolaget.
    let a = make_token(&db, "polisen", Role::Analyst);
    let r = get(&s, "/api/incidents?window=2026-11", Some(&a)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(partners_seen(&r.json()), set(&["kommunen", "polisen"]));
    assert_eq!(r.json()["numberMatched"], 15);
    // Analyst of bostadsbolaget: its own, although it does not share, plus the sharing ones.
    let b = make_token(&db, "bostadsbolaget", Role::Analyst);
    let r = get(&s, "/api/incidents?window=2026-11", Some(&b)).await;
    assert_eq!(
        partners_seen(&r.json()),
        set(&["bostadsbolaget", "kommunen", "polisen"])
    );
    // A reporter sees its own partner only.
    let rep = make_token(&db, "kommunen", Role::Reporter);
    let r = get(&s, "/api/incidents?window=2026-11", Some(&rep)).await;
    assert_eq!(partners_seen(&r.json()), set(&["kommunen"]));
    // The OGC collection agrees, and a hidden incident is as absent as a missing one.
    let r = get(&s, "/ogc/collections/incidents/items?limit=100", Some(&a)).await;
    assert_eq!(r.json()["numberMatched"], 15);
    assert_eq!(partners_seen(&r.json()), set(&["kommunen", "polisen"]));
    let hidden = get(
        &s,
        "/ogc/collections/incidents/items/bostadsbolaget:1",
        Some(&a),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let own = get(
        &s,
        "/ogc/collections/incidents/items/bostadsbolaget:1",
        Some(&b),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    // Sharing switched on: now visible.
    let store = lagesbild::store::Store::open(&db).unwrap();
    access::put_partner(&store, "bostadsbolaget", "Bostadsbolaget", true, "test").unwrap();
    let r = get(&s, "/api/incidents?window=2026-11", Some(&a)).await;
    assert_eq!(r.json()["numberMatched"], 22);
}

#[tokio::test]
async fn reporters_file_for_their_own_partner_and_correct_their_reports() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(false));
    let rep = make_token(&db, "kommunen", Role::Reporter);
    let feature = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [17.8453, 59.2395] },
        "properties": { "id": "web-1", "category": "broken_lighting", "occurred_at": "2026-11-18T19:00:00+01:00",
                        "description": "Lampan vid busshållplatsen är trasig" } });
    let post = |uri: &str, body: String| {
        request(
            &Method::POST,
            uri,
            Some(&rep),
            Some(("application/geo+json", body)),
        )
    };
    let collection =
        |f: &Value| json!({ "type": "FeatureCollection", "features": [f] }).to_string();
    let r = send(&s, post("/api/incidents", collection(&feature))).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["accepted"], 1);
    let store = lagesbild::store::Store::open(&db).unwrap();
    assert!(
        store.incident("kommunen", "web-1").unwrap().is_some(),
        "filed for the token's partner"
    );
    // Another partner, by parameter or in the data: refused.
    let r = send(
        &s,
        post("/api/incidents?partner=polisen", collection(&feature)),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut other = feature.clone();
    other["properties"]["partner"] = json!("polisen");
    other["properties"]["id"] = json!("web-2");
    let r = send(&s, post("/api/incidents", collection(&other))).await;
    assert_eq!(r.json()["accepted"], 0, "{}", r.json());
    assert!(store.incident("polisen", "web-2").unwrap().is_none());
    // The list of own reports, newest first.
    let r = get(&s, "/api/my/incidents?limit=2", Some(&rep)).await;
    assert_eq!(r.json()["features"][0]["properties"]["id"], "web-1");
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 2);
    // A correction: validated like an ingest, stored, audited with the old content.
    let mut fixed = feature.clone();
    fixed["properties"]["category"] = json!("vandalism");
    fixed["geometry"]["coordinates"] = json!([17.85, 59.24]);
    let put = |body: String| {
        request(
            &Method::PUT,
            "/api/my/incidents/web-1",
            Some(&rep),
            Some(("application/geo+json", body)),
        )
    };
    let r = send(&s, put(fixed.to_string())).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.json()["before"]["properties"]["category"],
        "broken_lighting"
    );
    let now = store.incident("kommunen", "web-1").unwrap().unwrap();
    assert_eq!(now.category, "vandalism");
    assert_eq!(now.location.lon, 17.85);
    let log = audit::list(
        &store,
        &audit::Filter {
            action: Some("incident.correct".into()),
            limit: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].detail.contains("broken_lighting"));
    assert_eq!(log[0].partner.as_deref(), Some("kommunen"));
    // Bad corrections change nothing and say why.
    for (body, what) in [
        (json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [17.85, 59.24] },
                 "properties": { "category": "unicorns", "occurred_at": "2026-11-18T19:00:00+01:00" } }).to_string(), "category"),
        (json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [2.35, 48.85] },
                 "properties": { "category": "theft", "occurred_at": "2026-11-18T19:00:00+01:00" } }).to_string(), "lon"),
        ("[1,2".to_owned(), "JSON"),
        (json!({ "type": "FeatureCollection", "features": [] }).to_string(), "Feature"),
        ("x".repeat(100_000), "KiB"),
    ] {
        let r = send(&s, put(body)).await;
        assert!(r.status.is_client_error(), "{what}: {}", r.status);
        assert!(String::from_utf8_lossy(&r.body).contains(what), "{what}: {}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(
        store
            .incident("kommunen", "web-1")
            .unwrap()
            .unwrap()
            .category,
        "vandalism"
    );
    // Someone else's incident cannot be corrected: it is looked up under the token's partner.
    let r = send(
        &s,
        request(
            &Method::PUT,
            "/api/my/incidents/1",
            Some(&rep),
            Some(("application/geo+json", fixed.to_string())),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "kommunen has an incident 1 of its own"
    );
    assert_eq!(
        store.incident("polisen", "1").unwrap().unwrap().category,
        "theft",
        "polisen:1 untouched"
    );
}

/// The count of area `id` in an `/api/areas` answer.
fn area_count(v: &Value, id: &str) -> Value {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .map(|f| f["properties"]["count"].clone())
        .unwrap()
}

#[tokio::test]
async fn small_counts_are_suppressed_for_viewers_and_the_public_in_every_format() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let analyst = make_token(&db, "polisen", Role::Analyst);
    let viewer = make_token(&db, "polisen", Role::Viewer);
    // kommunen alone has 3 incidents in Alby in November: 1..4 is suppressed.
    let uri = "/api/areas?window=2026-11&partner=kommunen";
    let full = get(&s, uri, Some(&analyst)).await.json();
    assert_eq!(area_count(&full, "alby"), json!(3.0));
    for who in [Some(viewer.as_str()), None] {
        let v = get(&s, uri, who).await.json();
        assert_eq!(area_count(&v, "alby"), Value::Null, "{who:?}");
        let alby = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "alby")
            .unwrap();
        assert_eq!(alby["properties"]["suppressed"], true);
        assert_eq!(alby["properties"]["harm"], Value::Null);
        assert_eq!(alby["properties"]["rate_per_1000"], Value::Null);
        assert_eq!(v["total"], Value::Null, "a total of 3 is small too");
    }
    // The cached analyst answer is not served to the viewer, nor the other way round.
    let again = get(&s, uri, Some(&analyst)).await.json();
    assert_eq!(area_count(&again, "alby"), json!(3.0));
    // Hexes, hotspots, the time series, tiles and OGC items: no count from 1 to 4 anywhere.
    let no_small = |v: &Value, path: &str| {
        let mut bad = Vec::new();
        walk(v, &mut |k, x| {
            if ["count", "score"].contains(&k)
                && let Some(c) = x.as_f64()
                && c > 0.0
                && c < 5.0
            {
                bad.push(c);
            }
        });
        assert!(bad.is_empty(), "{path}: small counts {bad:?} in {v}");
    };
    let t = TileId::containing(ALBY.0, ALBY.1, 11);
    for path in [
        "/api/hexes?window=2026-11&partner=kommunen&res=8&emerging_weeks=0".to_owned(),
        "/api/hotspots?unit=hexes&window=2026-11&partner=kommunen&sort=count".to_owned(),
        "/api/hotspots?unit=areas&window=2026-11&partner=kommunen&sort=count".to_owned(),
        "/api/timeseries?from=2026-10-05&to=2026-11-23&partner=kommunen".to_owned(),
        "/api/profile?area=alby&window=2026-11&partner=kommunen".to_owned(),
        format!(
            "/tiles/hexes/11/{}/{}.geojson?window=2026-11&partner=kommunen",
            t.x, t.y
        ),
        format!(
            "/tiles/areas/11/{}/{}.geojson?window=2026-11&partner=kommunen",
            t.x, t.y
        ),
        "/ogc/collections/areas-districts/items?window=2026-11&partner=kommunen".to_owned(),
        "/ogc/collections/hexes-r8/items?window=2026-11&partner=kommunen&limit=1000".to_owned(),
    ] {
        let a = get(&s, &path, Some(&analyst)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        let mut analyst_small = false;
        walk(&a.json(), &mut |k, x| {
            analyst_small |= k == "count" && x.as_f64().is_some_and(|c| c > 0.0 && c < 5.0);
        });
        assert!(
            analyst_small,
            "{path}: the fixture has small counts for analysts"
        );
        for who in [Some(viewer.as_str()), None] {
            let r = get(&s, &path, who).await;
            assert_eq!(r.status, StatusCode::OK, "{path} {who:?}");
            no_small(&r.json(), &path);
        }
    }
}

fn walk(v: &Value, f: &mut dyn FnMut(&str, &Value)) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                f(k, x);
                walk(x, f);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

#[tokio::test]
async fn differencing_two_overlapping_windows_reveals_nothing() {
    // polisen has 12 incidents dated 2026-11-01..20; from Monday 2 November, windows that end
    // on Wednesday and on Thursday differ by the incidents of that Wednesday.
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let analyst = make_token(&db, "polisen", Role::Analyst);
    let a = "/api/areas?from=2026-11-02&to=2026-11-04&partner=polisen";
    let b = "/api/areas?from=2026-11-02&to=2026-11-05&partner=polisen";
    let (fa, fb) = (
        get(&s, a, Some(&analyst)).await.json(),
        get(&s, b, Some(&analyst)).await.json(),
    );
    assert_ne!(
        area_count(&fa, "alby"),
        area_count(&fb, "alby"),
        "analysts see the difference"
    );
    // The public gets both windows as the whole week: the same answer, nothing to subtract.
    let (pa, pb) = (get(&s, a, None).await.json(), get(&s, b, None).await.json());
    assert_eq!(pa["features"], pb["features"]);
    assert_eq!(pa["parameters"]["from"], pb["parameters"]["from"]);
    assert_eq!(
        pa["parameters"]["window"], "2026-W45",
        "{}",
        pa["parameters"]
    );
    assert_eq!(pa["parameters"]["from"], "2026-11-01T23:00:00Z");
    // The same in the time series.
    let ta = get(&s, "/api/timeseries?from=2026-11-02&to=2026-11-04", None)
        .await
        .json();
    let tb = get(&s, "/api/timeseries?from=2026-11-02&to=2026-11-05", None)
        .await
        .json();
    assert_eq!(ta["points"], tb["points"]);
}

#[tokio::test]
async fn fine_resolutions_are_capped_for_viewers_and_the_public() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let analyst = make_token(&db, "polisen", Role::Analyst);
    let viewer = make_token(&db, "polisen", Role::Viewer);
    let uri = "/api/hexes?window=2026-11&res=10&emerging_weeks=0";
    assert_eq!(
        get(&s, uri, Some(&analyst)).await.json()["parameters"]["resolution"],
        10
    );
    for who in [Some(viewer.as_str()), None] {
        let v = get(&s, uri, who).await.json();
        assert_eq!(v["parameters"]["resolution"], 8, "{who:?}");
        // Without res= too (the automatic scale could pick a fine one).
        let v = get(&s, "/api/hexes?window=2026-11&emerging_weeks=0", who)
            .await
            .json();
        assert!(v["parameters"]["resolution"].as_u64().unwrap() <= 8);
    }
    let cell = h3o::LatLng::new(ALBY.1, ALBY.0)
        .unwrap()
        .to_cell(h3o::Resolution::Ten);
    let ts = format!("/api/timeseries?cell={cell}");
    assert_eq!(get(&s, &ts, Some(&analyst)).await.status, StatusCode::OK);
    assert_eq!(get(&s, &ts, None).await.status, StatusCode::FORBIDDEN);
    let r = get(&s, "/ogc/collections/hexes-r10/items", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["error"].as_str().unwrap().contains("resolution"));
    // Tiles at street zoom are served at the capped resolution; the KDE layer not at all.
    let t = TileId::containing(ALBY.0, ALBY.1, 15);
    let tile = get(
        &s,
        &format!("/tiles/hexes/15/{}/{}.geojson?window=2026-11", t.x, t.y),
        None,
    )
    .await;
    assert_eq!(tile.status, StatusCode::OK);
    let res: std::collections::BTreeSet<u8> = tile.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["properties"]["cell"]
                .as_str()
                .unwrap()
                .parse::<h3o::CellIndex>()
                .unwrap()
                .resolution()
                .into()
        })
        .collect();
    assert_eq!(res, [8u8].into_iter().collect());
    let kde = get(
        &s,
        &format!(
            "/tiles/kde/13/{}/{}.geojson?window=2026-11",
            t.x / 4,
            t.y / 4
        ),
        None,
    )
    .await;
    assert_eq!(kde.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn session_cookie_login_with_csrf_and_logout() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(false));
    let token = make_token(&db, "kommunen", Role::Reporter);
    let login = |body: String, ct: &str| {
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(
        &s,
        login(json!({ "token": token }).to_string(), "application/json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let set = r.header(header::SET_COOKIE).unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http: no Secure");
    assert!(
        !set.contains(&token),
        "the cookie is a session id, not the token"
    );
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["role"], "reporter");
    let cookie = set.split(';').next().unwrap().to_owned();
    let with_cookie = |m: Method, uri: &str, csrf: Option<&str>, body: Option<String>| {
        let mut b = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::COOKIE, &cookie);
        if let Some(c) = csrf {
            b = b.header("X-CSRF-Token", c);
        }
        match body {
            Some(t) => b
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(t))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        }
    };
    let me = send(&s, with_cookie(Method::GET, "/api/me", None, None)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["partner"], "kommunen");
    assert_eq!(me.json()["csrf_token"], csrf.as_str());
    let csv = format!("{HEADER}cookie-1,2026-11-03 21:15,theft,59.2395,17.8453\n");
    // Without the CSRF header, or with a wrong one: refused, nothing stored.
    for bad in [None, Some("0000"), Some("")] {
        let r = send(
            &s,
            with_cookie(Method::POST, "/api/incidents", bad, Some(csv.clone())),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad:?}");
    }
    assert_eq!(count(&db), 22);
    let r = send(
        &s,
        with_cookie(Method::POST, "/api/incidents", Some(&csrf), Some(csv)),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(count(&db), 23);
    // Behind an HTTPS proxy the cookie is Secure.
    let r = send(
        &s,
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Forwarded-Proto", "https")
            .body(Body::from(json!({ "token": token }).to_string()))
            .unwrap(),
    )
    .await;
    assert!(r.header(header::SET_COOKIE).unwrap().contains("; Secure"));
    // Logout needs the CSRF token too, then the session is gone.
    let r = send(&s, with_cookie(Method::POST, "/api/logout", None, None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &s,
        with_cookie(Method::POST, "/api/logout", Some(&csrf), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.header(header::SET_COOKIE).unwrap().contains("Max-Age=0"));
    assert_eq!(
        send(&s, with_cookie(Method::GET, "/api/me", None, None))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Malformed and hostile logins.
    for (body, ct, status) in [
        ("{\"token\": 5}".to_owned(), "application/json", 400),
        ("{}".to_owned(), "application/json", 400),
        ("not json".to_owned(), "application/json", 400),
        (json!({ "token": token }).to_string(), "text/plain", 400),
        (
            format!("{{\"token\": \"{}\"}}", "a".repeat(10_000)),
            "application/json",
            413,
        ),
        (
            json!({ "token": "lgb_' OR 1=1 --" }).to_string(),
            "application/json",
            401,
        ),
    ] {
        let r = send(&s, login(body, ct)).await;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

#[tokio::test]
async fn bad_expired_and_revoked_tokens_are_refused() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let store = lagesbild::store::Store::open(&db).unwrap();
    let (t, info) = access::tokens::create(
        &store,
        "polisen",
        Role::Analyst,
        "",
        Some(chrono::Utc::now() + chrono::Duration::seconds(2)),
        "t",
    )
    .unwrap();
    assert_eq!(
        get(&s, "/api/incidents", Some(&t)).await.status,
        StatusCode::OK
    );
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(
        get(&s, "/api/incidents", Some(&t)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let t2 = make_token(&db, "polisen", Role::Analyst);
    assert_eq!(
        get(&s, "/api/incidents", Some(&t2)).await.status,
        StatusCode::OK
    );
    let id2 = access::tokens::verify(&store, &t2, chrono::Utc::now())
        .unwrap()
        .unwrap()
        .id;
    access::tokens::revoke(&store, id2, "t").unwrap();
    // Verified tokens are trusted for CREDENTIAL_TTL, so revocation takes effect within it.
    std::thread::sleep(lagesbild::serve::auth::CREDENTIAL_TTL + Duration::from_millis(100));
    assert_eq!(
        get(&s, "/api/incidents", Some(&t2)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_ne!(info.id, id2);
    // A bad token is a 401 even where anonymous access would do: the caller meant to sign in.
    for h in [
        "Bearer nope",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        &format!("Bearer {}", "x".repeat(8000)),
    ] {
        let r = send(
            &s,
            Request::get("/api/areas")
                .header(header::AUTHORIZATION, h)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{h:.30}");
    }
    let r = send(
        &s,
        Request::get("/api/areas")
            .header(header::AUTHORIZATION, &b"Bearer \xff\xfe"[..])
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A garbage cookie is no session: anonymous.
    let r = send(
        &s,
        Request::get("/api/me")
            .header(header::COOKIE, "lagesbild_session=garbage; x=y")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logins_and_uploads_are_rate_limited() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(
        Config::with_db(&db),
        None,
        AuthSettings {
            login_per_minute: 3,
            ingest_per_minute: 2,
            ..AuthSettings::default()
        },
    );
    let login = || {
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"token":"lgb_x"}"#))
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(send(&s, login()).await.status, StatusCode::UNAUTHORIZED);
    }
    let r = send(&s, login()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.header(header::RETRY_AFTER).unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let t = make_token(&db, "polisen", Role::Reporter);
    let up = |i: usize| {
        request(
            &Method::POST,
            "/api/incidents",
            Some(&t),
            Some(("text/csv", format!("{HEADER}{}", row(100 + i)))),
        )
    };
    assert_eq!(send(&s, up(1)).await.status, StatusCode::OK);
    assert_eq!(send(&s, up(2)).await.status, StatusCode::OK);
    let r = send(&s, up(3)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header(header::RETRY_AFTER).is_some());
    // Another token has its own budget.
    let t2 = make_token(&db, "polisen", Role::Reporter);
    let r = send(
        &s,
        request(
            &Method::POST,
            "/api/incidents",
            Some(&t2),
            Some(("text/csv", format!("{HEADER}{}", row(200)))),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn reads_exports_and_ingests_are_audited_and_the_api_cannot_change_the_log() {
    let sb = fixture();
    let db = sb.db();
    let s = AppState::with_auth(Config::with_db(&db), None, settings(true));
    let store = lagesbild::store::Store::open(&db).unwrap();
    let all = || {
        audit::list(
            &store,
            &audit::Filter {
                limit: 10_000,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let a = make_token(&db, "polisen", Role::Analyst);
    let before = all();
    let r = get(&s, "/api/incidents?window=2026-11&limit=4", Some(&a)).await;
    assert_eq!(r.status, StatusCode::OK);
    get(&s, "/ogc/collections/incidents/items?limit=7", Some(&a)).await;
    send(
        &s,
        request(
            &Method::POST,
            "/api/incidents",
            Some(&a),
            Some(("text/csv", format!("{HEADER}{}", row(300)))),
        ),
    )
    .await;
    let after = all();
    let new: Vec<_> = after[..after.len() - before.len()].to_vec();
    let find = |action: &str| {
        new.iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action}: {new:?}"))
    };
    assert_eq!(find("incidents.read").rows, 4);
    assert_eq!(find("incidents.export").rows, 7);
    assert_eq!(find("ingest").rows, 1);
    for e in &new {
        assert_eq!(e.partner.as_deref(), Some("polisen"));
        assert_eq!(e.role.as_deref(), Some("analyst"));
        assert!(e.actor.starts_with("token:"));
    }
    // The older entries are unchanged, and no request of any kind can alter them.
    assert_eq!(&after[after.len() - before.len()..], &before[..]);
    let admin = make_token(&db, "polisen", Role::Admin);
    for m in [Method::DELETE, Method::PUT, Method::PATCH, Method::POST] {
        for uri in ["/api/audit", "/api/audit/1", "/audit"] {
            let r = send(
                &s,
                request(
                    &m,
                    uri,
                    Some(&admin),
                    Some(("application/json", "{}".into())),
                ),
            )
            .await;
            assert!(
                r.status == StatusCode::NOT_FOUND || r.status == StatusCode::METHOD_NOT_ALLOWED,
                "{m} {uri}: {}",
                r.status
            );
        }
    }
    let end = all();
    assert_eq!(&end[end.len() - after.len()..], &after[..]);
    // The command line lists them.
    let out = sb.run(&["audit", "--action", "incidents", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_demo_database_is_public_for_aggregates_only() {
    let sb = fixture();
    let db = sb.db();
    let closed = AppState::new(Config::with_db(&db), None);
    assert!(!closed.public_access());
    assert_eq!(
        get(&closed, "/api/areas", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let store = lagesbild::store::Store::open(&db).unwrap();
    access::set_demo(&store, true).unwrap();
    let demo = AppState::new(Config::with_db(&db), None);
    assert!(demo.public_access());
    assert_eq!(
        get(&demo, "/api/areas?window=2026-11", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&demo, "/api/incidents", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Real data arrives: no longer a demo, public access closes at once.
    let t = make_token(&db, "polisen", Role::Reporter);
    let r = send(
        &demo,
        request(
            &Method::POST,
            "/api/incidents",
            Some(&t),
            Some(("text/csv", format!("{HEADER}{}", row(400)))),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!demo.public_access());
    assert!(!access::is_demo(&store).unwrap());
    assert_eq!(
        get(&demo, "/api/areas?window=2026-11", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn cli_tokens_partners_and_the_audit_log() {
    let sb = Sandbox::new();
    let out = sb.run(&[
        "token",
        "create",
        "--partner",
        "polisen",
        "--role",
        "analyst",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("partner add"), "{}", stderr(&out));
    assert!(
        sb.run(&["partner", "add", "polisen", "--name", "Polisen"])
            .status
            .success()
    );
    assert!(
        sb.run(&[
            "partner",
            "add",
            "bostadsbolaget",
            "--name",
            "Bostadsbolaget",
            "--shares",
            "no"
        ])
        .status
        .success()
    );
    let (_, partners) = sb.run_json(&["partner", "list", "--json"]);
    assert_eq!(partners[0]["code"], "bostadsbolaget");
    assert_eq!(partners[0]["shares"], false);
    let out = sb.run(&[
        "token",
        "create",
        "--partner",
        "polisen",
        "--role",
        "analyst",
        "--expires",
        "90d",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("lgb_") && token.len() == 68, "{token}");
    assert!(stderr(&out).contains("shown only now"));
    let list = sb.run(&["token", "list"]);
    assert!(
        !stdout(&list).contains(&token),
        "listing never shows the token"
    );
    assert!(stdout(&list).contains("analyst"));
    for (args, hint) in [
        (
            vec!["token", "create", "--partner", "polisen", "--role", "boss"],
            "admin, analyst",
        ),
        (
            vec![
                "token",
                "create",
                "--partner",
                "polisen",
                "--role",
                "viewer",
                "--expires",
                "soon",
            ],
            "expires",
        ),
        (vec!["token", "revoke", "99"], "token list"),
    ] {
        let out = sb.run(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(hint), "{args:?}: {}", stderr(&out));
    }
    assert!(sb.run(&["token", "revoke", "1"]).status.success());
    let (_, tokens) = sb.run_json(&["token", "list", "--json"]);
    assert!(tokens[0]["revoked_at"].is_string());
    let f = sb.file("a.csv", format!("{HEADER}{}", row(1)).as_bytes());
    assert!(
        sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );
    let (_, log) = sb.run_json(&["audit", "--json"]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "ingest",
            "token.revoke",
            "token.create",
            "partner.put",
            "partner.put"
        ]
    );
    assert_eq!(log[0]["rows"], 1);
    let (_, only) = sb.run_json(&["audit", "--action", "token", "--json"]);
    assert_eq!(only.as_array().unwrap().len(), 2);
}

/// The real server at debug log level: neither a bearer token nor a login body reaches the log.
#[test]
fn tokens_never_appear_in_the_logs() {
    let sb = fixture();
    let token = make_token(&sb.db(), "polisen", Role::Analyst);
    let mut child = sb
        .command(&["serve", "--bind", "127.0.0.1:0", "--no-demo"])
        .env("LAGESBILD_LOG", "trace")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr_pipe = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server exited early");
        log.push(line.clone());
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let exchange = |req: String| -> String {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    let r = exchange(format!(
        "GET /api/incidents?limit=1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    ));
    assert!(r.starts_with("HTTP/1.1 200"), "{r:.200}");
    let body = json!({ "token": token }).to_string();
    let r = exchange(format!(
        "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert!(r.starts_with("HTTP/1.1 200"), "{r:.200}");
    let session = r
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: lagesbild_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap();
    let wrong = format!("{}0", &token[..token.len() - 1]);
    let r = exchange(format!(
        "GET /api/areas HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {wrong}\r\nConnection: close\r\n\r\n"
    ));
    assert!(r.starts_with("HTTP/1.1 401"), "{r:.200}");
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    child.wait().unwrap();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(
        log.contains("/api/incidents"),
        "requests are logged: {log:.2000}"
    );
    for secret in [&token[4..], &wrong[4..], session.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

/// Reports for viewers are suppressed (small counts blanked, no meeting notes) and refuse
/// resolutions finer than the public cap; analysts get them whole.
#[tokio::test]
async fn reports_are_suppressed_for_viewers() {
    let sb = fixture();
    let db = sb.db();
    let state = AppState::with_auth(Config::with_db(&db), None, settings(false));
    let viewer = make_token(&db, "polisen", Role::Viewer);
    let analyst = make_token(&db, "polisen", Role::Analyst);
    let notes = send(
        &state,
        request(
            &Method::PUT,
            "/api/reports/week/2026-W45/notes",
            Some(&analyst),
            Some(("text/plain", "Möte: Alby centrum".into())),
        ),
    )
    .await;
    assert_eq!(notes.status, StatusCode::OK);
    let report = |token: String, uri: &'static str| {
        let state = state.clone();
        async move {
            let r = send(&state, request(&Method::GET, uri, Some(&token), None)).await;
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            (r.status, v)
        }
    };
    let (status, full) = report(analyst.clone(), "/api/reports/week/2026-W45").await;
    assert_eq!(status, StatusCode::OK);
    assert!(full["parameters"]["suppressed_below"].is_null());
    assert_eq!(
        full["notes"]["text"], "Möte: Alby centrum",
        "{}",
        full["notes"]
    );
    let (status, seen) = report(viewer.clone(), "/api/reports/week/2026-W45").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["parameters"]["suppressed_below"], 5);
    assert!(
        seen["notes"].is_null(),
        "viewers do not see the meeting notes"
    );
    assert_eq!(
        seen["notes_restricted"], true,
        "viewers are told that notes exist"
    );
    assert!(
        full.get("notes_restricted").is_none(),
        "absent when readable"
    );
    // No published count in the viewer's totals is between 1 and k-1.
    let mut small = Vec::new();
    fn walk(v: &serde_json::Value, key: &str, small: &mut Vec<f64>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    walk(x, k, small);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, key, small)),
            serde_json::Value::Number(n) if key == "count" => {
                let c = n.as_f64().unwrap_or(0.0);
                if c > 0.0 && c < 5.0 {
                    small.push(c);
                }
            }
            _ => {}
        }
    }
    walk(&seen, "", &mut small);
    assert!(
        small.is_empty(),
        "small counts leaked to a viewer: {small:?}"
    );
    let mut full_small = Vec::new();
    walk(&full, "", &mut full_small);
    assert!(
        !full_small.is_empty(),
        "the fixture has small counts, so the check above could fail"
    );
    let (status, _) = report(viewer, "/api/reports/week/2026-W45?res=10").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = report(analyst, "/api/reports/week/2026-W45?res=10").await;
    assert_eq!(status, StatusCode::OK);
}
