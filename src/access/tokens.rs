//! API tokens: 256 random bits, shown once, stored only as a SHA-256 hash.
//!
//! A token is `lgb_` followed by 64 hex digits. Because it is long and random, a plain
//! SHA-256 is enough (no password stretching needed): guessing one is as hard as guessing
//! the 256 bits. Lookups go by hash; the stored hash is then compared in constant time.

use chrono::{DateTime, Utc};
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AccessError, Result, Role, audit};
use crate::store::Store;

/// The prefix of every token (so a leaked one is recognisable, e.g. by secret scanners).
pub const PREFIX: &str = "lgb_";
/// Random bytes per token.
pub const TOKEN_BYTES: usize = 32;

/// A stored token (never the token itself).
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

/// SHA-256 of a token.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Creates a token for `partner` (which must be configured) with `role`, valid until
/// `expires_at` (or forever). Returns the token, to be shown once, and its record. The
/// creation is audited with `actor` as the one who made it.
pub fn create(
    store: &Store,
    partner: &str,
    role: Role,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<(String, TokenInfo)> {
    if super::partner(store, partner)?.is_none() {
        return Err(AccessError::UnknownPartner(partner.to_owned()));
    }
    let now = Utc::now();
    if let Some(e) = expires_at
        && e <= now
    {
        return Err(AccessError::Invalid(
            "expires: the time lies in the past".into(),
        ));
    }
    if label.chars().count() > 200 || label.chars().any(char::is_control) {
        return Err(AccessError::Invalid(
            "label: at most 200 printable characters".into(),
        ));
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    // ThreadRng is a CSPRNG (ChaCha12) seeded and periodically reseeded from the OS.
    rand::rng().fill_bytes(&mut bytes);
    let token = format!(
        "{PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let created_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    store.connection().execute(
        "INSERT INTO tokens (hash, partner, role, label, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            hash(&token).as_slice(),
            partner,
            role.as_str(),
            label,
            created_at.timestamp(),
            expires_at.map(|e| e.timestamp())
        ],
    )?;
    let info = TokenInfo {
        id: store.connection().last_insert_rowid(),
        partner: partner.to_owned(),
        role,
        label: label.to_owned(),
        created_at,
        expires_at: expires_at.and_then(|e| DateTime::from_timestamp(e.timestamp(), 0)),
        revoked_at: None,
    };
    audit::append(
        store,
        &audit::Entry::by_cli(
            actor,
            "token.create",
            &format!("token {} ({} {})", info.id, info.partner, info.role),
            1,
        ),
    )?;
    Ok((token, info))
}

const COLUMNS: &str = "id, partner, role, label, created_at, expires_at, revoked_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let role: String = r.get(2)?;
    let time = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Ok(TokenInfo {
        id: r.get(0)?,
        partner: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        label: r.get(3)?,
        created_at: time(r.get(4)?),
        expires_at: r.get::<_, Option<i64>>(5)?.map(time),
        revoked_at: r.get::<_, Option<i64>>(6)?.map(time),
    })
}

/// Every token, oldest first.
pub fn list(store: &Store) -> Result<Vec<TokenInfo>> {
    let mut stmt = store
        .connection()
        .prepare(&format!("SELECT {COLUMNS} FROM tokens ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// One token by id.
pub fn get(store: &Store, id: i64) -> Result<Option<TokenInfo>> {
    Ok(store
        .connection()
        .query_row(
            &format!("SELECT {COLUMNS} FROM tokens WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The active token that `token` is, or `None` (unknown, malformed, expired or revoked).
pub fn verify(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<TokenInfo>> {
    let token = token.trim();
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 2 * TOKEN_BYTES {
        return Ok(None);
    }
    let wanted = hash(token);
    let found: Option<(Vec<u8>, TokenInfo)> = store
        .connection()
        .query_row(
            &format!("SELECT hash, {COLUMNS} FROM tokens WHERE hash = ?1"),
            [wanted.as_slice()],
            |r| {
                let h: Vec<u8> = r.get(0)?;
                let role: String = r.get(3)?;
                let time = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
                Ok((
                    h,
                    TokenInfo {
                        id: r.get(1)?,
                        partner: r.get(2)?,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                        label: r.get(4)?,
                        created_at: time(r.get(5)?),
                        expires_at: r.get::<_, Option<i64>>(6)?.map(time),
                        revoked_at: r.get::<_, Option<i64>>(7)?.map(time),
                    },
                ))
            },
        )
        .optional()?;
    Ok(found.and_then(|(stored, info)| {
        let same: bool = stored.as_slice().ct_eq(wanted.as_slice()).into();
        (same && info.is_active(now)).then_some(info)
    }))
}

/// Revokes a token (at once; revoking twice keeps the first time). Audited.
pub fn revoke(store: &Store, id: i64, actor: &str) -> Result<TokenInfo> {
    let changed = store.connection().execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, Utc::now().timestamp()],
    )?;
    let info = get(store, id)?.ok_or(AccessError::UnknownToken(id))?;
    audit::append(
        store,
        &audit::Entry::by_cli(
            actor,
            "token.revoke",
            &format!("token {} ({} {})", info.id, info.partner, info.role),
            changed as i64,
        ),
    )?;
    Ok(info)
}

/// Parses an expiry: a duration such as `90d`, `12h`, `30m`, or an RFC 3339 time or a date
/// (`2027-06-30`, midnight UTC).
pub fn parse_expiry(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let s = s.trim();
    let bad = || {
        AccessError::Invalid(format!(
            "expires: {s:?} is not a duration (90d, 12h, 30m) or a date/time (2027-06-30, RFC 3339)"
        ))
    };
    if let Some(unit) = s.chars().last().filter(|c| "dhm".contains(*c)) {
        let n: i64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
        if !(1..=36_500 * 24 * 60).contains(&n) {
            return Err(bad());
        }
        let d = match unit {
            'd' => chrono::Duration::days(n.min(36_500)),
            'h' => chrono::Duration::hours(n.min(36_500 * 24)),
            _ => chrono::Duration::minutes(n),
        };
        return Ok(now + d);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(bad);
    }
    Err(bad())
}
