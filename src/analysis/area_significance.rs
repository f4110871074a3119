//! Area significance that works for a typical EST network (6 to 20 areas, where area Gi*
//! needs 30): an exact test of each area's rate against the rest of the layer, with
//! Benjamini–Hochberg control across the areas.
//!
//! The counts come from the caller (`hotspots`); this file holds only the statistics.
//!
//! # Method
//!
//! For area `i` with `c_i` incidents and exposure `e_i` (residents when every area of the
//! layer has a population, else land area), and the rest of the layer with `c_r` and `e_r`:
//! under the null of equal rates, and conditional on the total `n = c_i + c_r`, `c_i` is
//! binomial with `n` trials and probability `π = e_i / (e_i + e_r)` (the exact conditional
//! test of two Poisson rates; Przyborowski & Wilenski 1940; Breslow & Day 1987, §2.3).
//! The upper tail `P(X ≥ c_i)` tests "hot", the lower tail `P(X ≤ c_i)` "cold"; the two-sided
//! p is `min(1, 2·min(upper, lower))` (doubling the smaller tail). Aoristic counts are
//! rounded to whole incidents first.
//!
//! Across the areas, the Benjamini–Hochberg step-up cutoff (Benjamini & Hochberg 1995) is
//! computed at 10 %, 5 % and 1 %, as for hex Gi* with FDR, and each area gets the bin of the
//! strictest level it passes: `hot_99`, `hot_95`, `hot_90`, `none`, `cold_90`, `cold_95`,
//! `cold_99`.

use serde::Serialize;
use statrs::function::beta::beta_reg;

use super::AnalysisError;
use super::fdr::bh_cutoff;

/// What the rate is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Residents (every area has a population).
    Residents,
    /// The area's surface in km² (some area lacks a population).
    LandArea,
}

/// One area's test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AreaTest {
    /// `P(X ≥ c)`: as many or more incidents than equal rates would give.
    pub p_upper: f64,
    /// `P(X ≤ c)`.
    pub p_lower: f64,
    /// Two-sided p, `min(1, 2·min(p_upper, p_lower))`.
    pub p: f64,
    /// The area's rate relative to the rest of the layer (`None` when undefined).
    pub rate_ratio: Option<f64>,
    /// −3..=3: cold/hot at 99/95/90 % after FDR.
    pub bin: i8,
}

/// The name of a bin, e.g. `hot_95`.
pub fn bin_name(bin: i8) -> &'static str {
    match bin {
        3 => "hot_99",
        2 => "hot_95",
        1 => "hot_90",
        -1 => "cold_90",
        -2 => "cold_95",
        -3 => "cold_99",
        _ => "none",
    }
}

/// The bin of a name from [`bin_name`] (0 for anything else).
pub fn bin_of(name: &str) -> i8 {
    (-3..=3).find(|&b| bin_name(b) == name).unwrap_or(0)
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`.
fn upper_tail(k: u64, n: u64, p: f64) -> Result<f64, AnalysisError> {
    if k == 0 {
        return Ok(1.0);
    }
    if k > n {
        return Ok(0.0);
    }
    if p <= 0.0 {
        return Ok(0.0);
    }
    if p >= 1.0 {
        return Ok(1.0);
    }
    Ok(beta_reg(k as f64, (n - k + 1) as f64, p))
}

/// The exact test of each area against the rest, with BH control across areas.
///
/// # Parameters
/// - `counts`: incidents per area (aoristic sums are rounded).
/// - `exposure`: residents or land area per area, all > 0.
/// - `fdr`: Benjamini–Hochberg control across the areas (else raw levels).
///
/// # Returns
/// One [`AreaTest`] per area, in input order.
///
/// # Errors
/// [`AnalysisError::TooFewUnits`] with fewer than 2 areas; [`AnalysisError::Invalid`] for a
/// non-positive or non-finite exposure or count.
///
/// # Example
/// ```
/// use lagesbild::analysis::area_significance::{area_tests, bin_name};
/// // Six areas of equal population; the first has four times the others' rate.
/// let t = area_tests(&[80.0, 20.0, 22.0, 18.0, 21.0, 19.0], &[1.0; 6], true)?;
/// assert_eq!(bin_name(t[0].bin), "hot_99");
/// assert_eq!(bin_name(t[2].bin), "none");
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn area_tests(
    counts: &[f64],
    exposure: &[f64],
    fdr: bool,
) -> Result<Vec<AreaTest>, AnalysisError> {
    let n_areas = counts.len();
    if n_areas < 2 || exposure.len() != n_areas {
        return Err(AnalysisError::TooFewUnits {
            method: "the exact rate test against the rest",
            found: n_areas.min(exposure.len()),
            needed: 2,
        });
    }
    if let Some(i) = exposure.iter().position(|e| !(e.is_finite() && *e > 0.0)) {
        return Err(AnalysisError::Invalid(format!(
            "area {i} has no positive exposure (residents or land area)"
        )));
    }
    if let Some(i) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Err(AnalysisError::Invalid(format!(
            "area {i} has a count that is not a finite number ≥ 0"
        )));
    }
    let c: Vec<u64> = counts.iter().map(|c| c.round() as u64).collect();
    let total: u64 = c.iter().sum();
    let e_total: f64 = exposure.iter().sum();
    let mut out = Vec::with_capacity(n_areas);
    for i in 0..n_areas {
        let pi = exposure[i] / e_total;
        let p_upper = upper_tail(c[i], total, pi)?;
        let p_lower = 1.0 - upper_tail(c[i] + 1, total, pi)?;
        let p = (2.0 * p_upper.min(p_lower)).min(1.0);
        let rest_count = (total - c[i]) as f64;
        let rest_exposure = e_total - exposure[i];
        let rate_ratio =
            (rest_count > 0.0).then(|| (c[i] as f64 / exposure[i]) / (rest_count / rest_exposure));
        out.push(AreaTest {
            p_upper,
            p_lower,
            p,
            rate_ratio,
            bin: 0,
        });
    }
    let p: Vec<f64> = out.iter().map(|t| t.p).collect();
    let levels: [(i8, f64); 3] = [(3, 0.01), (2, 0.05), (1, 0.10)];
    let cutoffs = levels.map(|(b, a)| (b, if fdr { bh_cutoff(&p, a) } else { a }));
    for t in &mut out {
        let level = cutoffs
            .iter()
            .find(|&&(_, cut)| t.p <= cut)
            .map_or(0, |&(b, _)| b);
        t.bin = if t.p_upper < t.p_lower { level } else { -level };
    }
    Ok(out)
}

/// The method in words, for `significance_method`.
pub fn method_name(exposure: Exposure, fdr: bool) -> String {
    let per = match exposure {
        Exposure::Residents => "per resident",
        Exposure::LandArea => "per km² of the area",
    };
    format!(
        "exact conditional Poisson (binomial) test of the area's rate {per} against the rest of the layer, two-sided{}",
        if fdr {
            ", Benjamini–Hochberg FDR across the areas"
        } else {
            ", no FDR"
        }
    )
}

#[cfg(test)]
#[path = "area_significance_tests.rs"]
mod tests;
