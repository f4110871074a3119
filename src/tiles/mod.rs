//! Map tiles of the analysis results: tile math, clipping and simplification, GeoJSON and
//! Mapbox Vector Tile encoding, TileJSON, and the caches. No HTTP here: `serve::tiles`
//! parses requests and calls [`TileService`].
//!
//! A tile request names a layer ([`LayerKind`]: `areas`, `hexes`, `kde`), a tile
//! ([`TileId`]), a format ([`Format`]) and the analysis query. The whole layer is computed
//! once per query and data version and kept as a [`PreparedLayer`] (polygons in Web
//! Mercator world coordinates plus an R-tree); each tile is then a box query, a cut
//! ([`geometry::cut`]: clip to the tile plus a 64/4096 buffer, Douglas–Peucker at one
//! pixel, snap, drop degenerate rings) and an encoding. Encoded tiles are kept in a
//! byte-bounded LRU ([`cache::SizedLru`], 64 MiB by default) keyed on data version, layer,
//! tile, format and the canonical query; the same key, hashed, is the tile's `ETag`
//! ([`etag`]).

pub mod cache;
pub mod encode;
pub mod geometry;
pub mod layer;
pub mod tile;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

pub use cache::SizedLru;
pub use encode::{EncodedTile, Format, encode};
pub use layer::{LayerKind, PreparedLayer, ZOOM_RESOLUTIONS, resolution_for_zoom};
pub use tile::{MAX_ZOOM, TileId};

/// The default budget of the encoded-tile cache: 64 MiB.
pub const TILE_CACHE_BYTES: usize = 64 << 20;
/// The default budget of the prepared-layer cache: 256 MiB (a KDE layer of Botkyrka at
/// 50 m is about 25 MiB).
pub const LAYER_CACHE_BYTES: usize = 256 << 20;

/// A tile request cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// A path segment is not a whole number.
    #[error("tile {name}: {value:?} is not a whole number")]
    NotANumber {
        /// `z`, `x` or `y`.
        name: &'static str,
        /// What was given.
        value: String,
    },
    /// The zoom is outside what the layer serves.
    #[error("tile z: zoom {z} is out of range; this layer serves zoom 0..={max}")]
    Zoom {
        /// The zoom asked for.
        z: i64,
        /// The deepest zoom served.
        max: u8,
    },
    /// `x` or `y` is not below `2^z`.
    #[error("tile {name}: {value} is out of range; at zoom {z} it must be 0..{n}")]
    OutOfRange {
        /// `x` or `y`.
        name: &'static str,
        /// What was given.
        value: i64,
        /// The zoom.
        z: u8,
        /// `2^z`.
        n: u64,
    },
    /// No such layer.
    #[error("unknown tile layer {0:?}; the layers are areas, hexes and kde")]
    UnknownLayer(String),
    /// No such format.
    #[error(
        "unknown tile format {0:?}; use .mvt or .geojson for tiles and /tiles/LAYER.json for TileJSON"
    )]
    UnknownFormat(String),
    /// The MVT encoder failed.
    #[error("tile encoding failed: {0}")]
    Encode(String),
}

/// The tile caches, shared by all requests.
pub struct TileService {
    layers: SizedLru<PreparedLayer>,
    tiles: SizedLru<EncodedTile>,
    /// Held while a layer is prepared, so a map's first dozen tile requests compute the
    /// layer once rather than once each.
    building: Mutex<()>,
}

impl Default for TileService {
    fn default() -> Self {
        TileService::new(TILE_CACHE_BYTES, LAYER_CACHE_BYTES)
    }
}

impl TileService {
    /// Caches with these budgets, bytes.
    pub fn new(tile_bytes: usize, layer_bytes: usize) -> TileService {
        TileService {
            layers: SizedLru::new(layer_bytes),
            tiles: SizedLru::new(tile_bytes),
            building: Mutex::new(()),
        }
    }

    /// The caches' counters: `[("tiles", ..), ("tile_layers", ..)]`.
    pub fn cache_stats(&self) -> [(&'static str, cache::CacheStats); 2] {
        [
            ("tiles", self.tiles.stats()),
            ("tile_layers", self.layers.stats()),
        ]
    }

    /// The prepared layer for `key` (which must include the data version), built by
    /// `build` when not cached.
    pub fn layer<E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<PreparedLayer, E>,
    ) -> Result<Arc<PreparedLayer>, E> {
        if let Some(l) = self.layers.get(key) {
            return Ok(l);
        }
        let _guard = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(l) = self.layers.get(key) {
            return Ok(l);
        }
        let layer = Arc::new(build()?);
        self.layers
            .put(key.to_owned(), layer.clone(), layer.approx_bytes());
        Ok(layer)
    }

    /// The encoded tile for `key` (see [`tile_key`]), cut from `layer()` when not cached.
    pub fn tile<E: From<TileError>>(
        &self,
        key: &str,
        tile: TileId,
        format: Format,
        layer: impl FnOnce() -> Result<Arc<PreparedLayer>, E>,
    ) -> Result<Arc<EncodedTile>, E> {
        if let Some(t) = self.tiles.get(key) {
            return Ok(t);
        }
        let encoded = Arc::new(encode(&*layer()?, tile, format)?);
        self.tiles
            .put(key.to_owned(), encoded.clone(), encoded.bytes.len());
        Ok(encoded)
    }

    /// Bytes held by the tile cache.
    pub fn tile_cache_bytes(&self) -> usize {
        self.tiles.bytes()
    }
}

/// The cache key of a prepared layer: data version, layer and canonical query.
pub fn layer_key(data_version: i64, kind: LayerKind, canonical_query: &str) -> String {
    format!("{data_version}|{}|{canonical_query}", kind.name())
}

/// The cache key of a tile: the layer key plus tile and format.
pub fn tile_key(
    data_version: i64,
    kind: LayerKind,
    tile: TileId,
    format: Format,
    canonical_query: &str,
) -> String {
    format!(
        "{}|{tile}|{format:?}",
        layer_key(data_version, kind, canonical_query)
    )
}

/// A weak `ETag` for a tile key: FNV-1a (64-bit) of the key and the software version, so a
/// new release does not answer 304 for tiles it would draw differently. Weak, because the
/// compression layer may re-encode the body.
pub fn etag(key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in concat!("lagesbild ", env!("CARGO_PKG_VERSION"), "|")
        .bytes()
        .chain(key.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("W/\"{h:016x}\"")
}

/// Whether an `If-None-Match` header value matches `etag` (weak comparison; `*` matches).
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// A TileJSON 3.0.0 document for `layer`. `tiles_url` is the template with `{z}/{x}/{y}`;
/// `bounds` is `[west, south, east, north]` of the study area.
pub fn tilejson(
    kind: LayerKind,
    tiles_url: &str,
    bounds: Option<[f64; 4]>,
    fields: &BTreeMap<String, &'static str>,
) -> Value {
    let bounds = bounds.unwrap_or([-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59]);
    let center = [
        (bounds[0] + bounds[2]) / 2.0,
        (bounds[1] + bounds[3]) / 2.0,
        12.0_f64.clamp(f64::from(kind.min_zoom()), f64::from(kind.max_zoom())),
    ];
    json!({
        "tilejson": "3.0.0",
        "name": format!("lagesbild {}", kind.name()),
        "description": kind.description(),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": "lagesbild; the Botkyrka demo incidents are synthetic",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": kind.min_zoom(),
        "maxzoom": kind.max_zoom(),
        "bounds": bounds,
        "center": center,
        "vector_layers": [{
            "id": kind.name(),
            "description": kind.description(),
            "minzoom": kind.min_zoom(),
            "maxzoom": kind.max_zoom(),
            "fields": fields,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn etags_differ_by_key_and_match_weakly() {
        let a = etag("1|hexes|13/1/2|Mvt|q");
        assert_ne!(a, etag("1|hexes|13/1/3|Mvt|q"));
        assert_ne!(a, etag("2|hexes|13/1/2|Mvt|q"));
        assert!(etag_matches(&a, &a));
        assert!(etag_matches(
            &format!("\"x\", {}", a.trim_start_matches("W/")),
            &a
        ));
        assert!(etag_matches("*", &a));
        assert!(!etag_matches("\"x\"", &a));
    }

    /// A layer of `n` by `n` small squares covering the world.
    fn grid_layer(n: usize) -> PreparedLayer {
        let mut features = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let (x, y, d) = (i as f64 / n as f64, j as f64 / n as f64, 0.5 / n as f64);
                let square = polygon![
                    (x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)
                ];
                let mut properties = serde_json::Map::new();
                properties.insert("n".into(), json!(i * n + j));
                features.push(layer::Feature {
                    id: format!("{i},{j}"),
                    mvt_id: (i * n + j) as u64,
                    geometry: geo::MultiPolygon(vec![square]),
                    properties,
                });
            }
        }
        PreparedLayer::new(LayerKind::Kde, features)
    }

    #[test]
    fn the_tile_cache_stays_within_its_byte_budget() {
        let budget = 20_000;
        let service = TileService::new(budget, LAYER_CACHE_BYTES);
        let layer = service
            .layer::<TileError>("k", || Ok(grid_layer(64)))
            .unwrap();
        let mut total = 0;
        for x in 0..16u32 {
            for y in 0..16u32 {
                let tile = TileId { z: 4, x, y };
                let key = tile_key(1, LayerKind::Kde, tile, Format::GeoJson, "q");
                let t = service
                    .tile::<TileError>(&key, tile, Format::GeoJson, || Ok(layer.clone()))
                    .unwrap();
                assert!(t.features > 0);
                total += t.bytes.len();
                assert!(service.tile_cache_bytes() <= budget);
            }
        }
        assert!(
            total > 5 * budget,
            "the test must overflow the budget ({total} bytes)"
        );
        assert!(service.tile_cache_bytes() > budget / 2);
    }

    #[test]
    fn mvt_tiles_have_one_layer_with_ids_and_no_null_attributes() {
        use geozero::mvt::{Message, Tile};
        let mut layer = grid_layer(4);
        let layer = {
            let mut f = layer.features().to_vec();
            f[0].properties.insert("missing".into(), Value::Null);
            layer = PreparedLayer::new(LayerKind::Hexes, f);
            layer
        };
        let t = encode(&layer, TileId { z: 0, x: 0, y: 0 }, Format::Mvt).unwrap();
        assert_eq!(t.features, 16);
        let decoded = Tile::decode(t.bytes.as_slice()).unwrap();
        assert_eq!(decoded.layers.len(), 1);
        let l = &decoded.layers[0];
        assert_eq!(
            (l.name.as_str(), l.extent, l.version),
            ("hexes", Some(4096), 2)
        );
        assert_eq!(l.features.len(), 16);
        assert_eq!(l.features[0].id, Some(0));
        assert_eq!(l.keys, vec!["n".to_owned()]);
    }
}
