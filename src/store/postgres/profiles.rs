//! Import profiles (migration 6; category mappings: 7): one row per profile, its content as JSON (see
//! `ingest::profile`). A change and its audit entry commit together.

use chrono::Utc;

use super::{PgStore, append_audit};
use crate::ingest::ImportProfile;
use crate::model::access::AuditEntry;
use crate::store::codec::{decode_profile, encode_profile};
use crate::store::{CategoryMapping, Result};

impl PgStore {
    pub(super) fn put_profile_impl(&self, p: &ImportProfile, audit: &AuditEntry) -> Result<()> {
        let spec = encode_profile(p)?;
        self.in_transaction(|tx| {
            tx.execute(
                "INSERT INTO import_profiles (name, partner, spec, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET partner = excluded.partner, spec = excluded.spec,
                     updated_at = excluded.updated_at",
                &[&p.name, &p.partner, &spec, &Utc::now().timestamp()],
            )?;
            append_audit(tx, audit)?;
            Ok(())
        })
    }

    pub(super) fn profiles_impl(&self) -> Result<Vec<ImportProfile>> {
        self.query(
            "SELECT name, spec FROM import_profiles ORDER BY name COLLATE \"C\"",
            &[],
        )?
        .into_iter()
        .map(|r| decode_profile(r.get(0), r.get(1)))
        .collect()
    }

    pub(super) fn profile_impl(&self, name: &str) -> Result<Option<ImportProfile>> {
        self.query_opt("SELECT spec FROM import_profiles WHERE name = $1", &[&name])?
            .map(|r| decode_profile(name, r.get(0)))
            .transpose()
    }

    pub(super) fn delete_profile_impl(&self, name: &str, audit: &AuditEntry) -> Result<bool> {
        self.in_transaction(|tx| {
            let n = tx.execute("DELETE FROM import_profiles WHERE name = $1", &[&name])?;
            if n > 0 {
                append_audit(tx, audit)?;
            }
            Ok(n > 0)
        })
    }

    pub(super) fn put_category_mappings_impl(
        &self,
        mappings: &[CategoryMapping],
        audit: &AuditEntry,
    ) -> Result<()> {
        self.in_transaction(|tx| {
            let stmt = tx.prepare(
                "INSERT INTO category_mappings (partner, value_key, value, category, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (partner, value_key) DO UPDATE SET value = excluded.value,
                     category = excluded.category, updated_at = excluded.updated_at",
            )?;
            let now = Utc::now().timestamp();
            for m in mappings {
                let key = CategoryMapping::key(&m.value);
                tx.execute(&stmt, &[&m.partner, &key, &m.value, &m.category, &now])?;
            }
            append_audit(tx, audit)?;
            Ok(())
        })
    }

    pub(super) fn category_mappings_impl(
        &self,
        partner: Option<&str>,
    ) -> Result<Vec<CategoryMapping>> {
        Ok(self
            .query(
                "SELECT partner, value, category FROM category_mappings
                 WHERE $1::text IS NULL OR partner = $1
                 ORDER BY partner COLLATE \"C\", value_key COLLATE \"C\"",
                &[&partner],
            )?
            .into_iter()
            .map(|r| CategoryMapping {
                partner: r.get(0),
                value: r.get(1),
                category: r.get(2),
            })
            .collect())
    }
}
