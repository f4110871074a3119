//! The automatic choice of H3 resolution and ring size, in the spirit of ArcGIS's Optimized
//! Hot Spot Analysis (which picks its scale from the data rather than asking the user).
//!
//! Parameters: the incidents of the window (locations and weights), the candidate
//! resolutions (those stored per incident), and a way to build the study grid and count
//! per cell at a resolution. Returns a [`ScaleChoice`] that says what was chosen and why.
//!
//! Algorithm (the rule, exactly):
//! 1. **Spacing.** The median distance from each distinct incident location to its nearest
//!    neighbour, in metres (locations projected equirectangularly about their mean
//!    latitude; error < 0.1 % at municipal scale).
//! 2. **Resolution.** Among the candidates, the finest resolution whose average hexagon edge
//!    is at least that median spacing *and* at which the study grid holds at least one
//!    incident per cell on average. Cells narrower than the typical spacing between
//!    incidents, or mostly empty, turn Gi* into noise. If no candidate qualifies, the
//!    coarsest is used.
//! 3. **Ring size.** Incremental spatial autocorrelation (as ArcGIS's tool of that name): for
//!    k = 1..=4, global Moran's I of the cell counts with binary k-ring weights; k is the first
//!    peak of its z-score (the scale at which clustering is most pronounced). When z only
//!    rises, the largest z wins; when no z reaches 1.96 (no clustering at any scale), k = 1.
//!
//! With fewer than two distinct locations the spacing is undefined and step 2 uses the
//! density rule alone.

use h3o::Resolution;
use rstar::RTree;
use serde::Serialize;

use super::moran::moran_global;
use super::weights::Weights;
use crate::model::Wgs84;

/// The largest ring size tried.
pub const MAX_K: u32 = 4;

/// What the automatic scale chose, and the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleChoice {
    /// H3 resolution used.
    pub resolution: u8,
    /// Ring size used for Gi* weights.
    pub k: u32,
    /// True when chosen by the rule, false when given by the caller.
    pub automatic: bool,
    /// Median nearest-neighbour distance between incident locations, metres.
    pub median_nn_m: Option<f64>,
    /// Incidents per study-grid cell at the chosen resolution.
    pub mean_per_cell: f64,
    /// Moran's I z-score per ring size tried.
    pub moran_z_by_k: Vec<(u32, f64)>,
    /// The rule, in words.
    pub rule: &'static str,
}

/// The rule as shown with results.
pub const RULE: &str = "finest stored H3 resolution whose hexagon edge is at least the median nearest-neighbour distance between incidents and that averages at least one incident per study-area cell; ring size k = first peak of Moran's I z over k = 1..4 (k = 1 when no z reaches 1.96)";

/// Median nearest-neighbour distance in metres between distinct locations.
pub fn median_nearest_neighbour_m(points: &[Wgs84]) -> Option<f64> {
    let mut pts: Vec<[f64; 2]> = {
        let mean_lat = points.iter().map(|p| p.lat).sum::<f64>() / points.len().max(1) as f64;
        let kx = 111_320.0 * mean_lat.to_radians().cos();
        points
            .iter()
            .map(|p| [p.lon * kx, p.lat * 110_574.0])
            .collect()
    };
    pts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    pts.dedup();
    if pts.len() < 2 {
        return None;
    }
    let tree = RTree::bulk_load(pts.clone());
    let mut d: Vec<f64> = pts
        .iter()
        .filter_map(|p| {
            tree.nearest_neighbor_iter(p)
                .find(|q| *q != p)
                .map(|q| ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt())
        })
        .collect();
    d.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Some(d[d.len() / 2])
}

/// Picks the resolution (step 2). `cells_at(r)` is the study grid's cell count at `r`;
/// `candidates` ascending.
pub fn choose_resolution(
    candidates: &[Resolution],
    incidents: f64,
    median_nn_m: Option<f64>,
    cells_at: &mut dyn FnMut(Resolution) -> usize,
) -> Option<(Resolution, f64)> {
    let coarsest = *candidates.first()?;
    for &r in candidates.iter().rev() {
        if median_nn_m.is_some_and(|d| r.edge_length_m() < d) {
            continue;
        }
        let cells = cells_at(r).max(1);
        let mean = incidents / cells as f64;
        if mean >= 1.0 {
            return Some((r, mean));
        }
    }
    let cells = cells_at(coarsest).max(1);
    Some((coarsest, incidents / cells as f64))
}

/// Picks the ring size (step 3) from per-cell counts and a weights builder.
pub fn choose_k(
    counts: &[f64],
    weights_for: &mut dyn FnMut(u32) -> Weights,
) -> (u32, Vec<(u32, f64)>) {
    let mut zs = Vec::new();
    for k in 1..=MAX_K {
        let w = weights_for(k).row_standardised();
        let z = moran_global(counts, &w).map_or(0.0, |m| {
            if m.z_normal.is_finite() {
                m.z_normal
            } else {
                0.0
            }
        });
        zs.push((k, z));
    }
    let best = zs.iter().map(|(_, z)| *z).fold(f64::NEG_INFINITY, f64::max);
    if best < 1.96 {
        return (1, zs);
    }
    for i in 0..zs.len() {
        let prev = if i == 0 {
            f64::NEG_INFINITY
        } else {
            zs[i - 1].1
        };
        let next = zs.get(i + 1).map_or(f64::NEG_INFINITY, |x| x.1);
        if zs[i].1 >= 1.96 && zs[i].1 > prev && zs[i].1 >= next {
            return (zs[i].0, zs);
        }
    }
    let k = zs
        .iter()
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
        .map_or(1, |x| x.0);
    (k, zs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_spacing_of_a_regular_grid() {
        // Points 0.001° of latitude apart (about 110.6 m) in a column.
        let pts: Vec<Wgs84> = (0..11)
            .map(|i| Wgs84 {
                lon: 17.8,
                lat: 59.2 + i as f64 * 0.001,
            })
            .collect();
        let d = median_nearest_neighbour_m(&pts).unwrap();
        assert!((d - 110.574).abs() < 0.01, "{d}");
        assert_eq!(median_nearest_neighbour_m(&pts[..1]), None);
        // Duplicates are one location.
        assert_eq!(median_nearest_neighbour_m(&[pts[0], pts[0]]), None);
    }

    #[test]
    fn resolution_rule() {
        let candidates = [
            Resolution::Seven,
            Resolution::Eight,
            Resolution::Nine,
            Resolution::Ten,
        ];
        // Cells multiply by 7 per level: 40, 280, 1960, 13720.
        let mut cells = |r: Resolution| 40 * 7usize.pow(u32::from(u8::from(r)) - 7);
        // 3,000 incidents spaced 100 m: res 10's edge (~76 m) is too small; res 9 gives 1.5/cell.
        let (r, mean) = choose_resolution(&candidates, 3000.0, Some(100.0), &mut cells).unwrap();
        assert_eq!(r, Resolution::Nine);
        assert!((mean - 3000.0 / 1960.0).abs() < 1e-12);
        // Few incidents: the coarsest.
        assert_eq!(
            choose_resolution(&candidates, 5.0, None, &mut cells)
                .unwrap()
                .0,
            Resolution::Seven
        );
    }
}
