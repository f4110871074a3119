//! The CSV incident reader: streamed, `,` or `;` delimited, UTF-8 with or without BOM.
//!
//! The delimiter is sniffed from the header line. Memory stays bounded whatever the file
//! size: records are read one at a time and a [`RecordGuard`] stops any single record from
//! growing past [`MAX_RECORD_BYTES`] (an unclosed quote would otherwise swallow the file).

use std::io::{BufRead, BufReader, Cursor, Read};

use super::{IngestError, RawRow, RowOutcome, RowPos, RowRules, parse_number};
use crate::model::Crs;

/// The largest accepted record (one incident row), in bytes.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Column indexes found in the header.
struct Columns {
    id: usize,
    occurred_at: usize,
    category: usize,
    x: usize,
    y: usize,
    crs: Crs,
    occurred_to: Option<usize>,
    partner: Option<usize>,
    description: Option<usize>,
}

/// What the header told us, for the ingest summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvLayout {
    /// `,` or `;`.
    pub delimiter: char,
    /// Columns present but not used.
    pub ignored_columns: Vec<String>,
}

/// Reads a CSV incident file. Returns the layout and an iterator over data rows; the
/// iterator yields an [`IngestError`] and stops when the rest of the file cannot be read.
pub fn read_csv<R: Read + Send>(
    input: R,
    rules: RowRules,
) -> Result<
    (
        CsvLayout,
        impl Iterator<Item = Result<RowOutcome, IngestError>> + Send,
    ),
    IngestError,
> {
    let mut buf = BufReader::with_capacity(1 << 16, input);
    let first = read_first_line(&mut buf)?;
    let mut head: &[u8] = &first;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        head = &head[3..];
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(IngestError::Utf16);
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty);
    }
    let delimiter = sniff_delimiter(head);
    let head = head.to_vec();
    let header_len = head.len();
    let stream = Cursor::new(head).chain(buf);
    let guard = RecordGuard {
        inner: stream,
        in_quotes: false,
        since_record: 0,
        lines: 0,
        record_line: 1,
        limit: MAX_RECORD_BYTES.max(header_len + 1),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(guard);
    let headers = reader
        .byte_headers()
        .map_err(|e| IngestError::Header(format!("cannot read the header row: {e}")))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
        .collect();
    let columns = find_columns(&names, delimiter, rules.crs)?;
    let used = [
        Some(columns.id),
        Some(columns.occurred_at),
        Some(columns.category),
        Some(columns.x),
        Some(columns.y),
        columns.occurred_to,
        columns.partner,
        columns.description,
    ];
    let ignored_columns = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(&Some(*i)))
        .map(|(_, n)| n.clone())
        .collect();
    let layout = CsvLayout {
        delimiter: delimiter as char,
        ignored_columns,
    };
    let mut record = csv::ByteRecord::new();
    let mut row: u64 = 0;
    let mut done = false;
    let iter = std::iter::from_fn(move || {
        if done {
            return None;
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                done = true;
                None
            }
            Ok(true) => {
                row += 1;
                let pos = RowPos {
                    row,
                    line: record.position().map(|p| p.line()),
                };
                Some(Ok(read_row(&record, pos, &columns, &rules)))
            }
            Err(e) => {
                done = true;
                let pos = RowPos {
                    row: row + 1,
                    line: Some(
                        e.position()
                            .map_or(reader.get_ref().record_line, |p| p.line()),
                    ),
                };
                let too_long = matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData && io.to_string().contains(GUARD_MESSAGE));
                Some(Err(if too_long {
                    IngestError::RecordTooLong {
                        pos,
                        limit: MAX_RECORD_BYTES,
                    }
                } else {
                    IngestError::Csv {
                        pos,
                        reason: e.to_string(),
                    }
                }))
            }
        }
    });
    Ok((layout, iter))
}

fn read_row(record: &csv::ByteRecord, pos: RowPos, c: &Columns, rules: &RowRules) -> RowOutcome {
    let mut texts: [Option<&str>; 8] = [None; 8];
    let wanted = [
        Some(c.id),
        Some(c.occurred_at),
        Some(c.category),
        Some(c.x),
        Some(c.y),
        c.occurred_to,
        c.partner,
        c.description,
    ];
    let names = [
        "id",
        "occurred_at",
        "category",
        super::axis_names(c.crs).0,
        super::axis_names(c.crs).1,
        "occurred_to",
        "partner",
        "description",
    ];
    for (slot, (idx, name)) in texts.iter_mut().zip(wanted.iter().zip(names)) {
        let Some(idx) = idx else { continue };
        let Some(bytes) = record.get(*idx) else {
            continue;
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => *slot = Some(s),
            Err(_) => {
                return RowOutcome {
                    pos,
                    result: Err(super::Rejection::new(
                        pos,
                        Some(name),
                        Some(&String::from_utf8_lossy(bytes)),
                        "is not valid UTF-8; save the file as UTF-8",
                    )),
                };
            }
        }
    }
    let [
        id,
        occurred_at,
        category,
        x,
        y,
        occurred_to,
        partner,
        description,
    ] = texts;
    let mut xy = [0.0; 2];
    for (i, (text, name)) in [(x, names[3]), (y, names[4])].into_iter().enumerate() {
        let t = text.unwrap_or("").trim();
        if t.is_empty() {
            return RowOutcome {
                pos,
                result: Err(super::Rejection::new(pos, Some(name), None, "is missing")),
            };
        }
        match parse_number(t) {
            Some(v) => xy[i] = v,
            None => {
                return RowOutcome {
                    pos,
                    result: Err(super::Rejection::new(
                        pos,
                        Some(name),
                        Some(t),
                        "is not a number",
                    )),
                };
            }
        }
    }
    let raw = RawRow {
        id,
        occurred_at,
        occurred_to,
        category,
        partner,
        description,
    };
    RowOutcome {
        pos,
        result: rules.validate(pos, &raw, (xy[0], xy[1]), c.crs),
    }
}

fn find_columns(
    names: &[String],
    delimiter: u8,
    forced: Option<Crs>,
) -> Result<Columns, IngestError> {
    let find = |n: &str| names.iter().position(|h| h == n);
    let lonlat = (find("lon"), find("lat"));
    let en = (find("easting"), find("northing"));
    let (x, y, crs) = match (lonlat, en, forced) {
        ((Some(x), Some(y)), _, None | Some(Crs::Wgs84)) => (Some(x), Some(y), Crs::Wgs84),
        (_, (Some(x), Some(y)), None | Some(Crs::Sweref99Tm)) => {
            (Some(x), Some(y), Crs::Sweref99Tm)
        }
        ((Some(_), Some(_)), _, Some(Crs::Sweref99Tm)) => {
            return Err(IngestError::Options(
                "--crs EPSG:3006 was given but the file has lat/lon columns; SWEREF 99 TM coordinates go in easting,northing columns"
                    .into(),
            ));
        }
        (_, (Some(_), Some(_)), Some(Crs::Wgs84)) => {
            return Err(IngestError::Options(
                "--crs EPSG:4326 was given but the file has easting/northing columns; WGS 84 coordinates go in lat,lon columns"
                    .into(),
            ));
        }
        _ => (None, None, forced.unwrap_or(Crs::Wgs84)),
    };
    let mut missing = Vec::new();
    let id = find("id");
    let occurred_at = find("occurred_at");
    let category = find("category");
    for (name, col) in [
        ("id", id),
        ("occurred_at", occurred_at),
        ("category", category),
    ] {
        if col.is_none() {
            missing.push(name);
        }
    }
    if x.is_none() {
        missing.push("lat,lon (or easting,northing)");
    }
    if let (Some(id), Some(occurred_at), Some(category), Some(x), Some(y)) =
        (id, occurred_at, category, x, y)
    {
        return Ok(Columns {
            id,
            occurred_at,
            category,
            x,
            y,
            crs,
            occurred_to: find("occurred_to"),
            partner: find("partner"),
            description: find("description"),
        });
    }
    let mut msg = format!(
        "the header lacks the column(s) {}; found {}. Required: id, occurred_at, category, and lat,lon or easting,northing",
        missing.join(", "),
        names
            .iter()
            .map(|n| format!("{:?}", super::shorten(n)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if names.len() == 1 {
        msg.push_str(&format!(
            ". The header has a single column: is the delimiter {:?}? lagesbild reads ',' or ';'",
            delimiter as char
        ));
    }
    Err(IngestError::Header(msg))
}

/// Picks `;` when the header has more semicolons than commas outside quotes, else `,`.
fn sniff_delimiter(header: &[u8]) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0usize, 0usize, false);
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas { b';' } else { b',' }
}

/// Reads up to and including the first newline, at most [`MAX_RECORD_BYTES`].
fn read_first_line<R: BufRead>(r: &mut R) -> Result<Vec<u8>, IngestError> {
    let mut line = Vec::new();
    let n = r
        .take(MAX_RECORD_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(IngestError::Empty);
    }
    if !line.ends_with(b"\n") && n == MAX_RECORD_BYTES {
        return Err(IngestError::RecordTooLong {
            pos: RowPos {
                row: 0,
                line: Some(1),
            },
            limit: MAX_RECORD_BYTES,
        });
    }
    Ok(line)
}

const GUARD_MESSAGE: &str = "record exceeds the size limit";

/// Fails the read once one record (outside quotes, up to a newline) exceeds `limit` bytes.
/// Quote tracking treats `""` inside a quoted field as two toggles, which is exact for CSV.
struct RecordGuard<R> {
    inner: R,
    in_quotes: bool,
    since_record: usize,
    limit: usize,
    /// Newlines read so far.
    lines: u64,
    /// The 1-based line where the record being read starts.
    record_line: u64,
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        for &b in &out[..n] {
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' {
                self.lines += 1;
                if !self.in_quotes {
                    self.since_record = 0;
                    self.record_line = self.lines + 1;
                    continue;
                }
            }
            self.since_record += 1;
            if self.since_record > self.limit {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    GUARD_MESSAGE,
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
