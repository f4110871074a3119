//! Sign-in sessions and rate-limit counts (migration 6): in the database, so that every
//! server on it shares them.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::access::append_audit;
use super::in_transaction;
use super::read::from_unix;
use crate::model::access::{AuditEntry, SessionRecord};
use crate::store::{Result, StoreError};

/// Ended or expired sessions are kept this long (seconds), then removed.
const KEEP_ENDED: i64 = 86_400;

pub(super) fn create_session(
    conn: &Connection,
    s: &SessionRecord,
    audit: &AuditEntry,
) -> Result<()> {
    in_transaction(conn, |tx| {
        let old = s.created_at.timestamp() - KEEP_ENDED;
        tx.execute(
            "DELETE FROM sessions WHERE expires_at < ?1 OR ended_at < ?1",
            [old],
        )?;
        tx.execute(
            "INSERT INTO sessions (key, token_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                s.key.as_slice(),
                s.token_id,
                s.csrf,
                s.created_at.timestamp(),
                s.expires_at.timestamp()
            ],
        )?;
        append_audit(tx, audit)?;
        Ok(())
    })
}

pub(super) fn session(
    conn: &Connection,
    key: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<SessionRecord>> {
    let row = conn
        .query_row(
            "SELECT token_id, csrf, created_at, expires_at FROM sessions
             WHERE key = ?1 AND ended_at IS NULL AND expires_at > ?2",
            params![key.as_slice(), now.timestamp()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(row.map(|(token_id, csrf, created, expires)| SessionRecord {
        key: *key,
        token_id,
        csrf,
        created_at: from_unix(created),
        expires_at: from_unix(expires),
    }))
}

pub(super) fn end_session(conn: &Connection, key: &[u8; 32], at: DateTime<Utc>) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE key = ?1 AND ended_at IS NULL",
        params![key.as_slice(), at.timestamp()],
    )? > 0)
}

pub(super) fn count_request(conn: &Connection, key: &str, window_start: i64) -> Result<i64> {
    in_transaction(conn, |tx| {
        tx.execute(
            "DELETE FROM rate_limits WHERE window_start < ?1",
            [window_start - 60],
        )?;
        tx.query_row(
            "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
             RETURNING count",
            params![key, window_start],
            |r| r.get(0),
        )
        .map_err(StoreError::from)
    })
}
