//! OGC API - Features Part 1 (Core) under `/ogc`, so QGIS, GDAL/OGR and OWSLib can add
//! lagesbild's layers.
//!
//! Collections: `areas-{layer}` (each area layer with its scores, as `/api/areas`),
//! `hexes-r{res}` (the study area's H3 cells at each stored resolution, as `/api/hexes`)
//! and `incidents` (the points). Handlers parse ([`request`]), call the analysis service or
//! the store on the blocking pool, and encode as JSON/GeoJSON or HTML ([`html`]); the
//! OpenAPI document is in [`openapi`]. Links are absolute: `serve --base-url` when set,
//! else built from the request's `Host` (or `X-Forwarded-Proto`/`X-Forwarded-Host`).

mod html;
mod openapi;
mod request;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use geo::{BoundingRect, Intersects};
use h3o::{CellIndex, Resolution};
use serde_json::{Value, json};

use self::request::{Datetime, Format, LIMIT_DEFAULT};
use super::auth::{Access, Routes, View};
use super::geojson_out::{cell_polygon, incident_feature, multipolygon, with};
use super::params::{QueryMap, WindowFilterParams, parse_bbox};
use super::{ApiError, AppState};
use crate::analysis::hotspots::{Analyzer, AreaQuery, HexQuery};
use crate::analysis::window::{TimeWindow, WindowKind};
use crate::store::Store;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const HTML: &str = "text/html";

/// The conformance classes we implement.
const CONFORMANCE: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// Parameters of `/items` on the incidents collection.
const INCIDENT_ITEM_PARAMS: [&str; 5] = ["limit", "offset", "bbox", "datetime", "f"];
/// Parameters of `/items` on the score collections.
const SCORE_ITEM_PARAMS: [&str; 9] = [
    "limit", "offset", "bbox", "datetime", "window", "category", "group", "partner", "f",
];
/// Parameters of one score feature.
const SCORE_ITEM_ONE_PARAMS: [&str; 6] =
    ["datetime", "window", "category", "group", "partner", "f"];

/// The OGC API routes: the landing page answers with and without a trailing slash.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/ogc", landing)
        .get("/ogc/", landing)
        .get("/ogc/api", api)
        .get("/ogc/conformance", conformance)
        .get("/ogc/collections", collections)
        .get("/ogc/collections/{collection}", collection)
        .get("/ogc/collections/{collection}/items", items)
        .get("/ogc/collections/{collection}/items/{feature}", item)
}

/// The permission check for the `incidents` collection (points with free-text
/// descriptions): admins, analysts and reporters only. Returns the partners whose incidents
/// the caller may read. It runs before any incident is read, for the items and for one item.
fn authorize_incidents(store: &Store, access: &Access) -> Result<Vec<String>, ApiError> {
    let Some(t) = access.token() else {
        return Err(ApiError::Unauthorized(
            "the incidents collection needs a token: send Authorization: Bearer TOKEN".into(),
        ));
    };
    if !super::auth::Permission::Incidents.allows(access, false) {
        return Err(ApiError::Forbidden(format!(
            "the role {} sees aggregates only, not the incidents collection",
            t.role
        )));
    }
    Ok(crate::access::visible_partners(store, &t.partner, t.role)?)
}

type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A parsed request.
struct Req {
    /// Absolute URL of `/ogc`, without a trailing slash.
    base: String,
    format: Format,
    /// The parameters not yet taken (`f` is taken).
    q: QueryMap,
    /// The parameters as given, for paging links.
    pairs: Vec<(String, String)>,
}

fn prepare(state: &AppState, headers: &HeaderMap, q: Params) -> Result<Req, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    let mut map = QueryMap::new(pairs.clone());
    let f = map.take("f");
    Ok(Req {
        base: format!("{}/ogc", request::base_url(state, headers)),
        format: request::format(f.as_deref(), headers)?,
        q: map,
        pairs,
    })
}

fn respond(
    format: Format,
    title: &str,
    doc: &Value,
    json_type: &str,
    items: Option<&str>,
) -> Response {
    match format {
        Format::Html => html::page(title, doc, items),
        Format::Json => ([(header::CONTENT_TYPE, json_type)], doc.to_string()).into_response(),
    }
}

fn link(href: &str, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

/// `url` with `f=` appended.
fn with_f(url: &str, f: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}f={f}")
}

/// `self` and `alternate` links for a resource at `url` whose JSON type is `json_type`.
fn self_links(url: &str, json_type: &str, format: Format) -> Vec<Value> {
    let json = link(
        &with_f(url, "json"),
        "self",
        json_type,
        "This document as JSON",
    );
    let html = link(&with_f(url, "html"), "self", HTML, "This document as HTML");
    let (mut this, mut other) = match format {
        Format::Json => (json, html),
        Format::Html => (html, json),
    };
    this["rel"] = json!("self");
    other["rel"] = json!("alternate");
    vec![this, other]
}

async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let Req {
        base, format, q, ..
    } = prepare(&state, &headers, q)?;
    q.finish(&["f"])?;
    let mut links = self_links(&base, JSON, format);
    links.extend([
        link(
            &format!("{base}/api"),
            "service-desc",
            openapi::MEDIA_TYPE,
            "The API definition (OpenAPI 3.0)",
        ),
        link(
            &format!("{base}/api?f=html"),
            "service-doc",
            HTML,
            "The API definition as HTML",
        ),
        link(
            &format!("{base}/conformance"),
            "conformance",
            JSON,
            "Conformance classes",
        ),
        link(
            &format!("{base}/conformance"),
            "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            JSON,
            "Conformance classes",
        ),
        link(
            &format!("{base}/collections"),
            "data",
            JSON,
            "The collections",
        ),
        link(
            &format!("{base}/collections"),
            "http://www.opengis.net/def/rel/ogc/1.0/data",
            JSON,
            "The collections",
        ),
    ]);
    let doc = json!({
        "title": "lagesbild",
        "description": "Hotspot scores per area and per H3 cell, and incident points, for local \
                        crime-prevention partnerships. The Botkyrka demo incidents are synthetic.",
        "links": links,
    });
    Ok(respond(
        format,
        "lagesbild: OGC API - Features",
        &doc,
        JSON,
        None,
    ))
}

async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let Req {
        base, format, q, ..
    } = prepare(&state, &headers, q)?;
    q.finish(&["f"])?;
    let doc = openapi::document(&base);
    Ok(respond(
        format,
        "The API definition (OpenAPI 3.0)",
        &doc,
        openapi::MEDIA_TYPE,
        None,
    ))
}

async fn conformance(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let Req {
        base, format, q, ..
    } = prepare(&state, &headers, q)?;
    q.finish(&["f"])?;
    let doc = json!({
        "conformsTo": CONFORMANCE,
        "links": self_links(&format!("{base}/conformance"), JSON, format),
    });
    Ok(respond(format, "Conformance classes", &doc, JSON, None))
}

/// A collection.
#[derive(Debug, Clone, PartialEq)]
enum Coll {
    /// An area layer with its scores.
    Areas(String),
    /// The study area's hexes at a resolution.
    Hexes(Resolution),
    /// The incident points.
    Incidents,
}

impl Coll {
    fn id(&self) -> String {
        match self {
            Coll::Areas(layer) => format!("areas-{layer}"),
            Coll::Hexes(r) => format!("hexes-r{}", u8::from(*r)),
            Coll::Incidents => "incidents".to_owned(),
        }
    }

    fn all(a: &Analyzer) -> Vec<Coll> {
        let table = a.table();
        let mut out: Vec<Coll> = table
            .layers
            .iter()
            .map(|l| Coll::Areas(l.name.clone()))
            .collect();
        out.extend(table.resolutions.iter().map(|r| Coll::Hexes(*r)));
        out.push(Coll::Incidents);
        out
    }

    fn find(a: &Analyzer, id: &str) -> Result<Coll, ApiError> {
        let all = Coll::all(a);
        let ids: Vec<String> = all.iter().map(Coll::id).collect();
        all.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection {id:?}; the collections are: {}",
                ids.join(", ")
            ))
        })
    }

    fn title(&self) -> (String, String) {
        match self {
            Coll::Areas(l) => (
                format!("Areas: {l}"),
                format!(
                    "The areas of layer {l} with counts, rates per 1,000 residents, harm, change \
                     and Gi* for the window (default: the last complete ISO week)."
                ),
            ),
            Coll::Hexes(r) => (
                format!("H3 cells, resolution {}", u8::from(*r)),
                "The study area's H3 cells with counts, harm, change, Gi* and the emerging-hotspot \
                 class for the window (default: the last complete ISO week)."
                    .to_owned(),
            ),
            Coll::Incidents => (
                "Incidents".to_owned(),
                "The incident points as filed by the partners.".to_owned(),
            ),
        }
    }
}

/// A growing lon/lat box.
#[derive(Default)]
struct Extent(Option<[f64; 4]>);

impl Extent {
    fn add(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        self.0 = Some(match self.0 {
            None => [x, y, x, y],
            Some([a, b, c, d]) => [a.min(x), b.min(y), c.max(x), d.max(y)],
        });
    }
}

fn unix(t: i64) -> Option<String> {
    DateTime::from_timestamp(t, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn describe(c: &Coll, a: &Analyzer, base: &str, format: Format) -> Value {
    let id = c.id();
    let (title, description) = c.title();
    let table = a.table();
    let mut extent = Extent::default();
    match c {
        Coll::Areas(layer) => {
            if let Some((_, l)) = table.layer(layer) {
                for r in l.areas.iter().filter_map(|a| a.geometry.bounding_rect()) {
                    extent.add(r.min().x, r.min().y);
                    extent.add(r.max().x, r.max().y);
                }
            }
        }
        Coll::Hexes(res) => {
            // An empty study area has no grid; the collection is then empty too.
            if let Ok(grid) = a.grid(*res) {
                for cell in grid.cells() {
                    for ll in cell.boundary().iter() {
                        extent.add(ll.lng(), ll.lat());
                    }
                }
            }
        }
        Coll::Incidents => {
            for p in &table.location {
                extent.add(p.lon, p.lat);
            }
        }
    }
    let bbox = extent.0.unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let interval = match table.time_range() {
        Some((lo, hi)) => json!([unix(lo), unix(hi)]),
        None => json!([null, null]),
    };
    let url = format!("{base}/collections/{}", request::encode(&id));
    let mut links = self_links(&url, JSON, format);
    links.push(link(
        &with_f(&format!("{url}/items"), "json"),
        "items",
        GEOJSON,
        "The features as GeoJSON",
    ));
    links.push(link(
        &with_f(&format!("{url}/items"), "html"),
        "items",
        HTML,
        "The features as HTML",
    ));
    json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": { "bbox": [bbox], "crs": CRS84 },
            "temporal": {
                "interval": [interval],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            },
        },
        "links": links,
    })
}

async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let Req {
        base, format, q, ..
    } = prepare(&state, &headers, q)?;
    q.finish(&["f"])?;
    let doc = state
        .blocking(move |store, state| {
            let a = state.analysis().analyzer(store)?;
            let list: Vec<Value> = Coll::all(&a)
                .iter()
                .map(|c| describe(c, &a, &base, format))
                .collect();
            Ok(json!({
                "links": self_links(&format!("{base}/collections"), JSON, format),
                "collections": list,
            }))
        })
        .await?;
    Ok(respond(format, "Collections", &doc, JSON, None))
}

async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let Req {
        base, format, q, ..
    } = prepare(&state, &headers, q)?;
    q.finish(&["f"])?;
    let doc = state
        .blocking(move |store, state| {
            let a = state.analysis().analyzer(store)?;
            let c = Coll::find(&a, &id)?;
            Ok(describe(&c, &a, &base, format))
        })
        .await?;
    let title = doc["title"].as_str().unwrap_or("Collection").to_owned();
    Ok(respond(format, &title, &doc, JSON, None))
}

/// The `occurred_at` range of a `datetime` for incidents, `[from, to)`. OGC intervals
/// include both ends; times are stored to the second, so the end moves one second on.
fn incident_range(d: Option<Datetime>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let second = chrono::Duration::seconds(1);
    match d {
        None => (None, None),
        Some(Datetime::Instant(t)) => (Some(t), Some(t + second)),
        Some(Datetime::Interval(a, b)) => (a, b.map(|b| b + second)),
    }
}

/// The analysis window of a score collection: `datetime` or `window=`, else the last
/// complete ISO week; with the `category`/`group`/`partner` filter.
fn score_query(
    q: &mut QueryMap,
    state: &AppState,
    a: &Analyzer,
    datetime: Option<Datetime>,
    view: &View,
) -> Result<(TimeWindow, crate::analysis::filter::IncidentFilter), ApiError> {
    let wf = WindowFilterParams {
        window: q.take("window"),
        from: None,
        to: None,
        category: q.take("category"),
        group: q.take("group"),
        partner: q.take("partner"),
    };
    let filter = wf.filter(state.config())?;
    let now = Utc::now();
    let tz = state.config().timezone;
    let window = match (datetime, &wf.window) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "give either datetime= or window=, not both".into(),
            ));
        }
        (Some(Datetime::Instant(t)), None) => TimeWindow::containing(t, WindowKind::IsoWeek, tz),
        (Some(Datetime::Interval(from, to)), None) => {
            let first = a
                .table()
                .time_range()
                .and_then(|(lo, _)| DateTime::from_timestamp(lo, 0));
            let from = from.or(first).ok_or_else(|| {
                ApiError::BadRequest(
                    "parameter datetime: there are no incidents to start an open interval at; give a start".into(),
                )
            })?;
            let to = to.unwrap_or(now);
            if from >= to {
                return Err(ApiError::BadRequest(
                    "parameter datetime: the interval is empty (its end is not after its start)"
                        .into(),
                ));
            }
            TimeWindow::Custom { from, to }
        }
        (None, _) => wf.window(state.config(), now)?,
    };
    Ok((view.window(window, tz), filter))
}

/// A feature with the polygon used to test it against `bbox`.
type Scored = (geo::MultiPolygon<f64>, Value);

/// Every feature of a score collection for the window.
fn score_features(
    store: &Store,
    state: &AppState,
    a: &Analyzer,
    c: &Coll,
    window: TimeWindow,
    filter: crate::analysis::filter::IncidentFilter,
    view: &View,
) -> Result<(Vec<Scored>, Value), ApiError> {
    let (mut features, extra, baseline) =
        score_features_full(store, state, a, c, window, filter, view)?;
    let mut values: Vec<Value> = features.iter_mut().map(|(_, f)| f.take()).collect();
    view.features(&mut values, baseline, 0.0);
    for ((_, f), v) in features.iter_mut().zip(values) {
        *f = v;
    }
    Ok((features, extra))
}

/// [`score_features`] before suppression, with the baseline length.
fn score_features_full(
    store: &Store,
    state: &AppState,
    a: &Analyzer,
    c: &Coll,
    window: TimeWindow,
    filter: crate::analysis::filter::IncidentFilter,
    view: &View,
) -> Result<(Vec<Scored>, Value, usize), ApiError> {
    match c {
        Coll::Areas(layer) => {
            let mut aq = AreaQuery::new(layer, window);
            aq.filter = filter;
            let baseline = aq.baseline_windows;
            let result = state.analysis().areas(store, &aq)?;
            let geometry: std::collections::HashMap<&str, &geo::MultiPolygon<f64>> = a
                .table()
                .layer(layer)
                .map(|(_, l)| {
                    l.areas
                        .iter()
                        .map(|a| (a.id.as_str(), &a.geometry))
                        .collect()
                })
                .unwrap_or_default();
            let features = result
                .areas
                .iter()
                .map(|r| {
                    let g = geometry
                        .get(r.id.as_str())
                        .map(|g| (*g).clone())
                        .unwrap_or_else(|| geo::MultiPolygon(vec![]));
                    let props = with(
                        serde_json::to_value(r).unwrap_or_default(),
                        json!({ "layer": result.layer }),
                    );
                    let f = json!({
                        "type": "Feature",
                        "id": r.id,
                        "geometry": (!g.0.is_empty()).then(|| multipolygon(&g)),
                        "properties": props,
                    });
                    (g, f)
                })
                .collect();
            Ok((
                features,
                json!({ "parameters": result.parameters, "warnings": result.warnings }),
                baseline,
            ))
        }
        Coll::Hexes(res) => {
            if let Some(s) = view.suppression()
                && s.too_fine(*res)
            {
                return Err(ApiError::Forbidden(format!(
                    "collection hexes-r{}: finer than this role may see (at most resolution {})",
                    u8::from(*res),
                    s.max_public_res
                )));
            }
            let mut hq = HexQuery::new(window);
            hq.filter = filter;
            hq.resolution = Some(*res);
            let baseline = hq.baseline_windows;
            let result = state.analysis().hexes(store, &hq)?;
            let features = result
                .cells
                .iter()
                .filter_map(|c| {
                    let cell: CellIndex = c.cell.parse().ok()?;
                    let ring: Vec<geo::Coord<f64>> = cell
                        .boundary()
                        .iter()
                        .map(|ll| geo::coord! { x: ll.lng(), y: ll.lat() })
                        .collect();
                    let g =
                        geo::MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])]);
                    let labels = c
                        .emerging
                        .map(
                            |e| json!({ "emerging_en": e.label_en(), "emerging_sv": e.label_sv() }),
                        )
                        .unwrap_or_else(|| json!({}));
                    let f = json!({
                        "type": "Feature",
                        "id": c.cell,
                        "geometry": cell_polygon(cell),
                        "properties": with(serde_json::to_value(c).unwrap_or_default(), labels),
                    });
                    Some((g, f))
                })
                .collect();
            Ok((
                features,
                json!({ "parameters": result.parameters, "scale": result.scale, "warnings": result.warnings }),
                baseline,
            ))
        }
        Coll::Incidents => Ok((Vec::new(), json!({}), 1)),
    }
}

/// A page URL of `/items`: the given parameters, with `limit`, `offset` and `f` replaced.
fn page_url(
    items: &str,
    pairs: &[(String, String)],
    limit: usize,
    offset: usize,
    f: &str,
) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| !["limit", "offset", "f"].contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| format!("{}={}", request::encode(k), request::encode(v)))
        .collect();
    parts.push(format!("limit={limit}"));
    parts.push(format!("offset={offset}"));
    parts.push(format!("f={f}"));
    format!("{items}?{}", parts.join("&"))
}

async fn items(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let req = prepare(&state, &headers, q)?;
    let format = req.format;
    let items_base = format!("{}/collections/{}/items", req.base, request::encode(&id));
    let doc = state
        .blocking(move |store, state| items_doc(store, state, &access, &id, req))
        .await?;
    let title = format!(
        "{}: features",
        doc["collection"].as_str().unwrap_or("collection")
    );
    Ok(respond(format, &title, &doc, GEOJSON, Some(&items_base)))
}

fn items_doc(
    store: &Store,
    state: &AppState,
    access: &Access,
    id: &str,
    req: Req,
) -> Result<Value, ApiError> {
    let view = access.view(state.auth().settings());
    let Req {
        base,
        format,
        mut q,
        pairs,
    } = req;
    let a = state.analysis().analyzer(store)?;
    let coll = Coll::find(&a, id)?;
    let limit = q
        .take("limit")
        .map(|s| request::parse_limit(&s))
        .transpose()?
        .unwrap_or(LIMIT_DEFAULT);
    let offset = q
        .take("offset")
        .map(|s| request::parse_offset(&s))
        .transpose()?
        .unwrap_or(0);
    let bbox = q
        .take("bbox")
        .map(|b| parse_bbox(&b).map_err(|e| ApiError::BadRequest(format!("parameter bbox: {e}"))))
        .transpose()?;
    let datetime = q
        .take("datetime")
        .map(|s| request::parse_datetime(&s))
        .transpose()?;
    let (features, matched, extra): (Vec<Value>, u64, Value) = match &coll {
        Coll::Incidents => {
            q.finish(&INCIDENT_ITEM_PARAMS)?;
            let visible = authorize_incidents(store, access)?;
            let (from, to) = incident_range(datetime);
            let area = bbox.map_or((-180.0, -90.0, 180.0, 90.0), |b| {
                (b.min_lon, b.min_lat, b.max_lon, b.max_lat)
            });
            let (all, _) = store.incidents_page(area, from, to, (i64::MAX as usize, 0))?;
            let kept: Vec<_> = all
                .into_iter()
                .filter(|(_, i)| visible.contains(&i.partner))
                .collect();
            let total = kept.len() as u64;
            let page: Vec<Value> = kept
                .iter()
                .skip(offset)
                .take(limit)
                .map(|(_, i)| incident_feature(i))
                .collect();
            crate::access::audit::append(
                store,
                &access
                    .audit(
                        "incidents.export",
                        "GET /ogc/collections/incidents/items",
                        page.len() as i64,
                    )
                    .with_detail(format!(
                        "limit {limit}, offset {offset}, partners {}",
                        visible.join(",")
                    )),
            )?;
            (page, total, json!({}))
        }
        Coll::Areas(_) | Coll::Hexes(_) => {
            let (window, filter) = score_query(&mut q, state, &a, datetime, &view)?;
            q.finish(&SCORE_ITEM_PARAMS)?;
            let (all, extra) = score_features(store, state, &a, &coll, window, filter, &view)?;
            let rect = bbox.map(|b| {
                geo::Rect::new(
                    geo::coord! { x: b.min_lon, y: b.min_lat },
                    geo::coord! { x: b.max_lon, y: b.max_lat },
                )
            });
            let kept: Vec<Value> = all
                .into_iter()
                .filter(|(g, _)| rect.is_none_or(|r| g.intersects(&r)))
                .map(|(_, f)| f)
                .collect();
            let total = kept.len() as u64;
            (
                kept.into_iter().skip(offset).take(limit).collect(),
                total,
                extra,
            )
        }
    };
    let returned = features.len();
    let cid = coll.id();
    let items_url = format!("{base}/collections/{}/items", request::encode(&cid));
    let f = match format {
        Format::Json => "json",
        Format::Html => "html",
    };
    let (this_type, other_type, other_f) = match format {
        Format::Json => (GEOJSON, HTML, "html"),
        Format::Html => (HTML, GEOJSON, "json"),
    };
    let mut links = vec![
        link(
            &page_url(&items_url, &pairs, limit, offset, f),
            "self",
            this_type,
            "This page",
        ),
        link(
            &page_url(&items_url, &pairs, limit, offset, other_f),
            "alternate",
            other_type,
            "This page",
        ),
        link(
            &with_f(
                &format!("{base}/collections/{}", request::encode(&cid)),
                "json",
            ),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    if (offset as u64).saturating_add(returned as u64) < matched {
        links.push(link(
            &page_url(&items_url, &pairs, limit, offset + limit, f),
            "next",
            this_type,
            "Next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            &page_url(&items_url, &pairs, limit, offset.saturating_sub(limit), f),
            "prev",
            this_type,
            "Previous page",
        ));
    }
    let doc = json!({
        "type": "FeatureCollection",
        "collection": cid,
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "links": links,
        "features": features,
    });
    Ok(with(doc, extra))
}

async fn item(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let req = prepare(&state, &headers, q)?;
    let format = req.format;
    let doc = state
        .blocking(move |store, state| item_doc(store, state, &access, &id, &fid, req))
        .await?;
    let title = format!(
        "{}: {}",
        doc["collection"].as_str().unwrap_or("collection"),
        match &doc["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    );
    Ok(respond(format, &title, &doc, GEOJSON, None))
}

fn item_doc(
    store: &Store,
    state: &AppState,
    access: &Access,
    id: &str,
    fid: &str,
    req: Req,
) -> Result<Value, ApiError> {
    let view = access.view(state.auth().settings());
    let Req {
        base,
        format,
        mut q,
        ..
    } = req;
    let a = state.analysis().analyzer(store)?;
    let coll = Coll::find(&a, id)?;
    let cid = coll.id();
    let missing =
        |hint: &str| ApiError::NotFound(format!("collection {cid} has no feature {fid:?}{hint}"));
    let feature = match &coll {
        Coll::Incidents => {
            q.finish(&["f"])?;
            let visible = authorize_incidents(store, access)?;
            let (partner, ext) = fid
                .split_once(':')
                .ok_or_else(|| missing("; incident ids are partner:id, e.g. polisen:123"))?;
            // An incident of a partner the caller may not see is answered like an absent one.
            let found = if visible.iter().any(|p| p == partner) {
                store.incident(partner, ext)?
            } else {
                None
            };
            crate::access::audit::append(
                store,
                &access.audit(
                    "incidents.read",
                    &format!("GET /ogc/collections/incidents/items/{fid}"),
                    i64::from(found.is_some()),
                ),
            )?;
            found
                .map(|i| incident_feature(&i))
                .ok_or_else(|| missing(""))?
        }
        Coll::Areas(_) | Coll::Hexes(_) => {
            let datetime = q
                .take("datetime")
                .map(|s| request::parse_datetime(&s))
                .transpose()?;
            let (window, filter) = score_query(&mut q, state, &a, datetime, &view)?;
            q.finish(&SCORE_ITEM_ONE_PARAMS)?;
            let (all, _) = score_features(store, state, &a, &coll, window, filter, &view)?;
            all.into_iter()
                .map(|(_, f)| f)
                .find(|f| f["id"].as_str() == Some(fid))
                .ok_or_else(|| missing(""))?
        }
    };
    let url = format!(
        "{base}/collections/{}/items/{}",
        request::encode(&cid),
        request::encode(fid)
    );
    let mut links = self_links(&url, GEOJSON, format);
    links.push(link(
        &with_f(
            &format!("{base}/collections/{}", request::encode(&cid)),
            "json",
        ),
        "collection",
        JSON,
        "The collection",
    ));
    Ok(with(feature, json!({ "collection": cid, "links": links })))
}
