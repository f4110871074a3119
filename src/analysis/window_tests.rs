//! Tests for `window`: examples, DST, parse errors, and property tests of the invariants
//! (every instant in exactly one window, `containing` round-trips, `previous` abuts, and
//! aoristic weights over consecutive windows sum to one).

use super::*;
use crate::analysis::aoristic::overlap_weight;
use chrono::TimeZone;
use chrono_tz::Europe::Stockholm;
use proptest::prelude::*;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn p(s: &str) -> TimeWindow {
    TimeWindow::parse(s).unwrap()
}

fn err(s: &str) -> String {
    TimeWindow::parse(s).unwrap_err().to_string()
}

#[test]
fn parses_every_form_and_displays_canonically() {
    assert_eq!(
        p("2026-W47"),
        TimeWindow::IsoWeek {
            year: 2026,
            week: 47
        }
    );
    assert_eq!(p(" 2026-w7 ").to_string(), "2026-W07");
    assert_eq!(
        p("2026-T1"),
        TimeWindow::Tertial {
            year: 2026,
            tertial: 1
        }
    );
    assert_eq!(p("2026-t3").to_string(), "2026-T3");
    assert_eq!(
        p("2026-11"),
        TimeWindow::Month {
            year: 2026,
            month: 11
        }
    );
    assert_eq!(p("2026-3").to_string(), "2026-03");
    assert_eq!(p("2026"), TimeWindow::Year(2026));
    let c = p("2026-11-01/2026-11-08");
    assert_eq!(
        c,
        TimeWindow::Custom {
            from: utc(2026, 10, 31, 23, 0),
            to: utc(2026, 11, 7, 23, 0)
        }
    );
    assert_eq!(c.to_string(), "2026-10-31T23:00:00Z/2026-11-07T23:00:00Z");
    let r = p("2026-11-01T06:30:00+01:00/2026-11-01T07:00:00.250Z");
    assert_eq!(
        r.to_string(),
        "2026-11-01T05:30:00Z/2026-11-01T07:00:00.250Z"
    );
    // Mixed date and RFC 3339.
    assert_eq!(
        p("2026-07-01/2026-07-01T12:00:00+02:00").bounds(Stockholm),
        (utc(2026, 6, 30, 22, 0), utc(2026, 7, 1, 10, 0))
    );
    for s in ["2026-W47", "2026-W01", "2026-T2", "2026-01", "0042", "2026"] {
        assert_eq!(p(s).to_string(), s);
    }
}

#[test]
fn parse_errors_name_the_problem() {
    assert_eq!(
        err("2026-W54"),
        "2026 has 53 ISO weeks; week 54 does not exist"
    );
    assert_eq!(
        err("2025-W53"),
        "2025 has 52 ISO weeks; week 53 does not exist"
    );
    assert_eq!(
        err("2026-W00"),
        "2026 has 53 ISO weeks; week 0 does not exist"
    );
    assert!(err("2026-T4").contains("a tertial is T1 (Jan–Apr), T2 (May–Aug) or T3 (Sep–Dec)"));
    assert!(err("2026-T0").contains("a tertial is T1"));
    assert!(err("2026-13").contains("month 13 does not exist"));
    assert!(err("2026-00").contains("month 0 does not exist"));
    assert!(err("2026-11-20").contains("single date"));
    assert!(err("26-W4").contains("is not a time window"));
    assert!(err("").contains("empty"));
    assert!(err("0000").contains("year 0000"));
    assert!(err("2026-W123").contains("1 or 2 digits"));
    assert!(err("2026-11-08/2026-11-01").contains("must be after its start"));
    assert!(err("2026-11-01/2026-11-01").contains("must be after its start"));
    assert!(err("2026-11-01/soon").contains("the window's end \"soon\""));
    assert!(err("yesterday/2026-11-01").contains("the window's start"));
    assert!(err("2026-11-01/2026-11-05/2026-11-09").contains("the window's end"));
}

#[test]
fn week_bounds_at_local_midnight() {
    // 2026-W47 is Monday 16 November to Monday 23 November (CET, UTC+1).
    assert_eq!(
        p("2026-W47").bounds(Stockholm),
        (utc(2026, 11, 15, 23, 0), utc(2026, 11, 22, 23, 0))
    );
    // Summer time: UTC+2.
    assert_eq!(
        p("2026-W27").bounds(Stockholm),
        (utc(2026, 6, 28, 22, 0), utc(2026, 7, 5, 22, 0))
    );
    // ISO week 1 of 2026 starts on Monday 29 December 2025; W53 ends on Sunday 3 January 2027.
    assert_eq!(p("2026-W01").bounds(Stockholm).0, utc(2025, 12, 28, 23, 0));
    assert_eq!(p("2026-W53").bounds(Stockholm).1, utc(2027, 1, 3, 23, 0));
}

#[test]
fn dst_weeks_are_167_and_169_hours() {
    // Spring forward on Sunday 2026-03-29 (week 13), fall back on Sunday 2026-10-25 (week 43).
    let hours = |s: &str| {
        let (a, b) = p(s).bounds(Stockholm);
        (b - a).num_hours()
    };
    assert_eq!(hours("2026-W13"), 167);
    assert_eq!(hours("2026-W43"), 169);
    assert_eq!(hours("2026-W12"), 168);
    assert_eq!(hours("2026-W44"), 168);
    assert_eq!(hours("2026-03"), 31 * 24 - 1);
    assert_eq!(hours("2026-10"), 31 * 24 + 1);
    assert_eq!(hours("2026-T1"), (31 + 28 + 31 + 30) * 24 - 1);
    assert_eq!(hours("2026-T2"), (31 + 30 + 31 + 31) * 24);
    assert_eq!(hours("2026-T3"), (30 + 31 + 30 + 31) * 24 + 1);
    assert_eq!(hours("2026"), 365 * 24);
    assert_eq!(hours("2028"), 366 * 24);
}

#[test]
fn tertials_months_years() {
    assert_eq!(
        p("2026-T2").bounds(Stockholm),
        (utc(2026, 4, 30, 22, 0), utc(2026, 8, 31, 22, 0))
    );
    assert_eq!(
        p("2026-T3").bounds(Stockholm),
        (utc(2026, 8, 31, 22, 0), utc(2026, 12, 31, 23, 0))
    );
    assert_eq!(p("2026-12").bounds(Stockholm).1, utc(2026, 12, 31, 23, 0));
    assert_eq!(p("2026").bounds(Stockholm).0, utc(2025, 12, 31, 23, 0));
}

#[test]
fn midnight_in_a_gap_or_repeated() {
    // America/Santiago springs forward at 24:00 local: 2026-09-06 00:00 does not exist and
    // the day starts at 01:00 (-03).
    let tz = chrono_tz::America::Santiago;
    let w = TimeWindow::parse_in("2026-09-06/2026-09-07", tz).unwrap();
    let day_start = w.bounds(tz).0;
    assert_eq!(day_start, utc(2026, 9, 6, 4, 0));
    // The day starts at its first instant: the one before is still 5 September.
    let date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive().to_string();
    assert_eq!(date(day_start), "2026-09-06");
    assert_eq!(date(day_start - TimeDelta::nanoseconds(1)), "2026-09-05");
    // Europe/Stockholm never has this problem: both ends are plain local midnight.
    assert_eq!(
        p("2026-09-06/2026-09-07").bounds(Stockholm),
        (utc(2026, 9, 5, 22, 0), utc(2026, 9, 6, 22, 0))
    );
    // Samoa skipped 30 December 2011 entirely; week 52 of 2011 is six days long.
    let apia = chrono_tz::Pacific::Apia;
    let (a, b) = p("2011-W52").bounds(apia);
    assert_eq!((b - a).num_hours(), 6 * 24);
}

#[test]
fn previous_next_same_last_year() {
    assert_eq!(p("2026-W47").previous(), p("2026-W46"));
    assert_eq!(p("2027-W01").previous(), p("2026-W53"));
    assert_eq!(p("2026-W01").previous(), p("2025-W52"));
    assert_eq!(p("2026-W53").next(), p("2027-W01"));
    assert_eq!(p("2026-T1").previous(), p("2025-T3"));
    assert_eq!(p("2026-01").previous(), p("2025-12"));
    assert_eq!(p("2026").previous(), p("2025"));
    let c = p("2026-11-01/2026-11-08");
    let prev = c.previous();
    // Same length (168 h), so not local midnight across the autumn change.
    assert_eq!(
        prev,
        TimeWindow::Custom {
            from: utc(2026, 10, 24, 23, 0),
            to: utc(2026, 10, 31, 23, 0)
        }
    );
    assert_eq!(prev.bounds(Stockholm).1, c.bounds(Stockholm).0);
    assert_eq!(c.next().previous(), c);
    assert_eq!(p("2026-W53").same_last_year(), p("2025-W52"));
    assert_eq!(p("2027-W10").same_last_year(), p("2026-W10"));
    assert_eq!(p("2026-T2").same_last_year(), p("2025-T2"));
    assert_eq!(p("2026-11").same_last_year(), p("2025-11"));
    assert_eq!(p("2026").same_last_year(), p("2025"));
    assert_eq!(
        p("2024-02-29/2024-03-01").same_last_year(),
        TimeWindow::Custom {
            from: utc(2023, 2, 28, 23, 0),
            to: utc(2023, 3, 1, 23, 0)
        }
    );
    assert_eq!(
        p("2026-W03").previous_n(4),
        vec![p("2026-W02"), p("2026-W01"), p("2025-W52"), p("2025-W51")]
    );
    assert!(p("2026").previous_n(0).is_empty());
}

#[test]
fn out_of_range_fields_are_clamped() {
    let w = TimeWindow::IsoWeek {
        year: 2025,
        week: 53,
    };
    assert_eq!(w.bounds(Stockholm), p("2025-W52").bounds(Stockholm));
    assert_eq!(w.previous(), p("2025-W51"));
    let t = TimeWindow::Tertial {
        year: 2026,
        tertial: 9,
    };
    assert_eq!(t.bounds(Stockholm), p("2026-T3").bounds(Stockholm));
    let m = TimeWindow::Month {
        year: 2026,
        month: 0,
    };
    assert_eq!(m.bounds(Stockholm), p("2026-01").bounds(Stockholm));
    // Beyond chrono's calendar: saturates instead of panicking.
    let far = TimeWindow::Year(i32::MAX);
    assert_eq!(
        far.bounds(Stockholm),
        (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
    );
    let _ = TimeWindow::IsoWeek {
        year: i32::MIN,
        week: 1,
    }
    .previous()
    .bounds(Stockholm);
}

#[test]
fn weeks_cover_a_range() {
    let from = utc(2026, 11, 18, 12, 0); // Wednesday of W47
    let to = utc(2026, 11, 30, 0, 0); // Monday 01:00 local of W49
    let ws = TimeWindow::weeks(from, to, Stockholm);
    assert_eq!(ws, vec![p("2026-W47"), p("2026-W48"), p("2026-W49")]);
    // A range ending exactly at a week start does not include that week.
    let (w49_start, _) = p("2026-W49").bounds(Stockholm);
    assert_eq!(TimeWindow::weeks(from, w49_start, Stockholm).len(), 2);
    assert!(TimeWindow::weeks(to, from, Stockholm).is_empty());
    assert!(TimeWindow::weeks(from, from, Stockholm).is_empty());
}

#[test]
fn serde_uses_the_canonical_string() {
    let w = p("2026-W47");
    assert_eq!(serde_json::to_string(&w).unwrap(), "\"2026-W47\"");
    let back: TimeWindow = serde_json::from_str("\"2026-w47\"").unwrap();
    assert_eq!(back, w);
    let c = p("2026-11-01/2026-11-08");
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(json, "\"2026-10-31T23:00:00Z/2026-11-07T23:00:00Z\"");
    assert_eq!(serde_json::from_str::<TimeWindow>(&json).unwrap(), c);
    assert!(serde_json::from_str::<TimeWindow>("\"2026-W54\"").is_err());
    assert_eq!(
        serde_json::to_string(&WindowKind::IsoWeek).unwrap(),
        "\"iso_week\""
    );
    assert_eq!(WindowKind::parse("Week").unwrap(), WindowKind::IsoWeek);
    assert!(WindowKind::parse("fortnight").is_err());
    assert_eq!("2026-T2".parse::<TimeWindow>().unwrap(), p("2026-T2"));
}

#[test]
fn iso_weeks_in_years() {
    // Years with 53 weeks between 2000 and 2040 (ISO 8601 long years).
    let long: Vec<i32> = (2000..=2040)
        .filter(|&y| iso_weeks_in_year(y) == 53)
        .collect();
    assert_eq!(long, vec![2004, 2009, 2015, 2020, 2026, 2032, 2037]);
}

// ---- property tests ----

const KINDS: [WindowKind; 4] = [
    WindowKind::IsoWeek,
    WindowKind::Tertial,
    WindowKind::Month,
    WindowKind::Year,
];

fn zones() -> impl Strategy<Value = Tz> {
    prop_oneof![
        Just(chrono_tz::Europe::Stockholm),
        Just(chrono_tz::Europe::Helsinki),
        Just(chrono_tz::UTC),
        Just(chrono_tz::America::Santiago),
        Just(chrono_tz::Australia::Lord_Howe),
        Just(chrono_tz::Asia::Kolkata),
    ]
}

/// Instants from 1990 to 2060, to the second.
fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    (631_152_000i64..2_871_763_200i64).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

fn kinds() -> impl Strategy<Value = WindowKind> {
    prop::sample::select(KINDS.to_vec())
}

proptest! {
    #[test]
    fn every_instant_in_exactly_one_window(t in instants(), kind in kinds(), tz in zones()) {
        let w = TimeWindow::containing(t, kind, tz);
        prop_assert!(w.contains(t, tz), "{w} does not contain {t}");
        prop_assert!(!w.previous().contains(t, tz));
        prop_assert!(!w.next().contains(t, tz));
        // Windows next to each other tile time.
        prop_assert_eq!(w.previous().bounds(tz).1, w.bounds(tz).0);
        prop_assert_eq!(w.bounds(tz).1, w.next().bounds(tz).0);
    }

    #[test]
    fn containing_round_trips(t in instants(), kind in kinds(), tz in zones()) {
        let w = TimeWindow::containing(t, kind, tz);
        let (from, to) = w.bounds(tz);
        prop_assert!(from < to);
        prop_assert_eq!(TimeWindow::containing(from, kind, tz), w);
        prop_assert_eq!(TimeWindow::containing(to - TimeDelta::nanoseconds(1), kind, tz), w);
        prop_assert_eq!(TimeWindow::containing(to, kind, tz), w.next());
        prop_assert_eq!(TimeWindow::parse(&w.to_string()), Ok(w));
        prop_assert_eq!(w.next().previous(), w);
    }

    #[test]
    fn previous_ends_where_the_window_starts(
        t in instants(), kind in kinds(), tz in zones(), n in 1usize..6,
        len in 1i64..10_000_000,
    ) {
        let w = TimeWindow::containing(t, kind, tz);
        let mut later = w;
        for prev in w.previous_n(n) {
            prop_assert_eq!(prev.bounds(tz).1, later.bounds(tz).0);
            later = prev;
        }
        let c = TimeWindow::Custom { from: t, to: t + TimeDelta::seconds(len) };
        prop_assert_eq!(c.previous().bounds(tz).1, t);
        prop_assert_eq!(c.previous().bounds(tz).0, t - TimeDelta::seconds(len));
        prop_assert_eq!(TimeWindow::parse(&c.to_string()), Ok(c));
    }

    #[test]
    fn same_last_year_is_a_year_earlier(t in instants(), kind in kinds(), tz in zones()) {
        let w = TimeWindow::containing(t, kind, tz);
        let last = w.same_last_year();
        prop_assert_eq!(last.kind(), Some(kind));
        let days = (w.bounds(tz).0 - last.bounds(tz).0).num_days();
        // ISO weeks: 52 or 53 weeks; calendar kinds: 365 or 366 days (±1 with DST).
        prop_assert!((357..=372).contains(&days), "{w} -> {last}: {days} days");
    }

    #[test]
    fn weeks_tile_a_range(a in instants(), len in 0i64..(400 * 86_400), tz in zones()) {
        let b = a + TimeDelta::seconds(len);
        let ws = TimeWindow::weeks(a, b, tz);
        if len == 0 {
            prop_assert!(ws.is_empty());
        } else {
            prop_assert!(ws[0].contains(a, tz));
            prop_assert!(ws[ws.len() - 1].contains(b - TimeDelta::nanoseconds(1), tz));
            for pair in ws.windows(2) {
                prop_assert_eq!(pair[0].next(), pair[1]);
            }
        }
    }

    #[test]
    fn aoristic_weights_over_consecutive_windows_sum_to_one(
        start in instants(),
        span in prop_oneof![Just(0i64), 1i64..(3 * 86_400), 1i64..(200 * 86_400)],
        kind in kinds(),
        tz in zones(),
    ) {
        let end = (span > 0).then(|| start + TimeDelta::seconds(span));
        let last = end.unwrap_or(start);
        let mut w = TimeWindow::containing(start, kind, tz);
        let mut sum = 0.0;
        let mut count = 0;
        while w.bounds(tz).0 <= last {
            let (from, to) = w.bounds(tz);
            let x = overlap_weight(start, end, from, to);
            prop_assert!((0.0..=1.0).contains(&x));
            sum += x;
            count += 1;
            w = w.next();
        }
        // One window before and after add nothing.
        let before = TimeWindow::containing(start, kind, tz).previous().bounds(tz);
        prop_assert_eq!(overlap_weight(start, end, before.0, before.1), 0.0);
        prop_assert!(count >= 1);
        prop_assert!((sum - 1.0).abs() < 1e-12, "sum {} over {} windows", sum, count);
    }

    #[test]
    fn aoristic_weights_over_an_arbitrary_partition_sum_to_one(
        start in instants(),
        span in 1i64..(30 * 86_400),
        cuts in prop::collection::vec(-(40i64 * 86_400)..(40 * 86_400), 0..20),
    ) {
        let end = start + TimeDelta::seconds(span);
        let mut edges: Vec<DateTime<Utc>> = cuts.iter().map(|&c| start + TimeDelta::seconds(c)).collect();
        edges.push(start - TimeDelta::days(50));
        edges.push(start + TimeDelta::days(50));
        edges.sort();
        let sum: f64 = edges.windows(2).map(|e| overlap_weight(start, Some(end), e[0], e[1])).sum();
        prop_assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hour_weekday_weights_sum_to_one(
        start in instants(),
        span in prop_oneof![Just(0i64), 1i64..(8 * 86_400)],
        tz in zones(),
    ) {
        let end = (span > 0).then(|| start + TimeDelta::seconds(span));
        let w = crate::analysis::aoristic::hour_weekday_weights(start, end, tz);
        let sum: f64 = w.iter().flatten().sum();
        prop_assert!(w.iter().flatten().all(|&x| x >= 0.0));
        prop_assert!((sum - 1.0).abs() < 1e-9, "sum {}", sum);
    }
}

#[test]
fn quarters_parse_step_and_bound() {
    assert_eq!(
        p("2026-q4"),
        TimeWindow::Quarter {
            year: 2026,
            quarter: 4
        }
    );
    assert_eq!(p("2026-Q4").to_string(), "2026-Q4");
    for bad in ["2026-Q5", "2026-Q0", "2026-Q", "2026-Q12"] {
        let e = TimeWindow::parse(bad).unwrap_err().to_string();
        assert!(e.contains("Q4 (Oct–Dec)"), "{bad}: {e}");
    }
    assert_eq!(p("2026-Q1").previous(), p("2025-Q4"));
    assert_eq!(p("2026-Q4").next(), p("2027-Q1"));
    assert_eq!(p("2026-Q2").same_last_year(), p("2025-Q2"));
    let (from, to) = p("2026-Q2").bounds(Stockholm);
    assert_eq!(from.to_rfc3339(), "2026-03-31T22:00:00+00:00");
    assert_eq!(to.to_rfc3339(), "2026-06-30T22:00:00+00:00");
    let t = Utc.with_ymd_and_hms(2026, 9, 30, 22, 30, 0).unwrap(); // 1 October, local
    assert_eq!(
        TimeWindow::containing(t, WindowKind::Quarter, Stockholm),
        p("2026-Q4")
    );
    assert_eq!(WindowKind::parse("Quarter").unwrap(), WindowKind::Quarter);
    assert_eq!(
        p("2026-Q3").previous().bounds(Stockholm).1,
        p("2026-Q3").bounds(Stockholm).0
    );
}

#[test]
fn progress_and_first_days() {
    let w = p("2026-W13"); // holds the spring change: 167 hours, still 7 days
    let start = w.bounds(Stockholm).0;
    let before = w.progress(start - chrono::Duration::seconds(1), Stockholm);
    assert_eq!(
        (before.complete, before.elapsed_days, before.days),
        (false, 0, 7)
    );
    let first = w.progress(start, Stockholm);
    assert_eq!(first.elapsed_days, 1);
    let end = w.bounds(Stockholm).1;
    let last = w.progress(end - chrono::Duration::seconds(1), Stockholm);
    assert_eq!((last.complete, last.elapsed_days), (false, 7));
    assert!(w.progress(end, Stockholm).complete);
    assert_eq!(p("2026-T1").progress(end, Stockholm).days, 120);
    // first_days: local midnights across the change, capped at the window's end.
    let (a, b) = w.first_days(7, Stockholm).bounds(Stockholm);
    assert_eq!((a, b), w.bounds(Stockholm));
    assert_eq!(
        w.first_days(99, Stockholm).bounds(Stockholm),
        w.bounds(Stockholm)
    );
    let (_, b) = w.first_days(0, Stockholm).bounds(Stockholm);
    assert_eq!(b, a);
    let (_, b) = p("2026-W14").first_days(2, Stockholm).bounds(Stockholm);
    assert_eq!(b.to_rfc3339(), "2026-03-31T22:00:00+00:00");
}
