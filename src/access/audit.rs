//! The audit log: who read, exported, ingested or corrected incident-level data, and who
//! changed tokens or partners, when, and how many rows.
//!
//! The `audit` table is append-only: triggers (store migration 3) abort any `UPDATE` or
//! `DELETE`, and nothing in the HTTP API writes to it except through [`append`].

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::Result;
use crate::store::Store;

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `token:ID` for API calls, `cli:USER` for the command line.
    pub actor: String,
    /// The actor's partner, for tokens.
    pub partner: Option<String>,
    /// The actor's role, for tokens.
    pub role: Option<String>,
    /// What: `incidents.read`, `incidents.export`, `ingest`, `incident.correct`,
    /// `token.create`, `token.revoke`, `partner.put`, `login`, ...
    pub action: String,
    /// On what (an endpoint, a file, a token).
    pub target: String,
    /// How many rows were read or written.
    pub rows: i64,
    /// Anything else worth keeping (parameters, outcome).
    pub detail: String,
}

impl Entry {
    /// An entry made now by a command-line user (`cli:` + `actor`).
    pub fn by_cli(actor: &str, action: &str, target: &str, rows: i64) -> Entry {
        Entry {
            id: 0,
            at: Utc::now(),
            actor: format!("cli:{actor}"),
            partner: None,
            role: None,
            action: action.to_owned(),
            target: target.to_owned(),
            rows,
            detail: String::new(),
        }
    }

    /// An entry made now through the API by token `token_id`.
    pub fn by_token(
        token_id: i64,
        partner: &str,
        role: super::Role,
        action: &str,
        target: &str,
        rows: i64,
    ) -> Entry {
        Entry {
            id: 0,
            at: Utc::now(),
            actor: format!("token:{token_id}"),
            partner: Some(partner.to_owned()),
            role: Some(role.as_str().to_owned()),
            action: action.to_owned(),
            target: target.to_owned(),
            rows,
            detail: String::new(),
        }
    }

    /// The entry with `detail`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Entry {
        self.detail = detail.into();
        self
    }
}

/// The local user name for `cli:` actors.
pub fn cli_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Appends an entry; returns its id.
pub fn append(store: &Store, e: &Entry) -> Result<i64> {
    store.connection().execute(
        "INSERT INTO audit (at, actor, partner, role, action, target, rows, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.at.timestamp(),
            e.actor,
            e.partner,
            e.role,
            e.action,
            e.target,
            e.rows,
            e.detail
        ],
    )?;
    Ok(store.connection().last_insert_rowid())
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Entries at or after.
    pub since: Option<DateTime<Utc>>,
    /// Entries before.
    pub until: Option<DateTime<Utc>>,
    /// Entries whose action starts with this (`token` matches `token.create`).
    pub action: Option<String>,
    /// Entries by this actor (`token:3`, `cli:anna`).
    pub actor: Option<String>,
    /// Entries of this partner.
    pub partner: Option<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Entries matching `f`, newest first.
pub fn list(store: &Store, f: &Filter) -> Result<Vec<Entry>> {
    let mut stmt = store.connection().prepare(
        "SELECT id, at, actor, partner, role, action, target, rows, detail FROM audit
         WHERE at >= ?1 AND at < ?2
           AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')
           AND (?4 IS NULL OR actor = ?4)
           AND (?5 IS NULL OR partner = ?5)
         ORDER BY id DESC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![
            f.since.map_or(i64::MIN, |t| t.timestamp()),
            f.until.map_or(i64::MAX, |t| t.timestamp()),
            f.action,
            f.actor,
            f.partner,
            f.limit.min(i64::MAX as usize) as i64
        ],
        |r| {
            Ok(Entry {
                id: r.get(0)?,
                at: DateTime::from_timestamp(r.get(1)?, 0).unwrap_or_default(),
                actor: r.get(2)?,
                partner: r.get(3)?,
                role: r.get(4)?,
                action: r.get(5)?,
                target: r.get(6)?,
                rows: r.get(7)?,
                detail: r.get(8)?,
            })
        },
    )?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
