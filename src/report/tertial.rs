//! The tertial analysis (*tertialanalys*) for `YYYY-T1..3` (January–April, May–August,
//! September–December).
//!
//! Sections: totals against the previous tertial, the mean of the 8 tertials before and the
//! same tertial last year; per-area comparison and trend (Mann–Kendall on the weekly counts
//! of the whole ISO weeks inside the tertial); the emerging-hotspot map (52 weeks ending
//! with the tertial's last week); time patterns (weekly totals, hour by weekday); a
//! prioritised list of areas whose formula and components are shown; near repeats of
//! burglaries (the Knox table and its sentence, `analysis::knox`); the follow-up of the
//! interventions that ended in the tertial (once the register exists); and meeting notes.
//!
//! # Priority score
//!
//! For each area of the ranked layer (in scope), four components in `[0, 1]`:
//! - **harm** = the area's harm-weighted score ÷ the highest area's (Sherman et al. 2016's
//!   idea of weighing offences by harm; weights in `data/categories.toml`);
//! - **trend** = clamp(Mann–Kendall z ÷ 3, 0, 1): rising trends only, z = 3 or more counts
//!   fully (Mann 1945; Kendall 1975);
//! - **significance** = the hot bin of the area's exact rate test against the rest of the
//!   layer ÷ 3 (90/95/99 % → ⅓, ⅔, 1; Benjamini–Hochberg across areas; see
//!   `analysis::area_significance`), cold areas count 0. Unlike area Gi*, it works with the
//!   6 to 20 areas of a typical EST network;
//! - **population** = residents ÷ the largest area's residents (more people exposed).
//!
//! score = (w_harm·harm + w_trend·trend + w_sig·significance + w_pop·population) ÷ Σw, with
//! the weights from the configuration (`priority_weights`, defaults 0.4, 0.2, 0.3, 0.1).

use chrono::Duration;
use serde::Serialize;

use super::figures::Breakdown;
use super::interventions::{self, EndedIntervention};
use super::week::{AreaRow, EmergingSummary, ReportOptions, ReportParameters, common};
use super::{HourWeekday, ReportError, map_svg, publish_value};
use crate::access::suppress::Suppression;
use crate::analysis::counts::{Units, row_mask};
use crate::analysis::filter::IncidentFilter;
use crate::analysis::hotspots::{SeriesUnit, cube_counts};
use crate::analysis::knox::{KnoxOptions, KnoxTable, near_repeat};
use crate::analysis::mann_kendall::{Trend, mann_kendall};
use crate::analysis::service::AnalysisService;
use crate::analysis::window::TimeWindow;
use crate::config::PriorityWeights;
use crate::store::{ReportNotes, Store};

/// The Mann–Kendall result of one area's weekly counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaTrend {
    /// Kendall's S.
    pub s: f64,
    /// Standardised S.
    pub z: f64,
    /// Two-sided p.
    pub p: f64,
    /// Kendall's tau.
    pub tau: f64,
    /// Sen's slope, incidents per week per week.
    pub slope: f64,
    /// The decision at alpha.
    pub trend: Trend,
}

/// One area: comparison, Gi*, trend and its weekly counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaTrendRow {
    /// Ranking by harm, counts and Gi*.
    #[serde(flatten)]
    pub area: AreaRow,
    /// Mann–Kendall on the weekly counts (`None` with fewer than 3 weeks).
    pub mann_kendall: Option<AreaTrend>,
    /// Counts per whole ISO week of the tertial, oldest first.
    pub weekly: Vec<Option<f64>>,
}

/// A week's total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    /// The ISO week.
    pub week: String,
    /// Count in scope.
    pub count: Option<f64>,
}

/// Components of an area's priority score, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Components {
    /// Harm relative to the highest area.
    pub harm: f64,
    /// Rising trend, clamp(MK z / 3, 0, 1).
    pub trend: f64,
    /// Hot bin of the area's exact rate test against the rest / 3.
    pub significance: f64,
    /// Residents relative to the largest area.
    pub population: f64,
}

/// One area of the prioritised list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriorityRow {
    /// 1 = highest priority.
    pub rank: usize,
    /// Area id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The weighted score in `[0, 1]`.
    pub score: f64,
    /// Its components.
    pub components: Components,
}

/// The prioritised list with its formula.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Priority {
    /// The weights used.
    pub weights: PriorityWeights,
    /// The formula with the weights filled in (English).
    pub formula_en: String,
    /// The same in Swedish.
    pub formula_sv: String,
    /// Areas, highest score first.
    pub items: Vec<PriorityRow>,
}

/// The near-repeat section: the sentence, and the table for analysts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRepeatSection {
    /// The category tested.
    pub category: String,
    /// What the table means (English).
    pub sentence_en: String,
    /// Det samma på svenska.
    pub sentence_sv: String,
    /// The Knox table (removed for restricted roles: it holds small pair counts).
    pub table: Option<KnoxTable>,
    /// Why there is no table or sentence (e.g. fewer than 10 incidents).
    pub note: Option<String>,
}

/// The category whose near repeats the tertial report shows.
pub const NEAR_REPEAT_CATEGORY: &str = "burglary";

/// The near-repeat section for `window`: burglaries, default bands, 999 permutations, seed 0.
fn near_repeat_section(
    analyzer: &crate::analysis::hotspots::Analyzer,
    window: &TimeWindow,
) -> Option<NearRepeatSection> {
    let filter = IncidentFilter::parse(
        Some(NEAR_REPEAT_CATEGORY),
        None,
        None,
        analyzer.categories(),
    )
    .ok()?;
    Some(
        match near_repeat(analyzer, window, &filter, &KnoxOptions::default()) {
            Ok(r) => NearRepeatSection {
                category: NEAR_REPEAT_CATEGORY.into(),
                sentence_en: r.sentence_en,
                sentence_sv: r.sentence_sv,
                table: Some(r.table),
                note: None,
            },
            Err(e) => NearRepeatSection {
                category: NEAR_REPEAT_CATEGORY.into(),
                sentence_en: String::new(),
                sentence_sv: String::new(),
                table: None,
                note: Some(e.to_string()),
            },
        },
    )
}

/// The tertial analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TertialReport {
    /// The tertial, e.g. `2026-T3`.
    pub id: String,
    /// What it was computed from.
    pub parameters: ReportParameters,
    /// Set when the data include synthetic demo incidents.
    pub synthetic_data: Vec<String>,
    /// Totals by group, category and partner against the previous tertial, the mean of
    /// the 8 before, and the same tertial last year.
    pub totals: Breakdown,
    /// Per area: comparison, Gi*, trend; highest harm first.
    pub areas: Vec<AreaTrendRow>,
    /// Emerging hotspots over the 52 weeks ending with the tertial.
    pub emerging: EmergingSummary,
    /// Weekly totals in scope over the whole ISO weeks of the tertial.
    pub weekly_totals: Vec<WeekPoint>,
    /// Hour-by-weekday pattern of the tertial.
    pub hour_weekday: HourWeekday,
    /// The prioritised list of areas.
    pub priority: Priority,
    /// Near repeats of burglaries in the tertial (Knox test; absent when the catalogue has
    /// no burglary category).
    pub near_repeat: Option<NearRepeatSection>,
    /// Follow-up of the interventions that ended in the tertial (in scope).
    pub followup: Vec<EndedIntervention>,
    /// Meeting notes stored with the report.
    pub notes: Option<ReportNotes>,
    /// True when notes exist but the caller's role may not read them (`notes` is then
    /// empty); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notes_restricted: bool,
    /// Plain-language notes on the data and methods.
    pub warnings: Vec<String>,
    /// Emerging-hotspot map as an inline SVG (HTML only).
    #[serde(skip)]
    pub map_svg: String,
}

impl TertialReport {
    /// Publishes the report for a restricted role (`access::suppress`): every count
    /// hidden or rounded, totals from their published parts, no Gi* z; Mann–Kendall and
    /// the priority list recomputed from the published weekly counts (a hidden week counts
    /// as k/2), so neither is an equation in hidden counts; records `k` in the parameters.
    pub fn suppress_small_counts(&mut self, k: u32) {
        let s = Suppression {
            k,
            ..Suppression::default()
        };
        let n = self.parameters.baseline_windows;
        self.totals.publish(&s, n);
        let alpha = self.parameters.alpha;
        for a in &mut self.areas {
            a.area
                .figure
                .publish(&s, n, a.area.population.map(|p| p as f64));
            a.area.gi_z = None;
            for w in &mut a.weekly {
                publish_value(w, &s);
            }
            let half = f64::from(k) / 2.0;
            let series: Vec<f64> = a.weekly.iter().map(|w| w.unwrap_or(half)).collect();
            a.mann_kendall = mann_kendall(&series, alpha).ok().map(|m| AreaTrend {
                s: m.s,
                z: m.z,
                p: m.p,
                tau: m.tau,
                slope: m.slope,
                trend: m.trend,
            });
        }
        self.areas.sort_by(|a, b| {
            b.area
                .figure
                .harm
                .unwrap_or(-1.0)
                .total_cmp(&a.area.figure.harm.unwrap_or(-1.0))
                .then_with(|| a.area.id.cmp(&b.area.id))
        });
        for (i, a) in self.areas.iter_mut().enumerate() {
            a.area.rank = i + 1;
        }
        for h in self
            .emerging
            .new
            .iter_mut()
            .chain(self.emerging.intensifying.iter_mut())
        {
            h.figure.publish(&s, n, None);
            h.gi_z = None;
        }
        for list in [&mut self.emerging.new, &mut self.emerging.intensifying] {
            list.retain(|h| h.figure.count.is_some());
            list.sort_by(|a, b| {
                b.figure
                    .harm
                    .unwrap_or(0.0)
                    .total_cmp(&a.figure.harm.unwrap_or(0.0))
                    .then_with(|| a.cell.cmp(&b.cell))
            });
            for (i, r) in list.iter_mut().enumerate() {
                r.rank = i + 1;
            }
        }
        for p in &mut self.weekly_totals {
            publish_value(&mut p.count, &s);
        }
        self.hour_weekday.publish(&s);
        if let Some(n) = &mut self.near_repeat {
            n.table = None;
        }
        for e in &mut self.followup {
            interventions::suppress(e, u64::from(k));
        }
        self.priority = prioritise(&self.areas, &self.priority.weights);
        self.parameters.suppressed_below = Some(k);
    }
}

/// The priority formula with the weights filled in, in English and Swedish.
pub fn formula(w: &PriorityWeights) -> (String, String) {
    let sum = short(w.harm + w.trend + w.significance + w.population);
    let en = format!(
        "score = ({h}·harm + {t}·trend + {s}·significance + {p}·population) / {sum}; \
         harm = area harm score / highest area harm score; trend = min(1, max(0, Mann–Kendall z / 3)); \
         significance = hot bin of the exact rate test against the rest of the layer / 3 (90/95/99 % after FDR → 1/3, 2/3, 1); \
         population = residents / largest area's residents",
        h = short(w.harm),
        t = short(w.trend),
        s = short(w.significance),
        p = short(w.population),
    );
    let sv = format!(
        "poäng = ({h}·skada + {t}·trend + {s}·signifikans + {p}·befolkning) / {sum}; \
         skada = områdets skadeviktade poäng / högsta områdets; trend = min(1, max(0, Mann–Kendall z / 3)); \
         signifikans = het klass i det exakta testet av områdets takt mot resten av skiktet / 3 (90/95/99 % efter FDR → 1/3, 2/3, 1); \
         befolkning = invånare / största områdets invånare",
        h = short(w.harm),
        t = short(w.trend),
        s = short(w.significance),
        p = short(w.population),
    );
    (en, sv)
}

/// A weight with at most 4 decimals and no trailing zeros.
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// The prioritised list from the area rows and their trends.
pub fn prioritise(areas: &[AreaTrendRow], w: &PriorityWeights) -> Priority {
    let max_harm = areas
        .iter()
        .map(|a| a.area.figure.harm.unwrap_or(0.0))
        .fold(0.0_f64, f64::max);
    let max_pop = areas
        .iter()
        .filter_map(|a| a.area.population)
        .max()
        .unwrap_or(0);
    let sum = w.harm + w.trend + w.significance + w.population;
    let mut items: Vec<PriorityRow> = areas
        .iter()
        .map(|a| {
            let c = Components {
                harm: if max_harm > 0.0 {
                    a.area.figure.harm.unwrap_or(0.0) / max_harm
                } else {
                    0.0
                },
                trend: a
                    .mann_kendall
                    .as_ref()
                    .map_or(0.0, |m| (m.z / 3.0).clamp(0.0, 1.0)),
                significance: f64::from(a.area.significance_bin.max(0)) / 3.0,
                population: match (a.area.population, max_pop) {
                    (Some(p), m) if m > 0 => p as f64 / m as f64,
                    _ => 0.0,
                },
            };
            let score = (w.harm * c.harm
                + w.trend * c.trend
                + w.significance * c.significance
                + w.population * c.population)
                / sum;
            PriorityRow {
                rank: 0,
                id: a.area.id.clone(),
                name: a.area.name.clone(),
                score,
                components: c,
            }
        })
        .collect();
    items.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    for (i, r) in items.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    let (formula_en, formula_sv) = formula(w);
    Priority {
        weights: *w,
        formula_en,
        formula_sv,
        items,
    }
}

/// Builds the tertial analysis for `window`: a tertial (see [`super::parse_tertial_id`]) or,
/// with the cadence `quarter`, a quarter ([`super::parse_quarter_id`]) with the same content.
///
/// # Errors
/// As [`super::week::build`].
pub fn build(
    service: &AnalysisService,
    store: &Store,
    window: &TimeWindow,
    opts: &ReportOptions,
) -> Result<TertialReport, ReportError> {
    let kind = match window {
        TimeWindow::Tertial { .. } => "tertial",
        TimeWindow::Quarter { .. } => "quarter",
        _ => {
            return Err(ReportError::Invalid(format!(
                "{window} is not a tertial such as 2026-T3 or a quarter such as 2026-Q4"
            )));
        }
    };
    opts.priority_weights
        .validate()
        .map_err(|e| ReportError::Invalid(e.to_string()))?;
    let c = common(service, store, window, opts)?;
    let table = c.analyzer.table();
    let tz = c.analyzer.timezone();
    let (from, to) = window.bounds(tz);
    // Whole ISO weeks inside the period that have begun by the latest incident and ended by
    // `as_of` (a period still running would otherwise end in empty or partial weeks that
    // fake a falling trend).
    let data_end = table.time_range().map_or(i64::MIN, |(_, hi)| hi);
    let weeks: Vec<TimeWindow> = TimeWindow::weeks(from, to, tz)
        .into_iter()
        .filter(|w| {
            let (a, b) = w.bounds(tz);
            a >= from && b <= to && a.timestamp() <= data_end && b <= c.as_of
        })
        .collect();
    let edges: Vec<i64> = weeks
        .iter()
        .map(|w| w.bounds(tz).0.timestamp())
        .chain(weeks.last().map(|w| w.bounds(tz).1.timestamp()))
        .collect();
    let filter = IncidentFilter::default();
    let mask = row_mask(table, &filter);
    let (layer_index, _) = table
        .layer(&c.scope.layer)
        .ok_or_else(|| ReportError::Invalid(format!("unknown layer {:?}", c.scope.layer)))?;
    let cube = cube_counts(table, Units::Areas { layer: layer_index }, &mask, &edges);
    let steps = weeks.len();
    let layer_areas = &table.layers[layer_index].areas;
    let areas: Vec<AreaTrendRow> = c
        .area_rows()
        .into_iter()
        .map(|row| {
            let pos = layer_areas.iter().position(|a| a.id == row.id);
            let series: Vec<f64> =
                pos.map_or_else(Vec::new, |p| cube[p * steps..(p + 1) * steps].to_vec());
            let mk = mann_kendall(&series, opts.alpha).ok().map(|m| AreaTrend {
                s: m.s,
                z: m.z,
                p: m.p,
                tau: m.tau,
                slope: m.slope,
                trend: m.trend,
            });
            AreaTrendRow {
                area: row,
                mann_kendall: mk,
                weekly: series.into_iter().map(Some).collect(),
            }
        })
        .collect();
    let unit = match &c.scope.region {
        Some(r) => SeriesUnit::Area {
            layer: r.layer.clone(),
            id: r.id.clone(),
        },
        None => SeriesUnit::All,
    };
    let weekly_totals = match (weeks.first(), weeks.last()) {
        (Some(a), Some(b)) => {
            let s = c.analyzer.weekly_series(
                &unit,
                a.bounds(tz).0,
                b.bounds(tz).1 - Duration::seconds(1),
                &filter,
            )?;
            s.points
                .into_iter()
                .map(|(week, n)| WeekPoint {
                    week,
                    count: Some(n),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let priority = prioritise(&areas, &opts.priority_weights);
    let emerging = c.emerging(opts.top, opts.emerging_weeks);
    let followup = interventions::ended(&c.analyzer, store, &c.scope, window)?;
    let near_repeat = near_repeat_section(&c.analyzer, window);
    let outlines: Vec<_> = followup
        .iter()
        .filter_map(|e| {
            interventions::target_geometry(&c.analyzer, &e.intervention.intervention.spec.target)
        })
        .collect();
    let map_svg = map_svg::render(
        table,
        &c.scope,
        &c.hexes.cells,
        map_svg::Colour::Emerging,
        &outlines,
    );
    let notes = store.report_notes(&window.to_string(), &c.scope.key())?;
    let mut parameters = c.parameters(kind, window, opts);
    parameters.priority_weights = Some(opts.priority_weights);
    let mut warnings = c.warnings();
    if data_end < to.timestamp() {
        warnings.push(format!(
            "The tertial is not over in the data: the latest incident is from {}; its counts are incomplete, so compare them with the earlier periods with care.",
            chrono::DateTime::from_timestamp(data_end, 0)
                .map_or_else(String::new, |t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
        ));
    }
    warnings.push(format!(
        "Trends use the {steps} whole ISO weeks inside the tertial; Mann–Kendall does not correct for serial correlation."
    ));
    Ok(TertialReport {
        id: window.to_string(),
        parameters,
        synthetic_data: c.synthetic.clone(),
        areas,
        emerging,
        weekly_totals,
        hour_weekday: HourWeekday::new(&c.hour_weekday),
        priority,
        near_repeat,
        followup,
        notes,
        notes_restricted: false,
        warnings,
        map_svg,
        totals: c.totals,
    })
}
