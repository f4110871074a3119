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
    /// The quartic KDE surface, one polygon per non-zero grid cell (or block of cells at
    /// low zooms, see [`kde_block`]).
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
            // Below zoom 8 the surface of a municipality is a few merged blocks.
            LayerKind::Kde => 8,
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
            LayerKind::Kde => {
                "Quartic kernel density: one polygon per grid cell (merged into blocks below zoom 11), density per km²"
            }
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

    /// The features, giving up the index (to change properties and build the layer anew).
    pub fn into_features(self) -> Vec<Feature> {
        self.features
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

/// How many KDE cells per side to merge into one polygon at `zoom`, so a polygon is at
/// least two pixels of a 512-pixel tile (16 units): 1 at street zooms, 2, 4, 8, ... below.
/// `lat` is the latitude of the surface (Web Mercator's scale grows with it).
pub fn kde_block(zoom: u8, cell_m: f64, lat: f64) -> usize {
    const EARTH_CIRCUMFERENCE_M: f64 = 40_075_016.686;
    let units = cell_m * 4096.0 * f64::from(1u32 << zoom.min(MAX_ZOOM))
        / (EARTH_CIRCUMFERENCE_M * lat.to_radians().cos().max(0.01));
    let mut block = 1;
    while (block as f64) * units < 16.0 && block < 1 << 16 {
        block *= 2;
    }
    block
}

/// The KDE layer: one polygon per block of `block` × `block` grid cells (see
/// [`kde_block`]) with its mean density, for blocks whose density is above zero.
pub fn kde_layer(grid: &KdeGrid, block: usize) -> PreparedLayer {
    let block = block.max(1);
    let mut features = Vec::new();
    for r0 in (0..grid.rows).step_by(block) {
        for c0 in (0..grid.cols).step_by(block) {
            let (c1, r1) = ((c0 + block).min(grid.cols), (r0 + block).min(grid.rows));
            let mut sum = 0.0;
            for row in r0..r1 {
                for col in c0..c1 {
                    sum += grid.value(col, row).unwrap_or(0.0);
                }
            }
            let density = sum / ((c1 - c0) * (r1 - r0)) as f64;
            if density <= 0.0 {
                continue;
            }
            let sw = grid.cell_polygon(c0, r0).exterior().0[0];
            let ne = grid.cell_polygon(c1 - 1, r1 - 1).exterior().0[2];
            let outline = MultiPolygon(vec![geo::Rect::new(sw, ne).to_polygon()]);
            let mut properties = Map::new();
            properties.insert("density".into(), json!(density));
            features.push(Feature {
                id: format!("{c0},{r0}"),
                mvt_id: grid.index(c0, r0) as u64,
                geometry: to_world(&outline),
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
    fn kde_cells_merge_at_low_zooms() {
        // 50 m at 59° N: about 81 units at zoom 13, 10 at zoom 10.
        assert_eq!(kde_block(13, 50.0, 59.2), 1);
        assert_eq!(kde_block(11, 50.0, 59.2), 1);
        assert_eq!(kde_block(10, 50.0, 59.2), 2);
        assert_eq!(kde_block(8, 50.0, 59.2), 8);
        assert!(kde_block(0, 50.0, 59.2) >= 2048);
    }

    #[test]
    fn kde_blocks_keep_the_mean_density_and_cover_the_grid() {
        let points = [(
            crate::model::Wgs84 {
                lon: 17.85,
                lat: 59.24,
            },
            1.0,
        )];
        let sw = crate::model::Wgs84 {
            lon: 17.80,
            lat: 59.20,
        };
        let ne = crate::model::Wgs84 {
            lon: 17.90,
            lat: 59.28,
        };
        let grid =
            crate::analysis::kde::quartic_kde(&points, (sw, ne), &Default::default()).unwrap();
        let fine = kde_layer(&grid, 1);
        let coarse = kde_layer(&grid, 4);
        assert!(coarse.features().len() < fine.features().len());
        let mass = |l: &PreparedLayer| -> f64 {
            l.features()
                .iter()
                .map(|f| {
                    let d = f.properties["density"].as_f64().unwrap();
                    d * geo::Area::unsigned_area(&f.geometry)
                })
                .sum()
        };
        // The same mass (blocks are exact unions of cells; Web Mercator's scale changes
        // a little from row to row).
        let (a, b) = (mass(&fine), mass(&coarse));
        assert!((a - b).abs() / a < 1e-3, "{a} vs {b}");
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
