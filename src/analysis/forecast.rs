//! Next-week hotspot forecast per H3 cell, with a rolling back-test that says how far to
//! trust it.
//!
//! # The forecast
//! For week `W` and each cell `c` of the study grid, using only incidents before `W`:
//!
//! ```text
//! forecast(c) = ewma(c) + β · boost(c)
//! ewma(c)     = Σ_{a≥1} (1−λ) λ^(a−1) · n(c, W−a) / (1 − λ^A)    (λ = 2^(−1/half-life))
//! boost(c)    = Σ_{a=1..T} Σ_{c' : d(c', c) ≤ D} n(c', W−a) · 1/(1 + k(c', c)) · 1/a
//! ```
//!
//! `n(c, w)` is the number of incidents that started in cell `c` in week `w`, `A` the
//! number of weeks of data before `W` (the division makes the weights sum to 1, so `ewma`
//! is a weighted mean of weekly counts), `d` the distance between cell centres, `k` the
//! grid distance in H3 rings. The boost is the prospective-hotspot weighting of Bowers,
//! Johnson & Pease (2004), "Prospective hot-spotting: the future of crime mapping?",
//! *British Journal of Criminology* 44(5), 641–658: after a burglary the risk is raised
//! within about 400 m (`D`) for one to two months (`T` weeks), falling with distance and
//! time, each incident weighted `1/(1 + distance in cells) · 1/(1 + weeks since)`. `β`
//! turns the boost into extra expected incidents: it is the least-squares fit of
//! `n(c, w) − ewma(c, w)` on `boost(c, w)` over all earlier weeks (never the weeks
//! predicted), clipped at 0. The forecast is thus an expected count for the week.
//!
//! # Baselines
//! - `last_period`: the counts of week `W−1`.
//! - `kde`: the quartic kernel density ([`super::kde`]; Chainey, Tompson & Uhlig 2008) of
//!   the incidents of the last `kde_weeks` weeks, on a `kde_cell_m` grid with the default
//!   bandwidth rule, read at each cell's centre and turned into a weekly count (density ×
//!   cell area ÷ weeks).
//!
//! # The back-test
//! For each of the `backtest_weeks` weeks before `W`, every method is fitted on the data
//! before that week and its top cells are compared with what happened in it. For a
//! coverage `p` (1, 2, 5, 10 % of the cells, at least one cell), with `N` the week's
//! incidents in the grid, `n` those in the selected cells, `a/A` the selected share of the
//! grid's area, `n*` the most incidents any selection of as many cells held, `N₀` and `n₀`
//! the same for the week before:
//!
//! ```text
//! hit rate = n / N
//! PAI      = (n / N) / (a / A)            Chainey, Tompson & Uhlig (2008), Security Journal 21, 4–28
//! PEI      = PAI / PAI* = n / n*          Hunt (2016), "Do crime hot spots move?", PhD thesis, American University
//! RRI      = (n / n₀) / (N / N₀)          Levine (2008), Security Journal 21, 295–302
//! ```
//!
//! Weekly values are pooled over the back-test (sums of `n`, `N`, `n*`, `n₀`, `N₀`, and
//! the mean area share), which is steadier than averaging weekly ratios when weeks have
//! few incidents. Cells tied at the selection threshold (common for `last_period`, where
//! many cells share a count of 0 or 1) enter with equal fractions, which is the expected
//! result of breaking the tie at random. PEI is 1 for a perfect selection; PAI's ceiling
//! depends on how concentrated the week's incidents were; an RRI above 1 means the
//! selection recaptured more of its past incidents than the area as a whole.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

use super::AnalysisError;
use super::counts::row_mask;
use super::filter::IncidentFilter;
use super::hotspots::Analyzer;
use super::kde::{KdeOptions, quartic_kde};
use super::window::{TimeWindow, WindowKind};
use crate::model::Wgs84;

/// The coverage levels reported: shares of the study grid's cells.
pub const COVERAGES: [f64; 4] = [0.01, 0.02, 0.05, 0.10];
/// The most back-test weeks.
pub const MAX_BACKTEST_WEEKS: u32 = 260;
/// The most weeks of history read before the back-test (ten years).
pub const MAX_HISTORY_WEEKS: usize = 522;
/// Weeks of data needed before a week may be back-tested.
pub const MIN_HISTORY_WEEKS: usize = 4;

/// Options for [`forecast`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastOptions {
    /// H3 resolution of the cells (must be stored). Default 9.
    #[serde(skip)]
    pub res: Resolution,
    /// Half-life of the exponential weights, weeks. Default 8.
    pub half_life_weeks: f64,
    /// Near-repeat radius `D`, metres. Default 400 (Bowers, Johnson & Pease 2004).
    pub near_repeat_m: f64,
    /// Near-repeat duration `T`, weeks. Default 8 (two months).
    pub near_repeat_weeks: u32,
    /// Weeks of incidents in the KDE baseline. Default 13 (a quarter).
    pub kde_weeks: u32,
    /// KDE grid cell, metres. Default 100.
    pub kde_cell_m: f64,
    /// Weeks back-tested before the forecast week. Default 52.
    pub backtest_weeks: u32,
    /// Which incidents count. Default: all.
    pub filter: IncidentFilter,
}

impl Default for ForecastOptions {
    fn default() -> ForecastOptions {
        ForecastOptions {
            res: Resolution::Nine,
            half_life_weeks: 8.0,
            near_repeat_m: 400.0,
            near_repeat_weeks: 8,
            kde_weeks: 13,
            kde_cell_m: 100.0,
            backtest_weeks: 52,
            filter: IncidentFilter::default(),
        }
    }
}

/// One cell's forecast and baselines for the week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellForecast {
    /// The H3 cell.
    #[serde(serialize_with = "cell_string")]
    pub cell: CellIndex,
    /// Expected incidents in the week (EWMA + near-repeat boost).
    pub forecast: f64,
    /// Rank by `forecast`, 1 = highest (ties broken by cell index).
    pub rank: usize,
    /// Incidents in the week before.
    pub last_period: f64,
    /// The KDE baseline as expected incidents in the week.
    pub kde: f64,
}

fn cell_string<S: serde::Serializer>(c: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(c)
}

/// Back-test scores of one method at one coverage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Share of the weeks' incidents inside the selected cells.
    pub hit_rate: Option<f64>,
    /// Predictive Accuracy Index.
    pub pai: Option<f64>,
    /// Predictive Efficiency Index.
    pub pei: Option<f64>,
    /// Recapture Rate Index.
    pub rri: Option<f64>,
}

/// Back-test scores at one coverage, for the forecast and both baselines.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BacktestLevel {
    /// Share of the grid's cells selected, e.g. 0.05.
    pub coverage: f64,
    /// The forecast.
    pub forecast: Scores,
    /// Last week's counts.
    pub last_period: Scores,
    /// KDE of the last `kde_weeks` weeks.
    pub kde: Scores,
}

/// The rolling back-test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// Number of weeks tested.
    pub weeks: usize,
    /// First week tested (`YYYY-Www`), if any.
    pub from: Option<String>,
    /// Last week tested.
    pub to: Option<String>,
    /// Incidents in the tested weeks (inside the grid).
    pub incidents: f64,
    /// One entry per coverage in [`COVERAGES`].
    pub levels: Vec<BacktestLevel>,
}

/// The forecast for one week with its back-test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The week forecast, `YYYY-Www`.
    pub week: String,
    /// H3 resolution.
    pub res: u8,
    /// The method in plain words, with its parameters.
    pub method: String,
    /// The options used.
    pub options: ForecastOptions,
    /// The fitted near-repeat weight `β`.
    pub beta: f64,
    /// The store's data version.
    pub data_version: i64,
    /// Every cell of the study grid, in grid order.
    pub cells: Vec<CellForecast>,
    /// The back-test.
    pub backtest: Backtest,
    /// Things the reader should know.
    pub warnings: Vec<String>,
}

/// Sums for one method at one coverage over the back-test weeks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HitSums {
    /// Σ n: incidents in the selected cells.
    pub hits: f64,
    /// Σ N: incidents in the grid.
    pub total: f64,
    /// Σ n*: the most incidents as many cells could hold.
    pub best: f64,
    /// Σ n₀: the previous week's incidents in the selected cells.
    pub previous_hits: f64,
    /// Σ N₀: the previous week's incidents in the grid.
    pub previous_total: f64,
    /// Σ a/A: the selected share of the area, summed over weeks.
    pub area_share: f64,
    /// Weeks added.
    pub weeks: usize,
}

impl HitSums {
    /// The pooled scores (see the [module documentation](self) for the formulas).
    pub fn scores(&self) -> Scores {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        let hit_rate = ratio(self.hits, self.total);
        let mean_area = ratio(self.area_share, self.weeks as f64);
        Scores {
            hit_rate,
            pai: hit_rate.zip(mean_area).and_then(|(h, a)| ratio(h, a)),
            pei: ratio(self.hits, self.best),
            rri: ratio(self.hits, self.previous_hits)
                .zip(ratio(self.total, self.previous_total))
                .and_then(|(r, t)| ratio(r, t)),
        }
    }
}

/// The selection weight of each cell when the top `n` of `scores` are chosen: 1 above the
/// threshold, 0 below, and an equal fraction for the cells tied at it, so that the weights
/// sum to `n` (the expected selection under random tie-breaking).
///
/// # Example
/// ```
/// use lagesbild::analysis::forecast::top_selection;
/// // Top 2 of [5, 3, 3, 3, 1]: cell 0, and two thirds of each 3.
/// let w = top_selection(&[5.0, 3.0, 3.0, 3.0, 1.0], 2);
/// assert_eq!(w[0], 1.0);
/// assert!((w[1] - 1.0 / 3.0).abs() < 1e-12 && w[4] == 0.0);
/// ```
pub fn top_selection(scores: &[f64], n: usize) -> Vec<f64> {
    let mut w = vec![0.0; scores.len()];
    let n = n.min(scores.len());
    if n == 0 {
        return w;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let threshold = scores[order[n - 1]];
    let above = order.iter().filter(|&&i| scores[i] > threshold).count();
    let tied = order.iter().filter(|&&i| scores[i] == threshold).count();
    let share = (n - above) as f64 / tied as f64;
    for &i in &order {
        if scores[i] > threshold {
            w[i] = 1.0;
        } else if scores[i] == threshold {
            w[i] = share;
        }
    }
    w
}

/// Adds one week to `sums`: `scores` of the method, `actual` counts of the week,
/// `previous` counts of the week before, `areas` of the cells, `n` cells selected.
pub fn add_week(
    sums: &mut HitSums,
    scores: &[f64],
    actual: &[f64],
    previous: &[f64],
    areas: &[f64],
    n: usize,
) {
    let w = top_selection(scores, n);
    let dot = |v: &[f64]| w.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let total_area: f64 = areas.iter().sum();
    let mut sorted: Vec<f64> = actual.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sums.hits += dot(actual);
    sums.total += actual.iter().sum::<f64>();
    sums.best += sorted.iter().take(n).sum::<f64>();
    sums.previous_hits += dot(previous);
    sums.previous_total += previous.iter().sum::<f64>();
    if total_area > 0.0 {
        sums.area_share += dot(areas) / total_area;
    }
    sums.weeks += 1;
}

/// The number of cells selected at `coverage` of `n_cells` (at least 1).
pub fn cells_at(coverage: f64, n_cells: usize) -> usize {
    ((coverage * n_cells as f64).round() as usize).clamp(1, n_cells.max(1))
}

/// Forecasts week `week` per cell and back-tests the method and the baselines.
///
/// # Parameters
/// - `analyzer`: incidents, study grid and time zone (one data version).
/// - `week`: the ISO week to forecast; only incidents before it are used.
/// - `opts`: resolution, weights, back-test length, filter.
///
/// # Returns
/// [`Forecast`] with every grid cell's forecast, rank and baselines, and the
/// [`Backtest`] at the [`COVERAGES`].
///
/// # Errors
/// [`AnalysisError::Invalid`] when `week` is not an ISO week, the resolution is not
/// stored, an option is out of range, or there is no study area.
///
/// # Algorithm
/// See the [module documentation](self). Weekly counts per cell are built once (a cube of
/// weeks × cells); the EWMA is updated week by week, the boost reads the last `T` weeks
/// through a precomputed list of each cell's neighbours within `D`, and `β` accumulates its
/// least-squares sums as the weeks pass, so the whole back-test costs one pass over the
/// cube plus one KDE per tested week.
pub fn forecast(
    analyzer: &Analyzer,
    week: &TimeWindow,
    opts: &ForecastOptions,
) -> Result<Forecast, AnalysisError> {
    if week.kind() != Some(WindowKind::IsoWeek) {
        return Err(AnalysisError::Invalid(format!(
            "week: {week} is not an ISO week such as 2026-W47"
        )));
    }
    check_options(opts)?;
    let table = analyzer.table();
    let tz = analyzer.timezone();
    let r = table.resolution_index(opts.res).ok_or_else(|| {
        AnalysisError::Invalid(format!(
            "res: cells are stored at resolutions {}, not {}",
            table
                .resolutions
                .iter()
                .map(|r| u8::from(*r).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            u8::from(opts.res)
        ))
    })?;
    let grid = analyzer.grid(opts.res)?;
    let cells = grid.cells();
    let n_cells = cells.len();
    let mut warnings = Vec::new();

    // Weeks: from the first week with data (at most MAX_HISTORY_WEEKS before the
    // back-test) to the forecast week, which is last.
    let (week_from, _) = week.bounds(tz);
    let mask = row_mask(table, &opts.filter);
    let first_time = (0..table.len())
        .filter(|&i| mask[i])
        .map(|i| table.start[i])
        .min();
    let earliest_week = {
        let mut w = *week;
        let mut weeks_back = 0usize;
        let limit = MAX_HISTORY_WEEKS + opts.backtest_weeks as usize;
        while weeks_back < limit {
            let p = w.previous();
            match first_time {
                Some(t) if p.bounds(tz).1.timestamp() > t => {}
                _ => break,
            }
            w = p;
            weeks_back += 1;
        }
        w
    };
    let weeks = TimeWindow::weeks(earliest_week.bounds(tz).0, week.bounds(tz).1, tz);
    let starts: Vec<i64> = weeks.iter().map(|w| w.bounds(tz).0.timestamp()).collect();
    let forecast_index = weeks.len() - 1;
    let week_end = week.bounds(tz).1.timestamp();

    // The cube of counts, weeks × cells, and the KDE points per week.
    let mut cube = vec![0.0f64; weeks.len() * n_cells];
    let mut points: Vec<Vec<Wgs84>> = vec![Vec::new(); weeks.len()];
    let mut last_time = None::<i64>;
    for (i, _) in mask.iter().enumerate().filter(|(_, keep)| **keep) {
        let t = table.start[i];
        if t < starts[0] || t >= week_end {
            continue;
        }
        let wi = starts.partition_point(|&s| s <= t) - 1;
        last_time = Some(last_time.map_or(t, |l: i64| l.max(t)));
        if wi == forecast_index {
            continue;
        }
        points[wi].push(table.location[i]);
        if let Some(c) = grid.position(table.cell(i, r)) {
            cube[wi * n_cells + c] += 1.0;
        }
    }
    if let Some(t) = last_time
        && t < week_from.timestamp() - 7 * 86_400
    {
        warnings.push(format!(
            "the latest incident is from {}, more than a week before {week}: the weeks between count as empty",
            DateTime::<Utc>::from_timestamp(t, 0)
                .map(|t| t.with_timezone(&tz).date_naive().to_string())
                .unwrap_or_default()
        ));
    }

    // Each cell's neighbours within D, with their grid distance.
    let centres: Vec<Wgs84> = cells
        .iter()
        .map(|c| {
            let ll = LatLng::from(*c);
            Wgs84 {
                lon: ll.lng(),
                lat: ll.lat(),
            }
        })
        .collect();
    let areas: Vec<f64> = cells.iter().map(|c| c.area_km2()).collect();
    let neighbours = neighbours_within(&grid, &centres, opts.near_repeat_m);

    // KDE extent: the grid's cell centres, padded by a cell.
    let extent = {
        let pad = 0.01;
        let (mut lo, mut hi) = (
            Wgs84 {
                lon: f64::INFINITY,
                lat: f64::INFINITY,
            },
            Wgs84 {
                lon: f64::NEG_INFINITY,
                lat: f64::NEG_INFINITY,
            },
        );
        for p in &centres {
            lo.lon = lo.lon.min(p.lon - pad);
            lo.lat = lo.lat.min(p.lat - pad);
            hi.lon = hi.lon.max(p.lon + pad);
            hi.lat = hi.lat.max(p.lat + pad);
        }
        (lo, hi)
    };
    let kde_at = |t: usize| -> Result<Vec<f64>, AnalysisError> {
        let from = t.saturating_sub(opts.kde_weeks as usize);
        let pts: Vec<(Wgs84, f64)> = points[from..t]
            .iter()
            .flatten()
            .map(|p| (*p, 1.0))
            .collect();
        let n_weeks = (t - from).max(1) as f64;
        if pts.is_empty() || n_cells == 0 {
            return Ok(vec![0.0; n_cells]);
        }
        let g = quartic_kde(
            &pts,
            extent,
            &KdeOptions {
                cell_m: opts.kde_cell_m,
                bandwidth_m: None,
            },
        )?;
        let c00 = g.cell_center(0, 0);
        let c11 = g.cell_center(1, 1);
        let (dlon, dlat) = (c11.lon - c00.lon, c11.lat - c00.lat);
        Ok(centres
            .iter()
            .zip(&areas)
            .map(|(p, a)| {
                let col = ((p.lon - g.origin_lon_lat.0) / dlon).floor();
                let row = ((p.lat - g.origin_lon_lat.1) / dlat).floor();
                if col < 0.0 || row < 0.0 {
                    return 0.0;
                }
                g.value(col as usize, row as usize).unwrap_or(0.0) * a / n_weeks
            })
            .collect())
    };

    let lambda = 0.5f64.powf(1.0 / opts.half_life_weeks);
    let mut ewma = vec![0.0f64; n_cells];
    let mut ewma_mass = 0.0f64; // 1 − λ^A
    let (mut sxy, mut sxx) = (0.0f64, 0.0f64);
    let first_tested = forecast_index.saturating_sub(opts.backtest_weeks as usize);
    let mut sums: BTreeMap<(usize, usize), HitSums> = BTreeMap::new();
    let mut tested: Vec<usize> = Vec::new();
    let zero = vec![0.0; n_cells];
    let mut result_cells = Vec::new();
    let mut beta_used = 0.0;

    for t in 0..=forecast_index {
        let scaled: Vec<f64> = if ewma_mass > 0.0 {
            ewma.iter().map(|e| e / ewma_mass).collect()
        } else {
            zero.clone()
        };
        let boost = near_repeat_boost(&cube, n_cells, t, opts.near_repeat_weeks, &neighbours);
        let beta = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
        let is_test = t >= first_tested.max(MIN_HISTORY_WEEKS) && t < forecast_index;
        if is_test || t == forecast_index {
            let prediction: Vec<f64> = scaled
                .iter()
                .zip(&boost)
                .map(|(e, b)| e + beta * b)
                .collect();
            let previous = if t > 0 {
                &cube[(t - 1) * n_cells..t * n_cells]
            } else {
                &zero[..]
            };
            let kde = kde_at(t)?;
            if t == forecast_index {
                beta_used = beta;
                let order = top_selection_order(&prediction);
                let mut rank = vec![0usize; n_cells];
                for (pos, &i) in order.iter().enumerate() {
                    rank[i] = pos + 1;
                }
                result_cells = (0..n_cells)
                    .map(|i| CellForecast {
                        cell: cells[i],
                        forecast: prediction[i],
                        rank: rank[i],
                        last_period: previous[i],
                        kde: kde[i],
                    })
                    .collect();
            } else {
                let actual = &cube[t * n_cells..(t + 1) * n_cells];
                tested.push(t);
                for (li, &cov) in COVERAGES.iter().enumerate() {
                    let n = cells_at(cov, n_cells);
                    for (mi, scores) in [&prediction[..], previous, &kde[..]].iter().enumerate() {
                        add_week(
                            sums.entry((li, mi)).or_default(),
                            scores,
                            actual,
                            previous,
                            &areas,
                            n,
                        );
                    }
                }
            }
        }
        if t == forecast_index {
            break;
        }
        // Learn from week t: β's sums, then the EWMA.
        let actual = &cube[t * n_cells..(t + 1) * n_cells];
        if ewma_mass > 0.0 {
            for c in 0..n_cells {
                sxy += boost[c] * (actual[c] - scaled[c]);
                sxx += boost[c] * boost[c];
            }
        }
        for c in 0..n_cells {
            ewma[c] = lambda * ewma[c] + (1.0 - lambda) * actual[c];
        }
        ewma_mass = lambda * ewma_mass + (1.0 - lambda);
    }

    let levels = COVERAGES
        .iter()
        .enumerate()
        .map(|(li, &coverage)| {
            let s = |mi: usize| sums.get(&(li, mi)).copied().unwrap_or_default().scores();
            BacktestLevel {
                coverage,
                forecast: s(0),
                last_period: s(1),
                kde: s(2),
            }
        })
        .collect();
    let incidents = sums.get(&(0, 0)).map_or(0.0, |s| s.total);
    if tested.len() < opts.backtest_weeks as usize {
        warnings.push(format!(
            "only {} of the {} back-test weeks have enough data before them (at least {MIN_HISTORY_WEEKS} weeks)",
            tested.len(),
            opts.backtest_weeks
        ));
    }
    if incidents < 100.0 {
        warnings.push(format!(
            "the back-test covers only {incidents:.0} incidents: its scores are rough"
        ));
    }
    Ok(Forecast {
        week: week.to_string(),
        res: u8::from(opts.res),
        method: format!(
            "Expected incidents next week per H3 cell (res {}): exponentially weighted weekly counts \
             (half-life {} weeks) plus a near-repeat boost (Bowers, Johnson & Pease 2004): each \
             incident of the last {} weeks adds 1/(1 + rings) × 1/(weeks ago) to the cells within {} m, \
             times β = {:.4} fitted by least squares on earlier weeks. Baselines: last week's counts; \
             quartic KDE of the last {} weeks ({} m grid, default bandwidth). Back-test: each of the \
             previous {} weeks predicted from the data before it; hit rate, PAI, PEI and RRI pooled over the weeks.",
            u8::from(opts.res),
            opts.half_life_weeks,
            opts.near_repeat_weeks,
            opts.near_repeat_m,
            beta_used,
            opts.kde_weeks,
            opts.kde_cell_m,
            opts.backtest_weeks
        ),
        options: opts.clone(),
        beta: beta_used,
        data_version: table.data_version,
        cells: result_cells,
        backtest: Backtest {
            weeks: tested.len(),
            from: tested.first().map(|&t| weeks[t].to_string()),
            to: tested.last().map(|&t| weeks[t].to_string()),
            incidents,
            levels,
        },
        warnings,
    })
}

fn check_options(o: &ForecastOptions) -> Result<(), AnalysisError> {
    let bad = |name: &str, why: &str| Err(AnalysisError::Invalid(format!("{name}: {why}")));
    if !(o.half_life_weeks.is_finite() && o.half_life_weeks > 0.0 && o.half_life_weeks <= 520.0) {
        return bad("half_life_weeks", "must be above 0 and at most 520");
    }
    if !(o.near_repeat_m.is_finite() && o.near_repeat_m >= 0.0 && o.near_repeat_m <= 2_000.0) {
        return bad("near_repeat_m", "must be 0 to 2000 metres");
    }
    if o.near_repeat_weeks > 52 {
        return bad("near_repeat_weeks", "must be at most 52");
    }
    if !(1..=104).contains(&o.kde_weeks) {
        return bad("kde_weeks", "must be 1 to 104");
    }
    if !(o.kde_cell_m.is_finite() && o.kde_cell_m >= 10.0 && o.kde_cell_m <= 1_000.0) {
        return bad("kde_cell_m", "must be 10 to 1000 metres");
    }
    if o.backtest_weeks > MAX_BACKTEST_WEEKS {
        return bad(
            "backtest_weeks",
            &format!("must be at most {MAX_BACKTEST_WEEKS}"),
        );
    }
    Ok(())
}

/// Cell order by score, highest first, ties by grid order.
fn top_selection_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// For each grid cell, the grid cells whose centre lies within `radius_m` of its centre,
/// with the weight `1 / (1 + grid distance)`.
fn neighbours_within(
    grid: &super::grid::StudyGrid,
    centres: &[Wgs84],
    radius_m: f64,
) -> Vec<Vec<(u32, f64)>> {
    let cells = grid.cells();
    let Some(first) = cells.first() else {
        return Vec::new();
    };
    // Centre spacing is √3 × the edge length; rings beyond radius / spacing + 1 are too far.
    let spacing = first.resolution().edge_length_m() * 3f64.sqrt();
    let k = (radius_m / spacing).ceil() as u32 + 1;
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut out = Vec::new();
            for n in c.grid_disk::<Vec<_>>(k) {
                let Some(j) = grid.position(n) else { continue };
                if haversine_m(centres[i], centres[j]) <= radius_m {
                    let rings = c.grid_distance(n).unwrap_or(0).max(0) as f64;
                    out.push((j as u32, 1.0 / (1.0 + rings)));
                }
            }
            out
        })
        .collect()
}

fn haversine_m(a: Wgs84, b: Wgs84) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// `boost(c)` for week `t` from the cube's weeks `t − T .. t − 1`.
fn near_repeat_boost(
    cube: &[f64],
    n_cells: usize,
    t: usize,
    weeks: u32,
    neighbours: &[Vec<(u32, f64)>],
) -> Vec<f64> {
    let mut boost = vec![0.0; n_cells];
    for a in 1..=(weeks as usize).min(t) {
        let counts = &cube[(t - a) * n_cells..(t - a + 1) * n_cells];
        let time_weight = 1.0 / a as f64;
        for (c, &n) in counts.iter().enumerate() {
            if n == 0.0 {
                continue;
            }
            for &(j, w) in &neighbours[c] {
                boost[j as usize] += n * w * time_weight;
            }
        }
    }
    boost
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;
