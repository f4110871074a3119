//! What an OGC API request asks for: the output format (`f=` or `Accept`), the base URL of
//! absolute links, and the item parameters `limit`, `offset`, `bbox` and `datetime`. Every
//! error names the parameter at fault.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};

use super::super::ApiError;
use super::super::AppState;

/// Default page size of `/items`.
pub(crate) const LIMIT_DEFAULT: usize = 10;
/// Largest page size of `/items`; larger values are clamped to it, as the standard asks.
pub(crate) const LIMIT_MAX: usize = 10_000;

/// The representation asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// JSON (`application/json` metadata, `application/geo+json` features).
    Json,
    /// A readable HTML page.
    Html,
}

/// `f=json|geojson|html` wins; without it, HTML when the client accepts `text/html`.
pub(crate) fn format(f: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    match f.map(str::to_ascii_lowercase).as_deref() {
        Some("json" | "geojson") => Ok(Format::Json),
        Some("html") => Ok(Format::Html),
        Some(other) => Err(ApiError::BadRequest(format!(
            "parameter f: {other:?} is not json, geojson or html"
        ))),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // A browser lists text/html first; API clients list a JSON type first, or only.
            let html = accept.find("text/html");
            let json = accept.find("json");
            Ok(match (html, json) {
                (Some(h), Some(j)) if h < j => Format::Html,
                (Some(_), None) => Format::Html,
                _ => Format::Json,
            })
        }
    }
}

/// The scheme, host and path prefix of absolute links, without a trailing slash:
/// `serve --base-url` when set, else `X-Forwarded-Proto`/`X-Forwarded-Host` or `Host`.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = state.base_url() {
        return b.to_owned();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let proto = match first("x-forwarded-proto").map(|p| p.to_ascii_lowercase()) {
        Some(p) if p == "https" => "https",
        _ => "http",
    };
    // Only host characters: a forged header must not smuggle markup or paths into links.
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{proto}://{host}")
}

/// Parses `limit`: a whole number, at least 1; above [`LIMIT_MAX`] it is clamped.
pub(crate) fn parse_limit(s: &str) -> Result<usize, ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "parameter limit: {s:?} is not a whole number 1..={LIMIT_MAX}"
        ))
    };
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() {
        return Err(bad());
    }
    // More digits than any usize: certainly above the maximum.
    Ok(trimmed
        .parse::<usize>()
        .map_or(LIMIT_MAX, |n| n.min(LIMIT_MAX)))
}

/// Parses `offset`: a whole number, 0 or more.
pub(crate) fn parse_offset(s: &str) -> Result<usize, ApiError> {
    // SQLite takes the offset as a signed 64-bit number.
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(|n| n as usize)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "parameter offset: {s:?} is not a whole number 0 or more"
            ))
        })
}

/// A `datetime` value: an instant or an interval with optional open ends (`..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Datetime {
    /// One instant.
    Instant(DateTime<Utc>),
    /// From, to; `None` is an open end.
    Interval(Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

/// Parses `datetime` (RFC 3339): `T`, `A/B`, `../B`, `A/..` (an empty end is open too).
pub(crate) fn parse_datetime(s: &str) -> Result<Datetime, ApiError> {
    let bad = |why: &str| {
        ApiError::BadRequest(format!(
            "parameter datetime: {s:?} {why}; give an RFC 3339 instant \
             (2026-11-16T00:00:00+01:00) or an interval A/B, ../B or A/.."
        ))
    };
    let instant = |t: &str| {
        let t = t.trim();
        // An unencoded `+01:00` arrives as ` 01:00`; take it as meant.
        let repaired = t.rfind(' ').map(|i| format!("{}+{}", &t[..i], &t[i + 1..]));
        DateTime::parse_from_rfc3339(t)
            .or_else(|e| {
                repaired
                    .as_deref()
                    .map_or(Err(e), DateTime::parse_from_rfc3339)
            })
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                bad(&format!(
                    "has {:?}, which is not an RFC 3339 date-time",
                    t.trim()
                ))
            })
    };
    let end = |t: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        match t.trim() {
            "" | ".." => Ok(None),
            t => instant(t).map(Some),
        }
    };
    match s.split_once('/') {
        None => instant(s).map(Datetime::Instant),
        Some((a, b)) => {
            let (from, to) = (end(a)?, end(b)?);
            match (from, to) {
                (None, None) => Err(bad("is open at both ends")),
                (Some(f), Some(t)) if f > t => Err(bad("ends before it starts")),
                _ => Ok(Datetime::Interval(from, to)),
            }
        }
    }
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters stay).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_at_least_one_and_clamped_above() {
        assert_eq!(parse_limit("1").unwrap(), 1);
        assert_eq!(parse_limit("10000").unwrap(), LIMIT_MAX);
        assert_eq!(parse_limit("20000").unwrap(), LIMIT_MAX);
        assert_eq!(parse_limit("99999999999999999999999").unwrap(), LIMIT_MAX);
        for bad in ["0", "-1", "1e9", "abc", "", "1.5", "000"] {
            let e = parse_limit(bad).unwrap_err().to_string();
            assert!(e.contains("limit"), "{bad}: {e}");
        }
    }

    #[test]
    fn datetime_instants_and_intervals() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            parse_datetime("2026-11-16T00:00:00Z").unwrap(),
            Datetime::Instant(t("2026-11-16T00:00:00Z"))
        );
        assert_eq!(
            parse_datetime("2026-11-16T01:00:00 01:00").unwrap(),
            Datetime::Instant(t("2026-11-16T00:00:00Z"))
        );
        assert_eq!(
            parse_datetime("../2026-11-16T00:00:00+01:00").unwrap(),
            Datetime::Interval(None, Some(t("2026-11-15T23:00:00Z")))
        );
        assert_eq!(
            parse_datetime("2026-11-16T00:00:00Z/").unwrap(),
            Datetime::Interval(Some(t("2026-11-16T00:00:00Z")), None)
        );
        for bad in [
            "../..",
            "2026-11-16",
            "yesterday",
            "2026-11-17T00:00:00Z/2026-11-16T00:00:00Z",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn browsers_get_html_and_api_clients_json() {
        let with = |accept: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, accept.parse().unwrap());
            format(None, &h).unwrap()
        };
        assert_eq!(
            with("text/html,application/xhtml+xml,*/*;q=0.8"),
            Format::Html
        );
        assert_eq!(with("application/geo+json, application/json"), Format::Json);
        assert_eq!(with("application/json, text/html;q=0.5"), Format::Json);
        assert_eq!(with("*/*"), Format::Json);
        assert_eq!(
            format(Some("html"), &HeaderMap::new()).unwrap(),
            Format::Html
        );
    }

    #[test]
    fn encoding_keeps_unreserved_characters() {
        assert_eq!(encode("a b/c:d,é"), "a%20b%2Fc%3Ad%2C%C3%A9");
    }
}
