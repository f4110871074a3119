//! The weekly situation picture (*veckolägesbild*) for one ISO week.
//!
//! Sections, in order: totals by category group, category and partner against the
//! previous week, the mean of the 8 weeks before and the same week last year; the
//! significant rises (exact Poisson test) with their Benjamini–Hochberg q-values and a note
//! on multiple testing; the top areas and top hexes by harm-weighted score with Gi*
//! significance; new and intensifying hotspots (emerging-hotspot classes over the 52 weeks
//! ending with the week); the hour-by-weekday pattern; a map; the interventions active in
//! the week (once the register exists); and the meeting notes stored with the report.

use chrono::{DateTime, SecondsFormat, Utc};
use h3o::{CellIndex, Resolution};
use serde::Serialize;

use super::figures::{Breakdown, BreakdownRow, breakdown};
use super::interventions::{self, ActiveIntervention};
use super::scope::{RegionRef, Scope};
use super::{Figure, HourWeekday, ReportError, map_svg};
use crate::access::suppress::Suppression;
use crate::analysis::counts::row_mask;
use crate::analysis::emerging::EmergingClass;
use crate::analysis::fdr::bh_adjust;
use crate::analysis::filter::IncidentFilter;
use crate::analysis::hotspots::{
    AreaHotspots, AreaQuery, DEFAULT_EMERGING_WEEKS, HexHotspots, HexQuery, Provenance, SeriesUnit,
    current_hour,
};
use crate::analysis::service::AnalysisService;
use crate::analysis::window::TimeWindow;
use crate::config::PriorityWeights;
use crate::store::{ReportNotes, Store};

/// A resolution fine enough for a district map (about 0.7 km² per hex); the reports use
/// the automatic scale unless given one.
pub const DEFAULT_RESOLUTION: Resolution = Resolution::Eight;

/// Options shared by both reports. [`ReportOptions::default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Area layer to rank (default `districts`, else the first layer).
    pub layer: Option<String>,
    /// Region that limits the report (`LAYER:ID`, or an id/name in `regions`).
    pub region: Option<String>,
    /// Significance level of the rise test and the emerging classes (0.05).
    pub alpha: f64,
    /// Baseline periods (8).
    pub baseline_windows: usize,
    /// Weeks of the emerging-hotspot cube (52).
    pub emerging_weeks: usize,
    /// H3 resolution of the hex sections (`None`, the default: the automatic scale, the
    /// same the map and every role's view use for the period and filter).
    pub resolution: Option<Resolution>,
    /// Gi* ring size (`None`: automatic).
    pub k: Option<u32>,
    /// Rows in each top list (10).
    pub top: usize,
    /// Weights of the tertial priority score.
    pub priority_weights: PriorityWeights,
    /// The present (`None`: the current hour). A period still running then is reported
    /// as in progress and compared to-date.
    pub as_of: Option<DateTime<Utc>>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            layer: None,
            region: None,
            alpha: 0.05,
            baseline_windows: 8,
            emerging_weeks: DEFAULT_EMERGING_WEEKS,
            resolution: None,
            k: None,
            top: 10,
            priority_weights: PriorityWeights::default(),
            as_of: None,
        }
    }
}

/// What a report was computed from; enough to regenerate it exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportParameters {
    /// `week` or `tertial`.
    pub report: &'static str,
    /// The period, e.g. `2026-W47`.
    pub period: String,
    /// Its start, RFC 3339 UTC.
    pub from: String,
    /// Its end (exclusive), RFC 3339 UTC.
    pub to: String,
    /// Its first day, local date.
    pub first_day: String,
    /// Its last day (inclusive), local date.
    pub last_day: String,
    /// Time zone of the period's boundaries.
    pub timezone: String,
    /// Whether the period had ended. A running period's comparisons are to-date: the
    /// previous period, last year and the baseline cut to the same `elapsed_days`.
    pub complete: bool,
    /// Local days of the period that had begun.
    pub elapsed_days: u32,
    /// The present the report was made at, RFC 3339 UTC.
    pub as_of: String,
    /// The ranked area layer.
    pub layer: String,
    /// The region the report is limited to.
    pub region: Option<RegionRef>,
    /// Significance level.
    pub alpha: f64,
    /// Baseline periods.
    pub baseline_windows: usize,
    /// Weeks of the emerging cube.
    pub emerging_weeks: usize,
    /// H3 resolution used (chosen automatically unless given).
    pub resolution: u8,
    /// Gi* ring size used.
    pub k: u32,
    /// Whether resolution and k were chosen automatically.
    pub automatic_scale: bool,
    /// Rows per top list.
    pub top: usize,
    /// Priority weights (tertial only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_weights: Option<PriorityWeights>,
    /// Counts below this were blanked (small-count suppression), if applied.
    pub suppressed_below: Option<u32>,
    /// The store's data version.
    pub data_version: i64,
    /// The lagesbild version.
    pub software: String,
    /// The analyses underneath (hexes, areas), with all their parameters.
    pub analyses: Vec<Provenance>,
    /// The command that regenerates this report.
    pub regenerate: String,
}

/// An area in a ranked list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaRow {
    /// 1 = highest harm score.
    pub rank: usize,
    /// Area id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Residents.
    pub population: Option<u64>,
    /// Counts, harm, rate, changes.
    #[serde(flatten)]
    pub figure: Figure,
    /// Gi* z (`None` when not computed).
    pub gi_z: Option<f64>,
    /// −3..=3: cold/hot at 99/95/90 % confidence (FDR-controlled), 0 not significant.
    pub gi_bin: i8,
    /// The area's significance against the rest of the layer, any number of areas:
    /// `hot_99` .. `none` .. `cold_99` (`analysis::area_significance`).
    pub significance: &'static str,
    /// The same as −3..=3.
    pub significance_bin: i8,
}

/// A hex in a ranked list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexRow {
    /// 1 = highest harm score.
    pub rank: usize,
    /// H3 index.
    pub cell: String,
    /// Counts, harm, changes.
    #[serde(flatten)]
    pub figure: Figure,
    /// Gi* z.
    pub gi_z: Option<f64>,
    /// −3..=3 Gi* confidence bin.
    pub gi_bin: i8,
    /// Emerging-hotspot class.
    pub emerging: Option<EmergingClass>,
}

/// One flagged rise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiseRow {
    /// `group`, `category`, `partner` or `area`.
    pub kind: &'static str,
    /// Code or area id.
    pub code: String,
    /// Swedish label.
    pub label_sv: String,
    /// English label.
    pub label_en: String,
    /// The figures.
    #[serde(flatten)]
    pub figure: Figure,
    /// Benjamini–Hochberg q-value over all the tests of this section.
    pub q_value: f64,
    /// `q_value <= alpha`: still significant when the false discovery rate is controlled.
    pub survives_fdr: bool,
}

/// The significant rises, and how many tests they came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rises {
    /// Number of tests (groups, categories, partners and areas).
    pub tests: usize,
    /// Significance level of each test.
    pub alpha: f64,
    /// Rises expected by chance alone if nothing had changed: `tests × alpha`.
    pub expected_by_chance: f64,
    /// The rises flagged (`rise_p < alpha`), most significant first.
    pub items: Vec<RiseRow>,
}

/// Cells per emerging class, and the new and intensifying hotspots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmergingSummary {
    /// Weeks in the cube (ending with the report's last week).
    pub weeks: usize,
    /// Cells per class (classes with none are left out), legend order.
    pub classes: Vec<ClassCount>,
    /// New and consecutive hotspots (recently emerged), highest harm first.
    pub new: Vec<HexRow>,
    /// Intensifying hotspots, highest harm first.
    pub intensifying: Vec<HexRow>,
}

/// Number of cells of one emerging class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassCount {
    /// The class.
    pub class: EmergingClass,
    /// Swedish label.
    pub label_sv: String,
    /// English label.
    pub label_en: String,
    /// Cells (in scope).
    pub cells: usize,
}

/// The weekly situation picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekReport {
    /// The week, e.g. `2026-W47`.
    pub id: String,
    /// What it was computed from.
    pub parameters: ReportParameters,
    /// Set when the data include synthetic demo incidents (their batch sources).
    pub synthetic_data: Vec<String>,
    /// Totals by group, category and partner.
    pub totals: Breakdown,
    /// Significant rises.
    pub rises: Rises,
    /// Top areas of the layer by harm.
    pub top_areas: Vec<AreaRow>,
    /// Top hexes by harm.
    pub top_hexes: Vec<HexRow>,
    /// New and intensifying hotspots.
    pub emerging: EmergingSummary,
    /// Hour-by-weekday pattern of the week.
    pub hour_weekday: HourWeekday,
    /// Interventions active on any day of the week (in scope), with where they are.
    pub interventions: Vec<ActiveIntervention>,
    /// Meeting notes stored with the report.
    pub notes: Option<ReportNotes>,
    /// True when notes exist but the caller's role may not read them (`notes` is then
    /// empty); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notes_restricted: bool,
    /// Plain-language notes on the data and methods.
    pub warnings: Vec<String>,
    /// The week's map as an inline SVG (districts and hexes; HTML only).
    #[serde(skip)]
    pub map_svg: String,
}

impl WeekReport {
    /// Publishes the report for a restricted role (`access::suppress`): every count
    /// hidden or rounded, totals from their published parts, no Gi* z or p-values, ranked
    /// lists without hidden units and ordered by published harm; records `k` in the
    /// parameters. The map keeps only Gi* classes, which are not counts.
    pub fn suppress_small_counts(&mut self, k: u32) {
        let s = Suppression {
            k,
            ..Suppression::default()
        };
        let n = self.parameters.baseline_windows;
        self.totals.publish(&s, n);
        for r in &mut self.rises.items {
            r.figure.publish(&s, n, None);
        }
        // Only rises of a published count, by their published count.
        self.rises.items.retain(|r| r.figure.rise == Some(true));
        self.rises.items.sort_by(|a, b| {
            b.figure
                .count
                .unwrap_or(0.0)
                .total_cmp(&a.figure.count.unwrap_or(0.0))
                .then_with(|| a.kind.cmp(b.kind))
                .then_with(|| a.code.cmp(&b.code))
        });
        publish_area_rows(&mut self.top_areas, &s, n);
        for list in [
            &mut self.top_hexes,
            &mut self.emerging.new,
            &mut self.emerging.intensifying,
        ] {
            publish_hex_rows(list, &s, n);
        }
        self.hour_weekday.publish(&s);
        self.parameters.suppressed_below = Some(k);
    }
}

/// Publishes ranked area rows: hidden ones leave, no Gi* z, re-ranked by published harm.
pub(crate) fn publish_area_rows(rows: &mut Vec<AreaRow>, s: &Suppression, n: usize) {
    for r in rows.iter_mut() {
        r.figure.publish(s, n, r.population.map(|p| p as f64));
        r.gi_z = None;
    }
    rows.retain(|r| r.figure.count.is_some());
    rows.sort_by(|a, b| {
        harm(&b.figure)
            .total_cmp(&harm(&a.figure))
            .then_with(|| b.gi_bin.cmp(&a.gi_bin))
            .then_with(|| a.id.cmp(&b.id))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
}

/// Publishes ranked hex rows the same way.
fn publish_hex_rows(rows: &mut Vec<HexRow>, s: &Suppression, n: usize) {
    for r in rows.iter_mut() {
        r.figure.publish(s, n, None);
        r.gi_z = None;
    }
    rows.retain(|r| r.figure.count.is_some());
    rows.sort_by(|a, b| {
        harm(&b.figure)
            .total_cmp(&harm(&a.figure))
            .then_with(|| b.gi_bin.cmp(&a.gi_bin))
            .then_with(|| a.cell.cmp(&b.cell))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
}

/// Everything both reports compute the same way.
pub(crate) struct Common {
    pub scope: Scope,
    pub hexes: std::sync::Arc<HexHotspots>,
    pub areas: std::sync::Arc<AreaHotspots>,
    pub totals: Breakdown,
    pub hour_weekday: [[f64; 24]; 7],
    pub synthetic: Vec<String>,
    pub analyzer: std::sync::Arc<crate::analysis::hotspots::Analyzer>,
    pub as_of: DateTime<Utc>,
}

pub(crate) fn common(
    service: &AnalysisService,
    store: &Store,
    window: &TimeWindow,
    opts: &ReportOptions,
) -> Result<Common, ReportError> {
    if opts.top == 0 || opts.top > 1000 {
        return Err(ReportError::Invalid(format!(
            "top must be 1..=1000, not {}",
            opts.top
        )));
    }
    let analyzer = service.analyzer(store)?;
    let table = analyzer.table();
    let scope = Scope::resolve(table, opts.layer.as_deref(), opts.region.as_deref())?;
    let as_of = opts.as_of.unwrap_or_else(current_hour);
    let mut hq = HexQuery::new(*window);
    hq.as_of = as_of;
    hq.resolution = opts.resolution;
    hq.k = opts.k;
    hq.alpha = opts.alpha;
    hq.baseline_windows = opts.baseline_windows;
    hq.emerging_weeks = opts.emerging_weeks;
    let hexes = service.hexes(store, &hq)?;
    let mut aq = AreaQuery::new(&scope.layer, *window);
    aq.alpha = opts.alpha;
    aq.baseline_windows = opts.baseline_windows;
    aq.as_of = as_of;
    let areas = service.areas(store, &aq)?;
    let filter = IncidentFilter::default();
    let mask = scope.restrict(table, row_mask(table, &filter));
    let tz = analyzer.timezone();
    let totals = breakdown(
        table,
        analyzer.categories(),
        &mask,
        window,
        tz,
        opts.baseline_windows,
        opts.alpha,
        Some(as_of),
    );
    let unit = match &scope.region {
        Some(r) => SeriesUnit::Area {
            layer: r.layer.clone(),
            id: r.id.clone(),
        },
        None => SeriesUnit::All,
    };
    let hour_weekday = analyzer.hour_weekday(window, &filter, &unit)?;
    Ok(Common {
        scope,
        hexes,
        areas,
        totals,
        hour_weekday,
        synthetic: store.synthetic_sources()?,
        analyzer,
        as_of,
    })
}

impl Common {
    pub fn parameters(
        &self,
        report: &'static str,
        window: &TimeWindow,
        opts: &ReportOptions,
    ) -> ReportParameters {
        let tz = self.analyzer.timezone();
        let (from, to) = window.bounds(tz);
        let progress = window.progress(self.as_of, tz);
        let mut regenerate = format!(
            "lagesbild report {report} {window} --layer {}",
            self.scope.layer
        );
        if let Some(r) = &self.scope.region {
            regenerate.push_str(&format!(" --region {}:{}", r.layer, r.id));
        }
        if !progress.complete {
            regenerate.push_str(&format!(" --as-of {}", rfc3339(self.as_of)));
        }
        regenerate.push_str(&format!(" --res {}", self.hexes.scale.resolution));
        regenerate.push_str(&format!(" --k {}", self.hexes.scale.k));
        ReportParameters {
            report,
            period: window.to_string(),
            from: rfc3339(from),
            to: rfc3339(to),
            first_day: from.with_timezone(&tz).format("%Y-%m-%d").to_string(),
            last_day: (to - chrono::Duration::seconds(1))
                .with_timezone(&tz)
                .format("%Y-%m-%d")
                .to_string(),
            timezone: tz.name().to_owned(),
            complete: progress.complete,
            elapsed_days: progress.elapsed_days,
            as_of: rfc3339(self.as_of),
            layer: self.scope.layer.clone(),
            region: self.scope.region.clone(),
            alpha: opts.alpha,
            baseline_windows: opts.baseline_windows,
            emerging_weeks: opts.emerging_weeks,
            resolution: self.hexes.scale.resolution,
            k: self.hexes.scale.k,
            automatic_scale: self.hexes.scale.automatic,
            top: opts.top,
            priority_weights: None,
            suppressed_below: None,
            data_version: self.hexes.parameters.data_version,
            software: env!("CARGO_PKG_VERSION").to_owned(),
            analyses: vec![self.hexes.parameters.clone(), self.areas.parameters.clone()],
            regenerate,
        }
    }

    /// The layer's areas in scope, highest harm first.
    pub fn area_rows(&self) -> Vec<AreaRow> {
        let table = self.analyzer.table();
        let layer = table.layer(&self.scope.layer).map(|(_, l)| l);
        let mut rows: Vec<AreaRow> = self
            .areas
            .areas
            .iter()
            .filter(|a| {
                layer
                    .and_then(|l| l.areas.iter().find(|t| t.id == a.id))
                    .is_none_or(|t| self.scope.contains_area(t))
            })
            .map(|a| AreaRow {
                rank: 0,
                id: a.id.clone(),
                name: a.name.clone(),
                population: a.population,
                figure: Figure::from_aggregate(&a.aggregate),
                gi_z: a.gi_z,
                gi_bin: a.gi_bin,
                significance: a.significance,
                significance_bin: crate::analysis::area_significance::bin_of(a.significance),
            })
            .collect();
        rows.sort_by(|a, b| {
            harm(&b.figure)
                .total_cmp(&harm(&a.figure))
                .then_with(|| a.id.cmp(&b.id))
        });
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        rows
    }

    /// Hexes in scope with a positive harm score (or a class in `classes`), highest harm
    /// first, at most `top`.
    pub fn hex_rows(&self, top: usize, classes: Option<&[EmergingClass]>) -> Vec<HexRow> {
        let mut rows: Vec<HexRow> = self
            .hexes
            .cells
            .iter()
            .filter(|c| match classes {
                Some(cl) => c.emerging.is_some_and(|e| cl.contains(&e)),
                None => c.aggregate.harm > 0.0,
            })
            .filter(|c| {
                c.cell
                    .parse::<CellIndex>()
                    .is_ok_and(|cell| self.scope.contains_cell(cell))
            })
            .map(|c| HexRow {
                rank: 0,
                cell: c.cell.clone(),
                figure: Figure::from_aggregate(&c.aggregate),
                gi_z: c.gi_z,
                gi_bin: c.gi_bin,
                emerging: c.emerging,
            })
            .collect();
        rows.sort_by(|a, b| {
            harm(&b.figure)
                .total_cmp(&harm(&a.figure))
                .then_with(|| a.cell.cmp(&b.cell))
        });
        rows.truncate(top);
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        rows
    }

    pub fn emerging(&self, top: usize, weeks: usize) -> EmergingSummary {
        let mut classes = Vec::new();
        for class in EmergingClass::ALL {
            let cells = self
                .hexes
                .cells
                .iter()
                .filter(|c| c.emerging == Some(class))
                .filter(|c| {
                    c.cell
                        .parse::<CellIndex>()
                        .is_ok_and(|cell| self.scope.contains_cell(cell))
                })
                .count();
            if cells > 0 {
                classes.push(ClassCount {
                    class,
                    label_sv: class.label_sv().to_owned(),
                    label_en: class.label_en().to_owned(),
                    cells,
                });
            }
        }
        EmergingSummary {
            weeks,
            classes,
            new: self.hex_rows(
                top,
                Some(&[EmergingClass::NewHot, EmergingClass::ConsecutiveHot]),
            ),
            intensifying: self.hex_rows(top, Some(&[EmergingClass::IntensifyingHot])),
        }
    }

    /// The rise tests of groups, categories, partners and the areas in scope, with
    /// Benjamini–Hochberg q-values over all of them.
    pub fn rises(&self, areas: &[AreaRow], alpha: f64) -> Rises {
        let mut all: Vec<RiseRow> = Vec::new();
        let mut push = |kind: &'static str, r: &BreakdownRow| {
            all.push(RiseRow {
                kind,
                code: r.code.clone(),
                label_sv: r.label_sv.clone(),
                label_en: r.label_en.clone(),
                figure: r.figure.clone(),
                q_value: 1.0,
                survives_fdr: false,
            });
        };
        for r in &self.totals.by_group {
            push("group", r);
        }
        for r in &self.totals.by_category {
            push("category", r);
        }
        for r in &self.totals.by_partner {
            push("partner", r);
        }
        for a in areas {
            all.push(RiseRow {
                kind: "area",
                code: a.id.clone(),
                label_sv: a.name.clone(),
                label_en: a.name.clone(),
                figure: a.figure.clone(),
                q_value: 1.0,
                survives_fdr: false,
            });
        }
        let p: Vec<f64> = all.iter().map(|r| r.figure.rise_p.unwrap_or(1.0)).collect();
        let q = bh_adjust(&p);
        for (r, q) in all.iter_mut().zip(q) {
            r.q_value = q;
            r.survives_fdr = r.figure.rise == Some(true) && q <= alpha;
        }
        let tests = all.len();
        let mut items: Vec<RiseRow> = all
            .into_iter()
            .filter(|r| r.figure.rise == Some(true))
            .collect();
        items.sort_by(|a, b| {
            a.figure
                .rise_p
                .unwrap_or(1.0)
                .total_cmp(&b.figure.rise_p.unwrap_or(1.0))
                .then_with(|| a.kind.cmp(b.kind))
                .then_with(|| a.code.cmp(&b.code))
        });
        Rises {
            tests,
            alpha,
            expected_by_chance: tests as f64 * alpha,
            items,
        }
    }

    pub fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self.hexes.warnings.clone();
        w.extend(self.areas.warnings.iter().cloned());
        w.sort();
        w.dedup();
        w
    }
}

fn harm(f: &Figure) -> f64 {
    f.harm.unwrap_or(0.0)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Builds the weekly situation picture for `window` (an ISO week; see
/// [`super::parse_week_id`]).
///
/// # Errors
/// [`ReportError::Invalid`] for a window that is not an ISO week, an unknown layer or
/// region, or options out of range; analysis and store failures otherwise.
pub fn build(
    service: &AnalysisService,
    store: &Store,
    window: &TimeWindow,
    opts: &ReportOptions,
) -> Result<WeekReport, ReportError> {
    if !matches!(window, TimeWindow::IsoWeek { .. }) {
        return Err(ReportError::Invalid(format!(
            "{window} is not an ISO week such as 2026-W47"
        )));
    }
    let c = common(service, store, window, opts)?;
    let areas = c.area_rows();
    let rises = c.rises(&areas, opts.alpha);
    let mut top_areas = areas;
    top_areas.truncate(opts.top);
    let top_hexes = c.hex_rows(opts.top, None);
    let emerging = c.emerging(opts.top, opts.emerging_weeks);
    let active = interventions::active(&c.analyzer, store, &c.scope, window)?;
    let outlines: Vec<_> = active
        .iter()
        .filter_map(|a| interventions::target_geometry(&c.analyzer, &a.intervention.spec.target))
        .collect();
    let map_svg = map_svg::render(
        c.analyzer.table(),
        &c.scope,
        &c.hexes.cells,
        map_svg::Colour::GiStar,
        &outlines,
    );
    let notes = store.report_notes(&window.to_string(), &c.scope.key())?;
    Ok(WeekReport {
        id: window.to_string(),
        parameters: c.parameters("week", window, opts),
        synthetic_data: c.synthetic.clone(),
        rises,
        top_areas,
        top_hexes,
        emerging,
        hour_weekday: HourWeekday::new(&c.hour_weekday),
        interventions: active,
        notes,
        notes_restricted: false,
        warnings: c.warnings(),
        map_svg,
        totals: c.totals,
    })
}
