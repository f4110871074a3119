//! Parsing of incident times: RFC 3339 with an offset, or local wall-clock time.
//!
//! Local times (`YYYY-MM-DD HH:MM`, optionally `:SS`, with a space or `T`) are taken in the
//! deployment's time zone (Europe/Stockholm by default). Around daylight-saving changes:
//! a wall-clock time that does not exist (the spring gap, 02:00–03:00) is rejected, and an
//! ambiguous one (the autumn repeat) is taken as its first occurrence, the earlier instant.
//! A date without a time is rejected rather than guessed.
//!
//! Partners' exports also write the time with a dot (`21.15`, Swedish style), give the date
//! and the time of day in two columns (`Datum` + `Klockslag`, joined by [`join_date_clock`]),
//! or use their own format, named in their import profile (`date_format`, strftime syntax).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const LOCAL_FORMATS: [&str; 6] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H.%M",
    "%Y-%m-%d %H.%M.%S",
];

/// Parses an incident time. The error is a sentence for the user.
#[cfg(test)]
pub(crate) fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    parse_time_with(text, tz, None)
}

/// Parses an incident time, trying the profile's `format` (strftime) first, then the
/// standard forms.
pub(crate) fn parse_time_with(
    text: &str,
    tz: Tz,
    format: Option<&str>,
) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    if let Some(fmt) = format {
        if let Ok(t) = DateTime::parse_from_str(text, fmt) {
            return Ok(t.with_timezone(&Utc));
        }
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, fmt) {
            return local(naive, tz);
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    // RFC 3339 also allows a space instead of `T`; accept that with an offset.
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%:z") {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok());
    let Some(naive) = naive else {
        if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
            || format.is_some_and(|f| chrono::NaiveDate::parse_from_str(text, f).is_ok())
        {
            return Err("has a date but no time: write YYYY-MM-DD HH:MM (local time), or give the time span with occurred_to".into());
        }
        if let Some(fmt) = format {
            return Err(format!(
                "is not a time in the profile's date format {fmt:?}, nor RFC 3339 (2026-11-20T21:15:00+01:00) or local YYYY-MM-DD HH:MM; fix the profile's date_format"
            ));
        }
        return Err(
            "is not a time: use RFC 3339 (2026-11-20T21:15:00+01:00) or local YYYY-MM-DD HH:MM (or name the format in an import profile: --date-format)"
                .into(),
        );
    };
    local(naive, tz)
}

fn local(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "does not exist in {tz} (skipped by the daylight-saving change); give an explicit offset, e.g. {}+01:00",
            naive.format("%Y-%m-%dT%H:%M:%S")
        )),
    }
}

/// Joins a date column and a time-of-day column (`Datum` + `Klockslag`) into
/// `YYYY-MM-DD HH:MM[:SS]`. The date is ISO (`2026-11-20`, also with a midnight time as
/// spreadsheets add it, or `20261120`) or in the profile's `format`; the time of day is
/// `21:15`, `21.15`, `21:15:30`, `2115`, `915` or `21`, optionally after `kl`. The error
/// names which part is wrong and is reported against the date field.
pub(crate) fn join_date_clock(
    date: &str,
    clock: &str,
    format: Option<&str>,
) -> Result<String, String> {
    let date = date.trim();
    let clock = clock.trim();
    if date.is_empty() {
        return Err("the date is empty".into());
    }
    let first = date.split([' ', 'T']).next().unwrap_or(date);
    let day = format
        .and_then(|f| chrono::NaiveDate::parse_from_str(date, f).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(first, "%Y%m%d").ok())
        .ok_or_else(|| {
            format!(
                "the date {date:?} is not YYYY-MM-DD{}",
                format.map_or(String::new(), |f| format!(
                    " nor in the profile's format {f:?}"
                ))
            )
        })?;
    if clock.is_empty() {
        return Err(format!(
            "the time of day is empty for the date {date}; fill in the time column (Klockslag)"
        ));
    }
    let c = clock
        .strip_prefix("kl.")
        .or_else(|| clock.strip_prefix("kl"))
        .unwrap_or(clock)
        .trim();
    let bad = || format!("the time of day {clock:?} is not HH:MM (21:15, 21.15 or 2115)");
    let parts: Vec<&str> = if c.contains([':', '.']) {
        c.split([':', '.']).collect()
    } else if c.len() > 2 && c.chars().all(|ch| ch.is_ascii_digit()) {
        let (h, m) = c.split_at(c.len() - 2);
        vec![h, m]
    } else {
        vec![c, "00"]
    };
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.chars().all(|ch| ch.is_ascii_digit()))
    {
        return Err(bad());
    }
    let num = |i: usize| {
        parts
            .get(i)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (h, m, s) = (num(0), num(1), num(2));
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(format!("{} {h:02}:{m:02}:{s:02}", day.format("%Y-%m-%d")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Stockholm;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn rfc3339_and_local_times() {
        assert_eq!(
            parse_time("2026-11-20T21:15:00+01:00", Stockholm).unwrap(),
            utc("2026-11-20T20:15:00Z")
        );
        assert_eq!(
            parse_time("2026-11-20T20:15:00Z", Stockholm).unwrap(),
            utc("2026-11-20T20:15:00Z")
        );
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            parse_time("2026-01-10 12:00", Stockholm).unwrap(),
            utc("2026-01-10T11:00:00Z")
        );
        assert_eq!(
            parse_time("2026-07-10T12:00:30", Stockholm).unwrap(),
            utc("2026-07-10T10:00:30Z")
        );
    }

    #[test]
    fn dst_gap_is_rejected_and_overlap_takes_the_first() {
        // 2026-03-29 02:30 does not exist in Stockholm.
        let e = parse_time("2026-03-29 02:30", Stockholm).unwrap_err();
        assert!(e.contains("daylight-saving"), "{e}");
        // 2026-10-25 02:30 happens twice; the first is still summer time (UTC+2).
        assert_eq!(
            parse_time("2026-10-25 02:30", Stockholm).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn dot_times_profile_formats_and_date_clock_pairs() {
        assert_eq!(
            parse_time("2026-01-10 12.30", Stockholm).unwrap(),
            utc("2026-01-10T11:30:00Z")
        );
        assert_eq!(
            parse_time_with("10/01/2026 12:30", Stockholm, Some("%d/%m/%Y %H:%M")).unwrap(),
            utc("2026-01-10T11:30:00Z")
        );
        // The standard forms still work next to a profile format.
        assert!(parse_time_with("2026-01-10 12:30", Stockholm, Some("%d/%m/%Y %H:%M")).is_ok());
        let e = parse_time_with("10.01.2026", Stockholm, Some("%d/%m/%Y %H:%M")).unwrap_err();
        assert!(e.contains("%d/%m/%Y %H:%M"), "{e}");
        for (clock, want) in [
            ("21:15", "2026-11-20 21:15:00"),
            ("21.15", "2026-11-20 21:15:00"),
            ("2115", "2026-11-20 21:15:00"),
            ("915", "2026-11-20 09:15:00"),
            ("21", "2026-11-20 21:00:00"),
            ("kl 21.15", "2026-11-20 21:15:00"),
            ("21:15:30", "2026-11-20 21:15:30"),
        ] {
            assert_eq!(
                join_date_clock("2026-11-20", clock, None).unwrap(),
                want,
                "{clock}"
            );
        }
        assert_eq!(
            join_date_clock("2026-11-20 00:00:00", "08:05", None).unwrap(),
            "2026-11-20 08:05:00"
        );
        assert_eq!(
            join_date_clock("20/11/2026", "08:05", Some("%d/%m/%Y")).unwrap(),
            "2026-11-20 08:05:00"
        );
        for bad in ["25:00", "21:75", "ab", "21:15:15:15", "12345"] {
            let e = join_date_clock("2026-11-20", bad, None).unwrap_err();
            assert!(e.contains("time of day"), "{bad}: {e}");
        }
        assert!(
            join_date_clock("2026-11-20", "", None)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            join_date_clock("20/11/2026", "10:00", None)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(
            join_date_clock("", "10:00", None)
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn malformed_times_explain_themselves() {
        assert!(parse_time("", Stockholm).unwrap_err().contains("empty"));
        assert!(
            parse_time("2026-11-20", Stockholm)
                .unwrap_err()
                .contains("no time")
        );
        assert!(
            parse_time("20/11/2026 21:15", Stockholm)
                .unwrap_err()
                .contains("RFC 3339")
        );
        assert!(parse_time("2026-02-30 10:00", Stockholm).is_err());
    }
}
