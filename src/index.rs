//! Spatial assignment: which area of each layer, and which H3 cell at each resolution, an
//! incident falls in.
//!
//! [`AreaIndex`] holds one R-tree (`rstar`) per area layer over the polygon parts' bounding
//! boxes. A lookup asks the tree for candidate parts, then decides exactly with `geo`
//! (`Intersects`, which counts the boundary as inside). A point on a boundary shared by
//! several areas, or inside overlapping areas, goes to the candidate whose area id sorts
//! first (byte order): deterministic, and the same answer [`AreaIndex::locate_brute_force`]
//! gives by scanning every area in id order.
//!
//! [`cells_for`] computes H3 cells with `h3o`. Each resolution is computed from the point
//! itself, not as the parent of a finer cell: H3 cells do not nest exactly, and users expect
//! the cell that contains the point.

use geo::{BoundingRect, Intersects, Point, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};

use crate::config::{REGION_MARGIN_DEG, Region};
use crate::model::Wgs84;
use crate::store::StoredArea;

/// A polygon part of an area, indexed by its bounding box.
struct Part {
    envelope: AABB<[f64; 2]>,
    polygon: Polygon<f64>,
    /// Position of the area in its layer's `areas` (sorted by id).
    area: u32,
}

impl RTreeObject for Part {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// One layer's index.
struct LayerIndex {
    layer_key: i64,
    name: String,
    /// `(area key, area id)` sorted by id; the tie-break order.
    areas: Vec<(i64, String)>,
    tree: RTree<Part>,
}

/// R-trees over every loaded area layer.
pub struct AreaIndex {
    layers: Vec<LayerIndex>,
    extent: Option<Region>,
}

impl AreaIndex {
    /// Builds the index from stored areas (any order; any number of layers).
    pub fn build(areas: &[StoredArea]) -> AreaIndex {
        let mut by_layer: std::collections::BTreeMap<(String, i64), Vec<&StoredArea>> =
            Default::default();
        for a in areas {
            by_layer
                .entry((a.area.layer.clone(), a.layer_key))
                .or_default()
                .push(a);
        }
        let mut extent: Option<Region> = None;
        let layers = by_layer
            .into_iter()
            .map(|((name, layer_key), mut list)| {
                list.sort_by(|a, b| a.area.id.as_bytes().cmp(b.area.id.as_bytes()));
                let mut parts = Vec::new();
                for (i, a) in list.iter().enumerate() {
                    for poly in &a.area.geometry.0 {
                        let Some(rect) = poly.bounding_rect() else {
                            continue;
                        };
                        let (lo, hi) = (rect.min(), rect.max());
                        let r = Region {
                            min: Wgs84 {
                                lon: lo.x,
                                lat: lo.y,
                            },
                            max: Wgs84 {
                                lon: hi.x,
                                lat: hi.y,
                            },
                        };
                        extent = Some(match extent {
                            None => r,
                            Some(e) => Region {
                                min: Wgs84 {
                                    lon: e.min.lon.min(r.min.lon),
                                    lat: e.min.lat.min(r.min.lat),
                                },
                                max: Wgs84 {
                                    lon: e.max.lon.max(r.max.lon),
                                    lat: e.max.lat.max(r.max.lat),
                                },
                            },
                        });
                        parts.push(Part {
                            envelope: AABB::from_corners([lo.x, lo.y], [hi.x, hi.y]),
                            polygon: poly.clone(),
                            area: i as u32,
                        });
                    }
                }
                LayerIndex {
                    layer_key,
                    name,
                    areas: list.iter().map(|a| (a.key, a.area.id.clone())).collect(),
                    tree: RTree::bulk_load(parts),
                }
            })
            .collect();
        AreaIndex { layers, extent }
    }

    /// True when no layer is loaded.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer names, sorted.
    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.name.as_str()).collect()
    }

    /// The default deployment region: the extent of all loaded areas grown by
    /// [`REGION_MARGIN_DEG`], or `None` when no areas are loaded.
    pub fn default_region(&self) -> Option<Region> {
        self.extent.map(|e| e.grown(REGION_MARGIN_DEG))
    }

    /// The `(layer key, area key)` of the area containing `p` in every layer that has one.
    pub fn locate(&self, p: Wgs84) -> Vec<(i64, i64)> {
        self.layers
            .iter()
            .filter_map(|l| locate_in(l, p).map(|i| (l.layer_key, l.areas[i].0)))
            .collect()
    }

    /// The area key containing `p` in the layer with key `layer_key`.
    pub fn locate_in_layer(&self, layer_key: i64, p: Wgs84) -> Option<i64> {
        let l = self.layers.iter().find(|l| l.layer_key == layer_key)?;
        locate_in(l, p).map(|i| l.areas[i].0)
    }

    /// The same answer as [`AreaIndex::locate`] by scanning every polygon of every area in
    /// id order, with no tree. For tests and checks.
    pub fn locate_brute_force(&self, p: Wgs84) -> Vec<(i64, i64)> {
        let pt = Point::new(p.lon, p.lat);
        let mut out = Vec::new();
        for l in &self.layers {
            let mut parts: Vec<&Part> = l.tree.iter().collect();
            parts.sort_by_key(|part| part.area);
            if let Some(part) = parts.into_iter().find(|part| part.polygon.intersects(&pt)) {
                out.push((l.layer_key, l.areas[part.area as usize].0));
            }
        }
        out
    }

    /// Assigns many points in parallel (rayon); the result is in input order.
    pub fn locate_all(&self, points: &[Wgs84]) -> Vec<Vec<(i64, i64)>> {
        points.par_iter().map(|p| self.locate(*p)).collect()
    }
}

fn locate_in(l: &LayerIndex, p: Wgs84) -> Option<usize> {
    let pt = Point::new(p.lon, p.lat);
    l.tree
        .locate_in_envelope_intersecting(&AABB::from_point([p.lon, p.lat]))
        .filter(|part| part.polygon.intersects(&pt))
        .map(|part| part.area as usize)
        .min()
}

/// The H3 cell of `p` at each resolution, in the order given. `None` only for a position
/// h3o rejects (non-finite), which validation has excluded already.
pub fn cells_for(p: Wgs84, resolutions: &[Resolution]) -> Option<Vec<CellIndex>> {
    let ll = LatLng::new(p.lat, p.lon).ok()?;
    Some(resolutions.iter().map(|r| ll.to_cell(*r)).collect())
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
