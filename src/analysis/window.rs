//! Time windows: ISO weeks, tertials, months, years and custom ranges, and their bounds.
//!
//! A partnership's weekly situation picture (*veckolägesbild*) is per ISO week and its
//! tertial analysis per four-month period; [`TimeWindow`] names such a period and
//! [`TimeWindow::bounds`] turns it into a half-open UTC interval `[from, to)` whose
//! boundaries are **local midnight** in the deployment's time zone (Europe/Stockholm in
//! Sweden). Windows therefore follow the wall clock across daylight-saving changes: the
//! week that contains the spring change is 167 hours long, the autumn one 169.
//!
//! This module only does calendar arithmetic. Which incidents fall in a window (and with
//! which aoristic weight) is `aoristic`'s business; choosing a window from an HTTP request
//! is `serve`'s.
//!
//! # Text form
//!
//! [`TimeWindow::parse`] reads, and [`Display`](fmt::Display) writes back canonically:
//!
//! - `2026-W47` (or `2026-w7`): an ISO week; canonical `2026-W47`, `2026-W07`.
//! - `2026-T1`, `2026-T2`, `2026-T3`: a tertial, January–April, May–August or
//!   September–December.
//! - `2026-Q1` .. `2026-Q4`: a quarter (the cadence `quarter`), January–March and so on.
//! - `2026-11` (or `2026-3`): a calendar month; canonical `2026-11`, `2026-03`.
//! - `2026`: a calendar year.
//! - `FROM/TO`: a custom range `[FROM, TO)`; canonical in RFC 3339 UTC, e.g.
//!   `2026-10-31T23:00:00Z/2026-11-07T23:00:00Z`.
//!
//! Years have four digits (0001–9999). In `FROM/TO` each side is an RFC 3339 time
//! (`2026-11-01T00:00:00+01:00`) or a date (`2026-11-01`) meaning local midnight at the
//! start of that day; `TO` is exclusive, so `2026-11-01/2026-11-08` is seven whole days.
//! [`TimeWindow::parse`] reads such dates in Europe/Stockholm, [`TimeWindow::parse_in`] in
//! any zone. Serde uses the canonical string, so a window in a report reads `"2026-W47"`.
//!
//! # ISO weeks
//!
//! Swedish week numbers are ISO 8601 weeks: weeks start on Monday and week 1 is the week
//! that contains the year's first Thursday (equivalently, 4 January). A year has 53 weeks
//! when it starts on a Thursday, or is a leap year starting on a Wednesday; otherwise 52.
//! The ISO week-numbering year can differ from the calendar year near New Year:
//! 2026-12-31 is in `2026-W53`, 2027-01-03 too.

use std::fmt;

use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, TimeZone,
    Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::AnalysisError;

/// A named period of time; see the [module documentation](self) for the text forms.
///
/// Windows built directly with out-of-range fields (which [`TimeWindow::parse`] never
/// produces) are clamped by [`TimeWindow::bounds`], [`TimeWindow::previous`] and friends:
/// the week to `1..=`[`iso_weeks_in_year`], the tertial to `1..=3`, the month to `1..=12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum TimeWindow {
    /// An ISO 8601 week, Monday 00:00 to the next Monday 00:00, local time. `year` is the
    /// ISO week-numbering year.
    IsoWeek {
        /// ISO week-numbering year.
        year: i32,
        /// Week number, 1 to 52 or 53.
        week: u32,
    },
    /// A tertial: T1 January–April, T2 May–August, T3 September–December.
    Tertial {
        /// Calendar year.
        year: i32,
        /// 1, 2 or 3.
        tertial: u8,
    },
    /// A quarter: Q1 January–March, Q2 April–June, Q3 July–September, Q4 October–December.
    Quarter {
        /// Calendar year.
        year: i32,
        /// 1 to 4.
        quarter: u8,
    },
    /// A calendar month.
    Month {
        /// Calendar year.
        year: i32,
        /// 1 (January) to 12 (December).
        month: u32,
    },
    /// A calendar year.
    Year(i32),
    /// Any half-open range `[from, to)` of instants.
    Custom {
        /// First instant inside the window.
        from: DateTime<Utc>,
        /// First instant after the window.
        to: DateTime<Utc>,
    },
}

/// How far a window has run; see [`TimeWindow::progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The window has ended.
    pub complete: bool,
    /// Local days of the window that have begun.
    pub elapsed_days: u32,
    /// Local days in the window.
    pub days: u32,
}

/// The calendar kinds of window, for [`TimeWindow::containing`] and series of windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// ISO 8601 weeks.
    IsoWeek,
    /// Four-month periods.
    Tertial,
    /// Three-month periods.
    Quarter,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl WindowKind {
    /// Parses `iso_week` (or `week`), `tertial`, `month` or `year`, ignoring case.
    pub fn parse(s: &str) -> Result<WindowKind, AnalysisError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "iso_week" | "week" => Ok(WindowKind::IsoWeek),
            "tertial" => Ok(WindowKind::Tertial),
            "quarter" => Ok(WindowKind::Quarter),
            "month" => Ok(WindowKind::Month),
            "year" => Ok(WindowKind::Year),
            other => Err(AnalysisError::Invalid(format!(
                "unknown kind of time window {other:?}: use iso_week, tertial, quarter, month or year"
            ))),
        }
    }

    /// The code written by serde: `iso_week`, `tertial`, `month`, `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::IsoWeek => "iso_week",
            WindowKind::Tertial => "tertial",
            WindowKind::Quarter => "quarter",
            WindowKind::Month => "month",
            WindowKind::Year => "year",
        }
    }
}

impl fmt::Display for WindowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Number of ISO weeks in an ISO week-numbering year: 53 or 52.
///
/// 28 December is always in the year's last week (ISO 8601).
///
/// # Example
/// ```
/// use lagesbild::analysis::window::iso_weeks_in_year;
/// assert_eq!(iso_weeks_in_year(2026), 53); // starts on a Thursday
/// assert_eq!(iso_weeks_in_year(2025), 52);
/// ```
pub fn iso_weeks_in_year(year: i32) -> u32 {
    NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
}

const FORMATS_HINT: &str = "use 2026-W47 (ISO week), 2026-T1 (tertial), 2026-Q4 (quarter), \
     2026-11 (month), 2026 (year) or FROM/TO (2026-11-01/2026-11-08, or RFC 3339 times)";

const TERTIAL_HINT: &str = "a tertial is T1 (Jan–Apr), T2 (May–Aug) or T3 (Sep–Dec)";

const QUARTER_HINT: &str = "a quarter is Q1 (Jan–Mar), Q2 (Apr–Jun), Q3 (Jul–Sep) or Q4 (Oct–Dec)";

impl TimeWindow {
    /// Parses a window, taking dates in a `FROM/TO` range as midnight in Europe/Stockholm.
    ///
    /// This is [`TimeWindow::parse_in`] with Sweden's time zone; a deployment elsewhere
    /// calls `parse_in` with its own. The other forms do not depend on a time zone.
    ///
    /// # Parameters
    /// - `s`: one of the forms in the [module documentation](self); surrounding
    ///   white space is ignored, and so is the case of `W` and `T`.
    ///
    /// # Returns
    /// The window, or [`AnalysisError::Invalid`] with a sentence that names the problem,
    /// e.g. "2026 has 53 ISO weeks; week 54 does not exist".
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let w = TimeWindow::parse("2026-w7").unwrap();
    /// assert_eq!(w, TimeWindow::IsoWeek { year: 2026, week: 7 });
    /// assert_eq!(w.to_string(), "2026-W07");
    /// let e = TimeWindow::parse("2026-W54").unwrap_err();
    /// assert_eq!(e.to_string(), "2026 has 53 ISO weeks; week 54 does not exist");
    /// ```
    pub fn parse(s: &str) -> Result<TimeWindow, AnalysisError> {
        TimeWindow::parse_in(s, chrono_tz::Europe::Stockholm)
    }

    /// Parses a window; dates in a `FROM/TO` range mean local midnight in `tz`.
    ///
    /// # Parameters
    /// - `s`: as for [`TimeWindow::parse`].
    /// - `tz`: the deployment's time zone.
    ///
    /// # Returns
    /// The window or [`AnalysisError::Invalid`].
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let w = TimeWindow::parse_in("2026-06-01/2026-06-02", chrono_tz::Europe::Helsinki).unwrap();
    /// assert_eq!(w.to_string(), "2026-05-31T21:00:00Z/2026-06-01T21:00:00Z");
    /// ```
    pub fn parse_in(s: &str, tz: Tz) -> Result<TimeWindow, AnalysisError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(invalid(format!("the time window is empty: {FORMATS_HINT}")));
        }
        if let Some((a, b)) = s.split_once('/') {
            return parse_custom(a, b, tz);
        }
        let (year_text, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "{s:?} is not a time window: {FORMATS_HINT}"
            )));
        }
        let year: i32 = year_text
            .parse()
            .map_err(|_| invalid(format!("{s:?} is not a time window: {FORMATS_HINT}")))?;
        if year == 0 {
            return Err(invalid(
                "year 0000 is out of range; years run from 0001 to 9999".into(),
            ));
        }
        let Some(rest) = rest else {
            return Ok(TimeWindow::Year(year));
        };
        if let Some(w) = rest.strip_prefix(['W', 'w']) {
            let week = small_number(w).ok_or_else(|| {
                invalid(format!(
                    "{s:?} is not an ISO week: write the week as 1 or 2 digits, e.g. {year:04}-W07"
                ))
            })?;
            let weeks = iso_weeks_in_year(year);
            if week == 0 || week > weeks {
                return Err(invalid(format!(
                    "{year} has {weeks} ISO weeks; week {week} does not exist"
                )));
            }
            return Ok(TimeWindow::IsoWeek { year, week });
        }
        if let Some(t) = rest.strip_prefix(['T', 't']) {
            return match t {
                "1" => Ok(TimeWindow::Tertial { year, tertial: 1 }),
                "2" => Ok(TimeWindow::Tertial { year, tertial: 2 }),
                "3" => Ok(TimeWindow::Tertial { year, tertial: 3 }),
                _ => Err(invalid(format!("{s:?} is not a tertial: {TERTIAL_HINT}"))),
            };
        }
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            return match q {
                "1" | "2" | "3" | "4" => Ok(TimeWindow::Quarter {
                    year,
                    quarter: q.parse().unwrap_or(1),
                }),
                _ => Err(invalid(format!("{s:?} is not a quarter: {QUARTER_HINT}"))),
            };
        }
        if let Some(month) = small_number(rest) {
            if !(1..=12).contains(&month) {
                return Err(invalid(format!(
                    "month {month} does not exist; a month is 01 (January) to 12 (December)"
                )));
            }
            return Ok(TimeWindow::Month { year, month });
        }
        if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
            return Err(invalid(format!(
                "{s:?} is a single date, not a window: write a range such as {s}/NEXT-DAY \
                 (the end is exclusive)"
            )));
        }
        Err(invalid(format!(
            "{s:?} is not a time window: {FORMATS_HINT}"
        )))
    }

    /// The calendar kind, or `None` for [`TimeWindow::Custom`].
    pub fn kind(&self) -> Option<WindowKind> {
        match self {
            TimeWindow::IsoWeek { .. } => Some(WindowKind::IsoWeek),
            TimeWindow::Tertial { .. } => Some(WindowKind::Tertial),
            TimeWindow::Quarter { .. } => Some(WindowKind::Quarter),
            TimeWindow::Month { .. } => Some(WindowKind::Month),
            TimeWindow::Year(_) => Some(WindowKind::Year),
            TimeWindow::Custom { .. } => None,
        }
    }

    /// The window as a half-open UTC interval `[from, to)`.
    ///
    /// # Parameters
    /// - `tz`: the deployment's time zone; calendar windows start and end at local midnight.
    ///
    /// # Returns
    /// `(from, to)`. [`TimeWindow::Custom`] returns its own instants; `tz` is not used.
    ///
    /// # Algorithm
    /// The window's first and first-after dates are found in the proleptic Gregorian
    /// calendar (ISO weeks by ISO 8601 week date), and each date's local midnight is
    /// converted to UTC with the zone's rules for that date, so a window spanning a
    /// daylight-saving change is an hour shorter or longer. Where midnight itself does not
    /// exist (a zone that springs forward at 00:00) the day starts when the gap ends; where
    /// it happens twice, at the first. Dates beyond chrono's range (±262 143 years)
    /// saturate to [`DateTime::<Utc>::MIN_UTC`] or [`DateTime::<Utc>::MAX_UTC`].
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let tz = chrono_tz::Europe::Stockholm;
    /// let (from, to) = TimeWindow::parse("2026-W47").unwrap().bounds(tz);
    /// assert_eq!(from.to_rfc3339(), "2026-11-15T23:00:00+00:00"); // Monday 16 Nov, 00:00 CET
    /// assert_eq!((to - from).num_hours(), 168);
    /// // Week 13 of 2026 contains the spring change (29 March): 167 hours.
    /// let (from, to) = TimeWindow::parse("2026-W13").unwrap().bounds(tz);
    /// assert_eq!((to - from).num_hours(), 167);
    /// ```
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        if let TimeWindow::Custom { from, to } = *self {
            return (from, to);
        }
        let (start, end) = self.dates();
        (
            start.map_or(DateTime::<Utc>::MIN_UTC, |d| local_midnight(d, tz)),
            end.map_or(DateTime::<Utc>::MAX_UTC, |d| local_midnight(d, tz)),
        )
    }

    /// Whether `t` falls in `[from, to)` of [`TimeWindow::bounds`].
    pub fn contains(&self, t: DateTime<Utc>, tz: Tz) -> bool {
        let (from, to) = self.bounds(tz);
        from <= t && t < to
    }

    /// The window of the same kind just before this one.
    ///
    /// Week 1 is preceded by the last week (52 or 53) of the year before, T1 by T3 and
    /// January by December. For [`TimeWindow::Custom`] it is the range of the same length
    /// that ends where this one starts. In every case `previous().bounds(tz).1 ==
    /// self.bounds(tz).0`.
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let w = TimeWindow::parse("2027-W01").unwrap();
    /// assert_eq!(w.previous().to_string(), "2026-W53");
    /// assert_eq!(TimeWindow::parse("2026-T1").unwrap().previous().to_string(), "2025-T3");
    /// ```
    pub fn previous(&self) -> TimeWindow {
        match self.clamped() {
            TimeWindow::IsoWeek { year, week } if week > 1 => TimeWindow::IsoWeek {
                year,
                week: week - 1,
            },
            TimeWindow::IsoWeek { year, .. } => {
                let year = year.saturating_sub(1);
                TimeWindow::IsoWeek {
                    year,
                    week: iso_weeks_in_year(year),
                }
            }
            TimeWindow::Tertial { year, tertial } if tertial > 1 => TimeWindow::Tertial {
                year,
                tertial: tertial - 1,
            },
            TimeWindow::Tertial { year, .. } => TimeWindow::Tertial {
                year: year.saturating_sub(1),
                tertial: 3,
            },
            TimeWindow::Quarter { year, quarter } if quarter > 1 => TimeWindow::Quarter {
                year,
                quarter: quarter - 1,
            },
            TimeWindow::Quarter { year, .. } => TimeWindow::Quarter {
                year: year.saturating_sub(1),
                quarter: 4,
            },
            TimeWindow::Month { year, month } if month > 1 => TimeWindow::Month {
                year,
                month: month - 1,
            },
            TimeWindow::Month { year, .. } => TimeWindow::Month {
                year: year.saturating_sub(1),
                month: 12,
            },
            TimeWindow::Year(year) => TimeWindow::Year(year.saturating_sub(1)),
            TimeWindow::Custom { from, to } => {
                let start = from
                    .checked_sub_signed(to - from)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                TimeWindow::Custom {
                    from: start,
                    to: from,
                }
            }
        }
    }

    /// The window of the same kind just after this one (the inverse of
    /// [`TimeWindow::previous`]).
    pub fn next(&self) -> TimeWindow {
        match self.clamped() {
            TimeWindow::IsoWeek { year, week } if week < iso_weeks_in_year(year) => {
                TimeWindow::IsoWeek {
                    year,
                    week: week + 1,
                }
            }
            TimeWindow::IsoWeek { year, .. } => TimeWindow::IsoWeek {
                year: year.saturating_add(1),
                week: 1,
            },
            TimeWindow::Tertial { year, tertial } if tertial < 3 => TimeWindow::Tertial {
                year,
                tertial: tertial + 1,
            },
            TimeWindow::Tertial { year, .. } => TimeWindow::Tertial {
                year: year.saturating_add(1),
                tertial: 1,
            },
            TimeWindow::Quarter { year, quarter } if quarter < 4 => TimeWindow::Quarter {
                year,
                quarter: quarter + 1,
            },
            TimeWindow::Quarter { year, .. } => TimeWindow::Quarter {
                year: year.saturating_add(1),
                quarter: 1,
            },
            TimeWindow::Month { year, month } if month < 12 => TimeWindow::Month {
                year,
                month: month + 1,
            },
            TimeWindow::Month { year, .. } => TimeWindow::Month {
                year: year.saturating_add(1),
                month: 1,
            },
            TimeWindow::Year(year) => TimeWindow::Year(year.saturating_add(1)),
            TimeWindow::Custom { from, to } => {
                let end = to
                    .checked_add_signed(to - from)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC);
                TimeWindow::Custom { from: to, to: end }
            }
        }
    }

    /// The corresponding window one year earlier, for year-on-year comparison.
    ///
    /// - ISO week: the same week number in the previous ISO year; week 53 becomes week 52
    ///   when the previous year has only 52 weeks.
    /// - Tertial, month, year: the same period one calendar year earlier.
    /// - Custom: the start moves back twelve calendar months **in UTC** (a start on
    ///   29 February moves to 28 February), and the end by the same amount, so the range
    ///   keeps its length. Ends at local midnight stay at local midnight unless the range
    ///   holds a daylight-saving change that last year's range does not (or the other way
    ///   round); then the end is an hour off.
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let w = TimeWindow::parse("2026-W53").unwrap();
    /// assert_eq!(w.same_last_year().to_string(), "2025-W52");
    /// assert_eq!(TimeWindow::parse("2026-W47").unwrap().same_last_year().to_string(), "2025-W47");
    /// ```
    pub fn same_last_year(&self) -> TimeWindow {
        match self.clamped() {
            TimeWindow::IsoWeek { year, week } => {
                let year = year.saturating_sub(1);
                TimeWindow::IsoWeek {
                    year,
                    week: week.min(iso_weeks_in_year(year)),
                }
            }
            TimeWindow::Tertial { year, tertial } => TimeWindow::Tertial {
                year: year.saturating_sub(1),
                tertial,
            },
            TimeWindow::Quarter { year, quarter } => TimeWindow::Quarter {
                year: year.saturating_sub(1),
                quarter,
            },
            TimeWindow::Month { year, month } => TimeWindow::Month {
                year: year.saturating_sub(1),
                month,
            },
            TimeWindow::Year(year) => TimeWindow::Year(year.saturating_sub(1)),
            TimeWindow::Custom { from, to } => {
                let start = from
                    .checked_sub_months(Months::new(12))
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                let end = to
                    .checked_sub_signed(from - start)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                TimeWindow::Custom {
                    from: start,
                    to: end,
                }
            }
        }
    }

    /// The `n` windows just before this one, most recent first (a baseline).
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let base = TimeWindow::parse("2026-W02").unwrap().previous_n(3);
    /// let names: Vec<String> = base.iter().map(|w| w.to_string()).collect();
    /// assert_eq!(names, ["2026-W01", "2025-W52", "2025-W51"]);
    /// ```
    pub fn previous_n(&self, n: usize) -> Vec<TimeWindow> {
        let mut out = Vec::with_capacity(n);
        let mut w = *self;
        for _ in 0..n {
            w = w.previous();
            out.push(w);
        }
        out
    }

    /// The window of kind `kind` that contains the instant `t`.
    ///
    /// # Parameters
    /// - `t`: any instant.
    /// - `kind`: which calendar kind.
    /// - `tz`: the deployment's time zone; `t`'s local date decides.
    ///
    /// # Returns
    /// The window `w` with `w.contains(t, tz)`.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use lagesbild::analysis::window::{TimeWindow, WindowKind};
    /// let tz = chrono_tz::Europe::Stockholm;
    /// // Sunday 2026-01-04 23:30 UTC is already Monday 00:30 in Stockholm: week 2.
    /// let t = Utc.with_ymd_and_hms(2026, 1, 4, 23, 30, 0).unwrap();
    /// assert_eq!(TimeWindow::containing(t, WindowKind::IsoWeek, tz).to_string(), "2026-W02");
    /// assert_eq!(TimeWindow::containing(t, WindowKind::Tertial, tz).to_string(), "2026-T1");
    /// ```
    pub fn containing(t: DateTime<Utc>, kind: WindowKind, tz: Tz) -> TimeWindow {
        let date = t.with_timezone(&tz).date_naive();
        match kind {
            WindowKind::IsoWeek => {
                let w = date.iso_week();
                TimeWindow::IsoWeek {
                    year: w.year(),
                    week: w.week(),
                }
            }
            WindowKind::Tertial => TimeWindow::Tertial {
                year: date.year(),
                // month0 is 0..=11, so the tertial is 1..=3.
                tertial: (date.month0() / 4 + 1) as u8,
            },
            WindowKind::Quarter => TimeWindow::Quarter {
                year: date.year(),
                // month0 is 0..=11, so the quarter is 1..=4.
                quarter: (date.month0() / 3 + 1) as u8,
            },
            WindowKind::Month => TimeWindow::Month {
                year: date.year(),
                month: date.month(),
            },
            WindowKind::Year => TimeWindow::Year(date.year()),
        }
    }

    /// The ISO weeks that overlap `[from, to)`, in order; empty when `from >= to`.
    ///
    /// The first week contains `from`, and the last week starts before `to`, so the weeks
    /// cover the range (and may stick out at both ends). Used for time series and the
    /// space-time cube.
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let tz = chrono_tz::Europe::Stockholm;
    /// let (from, _) = TimeWindow::parse("2026-W52").unwrap().bounds(tz);
    /// let (_, to) = TimeWindow::parse("2027-W02").unwrap().bounds(tz);
    /// let weeks: Vec<String> = TimeWindow::weeks(from, to, tz).iter().map(|w| w.to_string()).collect();
    /// assert_eq!(weeks, ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]);
    /// ```
    pub fn weeks(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<TimeWindow> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        let mut w = TimeWindow::containing(from, WindowKind::IsoWeek, tz);
        let mut start = w.bounds(tz).0;
        while start < to {
            out.push(w);
            w = w.next();
            let next_start = w.bounds(tz).0;
            if next_start <= start {
                // Only at the end of chrono's date range.
                break;
            }
            start = next_start;
        }
        out
    }

    /// How far the window has run at `as_of`: whether it is complete and how many of its
    /// local days have begun (all of them once it is complete; 0 before it starts).
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use lagesbild::analysis::window::TimeWindow;
    /// let tz = chrono_tz::Europe::Stockholm;
    /// let w = TimeWindow::parse("2026-W50").unwrap();
    /// // Wednesday 9 December 2026, noon: Monday to Wednesday have begun.
    /// let p = w.progress(Utc.with_ymd_and_hms(2026, 12, 9, 11, 0, 0).unwrap(), tz);
    /// assert!(!p.complete);
    /// assert_eq!((p.elapsed_days, p.days), (3, 7));
    /// let p = w.progress(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(), tz);
    /// assert!(p.complete && p.elapsed_days == 7);
    /// ```
    pub fn progress(&self, as_of: DateTime<Utc>, tz: Tz) -> Progress {
        let (from, to) = self.bounds(tz);
        let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
        let days = if to > from {
            (day(to - TimeDelta::seconds(1)) - day(from)).num_days() + 1
        } else {
            0
        };
        let elapsed = if as_of >= to {
            days
        } else if as_of < from {
            0
        } else {
            (day(as_of) - day(from)).num_days() + 1
        };
        Progress {
            complete: as_of >= to,
            elapsed_days: u32::try_from(elapsed.clamp(0, days)).unwrap_or(u32::MAX),
            days: u32::try_from(days.max(0)).unwrap_or(u32::MAX),
        }
    }

    /// The first `days` local days of the window (the whole window when it has no more),
    /// as a custom range: what a running period is compared on, to-date against to-date.
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::window::TimeWindow;
    /// let tz = chrono_tz::Europe::Stockholm;
    /// let w = TimeWindow::parse("2026-T3").unwrap().first_days(10, tz);
    /// assert_eq!(w.to_string(), "2026-08-31T22:00:00Z/2026-09-10T22:00:00Z");
    /// ```
    pub fn first_days(&self, days: u32, tz: Tz) -> TimeWindow {
        let (from, to) = self.bounds(tz);
        let first = from.with_timezone(&tz).date_naive();
        let end = first
            .checked_add_days(Days::new(u64::from(days)))
            .map_or(to, |d| local_midnight(d, tz).min(to));
        TimeWindow::Custom { from, to: end }
    }

    /// The window with its fields clamped into range (see the type's documentation).
    fn clamped(&self) -> TimeWindow {
        match *self {
            TimeWindow::IsoWeek { year, week } => TimeWindow::IsoWeek {
                year,
                week: week.clamp(1, iso_weeks_in_year(year)),
            },
            TimeWindow::Tertial { year, tertial } => TimeWindow::Tertial {
                year,
                tertial: tertial.clamp(1, 3),
            },
            TimeWindow::Quarter { year, quarter } => TimeWindow::Quarter {
                year,
                quarter: quarter.clamp(1, 4),
            },
            TimeWindow::Month { year, month } => TimeWindow::Month {
                year,
                month: month.clamp(1, 12),
            },
            other => other,
        }
    }

    /// First date in the window and first date after it, for the calendar kinds; `None`
    /// where chrono cannot represent the date.
    fn dates(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        match self.clamped() {
            TimeWindow::IsoWeek { year, week } => {
                let start = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon);
                (start, start.and_then(|d| d.checked_add_days(Days::new(7))))
            }
            TimeWindow::Tertial { year, tertial } => {
                let first_month = 4 * u32::from(tertial) - 3;
                let start = NaiveDate::from_ymd_opt(year, first_month, 1);
                (
                    start,
                    start.and_then(|d| d.checked_add_months(Months::new(4))),
                )
            }
            TimeWindow::Quarter { year, quarter } => {
                let first_month = 3 * u32::from(quarter) - 2;
                let start = NaiveDate::from_ymd_opt(year, first_month, 1);
                (
                    start,
                    start.and_then(|d| d.checked_add_months(Months::new(3))),
                )
            }
            TimeWindow::Month { year, month } => {
                let start = NaiveDate::from_ymd_opt(year, month, 1);
                (
                    start,
                    start.and_then(|d| d.checked_add_months(Months::new(1))),
                )
            }
            TimeWindow::Year(year) => {
                let start = NaiveDate::from_ymd_opt(year, 1, 1);
                (
                    start,
                    start.and_then(|d| d.checked_add_months(Months::new(12))),
                )
            }
            TimeWindow::Custom { .. } => (None, None),
        }
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeWindow::IsoWeek { year, week } => write!(f, "{year:04}-W{week:02}"),
            TimeWindow::Tertial { year, tertial } => write!(f, "{year:04}-T{tertial}"),
            TimeWindow::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            TimeWindow::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            TimeWindow::Year(year) => write!(f, "{year:04}"),
            TimeWindow::Custom { from, to } => write!(
                f,
                "{}/{}",
                from.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                to.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ),
        }
    }
}

impl std::str::FromStr for TimeWindow {
    type Err = AnalysisError;

    /// As [`TimeWindow::parse`] (dates in Europe/Stockholm).
    fn from_str(s: &str) -> Result<TimeWindow, AnalysisError> {
        TimeWindow::parse(s)
    }
}

impl From<TimeWindow> for String {
    fn from(w: TimeWindow) -> String {
        w.to_string()
    }
}

impl TryFrom<String> for TimeWindow {
    type Error = AnalysisError;

    fn try_from(s: String) -> Result<TimeWindow, AnalysisError> {
        TimeWindow::parse(&s)
    }
}

fn invalid(message: String) -> AnalysisError {
    AnalysisError::Invalid(message)
}

/// A number written with one or two ASCII digits.
fn small_number(s: &str) -> Option<u32> {
    if (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn parse_custom(a: &str, b: &str, tz: Tz) -> Result<TimeWindow, AnalysisError> {
    let from = parse_end(a, "start", tz)?;
    let to = parse_end(b, "end", tz)?;
    if from >= to {
        return Err(invalid(format!(
            "the window's end ({}) must be after its start ({})",
            b.trim(),
            a.trim()
        )));
    }
    Ok(TimeWindow::Custom { from, to })
}

/// One end of a `FROM/TO` range: RFC 3339, or a date meaning local midnight.
fn parse_end(text: &str, which: &str, tz: Tz) -> Result<DateTime<Utc>, AnalysisError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if text.len() == 10 {
        if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(local_midnight(d, tz));
        }
    }
    Err(invalid(format!(
        "the window's {which} {text:?} is neither a date (2026-11-01, local midnight) nor an \
         RFC 3339 time (2026-11-01T00:00:00+01:00)"
    )))
}

/// The instant a local date begins in `tz` (see [`TimeWindow::bounds`] for gaps and repeats).
fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    if let Some(t) = tz.from_local_datetime(&midnight).earliest() {
        return t.with_timezone(&Utc);
    }
    // Midnight is in a gap: the day begins at the first local time that exists. Gaps are
    // whole quarter-hours in every zone in the tz database (Samoa skipped a whole day).
    for quarter in 1..=(26 * 4) {
        let local = midnight + TimeDelta::minutes(15 * quarter);
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
