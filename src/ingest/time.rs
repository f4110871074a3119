//! Parsing of incident times: RFC 3339 with an offset, or local wall-clock time.
//!
//! Local times (`YYYY-MM-DD HH:MM`, optionally `:SS`, with a space or `T`) are taken in the
//! deployment's time zone (Europe/Stockholm by default). Around daylight-saving changes:
//! a wall-clock time that does not exist (the spring gap, 02:00–03:00) is rejected, and an
//! ambiguous one (the autumn repeat) is taken as its first occurrence, the earlier instant.
//! A date without a time is rejected rather than guessed.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const LOCAL_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
];

/// Parses an incident time. The error is a sentence for the user.
pub(crate) fn parse_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
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
        if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
            return Err("has a date but no time: write YYYY-MM-DD HH:MM (local time), or give the time span with occurred_to".into());
        }
        return Err(
            "is not a time: use RFC 3339 (2026-11-20T21:15:00+01:00) or local YYYY-MM-DD HH:MM"
                .into(),
        );
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "does not exist in {tz} (skipped by the daylight-saving change); give an explicit offset, e.g. {}+01:00",
            naive.format("%Y-%m-%dT%H:%M:%S")
        )),
    }
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
