//! The write transaction: `BEGIN IMMEDIATE` on a pooled connection, `ROLLBACK` when dropped
//! uncommitted.

use std::cell::Cell;

use chrono::Utc;
use h3o::{CellIndex, Resolution};
use rusqlite::{OptionalExtension, params};

use super::read::{self, incident_from_row, pack_cells};
use super::{CACHE_KIB, Conn, WRITE_CACHE_KIB, access, meta_get};
use crate::model::access::AuditEntry;
use crate::model::{Area, Incident, Wgs84};
use crate::store::codec;
use crate::store::{
    BatchCounts, Change, Deletion, InsertOutcome, NewIncident, Result, StoreError, StoredArea,
    WriteTx,
};

pub(super) struct SqliteTx<'a> {
    conn: Conn<'a>,
    /// What the transaction changed, for the `changes` log.
    change: Cell<Option<Change>>,
    open: Cell<bool>,
}

impl<'a> SqliteTx<'a> {
    pub(super) fn begin(conn: Conn<'a>) -> Result<SqliteTx<'a>> {
        conn.pragma_update(None, "cache_size", -WRITE_CACHE_KIB)?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTx {
            conn,
            change: Cell::new(None),
            open: Cell::new(true),
        })
    }

    fn note(&self, c: Change) {
        self.change.set(Some(Change::merge(self.change.get(), c)));
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            // A failed rollback leaves the transaction open; the pool then closes the
            // connection, which rolls it back.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let _ = self.conn.pragma_update(None, "cache_size", -CACHE_KIB);
    }
}

impl WriteTx for SqliteTx<'_> {
    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        read::resolutions(&self.conn)
    }

    fn set_h3_resolutions(&self, res: &[Resolution]) -> Result<()> {
        self.note(Change::All);
        let text = crate::store::codec::resolutions_text(res);
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('h3_resolutions', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [text],
        )?;
        Ok(())
    }

    fn begin_batch(&self, source: &str, format: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO batches (source, format, started_at) VALUES (?1, ?2, ?3)",
            params![source, format, Utc::now().to_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_batch(&self, batch: i64, c: &BatchCounts) -> Result<()> {
        self.conn.execute(
            "UPDATE batches SET accepted = ?2, duplicates = ?3, rejected = ?4, outside = ?5 WHERE id = ?1",
            params![batch, c.accepted as i64, c.duplicates as i64, c.rejected as i64, c.outside as i64],
        )?;
        Ok(())
    }

    fn insert_incidents(&self, batch: i64, rows: &[NewIncident<'_>]) -> Result<Vec<InsertOutcome>> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO incidents (partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, batch_id, source_row, cells)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (partner, ext_id) DO NOTHING",
        )?;
        let mut existing = self.conn.prepare_cached(
            "SELECT category, occurred_at, occurred_to, lon, lat, description, batch_id, source_row
             FROM incidents WHERE partner = ?1 AND ext_id = ?2",
        )?;
        let mut assign = self.conn.prepare_cached(
            "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)",
        )?;
        let mut cells = Vec::with_capacity(64);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let inc = r.incident;
            cells.clear();
            cells.extend(r.cells.iter().flat_map(|c| u64::from(*c).to_le_bytes()));
            let changed = insert.execute(params![
                inc.partner,
                inc.id,
                inc.category,
                inc.occurred_at.timestamp(),
                inc.occurred_to.map(|t| t.timestamp()),
                inc.location.lon,
                inc.location.lat,
                inc.description,
                batch,
                r.row as i64,
                cells,
            ])?;
            if changed == 0 {
                out.push(compare_existing(&mut existing, inc)?);
                continue;
            }
            let key = self.conn.last_insert_rowid();
            for (layer, area) in r.areas {
                assign.execute(params![key, layer, area])?;
            }
            out.push(InsertOutcome::Inserted);
        }
        Ok(out)
    }

    fn delete_incidents(&self, what: &Deletion<'_>) -> Result<Option<u64>> {
        self.note(Change::All);
        // Area assignments go by ON DELETE CASCADE.
        let n = match *what {
            Deletion::Batch(batch) => {
                let known = self
                    .conn
                    .query_row("SELECT 1 FROM batches WHERE id = ?1", [batch], |_| Ok(()))
                    .optional()?;
                if known.is_none() {
                    return Ok(None);
                }
                self.conn
                    .execute("DELETE FROM incidents WHERE batch_id = ?1", [batch])?
            }
            Deletion::Partner { partner, before } => self.conn.execute(
                "DELETE FROM incidents WHERE partner = ?1 AND (?2 IS NULL OR occurred_at < ?2)",
                params![partner, before.map(|t| t.timestamp())],
            )?,
            Deletion::Ids { partner, ids } => {
                let mut stmt = self
                    .conn
                    .prepare_cached("DELETE FROM incidents WHERE partner = ?1 AND ext_id = ?2")?;
                let mut n = 0;
                for id in ids {
                    n += stmt.execute(params![partner, id])?;
                }
                n
            }
        };
        Ok(Some(n as u64))
    }

    fn correct_incident(
        &self,
        inc: &Incident,
        cells: &[CellIndex],
        areas: &[(i64, i64)],
    ) -> Result<Option<Incident>> {
        let old = self
            .conn
            .query_row(
                "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
                 FROM incidents WHERE partner = ?1 AND ext_id = ?2",
                params![inc.partner, inc.id],
                |r| Ok((r.get::<_, i64>(0)?, incident_from_row(r, 1)?)),
            )
            .optional()?;
        let Some((key, before)) = old else {
            return Ok(None);
        };
        self.note(Change::All);
        self.conn.execute(
            "UPDATE incidents SET category = ?2, occurred_at = ?3, occurred_to = ?4, lon = ?5, lat = ?6, description = ?7, cells = ?8 WHERE id = ?1",
            params![
                key,
                inc.category,
                inc.occurred_at.timestamp(),
                inc.occurred_to.map(|t| t.timestamp()),
                inc.location.lon,
                inc.location.lat,
                inc.description,
                pack_cells(cells)
            ],
        )?;
        self.conn
            .execute("DELETE FROM incident_areas WHERE incident_id = ?1", [key])?;
        for (layer, area) in areas {
            self.conn.execute(
                "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)",
                params![key, layer, area],
            )?;
        }
        Ok(Some(before))
    }

    fn incident_locations(&self) -> Result<Vec<(i64, Wgs84)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, lon, lat FROM incidents ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                Wgs84 {
                    lon: r.get(1)?,
                    lat: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn set_cells(&self, cells: &[(i64, Vec<CellIndex>)]) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE incidents SET cells = ?2 WHERE id = ?1")?;
        for (key, c) in cells {
            stmt.execute(params![key, pack_cells(c)])?;
        }
        Ok(())
    }

    fn note_incidents(&self, from: i64, to: i64) {
        self.note(Change::Incidents { from, to });
    }

    fn replace_layer(&self, name: &str, source: &str, areas: &[Area]) -> Result<(i64, Vec<i64>)> {
        self.note(Change::All);
        self.conn
            .execute("DELETE FROM area_layers WHERE name = ?1", [name])?;
        self.conn.execute(
            "INSERT INTO area_layers (name, source, imported_at) VALUES (?1, ?2, ?3)",
            params![name, source, Utc::now().to_rfc3339()],
        )?;
        let layer = self.conn.last_insert_rowid();
        let mut stmt = self.conn.prepare(
            "INSERT INTO areas (layer_id, code, name, population, parent, geometry) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut keys = Vec::with_capacity(areas.len());
        for a in areas {
            let geometry = geojson::Geometry::from(&a.geometry);
            let text =
                serde_json::to_string(&geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            stmt.execute(params![
                layer,
                a.id,
                a.name,
                a.population.map(|p| p as i64),
                a.parent,
                text
            ])?;
            keys.push(self.conn.last_insert_rowid());
        }
        Ok((layer, keys))
    }

    fn assign(&self, layer: i64, pairs: &[(i64, i64)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)",
        )?;
        for (incident, area) in pairs {
            stmt.execute(params![incident, layer, area])?;
        }
        Ok(())
    }

    fn areas(&self) -> Result<Vec<StoredArea>> {
        read::areas(&self.conn, None)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        access::append_audit(&self.conn, entry)?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<i64> {
        let v: i64 = meta_get(&self.conn, "data_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            + 1;
        self.conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'data_version'",
            [v.to_string()],
        )?;
        let (kind, from, to) = match self.change.get() {
            Some(Change::Incidents { from, to }) => ("incidents", Some(from), Some(to)),
            Some(Change::All) | None => ("all", None, None),
        };
        self.conn.execute(
            "INSERT INTO changes (version, kind, from_ts, to_ts) VALUES (?1, ?2, ?3, ?4)",
            params![v, kind, from, to],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.open.set(false);
        Ok(v)
    }
}

fn compare_existing(
    existing: &mut rusqlite::CachedStatement<'_>,
    inc: &Incident,
) -> Result<InsertOutcome> {
    let e = existing.query_row(params![inc.partner, inc.id], |r| {
        Ok(codec::Existing {
            category: r.get(0)?,
            occurred_at: r.get(1)?,
            occurred_to: r.get(2)?,
            lon: r.get(3)?,
            lat: r.get(4)?,
            description: r.get(5)?,
            batch: r.get(6)?,
            row: r.get(7)?,
        })
    })?;
    Ok(codec::compare(&e, inc))
}
