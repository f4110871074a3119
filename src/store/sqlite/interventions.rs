//! The interventions register in the store: create, read, update, delete, and the queries
//! the reports need (active in a window, ended in a window).
//!
//! Checks that need the database are made here, inside the writing transaction: the
//! target area must exist, and no intervention of the same kind by the same partner on the
//! same target may overlap the dates (an *overlapping duplicate*). Field checks are
//! `intervention::InterventionInput::validate`'s.
//!
//! Interventions do not change the incident data, so they do not bump `data_version` (the
//! analysis caches stay valid); they bump their own counter, `interventions_version`, which
//! reports record beside the data version.

use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::in_transaction;
use crate::intervention::{
    ActionSpec, ActionStatus, Intervention, InterventionError, InterventionId, InterventionSpec,
    InterventionTarget, OpenEnd,
};
use crate::store::codec::{
    self, INTERVENTION_COLUMNS as COLUMNS, InterventionValues, parse_stored_day,
};
use crate::store::{Result, StoreError};

/// Registers an intervention with its action fields and returns it as stored.
///
/// # Errors
/// [`StoreError::Intervention`] with `UnknownArea` when the target or hotspot area does not
/// exist, or `OverlappingDuplicate` when the same kind, partner and target overlap the dates.
pub(super) fn add(
    conn: &Connection,
    spec: &InterventionSpec,
    action: &ActionSpec,
) -> Result<Intervention> {
    in_transaction(conn, |tx| {
        check_areas(tx, spec, action)?;
        check_duplicate(tx, spec, action, None)?;
        let now = Utc::now().to_rfc3339();
        let v = InterventionValues::new(spec, action);
        tx.execute(
            "INSERT INTO interventions (kind, partner, target, target_key, start_day, end_day,
                 description, status, responsible, goal, decided_at, hotspot, outcome,
                 created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            params![
                v.kind,
                v.partner,
                v.target,
                v.target_key,
                v.start,
                v.end,
                v.description,
                v.status,
                v.responsible,
                v.goal,
                v.decided_at,
                v.hotspot,
                v.outcome,
                now
            ],
        )?;
        let id = InterventionId(tx.last_insert_rowid());
        bump_version(tx)?;
        read_one(tx, id)?.ok_or_else(|| StoreError::Corrupt(format!("intervention {id} vanished")))
    })
}

/// Replaces an intervention and its action fields (`None`: keep the stored ones); `None`
/// when there is no such id (nothing changes then).
pub(super) fn update(
    conn: &Connection,
    id: InterventionId,
    spec: &InterventionSpec,
    action: Option<&ActionSpec>,
) -> Result<Option<Intervention>> {
    in_transaction(conn, |tx| {
        let Some(old) = read_one(tx, id)? else {
            return Ok(None);
        };
        let action = action.unwrap_or(&old.action);
        check_areas(tx, spec, action)?;
        check_duplicate(tx, spec, action, Some(id))?;
        let v = InterventionValues::new(spec, action);
        tx.execute(
            "UPDATE interventions SET kind = ?2, partner = ?3, target = ?4, target_key = ?5,
             start_day = ?6, end_day = ?7, description = ?8, status = ?9, responsible = ?10,
             goal = ?11, decided_at = ?12, hotspot = ?13, outcome = ?14, updated_at = ?15
             WHERE id = ?1",
            params![
                id.0,
                v.kind,
                v.partner,
                v.target,
                v.target_key,
                v.start,
                v.end,
                v.description,
                v.status,
                v.responsible,
                v.goal,
                v.decided_at,
                v.hotspot,
                v.outcome,
                Utc::now().to_rfc3339()
            ],
        )?;
        bump_version(tx)?;
        read_one(tx, id)
    })
}

/// Deletes an intervention; false when there was none.
pub(super) fn delete(conn: &Connection, id: InterventionId) -> Result<bool> {
    in_transaction(conn, |tx| {
        let n = tx.execute("DELETE FROM interventions WHERE id = ?1", [id.0])?;
        if n > 0 {
            bump_version(tx)?;
        }
        Ok(n > 0)
    })
}

/// Every intervention, by start day then id.
pub(super) fn all(conn: &Connection) -> Result<Vec<Intervention>> {
    read_many(
        conn,
        &format!("SELECT {COLUMNS} FROM interventions ORDER BY start_day, id"),
        params![],
    )
}

/// Interventions active on any day of `[first_day, last_day]`, by start day then id.
pub(super) fn overlapping(
    conn: &Connection,
    first_day: NaiveDate,
    last_day: NaiveDate,
) -> Result<Vec<Intervention>> {
    read_many(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM interventions
             WHERE start_day <= ?2 AND (end_day IS NULL OR end_day >= ?1)
             ORDER BY start_day, id"
        ),
        params![first_day.to_string(), last_day.to_string()],
    )
}

/// Interventions whose last day lies in `[first_day, last_day]`, by end day then id.
pub(super) fn ended_between(
    conn: &Connection,
    first_day: NaiveDate,
    last_day: NaiveDate,
) -> Result<Vec<Intervention>> {
    read_many(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM interventions WHERE end_day >= ?1 AND end_day <= ?2
             ORDER BY end_day, id"
        ),
        params![first_day.to_string(), last_day.to_string()],
    )
}

fn bump_version(tx: &rusqlite::Connection) -> Result<()> {
    tx.execute(
        "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'interventions_version'",
        [],
    )?;
    Ok(())
}

/// An area target or hotspot must name a stored layer and area.
fn check_areas(conn: &Connection, spec: &InterventionSpec, action: &ActionSpec) -> Result<()> {
    check_area(conn, "target", &spec.target)?;
    if let Some(h) = &action.hotspot {
        check_area(conn, "hotspot", h)?;
    }
    Ok(())
}

fn check_area(conn: &Connection, field: &'static str, target: &InterventionTarget) -> Result<()> {
    let InterventionTarget::Area { layer, id } = target else {
        return Ok(());
    };
    let layer_key: Option<i64> = conn
        .query_row("SELECT id FROM area_layers WHERE name = ?1", [layer], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(layer_key) = layer_key else {
        let mut stmt = conn.prepare("SELECT name FROM area_layers ORDER BY name")?;
        let names: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        return Err(codec::unknown_layer(field, layer, id, &names));
    };
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM areas WHERE layer_id = ?1 AND code = ?2",
            params![layer_key, id],
            |r| r.get(0),
        )
        .optional()?;
    if found.is_none() {
        return Err(codec::unknown_area(field, layer, id));
    }
    Ok(())
}

/// No other live (not cancelled) intervention of the same kind, partner and target may
/// overlap the dates; open ends run on.
fn check_duplicate(
    conn: &Connection,
    spec: &InterventionSpec,
    action: &ActionSpec,
    this: Option<InterventionId>,
) -> Result<()> {
    if action.status == ActionStatus::Cancelled {
        return Ok(());
    }
    let existing: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT id, start_day, end_day FROM interventions
             WHERE target_key = ?1 AND kind = ?2 AND partner = ?3 AND status <> 'cancelled'
               AND start_day <= COALESCE(?5, '9999-12-31')
               AND COALESCE(end_day, '9999-12-31') >= ?4 AND id IS NOT ?6
             ORDER BY id LIMIT 1",
            params![
                spec.target.key(),
                spec.kind.as_str(),
                spec.partner.as_str(),
                spec.start.to_string(),
                spec.end.0.map(|d| d.to_string()),
                this.map(|i| i.0)
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((id, start, end)) = existing {
        return Err(InterventionError::OverlappingDuplicate {
            existing: InterventionId(id),
            kind: spec.kind.clone(),
            partner: spec.partner.clone(),
            start: parse_stored_day(&start)?,
            end: OpenEnd(end.as_deref().map(parse_stored_day).transpose()?),
        }
        .into());
    }
    Ok(())
}

pub(super) fn read_one(
    conn: &rusqlite::Connection,
    id: InterventionId,
) -> Result<Option<Intervention>> {
    Ok(read_many(
        conn,
        &format!("SELECT {COLUMNS} FROM interventions WHERE id = ?1"),
        params![id.0],
    )?
    .pop())
}

fn read_many(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Intervention>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(args, |r| {
        Ok(codec::InterventionRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            partner: r.get(2)?,
            target: r.get(3)?,
            start: r.get(4)?,
            end: r.get(5)?,
            description: r.get(6)?,
            created: r.get(7)?,
            updated: r.get(8)?,
            status: r.get(9)?,
            responsible: r.get(10)?,
            goal: r.get(11)?,
            decided_at: r.get(12)?,
            hotspot: r.get(13)?,
            outcome: r.get(14)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(codec::intervention(row?)?);
    }
    Ok(out)
}
