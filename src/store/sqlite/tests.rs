use crate::model::{Area, Incident, Wgs84};
use crate::store::{Change, InsertOutcome, NewIncident, Store, StoreError, WriteTx};
use chrono::TimeZone;
use chrono::Utc;
use h3o::LatLng;
use h3o::{CellIndex, Resolution};
use rusqlite::Connection;

fn incident(id: &str) -> Incident {
    Incident {
        id: id.into(),
        partner: "polisen".into(),
        category: "theft".into(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 20, 20, 15, 0).unwrap(),
        occurred_to: None,
        location: Wgs84 {
            lon: 17.8453,
            lat: 59.2395,
        },
        description: Some("åäö".into()),
    }
}

fn cells() -> Vec<CellIndex> {
    let ll = LatLng::new(59.2395, 17.8453).unwrap();
    vec![ll.to_cell(Resolution::Seven), ll.to_cell(Resolution::Nine)]
}

#[test]
fn reopen_returns_exactly_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.data_version().unwrap(), 0);
        let tx = store.transaction().unwrap();
        tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
            .unwrap();
        let b = tx.begin_batch("f.csv", "csv").unwrap();
        assert_eq!(ins(&*tx, b, 1, &incident("1")), InsertOutcome::Inserted);
        let mut second = incident("2");
        second.occurred_to = Some(second.occurred_at + chrono::Duration::hours(3));
        second.description = None;
        ins(&*tx, b, 2, &second);
        assert_eq!(tx.commit().unwrap(), 1);
        // An uncommitted transaction leaves nothing behind.
        let tx = store.transaction().unwrap();
        let b = tx.begin_batch("g.csv", "csv").unwrap();
        ins(&*tx, b, 1, &incident("3"));
        drop(tx);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.data_version().unwrap(), 1);
    assert_eq!(
        store.h3_resolutions().unwrap(),
        Some(vec![Resolution::Seven, Resolution::Nine])
    );
    let all = store.incidents(None, None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].incident, incident("1"));
    assert_eq!(all[0].cells, cells());
    assert_eq!(
        all[1].incident.occurred_to,
        Some(all[1].incident.occurred_at + chrono::Duration::hours(3))
    );
}

#[test]
fn duplicates_and_conflicts_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    ins(&*tx, b, 4, &incident("1"));
    assert_eq!(ins(&*tx, b, 5, &incident("1")), InsertOutcome::Duplicate);
    let mut changed = incident("1");
    changed.category = "assault".into();
    changed.location.lon += 1e-9;
    match ins(&*tx, b, 6, &changed) {
        InsertOutcome::Conflict { row, fields, .. } => {
            assert_eq!(row, 4);
            assert_eq!(fields, vec!["category", "location"]);
        }
        other => panic!("{other:?}"),
    }
    // The same id from another partner is another incident.
    let mut other = incident("1");
    other.partner = "kommunen".into();
    assert_eq!(ins(&*tx, b, 7, &other), InsertOutcome::Inserted);
    tx.commit().unwrap();
    let all = store.incidents(None, None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].incident.category, "theft");
}

#[test]
fn time_filter_is_half_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    ins(&*tx, b, 1, &incident("1"));
    tx.commit().unwrap();
    let t = incident("1").occurred_at;
    assert_eq!(
        store
            .incidents(Some(t), Some(t + chrono::Duration::seconds(1)))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.incidents(None, Some(t)).unwrap().len(), 0);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::TooNew { found: 99, .. })
    ));
}

#[test]
fn layers_round_trip_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let square = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (17.0, 59.0),
            (17.1, 59.0),
            (17.1, 59.1),
            (17.0, 59.1),
            (17.0, 59.0),
        ]),
        vec![],
    )]);
    let area = |id: &str| Area {
        layer: "districts".into(),
        id: id.into(),
        name: format!("Område {id}"),
        geometry: square.clone(),
        population: Some(10),
        parent: None,
    };
    let tx = store.transaction().unwrap();
    tx.replace_layer("districts", "a.geojson", &[area("a"), area("b")])
        .unwrap();
    tx.commit().unwrap();
    let tx = store.transaction().unwrap();
    tx.replace_layer("districts", "b.geojson", &[area("c")])
        .unwrap();
    tx.commit().unwrap();
    let areas = store.areas(Some("districts")).unwrap();
    assert_eq!(areas.len(), 1);
    assert_eq!(areas[0].area, area("c"));
    assert_eq!(store.layers().unwrap()[0].source, "b.geojson");
    assert_eq!(store.data_version().unwrap(), 2);
}

#[test]
fn the_change_log_says_what_each_version_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    tx.commit().unwrap();
    let tx = store.transaction().unwrap();
    tx.note_incidents(100, 200);
    tx.note_incidents(50, 150);
    tx.commit().unwrap();
    let tx = store.transaction().unwrap();
    tx.note_incidents(300, 400);
    tx.commit().unwrap();
    assert_eq!(
        store.changes_since(0).unwrap(),
        vec![
            Change::All,
            Change::Incidents { from: 50, to: 200 },
            Change::Incidents { from: 300, to: 400 }
        ]
    );
    assert_eq!(
        store.changes_since(2).unwrap(),
        vec![Change::Incidents { from: 300, to: 400 }]
    );
    assert!(store.changes_since(3).unwrap().is_empty());
}

fn ins(tx: &dyn WriteTx, batch: i64, row: u64, inc: &Incident) -> InsertOutcome {
    let c = cells();
    let rows = [NewIncident {
        row,
        incident: inc,
        cells: &c,
        areas: &[],
    }];
    tx.insert_incidents(batch, &rows).unwrap().remove(0)
}

#[test]
fn a_change_and_its_audit_entry_commit_or_roll_back_together() {
    use crate::model::access::{AuditEntry, AuditFilter};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let entry = AuditEntry::by_cli("test", "ingest", "f.csv", 1);
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    ins(&*tx, b, 1, &incident("1"));
    tx.append_audit(&entry).unwrap();
    drop(tx);
    let all = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };
    assert!(store.audit_entries(&all).unwrap().is_empty());
    assert_eq!(store.incident_count().unwrap(), 0);
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    ins(&*tx, b, 1, &incident("1"));
    tx.append_audit(&entry).unwrap();
    tx.commit().unwrap();
    assert_eq!(store.audit_entries(&all).unwrap().len(), 1);
    assert_eq!(store.incident_count().unwrap(), 1);
}

#[test]
fn pooled_connections_are_shared_and_a_dropped_transaction_frees_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let other = store.clone();
    {
        let tx = store.transaction().unwrap();
        tx.note_incidents(1, 2);
        // A reader on another connection of the pool does not see the uncommitted version.
        assert_eq!(other.data_version().unwrap(), 0);
    }
    // The write lock is gone: a second transaction can start at once.
    let tx = other.transaction().unwrap();
    tx.note_incidents(1, 2);
    assert_eq!(tx.commit().unwrap(), 1);
    assert_eq!(store.data_version().unwrap(), 1);
}

#[test]
fn online_backup_copies_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    ins(&*tx, b, 1, &incident("1"));
    tx.commit().unwrap();
    let copy = dir.path().join("copy.db");
    super::SqliteStore::open(&path)
        .unwrap()
        .backup_to(&copy)
        .unwrap();
    let restored = Store::open(&copy).unwrap();
    assert_eq!(restored.integrity_check().unwrap(), "ok");
    assert_eq!(
        restored.incidents(None, None).unwrap()[0].incident,
        incident("1")
    );
    assert!(matches!(
        super::SqliteStore::open(&path).unwrap().backup_to(&copy),
        Err(StoreError::Open { .. })
    ));
}

#[test]
fn tokens_are_stored_as_hashes_and_the_audit_log_is_append_only_in_the_database() {
    use crate::model::access::{AuditEntry, NewToken, PartnerSettings, Role};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(&path).unwrap();
    let p = PartnerSettings {
        code: "polisen".into(),
        name: "Polisen".into(),
        shares: true,
    };
    store
        .put_partner(&p, &AuditEntry::by_cli("t", "partner.put", "polisen", 1))
        .unwrap();
    let secret = "lgb_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let hash: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes()).into()
    };
    let new = NewToken {
        hash,
        partner: "polisen".into(),
        role: Role::Analyst,
        label: "anna".into(),
        created_at: Utc::now(),
        expires_at: None,
    };
    let info = store
        .add_token(&new, &|i| {
            AuditEntry::by_cli("t", "token.create", &i.id.to_string(), 1)
        })
        .unwrap();
    // A token of an unknown partner is refused, and nothing (not even its audit row) stays.
    let mut orphan = new.clone();
    orphan.partner = "nobody".into();
    orphan.hash[0] ^= 1;
    assert!(matches!(
        store.add_token(&orphan, &|_| AuditEntry::by_cli(
            "t",
            "token.create",
            "x",
            1
        )),
        Err(StoreError::UnknownPartner(_))
    ));
    let raw = Connection::open(&path).unwrap();
    let stored: Vec<u8> = raw
        .query_row("SELECT hash FROM tokens WHERE id = ?1", [info.id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, hash.to_vec());
    let dump: String = raw
        .query_row(
            "SELECT group_concat(hex(hash) || partner || role || label) FROM tokens",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.to_lowercase().contains(&secret[4..]));
    let audit_rows: i64 = raw
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        audit_rows, 2,
        "partner.put and token.create, not the refused token"
    );
    assert!(raw.execute("UPDATE audit SET rows = 0", []).is_err());
    assert!(raw.execute("DELETE FROM audit", []).is_err());
}

/// `migrate` copies the tables listed in `store::copy::TABLES`: a table or column added
/// to the schema but not to the list would be lost silently by a copy, so this fails then.
#[test]
fn every_table_and_column_is_copied_by_migrate() {
    use crate::store::copy::{NOT_COPIED, TABLES};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in &tables {
        if NOT_COPIED.contains(&table.as_str()) {
            continue;
        }
        let listed = TABLES
            .iter()
            .find(|t| t.name == table)
            .unwrap_or_else(|| panic!("table {table} is not in store::copy::TABLES"));
        let mut cols = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap();
        let columns: Vec<String> = cols
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut want: Vec<&str> = listed.columns.to_vec();
        let mut have: Vec<&str> = columns.iter().map(String::as_str).collect();
        want.sort_unstable();
        have.sort_unstable();
        assert_eq!(
            have, want,
            "columns of {table} differ from store::copy::TABLES"
        );
    }
    for t in TABLES {
        assert!(
            tables.iter().any(|n| n == t.name),
            "{} is not a table",
            t.name
        );
    }
}
