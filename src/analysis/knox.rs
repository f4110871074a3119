//! Near-repeat analysis: the Knox test over a table of spatial × temporal bands, as crime
//! analysts know it from the Near Repeat Calculator (Ratcliffe 2009).
//!
//! [`knox`] counts the pairs of incidents in each cell of the table and compares them with
//! Monte Carlo permutations of the times; [`near_repeat`] runs it on the incidents of a
//! window and states the result in a sentence. Which incidents and which window are the
//! caller's choice; no HTTP, no SQL.
//!
//! # Bands (edges stated exactly)
//!
//! Distances are Euclidean in SWEREF 99 TM metres, times are whole and fractional days.
//! With distance edges `d1 < d2 < … < dD` and time edges `t1 < … < tK`:
//! - rows: **same location** (distance exactly 0: identical coordinates), then
//!   `(0, d1]`, `(d1, d2]`, …, `(dD-1, dD]`, then **beyond** `(dD, ∞)`;
//! - columns: `[0, t1]`, `(t1, t2]`, …, `(tK-1, tK]`, then **beyond** `(tK, ∞)`.
//!
//! Every band is half-open on the left and closed on the right (`lo < x ≤ hi`), as in
//! "within 200 m and 7 days"; the first time band also holds pairs on the same instant.
//! Summing the cells up to `(dD, tK)` therefore gives exactly the classic Knox statistic
//! with thresholds `d ≤ δ, t ≤ τ` (Knox 1964), which is what PySAL `pointpats`' `Knox`
//! computes, and what the reference fixture checks.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::AnalysisError;

const METHOD: &str = "the Knox test";

/// The fewest incidents the Knox test is run on.
pub const MIN_INCIDENTS: usize = 10;
/// The most bands on either axis (without "same location" and "beyond").
pub const MAX_BANDS: usize = 20;
/// Fewest and most permutations.
pub const PERMUTATIONS: std::ops::RangeInclusive<u32> = 19..=9999;
/// The most pairs within the largest distance band that are held in memory.
pub const MAX_NEAR_PAIRS: usize = 10_000_000;

/// Parameters of the Knox test. [`KnoxOptions::default`] gives the Near Repeat Calculator's
/// customary table: 200 m bands to 1,000 m, 7-day bands to 56 days, 999 permutations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnoxOptions {
    /// Upper edges of the distance bands in metres, strictly increasing, > 0.
    pub distance_bands: Vec<f64>,
    /// Upper edges of the time bands in days, strictly increasing, > 0.
    pub time_bands: Vec<f64>,
    /// Monte Carlo permutations of the times, 19..=9999.
    pub permutations: u32,
    /// Seed of the permutations; the same seed gives the same table.
    pub seed: u64,
    /// A cell is significant when its p-value is at most this.
    pub alpha: f64,
}

impl Default for KnoxOptions {
    fn default() -> Self {
        KnoxOptions {
            distance_bands: vec![200.0, 400.0, 600.0, 800.0, 1000.0],
            time_bands: (1..=8).map(|w| f64::from(w) * 7.0).collect(),
            permutations: 999,
            seed: 0,
            alpha: 0.05,
        }
    }
}

/// Checks a list of band edges; `name` is the parameter named in the error.
pub fn check_bands(name: &str, edges: &[f64]) -> Result<(), AnalysisError> {
    if edges.is_empty() {
        return Err(AnalysisError::Invalid(format!(
            "{name}: give at least one band edge"
        )));
    }
    if edges.len() > MAX_BANDS {
        return Err(AnalysisError::Invalid(format!(
            "{name}: {} bands is more than {MAX_BANDS}; give fewer, wider bands",
            edges.len()
        )));
    }
    if let Some(e) = edges.iter().find(|e| !e.is_finite() || **e <= 0.0) {
        return Err(AnalysisError::Invalid(format!(
            "{name}: {e} is not a positive number"
        )));
    }
    if let Some(w) = edges.windows(2).find(|w| w[1] <= w[0]) {
        return Err(AnalysisError::Invalid(format!(
            "{name}: the band edges must be increasing, but {} follows {}",
            w[1], w[0]
        )));
    }
    Ok(())
}

/// Parses band edges written `200,400,600` and checks them ([`check_bands`]); the error
/// names `name`.
pub fn parse_bands(name: &str, text: &str) -> Result<Vec<f64>, AnalysisError> {
    let edges = text
        .split(',')
        .map(|s| {
            s.trim().parse::<f64>().map_err(|_| {
                AnalysisError::Invalid(format!(
                    "{name}: {:?} is not a number; give increasing band edges such as 200,400,600",
                    s.trim()
                ))
            })
        })
        .collect::<Result<Vec<f64>, AnalysisError>>()?;
    check_bands(name, &edges)?;
    Ok(edges)
}

impl KnoxOptions {
    /// Checks every parameter; the error names it.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        check_bands("distance_bands", &self.distance_bands)?;
        check_bands("time_bands", &self.time_bands)?;
        if !PERMUTATIONS.contains(&self.permutations) {
            return Err(AnalysisError::Invalid(format!(
                "permutations: {} is outside {}..={}; 999 is customary",
                self.permutations,
                PERMUTATIONS.start(),
                PERMUTATIONS.end()
            )));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(AnalysisError::Invalid(format!(
                "alpha: {} is not between 0 and 1",
                self.alpha
            )));
        }
        Ok(())
    }
}

/// One incident for the Knox test: position in metres, time in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnoxPoint {
    /// Easting, metres.
    pub x: f64,
    /// Northing, metres.
    pub y: f64,
    /// Time, days (any origin).
    pub t: f64,
}

/// A band of the table: `lo < x ≤ hi` (`lo` absent for the first, `hi` absent for
/// "beyond"; "same location" is `lo = hi = 0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Lower edge, exclusive (`None`: from 0 inclusive).
    pub lo: Option<f64>,
    /// Upper edge, inclusive (`None`: no upper edge).
    pub hi: Option<f64>,
    /// The band in words, e.g. `201–400 m` is written `(200, 400] m`.
    pub label: String,
}

/// One cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KnoxCell {
    /// Pairs observed.
    pub observed: u64,
    /// Mean over the permutations.
    pub expected: f64,
    /// `observed / expected` (absent when nothing is expected).
    pub ratio: Option<f64>,
    /// One-sided Monte Carlo p of "more pairs than chance": `(1 + #{perm ≥ obs}) / (P + 1)`.
    pub p: f64,
    /// `p ≤ alpha` and `ratio > 1`: raised risk.
    pub raised: bool,
}

/// The Knox table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnoxTable {
    /// Row bands: same location, the distance bands, beyond.
    pub distance_bands: Vec<Band>,
    /// Column bands: the time bands, beyond.
    pub time_bands: Vec<Band>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<KnoxCell>>,
    /// Incidents.
    pub n: usize,
    /// All pairs, `n(n−1)/2`.
    pub pairs: u64,
    /// The options used.
    pub options: KnoxOptions,
}

/// The Knox test on `points`.
///
/// # Parameters
/// - `points`: incidents with position in metres and time in days; at least
///   [`MIN_INCIDENTS`], all finite.
/// - `opts`: bands, permutations, seed, alpha ([`KnoxOptions`]).
///
/// # Returns
/// The table with observed pairs, the mean of the permuted tables (`expected`), the Knox
/// ratio and a p-value per cell.
///
/// # Algorithm
/// Knox (1964): a pair is close when it is close in space and in time. The null hypothesis
/// (no space-time interaction) is tested by permuting the times over the fixed positions
/// (Mantel 1967), here `P` times with a seeded ChaCha8 generator (permutation `p` draws from
/// stream `p`, so the result does not depend on the number of threads); the p-value of a
/// cell is `(1 + #{permuted ≥ observed}) / (P + 1)` (Johnson et al. 2007, the Near Repeat
/// Calculator's method). Only the pairs within the largest distance band are listed (a grid
/// of that size finds them); the "beyond" row follows from the column totals over all pairs,
/// which a permutation of the times does not change. Cost: O(n log n + pairs · P).
///
/// # Example
/// ```
/// use lagesbild::analysis::knox::{KnoxOptions, KnoxPoint, knox};
/// // Ten incidents: five at one place on days 0..5, five spread out over a year.
/// let mut pts: Vec<KnoxPoint> = (0..5).map(|d| KnoxPoint { x: 0.0, y: 0.0, t: d as f64 }).collect();
/// pts.extend((0..5).map(|i| KnoxPoint { x: 5000.0 * (i + 1) as f64, y: 0.0, t: 70.0 * i as f64 }));
/// let opts = KnoxOptions { distance_bands: vec![100.0], time_bands: vec![7.0], permutations: 99, ..KnoxOptions::default() };
/// let t = knox(&pts, &opts)?;
/// // Row 0 is "same location", column 0 is "0 to 7 days": the ten pairs of the five.
/// assert_eq!(t.cells[0][0].observed, 10);
/// assert!(t.cells[0][0].p < 0.05);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn knox(points: &[KnoxPoint], opts: &KnoxOptions) -> Result<KnoxTable, AnalysisError> {
    opts.validate()?;
    let n = points.len();
    if n < MIN_INCIDENTS {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD} needs at least {MIN_INCIDENTS} incidents, and there are {n}; choose a longer window or more categories"
        )));
    }
    if let Some(i) = points
        .iter()
        .position(|p| !(p.x.is_finite() && p.y.is_finite() && p.t.is_finite()))
    {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: point {i} has a non-finite position or time"
        )));
    }
    let dist = &opts.distance_bands;
    let time = &opts.time_bands;
    let rows = dist.len() + 2;
    let cols = time.len() + 1;
    let near_rows = dist.len() + 1;

    // Sort by grid cell so that a pair's second point is near the first in memory.
    let reach = dist[dist.len() - 1];
    let key = |p: &KnoxPoint| ((p.x / reach).floor() as i64, (p.y / reach).floor() as i64);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (key(&points[i]), i));
    let pts: Vec<KnoxPoint> = order.iter().map(|&i| points[i]).collect();
    let pairs = near_pairs(&pts, dist)?;

    let col_of = |dt: f64| time.partition_point(|e| *e < dt);
    let near_table = |t: &[f64], out: &mut [u64]| {
        out.fill(0);
        for &(i, j, r) in &pairs {
            let dt = (t[i as usize] - t[j as usize]).abs();
            out[r as usize * cols + col_of(dt)] += 1;
        }
    };
    // Column totals over all pairs: fixed under permutation of the times.
    let mut sorted_t: Vec<f64> = pts.iter().map(|p| p.t).collect();
    sorted_t.sort_by(f64::total_cmp);
    let col_totals = column_totals(&sorted_t, time);
    let full = |near: &[u64]| -> Vec<u64> {
        let mut v = near.to_vec();
        v.extend(
            (0..cols)
                .map(|c| col_totals[c] - (0..near_rows).map(|r| near[r * cols + c]).sum::<u64>()),
        );
        v
    };

    let times: Vec<f64> = pts.iter().map(|p| p.t).collect();
    let mut buf = vec![0u64; near_rows * cols];
    near_table(&times, &mut buf);
    let observed = full(&buf);

    let cells_n = rows * cols;
    let (sum, ge) = (0..opts.permutations)
        .into_par_iter()
        .fold(
            || {
                (
                    vec![0u64; cells_n],
                    vec![0u64; cells_n],
                    times.clone(),
                    vec![0u64; near_rows * cols],
                )
            },
            |(mut sum, mut ge, mut t, mut buf), p| {
                let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
                rng.set_stream(u64::from(p));
                t.copy_from_slice(&times);
                t.shuffle(&mut rng);
                near_table(&t, &mut buf);
                let perm = full(&buf);
                for k in 0..cells_n {
                    sum[k] += perm[k];
                    ge[k] += u64::from(perm[k] >= observed[k]);
                }
                (sum, ge, t, buf)
            },
        )
        .map(|(sum, ge, _, _)| (sum, ge))
        // Integer sums: the same whatever the order of reduction.
        .reduce(
            || (vec![0u64; cells_n], vec![0u64; cells_n]),
            |(mut a, mut b), (c, d)| {
                for k in 0..cells_n {
                    a[k] += c[k];
                    b[k] += d[k];
                }
                (a, b)
            },
        );
    let perms = f64::from(opts.permutations);
    let cells = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    let k = r * cols + c;
                    let expected = sum[k] as f64 / perms;
                    let ratio = (expected > 0.0).then(|| observed[k] as f64 / expected);
                    let p = (1.0 + ge[k] as f64) / (perms + 1.0);
                    KnoxCell {
                        observed: observed[k],
                        expected,
                        ratio,
                        p,
                        raised: p <= opts.alpha && ratio.is_some_and(|q| q > 1.0),
                    }
                })
                .collect()
        })
        .collect();
    Ok(KnoxTable {
        distance_bands: distance_labels(dist),
        time_bands: time_labels(time),
        cells,
        n,
        pairs: (n as u64) * (n as u64 - 1) / 2,
        options: opts.clone(),
    })
}

/// The pairs `(i, j, row)` with `i < j` within the largest distance band, row 0 = same
/// location, row `b + 1` = band `b`.
fn near_pairs(pts: &[KnoxPoint], dist: &[f64]) -> Result<Vec<(u32, u32, u8)>, AnalysisError> {
    use std::collections::HashMap;
    let reach = dist[dist.len() - 1];
    let cell = |p: &KnoxPoint| ((p.x / reach).floor() as i64, (p.y / reach).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (i, p) in pts.iter().enumerate() {
        grid.entry(cell(p)).or_default().push(i as u32);
    }
    let mut pairs = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let (cx, cy) = cell(p);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(members) = grid.get(&(cx + dx, cy + dy)) else {
                    continue;
                };
                for &j in members {
                    if j as usize <= i {
                        continue;
                    }
                    let q = &pts[j as usize];
                    let d = (p.x - q.x).hypot(p.y - q.y);
                    if d > reach {
                        continue;
                    }
                    let row = if d == 0.0 {
                        0
                    } else {
                        1 + dist.partition_point(|e| *e < d)
                    };
                    pairs.push((i as u32, j, row as u8));
                    if pairs.len() > MAX_NEAR_PAIRS {
                        return Err(AnalysisError::Invalid(format!(
                            "{METHOD}: more than {MAX_NEAR_PAIRS} pairs of incidents lie within {reach} m of each other; choose a smaller largest distance band, a shorter window or fewer categories"
                        )));
                    }
                }
            }
        }
    }
    // Grid order is hash order: sort so that the table is built the same way every time.
    pairs.sort_unstable();
    Ok(pairs)
}

/// Pairs per time column over all pairs, from the sorted times.
fn column_totals(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let n = sorted.len();
    // within[k] = pairs with |dt| ≤ edges[k].
    let within: Vec<u64> = edges
        .iter()
        .map(|&e| {
            (0..n)
                .map(|i| {
                    let end = sorted.partition_point(|t| *t - sorted[i] <= e);
                    (end - i - 1) as u64
                })
                .sum()
        })
        .collect();
    let all = (n as u64) * (n as u64).saturating_sub(1) / 2;
    let mut out = Vec::with_capacity(edges.len() + 1);
    let mut prev = 0;
    for w in &within {
        out.push(w - prev);
        prev = *w;
    }
    out.push(all - prev);
    out
}

fn distance_labels(edges: &[f64]) -> Vec<Band> {
    let mut v = vec![Band {
        lo: Some(0.0),
        hi: Some(0.0),
        label: "same location".into(),
    }];
    let mut lo = 0.0;
    for &e in edges {
        v.push(Band {
            lo: Some(lo),
            hi: Some(e),
            label: format!("({} – {}] m", num(lo), num(e)),
        });
        lo = e;
    }
    v.push(Band {
        lo: Some(lo),
        hi: None,
        label: format!("> {} m", num(lo)),
    });
    v
}

fn time_labels(edges: &[f64]) -> Vec<Band> {
    let mut v = Vec::new();
    let mut lo = None;
    for &e in edges {
        v.push(Band {
            lo,
            hi: Some(e),
            label: match lo {
                None => format!("[0 – {}] d", num(e)),
                Some(l) => format!("({} – {}] d", num(l), num(e)),
            },
        });
        lo = Some(e);
    }
    let last = lo.unwrap_or(0.0);
    v.push(Band {
        lo: Some(last),
        hi: None,
        label: format!("> {} d", num(last)),
    });
    v
}

/// A number without trailing zeros.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl KnoxTable {
    /// The table as fixed-width text: observed (Knox ratio) per cell, `*` for raised risk.
    pub fn to_text(&self) -> String {
        let mut out = format!("{:>16}", "");
        for b in &self.time_bands {
            out.push_str(&format!(" {:>16}", b.label));
        }
        out.push('\n');
        for (band, row) in self.distance_bands.iter().zip(&self.cells) {
            out.push_str(&format!("{:>16}", band.label));
            for c in row {
                let ratio = c
                    .ratio
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"));
                let mark = if c.raised { "*" } else { " " };
                out.push_str(&format!(" {:>9} ({ratio:>4}){mark}", c.observed));
            }
            out.push('\n');
        }
        out
    }
}

pub use super::near_repeat::{
    NearRepeat, NearRepeatExtent, default_window, extent, near_repeat, sentence,
};

#[cfg(test)]
#[path = "knox_tests.rs"]
mod tests;
