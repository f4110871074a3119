//! Aggregates per area or per hex cell for a time window: count, share, rate per 1,000
//! residents, harm-weighted score, and change against the previous window, a baseline and
//! the same window last year, with an exact Poisson test for rises.
//!
//! Parameters: an [`IncidentTable`], the units ([`Units`]), a row filter, a window and the
//! time zone. Returns: one [`UnitAggregate`] per unit, in unit order.
//!
//! Algorithm: every incident contributes its aoristic weight for the window
//! ([`super::aoristic::overlap_weight`]): 1 for an exact time inside the window, the share of
//! its time span inside the window otherwise. So counts are sums of weights and may be
//! fractional. The harm score sums weight × the category's harm weight. The baseline is the
//! mean count of the `baseline_windows` windows of the same kind just before (N = 8 by
//! default). A rise is flagged when the exact one-sided Poisson test of the window's count
//! (rounded to a whole number) against the baseline mean gives p < alpha; with a zero
//! baseline the expected count is taken as 1/(2N) (half an incident over the N baseline
//! windows), so a cell that goes from nothing to several incidents can still be flagged.
//! Many units are tested at once; reports say so (see `report`).

use rayon::prelude::*;
use serde::Serialize;

use super::AnalysisError;
use super::aoristic::overlap_weight;
use super::filter::IncidentFilter;
use super::grid::StudyGrid;
use super::poisson::poisson_rise;
use super::table::{IncidentTable, NO_AREA};
use super::window::TimeWindow;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The units incidents are counted in.
#[derive(Debug, Clone, Copy)]
pub enum Units<'a> {
    /// The areas of layer `layer` (index into [`IncidentTable::layers`]).
    Areas {
        /// The layer's position.
        layer: usize,
    },
    /// The cells of a study grid; `res_index` is the grid's resolution among the table's.
    Cells {
        /// The grid's resolution's position in [`IncidentTable::resolutions`].
        res_index: usize,
        /// The grid.
        grid: &'a StudyGrid,
    },
}

impl Units<'_> {
    /// Number of units.
    pub fn len(&self, table: &IncidentTable) -> usize {
        match self {
            Units::Areas { layer } => table.layers[*layer].areas.len(),
            Units::Cells { grid, .. } => grid.len(),
        }
    }

    /// True when there are no units.
    pub fn is_empty(&self, table: &IncidentTable) -> bool {
        self.len(table) == 0
    }

    /// The unit row `i` falls in.
    pub fn unit_of(&self, table: &IncidentTable, i: usize) -> Option<usize> {
        match self {
            Units::Areas { layer } => {
                let a = table.area[*layer][i];
                (a != NO_AREA).then_some(a as usize)
            }
            Units::Cells { res_index, grid } => grid.position(table.cell(i, *res_index)),
        }
    }
}

/// Which rows a filter keeps.
pub fn row_mask(table: &IncidentTable, filter: &IncidentFilter) -> Vec<bool> {
    let cat_ok: Vec<bool> = table
        .category_codes
        .iter()
        .zip(&table.category_group)
        .map(|(code, group)| {
            filter.categories.as_ref().is_none_or(|s| s.contains(code))
                && filter
                    .groups
                    .as_ref()
                    .is_none_or(|s| group.is_some_and(|g| s.contains(&g)))
        })
        .collect();
    let partner_ok: Vec<bool> = table
        .partner_codes
        .iter()
        .map(|p| filter.partners.as_ref().is_none_or(|s| s.contains(p)))
        .collect();
    (0..table.len())
        .map(|i| cat_ok[table.category[i] as usize] && partner_ok[table.partner[i] as usize])
        .collect()
}

/// Weighted counts and harm per unit for one time range.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTotals {
    /// Aoristic count per unit.
    pub count: Vec<f64>,
    /// Harm-weighted score per unit.
    pub harm: Vec<f64>,
}

/// Counts and harm per unit for `[from, to)`.
pub fn range_totals(
    table: &IncidentTable,
    units: Units<'_>,
    mask: &[bool],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> RangeTotals {
    let n = units.len(table);
    let (lo, hi) = (from.timestamp(), to.timestamp());
    let mut count = vec![0.0; n];
    let mut harm = vec![0.0; n];
    for (i, _) in mask.iter().enumerate().filter(|(_, keep)| **keep) {
        if table.end[i] < lo || table.start[i] >= hi {
            continue;
        }
        let Some(u) = units.unit_of(table, i) else {
            continue;
        };
        let (at, until) = table.span(i);
        let w = overlap_weight(at, until, from, to);
        if w > 0.0 {
            count[u] += w;
            harm[u] += w * table.category_harm[table.category[i] as usize];
        }
    }
    RangeTotals { count, harm }
}

/// Options for [`aggregate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AggregateOptions {
    /// Number of previous windows whose mean is the baseline.
    pub baseline_windows: usize,
    /// Significance level of the Poisson rise test.
    pub alpha: f64,
    /// The present, for a period in progress: when the window has not ended at `as_of`,
    /// every comparison window is cut to the same number of local days that have begun
    /// (to-date against to-date; see [`TimeWindow::progress`]). `None`: whole windows.
    pub as_of: Option<DateTime<Utc>>,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            baseline_windows: 8,
            alpha: 0.05,
            as_of: None,
        }
    }
}

/// The aggregate of one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitAggregate {
    /// Aoristic count in the window.
    pub count: f64,
    /// Share of all counted incidents in the window (0..=1).
    pub share: f64,
    /// Count per 1,000 residents, for units with a population.
    pub rate_per_1000: Option<f64>,
    /// Harm-weighted score.
    pub harm: f64,
    /// Count in the previous window.
    pub previous: f64,
    /// Mean count of the baseline windows.
    pub baseline_mean: f64,
    /// Count in the same window last year.
    pub last_year: f64,
    /// `count - previous`.
    pub change_vs_previous: f64,
    /// `count - baseline_mean`.
    pub change_vs_baseline: f64,
    /// `count - last_year`.
    pub change_vs_last_year: f64,
    /// One-sided p of the exact Poisson test of the count against the baseline.
    pub rise_p: f64,
    /// True when the count is above the baseline with `rise_p < alpha`.
    pub rise: bool,
}

/// Aggregates for every unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    /// Per unit, in unit order.
    pub units: Vec<UnitAggregate>,
    /// Total count over all units in the window.
    pub total: f64,
    /// The baseline windows used, most recent first.
    pub baseline: Vec<TimeWindow>,
    /// The options used.
    pub options: AggregateOptions,
}

/// The rise test of [`aggregate`] for one count: the one-sided exact Poisson p of the
/// rounded `count` against `baseline_mean` over `baseline_windows` windows (expected
/// `1/(2N)` when the baseline is zero), and whether it is a significant rise
/// (`count > baseline_mean` and `p < alpha`).
///
/// # Example
/// ```
/// use lagesbild::analysis::counts::rise_test;
/// let (p, rise) = rise_test(9.0, 3.0, 8, 0.05);
/// assert!(rise && p < 0.01);
/// assert_eq!(rise_test(2.0, 3.0, 8, 0.05).1, false);
/// ```
pub fn rise_test(
    count: f64,
    baseline_mean: f64,
    baseline_windows: usize,
    alpha: f64,
) -> (f64, bool) {
    let expected = if baseline_mean > 0.0 {
        baseline_mean
    } else {
        0.5 / baseline_windows.max(1) as f64
    };
    let observed = count.round().max(0.0) as u64;
    let p = poisson_rise(observed, expected).map_or(1.0, |t| t.p_upper);
    (p, count > baseline_mean && p < alpha)
}

/// Computes [`Aggregates`] for `window`. `populations` gives residents per unit (areas).
pub fn aggregate(
    table: &IncidentTable,
    units: Units<'_>,
    populations: Option<&[Option<u64>]>,
    mask: &[bool],
    window: &TimeWindow,
    tz: Tz,
    opts: &AggregateOptions,
) -> Result<Aggregates, AnalysisError> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(AnalysisError::Invalid(format!(
            "alpha must lie between 0 and 1, not {}",
            opts.alpha
        )));
    }
    if opts.baseline_windows == 0 {
        return Err(AnalysisError::Invalid(
            "the baseline needs at least one window".into(),
        ));
    }
    let running = opts
        .as_of
        .map(|t| window.progress(t, tz))
        .filter(|p| !p.complete);
    let bounds = |w: &TimeWindow| match running {
        Some(p) => w.first_days(p.elapsed_days, tz).bounds(tz),
        None => w.bounds(tz),
    };
    let baseline = window.previous_n(opts.baseline_windows);
    let mut ranges = vec![
        bounds(window),
        bounds(&window.previous()),
        bounds(&window.same_last_year()),
    ];
    ranges.extend(baseline.iter().map(bounds));
    let totals: Vec<RangeTotals> = ranges
        .par_iter()
        .map(|(from, to)| range_totals(table, units, mask, *from, *to))
        .collect();
    let (current, rest) = totals
        .split_first()
        .ok_or_else(|| AnalysisError::Invalid("no window".into()))?;
    let (previous, last_year, base) = (&rest[0], &rest[1], &rest[2..]);
    let total: f64 = current.count.iter().sum();
    let n_base = base.len() as f64;
    let units_out = (0..units.len(table))
        .map(|u| {
            let count = current.count[u];
            let baseline_mean = base.iter().map(|b| b.count[u]).sum::<f64>() / n_base;
            let (rise_p, rise) = rise_test(count, baseline_mean, base.len(), opts.alpha);
            UnitAggregate {
                count,
                share: if total > 0.0 { count / total } else { 0.0 },
                rate_per_1000: populations
                    .and_then(|p| p.get(u).copied().flatten())
                    .filter(|p| *p > 0)
                    .map(|p| count * 1000.0 / p as f64),
                harm: current.harm[u],
                previous: previous.count[u],
                baseline_mean,
                last_year: last_year.count[u],
                change_vs_previous: count - previous.count[u],
                change_vs_baseline: count - baseline_mean,
                change_vs_last_year: count - last_year.count[u],
                rise_p,
                rise,
            }
        })
        .collect();
    Ok(Aggregates {
        units: units_out,
        total,
        baseline,
        options: *opts,
    })
}
