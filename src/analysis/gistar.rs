//! Getis-Ord Gi*: local hot and cold spots, the statistic behind ArcGIS's Hot Spot Analysis.
//!
//! [`gi_star`] turns one value per unit (incident counts per H3 cell or district) and binary
//! [`Weights`] into a z-score, a two-sided p-value and an ArcGIS-style confidence bin per
//! unit, with optional Benjamini–Hochberg correction ([`super::fdr`]). Building the weights
//! and choosing the study area are left to [`super::weights`] and the caller; drawing and
//! wording the bins to the report and map layers.

use rayon::prelude::*;
use serde::Serialize;

use super::AnalysisError;
use super::fdr::{bh_cutoff_sorted, nan_last};
use super::weights::Weights;

const METHOD: &str = "Getis-Ord Gi*";

/// Confidence levels of the bins, from the strongest: bin magnitude 3, 2, 1.
const LEVELS: [(i8, f64); 3] = [(3, 0.01), (2, 0.05), (1, 0.10)];

/// Fewest units per parallel task, so that tasks are worth their overhead.
const CHUNK: usize = 4096;

/// Options for [`gi_star`].
#[derive(Debug, Clone, PartialEq)]
pub struct GiStarOptions {
    /// Apply the Benjamini–Hochberg false discovery rate correction to the bins (ArcGIS's
    /// "Apply False Discovery Rate (FDR) Correction"). Default `true`.
    pub fdr: bool,
    /// Refuse to run with fewer units than this. Default 30, the minimum ArcGIS's Hot Spot
    /// Analysis requires; with fewer units the normal approximation behind the p-values is
    /// poor. Never below 2, whatever is set here.
    pub min_units: usize,
}

impl Default for GiStarOptions {
    fn default() -> Self {
        GiStarOptions {
            fdr: true,
            min_units: 30,
        }
    }
}

/// The result of [`gi_star`], one entry per unit in each vector, in the units' order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiStar {
    /// The Gi* z-score: positive for hot spots, negative for cold spots. `0` for units
    /// where it is not meaningful (see `islands` and `warnings`).
    pub z: Vec<f64>,
    /// Two-sided p-value of `z` under the standard normal, `2·(1 − Φ(|z|))`.
    pub p: Vec<f64>,
    /// ArcGIS's `Gi_Bin`: `sign(z)` × 3, 2 or 1 for 99, 95 or 90 % confidence, else 0.
    pub bin: Vec<i8>,
    /// Whether `bin` is FDR-corrected.
    pub fdr: bool,
    /// Units without neighbours; their `z` is 0, `p` 1 and `bin` 0.
    pub islands: Vec<usize>,
    /// Sentences for the analyst about units whose result was set to "not significant".
    pub warnings: Vec<String>,
}

/// Getis-Ord Gi* of `values` over binary weights `w` with self-weight 1 (the "star").
///
/// # Parameters
/// - `values`: one finite value per unit, typically incident counts with zeros for the
///   units of the study area that had none. Negative values are allowed.
/// - `w`: spatial weights with `w.n() == values.len()`. Only the neighbour structure is
///   used: every listed neighbour weighs 1 whatever its stored weight (esda's
///   `transform='B'`), and each unit also counts itself with weight 1.
/// - `opts`: FDR correction and the minimum number of units, see [`GiStarOptions`].
///
/// # Returns
/// A [`GiStar`] with z, p and bin per unit; no field is ever NaN. Islands (units without
/// neighbours) and units whose neighbourhood is the whole study area get `z = 0`, `p = 1`,
/// `bin = 0` and a warning: their Gi* compares a unit with itself or the whole area with
/// itself, which says nothing about clustering. They are not part of the FDR family.
///
/// # Errors
/// - [`AnalysisError::Invalid`] if `values.len() != w.n()` or a value is not finite.
/// - [`AnalysisError::TooFewUnits`] with fewer than `max(opts.min_units, 2)` units.
/// - [`AnalysisError::ZeroVariance`] if all values are equal.
///
/// # Algorithm
/// For unit `i` with neighbour set `N(i)`, `W_i = |N(i)| + 1` (the unit and its neighbours),
/// `n` units, mean `x̄` and population standard deviation `S = sqrt(Σ (x_j − x̄)² / n)`:
///
/// ```text
///            x_i + Σ_{j∈N(i)} x_j  −  x̄ · W_i
/// z_i = ─────────────────────────────────────────
///        S · sqrt( W_i · (n − W_i) / (n − 1) )
/// ```
///
/// which is Ord & Getis (1995), eq. (4) and Getis & Ord (1992) for binary weights with
/// `w_ii = 1` (`Σ w_ij² = Σ w_ij = W_i`), the z-score ArcGIS reports as `GiZScore`, and
/// esda's `G_Local(y, w, transform='B', star=True).Zs` whenever the mean is positive (esda
/// divides by the mean, which flips its sign for a negative mean).
///
/// The p-value is two-sided, `erfc(|z|/√2)`. The bin is `sign(z)` times the largest level
/// `L` in 3, 2, 1 whose cutoff `c_L` satisfies `p <= c_L`, or 0. Without FDR the cutoffs
/// are `c_3 = 0.01`, `c_2 = 0.05`, `c_1 = 0.10`. With FDR each cutoff is the
/// Benjamini–Hochberg cutoff at that level over the p-values of all units except islands
/// and whole-area units: `c_L = bh_cutoff(p, α_L)` (see [`super::fdr::bh_cutoff`]), the
/// largest `p_(k) <= k·α_L/m`. Since `c_L <= α_L`, an FDR-corrected bin is never more
/// significant than the uncorrected one.
///
/// Global sums are taken sequentially and each unit's z depends only on its own row, so
/// the units run in parallel (rayon) and the result is the same on any number of threads. `O(n + nnz)` after the
/// weights are built, plus `O(n log n)` for the FDR cutoffs.
///
/// References: A. Getis and J. K. Ord (1992), "The analysis of spatial association by use
/// of distance statistics", *Geographical Analysis* 24(3), 189–206; J. K. Ord and A. Getis
/// (1995), "Local spatial autocorrelation statistics: distributional issues and an
/// application", *Geographical Analysis* 27(4), 286–306.
///
/// # Example
/// ```
/// use lagesbild::analysis::gistar::{GiStarOptions, gi_star};
/// use lagesbild::analysis::weights::Weights;
///
/// // A chain of 40 units with a cluster of high counts in the middle.
/// let values: Vec<f64> = (0..40).map(|i| if (18..22).contains(&i) { 9.0 } else { 1.0 }).collect();
/// let lists = (0..40)
///     .map(|i: usize| [i.wrapping_sub(1), i + 1].into_iter().filter(|&j| j < 40).collect())
///     .collect();
/// let w = Weights::binary(lists);
/// let gi = gi_star(&values, &w, &GiStarOptions::default()).unwrap();
/// assert!(gi.z[20] > 4.0 && gi.bin[20] == 3);
/// assert_eq!(gi.bin[0], 0);
/// ```
pub fn gi_star(values: &[f64], w: &Weights, opts: &GiStarOptions) -> Result<GiStar, AnalysisError> {
    let n = values.len();
    if w.n() != n {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: {n} values but weights for {} units",
            w.n()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: value of unit {i} is not a finite number ({})",
            values[i]
        )));
    }
    let needed = opts.min_units.max(2);
    if n < needed {
        return Err(AnalysisError::TooFewUnits {
            method: METHOD,
            found: n,
            needed,
        });
    }
    if values.iter().all(|&v| v == values[0]) {
        return Err(AnalysisError::ZeroVariance { method: METHOD });
    }

    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / nf).sqrt();
    if !(sd.is_finite() && sd > 0.0) {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: the values' standard deviation is not a positive finite number \
             (values too large?)"
        )));
    }

    // z per unit; None for islands (W = 1) and whole-area units (W = n), where the
    // variance term is zero or the statistic compares a unit only with itself.
    let z_opt: Vec<Option<f64>> = (0..n)
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|i| {
            let (nb, _) = w.row(i);
            let big_w = nb.len() + 1;
            if big_w == 1 || big_w >= n {
                return None;
            }
            let local = values[i] + nb.iter().map(|&j| values[j as usize]).sum::<f64>();
            let bw = big_w as f64;
            let var = bw * (nf - bw) / (nf - 1.0);
            Some((local - mean * bw) / (sd * var.sqrt()))
        })
        .collect();

    if let Some(i) = z_opt.iter().position(|z| z.is_some_and(|z| !z.is_finite())) {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: z of unit {i} is not finite (values too large?)"
        )));
    }

    let mut islands = Vec::new();
    let mut whole = Vec::new();
    for (i, z) in z_opt.iter().enumerate() {
        if z.is_none() {
            if w.row(i).0.is_empty() {
                islands.push(i);
            } else {
                whole.push(i);
            }
        }
    }

    let z: Vec<f64> = z_opt.iter().map(|z| z.unwrap_or(0.0)).collect();
    let p: Vec<f64> = z
        .par_iter()
        .with_min_len(CHUNK)
        .map(|&z| two_sided_p(z))
        .collect();

    let cutoffs = if opts.fdr {
        let mut tested: Vec<f64> = z_opt
            .iter()
            .zip(&p)
            .filter_map(|(z, &p)| z.map(|_| p))
            .collect();
        tested.par_sort_unstable_by(nan_last);
        LEVELS.map(|(level, alpha)| (level, bh_cutoff_sorted(&tested, alpha)))
    } else {
        LEVELS
    };
    let bin: Vec<i8> = z_opt
        .par_iter()
        .zip(&p)
        .with_min_len(CHUNK)
        .map(|(z, &p)| match z {
            Some(z) => gi_bin(*z, p, &cutoffs),
            None => 0,
        })
        .collect();

    let mut warnings = Vec::new();
    if !islands.is_empty() {
        warnings.push(format!(
            "{} of {n} units have no neighbours (islands: {}); their Gi* is not meaningful \
             and was set to z = 0, p = 1, not significant. Consider a larger neighbourhood.",
            islands.len(),
            list_some(&islands)
        ));
    }
    if !whole.is_empty() {
        warnings.push(format!(
            "{} of {n} units have every other unit as a neighbour ({}); their Gi* is \
             undefined and was set to z = 0, p = 1, not significant. Consider a smaller \
             neighbourhood or a larger study area.",
            whole.len(),
            list_some(&whole)
        ));
    }

    Ok(GiStar {
        z,
        p,
        bin,
        fdr: opts.fdr,
        islands,
        warnings,
    })
}

/// ArcGIS's bin for one unit: `sign(z)` times the first level whose cutoff `p` is within.
fn gi_bin(z: f64, p: f64, cutoffs: &[(i8, f64); 3]) -> i8 {
    let level = cutoffs
        .iter()
        .find(|&&(_, c)| p <= c)
        .map_or(0, |&(level, _)| level);
    if z > 0.0 {
        level
    } else if z < 0.0 {
        -level
    } else {
        0
    }
}

/// `2·(1 − Φ(|z|))`, computed as `erfc(|z|/√2)` to keep precision in the tail.
fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// The first few indices of a list, for a warning sentence.
fn list_some(units: &[usize]) -> String {
    const SHOW: usize = 10;
    let shown: Vec<String> = units.iter().take(SHOW).map(usize::to_string).collect();
    if units.len() > SHOW {
        format!("units {}, …", shown.join(", "))
    } else {
        format!("units {}", shown.join(", "))
    }
}

#[cfg(test)]
#[path = "gistar_tests.rs"]
mod tests;
