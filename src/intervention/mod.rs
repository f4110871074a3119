//! Interventions (*insatser*): what the partnership did, where and when — the vocabulary
//! and the checks that need no database.
//!
//! An [`Intervention`] has a [`InterventionKind`] (patrol, guards, lighting, camera,
//! clean-up, dialogue), a responsible [`Partner`], an [`InterventionTarget`] (an area of a
//! stored layer, a set of H3 cells, or a drawn polygon), a first and a last day (inclusive,
//! local calendar days) and a description.
//!
//! Clients send an [`InterventionInput`] (the JSON body of the API, also built by the CLI);
//! [`InterventionInput::validate`] turns it into an [`InterventionSpec`] or an
//! [`InterventionError`] naming the field and the reason. Checks that need the database —
//! does the area exist, is this an overlapping duplicate — are made by `store`
//! (`Store::add_intervention`), which reports them with the same error type. The follow-up
//! statistics live in `analysis::followup`.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use h3o::CellIndex;
use serde::{Deserialize, Serialize};

use crate::model::Partner;

mod action;
pub use action::{
    ActionInput, ActionSpec, ActionStatus, CloseInput, MAX_OUTCOME_CHARS, MAX_TEXT_CHARS,
    check_period,
};

/// Most H3 cells in a hex target.
pub const MAX_TARGET_CELLS: usize = 10_000;
/// Most vertices in a polygon target.
pub const MAX_POLYGON_VERTICES: usize = 20_000;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Earliest and latest accepted years for start and end.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// An intervention's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InterventionId(pub i64);

impl fmt::Display for InterventionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What was done: one of the six built-in kinds or a kind the network configured itself
/// (`[action_kinds]` in the configuration file, e.g. `trygghetsvandring`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InterventionKind {
    /// Police or municipal patrols (*polispatrull, ordningsvakter i tjänst*).
    Patrol,
    /// Security guards (*väktare*).
    Guards,
    /// New or repaired lighting.
    Lighting,
    /// Camera surveillance.
    Camera,
    /// Clean-up (litter, graffiti removal).
    CleanUp,
    /// Dialogue with residents or groups (*trygghetsvandring, dialog*).
    Dialogue,
    /// A kind from the configuration: its code (lower case letters, digits, `_`, `-`).
    Custom(String),
}

impl InterventionKind {
    /// The built-in kinds, in the order above.
    pub const ALL: [InterventionKind; 6] = [
        InterventionKind::Patrol,
        InterventionKind::Guards,
        InterventionKind::Lighting,
        InterventionKind::Camera,
        InterventionKind::CleanUp,
        InterventionKind::Dialogue,
    ];

    /// The code used in JSON, the CLI and the database.
    pub fn as_str(&self) -> &str {
        match self {
            InterventionKind::Patrol => "patrol",
            InterventionKind::Guards => "guards",
            InterventionKind::Lighting => "lighting",
            InterventionKind::Camera => "camera",
            InterventionKind::CleanUp => "clean-up",
            InterventionKind::Dialogue => "dialogue",
            InterventionKind::Custom(code) => code,
        }
    }

    /// The Swedish and English labels of a built-in kind; a configured kind's labels come
    /// from the configuration ([`crate::config::ActionKind`]).
    pub fn builtin_labels(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            InterventionKind::Patrol => ("Patrullering", "Patrol"),
            InterventionKind::Guards => ("Väktare", "Guards"),
            InterventionKind::Lighting => ("Belysning", "Lighting"),
            InterventionKind::Camera => ("Kamerabevakning", "Camera"),
            InterventionKind::CleanUp => ("Städning", "Clean-up"),
            InterventionKind::Dialogue => ("Dialog", "Dialogue"),
            InterventionKind::Custom(_) => return None,
        })
    }

    /// Parses a built-in code (case-insensitive; `cleanup` and `clean_up` are accepted too).
    pub fn parse(s: &str) -> Result<InterventionKind, InterventionError> {
        InterventionKind::parse_with(s, &[])
    }

    /// Parses a built-in code or one of the network's own kinds `configured`.
    ///
    /// # Errors
    /// [`InterventionError::Field`] naming `kind` and listing the accepted codes.
    pub fn parse_with(
        s: &str,
        configured: &[crate::config::ActionKind],
    ) -> Result<InterventionKind, InterventionError> {
        let t = s.trim().to_ascii_lowercase();
        let t = if t == "cleanup" || t == "clean_up" {
            "clean-up".to_owned()
        } else {
            t
        };
        if let Some(k) = InterventionKind::ALL.into_iter().find(|k| k.as_str() == t) {
            return Ok(k);
        }
        if configured.iter().any(|k| k.code == t) {
            return Ok(InterventionKind::Custom(t));
        }
        let mut codes: Vec<&str> = InterventionKind::ALL.iter().map(|k| k.as_str()).collect();
        codes.extend(configured.iter().map(|k| k.code.as_str()));
        Err(InterventionError::Field {
            field: "kind",
            reason: format!(
                "{:?} is not a kind of intervention; use one of {} (the network's own kinds are set under [action_kinds] in the configuration file)",
                s.chars().take(60).collect::<String>(),
                codes.join(", ")
            ),
        })
    }

    /// A stored code: a built-in kind, or any well-formed code as [`InterventionKind::Custom`]
    /// (a kind may have been removed from the configuration since it was stored).
    pub fn decode(s: &str) -> Result<InterventionKind, InterventionError> {
        match InterventionKind::parse(s) {
            Ok(k) => Ok(k),
            Err(_) if crate::config::ActionKind::valid_code(s) => {
                Ok(InterventionKind::Custom(s.to_owned()))
            }
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for InterventionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for InterventionKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The last day of an intervention, or none for an open-ended one (an action still running
/// with no planned end). Serialised as `"YYYY-MM-DD"` or `null`; shown as the date or `…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OpenEnd(pub Option<NaiveDate>);

impl OpenEnd {
    /// The last day, or `fallback` when open-ended.
    pub fn or(self, fallback: NaiveDate) -> NaiveDate {
        self.0.unwrap_or(fallback)
    }

    /// Whether there is no end.
    pub fn is_open(self) -> bool {
        self.0.is_none()
    }
}

impl fmt::Display for OpenEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => f.pad(&d.to_string()),
            None => f.pad("…"),
        }
    }
}

impl Serialize for OpenEnd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Where an intervention was made.
#[derive(Debug, Clone, PartialEq)]
pub enum InterventionTarget {
    /// An area of a stored layer.
    Area {
        /// Layer name, e.g. `districts`.
        layer: String,
        /// Area id within the layer.
        id: String,
    },
    /// A set of H3 cells, sorted and without repeats (resolutions may differ).
    Hexes(Vec<CellIndex>),
    /// A drawn polygon in WGS 84 (lon/lat), exterior rings counter-clockwise.
    Polygon(geo::MultiPolygon<f64>),
}

impl InterventionTarget {
    /// A canonical text for the target: equal targets have equal keys (used to find
    /// duplicates).
    pub fn key(&self) -> String {
        match self {
            InterventionTarget::Area { layer, id } => format!("area:{layer}/{id}"),
            InterventionTarget::Hexes(cells) => {
                let list: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
                format!("hexes:{}", list.join(","))
            }
            InterventionTarget::Polygon(mp) => {
                format!("polygon:{}", geojson::Geometry::from(mp))
            }
        }
    }

    /// The target as JSON: `{"type":"area","layer":..,"id":..}`,
    /// `{"type":"hexes","cells":[..]}` or `{"type":"polygon","geometry":{GeoJSON}}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            InterventionTarget::Area { layer, id } => {
                serde_json::json!({ "type": "area", "layer": layer, "id": id })
            }
            InterventionTarget::Hexes(cells) => serde_json::json!({
                "type": "hexes",
                "cells": cells.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            }),
            InterventionTarget::Polygon(mp) => serde_json::json!({
                "type": "polygon",
                "geometry": geojson::Geometry::from(&normalised_geometry(mp)),
            }),
        }
    }
}

impl Serialize for InterventionTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// A polygon as a `Polygon` when it has one part, else a `MultiPolygon`.
fn normalised_geometry(mp: &geo::MultiPolygon<f64>) -> geo::Geometry<f64> {
    match mp.0.as_slice() {
        [one] => geo::Geometry::Polygon(one.clone()),
        _ => geo::Geometry::MultiPolygon(mp.clone()),
    }
}

/// A validated intervention, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterventionSpec {
    /// What was done.
    pub kind: InterventionKind,
    /// The responsible partner.
    pub partner: Partner,
    /// Where.
    pub target: InterventionTarget,
    /// First day (local calendar day), inclusive.
    pub start: NaiveDate,
    /// Last day, inclusive, not before `start`; open-ended when none.
    pub end: OpenEnd,
    /// Free text; may be empty.
    pub description: String,
}

/// A stored intervention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervention {
    /// Row id.
    pub id: InterventionId,
    /// The validated content: what, who, where, when.
    #[serde(flatten)]
    pub spec: InterventionSpec,
    /// How the partnership manages it as an action: status, owner, goal, decision.
    #[serde(flatten)]
    pub action: ActionSpec,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl InterventionSpec {
    /// The number of days from `start` to `end` (or to `open_until` when open-ended),
    /// both included; at least 1.
    pub fn days_until(&self, open_until: NaiveDate) -> i64 {
        ((self.end.or(open_until) - self.start).num_days() + 1).max(1)
    }

    /// The number of days from `start` to `end`, both included (for an open-ended
    /// intervention: to today, UTC).
    pub fn days(&self) -> i64 {
        self.days_until(Utc::now().date_naive())
    }

    /// The intervention's time as a half-open UTC range: from local midnight starting
    /// `start` to local midnight ending `end` (or `open_until`), in `tz`.
    pub fn period_until(&self, tz: Tz, open_until: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let last = self.end.or(open_until).max(self.start);
        (
            local_midnight(self.start, tz),
            local_midnight(last + chrono::Duration::days(1), tz),
        )
    }

    /// True when the intervention's days overlap `first_day..=last_day` (an open-ended one
    /// runs on).
    pub fn overlaps(&self, first_day: NaiveDate, last_day: NaiveDate) -> bool {
        self.start <= last_day && self.end.0.is_none_or(|e| e >= first_day)
    }
}

/// The first instant of a local calendar day in `tz` (the earliest, if midnight is
/// skipped or repeated by a clock change).
pub fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // A skipped midnight: the clocks jumped past it, so the day starts an hour later.
        None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

/// The local calendar days `first..=last` that a half-open UTC range `[from, to)` touches,
/// e.g. Monday..=Sunday for an ISO week. Use it to ask the store for the interventions
/// active in a report's window (`Store::interventions_overlapping`).
pub fn local_days(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> (NaiveDate, NaiveDate) {
    let first = from.with_timezone(&tz).date_naive();
    let last = (to - chrono::Duration::seconds(1))
        .with_timezone(&tz)
        .date_naive();
    (first, last.max(first))
}

/// Why an intervention was refused. Each message names the field and says how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InterventionError {
    /// A field is missing or malformed.
    #[error("{field}: {reason}")]
    Field {
        /// The field, e.g. `kind`, `target.cells[3]`.
        field: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The end is before the start.
    #[error(
        "end: the end {end} is before the start {start}; the end must be on or after the start"
    )]
    EndBeforeStart {
        /// The given start.
        start: NaiveDate,
        /// The given end.
        end: NaiveDate,
    },
    /// The target (or hotspot) area is not stored.
    #[error("{field}: {reason}")]
    UnknownArea {
        /// `target` or `hotspot`.
        field: &'static str,
        /// The layer asked for.
        layer: String,
        /// The area id asked for.
        id: String,
        /// What is missing, with the ids that exist where helpful.
        reason: String,
    },
    /// The same kind by the same partner on the same target overlaps an existing one.
    #[error(
        "intervention {existing} already registers {kind} by {partner} on the same target from {start} to {end}, overlapping these dates; update intervention {existing} instead"
    )]
    OverlappingDuplicate {
        /// The stored intervention.
        existing: InterventionId,
        /// Its kind.
        kind: InterventionKind,
        /// Its partner.
        partner: Partner,
        /// Its first day.
        start: NaiveDate,
        /// Its last day (`…` when open-ended).
        end: OpenEnd,
    },
}

/// An intervention as sent by a client (JSON body of `POST /api/interventions` and
/// `PUT /api/interventions/{id}`), before validation.
///
/// ```json
/// {"kind": "lighting", "partner": "kommunen",
///  "target": {"type": "area", "layer": "districts", "id": "alby"},
///  "start": "2026-03-01", "end": "2026-05-31", "description": "New LED lights"}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InterventionInput {
    /// `patrol`, `guards`, `lighting`, `camera`, `clean-up`, `dialogue` or a kind from
    /// the configuration's `[action_kinds]`.
    pub kind: Option<String>,
    /// The responsible partner's code.
    pub partner: Option<String>,
    /// Where: see [`TargetInput`].
    pub target: Option<TargetInput>,
    /// First day, `YYYY-MM-DD`.
    pub start: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`; absent or `null` for an open-ended intervention.
    pub end: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// The target as sent: `type` is `area` (with `layer` and `id`), `hexes` (with `cells`,
/// H3 indexes as strings) or `polygon` (with `geometry`, a GeoJSON Polygon or
/// MultiPolygon in WGS 84).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// `area`, `hexes` or `polygon`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// For `area`: the layer name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// For `area`: the area id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For `hexes`: H3 cell indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells: Option<Vec<String>>,
    /// For `polygon`: a GeoJSON geometry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<serde_json::Value>,
}

fn field(field: &'static str, reason: impl Into<String>) -> InterventionError {
    InterventionError::Field {
        field,
        reason: reason.into(),
    }
}

fn required<'a>(v: &'a Option<String>, name: &'static str) -> Result<&'a str, InterventionError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(field(name, "is required")),
    }
}

/// Parses a `YYYY-MM-DD` day in [`YEARS`].
pub fn parse_day(s: &str, name: &'static str) -> Result<NaiveDate, InterventionError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        field(
            name,
            format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01"),
        )
    })?;
    if !YEARS.contains(&d.year()) {
        return Err(field(
            name,
            format!(
                "{d} is outside the years {}..={}",
                YEARS.start(),
                YEARS.end()
            ),
        ));
    }
    Ok(d)
}

impl InterventionInput {
    /// Checks every field and returns the validated intervention (built-in kinds only).
    ///
    /// # Errors
    /// [`InterventionError::Field`] for a missing or malformed field (naming it),
    /// [`InterventionError::EndBeforeStart`] when `end < start`.
    pub fn validate(&self) -> Result<InterventionSpec, InterventionError> {
        self.validate_with(&[])
    }

    /// Checks every field, accepting the network's own kinds `kinds` beside the built-in
    /// ones, and returns the validated intervention.
    ///
    /// # Errors
    /// As [`InterventionInput::validate`].
    pub fn validate_with(
        &self,
        kinds: &[crate::config::ActionKind],
    ) -> Result<InterventionSpec, InterventionError> {
        let kind = InterventionKind::parse_with(required(&self.kind, "kind")?, kinds)?;
        let partner =
            Partner::parse(required(&self.partner, "partner")?).map_err(|e| field("partner", e))?;
        let target = self
            .target
            .as_ref()
            .ok_or_else(|| {
                field(
                    "target",
                    "is required: {\"type\":\"area\",\"layer\":..,\"id\":..}, {\"type\":\"hexes\",\"cells\":[..]} or {\"type\":\"polygon\",\"geometry\":{..}}",
                )
            })?
            .validate()?;
        let start = parse_day(required(&self.start, "start")?, "start")?;
        let end = match self.end.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(parse_day(e, "end")?),
        };
        if let Some(end) = end
            && end < start
        {
            return Err(InterventionError::EndBeforeStart { start, end });
        }
        let end = OpenEnd(end);
        let description = self.description.as_deref().unwrap_or("").trim().to_owned();
        let n = description.chars().count();
        if n > MAX_DESCRIPTION_CHARS {
            return Err(field(
                "description",
                format!("has {n} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"),
            ));
        }
        if description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(field(
                "description",
                "holds control characters; only text, line breaks and tabs are allowed",
            ));
        }
        Ok(InterventionSpec {
            kind,
            partner,
            target,
            start,
            end,
            description,
        })
    }
}

impl TargetInput {
    /// Checks the target.
    pub fn validate(&self) -> Result<InterventionTarget, InterventionError> {
        let kind = required(&self.kind, "target.type")?;
        let only = |allowed: &[&str]| -> Result<(), InterventionError> {
            for (name, present) in [
                ("layer", self.layer.is_some()),
                ("id", self.id.is_some()),
                ("cells", self.cells.is_some()),
                ("geometry", self.geometry.is_some()),
            ] {
                if present && !allowed.contains(&name) {
                    return Err(field(
                        "target",
                        format!("a target of type {kind:?} has no field {name:?}"),
                    ));
                }
            }
            Ok(())
        };
        match kind {
            "area" => {
                only(&["layer", "id"])?;
                let layer = required(&self.layer, "target.layer")?.to_owned();
                let id = required(&self.id, "target.id")?.to_owned();
                if layer.len() > 200 || id.len() > 200 {
                    return Err(field("target", "layer and id have at most 200 bytes"));
                }
                Ok(InterventionTarget::Area { layer, id })
            }
            "hexes" => {
                only(&["cells"])?;
                let cells = self
                    .cells
                    .as_ref()
                    .ok_or_else(|| field("target.cells", "is required for a hexes target"))?;
                if cells.is_empty() {
                    return Err(field("target.cells", "needs at least one H3 cell"));
                }
                if cells.len() > MAX_TARGET_CELLS {
                    return Err(field(
                        "target.cells",
                        format!(
                            "has {} cells; at most {MAX_TARGET_CELLS} are allowed",
                            cells.len()
                        ),
                    ));
                }
                let mut parsed = Vec::with_capacity(cells.len());
                for (i, c) in cells.iter().enumerate() {
                    let cell = c.trim().parse::<CellIndex>().map_err(|_| {
                        field(
                            "target.cells",
                            format!(
                                "item {i} ({:?}) is not an H3 cell index (15 hex digits, e.g. 891f1d48a3bffff)",
                                c.chars().take(40).collect::<String>()
                            ),
                        )
                    })?;
                    parsed.push(cell);
                }
                parsed.sort_unstable();
                parsed.dedup();
                Ok(InterventionTarget::Hexes(parsed))
            }
            "polygon" => {
                only(&["geometry"])?;
                let g = self
                    .geometry
                    .as_ref()
                    .ok_or_else(|| field("target.geometry", "is required for a polygon target"))?;
                parse_polygon(g).map(InterventionTarget::Polygon)
            }
            other => Err(field(
                "target.type",
                format!("{other:?} is not a target type; use area, hexes or polygon"),
            )),
        }
    }
}

/// Parses a GeoJSON Polygon or MultiPolygon in WGS 84 and checks it: closed rings of at
/// least four positions, coordinates in range, at most [`MAX_POLYGON_VERTICES`] vertices,
/// a positive area. Exterior rings are made counter-clockwise, holes clockwise.
fn parse_polygon(value: &serde_json::Value) -> Result<geo::MultiPolygon<f64>, InterventionError> {
    use geo::{Area, orient::Direction, orient::Orient};
    let name = "target.geometry";
    let kind = value.get("type").and_then(|t| t.as_str());
    let coords = value
        .get("coordinates")
        .and_then(|c| c.as_array())
        .ok_or_else(|| field(name, "needs GeoJSON \"coordinates\""))?;
    let polygons: Vec<&serde_json::Value> = match kind {
        Some("Polygon") => vec![value.get("coordinates").unwrap_or(&serde_json::Value::Null)],
        Some("MultiPolygon") => coords.iter().collect(),
        _ => {
            return Err(field(
                name,
                "must be a GeoJSON Polygon or MultiPolygon (lon/lat, WGS 84)",
            ));
        }
    };
    if polygons.is_empty() {
        return Err(field(name, "has no polygons"));
    }
    let mut vertices = 0usize;
    let mut out = Vec::with_capacity(polygons.len());
    for poly in polygons {
        let rings = poly
            .as_array()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| field(name, "a polygon must be a non-empty array of rings"))?;
        let mut parsed: Vec<geo::LineString<f64>> = Vec::with_capacity(rings.len());
        for ring in rings {
            let ring = ring
                .as_array()
                .ok_or_else(|| field(name, "a ring must be an array of positions"))?;
            vertices += ring.len();
            if vertices > MAX_POLYGON_VERTICES {
                return Err(field(
                    name,
                    format!("has more than {MAX_POLYGON_VERTICES} vertices; simplify it"),
                ));
            }
            if ring.len() < 4 {
                return Err(field(
                    name,
                    "every ring needs at least 4 positions, the last equal to the first",
                ));
            }
            let mut points = Vec::with_capacity(ring.len());
            for p in ring {
                let xy = p.as_array().and_then(|a| {
                    let lon = a.first()?.as_f64()?;
                    let lat = a.get(1)?.as_f64()?;
                    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat))
                        .then_some(geo::coord! { x: lon, y: lat })
                });
                let xy = xy.ok_or_else(|| {
                    field(
                        name,
                        format!(
                            "position {} is not [lon, lat] in degrees (lon -180..180, lat -90..90)",
                            p.to_string().chars().take(60).collect::<String>()
                        ),
                    )
                })?;
                points.push(xy);
            }
            if points.first() != points.last() {
                return Err(field(name, "a ring is not closed (last position ≠ first)"));
            }
            parsed.push(geo::LineString(points));
        }
        let exterior = parsed.remove(0);
        out.push(geo::Polygon::new(exterior, parsed));
    }
    let mp = geo::MultiPolygon(out);
    if let Err(e) = geo::Validation::check_validation(&mp) {
        return Err(field(
            name,
            format!("is not a valid polygon ({e}); redraw it so that its edges do not cross"),
        ));
    }
    if mp.unsigned_area() <= 0.0 {
        return Err(field(name, "has zero area"));
    }
    Ok(mp.orient(Direction::Default))
}

#[cfg(test)]
mod tests;
