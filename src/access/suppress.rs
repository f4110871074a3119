//! Small-count suppression for viewers and the public.
//!
//! A count `c` with `0 < c < k` (k = 5 by default) is not published: the unit keeps its
//! outline and its hotspot class (Gi* z and bin, emerging class), but every number from
//! which the count could be read back (count, share, rate, harm, changes, the Poisson rise
//! test) becomes `null`, and `suppressed: true` is added. Counts of the previous window, last
//! year and the baseline are checked the same way, each on its own.
//!
//! Secondary suppression: if the suppressed units of one answer add up to less than `k`,
//! the answer's total minus the published counts would give them away, so the smallest
//! published counts are suppressed too until the hidden sum reaches `k` (the standard
//! complementary suppression of statistical disclosure control; Hundepool et al. 2012,
//! *Statistical Disclosure Control*, §5.3).
//!
//! Two more guards close the obvious ways around it, applied by the caller before the
//! analysis: [`snap_to_weeks`] (two overlapping windows that differ by less than a week give
//! the same answer, so their difference is zero) and [`Suppression::cap_resolution`] (no H3
//! cells finer than `max_public_res`).

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use h3o::Resolution;
use serde_json::{Map, Value};

/// Default smallest published count.
pub const DEFAULT_K: u32 = 5;
/// Default finest H3 resolution for suppressed views (8 ≈ 0.74 km² per cell).
pub const DEFAULT_MAX_PUBLIC_RES: u8 = 8;

/// The suppression settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// Counts `0 < c < k` are not published.
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

/// Fields derived from the window's own count.
const COUNT_DERIVED: [&str; 9] = [
    "count",
    "share",
    "rate_per_1000",
    "harm",
    "change_vs_previous",
    "change_vs_baseline",
    "change_vs_last_year",
    "rise_p",
    "rise",
];

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

    /// Suppresses the aggregate properties of the units of one answer (areas or hexes, as
    /// `serde_json` maps with `count`, `previous`, `baseline_mean`, ...), in place.
    /// `baseline_windows` turns `baseline_mean` back into a count. Returns which units
    /// were suppressed.
    pub fn units(
        &self,
        units: &mut [&mut Map<String, Value>],
        baseline_windows: usize,
    ) -> Vec<bool> {
        let count = |m: &Map<String, Value>| m.get("count").and_then(Value::as_f64).unwrap_or(0.0);
        let mut hidden: Vec<bool> = units.iter().map(|m| self.hides(count(m))).collect();
        // Secondary suppression: the hidden units must add up to k or more.
        let mut hidden_sum: f64 = units
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| **h)
            .map(|(m, _)| count(m))
            .sum();
        if hidden_sum > 0.0 {
            let mut shown: Vec<usize> = (0..units.len())
                .filter(|&i| !hidden[i] && count(units[i]) > 0.0)
                .collect();
            shown.sort_by(|&a, &b| count(units[a]).total_cmp(&count(units[b])));
            for i in shown {
                if hidden_sum >= f64::from(self.k) {
                    break;
                }
                hidden[i] = true;
                hidden_sum += count(units[i]);
            }
        }
        for (m, &h) in units.iter_mut().zip(&hidden) {
            self.one(m, h, baseline_windows);
        }
        hidden
    }

    fn one(&self, m: &mut Map<String, Value>, hidden: bool, baseline_windows: usize) {
        let get = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
        if get(m, "previous").is_some_and(|c| self.hides(c)) {
            m.insert("previous".into(), Value::Null);
            m.insert("change_vs_previous".into(), Value::Null);
        }
        if get(m, "last_year").is_some_and(|c| self.hides(c)) {
            m.insert("last_year".into(), Value::Null);
            m.insert("change_vs_last_year".into(), Value::Null);
        }
        if get(m, "baseline_mean").is_some_and(|c| self.hides(c * baseline_windows.max(1) as f64)) {
            m.insert("baseline_mean".into(), Value::Null);
            m.insert("change_vs_baseline".into(), Value::Null);
        }
        if hidden {
            for f in COUNT_DERIVED {
                if m.contains_key(f) {
                    m.insert(f.into(), Value::Null);
                }
            }
        }
        m.insert("suppressed".into(), Value::Bool(hidden));
    }

    /// A total that is itself small is hidden too.
    pub fn total(&self, total: f64) -> Value {
        if self.hides(total) {
            Value::Null
        } else {
            serde_json::json!(total)
        }
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
mod tests {
    use super::*;
    use serde_json::json;

    fn unit(count: f64) -> Map<String, Value> {
        match json!({ "count": count, "harm": count * 2.0, "share": 0.1, "previous": 10.0,
                       "last_year": 2.0, "baseline_mean": 0.5, "gi_z": 1.5, "rise": false })
        {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn counts_below_k_are_hidden_with_what_reveals_them() {
        let s = Suppression::default();
        let mut a = unit(3.0);
        let mut b = unit(0.0);
        let mut c = unit(20.0);
        let mut d = unit(9.0);
        let hidden = s.units(&mut [&mut a, &mut b, &mut c, &mut d], 4);
        assert_eq!(
            hidden,
            vec![true, false, false, true],
            "9 is hidden too: 3 alone < k"
        );
        assert_eq!(a["count"], Value::Null);
        assert_eq!(a["harm"], Value::Null);
        assert_eq!(a["share"], Value::Null);
        assert_eq!(a["gi_z"], json!(1.5), "the hotspot level stays");
        assert_eq!(a["suppressed"], json!(true));
        assert_eq!(b["count"], json!(0.0), "zero is published");
        assert_eq!(c["count"], json!(20.0));
        assert_eq!(c["harm"], json!(40.0));
        assert_eq!(c["last_year"], Value::Null, "2 last year is small");
        assert_eq!(
            c["baseline_mean"],
            Value::Null,
            "0.5 x 4 windows = 2 is small"
        );
        assert_eq!(c["previous"], json!(10.0));
    }

    #[test]
    fn hidden_units_always_add_up_to_k_or_more() {
        let s = Suppression::default();
        for counts in [
            vec![1.0, 7.0, 8.0, 100.0],
            vec![4.0, 4.0, 5.0],
            vec![0.5, 50.0],
            vec![2.0, 2.0, 2.0],
            vec![6.0, 7.0],
        ] {
            let mut maps: Vec<Map<String, Value>> = counts.iter().map(|&c| unit(c)).collect();
            let mut refs: Vec<&mut Map<String, Value>> = maps.iter_mut().collect();
            let hidden = s.units(&mut refs, 1);
            let sum: f64 = counts
                .iter()
                .zip(&hidden)
                .filter(|(_, h)| **h)
                .map(|(c, _)| c)
                .sum();
            assert!(sum == 0.0 || sum >= 5.0, "{counts:?}: hidden sum {sum}");
            for (c, h) in counts.iter().zip(&hidden) {
                if *c > 0.0 && *c < 5.0 {
                    assert!(h, "{counts:?}: {c} shown");
                }
            }
        }
    }

    #[test]
    fn windows_snap_to_whole_weeks() {
        let tz = chrono_tz::Europe::Stockholm;
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Wednesday to Friday of 2026-W47 (Monday 16 November).
        let (a, b) = snap_to_weeks(
            t("2026-11-18T10:00:00+01:00"),
            t("2026-11-20T00:00:00+01:00"),
            tz,
        );
        assert_eq!(a, t("2026-11-16T00:00:00+01:00"));
        assert_eq!(b, t("2026-11-23T00:00:00+01:00"));
        // Whole weeks stay as they are.
        assert_eq!(snap_to_weeks(a, b, tz), (a, b));
        // Across the end of summer time (25 October 2026).
        let (a, b) = snap_to_weeks(
            t("2026-10-21T00:00:00+02:00"),
            t("2026-10-27T00:00:00+01:00"),
            tz,
        );
        assert_eq!(a, t("2026-10-19T00:00:00+02:00"));
        assert_eq!(b, t("2026-11-02T00:00:00+01:00"));
    }

    #[test]
    fn resolution_is_capped() {
        let s = Suppression::default();
        assert_eq!(s.cap_resolution(Resolution::Ten), Resolution::Eight);
        assert_eq!(s.cap_resolution(Resolution::Seven), Resolution::Seven);
        assert!(s.too_fine(Resolution::Nine));
        assert!(!s.too_fine(Resolution::Eight));
    }
}
