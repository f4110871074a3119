//! Hotspot analytics: pure, synchronous library code, one algorithm per file.
//!
//! - [`window`]: time windows (ISO week, tertial, month, year, custom) in local time;
//!   [`aoristic`]: spreading uncertain times over windows; [`filter`]: category, group and
//!   partner filters.
//! - [`table`]: the incidents of the store held in memory, columnar, for fast aggregation.
//! - [`grid`]: the study area's H3 cells, including cells with no incidents.
//! - [`counts`]: counts, shares, rates, harm, and change against previous windows and a
//!   baseline (with an exact Poisson test, [`poisson`]).
//! - [`weights`]: spatial weights (H3 rings, queen contiguity, distance band).
//! - [`gistar`] with [`fdr`]: Getis-Ord Gi* with Benjamini–Hochberg control;
//!   [`area_significance`]: an exact rate test per area for layers too small for Gi*.
//! - [`moran`], [`lisa`]: global and local Moran's I.
//! - [`mann_kendall`], [`emerging`]: trends and the 17 emerging-hotspot classes.
//! - [`kde`]: quartic kernel density.
//! - [`concentration`]: top shares, Lorenz curve, Gini and generalised Gini over places.
//! - [`knox`]: the Knox test in distance × time bands; [`near_repeat`]: it on a window,
//!   with the extent of raised risk and a sentence.
//! - [`scale`]: the automatic choice of H3 resolution and ring size.
//! - [`hotspots`]: the entry points that the server and reports call; every result carries
//!   a [`hotspots::Provenance`] (its parameters and the store's data version).
//! - [`followup`]: follow-up of an intervention (before/after against a control, the
//!   Weighted Displacement Quotient), with exact intervals from [`rate_ratio`].
//! - [`forecast`]: next-week hotspot forecast per H3 cell (EWMA plus a near-repeat
//!   boost) against two baselines, with a rolling back-test (hit rate, PAI, PEI, RRI).
//! - [`cache`]: results memoised per query and invalidated per changed time range.
//!
//! Statistics are checked against independent references (PySAL esda, pymannkendall,
//! scipy) through fixtures under `tests/fixtures/`, each with the script that wrote it.

pub mod aoristic;
pub mod area_significance;
pub mod cache;
pub mod concentration;
pub mod counts;
pub mod emerging;
pub mod fdr;
pub mod filter;
pub mod followup;
pub mod forecast;
pub mod gistar;
pub mod grid;
pub mod hotspots;
pub mod kde;
pub mod knox;
pub mod lisa;
pub mod mann_kendall;
pub mod moran;
pub mod near_repeat;
pub mod poisson;
pub mod rate_ratio;
pub mod scale;
pub mod service;
pub mod table;
pub mod weights;
pub mod window;

/// Why an analysis could not be computed. Messages are for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// Too few units for the method.
    #[error("too few units: {found} (at least {needed} are needed for {method})")]
    TooFewUnits {
        /// The method, e.g. "Gi*".
        method: &'static str,
        /// Units given.
        found: usize,
        /// Units needed.
        needed: usize,
    },
    /// All values are equal.
    #[error("all values are equal (zero variance); {method} is undefined")]
    ZeroVariance {
        /// The method.
        method: &'static str,
    },
    /// Invalid input or parameters; the message says which.
    #[error("{0}")]
    Invalid(String),
}
