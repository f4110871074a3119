//! Aoristic weighting: sharing an incident with an uncertain time among time windows.
//!
//! Many incidents are known only to have happened *some time* between two instants: a
//! burglary while the family was away for the weekend, a car broken into overnight.
//! Aoristic analysis (Ratcliffe & McCullagh 1998; Ratcliffe 2000, "Aoristic analysis: the
//! spatial interpretation of unspecific temporal events", *International Journal of
//! Geographical Information Science* 14(7), 669–679) assumes every instant of that span is
//! equally likely and gives each time window the share of the span that falls in it. A
//! window then counts fractions of incidents, and the fractions of one incident over any
//! partition of time sum to one, so totals are preserved.
//!
//! [`overlap_weight`] gives an incident's weight in one window (for counts per week,
//! tertial, area...); [`hour_weekday_weights`] spreads it over the 7 × 24 local
//! (weekday, hour) bins of the hour-by-weekday chart. Which windows to use is
//! `window`'s business.

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

/// Nanoseconds since the Unix epoch, exact for every `DateTime<Utc>`.
fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// The share of an incident's time span that lies in the window `[from, to)`.
///
/// # Parameters
/// - `occurred_at`: start of the span (or the exact time).
/// - `occurred_to`: end of the span; `None` for an exact time.
/// - `from`, `to`: the window, half-open.
///
/// # Returns
/// A weight in `[0, 1]`:
/// - an exact time, or a span of zero length, counts `1` if `occurred_at` is in
///   `[from, to)` and `0` otherwise;
/// - a span `[occurred_at, occurred_to]` counts `|span ∩ [from, to)| / |span|`;
/// - an empty window (`to <= from`) counts `0`.
///
/// A span that ends before it starts (which ingest rejects) is treated as an exact time at
/// `occurred_at`.
///
/// # Algorithm
/// Aoristic weighting (Ratcliffe 2000): the incident's probability mass is spread
/// uniformly over its span, and the window receives the mass it overlaps. Lengths are
/// exact integer nanoseconds, so the weights over a partition of time sum to 1 up to
/// floating-point rounding of the final divisions.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use lagesbild::analysis::aoristic::overlap_weight;
/// let fri = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap();
/// let sun = Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap();
/// let sat = Utc.with_ymd_and_hms(2026, 11, 21, 18, 0, 0).unwrap();
/// // A burglary some time over the weekend: half of it falls before Saturday 18:00.
/// assert_eq!(overlap_weight(fri, Some(sun), fri, sat), 0.5);
/// assert_eq!(overlap_weight(fri, None, fri, sat), 1.0);
/// ```
pub fn overlap_weight(
    occurred_at: DateTime<Utc>,
    occurred_to: Option<DateTime<Utc>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> f64 {
    if to <= from {
        return 0.0;
    }
    let end = match occurred_to {
        Some(end) if end > occurred_at => end,
        _ => {
            return if from <= occurred_at && occurred_at < to {
                1.0
            } else {
                0.0
            };
        }
    };
    let inside = nanos(end.min(to)) - nanos(occurred_at.max(from));
    if inside <= 0 {
        return 0.0;
    }
    let span = nanos(end) - nanos(occurred_at);
    if inside >= span {
        1.0
    } else {
        inside as f64 / span as f64
    }
}

/// Spans longer than this are spread uniformly over the week (see [`hour_weekday_weights`]).
pub const MAX_SPREAD: TimeDelta = TimeDelta::days(7);

/// Spreads one incident over the local (weekday, hour) bins of a week.
///
/// # Parameters
/// - `occurred_at`, `occurred_to`: the incident's time or span, as for [`overlap_weight`].
/// - `tz`: the deployment's time zone; bins are local wall-clock hours.
///
/// # Returns
/// `w[d][h]` is the share of the incident in local weekday `d` (0 = Monday … 6 = Sunday)
/// and local hour `h` (0–23). The shares sum to 1 (up to rounding). An exact time puts 1
/// in its bin.
///
/// # Algorithm
/// Aoristic weighting (Ratcliffe 2000) over a weekly clock: the span is cut at every local
/// hour boundary and each piece adds its share of the span's length to its bin. Across a
/// daylight-saving change this follows the wall clock: the skipped spring hour gets
/// nothing and the repeated autumn hour gets both occurrences.
///
/// A span longer than [`MAX_SPREAD`] (seven days) covers every hour of the week at least
/// once, so it says next to nothing about when in the week the incident happened; it is
/// spread **uniformly**, 1/168 per bin, rather than proportionally (which would favour the
/// hours the span happens to cover twice). This also bounds the work per incident.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use lagesbild::analysis::aoristic::hour_weekday_weights;
/// let tz = chrono_tz::Europe::Stockholm;
/// // Friday 2026-11-20, 21:00 to 23:00 local time (CET = UTC+1).
/// let from = Utc.with_ymd_and_hms(2026, 11, 20, 20, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2026, 11, 20, 22, 0, 0).unwrap();
/// let w = hour_weekday_weights(from, Some(to), tz);
/// assert_eq!(w[4][21], 0.5);
/// assert_eq!(w[4][22], 0.5);
/// ```
pub fn hour_weekday_weights(
    occurred_at: DateTime<Utc>,
    occurred_to: Option<DateTime<Utc>>,
    tz: Tz,
) -> [[f64; 24]; 7] {
    let mut bins = [[0.0; 24]; 7];
    let end = match occurred_to {
        Some(end) if end > occurred_at => end,
        _ => {
            let (d, h) = local_bin(occurred_at, tz);
            bins[d][h] = 1.0;
            return bins;
        }
    };
    if end - occurred_at > MAX_SPREAD {
        return [[1.0 / 168.0; 24]; 7];
    }
    let span = (nanos(end) - nanos(occurred_at)) as f64;
    let mut t = occurred_at;
    while t < end {
        let local = t.with_timezone(&tz);
        // The next local hour boundary, as an instant: the local time is t + offset, so
        // the boundary lies `to_boundary` after t while the offset holds. Offsets change
        // only on hour boundaries in the zones lagesbild serves.
        let into_hour = TimeDelta::minutes(i64::from(local.minute()))
            + TimeDelta::seconds(i64::from(local.second()))
            + TimeDelta::nanoseconds(i64::from(local.nanosecond()));
        let to_boundary = TimeDelta::hours(1) - into_hour;
        let next = (t + to_boundary).min(end);
        let (d, h) = (
            local.weekday().num_days_from_monday() as usize,
            local.hour() as usize,
        );
        bins[d][h] += (nanos(next) - nanos(t)) as f64 / span;
        t = next;
    }
    bins
}

/// The local (weekday from Monday, hour) of an instant.
fn local_bin(t: DateTime<Utc>, tz: Tz) -> (usize, usize) {
    let local = t.with_timezone(&tz);
    (
        local.weekday().num_days_from_monday() as usize,
        local.hour() as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Stockholm;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn total(w: &[[f64; 24]; 7]) -> f64 {
        w.iter().flatten().sum()
    }

    #[test]
    fn instants_count_once_in_half_open_windows() {
        let a = utc(2026, 1, 1, 0, 0);
        let b = utc(2026, 1, 2, 0, 0);
        assert_eq!(overlap_weight(a, None, a, b), 1.0);
        assert_eq!(overlap_weight(b, None, a, b), 0.0);
        // Zero-length and reversed spans behave as instants.
        assert_eq!(overlap_weight(a, Some(a), a, b), 1.0);
        assert_eq!(overlap_weight(a, Some(a - TimeDelta::hours(1)), a, b), 1.0);
        // Empty window.
        assert_eq!(overlap_weight(a, None, b, a), 0.0);
        assert_eq!(overlap_weight(a, Some(b), b, b), 0.0);
    }

    #[test]
    fn spans_are_shared_in_proportion() {
        let a = utc(2026, 1, 1, 0, 0);
        let span_end = utc(2026, 1, 1, 4, 0);
        let w = overlap_weight(
            a,
            Some(span_end),
            utc(2026, 1, 1, 1, 0),
            utc(2026, 1, 1, 2, 0),
        );
        assert!((w - 0.25).abs() < 1e-15);
        // Window covers the whole span.
        assert_eq!(
            overlap_weight(a, Some(span_end), a - TimeDelta::days(1), span_end),
            1.0
        );
        // Disjoint.
        assert_eq!(
            overlap_weight(a, Some(span_end), span_end, span_end + TimeDelta::hours(1)),
            0.0
        );
    }

    #[test]
    fn hour_weekday_instant_and_uniform_cap() {
        // Monday 2026-11-16 08:30 local (07:30 UTC).
        let w = hour_weekday_weights(utc(2026, 11, 16, 7, 30), None, Stockholm);
        assert_eq!(w[0][8], 1.0);
        assert_eq!(total(&w), 1.0);
        let long = hour_weekday_weights(
            utc(2026, 11, 1, 0, 0),
            Some(utc(2026, 11, 9, 0, 0)),
            Stockholm,
        );
        assert!(long.iter().flatten().all(|&x| x == 1.0 / 168.0));
        assert!((total(&long) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hour_weekday_partial_hours() {
        // Tuesday 2026-11-17 from 21:45 to 23:15 local: 15 + 60 + 15 minutes.
        let w = hour_weekday_weights(
            utc(2026, 11, 17, 20, 45),
            Some(utc(2026, 11, 17, 22, 15)),
            Stockholm,
        );
        assert!((w[1][21] - 1.0 / 6.0).abs() < 1e-12);
        assert!((w[1][22] - 4.0 / 6.0).abs() < 1e-12);
        assert!((w[1][23] - 1.0 / 6.0).abs() < 1e-12);
        assert!((total(&w) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hour_weekday_crosses_midnight_and_dst() {
        // Saturday 2026-10-24 23:00 CEST to Sunday 2026-10-25 04:00 CET: clocks go back
        // at 03:00 CEST, so Sunday 02:00-03:00 happens twice. Six real hours.
        let from = utc(2026, 10, 24, 21, 0);
        let to = utc(2026, 10, 25, 3, 0);
        let w = hour_weekday_weights(from, Some(to), Stockholm);
        assert!((w[5][23] - 1.0 / 6.0).abs() < 1e-12);
        assert!((w[6][0] - 1.0 / 6.0).abs() < 1e-12);
        assert!((w[6][1] - 1.0 / 6.0).abs() < 1e-12);
        assert!((w[6][2] - 2.0 / 6.0).abs() < 1e-12);
        assert!((w[6][3] - 1.0 / 6.0).abs() < 1e-12);
        assert!((total(&w) - 1.0).abs() < 1e-12);
        // Spring: Sunday 2026-03-29 01:00 CET to 04:00 CEST is two real hours; 02:00 is skipped.
        let w = hour_weekday_weights(
            utc(2026, 3, 29, 0, 0),
            Some(utc(2026, 3, 29, 2, 0)),
            Stockholm,
        );
        assert!((w[6][1] - 0.5).abs() < 1e-12);
        assert_eq!(w[6][2], 0.0);
        assert!((w[6][3] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn hour_weekday_half_hour_zone() {
        // India (UTC+05:30): local hour boundaries fall at half past UTC hours.
        let tz = chrono_tz::Asia::Kolkata;
        let w = hour_weekday_weights(utc(2026, 1, 5, 0, 0), Some(utc(2026, 1, 5, 1, 0)), tz);
        // 05:30-06:00 and 06:00-06:30 local on Monday.
        assert!((w[0][5] - 0.5).abs() < 1e-12);
        assert!((w[0][6] - 0.5).abs() < 1e-12);
    }
}
