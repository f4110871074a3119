//! Interventions as the partnership's *actions* (åtgärder): who is responsible, what the
//! goal is, at which meeting it was decided, which hotspot motivated it, where it stands
//! (planned, active, done, cancelled) and, once closed, what came of it.
//!
//! [`ActionInput`] is the JSON body of `POST /api/interventions` and
//! `PUT /api/interventions/{id}`: an [`InterventionInput`] (what, who, where, when) plus
//! these fields. [`ActionInput::validate`] checks everything that needs no database and
//! returns the [`InterventionSpec`] and the [`ActionSpec`]; the store checks that a
//! hotspot area exists.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    InterventionError, InterventionInput, InterventionSpec, InterventionTarget, TargetInput, field,
    parse_day,
};

/// Longest `responsible` and `goal`, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest outcome note, in characters.
pub const MAX_OUTCOME_CHARS: usize = 8_000;

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    /// Decided, not started.
    Planned,
    /// Under way.
    Active,
    /// Finished (closed with an outcome).
    Done,
    /// Stopped or never carried out (closed with an outcome).
    Cancelled,
}

impl ActionStatus {
    /// Every status, in the order above.
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::Planned,
        ActionStatus::Active,
        ActionStatus::Done,
        ActionStatus::Cancelled,
    ];

    /// The code used in JSON, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Active => "active",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    /// Swedish and English labels.
    pub fn labels(self) -> (&'static str, &'static str) {
        match self {
            ActionStatus::Planned => ("Planerad", "Planned"),
            ActionStatus::Active => ("Pågående", "Active"),
            ActionStatus::Done => ("Genomförd", "Done"),
            ActionStatus::Cancelled => ("Avbruten", "Cancelled"),
        }
    }

    /// Whether the action is still open (planned or active).
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Planned | ActionStatus::Active)
    }

    /// Parses a code (case-insensitive).
    ///
    /// # Errors
    /// [`InterventionError::Field`] naming `name` and listing the statuses.
    pub fn parse(s: &str, name: &'static str) -> Result<ActionStatus, InterventionError> {
        let t = s.trim().to_ascii_lowercase();
        ActionStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                field(
                    name,
                    format!(
                        "{:?} is not a status; use one of planned, active, done, cancelled",
                        s.chars().take(40).collect::<String>()
                    ),
                )
            })
    }

    /// The status an intervention registered without one gets, from its days seen from
    /// `today`: done once ended, active once started, planned before.
    pub fn from_days(spec: &InterventionSpec, today: NaiveDate) -> ActionStatus {
        match spec.end.0 {
            Some(end) if end < today => ActionStatus::Done,
            _ if spec.start <= today => ActionStatus::Active,
            _ => ActionStatus::Planned,
        }
    }
}

impl std::fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The action fields of a stored intervention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSpec {
    /// Where it stands.
    pub status: ActionStatus,
    /// A person or a function (free text; may be empty).
    pub responsible: String,
    /// What it should achieve (free text; may be empty).
    pub goal: String,
    /// The meeting period it was decided at: `YYYY-Www`, `YYYY-Tn` or `YYYY-Qn`.
    pub decided_at: Option<String>,
    /// The hotspot that motivated it: an area or a set of cells.
    pub hotspot: Option<InterventionTarget>,
    /// What came of it, written when it is closed (may be empty).
    pub outcome: String,
}

impl ActionSpec {
    /// The fields of an intervention registered without them (the register before actions
    /// existed, or the CLI's `add` without the new flags): status from the days, the rest
    /// empty.
    pub fn defaults_for(spec: &InterventionSpec, today: NaiveDate) -> ActionSpec {
        ActionSpec {
            status: ActionStatus::from_days(spec, today),
            responsible: String::new(),
            goal: String::new(),
            decided_at: None,
            hotspot: None,
            outcome: String::new(),
        }
    }
}

/// The names [`ActionInput`] accepts at its top level.
const ACTION_FIELDS: [&str; 12] = [
    "kind",
    "partner",
    "target",
    "start",
    "end",
    "description",
    "status",
    "responsible",
    "goal",
    "decided_at",
    "hotspot",
    "outcome",
];

/// An action as sent by a client: the intervention's fields and the action's.
///
/// ```json
/// {"kind": "trygghetsvandring", "partner": "kommunen",
///  "target": {"type": "area", "layer": "districts", "id": "alby"},
///  "start": "2026-12-07", "end": null, "status": "planned",
///  "responsible": "Trygghetssamordnaren", "goal": "Färre bränder i Alby centrum",
///  "decided_at": "2026-W49", "hotspot": {"type": "hexes", "cells": ["891f1d48a3bffff"]}}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ActionInput {
    /// What, who, where, when.
    #[serde(flatten)]
    pub intervention: InterventionInput,
    /// `planned`, `active`, `done` or `cancelled`; default from the days.
    pub status: Option<String>,
    /// A person or a function.
    pub responsible: Option<String>,
    /// What it should achieve.
    pub goal: Option<String>,
    /// The meeting period it was decided at.
    pub decided_at: Option<String>,
    /// The hotspot that motivated it: `{"type":"area",..}` or `{"type":"hexes",..}`.
    pub hotspot: Option<TargetInput>,
    /// What came of it.
    pub outcome: Option<String>,
}

impl ActionInput {
    /// Parses a JSON body, refusing unknown fields by name.
    ///
    /// # Errors
    /// [`InterventionError::Field`] naming the unknown or malformed field.
    pub fn from_json(bytes: &[u8]) -> Result<ActionInput, InterventionError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| field("body", format!("is not a valid intervention (JSON): {e}")))?;
        ActionInput::from_value(value)
    }

    /// As [`ActionInput::from_json`], from a parsed value.
    ///
    /// # Errors
    /// As [`ActionInput::from_json`].
    pub fn from_value(value: serde_json::Value) -> Result<ActionInput, InterventionError> {
        let Some(map) = value.as_object() else {
            return Err(field(
                "body",
                "is not a valid intervention: send a JSON object with the action's fields",
            ));
        };
        if let Some(k) = map.keys().find(|k| !ACTION_FIELDS.contains(&k.as_str())) {
            return Err(field(
                "body",
                format!(
                    "is not a valid intervention: unknown field {:?}; the fields are {}",
                    k.chars().take(40).collect::<String>(),
                    ACTION_FIELDS.join(", ")
                ),
            ));
        }
        // Non-string scalars where text is expected name their field.
        for name in ACTION_FIELDS {
            let v = &map.get(name);
            if let Some(v) = v
                && !matches!(name, "target" | "hotspot")
                && !(v.is_string() || v.is_null())
            {
                return Err(field_named(
                    name,
                    "must be a text string or null, so the body is not a valid intervention",
                ));
            }
        }
        serde_json::from_value(value)
            .map_err(|e| field("body", format!("is not a valid intervention: {e}")))
    }

    /// Checks every field and returns the intervention and its action fields. `today`
    /// decides the default status.
    ///
    /// # Errors
    /// [`InterventionError::Field`] naming the field, or
    /// [`InterventionError::EndBeforeStart`].
    pub fn validate(
        &self,
        kinds: &[crate::config::ActionKind],
        today: NaiveDate,
    ) -> Result<(InterventionSpec, ActionSpec), InterventionError> {
        let spec = self.intervention.validate_with(kinds)?;
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => ActionStatus::from_days(&spec, today),
            Some(s) => ActionStatus::parse(s, "status")?,
        };
        if status == ActionStatus::Done && spec.end.is_open() {
            return Err(field(
                "end",
                "a done action needs its last day; give end (YYYY-MM-DD) or close it with POST /api/interventions/{id}/close",
            ));
        }
        let responsible = text(&self.responsible, "responsible", 200)?;
        let goal = text(&self.goal, "goal", MAX_TEXT_CHARS)?;
        let outcome = text(&self.outcome, "outcome", MAX_OUTCOME_CHARS)?;
        let decided_at = match self.decided_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(check_period(p, "decided_at")?),
        };
        let hotspot = match &self.hotspot {
            None => None,
            Some(h) => Some(hotspot(h)?),
        };
        Ok((
            spec,
            ActionSpec {
                status,
                responsible,
                goal,
                decided_at,
                hotspot,
                outcome,
            },
        ))
    }
}

/// Closing an action: `POST /api/interventions/{id}/close` with
/// `{"status": "done"|"cancelled", "outcome": "...", "end": "YYYY-MM-DD"}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// `done` (the default) or `cancelled`.
    pub status: Option<String>,
    /// What came of it (required).
    pub outcome: Option<String>,
    /// The last day, when the action had none or ended earlier than planned.
    pub end: Option<String>,
}

impl CloseInput {
    /// Applies the closing to a stored intervention's fields: status, outcome and (when
    /// given, or when open-ended) the last day, which becomes `today` for an open-ended
    /// action that has started.
    ///
    /// # Errors
    /// [`InterventionError::Field`] naming `status`, `outcome` or `end`;
    /// [`InterventionError::EndBeforeStart`].
    pub fn apply(
        &self,
        spec: &mut InterventionSpec,
        action: &mut ActionSpec,
        today: NaiveDate,
    ) -> Result<(), InterventionError> {
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => ActionStatus::Done,
            Some(s) => ActionStatus::parse(s, "status")?,
        };
        if status.is_open() {
            return Err(field(
                "status",
                "closing sets done or cancelled; to change an open action use PUT /api/interventions/{id}",
            ));
        }
        let outcome = text(&self.outcome, "outcome", MAX_OUTCOME_CHARS)?;
        if outcome.is_empty() {
            return Err(field(
                "outcome",
                "is required when closing: write what came of the action",
            ));
        }
        match self.end.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => {
                let end = parse_day(e, "end")?;
                if end < spec.start {
                    return Err(InterventionError::EndBeforeStart {
                        start: spec.start,
                        end,
                    });
                }
                spec.end = super::OpenEnd(Some(end));
            }
            _ if spec.end.is_open() => spec.end = super::OpenEnd(Some(today.max(spec.start))),
            _ => {}
        }
        action.status = status;
        action.outcome = outcome;
        Ok(())
    }
}

fn field_named(name: &str, reason: &str) -> InterventionError {
    // The field names are the fixed list above; map to their 'static spelling.
    let name = ACTION_FIELDS
        .into_iter()
        .find(|n| *n == name)
        .unwrap_or("body");
    field(name, reason)
}

/// Optional free text: trimmed, at most `max` characters, no control characters but line
/// breaks and tabs.
fn text(v: &Option<String>, name: &'static str, max: usize) -> Result<String, InterventionError> {
    let t = v.as_deref().unwrap_or("").trim().replace("\r\n", "\n");
    let n = t.chars().count();
    if n > max {
        return Err(field(
            name,
            format!("has {n} characters; at most {max} are allowed"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(field(
            name,
            "holds control characters; only text, line breaks and tabs are allowed",
        ));
    }
    Ok(t)
}

/// A hotspot link: an area or a set of cells (a drawn polygon is not a hotspot).
fn hotspot(h: &TargetInput) -> Result<InterventionTarget, InterventionError> {
    let rename = |e: InterventionError| match e {
        InterventionError::Field { field: f, reason } => InterventionError::Field {
            field: match f {
                "target.type" => "hotspot.type",
                "target.layer" => "hotspot.layer",
                "target.id" => "hotspot.id",
                "target.cells" => "hotspot.cells",
                _ => "hotspot",
            },
            reason,
        },
        e => e,
    };
    match h.validate().map_err(rename)? {
        InterventionTarget::Polygon(_) => Err(field(
            "hotspot.type",
            "a hotspot is an area ({\"type\":\"area\",\"layer\":..,\"id\":..}) or hexes ({\"type\":\"hexes\",\"cells\":[..]})",
        )),
        t => Ok(t),
    }
}

/// Checks a meeting period and returns it in canonical form: an ISO week `YYYY-Www`
/// (`W01`–`W52`/`W53` as the year has), a tertial `YYYY-T1`–`T3` or a quarter
/// `YYYY-Q1`–`Q4`, years 2000–2100.
///
/// # Errors
/// [`InterventionError::Field`] naming `name`, saying which form is expected.
///
/// ```
/// use lagesbild::intervention::check_period;
/// assert_eq!(check_period("2026-w49", "decided_at").unwrap(), "2026-W49");
/// assert_eq!(check_period("2026-T3", "decided_at").unwrap(), "2026-T3");
/// assert!(check_period("2026-W54", "decided_at").is_err());
/// assert!(check_period("2026-T4", "decided_at").is_err());
/// assert!(check_period("2026-12-07", "decided_at").is_err());
/// ```
pub fn check_period(s: &str, name: &'static str) -> Result<String, InterventionError> {
    let bad = || {
        field(
            name,
            format!(
                "{:?} is not a meeting period; write a week 2026-W49, a tertial 2026-T3 or a quarter 2026-Q4",
                s.chars().take(40).collect::<String>()
            ),
        )
    };
    let t = s.trim().to_ascii_uppercase();
    let (year, rest) = t.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    if !super::YEARS.contains(&year) {
        return Err(bad());
    }
    let mut chars = rest.chars();
    let letter = chars.next().ok_or_else(bad)?;
    let digits = chars.as_str();
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = digits.parse().map_err(|_| bad())?;
    let ok = match letter {
        'W' => {
            digits.len() == 2 && NaiveDate::from_isoywd_opt(year, n, chrono::Weekday::Mon).is_some()
        }
        'T' => digits.len() == 1 && (1..=3).contains(&n),
        'Q' => digits.len() == 1 && (1..=4).contains(&n),
        _ => false,
    };
    if !ok {
        return Err(bad());
    }
    Ok(t)
}
