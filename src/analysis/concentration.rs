//! How concentrated incidents are over places: the share of incidents in the top 1/5/10/20 %
//! of units, the Lorenz curve, the Gini coefficient and its generalised form for sparse
//! data (Bernasco & Steenbeek 2017).
//!
//! Pure statistics on counts per unit (cells or addresses), zero units included: which
//! units and which window is the caller's business.

use serde::Serialize;

use super::AnalysisError;

/// The top shares reported by default, in per cent of units.
pub const TOP_PERCENTS: [f64; 4] = [1.0, 5.0, 10.0, 20.0];

/// The share of incidents in the top `percent` % of units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TopShare {
    /// Per cent of units, e.g. 5.
    pub percent: f64,
    /// Units in that top group: `ceil(percent / 100 · n)`.
    pub units: usize,
    /// Their share of all incidents, 0..=1.
    pub share: f64,
}

/// Concentration figures of one set of counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// Units (zero units included).
    pub n_units: usize,
    /// Incidents (sum of counts).
    pub total: f64,
    /// Units with at least one incident.
    pub units_with_incidents: usize,
    /// Top shares at [`TOP_PERCENTS`] (or the percents asked for).
    pub top: Vec<TopShare>,
    /// The Gini coefficient over all units, 0 (equal) ..= 1 − 1/n.
    pub gini: f64,
    /// Bernasco & Steenbeek's generalised Gini: equal to `gini` when there are at least as
    /// many incidents as units, else rescaled so that the most even spread that few
    /// incidents allow (one per unit) scores 0.
    pub generalised_gini: f64,
    /// The Lorenz curve, ascending: `(share of units, share of incidents)` from (0, 0) to
    /// (1, 1), at most 101 points (every unit for n ≤ 100, else every per cent).
    pub lorenz: Vec<(f64, f64)>,
}

/// Concentration of `counts`.
///
/// # Parameters
/// - `counts`: incidents per unit, zero units included, finite and ≥ 0 (aoristic counts may
///   be fractional).
/// - `percents`: top groups in per cent of units, each in (0, 100].
///
/// # Returns
/// [`Concentration`]; with no incidents the shares and Gini are 0.
///
/// # Algorithm
/// Units sorted by count. Top share: the `ceil(p/100 · n)` largest counts over the total.
/// Gini (Gini 1912) in the sorted form `G = Σᵢ (2i − n − 1) x₍ᵢ₎ / (n Σx)`, i = 1..n
/// ascending. When the number of incidents `N` is smaller than `n`, even a perfectly even
/// spread leaves `n − N` units empty and scores `G_min = 1 − N/n`; the generalised Gini
/// (Bernasco & Steenbeek 2017, "More places than crimes: implications for evaluating the law
/// of crime concentration at place", J. Quant. Criminol. 33, 451–467) compares with that
/// line of maximal equality: `G' = (G − G_min) / (1 − G_min) = (n/N)·G − (n − N)/N`. `N` is
/// the rounded total.
///
/// # Example
/// ```
/// use lagesbild::analysis::concentration::concentration;
/// // Ten cells: one with 6 incidents, two with 2, seven empty.
/// let c = concentration(&[6.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &[10.0, 20.0])?;
/// assert_eq!(c.top[0].share, 0.6); // the top cell holds 60 %
/// assert_eq!(c.top[1].share, 0.8);
/// assert!((c.gini - 0.78).abs() < 1e-12);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn concentration(counts: &[f64], percents: &[f64]) -> Result<Concentration, AnalysisError> {
    if counts.is_empty() {
        return Err(AnalysisError::TooFewUnits {
            method: "concentration",
            found: 0,
            needed: 1,
        });
    }
    if let Some(i) = counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Err(AnalysisError::Invalid(format!(
            "unit {i} has a count that is not a finite number ≥ 0"
        )));
    }
    if let Some(p) = percents.iter().find(|p| !(**p > 0.0 && **p <= 100.0)) {
        return Err(AnalysisError::Invalid(format!(
            "top: {p} is not a per cent in (0, 100]"
        )));
    }
    let n = counts.len();
    let nf = n as f64;
    let mut sorted = counts.to_vec();
    sorted.sort_by(f64::total_cmp);
    let total: f64 = sorted.iter().sum();
    let top = percents
        .iter()
        .map(|&p| {
            let units = ((p / 100.0 * nf).ceil() as usize).clamp(1, n);
            let sum: f64 = sorted[n - units..].iter().sum();
            TopShare {
                percent: p,
                units,
                share: if total > 0.0 { sum / total } else { 0.0 },
            }
        })
        .collect();
    let gini = if total > 0.0 {
        sorted
            .iter()
            .enumerate()
            .map(|(i, x)| (2.0 * (i + 1) as f64 - nf - 1.0) * x)
            .sum::<f64>()
            / (nf * total)
    } else {
        0.0
    };
    let incidents = total.round();
    let generalised_gini = if incidents >= 1.0 && incidents < nf {
        ((nf / incidents) * gini - (nf - incidents) / incidents).clamp(0.0, 1.0)
    } else {
        gini
    };
    let mut cum = Vec::with_capacity(n + 1);
    cum.push(0.0);
    let mut acc = 0.0;
    for x in &sorted {
        acc += x;
        cum.push(acc);
    }
    let steps = n.min(100);
    let lorenz = (0..=steps)
        .map(|k| {
            let units = (k as f64 / steps as f64 * nf).round() as usize;
            let y = if total > 0.0 { cum[units] / total } else { 0.0 };
            (units as f64 / nf, y)
        })
        .collect();
    Ok(Concentration {
        n_units: n,
        total,
        units_with_incidents: counts.iter().filter(|c| **c > 0.0).count(),
        top,
        gini,
        generalised_gini,
        lorenz,
    })
}

#[cfg(test)]
#[path = "concentration_tests.rs"]
mod tests;
