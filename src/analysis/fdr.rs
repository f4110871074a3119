//! False discovery rate: the Benjamini–Hochberg (1995) step-up procedure.
//!
//! [`bh_cutoff`] gives the p-value cutoff at a chosen FDR level (what ArcGIS's "Apply False
//! Discovery Rate Correction" does to each confidence level of a hotspot map);
//! [`bh_adjust`] gives BH-adjusted p-values (q-values) for display. Which p-values form one
//! family of tests is the caller's decision.
//!
//! Reference: Y. Benjamini and Y. Hochberg (1995), "Controlling the false discovery rate: a
//! practical and powerful approach to multiple testing", *Journal of the Royal Statistical
//! Society B* 57(1), 289–300.

use std::cmp::Ordering;

use rayon::slice::ParallelSliceMut;

/// The Benjamini–Hochberg p-value cutoff at FDR level `alpha`.
///
/// # Parameters
/// - `p`: the family of `m = p.len()` p-values, each in `[0, 1]`. A NaN counts toward `m`
///   but is never below the cutoff.
/// - `alpha`: the false discovery rate to control, e.g. `0.05`.
///
/// # Returns
/// The largest sorted p-value `p_(k)` with `p_(k) <= k·alpha/m`, or `0.0` when there is
/// none (or `p` is empty). The tests to reject are those with `p <= cutoff`; when no
/// `p_(k)` qualifies, every p-value is above `alpha/m > 0`, so `p <= 0.0` rejects nothing.
/// The cutoff is never above `alpha` and never decreases as `alpha` grows.
///
/// esda's `fdr(p, alpha)` returns the threshold `k·alpha/m` instead (and `alpha/m` when no
/// test qualifies); both reject the same p-values, except for a p-value exactly equal to
/// `k·alpha/m`, which esda's strict comparison does not count.
///
/// # Algorithm
/// Sort ascending, then scan from the largest: the first `p_(k) <= k·alpha/m` found is the
/// step-up cutoff (Benjamini & Hochberg 1995). `O(m log m)`.
///
/// # Example
/// ```
/// use lagesbild::analysis::fdr::bh_cutoff;
///
/// let p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216];
/// // k·0.05/10 = 0.005, 0.010, 0.015, ...: p_(2) = 0.008 is the largest that fits.
/// assert_eq!(bh_cutoff(&p, 0.05), 0.008);
/// assert_eq!(bh_cutoff(&[0.5, 0.9], 0.05), 0.0);
/// ```
pub fn bh_cutoff(p: &[f64], alpha: f64) -> f64 {
    let mut sorted = p.to_vec();
    sorted.par_sort_unstable_by(nan_last);
    bh_cutoff_sorted(&sorted, alpha)
}

/// [`bh_cutoff`] for p-values already sorted ascending (NaNs last), so that several levels
/// can share one sort.
pub(crate) fn bh_cutoff_sorted(sorted: &[f64], alpha: f64) -> f64 {
    let m = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .rev()
        .find(|&(k, &pk)| pk <= (k + 1) as f64 * alpha / m)
        .map_or(0.0, |(_, &pk)| pk)
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the order of `p`.
///
/// # Parameters
/// - `p`: the family of `m = p.len()` p-values, each in `[0, 1]`. A NaN counts toward `m`
///   and gets a NaN q-value.
///
/// # Returns
/// `q_(i) = min over j >= i of min(1, m·p_(j)/j)` for the ascending order `p_(1) <= … <=
/// p_(m)`: monotone in `p`, never below `p` (up to rounding), at most 1. A test is significant at FDR level
/// `alpha` exactly when its q-value is `<= alpha`, i.e. when `p <= bh_cutoff(p, alpha)`.
/// Equals statsmodels' `multipletests(p, method="fdr_bh")[1]`.
///
/// # Algorithm
/// Sort ascending and take the running minimum of `m·p_(j)/j` from the largest down
/// (Benjamini & Hochberg 1995). `O(m log m)`.
///
/// # Example
/// ```
/// use lagesbild::analysis::fdr::bh_adjust;
///
/// let q = bh_adjust(&[0.01, 0.04, 0.03, 0.5]);
/// assert_eq!(q, vec![0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.5]);
/// ```
pub fn bh_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len() as f64;
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| nan_last(&p[a], &p[b]));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        if p[i].is_nan() {
            continue;
        }
        running = running.min(m * p[i] / (rank + 1) as f64);
        q[i] = running;
    }
    q
}

/// Ascending order with every NaN after every number.
pub(crate) fn nan_last(a: &f64, b: &f64) -> Ordering {
    a.partial_cmp(b)
        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

#[cfg(test)]
#[path = "fdr_tests.rs"]
mod tests;
