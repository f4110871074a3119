//! Emerging hot spot classification: how a location's hot or cold spot status has
//! developed over time, in the 17 categories of ArcGIS Pro's *Emerging Hot Spot Analysis*.
//!
//! Input is, for each location, the Gi* z-score and p-value of every time step (oldest
//! first), computed elsewhere (Gi* per step, any FDR correction of the p-values). This
//! module decides per step whether the location is a significant hot or cold spot, runs the
//! [Mann–Kendall test](super::mann_kendall) on the z-score series, and names the pattern.
//! Drawing the map and wording the report are left to `report`.
//!
//! # The rules
//!
//! Let `n` be the number of steps and `alpha`, `trend_alpha`, `share` the fields of
//! [`EmergingOptions`] (defaults 0.05, 0.05, 0.90). Step `t` is
//!
//! - **hot** if `p_t < alpha` and `z_t > 0`,
//! - **cold** if `p_t < alpha` and `z_t < 0`,
//! - **not significant** otherwise (including `p_t == alpha`).
//!
//! "At least 90 %" means at least `need = ⌈share · n⌉` steps (e.g. 9 of 10, 135 of 150);
//! "less than 90 %" is the complement. The *trend* is the Mann–Kendall decision on the
//! z-series at `trend_alpha` ([`Trend`]): for hot spots an increasing z is intensifying, for
//! cold spots a *decreasing* z (more negative, colder) is intensifying. The *final run* is
//! the longest run of steps ending at the last step that share its state.
//!
//! ArcGIS's definitions (paraphrased below after *ArcGIS*, then our reading after *Here*)
//! overlap: a location cold for years and hot in the last step is both "new hot" and
//! "oscillating hot" by the letter. So they are applied in this order and the first that
//! matches wins. **The state of the final step picks the side**: a location hot in the last
//! step always gets a hot class (1–7), cold a cold class, and only a location that is
//! neither in the last step can be historical or "no pattern".
//!
//! Final step **hot** (cold is the mirror image, with hot ↔ cold and the trend reversed):
//!
//! 1. **Intensifying hot spot** — *ArcGIS:* a significant hot spot in 90 % of the steps,
//!    the final one included, whose clustering intensity rises overall, significantly.
//!    *Here:* hot steps `≥ need` and trend increasing.
//! 2. **Diminishing hot spot** — *ArcGIS:* as intensifying, but the intensity falls overall,
//!    significantly. *Here:* hot steps `≥ need` and trend decreasing.
//! 3. **Persistent hot spot** — *ArcGIS:* a significant hot spot in 90 % of the steps with
//!    no discernible trend in intensity. *Here:* hot steps `≥ need` and no significant trend
//!    (and, by the side rule, hot in the final step: ≥ 90 % hot but not significant at the
//!    end is historical, rule 8).
//! 4. **New hot spot** — *ArcGIS:* hot in the final step and never a significant hot spot
//!    before. *Here:* the final step is the only hot step. Earlier cold steps are allowed
//!    (the first hot signal is the news), which is why this comes before oscillating.
//! 5. **Consecutive hot spot** — *ArcGIS:* a single uninterrupted run of at least two hot
//!    steps at the end, never hot before that run, and less than 90 % of all steps hot.
//!    *Here:* every hot step lies in the final run, the run is at least 2 long, and hot
//!    steps `< need`. Earlier cold steps are allowed, as for new.
//! 6. **Oscillating hot spot** — *ArcGIS:* hot in the final step, with a history of being a
//!    significant cold spot in some earlier step; less than 90 % of the steps hot. *Here:*
//!    hot steps `< need`, at least one hot step before the final run (otherwise rule 4 or 5
//!    applied), and **at least one cold step**.
//! 7. **Sporadic hot spot** — *ArcGIS Pro:* hot in the final step, with an on-again,
//!    off-again hot history; less than 90 % of the steps hot and **no** step a significant
//!    cold spot. *Here:* hot steps `< need`, at least one hot step before the final run, and
//!    no cold step. The older ArcMap wording (just "on-again then off-again") did not ask for
//!    a hot final step; the Pro wording, followed here, does, so an intermittent hot spot
//!    that is quiet in the final step is "no pattern".
//!
//! Rules 1–7 cover every location that is hot in the final step. Final step **not
//! significant**:
//!
//! 8. **Historical hot spot** — *ArcGIS:* the most recent step is not hot, but at least
//!    90 % of the steps have been significant hot spots. *Here:* final step not significant
//!    and hot steps `≥ need` (any trend).
//! 9. **Historical cold spot** — the mirror: final step not significant, cold steps `≥ need`.
//!    (8 and 9 cannot both hold: `share > 0.5` is required.)
//! 10. **No pattern** — *ArcGIS:* fits none of the hot or cold spot patterns. *Here:* final
//!     step not significant and neither historical rule applies.
//!
//! Cold mirror of 1–3: **intensifying cold spot** = cold steps `≥ need` and trend
//! *decreasing*; **diminishing cold spot** = cold steps `≥ need` and trend *increasing*;
//! **persistent cold spot** = cold steps `≥ need`, no trend.
//!
//! Where this differs from other implementations: R `sfdep` (and its Python port `pyehsa`)
//! make "new" and "consecutive" exclude any earlier significant step, hot *or cold*, so a
//! location cold for years and hot now is "oscillating" there and "new hot spot" here; they
//! also do not require a hot final step for sporadic. A location ≥ 90 % hot that is
//! significantly *cold* in the final step is, by the side rule, a new/consecutive/oscillating/
//! sporadic *cold* spot here, not historical hot.
//!
//! Reference: Esri, "How Emerging Hot Spot Analysis works", ArcGIS Pro tool reference
//! (Space Time Pattern Mining toolbox). The Mann–Kendall test is Mann (1945) and Kendall
//! (1975); the per-step statistic is Gi* (Getis & Ord 1992; Ord & Getis 1995).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::AnalysisError;
use super::mann_kendall::{MannKendall, Trend, mann_kendall_in};

const METHOD: &str = "emerging hot spot classification (Mann-Kendall needs 3 steps)";

/// The pattern of one location over time; see the [module docs](self) for the exact rules.
/// Serialised in snake case (`"new_hot"`, `"no_pattern"`); ordered as in
/// [`EmergingClass::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergingClass {
    /// None of the patterns below.
    NoPattern,
    /// Hot in the final step for the first time.
    NewHot,
    /// Hot in an unbroken run of at least two final steps, never hot before the run.
    ConsecutiveHot,
    /// Hot ≥ 90 % of steps including the last, and the z-score rises significantly.
    IntensifyingHot,
    /// Hot ≥ 90 % of steps including the last, with no significant trend.
    PersistentHot,
    /// Hot ≥ 90 % of steps including the last, and the z-score falls significantly.
    DiminishingHot,
    /// Hot in the final step, on and off before, never cold.
    SporadicHot,
    /// Hot in the final step, on and off before, and cold at some earlier step.
    OscillatingHot,
    /// Hot ≥ 90 % of steps but not significant in the final step.
    HistoricalHot,
    /// Cold in the final step for the first time.
    NewCold,
    /// Cold in an unbroken run of at least two final steps, never cold before the run.
    ConsecutiveCold,
    /// Cold ≥ 90 % of steps including the last, and the z-score falls significantly.
    IntensifyingCold,
    /// Cold ≥ 90 % of steps including the last, with no significant trend.
    PersistentCold,
    /// Cold ≥ 90 % of steps including the last, and the z-score rises significantly.
    DiminishingCold,
    /// Cold in the final step, on and off before, never hot.
    SporadicCold,
    /// Cold in the final step, on and off before, and hot at some earlier step.
    OscillatingCold,
    /// Cold ≥ 90 % of steps but not significant in the final step.
    HistoricalCold,
}

impl EmergingClass {
    /// All 17 classes: no pattern, the hot classes, the cold classes (legend order).
    pub const ALL: [EmergingClass; 17] = [
        EmergingClass::NoPattern,
        EmergingClass::NewHot,
        EmergingClass::ConsecutiveHot,
        EmergingClass::IntensifyingHot,
        EmergingClass::PersistentHot,
        EmergingClass::DiminishingHot,
        EmergingClass::SporadicHot,
        EmergingClass::OscillatingHot,
        EmergingClass::HistoricalHot,
        EmergingClass::NewCold,
        EmergingClass::ConsecutiveCold,
        EmergingClass::IntensifyingCold,
        EmergingClass::PersistentCold,
        EmergingClass::DiminishingCold,
        EmergingClass::SporadicCold,
        EmergingClass::OscillatingCold,
        EmergingClass::HistoricalCold,
    ];

    /// Plain English label for maps and reports, e.g. "intensifying hotspot".
    pub fn label_en(&self) -> &'static str {
        match self {
            EmergingClass::NoPattern => "no pattern",
            EmergingClass::NewHot => "new hotspot",
            EmergingClass::ConsecutiveHot => "consecutive hotspot",
            EmergingClass::IntensifyingHot => "intensifying hotspot",
            EmergingClass::PersistentHot => "persistent hotspot",
            EmergingClass::DiminishingHot => "diminishing hotspot",
            EmergingClass::SporadicHot => "sporadic hotspot",
            EmergingClass::OscillatingHot => "oscillating hotspot",
            EmergingClass::HistoricalHot => "historical hotspot",
            EmergingClass::NewCold => "new coldspot",
            EmergingClass::ConsecutiveCold => "consecutive coldspot",
            EmergingClass::IntensifyingCold => "intensifying coldspot",
            EmergingClass::PersistentCold => "persistent coldspot",
            EmergingClass::DiminishingCold => "diminishing coldspot",
            EmergingClass::SporadicCold => "sporadic coldspot",
            EmergingClass::OscillatingCold => "oscillating coldspot",
            EmergingClass::HistoricalCold => "historical coldspot",
        }
    }

    /// Plain Swedish label for maps and reports, e.g. "intensifierande hotspot".
    pub fn label_sv(&self) -> &'static str {
        match self {
            EmergingClass::NoPattern => "inget mönster",
            EmergingClass::NewHot => "ny hotspot",
            EmergingClass::ConsecutiveHot => "sammanhängande hotspot",
            EmergingClass::IntensifyingHot => "intensifierande hotspot",
            EmergingClass::PersistentHot => "ihållande hotspot",
            EmergingClass::DiminishingHot => "avtagande hotspot",
            EmergingClass::SporadicHot => "sporadisk hotspot",
            EmergingClass::OscillatingHot => "växlande hotspot",
            EmergingClass::HistoricalHot => "tidigare hotspot",
            EmergingClass::NewCold => "ny coldspot",
            EmergingClass::ConsecutiveCold => "sammanhängande coldspot",
            EmergingClass::IntensifyingCold => "intensifierande coldspot",
            EmergingClass::PersistentCold => "ihållande coldspot",
            EmergingClass::DiminishingCold => "avtagande coldspot",
            EmergingClass::SporadicCold => "sporadisk coldspot",
            EmergingClass::OscillatingCold => "växlande coldspot",
            EmergingClass::HistoricalCold => "tidigare coldspot",
        }
    }
}

/// Thresholds of the classification.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmergingOptions {
    /// A step is a significant hot or cold spot when its Gi* p-value is `< alpha`.
    /// In `(0, 1)`; default 0.05.
    pub alpha: f64,
    /// Significance level of the Mann–Kendall trend on the z-series. In `(0, 1)`;
    /// default 0.05.
    pub trend_alpha: f64,
    /// Share of steps that must be hot (cold) for the intensifying, persistent,
    /// diminishing and historical classes ("90 percent" in ArcGIS). In `(0.5, 1]`, so a
    /// location cannot be mostly hot and mostly cold at once; default 0.90.
    pub persistent_share: f64,
}

impl Default for EmergingOptions {
    fn default() -> Self {
        EmergingOptions {
            alpha: 0.05,
            trend_alpha: 0.05,
            persistent_share: 0.90,
        }
    }
}

impl EmergingOptions {
    fn validate(&self) -> Result<(), AnalysisError> {
        for (name, value) in [("alpha", self.alpha), ("trend_alpha", self.trend_alpha)] {
            if !(value > 0.0 && value < 1.0) {
                return Err(AnalysisError::Invalid(format!(
                    "{name} must be in (0, 1), got {value}"
                )));
            }
        }
        if !(self.persistent_share > 0.5 && self.persistent_share <= 1.0) {
            return Err(AnalysisError::Invalid(format!(
                "persistent_share must be in (0.5, 1], got {}",
                self.persistent_share
            )));
        }
        Ok(())
    }

    /// `⌈share · n⌉`, with a little slack so that 0.9 · 150 counts as 135, not 136.
    fn need(&self, n: usize) -> usize {
        (self.persistent_share * n as f64 - 1e-9).ceil() as usize
    }
}

/// Classifies one location from its per-step Gi* z-scores and p-values.
///
/// # Parameters
/// - `z`: Gi* z-score of each time step, oldest first; finite.
/// - `p`: the matching p-values (already FDR-corrected if wanted), each in `[0, 1]`.
/// - `opts`: significance levels and the "90 percent" share, see [`EmergingOptions`].
///
/// # Returns
/// The class and the Mann–Kendall test of `z` at `opts.trend_alpha`.
///
/// # Errors
/// [`AnalysisError::TooFewUnits`] for fewer than 3 steps (the trend test needs 3);
/// [`AnalysisError::Invalid`] when `z` and `p` differ in length, a z-score is NaN or
/// infinite, a p-value is NaN or outside `[0, 1]`, or an option is out of range.
///
/// # Algorithm
/// Count hot and cold steps, find the final run, run Mann–Kendall on `z`, then apply the
/// rules of the [module docs](self) in order (Esri, "How Emerging Hot Spot Analysis
/// works"; Mann 1945; Kendall 1975). `O(n²)` time for the trend test, `O(n)` otherwise.
///
/// # Example
/// ```
/// use lagesbild::analysis::emerging::{EmergingClass, EmergingOptions, classify};
/// use lagesbild::analysis::mann_kendall::Trend;
///
/// // Ten weeks of Gi* for one cell: significantly hot every week, and ever hotter.
/// let z = [2.1, 2.3, 2.2, 2.6, 2.9, 3.0, 3.4, 3.3, 3.8, 4.1];
/// let p = [0.03, 0.02, 0.03, 0.009, 0.004, 0.003, 0.0007, 0.001, 0.0001, 0.00004];
/// let (class, mk) = classify(&z, &p, &EmergingOptions::default())?;
/// assert_eq!(class, EmergingClass::IntensifyingHot);
/// assert_eq!(mk.trend, Trend::Increasing);
/// assert_eq!(class.label_sv(), "intensifierande hotspot");
///
/// // Quiet for nine weeks, hot in the last one.
/// let z = [0.2, -0.4, 0.9, 0.1, -1.0, 0.3, 0.0, 0.5, 1.1, 2.4];
/// let p = [0.84, 0.69, 0.37, 0.92, 0.32, 0.76, 1.0, 0.62, 0.27, 0.016];
/// let (class, _) = classify(&z, &p, &EmergingOptions::default())?;
/// assert_eq!(class, EmergingClass::NewHot);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn classify(
    z: &[f64],
    p: &[f64],
    opts: &EmergingOptions,
) -> Result<(EmergingClass, MannKendall), AnalysisError> {
    if z.len() != p.len() {
        return Err(AnalysisError::Invalid(format!(
            "z has {} time steps but p has {}",
            z.len(),
            p.len()
        )));
    }
    check_steps(z.len())?;
    opts.validate()?;
    if let Some((t, what)) = first_bad_value(z, p) {
        return Err(AnalysisError::Invalid(format!("time step {t}: {what}")));
    }
    classify_valid(z, p, opts, &mut Vec::new())
}

/// Classifies every location of a space-time cube in parallel (rayon).
///
/// # Parameters
/// - `cube_z`, `cube_p`: Gi* z-scores and p-values, location-major: location `l`, step `t`
///   at index `l * n_steps + t`, steps oldest first. Each `n_locations * n_steps` long.
/// - `n_locations`, `n_steps`: the cube's shape.
/// - `opts`: as for [`classify`].
///
/// # Returns
/// One `(class, Mann–Kendall)` per location, in location order. The result is the same as
/// calling [`classify`] on each location, whatever the number of threads.
///
/// # Errors
/// As [`classify`], checked for the whole cube before any work starts; a bad value is
/// reported for the first offending location and step. Also
/// [`AnalysisError::Invalid`] when a slice's length is not `n_locations * n_steps`.
///
/// # Algorithm
/// [`classify`] per location, locations spread over rayon's pool; each worker reuses one
/// buffer for the trend test's pairwise slopes.
///
/// # Example
/// ```
/// use lagesbild::analysis::emerging::{EmergingClass, EmergingOptions, classify_all};
///
/// // Two locations × four steps.
/// let z = [0.1, 0.3, -0.2, 2.5, /* location 1: */ -2.2, -2.4, -2.9, -3.1];
/// let p = [0.92, 0.76, 0.84, 0.012, /* location 1: */ 0.028, 0.016, 0.0037, 0.0019];
/// let out = classify_all(&z, &p, 2, 4, &EmergingOptions::default())?;
/// assert_eq!(out[0].0, EmergingClass::NewHot);
/// // Always cold, but four steps are too few for a significant trend.
/// assert_eq!(out[1].0, EmergingClass::PersistentCold);
/// # Ok::<(), lagesbild::analysis::AnalysisError>(())
/// ```
pub fn classify_all(
    cube_z: &[f64],
    cube_p: &[f64],
    n_locations: usize,
    n_steps: usize,
    opts: &EmergingOptions,
) -> Result<Vec<(EmergingClass, MannKendall)>, AnalysisError> {
    let len = n_locations.checked_mul(n_steps).ok_or_else(|| {
        AnalysisError::Invalid(format!(
            "cube of {n_locations} locations × {n_steps} steps is too large"
        ))
    })?;
    if cube_z.len() != len || cube_p.len() != len {
        return Err(AnalysisError::Invalid(format!(
            "cube of {n_locations} locations × {n_steps} steps needs {len} values, \
             got {} z-scores and {} p-values",
            cube_z.len(),
            cube_p.len()
        )));
    }
    check_steps(n_steps)?;
    opts.validate()?;
    // Checked up front and in order, so the error names the first bad value whatever the
    // thread scheduling.
    for (l, (z, p)) in cube_z
        .chunks_exact(n_steps)
        .zip(cube_p.chunks_exact(n_steps))
        .enumerate()
    {
        if let Some((t, what)) = first_bad_value(z, p) {
            return Err(AnalysisError::Invalid(format!(
                "location {l}, time step {t}: {what}"
            )));
        }
    }
    let pairs = n_steps * (n_steps - 1) / 2;
    cube_z
        .par_chunks_exact(n_steps)
        .zip(cube_p.par_chunks_exact(n_steps))
        .map_init(
            || Vec::with_capacity(pairs),
            |scratch, (z, p)| classify_valid(z, p, opts, scratch),
        )
        .collect()
}

fn check_steps(n: usize) -> Result<(), AnalysisError> {
    if n < 3 {
        return Err(AnalysisError::TooFewUnits {
            method: METHOD,
            found: n,
            needed: 3,
        });
    }
    Ok(())
}

/// The first step whose z-score is not finite or whose p-value is not in `[0, 1]`.
fn first_bad_value(z: &[f64], p: &[f64]) -> Option<(usize, String)> {
    z.iter().zip(p).enumerate().find_map(|(t, (&z, &p))| {
        if !z.is_finite() {
            Some((t, format!("z-score is {z}, must be finite")))
        } else if !(0.0..=1.0).contains(&p) {
            Some((t, format!("p-value is {p}, must be in [0, 1]")))
        } else {
            None
        }
    })
}

/// Significance of one time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    Hot,
    Cold,
    Quiet,
}

fn bin(z: f64, p: f64, alpha: f64) -> Bin {
    if p < alpha && z > 0.0 {
        Bin::Hot
    } else if p < alpha && z < 0.0 {
        Bin::Cold
    } else {
        Bin::Quiet
    }
}

/// [`classify`] on input that has been validated.
fn classify_valid(
    z: &[f64],
    p: &[f64],
    opts: &EmergingOptions,
    scratch: &mut Vec<f64>,
) -> Result<(EmergingClass, MannKendall), AnalysisError> {
    let mk = mann_kendall_in(z, opts.trend_alpha, scratch)?;
    let bins = z.iter().zip(p).map(|(&z, &p)| bin(z, p, opts.alpha));
    let (mut hot, mut cold) = (0, 0);
    for b in bins.clone() {
        match b {
            Bin::Hot => hot += 1,
            Bin::Cold => cold += 1,
            Bin::Quiet => {}
        }
    }
    let mut from_end = bins.rev();
    let last = from_end.next().unwrap_or(Bin::Quiet);
    let final_run = 1 + from_end.take_while(|&b| b == last).count();
    let need = opts.need(z.len());

    use EmergingClass as C;
    let class = match last {
        Bin::Hot => side(
            hot,
            cold,
            final_run,
            need,
            mk.trend,
            [
                C::IntensifyingHot,
                C::DiminishingHot,
                C::PersistentHot,
                C::NewHot,
                C::ConsecutiveHot,
                C::OscillatingHot,
                C::SporadicHot,
            ],
        ),
        // For a cold spot a falling z is getting colder: swap the trend's meaning.
        Bin::Cold => side(
            cold,
            hot,
            final_run,
            need,
            mk.trend,
            [
                C::DiminishingCold,
                C::IntensifyingCold,
                C::PersistentCold,
                C::NewCold,
                C::ConsecutiveCold,
                C::OscillatingCold,
                C::SporadicCold,
            ],
        ),
        Bin::Quiet if hot >= need => C::HistoricalHot,
        Bin::Quiet if cold >= need => C::HistoricalCold,
        Bin::Quiet => C::NoPattern,
    };
    Ok((class, mk))
}

/// Rules 1–7 for a location whose final step is on this side. `same` counts the steps on
/// this side, `other` those on the opposite side; `classes` are, in order, the classes for
/// mostly-this-side with z rising, with z falling, without trend, then new, consecutive,
/// oscillating, sporadic.
fn side(
    same: usize,
    other: usize,
    final_run: usize,
    need: usize,
    trend: Trend,
    classes: [EmergingClass; 7],
) -> EmergingClass {
    let [
        rising,
        falling,
        flat,
        new,
        consecutive,
        oscillating,
        sporadic,
    ] = classes;
    if same >= need {
        match trend {
            Trend::Increasing => rising,
            Trend::Decreasing => falling,
            Trend::NoTrend => flat,
        }
    } else if same == 1 {
        new
    } else if same == final_run {
        consecutive
    } else if other > 0 {
        oscillating
    } else {
        sporadic
    }
}

#[cfg(test)]
#[path = "emerging_tests.rs"]
mod tests;
