//! The access-control vocabulary: roles, partner settings, stored tokens and audit entries.
//!
//! These are plain records: `store` keeps them, `access` applies the rules around them
//! (validation, hashing, who may see what), `serve::auth` maps requests onto them.

use chrono::{DateTime, Utc};
use serde::Serialize;

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

    /// Parses `admin`, `analyst`, `reporter` or `viewer`; the error is a sentence for the user.
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            "reporter" => Ok(Role::Reporter),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!(
                "role {other:?} is not admin, analyst, reporter or viewer"
            )),
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

/// A stored API token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Row id, used to revoke it.
    pub id: i64,
    /// The partner it acts for.
    pub partner: String,
    /// What it may do.
    pub role: Role,
    /// A free note (who holds it).
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Whether the token works at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

/// A token to store: its hash and record (the id is given by the store).
#[derive(Debug, Clone)]
pub struct NewToken {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// The partner it acts for.
    pub partner: String,
    /// What it may do.
    pub role: Role,
    /// A free note.
    pub label: String,
    /// When it was made (whole seconds).
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever (whole seconds).
    pub expires_at: Option<DateTime<Utc>>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
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

impl AuditEntry {
    /// An entry made now by a command-line user (`cli:` + `actor`).
    pub fn by_cli(actor: &str, action: &str, target: &str, rows: i64) -> AuditEntry {
        AuditEntry {
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
        role: Role,
        action: &str,
        target: &str,
        rows: i64,
    ) -> AuditEntry {
        AuditEntry {
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
    pub fn with_detail(mut self, detail: impl Into<String>) -> AuditEntry {
        self.detail = detail.into();
        self
    }

    /// The entry with `rows`.
    pub fn with_rows(mut self, rows: i64) -> AuditEntry {
        self.rows = rows;
        self
    }
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
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

/// A signed-in browser session as stored: the SHA-256 of its cookie value (never the value
/// itself), the token it acts for and its CSRF token. Sessions live in the database, so
/// every server on it knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie value.
    pub key: [u8; 32],
    /// The token the session acts for.
    pub token_id: i64,
    /// The CSRF token state changes must send.
    pub csrf: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}
