//! Durable storage: the one seam between lagesbild and its database.
//!
//! Everything that talks SQL lives under this folder, one sub-folder per backend
//! ([`sqlite`] today). The rest of the crate sees only this module's interface: the
//! [`Store`] handle, the [`Backend`] and [`WriteTx`] traits and plain domain records
//! (incidents, layers, changes, notes, interventions, partners, tokens, audit entries).
//! No other module sees a driver type or a SQL string.
//!
//! A [`Store`] is a cheap, cloneable handle over a connection pool: a server opens one at
//! start and shares it; every call borrows a connection for its duration. Writes that must
//! be all-or-nothing (an ingest, a layer import, a correction) go through one
//! [`WriteTx`], which rolls back when dropped without [`WriteTx::commit`]; an audit entry
//! for such a change is written inside the same transaction ([`WriteTx::append_audit`]),
//! so a committed change always has its audit row and a rolled-back one never does.
//!
//! A `data_version` counter goes up with every committed change to incidents or areas;
//! analysis caches key on it, and [`Backend::changes_since`] says what each version changed.

mod codec;
pub mod copy;
mod pool;
pub mod postgres;
pub mod sqlite;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use h3o::{CellIndex, Resolution};

use crate::ingest::ImportProfile;
use crate::intervention::{ActionSpec, Intervention, InterventionId, InterventionSpec};
use crate::model::access::{
    AuditEntry, AuditFilter, NewToken, PartnerSettings, SessionRecord, TokenInfo,
};
use crate::model::{Area, Incident, Wgs84};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be opened.
    #[error("cannot open the database {location}: {reason}")]
    Open {
        /// The file or URL.
        location: String,
        /// Why.
        reason: String,
    },
    /// The database was written by a newer lagesbild.
    #[error(
        "the database {location} has schema version {found}, newer than this lagesbild ({known}); upgrade lagesbild"
    )]
    TooNew {
        /// The file or URL.
        location: String,
        /// The version found.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The database cannot be reached now (stopped, restarting, connection lost); try again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The backend does not do this.
    #[error("{0}")]
    Unsupported(String),
    /// A stored value could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// An intervention was refused (unknown area, overlapping duplicate, bad field).
    #[error(transparent)]
    Intervention(#[from] crate::intervention::InterventionError),
    /// A partner named by a token or an incident is not configured.
    #[error("unknown partner {0:?}; add it with `lagesbild partner add {0} --name NAME`")]
    UnknownPartner(String),
}

/// Results of the store.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A shared handle to the database: clone it freely. Dereferences to [`Backend`], so
/// `store.data_version()` and the other calls work on it directly.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl std::ops::Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        &*self.backend
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `location`: a
    /// `postgres://` (or `postgresql://`) URL means PostgreSQL + PostGIS, anything else a
    /// SQLite file.
    pub fn open(location: &Path) -> Result<Store> {
        let text = location.to_string_lossy();
        if is_postgres(&text) {
            return Ok(Store {
                backend: Arc::new(postgres::PgStore::open(&text)?),
            });
        }
        Ok(Store {
            backend: Arc::new(sqlite::SqliteStore::open(location)?),
        })
    }

    /// A handle over an existing backend.
    pub fn from_backend(backend: Arc<dyn Backend>) -> Store {
        Store { backend }
    }
}

/// Whether `location` names a PostgreSQL database.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A database URL with any password replaced by `***`, for messages and logs.
pub fn redact(location: &str) -> String {
    match (location.find("://"), location.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &location[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &location[..scheme + 3], &location[at..])
                }
                None => location.to_owned(),
            }
        }
        _ => location.to_owned(),
    }
}

/// A stored area with its database keys.
#[derive(Debug, Clone)]
pub struct StoredArea {
    /// Key of the area.
    pub key: i64,
    /// Key of its layer.
    pub layer_key: i64,
    /// The area.
    pub area: Area,
}

/// An area layer's summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerInfo {
    /// Key.
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

/// What happened to one incident offered to [`WriteTx::insert_incidents`].
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
    /// Key (ascending in the order incidents were stored).
    pub key: i64,
    /// The incident.
    pub incident: Incident,
    /// H3 cells, one per stored resolution (see [`Backend::h3_resolutions`]).
    pub cells: Vec<CellIndex>,
}

/// One incident to insert, with where it falls.
#[derive(Debug, Clone, Copy)]
pub struct NewIncident<'a> {
    /// Its row in the input file.
    pub row: u64,
    /// The incident.
    pub incident: &'a Incident,
    /// Its H3 cells, one per stored resolution.
    pub cells: &'a [CellIndex],
    /// Its `(layer key, area key)` assignment.
    pub areas: &'a [(i64, i64)],
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
    /// Anything else (areas, resolutions, corrections): everything may have changed.
    All,
}

impl Change {
    /// The change of two versions taken together.
    pub fn merge(a: Option<Change>, b: Change) -> Change {
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

/// A partner's own category code or label and the category it means.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoryMapping {
    /// The partner.
    pub partner: String,
    /// Its code or label, as given (`Bedrägeri`, `0901`).
    pub value: String,
    /// Our category code.
    pub category: String,
}

impl CategoryMapping {
    /// The lookup key of a value: trimmed, lower case, inner whitespace runs as one space.
    pub fn key(value: &str) -> String {
        crate::ingest::category_key(value)
    }
}

/// Which incidents [`WriteTx::delete_incidents`] deletes.
#[derive(Debug, Clone, Copy)]
pub enum Deletion<'a> {
    /// Everything one ingest stored (undo an import).
    Batch(i64),
    /// Everything of a partner, or only what occurred before a time.
    Partner {
        /// The partner.
        partner: &'a str,
        /// Only incidents whose `occurred_at` is before this.
        before: Option<DateTime<Utc>>,
    },
    /// A partner's incidents by its own ids.
    Ids {
        /// The partner.
        partner: &'a str,
        /// Its ids.
        ids: &'a [String],
    },
}

/// Meeting notes as stored with a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportNotes {
    /// The text.
    pub text: String,
    /// When it was last written, RFC 3339 UTC.
    pub updated_at: String,
}

/// One saved version of a report's meeting notes, decisions or a partner's input. Versions
/// are append-only: a save never overwrites an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoteVersion {
    /// `notes`, `decisions` or `partner` (checked by `report::notes`).
    pub section: String,
    /// The writer's partner (the partner whose input a `partner` section is).
    pub partner: String,
    /// Who saved it: the token's label, or its partner when the token has no label.
    pub author: String,
    /// When, RFC 3339 UTC.
    pub saved_at: String,
    /// The text; empty clears the section.
    pub text: String,
}

/// The operations every storage backend offers. Reached through a [`Store`].
///
/// Times cross this interface as `DateTime<Utc>` (stored at whole seconds), H3 cells as
/// [`CellIndex`], areas as [`Area`]; keys are opaque `i64`s ascending in insertion order.
pub trait Backend: Send + Sync {
    /// The file or URL (password redacted), for messages.
    fn location(&self) -> String;

    // ---- settings -------------------------------------------------------------------

    /// A setting (`meta`) value.
    fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Sets (or with `None` removes) a setting outside any data change (flags such as
    /// `demo`; `data_version` is not touched).
    fn set_meta(&self, key: &str, value: Option<&str>) -> Result<()>;
    /// The change counter: goes up with every committed ingest, correction or layer import.
    fn data_version(&self) -> Result<i64>;
    /// The H3 resolutions the stored cells are computed at, or `None` before the first ingest.
    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>>;
    /// What changed after data version `since`, one entry per later version, oldest first.
    /// A version missing from the log counts as [`Change::All`].
    fn changes_since(&self, since: i64) -> Result<Vec<Change>>;
    /// The database's own consistency check; `"ok"` when sound.
    fn integrity_check(&self) -> Result<String>;

    // ---- incidents and areas ----------------------------------------------------------

    /// Number of stored incidents.
    fn incident_count(&self) -> Result<i64>;
    /// The area layers, by name.
    fn layers(&self) -> Result<Vec<LayerInfo>>;
    /// All areas of all layers (or of one layer), ordered by layer name then area id.
    fn areas(&self, layer: Option<&str>) -> Result<Vec<StoredArea>>;
    /// Number of incidents per area of a layer: `(area key, count)`.
    fn area_counts(&self, layer_key: i64) -> Result<Vec<(i64, i64)>>;
    /// Incidents with a key greater than `after_key` whose `occurred_at` lies in
    /// `[from, to)` (unbounded when `None`), by key.
    fn incidents_after(
        &self,
        after_key: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>>;
    /// All incidents whose `occurred_at` lies in `[from, to)`, by key.
    fn incidents(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredIncident>> {
        self.incidents_after(0, from, to)
    }
    /// The `limit` most recently stored incidents of `partner`, newest first.
    fn recent_incidents(&self, partner: &str, limit: usize) -> Result<Vec<Incident>>;
    /// One incident by partner and the partner's id, if stored.
    fn incident(&self, partner: &str, id: &str) -> Result<Option<Incident>>;
    /// A page of incidents inside a lon/lat box `(min_lon, min_lat, max_lon, max_lat)` and
    /// `[from, to)`, ordered by time then key, with the total number that match.
    fn incidents_page(
        &self,
        bbox: (f64, f64, f64, f64),
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: (usize, usize),
    ) -> Result<(Vec<(i64, Incident)>, u64)>;
    /// The area assignment of incidents with a key greater than `after_key` for a layer:
    /// `(incident key, area key)`, by incident key.
    fn assignments_after(&self, layer_key: i64, after_key: i64) -> Result<Vec<(i64, i64)>>;
    /// The area assignment of every incident for a layer.
    fn assignments(&self, layer_key: i64) -> Result<Vec<(i64, i64)>> {
        self.assignments_after(layer_key, 0)
    }
    /// The ids of ingest batches that stored incidents, ascending.
    fn ingest_batches(&self) -> Result<Vec<i64>>;
    /// The sources of ingest batches that hold synthetic (demo) incidents, oldest first.
    fn synthetic_sources(&self) -> Result<Vec<String>>;
    /// Starts a write transaction. Dropping it without [`WriteTx::commit`] rolls back.
    /// Every row of a table in primary-key order, in backend-neutral form (for copies
    /// between backends, [`copy`]).
    fn read_rows(
        &self,
        table: &copy::CopyTable,
        each: &mut dyn FnMut(Vec<copy::Value>) -> Result<()>,
    ) -> Result<()>;
    /// The number of rows of a table.
    fn table_rows(&self, table: &copy::CopyTable) -> Result<u64>;
    /// Replaces the aggregates behind the read-only GIS views (schema `lagesbild_gis`) for
    /// the weeks given, in one transaction. PostgreSQL only: SQLite answers
    /// [`StoreError::Unsupported`].
    fn replace_gis_weeks(
        &self,
        weeks: &[String],
        areas: &[GisAreaWeek],
        hexes: &[GisHexWeek],
    ) -> Result<()> {
        let _ = (weeks, areas, hexes);
        Err(StoreError::Unsupported(
            "the GIS views are a PostgreSQL + PostGIS feature; on SQLite, GIS clients read the OGC API (/ogc) / GIS-vyerna finns bara i PostgreSQL".into(),
        ))
    }
    /// Calls `on_change` (from a thread of its own) whenever another process commits a new
    /// data version, for as long as the process runs; `false` when the backend cannot tell
    /// (SQLite: readers poll [`Backend::data_version`]). On PostgreSQL this is
    /// `LISTEN lagesbild_data_version`, reconnecting after a lost connection (and calling
    /// `on_change` then, since notifications may have been missed).
    fn watch_data_version(&self, on_change: Arc<dyn Fn() + Send + Sync>) -> Result<bool> {
        let _ = on_change;
        Ok(false)
    }
    /// Lets database role `role` read the GIS views (and nothing else lagesbild stores).
    fn grant_gis_reader(&self, role: &str) -> Result<()> {
        let _ = role;
        Err(StoreError::Unsupported(
            "the GIS views are a PostgreSQL + PostGIS feature / GIS-vyerna finns bara i PostgreSQL"
                .into(),
        ))
    }
    /// A writer that fills this (empty) database in one transaction.
    fn copy_writer(&self) -> Result<Box<dyn copy::CopyWriter + '_>>;
    fn transaction(&self) -> Result<Box<dyn WriteTx + '_>>;

    // ---- interventions ------------------------------------------------------------------

    /// Registers an intervention with the action fields it gets by default (status from
    /// its days; see [`ActionSpec::defaults_for`]).
    fn add_intervention(&self, spec: &InterventionSpec) -> Result<Intervention> {
        self.add_action(
            spec,
            &ActionSpec::defaults_for(spec, Utc::now().date_naive()),
        )
    }
    /// Registers an action: an intervention with its status, owner, goal, decision and
    /// hotspot (refused for an unknown target or hotspot area, or an overlapping duplicate
    /// of the same kind, partner and target that is not cancelled).
    fn add_action(&self, spec: &InterventionSpec, action: &ActionSpec) -> Result<Intervention>;
    /// Replaces an intervention, keeping its action fields; `None` when there is no such id.
    fn update_intervention(
        &self,
        id: InterventionId,
        spec: &InterventionSpec,
    ) -> Result<Option<Intervention>> {
        self.update_action(id, spec, None)
    }
    /// Replaces an intervention and (when given) its action fields, in one transaction;
    /// `None` when there is no such id.
    fn update_action(
        &self,
        id: InterventionId,
        spec: &InterventionSpec,
        action: Option<&ActionSpec>,
    ) -> Result<Option<Intervention>>;
    /// Deletes an intervention; false when there was none.
    fn delete_intervention(&self, id: InterventionId) -> Result<bool>;
    /// One intervention.
    fn intervention(&self, id: InterventionId) -> Result<Option<Intervention>>;
    /// Every intervention, by start day then id.
    fn interventions(&self) -> Result<Vec<Intervention>>;
    /// Interventions active on any day of `[first_day, last_day]` (open-ended ones run on).
    fn interventions_overlapping(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>>;
    /// Interventions whose last day lies in `[first_day, last_day]`.
    fn interventions_ended_between(
        &self,
        first_day: NaiveDate,
        last_day: NaiveDate,
    ) -> Result<Vec<Intervention>>;
    /// A counter that goes up with every change to the register.
    fn interventions_version(&self) -> Result<i64>;

    // ---- report notes -------------------------------------------------------------------

    /// The notes of a report (`2026-W47`) and scope (`""` or `regions:norra`), if any.
    fn report_notes(&self, report: &str, scope: &str) -> Result<Option<ReportNotes>>;
    /// Replaces the notes of a report (an empty text deletes them).
    fn set_report_notes(
        &self,
        report: &str,
        scope: &str,
        text: &str,
        updated_at: &str,
    ) -> Result<()>;

    /// Appends a version of a report's notes, decisions or partner input with its audit
    /// entry, in one transaction; a `notes` version also becomes the report's current
    /// notes ([`Backend::report_notes`]; an empty text clears them).
    fn save_report_note(
        &self,
        report: &str,
        scope: &str,
        version: &NoteVersion,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Every saved version of a report's notes, decisions and partner input, newest first.
    fn report_note_versions(&self, report: &str, scope: &str) -> Result<Vec<NoteVersion>>;

    // ---- partners, tokens, audit -------------------------------------------------------

    /// Stores a new sign-in session with the login's audit entry, in one transaction;
    /// sessions that ended or expired more than a day ago are removed.
    fn create_session(&self, session: &SessionRecord, audit: &AuditEntry) -> Result<()>;
    /// The session with this key, unless it has ended or expired at `now`.
    fn session(&self, key: &[u8; 32], now: DateTime<Utc>) -> Result<Option<SessionRecord>>;
    /// Ends a session at `at`; whether it was live.
    fn end_session(&self, key: &[u8; 32], at: DateTime<Utc>) -> Result<bool>;
    /// Counts one request of `key` (e.g. `login:ADDRESS`) in the one-minute window that
    /// starts at `window_start` (Unix seconds) and returns the window's count including it.
    /// Windows before the previous one are removed. Every server on the database shares the
    /// counts, so a rate limit holds across them.
    fn count_request(&self, key: &str, window_start: i64) -> Result<i64>;

    /// Adds a partner or updates its name and sharing, with its audit entry, atomically.
    fn put_partner(&self, partner: &PartnerSettings, audit: &AuditEntry) -> Result<()>;
    /// The configured partners, by code.
    fn partners(&self) -> Result<Vec<PartnerSettings>>;
    /// One partner.
    fn partner(&self, code: &str) -> Result<Option<PartnerSettings>>;
    /// Stores a token (its partner must exist) and the audit entry `audit` makes of it,
    /// atomically; returns the stored record.
    fn add_token(
        &self,
        token: &NewToken,
        audit: &dyn Fn(&TokenInfo) -> AuditEntry,
    ) -> Result<TokenInfo>;
    /// Every token, oldest first.
    fn tokens(&self) -> Result<Vec<TokenInfo>>;
    /// One token by id.
    fn token(&self, id: i64) -> Result<Option<TokenInfo>>;
    /// The token with this hash and its stored hash (to compare in constant time).
    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<(Vec<u8>, TokenInfo)>>;
    /// Revokes a token at `at` (keeping an earlier revocation) and appends the audit entry
    /// `audit` makes of it (with whether this call revoked it), atomically. `None` when
    /// there is no such token.
    fn revoke_token(
        &self,
        id: i64,
        at: DateTime<Utc>,
        audit: &dyn Fn(&TokenInfo, bool) -> AuditEntry,
    ) -> Result<Option<TokenInfo>>;
    /// Appends an audit entry on its own (reads, logins); returns its id.
    fn append_audit(&self, entry: &AuditEntry) -> Result<i64>;

    // ---- import profiles ----------------------------------------------------------------

    /// Adds or replaces an import profile (by name) with its audit entry, atomically.
    fn put_profile(&self, profile: &ImportProfile, audit: &AuditEntry) -> Result<()>;
    /// Every import profile, by name.
    fn profiles(&self) -> Result<Vec<ImportProfile>>;
    /// One import profile.
    fn profile(&self, name: &str) -> Result<Option<ImportProfile>>;
    /// Deletes an import profile with its audit entry, atomically; false (and no audit
    /// entry) when there was none.
    fn delete_profile(&self, name: &str, audit: &AuditEntry) -> Result<bool>;

    // ---- category code mappings ----------------------------------------------------------

    /// Adds or replaces a partner's mappings of its own codes or labels to category codes
    /// (keyed by [`CategoryMapping::key`]), with the audit entry, atomically.
    fn put_category_mappings(&self, mappings: &[CategoryMapping], audit: &AuditEntry)
    -> Result<()>;
    /// The mappings of one partner (or all), by partner then value.
    fn category_mappings(&self, partner: Option<&str>) -> Result<Vec<CategoryMapping>>;
    /// Audit entries matching `filter`, newest first.
    fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
}

/// An open write transaction. Dropping it without [`WriteTx::commit`] rolls back.
pub trait WriteTx {
    /// The stored H3 resolutions, seen from inside the transaction.
    fn h3_resolutions(&self) -> Result<Option<Vec<Resolution>>>;
    /// Sets the stored resolutions; the caller must then rewrite every incident's cells.
    fn set_h3_resolutions(&self, res: &[Resolution]) -> Result<()>;
    /// Opens a batch (one ingest of one file) and returns its id.
    fn begin_batch(&self, source: &str, format: &str) -> Result<i64>;
    /// Stores the batch's final counts.
    fn finish_batch(&self, batch: i64, counts: &BatchCounts) -> Result<()>;
    /// Inserts incidents of `batch` in order, each unless the same partner and id are
    /// stored already (also earlier in `rows`); one outcome per row.
    fn insert_incidents(&self, batch: i64, rows: &[NewIncident<'_>]) -> Result<Vec<InsertOutcome>>;
    /// Replaces the content of the stored incident `(partner, id)` with `inc`, its cells
    /// and areas. Returns the incident as it was, or `None` when it is not stored.
    fn correct_incident(
        &self,
        inc: &Incident,
        cells: &[CellIndex],
        areas: &[(i64, i64)],
    ) -> Result<Option<Incident>>;
    /// Deletes the incidents `what` selects (their area assignments go with them); returns
    /// how many, or `None` for [`Deletion::Batch`] of a batch that does not exist.
    fn delete_incidents(&self, what: &Deletion<'_>) -> Result<Option<u64>>;
    /// Every incident's key and location, for re-assignment.
    fn incident_locations(&self) -> Result<Vec<(i64, Wgs84)>>;
    /// Rewrites incidents' cells: `(key, cells)`.
    fn set_cells(&self, cells: &[(i64, Vec<CellIndex>)]) -> Result<()>;
    /// Records that incidents spanning `[from, to]` (Unix seconds) were added.
    fn note_incidents(&self, from: i64, to: i64);
    /// Replaces (or creates) a layer with `areas`; returns the layer key and the area keys
    /// in the order given. Assignments of the old layer are dropped.
    fn replace_layer(&self, name: &str, source: &str, areas: &[Area]) -> Result<(i64, Vec<i64>)>;
    /// Writes `(incident key, area key)` assignments for a layer.
    fn assign(&self, layer: i64, pairs: &[(i64, i64)]) -> Result<()>;
    /// All areas, seen from inside the transaction.
    fn areas(&self) -> Result<Vec<StoredArea>>;
    /// Appends an audit entry that commits or rolls back with this transaction.
    fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Bumps `data_version`, logs the change and commits; returns the new data version.
    fn commit(self: Box<Self>) -> Result<i64>;
}

/// One area in one ISO week, for the GIS views (`lagesbild gis refresh`).
#[derive(Debug, Clone, PartialEq)]
pub struct GisAreaWeek {
    /// Layer name.
    pub layer: String,
    /// Area id within the layer.
    pub area: String,
    /// ISO week, `YYYY-Www`.
    pub week: String,
    /// Incidents (aoristic: an incident spanning several weeks counts in parts).
    pub incidents: f64,
    /// Harm (the category weights).
    pub harm: f64,
    /// Gi* z, when the layer has enough areas for it.
    pub gi_z: Option<f64>,
    /// Gi* confidence class −3..3.
    pub gi_bin: i8,
    /// The small-area significance class (`hot_95`, `none`, ...).
    pub significance: String,
}

/// One H3 cell in one ISO week, for the GIS views.
#[derive(Debug, Clone, PartialEq)]
pub struct GisHexWeek {
    /// H3 resolution.
    pub res: u8,
    /// H3 cell id (hex string).
    pub cell: String,
    /// ISO week, `YYYY-Www`.
    pub week: String,
    /// Incidents (aoristic).
    pub incidents: f64,
    /// Harm.
    pub harm: f64,
    /// Gi* z.
    pub gi_z: Option<f64>,
    /// Gi* confidence class −3..3.
    pub gi_bin: i8,
    /// The cell's outline (lon, lat), WGS 84, not closed.
    pub boundary: Vec<(f64, f64)>,
}
