//! The Mann–Kendall trend test with Sen's slope, for one equally spaced time series.
//!
//! [`mann_kendall`] answers "is this series going up or down over time, beyond what chance
//! would give?" without assuming a distribution or a straight line, and estimates how fast
//! (Sen's slope). It matches `pymannkendall.original_test` field for field; the fixture
//! `tests/fixtures/mann_kendall_pymannkendall.json` checks that.
//!
//! What the series means is left to the caller: the emerging hot spot classification
//! ([`super::emerging`]) runs it on the Gi* z-scores of one location, oldest step first.
//! Serial correlation is not corrected for (no Hamed–Rao or pre-whitening variant).

use serde::{Deserialize, Serialize};

use super::AnalysisError;

const METHOD: &str = "the Mann-Kendall trend test";

/// The longest series [`mann_kendall`] accepts. Sen's slope keeps all `n(n-1)/2` pairwise
/// slopes, so 10 000 steps already take about 400 MB; longer input is refused rather than
/// left to exhaust memory.
pub const MAX_SERIES_LEN: usize = 10_000;

/// The largest magnitude [`mann_kendall`] accepts, so that no difference of two values
/// overflows and every statistic it returns is finite.
pub const MAX_ABS_VALUE: f64 = 1e300;

/// Direction of a monotonic trend, as decided at the test's significance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Significant upward trend: `p < alpha` and `z > 0`.
    Increasing,
    /// Significant downward trend: `p < alpha` and `z < 0`.
    Decreasing,
    /// No significant trend (`p >= alpha`).
    NoTrend,
}

/// Result of the Mann–Kendall test on one series, named as in `pymannkendall`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannKendall {
    /// Kendall's score `S`: concordant minus discordant pairs.
    pub s: f64,
    /// Variance of `S` under the null hypothesis, corrected for ties.
    pub var_s: f64,
    /// Standardised score with continuity correction; 0 when `S = 0`.
    pub z: f64,
    /// Two-sided p-value of `z` under the standard normal.
    pub p: f64,
    /// Kendall's tau-a, `S / (n(n-1)/2)`, in `[-1, 1]`.
    pub tau: f64,
    /// Sen's slope: change per time step (median of all pairwise slopes).
    pub slope: f64,
    /// Intercept of the Kendall–Theil line at step 0 (Conover 1980).
    pub intercept: f64,
    /// The decision at the `alpha` passed in.
    pub trend: Trend,
    /// Number of observations.
    pub n: usize,
}

/// Runs the Mann–Kendall trend test on `series` (equally spaced, oldest first).
///
/// # Parameters
/// - `series`: the observations, at least 3 and at most [`MAX_SERIES_LEN`], all finite and
///   at most [`MAX_ABS_VALUE`] in magnitude.
/// - `alpha`: two-sided significance level for [`MannKendall::trend`], in `(0, 1)`.
///
/// # Returns
/// The statistics of [`MannKendall`]. A series whose values are all equal is a valid
/// "no trend" answer, not an error: `S = 0`, `var_s = 0`, `z = 0`, `p = 1`, `tau = 0`,
/// `slope = 0` and `intercept` the common value (as `pymannkendall` gives; never NaN).
///
/// # Errors
/// [`AnalysisError::TooFewUnits`] for fewer than 3 observations;
/// [`AnalysisError::Invalid`] for a NaN, infinite or larger than [`MAX_ABS_VALUE`] value, an
/// `alpha` outside `(0, 1)`, or a series longer than [`MAX_SERIES_LEN`].
///
/// # Algorithm
/// Mann (1945), Kendall (1975), with the continuity correction and tie correction of
/// Gilbert (1987, ch. 16), as in `pymannkendall.original_test` (Hussain & Mahmud 2019):
///
/// ```text
/// S      = Σ_{i<j} sgn(x_j − x_i)
/// Var(S) = [ n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5) ] / 18      t_g: size of tie group g
/// Z      = (S − 1)/√Var(S) if S > 0,   0 if S = 0,   (S + 1)/√Var(S) if S < 0
/// p      = 2 (1 − Φ(|Z|)) = erfc(|Z| / √2)
/// tau    = S / (n(n−1)/2)
/// slope  = median_{i<j} (x_j − x_i) / (j − i)                 (Theil 1950; Sen 1968)
/// intercept = median(x) − (n−1)/2 · slope                       (Conover 1980)
/// ```
///
/// The trend is significant when `p < alpha` (equivalently `|Z| > Φ⁻¹(1 − alpha/2)`).
/// Ties are exact equality (`-0.0 == 0.0`). The tie term is gathered in the same pass as
/// `S`: an element with `k` equal elements after it adds `6k(k+2)`, and these telescope to
/// `t(t−1)(2t+5)` over a tie group. Time is `O(n²)`, memory `n(n−1)/2` slopes.
///
/// References: H. B. Mann (1945), "Nonparametric tests against trend", *Econometrica* 13,
/// 245–259. M. G. Kendall (1975), *Rank Correlation Methods*, 4th ed., Griffin. P. K. Sen
/// (1968), "Estimates of the regression coefficient based on Kendall's tau", *JASA* 63,
/// 1379–1389. R. O. Gilbert (1987), *Statistical Methods for Environmental Pollution
/// Monitoring*, Wiley. W. J. Conover (1980), *Practical Nonparametric Statistics*, 2nd ed.
/// M. Hussain & I. Mahmud (2019), "pyMannKendall", *JOSS* 4(39), 1556.
///
/// # Example
/// ```
/// use lagesbild::analysis::mann_kendall::{Trend, mann_kendall};
///
/// // Weekly incident counts in one neighbourhood, oldest first.
/// let weekly = [3.0, 4.0, 4.0, 6.0, 5.0, 7.0, 9.0, 8.0, 10.0, 12.0];
/// let mk = mann_kendall(&weekly, 0.05)?;
/// assert_eq!(mk.trend, Trend::Increasing);
/// assert_eq!((mk.s, mk.var_s), (40.0, 124.0)); // one tie (4, 4) lowers Var(S) from 125
/// assert!((mk.z - 3.502303389522111).abs() < 1e-12);
/// assert!((mk.p - 0.0004612540671704579).abs() < 1e-12);
/// assert_eq!((mk.slope, mk.intercept), (1.0, 2.0)); // about one more incident a week
///
/// // A flat series is "no trend", with z = 0 and p = 1.
/// let flat = mann_kendall(&[2.0; 8], 0.05)?;
/// assert_eq!((flat.trend, flat.z, flat.p), (Trend::NoTrend, 0.0, 1.0));
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn mann_kendall(series: &[f64], alpha: f64) -> Result<MannKendall, AnalysisError> {
    let mut scratch = Vec::new();
    mann_kendall_in(series, alpha, &mut scratch)
}

/// [`mann_kendall`] with a caller-owned buffer for the pairwise slopes, so a loop over many
/// series (the emerging hot spot cube) allocates once per thread instead of once per call.
/// The buffer's contents on entry are ignored.
pub(crate) fn mann_kendall_in(
    series: &[f64],
    alpha: f64,
    scratch: &mut Vec<f64>,
) -> Result<MannKendall, AnalysisError> {
    let n = series.len();
    if n < 3 {
        return Err(AnalysisError::TooFewUnits {
            method: METHOD,
            found: n,
            needed: 3,
        });
    }
    if n > MAX_SERIES_LEN {
        return Err(AnalysisError::Invalid(format!(
            "series of {n} steps is longer than the {MAX_SERIES_LEN} that {METHOD} accepts"
        )));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(AnalysisError::Invalid(format!(
            "significance level alpha must be in (0, 1), got {alpha}"
        )));
    }
    if let Some(i) = series
        .iter()
        .position(|x| !x.is_finite() || x.abs() > MAX_ABS_VALUE)
    {
        return Err(AnalysisError::Invalid(format!(
            "series value {i} is {}; {METHOD} needs finite values within ±{MAX_ABS_VALUE:e}",
            series[i]
        )));
    }

    let mut s: i64 = 0;
    // Σ t(t−1)(2t+5) over tie groups, accumulated as Σ 6k(k+2) (see the docs).
    let mut tie_term: u64 = 0;
    for (i, &xi) in series.iter().enumerate() {
        let later = &series[i + 1..];
        let above = later.iter().filter(|&&xj| xj > xi).count();
        let below = later.iter().filter(|&&xj| xj < xi).count();
        // No NaN (checked above), so every other value is equal.
        let equal = (later.len() - above - below) as u64;
        s += above as i64 - below as i64;
        tie_term += 6 * equal * (equal + 2);
    }

    // Separate from the counting loop so both vectorise.
    scratch.clear();
    scratch.reserve(n * (n - 1) / 2);
    for (i, &xi) in series.iter().enumerate() {
        let later = &series[i + 1..];
        scratch.extend(
            later
                .iter()
                .zip(1u32..)
                .map(|(&xj, gap)| (xj - xi) / f64::from(gap)),
        );
    }
    let slope = median_in_place(scratch);

    let n64 = n as u64;
    let var_s = (n64 * (n64 - 1) * (2 * n64 + 5) - tie_term) as f64 / 18.0;
    let s = s as f64;
    // S ≠ 0 implies two distinct values, hence Var(S) > 0: no division by zero.
    let z = if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    let p = libm::erfc(z.abs() / std::f64::consts::SQRT_2);
    let trend = if p < alpha && z > 0.0 {
        Trend::Increasing
    } else if p < alpha && z < 0.0 {
        Trend::Decreasing
    } else {
        Trend::NoTrend
    };
    let tau = s / (0.5 * n as f64 * (n - 1) as f64);

    scratch.clear();
    scratch.extend_from_slice(series);
    let intercept = median_in_place(scratch) - (n - 1) as f64 / 2.0 * slope;

    Ok(MannKendall {
        s,
        var_s,
        z,
        p,
        tau,
        slope,
        intercept,
        trend,
        n,
    })
}

/// Median of a non-empty slice, reordering it; the mean of the two middle values when the
/// length is even (as `numpy.median`). Linear time (selection, not a sort).
fn median_in_place(values: &mut [f64]) -> f64 {
    let len = values.len();
    let (below, upper, _) = values.select_nth_unstable_by(len / 2, f64::total_cmp);
    let upper = *upper;
    if len % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

#[cfg(test)]
#[path = "mann_kendall_tests.rs"]
mod tests;
