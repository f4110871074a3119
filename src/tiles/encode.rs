//! Encoding a cut tile: GeoJSON (lon/lat, RFC 7946 orientation, 7 decimals) or Mapbox
//! Vector Tile 2.1 (tile coordinates, extent 4096) through `geozero`'s MVT writer.
//!
//! Both formats carry the same features and attributes; MVT leaves out null attributes
//! (MVT has no null), GeoJSON keeps them as `null` like the API. An empty tile is an MVT
//! of zero bytes (served as 204) or a FeatureCollection without features.

use geo::orient::{Direction, Orient};
use geo::{Coord, MapCoords, MultiPolygon};
use geozero::ToMvt;
use geozero::mvt::{Message, TagsBuilder, Tile, TileValue, tile};
use serde_json::{Value, json};

use super::TileError;
use super::geometry::{CutOptions, EXTENT, cut};
use super::layer::PreparedLayer;
use super::tile::{TileId, world_to_lonlat};

/// A tile format, from the URL's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Mapbox Vector Tile, `.mvt`.
    Mvt,
    /// GeoJSON FeatureCollection, `.geojson`.
    GeoJson,
}

impl Format {
    /// From the extension (without the dot).
    pub fn parse(ext: &str) -> Result<Format, TileError> {
        match ext {
            "mvt" | "pbf" => Ok(Format::Mvt),
            "geojson" | "json" => Ok(Format::GeoJson),
            other => Err(TileError::UnknownFormat(other.to_owned())),
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Mvt => "application/vnd.mapbox-vector-tile",
            Format::GeoJson => "application/geo+json",
        }
    }
}

/// An encoded tile.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedTile {
    /// The body.
    pub bytes: Vec<u8>,
    /// Features in it (0 = an empty tile).
    pub features: usize,
}

/// Cuts `tile` out of `layer` and encodes it.
pub fn encode(
    layer: &PreparedLayer,
    tile: TileId,
    format: Format,
) -> Result<EncodedTile, TileError> {
    let opts = CutOptions::new(format == Format::Mvt);
    let cut: Vec<_> = layer
        .candidates(tile, opts.buffer, opts.extent)
        .into_iter()
        .filter_map(|f| Some((f, cut(&f.geometry, tile, &opts)?)))
        .collect();
    match format {
        Format::GeoJson => {
            let features: Vec<Value> = cut
                .iter()
                .map(|(f, g)| {
                    json!({
                        "type": "Feature",
                        "id": f.id,
                        "geometry": geojson_geometry(&to_lonlat(g, tile)),
                        "properties": f.properties,
                    })
                })
                .collect();
            let bytes = json!({ "type": "FeatureCollection", "features": features })
                .to_string()
                .into_bytes();
            Ok(EncodedTile {
                bytes,
                features: cut.len(),
            })
        }
        Format::Mvt => {
            if cut.is_empty() {
                return Ok(EncodedTile {
                    bytes: Vec::new(),
                    features: 0,
                });
            }
            let mut tags = TagsBuilder::new();
            let mut features = Vec::with_capacity(cut.len());
            for (f, g) in &cut {
                let mut feature: tile::Feature = geo::Geometry::MultiPolygon(g.clone())
                    .to_mvt_unscaled()
                    .map_err(|e| TileError::Encode(e.to_string()))?;
                feature.id = Some(f.mvt_id);
                for (k, v) in &f.properties {
                    if let Some(v) = tile_value(v) {
                        let (ki, vi) = tags.insert_ref(k, v);
                        feature.tags.extend([ki, vi]);
                    }
                }
                features.push(feature);
            }
            let (keys, values) = tags.into_tags();
            let mvt = Tile {
                layers: vec![tile::Layer {
                    version: 2,
                    name: layer.kind.name().to_owned(),
                    features,
                    keys,
                    values: values.into_iter().map(Into::into).collect(),
                    extent: Some(EXTENT as u32),
                }],
            };
            Ok(EncodedTile {
                bytes: mvt.encode_to_vec(),
                features: cut.len(),
            })
        }
    }
}

/// An attribute as an MVT value; `None` for null.
fn tile_value(v: &Value) -> Option<TileValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => TileValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => TileValue::Int(i),
            None => TileValue::Double(n.as_f64()?),
        },
        Value::String(s) => TileValue::Str(s.clone()),
        other => TileValue::Str(other.to_string()),
    })
}

/// Tile coordinates back to lon/lat, exterior rings counter-clockwise (RFC 7946).
fn to_lonlat(g: &MultiPolygon<f64>, tile: TileId) -> MultiPolygon<f64> {
    g.map_coords(|c| {
        let (wx, wy) = tile.to_world(c.x, c.y, EXTENT);
        let (x, y) = world_to_lonlat(wx, wy);
        Coord { x, y }
    })
    .orient(Direction::Default)
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn geojson_geometry(mp: &MultiPolygon<f64>) -> Value {
    let ring = |ls: &geo::LineString<f64>| -> Value {
        ls.0.iter()
            .map(|c| json!([round7(c.x), round7(c.y)]))
            .collect()
    };
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior())];
                rings.extend(p.interiors().iter().map(ring));
                Value::Array(rings)
            })
            .collect();
    match polys.as_slice() {
        [one] => json!({ "type": "Polygon", "coordinates": one }),
        _ => json!({ "type": "MultiPolygon", "coordinates": polys }),
    }
}
