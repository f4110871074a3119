//! Import profiles (migration 9): one row per profile, its content as JSON (see
//! `ingest::profile`), and partners' category code mappings (migration 10). A change and its
//! audit entry commit together.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::access::append_audit;
use super::in_transaction;
use crate::ingest::ImportProfile;
use crate::model::access::AuditEntry;
use crate::store::codec::{decode_profile, encode_profile};
use crate::store::{CategoryMapping, Result};

pub(super) fn put_profile(conn: &Connection, p: &ImportProfile, audit: &AuditEntry) -> Result<()> {
    let spec = encode_profile(p)?;
    in_transaction(conn, |tx| {
        tx.execute(
            "INSERT INTO import_profiles (name, partner, spec, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET partner = excluded.partner, spec = excluded.spec,
                 updated_at = excluded.updated_at",
            params![p.name, p.partner, spec, Utc::now().timestamp()],
        )?;
        append_audit(tx, audit)?;
        Ok(())
    })
}

pub(super) fn profiles(conn: &Connection) -> Result<Vec<ImportProfile>> {
    let mut stmt = conn.prepare("SELECT name, spec FROM import_profiles ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, spec) = row?;
        out.push(decode_profile(&name, &spec)?);
    }
    Ok(out)
}

pub(super) fn profile(conn: &Connection, name: &str) -> Result<Option<ImportProfile>> {
    let spec: Option<String> = conn
        .query_row(
            "SELECT spec FROM import_profiles WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    spec.map(|s| decode_profile(name, &s)).transpose()
}

pub(super) fn delete_profile(conn: &Connection, name: &str, audit: &AuditEntry) -> Result<bool> {
    in_transaction(conn, |tx| {
        let n = tx.execute("DELETE FROM import_profiles WHERE name = ?1", [name])?;
        if n > 0 {
            append_audit(tx, audit)?;
        }
        Ok(n > 0)
    })
}

pub(super) fn put_category_mappings(
    conn: &Connection,
    mappings: &[CategoryMapping],
    audit: &AuditEntry,
) -> Result<()> {
    in_transaction(conn, |tx| {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO category_mappings (partner, value_key, value, category, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (partner, value_key) DO UPDATE SET value = excluded.value,
                 category = excluded.category, updated_at = excluded.updated_at",
        )?;
        let now = Utc::now().timestamp();
        for m in mappings {
            stmt.execute(params![
                m.partner,
                CategoryMapping::key(&m.value),
                m.value,
                m.category,
                now
            ])?;
        }
        append_audit(tx, audit)?;
        Ok(())
    })
}

pub(super) fn category_mappings(
    conn: &Connection,
    partner: Option<&str>,
) -> Result<Vec<CategoryMapping>> {
    let mut stmt = conn.prepare(
        "SELECT partner, value, category FROM category_mappings
         WHERE ?1 IS NULL OR partner = ?1 ORDER BY partner, value_key",
    )?;
    let rows = stmt.query_map([partner], |r| {
        Ok(CategoryMapping {
            partner: r.get(0)?,
            value: r.get(1)?,
            category: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
