//! Reading incidents, areas and the change log; row decoding shared with the writers.

use chrono::{DateTime, Utc};
use h3o::{CellIndex, Resolution};
use rusqlite::{Connection, OptionalExtension, params};

use super::meta_get;
use crate::model::{Area, Incident, Wgs84};
use crate::store::codec;
use crate::store::{Change, LayerInfo, Result, StoreError, StoredArea, StoredIncident};

pub(super) fn data_version(conn: &Connection) -> Result<i64> {
    Ok(meta_get(conn, "data_version")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

pub(super) fn resolutions(conn: &Connection) -> Result<Option<Vec<Resolution>>> {
    meta_get(conn, "h3_resolutions")?
        .map(|text| codec::resolutions(&text))
        .transpose()
}

pub(super) fn layers(conn: &Connection) -> Result<Vec<LayerInfo>> {
    let mut stmt = conn.prepare(
        "SELECT l.id, l.name, l.source, l.imported_at, (SELECT count(*) FROM areas a WHERE a.layer_id = l.id)
         FROM area_layers l ORDER BY l.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(LayerInfo {
            key: r.get(0)?,
            name: r.get(1)?,
            source: r.get(2)?,
            imported_at: r.get(3)?,
            areas: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn area_counts(conn: &Connection, layer_key: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT area_id, count(*) FROM incident_areas WHERE layer_id = ?1 GROUP BY area_id",
    )?;
    let rows = stmt.query_map([layer_key], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn incidents_after(
    conn: &Connection,
    after_key: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<StoredIncident>> {
    let res = resolutions(conn)?.unwrap_or_default();
    let mut stmt = conn.prepare(
        "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description, cells
         FROM incidents WHERE occurred_at >= ?1 AND occurred_at < ?2 AND id > ?3 ORDER BY id",
    )?;
    let lo = from.map_or(i64::MIN, |t| t.timestamp());
    let hi = to.map_or(i64::MAX, |t| t.timestamp());
    let rows = stmt.query_map(params![lo, hi, after_key], |r| {
        let blob: Vec<u8> = r.get(9)?;
        Ok((r.get::<_, i64>(0)?, incident_from_row(r, 1)?, blob))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, incident, blob) = row?;
        let cells = unpack_cells(&blob, res.len())?;
        out.push(StoredIncident {
            key,
            incident,
            cells,
        });
    }
    Ok(out)
}

pub(super) fn recent_incidents(
    conn: &Connection,
    partner: &str,
    limit: usize,
) -> Result<Vec<Incident>> {
    let mut stmt = conn.prepare(
        "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
         FROM incidents WHERE partner = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![partner, limit as i64], |r| incident_from_row(r, 0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn incident(conn: &Connection, partner: &str, id: &str) -> Result<Option<Incident>> {
    Ok(conn
        .query_row(
            "SELECT partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
             FROM incidents WHERE partner = ?1 AND ext_id = ?2",
            params![partner, id],
            |r| incident_from_row(r, 0),
        )
        .optional()?)
}

pub(super) fn incidents_page(
    conn: &Connection,
    (min_lon, min_lat, max_lon, max_lat): (f64, f64, f64, f64),
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    (limit, offset): (usize, usize),
) -> Result<(Vec<(i64, Incident)>, u64)> {
    let lo = from.map_or(i64::MIN, |t| t.timestamp());
    let hi = to.map_or(i64::MAX, |t| t.timestamp());
    let filter = "lon >= ?1 AND lon <= ?3 AND lat >= ?2 AND lat <= ?4 AND occurred_at >= ?5 AND occurred_at < ?6";
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM incidents WHERE {filter}"),
        params![min_lon, min_lat, max_lon, max_lat, lo, hi],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT id, partner, ext_id, category, occurred_at, occurred_to, lon, lat, description
         FROM incidents WHERE {filter} ORDER BY occurred_at, id LIMIT ?7 OFFSET ?8"
    ))?;
    let rows = stmt.query_map(
        params![
            min_lon,
            min_lat,
            max_lon,
            max_lat,
            lo,
            hi,
            limit as i64,
            offset as i64
        ],
        |r| Ok((r.get::<_, i64>(0)?, incident_from_row(r, 1)?)),
    )?;
    Ok((rows.collect::<std::result::Result<_, _>>()?, total as u64))
}

pub(super) fn assignments_after(
    conn: &Connection,
    layer_key: i64,
    after_key: i64,
) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT incident_id, area_id FROM incident_areas WHERE layer_id = ?1 AND incident_id > ?2 ORDER BY incident_id",
    )?;
    let rows = stmt.query_map([layer_key, after_key], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub(super) fn changes_since(conn: &Connection, since: i64) -> Result<Vec<Change>> {
    let current = data_version(conn)?;
    let mut stmt = conn.prepare(
        "SELECT version, kind, from_ts, to_ts FROM changes WHERE version > ?1 ORDER BY version",
    )?;
    let rows = stmt.query_map([since], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })?;
    let rows = rows.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(codec::changes(since, current, rows))
}

pub(super) fn areas(conn: &Connection, layer: Option<&str>) -> Result<Vec<StoredArea>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, l.id, l.name, a.code, a.name, a.population, a.parent, a.geometry
         FROM areas a JOIN area_layers l ON l.id = a.layer_id
         WHERE ?1 IS NULL OR l.name = ?1
         ORDER BY l.name, a.code",
    )?;
    let rows = stmt.query_map([layer], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<i64>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, layer_key, layer, id, name, population, parent, geometry) = row?;
        let g: geojson::Geometry = serde_json::from_str(&geometry)
            .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
        let geometry = geo::MultiPolygon::<f64>::try_from(g)
            .map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))?;
        out.push(StoredArea {
            key,
            layer_key,
            area: Area {
                layer,
                id,
                name,
                geometry,
                population: population.map(|p| p as u64),
                parent,
            },
        });
    }
    Ok(out)
}

/// Reads `partner, ext_id, category, occurred_at, occurred_to, lon, lat, description` from
/// consecutive columns starting at `first`.
pub(super) fn incident_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Incident> {
    Ok(Incident {
        partner: r.get(first)?,
        id: r.get(first + 1)?,
        category: r.get(first + 2)?,
        occurred_at: from_unix(r.get(first + 3)?),
        occurred_to: r.get::<_, Option<i64>>(first + 4)?.map(from_unix),
        location: Wgs84 {
            lon: r.get(first + 5)?,
            lat: r.get(first + 6)?,
        },
        description: r.get(first + 7)?,
    })
}

pub(super) use crate::store::codec::from_unix;

pub(super) fn pack_cells(cells: &[CellIndex]) -> Vec<u8> {
    cells
        .iter()
        .flat_map(|c| u64::from(*c).to_le_bytes())
        .collect()
}

fn unpack_cells(blob: &[u8], n: usize) -> Result<Vec<CellIndex>> {
    if blob.len() != n * 8 {
        return Err(StoreError::Corrupt(format!(
            "cells blob of {} bytes for {n} resolutions",
            blob.len()
        )));
    }
    blob.chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            CellIndex::try_from(u64::from_le_bytes(b))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}
