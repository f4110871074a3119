//! Copying a whole database from one backend to another (`lagesbild migrate --to`).
//!
//! Both backends have the same tables with the same columns ([`TABLES`]); only the column
//! types differ (SQLite's packed cell BLOB is PostgreSQL's `bigint[]`, SQLite's 0/1 is
//! PostgreSQL's boolean; PostGIS geometries are derived and not copied). Rows travel in a
//! backend-neutral form ([`Value`]), in primary-key order, and every table gets a checksum
//! (SHA-256 over its rows in that form), so a copy is verified by reading the target back
//! and comparing counts and checksums table by table.
//!
//! A new table or column must be added to [`TABLES`]; a test compares the list with the
//! SQLite schema and fails when one is missing.

use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError};

/// A table that is copied: its name, its columns (the same on both backends) and the
/// columns that order it (its primary key).
#[derive(Debug, Clone, Copy)]
pub struct CopyTable {
    /// Table name.
    pub name: &'static str,
    /// Columns, in the order rows are read and written.
    pub columns: &'static [&'static str],
    /// The primary key's columns.
    pub order_by: &'static str,
}

/// Every table a copy takes, parents before children. `rate_limits` (counts of the current
/// minute) is not copied.
pub const TABLES: &[CopyTable] = &[
    CopyTable {
        name: "meta",
        columns: &["key", "value"],
        order_by: "key",
    },
    CopyTable {
        name: "batches",
        columns: &[
            "id",
            "source",
            "format",
            "started_at",
            "accepted",
            "duplicates",
            "rejected",
            "outside",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "incidents",
        columns: &[
            "id",
            "partner",
            "ext_id",
            "category",
            "occurred_at",
            "occurred_to",
            "lon",
            "lat",
            "description",
            "batch_id",
            "source_row",
            "cells",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "area_layers",
        columns: &["id", "name", "source", "imported_at"],
        order_by: "id",
    },
    CopyTable {
        name: "areas",
        columns: &[
            "id",
            "layer_id",
            "code",
            "name",
            "population",
            "parent",
            "geometry",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "incident_areas",
        columns: &["incident_id", "layer_id", "area_id"],
        order_by: "incident_id, layer_id",
    },
    CopyTable {
        name: "changes",
        columns: &["version", "kind", "from_ts", "to_ts"],
        order_by: "version",
    },
    CopyTable {
        name: "interventions",
        columns: &[
            "id",
            "kind",
            "partner",
            "target",
            "target_key",
            "start_day",
            "end_day",
            "description",
            "created_at",
            "updated_at",
            "status",
            "responsible",
            "goal",
            "decided_at",
            "hotspot",
            "outcome",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "report_notes",
        columns: &["report", "scope", "notes", "updated_at"],
        order_by: "report, scope",
    },
    CopyTable {
        name: "report_note_versions",
        columns: &[
            "id", "report", "scope", "section", "partner", "author", "saved_at", "text",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "partners",
        columns: &["code", "name", "shares", "created_at"],
        order_by: "code",
    },
    CopyTable {
        name: "tokens",
        columns: &[
            "id",
            "hash",
            "partner",
            "role",
            "label",
            "created_at",
            "expires_at",
            "revoked_at",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "audit",
        columns: &[
            "id", "at", "actor", "partner", "role", "action", "target", "rows", "detail",
        ],
        order_by: "id",
    },
    CopyTable {
        name: "sessions",
        columns: &[
            "key",
            "token_id",
            "csrf",
            "created_at",
            "expires_at",
            "ended_at",
        ],
        order_by: "key",
    },
    CopyTable {
        name: "import_profiles",
        columns: &["name", "partner", "spec", "updated_at"],
        order_by: "name",
    },
    CopyTable {
        name: "category_mappings",
        columns: &[
            "id",
            "partner",
            "value_key",
            "value",
            "category",
            "updated_at",
        ],
        order_by: "id",
    },
];

/// Tables that are deliberately not copied.
pub const NOT_COPIED: &[&str] = &["rate_limits"];

/// One value of a row, the same whichever backend it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (also booleans, as 0/1).
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (also H3 cells, packed as little-endian `u64`s).
    Bytes(Vec<u8>),
}

impl Value {
    fn hash_into(&self, h: &mut Sha256) {
        match self {
            Value::Null => h.update([0u8]),
            Value::Int(i) => {
                h.update([1u8]);
                h.update(i.to_le_bytes());
            }
            Value::Real(f) => {
                h.update([2u8]);
                h.update(f.to_bits().to_le_bytes());
            }
            Value::Text(s) => {
                h.update([3u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Bytes(b) => {
                h.update([4u8]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
}

/// The rows of one table, counted and hashed as they pass.
#[derive(Debug, Clone)]
pub struct TableSum {
    /// Table name.
    pub table: &'static str,
    /// Rows.
    pub rows: u64,
    hasher: Sha256,
}

impl TableSum {
    fn new(table: &'static str) -> TableSum {
        TableSum {
            table,
            rows: 0,
            hasher: Sha256::new(),
        }
    }

    fn add(&mut self, row: &[Value]) {
        self.rows += 1;
        for v in row {
            v.hash_into(&mut self.hasher);
        }
    }

    /// The checksum so far, hex.
    pub fn checksum(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Writes rows into a database being filled by a copy; nothing is visible until
/// [`CopyWriter::commit`].
pub trait CopyWriter {
    /// Appends rows (in [`CopyTable::columns`] order) to `table`. The first write to
    /// `meta` first empties it, so the target's meta becomes the source's.
    fn write(&mut self, table: &CopyTable, rows: &[Vec<Value>]) -> Result<()>;
    /// Commits everything written (and, on PostgreSQL, moves id sequences past the ids).
    fn commit(self: Box<Self>) -> Result<()>;
}

/// One table's outcome of a copy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CopiedTable {
    /// Table name.
    pub table: &'static str,
    /// Rows in the source.
    pub rows: u64,
    /// Rows read back from the target.
    pub rows_in_target: u64,
    /// SHA-256 of the source's rows.
    pub checksum: String,
    /// Whether the target's rows hash to the same.
    pub identical: bool,
}

/// Rows per write.
const CHUNK: usize = 10_000;

/// Copies every table of `from` into `to`, which must be empty (no rows in any table but
/// `meta`), in one transaction of the target, then reads the target back and compares rows
/// and checksums table by table. `progress(rows_done)` is called as rows are copied.
pub fn copy_database(
    from: &Store,
    to: &Store,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<CopiedTable>> {
    for t in TABLES.iter().filter(|t| t.name != "meta") {
        if to.table_rows(t)? > 0 {
            return Err(StoreError::Database(format!(
                "the target {} is not empty (table {} has rows); copy into a new, empty database",
                to.location(),
                t.name
            )));
        }
    }
    let mut sums = Vec::new();
    let mut done = 0u64;
    let mut writer = to.copy_writer()?;
    for t in TABLES {
        let mut sum = TableSum::new(t.name);
        let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(CHUNK);
        let mut failed = None;
        if t.name == "meta" {
            // Even an empty source meta replaces the target's.
            writer.write(t, &[])?;
        }
        from.read_rows(t, &mut |row| {
            sum.add(&row);
            chunk.push(row);
            if chunk.len() >= CHUNK {
                if let Err(e) = writer.write(t, &chunk) {
                    failed = Some(e);
                    return Err(StoreError::Corrupt("stop".into()));
                }
                done += chunk.len() as u64;
                progress(done);
                chunk.clear();
            }
            Ok(())
        })
        .map_err(|e| failed.take().unwrap_or(e))?;
        if !chunk.is_empty() {
            writer.write(t, &chunk)?;
            done += chunk.len() as u64;
            progress(done);
        }
        sums.push(sum);
    }
    writer.commit()?;
    let mut out = Vec::new();
    for (t, sum) in TABLES.iter().zip(sums) {
        let target = checksum(to, t)?;
        let source = sum;
        out.push(CopiedTable {
            table: t.name,
            rows: source.rows,
            rows_in_target: target.rows,
            identical: source.rows == target.rows && source.checksum() == target.checksum(),
            checksum: source.checksum(),
        });
    }
    Ok(out)
}

/// Rows and checksum of one table.
pub fn checksum(store: &Store, table: &CopyTable) -> Result<TableSum> {
    let mut sum = TableSum::new(table.name);
    store.read_rows(table, &mut |row| {
        sum.add(&row);
        Ok(())
    })?;
    Ok(sum)
}
