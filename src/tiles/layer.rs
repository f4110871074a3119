//! The three tile layers and their prepared form: a whole-layer result (hex hotspots, area
//! hotspots or the KDE surface) turned once into polygons in world coordinates with their
//! attributes and an R-tree, so each tile is a bounding-box query plus a cut.
//!
//! Attributes are exactly the properties `/api/hexes` and `/api/areas` give (counts, harm,
//! changes, Gi*, emerging class and its labels, rates); the KDE layer's cells carry
//! `density` (expected incidents per km²). Choosing the H3 resolution for a zoom is here
//! too ([`resolution_for_zoom`]).

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Coord, LineString, MapCoords, MultiPolygon, Polygon};
use h3o::{CellIndex, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde_json::{Map, Value, json};

use super::TileError;
use super::tile::{MAX_ZOOM, TileId, lonlat_to_world};
use crate::analysis::hotspots::{AreaHotspots, HexHotspots};
use crate::analysis::kde::KdeGrid;

/// A tile layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// Areas of an area layer (`?layer=`, default `districts`) with their hotspot statistics.
    Areas,
    /// H3 cells of the study area with Gi* and emerging classes.
    Hexes,
    /// The quartic KDE surface, one square polygon per non-zero grid cell.
    Kde,
}

impl LayerKind {
    /// Every layer, in the order listed to users.
    pub const ALL: [LayerKind; 3] = [LayerKind::Areas, LayerKind::Hexes, LayerKind::Kde];

    /// From the URL's layer segment.
    pub fn parse(s: &str) -> Result<LayerKind, TileError> {
        LayerKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| TileError::UnknownLayer(s.to_owned()))
    }

    /// The URL segment and the MVT layer name.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Areas => "areas",
            LayerKind::Hexes => "hexes",
            LayerKind::Kde => "kde",
        }
    }

    /// The lowest zoom advertised in TileJSON (lower zooms are served, but say little).
    pub fn min_zoom(self) -> u8 {
        match self {
            LayerKind::Areas | LayerKind::Hexes => 0,
            // 50 m cells are under a pixel below zoom 10.
            LayerKind::Kde => 10,
        }
    }

    /// The deepest zoom served; deeper requests are refused (clients overzoom instead).
    pub fn max_zoom(self) -> u8 {
        match self {
            LayerKind::Areas | LayerKind::Hexes | LayerKind::Kde => 18.min(MAX_ZOOM),
        }
    }

    /// What the layer is, for TileJSON.
    pub fn description(self) -> &'static str {
        match self {
            LayerKind::Areas => "Areas of an area layer with counts, rates, harm, changes and Gi*",
            LayerKind::Hexes => {
                "H3 cells of the study area with counts, harm, changes, Gi* and emerging-hotspot classes"
            }
            LayerKind::Kde => "Quartic kernel density: one polygon per grid cell, density per km²",
        }
    }
}

/// The zoom → H3 resolution table for the hex layer (before clamping to the stored
/// resolutions): cells of roughly 20–60 pixels on a 512-pixel tile at Swedish latitudes.
///
/// | zoom | resolution | cell edge |
/// | --- | --- | --- |
/// | ≤ 10 | 7 | 1.2 km |
/// | 11–12 | 8 | 460 m |
/// | 13–14 | 9 | 170 m |
/// | ≥ 15 | 10 | 66 m |
pub const ZOOM_RESOLUTIONS: [(u8, u8); 4] = [(0, 7), (11, 8), (13, 9), (15, 10)];

/// The H3 resolution for `zoom` from [`ZOOM_RESOLUTIONS`], clamped to `stored` (the
/// resolutions incidents are indexed at; the lowest and highest are used as bounds).
pub fn resolution_for_zoom(zoom: u8, stored: &[Resolution]) -> Resolution {
    let r = ZOOM_RESOLUTIONS
        .iter()
        .rev()
        .find(|(z, _)| zoom >= *z)
        .map_or(7, |(_, r)| *r);
    let lo = stored.iter().map(|r| u8::from(*r)).min().unwrap_or(7);
    let hi = stored.iter().map(|r| u8::from(*r)).max().unwrap_or(10);
    Resolution::try_from(r.clamp(lo, hi)).unwrap_or(Resolution::Nine)
}

/// One feature of a prepared layer.
#[derive(Debug, Clone)]
pub struct Feature {
    /// The GeoJSON id (H3 index, area id, KDE cell `col,row`).
    pub id: String,
    /// The MVT id (H3 index as a number, or the position in the layer).
    pub mvt_id: u64,
    /// The outline in world coordinates.
    pub geometry: MultiPolygon<f64>,
    /// The attributes; nulls are kept here and left out of MVT.
    pub properties: Map<String, Value>,
}

/// A layer ready to be cut into tiles.
#[derive(Debug)]
pub struct PreparedLayer {
    /// Which layer.
    pub kind: LayerKind,
    features: Vec<Feature>,
    index: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    bytes: usize,
}

impl PreparedLayer {
    /// A layer from features; builds the R-tree.
    pub fn new(kind: LayerKind, features: Vec<Feature>) -> PreparedLayer {
        let boxes = features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let r = f.geometry.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        let bytes = features
            .iter()
            .map(|f| {
                let coords: usize = f
                    .geometry
                    .0
                    .iter()
                    .map(|p| {
                        p.exterior().0.len()
                            + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()
                    })
                    .sum();
                coords * 16 + f.properties.len() * 48 + f.id.len() + 96
            })
            .sum();
        PreparedLayer {
            kind,
            features,
            index: RTree::bulk_load(boxes),
            bytes,
        }
    }

    /// The features.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Roughly how much memory the layer holds, bytes.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// The features whose bounding boxes meet `tile` grown by `buffer` of `extent` units,
    /// in layer order (so tiles are deterministic).
    pub fn candidates(&self, tile: TileId, buffer: f64, extent: f64) -> Vec<&Feature> {
        let (x0, y0, x1, y1) = tile.world_bounds(buffer, extent);
        let mut hits: Vec<usize> = self
            .index
            .locate_in_envelope_intersecting(&AABB::from_corners([x0, y0], [x1, y1]))
            .map(|g| g.data)
            .collect();
        hits.sort_unstable();
        hits.into_iter().map(|i| &self.features[i]).collect()
    }

    /// The attribute names with their TileJSON types (`Number`, `String`, `Boolean`), over
    /// all features.
    pub fn fields(&self) -> BTreeMap<String, &'static str> {
        let mut fields = BTreeMap::new();
        for f in &self.features {
            for (k, v) in &f.properties {
                let t = match v {
                    Value::Number(_) => "Number",
                    Value::Bool(_) => "Boolean",
                    Value::Null => continue,
                    _ => "String",
                };
                fields.entry(k.clone()).or_insert(t);
            }
        }
        fields
    }
}

fn to_world(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    mp.map_coords(|c| {
        let (x, y) = lonlat_to_world(c.x, c.y);
        Coord { x, y }
    })
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The hex layer from a hex hotspot result: the same properties as `/api/hexes`.
pub fn hex_layer(result: &HexHotspots) -> PreparedLayer {
    let features = result
        .cells
        .iter()
        .filter_map(|c| {
            let cell: CellIndex = c.cell.parse().ok()?;
            let mut ring: Vec<Coord<f64>> = cell
                .boundary()
                .iter()
                .map(|ll| Coord {
                    x: ll.lng(),
                    y: ll.lat(),
                })
                .collect();
            ring.push(*ring.first()?);
            let outline = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
            let mut properties = object(serde_json::to_value(c).unwrap_or_default());
            if let Some(e) = c.emerging {
                properties.insert("emerging_en".into(), json!(e.label_en()));
                properties.insert("emerging_sv".into(), json!(e.label_sv()));
            }
            Some(Feature {
                id: c.cell.clone(),
                mvt_id: u64::from(cell),
                geometry: to_world(&outline),
                properties,
            })
        })
        .collect();
    PreparedLayer::new(LayerKind::Hexes, features)
}

/// The area layer from an area hotspot result and the areas' outlines (lon/lat): the same
/// properties as `/api/areas`.
pub fn area_layer(
    result: &AreaHotspots,
    outlines: &HashMap<&str, &MultiPolygon<f64>>,
) -> PreparedLayer {
    let features = result
        .areas
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let outline = outlines.get(a.id.as_str())?;
            let mut properties = object(serde_json::to_value(a).unwrap_or_default());
            properties.insert("layer".into(), json!(result.layer));
            Some(Feature {
                id: a.id.clone(),
                mvt_id: i as u64,
                geometry: to_world(outline),
                properties,
            })
        })
        .collect();
    PreparedLayer::new(LayerKind::Areas, features)
}

/// The KDE layer: one square per grid cell with a density above zero.
pub fn kde_layer(grid: &KdeGrid) -> PreparedLayer {
    let mut features = Vec::new();
    for row in 0..grid.rows {
        for col in 0..grid.cols {
            let Some(density) = grid.value(col, row).filter(|d| *d > 0.0) else {
                continue;
            };
            let cell = MultiPolygon(vec![grid.cell_polygon(col, row)]);
            let mut properties = Map::new();
            properties.insert("density".into(), json!(density));
            features.push(Feature {
                id: format!("{col},{row}"),
                mvt_id: grid.index(col, row) as u64,
                geometry: to_world(&cell),
                properties,
            });
        }
    }
    PreparedLayer::new(LayerKind::Kde, features)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_picks_a_resolution_within_the_stored_ones() {
        let stored: Vec<Resolution> = [7u8, 8, 9, 10]
            .into_iter()
            .map(|r| Resolution::try_from(r).unwrap())
            .collect();
        let r = |z| u8::from(resolution_for_zoom(z, &stored));
        assert_eq!(
            [r(0), r(10), r(11), r(12), r(13), r(14), r(15), r(22)],
            [7, 7, 8, 8, 9, 9, 10, 10]
        );
        let few = [Resolution::Eight, Resolution::Nine];
        assert_eq!(resolution_for_zoom(3, &few), Resolution::Eight);
        assert_eq!(resolution_for_zoom(18, &few), Resolution::Nine);
    }

    #[test]
    fn layers_parse_by_name() {
        for k in LayerKind::ALL {
            assert_eq!(LayerKind::parse(k.name()).unwrap(), k);
        }
        assert!(
            LayerKind::parse("roads")
                .unwrap_err()
                .to_string()
                .contains("roads")
        );
    }
}
