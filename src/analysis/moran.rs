//! Global Moran's I: is the whole study area spatially clustered?
//!
//! One number for the map: do similar values (many incidents, few incidents) sit next to
//! each other more than chance would put them? Inference uses the normality assumption
//! (Cliff & Ord 1981), which is what esda reports as `z_norm`/`p_norm`. The local
//! decomposition (LISA, which unit is part of a cluster) lives in [`super::lisa`]; choosing
//! and standardising the weights is the caller's job.

use serde::Serialize;

use super::AnalysisError;
use super::weights::Weights;

const METHOD: &str = "global Moran's I";

/// Global Moran's I with its moments under the normality assumption.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MoranGlobal {
    /// Moran's I.
    pub i: f64,
    /// Expected value of I under no spatial autocorrelation, `-1 / (n - 1)`.
    pub expected: f64,
    /// Variance of I under the normality assumption.
    pub variance_normal: f64,
    /// `(i - expected) / sqrt(variance_normal)`.
    pub z_normal: f64,
    /// Two-sided p-value of `z_normal` under the standard normal distribution.
    pub p_normal: f64,
}

/// Global Moran's I (Moran 1950) with normal-approximation inference (Cliff & Ord 1981).
///
/// # Parameters
/// - `values`: one finite value per unit, in the order of the weights' rows (for instance
///   incident counts or rates per area or H3 cell).
/// - `w`: spatial weights, **used as given**. Callers that want the usual row-standardised
///   statistic (as esda's default `transformation='r'`) pass
///   [`Weights::row_standardised`]; binary weights give the classic unstandardised I.
///
/// # Returns
/// [`MoranGlobal`]: I, its expectation and variance under normality, the z-score and the
/// two-sided p-value.
///
/// # Errors
/// - [`AnalysisError::Invalid`] if `values` and `w` differ in length, a value or weight is
///   not finite, all weights are zero (`S0 = 0`), or the variance is not positive.
/// - [`AnalysisError::TooFewUnits`] if there are fewer than 3 units.
/// - [`AnalysisError::ZeroVariance`] if all values are equal.
///
/// # Algorithm
/// With `z_i = y_i - ȳ`, `S0 = Σ_i Σ_j w_ij`,
///
/// ```text
/// I = (n / S0) · Σ_i Σ_j w_ij z_i z_j / Σ_i z_i²
/// ```
///
/// (Moran 1950). Under the normality assumption (Cliff & Ord 1981, ch. 1–2)
///
/// ```text
/// E[I]   = -1 / (n - 1)
/// Var[I] = (n² S1 - n S2 + 3 S0²) / ((n - 1)(n + 1) S0²) - E[I]²
/// S1 = ½ Σ_i Σ_j (w_ij + w_ji)²,   S2 = Σ_i (w_i· + w_·i)²
/// z  = (I - E[I]) / sqrt(Var[I]),  p = 2 · (1 - Φ(|z|))
/// ```
///
/// These are the formulas of PySAL esda's `Moran` (`I`, `EI`, `VI_norm`, `z_norm`,
/// `p_norm` with `two_tailed=True`); the test suite checks them against esda on libpysal's
/// Columbus data. The p-value is evaluated as `erfc(|z| / √2)`, so small p-values keep
/// their relative precision. Cost: O(n + nnz · log(max row length)).
///
/// # Example
/// ```
/// use lagesbild::analysis::moran::moran_global;
/// use lagesbild::analysis::weights::Weights;
///
/// // Six units on a line; the high values sit together at one end.
/// let w = Weights::binary(vec![
///     vec![1],
///     vec![0, 2],
///     vec![1, 3],
///     vec![2, 4],
///     vec![3, 5],
///     vec![4],
/// ])
/// .row_standardised();
/// let m = moran_global(&[9.0, 8.0, 7.0, 2.0, 1.0, 1.0], &w)?;
/// assert!(m.i > 0.5);
/// assert_eq!(m.expected, -0.2);
/// assert!(m.z_normal > 0.0 && m.p_normal < 0.05);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn moran_global(values: &[f64], w: &Weights) -> Result<MoranGlobal, AnalysisError> {
    let n = check_input(values, w, METHOD)?;
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let z: Vec<f64> = values.iter().map(|&y| y - mean).collect();
    let z2ss: f64 = z.iter().map(|v| v * v).sum();

    let sums = WeightSums::of(w);
    if sums.s0 == 0.0 {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: the weights have no non-zero entries (S0 = 0)"
        )));
    }
    let cross: f64 = (0..n)
        .map(|i| {
            let (nb, wt) = w.row(i);
            let lag: f64 = nb
                .iter()
                .zip(wt)
                .map(|(&j, &wij)| wij * z[j as usize])
                .sum();
            z[i] * lag
        })
        .sum();
    let i = nf / sums.s0 * cross / z2ss;

    let expected = -1.0 / (nf - 1.0);
    let s02 = sums.s0 * sums.s0;
    let variance_normal = (nf * nf * sums.s1 - nf * sums.s2 + 3.0 * s02)
        / ((nf - 1.0) * (nf + 1.0) * s02)
        - expected * expected;
    if !(variance_normal.is_finite() && variance_normal > 0.0) {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: the variance under normality is {variance_normal}, not positive"
        )));
    }
    let z_normal = (i - expected) / variance_normal.sqrt();
    Ok(MoranGlobal {
        i,
        expected,
        variance_normal,
        z_normal,
        p_normal: two_sided_normal_p(z_normal),
    })
}

/// `2 · P(Z > |z|)` for a standard normal `Z`, as `erfc(|z| / √2)`.
fn two_sided_normal_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Checks lengths, unit count, finiteness and variance shared by Moran's I and LISA;
/// returns `n`.
pub(crate) fn check_input(
    values: &[f64],
    w: &Weights,
    method: &'static str,
) -> Result<usize, AnalysisError> {
    let n = values.len();
    if w.n() != n {
        return Err(AnalysisError::Invalid(format!(
            "{method}: {n} values but the weights have {} units",
            w.n()
        )));
    }
    if n < 3 {
        return Err(AnalysisError::TooFewUnits {
            method,
            found: n,
            needed: 3,
        });
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(AnalysisError::Invalid(format!(
            "{method}: value {i} is not finite ({v})"
        )));
    }
    for i in 0..n {
        let (nb, wt) = w.row(i);
        if let Some((j, v)) = nb.iter().zip(wt).find(|(_, v)| !v.is_finite()) {
            return Err(AnalysisError::Invalid(format!(
                "{method}: weight ({i}, {j}) is not finite ({v})"
            )));
        }
    }
    // Compare the values themselves: the mean of equal values can round away from them.
    if values.iter().all(|&v| v == values[0]) {
        return Err(AnalysisError::ZeroVariance { method });
    }
    Ok(n)
}

/// The weight sums `S0`, `S1`, `S2` of Cliff & Ord (1981).
struct WeightSums {
    s0: f64,
    s1: f64,
    s2: f64,
}

impl WeightSums {
    fn of(w: &Weights) -> WeightSums {
        let n = w.n();
        let mut row_sums = vec![0.0; n];
        let mut col_sums = vec![0.0; n];
        let mut squares = 0.0;
        let mut with_transpose = 0.0;
        for (i, row_sum) in row_sums.iter_mut().enumerate() {
            let (nb, wt) = w.row(i);
            for (&j, &wij) in nb.iter().zip(wt) {
                *row_sum += wij;
                col_sums[j as usize] += wij;
                squares += wij * wij;
                with_transpose += wij * transposed(w, i, j as usize);
            }
        }
        // ½ Σ (w_ij + w_ji)² = Σ w_ij² + Σ w_ij w_ji over ordered pairs.
        WeightSums {
            s0: row_sums.iter().sum(),
            s1: squares + with_transpose,
            s2: row_sums
                .iter()
                .zip(&col_sums)
                .map(|(r, c)| (r + c) * (r + c))
                .sum(),
        }
    }
}

/// `w_ji`, found by binary search in row `j` (rows are sorted by neighbour).
fn transposed(w: &Weights, i: usize, j: usize) -> f64 {
    let (nb, wt) = w.row(j);
    nb.binary_search(&(i as u32)).map_or(0.0, |k| wt[k])
}

#[cfg(test)]
#[path = "moran_tests.rs"]
mod tests;
