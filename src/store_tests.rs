use super::*;
use chrono::TimeZone;
use h3o::LatLng;

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
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.data_version().unwrap(), 0);
        let tx = store.transaction().unwrap();
        tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
            .unwrap();
        let b = tx.begin_batch("f.csv", "csv").unwrap();
        let mut w = tx.incident_writer().unwrap();
        assert_eq!(
            w.insert(b, 1, &incident("1"), &cells(), &[]).unwrap(),
            InsertOutcome::Inserted
        );
        let mut second = incident("2");
        second.occurred_to = Some(second.occurred_at + chrono::Duration::hours(3));
        second.description = None;
        w.insert(b, 2, &second, &cells(), &[]).unwrap();
        drop(w);
        assert_eq!(tx.commit().unwrap(), 1);
        // An uncommitted transaction leaves nothing behind.
        let tx = store.transaction().unwrap();
        let b = tx.begin_batch("g.csv", "csv").unwrap();
        let mut w = tx.incident_writer().unwrap();
        w.insert(b, 1, &incident("3"), &cells(), &[]).unwrap();
        drop(w);
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
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    let mut w = tx.incident_writer().unwrap();
    w.insert(b, 4, &incident("1"), &cells(), &[]).unwrap();
    assert_eq!(
        w.insert(b, 5, &incident("1"), &cells(), &[]).unwrap(),
        InsertOutcome::Duplicate
    );
    let mut changed = incident("1");
    changed.category = "assault".into();
    changed.location.lon += 1e-9;
    match w.insert(b, 6, &changed, &cells(), &[]).unwrap() {
        InsertOutcome::Conflict { row, fields, .. } => {
            assert_eq!(row, 4);
            assert_eq!(fields, vec!["category", "location"]);
        }
        other => panic!("{other:?}"),
    }
    // The same id from another partner is another incident.
    let mut other = incident("1");
    other.partner = "kommunen".into();
    assert_eq!(
        w.insert(b, 7, &other, &cells(), &[]).unwrap(),
        InsertOutcome::Inserted
    );
    drop(w);
    tx.commit().unwrap();
    let all = store.incidents(None, None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].incident.category, "theft");
}

#[test]
fn time_filter_is_half_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let tx = store.transaction().unwrap();
    tx.set_h3_resolutions(&[Resolution::Seven, Resolution::Nine])
        .unwrap();
    let b = tx.begin_batch("f.csv", "csv").unwrap();
    let mut w = tx.incident_writer().unwrap();
    w.insert(b, 1, &incident("1"), &cells(), &[]).unwrap();
    drop(w);
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
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
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
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
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
