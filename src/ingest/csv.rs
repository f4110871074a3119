//! The CSV incident reader: streamed, `,` or `;` delimited, UTF-8 with or without BOM, or
//! Windows-1252/Latin-1 when asked (`--encoding latin1`).
//!
//! The delimiter is sniffed from the header line; columns are found by our names, the
//! recognised Swedish and English ones, or an import profile (see [`super::profile`]).
//! UTF-16 and (unasked) Latin-1 files are refused at the start with the fix named. Memory stays bounded whatever the file
//! size: records are read one at a time and a [`RecordGuard`] stops any single record from
//! growing past [`MAX_RECORD_BYTES`] (an unclosed quote would otherwise swallow the file).

use std::io::{BufRead, BufReader, Cursor, Read};

use super::profile::{ColumnMap, Decimal, Encoding, MappedColumn, TimeColumns, resolve};
use super::{IngestError, RawRow, Rejection, RowOutcome, RowPos, RowRules, parse_number};
use crate::model::Crs;

/// The largest accepted record (one incident row), in bytes.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// How the coordinate columns are read.
#[derive(Debug, Clone, Copy)]
enum Xy {
    /// One CRS for the file: these columns are (lon, lat) or (easting, northing).
    Fixed(usize, usize, Crs),
    /// Columns named X and Y: degrees are (lon, lat); metres are SWEREF 99 TM with the
    /// larger value the northing (Swedish surveyors write X for north, GIS tools for east).
    BySize(usize, usize),
}

/// Column indexes found in the header.
struct Columns {
    id: usize,
    occurred_at: TimeColumns,
    category: usize,
    xy: Xy,
    occurred_to: Option<TimeColumns>,
    partner: Option<usize>,
    description: Option<usize>,
}

/// How to read a CSV file beyond what the header says: a profile's mapping and formats.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The profile's name and column mapping, if one is used.
    pub map: Option<(String, ColumnMap)>,
    /// The decimal mark of coordinates.
    pub decimal: Decimal,
    /// The file's encoding.
    pub encoding: Encoding,
}

/// What the header told us, for the ingest summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvLayout {
    /// `,` or `;`.
    pub delimiter: char,
    /// Columns present but not used.
    pub ignored_columns: Vec<String>,
    /// Which column feeds which field, and how that was decided.
    pub mapping: Vec<MappedColumn>,
}

/// How many bytes at the start of the file are checked for the encoding.
const SNIFF_BYTES: usize = 1 << 16;

/// Reads a CSV incident file. Returns the layout and an iterator over data rows; the
/// iterator yields an [`IngestError`] and stops when the rest of the file cannot be read.
pub fn read_csv<R: Read + Send>(
    input: R,
    rules: RowRules,
    opts: &CsvOptions,
) -> Result<
    (
        CsvLayout,
        impl Iterator<Item = Result<RowOutcome, IngestError>> + Send + use<R>,
    ),
    IngestError,
> {
    let mut raw = BufReader::with_capacity(SNIFF_BYTES, input);
    let start = raw.fill_buf()?;
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) || looks_utf16(start) {
        return Err(IngestError::Utf16);
    }
    if opts.encoding == Encoding::Utf8 && looks_latin1(start) {
        return Err(IngestError::Latin1);
    }
    let input = match opts.encoding {
        Encoding::Utf8 => Decoded::Utf8(raw),
        Encoding::Latin1 => Decoded::Latin1(Latin1Reader::new(raw)),
    };
    let mut buf = BufReader::with_capacity(1 << 16, input);
    let first = read_first_line(&mut buf)?;
    let mut head: &[u8] = &first;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        head = &head[3..];
    }
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty);
    }
    let delimiter = sniff_delimiter(head);
    let head = head.to_vec();
    let header_len = head.len();
    let stream = Cursor::new(head).chain(buf);
    let guard = RecordGuard::new(stream, MAX_RECORD_BYTES.max(header_len + 1));
    // Records end at `\n` only: with CRLF as a terminator the reader would start each
    // record at the `\n` of the previous one and number it a line too early. The `\r`
    // left at the end of the last field is trimmed with the other whitespace.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(true)
        .flexible(true)
        .from_reader(guard);
    let headers = reader
        .byte_headers()
        .map_err(|e| IngestError::Header(format!("cannot read the header row: {e}")))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let (columns, mapping) = find_columns(&names, delimiter, rules.crs, opts)?;
    let used = columns.used();
    let ignored_columns = names
        .iter()
        .enumerate()
        .filter(|(i, n)| !used.contains(i) && !n.is_empty())
        .map(|(_, n)| n.clone())
        .collect();
    let layout = CsvLayout {
        delimiter: delimiter as char,
        ignored_columns,
        mapping,
    };
    let decimal = opts.decimal;
    let latin1 = opts.encoding == Encoding::Latin1;
    let mut record = csv::ByteRecord::new();
    let mut row: u64 = 0;
    let mut done = false;
    let iter = std::iter::from_fn(move || {
        loop {
            if done {
                return None;
            }
            match reader.read_byte_record(&mut record) {
                Ok(false) => {
                    done = true;
                    return None;
                }
                // A line holding only `\r` (a blank CRLF line) is no record.
                Ok(true) if record.len() == 1 && record[0].trim_ascii().is_empty() => continue,
                Ok(true) => {
                    row += 1;
                    let pos = RowPos {
                        row,
                        line: record.position().map(|p| p.line()),
                    };
                    let ctx = RowContext {
                        columns: &columns,
                        rules: &rules,
                        decimal,
                        latin1,
                    };
                    return Some(Ok(read_row(&record, pos, &ctx)));
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
                    return Some(Err(if too_long {
                        IngestError::RecordTooLong {
                            pos,
                            limit: MAX_RECORD_BYTES,
                        }
                    } else {
                        IngestError::Csv {
                            pos,
                            reason: e.to_string(),
                        }
                    }));
                }
            }
        }
    });
    Ok((layout, iter))
}

impl Columns {
    fn used(&self) -> Vec<usize> {
        let mut v = vec![self.id, self.category];
        match self.xy {
            Xy::Fixed(x, y, _) | Xy::BySize(x, y) => v.extend([x, y]),
        }
        for t in [Some(self.occurred_at), self.occurred_to]
            .into_iter()
            .flatten()
        {
            match t {
                TimeColumns::One(i) => v.push(i),
                TimeColumns::DateAndClock(d, c) => v.extend([d, c]),
            }
        }
        v.extend(self.partner);
        v.extend(self.description);
        v
    }
}

struct RowContext<'a> {
    columns: &'a Columns,
    rules: &'a RowRules,
    decimal: Decimal,
    latin1: bool,
}

fn read_row(record: &csv::ByteRecord, pos: RowPos, ctx: &RowContext<'_>) -> RowOutcome {
    let reject = |field: &str, value: Option<&str>, reason: String| RowOutcome {
        pos,
        result: Err(Rejection::new(pos, Some(field), value, reason)),
    };
    let text = |idx: usize, name: &str| -> Result<Option<&str>, Box<RowOutcome>> {
        let Some(bytes) = record.get(idx) else {
            return Ok(None);
        };
        std::str::from_utf8(bytes).map(Some).map_err(|_| {
            let hint = if ctx.latin1 {
                ""
            } else {
                "; if the file comes from Excel it is probably Latin-1: ingest it with --encoding latin1 (API: encoding=latin1), or save it as \"CSV UTF-8\""
            };
            Box::new(reject(
                name,
                Some(&String::from_utf8_lossy(bytes)),
                format!("is not valid UTF-8{hint}"),
            ))
        })
    };
    macro_rules! field {
        ($idx:expr, $name:expr) => {
            match text($idx, $name) {
                Ok(t) => t,
                Err(o) => return *o,
            }
        };
    }
    let c = ctx.columns;
    let id = field!(c.id, "id");
    let category = field!(c.category, "category");
    let partner = match c.partner {
        Some(i) => field!(i, "partner"),
        None => None,
    };
    let description = match c.description {
        Some(i) => field!(i, "description"),
        None => None,
    };
    let mut times: [Option<std::borrow::Cow<'_, str>>; 2] = [None, None];
    for (slot, (cols, name)) in times.iter_mut().zip([
        (Some(c.occurred_at), "occurred_at"),
        (c.occurred_to, "occurred_to"),
    ]) {
        match cols {
            None => {}
            Some(TimeColumns::One(i)) => *slot = field!(i, name).map(Into::into),
            Some(TimeColumns::DateAndClock(d, k)) => {
                let date = field!(d, name).unwrap_or("");
                let clock = field!(k, name).unwrap_or("");
                if name == "occurred_to" && date.trim().is_empty() && clock.trim().is_empty() {
                    continue;
                }
                match super::time::join_date_clock(date, clock, ctx.rules.date_format.as_deref()) {
                    Ok(t) => *slot = Some(t.into()),
                    Err(e) => {
                        return reject(name, Some(&format!("{} {}", date.trim(), clock.trim())), e);
                    }
                }
            }
        }
    }
    let (x_idx, y_idx, names) = match c.xy {
        Xy::Fixed(x, y, crs) => (x, y, super::axis_names(crs)),
        Xy::BySize(x, y) => (x, y, ("x", "y")),
    };
    let mut xy = [0.0; 2];
    for (i, (idx, name)) in [(x_idx, names.0), (y_idx, names.1)].into_iter().enumerate() {
        let t = field!(idx, name).unwrap_or("").trim();
        if t.is_empty() {
            return reject(name, None, "is missing".into());
        }
        match parse_number(t, ctx.decimal) {
            Some(v) => xy[i] = v,
            None => return reject(name, Some(t), "is not a number".into()),
        }
    }
    let (xy, crs) = match c.xy {
        Xy::Fixed(_, _, crs) => ((xy[0], xy[1]), crs),
        Xy::BySize(..) => {
            let [x, y] = xy;
            if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) {
                ((x, y), Crs::Wgs84)
            } else {
                ((x.min(y), x.max(y)), Crs::Sweref99Tm)
            }
        }
    };
    let [occurred_at, occurred_to] = &times;
    let raw = RawRow {
        id,
        occurred_at: occurred_at.as_deref(),
        occurred_to: occurred_to.as_deref(),
        category,
        partner,
        description,
    };
    RowOutcome {
        pos,
        result: ctx.rules.validate(pos, &raw, xy, crs),
    }
}

fn find_columns(
    names: &[String],
    delimiter: u8,
    forced: Option<Crs>,
    opts: &CsvOptions,
) -> Result<(Columns, Vec<MappedColumn>), IngestError> {
    let r = resolve(names, opts.map.as_ref().map(|(n, m)| (n.as_str(), m)))
        .map_err(IngestError::Header)?;
    let lonlat = r.lon.zip(r.lat);
    let en = r.easting.zip(r.northing);
    let xy = match (lonlat, en, forced) {
        (Some((x, y)), _, None | Some(Crs::Wgs84)) => Some(Xy::Fixed(x, y, Crs::Wgs84)),
        (_, Some((x, y)), None) if r.xy_by_size => Some(Xy::BySize(x, y)),
        (_, Some((x, y)), None | Some(Crs::Sweref99Tm)) => Some(Xy::Fixed(x, y, Crs::Sweref99Tm)),
        (Some(_), _, Some(Crs::Sweref99Tm)) => {
            return Err(IngestError::Options(
                "--crs EPSG:3006 was given but the file has lat/lon columns; SWEREF 99 TM coordinates go in easting,northing columns"
                    .into(),
            ));
        }
        (_, Some(_), Some(Crs::Wgs84)) => {
            return Err(IngestError::Options(
                "--crs EPSG:4326 was given but the file has easting/northing columns; WGS 84 coordinates go in lat,lon columns"
                    .into(),
            ));
        }
        _ => None,
    };
    // Only the coordinate pair actually read is reported.
    let coord_fields: &[&str] = match xy {
        Some(Xy::Fixed(_, _, Crs::Wgs84)) => &["lat", "lon"],
        Some(_) => &["easting", "northing"],
        None => &[],
    };
    let mapping: Vec<MappedColumn> = r
        .mapping
        .iter()
        .filter(|m| {
            !matches!(m.field, "lat" | "lon" | "easting" | "northing")
                || coord_fields.contains(&m.field)
        })
        .filter(|m| m.field != "address")
        .cloned()
        .collect();
    let mut missing = Vec::new();
    if r.id.is_none() {
        missing.push("id");
    }
    if r.occurred_at.is_none() {
        missing.push("occurred_at");
    }
    if r.category.is_none() {
        missing.push("category");
    }
    if xy.is_none() {
        missing.push("lat,lon (or easting,northing)");
    }
    if let (Some(id), Some(occurred_at), Some(category), Some(xy)) =
        (r.id, r.occurred_at, r.category, xy)
    {
        return Ok((
            Columns {
                id,
                occurred_at,
                category,
                xy,
                occurred_to: r.occurred_to,
                partner: r.partner,
                description: r.description,
            },
            mapping,
        ));
    }
    let mut msg = format!(
        "the header lacks the column(s) {}; found {}. Required: id, occurred_at, category, and lat,lon or easting,northing (Swedish names such as Händelsenummer, Tidpunkt, Brottstyp, Latitud, Longitud are recognised; for other names make an import profile: `lagesbild profile add NAME --partner P --map \"id=...,occurred_at=...\"`) / rubrikraden saknar kolumnen/kolumnerna {}",
        missing.join(", "),
        names
            .iter()
            .map(|n| format!("{:?}", super::shorten(n)))
            .collect::<Vec<_>>()
            .join(", "),
        missing.join(", "),
    );
    if names.len() == 1 {
        msg.push_str(&format!(
            ". The header has a single column: is the delimiter {:?}? lagesbild reads ',' or ';'",
            delimiter as char
        ));
    }
    Err(IngestError::Header(msg))
}

/// True when the bytes look like UTF-16 without a byte-order mark: many NUL bytes, as
/// ASCII text in UTF-16 has one in every other byte.
fn looks_utf16(start: &[u8]) -> bool {
    let sample = &start[..start.len().min(512)];
    sample.len() >= 4 && sample.iter().filter(|&&b| b == 0).count() * 4 >= sample.len()
}

/// True when the bytes are not UTF-8 (a multi-byte character cut off at the end of the
/// sample aside): text from Excel's "CSV (semikolonavgränsad)" is Windows-1252.
fn looks_latin1(start: &[u8]) -> bool {
    match std::str::from_utf8(start) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    }
}

/// Windows-1252's characters at 0x80-0x9F (where ISO 8859-1 has control codes); the
/// undefined five map to U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

/// The input as UTF-8.
enum Decoded<R> {
    Utf8(R),
    Latin1(Latin1Reader<R>),
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Decoded::Utf8(r) => r.read(out),
            Decoded::Latin1(r) => r.read(out),
        }
    }
}

/// Transcodes Windows-1252 (a superset of printable ISO 8859-1) to UTF-8 as it streams.
struct Latin1Reader<R> {
    inner: R,
    pending: Vec<u8>,
}

impl<R> Latin1Reader<R> {
    fn new(inner: R) -> Latin1Reader<R> {
        Latin1Reader {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<R: Read> Read for Latin1Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            let mut raw = [0u8; 8192];
            let n = self
                .inner
                .read(&mut raw[..(out.len() / 3).clamp(1, 8192)])?;
            if n == 0 {
                return Ok(0);
            }
            let mut utf8 = [0u8; 4];
            for &b in &raw[..n] {
                let c = match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    _ => char::from(b),
                };
                self.pending
                    .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
            self.pending.reverse();
        }
        let mut n = 0;
        while n < out.len() {
            let Some(b) = self.pending.pop() else { break };
            out[n] = b;
            n += 1;
        }
        Ok(n)
    }
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
///
/// It also turns each blank line into a line holding one space: the CSV reader would skip
/// a blank line but number the next record from where the blank line began, a line too
/// early; a one-space record is skipped by [`read_csv`] instead, with the numbering intact.
struct RecordGuard<R> {
    inner: R,
    in_quotes: bool,
    since_record: usize,
    limit: usize,
    /// Newlines read so far.
    lines: u64,
    /// The 1-based line where the record being read starts.
    record_line: u64,
    /// Bytes read from `inner` and checked, not yet handed out.
    pending: std::collections::VecDeque<u8>,
    scratch: Vec<u8>,
}

impl<R> RecordGuard<R> {
    fn new(inner: R, limit: usize) -> RecordGuard<R> {
        RecordGuard {
            inner,
            in_quotes: false,
            since_record: 0,
            limit,
            lines: 0,
            record_line: 1,
            pending: std::collections::VecDeque::new(),
            scratch: vec![0; 1 << 16],
        }
    }
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            let n = self.inner.read(&mut self.scratch)?;
            for &b in &self.scratch[..n] {
                if b == b'"' {
                    self.in_quotes = !self.in_quotes;
                } else if b == b'\n' {
                    self.lines += 1;
                    if !self.in_quotes {
                        if self.since_record == 0 {
                            self.pending.push_back(b' ');
                        }
                        self.pending.push_back(b);
                        self.since_record = 0;
                        self.record_line = self.lines + 1;
                        continue;
                    }
                }
                self.pending.push_back(b);
                self.since_record += 1;
                if self.since_record > self.limit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        GUARD_MESSAGE,
                    ));
                }
            }
        }
        let n = out.len().min(self.pending.len());
        for (slot, b) in out.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
