//! The audit log: who read, exported, ingested or corrected incident-level data, and who
//! changed tokens or partners, when, and how many rows.
//!
//! The log is append-only in the database itself (SQLite triggers abort any `UPDATE` or
//! `DELETE`). A change (ingest, correction, token or partner change) is audited inside the
//! transaction that makes it, so after a crash every committed change has its entry and no
//! entry lacks its change; reads and logins are appended on their own with [`append`].

use super::Result;
pub use crate::model::access::{AuditEntry as Entry, AuditFilter as Filter};
use crate::store::Store;

/// The local user name for `cli:` actors.
pub fn cli_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Appends an entry on its own (reads, logins); returns its id. Changes are audited inside
/// their own transaction instead (see `store::WriteTx::append_audit`).
pub fn append(store: &Store, e: &Entry) -> Result<i64> {
    Ok(store.append_audit(e)?)
}

/// Entries matching `f`, newest first.
pub fn list(store: &Store, f: &Filter) -> Result<Vec<Entry>> {
    Ok(store.audit_entries(f)?)
}
