//! The PostgreSQL + PostGIS backend (`--db postgres://USER@HOST:PORT/DB`): the same
//! interface as SQLite, for a county or a nation, with several servers on one database.
//!
//! Writers are serialised by a transaction-scoped advisory lock (as SQLite's single writer
//! is), so data versions and the change log stay in commit order across processes. The
//! schema is migrated under the same lock when a store is opened (`schema.rs`). Incident
//! inserts go in chunks through `unnest` arrays: one round trip per chunk, not per row.

mod copy;
mod gis;
mod interventions;
mod listen;
mod profiles;
mod schema;
mod sessions;
mod tx;

use chrono::{DateTime, NaiveDate, Utc};
use h3o::{CellIndex, Resolution};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row};

use super::codec;
use super::pool::{Pool, Pooled, Reusable};
use super::{
    Backend, CategoryMapping, Change, LayerInfo, NoteVersion, ReportNotes, Result, StoreError,
    StoredArea, StoredIncident, WriteTx, redact,
};
use crate::ingest::ImportProfile;
use crate::intervention::{ActionSpec, Intervention, InterventionId, InterventionSpec};
use crate::model::access::{
    AuditEntry, AuditFilter, NewToken, PartnerSettings, Role, SessionRecord, TokenInfo,
};
use crate::model::{Area, Incident, Wgs84};

/// The advisory lock key that serialises writers (and migrations).
const WRITE_LOCK: i64 = 0x6c61_6765_7362_696c; // "lagesbil"

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        match e.as_db_error() {
            // Class 08 (connection exception), 57P (operator intervention: shut down,
            // terminated, cannot connect now), and a database that refuses connections.
            Some(db)
                if db.code().code().starts_with("08")
                    || db.code().code().starts_with("57P")
                    || db.code()
                        == &postgres::error::SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE =>
            {
                StoreError::Unavailable(format!("{}: {}", db.code().code(), db.message()))
            }
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None if e.is_closed()
                || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) =>
            {
                StoreError::Unavailable(e.to_string())
            }
            None => StoreError::Database(e.to_string()),
        }
    }
}

/// A PostgreSQL database with a pool of connections.
pub struct PgStore {
    url: String,
    idle: Pool<Client>,
}

/// A pooled connection, returned to the pool when dropped (closed ones are not).
pub(crate) type Conn<'a> = Pooled<'a, Client>;

impl Reusable for Client {
    fn reusable(&self) -> bool {
        !self.is_closed()
    }
}

impl PgStore {
    /// Connects to `url` and migrates the schema (PostGIS must be available; the extension
    /// is created if the role may).
    pub fn open(url: &str) -> Result<PgStore> {
        let store = PgStore {
            url: url.to_owned(),
            idle: Pool::new(),
        };
        let mut conn = store.conn()?;
        migrate(&mut conn, url)?;
        drop(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<Client> {
        Client::connect(&self.url, NoTls).map_err(|e| StoreError::Open {
            location: redact(&self.url),
            reason: e.to_string(),
        })
    }

    /// A connection from the pool (or a new one).
    pub(crate) fn conn(&self) -> Result<Conn<'_>> {
        self.idle.get(|| self.connect())
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        Ok(self.conn()?.query(sql, params)?)
    }

    fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        Ok(self.conn()?.query_opt(sql, params)?)
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        Ok(self.conn()?.execute(sql, params)?)
    }

    /// Runs `f` in a transaction, committing when it returns `Ok`.
    fn in_transaction<T>(
        &self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn migrate(conn: &mut Client, url: &str) -> Result<()> {
    let mut tx = conn.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")?;
    let version: i64 = tx
        .query_opt("SELECT version::bigint FROM schema_version", &[])?
        .map_or(0, |r| r.get(0));
    let known = schema::MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            location: redact(url),
            found: version,
            known,
        });
    }
    for sql in schema::MIGRATIONS.iter().skip(version as usize) {
        tx.batch_execute(sql)?;
    }
    if version < known {
        tx.execute("DELETE FROM schema_version", &[])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1::bigint::integer)",
            &[&known],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn meta_get(client: &mut impl postgres::GenericClient, key: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
        .map(|r| r.get(0)))
}

/// Reads `partner, ext_id, category, occurred_at, occurred_to, lon, lat, description`
/// starting at column `first`.
fn incident_from_row(r: &Row, first: usize) -> Incident {
    Incident {
        partner: r.get(first),
        id: r.get(first + 1),
        category: r.get(first + 2),
        occurred_at: codec::from_unix(r.get(first + 3)),
        occurred_to: r.get::<_, Option<i64>>(first + 4).map(codec::from_unix),
        location: Wgs84 {
            lon: r.get(first + 5),
            lat: r.get(first + 6),
        },
        description: r.get(first + 7),
    }
}

fn cells_from(v: Vec<i64>, n: usize) -> Result<Vec<CellIndex>> {
    if v.len() != n {
        return Err(StoreError::Corrupt(format!(
            "{} cells stored for {n} resolutions",
            v.len()
        )));
    }
    v.into_iter()
        .map(|c| CellIndex::try_from(c as u64).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

fn areas_from(
    client: &mut impl postgres::GenericClient,
    layer: Option<&str>,
) -> Result<Vec<StoredArea>> {
    let rows = client.query(
        "SELECT a.id, l.id, l.name, a.code, a.name, a.population, a.parent, a.geometry
         FROM areas a JOIN area_layers l ON l.id = a.layer_id
         WHERE $1::text IS NULL OR l.name = $1
         ORDER BY l.name COLLATE \"C\", a.code COLLATE \"C\"",
        &[&layer],
    )?;
    rows.into_iter()
        .map(|r| {
            let id: String = r.get(3);
            let geometry: String = r.get(7);
            let g: geojson::Geometry = serde_json::from_str(&geometry)
                .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
            let geometry = geo::MultiPolygon::<f64>::try_from(g)
                .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
            Ok(StoredArea {
                key: r.get(0),
                layer_key: r.get(1),
                area: Area {
                    layer: r.get(2),
                    id,
                    name: r.get(4),
                    geometry,
                    population: r.get::<_, Option<i64>>(5).map(|p| p as u64),
                    parent: r.get(6),
                },
            })
        })
        .collect()
}

fn token_from(r: &Row, first: usize) -> TokenInfo {
    let role: String = r.get(first + 2);
    TokenInfo {
        id: r.get(first),
        partner: r.get(first + 1),
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        label: r.get(first + 3),
        created_at: codec::from_unix(r.get(first + 4)),
        expires_at: r.get::<_, Option<i64>>(first + 5).map(codec::from_unix),
        revoked_at: r.get::<_, Option<i64>>(first + 6).map(codec::from_unix),
    }
}

const TOKEN_COLUMNS: &str = "id, partner, role, label, created_at, expires_at, revoked_at";
use codec::INTERVENTION_COLUMNS;
use interventions::{check_areas, check_duplicate, interventions_from, write_intervention};

pub(crate) fn append_audit(
    client: &mut impl postgres::GenericClient,
    e: &AuditEntry,
) -> Result<i64> {
    let row = client.query_one(
        "INSERT INTO audit (at, actor, partner, role, action, target, rows, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            &e.at.timestamp(),
            &e.actor,
            &e.partner,
            &e.role,
            &e.action,
            &e.target,
            &e.rows,
            &e.detail,
        ],
    )?;
    Ok(row.get(0))
}

impl Backend for PgStore {
    fn location(&self) -> String {
        redact(&self.url)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_get(&mut *self.conn()?, key)
    }

    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &v],
            )?,
            None => self.execute("DELETE FROM meta WHERE key = $1", &[&key])?,
        };
        Ok(())
    }

    fn data_version(&self) -> Result<i64> {
        Ok(self
            .meta("data_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        self.meta("h3_resolutions")?
            .map(|t| codec::resolutions(&t))
            .transpose()
    }

    fn changes_since(&self, since: i64) -> Result<Vec<Change>> {
        let mut conn = self.conn()?;
        let current: i64 = meta_get(&mut *conn, "data_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let rows = conn.query(
            "SELECT version, kind, from_ts, to_ts FROM changes WHERE version > $1 ORDER BY version",
            &[&since],
        )?;
        Ok(codec::changes(
            since,
            current,
            rows.into_iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))),
        ))
    }

    fn integrity_check(&self) -> Result<String> {
        // PostgreSQL checks its pages itself; a round trip proves the connection.
        self.query("SELECT 1", &[])?;
        Ok("ok".into())
    }

    fn incident_count(&self) -> Result<i64> {
        Ok(self.query("SELECT count(*) FROM incidents", &[])?[0].get(0))
    }

    fn layers(&self) -> Result<Vec<LayerInfo>> {
        Ok(self
            .query(
                "SELECT l.id, l.name, l.source, l.imported_at, (SELECT count(*) FROM areas a WHERE a.layer_id = l.id)
                 FROM area_layers l ORDER BY l.name COLLATE \"C\"",
                &[],
            )?
            .into_iter()
            .map(|r| LayerInfo {
                key: r.get(0),
                name: r.get(1),
                source: r.get(2),
                imported_at: r.get(3),
                areas: r.get(4),
            })
            .collect())
    }

    fn areas(&self, layer: Option<&str>) -> Result<Vec<StoredArea>> {
        areas_from(&mut *self.conn()?, layer)
    }

    fn area_counts(&self, layer_key: i64) -> Result<Vec<(i64, i64)>> {
        Ok(self
            .query(
                "SELECT area_id, count(*) FROM incident_areas WHERE layer_id = $1 GROUP BY area_id",
                &[&layer_key],
            )?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn incidents_after(
        &self,
        after_key: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>> {
        let n = self.h3_resolutions()?.map_or(0, |r| r.len());
        let lo = from.map_or(i64::MIN, |t| t.timestamp());
        let hi = to.map_or(i64::MAX, |t| t.timestamp());
        let rows = self.query(
            "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, cells
             FROM incidents WHERE occurred_at >= $1 AND occurred_at < $2 AND id > $3 ORDER BY id",
            &[&lo, &hi, &after_key],
        )?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredIncident {
                    key: r.get(0),
                    incident: incident_from_row(&r, 1),
                    cells: cells_from(r.get(9), n)?,
                })
            })
            .collect()
    }

    fn recent_incidents(&self, partner: &str, limit: usize) -> Result<Vec<Incident>> {
        Ok(self
            .query(
                "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
                 FROM incidents WHERE partner = $1 ORDER BY id DESC LIMIT $2",
                &[&partner, &(limit as i64)],
            )?
            .iter()
            .map(|r| incident_from_row(r, 0))
            .collect())
    }

    fn incident(&self, partner: &str, id: &str) -> Result<Option<Incident>> {
        Ok(self
            .query_opt(
                "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
                 FROM incidents WHERE partner = $1 AND ext_id = $2",
                &[&partner, &id],
            )?
            .map(|r| incident_from_row(&r, 0)))
    }

    fn incidents_page(
        &self,
        (min_lon, min_lat, max_lon, max_lat): (f64, f64, f64, f64),
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        (limit, offset): (usize, usize),
    ) -> Result<(Vec<(i64, Incident)>, u64)> {
        let lo = from.map_or(i64::MIN, |t| t.timestamp());
        let hi = to.map_or(i64::MAX, |t| t.timestamp());
        let filter = "lon >= $1 AND lon <= $3 AND lat >= $2 AND lat <= $4 AND occurred_at >= $5 AND occurred_at < $6";
        let mut conn = self.conn()?;
        let total: i64 = conn
            .query_one(
                &format!("SELECT count(*) FROM incidents WHERE {filter}"),
                &[&min_lon, &min_lat, &max_lon, &max_lat, &lo, &hi],
            )?
            .get(0);
        let rows = conn.query(
            &format!(
                "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
                 FROM incidents WHERE {filter} ORDER BY occurred_at, id LIMIT $7 OFFSET $8"
            ),
            &[
                &min_lon,
                &min_lat,
                &max_lon,
                &max_lat,
                &lo,
                &hi,
                &(limit as i64),
                &(offset as i64),
            ],
        )?;
        Ok((
            rows.iter()
                .map(|r| (r.get(0), incident_from_row(r, 1)))
                .collect(),
            total as u64,
        ))
    }

    fn assignments_after(&self, layer_key: i64, after_key: i64) -> Result<Vec<(i64, i64)>> {
        Ok(self
            .query(
                "SELECT incident_id, area_id FROM incident_areas WHERE layer_id = $1 AND incident_id > $2 ORDER BY incident_id",
                &[&layer_key, &after_key],
            )?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn ingest_batches(&self) -> Result<Vec<i64>> {
        Ok(self
            .query("SELECT id FROM batches WHERE accepted > 0 ORDER BY id", &[])?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn synthetic_sources(&self) -> Result<Vec<String>> {
        Ok(self
            .query(
                "SELECT source FROM batches WHERE accepted > 0 AND source LIKE '%synthetic%' ORDER BY id",
                &[],
            )?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn transaction(&self) -> Result<Box<dyn WriteTx + '_>> {
        Ok(Box::new(tx::PgTx::begin(self.conn()?)?))
    }

    fn read_rows(
        &self,
        table: &crate::store::copy::CopyTable,
        each: &mut dyn FnMut(Vec<crate::store::copy::Value>) -> Result<()>,
    ) -> Result<()> {
        self.read_table(table, each)
    }

    fn table_rows(&self, table: &crate::store::copy::CopyTable) -> Result<u64> {
        self.count_table(table)
    }

    fn copy_writer(&self) -> Result<Box<dyn crate::store::copy::CopyWriter + '_>> {
        Ok(Box::new(copy::PgCopy::begin(self.conn()?)?))
    }

    fn replace_gis_weeks(
        &self,
        weeks: &[String],
        areas: &[crate::store::GisAreaWeek],
        hexes: &[crate::store::GisHexWeek],
    ) -> Result<()> {
        self.replace_gis(weeks, areas, hexes)
    }

    fn grant_gis_reader(&self, role: &str) -> Result<()> {
        self.grant_gis(role)
    }

    fn watch_data_version(
        &self,
        on_change: std::sync::Arc<dyn Fn() + Send + Sync>,
    ) -> Result<bool> {
        let url = self.url.clone();
        std::thread::Builder::new()
            .name("lagesbild-listen".into())
            .spawn(move || listen::listen_loop(&url, &*on_change))
            .map_err(|e| StoreError::Database(format!("cannot start the LISTEN thread: {e}")))?;
        Ok(true)
    }

    fn add_action(&self, spec: &InterventionSpec, action: &ActionSpec) -> Result<Intervention> {
        let id = self.in_transaction(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            check_areas(tx, spec, action)?;
            check_duplicate(tx, spec, action, None)?;
            write_intervention(tx, None, spec, action)
        })?;
        self.intervention(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("intervention {id} vanished")))
    }

    fn update_action(
        &self,
        id: InterventionId,
        spec: &InterventionSpec,
        action: Option<&ActionSpec>,
    ) -> Result<Option<Intervention>> {
        let found = self.in_transaction(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let old = interventions_from(tx.query(
                &format!("SELECT {INTERVENTION_COLUMNS} FROM interventions WHERE id = $1"),
                &[&id.0],
            )?)?
            .pop();
            let Some(old) = old else {
                return Ok(false);
            };
            let action = action.unwrap_or(&old.action);
            check_areas(tx, spec, action)?;
            check_duplicate(tx, spec, action, Some(id))?;
            write_intervention(tx, Some(id), spec, action)?;
            Ok(true)
        })?;
        if found {
            self.intervention(id)
        } else {
            Ok(None)
        }
    }

    fn delete_intervention(&self, id: InterventionId) -> Result<bool> {
        self.in_transaction(|tx| {
            let n = tx.execute("DELETE FROM interventions WHERE id = $1", &[&id.0])?;
            if n > 0 {
                tx.execute(
                    "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'interventions_version'",
                    &[],
                )?;
            }
            Ok(n > 0)
        })
    }

    fn intervention(&self, id: InterventionId) -> Result<Option<Intervention>> {
        Ok(interventions_from(self.query(
            &format!("SELECT {INTERVENTION_COLUMNS} FROM interventions WHERE id = $1"),
            &[&id.0],
        )?)?
        .pop())
    }

    fn interventions(&self) -> Result<Vec<Intervention>> {
        interventions_from(self.query(
            &format!("SELECT {INTERVENTION_COLUMNS} FROM interventions ORDER BY start_day, id"),
            &[],
        )?)
    }

    fn interventions_overlapping(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>> {
        interventions_from(self.query(
            &format!(
                "SELECT {INTERVENTION_COLUMNS} FROM interventions
                 WHERE start_day <= $2 AND (end_day IS NULL OR end_day >= $1)
                 ORDER BY start_day, id"
            ),
            &[&first_day.to_string(), &last_day.to_string()],
        )?)
    }

    fn interventions_ended_between(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>> {
        interventions_from(self.query(
            &format!(
                "SELECT {INTERVENTION_COLUMNS} FROM interventions WHERE end_day >= $1 AND end_day <= $2
                 ORDER BY end_day, id"
            ),
            &[&first_day.to_string(), &last_day.to_string()],
        )?)
    }

    fn interventions_version(&self) -> Result<i64> {
        Ok(self
            .meta("interventions_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    fn report_notes(&self, report: &str, scope: &str) -> Result<Option<ReportNotes>> {
        Ok(self
            .query_opt(
                "SELECT notes, updated_at FROM report_notes WHERE report = $1 AND scope = $2",
                &[&report, &scope],
            )?
            .map(|r| ReportNotes {
                text: r.get(0),
                updated_at: r.get(1),
            }))
    }

    fn set_report_notes(
        &self,
        report: &str,
        scope: &str,
        text: &str,
        updated_at: &str,
    ) -> Result<()> {
        if text.is_empty() {
            self.execute(
                "DELETE FROM report_notes WHERE report = $1 AND scope = $2",
                &[&report, &scope],
            )?;
        } else {
            self.execute(
                "INSERT INTO report_notes (report, scope, notes, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (report, scope) DO UPDATE SET notes = excluded.notes, updated_at = excluded.updated_at",
                &[&report, &scope, &text, &updated_at],
            )?;
        }
        Ok(())
    }

    fn save_report_note(
        &self,
        report: &str,
        scope: &str,
        v: &NoteVersion,
        audit: &AuditEntry,
    ) -> Result<()> {
        self.in_transaction(|tx| {
            tx.execute(
                "INSERT INTO report_note_versions (report, scope, section, partner, author, saved_at, text)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&report, &scope, &v.section, &v.partner, &v.author, &v.saved_at, &v.text],
            )?;
            if v.section == "notes" {
                if v.text.is_empty() {
                    tx.execute(
                        "DELETE FROM report_notes WHERE report = $1 AND scope = $2",
                        &[&report, &scope],
                    )?;
                } else {
                    tx.execute(
                        "INSERT INTO report_notes (report, scope, notes, updated_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (report, scope) DO UPDATE SET notes = excluded.notes, updated_at = excluded.updated_at",
                        &[&report, &scope, &v.text, &v.saved_at],
                    )?;
                }
            }
            append_audit(tx, audit)?;
            Ok(())
        })
    }

    fn report_note_versions(&self, report: &str, scope: &str) -> Result<Vec<NoteVersion>> {
        Ok(self
            .query(
                "SELECT section, partner, author, saved_at, text FROM report_note_versions
                 WHERE report = $1 AND scope = $2 ORDER BY id DESC",
                &[&report, &scope],
            )?
            .into_iter()
            .map(|r| NoteVersion {
                section: r.get(0),
                partner: r.get(1),
                author: r.get(2),
                saved_at: r.get(3),
                text: r.get(4),
            })
            .collect())
    }

    fn put_partner(&self, p: &PartnerSettings, audit: &AuditEntry) -> Result<()> {
        self.in_transaction(|tx| {
            tx.execute(
                "INSERT INTO partners (code, name, shares, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, shares = excluded.shares",
                &[&p.code, &p.name, &p.shares, &Utc::now().timestamp()],
            )?;
            append_audit(tx, audit)?;
            Ok(())
        })
    }

    fn partners(&self) -> Result<Vec<PartnerSettings>> {
        Ok(self
            .query(
                "SELECT code, name, shares FROM partners ORDER BY code COLLATE \"C\"",
                &[],
            )?
            .into_iter()
            .map(|r| PartnerSettings {
                code: r.get(0),
                name: r.get(1),
                shares: r.get(2),
            })
            .collect())
    }

    fn partner(&self, code: &str) -> Result<Option<PartnerSettings>> {
        Ok(self
            .query_opt(
                "SELECT code, name, shares FROM partners WHERE code = $1",
                &[&code],
            )?
            .map(|r| PartnerSettings {
                code: r.get(0),
                name: r.get(1),
                shares: r.get(2),
            }))
    }

    fn add_token(
        &self,
        t: &NewToken,
        audit: &dyn Fn(&TokenInfo) -> AuditEntry,
    ) -> Result<TokenInfo> {
        self.in_transaction(|tx| {
            if tx
                .query_opt("SELECT 1 FROM partners WHERE code = $1", &[&t.partner])?
                .is_none()
            {
                return Err(StoreError::UnknownPartner(t.partner.clone()));
            }
            let row = tx.query_one(
                "INSERT INTO tokens (hash, partner, role, label, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &t.hash.as_slice(),
                    &t.partner,
                    &t.role.as_str(),
                    &t.label,
                    &t.created_at.timestamp(),
                    &t.expires_at.map(|e| e.timestamp()),
                ],
            )?;
            let info = TokenInfo {
                id: row.get(0),
                partner: t.partner.clone(),
                role: t.role,
                label: t.label.clone(),
                created_at: codec::from_unix(t.created_at.timestamp()),
                expires_at: t.expires_at.map(|e| codec::from_unix(e.timestamp())),
                revoked_at: None,
            };
            append_audit(tx, &audit(&info))?;
            Ok(info)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>> {
        Ok(self
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"),
                &[],
            )?
            .iter()
            .map(|r| token_from(r, 0))
            .collect())
    }

    fn token(&self, id: i64) -> Result<Option<TokenInfo>> {
        Ok(self
            .query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"),
                &[&id],
            )?
            .map(|r| token_from(&r, 0)))
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Vec<u8>, TokenInfo)>> {
        Ok(self
            .query_opt(
                &format!("SELECT hash, {TOKEN_COLUMNS} FROM tokens WHERE hash = $1"),
                &[&hash.as_slice()],
            )?
            .map(|r| (r.get::<_, Vec<u8>>(0), token_from(&r, 1))))
    }

    fn revoke_token(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: &dyn Fn(&TokenInfo, bool) -> AuditEntry,
    ) -> Result<Option<TokenInfo>> {
        self.in_transaction(|tx| {
            let changed = tx.execute(
                "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &at.timestamp()],
            )?;
            let Some(row) = tx.query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1"),
                &[&id],
            )?
            else {
                return Ok(None);
            };
            let info = token_from(&row, 0);
            append_audit(tx, &audit(&info, changed > 0))?;
            Ok(Some(info))
        })
    }

    fn create_session(&self, session: &SessionRecord, audit: &AuditEntry) -> Result<()> {
        self.create_session_row(session, audit)
    }

    fn session(&self, key: &[u8; 32], now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        self.session_row(key, now)
    }

    fn end_session(&self, key: &[u8; 32], at: DateTime<Utc>) -> Result<bool> {
        self.end_session_row(key, at)
    }

    fn count_request(&self, key: &str, window_start: i64) -> Result<i64> {
        self.count_request_row(key, window_start)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<i64> {
        append_audit(&mut *self.conn()?, entry)
    }

    fn put_profile(&self, profile: &ImportProfile, audit: &AuditEntry) -> Result<()> {
        self.put_profile_impl(profile, audit)
    }

    fn profiles(&self) -> Result<Vec<ImportProfile>> {
        self.profiles_impl()
    }

    fn profile(&self, name: &str) -> Result<Option<ImportProfile>> {
        self.profile_impl(name)
    }

    fn delete_profile(&self, name: &str, audit: &AuditEntry) -> Result<bool> {
        self.delete_profile_impl(name, audit)
    }

    fn put_category_mappings(
        &self,
        mappings: &[CategoryMapping],
        audit: &AuditEntry,
    ) -> Result<()> {
        self.put_category_mappings_impl(mappings, audit)
    }

    fn category_mappings(&self, partner: Option<&str>) -> Result<Vec<CategoryMapping>> {
        self.category_mappings_impl(partner)
    }

    fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        Ok(self
            .query(
                "SELECT id, at, actor, partner, role, action, target, rows, detail FROM audit
                 WHERE at >= $1 AND at < $2
                   AND ($3::text IS NULL OR action = $3 OR action LIKE $3 || '.%')
                   AND ($4::text IS NULL OR actor = $4)
                   AND ($5::text IS NULL OR partner = $5)
                 ORDER BY id DESC LIMIT $6",
                &[
                    &f.since.map_or(i64::MIN, |t| t.timestamp()),
                    &f.until.map_or(i64::MAX, |t| t.timestamp()),
                    &f.action,
                    &f.actor,
                    &f.partner,
                    &(f.limit.min(i64::MAX as usize) as i64),
                ],
            )?
            .into_iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: codec::from_unix(r.get(1)),
                actor: r.get(2),
                partner: r.get(3),
                role: r.get(4),
                action: r.get(5),
                target: r.get(6),
                rows: r.get(7),
                detail: r.get(8),
            })
            .collect())
    }
}
