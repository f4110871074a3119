//! Whole-table reads and writes for copies between backends (`store::copy`). Rows go in
//! with `COPY ... FROM STDIN BINARY`, typed by the target's columns: `bigint[]` cells from
//! the packed bytes, booleans from 0/1. PostGIS geometries are derived after the copy.

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};

use super::{Conn, PgStore, WRITE_LOCK};
use crate::store::copy::{CopyTable, CopyWriter, Value};
use crate::store::{Result, StoreError};

impl PgStore {
    pub(super) fn read_table(
        &self,
        t: &CopyTable,
        each: &mut dyn FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            t.columns.join(", "),
            t.name,
            t.order_by
        );
        let stmt = tx.prepare(&sql)?;
        let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        let mut rows = tx.query_raw(&stmt, std::iter::empty::<i64>())?;
        use postgres::fallible_iterator::FallibleIterator;
        while let Some(r) = rows.next()? {
            let mut out = Vec::with_capacity(types.len());
            for (i, ty) in types.iter().enumerate() {
                out.push(read_value(&r, i, ty, t.name)?);
            }
            each(out)?;
        }
        drop(rows);
        tx.commit()?;
        Ok(())
    }

    pub(super) fn count_table(&self, t: &CopyTable) -> Result<u64> {
        let row = self.query_opt(&format!("SELECT count(*) FROM {}", t.name), &[])?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }
}

fn read_value(r: &postgres::Row, i: usize, ty: &Type, table: &str) -> Result<Value> {
    Ok(match *ty {
        Type::INT8 => r.get::<_, Option<i64>>(i).map_or(Value::Null, Value::Int),
        Type::INT4 => r
            .get::<_, Option<i32>>(i)
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::BOOL => r
            .get::<_, Option<bool>>(i)
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Type::FLOAT8 => r.get::<_, Option<f64>>(i).map_or(Value::Null, Value::Real),
        Type::TEXT | Type::VARCHAR => r
            .get::<_, Option<String>>(i)
            .map_or(Value::Null, Value::Text),
        Type::BYTEA => r
            .get::<_, Option<Vec<u8>>>(i)
            .map_or(Value::Null, Value::Bytes),
        Type::INT8_ARRAY => r
            .get::<_, Option<Vec<i64>>>(i)
            .map_or(Value::Null, |cells| {
                Value::Bytes(
                    cells
                        .iter()
                        .flat_map(|c| (*c as u64).to_le_bytes())
                        .collect(),
                )
            }),
        _ => {
            return Err(StoreError::Corrupt(format!(
                "{table}: column {i} has type {ty}, which a copy does not know"
            )));
        }
    })
}

/// A value as a parameter of the target column's type.
fn param(v: &Value, ty: &Type, table: &str) -> Result<Box<dyn ToSql + Sync>> {
    let bad = || {
        StoreError::Corrupt(format!(
            "{table}: cannot store {v:?} in a column of type {ty}"
        ))
    };
    Ok(match (ty, v) {
        (&Type::INT8, Value::Null) => Box::new(None::<i64>),
        (&Type::INT8, Value::Int(i)) => Box::new(*i),
        (&Type::INT4, Value::Null) => Box::new(None::<i32>),
        (&Type::INT4, Value::Int(i)) => Box::new(i32::try_from(*i).map_err(|_| bad())?),
        (&Type::BOOL, Value::Null) => Box::new(None::<bool>),
        (&Type::BOOL, Value::Int(i)) => Box::new(*i != 0),
        (&Type::FLOAT8, Value::Null) => Box::new(None::<f64>),
        (&Type::FLOAT8, Value::Real(f)) => Box::new(*f),
        (&Type::FLOAT8, Value::Int(i)) => Box::new(*i as f64),
        (&Type::TEXT | &Type::VARCHAR, Value::Null) => Box::new(None::<String>),
        (&Type::TEXT | &Type::VARCHAR, Value::Text(s)) => Box::new(s.clone()),
        (&Type::BYTEA, Value::Null) => Box::new(None::<Vec<u8>>),
        (&Type::BYTEA, Value::Bytes(b)) => Box::new(b.clone()),
        (&Type::INT8_ARRAY, Value::Null) => Box::new(None::<Vec<i64>>),
        (&Type::INT8_ARRAY, Value::Bytes(b)) if b.len() % 8 == 0 => Box::new(
            b.chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()) as i64)
                .collect::<Vec<i64>>(),
        ),
        _ => return Err(bad()),
    })
}

/// Fills an empty database in one transaction holding the writers' lock.
pub(super) struct PgCopy<'a> {
    conn: Conn<'a>,
    open: bool,
}

impl<'a> PgCopy<'a> {
    pub(super) fn begin(mut conn: Conn<'a>) -> Result<PgCopy<'a>> {
        conn.batch_execute("BEGIN")?;
        conn.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        Ok(PgCopy { conn, open: true })
    }
}

impl Drop for PgCopy<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

impl CopyWriter for PgCopy<'_> {
    fn write(&mut self, t: &CopyTable, rows: &[Vec<Value>]) -> Result<()> {
        if t.name == "meta" && rows.is_empty() {
            self.conn.execute("DELETE FROM meta", &[])?;
            return Ok(());
        }
        if rows.is_empty() {
            return Ok(());
        }
        let columns = t.columns.join(", ");
        let probe = self
            .conn
            .prepare(&format!("SELECT {columns} FROM {} LIMIT 0", t.name))?;
        let types: Vec<Type> = probe.columns().iter().map(|c| c.type_().clone()).collect();
        let sink = self
            .conn
            .copy_in(&format!("COPY {} ({columns}) FROM STDIN BINARY", t.name))?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            let params = row
                .iter()
                .zip(&types)
                .map(|(v, ty)| param(v, ty, t.name))
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| &**p).collect();
            writer.write(&refs)?;
        }
        writer.finish()?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        // Derived geometries, and id sequences past the copied ids.
        self.conn.batch_execute(
            "UPDATE areas SET geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326));",
        )?;
        for t in crate::store::copy::TABLES
            .iter()
            .filter(|t| t.columns.first() == Some(&"id"))
        {
            self.conn.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce((SELECT max(id) FROM {0}), 0) + 1, false)",
                    t.name
                ),
                &[],
            )?;
        }
        self.conn.batch_execute("COMMIT")?;
        self.open = false;
        Ok(())
    }
}
