//! Cutting polygons into one tile: project to tile coordinates, clip to the tile plus a
//! buffer, simplify, snap to the integer grid (MVT only), drop what degenerates.
//!
//! Clipping uses `geo`'s boolean intersection with the buffered tile square, so concave
//! polygons and holes come out valid; polygons wholly inside the square skip it.
//! Simplification is Douglas–Peucker (Douglas & Peucker 1973, *Cartographica* 10(2)) with a
//! tolerance of one display pixel; a ring that simplification would collapse keeps its
//! unsimplified form, and a ring that still has no area after snapping is dropped (a
//! polygon whose exterior is dropped goes with it). Each output polygon is checked with
//! `geo`'s OGC validity rules: if the simplified, snapped polygon is invalid (a
//! self-intersection), the unsimplified one is used, and if that is invalid too the polygon
//! is dropped. Exterior rings come out with positive
//! signed area in tile coordinates (y down), which is what the MVT 2.1 specification
//! requires; GeoJSON output is turned back to RFC 7946 orientation by the encoder.

use geo::orient::{Direction, Orient};
use geo::{
    Area, BooleanOps, BoundingRect, Coord, LineString, MapCoords, MultiPolygon, Polygon, Rect,
    Simplify, Validation,
};

use super::tile::TileId;

/// How a tile is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutOptions {
    /// Tile units per side (MVT extent).
    pub extent: f64,
    /// Tile units kept beyond each edge, so strokes and labels join across tiles.
    pub buffer: f64,
    /// Douglas–Peucker tolerance, tile units.
    pub tolerance: f64,
    /// Round coordinates to whole tile units (MVT stores integers).
    pub snap: bool,
}

/// The MVT extent: 4096 units per tile side.
pub const EXTENT: f64 = 4096.0;
/// The buffer: 64 units (1/64 of the tile) on every side.
pub const BUFFER: f64 = 64.0;
/// Simplification tolerance: one pixel of a 512-pixel tile, 8 units.
pub const TOLERANCE: f64 = EXTENT / 512.0;

impl CutOptions {
    /// The defaults, snapping for MVT or not for GeoJSON.
    pub fn new(snap: bool) -> CutOptions {
        CutOptions {
            extent: EXTENT,
            buffer: BUFFER,
            tolerance: TOLERANCE,
            snap,
        }
    }
}

/// Cuts `world` (world coordinates, see [`super::tile`]) into `tile`'s coordinates.
/// `None` when nothing with area is left in the buffered tile.
pub fn cut(
    world: &MultiPolygon<f64>,
    tile: TileId,
    opts: &CutOptions,
) -> Option<MultiPolygon<f64>> {
    let local = world.map_coords(|c| {
        let (x, y) = tile.to_tile(c.x, c.y, opts.extent);
        Coord { x, y }
    });
    let lo = -opts.buffer;
    let hi = opts.extent + opts.buffer;
    let bbox = local.bounding_rect()?;
    if bbox.max().x <= lo || bbox.min().x >= hi || bbox.max().y <= lo || bbox.min().y >= hi {
        return None;
    }
    let inside =
        bbox.min().x >= lo && bbox.min().y >= lo && bbox.max().x <= hi && bbox.max().y <= hi;
    let clipped = if inside {
        local
    } else {
        let square = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
        local.intersection(&MultiPolygon(vec![square]))
    };
    let polygons: Vec<Polygon<f64>> = clipped
        .0
        .iter()
        .filter_map(|p| {
            // Simplified if that stays valid, else as clipped; dropped if neither is.
            clean_polygon(p, opts, lo, hi, true)
                .filter(Validation::is_valid)
                .or_else(|| clean_polygon(p, opts, lo, hi, false).filter(Validation::is_valid))
        })
        .collect();
    if polygons.is_empty() {
        return None;
    }
    Some(MultiPolygon(polygons).orient(Direction::Default))
}

/// Simplifies (when asked) and snaps every ring; `None` when the exterior has no area
/// left. Interior rings without area are left out.
fn clean_polygon(
    p: &Polygon<f64>,
    opts: &CutOptions,
    lo: f64,
    hi: f64,
    simplify: bool,
) -> Option<Polygon<f64>> {
    let ring = |r: &LineString<f64>| {
        if simplify {
            finish_ring(&r.simplify(opts.tolerance), opts, lo, hi)
                .or_else(|| finish_ring(r, opts, lo, hi))
        } else {
            finish_ring(r, opts, lo, hi)
        }
    };
    let exterior = ring(p.exterior())?;
    let interiors = p.interiors().iter().filter_map(ring).collect();
    Some(Polygon::new(exterior, interiors))
}

/// Snaps (when asked), clamps into the buffered square, removes repeated points, closes
/// the ring, and checks that it still encloses an area.
fn finish_ring(
    ring: &LineString<f64>,
    opts: &CutOptions,
    lo: f64,
    hi: f64,
) -> Option<LineString<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() + 1);
    for c in &ring.0 {
        let (mut x, mut y) = (c.x.clamp(lo, hi), c.y.clamp(lo, hi));
        if opts.snap {
            x = x.round();
            y = y.round();
        }
        let c = Coord { x, y };
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return None;
    }
    out.push(out[0]);
    let ls = LineString(out);
    let area = Polygon::new(ls.clone(), vec![]).unsigned_area();
    // Less than half a square unit is no area at this zoom.
    (area >= 0.5).then_some(ls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    fn world_square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + side, y: y0), (x: x0 + side, y: y0 + side),
            (x: x0, y: y0 + side), (x: x0, y: y0)
        ]])
    }

    #[test]
    fn a_polygon_inside_the_tile_is_kept_whole_and_oriented_for_mvt() {
        let tile = TileId { z: 0, x: 0, y: 0 };
        let cut = cut(&world_square(0.25, 0.25, 0.5), tile, &CutOptions::new(true)).unwrap();
        assert_eq!(cut.0.len(), 1);
        assert_eq!(cut.0[0].exterior().0.len(), 5);
        assert!(
            cut.0[0].signed_area() > 0.0,
            "positive area in tile coordinates"
        );
        assert_eq!(cut.unsigned_area(), 2048.0 * 2048.0);
    }

    #[test]
    fn a_polygon_across_the_edge_is_clipped_to_the_buffer() {
        let tile = TileId { z: 1, x: 0, y: 0 };
        let cut = cut(&world_square(0.25, 0.25, 0.5), tile, &CutOptions::new(true)).unwrap();
        let r = cut.bounding_rect().unwrap();
        assert_eq!((r.min().x, r.min().y), (2048.0, 2048.0));
        assert_eq!((r.max().x, r.max().y), (4096.0 + 64.0, 4096.0 + 64.0));
    }

    #[test]
    fn polygons_outside_or_smaller_than_a_unit_are_dropped() {
        let tile = TileId { z: 1, x: 1, y: 1 };
        assert!(cut(&world_square(0.1, 0.1, 0.1), tile, &CutOptions::new(true)).is_none());
        // 1e-6 of the world at zoom 1 is 0.008 units: nothing left after snapping.
        assert!(cut(&world_square(0.7, 0.7, 1e-6), tile, &CutOptions::new(true)).is_none());
    }

    #[test]
    fn dense_rings_are_simplified_to_about_a_pixel() {
        // A circle of 2,000 vertices, radius 819 units at zoom 0: 2.6 units apart.
        let ring: Vec<Coord<f64>> = (0..=2000)
            .map(|i| {
                let a = f64::from(i) / 2000.0 * std::f64::consts::TAU;
                Coord {
                    x: 0.5 + 0.2 * a.cos(),
                    y: 0.5 + 0.2 * a.sin(),
                }
            })
            .collect();
        let mp = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
        let tile = TileId { z: 0, x: 0, y: 0 };
        let cut = cut(&mp, tile, &CutOptions::new(true)).unwrap();
        let n = cut.0[0].exterior().0.len();
        assert!((20..200).contains(&n), "{n} vertices");
        // Within a pixel or so of the true area.
        let exact = std::f64::consts::PI * 819.2 * 819.2;
        assert!((cut.unsigned_area() - exact).abs() / exact < 0.02);
    }

    #[test]
    fn small_rings_survive_simplification() {
        // A 10-unit square: Douglas–Peucker at 8 units would collapse it.
        let tile = TileId { z: 0, x: 0, y: 0 };
        let side = 10.0 / 4096.0;
        let cut = cut(&world_square(0.5, 0.5, side), tile, &CutOptions::new(true)).unwrap();
        assert_eq!(cut.unsigned_area(), 100.0);
    }

    #[test]
    fn holes_are_kept_with_the_opposite_orientation() {
        let tile = TileId { z: 0, x: 0, y: 0 };
        let outer = world_square(0.1, 0.1, 0.8).0[0].exterior().clone();
        let inner = world_square(0.4, 0.4, 0.2).0[0].exterior().clone();
        let mp = MultiPolygon(vec![Polygon::new(outer, vec![inner])]);
        let cut = cut(&mp, tile, &CutOptions::new(true)).unwrap();
        let p = &cut.0[0];
        assert_eq!(p.interiors().len(), 1);
        assert!(p.exterior().0.len() >= 4);
        let hole = Polygon::new(p.interiors()[0].clone(), vec![]);
        assert!(hole.signed_area() < 0.0);
    }

    proptest! {
        #[test]
        fn clipped_geometry_stays_inside_the_buffered_tile(
            z in 0u8..16,
            fx in 0.0f64..1.0, fy in 0.0f64..1.0,
            pts in proptest::collection::vec((-1.5f64..2.5, -1.5f64..2.5), 3..12),
            snap in any::<bool>(),
        ) {
            let n = f64::from(1u32 << z);
            let tile = TileId { z, x: (fx * n) as u32, y: (fy * n) as u32 };
            // A star-shaped polygon around the tile's centre, in tile-relative units, so it
            // may be concave and cross any edge.
            let (cx, cy) = tile.to_world(2048.0, 2048.0, 4096.0);
            let mut pts: Vec<(f64, f64)> = pts;
            pts.sort_by(|a, b| {
                let aa = (a.1 - 0.5).atan2(a.0 - 0.5);
                let bb = (b.1 - 0.5).atan2(b.0 - 0.5);
                aa.partial_cmp(&bb).unwrap()
            });
            let mut ring: Vec<Coord<f64>> = pts
                .iter()
                .map(|(x, y)| Coord { x: cx + (x - 0.5) / n, y: cy + (y - 0.5) / n })
                .collect();
            ring.push(ring[0]);
            let mp = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
            let opts = CutOptions::new(snap);
            if let Some(cut) = cut(&mp, tile, &opts) {
                for p in &cut.0 {
                    prop_assert!(p.exterior().0.len() >= 4);
                    prop_assert!(p.unsigned_area() > 0.0);
                    prop_assert!(p.is_valid(), "{p:?}");
                    for c in p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())) {
                        prop_assert!(
                            (-64.0..=4160.0).contains(&c.x) && (-64.0..=4160.0).contains(&c.y),
                            "{c:?} outside the buffered tile"
                        );
                    }
                }
            }
        }
    }
}
