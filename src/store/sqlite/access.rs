//! Partners, API tokens (hashes only) and the append-only audit log (triggers in migration 5
//! abort any `UPDATE` or `DELETE` of it). A change and its audit entry commit together.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::in_transaction;
use super::read::from_unix;
use crate::model::access::{AuditEntry, AuditFilter, NewToken, PartnerSettings, Role, TokenInfo};
use crate::store::{Result, StoreError};

pub(super) fn put_partner(
    conn: &Connection,
    p: &PartnerSettings,
    audit: &AuditEntry,
) -> Result<()> {
    in_transaction(conn, |tx| {
        tx.execute(
            "INSERT INTO partners (code, name, shares, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, shares = excluded.shares",
            params![p.code, p.name, p.shares, Utc::now().timestamp()],
        )?;
        append_audit(tx, audit)?;
        Ok(())
    })
}

fn partner_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PartnerSettings> {
    Ok(PartnerSettings {
        code: r.get(0)?,
        name: r.get(1)?,
        shares: r.get(2)?,
    })
}

pub(super) fn partners(conn: &Connection) -> Result<Vec<PartnerSettings>> {
    let mut stmt = conn.prepare("SELECT code, name, shares FROM partners ORDER BY code")?;
    let rows = stmt.query_map([], partner_from_row)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn partner(conn: &Connection, code: &str) -> Result<Option<PartnerSettings>> {
    Ok(conn
        .query_row(
            "SELECT code, name, shares FROM partners WHERE code = ?1",
            [code],
            partner_from_row,
        )
        .optional()?)
}

const TOKEN_COLUMNS: &str = "id, partner, role, label, created_at, expires_at, revoked_at";

/// Reads [`TOKEN_COLUMNS`] starting at column `first`.
fn token_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<TokenInfo> {
    let role: String = r.get(first + 2)?;
    Ok(TokenInfo {
        id: r.get(first)?,
        partner: r.get(first + 1)?,
        // The column has a CHECK constraint on the four roles.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        label: r.get(first + 3)?,
        created_at: from_unix(r.get(first + 4)?),
        expires_at: r.get::<_, Option<i64>>(first + 5)?.map(from_unix),
        revoked_at: r.get::<_, Option<i64>>(first + 6)?.map(from_unix),
    })
}

pub(super) fn add_token(
    conn: &Connection,
    t: &NewToken,
    audit: &dyn Fn(&TokenInfo) -> AuditEntry,
) -> Result<TokenInfo> {
    in_transaction(conn, |tx| {
        if partner(tx, &t.partner)?.is_none() {
            return Err(StoreError::UnknownPartner(t.partner.clone()));
        }
        tx.execute(
            "INSERT INTO tokens (hash, partner, role, label, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                t.hash.as_slice(),
                t.partner,
                t.role.as_str(),
                t.label,
                t.created_at.timestamp(),
                t.expires_at.map(|e| e.timestamp())
            ],
        )?;
        let info = TokenInfo {
            id: tx.last_insert_rowid(),
            partner: t.partner.clone(),
            role: t.role,
            label: t.label.clone(),
            created_at: from_unix(t.created_at.timestamp()),
            expires_at: t.expires_at.map(|e| from_unix(e.timestamp())),
            revoked_at: None,
        };
        append_audit(tx, &audit(&info))?;
        Ok(info)
    })
}

pub(super) fn tokens(conn: &Connection) -> Result<Vec<TokenInfo>> {
    let mut stmt = conn.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"))?;
    let rows = stmt.query_map([], |r| token_from_row(r, 0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn token(conn: &Connection, id: i64) -> Result<Option<TokenInfo>> {
    Ok(conn
        .query_row(
            &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
            [id],
            |r| token_from_row(r, 0),
        )
        .optional()?)
}

pub(super) fn token_by_hash(
    conn: &Connection,
    hash: &[u8; 32],
) -> Result<Option<(Vec<u8>, TokenInfo)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT hash, {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1"
    ))?;
    Ok(stmt
        .query_row([hash.as_slice()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, token_from_row(r, 1)?))
        })
        .optional()?)
}

pub(super) fn revoke_token(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
    audit: &dyn Fn(&TokenInfo, bool) -> AuditEntry,
) -> Result<Option<TokenInfo>> {
    in_transaction(conn, |tx| {
        let changed = tx.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, at.timestamp()],
        )?;
        let Some(info) = token(tx, id)? else {
            return Ok(None);
        };
        append_audit(tx, &audit(&info, changed > 0))?;
        Ok(Some(info))
    })
}

pub(super) fn append_audit(conn: &Connection, e: &AuditEntry) -> Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO audit (at, actor, partner, role, action, target, rows, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    stmt.execute(params![
        e.at.timestamp(),
        e.actor,
        e.partner,
        e.role,
        e.action,
        e.target,
        e.rows,
        e.detail
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn audit_entries(conn: &Connection, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
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
            Ok(AuditEntry {
                id: r.get(0)?,
                at: from_unix(r.get(1)?),
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
