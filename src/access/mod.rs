//! Who may see what: partners and their sharing setting, roles, API tokens, the audit log and
//! small-count suppression. No HTTP here; `serve::auth` maps requests onto these rules.
//!
//! - Partners ([`PartnerSettings`]) are rows in the `partners` table, added with
//!   `lagesbild partner add`. Each has a `shares` setting: whether its incidents are visible
//!   to the other partners' analysts ("shared with the collaboration").
//! - A token ([`tokens`]) belongs to one partner and has one [`Role`]. Only its SHA-256 hash
//!   is stored.
//! - [`audit`] appends who did what, when, to how many rows; SQLite triggers refuse any
//!   update or delete of the log.
//! - [`suppress`] hides small counts from viewers and the public.

pub mod audit;
pub mod suppress;
pub mod tokens;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::model::Partner;
use crate::store::{Store, StoreError};

/// An access-control failure.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The partner is not configured.
    #[error("unknown partner {0:?}; add it with `lagesbild partner add {0} --name NAME`")]
    UnknownPartner(String),
    /// No such token.
    #[error("no token with id {0}; `lagesbild token list` shows them")]
    UnknownToken(i64),
}

type Result<T> = std::result::Result<T, AccessError>;

/// What a token may do. Anonymous access is the absence of a token (see `serve::auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages partners, tokens and areas; sees what an analyst sees.
    Admin,
    /// Sees all incident-level data shared with the collaboration; full aggregates.
    Analyst,
    /// Files incidents for its own partner and sees that partner's incidents.
    Reporter,
    /// Aggregates only, with suppression.
    Viewer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Reporter, Role::Viewer];

    /// Parses `admin`, `analyst`, `reporter` or `viewer`.
    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            "reporter" => Ok(Role::Reporter),
            "viewer" => Ok(Role::Viewer),
            other => Err(AccessError::Invalid(format!(
                "role {other:?} is not admin, analyst, reporter or viewer"
            ))),
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Reporter => "reporter",
            Role::Viewer => "viewer",
        }
    }

    /// Whether aggregates are shown without small-count suppression.
    pub fn sees_full_aggregates(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configured partner organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerSettings {
    /// The code used in incidents (`polisen`, `kommunen`, ...).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Whether the partner shares its incidents with the collaboration (the other partners'
    /// analysts see them).
    pub shares: bool,
}

/// Adds a partner, or updates its name and sharing setting.
pub fn put_partner(store: &Store, code: &str, name: &str, shares: bool) -> Result<PartnerSettings> {
    let code = Partner::parse(code)
        .map_err(|e| AccessError::Invalid(format!("partner: {e}")))?
        .as_str()
        .to_owned();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AccessError::Invalid(
            "name: give 1 to 200 printable characters".into(),
        ));
    }
    store.connection().execute(
        "INSERT INTO partners (code, name, shares, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, shares = excluded.shares",
        params![code, name, shares, chrono::Utc::now().timestamp()],
    )?;
    Ok(PartnerSettings {
        code,
        name: name.to_owned(),
        shares,
    })
}

/// The configured partners, by code.
pub fn partners(store: &Store) -> Result<Vec<PartnerSettings>> {
    let mut stmt = store
        .connection()
        .prepare("SELECT code, name, shares FROM partners ORDER BY code")?;
    let rows = stmt.query_map([], |r| {
        Ok(PartnerSettings {
            code: r.get(0)?,
            name: r.get(1)?,
            shares: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One partner.
pub fn partner(store: &Store, code: &str) -> Result<Option<PartnerSettings>> {
    Ok(store
        .connection()
        .query_row(
            "SELECT code, name, shares FROM partners WHERE code = ?1",
            [code],
            |r| {
                Ok(PartnerSettings {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    shares: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// The partners whose incidents a token of `role` belonging to `own` may read: its own
/// partner always (admins, analysts, reporters), plus every sharing partner for admins and
/// analysts. Viewers read no incidents (empty list).
pub fn visible_partners(store: &Store, own: &str, role: Role) -> Result<Vec<String>> {
    let mut out = match role {
        Role::Viewer => return Ok(Vec::new()),
        Role::Reporter => Vec::new(),
        Role::Admin | Role::Analyst => partners(store)?
            .into_iter()
            .filter(|p| p.shares)
            .map(|p| p.code)
            .collect(),
    };
    if !out.iter().any(|p| p == own) {
        out.push(own.to_owned());
    }
    out.sort();
    Ok(out)
}

/// `meta` key marking a database that holds the synthetic demo (and nothing else).
pub const DEMO_MARK: &str = "demo";

/// True when the database holds only the synthetic demo.
pub fn is_demo(store: &Store) -> Result<bool> {
    Ok(store.meta(DEMO_MARK)?.as_deref() == Some("1"))
}

/// Marks (or unmarks) the database as holding only the synthetic demo.
pub fn set_demo(store: &Store, demo: bool) -> Result<()> {
    store.set_meta(DEMO_MARK, demo.then_some("1"))?;
    Ok(())
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
