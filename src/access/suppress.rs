//! Small-count protection for restricted roles (viewers, reporters, the public): one
//! implementation, on typed values, that every output uses (API, tiles, OGC, profile, time
//! series, reports in every format). No HTTP and no JSON here: `serve::auth` and `report`
//! map their results onto [`UnitFigures`] and back.
//!
//! The rules (reasoning in `docs/security.md`):
//!
//! - **Primary**: a count `c` with `0 < c < k` (k = 5 by default) is hidden ([`Suppression::publish`]
//!   gives `None`). Zero is published: "nothing happened" reveals no one.
//! - **Rounding instead of secondary suppression**: every other published count is rounded
//!   to the nearest multiple of the base `b = k`, as official statistics do (Hundepool et al.
//!   2012, *Statistical Disclosure Control*, §5.4 "rounding"). A published value then
//!   depends on that count alone, so the same count is published the same way in every
//!   answer (areas, tiles, reports, time series ...), and a difference of any two
//!   published numbers leaves a hidden count every value in `1..k` (proved in the tests
//!   below by enumeration). Secondary suppression was dropped: a cell hidden only to
//!   protect a neighbour is bounded by the neighbours it was chosen among, and other
//!   answers publish it anyway.
//! - **Derived values** are computed from the published counts only: changes are
//!   differences of published counts, rates and shares use the published count, harm is
//!   rounded like a count and hidden with it. Exact statistics of the raw counts (Gi* z and
//!   p, the Poisson rise p) are not published: the caller keeps only classes (`gi_bin`,
//!   emerging class, the rise flag of a published count).
//! - **Windows**: [`snap_to_weeks`] widens every restricted window to whole ISO weeks, so
//!   windows that differ by less than a week give the same answer.
//! - **Resolution**: [`Suppression::cap_resolution`] keeps H3 cells at or above
//!   `max_public_res`.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use h3o::Resolution;

/// Default smallest published count.
pub const DEFAULT_K: u32 = 5;
/// Default finest H3 resolution for suppressed views (8 ≈ 0.74 km² per cell).
pub const DEFAULT_MAX_PUBLIC_RES: u8 = 8;

/// The suppression settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// Counts `0 < c < k` are not published; the others are rounded to a multiple of `k`.
    pub k: u32,
    /// The finest H3 resolution served to suppressed views.
    pub max_public_res: u8,
}

impl Default for Suppression {
    fn default() -> Self {
        Suppression {
            k: DEFAULT_K,
            max_public_res: DEFAULT_MAX_PUBLIC_RES,
        }
    }
}

/// One unit's count with its comparisons, as computed (all `Some`) or as published
/// (`None` = hidden or not applicable). Reports, API answers, tiles and OGC features are
/// mapped onto this.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitFigures {
    /// Count in the window.
    pub count: Option<f64>,
    /// Count in the previous window.
    pub previous: Option<f64>,
    /// Mean count of the baseline windows.
    pub baseline_mean: Option<f64>,
    /// Count in the same window last year.
    pub last_year: Option<f64>,
    /// `count - previous`.
    pub change_vs_previous: Option<f64>,
    /// `count - baseline_mean`.
    pub change_vs_baseline: Option<f64>,
    /// `count - last_year`.
    pub change_vs_last_year: Option<f64>,
    /// Poisson rise p-value.
    pub rise_p: Option<f64>,
    /// A significant rise.
    pub rise: Option<bool>,
    /// Harm-weighted score.
    pub harm: Option<f64>,
    /// Count per 1,000 residents.
    pub rate_per_1000: Option<f64>,
    /// Share of the answer's total.
    pub share: Option<f64>,
}

impl Suppression {
    /// Whether `count` must be hidden.
    pub fn hides(&self, count: f64) -> bool {
        count > 0.0 && count < f64::from(self.k)
    }

    /// `res` capped at [`Suppression::max_public_res`].
    pub fn cap_resolution(&self, res: Resolution) -> Resolution {
        let cap = Resolution::try_from(self.max_public_res).unwrap_or(Resolution::Eight);
        res.min(cap)
    }

    /// Whether `res` is finer than suppressed views may see.
    pub fn too_fine(&self, res: Resolution) -> bool {
        u8::from(res) > self.max_public_res
    }

    /// The rounding base (= k).
    pub fn base(&self) -> f64 {
        f64::from(self.k.max(1))
    }

    /// A count as published: `Some(0)` for zero, `None` (hidden) for `0 < c < k`, else
    /// rounded to the nearest multiple of the base (halves up), never below `k`.
    pub fn publish(&self, count: f64) -> Option<f64> {
        if !count.is_finite() || count <= 0.0 {
            return Some(0.0);
        }
        if self.hides(count) {
            return None;
        }
        let b = self.base();
        Some(((count / b + 0.5).floor() * b).max(f64::from(self.k)))
    }

    /// A mean over `windows` windows as published: the sum published, divided back.
    pub fn publish_mean(&self, mean: f64, windows: usize) -> Option<f64> {
        let n = windows.max(1) as f64;
        self.publish(mean * n).map(|s| s / n)
    }

    /// A total of one answer as published, computed from its published parts only (a
    /// hidden part counts as `k / 2`), so "total minus the parts" says nothing the parts
    /// did not.
    pub fn total_of(&self, published_parts: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
        let half = f64::from(self.k) / 2.0;
        let sum: f64 = published_parts.into_iter().map(|p| p.unwrap_or(half)).sum();
        self.publish(sum)
    }

    /// Publishes one unit's figures in place: the counts by [`Suppression::publish`],
    /// everything else from the published counts. `population` gives the rate;
    /// `published_total` (the answer's total as published) the share. Returns whether
    /// the unit's own count is hidden.
    pub fn unit(
        &self,
        f: &mut UnitFigures,
        baseline_windows: usize,
        population: Option<f64>,
        published_total: Option<f64>,
    ) -> bool {
        let count = f.count.and_then(|c| self.publish(c));
        let hidden = f.count.is_some() && count.is_none();
        let previous = f.previous.and_then(|c| self.publish(c));
        let last_year = f.last_year.and_then(|c| self.publish(c));
        let baseline = f
            .baseline_mean
            .and_then(|m| self.publish_mean(m, baseline_windows));
        let diff = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
        *f = UnitFigures {
            count,
            previous,
            baseline_mean: baseline,
            last_year,
            change_vs_previous: diff(count, previous),
            change_vs_baseline: diff(count, baseline),
            change_vs_last_year: diff(count, last_year),
            rise_p: None,
            rise: if count.is_some() { f.rise } else { None },
            harm: count.and(f.harm.and_then(|h| self.publish(h))),
            rate_per_1000: f.rate_per_1000.and_then(|_| {
                let pop = population.filter(|p| *p > 0.0)?;
                Some(count? / pop * 1000.0)
            }),
            share: f.share.and_then(|_| {
                let t = published_total.filter(|t| *t > 0.0)?;
                Some(count? / t)
            }),
        };
        hidden
    }
}

/// `[from, to)` widened to whole ISO weeks in `tz`: `from` back to the Monday 00:00 on or
/// before it, `to` on to the Monday 00:00 on or after it.
pub fn snap_to_weeks(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let monday = |t: DateTime<Utc>| -> DateTime<Utc> {
        let local = t.with_timezone(&tz).date_naive();
        let day = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
        day.and_hms_opt(0, 0, 0)
            .and_then(|n| tz.from_local_datetime(&n).earliest())
            .map_or(t, |d| d.with_timezone(&Utc))
    };
    let start = monday(from);
    let mut end = monday(to);
    if end < to {
        end = monday(to + Duration::days(7));
    }
    if end <= start {
        end = monday(start + Duration::days(7));
    }
    (start, end)
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;
