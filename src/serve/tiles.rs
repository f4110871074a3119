//! Tile endpoints: `GET /tiles/{layer}/{z}/{x}/{y}.mvt|.geojson` and TileJSON at
//! `GET /tiles/{layer}.json`, for the layers `areas`, `hexes` and `kde`.
//!
//! Handlers parse the path and query (the same window and filter parameters as `/api`),
//! then [`crate::tiles::TileService`] does the rest on the blocking pool. Tiles carry a weak
//! `ETag` (data version + view + layer + tile + format + canonical query) and
//! `Cache-Control: private, max-age=60` with `Vary: Authorization, Cookie` (viewers and the
//! public get suppressed tiles, analysts full ones); a matching `If-None-Match` gets 304
//! without any work. The KDE layer, drawn from the points themselves, is for analysts only. An empty MVT tile is `204 No Content`; an empty GeoJSON tile is a
//! FeatureCollection with no features.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use geo::BoundingRect;

use super::auth::{Access, Routes, View};
use super::params::{
    AREA_PARAMS, HEX_PARAMS, QueryMap, area_query, check_layer, default_layer, hex_query,
};
use super::{ApiError, AppState};
use crate::analysis::filter::IncidentFilter;
use crate::analysis::hotspots::{Analyzer, AreaQuery, HexQuery};
use crate::analysis::kde::KdeOptions;
use crate::analysis::window::TimeWindow;
use crate::store::Store;
use crate::tiles::layer::{area_layer, hex_layer, kde_block, kde_layer};
use crate::tiles::{
    Format, LayerKind, PreparedLayer, TileError, TileId, etag, etag_matches, layer_key,
    resolution_for_zoom, tile_key, tilejson,
};

/// `Cache-Control` of tiles and TileJSON: a minute, so a new ingest shows within one;
/// private, because the answer depends on who asks.
pub const CACHE_CONTROL: &str = "private, max-age=60";

type Params = Query<Vec<(String, String)>>;
type QueryResult = Result<Params, axum::extract::rejection::QueryRejection>;

/// The tile routes.
pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/tiles/{name}", tilejson_handler)
        .get("/tiles/{layer}/{z}/{x}/{file}", tile_handler)
}

impl From<TileError> for ApiError {
    fn from(e: TileError) -> Self {
        match e {
            TileError::UnknownLayer(_) | TileError::UnknownFormat(_) => {
                ApiError::NotFound(e.to_string())
            }
            TileError::Encode(_) => ApiError::Internal(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

/// A layer's analysis query, parsed and defaulted. Its `Debug` form is the canonical query.
#[derive(Debug)]
enum LayerQuery {
    Areas(AreaQuery),
    Hexes(HexQuery),
    Kde {
        window: TimeWindow,
        filter: IncidentFilter,
        options: KdeOptions,
        /// Cells per side merged into one polygon at this zoom.
        block: usize,
    },
}

const KDE_PARAMS: [&str; 8] = [
    "window",
    "from",
    "to",
    "category",
    "group",
    "partner",
    "bandwidth",
    "cell",
];

fn known(kind: LayerKind) -> &'static [&'static str] {
    match kind {
        LayerKind::Areas => &AREA_PARAMS,
        LayerKind::Hexes => &HEX_PARAMS,
        LayerKind::Kde => &KDE_PARAMS,
    }
}

/// Parses the query for `kind`; `zoom` picks the hex resolution when `res=` is absent.
fn layer_query(
    kind: LayerKind,
    q: &mut QueryMap,
    state: &AppState,
    store: &Store,
    zoom: u8,
    view: &View,
) -> Result<LayerQuery, ApiError> {
    let config = state.config();
    let tz = config.timezone;
    let lq = match kind {
        LayerKind::Areas => {
            let layers = store.layers()?;
            let layer = match q.take("layer") {
                Some(l) => l,
                None => default_layer(&layers)?,
            };
            check_layer(&layers, &layer)?;
            let mut aq = area_query(q, state, layer)?;
            aq.window = view.window(aq.window, tz);
            LayerQuery::Areas(aq)
        }
        LayerKind::Hexes => {
            let mut hq = hex_query(q, state)?;
            if hq.resolution.is_none() {
                hq.resolution = Some(resolution_for_zoom(zoom, &config.h3_resolutions));
            }
            view.limit_hex_query(&mut hq, config);
            hq.window = view.window(hq.window, tz);
            LayerQuery::Hexes(hq)
        }
        LayerKind::Kde if view.suppression().is_some() => {
            return Err(ApiError::Forbidden(
                "the kde layer is drawn from the incident points; it is for analysts only. Use the hexes or areas layer".into(),
            ));
        }
        LayerKind::Kde => {
            let wf = q.window_filter();
            let window = wf.window(config, Utc::now())?;
            let filter = wf.filter(config)?;
            let mut options = KdeOptions {
                bandwidth_m: q.parse("bandwidth", "a bandwidth in metres 10..=10000", |s| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|m| (10.0..=10_000.0).contains(m))
                })?,
                ..KdeOptions::default()
            };
            if let Some(c) = q.parse("cell", "a cell size in metres 10..=1000", |s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|m| (10.0..=1000.0).contains(m))
            })? {
                options.cell_m = c;
            }
            let analyzer = state.analysis().analyzer(store)?;
            let lat = study_bounds(&analyzer).map_or(0.0, |b| (b[1] + b[3]) / 2.0);
            LayerQuery::Kde {
                window,
                filter,
                options,
                block: kde_block(zoom, options.cell_m, lat),
            }
        }
    };
    Ok(lq)
}

/// Builds (or finds) the prepared layer for a query.
fn prepared(
    state: &AppState,
    store: &Store,
    version: i64,
    kind: LayerKind,
    lq: &LayerQuery,
    view: &View,
) -> Result<std::sync::Arc<PreparedLayer>, ApiError> {
    let key = layer_key(version, kind, &format!("{}|{lq:?}", view.key()));
    state
        .tiles()
        .layer(&key, || -> Result<PreparedLayer, ApiError> {
            let layer = match lq {
                LayerQuery::Hexes(hq) => hex_layer(&*state.analysis().hexes(store, hq)?),
                LayerQuery::Areas(aq) => {
                    let result = state.analysis().areas(store, aq)?;
                    let analyzer = state.analysis().analyzer(store)?;
                    let outlines: HashMap<&str, &geo::MultiPolygon<f64>> = analyzer
                        .table()
                        .layer(&aq.layer)
                        .map(|(_, l)| {
                            l.areas
                                .iter()
                                .map(|a| (a.id.as_str(), &a.geometry))
                                .collect()
                        })
                        .unwrap_or_default();
                    area_layer(&result, &outlines)
                }
                LayerQuery::Kde {
                    window,
                    filter,
                    options,
                    block,
                } => {
                    let analyzer = state.analysis().analyzer(store)?;
                    let (_, grid) = analyzer.kde(window, filter, options)?;
                    kde_layer(&grid, *block)
                }
            };
            if view.suppression().is_none() {
                return Ok(layer);
            }
            let baseline = match lq {
                LayerQuery::Areas(aq) => aq.baseline_windows,
                LayerQuery::Hexes(hq) => hq.baseline_windows,
                LayerQuery::Kde { .. } => 1,
            };
            let kind = layer.kind;
            let mut features = layer.into_features();
            let mut maps: Vec<_> = features.iter_mut().map(|f| &mut f.properties).collect();
            view.maps(&mut maps, baseline);
            Ok(PreparedLayer::new(kind, features))
        })
}

/// The study area's `[west, south, east, north]`.
fn study_bounds(analyzer: &Analyzer) -> Option<[f64; 4]> {
    let (_, layer) = analyzer.table().layer(analyzer.study_layer()?)?;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for r in layer
        .areas
        .iter()
        .filter_map(|a| a.geometry.bounding_rect())
    {
        b = [
            b[0].min(r.min().x),
            b[1].min(r.min().y),
            b[2].max(r.max().x),
            b[3].max(r.max().y),
        ];
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}

fn query(q: QueryResult) -> Result<QueryMap, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::BadRequest(format!("malformed query string: {}", e.body_text())))?;
    Ok(QueryMap::new(pairs))
}

enum Answer {
    NotModified(String),
    Tile(String, std::sync::Arc<crate::tiles::EncodedTile>),
}

async fn tile_handler(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    q: QueryResult,
) -> Result<Response, ApiError> {
    // The fast path: a tile already served for this exact request, view and data version.
    let view = access.view(state.auth().settings());
    let response_key =
        match super::response_key_or_hit(&state, &uri, &headers, Some(CACHE_CONTROL), &view)? {
            Ok(key) => key,
            Err(hit) => return Ok(hit),
        };
    let kind = LayerKind::parse(&layer)?;
    let (y, ext) = file
        .rsplit_once('.')
        .ok_or_else(|| TileError::UnknownFormat(String::new()))?;
    let format = Format::parse(ext)?;
    let tile = TileId::parse(&z, &x, y, kind.max_zoom())?;
    let mut q = query(q)?;
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = state
        .blocking(move |store, state| {
            let lq = layer_query(kind, &mut q, state, store, tile.z, &view)?;
            q.finish(known(kind))?;
            let version = store.data_version()?;
            let key = tile_key(
                version,
                kind,
                tile,
                format,
                &format!("{}|{lq:?}", view.key()),
            );
            let tag = etag(&key);
            if if_none_match.is_some_and(|inm| etag_matches(&inm, &tag)) {
                return Ok(Answer::NotModified(tag));
            }
            let encoded = state.tiles().tile(&key, tile, format, || {
                prepared(state, store, version, kind, &lq, &view)
            })?;
            Ok(Answer::Tile(tag, encoded))
        })
        .await?;
    let headers = |tag: &str| {
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
        h.insert(header::VARY, HeaderValue::from_static(super::VARY));
        if let Ok(v) = HeaderValue::from_str(tag) {
            h.insert(header::ETAG, v);
        }
        h
    };
    Ok(match answer {
        Answer::NotModified(tag) => (StatusCode::NOT_MODIFIED, headers(&tag)).into_response(),
        Answer::Tile(tag, t) if t.features == 0 && format == Format::Mvt => {
            state.keep_response(
                response_key,
                super::CachedResponse {
                    etag: Some(tag.clone()),
                    content_type: format.content_type(),
                    body: None,
                },
            );
            (StatusCode::NO_CONTENT, headers(&tag)).into_response()
        }
        Answer::Tile(tag, t) => {
            state.keep_response(
                response_key,
                super::CachedResponse {
                    etag: Some(tag.clone()),
                    content_type: format.content_type(),
                    body: Some(axum::body::Bytes::from(t.bytes.clone())),
                },
            );
            let mut h = headers(&tag);
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            (StatusCode::OK, h, t.bytes.clone()).into_response()
        }
    })
}

async fn tilejson_handler(
    State(state): State<AppState>,
    Extension(access): Extension<Access>,
    Path(name): Path<String>,
    headers: HeaderMap,
    q: QueryResult,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let layer = name.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(format!(
            "no such tile endpoint /tiles/{name}; TileJSON is at /tiles/LAYER.json, tiles at /tiles/LAYER/Z/X/Y.mvt"
        ))
    })?;
    let kind = LayerKind::parse(layer)?;
    let base = match state.base_url() {
        Some(b) => b.to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    let raw_query = uri.query().map(str::to_owned);
    let mut q = query(q)?;
    let view = access.view(state.auth().settings());
    let doc = state
        .blocking(move |store, state| {
            // Fields and bounds do not depend on the zoom; zoom 13 stands for all.
            let lq = layer_query(kind, &mut q, state, store, 13, &view)?;
            q.finish(known(kind))?;
            let version = store.data_version()?;
            let layer = prepared(state, store, version, kind, &lq, &view)?;
            let analyzer = state.analysis().analyzer(store)?;
            let bounds = study_bounds(&analyzer);
            let url = format!(
                "{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt{}",
                kind.name(),
                raw_query.map(|q| format!("?{q}")).unwrap_or_default()
            );
            let mut doc = tilejson(kind, &url, bounds, &layer.fields());
            doc["data_version"] = serde_json::json!(version);
            Ok(doc)
        })
        .await?;
    Ok((
        [
            (header::CACHE_CONTROL, CACHE_CONTROL),
            (header::VARY, super::VARY),
        ],
        axum::Json(doc),
    )
        .into_response())
}
