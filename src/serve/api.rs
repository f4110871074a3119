//! The JSON/GeoJSON API under `/api` (the endpoint list at `/api` itself), plus `/health`.
//!
//! Every response states the parameters it was computed with and the data version.
//! GeoJSON follows RFC 7946 (lon/lat, counter-clockwise exteriors, no `crs`, 7 decimals).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use h3o::CellIndex;
use serde_json::{Value, json};

use super::auth::{Access, Routes};
use super::geojson_out::{cell_polygon, incident_feature, multipolygon, with};
use super::params::{
    AREA_PARAMS, HEX_PARAMS, QueryMap, WINDOW_FILTER, area_query, check_layer, default_layer,
    hex_query, parse_bbox, parse_bool,
};
use super::{ApiError, AppState, MAX_BODY_BYTES};
use crate::analysis::hotspots::SeriesUnit;
use crate::ingest::{Encoding, Format};
use crate::model::{Crs, Partner};
use crate::pipeline::{self, IngestRequest};

/// Default and largest page of incidents.
pub const INCIDENT_LIMIT_DEFAULT: usize = 1000;
/// The largest page of incidents.
pub const INCIDENT_LIMIT_MAX: usize = 10_000;

type Params = Query<Vec<(String, String)>>;

/// The API routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api", index)
        .get("/health", health)
        .get("/api/layers", layers)
        .get("/api/categories", categories)
        .get("/api/areas", areas)
        .get("/api/hexes", hexes)
        .get("/api/hotspots", hotspots)
        .get("/api/timeseries", timeseries)
        .get("/api/incidents", incidents)
        .post("/api/incidents", post_incidents)
}

/// Encodes a GeoJSON body and keeps it for repeated requests; a 400 when it is over
/// [`super::limits::MAX_RESPONSE_BYTES`].
fn keep_geojson(state: &AppState, key: String, body: Value) -> Result<Response, ApiError> {
    let bytes = axum::body::Bytes::from(body.to_string());
    super::limits::check_response(bytes.len())?;
    state.keep_response(
        key,
        super::CachedResponse {
            etag: None,
            content_type: "application/geo+json",
            body: Some(bytes.clone()),
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::VARY, super::VARY),
        ],
        bytes,
    )
        .into_response())
}

fn geojson(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response()
}

fn query(
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<QueryMap, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    Ok(QueryMap::new(pairs))
}

async fn index() -> Json<Value> {
    Json(json!({
        "name": "lagesbild",
        "version": env!("CARGO_PKG_VERSION"),
        "endpoints": {
            "/": "the web map",
            "/health": "status, version, data version, incident count",
            "/ready": "200 when the database answers and holds the demo or data, else 503 with the reason",
            "/metrics": "Prometheus text format (admins or the scrape token LAGESBILD_METRICS_TOKEN)",
            "/api/config": "the web map's settings (base map, languages, H3 resolutions)",
            "/api/profile?area=ID&layer=|cell=H3&window=": "counts per category and the hour-by-weekday pattern of one area or cell",
            "/api/layers": "the area layers",
            "/api/categories": "the incident categories with labels, groups and harm weights",
            "/api/areas?layer=districts&window=2026-W47": "areas as GeoJSON with counts, rates, harm, change and Gi*",
            "/api/hexes?window=2026-W47&res=&k=&alpha=&fdr=": "the study area's H3 cells as GeoJSON with Gi* and emerging classes",
            "/api/hotspots?unit=hexes|areas&window=": "a ranked list",
            "/api/timeseries?area=ID&layer=districts|cell=H3&interval=week": "counts per week",
            "/api/incidents?bbox=&window=": "incident points (GET), or upload CSV/GeoJSON (POST)",
            "/tiles/{layer}/{z}/{x}/{y}.mvt": "vector tiles (layers areas, hexes, kde; .geojson too), with the same window and filter parameters",
            "/tiles/{layer}.json": "TileJSON 3.0 for a tile layer",
            "/ogc": "OGC API - Features (QGIS, GDAL)",
            "/api/reports/week/2026-W47": "weekly situation picture as JSON (?format=csv, or /csv, for Swedish Excel); PUT .../notes stores meeting notes",
            "/api/reports/tertial/2026-T3": "tertial analysis as JSON (?format=csv, or /csv)",
            "/reports/week/2026-W47?lang=sv|en": "weekly situation picture, printable HTML (A4)",
            "/reports/tertial/2026-T3?lang=sv|en": "tertial analysis, printable HTML (A4)",
            "/api/reports/quarter/2026-Q4": "quarterly analysis (cadence quarter; the tertial analysis's content) as JSON (?format=csv, or /csv)",
            "/reports/quarter/2026-Q4?lang=sv|en": "quarterly analysis, printable HTML (A4)",
        },
        "note": "The Botkyrka demo incidents are synthetic (seeded generator), not real reports.",
    }))
}

async fn health(State(state): State<AppState>) -> Response {
    let checked = state
        .blocking(|store, _| Ok((store.data_version()?, store.incident_count()?)))
        .await;
    match checked {
        Ok((version, incidents)) => Json(json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "data_version": version,
            "incidents": incidents,
        }))
        .into_response(),
        // The database is gone (stopped, unreachable, refusing): 503, so a load balancer
        // takes this server out until the database answers again; the pool reconnects by
        // itself on the next request.
        Err(e) => {
            tracing::warn!(error = %e, "health: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                Json(json!({
                    "status": "unavailable",
                    "version": env!("CARGO_PKG_VERSION"),
                    "reason": "the database does not answer; see the server log / databasen svarar inte; se serverloggen",
                })),
            )
                .into_response()
        }
    }
}

async fn layers(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .blocking(|store, _| {
            Ok(Json(json!({
                "layers": store.layers()?,
                "data_version": store.data_version()?,
            })))
        })
        .await
}

async fn categories(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let list: Vec<_> = state.config().categories.iter().collect();
    Ok(Json(
        json!({ "categories": list, "data_version": state.data_version_fast()? }),
    ))
}

async fn areas(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let view = access.view(state.auth().settings());
    let response_key = match super::response_key_or_hit(&state, &uri, &headers, None, &view)? {
        Ok(key) => key,
        Err(hit) => return Ok(hit),
    };
    let mut q = query(q)?;
    let body = state
        .blocking(move |store, state| {
            let layers = store.layers()?;
            let layer = match q.take("layer") {
                Some(l) => l,
                None => default_layer(&layers)?,
            };
            check_layer(&layers, &layer)?;
            let mut aq = area_query(&mut q, state, layer)?;
            q.finish(&AREA_PARAMS)?;
            aq.window = view.window(aq.window, state.config().timezone);
            let result = state.analysis().areas(store, &aq)?;
            let analyzer = state.analysis().analyzer(store)?;
            let table = analyzer.table();
            let geometry: HashMap<&str, &geo::MultiPolygon<f64>> = table
                .layer(&aq.layer)
                .map(|(_, l)| l.areas.iter().map(|a| (a.id.as_str(), &a.geometry)).collect())
                .unwrap_or_default();
            let mut features: Vec<Value> = result
                .areas
                .iter()
                .map(|a| {
                    json!({
                        "type": "Feature",
                        "id": a.id,
                        "geometry": geometry.get(a.id.as_str()).map(|g| multipolygon(g)),
                        "properties": with(serde_json::to_value(a).unwrap_or_default(), json!({ "layer": result.layer })),
                    })
                })
                .collect();
            let total = view.features(&mut features, aq.baseline_windows, result.total);
            Ok(json!({
                "type": "FeatureCollection",
                "features": features,
                "parameters": result.parameters,
                "total": total,
                "warnings": result.warnings,
                "data_version": result.parameters.data_version,
            }))
        })
        .await?;
    keep_geojson(&state, response_key, body)
}

async fn hexes(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let view = access.view(state.auth().settings());
    let response_key = match super::response_key_or_hit(&state, &uri, &headers, None, &view)? {
        Ok(key) => key,
        Err(hit) => return Ok(hit),
    };
    let mut q = query(q)?;
    let body = state
        .blocking(move |store, state| {
            let mut hq = hex_query(&mut q, state)?;
            q.finish(&HEX_PARAMS)?;
            view.limit_hex_query(&mut hq, state.config());
            hq.window = view.window(hq.window, state.config().timezone);
            let result = state.analysis().hexes(store, &hq)?;
            let mut features: Vec<Value> = result
                .cells
                .iter()
                .filter_map(|c| {
                    let cell: CellIndex = c.cell.parse().ok()?;
                    let labels = c.emerging.map(
                        |e| json!({ "emerging_en": e.label_en(), "emerging_sv": e.label_sv() }),
                    );
                    let props = serde_json::to_value(c).unwrap_or_default();
                    Some(json!({
                        "type": "Feature",
                        "id": c.cell,
                        "geometry": cell_polygon(cell),
                        "properties": with(props, labels.unwrap_or_else(|| json!({}))),
                    }))
                })
                .collect();
            let total = view.features(&mut features, hq.baseline_windows, result.total);
            Ok(json!({
                "type": "FeatureCollection",
                "features": features,
                "parameters": result.parameters,
                "scale": result.scale,
                "total": total,
                "warnings": result.warnings,
                "data_version": result.parameters.data_version,
            }))
        })
        .await?;
    keep_geojson(&state, response_key, body)
}

async fn hotspots(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let view = access.view(state.auth().settings());
    let mut q = query(q)?;
    state
        .blocking(move |store, state| {
            let unit = q.take("unit").unwrap_or_else(|| "hexes".into());
            let limit = q
                .parse("limit", "a whole number 1..=1000", |s| {
                    s.parse::<usize>().ok().filter(|n| (1..=1000).contains(n))
                })?
                .unwrap_or(20);
            let sort = q.take("sort").unwrap_or_else(|| "harm".into());
            let key = |harm: f64, count: f64, z: Option<f64>| -> Result<f64, ApiError> {
                match sort.as_str() {
                    "harm" => Ok(harm),
                    "count" => Ok(count),
                    "gi_z" => Ok(z.unwrap_or(f64::NEG_INFINITY)),
                    other => Err(ApiError::BadRequest(format!(
                        "parameter sort: {other:?} is not harm, count or gi_z"
                    ))),
                }
            };
            let (parameters, mut items): (Value, Vec<(f64, Value)>) = match unit.as_str() {
                "hexes" => {
                    let mut hq = hex_query(&mut q, state)?;
                    let mut known: Vec<&str> = HEX_PARAMS.to_vec();
                    known.extend(["unit", "limit", "sort"]);
                    q.finish(&known)?;
                    view.limit_hex_query(&mut hq, state.config());
                    hq.window = view.window(hq.window, state.config().timezone);
                    let r = state.analysis().hexes(store, &hq)?;
                    let mut items = Vec::new();
                    for c in &r.cells {
                        let v = serde_json::to_value(c).unwrap_or_default();
                        let labels = c.emerging.map(
                            |e| json!({ "emerging_en": e.label_en(), "emerging_sv": e.label_sv() }),
                        );
                        // The cell's centre, so a client can zoom to a ranked cell.
                        let center = c.cell.parse::<CellIndex>().ok().map(|cell| {
                            let ll = h3o::LatLng::from(cell);
                            json!([ll.lng(), ll.lat()])
                        });
                        let v = with(v, json!({ "center": center }));
                        items.push((
                            key(c.aggregate.harm, c.aggregate.count, c.gi_z)?,
                            with(v, labels.unwrap_or_else(|| json!({}))),
                        ));
                    }
                    view.ranked(&mut items, hq.baseline_windows, &sort);
                    (
                        json!({ "unit": "hexes", "computed": r.parameters, "scale": r.scale }),
                        items,
                    )
                }
                "areas" => {
                    let layers = store.layers()?;
                    let layer = match q.take("layer") {
                        Some(l) => l,
                        None => default_layer(&layers)?,
                    };
                    check_layer(&layers, &layer)?;
                    let mut aq = area_query(&mut q, state, layer)?;
                    let mut known: Vec<&str> = AREA_PARAMS.to_vec();
                    known.extend(["unit", "limit", "sort"]);
                    q.finish(&known)?;
                    aq.window = view.window(aq.window, state.config().timezone);
                    let r = state.analysis().areas(store, &aq)?;
                    let mut items = Vec::new();
                    for a in &r.areas {
                        items.push((
                            key(a.aggregate.harm, a.aggregate.count, a.gi_z)?,
                            serde_json::to_value(a).unwrap_or_default(),
                        ));
                    }
                    view.ranked(&mut items, aq.baseline_windows, &sort);
                    (
                        json!({ "unit": "areas", "layer": r.layer, "computed": r.parameters }),
                        items,
                    )
                }
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "parameter unit: {other:?} is not hexes or areas"
                    )));
                }
            };
            // Highest first; ties keep the unit order (cell index / area id), so ranks are stable.
            items.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            let ranked: Vec<Value> = items
                .into_iter()
                .filter(|(score, _)| *score > 0.0 || sort == "gi_z")
                .take(limit)
                .enumerate()
                .map(|(i, (score, v))| with(json!({ "rank": i + 1, "score": score }), v))
                .collect();
            let data_version = parameters["computed"]["data_version"].clone();
            Ok(Json(json!({
                "parameters": with(parameters, json!({ "sort": sort, "limit": limit })),
                "items": ranked,
                "data_version": data_version,
            })))
        })
        .await
}

async fn timeseries(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let view = access.view(state.auth().settings());
    let mut q = query(q)?;
    state
        .blocking(move |store, state| {
            let interval = q.take("interval").unwrap_or_else(|| "week".into());
            if interval != "week" {
                return Err(ApiError::BadRequest(format!("parameter interval: {interval:?} is not supported; use week")));
            }
            let unit = match (q.take("area"), q.take("cell")) {
                (Some(_), Some(_)) => return Err(ApiError::BadRequest("give area= or cell=, not both".into())),
                (Some(id), None) => {
                    let layers = store.layers()?;
                    let layer = match q.take("layer") {
                        Some(l) => l,
                        None => default_layer(&layers)?,
                    };
                    check_layer(&layers, &layer)?;
                    SeriesUnit::Area { layer, id }
                }
                (None, Some(c)) => {
                    let cell = c
                        .parse::<CellIndex>()
                        .map_err(|_| ApiError::BadRequest(format!("parameter cell: {c:?} is not an H3 cell index")))?;
                    view.check_cell(cell)?;
                    SeriesUnit::Cell(cell)
                }
                (None, None) => SeriesUnit::All,
            };
            let wf = q.window_filter();
            let filter = wf.filter(state.config())?;
            let now = Utc::now();
            let (from, to) = if wf.window.is_some() || wf.from.is_some() || wf.to.is_some() {
                view.window(wf.window(state.config(), now)?, state.config().timezone).bounds(state.config().timezone)
            } else {
                let last = super::params::last_complete_week(now, state.config());
                let (_, to) = last.bounds(state.config().timezone);
                (last.previous_n(51).last().map_or(to, |w| w.bounds(state.config().timezone).0), to)
            };
            let mut known: Vec<&str> = WINDOW_FILTER.to_vec();
            known.extend(["area", "cell", "layer", "interval"]);
            q.finish(&known)?;
            let analyzer = state.analysis().analyzer(store)?;
            let series = analyzer.weekly_series(&unit, from, to, &filter)?;
            Ok(Json(json!({
                "parameters": with(serde_json::to_value(&series.parameters).unwrap_or_default(), json!({ "interval": "week" })),
                "points": series.points.iter().map(|(w, c)| json!({ "window": w, "count": view.count(*c) })).collect::<Vec<_>>(),
                "data_version": series.parameters.data_version,
            })))
        })
        .await
}

async fn incidents(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    let body = state
        .blocking(move |store, state| {
            let token = access
                .token()
                .ok_or_else(|| ApiError::Unauthorized("sign in to read incidents".into()))?;
            let visible = crate::access::visible_partners(store, &token.partner, token.role)?;
            let bbox = match q.take("bbox") {
                Some(b) => parse_bbox(&b)
                    .map_err(|e| ApiError::BadRequest(format!("parameter bbox: {e}")))?,
                None => super::params::Bbox {
                    min_lon: -180.0,
                    min_lat: -90.0,
                    max_lon: 180.0,
                    max_lat: 90.0,
                },
            };
            let limit = q
                .parse(
                    "limit",
                    &format!("a whole number 1..={INCIDENT_LIMIT_MAX}"),
                    |s| {
                        s.parse::<usize>()
                            .ok()
                            .filter(|n| (1..=INCIDENT_LIMIT_MAX).contains(n))
                    },
                )?
                .unwrap_or(INCIDENT_LIMIT_DEFAULT);
            let offset = q
                .parse("offset", "a whole number >= 0", |s| s.parse::<usize>().ok())?
                .unwrap_or(0);
            let wf = q.window_filter();
            let window = wf.window(state.config(), Utc::now())?;
            let filter = wf.filter(state.config())?;
            let mut known: Vec<&str> = WINDOW_FILTER.to_vec();
            known.extend(["bbox", "limit", "offset"]);
            q.finish(&known)?;
            let (from, to) = window.bounds(state.config().timezone);
            let cats = &state.config().categories;
            let area = (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat);
            // The window's rows, then only the partners this token may see, then the filter,
            // then the page.
            let (all, _) =
                store.incidents_page(area, Some(from), Some(to), (i64::MAX as usize, 0))?;
            let kept: Vec<_> = all
                .into_iter()
                .filter(|(_, i)| visible.contains(&i.partner))
                .filter(|(_, i)| filter.matches(i, cats))
                .collect();
            let total = kept.len() as u64;
            let page: Vec<_> = kept.into_iter().skip(offset).take(limit).collect();
            let features: Vec<Value> = page.iter().map(|(_, i)| incident_feature(i)).collect();
            let parameters = json!({
                "window": window.to_string(),
                "filter": filter.to_string(),
                "bbox": [bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat],
                "limit": limit,
                "offset": offset,
                "partners": visible,
            });
            crate::access::audit::append(
                store,
                &access
                    .audit(
                        "incidents.read",
                        "GET /api/incidents",
                        features.len() as i64,
                    )
                    .with_detail(parameters.to_string()),
            )?;
            Ok(json!({
                "type": "FeatureCollection",
                "features": features,
                "numberMatched": total,
                "parameters": parameters,
                "data_version": store.data_version()?,
            }))
        })
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "private, no-store")],
        geojson(body),
    )
        .into_response())
}

async fn post_incidents(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    q: Result<Params, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let token = access
        .token()
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized("sign in to file incidents".into()))?;
    super::session::ingest_allowed(&state, token.id).await?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "the upload is larger than {} MiB; split the file, or ingest it with `lagesbild ingest FILE`",
                MAX_BODY_BYTES >> 20
            ))
        } else {
            ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
        }
    })?;
    let mut q = query(q)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match q.take("format") {
        Some(f) => Format::parse(&f).ok_or_else(|| {
            ApiError::BadRequest(format!("parameter format: {f:?} is not csv or geojson"))
        })?,
        None => match content_type.as_str() {
            "text/csv" | "application/csv" | "text/plain" => Format::Csv,
            "application/geo+json" | "application/json" => Format::Geojson,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "Content-Type {other:?} is not an incident format; send text/csv or application/geo+json (or give format=)"
                )));
            }
        },
    };
    let given = q
        .take("partner")
        .map(|p| {
            Partner::parse(&p).map_err(|e| ApiError::BadRequest(format!("parameter partner: {e}")))
        })
        .transpose()?;
    // Incidents are filed for the token's own partner; only an admin may name another.
    let profile_name = q.take("profile");
    let partner = match given {
        Some(p) if p.as_str() != token.partner && token.role != crate::access::Role::Admin => {
            return Err(ApiError::Forbidden(format!(
                "parameter partner: a {} token of {} files incidents for {} only",
                token.role, token.partner, token.partner
            )));
        }
        Some(p) => Some(p),
        // With a profile, its partner (checked below).
        None if profile_name.is_some() => None,
        None => Some(Partner::parse(&token.partner).map_err(ApiError::Internal)?),
    };
    let encoding = q
        .take("encoding")
        .map(|e| {
            Encoding::parse(&e).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "parameter encoding: {:?} is not utf8 or latin1",
                    e.chars().take(40).collect::<String>()
                ))
            })
        })
        .transpose()?;
    let crs = q
        .take("crs")
        .map(|c| {
            Crs::parse(&c).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "parameter crs: {c:?} is not EPSG:4326 or EPSG:3006"
                ))
            })
        })
        .transpose()?;
    let strict = q
        .parse("strict", "true or false", parse_bool)?
        .unwrap_or(false);
    q.finish(&["partner", "crs", "strict", "format", "profile", "encoding"])?;
    let mut req = IngestRequest {
        source: format!("POST /api/incidents (token {})", token.id),
        format,
        partner,
        crs,
        strict,
        now: Utc::now(),
        audit: Some(access.audit("ingest", "POST /api/incidents", 0)),
    };
    let report = state
        .blocking(move |store, state| {
            let profile = match &profile_name {
                None => None,
                Some(name) => {
                    let p = pipeline::load_profile(store, name).map_err(|e| match e {
                        pipeline::PipelineError::Store(s) => ApiError::from(s),
                        other => ApiError::NotFound(format!("parameter profile: {other}")),
                    })?;
                    if p.partner != token.partner && token.role != crate::access::Role::Admin {
                        return Err(ApiError::Forbidden(format!(
                            "parameter profile: {:?} belongs to partner {}; a {} token of {} files with its own partner's profiles only",
                            p.name, p.partner, token.role, token.partner
                        )));
                    }
                    if req.partner.is_none() {
                        req.partner = Some(Partner::parse(&p.partner).map_err(ApiError::Internal)?);
                    }
                    Some(p)
                }
            };
            let read = pipeline::ReadOptions { profile, encoding };
            if let Some(p) = &req.partner
                && crate::access::partner(store, p.as_str())?.is_none()
            {
                return Err(ApiError::BadRequest(format!(
                    "parameter partner: {p:?} is not a configured partner, so nothing was stored; an administrator adds it with `lagesbild partner add {p} --name NAME` / {p:?} är ingen inlagd partner, inget sparades; en administratör lägger till den med `lagesbild partner add {p} --name NAMN`",
                    p = p.as_str()
                )));
            }
            let report = pipeline::ingest_with(
                store,
                state.config(),
                std::io::Cursor::new(body.to_vec()),
                &req,
                &read,
            )
            .map_err(|e| match e {
                pipeline::PipelineError::Store(s) => ApiError::from(s),
                other => ApiError::BadRequest(format!("nothing was stored: {other}")),
            })?;
            if report.counts.accepted > 0 && crate::access::is_demo(store)? {
                // Real data in a demo database: it is no longer a demo, and public access
                // that was on only because of the demo goes off.
                crate::access::set_demo(store, false)?;
                state.auth().close_public();
                tracing::warn!("incidents were filed into the demo database: it is no longer marked as demo; public access is off");
            }
            Ok(report)
        })
        .await?;
    state.refresh_version();
    state.metrics().observe_ingest(
        report.counts.accepted,
        report.counts.rejected,
        report.counts.duplicates,
    );
    let status = if strict && report.counts.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}
