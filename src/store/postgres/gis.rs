//! The aggregates behind the read-only GIS views (migration 3): `lagesbild gis refresh`
//! replaces a set of weeks; `lagesbild gis grant ROLE` lets a role read the views in schema
//! `lagesbild_gis` and nothing else.

use super::{PgStore, WRITE_LOCK};
use crate::store::{GisAreaWeek, GisHexWeek, Result, StoreError};

impl PgStore {
    pub(super) fn replace_gis(
        &self,
        weeks: &[String],
        areas: &[GisAreaWeek],
        hexes: &[GisHexWeek],
    ) -> Result<()> {
        self.in_transaction(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            tx.execute("DELETE FROM gis_area_weeks WHERE week = ANY($1)", &[&weeks])?;
            tx.execute("DELETE FROM gis_hex_weeks WHERE week = ANY($1)", &[&weeks])?;
            let area = tx.prepare(
                "INSERT INTO gis_area_weeks (layer, area, week, incidents, harm, gi_z, gi_bin, significance)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )?;
            for a in areas {
                tx.execute(
                    &area,
                    &[
                        &a.layer,
                        &a.area,
                        &a.week,
                        &a.incidents,
                        &a.harm,
                        &a.gi_z,
                        &i16::from(a.gi_bin),
                        &a.significance,
                    ],
                )?;
            }
            let hex = tx.prepare(
                "INSERT INTO gis_hex_weeks (res, cell, week, incidents, harm, gi_z, gi_bin, geom)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, ST_GeomFromText($8, 4326))",
            )?;
            for h in hexes {
                let mut ring: Vec<String> = h
                    .boundary
                    .iter()
                    .map(|(lon, lat)| format!("{lon} {lat}"))
                    .collect();
                if let Some(first) = ring.first().cloned() {
                    ring.push(first);
                }
                let wkt = format!("POLYGON(({}))", ring.join(", "));
                tx.execute(
                    &hex,
                    &[
                        &i16::from(h.res),
                        &h.cell,
                        &h.week,
                        &h.incidents,
                        &h.harm,
                        &h.gi_z,
                        &i16::from(h.gi_bin),
                        &wkt,
                    ],
                )?;
            }
            Ok(())
        })
    }

    pub(super) fn grant_gis(&self, role: &str) -> Result<()> {
        let valid = !role.is_empty()
            && role.len() <= 63
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !role.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(StoreError::Database(format!(
                "role {role:?}: give an existing role name of lower-case letters, digits and _ (create it first: CREATE ROLE {role} LOGIN PASSWORD '...')"
            )));
        }
        let exists = self
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])?
            .is_some();
        if !exists {
            return Err(StoreError::Database(format!(
                "there is no database role {role:?}; create it first, e.g. CREATE ROLE {role} LOGIN PASSWORD '...'"
            )));
        }
        self.in_transaction(|tx| {
            tx.batch_execute(&format!(
                "GRANT USAGE ON SCHEMA lagesbild_gis TO {role};
                 GRANT SELECT ON ALL TABLES IN SCHEMA lagesbild_gis TO {role};"
            ))?;
            Ok(())
        })
    }
}
