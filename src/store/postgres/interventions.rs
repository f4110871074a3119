//! The interventions register (actions) on PostgreSQL: decoding rows, and the checks and
//! writes an add or update runs inside its transaction.

use chrono::Utc;
use postgres::Row;
use postgres::types::ToSql;

use super::codec;
use crate::intervention::{
    ActionSpec, ActionStatus, Intervention, InterventionError, InterventionId, InterventionSpec,
    InterventionTarget, OpenEnd,
};
use crate::store::Result;

pub(super) fn interventions_from(rows: Vec<Row>) -> Result<Vec<Intervention>> {
    rows.into_iter()
        .map(|r| {
            codec::intervention(codec::InterventionRow {
                id: r.get(0),
                kind: r.get(1),
                partner: r.get(2),
                target: r.get(3),
                start: r.get(4),
                end: r.get(5),
                description: r.get(6),
                created: r.get(7),
                updated: r.get(8),
                status: r.get(9),
                responsible: r.get(10),
                goal: r.get(11),
                decided_at: r.get(12),
                hotspot: r.get(13),
                outcome: r.get(14),
            })
        })
        .collect()
}

pub(super) fn check_areas(
    tx: &mut postgres::Transaction<'_>,
    spec: &InterventionSpec,
    action: &ActionSpec,
) -> Result<()> {
    check_area(tx, "target", &spec.target)?;
    if let Some(h) = &action.hotspot {
        check_area(tx, "hotspot", h)?;
    }
    Ok(())
}

pub(super) fn check_area(
    tx: &mut postgres::Transaction<'_>,
    field: &'static str,
    target: &InterventionTarget,
) -> Result<()> {
    let InterventionTarget::Area { layer, id } = target else {
        return Ok(());
    };
    let layer_key: Option<i64> = tx
        .query_opt("SELECT id FROM area_layers WHERE name = $1", &[layer])?
        .map(|r| r.get(0));
    let Some(layer_key) = layer_key else {
        let names: Vec<String> = tx
            .query("SELECT name FROM area_layers ORDER BY name", &[])?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        return Err(codec::unknown_layer(field, layer, id, &names));
    };
    if tx
        .query_opt(
            "SELECT 1 FROM areas WHERE layer_id = $1 AND code = $2",
            &[&layer_key, id],
        )?
        .is_none()
    {
        return Err(codec::unknown_area(field, layer, id));
    }
    Ok(())
}

pub(super) fn check_duplicate(
    tx: &mut postgres::Transaction<'_>,
    spec: &InterventionSpec,
    action: &ActionSpec,
    this: Option<InterventionId>,
) -> Result<()> {
    if action.status == ActionStatus::Cancelled {
        return Ok(());
    }
    let existing = tx.query_opt(
        "SELECT id, start_day, end_day FROM interventions
         WHERE target_key = $1 AND kind = $2 AND partner = $3 AND status <> 'cancelled'
           AND start_day <= COALESCE($5, '9999-12-31')
           AND COALESCE(end_day, '9999-12-31') >= $4 AND id IS DISTINCT FROM $6
         ORDER BY id LIMIT 1",
        &[
            &spec.target.key(),
            &spec.kind.as_str(),
            &spec.partner.as_str(),
            &spec.start.to_string(),
            &spec.end.0.map(|d| d.to_string()),
            &this.map(|i| i.0),
        ],
    )?;
    if let Some(r) = existing {
        let (start, end): (String, Option<String>) = (r.get(1), r.get(2));
        return Err(InterventionError::OverlappingDuplicate {
            existing: InterventionId(r.get(0)),
            kind: spec.kind.clone(),
            partner: spec.partner.clone(),
            start: codec::parse_stored_day(&start)?,
            end: OpenEnd(end.as_deref().map(codec::parse_stored_day).transpose()?),
        }
        .into());
    }
    Ok(())
}

pub(super) fn write_intervention(
    tx: &mut postgres::Transaction<'_>,
    id: Option<InterventionId>,
    spec: &InterventionSpec,
    action: &ActionSpec,
) -> Result<InterventionId> {
    let now = Utc::now().to_rfc3339();
    let v = codec::InterventionValues::new(spec, action);
    let values: [&(dyn ToSql + Sync); 14] = [
        &v.kind,
        &v.partner,
        &v.target,
        &v.target_key,
        &v.start,
        &v.end,
        &v.description,
        &v.status,
        &v.responsible,
        &v.goal,
        &v.decided_at,
        &v.hotspot,
        &v.outcome,
        &now,
    ];
    let row = match id {
        None => tx.query_one(
            "INSERT INTO interventions (kind, partner, target, target_key, start_day, end_day,
                 description, status, responsible, goal, decided_at, hotspot, outcome,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
             RETURNING id",
            &values,
        )?,
        Some(id) => {
            let mut with_id: Vec<&(dyn ToSql + Sync)> = values.to_vec();
            with_id.push(&id.0);
            tx.query_one(
                "UPDATE interventions SET kind = $1, partner = $2, target = $3, target_key = $4,
                 start_day = $5, end_day = $6, description = $7, status = $8, responsible = $9,
                 goal = $10, decided_at = $11, hotspot = $12, outcome = $13, updated_at = $14
                 WHERE id = $15 RETURNING id",
                &with_id,
            )?
        }
    };
    tx.execute(
        "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'interventions_version'",
        &[],
    )?;
    Ok(InterventionId(row.get(0)))
}
