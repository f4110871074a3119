//! Import profiles and header recognition: how a partner's own export maps to our fields.
//!
//! A police export says `Händelsenummer;Tidpunkt;Brottstyp;X;Y`, a housing company's
//! `Ärendenummer;Datum;Klockslag;Avvikelsetyp;Adress`. Without a profile, the CSV reader
//! recognises the common Swedish and English header names listed in [`FIELDS`] (the list is
//! documented in `docs/input-format.md`); a stored [`ImportProfile`] names the columns
//! explicitly and adds the formats (date format, decimal mark, CRS, encoding). Fields a
//! profile leaves out are still recognised automatically. Storing profiles is `store`'s
//! business; this module only parses, validates and resolves them against a header.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Crs;

/// A field of ours that a column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The partner's own id.
    Id,
    /// When it happened (one column, or a date column + a time-of-day column).
    OccurredAt,
    /// End of a time span.
    OccurredTo,
    /// Category code or label.
    Category,
    /// Partner code (else `--partner`).
    Partner,
    /// WGS 84 latitude.
    Lat,
    /// WGS 84 longitude.
    Lon,
    /// SWEREF 99 TM easting.
    Easting,
    /// SWEREF 99 TM northing.
    Northing,
    /// Street address (located against the address register).
    Address,
    /// Free text.
    Description,
}

/// Every field with the header names recognised for it, most specific first. Names are
/// compared after [`normalise`] (lower case, å/ä → a, ö → o, é → e, only letters and
/// digits kept), so `Händelse-nummer`, `HANDELSENUMMER` and `händelsenummer` are one name.
pub const FIELDS: &[(Field, &[&str])] = &[
    (
        Field::Id,
        &[
            "id",
            "händelsenummer",
            "ärendenummer",
            "anmälningsnummer",
            "diarienummer",
            "ärendeid",
            "händelseid",
            "incidentid",
            "caseid",
            "casenumber",
            "reference",
            "löpnummer",
        ],
    ),
    (
        Field::OccurredAt,
        &[
            "occurred_at",
            "tidpunkt",
            "händelsetidpunkt",
            "brottstidpunkt",
            "händelsetid",
            "brottstid",
            "datumtid",
            "datetime",
            "timestamp",
            "occurred",
        ],
    ),
    (
        Field::OccurredTo,
        &[
            "occurred_to",
            "tidpunkttill",
            "tidpunktslut",
            "sluttid",
            "sluttidpunkt",
            "tilltidpunkt",
            "endedat",
            "endtime",
        ],
    ),
    (
        Field::Category,
        &[
            "category",
            "brottstyp",
            "brottsrubricering",
            "avvikelsetyp",
            "händelsetyp",
            "kategori",
            "brottskod",
            "avvikelsekod",
            "typ",
            "type",
            "offence",
            "crimetype",
        ],
    ),
    (Field::Partner, &["partner", "partnerkod"]),
    (Field::Lat, &["lat", "latitud", "latitude", "breddgrad"]),
    (
        Field::Lon,
        &["lon", "lng", "long", "longitud", "longitude", "längdgrad"],
    ),
    (
        Field::Easting,
        &["easting", "e", "östkoordinat", "ost", "öst", "x"],
    ),
    (
        Field::Northing,
        &["northing", "n", "nordkoordinat", "nord", "y"],
    ),
    (
        Field::Address,
        &[
            "address",
            "adress",
            "gatuadress",
            "brottsplatsadress",
            "händelseadress",
            "plats",
        ],
    ),
    (
        Field::Description,
        &[
            "description",
            "beskrivning",
            "händelsebeskrivning",
            "fritext",
            "kommentar",
            "rubrik",
            "notes",
        ],
    ),
];

/// Header names recognised as the date part of `Datum` + `Klockslag`.
pub const DATE_NAMES: &[&str] = &["datum", "date", "händelsedatum", "brottsdatum"];
/// Header names recognised as the time-of-day part of `Datum` + `Klockslag`.
pub const CLOCK_NAMES: &[&str] = &["klockslag", "kl", "klocka", "tid", "time", "tidpunkt"];

impl Field {
    /// Our name of the field (`occurred_at`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::OccurredAt => "occurred_at",
            Field::OccurredTo => "occurred_to",
            Field::Category => "category",
            Field::Partner => "partner",
            Field::Lat => "lat",
            Field::Lon => "lon",
            Field::Easting => "easting",
            Field::Northing => "northing",
            Field::Address => "address",
            Field::Description => "description",
        }
    }

    /// Parses our name of a field.
    pub fn parse(s: &str) -> Option<Field> {
        FIELDS
            .iter()
            .map(|(f, _)| *f)
            .find(|f| f.name() == s.trim().to_ascii_lowercase())
    }

    fn all_names() -> String {
        FIELDS
            .iter()
            .map(|(f, _)| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Folds a header name for comparison: lower case, å/ä/á/à → a, ö/ø → o, é/è → e, ü → u,
/// and only letters and digits kept (`Händelse-nummer ` → `handelsenummer`).
pub fn normalise(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => Some('a'),
            'ö' | 'ø' | 'ó' | 'ô' => Some('o'),
            'é' | 'è' | 'ê' => Some('e'),
            'ü' | 'ú' => Some('u'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The decimal mark of coordinate columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decimal {
    /// `59.2` or `59,2`, whichever the value has (a space as thousands separator is allowed).
    #[default]
    Auto,
    /// `6 568 123,45` or `6.568.123,45`: `,` is the decimal mark, `.` and spaces group digits.
    Comma,
    /// `59.2`: `.` is the decimal mark, `,` and spaces group digits.
    Point,
}

impl Decimal {
    /// Parses `auto`, `comma` or `point`.
    pub fn parse(s: &str) -> Option<Decimal> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Decimal::Auto),
            "comma" | "," | "komma" => Some(Decimal::Comma),
            "point" | "." | "punkt" => Some(Decimal::Point),
            _ => None,
        }
    }
}

/// The character encoding of a CSV file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    /// ISO 8859-1 as Windows writes it (Windows-1252): Excel's "CSV (semikolonavgränsad)".
    Latin1,
}

impl Encoding {
    /// Parses `utf8`/`utf-8` or `latin1`/`latin-1`/`iso-8859-1`/`windows-1252`/`cp1252`.
    pub fn parse(s: &str) -> Option<Encoding> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "utf8" => Some(Encoding::Utf8),
            "latin1" | "iso88591" | "windows1252" | "cp1252" => Some(Encoding::Latin1),
            _ => None,
        }
    }
}

/// Which file columns feed which fields: `id=Händelsenummer,occurred_at=Datum+Klockslag`.
/// `occurred_at` and `occurred_to` may name a date column and a time-of-day column joined
/// by `+` (a column whose own name holds `+` is matched whole first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    entries: Vec<(Field, String)>,
}

impl ColumnMap {
    /// Parses `field=Column,field=Column`. Refuses unknown fields, empty column names and a
    /// field mapped twice; the error names the entry and the fix.
    pub fn parse(text: &str) -> Result<ColumnMap, String> {
        let mut entries: Vec<(Field, String)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((field, column)) = part.split_once('=') else {
                return Err(format!(
                    "{part:?} is not field=Column (e.g. id=Händelsenummer) / {part:?} är inte fält=Kolumn"
                ));
            };
            let field_name = field.trim();
            let field = Field::parse(field_name).ok_or_else(|| {
                format!(
                    "{field_name:?} is not a field; fields are {} / {field_name:?} är inget fält",
                    Field::all_names()
                )
            })?;
            let column = column.trim();
            if column.is_empty() {
                return Err(format!(
                    "{} is mapped to an empty column name / {} saknar kolumnnamn",
                    field.name(),
                    field.name()
                ));
            }
            if let Some((_, first)) = entries.iter().find(|(f, _)| *f == field) {
                return Err(format!(
                    "{} is mapped twice, to {first:?} and to {column:?}; map each field to one column (a date and a time go together as {}=Datum+Klockslag) / {} är mappat två gånger",
                    field.name(),
                    field.name(),
                    field.name()
                ));
            }
            entries.push((field, column.to_owned()));
        }
        if entries.is_empty() {
            return Err("the mapping is empty: give field=Column pairs such as id=Händelsenummer,occurred_at=Tidpunkt / mappningen är tom".into());
        }
        Ok(ColumnMap { entries })
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[(Field, String)] {
        &self.entries
    }

    /// The column named for a field.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.entries
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| c.as_str())
    }
}

impl fmt::Display for ColumnMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|(field, col)| format!("{}={col}", field.name()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Serialize for ColumnMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ColumnMap::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Longest profile name.
pub const MAX_PROFILE_NAME: usize = 64;

/// A partner's import profile: its columns and formats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProfile {
    /// Name: lower-case letters, digits, `-` and `_` (`polisen-veckoexport`).
    pub name: String,
    /// The partner whose files it reads; rows are filed for it.
    pub partner: String,
    /// Column mapping; fields left out are recognised from the header as without a profile.
    pub map: ColumnMap,
    /// A chrono/strftime format for times (`%d/%m/%Y %H:%M`), or for the date column when
    /// `occurred_at` is `Datum+Klockslag` (`%d/%m/%Y`). Without it: ISO dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// The decimal mark of coordinates.
    #[serde(default)]
    pub decimal: Decimal,
    /// The CRS of the coordinates (else inferred from the columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<Crs>,
    /// The file's encoding.
    #[serde(default)]
    pub encoding: Encoding,
}

impl ImportProfile {
    /// Checks the name and the date format; the error says what to change.
    pub fn validate(&self) -> Result<(), String> {
        let n = &self.name;
        if n.is_empty()
            || n.len() > MAX_PROFILE_NAME
            || !n
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(format!(
                "profile name {:?} must be 1-{MAX_PROFILE_NAME} lower-case letters a-z, digits, '-' or '_' / profilnamnet måste vara 1-{MAX_PROFILE_NAME} gemena bokstäver a-z, siffror, '-' eller '_'",
                super::shorten(n)
            ));
        }
        if let Some(fmt) = &self.date_format {
            check_date_format(fmt)?;
        }
        Ok(())
    }
}

/// Refuses a date format chrono cannot use, or one without a year, month and day.
pub fn check_date_format(fmt: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "date format {fmt:?} is not a valid strftime format (e.g. %d/%m/%Y %H:%M) / datumformatet är ogiltigt"
        ));
    }
    let has = |s: &str| fmt.contains(s);
    if !(has("%Y") || has("%y") || has("%F") || has("%D"))
        || !(has("%m") || has("%b") || has("%B") || has("%F") || has("%D"))
        || !(has("%d") || has("%e") || has("%F") || has("%D"))
    {
        return Err(format!(
            "date format {fmt:?} lacks a year, month or day (%Y, %m, %d) / datumformatet saknar år, månad eller dag"
        ));
    }
    Ok(())
}

/// Where one of our fields is read from, for the ingest report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappedColumn {
    /// Our field.
    pub field: &'static str,
    /// The file's column(s), as written in the header (`Datum+Klockslag` for two).
    pub column: String,
    /// `exact` (our own name), `recognised` (a known alias) or `profile`.
    pub how: &'static str,
}

/// A time field's source: one column, or a date column and a time-of-day column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeColumns {
    One(usize),
    DateAndClock(usize, usize),
}

/// The header resolved to column indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub id: Option<usize>,
    pub occurred_at: Option<TimeColumns>,
    pub occurred_to: Option<TimeColumns>,
    pub category: Option<usize>,
    pub partner: Option<usize>,
    pub lat: Option<usize>,
    pub lon: Option<usize>,
    pub easting: Option<usize>,
    pub northing: Option<usize>,
    /// Easting/northing came from columns named X/Y, whose order differs between Swedish
    /// convention (X = north) and GIS tools (X = east): the larger value is the northing.
    pub xy_by_size: bool,
    pub address: Option<usize>,
    pub description: Option<usize>,
    pub mapping: Vec<MappedColumn>,
}

impl Resolved {
    fn set(&mut self, field: Field, cols: TimeColumns) {
        let one = |c: TimeColumns| match c {
            TimeColumns::One(i) => Some(i),
            TimeColumns::DateAndClock(..) => None,
        };
        match field {
            Field::OccurredAt => self.occurred_at = Some(cols),
            Field::OccurredTo => self.occurred_to = Some(cols),
            Field::Id => self.id = one(cols),
            Field::Category => self.category = one(cols),
            Field::Partner => self.partner = one(cols),
            Field::Lat => self.lat = one(cols),
            Field::Lon => self.lon = one(cols),
            Field::Easting => self.easting = one(cols),
            Field::Northing => self.northing = one(cols),
            Field::Address => self.address = one(cols),
            Field::Description => self.description = one(cols),
        }
    }
}

/// Resolves a header (`names` as written) to our fields: first the profile's entries
/// (`profile`, a missing column is an error naming it), then exact and recognised names for
/// the rest. `profile_name` is only for messages.
pub(crate) fn resolve(
    names: &[String],
    map: Option<(&str, &ColumnMap)>,
) -> Result<Resolved, String> {
    let folded: Vec<String> = names.iter().map(|n| normalise(n)).collect();
    let mut r = Resolved::default();
    let mut taken = vec![false; names.len()];
    let find_exact = |want: &str, taken: &[bool]| {
        let exact = names.iter().position(|n| n.trim() == want);
        exact.or_else(|| {
            let w = normalise(want);
            folded
                .iter()
                .enumerate()
                .position(|(i, f)| *f == w && !taken[i])
        })
    };
    if let Some((profile, map)) = map {
        for (field, column) in map.entries() {
            let lacks = |col: &str| {
                format!(
                    "profile {profile:?} maps {} to the column {col:?}, which this file lacks; its columns are {}. Fix the profile with `lagesbild profile add {profile} ... --map \"{}={}\"` / profilen {profile:?} mappar {} till kolumnen {col:?}, som filen saknar",
                    field.name(),
                    quoted_list(names),
                    field.name(),
                    names.first().map_or("Kolumn", String::as_str),
                    field.name()
                )
            };
            let time = matches!(field, Field::OccurredAt | Field::OccurredTo);
            let cols = match find_exact(column, &taken) {
                Some(i) => TimeColumns::One(i),
                None if time && column.contains('+') => {
                    let (d, c) = column.split_once('+').unwrap_or((column, ""));
                    let d = find_exact(d.trim(), &taken).ok_or_else(|| lacks(d.trim()))?;
                    let c = find_exact(c.trim(), &taken).ok_or_else(|| lacks(c.trim()))?;
                    TimeColumns::DateAndClock(d, c)
                }
                None => return Err(lacks(column)),
            };
            match cols {
                TimeColumns::One(i) => taken[i] = true,
                TimeColumns::DateAndClock(d, c) => {
                    taken[d] = true;
                    taken[c] = true;
                }
            }
            r.mapping.push(MappedColumn {
                field: field.name(),
                column: describe(names, cols),
                how: "profile",
            });
            r.set(*field, cols);
        }
    }
    let by_profile = |f: Field| map.is_some_and(|(_, m)| m.get(f).is_some());
    // Recognition, field by field in the order of FIELDS, each alias in order.
    for (field, aliases) in FIELDS {
        if by_profile(*field) {
            continue;
        }
        let mut found = None;
        for (rank, alias) in aliases.iter().enumerate() {
            let a = normalise(alias);
            if let Some(i) = (0..names.len()).find(|&i| !taken[i] && folded[i] == a) {
                found = Some((i, rank == 0 && names[i].trim().eq_ignore_ascii_case(alias)));
                break;
            }
        }
        let Some((i, exact)) = found else { continue };
        // `tidpunkt` next to a `datum` column is a time of day; leave it for the pair below.
        if *field == Field::OccurredAt
            && CLOCK_NAMES.contains(&folded[i].as_str())
            && (0..names.len())
                .any(|j| !taken[j] && DATE_NAMES.iter().any(|d| normalise(d) == folded[j]))
        {
            continue;
        }
        taken[i] = true;
        if matches!(*field, Field::Easting | Field::Northing)
            && matches!(folded[i].as_str(), "x" | "y")
        {
            r.xy_by_size = true;
        }
        r.mapping.push(MappedColumn {
            field: field.name(),
            column: names[i].trim().to_owned(),
            how: if exact { "exact" } else { "recognised" },
        });
        r.set(*field, TimeColumns::One(i));
    }
    if r.occurred_at.is_none() && !by_profile(Field::OccurredAt) {
        let pick = |list: &[&str], taken: &[bool]| {
            list.iter().find_map(|n| {
                let n = normalise(n);
                (0..names.len()).find(|&i| !taken[i] && folded[i] == n)
            })
        };
        if let Some(d) = pick(DATE_NAMES, &taken) {
            taken[d] = true;
            let cols = match pick(CLOCK_NAMES, &taken) {
                Some(c) => {
                    taken[c] = true;
                    TimeColumns::DateAndClock(d, c)
                }
                // A date alone: read as it is (and refused with "has a date but no time").
                None => TimeColumns::One(d),
            };
            r.mapping.push(MappedColumn {
                field: "occurred_at",
                column: describe(names, cols),
                how: "recognised",
            });
            r.occurred_at = Some(cols);
        }
    }
    // X/Y only count as easting/northing as a pair.
    if r.xy_by_size && (r.easting.is_none() || r.northing.is_none()) {
        r.xy_by_size = false;
    }
    r.mapping.sort_by_key(|m| {
        FIELDS
            .iter()
            .position(|(f, _)| f.name() == m.field)
            .unwrap_or(usize::MAX)
    });
    Ok(r)
}

fn describe(names: &[String], cols: TimeColumns) -> String {
    match cols {
        TimeColumns::One(i) => names[i].trim().to_owned(),
        TimeColumns::DateAndClock(d, c) => format!("{}+{}", names[d].trim(), names[c].trim()),
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{:?}", super::shorten(n.trim())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line for the report: `columns read: id ← Händelsenummer (recognised), ...`.
pub fn mapping_summary(mapping: &[MappedColumn]) -> String {
    let parts: Vec<String> = mapping
        .iter()
        .map(|m| format!("{} ← {} ({})", m.field, m.column, m.how))
        .collect();
    format!("columns read / kolumner som lästes: {}", parts.join(", "))
}

/// A value shortened for messages (80 characters).
pub fn shorten_for(s: &str) -> String {
    super::shorten(s)
}

/// Longest accepted mapped value (a partner's code or label).
pub const MAX_MAPPED_VALUE_CHARS: usize = 200;

/// Parses `Value=code` pairs (`Bedrägeri=fraud`; the last `=` splits, so a value may hold
/// one). The error names the pair.
pub fn parse_mapping_pairs(pairs: &[String]) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|p| {
            let (v, c) = p.rsplit_once('=').ok_or_else(|| {
                format!(
                    "{:?} is not Value=code (e.g. \"Bedrägeri=fraud\") / {:?} är inte Värde=kod",
                    super::shorten(p),
                    super::shorten(p)
                )
            })?;
            Ok((v.trim().to_owned(), c.trim().to_owned()))
        })
        .collect()
}

/// Reads a mapping file: CSV with the partner's value and our code per row, `;` or `,`
/// separated, UTF-8, optionally with a header row (`value;category`, `värde;kategori`).
/// The error names the line.
pub fn read_mapping_file(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).map_err(
        |_| {
            "the mapping file is not UTF-8; save it as \"CSV UTF-8\" / mappningsfilen är inte UTF-8"
                .to_owned()
        },
    )?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 1;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let cells: Vec<&str> = rec.iter().map(str::trim).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let [value, code] = cells[..] else {
            return Err(format!(
                "line {line}: expected two columns, the partner's value and our category code (Bedrägeri;fraud), found {} / rad {line}: två kolumner väntades",
                cells.len()
            ));
        };
        if line == 1
            && matches!(
                normalise(code).as_str(),
                "category" | "kategori" | "code" | "kod"
            )
        {
            continue;
        }
        out.push((value.to_owned(), code.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
