//! Meeting notes stored with a report: one current text per report id (`2026-W47`,
//! `2026-T3`) and scope (`""` for the whole study area, or e.g. `regions:norra`), and every
//! saved version of the notes, the decisions and each partner's input (append-only).
//!
//! Also: which ingest batches were synthetic demo data, which every report must say.
//!
//! The store keeps the text as given; checking it (length, characters) is the report
//! module's job. Notes are not incident data: writing them does not move the data version,
//! so cached analyses stay valid.

use rusqlite::{Connection, OptionalExtension, params};

use super::in_transaction;
use crate::model::access::AuditEntry;
use crate::store::{NoteVersion, ReportNotes, Result};

/// The notes of a report, if any were written.
pub(super) fn get(conn: &Connection, report: &str, scope: &str) -> Result<Option<ReportNotes>> {
    Ok(conn
        .query_row(
            "SELECT notes, updated_at FROM report_notes WHERE report = ?1 AND scope = ?2",
            params![report, scope],
            |r| {
                Ok(ReportNotes {
                    text: r.get(0)?,
                    updated_at: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Replaces the notes of a report (an empty text deletes them), in one transaction.
pub(super) fn set(
    conn: &Connection,
    report: &str,
    scope: &str,
    text: &str,
    updated_at: &str,
) -> Result<()> {
    in_transaction(conn, |tx| set_current(tx, report, scope, text, updated_at))
}

fn set_current(
    tx: &Connection,
    report: &str,
    scope: &str,
    text: &str,
    updated_at: &str,
) -> Result<()> {
    if text.is_empty() {
        tx.execute(
            "DELETE FROM report_notes WHERE report = ?1 AND scope = ?2",
            params![report, scope],
        )?;
    } else {
        tx.execute(
            "INSERT INTO report_notes (report, scope, notes, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (report, scope) DO UPDATE SET notes = excluded.notes, updated_at = excluded.updated_at",
            params![report, scope, text, updated_at],
        )?;
    }
    Ok(())
}

/// Appends a note version (and for `notes`, replaces the current notes) with its audit
/// entry, in one transaction.
pub(super) fn save_version(
    conn: &Connection,
    report: &str,
    scope: &str,
    v: &NoteVersion,
    audit: &AuditEntry,
) -> Result<()> {
    in_transaction(conn, |tx| {
        tx.execute(
            "INSERT INTO report_note_versions (report, scope, section, partner, author, saved_at, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![report, scope, v.section, v.partner, v.author, v.saved_at, v.text],
        )?;
        if v.section == "notes" {
            set_current(tx, report, scope, &v.text, &v.saved_at)?;
        }
        super::access::append_audit(tx, audit)?;
        Ok(())
    })
}

/// Every version of a report's notes, newest first.
pub(super) fn versions(conn: &Connection, report: &str, scope: &str) -> Result<Vec<NoteVersion>> {
    let mut stmt = conn.prepare(
        "SELECT section, partner, author, saved_at, text FROM report_note_versions
         WHERE report = ?1 AND scope = ?2 ORDER BY id DESC",
    )?;
    let rows = stmt.query_map(params![report, scope], |r| {
        Ok(NoteVersion {
            section: r.get(0)?,
            partner: r.get(1)?,
            author: r.get(2)?,
            saved_at: r.get(3)?,
            text: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The sources of ingest batches that hold synthetic (demo) incidents, oldest first.
pub(super) fn synthetic_sources(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT source FROM batches WHERE accepted > 0 AND source LIKE '%synthetic%' ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn notes_round_trip_replace_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("n.db")).unwrap();
        let v = s.data_version().unwrap();
        assert_eq!(s.report_notes("2026-W47", "").unwrap(), None);
        s.set_report_notes(
            "2026-W47",
            "",
            "Åtgärd: mer belysning i Alby; 'quotes' \"ok\"",
            "2026-11-25T10:00:00Z",
        )
        .unwrap();
        s.set_report_notes(
            "2026-W47",
            "regions:norra",
            "other scope",
            "2026-11-25T10:00:00Z",
        )
        .unwrap();
        s.set_report_notes("2026-W47", "", "replaced", "2026-11-25T11:00:00Z")
            .unwrap();
        let n = s.report_notes("2026-W47", "").unwrap().unwrap();
        assert_eq!(n.text, "replaced");
        assert_eq!(n.updated_at, "2026-11-25T11:00:00Z");
        assert_eq!(
            s.report_notes("2026-W47", "regions:norra")
                .unwrap()
                .unwrap()
                .text,
            "other scope"
        );
        s.set_report_notes("2026-W47", "", "", "2026-11-25T12:00:00Z")
            .unwrap();
        assert_eq!(s.report_notes("2026-W47", "").unwrap(), None);
        assert_eq!(s.data_version().unwrap(), v, "notes are not data");
    }
}
