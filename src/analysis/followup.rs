//! Follow-up of an intervention: did incidents fall in the target area, relative to a
//! control area, and did they move to (or did the benefit spread into) the surroundings?
//!
//! [`followup`] counts incidents in three disjoint zones over two equal-length windows:
//!
//! - **R**, the *target* (the intervention's area, hexes or polygon);
//! - **D**, the *buffer ring* around it (within `buffer_m` metres of the target, outside
//!   it), where displacement or diffusion of benefit would show;
//! - **C**, the *control*: by default the rest of the study area (the municipality) outside
//!   target and buffer, or a chosen comparable area (minus target and buffer).
//!
//! and reports, for the *before* (b) and *after* (a) windows:
//!
//! - the change in the target relative to the control, `(Ra/Rb)/(Ca/Cb)`, with an exact
//!   conditional confidence interval and p-value ([`super::rate_ratio`]);
//! - the **Weighted Displacement Quotient** of Bowers & Johnson (2003), "Measuring the
//!   geographical displacement and diffusion of benefit effects of crime prevention
//!   activity", *Journal of Quantitative Criminology* 19(3), 275–301:
//!
//!   ```text
//!   success measure  S   = Ra/Ca − Rb/Cb        (< 0: the target improved relative to C)
//!   WDQ                  = (Da/Ca − Db/Cb) / (Ra/Ca − Rb/Cb)
//!   ```
//!
//!   read only when `S < 0`: WDQ > 1 diffusion of benefit larger than the direct effect;
//!   0 < WDQ ≤ 1 some diffusion of benefit; WDQ = 0 neither; −1 ≤ WDQ < 0 some
//!   displacement, smaller than the direct effect (a net gain); WDQ < −1 displacement
//!   larger than the direct effect (a net loss). The paper's *total net effect*
//!   `(Rb·Ca/Cb − Ra) + (Db·Ca/Cb − Da)` (incidents avoided in R and D together, positive
//!   = fewer) is reported too;
//! - a plain-words verdict that says when the counts are too small to conclude.
//!
//! Incidents are counted by the time they started (`occurred_at`); incidents with an
//! uncertain time are not spread over windows here, so the counts are whole numbers, as
//! the exact tests need. Which incidents count (categories, groups, partners) is the
//! caller's filter. Choosing a good control area, and judging whether other things changed
//! at the same time, is left to the analyst; the verdict says so.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::{BoundingRect, Contains, Distance, Euclidean};
use h3o::{CellIndex, LatLng};
use serde::Serialize;

use super::AnalysisError;
use super::counts::row_mask;
use super::filter::IncidentFilter;
use super::hotspots::Analyzer;
use super::rate_ratio::{RatioInterval, poisson_ratio_ci, ratio_of_ratios};
use super::table::{IncidentTable, NO_AREA};
use crate::intervention::{Intervention, InterventionTarget, local_midnight};
use crate::model::Wgs84;

/// The default width of the buffer ring, metres (the distance over which near-repeat and
/// displacement effects are usually looked for; Bowers & Johnson 2003 used 200–400 m
/// rings around burglary schemes).
pub const DEFAULT_BUFFER_M: f64 = 400.0;
/// The widest buffer ring accepted, metres.
pub const MAX_BUFFER_M: f64 = 5_000.0;
/// Fewer incidents than this in the target (before and after together) are called too
/// few to conclude anything, whatever the interval says.
pub const TOO_FEW: u64 = 10;
/// The longest window, days.
pub const MAX_WINDOW_DAYS: u32 = 3_660;

/// Which area the target is compared with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    /// The study area (municipality) outside the target and its buffer ring.
    #[default]
    RestOfStudyArea,
    /// A chosen comparable area of a stored layer, outside the target and its ring.
    Area {
        /// Layer name.
        layer: String,
        /// Area id.
        id: String,
    },
}

/// Which window counts as "after".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterWindow {
    /// The intervention's own days (or its first `window_days`), compared with as many
    /// days just before it started. The default: it measures the effect while it ran.
    #[default]
    During,
    /// As many days just after it ended, compared with as many days just before it
    /// started: the lasting effect.
    Following,
}

/// Options for [`followup`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowupOptions {
    /// Width of the buffer ring, metres, in (0, [`MAX_BUFFER_M`]]. Default
    /// [`DEFAULT_BUFFER_M`].
    pub buffer_m: f64,
    /// The control area. Default: the rest of the study area.
    pub control: Control,
    /// Which window is "after". Default: during the intervention.
    pub after: AfterWindow,
    /// Length of each window in days; `None` = the intervention's length.
    pub window_days: Option<u32>,
    /// Which incidents count. Default: all.
    pub filter: IncidentFilter,
    /// Confidence level of the intervals. Default 0.95.
    pub level: f64,
}

impl Default for FollowupOptions {
    fn default() -> FollowupOptions {
        FollowupOptions {
            buffer_m: DEFAULT_BUFFER_M,
            control: Control::default(),
            after: AfterWindow::default(),
            window_days: None,
            filter: IncidentFilter::default(),
            level: 0.95,
        }
    }
}

/// A window of whole local days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayWindow {
    /// First day.
    pub first_day: NaiveDate,
    /// Last day (inclusive).
    pub last_day: NaiveDate,
    /// Start, RFC 3339 UTC (inclusive).
    pub from: DateTime<Utc>,
    /// End, RFC 3339 UTC (exclusive).
    pub to: DateTime<Utc>,
}

/// Counts in one zone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZoneCounts {
    /// Incidents in the before window.
    pub before: u64,
    /// Incidents in the after window.
    pub after: u64,
    /// `after / before` with its exact interval (the zone alone, no control).
    pub ratio: RatioInterval,
}

/// The WDQ and the numbers it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Displacement {
    /// `Ra/Ca − Rb/Cb`; negative = the target improved relative to the control.
    pub success_measure: Option<f64>,
    /// The Weighted Displacement Quotient; `None` when undefined (a zero denominator).
    pub wdq: Option<f64>,
    /// Bowers & Johnson's total net effect: incidents avoided in target and buffer together
    /// (negative = more incidents than the control's trend predicts).
    pub total_net_effect: Option<f64>,
    /// The change in the buffer relative to the control, `(Da/Db)/(Ca/Cb)`, with its exact
    /// interval: the uncertainty behind the WDQ's numerator.
    pub buffer_vs_control: RatioInterval,
    /// What the WDQ means here, in plain words.
    pub reading: String,
}

/// The follow-up of one intervention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Followup {
    /// The intervention's id.
    pub intervention: i64,
    /// The before window.
    pub before: DayWindow,
    /// The after window.
    pub after: DayWindow,
    /// Which after window was used.
    pub after_window: AfterWindow,
    /// Counts in the target.
    pub target: ZoneCounts,
    /// Counts in the buffer ring.
    pub buffer: ZoneCounts,
    /// Counts in the control.
    pub control: ZoneCounts,
    /// Buffer width, metres.
    pub buffer_m: f64,
    /// The control used, as asked.
    pub control_area: Control,
    /// The control in words.
    pub control_description: String,
    /// `(Ra/Rb)/(Ca/Cb)`: the change in the target relative to the control (below 1 = a
    /// fall relative to the control), with its exact conditional interval and p-value.
    pub relative_change: RatioInterval,
    /// Displacement and diffusion of benefit.
    pub displacement: Displacement,
    /// The plain-words conclusion, including how far it can be trusted.
    pub verdict: String,
    /// Things the reader should know (incomplete windows, a zero control...).
    pub warnings: Vec<String>,
    /// The incident filter, canonical form.
    pub filter: String,
    /// The time zone of the day windows.
    pub timezone: String,
    /// The store's data version the counts come from.
    pub data_version: i64,
    /// How the numbers were computed, in words.
    pub method: String,
}

/// Which zone an incident falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Target,
    Buffer,
    Control,
    Outside,
}

/// Metres east and north of a reference point on a sphere of the mean Earth radius
/// (equirectangular about the reference latitude): within 0.5 % over a few kilometres,
/// plenty for a buffer ring.
#[derive(Debug, Clone, Copy)]
struct LocalMetres {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalMetres {
    const R: f64 = 6_371_008.8;

    fn new(lon0: f64, lat0: f64) -> LocalMetres {
        let ky = Self::R * std::f64::consts::PI / 180.0;
        LocalMetres {
            lon0,
            lat0,
            kx: ky * lat0.to_radians().cos(),
            ky,
        }
    }

    fn point(&self, lon: f64, lat: f64) -> geo::Point<f64> {
        geo::Point::new((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }

    fn multipolygon(&self, mp: &geo::MultiPolygon<f64>) -> geo::MultiPolygon<f64> {
        use geo::MapCoords;
        mp.map_coords(|c| {
            let p = self.point(c.x, c.y);
            geo::coord! { x: p.x(), y: p.y() }
        })
    }
}

/// How to tell whether a row is in the target.
enum TargetTest<'a> {
    /// The row's area in layer `layer` (table index) is `area` (area index).
    Area { layer: usize, area: u32 },
    /// The row's cell at one of these resolutions is in the set.
    Hexes(&'a [CellIndex]),
    /// The row's location lies in (or on the boundary of) the polygon.
    Polygon(&'a geo::MultiPolygon<f64>),
}

fn area_index(
    table: &IncidentTable,
    layer: &str,
    id: &str,
    what: &str,
) -> Result<(usize, u32, geo::MultiPolygon<f64>), AnalysisError> {
    let (li, l) = table.layer(layer).ok_or_else(|| {
        AnalysisError::Invalid(format!("{what}: there is no area layer {layer:?}"))
    })?;
    let ai = l.areas.iter().position(|a| a.id == id).ok_or_else(|| {
        AnalysisError::Invalid(format!("{what}: layer {layer:?} has no area {id:?}"))
    })?;
    Ok((li, ai as u32, l.areas[ai].geometry.clone()))
}

/// Follows up one intervention.
///
/// # Parameters
/// - `analyzer`: the incidents, areas, study area and time zone (one data version).
/// - `intervention`: the stored intervention (its target and days).
/// - `opts`: buffer width, control, which after window, window length, filter, level.
///
/// # Returns
/// [`Followup`]: counts per zone and window, the relative change with its exact interval,
/// the WDQ with its reading, and a plain-words verdict.
///
/// # Errors
/// [`AnalysisError::Invalid`] when the target or control area is not loaded, the buffer
/// or window length is out of range, the before window would start before the year
/// 1970, or the study area is unknown while the default control is asked for.
///
/// # Algorithm
/// Windows: `L` = `window_days` or the intervention's length in days. Before =
/// the `L` local days ending the day before the start; after = the first `L` days of
/// the intervention ([`AfterWindow::During`]) or the `L` days after its last day
/// ([`AfterWindow::Following`]). Zones: an incident is in the target if its stored area
/// assignment is the target area (area targets), its H3 cell is one of the target's
/// (hex targets), or its location is in the polygon (polygon targets); else in the buffer
/// if within `buffer_m` of the target's outline (Euclidean distance in local metres);
/// else in the control if inside the control area. Statistics as in the
/// [module documentation](self).
///
/// # Example
/// ```no_run
/// use lagesbild::analysis::followup::{followup, FollowupOptions};
/// # fn demo(analyzer: &lagesbild::analysis::hotspots::Analyzer,
/// #         i: &lagesbild::intervention::Intervention) -> Result<(), lagesbild::analysis::AnalysisError> {
/// let f = followup(analyzer, i, &FollowupOptions::default())?;
/// println!("{} (WDQ {:?})", f.verdict, f.displacement.wdq);
/// # Ok(()) }
/// ```
pub fn followup(
    analyzer: &Analyzer,
    intervention: &Intervention,
    opts: &FollowupOptions,
) -> Result<Followup, AnalysisError> {
    if !(opts.buffer_m > 0.0 && opts.buffer_m <= MAX_BUFFER_M) {
        return Err(AnalysisError::Invalid(format!(
            "buffer: {} m is out of range; give a width in metres above 0 and at most {MAX_BUFFER_M}",
            opts.buffer_m
        )));
    }
    if let Some(d) = opts.window_days
        && !(1..=MAX_WINDOW_DAYS).contains(&d)
    {
        return Err(AnalysisError::Invalid(format!(
            "window_days: {d} is out of range; give 1 to {MAX_WINDOW_DAYS} days"
        )));
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(AnalysisError::Invalid(format!(
            "level: {} must lie strictly between 0 and 1",
            opts.level
        )));
    }
    let table = analyzer.table();
    let tz = analyzer.timezone();
    let spec = &intervention.spec;
    let mut warnings = Vec::new();
    // An open-ended action is followed up to the last day with data.
    let open_until = table
        .time_range()
        .and_then(|(_, hi)| DateTime::from_timestamp(hi, 0))
        .map_or_else(
            || Utc::now().with_timezone(&tz).date_naive(),
            |t| t.with_timezone(&tz).date_naive(),
        );
    let days = spec.days_until(open_until);
    if spec.end.is_open() {
        warnings.push(format!(
            "the action has no end yet; it is followed up as if it ended {open_until}, the last day with data"
        ));
    }

    // Windows of whole local days.
    let len = opts
        .window_days
        .map_or(days, i64::from)
        .clamp(1, i64::from(MAX_WINDOW_DAYS));
    let window = |first: NaiveDate| -> DayWindow {
        let last = first + Duration::days(len - 1);
        DayWindow {
            first_day: first,
            last_day: last,
            from: local_midnight(first, tz),
            to: local_midnight(last + Duration::days(1), tz),
        }
    };
    let before = window(spec.start - Duration::days(len));
    let after = match opts.after {
        AfterWindow::During => window(spec.start),
        AfterWindow::Following => window(spec.end.or(open_until) + Duration::days(1)),
    };
    if opts.after == AfterWindow::During && len > days {
        warnings.push(format!(
            "the after window ({len} days) is longer than the intervention ({days} days), so it includes days after it ended"
        ));
    }
    if let Some((lo, hi)) = table.time_range() {
        if after.to.timestamp() > hi + 1 {
            warnings.push(format!(
                "the after window ends {} but the data end {}: the after counts are incomplete and the change is biased towards a fall",
                after.last_day,
                DateTime::from_timestamp(hi, 0)
                    .map(|t| t.with_timezone(&tz).date_naive().to_string())
                    .unwrap_or_default()
            ));
        }
        if before.from.timestamp() < lo {
            warnings.push(format!(
                "the before window starts {} but the data start {}: the before counts are incomplete and the change is biased towards a rise",
                before.first_day,
                DateTime::from_timestamp(lo, 0)
                    .map(|t| t.with_timezone(&tz).date_naive().to_string())
                    .unwrap_or_default()
            ));
        }
    }

    // The target's test and outline.
    let (test, outline) = match &spec.target {
        InterventionTarget::Area { layer, id } => {
            let (li, ai, g) = area_index(table, layer, id, "target")?;
            (
                TargetTest::Area {
                    layer: li,
                    area: ai,
                },
                g,
            )
        }
        InterventionTarget::Hexes(cells) => {
            let polys: Vec<geo::Polygon<f64>> = cells
                .iter()
                .map(|c| {
                    let ring: Vec<(f64, f64)> =
                        c.boundary().iter().map(|ll| (ll.lng(), ll.lat())).collect();
                    geo::Polygon::new(geo::LineString::from(ring), vec![])
                })
                .collect();
            (TargetTest::Hexes(cells), geo::MultiPolygon(polys))
        }
        InterventionTarget::Polygon(mp) => (TargetTest::Polygon(mp), mp.clone()),
    };
    let hex_res: Vec<h3o::Resolution> = match &spec.target {
        InterventionTarget::Hexes(cells) => {
            let mut r: Vec<_> = cells.iter().map(|c| c.resolution()).collect();
            r.sort_unstable();
            r.dedup();
            r
        }
        _ => Vec::new(),
    };
    let Some(rect) = outline.bounding_rect() else {
        return Err(AnalysisError::Invalid(
            "target: the target has no extent".into(),
        ));
    };
    let local = LocalMetres::new(rect.center().x, rect.center().y);
    let outline_m = local.multipolygon(&outline);
    let rect_m = outline_m
        .bounding_rect()
        .ok_or_else(|| AnalysisError::Invalid("target: the target has no extent".into()))?;

    // The control's test.
    let (control_layer, control_area, control_description) = match &opts.control {
        Control::RestOfStudyArea => {
            let name = analyzer.study_layer().ok_or_else(|| {
                AnalysisError::Invalid(
                    "control: no study area is loaded; import an area layer or choose a control area".into(),
                )
            })?;
            let (li, _) = table.layer(name).ok_or_else(|| {
                AnalysisError::Invalid(format!("control: the study layer {name:?} is not loaded"))
            })?;
            (
                li,
                None,
                format!(
                    "the rest of the study area (layer {name:?}) outside the target and the {} m ring",
                    opts.buffer_m
                ),
            )
        }
        Control::Area { layer, id } => {
            let (li, ai, _) = area_index(table, layer, id, "control")?;
            (
                li,
                Some(ai),
                format!(
                    "area {id:?} of layer {layer:?}, outside the target and the {} m ring",
                    opts.buffer_m
                ),
            )
        }
    };

    let mask = row_mask(table, &opts.filter);
    let zone_of = |i: usize| -> Zone {
        let loc: Wgs84 = table.location[i];
        let in_target = match &test {
            TargetTest::Area { layer, area } => table.area[*layer][i] == *area,
            TargetTest::Hexes(cells) => LatLng::new(loc.lat, loc.lon).is_ok_and(|ll| {
                hex_res
                    .iter()
                    .any(|r| cells.binary_search(&ll.to_cell(*r)).is_ok())
            }),
            TargetTest::Polygon(mp) => {
                mp.contains(&geo::Point::new(loc.lon, loc.lat))
                    || Euclidean.distance(&local.point(loc.lon, loc.lat), &outline_m) == 0.0
            }
        };
        if in_target {
            return Zone::Target;
        }
        let p = local.point(loc.lon, loc.lat);
        let near_box = p.x() >= rect_m.min().x - opts.buffer_m
            && p.x() <= rect_m.max().x + opts.buffer_m
            && p.y() >= rect_m.min().y - opts.buffer_m
            && p.y() <= rect_m.max().y + opts.buffer_m;
        if near_box && Euclidean.distance(&p, &outline_m) <= opts.buffer_m {
            return Zone::Buffer;
        }
        let a = table.area[control_layer][i];
        let in_control = match control_area {
            None => a != NO_AREA,
            Some(ai) => a == ai,
        };
        if in_control {
            Zone::Control
        } else {
            Zone::Outside
        }
    };

    let (b0, b1) = (before.from.timestamp(), before.to.timestamp());
    let (a0, a1) = (after.from.timestamp(), after.to.timestamp());
    // [zone][0 = before, 1 = after]
    let mut counts = [[0u64; 2]; 3];
    for (i, _) in mask.iter().enumerate().filter(|(_, keep)| **keep) {
        let t = table.start[i];
        let w = if (b0..b1).contains(&t) {
            0
        } else if (a0..a1).contains(&t) {
            1
        } else {
            continue;
        };
        match zone_of(i) {
            Zone::Target => counts[0][w] += 1,
            Zone::Buffer => counts[1][w] += 1,
            Zone::Control => counts[2][w] += 1,
            Zone::Outside => {}
        }
    }
    let zone = |z: usize| -> Result<ZoneCounts, AnalysisError> {
        Ok(ZoneCounts {
            before: counts[z][0],
            after: counts[z][1],
            ratio: poisson_ratio_ci(counts[z][1], counts[z][0], opts.level)?,
        })
    };
    let (target, buffer, control) = (zone(0)?, zone(1)?, zone(2)?);
    let relative_change = ratio_of_ratios(
        target.after,
        target.before,
        control.after,
        control.before,
        opts.level,
    )?;
    let buffer_vs_control = ratio_of_ratios(
        buffer.after,
        buffer.before,
        control.after,
        control.before,
        opts.level,
    )?;
    if control.before == 0 || control.after == 0 {
        warnings.push(
            "the control area has no incidents in one window, so the WDQ and the relative change are undefined; choose a larger control".into(),
        );
    }
    let wdq = weighted_displacement(
        [target.before, target.after],
        [buffer.before, buffer.after],
        [control.before, control.after],
    );
    let displacement = Displacement {
        success_measure: wdq.success_measure,
        wdq: wdq.wdq,
        total_net_effect: wdq.total_net_effect,
        buffer_vs_control,
        reading: wdq_reading(&wdq, &buffer_vs_control),
    };
    let verdict = verdict(&target, &relative_change, opts.level);
    Ok(Followup {
        intervention: intervention.id.0,
        before,
        after,
        after_window: opts.after,
        target,
        buffer,
        control,
        buffer_m: opts.buffer_m,
        control_area: opts.control.clone(),
        control_description,
        relative_change,
        displacement,
        verdict,
        warnings,
        filter: opts.filter.to_string(),
        timezone: tz.name().to_owned(),
        data_version: table.data_version,
        method: format!(
            "Incidents counted by start time in {len}-day windows before and {} the intervention; \
             relative change (Ra/Rb)/(Ca/Cb) with an exact conditional {:.0} % interval \
             (Fisher's noncentral hypergeometric); displacement as the Weighted Displacement \
             Quotient (Bowers & Johnson 2003) in a {} m ring.",
            match opts.after {
                AfterWindow::During => "during",
                AfterWindow::Following => "after",
            },
            opts.level * 100.0,
            opts.buffer_m
        ),
    })
}

/// The WDQ's parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Wdq {
    /// `Ra/Ca − Rb/Cb`.
    pub success_measure: Option<f64>,
    /// `(Da/Ca − Db/Cb) / (Ra/Ca − Rb/Cb)`.
    pub wdq: Option<f64>,
    /// `(Rb·Ca/Cb − Ra) + (Db·Ca/Cb − Da)`.
    pub total_net_effect: Option<f64>,
}

/// The Weighted Displacement Quotient (Bowers & Johnson 2003).
///
/// # Parameters
/// `[before, after]` counts for the target `r`, the buffer `d` and the control `c`.
///
/// # Returns
/// [`Wdq`]; each part is `None` when its denominator is 0 (a control without incidents in
/// a window, or a success measure of exactly 0 for the WDQ).
///
/// # Example
/// ```
/// use lagesbild::analysis::followup::weighted_displacement;
/// // Target 100 → 60, buffer 50 → 40, control 1000 → 1000.
/// let w = weighted_displacement([100, 60], [50, 40], [1000, 1000]);
/// assert!((w.success_measure.unwrap() - (-0.04)).abs() < 1e-12);
/// assert!((w.wdq.unwrap() - 0.25).abs() < 1e-12); // some diffusion of benefit
/// assert!((w.total_net_effect.unwrap() - 50.0).abs() < 1e-9);
/// ```
pub fn weighted_displacement(r: [u64; 2], d: [u64; 2], c: [u64; 2]) -> Wdq {
    let [rb, ra] = r.map(|x| x as f64);
    let [db, da] = d.map(|x| x as f64);
    let [cb, ca] = c.map(|x| x as f64);
    if cb == 0.0 || ca == 0.0 {
        return Wdq {
            success_measure: None,
            wdq: None,
            total_net_effect: None,
        };
    }
    let success = ra / ca - rb / cb;
    let buffer = da / ca - db / cb;
    Wdq {
        success_measure: Some(success),
        wdq: (success != 0.0).then(|| buffer / success),
        total_net_effect: Some((rb * ca / cb - ra) + (db * ca / cb - da)),
    }
}

fn wdq_reading(w: &Wdq, buffer: &RatioInterval) -> String {
    let caution = if buffer.contains_one() {
        " The change in the ring itself is within chance, so read the WDQ as a direction, not a measurement."
    } else {
        ""
    };
    let text = match (w.success_measure, w.wdq) {
        (None, _) => {
            return "The WDQ is undefined: the control area has no incidents in one of the windows."
                .into();
        }
        (Some(s), _) if s >= 0.0 => {
            return "The target did not improve relative to the control (success measure ≥ 0), so the WDQ is not read (Bowers & Johnson 2003).".into();
        }
        (Some(_), None) => return "The WDQ is undefined.".into(),
        (Some(_), Some(q)) if q > 1.0 => format!(
            "WDQ {q:.2} > 1: diffusion of benefit larger than the direct effect — the ring improved more than the target."
        ),
        (Some(_), Some(q)) if q > 0.0 => {
            format!("WDQ {q:.2} between 0 and 1: some diffusion of benefit into the ring.")
        }
        (Some(_), Some(0.0)) => "WDQ 0: neither displacement nor diffusion.".into(),
        (Some(_), Some(q)) if q >= -1.0 => format!(
            "WDQ {q:.2} between −1 and 0: some displacement into the ring, smaller than the direct effect (a net gain)."
        ),
        (Some(_), Some(q)) => format!(
            "WDQ {q:.2} < −1: displacement into the ring larger than the direct effect (a net loss)."
        ),
    };
    format!("{text}{caution}")
}

fn percent(x: f64) -> String {
    format!("{:.0} %", (x - 1.0).abs() * 100.0)
}

fn verdict(target: &ZoneCounts, rel: &RatioInterval, level: f64) -> String {
    let n = target.before + target.after;
    let lvl = format!("{:.0} %", level * 100.0);
    let few = n < TOO_FEW;
    let interval = match (rel.estimate, rel.high) {
        (Some(_), Some(h)) => format!("{lvl} interval {:.2} to {h:.2}", rel.low),
        (_, None) => format!("{lvl} interval {:.2} to unbounded", rel.low),
        (None, Some(h)) => format!("{lvl} interval 0 to {h:.2}"),
    };
    let mut out = format!(
        "In the target area: {} incidents before, {} after. ",
        target.before, target.after
    );
    if few {
        out.push_str(&format!(
            "That is too few (fewer than {TOO_FEW}) to conclude anything: even a large real change could not be told from chance ({interval}). "
        ));
    } else {
        match rel.estimate {
            Some(e) if !rel.contains_one() && e < 1.0 => out.push_str(&format!(
                "Relative to the control area they fell by about {} ({interval}, p = {:.3}). ",
                percent(e),
                rel.p_value
            )),
            Some(e) if !rel.contains_one() => out.push_str(&format!(
                "Relative to the control area they rose by about {} ({interval}, p = {:.3}). ",
                percent(e),
                rel.p_value
            )),
            _ => out.push_str(&format!(
                "Relative to the control area the change is within what chance alone gives ({interval}, p = {:.2}): the data neither show nor rule out an effect. ",
                rel.p_value
            )),
        }
    }
    out.push_str(
        "A before/after comparison shows an association in time, not that the intervention caused it; other changes at the same time, and a return to normal after an unusual period (regression to the mean), can give the same numbers.",
    );
    out
}

#[cfg(test)]
#[path = "followup_tests.rs"]
mod tests;
