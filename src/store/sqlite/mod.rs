//! The SQLite backend: one file, WAL journal with `synchronous=FULL`, so a committed change
//! survives a crash or power cut; every ingest or layer import is one transaction, so a
//! failed or killed one leaves nothing behind. The schema is versioned with
//! `PRAGMA user_version` and migrated forwards when the store is opened (`schema.rs`).
//!
//! H3 cells are kept per incident as a packed BLOB of little-endian `u64` cell indexes, one
//! per resolution listed in `meta.h3_resolutions` (ascending). That keeps an ingest of a
//! million rows to a million inserts.
//!
//! Connections come from a small pool ([`SqliteStore`]): a server shares one store, every
//! call borrows a connection and gives it back.

mod access;
mod copy;
mod interventions;
mod notes;
mod profiles;
mod read;
mod schema;
mod sessions;
mod tx;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use h3o::Resolution;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::pool::{Pool, Pooled, Reusable};
use super::{
    Backend, CategoryMapping, Change, LayerInfo, NoteVersion, ReportNotes, Result, StoreError,
    StoredArea, StoredIncident, WriteTx,
};
use crate::ingest::ImportProfile;
use crate::intervention::{ActionSpec, Intervention, InterventionId, InterventionSpec};
use crate::model::Incident;
use crate::model::access::{
    AuditEntry, AuditFilter, NewToken, PartnerSettings, SessionRecord, TokenInfo,
};

/// Page size for new databases. Larger pages than SQLite's 4 KiB default mean fewer page
/// splits in the indexes a big ingest inserts into at random.
const PAGE_SIZE: i64 = 16384;

/// SQLite page cache of a pooled connection, KiB (allocated only as pages are used).
const CACHE_KIB: i64 = 16 * 1024;

/// SQLite page cache during a write transaction, KiB. A big ingest touches its indexes all
/// over; with a small cache the transaction spills pages to the WAL and reads them back.
const WRITE_CACHE_KIB: i64 = 128 * 1024;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// A SQLite database file with a pool of connections.
pub struct SqliteStore {
    path: PathBuf,
    idle: Pool<Connection>,
}

/// A pooled connection (back to the pool when dropped, unless a transaction is still open
/// on it, which only happens after a failed rollback: then it is closed).
pub(crate) type Conn<'a> = Pooled<'a, Connection>;

impl Reusable for Connection {
    fn reusable(&self) -> bool {
        self.is_autocommit()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let store = SqliteStore {
            path: path.to_owned(),
            idle: Pool::new(),
        };
        let conn = store.connect()?;
        // Takes effect only when the file is new; see PAGE_SIZE.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&conn, path)?;
        store.idle.put(conn);
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> Result<Connection> {
        let open = |e: rusqlite::Error| StoreError::Open {
            location: self.path.display().to_string(),
            reason: e.to_string(),
        };
        let conn = Connection::open(&self.path).map_err(open)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted incidents are overwritten with zeros in the file, not just unlinked.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        Ok(conn)
    }

    /// A connection from the pool (or a new one).
    pub(crate) fn conn(&self) -> Result<Conn<'_>> {
        self.idle.get(|| self.connect())
    }

    /// Copies the database, consistently, to `dest` while it stays in use (SQLite's online
    /// backup API). `dest` must not exist.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Open {
                location: dest.display().to_string(),
                reason: "the file exists already; give a new file name".into(),
            });
        }
        let conn = self.conn()?;
        let mut target = Connection::open(dest).map_err(|e| StoreError::Open {
            location: dest.display().to_string(),
            reason: e.to_string(),
        })?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
        backup.run_to_completion(1024, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }
}

fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = schema::MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            location: path.display().to_string(),
            found: version,
            known,
        });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

impl Backend for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_get(&*self.conn()?, key)
    }

    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        let conn = self.conn()?;
        match value {
            Some(v) => conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => conn.execute("DELETE FROM meta WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    fn data_version(&self) -> Result<i64> {
        read::data_version(&*self.conn()?)
    }

    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        read::resolutions(&*self.conn()?)
    }

    fn changes_since(&self, since: i64) -> Result<Vec<Change>> {
        read::changes_since(&*self.conn()?, since)
    }

    fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn()?
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    fn incident_count(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?)
    }

    fn layers(&self) -> Result<Vec<LayerInfo>> {
        read::layers(&*self.conn()?)
    }

    fn areas(&self, layer: Option<&str>) -> Result<Vec<StoredArea>> {
        read::areas(&*self.conn()?, layer)
    }

    fn area_counts(&self, layer_key: i64) -> Result<Vec<(i64, i64)>> {
        read::area_counts(&*self.conn()?, layer_key)
    }

    fn incidents_after(
        &self,
        after_key: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>> {
        read::incidents_after(&*self.conn()?, after_key, from, to)
    }

    fn recent_incidents(&self, partner: &str, limit: usize) -> Result<Vec<Incident>> {
        read::recent_incidents(&*self.conn()?, partner, limit)
    }

    fn incident(&self, partner: &str, id: &str) -> Result<Option<Incident>> {
        read::incident(&*self.conn()?, partner, id)
    }

    fn incidents_page(
        &self,
        bbox: (f64, f64, f64, f64),
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: (usize, usize),
    ) -> Result<(Vec<(i64, Incident)>, u64)> {
        read::incidents_page(&*self.conn()?, bbox, from, to, page)
    }

    fn assignments_after(&self, layer_key: i64, after_key: i64) -> Result<Vec<(i64, i64)>> {
        read::assignments_after(&*self.conn()?, layer_key, after_key)
    }

    fn ingest_batches(&self) -> Result<Vec<i64>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare("SELECT id FROM batches WHERE accepted > 0 ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn synthetic_sources(&self) -> Result<Vec<String>> {
        notes::synthetic_sources(&*self.conn()?)
    }

    fn transaction(&self) -> Result<Box<dyn WriteTx + '_>> {
        Ok(Box::new(tx::SqliteTx::begin(self.conn()?)?))
    }

    fn read_rows(
        &self,
        table: &crate::store::copy::CopyTable,
        each: &mut dyn FnMut(Vec<crate::store::copy::Value>) -> Result<()>,
    ) -> Result<()> {
        copy::read_rows(&*self.conn()?, table, each)
    }

    fn table_rows(&self, table: &crate::store::copy::CopyTable) -> Result<u64> {
        copy::table_rows(&*self.conn()?, table)
    }

    fn copy_writer(&self) -> Result<Box<dyn crate::store::copy::CopyWriter + '_>> {
        Ok(Box::new(copy::SqliteCopy::begin(self.conn()?)?))
    }

    fn add_action(&self, spec: &InterventionSpec, action: &ActionSpec) -> Result<Intervention> {
        interventions::add(&*self.conn()?, spec, action)
    }

    fn update_action(
        &self,
        id: InterventionId,
        spec: &InterventionSpec,
        action: Option<&ActionSpec>,
    ) -> Result<Option<Intervention>> {
        interventions::update(&*self.conn()?, id, spec, action)
    }

    fn delete_intervention(&self, id: InterventionId) -> Result<bool> {
        interventions::delete(&*self.conn()?, id)
    }

    fn intervention(&self, id: InterventionId) -> Result<Option<Intervention>> {
        interventions::read_one(&*self.conn()?, id)
    }

    fn interventions(&self) -> Result<Vec<Intervention>> {
        interventions::all(&*self.conn()?)
    }

    fn interventions_overlapping(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>> {
        interventions::overlapping(&*self.conn()?, first_day, last_day)
    }

    fn interventions_ended_between(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>> {
        interventions::ended_between(&*self.conn()?, first_day, last_day)
    }

    fn interventions_version(&self) -> Result<i64> {
        Ok(meta_get(&*self.conn()?, "interventions_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    fn report_notes(&self, report: &str, scope: &str) -> Result<Option<ReportNotes>> {
        notes::get(&*self.conn()?, report, scope)
    }

    fn save_report_note(
        &self,
        report: &str,
        scope: &str,
        version: &NoteVersion,
        audit: &AuditEntry,
    ) -> Result<()> {
        notes::save_version(&*self.conn()?, report, scope, version, audit)
    }

    fn report_note_versions(&self, report: &str, scope: &str) -> Result<Vec<NoteVersion>> {
        notes::versions(&*self.conn()?, report, scope)
    }

    fn set_report_notes(
        &self,
        report: &str,
        scope: &str,
        text: &str,
        updated_at: &str,
    ) -> Result<()> {
        notes::set(&*self.conn()?, report, scope, text, updated_at)
    }

    fn put_partner(&self, partner: &PartnerSettings, audit: &AuditEntry) -> Result<()> {
        access::put_partner(&*self.conn()?, partner, audit)
    }

    fn partners(&self) -> Result<Vec<PartnerSettings>> {
        access::partners(&*self.conn()?)
    }

    fn partner(&self, code: &str) -> Result<Option<PartnerSettings>> {
        access::partner(&*self.conn()?, code)
    }

    fn add_token(
        &self,
        token: &NewToken,
        audit: &dyn Fn(&TokenInfo) -> AuditEntry,
    ) -> Result<TokenInfo> {
        access::add_token(&*self.conn()?, token, audit)
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>> {
        access::tokens(&*self.conn()?)
    }

    fn token(&self, id: i64) -> Result<Option<TokenInfo>> {
        access::token(&*self.conn()?, id)
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Vec<u8>, TokenInfo)>> {
        access::token_by_hash(&*self.conn()?, hash)
    }

    fn revoke_token(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: &dyn Fn(&TokenInfo, bool) -> AuditEntry,
    ) -> Result<Option<TokenInfo>> {
        access::revoke_token(&*self.conn()?, id, at, audit)
    }

    fn create_session(&self, session: &SessionRecord, audit: &AuditEntry) -> Result<()> {
        sessions::create_session(&*self.conn()?, session, audit)
    }

    fn session(&self, key: &[u8; 32], now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        sessions::session(&*self.conn()?, key, now)
    }

    fn end_session(&self, key: &[u8; 32], at: DateTime<Utc>) -> Result<bool> {
        sessions::end_session(&*self.conn()?, key, at)
    }

    fn count_request(&self, key: &str, window_start: i64) -> Result<i64> {
        sessions::count_request(&*self.conn()?, key, window_start)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<i64> {
        access::append_audit(&*self.conn()?, entry)
    }

    fn put_profile(&self, profile: &ImportProfile, audit: &AuditEntry) -> Result<()> {
        profiles::put_profile(&*self.conn()?, profile, audit)
    }

    fn profiles(&self) -> Result<Vec<ImportProfile>> {
        profiles::profiles(&*self.conn()?)
    }

    fn profile(&self, name: &str) -> Result<Option<ImportProfile>> {
        profiles::profile(&*self.conn()?, name)
    }

    fn delete_profile(&self, name: &str, audit: &AuditEntry) -> Result<bool> {
        profiles::delete_profile(&*self.conn()?, name, audit)
    }

    fn put_category_mappings(
        &self,
        mappings: &[CategoryMapping],
        audit: &AuditEntry,
    ) -> Result<()> {
        profiles::put_category_mappings(&*self.conn()?, mappings, audit)
    }

    fn category_mappings(&self, partner: Option<&str>) -> Result<Vec<CategoryMapping>> {
        profiles::category_mappings(&*self.conn()?, partner)
    }

    fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        access::audit_entries(&*self.conn()?, filter)
    }
}

/// Runs `f` in an immediate (write-locking) transaction on `conn`, committing when it
/// returns `Ok` and rolling back otherwise.
pub(crate) fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod interventions_tests;
