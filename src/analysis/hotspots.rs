//! The entry points that the server and the reports call: hotspots per hex cell and per
//! area for a window, time series, counts per category, the hour-by-weekday pattern and the
//! KDE surface.
//!
//! An [`Analyzer`] holds one [`IncidentTable`] (one data version), the study area, and the
//! grids and weights it has built. Every result carries a [`Provenance`]: the window and its
//! bounds, the filter, resolution, weights, k, alpha, FDR flag, baseline, and the store's
//! data version, so the same inputs give the same output, bit for bit, and a report can be
//! regenerated exactly. Everything here is deterministic: no randomness (LISA's
//! permutations take an explicit seed), and parallel sums are reduced in a fixed order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use geo::{BoundingRect, MultiPolygon};
use h3o::{CellIndex, Resolution};
use serde::Serialize;

use super::AnalysisError;
use super::aoristic::{hour_weekday_weights, overlap_weight};
use super::area_significance;
use super::counts::{AggregateOptions, Aggregates, UnitAggregate, Units, aggregate, row_mask};
use super::emerging::{EmergingClass, EmergingOptions, classify_all};
use super::filter::IncidentFilter;
use super::gistar::{GiStar, GiStarOptions, gi_star};
use super::grid::StudyGrid;
use super::kde::{KdeGrid, KdeOptions, quartic_kde};
use super::lisa::{LisaOptions, Quadrant, lisa};
use super::scale::{self, ScaleChoice};
use super::table::IncidentTable;
use super::weights::Weights;
use super::window::TimeWindow;
use crate::model::{Categories, Wgs84};

/// Default number of weeks in the emerging-hotspot space-time cube.
pub const DEFAULT_EMERGING_WEEKS: usize = 52;

/// What a result was computed from; enough to recompute it exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The window, canonical form (e.g. `2026-W47`).
    pub window: String,
    /// Its start (inclusive), RFC 3339 UTC.
    pub from: String,
    /// Its end (exclusive), RFC 3339 UTC.
    pub to: String,
    /// Time zone of the window's local boundaries.
    pub timezone: String,
    /// Whether the window had ended when this was computed. A running window's counts are
    /// compared to-date: the previous period, last year and the baseline are cut to the
    /// same number of days (`elapsed_days`).
    pub complete: bool,
    /// Local days of the window that had begun when this was computed.
    pub elapsed_days: u32,
    /// The incident filter, canonical form.
    pub filter: String,
    /// H3 resolution (hexes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<u8>,
    /// Spatial weights, in words.
    pub weights: String,
    /// Ring size (hexes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// Significance level for rises and emerging classes.
    pub alpha: f64,
    /// Whether Gi* significance is FDR-controlled (Benjamini–Hochberg).
    pub fdr: bool,
    /// Number of baseline windows.
    pub baseline_windows: usize,
    /// Weeks in the emerging-hotspot cube (0 = not computed).
    pub emerging_weeks: usize,
    /// Random seed, for methods that use one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The store's change counter when computed.
    pub data_version: i64,
    /// The lagesbild version that computed it.
    pub software: String,
}

impl Provenance {
    /// Bytes its strings hold on the heap.
    fn approx_bytes(&self) -> usize {
        [
            &self.window,
            &self.from,
            &self.to,
            &self.timezone,
            &self.filter,
            &self.weights,
            &self.software,
        ]
        .iter()
        .map(|s| s.capacity())
        .sum()
    }
}

/// A hex hotspot query. [`HexQuery::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HexQuery {
    /// The window.
    pub window: TimeWindow,
    /// Which incidents.
    pub filter: IncidentFilter,
    /// H3 resolution; `None` = automatic.
    pub resolution: Option<Resolution>,
    /// Ring size; `None` = automatic.
    pub k: Option<u32>,
    /// Significance level for rises and emerging classes (Gi* bins use 90/95/99 %).
    pub alpha: f64,
    /// Benjamini–Hochberg control of Gi* significance.
    pub fdr: bool,
    /// Baseline windows.
    pub baseline_windows: usize,
    /// Weeks in the emerging-hotspot cube, ending with the window (0 = skip).
    pub emerging_weeks: usize,
    /// The present ([`current_hour`] by default): a window still running at `as_of` is
    /// compared to-date, and the emerging cube ends with the week of `as_of`.
    pub as_of: DateTime<Utc>,
}

/// The start of the current UTC hour: the default `as_of` of queries, so a running
/// period's results are recomputed (and cached) at most hourly.
pub fn current_hour() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(3600), 0).unwrap_or(now)
}

impl HexQuery {
    /// Defaults: automatic scale, alpha 0.05, FDR on, 8 baseline windows, 52-week cube.
    pub fn new(window: TimeWindow) -> HexQuery {
        HexQuery {
            window,
            filter: IncidentFilter::default(),
            resolution: None,
            k: None,
            alpha: 0.05,
            fdr: true,
            baseline_windows: 8,
            emerging_weeks: DEFAULT_EMERGING_WEEKS,
            as_of: current_hour(),
        }
    }
}

/// One hex cell's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexResult {
    /// The H3 index.
    pub cell: String,
    /// Counts, harm, changes.
    #[serde(flatten)]
    pub aggregate: UnitAggregate,
    /// Gi* z-score (absent when Gi* could not be computed; see warnings).
    pub gi_z: Option<f64>,
    /// Two-sided p of `gi_z`.
    pub gi_p: Option<f64>,
    /// −3..=3: cold/hot at 99/95/90 % confidence, 0 not significant.
    pub gi_bin: i8,
    /// The emerging-hotspot class.
    pub emerging: Option<EmergingClass>,
}

/// Hotspots on the hex grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexHotspots {
    /// What was computed, from what.
    pub parameters: Provenance,
    /// The scale choice (automatic or given).
    pub scale: ScaleChoice,
    /// Every cell of the study area, zero cells included, sorted by cell.
    pub cells: Vec<HexResult>,
    /// Total count in the window over the grid.
    pub total: f64,
    /// Plain-language notes (degenerate data, small counts).
    pub warnings: Vec<String>,
}

impl HexHotspots {
    /// About how many bytes this result holds in memory (for the cache budget).
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.parameters.approx_bytes()
            + self
                .cells
                .iter()
                .map(|c| std::mem::size_of::<HexResult>() + c.cell.capacity())
                .sum::<usize>()
            + self
                .warnings
                .iter()
                .map(|w| w.capacity() + 24)
                .sum::<usize>()
    }
}

/// One hex cell's local Moran's I.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexLisaCell {
    /// The H3 index.
    pub cell: String,
    /// Count in the window.
    pub count: f64,
    /// Local Moran's I.
    pub i: f64,
    /// Standardised count.
    pub z: f64,
    /// Spatial lag of `z`.
    pub lag: f64,
    /// HH, LH, LL or HL, from the signs of `z` and `lag`.
    pub quadrant: Quadrant,
    /// Conditional-permutation pseudo p-value.
    pub p_sim: f64,
    /// `p_sim <= alpha`.
    pub significant: bool,
}

/// Local Moran's I (LISA) on the hex grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexLisa {
    /// What was computed, from what (includes the seed).
    pub parameters: Provenance,
    /// Every cell of the study area.
    pub cells: Vec<HexLisaCell>,
}

/// How areas are made neighbours for Gi*.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaWeights {
    /// Queen contiguity (shared boundary point).
    Queen,
    /// Areas whose representative points lie within this many metres.
    DistanceBand(f64),
}

/// An area hotspot query.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaQuery {
    /// The layer.
    pub layer: String,
    /// The window.
    pub window: TimeWindow,
    /// Which incidents.
    pub filter: IncidentFilter,
    /// Neighbours for Gi*.
    pub weights: AreaWeights,
    /// Significance level for rises.
    pub alpha: f64,
    /// Benjamini–Hochberg control of Gi* significance.
    pub fdr: bool,
    /// Baseline windows.
    pub baseline_windows: usize,
    /// The present (as in [`HexQuery::as_of`]).
    pub as_of: DateTime<Utc>,
}

impl AreaQuery {
    /// Defaults: queen weights, alpha 0.05, FDR on, 8 baseline windows.
    pub fn new(layer: &str, window: TimeWindow) -> AreaQuery {
        AreaQuery {
            layer: layer.to_owned(),
            window,
            filter: IncidentFilter::default(),
            weights: AreaWeights::Queen,
            alpha: 0.05,
            fdr: true,
            baseline_windows: 8,
            as_of: current_hour(),
        }
    }
}

/// One area's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaResult {
    /// Area id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Residents.
    pub population: Option<u64>,
    /// Parent area id.
    pub parent: Option<String>,
    /// Counts, harm, rates, changes.
    #[serde(flatten)]
    pub aggregate: UnitAggregate,
    /// Gi* z (absent when it could not be computed; see warnings).
    pub gi_z: Option<f64>,
    /// Two-sided p.
    pub gi_p: Option<f64>,
    /// −3..=3 confidence bin.
    pub gi_bin: i8,
    /// Significance that works with any number of areas: `hot_99`, `hot_95`, `hot_90`,
    /// `none`, `cold_90`, `cold_95`, `cold_99` (see [`super::area_significance`]).
    pub significance: &'static str,
    /// The method behind `significance`, in words.
    pub significance_method: String,
    /// Its two-sided p before FDR (absent when the test could not be run).
    pub significance_p: Option<f64>,
    /// The area's rate relative to the rest of the layer.
    pub rate_ratio_rest: Option<f64>,
}

/// Hotspots per area of a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaHotspots {
    /// What was computed, from what.
    pub parameters: Provenance,
    /// The layer.
    pub layer: String,
    /// Per area, sorted by id.
    pub areas: Vec<AreaResult>,
    /// Total count over the layer.
    pub total: f64,
    /// Plain-language notes.
    pub warnings: Vec<String>,
}

impl AreaHotspots {
    /// About how many bytes this result holds in memory (for the cache budget).
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.parameters.approx_bytes()
            + self.layer.capacity()
            + self
                .areas
                .iter()
                .map(|a| {
                    std::mem::size_of::<AreaResult>()
                        + a.id.capacity()
                        + a.name.capacity()
                        + a.parent.as_ref().map_or(0, String::capacity)
                })
                .sum::<usize>()
            + self
                .warnings
                .iter()
                .map(|w| w.capacity() + 24)
                .sum::<usize>()
    }
}

/// The unit of a time series.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesUnit {
    /// An area of a layer.
    Area {
        /// The layer.
        layer: String,
        /// The area id.
        id: String,
    },
    /// An H3 cell (of a stored resolution).
    Cell(CellIndex),
    /// Everything.
    All,
}

/// Counts per window over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeSeries {
    /// What was computed, from what (window = the whole range).
    pub parameters: Provenance,
    /// `(window, count)` oldest first.
    pub points: Vec<(String, f64)>,
}

/// Whether row `i` of the table belongs to a unit.
type RowPredicate<'a> = Box<dyn Fn(&IncidentTable, usize) -> bool + 'a>;

/// Runs analyses over one data version.
pub struct Analyzer {
    table: Arc<IncidentTable>,
    categories: Categories,
    tz: Tz,
    study: Vec<MultiPolygon<f64>>,
    study_layer: Option<String>,
    grids: Mutex<BTreeMap<u8, Arc<StudyGrid>>>,
    hex_weights: Mutex<BTreeMap<(u8, u32), Arc<Weights>>>,
}

impl Analyzer {
    /// An analyzer over `table`. The study area is the union of the areas of `study_layer`,
    /// or, when `None`, of the layer with the smallest bounding box (the municipality rather
    /// than the county it lies in).
    pub fn new(
        table: Arc<IncidentTable>,
        categories: Categories,
        tz: Tz,
        study_layer: Option<&str>,
    ) -> Result<Analyzer, AnalysisError> {
        let bbox_area = |l: &super::table::TableLayer| {
            let mut lo = (f64::INFINITY, f64::INFINITY);
            let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
            for a in &l.areas {
                if let Some(r) = a.geometry.bounding_rect() {
                    lo = (lo.0.min(r.min().x), lo.1.min(r.min().y));
                    hi = (hi.0.max(r.max().x), hi.1.max(r.max().y));
                }
            }
            (hi.0 - lo.0) * (hi.1 - lo.1)
        };
        let layer = match study_layer {
            Some(name) => Some(table.layer(name).map(|(_, l)| l).ok_or_else(|| {
                AnalysisError::Invalid(format!(
                    "study area layer {name:?} is not loaded; loaded layers: {}",
                    table
                        .layers
                        .iter()
                        .map(|l| l.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?),
            None => table
                .layers
                .iter()
                .filter(|l| !l.areas.is_empty())
                .min_by(|a, b| {
                    bbox_area(a)
                        .partial_cmp(&bbox_area(b))
                        .unwrap_or(std::cmp::Ordering::Equal)
                }),
        };
        let study = layer
            .map(|l| l.areas.iter().map(|a| a.geometry.clone()).collect())
            .unwrap_or_default();
        Ok(Analyzer {
            study_layer: layer.map(|l| l.name.clone()),
            table,
            categories,
            tz,
            study,
            grids: Mutex::new(BTreeMap::new()),
            hex_weights: Mutex::new(BTreeMap::new()),
        })
    }

    /// The table analysed.
    pub fn table(&self) -> &IncidentTable {
        &self.table
    }

    /// The layer used as the study area.
    pub fn study_layer(&self) -> Option<&str> {
        self.study_layer.as_deref()
    }

    /// The time zone of window boundaries.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The category catalogue.
    pub fn categories(&self) -> &Categories {
        &self.categories
    }

    /// The study grid at `res`, built once.
    pub fn grid(&self, res: Resolution) -> Result<Arc<StudyGrid>, AnalysisError> {
        let key = u8::from(res);
        if let Some(g) = lock(&self.grids).get(&key) {
            return Ok(g.clone());
        }
        let grid = Arc::new(StudyGrid::cover(&self.study, res)?);
        lock(&self.grids).insert(key, grid.clone());
        Ok(grid)
    }

    fn ring_weights(&self, grid: &StudyGrid, k: u32) -> Arc<Weights> {
        let key = (u8::from(grid.resolution()), k);
        if let Some(w) = lock(&self.hex_weights).get(&key) {
            return w.clone();
        }
        let w = Arc::new(Weights::h3_disk(grid.cells(), k));
        lock(&self.hex_weights).insert(key, w.clone());
        w
    }

    pub(crate) fn provenance(
        &self,
        window: &TimeWindow,
        filter: &IncidentFilter,
        as_of: DateTime<Utc>,
    ) -> Provenance {
        let (from, to) = window.bounds(self.tz);
        let progress = window.progress(as_of, self.tz);
        Provenance {
            window: window.to_string(),
            from: rfc3339(from),
            to: rfc3339(to),
            timezone: self.tz.name().to_owned(),
            complete: progress.complete,
            elapsed_days: progress.elapsed_days,
            filter: filter.to_string(),
            resolution: None,
            weights: String::new(),
            k: None,
            alpha: 0.05,
            fdr: true,
            baseline_windows: 0,
            emerging_weeks: 0,
            seed: None,
            data_version: self.table.data_version,
            software: concat!("lagesbild ", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// Hotspots on the hex grid of the study area.
    pub fn hexes(&self, q: &HexQuery) -> Result<HexHotspots, AnalysisError> {
        let table = &*self.table;
        let mask = row_mask(table, &q.filter);
        let (from, to) = q.window.bounds(self.tz);
        let mut warnings = Vec::new();
        if table.resolutions.is_empty() {
            return Err(AnalysisError::Invalid(
                "no incidents are stored yet, so no H3 cells either; ingest incidents first".into(),
            ));
        }
        if let Some(k) = q.k
            && !(1..=scale::MAX_K * 2).contains(&k)
        {
            return Err(AnalysisError::Invalid(format!(
                "k must be 1..={}, not {k}",
                scale::MAX_K * 2
            )));
        }

        // Scale: resolution first (it fixes the grid), then k.
        let in_window: Vec<(Wgs84, f64)> = (0..table.len())
            .filter(|&i| mask[i])
            .filter_map(|i| {
                let (at, until) = table.span(i);
                let w = overlap_weight(at, until, from, to);
                (w > 0.0).then_some((table.location[i], w))
            })
            .collect();
        let weight_sum: f64 = in_window.iter().map(|(_, w)| w).sum();
        let (resolution, median_nn_m, mean_per_cell) =
            match q.resolution {
                Some(r) => {
                    if table.resolution_index(r).is_none() {
                        return Err(AnalysisError::Invalid(format!(
                            "resolution {r} is not stored; stored resolutions: {}",
                            table
                                .resolutions
                                .iter()
                                .map(|r| u8::from(*r).to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    let cells = self.grid(r)?.len().max(1);
                    (r, None, weight_sum / cells as f64)
                }
                None => {
                    let points: Vec<Wgs84> = in_window.iter().map(|(p, _)| *p).collect();
                    let nn = scale::median_nearest_neighbour_m(&points);
                    let mut failure = None;
                    let chosen =
                        scale::choose_resolution(&table.resolutions, weight_sum, nn, &mut |r| {
                            match self.grid(r) {
                                Ok(g) => g.len(),
                                Err(e) => {
                                    failure.get_or_insert(e);
                                    usize::MAX
                                }
                            }
                        });
                    let Some((r, mean)) = chosen else {
                        return Err(AnalysisError::Invalid(
                            "no H3 resolution to choose from".into(),
                        ));
                    };
                    if let Some(e) = failure
                        && self.grid(r).is_err()
                    {
                        return Err(e);
                    }
                    (r, nn, mean)
                }
            };
        let grid = self.grid(resolution)?;
        let res_index = table.resolution_index(resolution).ok_or_else(|| {
            AnalysisError::Invalid(format!("resolution {resolution} is not stored"))
        })?;
        let units = Units::Cells {
            res_index,
            grid: &grid,
        };
        let agg = aggregate(
            table,
            units,
            None,
            &mask,
            &q.window,
            self.tz,
            &AggregateOptions {
                baseline_windows: q.baseline_windows,
                alpha: q.alpha,
                as_of: Some(q.as_of),
            },
        )?;
        let counts: Vec<f64> = agg.units.iter().map(|u| u.count).collect();
        let (k, moran_z_by_k, automatic) = match q.k {
            Some(k) => (k, Vec::new(), q.resolution.is_none()),
            None => {
                let (k, zs) =
                    scale::choose_k(&counts, &mut |k| (*self.ring_weights(&grid, k)).clone());
                (k, zs, true)
            }
        };
        let w = self.ring_weights(&grid, k);
        let gi = gi_star_or_warn(&counts, &w, q.fdr, &mut warnings);
        let emerging = if q.emerging_weeks >= 2 {
            match self.emerging(
                &grid,
                res_index,
                &w,
                &mask,
                &q.window,
                q.emerging_weeks,
                q.alpha,
                q.as_of,
            ) {
                Ok(classes) => Some(classes),
                Err(e) => {
                    warnings.push(format!("emerging hotspots were not computed: {e}"));
                    None
                }
            }
        } else {
            None
        };
        let cells = grid
            .cells()
            .iter()
            .zip(agg.units)
            .enumerate()
            .map(|(i, (cell, aggregate))| HexResult {
                cell: cell.to_string(),
                aggregate,
                gi_z: gi.as_ref().map(|g| g.z[i]),
                gi_p: gi.as_ref().map(|g| g.p[i]),
                gi_bin: gi.as_ref().map_or(0, |g| g.bin[i]),
                emerging: emerging.as_ref().map(|e| e[i]),
            })
            .collect();
        let mut parameters = self.provenance(&q.window, &q.filter, q.as_of);
        parameters.resolution = Some(u8::from(resolution));
        parameters.k = Some(k);
        parameters.weights = format!("binary H3 rings (grid_disk k = {k}), self-weight 1 (Gi*)");
        parameters.alpha = q.alpha;
        parameters.fdr = q.fdr;
        parameters.baseline_windows = q.baseline_windows;
        parameters.emerging_weeks = q.emerging_weeks;
        Ok(HexHotspots {
            parameters,
            scale: ScaleChoice {
                resolution: u8::from(resolution),
                k,
                automatic,
                median_nn_m,
                mean_per_cell,
                moran_z_by_k,
                rule: scale::RULE,
            },
            cells,
            total: agg.total,
            warnings,
        })
    }

    /// Local Moran's I of the cell counts, on the same grid and ring size as
    /// [`Analyzer::hexes`] would use for `q` (row-standardised ring weights).
    pub fn hex_lisa(&self, q: &HexQuery, opts: &LisaOptions) -> Result<HexLisa, AnalysisError> {
        let base = self.hexes(&HexQuery {
            emerging_weeks: 0,
            ..q.clone()
        })?;
        let res = Resolution::try_from(base.scale.resolution)
            .map_err(|e| AnalysisError::Invalid(e.to_string()))?;
        let grid = self.grid(res)?;
        let w = self.ring_weights(&grid, base.scale.k);
        let counts: Vec<f64> = base.cells.iter().map(|c| c.aggregate.count).collect();
        let l = lisa(&counts, &w, opts)?;
        let cells = base
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| HexLisaCell {
                cell: c.cell.clone(),
                count: c.aggregate.count,
                i: l.i[i],
                z: l.z[i],
                lag: l.lag[i],
                quadrant: l.quadrant[i],
                p_sim: l.p_sim[i],
                significant: l.significant[i],
            })
            .collect();
        let mut parameters = base.parameters;
        parameters.weights = format!(
            "H3 rings (grid_disk k = {}), row-standardised; {} conditional permutations",
            base.scale.k, l.permutations
        );
        parameters.alpha = opts.alpha;
        parameters.emerging_weeks = 0;
        parameters.seed = Some(l.seed);
        Ok(HexLisa { parameters, cells })
    }

    /// The emerging-hotspot class of every grid cell over the `weeks` ISO weeks that end with
    /// `window`'s last week: Gi* (no FDR, as each step is one of many) per week, then the
    /// classification.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal helper; every argument is a distinct input"
    )]
    fn emerging(
        &self,
        grid: &StudyGrid,
        res_index: usize,
        w: &Weights,
        mask: &[bool],
        window: &TimeWindow,
        weeks: usize,
        alpha: f64,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<EmergingClass>, AnalysisError> {
        // A running window's cube ends with the week that holds `as_of`: weeks that have
        // not happened are not counted as empty (which would fake "former" hotspots).
        let (from, to) = window.bounds(self.tz);
        let end = to.min(as_of.max(from + chrono::Duration::seconds(1)));
        let last = TimeWindow::containing(
            end - chrono::Duration::seconds(1),
            super::window::WindowKind::IsoWeek,
            self.tz,
        );
        let mut steps = last.previous_n(weeks - 1);
        steps.reverse();
        steps.push(last);
        let edges: Vec<i64> = steps
            .iter()
            .map(|s| s.bounds(self.tz).0.timestamp())
            .chain(std::iter::once(
                steps[steps.len() - 1].bounds(self.tz).1.timestamp(),
            ))
            .collect();
        let units = Units::Cells { res_index, grid };
        let n = grid.len();
        let cube = cube_counts(&self.table, units, mask, &edges);
        let (mut cube_z, mut cube_p) = (vec![0.0; n * weeks], vec![1.0; n * weeks]);
        let opts = GiStarOptions {
            fdr: false,
            ..GiStarOptions::default()
        };
        for t in 0..weeks {
            let values: Vec<f64> = (0..n).map(|l| cube[l * weeks + t]).collect();
            // A week with no variation (e.g. nothing reported) is "no hotspot anywhere".
            if let Ok(GiStar { z, p, .. }) = gi_star(&values, w, &opts) {
                for l in 0..n {
                    cube_z[l * weeks + t] = z[l];
                    cube_p[l * weeks + t] = p[l];
                }
            }
        }
        let classes = classify_all(
            &cube_z,
            &cube_p,
            n,
            weeks,
            &EmergingOptions {
                alpha,
                ..EmergingOptions::default()
            },
        )?;
        Ok(classes.into_iter().map(|(c, _)| c).collect())
    }

    /// Hotspots per area of a layer.
    pub fn areas(&self, q: &AreaQuery) -> Result<AreaHotspots, AnalysisError> {
        let table = &*self.table;
        let (layer_index, layer) = table.layer(&q.layer).ok_or_else(|| {
            AnalysisError::Invalid(format!(
                "unknown layer {:?}; loaded layers: {}",
                q.layer,
                table
                    .layers
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let mask = row_mask(table, &q.filter);
        let populations: Vec<Option<u64>> = layer.areas.iter().map(|a| a.population).collect();
        let agg: Aggregates = aggregate(
            table,
            Units::Areas { layer: layer_index },
            Some(&populations),
            &mask,
            &q.window,
            self.tz,
            &AggregateOptions {
                baseline_windows: q.baseline_windows,
                alpha: q.alpha,
                as_of: Some(q.as_of),
            },
        )?;
        let counts: Vec<f64> = agg.units.iter().map(|u| u.count).collect();
        let geometries: Vec<MultiPolygon<f64>> =
            layer.areas.iter().map(|a| a.geometry.clone()).collect();
        let (w, weights_text) = match q.weights {
            AreaWeights::Queen => (
                Weights::queen(&geometries),
                "binary queen contiguity, self-weight 1 (Gi*)".to_owned(),
            ),
            AreaWeights::DistanceBand(m) => {
                let pts = representative_points_m(&geometries);
                (
                    Weights::distance_band(&pts, m),
                    format!(
                        "binary distance band {m} m between area centroids, self-weight 1 (Gi*)"
                    ),
                )
            }
        };
        let mut warnings = Vec::new();
        let gi = gi_star_or_warn(&counts, &w, q.fdr, &mut warnings);
        let (tests, method) = area_significance_or_warn(layer, &counts, q.fdr, &mut warnings);
        let areas = layer
            .areas
            .iter()
            .zip(agg.units)
            .enumerate()
            .map(|(i, (a, aggregate))| AreaResult {
                id: a.id.clone(),
                name: a.name.clone(),
                population: a.population,
                parent: a.parent.clone(),
                aggregate,
                gi_z: gi.as_ref().map(|g| g.z[i]),
                gi_p: gi.as_ref().map(|g| g.p[i]),
                gi_bin: gi.as_ref().map_or(0, |g| g.bin[i]),
                significance: tests
                    .as_ref()
                    .map_or("none", |t| area_significance::bin_name(t[i].bin)),
                significance_method: method.clone(),
                significance_p: tests.as_ref().map(|t| t[i].p),
                rate_ratio_rest: tests.as_ref().and_then(|t| t[i].rate_ratio),
            })
            .collect();
        let mut parameters = self.provenance(&q.window, &q.filter, q.as_of);
        parameters.weights = weights_text;
        parameters.alpha = q.alpha;
        parameters.fdr = q.fdr;
        parameters.baseline_windows = q.baseline_windows;
        Ok(AreaHotspots {
            parameters,
            layer: q.layer.clone(),
            areas,
            total: agg.total,
            warnings,
        })
    }

    /// Counts per ISO week from `from`'s week to `to`'s week for one unit.
    pub fn weekly_series(
        &self,
        unit: &SeriesUnit,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &IncidentFilter,
    ) -> Result<TimeSeries, AnalysisError> {
        if to <= from {
            return Err(AnalysisError::Invalid(
                "the series must end after it starts".into(),
            ));
        }
        let weeks = TimeWindow::weeks(from, to, self.tz);
        if weeks.is_empty() || weeks.len() > 2000 {
            return Err(AnalysisError::Invalid(format!(
                "a series of {} weeks is not supported (1..=2000)",
                weeks.len()
            )));
        }
        let table = &*self.table;
        let unit_ok = self.unit_predicate(unit)?;
        let mask: Vec<bool> = row_mask(table, filter)
            .into_iter()
            .enumerate()
            .map(|(i, m)| m && unit_ok(table, i))
            .collect();
        let edges: Vec<i64> = weeks
            .iter()
            .map(|w| w.bounds(self.tz).0.timestamp())
            .chain(weeks.last().map(|w| w.bounds(self.tz).1.timestamp()))
            .collect();
        let counts = cube_counts_single(table, &mask, &edges);
        let range = TimeWindow::Custom {
            from: weeks[0].bounds(self.tz).0,
            to: weeks[weeks.len() - 1].bounds(self.tz).1,
        };
        Ok(TimeSeries {
            parameters: self.provenance(&range, filter, current_hour()),
            points: weeks.iter().map(|w| w.to_string()).zip(counts).collect(),
        })
    }

    /// The hour-by-weekday pattern (Monday first, local hours) of the incidents in a window,
    /// optionally only those in one area or cell.
    pub fn hour_weekday(
        &self,
        window: &TimeWindow,
        filter: &IncidentFilter,
        unit: &SeriesUnit,
    ) -> Result<[[f64; 24]; 7], AnalysisError> {
        let table = &*self.table;
        let mask = row_mask(table, filter);
        let (from, to) = window.bounds(self.tz);
        let unit_ok = self.unit_predicate(unit)?;
        let mut out = [[0.0; 24]; 7];
        for i in selected(&mask) {
            if !unit_ok(table, i) {
                continue;
            }
            let (at, until) = table.span(i);
            let w = overlap_weight(at, until, from, to);
            if w <= 0.0 {
                continue;
            }
            let bins = hour_weekday_weights(at, until, self.tz);
            for (d, row) in bins.iter().enumerate() {
                for (h, v) in row.iter().enumerate() {
                    out[d][h] += w * v;
                }
            }
        }
        Ok(out)
    }

    /// Aoristic counts per category (in the table's category order, codes given) of the
    /// incidents in a window, optionally only those in one area or cell. Categories with no
    /// incidents are included with zero, so the list is the same for every unit.
    pub fn category_counts(
        &self,
        window: &TimeWindow,
        filter: &IncidentFilter,
        unit: &SeriesUnit,
    ) -> Result<Vec<(String, f64)>, AnalysisError> {
        let table = &*self.table;
        let mask = row_mask(table, filter);
        let (from, to) = window.bounds(self.tz);
        let unit_ok = self.unit_predicate(unit)?;
        let mut counts = vec![0.0; table.category_codes.len()];
        for i in selected(&mask) {
            if !unit_ok(table, i) {
                continue;
            }
            let (at, until) = table.span(i);
            let w = overlap_weight(at, until, from, to);
            if w > 0.0 {
                counts[table.category[i] as usize] += w;
            }
        }
        Ok(table.category_codes.iter().cloned().zip(counts).collect())
    }

    fn unit_predicate(&self, unit: &SeriesUnit) -> Result<RowPredicate<'_>, AnalysisError> {
        let table = &*self.table;
        Ok(match unit {
            SeriesUnit::All => Box::new(|_, _| true),
            SeriesUnit::Area { layer, id } => {
                let (li, l) = table
                    .layer(layer)
                    .ok_or_else(|| AnalysisError::Invalid(format!("unknown layer {layer:?}")))?;
                let pos = l.areas.iter().position(|a| &a.id == id).ok_or_else(|| {
                    AnalysisError::Invalid(format!("layer {layer} has no area {id:?}"))
                })? as u32;
                Box::new(move |t, i| t.area[li][i] == pos)
            }
            SeriesUnit::Cell(cell) => {
                let cell = *cell;
                let r = table.resolution_index(cell.resolution()).ok_or_else(|| {
                    AnalysisError::Invalid(format!(
                        "cells of resolution {} are not stored",
                        cell.resolution()
                    ))
                })?;
                Box::new(move |t, i| t.cell(i, r) == cell)
            }
        })
    }

    /// The quartic KDE surface of a window over the study area's extent.
    pub fn kde(
        &self,
        window: &TimeWindow,
        filter: &IncidentFilter,
        opts: &KdeOptions,
    ) -> Result<(Provenance, KdeGrid), AnalysisError> {
        let table = &*self.table;
        let mask = row_mask(table, filter);
        let (from, to) = window.bounds(self.tz);
        let points: Vec<(Wgs84, f64)> = (0..table.len())
            .filter(|&i| mask[i])
            .filter_map(|i| {
                let (at, until) = table.span(i);
                let w = overlap_weight(at, until, from, to);
                (w > 0.0).then_some((table.location[i], w))
            })
            .collect();
        let extent = self
            .study
            .iter()
            .filter_map(|g| g.bounding_rect())
            .reduce(|a, b| {
                geo::Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            })
            .ok_or_else(|| {
                AnalysisError::Invalid("no study area loaded for the KDE extent".into())
            })?;
        let grid = quartic_kde(
            &points,
            (
                Wgs84 {
                    lon: extent.min().x,
                    lat: extent.min().y,
                },
                Wgs84 {
                    lon: extent.max().x,
                    lat: extent.max().y,
                },
            ),
            opts,
        )?;
        let mut p = self.provenance(window, filter, current_hour());
        p.weights = format!(
            "quartic kernel, bandwidth {:.0} m, cell {:.0} m",
            grid.bandwidth_m, grid.cell_m
        );
        Ok((p, grid))
    }
}

/// Gi* with the default minimum of units; a refusal (too few units, zero variance) becomes
/// a warning for the user, and Gi*'s own warnings (islands) are passed on.
fn gi_star_or_warn(
    counts: &[f64],
    w: &Weights,
    fdr: bool,
    warnings: &mut Vec<String>,
) -> Option<GiStar> {
    match gi_star(
        counts,
        w,
        &GiStarOptions {
            fdr,
            ..GiStarOptions::default()
        },
    ) {
        Ok(gi) => {
            warnings.extend(gi.warnings.iter().cloned());
            Some(gi)
        }
        Err(e) => {
            warnings.push(format!("Gi* was not computed: {e}"));
            None
        }
    }
}

/// The exact rate test of each area against the rest ([`area_significance`]): per resident
/// when every area has residents, else per km² of land. A refusal becomes a warning.
fn area_significance_or_warn(
    layer: &super::table::TableLayer,
    counts: &[f64],
    fdr: bool,
    warnings: &mut Vec<String>,
) -> (Option<Vec<area_significance::AreaTest>>, String) {
    use geo::GeodesicArea;
    let residents: Option<Vec<f64>> = layer
        .areas
        .iter()
        .map(|a| a.population.filter(|p| *p > 0).map(|p| p as f64))
        .collect();
    let (exposure, kind) = match residents {
        Some(r) => (r, area_significance::Exposure::Residents),
        None => (
            layer
                .areas
                .iter()
                .map(|a| a.geometry.geodesic_area_unsigned() / 1e6)
                .collect(),
            area_significance::Exposure::LandArea,
        ),
    };
    let method = area_significance::method_name(kind, fdr);
    match area_significance::area_tests(counts, &exposure, fdr) {
        Ok(t) => (Some(t), method),
        Err(e) => {
            warnings.push(format!("The area significance was not computed: {e}"));
            (None, method)
        }
    }
}

/// Counts per unit per step, location-major (`unit * steps + step`), for steps bounded by
/// `edges` (Unix seconds, ascending, `steps + 1` of them), with aoristic weights.
pub fn cube_counts(
    table: &IncidentTable,
    units: Units<'_>,
    mask: &[bool],
    edges: &[i64],
) -> Vec<f64> {
    let steps = edges.len().saturating_sub(1);
    let n = units.len(table);
    let mut cube = vec![0.0; n * steps];
    if steps == 0 {
        return cube;
    }
    for i in selected(mask) {
        let Some(u) = units.unit_of(table, i) else {
            continue;
        };
        spread(table, i, edges, |s, w| cube[u * steps + s] += w);
    }
    cube
}

/// The rows a mask keeps.
fn selected(mask: &[bool]) -> impl Iterator<Item = usize> + '_ {
    mask.iter()
        .enumerate()
        .filter(|(_, keep)| **keep)
        .map(|(i, _)| i)
}

fn cube_counts_single(table: &IncidentTable, mask: &[bool], edges: &[i64]) -> Vec<f64> {
    let steps = edges.len().saturating_sub(1);
    let mut out = vec![0.0; steps];
    for i in selected(mask) {
        spread(table, i, edges, |s, w| out[s] += w);
    }
    out
}

/// Calls `add(step, weight)` for each step row `i` overlaps, with its aoristic weight.
fn spread(table: &IncidentTable, i: usize, edges: &[i64], mut add: impl FnMut(usize, f64)) {
    let steps = edges.len() - 1;
    let (start, end) = (table.start[i], table.end[i]);
    if end < edges[0] || start >= edges[steps] {
        return;
    }
    let first = edges.partition_point(|e| *e <= start).saturating_sub(1);
    if start == end {
        if start >= edges[0] {
            add(first, 1.0);
        }
        return;
    }
    let (at, until) = table.span(i);
    let mut s = first;
    while s < steps && edges[s] <= end {
        let from = DateTime::from_timestamp(edges[s], 0).unwrap_or_default();
        let to = DateTime::from_timestamp(edges[s + 1], 0).unwrap_or_default();
        let w = overlap_weight(at, until, from, to);
        if w > 0.0 {
            add(s, w);
        }
        s += 1;
    }
}

/// Area centroids (or interior points) in local metres, for distance-band weights.
fn representative_points_m(areas: &[MultiPolygon<f64>]) -> Vec<(f64, f64)> {
    use geo::InteriorPoint;
    let pts: Vec<(f64, f64)> = areas
        .iter()
        .map(|g| g.interior_point().map_or((0.0, 0.0), |p| (p.x(), p.y())))
        .collect();
    let mean_lat = pts.iter().map(|p| p.1).sum::<f64>() / pts.len().max(1) as f64;
    let kx = 111_320.0 * mean_lat.to_radians().cos();
    pts.iter().map(|(x, y)| (x * kx, y * 110_574.0)).collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
