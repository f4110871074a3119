//! The write transaction: `BEGIN` plus the writers' advisory lock on a pooled connection,
//! `ROLLBACK` when dropped uncommitted.

use std::cell::{Cell, RefCell};

use chrono::Utc;
use h3o::{CellIndex, Resolution};

use super::{Conn, WRITE_LOCK, append_audit, areas_from, incident_from_row, meta_get};
use crate::model::access::AuditEntry;
use crate::model::{Area, Incident, Wgs84};
use crate::store::codec;
use crate::store::{
    BatchCounts, Change, Deletion, InsertOutcome, NewIncident, Result, StoreError, StoredArea,
    WriteTx,
};

pub(super) struct PgTx<'a> {
    conn: RefCell<Conn<'a>>,
    change: Cell<Option<Change>>,
    open: Cell<bool>,
}

impl<'a> PgTx<'a> {
    pub(super) fn begin(mut conn: Conn<'a>) -> Result<PgTx<'a>> {
        conn.batch_execute("BEGIN")?;
        let tx = PgTx {
            conn: RefCell::new(conn),
            change: Cell::new(None),
            open: Cell::new(true),
        };
        tx.conn
            .borrow_mut()
            .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        Ok(tx)
    }

    fn note(&self, c: Change) {
        self.change.set(Some(Change::merge(self.change.get(), c)));
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            let _ = self.conn.borrow_mut().batch_execute("ROLLBACK");
        }
    }
}

fn cells_i64(cells: &[CellIndex]) -> Vec<i64> {
    cells.iter().map(|c| u64::from(*c) as i64).collect()
}

impl WriteTx for PgTx<'_> {
    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        meta_get(&mut **self.conn.borrow_mut(), "h3_resolutions")?
            .map(|t| codec::resolutions(&t))
            .transpose()
    }

    fn set_h3_resolutions(&self, res: &[Resolution]) -> Result<()> {
        self.note(Change::All);
        self.conn.borrow_mut().execute(
            "INSERT INTO meta (key, value) VALUES ('h3_resolutions', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&codec::resolutions_text(res)],
        )?;
        Ok(())
    }

    fn begin_batch(&self, source: &str, format: &str) -> Result<i64> {
        Ok(self
            .conn
            .borrow_mut()
            .query_one(
                "INSERT INTO batches (source, format, started_at) VALUES ($1, $2, $3) RETURNING id",
                &[&source, &format, &Utc::now().to_rfc3339()],
            )?
            .get(0))
    }

    fn finish_batch(&self, batch: i64, c: &BatchCounts) -> Result<()> {
        self.conn.borrow_mut().execute(
            "UPDATE batches SET accepted = $2, duplicates = $3, rejected = $4, outside = $5 WHERE id = $1",
            &[
                &batch,
                &(c.accepted as i64),
                &(c.duplicates as i64),
                &(c.rejected as i64),
                &(c.outside as i64),
            ],
        )?;
        Ok(())
    }

    fn insert_incidents(&self, batch: i64, rows: &[NewIncident<'_>]) -> Result<Vec<InsertOutcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let n = rows[0].cells.len();
        if rows.iter().any(|r| r.cells.len() != n) {
            return Err(StoreError::Corrupt(
                "incidents with different numbers of cells in one chunk".into(),
            ));
        }
        let partner: Vec<&str> = rows.iter().map(|r| r.incident.partner.as_str()).collect();
        let ext_id: Vec<&str> = rows.iter().map(|r| r.incident.id.as_str()).collect();
        let category: Vec<&str> = rows.iter().map(|r| r.incident.category.as_str()).collect();
        let at: Vec<i64> = rows
            .iter()
            .map(|r| r.incident.occurred_at.timestamp())
            .collect();
        let upto: Vec<Option<i64>> = rows
            .iter()
            .map(|r| r.incident.occurred_to.map(|t| t.timestamp()))
            .collect();
        let lon: Vec<f64> = rows.iter().map(|r| r.incident.location.lon).collect();
        let lat: Vec<f64> = rows.iter().map(|r| r.incident.location.lat).collect();
        let desc: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.incident.description.as_deref())
            .collect();
        let srow: Vec<i64> = rows.iter().map(|r| r.row as i64).collect();
        let cells: Vec<i64> = rows.iter().flat_map(|r| cells_i64(r.cells)).collect();
        let width = n as i32;
        let mut conn = self.conn.borrow_mut();
        // Rows are inserted in input order; within the chunk the first of two equal keys wins.
        let inserted = conn.query(
            "INSERT INTO incidents (partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, batch_id, source_row, cells)
             SELECT u.partner, u.ext_id, u.category, u.at, u.upto, u.lon, u.lat, u.descr, $10, u.srow,
                    CASE WHEN $12 = 0 THEN '{}'::bigint[] ELSE ($11::bigint[])[((u.ord - 1) * $12 + 1):(u.ord * $12)] END
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::float8[], $8::text[], $9::bigint[])
                  WITH ORDINALITY AS u(partner, ext_id, category, at, upto, lon, lat, descr, srow, ord)
             ORDER BY u.ord
             ON CONFLICT (partner, ext_id) DO NOTHING
             RETURNING id, partner, ext_id, source_row",
            &[
                &partner, &ext_id, &category, &at, &upto, &lon, &lat, &desc, &srow, &batch,
                &cells, &width,
            ],
        )?;
        // (partner, id) -> (key, source row) of the rows this chunk stored.
        let mut fresh: std::collections::HashMap<(String, String), (i64, i64)> = inserted
            .iter()
            .map(|r| ((r.get(1), r.get(2)), (r.get(0), r.get(3))))
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        let mut pending = Vec::new();
        let (mut a_inc, mut a_layer, mut a_area) = (Vec::new(), Vec::new(), Vec::new());
        for (i, r) in rows.iter().enumerate() {
            let key = (r.incident.partner.clone(), r.incident.id.clone());
            match fresh.get(&key) {
                Some(&(id, src)) if src == r.row as i64 => {
                    // Claimed: later rows with the same key compare with this one.
                    fresh.insert(key, (id, i64::MIN));
                    for (layer, area) in r.areas {
                        a_inc.push(id);
                        a_layer.push(*layer);
                        a_area.push(*area);
                    }
                    out.push(InsertOutcome::Inserted);
                }
                _ => {
                    pending.push(i);
                    out.push(InsertOutcome::Duplicate);
                }
            }
        }
        if !a_inc.is_empty() {
            conn.execute(
                "INSERT INTO incident_areas (incident_id, layer_id, area_id)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])",
                &[&a_inc, &a_layer, &a_area],
            )?;
        }
        if !pending.is_empty() {
            let p: Vec<&str> = pending.iter().map(|&i| partner[i]).collect();
            let e: Vec<&str> = pending.iter().map(|&i| ext_id[i]).collect();
            let existing = conn.query(
                "SELECT i.partner, i.ext_id, i.category, i.occurred_at, i.occurred_to, i.lon, i.lat, i.description, i.batch_id, i.source_row
                 FROM incidents i JOIN unnest($1::text[], $2::text[]) AS k(partner, ext_id)
                   ON i.partner = k.partner AND i.ext_id = k.ext_id",
                &[&p, &e],
            )?;
            let by_key: std::collections::HashMap<(String, String), codec::Existing> = existing
                .into_iter()
                .map(|r| {
                    (
                        (r.get(0), r.get(1)),
                        codec::Existing {
                            category: r.get(2),
                            occurred_at: r.get(3),
                            occurred_to: r.get(4),
                            lon: r.get(5),
                            lat: r.get(6),
                            description: r.get(7),
                            batch: r.get(8),
                            row: r.get(9),
                        },
                    )
                })
                .collect();
            for i in pending {
                let inc = rows[i].incident;
                let found = by_key
                    .get(&(inc.partner.clone(), inc.id.clone()))
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "incident {}/{} was neither stored nor found",
                            inc.partner, inc.id
                        ))
                    })?;
                out[i] = codec::compare(found, inc);
            }
        }
        Ok(out)
    }

    fn delete_incidents(&self, what: &Deletion<'_>) -> Result<Option<u64>> {
        self.note(Change::All);
        let mut conn = self.conn.borrow_mut();
        // Area assignments go by ON DELETE CASCADE.
        let n = match *what {
            Deletion::Batch(batch) => {
                if conn
                    .query_opt("SELECT 1 FROM batches WHERE id = $1", &[&batch])?
                    .is_none()
                {
                    return Ok(None);
                }
                conn.execute("DELETE FROM incidents WHERE batch_id = $1", &[&batch])?
            }
            Deletion::Partner { partner, before } => conn.execute(
                "DELETE FROM incidents WHERE partner = $1 AND ($2::bigint IS NULL OR occurred_at < $2)",
                &[&partner, &before.map(|t| t.timestamp())],
            )?,
            Deletion::Ids { partner, ids } => conn.execute(
                "DELETE FROM incidents WHERE partner = $1 AND ext_id = ANY($2)",
                &[&partner, &ids],
            )?,
        };
        Ok(Some(n))
    }

    fn correct_incident(
        &self,
        inc: &Incident,
        cells: &[CellIndex],
        areas: &[(i64, i64)],
    ) -> Result<Option<Incident>> {
        let mut conn = self.conn.borrow_mut();
        let Some(old) = conn.query_opt(
            "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
             FROM incidents WHERE partner = $1 AND ext_id = $2 FOR UPDATE",
            &[&inc.partner, &inc.id],
        )?
        else {
            return Ok(None);
        };
        let key: i64 = old.get(0);
        let before = incident_from_row(&old, 1);
        self.note(Change::All);
        conn.execute(
            "UPDATE incidents SET category = $2, occurred_at = $3, occurred_to = $4, lon = $5, lat = $6, description = $7, cells = $8 WHERE id = $1",
            &[
                &key,
                &inc.category,
                &inc.occurred_at.timestamp(),
                &inc.occurred_to.map(|t| t.timestamp()),
                &inc.location.lon,
                &inc.location.lat,
                &inc.description,
                &cells_i64(cells),
            ],
        )?;
        conn.execute("DELETE FROM incident_areas WHERE incident_id = $1", &[&key])?;
        for (layer, area) in areas {
            conn.execute(
                "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES ($1, $2, $3)",
                &[&key, layer, area],
            )?;
        }
        Ok(Some(before))
    }

    fn incident_locations(&self) -> Result<Vec<(i64, Wgs84)>> {
        Ok(self
            .conn
            .borrow_mut()
            .query("SELECT id, lon, lat FROM incidents ORDER BY id", &[])?
            .into_iter()
            .map(|r| {
                (
                    r.get(0),
                    Wgs84 {
                        lon: r.get(1),
                        lat: r.get(2),
                    },
                )
            })
            .collect())
    }

    fn set_cells(&self, cells: &[(i64, Vec<CellIndex>)]) -> Result<()> {
        let mut conn = self.conn.borrow_mut();
        for chunk in cells.chunks(8192) {
            let n = chunk.first().map_or(0, |(_, c)| c.len()) as i32;
            let keys: Vec<i64> = chunk.iter().map(|(k, _)| *k).collect();
            let flat: Vec<i64> = chunk.iter().flat_map(|(_, c)| cells_i64(c)).collect();
            conn.execute(
                "UPDATE incidents i SET cells = ($2::bigint[])[((u.ord - 1) * $3 + 1):(u.ord * $3)]
                 FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) WHERE i.id = u.id",
                &[&keys, &flat, &n],
            )?;
        }
        Ok(())
    }

    fn note_incidents(&self, from: i64, to: i64) {
        self.note(Change::Incidents { from, to });
    }

    fn replace_layer(&self, name: &str, source: &str, areas: &[Area]) -> Result<(i64, Vec<i64>)> {
        self.note(Change::All);
        let mut conn = self.conn.borrow_mut();
        conn.execute("DELETE FROM area_layers WHERE name = $1", &[&name])?;
        let layer: i64 = conn
            .query_one(
                "INSERT INTO area_layers (name, source, imported_at) VALUES ($1, $2, $3) RETURNING id",
                &[&name, &source, &Utc::now().to_rfc3339()],
            )?
            .get(0);
        let stmt = conn.prepare(
            "INSERT INTO areas (layer_id, code, name, population, parent, geometry, geom)
             VALUES ($1, $2, $3, $4, $5, $6, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($6), 4326)))
             RETURNING id",
        )?;
        let mut keys = Vec::with_capacity(areas.len());
        for a in areas {
            let geometry = geojson::Geometry::from(&a.geometry);
            let text =
                serde_json::to_string(&geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let row = conn.query_one(
                &stmt,
                &[
                    &layer,
                    &a.id,
                    &a.name,
                    &a.population.map(|p| p as i64),
                    &a.parent,
                    &text,
                ],
            )?;
            keys.push(row.get(0));
        }
        Ok((layer, keys))
    }

    fn assign(&self, layer: i64, pairs: &[(i64, i64)]) -> Result<()> {
        let mut conn = self.conn.borrow_mut();
        for chunk in pairs.chunks(65_536) {
            let inc: Vec<i64> = chunk.iter().map(|p| p.0).collect();
            let area: Vec<i64> = chunk.iter().map(|p| p.1).collect();
            conn.execute(
                "INSERT INTO incident_areas (incident_id, layer_id, area_id)
                 SELECT u.i, $2, u.a FROM unnest($1::bigint[], $3::bigint[]) AS u(i, a)",
                &[&inc, &layer, &area],
            )?;
        }
        Ok(())
    }

    fn areas(&self) -> Result<Vec<StoredArea>> {
        areas_from(&mut **self.conn.borrow_mut(), None)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        append_audit(&mut **self.conn.borrow_mut(), entry)?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<i64> {
        let (kind, from, to) = match self.change.get() {
            Some(Change::Incidents { from, to }) => ("incidents", Some(from), Some(to)),
            Some(Change::All) | None => ("all", None, None),
        };
        {
            let mut conn = self.conn.borrow_mut();
            let v: i64 = conn
                .query_one(
                    "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'data_version'
                     RETURNING value::bigint",
                    &[],
                )?
                .get(0);
            conn.execute(
                "INSERT INTO changes (version, kind, from_ts, to_ts) VALUES ($1, $2, $3, $4)",
                &[&v, &kind, &from, &to],
            )?;
            conn.execute(
                "SELECT pg_notify('lagesbild_data_version', $1)",
                &[&v.to_string()],
            )?;
            conn.batch_execute("COMMIT")?;
            self.open.set(false);
            Ok(v)
        }
    }
}
