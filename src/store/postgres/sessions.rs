//! Sign-in sessions and rate-limit counts (migration 2), shared by every server on the
//! database.

use chrono::{DateTime, Utc};

use super::{PgStore, append_audit};
use crate::model::access::{AuditEntry, SessionRecord};
use crate::store::Result;

/// Ended or expired sessions are kept this long (seconds), then removed.
const KEEP_ENDED: i64 = 86_400;

impl PgStore {
    pub(super) fn create_session_row(&self, s: &SessionRecord, audit: &AuditEntry) -> Result<()> {
        self.in_transaction(|tx| {
            let old = s.created_at.timestamp() - KEEP_ENDED;
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < $1 OR ended_at < $1",
                &[&old],
            )?;
            tx.execute(
                "INSERT INTO sessions (key, token_id, csrf, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &s.key.as_slice(),
                    &s.token_id,
                    &s.csrf,
                    &s.created_at.timestamp(),
                    &s.expires_at.timestamp(),
                ],
            )?;
            append_audit(tx, audit)?;
            Ok(())
        })
    }

    pub(super) fn session_row(
        &self,
        key: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRecord>> {
        let row = self.query_opt(
            "SELECT token_id, csrf, created_at, expires_at FROM sessions
             WHERE key = $1 AND ended_at IS NULL AND expires_at > $2",
            &[&key.as_slice(), &now.timestamp()],
        )?;
        Ok(row.map(|r| SessionRecord {
            key: *key,
            token_id: r.get(0),
            csrf: r.get(1),
            created_at: DateTime::from_timestamp(r.get(2), 0).unwrap_or_default(),
            expires_at: DateTime::from_timestamp(r.get(3), 0).unwrap_or_default(),
        }))
    }

    pub(super) fn end_session_row(&self, key: &[u8; 32], at: DateTime<Utc>) -> Result<bool> {
        Ok(self.execute(
            "UPDATE sessions SET ended_at = $2 WHERE key = $1 AND ended_at IS NULL",
            &[&key.as_slice(), &at.timestamp()],
        )? > 0)
    }

    pub(super) fn count_request_row(&self, key: &str, window_start: i64) -> Result<i64> {
        self.in_transaction(|tx| {
            tx.execute(
                "DELETE FROM rate_limits WHERE window_start < $1",
                &[&(window_start - 60)],
            )?;
            let row = tx.query_one(
                "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
                 ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
                 RETURNING count",
                &[&key, &window_start],
            )?;
            Ok(row.get(0))
        })
    }
}
