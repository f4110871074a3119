//! Local Moran's I (LISA): which units belong to a cluster, and of what kind.
//!
//! Each unit gets its local Moran's I, its quadrant in the Moran scatterplot (high among
//! high, low among high, ...), and a conditional-permutation pseudo p-value. The global
//! statistic lives in [`super::moran`]; multiple-testing corrections (FDR) and turning
//! results into maps are left to the callers.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::AnalysisError;
use super::moran::check_input;
use super::weights::Weights;

const METHOD: &str = "local Moran's I (LISA)";

/// Permuted statistics within this relative distance of the observed one count as ties.
/// Sums of the same neighbour values in another order can differ in the last bits; a tie
/// counts towards both tails (see [`lisa`]).
const TIE_TOLERANCE: f64 = 1e-10;

/// A unit's quadrant in the Moran scatterplot: its own value against its neighbours'.
///
/// The first letter is the unit (High: above the mean), the second its spatial lag. A
/// standardised value or lag of exactly 0 counts as Low, as in esda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quadrant {
    /// High value among high neighbours (a hot spot); esda's `q == 1`.
    HH,
    /// Low value among high neighbours (a spatial outlier); esda's `q == 2`.
    LH,
    /// Low value among low neighbours (a cold spot); esda's `q == 3`.
    LL,
    /// High value among low neighbours (a spatial outlier); esda's `q == 4`.
    HL,
}

impl Quadrant {
    /// The quadrant from the signs of the standardised value and its spatial lag.
    pub fn from_signs(z: f64, lag: f64) -> Quadrant {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HH,
            (false, true) => Quadrant::LH,
            (false, false) => Quadrant::LL,
            (true, false) => Quadrant::HL,
        }
    }
}

/// Settings for [`lisa`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LisaOptions {
    /// Conditional permutations per unit; at least 1. Default 999.
    pub permutations: usize,
    /// Seed of the permutations; the same seed gives the same p-values. Default 0.
    pub seed: u64,
    /// Significance level: a unit is significant when `p_sim <= alpha`. Default 0.05.
    pub alpha: f64,
}

impl Default for LisaOptions {
    fn default() -> LisaOptions {
        LisaOptions {
            permutations: 999,
            seed: 0,
            alpha: 0.05,
        }
    }
}

/// Local Moran's I for every unit, in the order of the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lisa {
    /// Local Moran's I, scaled as esda's `Is` (see [`lisa`]).
    pub i: Vec<f64>,
    /// Standardised values `(y - ȳ) / s`, with `s` the population standard deviation.
    pub z: Vec<f64>,
    /// Spatial lag of `z` under row-standardised weights (0 for islands).
    pub lag: Vec<f64>,
    /// Scatterplot quadrant, from the signs of `z` and `lag` only.
    pub quadrant: Vec<Quadrant>,
    /// Folded conditional-permutation pseudo p-value, in `(0, 1]`.
    pub p_sim: Vec<f64>,
    /// `p_sim <= alpha`.
    pub significant: Vec<bool>,
    /// Permutations used per unit.
    pub permutations: usize,
    /// Seed used.
    pub seed: u64,
}

/// Local Moran's I with conditional-permutation inference (Anselin 1995).
///
/// # Parameters
/// - `values`: one finite value per unit, in the order of the weights' rows.
/// - `w`: spatial weights. They are **row-standardised inside** ([`Weights::row_standardised`]),
///   whatever their scale, so binary and already standardised weights give the same result.
/// - `opts`: permutations, seed and significance level ([`LisaOptions`]).
///
/// # Returns
/// [`Lisa`]: per unit the local I, standardised value, spatial lag, quadrant, pseudo
/// p-value and significance flag. No field is ever NaN.
///
/// # Errors
/// - [`AnalysisError::Invalid`] if `values` and `w` differ in length, a value or weight is
///   not finite, `permutations` is 0, or `alpha` is not in `(0, 1)`.
/// - [`AnalysisError::TooFewUnits`] if there are fewer than 3 units.
/// - [`AnalysisError::ZeroVariance`] if all values are equal.
///
/// # Algorithm
/// With `z_i = (y_i - ȳ) / s` (`s² = Σ (y_j - ȳ)² / n`) and row-standardised `w_ij`, the
/// spatial lag is `lag_i = Σ_j w_ij z_j` and (Anselin 1995)
///
/// ```text
/// I_i = (n - 1) · z_i · lag_i / Σ_j z_j²
/// ```
///
/// This is PySAL esda's `Moran_Local.Is`: Anselin's `z_i Σ_j w_ij z_j / m2` with the
/// second moment taken with divisor `n - 1`, `m2 = Σ z_j² / (n - 1)`. With it, **Anselin's
/// identity** reads
///
/// ```text
/// Σ_i I_i = (n - 1) · (S0 / n) · I
/// ```
///
/// where `I` is [`super::moran::moran_global`] on the same row-standardised weights and
/// `S0 = n - (number of islands)` (for non-negative weights); without islands,
/// `Σ_i I_i = (n - 1) · I`.
///
/// The quadrant comes from the signs of `z_i` and `lag_i` only ([`Quadrant::from_signs`];
/// 0 counts as Low), never from the p-value.
///
/// **Pseudo p-values** (conditional randomisation, Anselin 1995): for unit `i` with
/// `k_i` neighbours, `z_i` is held fixed and `k_i` values are drawn without replacement
/// from the other `n - 1` units (a partial Fisher–Yates shuffle) and given the row's
/// weights in order; this is repeated `P = permutations` times. With
/// `G = #{permuted I_i >= observed}` and `L = #{permuted I_i <= observed}` (ties, within
/// `1e-10 · (1 + |observed|)`, count in both),
///
/// ```text
/// p_sim = (min(G, L) + 1) / (P + 1)
/// ```
///
/// the folded p-value of esda's `Moran_Local.p_sim`: the count in the tail where the
/// observed value lies, as a one-sided test in that direction. esda counts the lower tail as
/// `P - G` (strictly below); counting ties in both tails differs only when permuted values
/// tie with the observed one: for a unit with `z_i = 0`, or an island, esda reports the
/// smallest possible p-value, `1 / (P + 1)`, and this gives `p_sim = 1`.
///
/// **Islands** (no neighbours): `lag = 0`, `I = 0`, `p_sim = 1`, never significant, and the
/// quadrant `HL` or `LL` by the sign of `z`.
///
/// **Determinism**: unit `i` draws from its own ChaCha8 stream, seeded with `seed` and
/// stream number `i`, so the result depends only on `(values, w, permutations, seed)`
/// (and the `rand` crate version), not on the number of threads. Units run in parallel
/// with rayon. Cost: O(n + nnz · P).
///
/// # Example
/// ```
/// use lagesbild::analysis::lisa::{LisaOptions, Quadrant, lisa};
/// use lagesbild::analysis::weights::Weights;
///
/// // A 3 × 3 grid (rook neighbours) with a hot corner at the top left.
/// let w = Weights::binary(vec![
///     vec![1, 3],
///     vec![0, 2, 4],
///     vec![1, 5],
///     vec![0, 4, 6],
///     vec![1, 3, 5, 7],
///     vec![2, 4, 8],
///     vec![3, 7],
///     vec![4, 6, 8],
///     vec![5, 7],
/// ]);
/// let counts = [12.0, 9.0, 2.0, 10.0, 3.0, 1.0, 2.0, 1.0, 0.0];
/// let opts = LisaOptions { permutations: 99, seed: 7, ..LisaOptions::default() };
/// let result = lisa(&counts, &w, &opts)?;
/// assert_eq!(result.quadrant[0], Quadrant::HH);
/// assert_eq!(result.quadrant[8], Quadrant::LL);
/// assert!(result.i[0] > 0.0);
/// assert!(result.p_sim.iter().all(|&p| p > 0.0 && p <= 1.0));
/// // Same seed, same answer.
/// assert_eq!(lisa(&counts, &w, &opts)?.p_sim, result.p_sim);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn lisa(values: &[f64], w: &Weights, opts: &LisaOptions) -> Result<Lisa, AnalysisError> {
    let n = check_input(values, w, METHOD)?;
    if opts.permutations == 0 {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: permutations must be at least 1"
        )));
    }
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD}: alpha must be between 0 and 1 (exclusive), got {}",
            opts.alpha
        )));
    }
    let w = w.row_standardised();
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let sd = (values.iter().map(|&y| (y - mean) * (y - mean)).sum::<f64>() / nf).sqrt();
    let z: Vec<f64> = values.iter().map(|&y| (y - mean) / sd).collect();
    let local = LocalI {
        n_1: nf - 1.0,
        den: z.iter().map(|v| v * v).sum(),
    };

    let lag: Vec<f64> = (0..n)
        .map(|i| {
            let (nb, wt) = w.row(i);
            nb.iter()
                .zip(wt)
                .map(|(&j, &wij)| wij * z[j as usize])
                .sum()
        })
        .collect();
    let i: Vec<f64> = z
        .iter()
        .zip(&lag)
        .map(|(&zi, &l)| local.of(zi, l))
        .collect();
    let quadrant = z
        .iter()
        .zip(&lag)
        .map(|(&zi, &l)| Quadrant::from_signs(zi, l))
        .collect();

    let p_sim: Vec<f64> = (0..n)
        .into_par_iter()
        .map_init(
            || Shuffler::new(n - 1),
            |shuffler, unit| {
                let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
                rng.set_stream(unit as u64);
                let (_, weights) = w.row(unit);
                shuffler.p_value(
                    unit,
                    weights,
                    &z,
                    &local,
                    i[unit],
                    opts.permutations,
                    &mut rng,
                )
            },
        )
        .collect();
    let significant = p_sim.iter().map(|&p| p <= opts.alpha).collect();

    Ok(Lisa {
        i,
        z,
        lag,
        quadrant,
        p_sim,
        significant,
        permutations: opts.permutations,
        seed: opts.seed,
    })
}

/// The local statistic, computed in one place so that permuted and observed values agree
/// to the bit when the same neighbours are drawn in the same order.
struct LocalI {
    n_1: f64,
    den: f64,
}

impl LocalI {
    fn of(&self, z_i: f64, lag: f64) -> f64 {
        self.n_1 * z_i * lag / self.den
    }
}

/// Draws `k` of the `n - 1` other units by a partial Fisher–Yates shuffle of a reusable
/// index pool, which is put back in order after each draw so that every unit starts from
/// the same state (and so thread scheduling cannot change a result).
struct Shuffler {
    pool: Vec<u32>,
    swaps: Vec<usize>,
}

impl Shuffler {
    fn new(others: usize) -> Shuffler {
        Shuffler {
            pool: (0..others as u32).collect(),
            swaps: Vec::new(),
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; a struct would only rename the arguments"
    )]
    fn p_value(
        &mut self,
        unit: usize,
        weights: &[f64],
        z: &[f64],
        local: &LocalI,
        observed: f64,
        permutations: usize,
        rng: &mut ChaCha8Rng,
    ) -> f64 {
        let k = weights.len();
        if k == 0 {
            return 1.0;
        }
        let others = self.pool.len();
        let tolerance = TIE_TOLERANCE * (1.0 + observed.abs());
        let (mut at_least, mut at_most) = (0usize, 0usize);
        self.swaps.clear();
        self.swaps.resize(k, 0);
        for _ in 0..permutations {
            let mut lag = 0.0;
            for (j, &wij) in weights.iter().enumerate() {
                let r = rng.random_range(j..others);
                self.pool.swap(j, r);
                self.swaps[j] = r;
                // Pool entries index the other units: skip over `unit` itself.
                let other = self.pool[j] as usize;
                let other = if other < unit { other } else { other + 1 };
                lag += wij * z[other];
            }
            for j in (0..k).rev() {
                self.pool.swap(j, self.swaps[j]);
            }
            let permuted = local.of(z[unit], lag);
            if permuted >= observed - tolerance {
                at_least += 1;
            }
            if permuted <= observed + tolerance {
                at_most += 1;
            }
        }
        (at_least.min(at_most) + 1) as f64 / (permutations + 1) as f64
    }
}

#[cfg(test)]
#[path = "lisa_tests.rs"]
mod tests;
