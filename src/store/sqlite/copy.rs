//! Whole-table reads and writes for copies between backends (`store::copy`).

use rusqlite::types::{Value as Sql, ValueRef};

use super::Conn;
use crate::store::copy::{CopyTable, CopyWriter, Value};
use crate::store::{Result, StoreError};

pub(super) fn read_rows(
    conn: &rusqlite::Connection,
    t: &CopyTable,
    each: &mut dyn FnMut(Vec<Value>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.columns.join(", "),
        t.name,
        t.order_by
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let mut out = Vec::with_capacity(t.columns.len());
        for i in 0..t.columns.len() {
            out.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Real(v),
                ValueRef::Text(v) => Value::Text(
                    String::from_utf8(v.to_vec())
                        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", t.name)))?,
                ),
                ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
            });
        }
        each(out)?;
    }
    Ok(())
}

pub(super) fn table_rows(conn: &rusqlite::Connection, t: &CopyTable) -> Result<u64> {
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
        r.get(0)
    })?;
    Ok(n as u64)
}

/// Fills an empty database in one `BEGIN IMMEDIATE` transaction.
pub(super) struct SqliteCopy<'a> {
    conn: Conn<'a>,
    open: bool,
}

impl<'a> SqliteCopy<'a> {
    pub(super) fn begin(conn: Conn<'a>) -> Result<SqliteCopy<'a>> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteCopy { conn, open: true })
    }
}

impl Drop for SqliteCopy<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl CopyWriter for SqliteCopy<'_> {
    fn write(&mut self, t: &CopyTable, rows: &[Vec<Value>]) -> Result<()> {
        if t.name == "meta" && rows.is_empty() {
            self.conn.execute("DELETE FROM meta", [])?;
            return Ok(());
        }
        let marks: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
        let mut stmt = self.conn.prepare_cached(&format!(
            "INSERT INTO {} ({}) VALUES ({})",
            t.name,
            t.columns.join(", "),
            marks.join(", ")
        ))?;
        for row in rows {
            let values: Vec<Sql> = row
                .iter()
                .map(|v| match v {
                    Value::Null => Sql::Null,
                    Value::Int(i) => Sql::Integer(*i),
                    Value::Real(f) => Sql::Real(*f),
                    Value::Text(s) => Sql::Text(s.clone()),
                    Value::Bytes(b) => Sql::Blob(b.clone()),
                })
                .collect();
            stmt.execute(rusqlite::params_from_iter(values))?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}
