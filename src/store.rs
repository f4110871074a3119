//! Durable storage in one SQLite file: incidents, ingest batches, area layers and the
//! incident-to-area assignment.
//!
//! Durability: WAL journal with `synchronous=FULL`, so a committed ingest survives a crash
//! or power cut; every ingest or layer import is one transaction, so a failed or killed one
//! leaves nothing behind. The schema is versioned with `PRAGMA user_version` and migrated
//! forwards on open. A `data_version` counter in `meta` goes up with every committed change;
//! analysis caches key on it.
//!
//! H3 cells are kept per incident as a packed BLOB of little-endian `u64` cell indexes, one
//! per resolution listed in `meta.h3_resolutions` (ascending). That keeps an ingest of a
//! million rows to a million inserts. The store does not compute cells or areas; `index`
//! does, and `pipeline` hands the results in.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use h3o::{CellIndex, Resolution};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::model::{Area, Incident, Wgs84};

#[path = "store_notes.rs"]
mod notes;
pub use notes::ReportNotes;

/// Page size for new databases. Larger pages than SQLite's 4 KiB default mean fewer page
/// splits in the indexes a big ingest inserts into at random.
const PAGE_SIZE: i64 = 16384;

/// SQLite page cache per connection, KiB.
const CACHE_KIB: i64 = 128 * 1024;

/// Schema migrations, applied in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    INSERT INTO meta (key, value) VALUES ('data_version', '0');
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        started_at TEXT NOT NULL,
        accepted INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        outside INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        partner TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        category TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        occurred_to INTEGER,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        description TEXT,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        source_row INTEGER NOT NULL,
        cells BLOB NOT NULL,
        UNIQUE (partner, ext_id)
    ) STRICT;
    CREATE INDEX incidents_by_time ON incidents (occurred_at);
    CREATE TABLE area_layers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE areas (
        id INTEGER PRIMARY KEY,
        layer_id INTEGER NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        population INTEGER,
        parent TEXT,
        geometry TEXT NOT NULL,
        UNIQUE (layer_id, code)
    ) STRICT;
    CREATE TABLE incident_areas (
        incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        layer_id INTEGER NOT NULL REFERENCES area_layers(id) ON DELETE CASCADE,
        area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
        PRIMARY KEY (incident_id, layer_id)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 2: a log of what each data version changed, for incremental recomputation.
    r#"
    CREATE TABLE changes (
        version INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('incidents', 'all')),
        from_ts INTEGER,
        to_ts INTEGER
    ) STRICT;
    "#,
    // 3: the interventions register (see `store_interventions.rs`).
    r#"
    CREATE TABLE interventions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        partner TEXT NOT NULL,
        target TEXT NOT NULL,
        target_key TEXT NOT NULL,
        start_day TEXT NOT NULL,
        end_day TEXT NOT NULL CHECK (end_day >= start_day),
        description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX interventions_by_days ON interventions (start_day, end_day);
    CREATE INDEX interventions_by_target ON interventions (target_key, kind, partner);
    INSERT INTO meta (key, value) VALUES ('interventions_version', '0');
    "#,
    // 4: meeting notes stored with a report (see `store_notes.rs`).
    r#"
    CREATE TABLE report_notes (
        report TEXT NOT NULL,
        scope TEXT NOT NULL,
        notes TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (report, scope)
    ) STRICT;
    "#,
    // 5: access control (see `access`): partners, API tokens (hashes only) and the
    // append-only audit log, guarded by triggers.
    r#"
    CREATE TABLE partners (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        shares INTEGER NOT NULL DEFAULT 1 CHECK (shares IN (0, 1)),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        partner TEXT NOT NULL REFERENCES partners(code),
        role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reporter', 'viewer')),
        label TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
    ) STRICT;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        partner TEXT,
        role TEXT,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        rows INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX audit_by_time ON audit (at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
];

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file could not be opened.
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The database was written by a newer lagesbild.
    #[error(
        "the database {path} has schema version {found}, newer than this lagesbild ({known}); upgrade lagesbild"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    /// A stored value could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// An intervention was refused (unknown area, overlapping duplicate, bad field).
    #[error(transparent)]
    Intervention(#[from] crate::intervention::InterventionError),
}

type Result<T> = std::result::Result<T, StoreError>;

/// The database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A stored area with its database keys.
#[derive(Debug, Clone)]
pub struct StoredArea {
    /// Row id of the area.
    pub key: i64,
    /// Row id of its layer.
    pub layer_key: i64,
    /// The area.
    pub area: Area,
}

/// An area layer's summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerInfo {
    /// Row id.
    #[serde(skip)]
    pub key: i64,
    /// Layer name.
    pub name: String,
    /// Where it was imported from.
    pub source: String,
    /// When.
    pub imported_at: String,
    /// Number of areas.
    pub areas: i64,
}

/// What happened to one incident offered to [`IncidentWriter::insert`].
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    /// Stored as new.
    Inserted,
    /// Already stored with identical content: nothing changed.
    Duplicate,
    /// The same partner and id are stored with different content: not changed.
    Conflict {
        /// Batch that stored the existing incident.
        batch: i64,
        /// Its row in that batch's file.
        row: i64,
        /// Which fields differ.
        fields: Vec<&'static str>,
    },
}

/// Counts recorded for a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchCounts {
    /// New incidents stored.
    pub accepted: u64,
    /// Rows that were already stored identically.
    pub duplicates: u64,
    /// Rows not stored.
    pub rejected: u64,
    /// Accepted incidents outside every loaded area.
    pub outside: u64,
}

/// An incident as stored, with its key and cells.
#[derive(Debug, Clone)]
pub struct StoredIncident {
    /// Row id.
    pub key: i64,
    /// The incident.
    pub incident: Incident,
    /// H3 cells, one per stored resolution (see [`Store::h3_resolutions`]).
    pub cells: Vec<CellIndex>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.to_owned(),
            source: e,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Takes effect only when the file is new; see PAGE_SIZE.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A big ingest touches its indexes all over; with SQLite's 2 MiB default cache the
        // transaction spills pages to the WAL and reads them back. 128 MiB is an upper
        // bound, allocated only as pages are used.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The connection, for `access` (partners, tokens, audit), which owns those tables.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A `meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_get(&self.conn, key)
    }

    /// Sets (or with `None` removes) a `meta` value outside any data change (flags such as
    /// `demo`; `data_version` is not touched).
    pub fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => self.conn.execute("DELETE FROM meta WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The change counter: goes up with every committed ingest or layer import.
    pub fn data_version(&self) -> Result<i64> {
        Ok(meta_get(&self.conn, "data_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The H3 resolutions the stored cells are computed at, or `None` before the first ingest.
    pub fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        read_resolutions(&self.conn)
    }

    /// Number of stored incidents.
    pub fn incident_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?)
    }

    /// The area layers, by name.
    pub fn layers(&self) -> Result<Vec<LayerInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT l.id, l.name, l.source, l.imported_at, (SELECT count(*) FROM areas a WHERE a.layer_id = l.id)
             FROM area_layers l ORDER BY l.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LayerInfo {
                key: r.get(0)?,
                name: r.get(1)?,
                source: r.get(2)?,
                imported_at: r.get(3)?,
                areas: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// All areas of all layers (or of one layer), ordered by layer name then area id.
    pub fn areas(&self, layer: Option<&str>) -> Result<Vec<StoredArea>> {
        load_areas(&self.conn, layer)
    }

    /// Number of incidents per area of a layer: `(area key, count)`.
    pub fn area_counts(&self, layer_key: i64) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT area_id, count(*) FROM incident_areas WHERE layer_id = ?1 GROUP BY area_id",
        )?;
        let rows = stmt.query_map([layer_key], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// All incidents whose `occurred_at` lies in `[from, to)` (all when `None`), by key.
    pub fn incidents(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>> {
        self.incidents_after(0, from, to)
    }

    /// Like [`Store::incidents`], only those with a key greater than `after_key` (incidents
    /// are only ever appended, so this is what was added since a given key).
    pub fn incidents_after(
        &self,
        after_key: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>> {
        let res = read_resolutions(&self.conn)?.unwrap_or_default();
        let mut stmt = self.conn.prepare(
            "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, cells
             FROM incidents WHERE occurred_at >= ?1 AND occurred_at < ?2 AND id > ?3 ORDER BY id",
        )?;
        let lo = from.map_or(i64::MIN, |t| t.timestamp());
        let hi = to.map_or(i64::MAX, |t| t.timestamp());
        let rows = stmt.query_map(params![lo, hi, after_key], |r| {
            let blob: Vec<u8> = r.get(9)?;
            Ok((r.get::<_, i64>(0)?, incident_from_row(r, 1)?, blob))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, incident, blob) = row?;
            let cells = unpack_cells(&blob, res.len())?;
            out.push(StoredIncident {
                key,
                incident,
                cells,
            });
        }
        Ok(out)
    }

    /// The `limit` most recently stored incidents of `partner`, newest first.
    pub fn recent_incidents(&self, partner: &str, limit: usize) -> Result<Vec<Incident>> {
        let mut stmt = self.conn.prepare(
            "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
             FROM incidents WHERE partner = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![partner, limit as i64], |r| incident_from_row(r, 0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// One incident by partner and the partner's id (the unique key), if stored.
    pub fn incident(&self, partner: &str, id: &str) -> Result<Option<Incident>> {
        Ok(self
            .conn
            .query_row(
                "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
                 FROM incidents WHERE partner = ?1 AND ext_id = ?2",
                params![partner, id],
                |r| incident_from_row(r, 0),
            )
            .optional()?)
    }

    /// A page of incidents inside a lon/lat box and `[from, to)` (by `occurred_at`), ordered
    /// by time then key, with the total number that match.
    pub fn incidents_page(
        &self,
        (min_lon, min_lat, max_lon, max_lat): (f64, f64, f64, f64),
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        (limit, offset): (usize, usize),
    ) -> Result<(Vec<(i64, Incident)>, u64)> {
        let lo = from.map_or(i64::MIN, |t| t.timestamp());
        let hi = to.map_or(i64::MAX, |t| t.timestamp());
        let filter = "lon >= ?1 AND lon <= ?3 AND lat >= ?2 AND lat <= ?4 AND occurred_at >= ?5 AND occurred_at < ?6";
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM incidents WHERE {filter}"),
            params![min_lon, min_lat, max_lon, max_lat, lo, hi],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
             FROM incidents WHERE {filter} ORDER BY occurred_at, id LIMIT ?7 OFFSET ?8"
        ))?;
        let rows = stmt.query_map(
            params![
                min_lon,
                min_lat,
                max_lon,
                max_lat,
                lo,
                hi,
                limit as i64,
                offset as i64
            ],
            |r| Ok((r.get::<_, i64>(0)?, incident_from_row(r, 1)?)),
        )?;
        Ok((rows.collect::<std::result::Result<_, _>>()?, total as u64))
    }

    /// The stored area assignment of every incident for a layer: `(incident key, area key)`.
    pub fn assignments(&self, layer_key: i64) -> Result<Vec<(i64, i64)>> {
        self.assignments_after(layer_key, 0)
    }

    /// Like [`Store::assignments`], for incidents with a key greater than `after_key`.
    pub fn assignments_after(&self, layer_key: i64, after_key: i64) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT incident_id, area_id FROM incident_areas WHERE layer_id = ?1 AND incident_id > ?2 ORDER BY incident_id")?;
        let rows = stmt.query_map([layer_key, after_key], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// What changed after data version `since`, one entry per later version, oldest first.
    /// A version missing from the log (written before the log existed) counts as
    /// [`Change::All`].
    pub fn changes_since(&self, since: i64) -> Result<Vec<Change>> {
        let current = self.data_version()?;
        let mut stmt = self.conn.prepare(
            "SELECT version, kind, from_ts, to_ts FROM changes WHERE version > ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        let mut expected = since + 1;
        for row in rows {
            let (version, kind, from, to) = row?;
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
        Ok(out)
    }

    /// Starts a write transaction. Dropping it without [`StoreTx::commit`] rolls back.
    pub fn transaction(&mut self) -> Result<StoreTx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(StoreTx {
            tx,
            change: std::cell::Cell::new(None),
        })
    }

    /// SQLite's own consistency check; `"ok"` when sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// An open write transaction.
pub struct StoreTx<'a> {
    tx: rusqlite::Transaction<'a>,
    /// What the transaction changed, for the `changes` log.
    change: std::cell::Cell<Option<Change>>,
}

/// What one data version changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// New incidents whose times lie within `[from, to]` (Unix seconds); nothing else.
    Incidents {
        /// Earliest `occurred_at`.
        from: i64,
        /// Latest `occurred_to` (or `occurred_at`).
        to: i64,
    },
    /// Anything else (areas, resolutions): everything may have changed.
    All,
}

impl Change {
    fn merge(a: Option<Change>, b: Change) -> Change {
        match (a, b) {
            (None, b) => b,
            (
                Some(Change::Incidents { from: f1, to: t1 }),
                Change::Incidents { from: f2, to: t2 },
            ) => Change::Incidents {
                from: f1.min(f2),
                to: t1.max(t2),
            },
            _ => Change::All,
        }
    }
}

/// Inserts incidents inside a [`StoreTx`], with its statements prepared once.
pub struct IncidentWriter<'t> {
    tx: &'t rusqlite::Transaction<'t>,
    insert: rusqlite::Statement<'t>,
    existing: rusqlite::Statement<'t>,
    assign: rusqlite::Statement<'t>,
    cells: Vec<u8>,
}

impl IncidentWriter<'_> {
    /// Inserts one incident with its cells and `(layer key, area key)` assignment, unless
    /// the same partner and id are stored already.
    pub fn insert(
        &mut self,
        batch: i64,
        row: u64,
        inc: &Incident,
        cells: &[CellIndex],
        areas: &[(i64, i64)],
    ) -> Result<InsertOutcome> {
        self.cells.clear();
        self.cells
            .extend(cells.iter().flat_map(|c| u64::from(*c).to_le_bytes()));
        let changed = self.insert.execute(params![
            inc.partner,
            inc.id,
            inc.category,
            inc.occurred_at.timestamp(),
            inc.occurred_to.map(|t| t.timestamp()),
            inc.location.lon,
            inc.location.lat,
            inc.description,
            batch,
            row as i64,
            self.cells,
        ])?;
        if changed == 0 {
            return self.compare_existing(inc);
        }
        let key = self.tx.last_insert_rowid();
        for (layer, area) in areas {
            self.assign.execute(params![key, layer, area])?;
        }
        Ok(InsertOutcome::Inserted)
    }

    fn compare_existing(&mut self, inc: &Incident) -> Result<InsertOutcome> {
        let (cat, at, to, lon, lat, desc, batch, row): (
            String,
            i64,
            Option<i64>,
            f64,
            f64,
            Option<String>,
            i64,
            i64,
        ) = self.existing.query_row(params![inc.partner, inc.id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?;
        let mut fields = Vec::new();
        if cat != inc.category {
            fields.push("category");
        }
        if at != inc.occurred_at.timestamp() {
            fields.push("occurred_at");
        }
        if to != inc.occurred_to.map(|t| t.timestamp()) {
            fields.push("occurred_to");
        }
        if lon.to_bits() != inc.location.lon.to_bits()
            || lat.to_bits() != inc.location.lat.to_bits()
        {
            fields.push("location");
        }
        if desc != inc.description {
            fields.push("description");
        }
        Ok(if fields.is_empty() {
            InsertOutcome::Duplicate
        } else {
            InsertOutcome::Conflict { batch, row, fields }
        })
    }
}

impl StoreTx<'_> {
    /// Records the resolutions cells are stored at (first ingest), or checks them.
    pub fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>> {
        read_resolutions(&self.tx)
    }

    /// Sets the stored resolutions; the caller must then rewrite every incident's cells.
    pub fn set_h3_resolutions(&self, res: &[Resolution]) -> Result<()> {
        self.note(Change::All);
        let text = res
            .iter()
            .map(|r| u8::from(*r).to_string())
            .collect::<Vec<_>>()
            .join(",");
        self.tx.execute(
            "INSERT INTO meta (key, value) VALUES ('h3_resolutions', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [text],
        )?;
        Ok(())
    }

    /// Opens a batch (one ingest of one file) and returns its id.
    pub fn begin_batch(&self, source: &str, format: &str) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO batches (source, format, started_at) VALUES (?1, ?2, ?3)",
            params![source, format, Utc::now().to_rfc3339()],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Stores the batch's final counts.
    pub fn finish_batch(&self, batch: i64, c: &BatchCounts) -> Result<()> {
        self.tx.execute(
            "UPDATE batches SET accepted = ?2, duplicates = ?3, rejected = ?4, outside = ?5 WHERE id = ?1",
            params![batch, c.accepted as i64, c.duplicates as i64, c.rejected as i64, c.outside as i64],
        )?;
        Ok(())
    }

    /// Prepares the statements for inserting a batch of incidents.
    pub fn incident_writer(&self) -> Result<IncidentWriter<'_>> {
        Ok(IncidentWriter {
            insert: self.tx.prepare(
                "INSERT INTO incidents (partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, batch_id, source_row, cells)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (partner, ext_id) DO NOTHING",
            )?,
            existing: self.tx.prepare(
                "SELECT category, occurred_at, occurred_to, lon, lat, description, batch_id, source_row
                 FROM incidents WHERE partner = ?1 AND ext_id = ?2",
            )?,
            assign: self
                .tx
                .prepare("INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)")?,
            tx: &self.tx,
            cells: Vec::new(),
        })
    }

    /// Replaces the content of the stored incident `(partner, id)` (a correction by its
    /// partner) with `inc`, its cells and its `(layer key, area key)` assignment. Returns
    /// the incident as it was, or `None` when it is not stored (nothing changes then).
    pub fn correct_incident(
        &self,
        inc: &Incident,
        cells: &[CellIndex],
        areas: &[(i64, i64)],
    ) -> Result<Option<Incident>> {
        let old = self
            .tx
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
        self.tx.execute(
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
        self.tx
            .execute("DELETE FROM incident_areas WHERE incident_id = ?1", [key])?;
        for (layer, area) in areas {
            self.tx.execute(
                "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)",
                params![key, layer, area],
            )?;
        }
        Ok(Some(before))
    }

    /// Every incident's key and location, for re-assignment.
    pub fn incident_locations(&self) -> Result<Vec<(i64, Wgs84)>> {
        let mut stmt = self
            .tx
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

    /// Rewrites an incident's cells.
    pub fn set_cells(&self, key: i64, cells: &[CellIndex]) -> Result<()> {
        let mut stmt = self
            .tx
            .prepare_cached("UPDATE incidents SET cells = ?2 WHERE id = ?1")?;
        stmt.execute(params![key, pack_cells(cells)])?;
        Ok(())
    }

    fn note(&self, c: Change) {
        self.change.set(Some(Change::merge(self.change.get(), c)));
    }

    /// Records that incidents spanning `[from, to]` (Unix seconds) were added.
    pub fn note_incidents(&self, from: i64, to: i64) {
        self.note(Change::Incidents { from, to });
    }

    /// Replaces (or creates) a layer with `areas`; returns the layer key and the area keys in
    /// the order given. Assignments of the old layer are dropped; the caller writes new ones
    /// with [`StoreTx::assign`].
    pub fn replace_layer(
        &self,
        name: &str,
        source: &str,
        areas: &[Area],
    ) -> Result<(i64, Vec<i64>)> {
        self.note(Change::All);
        self.tx
            .execute("DELETE FROM area_layers WHERE name = ?1", [name])?;
        self.tx.execute(
            "INSERT INTO area_layers (name, source, imported_at) VALUES (?1, ?2, ?3)",
            params![name, source, Utc::now().to_rfc3339()],
        )?;
        let layer = self.tx.last_insert_rowid();
        let mut stmt = self.tx.prepare(
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
            keys.push(self.tx.last_insert_rowid());
        }
        Ok((layer, keys))
    }

    /// Writes `(incident key, area key)` assignments for a layer.
    pub fn assign(&self, layer: i64, pairs: &[(i64, i64)]) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO incident_areas (incident_id, layer_id, area_id) VALUES (?1, ?2, ?3)",
        )?;
        for (incident, area) in pairs {
            stmt.execute(params![incident, layer, area])?;
        }
        Ok(())
    }

    /// All areas, as in [`Store::areas`], seen from inside the transaction.
    pub fn areas(&self) -> Result<Vec<StoredArea>> {
        load_areas(&self.tx, None)
    }

    /// Bumps `data_version` and commits.
    pub fn commit(self) -> Result<i64> {
        let v: i64 = meta_get(&self.tx, "data_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            + 1;
        self.tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'data_version'",
            [v.to_string()],
        )?;
        let (kind, from, to) = match self.change.get() {
            Some(Change::Incidents { from, to }) => ("incidents", Some(from), Some(to)),
            Some(Change::All) | None => ("all", None, None),
        };
        self.tx.execute(
            "INSERT INTO changes (version, kind, from_ts, to_ts) VALUES (?1, ?2, ?3, ?4)",
            params![v, kind, from, to],
        )?;
        self.tx.commit()?;
        Ok(v)
    }
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn read_resolutions(conn: &Connection) -> Result<Option<Vec<Resolution>>> {
    let Some(text) = meta_get(conn, "h3_resolutions")? else {
        return Ok(None);
    };
    text.split(',')
        .map(|p| {
            p.parse::<u8>()
                .ok()
                .and_then(|r| Resolution::try_from(r).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("meta h3_resolutions = {text:?}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn load_areas(conn: &Connection, layer: Option<&str>) -> Result<Vec<StoredArea>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, l.id, l.name, a.code, a.name, a.population, a.parent, a.geometry
         FROM areas a JOIN area_layers l ON l.id = a.layer_id
         WHERE ?1 IS NULL OR l.name = ?1
         ORDER BY l.name, a.code",
    )?;
    let rows = stmt.query_map([layer], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, layer_key, layer, id, name, population, parent, geometry) = row?;
        let g: geojson::Geometry = serde_json::from_str(&geometry)
            .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
        let geometry = geo::MultiPolygon::<f64>::try_from(g)
            .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
        out.push(StoredArea {
            key,
            layer_key,
            area: Area {
                layer,
                id,
                name,
                geometry,
                population: population.map(|p| p as u64),
                parent,
            },
        });
    }
    Ok(out)
}

/// Reads `partner, ext_id, category, occurred_at, occurred_to, lon, lat, description` from
/// consecutive columns starting at `first`.
fn incident_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Incident> {
    Ok(Incident {
        partner: r.get(first)?,
        id: r.get(first + 1)?,
        category: r.get(first + 2)?,
        occurred_at: from_unix(r.get(first + 3)?),
        occurred_to: r.get::<_, Option<i64>>(first + 4)?.map(from_unix),
        location: Wgs84 {
            lon: r.get(first + 5)?,
            lat: r.get(first + 6)?,
        },
        description: r.get(first + 7)?,
    })
}

fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn pack_cells(cells: &[CellIndex]) -> Vec<u8> {
    cells
        .iter()
        .flat_map(|c| u64::from(*c).to_le_bytes())
        .collect()
}

fn unpack_cells(blob: &[u8], n: usize) -> Result<Vec<CellIndex>> {
    if blob.len() != n * 8 {
        return Err(StoreError::Corrupt(format!(
            "cells blob of {} bytes for {n} resolutions",
            blob.len()
        )));
    }
    blob.chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            CellIndex::try_from(u64::from_le_bytes(b))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

#[path = "store_interventions.rs"]
mod interventions;

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
