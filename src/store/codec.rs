//! Decoding shared by the backends: stored text and numbers back into domain records, and
//! the change log's reading rule.

use chrono::{DateTime, NaiveDate, Utc};
use h3o::Resolution;

use super::{Change, Result, StoreError};
use crate::intervention::{
    ActionSpec, ActionStatus, Intervention, InterventionId, InterventionKind, InterventionSpec,
    OpenEnd, TargetInput,
};
use crate::model::Partner;

/// The interventions table's columns in the order [`InterventionRow`] reads them.
pub(crate) const INTERVENTION_COLUMNS: &str = "id, kind, partner, target, start_day, end_day, \
     description, created_at, updated_at, status, responsible, goal, decided_at, hotspot, outcome";

/// An intervention row (days `YYYY-MM-DD`, times RFC 3339, target and hotspot as JSON).
pub(crate) struct InterventionRow {
    pub id: i64,
    pub kind: String,
    pub partner: String,
    pub target: String,
    pub start: String,
    pub end: Option<String>,
    pub description: String,
    pub created: String,
    pub updated: String,
    pub status: String,
    pub responsible: String,
    pub goal: String,
    pub decided_at: Option<String>,
    pub hotspot: Option<String>,
    pub outcome: String,
}

/// An intervention's values as stored, in the order of the writing statements:
/// kind, partner, target, target_key, start_day, end_day, description, status,
/// responsible, goal, decided_at, hotspot, outcome.
pub(crate) struct InterventionValues {
    pub kind: String,
    pub partner: String,
    pub target: String,
    pub target_key: String,
    pub start: String,
    pub end: Option<String>,
    pub description: String,
    pub status: &'static str,
    pub responsible: String,
    pub goal: String,
    pub decided_at: Option<String>,
    pub hotspot: Option<String>,
    pub outcome: String,
}

impl InterventionValues {
    /// The values of `spec` and `action`.
    pub(crate) fn new(spec: &InterventionSpec, action: &ActionSpec) -> InterventionValues {
        InterventionValues {
            kind: spec.kind.as_str().to_owned(),
            partner: spec.partner.as_str().to_owned(),
            target: spec.target.to_json().to_string(),
            target_key: spec.target.key(),
            start: spec.start.to_string(),
            end: spec.end.0.map(|d| d.to_string()),
            description: spec.description.clone(),
            status: action.status.as_str(),
            responsible: action.responsible.clone(),
            goal: action.goal.clone(),
            decided_at: action.decided_at.clone(),
            hotspot: action.hotspot.as_ref().map(|h| h.to_json().to_string()),
            outcome: action.outcome.clone(),
        }
    }
}

/// A stored day.
pub(crate) fn parse_stored_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("intervention day {s:?}: {e}")))
}

fn parse_stored_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("intervention time {s:?}: {e}")))
}

/// An intervention from its row.
pub(crate) fn intervention(row: InterventionRow) -> Result<Intervention> {
    let id = row.id;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("intervention {id}: {what}: {e}"))
    };
    let target: TargetInput =
        serde_json::from_str(&row.target).map_err(|e| corrupt("target", &e))?;
    let hotspot = match &row.hotspot {
        None => None,
        Some(h) => {
            let t: TargetInput = serde_json::from_str(h).map_err(|e| corrupt("hotspot", &e))?;
            Some(t.validate().map_err(|e| corrupt("hotspot", &e))?)
        }
    };
    Ok(Intervention {
        id: InterventionId(id),
        spec: InterventionSpec {
            kind: InterventionKind::decode(&row.kind).map_err(|e| corrupt("kind", &e))?,
            partner: Partner::parse(&row.partner).map_err(|e| corrupt("partner", &e))?,
            target: target.validate().map_err(|e| corrupt("target", &e))?,
            start: parse_stored_day(&row.start)?,
            end: OpenEnd(row.end.as_deref().map(parse_stored_day).transpose()?),
            description: row.description,
        },
        action: ActionSpec {
            status: ActionStatus::parse(&row.status, "status")
                .map_err(|e| corrupt("status", &e))?,
            responsible: row.responsible,
            goal: row.goal,
            decided_at: row.decided_at,
            hotspot,
            outcome: row.outcome,
        },
        created_at: parse_stored_time(&row.created)?,
        updated_at: parse_stored_time(&row.updated)?,
    })
}

/// The stored resolutions list (`"7,8,9,10"`).
pub(crate) fn resolutions(text: &str) -> Result<Vec<Resolution>> {
    text.split(',')
        .map(|p| {
            p.parse::<u8>()
                .ok()
                .and_then(|r| Resolution::try_from(r).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("meta h3_resolutions = {text:?}")))
        })
        .collect()
}

/// The resolutions as stored.
pub(crate) fn resolutions_text(res: &[Resolution]) -> String {
    res.iter()
        .map(|r| u8::from(*r).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the change log: `rows` are `(version, kind, from, to)` after `since`, ascending;
/// `current` is the data version. A version missing from the log counts as
/// [`Change::All`].
pub(crate) fn changes(
    since: i64,
    current: i64,
    rows: impl IntoIterator<Item = (i64, String, Option<i64>, Option<i64>)>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let mut expected = since + 1;
    for (version, kind, from, to) in rows {
        if version != expected {
            out.push(Change::All);
        }
        expected = version + 1;
        out.push(match (kind.as_str(), from, to) {
            ("incidents", Some(from), Some(to)) => Change::Incidents { from, to },
            _ => Change::All,
        });
    }
    if expected <= current {
        out.push(Change::All);
    }
    out
}

/// A time stored as Unix seconds.
pub(crate) fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The stored content of an incident that an insert met, to compare with the offered one.
pub(crate) struct Existing {
    pub category: String,
    pub occurred_at: i64,
    pub occurred_to: Option<i64>,
    pub lon: f64,
    pub lat: f64,
    pub description: Option<String>,
    pub batch: i64,
    pub row: i64,
}

/// [`super::InsertOutcome::Duplicate`] when `e` holds exactly `inc`'s content, otherwise a
/// conflict naming the fields that differ.
pub(crate) fn compare(e: &Existing, inc: &crate::model::Incident) -> super::InsertOutcome {
    let mut fields = Vec::new();
    if e.category != inc.category {
        fields.push("category");
    }
    if e.occurred_at != inc.occurred_at.timestamp() {
        fields.push("occurred_at");
    }
    if e.occurred_to != inc.occurred_to.map(|t| t.timestamp()) {
        fields.push("occurred_to");
    }
    if e.lon.to_bits() != inc.location.lon.to_bits()
        || e.lat.to_bits() != inc.location.lat.to_bits()
    {
        fields.push("location");
    }
    if e.description != inc.description {
        fields.push("description");
    }
    if fields.is_empty() {
        super::InsertOutcome::Duplicate
    } else {
        super::InsertOutcome::Conflict {
            batch: e.batch,
            row: e.row,
            fields,
        }
    }
}

/// The refusal of an intervention on a layer that does not exist (`names`: the layers).
pub(crate) fn unknown_layer(
    field: &'static str,
    layer: &str,
    id: &str,
    names: &[String],
) -> StoreError {
    crate::intervention::InterventionError::UnknownArea {
        field,
        layer: layer.to_owned(),
        id: id.to_owned(),
        reason: format!(
            "there is no area layer {layer:?}; the layers are: {}",
            if names.is_empty() {
                "(none imported yet)".to_owned()
            } else {
                names.join(", ")
            }
        ),
    }
    .into()
}

/// The refusal of an intervention on an area its layer does not have.
pub(crate) fn unknown_area(field: &'static str, layer: &str, id: &str) -> StoreError {
    crate::intervention::InterventionError::UnknownArea {
        field,
        layer: layer.to_owned(),
        id: id.to_owned(),
        reason: format!(
            "layer {layer:?} has no area {id:?}; GET /api/areas?layer={layer} (or the layer file) lists its areas"
        ),
    }
    .into()
}

/// An import profile as stored: its JSON.
pub(crate) fn encode_profile(p: &crate::ingest::ImportProfile) -> Result<String> {
    serde_json::to_string(p).map_err(|e| StoreError::Corrupt(format!("import profile: {e}")))
}

/// An import profile from its stored JSON.
pub(crate) fn decode_profile(name: &str, json: &str) -> Result<crate::ingest::ImportProfile> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("import profile {name:?}: {e}")))
}
