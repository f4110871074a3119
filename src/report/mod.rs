//! Reports for the partnership's meetings: the weekly situation picture (*veckolägesbild*,
//! [`week`]) and the tertial analysis (*tertialanalys*, [`tertial`]), built from the
//! analysis results, plus their output formats: JSON (serde), printable HTML ([`html`],
//! with an inline SVG map from [`map_svg`]) and CSV for Swedish Excel ([`csv_out`]).
//!
//! Synchronous library code with no HTTP: `serve` and the CLI call [`week::build`] and
//! [`tertial::build`] and encode the result. The statistics come from `analysis` (counts,
//! Poisson rises, Gi*, Mann–Kendall, emerging classes); this module selects, ranks and
//! lays them out, and records the parameters and the data version so that a report can be
//! regenerated exactly.
//!
//! Every count of a report sits in a [`Figure`] (or an hour-by-weekday cell), so that
//! [`WeekReport::suppress_small_counts`](week::WeekReport::suppress_small_counts) and its
//! tertial twin can blank small counts (1..k−1) and everything derived from them in one
//! place, for viewers who may only see aggregates.

pub mod csv_out;
pub mod figures;
pub mod gis;
pub mod html;
pub mod interventions;
pub mod map_svg;
pub mod nearrepeat_html;
pub mod notes;
pub mod scope;
pub mod tertial;
pub mod week;

use serde::Serialize;

use crate::access::suppress::{Suppression, UnitFigures};
use crate::analysis::AnalysisError;
use crate::analysis::counts::UnitAggregate;
use crate::analysis::service::ServiceError;
use crate::analysis::window::{TimeWindow, WindowKind};
use crate::store::StoreError;

/// The longest meeting notes accepted, in characters.
pub const MAX_NOTES_CHARS: usize = 65_536;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request is invalid (bad id, unknown layer or region, bad notes); for the user.
    #[error("{0}")]
    Invalid(String),
    /// The analysis refused its input; the message is for the user.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing an output format failed.
    #[error("cannot write the report: {0}")]
    Output(String),
}

impl From<ServiceError> for ReportError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Analysis(a) => ReportError::Analysis(a),
            ServiceError::Store(s) => ReportError::Store(s),
        }
    }
}

/// Parses a weekly report id such as `2026-W47` (ISO week, Europe/Stockholm weeks).
///
/// # Example
/// ```
/// use lagesbild::report::parse_week_id;
/// assert_eq!(parse_week_id("2026-w7").unwrap().to_string(), "2026-W07");
/// assert!(parse_week_id("2026-W54").unwrap_err().to_string().contains("week 54 does not exist"));
/// assert!(parse_week_id("2026-T3").is_err());
/// ```
pub fn parse_week_id(s: &str) -> Result<TimeWindow, ReportError> {
    parse_id(s, WindowKind::IsoWeek, "an ISO week such as 2026-W47")
}

/// Parses a tertial report id: `2026-T1`, `2026-T2` or `2026-T3`.
///
/// # Example
/// ```
/// use lagesbild::report::parse_tertial_id;
/// assert_eq!(parse_tertial_id("2026-t3").unwrap().to_string(), "2026-T3");
/// assert!(parse_tertial_id("2026-T4").unwrap_err().to_string().contains("T1 (Jan–Apr)"));
/// ```
pub fn parse_tertial_id(s: &str) -> Result<TimeWindow, ReportError> {
    parse_id(
        s,
        WindowKind::Tertial,
        "a tertial such as 2026-T3 (T1, T2 or T3)",
    )
}

/// Parses a quarterly report id: `2026-Q1` to `2026-Q4` (the cadence `quarter`).
///
/// # Example
/// ```
/// use lagesbild::report::parse_quarter_id;
/// assert_eq!(parse_quarter_id("2026-q4").unwrap().to_string(), "2026-Q4");
/// assert!(parse_quarter_id("2026-Q5").unwrap_err().to_string().contains("Q4 (Oct–Dec)"));
/// ```
pub fn parse_quarter_id(s: &str) -> Result<TimeWindow, ReportError> {
    parse_id(
        s,
        WindowKind::Quarter,
        "a quarter such as 2026-Q4 (Q1, Q2, Q3 or Q4)",
    )
}

fn parse_id(s: &str, kind: WindowKind, what: &str) -> Result<TimeWindow, ReportError> {
    if s.len() > 32 {
        return Err(ReportError::Invalid(format!(
            "report id of {} bytes is too long; give {what}",
            s.len()
        )));
    }
    let w =
        TimeWindow::parse(s).map_err(|e| ReportError::Invalid(format!("report id {s:?}: {e}")))?;
    if w.kind() != Some(kind) {
        return Err(ReportError::Invalid(format!(
            "report id {s:?} is not {what}"
        )));
    }
    Ok(w)
}

/// Checks meeting notes: at most [`MAX_NOTES_CHARS`] characters, no control characters
/// other than line breaks and tabs. Returns the text with `\r\n` made `\n`.
pub fn check_notes(text: &str) -> Result<String, ReportError> {
    let n = text.chars().count();
    if n > MAX_NOTES_CHARS {
        return Err(ReportError::Invalid(format!(
            "notes: {n} characters is more than the {MAX_NOTES_CHARS} allowed"
        )));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ReportError::Invalid(format!(
            "notes: control character U+{:04X} is not allowed",
            c as u32
        )));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// The language of HTML reports and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Swedish (the default).
    #[default]
    Sv,
    /// English.
    En,
}

impl Lang {
    /// `sv` or `en`.
    pub fn parse(s: &str) -> Result<Lang, ReportError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sv" => Ok(Lang::Sv),
            "en" => Ok(Lang::En),
            other => Err(ReportError::Invalid(format!(
                "language {other:?} is not supported; use sv or en"
            ))),
        }
    }

    /// Picks the Swedish or English text.
    pub fn pick<'a>(self, sv: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Sv => sv,
            Lang::En => en,
        }
    }
}

/// One count with its comparisons: the unit that small-count suppression works on.
///
/// Counts are aoristic sums of weights (see `analysis::counts`), so they may be
/// fractional. `None` means "suppressed" (or not applicable).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figure {
    /// Count in the period.
    pub count: Option<f64>,
    /// Count in the previous period.
    pub previous: Option<f64>,
    /// Mean count of the baseline periods (the 8 before).
    pub baseline_mean: Option<f64>,
    /// Count in the same period last year.
    pub last_year: Option<f64>,
    /// `count - previous`.
    pub change_vs_previous: Option<f64>,
    /// `count - baseline_mean`.
    pub change_vs_baseline: Option<f64>,
    /// `count - last_year`.
    pub change_vs_last_year: Option<f64>,
    /// One-sided p of the exact Poisson test of the count against the baseline mean.
    pub rise_p: Option<f64>,
    /// A significant rise (`count > baseline_mean` and `rise_p < alpha`).
    pub rise: Option<bool>,
    /// Harm-weighted score (category harm weights × counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harm: Option<f64>,
    /// Count per 1,000 residents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_1000: Option<f64>,
}

impl Figure {
    /// From an analysis aggregate.
    pub fn from_aggregate(a: &UnitAggregate) -> Figure {
        Figure {
            count: Some(a.count),
            previous: Some(a.previous),
            baseline_mean: Some(a.baseline_mean),
            last_year: Some(a.last_year),
            change_vs_previous: Some(a.change_vs_previous),
            change_vs_baseline: Some(a.change_vs_baseline),
            change_vs_last_year: Some(a.change_vs_last_year),
            rise_p: Some(a.rise_p),
            rise: Some(a.rise),
            harm: Some(a.harm),
            rate_per_1000: a.rate_per_1000,
        }
    }

    /// Publishes the figure for a restricted role (`access::suppress`): counts hidden
    /// (`0 < c < k`) or rounded to a multiple of k, changes, rate and harm from the
    /// published counts, no Poisson p-value. `population` gives the rate.
    pub fn publish(&mut self, s: &Suppression, baseline_windows: usize, population: Option<f64>) {
        let mut f = UnitFigures {
            count: self.count,
            previous: self.previous,
            baseline_mean: self.baseline_mean,
            last_year: self.last_year,
            change_vs_previous: self.change_vs_previous,
            change_vs_baseline: self.change_vs_baseline,
            change_vs_last_year: self.change_vs_last_year,
            rise_p: self.rise_p,
            rise: self.rise,
            harm: self.harm,
            rate_per_1000: self.rate_per_1000,
            share: None,
        };
        s.unit(&mut f, baseline_windows, population, None);
        *self = Figure {
            count: f.count,
            previous: f.previous,
            baseline_mean: f.baseline_mean,
            last_year: f.last_year,
            change_vs_previous: f.change_vs_previous,
            change_vs_baseline: f.change_vs_baseline,
            change_vs_last_year: f.change_vs_last_year,
            rise_p: f.rise_p,
            rise: f.rise,
            harm: f.harm,
            rate_per_1000: f.rate_per_1000,
        };
    }

    /// A total figure computed from published parts only ([`Suppression::total_of`] per
    /// field), so that "total minus parts" tells nothing the parts do not.
    pub fn total_of(s: &Suppression, parts: &[&Figure], baseline_windows: usize) -> Figure {
        let n = baseline_windows.max(1) as f64;
        let sum = |g: &dyn Fn(&Figure) -> Option<f64>| s.total_of(parts.iter().map(|f| g(f)));
        let count = sum(&|f| f.count);
        let previous = sum(&|f| f.previous);
        let last_year = sum(&|f| f.last_year);
        let baseline_mean = sum(&|f| f.baseline_mean.map(|m| m * n)).map(|t| t / n);
        let diff = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        Figure {
            count,
            previous,
            baseline_mean,
            last_year,
            change_vs_previous: diff(count, previous),
            change_vs_baseline: diff(count, baseline_mean),
            change_vs_last_year: diff(count, last_year),
            rise_p: None,
            rise: None,
            harm: count.and(sum(&|f| f.harm)),
            rate_per_1000: None,
        }
    }
}

/// Counts by local weekday (Monday first) and hour; a cell is `None` when suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourWeekday {
    /// `cells[weekday][hour]`.
    pub cells: Vec<Vec<Option<f64>>>,
}

impl HourWeekday {
    /// From the analysis matrix.
    pub fn new(m: &[[f64; 24]; 7]) -> HourWeekday {
        HourWeekday {
            cells: m
                .iter()
                .map(|row| row.iter().map(|v| Some(*v)).collect())
                .collect(),
        }
    }

    /// Publishes every cell (hidden or rounded).
    pub fn publish(&mut self, s: &Suppression) {
        for c in self.cells.iter_mut().flatten() {
            *c = c.and_then(|v| s.publish(v));
        }
    }

    /// The largest visible cell.
    pub fn max(&self) -> f64 {
        self.cells
            .iter()
            .flatten()
            .flatten()
            .fold(0.0_f64, |a, b| a.max(*b))
    }
}

/// Publishes a plain count (hidden or rounded).
pub(crate) fn publish_value(v: &mut Option<f64>, s: &Suppression) {
    *v = v.and_then(|c| s.publish(c));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(count: f64, previous: f64, baseline: f64, last_year: f64) -> Figure {
        Figure {
            count: Some(count),
            previous: Some(previous),
            baseline_mean: Some(baseline),
            last_year: Some(last_year),
            change_vs_previous: Some(count - previous),
            change_vs_baseline: Some(count - baseline),
            change_vs_last_year: Some(count - last_year),
            rise_p: Some(0.5),
            rise: Some(false),
            harm: Some(count * 2.0),
            rate_per_1000: Some(count / 10.0),
        }
    }

    #[test]
    fn publishing_hides_or_rounds_counts_and_derives_the_rest() {
        let s = Suppression::default();
        let mut f = figure(3.0, 12.0, 0.0, 7.0);
        f.publish(&s, 1, Some(1000.0));
        assert_eq!(f.count, None);
        assert_eq!(f.harm, None);
        assert_eq!(f.rate_per_1000, None);
        assert_eq!(f.change_vs_previous, None);
        assert_eq!(f.rise_p, None);
        assert_eq!(f.previous, Some(10.0));
        assert_eq!(f.baseline_mean, Some(0.0), "zero stays");
        assert_eq!(f.last_year, Some(5.0));

        let mut g = figure(9.0, 4.5, 6.0, 1.0);
        g.publish(&s, 1, Some(1000.0));
        assert_eq!(g.count, Some(10.0));
        assert_eq!(g.previous, None);
        assert_eq!(g.change_vs_previous, None);
        assert_eq!(g.change_vs_baseline, Some(5.0), "10 - 5, both published");
        assert_eq!(g.rate_per_1000, Some(10.0));
        assert_eq!(g.rise_p, None);

        let parts = [figure(3.0, 12.0, 0.0, 7.0), figure(23.0, 1.0, 6.0, 7.0)];
        let mut p = parts.clone();
        for f in &mut p {
            f.publish(&s, 1, None);
        }
        let t = Figure::total_of(&s, &[&p[0], &p[1]], 1);
        assert_eq!(t.count, Some(30.0), "25 + 2.5 for the hidden part, rounded");
    }

    #[test]
    fn hour_weekday_publishing() {
        let mut m = [[0.0; 24]; 7];
        m[0][0] = 1.0;
        m[6][23] = 8.0;
        m[3][12] = 0.25;
        let mut h = HourWeekday::new(&m);
        h.publish(&Suppression::default());
        assert_eq!(h.cells[0][0], None);
        assert_eq!(h.cells[3][12], None);
        assert_eq!(h.cells[6][23], Some(10.0));
        assert_eq!(h.cells[1][1], Some(0.0));
    }

    #[test]
    fn ids_and_notes_are_checked() {
        for bad in [
            "2026-W54",
            "2026-W00",
            "2026-T4",
            "2026-T0",
            "2026",
            "2026-11",
            "",
            "W47",
            "2026-W47/2026-W48",
            &"9".repeat(100),
        ] {
            assert!(parse_week_id(bad).is_err(), "{bad}");
        }
        assert!(parse_week_id("2026-W53").is_ok());
        assert!(parse_week_id("2025-W53").is_err());
        assert!(parse_tertial_id("2026-T4").is_err());
        assert!(parse_tertial_id("2026-W47").is_err());
        assert_eq!(check_notes("a\r\nb").unwrap(), "a\nb");
        assert!(check_notes("nul\u{0}").is_err());
        assert!(check_notes(&"x".repeat(MAX_NOTES_CHARS + 1)).is_err());
        assert!(check_notes(&"å".repeat(MAX_NOTES_CHARS)).is_ok());
        assert_eq!(Lang::parse("EN").unwrap(), Lang::En);
        assert!(Lang::parse("de").is_err());
    }
}
