//! The near-repeat analysis of a window: the Knox test ([`super::knox`]) on the incidents
//! that pass a filter, where the raised risk reaches ([`extent`]), and what it means in a
//! sentence in Swedish and English ([`sentence`]).

use serde::Serialize;

use super::AnalysisError;
use super::counts::row_mask;
use super::filter::IncidentFilter;
use super::hotspots::{Analyzer, Provenance};
use super::knox::{KnoxOptions, KnoxPoint, KnoxTable, MIN_INCIDENTS, knox, num};
use super::window::TimeWindow;
use crate::ingest::wgs84_to_sweref99tm;

const METHOD: &str = "the Knox test";

/// Where near repeats are raised: the connected raised cells from the origin of the table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NearRepeatExtent {
    /// Raised up to this distance in metres (`None`: at the same location only).
    pub metres: Option<f64>,
    /// Raised up to this many days.
    pub days: f64,
}

/// The connected raised cells from the table's origin (same location or the first
/// distance band, first time band), or `None` when neither is raised.
///
/// Neighbouring cells share a side; "beyond" rows and columns never count. The extent is
/// the largest upper edge in distance and in time among those cells.
pub fn extent(t: &KnoxTable) -> Option<NearRepeatExtent> {
    let near_rows = t.distance_bands.len() - 1;
    let near_cols = t.time_bands.len() - 1;
    let raised = |r: usize, c: usize| r < near_rows && c < near_cols && t.cells[r][c].raised;
    let mut seen = vec![vec![false; near_cols]; near_rows];
    let mut stack: Vec<(usize, usize)> = [(0, 0), (1, 0)]
        .into_iter()
        .filter(|&(r, c)| raised(r, c))
        .collect();
    if stack.is_empty() {
        return None;
    }
    let (mut max_r, mut max_c) = (0, 0);
    while let Some((r, c)) = stack.pop() {
        if seen[r][c] {
            continue;
        }
        seen[r][c] = true;
        max_r = max_r.max(r);
        max_c = max_c.max(c);
        let next = [
            (r.wrapping_sub(1), c),
            (r + 1, c),
            (r, c.wrapping_sub(1)),
            (r, c + 1),
        ];
        for (nr, nc) in next {
            if raised(nr, nc) && !seen[nr][nc] {
                stack.push((nr, nc));
            }
        }
    }
    Some(NearRepeatExtent {
        metres: (max_r > 0).then(|| t.distance_bands[max_r].hi.unwrap_or(0.0)),
        days: t.time_bands[max_c].hi.unwrap_or(0.0),
    })
}

/// What the table means, in one sentence, English and Swedish. `what_en`/`what_sv` name
/// the incidents, e.g. "a burglary" / "ett inbrott".
pub fn sentence(t: &KnoxTable, what_en: &str, what_sv: &str) -> (String, String) {
    let alpha = num(t.options.alpha);
    let alpha_sv = alpha.replace('.', ",");
    match extent(t) {
        Some(e) => {
            let (place_en, place_sv) = match e.metres {
                None => ("at the same place".to_owned(), "på samma plats".to_owned()),
                Some(m) => (format!("within {} m", num(m)), format!("inom {} m", num(m))),
            };
            (
                format!(
                    "After {what_en}, the risk of another {place_en} is raised for {} days (Knox test, {} permutations, p ≤ {alpha}).",
                    num(e.days),
                    t.options.permutations
                ),
                format!(
                    "Efter {what_sv} är risken för ett nytt {place_sv} förhöjd i {} dagar (Knoxtest, {} permutationer, p ≤ {alpha_sv}).",
                    num(e.days),
                    t.options.permutations
                ),
            )
        }
        None => {
            let d = num(t.options.distance_bands.last().copied().unwrap_or(0.0));
            let days = num(t.options.time_bands.last().copied().unwrap_or(0.0));
            (
                format!(
                    "No near-repeat pattern after {what_en}: no pairs close in both space and time (from the same place to {d} m, from 0 to {days} days) starting at the same place or the nearest band are significantly more common than chance gives (p ≤ {alpha})."
                ),
                format!(
                    "Inget near repeat-mönster efter {what_sv}: inga par nära i både rum och tid (från samma plats till {d} m, från 0 till {days} dagar) som börjar på samma plats eller i närmaste bandet är signifikant vanligare än slumpen ger (p ≤ {alpha_sv})."
                ),
            )
        }
    }
}

/// The default window of the near-repeat analysis: the 52 whole ISO weeks ending with the
/// last complete week before `now` (a week holds too few pairs for the test).
pub fn default_window(now: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> TimeWindow {
    use super::window::WindowKind;
    let last = TimeWindow::containing(now, WindowKind::IsoWeek, tz).previous();
    let first = last.previous_n(51).last().copied().unwrap_or(last);
    TimeWindow::Custom {
        from: first.bounds(tz).0,
        to: last.bounds(tz).1,
    }
}

/// The near-repeat analysis of a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRepeat {
    /// What was computed, from what (includes the seed).
    pub parameters: Provenance,
    /// The table.
    pub table: KnoxTable,
    /// Where risk is raised (absent: nowhere).
    pub extent: Option<NearRepeatExtent>,
    /// The result in a sentence.
    pub sentence_en: String,
    /// Det samma på svenska.
    pub sentence_sv: String,
    /// Plain-language notes on the method.
    pub warnings: Vec<String>,
}

/// The Knox test on the incidents of `window` that pass `filter`.
///
/// An incident's time is the midpoint of its span (the instant when exact); it is in the
/// window when that midpoint is (`[from, to)`). Positions are SWEREF 99 TM metres.
///
/// # Errors
/// [`AnalysisError::Invalid`] for bad options (naming the parameter) and for fewer than
/// [`MIN_INCIDENTS`] incidents.
pub fn near_repeat(
    analyzer: &Analyzer,
    window: &TimeWindow,
    filter: &IncidentFilter,
    opts: &KnoxOptions,
) -> Result<NearRepeat, AnalysisError> {
    opts.validate()?;
    let table = analyzer.table();
    let mask = row_mask(table, filter);
    let (from, to) = window.bounds(analyzer.timezone());
    let (from, to) = (from.timestamp(), to.timestamp());
    let points: Vec<KnoxPoint> = (0..table.len())
        .filter(|&i| mask[i])
        .filter_map(|i| {
            let mid = table.start[i] + (table.end[i] - table.start[i]) / 2;
            if mid < from || mid >= to {
                return None;
            }
            let loc = table.location[i];
            let (x, y) = wgs84_to_sweref99tm(loc.lon, loc.lat);
            Some(KnoxPoint {
                x,
                y,
                t: (mid - from) as f64 / 86_400.0,
            })
        })
        .collect();
    if points.len() < MIN_INCIDENTS {
        return Err(AnalysisError::Invalid(format!(
            "{METHOD} needs at least {MIN_INCIDENTS} incidents, and the window {window} has {} ({filter}); choose a longer window or more categories rather than read a table of chance",
            points.len()
        )));
    }
    let t = knox(&points, opts)?;
    let (what_en, what_sv) = describe(analyzer, filter);
    let (sentence_en, sentence_sv) = sentence(&t, &what_en, &what_sv);
    let mut parameters = analyzer.provenance(window, filter, chrono::Utc::now());
    parameters.weights = "Knox test: pairs in distance × time bands; times permuted".into();
    parameters.alpha = opts.alpha;
    parameters.fdr = false;
    parameters.seed = Some(opts.seed);
    let mut warnings = vec![
        "Each cell is tested on its own (no correction for the many cells); read isolated significant cells far from the origin with care.".to_owned(),
    ];
    if points.len() < 30 {
        warnings.push(format!(
            "Only {} incidents: the table has few pairs and little power.",
            points.len()
        ));
    }
    Ok(NearRepeat {
        parameters,
        extent: extent(&t),
        table: t,
        sentence_en,
        sentence_sv,
        warnings,
    })
}

/// "an incident (burglary)" / "en händelse (inbrott)" for a filter of one category,
/// else "an incident" / "en händelse".
fn describe(analyzer: &Analyzer, filter: &IncidentFilter) -> (String, String) {
    let one = filter
        .categories
        .as_ref()
        .filter(|c| c.len() == 1)
        .and_then(|c| c.iter().next())
        .and_then(|code| analyzer.categories().resolve(code));
    match one {
        Some(c) => (
            format!("an incident ({})", c.en.to_lowercase()),
            format!("en händelse ({})", c.sv.to_lowercase()),
        ),
        None => ("an incident".into(), "en händelse".into()),
    }
}
