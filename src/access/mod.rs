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

use crate::model::Partner;
pub use crate::model::access::{PartnerSettings, Role};
use crate::store::{Store, StoreError};

/// An access-control failure.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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

/// Parses a role name (`admin`, `analyst`, `reporter`, `viewer`).
pub fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(AccessError::Invalid)
}

/// Adds a partner, or updates its name and sharing setting; audited (as `actor`, e.g.
/// `cli:anna`) in the same transaction.
pub fn put_partner(
    store: &Store,
    code: &str,
    name: &str,
    shares: bool,
    actor: &str,
) -> Result<PartnerSettings> {
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
    let p = PartnerSettings {
        code,
        name: name.to_owned(),
        shares,
    };
    let entry = audit::Entry::by_cli(actor, "partner.put", &format!("partner {}", p.code), 1)
        .with_detail(format!("name {:?}, shares {}", p.name, p.shares));
    store.put_partner(&p, &entry)?;
    Ok(p)
}

/// The configured partners, by code.
pub fn partners(store: &Store) -> Result<Vec<PartnerSettings>> {
    Ok(store.partners()?)
}

/// One partner.
pub fn partner(store: &Store, code: &str) -> Result<Option<PartnerSettings>> {
    Ok(store.partner(code)?)
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
