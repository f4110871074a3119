use chrono::NaiveDate;

use crate::intervention::{Intervention, InterventionError, InterventionId, InterventionSpec};
use crate::intervention::{InterventionInput, InterventionTarget};
use crate::model::Area;
use crate::store::{Store, StoreError};
use serde_json::json;

fn store_with_layer() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let square = geo::Polygon::new(
        geo::LineString::from(vec![
            (17.80, 59.20),
            (17.81, 59.20),
            (17.81, 59.21),
            (17.80, 59.21),
            (17.80, 59.20),
        ]),
        vec![],
    );
    let tx = store.transaction().unwrap();
    tx.replace_layer(
        "districts",
        "test",
        &[Area {
            layer: "districts".into(),
            id: "alby".into(),
            name: "Alby".into(),
            geometry: geo::MultiPolygon(vec![square]),
            population: Some(1000),
            parent: None,
        }],
    )
    .unwrap();
    tx.commit().unwrap();
    (dir, store)
}

fn spec(kind: &str, partner: &str, start: &str, end: &str) -> InterventionSpec {
    serde_json::from_value::<InterventionInput>(json!({
        "kind": kind, "partner": partner,
        "target": {"type": "area", "layer": "districts", "id": "alby"},
        "start": start, "end": end, "description": "test"
    }))
    .unwrap()
    .validate()
    .unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn crud_round_trip_without_touching_the_data_version() {
    let (_dir, store) = store_with_layer();
    let data_version = store.data_version().unwrap();
    assert_eq!(store.interventions_version().unwrap(), 0);
    let a = store
        .add_intervention(&spec("patrol", "polisen", "2026-03-01", "2026-03-31"))
        .unwrap();
    assert_eq!(
        a.spec,
        spec("patrol", "polisen", "2026-03-01", "2026-03-31")
    );
    assert_eq!(store.intervention(a.id).unwrap().unwrap(), a);
    let mut changed = spec("patrol", "polisen", "2026-03-01", "2026-04-15");
    changed.description = "longer".into();
    let b = store.update_intervention(a.id, &changed).unwrap().unwrap();
    assert_eq!(b.spec, changed);
    assert_eq!(b.created_at, a.created_at);
    assert!(
        store
            .update_intervention(InterventionId(999), &changed)
            .unwrap()
            .is_none()
    );
    assert_eq!(store.interventions().unwrap(), vec![b.clone()]);
    assert_eq!(store.interventions_version().unwrap(), 2);
    assert_eq!(store.data_version().unwrap(), data_version);
    assert!(store.delete_intervention(a.id).unwrap());
    assert!(!store.delete_intervention(a.id).unwrap());
    assert!(store.intervention(a.id).unwrap().is_none());
    assert_eq!(store.interventions_version().unwrap(), 3);
}

#[test]
fn overlap_queries_use_inclusive_days() {
    let (_dir, store) = store_with_layer();
    let a = store
        .add_intervention(&spec("patrol", "polisen", "2026-03-01", "2026-03-31"))
        .unwrap();
    let b = store
        .add_intervention(&spec("lighting", "kommunen", "2026-04-01", "2026-04-30"))
        .unwrap();
    let ids = |v: Vec<Intervention>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .interventions_overlapping(day("2026-03-31"), day("2026-03-31"))
            .unwrap()),
        vec![a.id]
    );
    assert_eq!(
        ids(store
            .interventions_overlapping(day("2026-03-30"), day("2026-04-05"))
            .unwrap()),
        vec![a.id, b.id]
    );
    assert_eq!(
        ids(store
            .interventions_overlapping(day("2026-05-01"), day("2026-05-07"))
            .unwrap()),
        vec![]
    );
    assert_eq!(
        ids(store
            .interventions_overlapping(day("2026-02-01"), day("2026-02-28"))
            .unwrap()),
        vec![]
    );
    assert_eq!(
        ids(store
            .interventions_ended_between(day("2026-01-01"), day("2026-04-29"))
            .unwrap()),
        vec![a.id]
    );
    assert_eq!(
        ids(store
            .interventions_ended_between(day("2026-01-01"), day("2026-04-30"))
            .unwrap()),
        vec![a.id, b.id]
    );
}

#[test]
fn unknown_areas_are_refused_and_nothing_is_stored() {
    let (_dir, store) = store_with_layer();
    let mut s = spec("patrol", "polisen", "2026-03-01", "2026-03-31");
    s.target = InterventionTarget::Area {
        layer: "districts".into(),
        id: "nowhere".into(),
    };
    let err = store.add_intervention(&s).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Intervention(InterventionError::UnknownArea { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("has no area \"nowhere\""), "{err}");
    s.target = InterventionTarget::Area {
        layer: "regions".into(),
        id: "x".into(),
    };
    let err = store.add_intervention(&s).unwrap_err().to_string();
    assert!(
        err.contains("no area layer \"regions\"") && err.contains("districts"),
        "{err}"
    );
    assert!(store.interventions().unwrap().is_empty());
    assert_eq!(store.interventions_version().unwrap(), 0);
}

#[test]
fn overlapping_duplicates_are_refused_but_neighbours_are_not() {
    let (_dir, store) = store_with_layer();
    let a = store
        .add_intervention(&spec("patrol", "polisen", "2026-03-01", "2026-03-31"))
        .unwrap();
    let err = store
        .add_intervention(&spec("patrol", "polisen", "2026-03-31", "2026-04-30"))
        .unwrap_err();
    match &err {
        StoreError::Intervention(InterventionError::OverlappingDuplicate { existing, .. }) => {
            assert_eq!(*existing, a.id)
        }
        other => panic!("{other}"),
    }
    // Adjacent dates, another kind, another partner: all fine.
    store
        .add_intervention(&spec("patrol", "polisen", "2026-04-01", "2026-04-30"))
        .unwrap();
    store
        .add_intervention(&spec("guards", "polisen", "2026-03-01", "2026-03-31"))
        .unwrap();
    store
        .add_intervention(&spec("patrol", "kommunen", "2026-03-01", "2026-03-31"))
        .unwrap();
    // Updating an intervention onto its own dates is not a duplicate of itself, but
    // stretching it over a neighbour is.
    store
        .update_intervention(a.id, &spec("patrol", "polisen", "2026-03-02", "2026-03-31"))
        .unwrap()
        .unwrap();
    let err = store
        .update_intervention(a.id, &spec("patrol", "polisen", "2026-03-02", "2026-04-02"))
        .unwrap_err();
    assert!(err.to_string().contains("already registers"), "{err}");
    assert_eq!(store.interventions().unwrap().len(), 4);
}

#[test]
fn hex_and_polygon_targets_survive_a_round_trip() {
    let (_dir, store) = store_with_layer();
    for target in [
        json!({"type": "hexes", "cells": ["891f1d48a3bffff", "891f1d48a37ffff"]}),
        json!({"type": "polygon", "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[17.80, 59.20], [17.81, 59.20], [17.81, 59.21], [17.80, 59.20]]],
            [[[17.82, 59.20], [17.83, 59.20], [17.83, 59.21], [17.82, 59.20]]]]}}),
    ] {
        let s = serde_json::from_value::<InterventionInput>(json!({
            "kind": "camera", "partner": "bostadsbolaget", "target": target,
            "start": "2026-01-01", "end": "2026-12-31"
        }))
        .unwrap()
        .validate()
        .unwrap();
        let stored = store.add_intervention(&s).unwrap();
        assert_eq!(store.intervention(stored.id).unwrap().unwrap().spec, s);
    }
}

#[test]
fn migration_6_gives_old_interventions_a_status_from_their_days() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        // A database as lagesbild left it before actions existed (schema version 5).
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &super::schema::MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        let insert = "INSERT INTO interventions (kind, partner, target, target_key, start_day,
            end_day, description, created_at, updated_at)
            VALUES (?1, 'polisen', '{\"type\":\"hexes\",\"cells\":[\"891f1d48a3bffff\"]}',
            'hexes:891f1d48a3bffff', ?2, ?3, 'old', '2026-01-01T00:00:00+00:00',
            '2026-01-01T00:00:00+00:00')";
        for (kind, start, end) in [
            ("patrol", "2020-01-01", "2020-01-31"),
            ("guards", "2020-01-01", "2099-12-31"),
            ("camera", "2099-01-01", "2099-12-31"),
        ] {
            conn.execute(insert, rusqlite::params![kind, start, end])
                .unwrap();
        }
        conn.execute(
            "INSERT INTO report_notes VALUES ('2026-W47', '', 'Gamla anteckningar', '2026-11-25T10:00:00Z')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let list = store.interventions().unwrap();
    let statuses: Vec<&str> = list.iter().map(|i| i.action.status.as_str()).collect();
    assert_eq!(statuses, ["done", "active", "planned"]);
    assert_eq!(list[0].spec.end.0, Some(day("2020-01-31")));
    assert_eq!(list[0].action.responsible, "");
    assert_eq!(list[0].action.decided_at, None);
    // Notes written before became the first version of the meeting notes.
    let versions = store.report_note_versions("2026-W47", "").unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].section, "notes");
    assert_eq!(versions[0].text, "Gamla anteckningar");
    assert_eq!(
        store.report_notes("2026-W47", "").unwrap().unwrap().text,
        "Gamla anteckningar"
    );
}
