//! API tokens: 256 random bits, shown once, stored only as a SHA-256 hash.
//!
//! A token is `lgb_` followed by 64 hex digits. Because it is long and random, a plain
//! SHA-256 is enough (no password stretching needed): guessing one is as hard as guessing
//! the 256 bits. Lookups go by hash; the stored hash is then compared in constant time.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AccessError, Result, Role, audit};
use crate::model::access::NewToken;
pub use crate::model::access::TokenInfo;
use crate::store::{Store, StoreError};

/// The prefix of every token (so a leaked one is recognisable, e.g. by secret scanners).
pub const PREFIX: &str = "lgb_";
/// Random bytes per token.
pub const TOKEN_BYTES: usize = 32;

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
    let new = NewToken {
        hash: hash(&token),
        partner: partner.to_owned(),
        role,
        label: label.to_owned(),
        created_at,
        expires_at,
    };
    let info = store
        .add_token(&new, &|info| {
            audit::Entry::by_cli(
                actor,
                "token.create",
                &format!("token {} ({} {})", info.id, info.partner, info.role),
                1,
            )
        })
        .map_err(|e| match e {
            StoreError::UnknownPartner(p) => AccessError::UnknownPartner(p),
            other => other.into(),
        })?;
    Ok((token, info))
}

/// Every token, oldest first.
pub fn list(store: &Store) -> Result<Vec<TokenInfo>> {
    Ok(store.tokens()?)
}

/// One token by id.
pub fn get(store: &Store, id: i64) -> Result<Option<TokenInfo>> {
    Ok(store.token(id)?)
}

/// Whether `token` has the shape of a token (prefix and length), before any look-up.
pub fn well_formed(token: &str) -> bool {
    token.starts_with(PREFIX) && token.len() == PREFIX.len() + 2 * TOKEN_BYTES
}

/// The active token that `token` is, or `None` (unknown, malformed, expired or revoked).
pub fn verify(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<TokenInfo>> {
    let token = token.trim();
    if !well_formed(token) {
        return Ok(None);
    }
    let wanted = hash(token);
    let found = store.token_by_hash(&wanted)?;
    Ok(found.and_then(|(stored, info)| {
        let same: bool = stored.as_slice().ct_eq(wanted.as_slice()).into();
        (same && info.is_active(now)).then_some(info)
    }))
}

/// Revokes a token (at once; revoking twice keeps the first time). Audited in the same
/// transaction.
pub fn revoke(store: &Store, id: i64, actor: &str) -> Result<TokenInfo> {
    store
        .revoke_token(id, Utc::now(), &|info, changed| {
            audit::Entry::by_cli(
                actor,
                "token.revoke",
                &format!("token {} ({} {})", info.id, info.partner, info.role),
                i64::from(changed),
            )
        })?
        .ok_or(AccessError::UnknownToken(id))
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
