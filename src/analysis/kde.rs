//! Quartic (biweight) kernel density estimation on a regular grid: the classic crime
//! hotspot surface.
//!
//! Each incident spreads its weight over a disc of radius `h` (the bandwidth) with the
//! quartic kernel, and the surface is the sum of all discs sampled at the centres of a
//! regular grid of square cells. This is the method evaluated for crime hotspot mapping by
//! Chainey, Tompson & Uhlig (2008), "The utility of hotspot mapping for predicting spatial
//! patterns of crime", *Security Journal* 21, 4–28, and the kernel used by ArcGIS's Kernel
//! Density tool. [`quartic_kde`] computes it; [`KdeGrid`] holds the result with helpers for
//! each cell's centre and polygon. Choosing the incidents and their weights (counts,
//! aoristic shares, harm) is the caller's business; so is drawing the surface.
//!
//! # Projection
//!
//! Distances are in metres in a local **equirectangular projection** of the WGS 84
//! ellipsoid about the extent's centre latitude φ₀: `x = N(φ₀)·cos φ₀·(λ − λ_W)`,
//! `y = M(φ₀)·(φ − φ_S)` (angles in radians, `N` and `M` the prime-vertical and meridional
//! radii of curvature, `λ_W`, `φ_S` the extent's west and south edges). Distances along
//! the reference parallel and along meridians are exact to first order; east–west
//! distances at latitude φ are scaled by `cos φ / cos φ₀ ≈ 1 − tan φ₀·(φ − φ₀)`, an error of
//! about **0.26 % per 10 km** north or south of the centre at 59° N, so under 0.2 % over a
//! 15 km tall municipality. Because the projection is linear in longitude and latitude,
//! grid cells are exact longitude/latitude rectangles. A warning is added when the error
//! at the grid's edge exceeds 1 % (an area more than about 75 km tall at 59° N). Extents
//! that cross the antimeridian or reach within 5° of a pole are not supported.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::AnalysisError;
use crate::model::Wgs84;

/// The default cell size, metres.
pub const DEFAULT_CELL_M: f64 = 50.0;
/// The default bandwidth rule's result is raised to at least this, metres.
pub const MIN_DEFAULT_BANDWIDTH_M: f64 = 100.0;
/// The default bandwidth rule's result is lowered to at most this, metres.
pub const MAX_DEFAULT_BANDWIDTH_M: f64 = 1000.0;
/// The largest grid [`quartic_kde`] builds: 4 million cells (32 MB of `f64`), e.g. a
/// 100 × 100 km area at 50 m.
pub const MAX_CELLS: usize = 4_000_000;
/// The most kernel evaluations (points × cells within the bandwidth) [`quartic_kde`]
/// accepts, a guard against a request that would take minutes: about 5–10 s of work on
/// one core.
pub const MAX_KERNEL_EVALUATIONS: f64 = 4e9;

/// WGS 84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS 84 first eccentricity squared, `f(2 − f)` with `f = 1/298.257223563`.
const WGS84_E2: f64 = 0.006_694_379_990_141_317;
/// Extents whose centre is nearer a pole than this (degrees of latitude) are refused.
const MAX_ABS_LAT: f64 = 85.0;

/// Options for [`quartic_kde`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KdeOptions {
    /// Cell size (side of the square cell), metres. Default [`DEFAULT_CELL_M`] (50 m).
    pub cell_m: f64,
    /// Bandwidth (kernel radius) `h`, metres; `None` = the default rule (see
    /// [`quartic_kde`]).
    pub bandwidth_m: Option<f64>,
}

impl Default for KdeOptions {
    fn default() -> KdeOptions {
        KdeOptions {
            cell_m: DEFAULT_CELL_M,
            bandwidth_m: None,
        }
    }
}

/// A density surface on a regular grid.
///
/// Cell `(col, row)` is `values[row * cols + col]`; row 0 is the southernmost row and
/// column 0 the westernmost. The grid starts at the extent's south-west corner and covers
/// whole cells, so it may reach up to one cell beyond the extent's north and east edges.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KdeGrid {
    /// South-west corner of the grid (and of the extent), `(lon, lat)` in degrees.
    pub origin_lon_lat: (f64, f64),
    /// Cell side, metres (in the local projection).
    pub cell_m: f64,
    /// Number of columns (west to east).
    pub cols: usize,
    /// Number of rows (south to north).
    pub rows: usize,
    /// Density per km² at each cell centre: expected incidents (or weight) per km².
    pub values: Vec<f64>,
    /// The bandwidth used, metres.
    pub bandwidth_m: f64,
    /// How the bandwidth was chosen, with the numbers, for reports.
    pub bandwidth_rule: String,
    /// Things the reader should know: a bandwidth below the cell size, an undefined rule,
    /// no incidents, a projection error above 1 %.
    pub warnings: Vec<String>,
    /// The latitude φ₀ (degrees) the local projection is centred on (see the
    /// [module documentation](self)); it fixes each cell's size in degrees.
    pub projection_lat: f64,
}

/// The local equirectangular projection: metres east of `lon0`, north of `lat0`.
#[derive(Debug, Clone, Copy)]
struct Local {
    lon0: f64,
    lat0: f64,
    /// Metres per degree of longitude, `N(φ₀)·cos φ₀·π/180`.
    m_per_deg_lon: f64,
    /// Metres per degree of latitude, `M(φ₀)·π/180`.
    m_per_deg_lat: f64,
}

impl Local {
    fn new(lon0: f64, lat0: f64, ref_lat: f64) -> Local {
        let phi = ref_lat.to_radians();
        let s2 = phi.sin() * phi.sin();
        let w = (1.0 - WGS84_E2 * s2).sqrt();
        let n = WGS84_A / w;
        let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
        Local {
            lon0,
            lat0,
            m_per_deg_lon: n * phi.cos() * std::f64::consts::PI / 180.0,
            m_per_deg_lat: m * std::f64::consts::PI / 180.0,
        }
    }

    fn project(&self, p: Wgs84) -> (f64, f64) {
        (
            (p.lon - self.lon0) * self.m_per_deg_lon,
            (p.lat - self.lat0) * self.m_per_deg_lat,
        )
    }

    fn unproject(&self, x: f64, y: f64) -> Wgs84 {
        Wgs84 {
            lon: self.lon0 + x / self.m_per_deg_lon,
            lat: self.lat0 + y / self.m_per_deg_lat,
        }
    }
}

impl KdeGrid {
    fn local(&self) -> Local {
        Local::new(
            self.origin_lon_lat.0,
            self.origin_lon_lat.1,
            self.projection_lat,
        )
    }

    /// Index of cell `(col, row)` in [`KdeGrid::values`].
    pub fn index(&self, col: usize, row: usize) -> usize {
        row * self.cols + col
    }

    /// Density per km² at cell `(col, row)`; `None` outside the grid.
    pub fn value(&self, col: usize, row: usize) -> Option<f64> {
        if col < self.cols && row < self.rows {
            self.values.get(self.index(col, row)).copied()
        } else {
            None
        }
    }

    /// The centre of cell `(col, row)`, where its density was evaluated.
    pub fn cell_center(&self, col: usize, row: usize) -> Wgs84 {
        self.local().unproject(
            (col as f64 + 0.5) * self.cell_m,
            (row as f64 + 0.5) * self.cell_m,
        )
    }

    /// The cell's outline: a longitude/latitude rectangle, exterior ring counter-clockwise
    /// (RFC 7946), closed.
    pub fn cell_polygon(&self, col: usize, row: usize) -> geo::Polygon<f64> {
        let local = self.local();
        let (x0, y0) = (col as f64 * self.cell_m, row as f64 * self.cell_m);
        let (x1, y1) = (x0 + self.cell_m, y0 + self.cell_m);
        let sw = local.unproject(x0, y0);
        let ne = local.unproject(x1, y1);
        geo::Polygon::new(
            geo::LineString::from(vec![
                (sw.lon, sw.lat),
                (ne.lon, sw.lat),
                (ne.lon, ne.lat),
                (sw.lon, ne.lat),
                (sw.lon, sw.lat),
            ]),
            vec![],
        )
    }

    /// One cell's area in km² (in the local projection).
    pub fn cell_area_km2(&self) -> f64 {
        self.cell_m * self.cell_m * 1e-6
    }

    /// The surface's total mass, `Σ density × cell area`: the total weight when every
    /// kernel lies inside the grid, less when some reach outside.
    pub fn total_mass(&self) -> f64 {
        self.values.iter().sum::<f64>() * self.cell_area_km2()
    }

    /// The highest density, per km² (0 for an empty surface).
    pub fn max_value(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }
}

fn invalid(message: String) -> AnalysisError {
    AnalysisError::Invalid(message)
}

/// Metres written without decimals for messages.
fn m(x: f64) -> String {
    format!("{x:.0} m")
}

/// Quartic kernel density of weighted points on a regular grid over `extent`.
///
/// # Parameters
/// - `points`: incident locations with weights (1 for counts, an aoristic share, a harm
///   weight...). Weights must be finite and `>= 0`; points with weight 0 are ignored.
///   Points outside the extent contribute where their kernel reaches into the grid.
/// - `extent`: `(south_west, north_east)` corners; the grid starts at the south-west corner.
/// - `opts`: cell size and bandwidth.
///
/// # Returns
/// A [`KdeGrid`] with the density per km² at each cell centre, the bandwidth and how it was
/// chosen, and warnings. Errors ([`AnalysisError::Invalid`]) for a non-finite or negative
/// weight or coordinate (naming the point), an empty or invalid extent, a cell size or
/// bandwidth that is not a positive number, a grid of more than [`MAX_CELLS`] cells or
/// more than [`MAX_KERNEL_EVALUATIONS`] kernel evaluations (the message suggests a cell
/// size that fits).
///
/// # Algorithm
/// The density at a cell centre `s` is `f(s) = Σᵢ wᵢ·K(|s − pᵢ|)` with the quartic kernel
/// `K(d) = 3/(π h²)·(1 − d²/h²)²` for `d < h`, 0 beyond (Chainey, Tompson & Uhlig 2008),
/// which integrates to 1, so the surface's mass is the total weight; values are scaled to
/// per km².
///
/// Default bandwidth: the spatial variant of Silverman's rule of thumb used by ArcGIS
/// ("How Kernel Density works", ArcGIS Pro documentation):
/// `h = 0.9 · min(SD, √(1/ln 2) · D_m) · n^(−0.2)`, with `SD` the standard distance of the
/// points about their mean centre, `D_m` the median distance to the mean centre, and `n`
/// the number of points with positive weight. Unlike ArcGIS with a population field, the
/// rule ignores the weights: weights here are harm or aoristic shares, not counts of
/// people, and the count map and the harm map of the same incidents then share a
/// bandwidth and can be compared. The result is clamped to
/// [`MIN_DEFAULT_BANDWIDTH_M`]–[`MAX_DEFAULT_BANDWIDTH_M`] (100–1 000 m): below 100 m a
/// hotspot shrinks to a single address, near the precision of geocoded reports, and above
/// 1 km a municipal map blurs into one blob; both defeat a map meant to pick streets and
/// blocks for patrols and measures. With fewer than two distinct locations the rule is
/// undefined; 100 m is used and a warning says so. A requested bandwidth is used as given.
///
/// Points are projected to the local plane (see the [module documentation](self)) and
/// sorted north–south; each grid row (in parallel with rayon) adds the points within `h`
/// of its centre line, each over just the cells its disc covers. The work is
/// `O(n · (h/cell)² + cells)`; each row sums its points in the same order on any
/// number of threads, so the result is deterministic.
///
/// # Example
/// ```
/// use lagesbild::analysis::kde::{quartic_kde, KdeOptions};
/// use lagesbild::model::Wgs84;
/// let extent = (Wgs84 { lon: 17.80, lat: 59.18 }, Wgs84 { lon: 17.86, lat: 59.21 });
/// let points = vec![(Wgs84 { lon: 17.83, lat: 59.195 }, 1.0)];
/// let opts = KdeOptions { cell_m: 25.0, bandwidth_m: Some(200.0) };
/// let grid = quartic_kde(&points, extent, &opts).unwrap();
/// // The kernel lies inside the grid, so the surface holds the point's whole weight.
/// assert!((grid.total_mass() - 1.0).abs() < 0.01);
/// // Peak: at most 3/(π h²) per m², in km².
/// assert!(grid.max_value() <= 3.0 / (std::f64::consts::PI * 200.0 * 200.0) * 1e6);
/// assert_eq!(grid.bandwidth_rule, "requested: 200 m");
/// ```
pub fn quartic_kde(
    points: &[(Wgs84, f64)],
    extent: (Wgs84, Wgs84),
    opts: &KdeOptions,
) -> Result<KdeGrid, AnalysisError> {
    let cell = opts.cell_m;
    if !(cell.is_finite() && cell > 0.0) {
        return Err(invalid(format!(
            "the cell size must be a positive number of metres, not {cell}"
        )));
    }
    if let Some(h) = opts.bandwidth_m {
        if !(h.is_finite() && h > 0.0) {
            return Err(invalid(format!(
                "the bandwidth must be a positive number of metres, not {h}"
            )));
        }
    }
    let (sw, ne) = extent;
    let finite = [sw.lon, sw.lat, ne.lon, ne.lat]
        .iter()
        .all(|v| v.is_finite());
    if !finite
        || !(-180.0..=180.0).contains(&sw.lon)
        || !(-180.0..=180.0).contains(&ne.lon)
        || !(-90.0..=90.0).contains(&sw.lat)
        || !(-90.0..=90.0).contains(&ne.lat)
    {
        return Err(invalid(format!(
            "the extent ({}, {}) – ({}, {}) is not a pair of WGS 84 longitude/latitude corners",
            sw.lon, sw.lat, ne.lon, ne.lat
        )));
    }
    if sw.lon >= ne.lon || sw.lat >= ne.lat {
        return Err(invalid(format!(
            "the extent is empty: its south-west corner ({}, {}) must lie west and south of its \
             north-east corner ({}, {})",
            sw.lon, sw.lat, ne.lon, ne.lat
        )));
    }
    let ref_lat = 0.5 * (sw.lat + ne.lat);
    if ref_lat.abs() > MAX_ABS_LAT {
        return Err(invalid(format!(
            "the extent is centred at latitude {ref_lat:.1}°; the local projection is not valid \
             within {:.0}° of a pole",
            90.0 - MAX_ABS_LAT
        )));
    }
    for (i, (p, w)) in points.iter().enumerate() {
        if !(w.is_finite() && *w >= 0.0) {
            return Err(invalid(format!(
                "point {i} has weight {w}; weights must be finite and >= 0"
            )));
        }
        if !(p.lon.is_finite() && p.lat.is_finite()) {
            return Err(invalid(format!(
                "point {i} has a non-finite position ({}, {})",
                p.lon, p.lat
            )));
        }
    }

    let local = Local::new(sw.lon, sw.lat, ref_lat);
    let (width, height) = local.project(ne);
    let cols_f = (width / cell).ceil().max(1.0);
    let rows_f = (height / cell).ceil().max(1.0);
    let cells_f = cols_f * rows_f;
    if cells_f > MAX_CELLS as f64 {
        let suggested = (cell * (cells_f / MAX_CELLS as f64).sqrt() / 10.0).ceil() * 10.0;
        return Err(invalid(format!(
            "a {:.1} × {:.1} km area at {} cells needs {cols_f:.0} × {rows_f:.0} = {cells_f:.0} \
             cells, more than the limit of {MAX_CELLS}; use a cell of at least {}",
            width / 1000.0,
            height / 1000.0,
            m(cell),
            m(suggested)
        )));
    }
    let (cols, rows) = (cols_f as usize, rows_f as usize);

    let mut warnings = Vec::new();
    let projected: Vec<(f64, f64, f64)> = points
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|&(p, w)| {
            let (x, y) = local.project(p);
            (x, y, w)
        })
        .collect();
    if projected.is_empty() {
        warnings.push("no incidents with a positive weight: the surface is zero".to_owned());
    }

    let (h, bandwidth_rule) = match opts.bandwidth_m {
        Some(h) => (h, format!("requested: {}", m(h))),
        None => default_bandwidth(&projected, &mut warnings),
    };
    if h < cell {
        warnings.push(format!(
            "the bandwidth ({}) is smaller than the cell size ({}): kernels fall between cell \
             centres and the surface is spotty; use cells of at most half the bandwidth",
            m(h),
            m(cell)
        ));
    }
    let edge_error =
        (ref_lat.to_radians().tan() * (0.5 * height / local.m_per_deg_lat).to_radians()).abs();
    if edge_error > 0.01 {
        warnings.push(format!(
            "the area is {:.0} km tall: east–west distances at its north and south edges are \
             off by up to {:.1} % in the local projection",
            height / 1000.0,
            edge_error * 100.0
        ));
    }

    let disc_cells = std::f64::consts::PI * (h / cell + 1.0).powi(2);
    let work = projected.len() as f64 * disc_cells.min(cells_f);
    if work > MAX_KERNEL_EVALUATIONS {
        let suggested = (cell * (work / MAX_KERNEL_EVALUATIONS).sqrt() / 10.0).ceil() * 10.0;
        return Err(invalid(format!(
            "{} points with a {} bandwidth on {} cells need about {work:.1e} kernel \
             evaluations, more than the limit of {MAX_KERNEL_EVALUATIONS:.0e}; use a cell of \
             at least {} or a smaller bandwidth",
            projected.len(),
            m(h),
            m(cell),
            m(suggested)
        )));
    }

    let values = spread(projected, cols, rows, cell, h);
    Ok(KdeGrid {
        origin_lon_lat: (sw.lon, sw.lat),
        cell_m: cell,
        cols,
        rows,
        values,
        bandwidth_m: h,
        bandwidth_rule,
        warnings,
        projection_lat: ref_lat,
    })
}

/// The default bandwidth and its description (see [`quartic_kde`]).
fn default_bandwidth(pts: &[(f64, f64, f64)], warnings: &mut Vec<String>) -> (f64, String) {
    let n = pts.len();
    let undefined = |why: String, warnings: &mut Vec<String>| {
        warnings.push(format!(
            "the default bandwidth rule is undefined for {why}; using {}",
            m(MIN_DEFAULT_BANDWIDTH_M)
        ));
        (
            MIN_DEFAULT_BANDWIDTH_M,
            format!(
                "ArcGIS spatial Silverman rule, undefined for {why}: minimum {}",
                m(MIN_DEFAULT_BANDWIDTH_M)
            ),
        )
    };
    if n < 2 {
        return undefined(
            format!("{n} point{}", if n == 1 { "" } else { "s" }),
            warnings,
        );
    }
    let nf = n as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(sx, sy), &(x, y, _)| (sx + x, sy + y));
    let (mx, my) = (mx / nf, my / nf);
    let mut dist: Vec<f64> = pts
        .iter()
        .map(|&(x, y, _)| ((x - mx).powi(2) + (y - my).powi(2)).sqrt())
        .collect();
    let sd = (dist.iter().map(|d| d * d).sum::<f64>() / nf).sqrt();
    let median = median(&mut dist);
    let robust = (1.0 / std::f64::consts::LN_2).sqrt() * median;
    let rule = 0.9 * sd.min(robust) * nf.powf(-0.2);
    if !(rule.is_finite() && rule > 0.0) {
        return undefined(
            format!("{n} points at a median distance of 0 m from their centre"),
            warnings,
        );
    }
    let h = rule.clamp(MIN_DEFAULT_BANDWIDTH_M, MAX_DEFAULT_BANDWIDTH_M);
    let mut text = format!(
        "ArcGIS spatial Silverman rule: 0.9 × min(SD {}, √(1/ln 2) × Dm {}) × n^-0.2 with n = {n} \
         → {}",
        m(sd),
        m(robust),
        m(rule)
    );
    if h > rule {
        text.push_str(&format!(", raised to the minimum {}", m(h)));
    } else if h < rule {
        text.push_str(&format!(", lowered to the maximum {}", m(h)));
    }
    (h, text)
}

/// The median of a non-empty slice (reorders it).
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    let mid = n / 2;
    let (lower, &mut upper, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + upper)
    }
}

/// Sums every point's kernel at every cell centre within `h`; per km².
fn spread(mut pts: Vec<(f64, f64, f64)>, cols: usize, rows: usize, cell: f64, h: f64) -> Vec<f64> {
    pts.sort_by(|a, b| a.1.total_cmp(&b.1));
    let h2 = h * h;
    let inv_h2 = 1.0 / h2;
    let norm = 3.0 / (std::f64::consts::PI * h2) * 1e6;
    let last_col = cols as i64 - 1;
    let mut values = vec![0.0; cols * rows];
    values
        .par_chunks_mut(cols)
        .enumerate()
        .for_each(|(r, row)| {
            let yc = (r as f64 + 0.5) * cell;
            let lo = pts.partition_point(|p| p.1 <= yc - h);
            let hi = pts.partition_point(|p| p.1 < yc + h);
            for &(x, y, w) in &pts[lo..hi] {
                let dy = yc - y;
                let room = h2 - dy * dy;
                if room <= 0.0 {
                    continue;
                }
                let half = room.sqrt();
                // Cells whose centre (c + 0.5)·cell lies within `half` of x.
                let c_lo = (((x - half) / cell - 0.5).ceil() as i64).max(0);
                let c_hi = (((x + half) / cell - 0.5).floor() as i64).min(last_col);
                if c_lo > c_hi {
                    continue;
                }
                let base = 1.0 - dy * dy * inv_h2;
                let x0 = (c_lo as f64 + 0.5) * cell - x;
                // c_lo..=c_hi lies in 0..cols, so the slice is in bounds.
                let cells = &mut row[c_lo as usize..=c_hi as usize];
                for (k, v) in cells.iter_mut().enumerate() {
                    let dx = x0 + k as f64 * cell;
                    // Rounding can put an end cell a hair outside the disc; clamp at 0.
                    let t = (base - dx * dx * inv_h2).max(0.0);
                    *v += w * t * t;
                }
            }
            for v in row.iter_mut() {
                *v *= norm;
            }
        });
    values
}

#[cfg(test)]
#[path = "kde_tests.rs"]
mod tests;
