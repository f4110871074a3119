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
use crate::intervention::{Intervention, InterventionError, InterventionId, InterventionSpec};
use crate::store::codec::{self, parse_stored_day};
use crate::store::{Result, StoreError};

const COLUMNS: &str =
    "id, kind, partner, target, start_day, end_day, description, created_at, updated_at";

/// Registers an intervention and returns it as stored.
///
/// # Errors
/// [`StoreError::Intervention`] with `UnknownArea` when the target area does not exist, or
/// `OverlappingDuplicate` when the same kind, partner and target overlap the dates.
pub(super) fn add(conn: &Connection, spec: &InterventionSpec) -> Result<Intervention> {
    in_transaction(conn, |tx| {
        check_target(tx, spec)?;
        check_duplicate(tx, spec, None)?;
        let now = Utc::now().to_rfc3339();
        tx.execute(
            "INSERT INTO interventions (kind, partner, target, target_key, start_day, end_day, description, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                spec.kind.as_str(),
                spec.partner.as_str(),
                spec.target.to_json().to_string(),
                spec.target.key(),
                spec.start.to_string(),
                spec.end.to_string(),
                spec.description,
                now
            ],
        )?;
        let id = InterventionId(tx.last_insert_rowid());
        bump_version(tx)?;
        read_one(tx, id)?.ok_or_else(|| StoreError::Corrupt(format!("intervention {id} vanished")))
    })
}

/// Replaces an intervention; `None` when there is no such id (nothing changes then).
pub(super) fn update(
    conn: &Connection,
    id: InterventionId,
    spec: &InterventionSpec,
) -> Result<Option<Intervention>> {
    in_transaction(conn, |tx| {
        if read_one(tx, id)?.is_none() {
            return Ok(None);
        }
        check_target(tx, spec)?;
        check_duplicate(tx, spec, Some(id))?;
        tx.execute(
            "UPDATE interventions SET kind = ?2, partner = ?3, target = ?4, target_key = ?5,
             start_day = ?6, end_day = ?7, description = ?8, updated_at = ?9 WHERE id = ?1",
            params![
                id.0,
                spec.kind.as_str(),
                spec.partner.as_str(),
                spec.target.to_json().to_string(),
                spec.target.key(),
                spec.start.to_string(),
                spec.end.to_string(),
                spec.description,
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
            "SELECT {COLUMNS} FROM interventions WHERE start_day <= ?2 AND end_day >= ?1
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

/// An area target must name a stored layer and area.
fn check_target(conn: &rusqlite::Connection, spec: &InterventionSpec) -> Result<()> {
    let crate::intervention::InterventionTarget::Area { layer, id } = &spec.target else {
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
        return Err(codec::unknown_layer(layer, id, &names));
    };
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM areas WHERE layer_id = ?1 AND code = ?2",
            params![layer_key, id],
            |r| r.get(0),
        )
        .optional()?;
    if found.is_none() {
        return Err(codec::unknown_area(layer, id));
    }
    Ok(())
}

/// No other intervention of the same kind, partner and target may overlap the dates.
fn check_duplicate(
    conn: &rusqlite::Connection,
    spec: &InterventionSpec,
    this: Option<InterventionId>,
) -> Result<()> {
    let existing: Option<(i64, String, String)> = conn
        .query_row(
            "SELECT id, start_day, end_day FROM interventions
             WHERE target_key = ?1 AND kind = ?2 AND partner = ?3
               AND start_day <= ?5 AND end_day >= ?4 AND id IS NOT ?6
             ORDER BY id LIMIT 1",
            params![
                spec.target.key(),
                spec.kind.as_str(),
                spec.partner.as_str(),
                spec.start.to_string(),
                spec.end.to_string(),
                this.map(|i| i.0)
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((id, start, end)) = existing {
        return Err(InterventionError::OverlappingDuplicate {
            existing: InterventionId(id),
            kind: spec.kind,
            partner: spec.partner.clone(),
            start: parse_stored_day(&start)?,
            end: parse_stored_day(&end)?,
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
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(codec::intervention(row?)?);
    }
    Ok(out)
}
