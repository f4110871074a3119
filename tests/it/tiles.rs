//! Map tiles on the demo data, in-process through the router: GeoJSON tiles agree with
//! `/api/hexes`, MVT tiles read in GDAL, ETag/304, TileJSON, empty tiles, compression left
//! to the client, and every bad input named.

use std::collections::HashMap;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use lagesbild::config::Config;
use lagesbild::serve::{AppState, router};
use lagesbild::tiles::TileId;

use crate::support::*;

/// Alby (Botkyrka).
const ALBY: (f64, f64) = (17.8453, 59.2395);
/// A full demo week, without the emerging cube (faster; tiles and API alike).
const Q: &str = "window=2026-W46&emerging_weeks=0";

fn state() -> AppState {
    AppState::new(Config::with_db(demo_db().db()), None)
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
    let req = as_admin(req, &state.config().db);
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

async fn get(state: &AppState, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn alby(z: u8) -> TileId {
    TileId::containing(ALBY.0, ALBY.1, z)
}

#[tokio::test]
async fn geojson_hex_tile_over_alby_has_the_api_counts() {
    let s = state();
    let t = alby(13);
    let tile = get(&s, &format!("/tiles/hexes/13/{}/{}.geojson?{Q}", t.x, t.y)).await;
    assert_eq!(tile.status, StatusCode::OK, "{}", tile.json());
    assert_eq!(
        tile.header(header::CONTENT_TYPE),
        Some("application/geo+json")
    );
    let tile = tile.json();
    let features = tile["features"].as_array().unwrap();
    assert!(features.len() > 20, "{} features", features.len());
    // Zoom 13 is resolution 9 (the documented table).
    let api = get(&s, &format!("/api/hexes?{Q}&res=9")).await.json();
    let counts: HashMap<&str, f64> = api["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["cell"].as_str().unwrap(),
                f["properties"]["count"].as_f64().unwrap(),
            )
        })
        .collect();
    let mut total = 0.0;
    for f in features {
        let cell = f["properties"]["cell"].as_str().unwrap();
        assert_eq!(f["id"], cell);
        let count = f["properties"]["count"].as_f64().unwrap();
        assert_eq!(Some(&count), counts.get(cell), "cell {cell}");
        total += count;
        for key in ["harm", "gi_z", "gi_p", "gi_bin", "rise", "baseline_mean"] {
            assert!(f["properties"].get(key).is_some(), "missing {key}");
        }
        // Geometry stays within the tile plus its buffer (64/4096 of the tile).
        let (w, s_, e, n) = t.lonlat_bounds();
        let pad = (e - w) * 64.0 / 4096.0 + 1e-7;
        for ring in f["geometry"]["coordinates"].as_array().unwrap() {
            for p in ring.as_array().unwrap() {
                let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                assert!(lon >= w - pad && lon <= e + pad, "{lon}");
                assert!(lat >= s_ - pad && lat <= n + pad, "{lat}");
            }
        }
    }
    assert!(total > 0.0, "Alby has incidents in the week");
    // res= overrides the zoom's resolution.
    let r8 = get(
        &s,
        &format!("/tiles/hexes/13/{}/{}.geojson?{Q}&res=8", t.x, t.y),
    )
    .await
    .json();
    let cell = r8["features"][0]["id"].as_str().unwrap();
    assert_eq!(
        cell.parse::<h3o::CellIndex>().unwrap().resolution(),
        h3o::Resolution::Eight
    );
}

#[tokio::test]
async fn area_and_kde_tiles_carry_their_attributes() {
    let s = state();
    let t = alby(11);
    let areas = get(
        &s,
        &format!("/tiles/areas/11/{}/{}.geojson?window=2026-W46", t.x, t.y),
    )
    .await;
    assert_eq!(areas.status, StatusCode::OK, "{}", areas.json());
    let areas = areas.json();
    let f = &areas["features"][0];
    for key in ["id", "name", "count", "harm", "rate_per_1000", "gi_bin"] {
        assert!(f["properties"].get(key).is_some(), "missing {key}: {f}");
    }
    assert_eq!(f["properties"]["layer"], "districts");
    let t = alby(13);
    let kde = get(
        &s,
        &format!("/tiles/kde/13/{}/{}.geojson?window=2026-W46", t.x, t.y),
    )
    .await;
    assert_eq!(kde.status, StatusCode::OK, "{}", kde.json());
    let kde = kde.json();
    let cells = kde["features"].as_array().unwrap();
    assert!(!cells.is_empty());
    assert!(
        cells
            .iter()
            .all(|c| c["properties"]["density"].as_f64().unwrap() > 0.0)
    );
}

#[tokio::test]
async fn empty_tiles_are_204_for_mvt_and_an_empty_collection_for_geojson() {
    let s = state();
    // Zoom 13 over the Atlantic.
    let mvt = get(&s, &format!("/tiles/hexes/13/0/0.mvt?{Q}")).await;
    assert_eq!(mvt.status, StatusCode::NO_CONTENT);
    assert!(mvt.body.is_empty());
    let gj = get(&s, &format!("/tiles/hexes/13/0/0.geojson?{Q}")).await;
    assert_eq!(gj.status, StatusCode::OK);
    assert_eq!(gj.json()["features"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn mvt_tiles_read_in_gdal() {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        panic!("ogrinfo (GDAL) is missing: apt-get install gdal-bin (scripts/test installs it)");
    }
    let s = state();
    let t = alby(13);
    let mvt = get(&s, &format!("/tiles/hexes/13/{}/{}.mvt?{Q}", t.x, t.y)).await;
    assert_eq!(mvt.status, StatusCode::OK);
    assert_eq!(
        mvt.header(header::CONTENT_TYPE),
        Some("application/vnd.mapbox-vector-tile")
    );
    let gj = get(&s, &format!("/tiles/hexes/13/{}/{}.geojson?{Q}", t.x, t.y))
        .await
        .json();
    let expected = gj["features"].as_array().unwrap().len();
    // GDAL takes z/x/y from the path to georeference a single tile.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("13/{}/{}.mvt", t.x, t.y));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &mvt.body).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Layer name: hexes"), "{text}");
    assert!(
        text.contains(&format!("Feature Count: {expected}")),
        "expected {expected} features: {text}"
    );
    for field in [
        "cell:", "count:", "harm:", "gi_z:", "gi_p:", "gi_bin:", "rise:",
    ] {
        assert!(text.contains(field), "no field {field} in {text}");
    }
    // District polygons (clipped, simplified, snapped) are valid for GEOS too.
    let t = alby(11);
    let mvt = get(
        &s,
        &format!("/tiles/areas/11/{}/{}.mvt?window=2026-W46", t.x, t.y),
    )
    .await;
    assert_eq!(mvt.status, StatusCode::OK);
    let path = dir.path().join(format!("11/{}/{}.mvt", t.x, t.y));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &mvt.body).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-q", "-dialect", "SQLite", "-sql"])
        .arg("SELECT count(*) AS n, sum(ST_IsValid(geometry)) AS valid FROM areas")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.rsplit('=').next())
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(value("n ("), value("valid ("), "{text}");
    assert_ne!(value("n ("), "0");
}

#[tokio::test]
async fn etag_gives_304_and_caching_headers() {
    let s = state();
    let t = alby(13);
    let uri = format!("/tiles/hexes/13/{}/{}.mvt?{Q}", t.x, t.y);
    let first = get(&s, &uri).await;
    assert_eq!(first.status, StatusCode::OK);
    // Private: the answer depends on who asks (suppressed for viewers and the public).
    assert_eq!(
        first.header(header::CACHE_CONTROL),
        Some("private, max-age=60")
    );
    assert_eq!(first.header(header::VARY), Some("Authorization, Cookie"));
    let tag = first.header(header::ETAG).unwrap().to_owned();
    // No Accept-Encoding: not compressed.
    assert!(first.header(header::CONTENT_ENCODING).is_none());
    let again = send(
        &s,
        Request::get(&uri)
            .header(header::IF_NONE_MATCH, &tag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), Some(tag.as_str()));
    // Same answer from the cache, same ETag; another tile or query, another ETag.
    let cached = get(&s, &uri).await;
    assert_eq!(cached.body, first.body);
    assert_eq!(cached.header(header::ETAG), Some(tag.as_str()));
    let other = get(&s, &format!("/tiles/hexes/13/{}/{}.mvt?{Q}&k=2", t.x, t.y)).await;
    assert_ne!(other.header(header::ETAG), Some(tag.as_str()));
    let other = get(&s, &format!("/tiles/hexes/13/{}/{}.mvt?{Q}", t.x + 1, t.y)).await;
    assert_ne!(other.header(header::ETAG), Some(tag.as_str()));
    // The canonical query: parameter order and blank parameters do not matter.
    let same = get(
        &s,
        &format!(
            "/tiles/hexes/13/{}/{}.mvt?emerging_weeks=0&category=&window=2026-W46",
            t.x, t.y
        ),
    )
    .await;
    assert_eq!(same.header(header::ETAG), Some(tag.as_str()));
    // Compression when asked for.
    let gz = send(
        &s,
        Request::get(&uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"));
}

#[tokio::test]
async fn tilejson_describes_the_layer() {
    let s = state();
    let r = send(
        &s,
        Request::get(format!("/tiles/hexes.json?{Q}"))
            .header(header::HOST, "example.org:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let tj = r.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        format!("http://example.org:8080/tiles/hexes/{{z}}/{{x}}/{{y}}.mvt?{Q}")
    );
    assert_eq!(tj["minzoom"], 0);
    assert_eq!(tj["maxzoom"], 18);
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        b[0] < ALBY.0 && ALBY.0 < b[2] && b[1] < ALBY.1 && ALBY.1 < b[3],
        "{b:?}"
    );
    assert!(b[2] - b[0] < 1.0, "the study area, not the county: {b:?}");
    let layer = &tj["vector_layers"][0];
    assert_eq!(layer["id"], "hexes");
    assert_eq!(layer["fields"]["count"], "Number");
    assert_eq!(layer["fields"]["cell"], "String");
    // Behind a proxy: --base-url.
    let proxied = AppState::new(
        Config::with_db(demo_db().db()),
        Some("https://example.org/lagesbild/".into()),
    );
    let tj = get(&proxied, "/tiles/areas.json?window=2026-W46")
        .await
        .json();
    assert_eq!(
        tj["tiles"][0],
        "https://example.org/lagesbild/tiles/areas/{z}/{x}/{y}.mvt?window=2026-W46"
    );
    assert_eq!(tj["vector_layers"][0]["fields"]["rate_per_1000"], "Number");
}

#[tokio::test]
async fn bad_tile_requests_get_a_4xx_that_names_the_parameter() {
    let s = state();
    let cases: &[(&str, StatusCode, &str)] = &[
        ("/tiles/hexes/a/0/0.mvt", StatusCode::BAD_REQUEST, "tile z"),
        ("/tiles/hexes/13/x/0.mvt", StatusCode::BAD_REQUEST, "tile x"),
        ("/tiles/hexes/13/0/y.mvt", StatusCode::BAD_REQUEST, "tile y"),
        ("/tiles/hexes/2/4/0.mvt", StatusCode::BAD_REQUEST, "tile x"),
        (
            "/tiles/hexes/2/0/4.geojson",
            StatusCode::BAD_REQUEST,
            "tile y",
        ),
        ("/tiles/hexes/-1/0/0.mvt", StatusCode::BAD_REQUEST, "zoom"),
        ("/tiles/hexes/23/0/0.mvt", StatusCode::BAD_REQUEST, "zoom"),
        ("/tiles/kde/19/0/0.mvt", StatusCode::BAD_REQUEST, "0..=18"),
        ("/tiles/roads/1/0/0.mvt", StatusCode::NOT_FOUND, "roads"),
        ("/tiles/roads.json", StatusCode::NOT_FOUND, "roads"),
        ("/tiles/hexes/1/0/0.png", StatusCode::NOT_FOUND, "png"),
        ("/tiles/hexes/1/0/0", StatusCode::NOT_FOUND, "format"),
        (
            "/tiles/hexes/1/0/0.mvt?category=nonsense",
            StatusCode::BAD_REQUEST,
            "category",
        ),
        (
            "/tiles/hexes/1/0/0.mvt?from=2026-11-10&to=2026-11-01",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/tiles/hexes/1/0/0.mvt?colour=red",
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        ("/tiles/hexes/1/0/0.mvt?k=99", StatusCode::BAD_REQUEST, "k"),
        (
            "/tiles/areas/1/0/0.mvt?layer=nope",
            StatusCode::BAD_REQUEST,
            "layer",
        ),
        (
            "/tiles/areas/1/0/0.mvt?res=9",
            StatusCode::BAD_REQUEST,
            "res",
        ),
        (
            "/tiles/kde/1/0/0.mvt?bandwidth=-3",
            StatusCode::BAD_REQUEST,
            "bandwidth",
        ),
        (
            "/tiles/hexes.json?fdr=maybe",
            StatusCode::BAD_REQUEST,
            "fdr",
        ),
    ];
    for (uri, status, word) in cases {
        let r = get(&s, uri).await;
        assert_eq!(r.status, *status, "{uri}: {}", r.json());
        let msg = r.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(word), "{uri}: {msg:?} does not name {word}");
    }
}

/// A GeoJSON Polygon or MultiPolygon as `geo` polygons.
fn polygons(g: &Value) -> Vec<geo::Polygon<f64>> {
    let ring = |r: &Value| -> geo::LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    let polygon = |p: &Value| {
        let rings = p.as_array().unwrap();
        geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    match g["type"].as_str().unwrap() {
        "Polygon" => vec![polygon(&g["coordinates"])],
        "MultiPolygon" => g["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(polygon)
            .collect(),
        other => panic!("unexpected geometry {other}"),
    }
}

#[tokio::test]
async fn area_tiles_are_valid_and_simplified_by_zoom() {
    use geo::{Validation, orient::Direction};
    let s = state();
    let mut vertices = Vec::new();
    for z in [7u8, 10, 13] {
        // Every tile over the middle of Botkyrka.
        let a = TileId::containing(17.75, 59.27, z);
        let b = TileId::containing(17.95, 59.18, z);
        let mut n = 0;
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                let r = get(
                    &s,
                    &format!("/tiles/areas/{z}/{x}/{y}.geojson?window=2026-W46"),
                )
                .await;
                assert_eq!(r.status, StatusCode::OK);
                for f in r.json()["features"].as_array().unwrap() {
                    for p in polygons(&f["geometry"]) {
                        assert!(
                            p.is_valid(),
                            "{z}/{x}/{y} {}: {:?}",
                            f["id"],
                            p.validation_errors()
                        );
                        // RFC 7946: exterior counter-clockwise.
                        let oriented = geo::orient::Orient::orient(&p, Direction::Default);
                        assert_eq!(oriented, p, "orientation");
                        n += p.exterior().0.len();
                    }
                }
            }
        }
        vertices.push(n);
    }
    // Simplification: fewer vertices at low zooms for the same ground.
    assert!(vertices[0] < vertices[2], "{vertices:?}");
}
