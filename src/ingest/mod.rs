//! Reading partners' incident files (CSV, GeoJSON) and area layers, validated row by row.
//!
//! A reader turns bytes into a stream of [`RowOutcome`]s: each data row is either a valid
//! [`Incident`] or a [`Rejection`] that names the row, field, value and reason. Problems that
//! make the rest of the file unreadable (no header, wrong format, a runaway record) are an
//! [`IngestError`] instead. Readers never touch the database: duplicates are found by
//! `store`, areas and hex cells are assigned by `index`, and `pipeline` ties them together.

mod areas;
mod crs;
mod csv;
pub(crate) mod geojson;
pub mod profile;
mod time;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::Region;
use crate::model::{Categories, Crs, Incident, Partner, Wgs84};

pub use areas::{AreaError, AreaImportOptions, read_area_layer};
pub use crs::{looks_like_sweref99tm, sweref99tm_to_wgs84, wgs84_to_sweref99tm};
pub use csv::{CsvLayout, CsvOptions, MAX_RECORD_BYTES, read_csv};
pub use geojson::{MAX_GEOJSON_BYTES, read_geojson};
pub use profile::{ColumnMap, Decimal, Encoding, Field, ImportProfile, MappedColumn};

/// Longest accepted id.
pub const MAX_ID_CHARS: usize = 128;
/// Longest accepted description.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// How far in the future an incident time may lie (clock skew between partners' systems).
pub const FUTURE_TOLERANCE_SECONDS: i64 = 600;

/// The input format of an incident file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma- or semicolon-separated values with a header row.
    Csv,
    /// A GeoJSON FeatureCollection of Point features.
    Geojson,
}

impl Format {
    /// Guesses the format from a file name's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "geojson" | "json" => Some(Format::Geojson),
            _ => None,
        }
    }

    /// Parses `csv` or `geojson`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "geojson" | "json" => Some(Format::Geojson),
            _ => None,
        }
    }
}

/// Where a row sits in its file: 1-based data row (header excluded) or feature number, and
/// for CSV the physical line where the record starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RowPos {
    /// 1-based data row (CSV) or feature (GeoJSON, 1-based as well).
    pub row: u64,
    /// 1-based line in the file where the record starts (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl std::fmt::Display for RowPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "row {} (line {line})", self.row),
            None => write!(f, "feature {}", self.row),
        }
    }
}

/// Why one row was not stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// Where the row is.
    #[serde(flatten)]
    pub pos: RowPos,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The offending value (shortened to 80 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong and, where possible, how to fix it.
    pub reason: String,
}

impl Rejection {
    pub(crate) fn new(
        pos: RowPos,
        field: Option<&str>,
        value: Option<&str>,
        reason: impl Into<String>,
    ) -> Rejection {
        Rejection {
            pos,
            field: field.map(str::to_owned),
            value: value.map(shorten),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.pos)?;
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        if let Some(value) = &self.value {
            write!(f, ", value {value:?}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// The lookup key of a partner's category code or label: trimmed, whitespace runs as one
/// space, lower case (`" Bedrägeri  via internet"` → `"bedrägeri via internet"`).
pub fn category_key(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Shortens a value for messages: at most 80 characters.
pub(crate) fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(77).collect();
        out.push_str("...");
        out
    }
}

/// One data row after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    /// Where the row is.
    pub pos: RowPos,
    /// The valid incident, or why not.
    pub result: Result<Incident, Rejection>,
}

/// A problem with the file as a whole: nothing from it is stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Reading failed.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no bytes.
    #[error("the file is empty: expected a header row such as id,occurred_at,category,lat,lon")]
    Empty,
    /// The file is UTF-16 (Excel's "Unicode text").
    #[error(
        "the file is UTF-16 encoded (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" and try again, or convert it with `iconv -f UTF-16 -t UTF-8` / filen är kodad i UTF-16 (Excels \"Unicode-text\"); spara den som \"CSV UTF-8\" och försök igen"
    )]
    Utf16,
    /// The file is not UTF-8 and looks like Latin-1 / Windows-1252 (Excel's plain CSV).
    #[error(
        "the file is not UTF-8; it looks like Latin-1 (Windows-1252, what Excel writes as \"CSV (semikolonavgränsad)\"). Read it with --encoding latin1 (API: encoding=latin1, or encoding=latin1 in the import profile), or save it as \"CSV UTF-8\" / filen är inte UTF-8 utan ser ut att vara Latin-1; läs in den med --encoding latin1 eller spara den som \"CSV UTF-8\""
    )]
    Latin1,
    /// The header lacks required columns.
    #[error("{0}")]
    Header(String),
    /// A record grew past the size limit.
    #[error(
        "{pos}: a record is longer than {limit} bytes; this does not look like a CSV file with one incident per row (an unclosed quote?)"
    )]
    RecordTooLong { pos: RowPos, limit: usize },
    /// The CSV reader failed (e.g. a bad quote) in a way that stops reading.
    #[error("{pos}: {reason}")]
    Csv { pos: RowPos, reason: String },
    /// The GeoJSON is malformed or not a FeatureCollection.
    #[error("{0}")]
    Geojson(String),
    /// The GeoJSON is larger than the in-memory limit.
    #[error(
        "the GeoJSON file is larger than {limit} bytes; split it, or convert it to CSV, which is streamed with no size limit"
    )]
    TooLarge { limit: u64 },
    /// Options conflict with the file.
    #[error("{0}")]
    Options(String),
}

/// What applies to every row of one file.
#[derive(Debug, Clone)]
pub struct RowRules {
    /// The category catalogue.
    pub categories: Categories,
    /// Coordinates outside this rectangle are rejected.
    pub region: Region,
    /// Time zone for local times.
    pub timezone: Tz,
    /// The partner for rows without a `partner` column (`--partner`).
    pub partner: Option<Partner>,
    /// The CRS of coordinate columns, if forced (`--crs`); otherwise inferred from the columns.
    pub crs: Option<Crs>,
    /// "Now": times after it (plus a small tolerance) are rejected.
    pub now: DateTime<Utc>,
    /// The import profile's time format (strftime), tried before the standard forms.
    pub date_format: Option<String>,
    /// Partners' own category codes and labels: `(partner, category_key(value))` → code,
    /// looked up before the catalogue.
    pub mappings: std::sync::Arc<std::collections::HashMap<(String, String), String>>,
    /// Counts the descriptions from which control characters were removed (shared with
    /// the caller, which reports it).
    pub cleaned_descriptions: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The text fields of one row, as read; coordinates are parsed by the reader.
#[derive(Debug, Default)]
pub(crate) struct RawRow<'a> {
    pub id: Option<&'a str>,
    pub occurred_at: Option<&'a str>,
    pub occurred_to: Option<&'a str>,
    pub category: Option<&'a str>,
    pub partner: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// The names of the two coordinate fields, for messages: `("lon", "lat")` or
/// `("easting", "northing")`.
pub(crate) fn axis_names(crs: Crs) -> (&'static str, &'static str) {
    match crs {
        Crs::Wgs84 => ("lon", "lat"),
        Crs::Sweref99Tm => ("easting", "northing"),
    }
}

impl RowRules {
    /// Validates one row. `xy` is (lon, lat) or (easting, northing) per `crs`.
    pub(crate) fn validate(
        &self,
        pos: RowPos,
        raw: &RawRow<'_>,
        xy: (f64, f64),
        crs: Crs,
    ) -> Result<Incident, Rejection> {
        let reject = |field: &str, value: Option<&str>, reason: String| {
            Rejection::new(pos, Some(field), value, reason)
        };
        let id = raw.id.map(str::trim).unwrap_or("");
        if id.is_empty() {
            return Err(reject(
                "id",
                None,
                "is missing: every row needs the partner's own id".into(),
            ));
        }
        if id.chars().count() > MAX_ID_CHARS {
            return Err(reject(
                "id",
                Some(id),
                format!("is longer than {MAX_ID_CHARS} characters"),
            ));
        }
        if let Some((at, c)) = id.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(reject(
                "id",
                Some(&id.escape_debug().to_string()),
                format!(
                    "holds the control character U+{:04X} at character {}; ids must be printable text (remove it in the source system)",
                    u32::from(c),
                    at + 1
                ),
            ));
        }
        let partner = match (
            raw.partner.map(str::trim).filter(|s| !s.is_empty()),
            &self.partner,
        ) {
            (Some(p), given) => {
                let p = Partner::parse(p).map_err(|e| reject("partner", Some(p), e))?;
                if let Some(given) = given
                    && *given != p
                {
                    return Err(reject(
                        "partner",
                        Some(p.as_str()),
                        format!(
                            "differs from --partner {given}; one file is filed for one partner"
                        ),
                    ));
                }
                p
            }
            (None, Some(given)) => given.clone(),
            (None, None) => {
                return Err(reject(
                    "partner",
                    None,
                    "is missing: add a partner column or pass --partner NAME".into(),
                ));
            }
        };
        let category_text = raw.category.map(str::trim).unwrap_or("");
        let mapped = if self.mappings.is_empty() {
            None
        } else {
            self.mappings
                .get(&(partner.as_str().to_owned(), category_key(category_text)))
                .and_then(|code| self.categories.get(code))
        };
        let category = mapped
            .or_else(|| self.categories.resolve(category_text))
            .ok_or_else(|| {
                let reason = if category_text.is_empty() {
                    "is missing: every row needs a category (`lagesbild categories` lists them)"
                        .to_owned()
                } else {
                    format!(
                        "is neither a category nor one of {partner}'s mapped codes; map it with `lagesbild categories map --partner {partner} \"{}=CODE\"` (`lagesbild categories` lists the codes)",
                        shorten(category_text)
                    )
                };
                reject("category", Some(category_text), reason)
            })?;
        let occurred_at_text = raw.occurred_at.unwrap_or("");
        let occurred_at = self.check_time(pos, "occurred_at", occurred_at_text)?;
        let occurred_to = match raw.occurred_to.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => {
                let t = self.check_time(pos, "occurred_to", text)?;
                if t < occurred_at {
                    return Err(reject(
                        "occurred_to",
                        Some(text),
                        "is before occurred_at; the span must run forwards".into(),
                    ));
                }
                Some(t)
            }
        };
        let location = self.check_location(pos, xy, crs)?;
        // A line break inside a quoted field of a Windows file is CRLF: one break, not a
        // control character.
        let unixed = raw
            .description
            .filter(|d| d.contains("\r\n"))
            .map(|d| d.replace("\r\n", "\n"));
        let description = match unixed
            .as_deref()
            .or(raw.description)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(reject(
                    "description",
                    Some(d),
                    format!("is longer than {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            Some(d) if d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
                self.cleaned_descriptions
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let clean: String = d
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                    .collect();
                Some(clean.trim().to_owned()).filter(|c| !c.is_empty())
            }
            d => d.map(str::to_owned),
        };
        Ok(Incident {
            id: id.to_owned(),
            partner: partner.as_str().to_owned(),
            category: category.code.clone(),
            occurred_at,
            occurred_to,
            location,
            description,
        })
    }

    fn check_time(&self, pos: RowPos, field: &str, text: &str) -> Result<DateTime<Utc>, Rejection> {
        let t = time::parse_time_with(text, self.timezone, self.date_format.as_deref())
            .map_err(|e| Rejection::new(pos, Some(field), Some(text), e))?;
        let earliest = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).single();
        if earliest.is_some_and(|e| t < e) {
            return Err(Rejection::new(
                pos,
                Some(field),
                Some(text),
                "is before 1900; check the year",
            ));
        }
        if t > self.now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
            return Err(Rejection::new(
                pos,
                Some(field),
                Some(text),
                format!(
                    "is in the future (now is {}); check the date and the time zone",
                    self.now.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        Ok(t)
    }

    fn check_location(
        &self,
        pos: RowPos,
        (x, y): (f64, f64),
        crs: Crs,
    ) -> Result<Wgs84, Rejection> {
        let (xn, yn) = axis_names(crs);
        for (name, v) in [(xn, x), (yn, y)] {
            if !v.is_finite() {
                return Err(Rejection::new(
                    pos,
                    Some(name),
                    Some(&v.to_string()),
                    "is not a finite number",
                ));
            }
        }
        let value = format!("{x}, {y}");
        let reject =
            |reason: String| Rejection::new(pos, Some(&format!("{xn},{yn}")), Some(&value), reason);
        let location = match crs {
            Crs::Wgs84 => {
                if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                    let hint = if crs::looks_like_sweref99tm(x, y) {
                        "; these look like SWEREF 99 TM metres: name the columns easting,northing or pass --crs EPSG:3006"
                    } else {
                        ""
                    };
                    return Err(reject(format!(
                        "is not a valid longitude/latitude (lon -180..180, lat -90..90){hint}"
                    )));
                }
                Wgs84 { lon: x, lat: y }
            }
            Crs::Sweref99Tm => {
                if !crs::looks_like_sweref99tm(x, y) {
                    return Err(reject(
                        "is not a SWEREF 99 TM position in Sweden (easting about 180000..1000000, northing 6100000..7700000)".into(),
                    ));
                }
                if y < x {
                    return Err(reject(
                        "easting and northing look swapped (northing is the larger number in Sweden)".into(),
                    ));
                }
                let (lon, lat) = crs::sweref99tm_to_wgs84(x, y);
                Wgs84 { lon, lat }
            }
        };
        if !self.region.contains(location) {
            let swapped = Wgs84 {
                lon: location.lat,
                lat: location.lon,
            };
            let hint = if crs == Crs::Wgs84 && self.region.contains(swapped) {
                "; lat and lon look swapped"
            } else {
                "; check the coordinates, or set the region with --region / LAGESBILD_REGION"
            };
            return Err(reject(format!(
                "lies outside the deployment region ({}){hint}",
                self.region.describe()
            )));
        }
        Ok(location)
    }
}

/// Parses a coordinate field: a decimal number. With [`Decimal::Auto`] a decimal comma is
/// accepted (Swedish spreadsheets write 59,2345) and spaces grouping digits
/// (`6 568 123,4`, also no-break and thin spaces) are dropped; [`Decimal::Comma`] also
/// drops `.` as a digit group mark, [`Decimal::Point`] drops `,`.
pub(crate) fn parse_number(text: &str, decimal: Decimal) -> Option<f64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect();
    if t.is_empty()
        || t.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        // No "NaN", "inf" or hex: only digits, signs, marks and an exponent.
        return None;
    }
    match decimal {
        Decimal::Auto => t.parse::<f64>().ok().or_else(|| {
            if t.matches(',').count() == 1 && !t.contains('.') {
                t.replace(',', ".").parse::<f64>().ok()
            } else {
                None
            }
        }),
        Decimal::Comma => {
            if t.matches(',').count() > 1 {
                return None;
            }
            t.replace('.', "").replace(',', ".").parse::<f64>().ok()
        }
        Decimal::Point => t.replace(',', "").parse::<f64>().ok(),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod validate_tests;
