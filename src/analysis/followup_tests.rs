use std::sync::Arc;

use chrono::TimeZone;

use super::*;
use crate::analysis::table::{TableArea, TableLayer};
use crate::intervention::{InterventionId, InterventionInput};
use crate::model::Categories;

fn square(lon: f64, lat: f64, w: f64, h: f64) -> geo::MultiPolygon<f64> {
    geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (lon, lat),
            (lon + w, lat),
            (lon + w, lat + h),
            (lon, lat + h),
            (lon, lat),
        ]),
        vec![],
    )])
}

fn area(id: &str, geometry: geo::MultiPolygon<f64>) -> TableArea {
    TableArea {
        key: 0,
        id: id.into(),
        name: id.into(),
        population: None,
        parent: None,
        geometry,
    }
}

/// Where the test incidents are.
#[derive(Clone, Copy)]
enum Place {
    /// Inside the target district (17.80–17.81 E, 59.20–59.21 N).
    Target,
    /// About 200 m east of the target's east edge: in the 400 m ring.
    Ring,
    /// Far away in the municipality: control.
    Control,
    /// About 600 m east of the target: outside the ring, so control.
    NearControl,
    /// Outside the municipality: counted nowhere.
    Outside,
}

impl Place {
    fn location(self, jitter: f64) -> Wgs84 {
        let (lon, lat) = match self {
            Place::Target => (17.805, 59.205),
            // 0.0035° of longitude at 59.2° N is about 199 m.
            Place::Ring => (17.8135, 59.205),
            Place::Control => (17.95, 59.25),
            Place::NearControl => (17.8205, 59.205),
            Place::Outside => (18.5, 59.5),
        };
        Wgs84 {
            lon: lon + jitter * 1e-5,
            lat: lat + jitter * 1e-5,
        }
    }
}

/// A table with layers `municipality` (one area) and `districts` (`target`, `other`), and
/// the given incidents `(place, local time)`.
fn table(incidents: &[(Place, chrono::DateTime<Utc>)]) -> IncidentTable {
    let muni = square(17.7, 59.1, 0.3, 0.2);
    let target = square(17.80, 59.20, 0.01, 0.01);
    let other = square(17.9, 59.2, 0.1, 0.1);
    let mut t = IncidentTable {
        data_version: 7,
        resolutions: vec![],
        layers: vec![
            TableLayer {
                key: 1,
                name: "districts".into(),
                areas: vec![area("other", other), area("target", target)],
            },
            TableLayer {
                key: 2,
                name: "municipality".into(),
                areas: vec![area("botkyrka", muni)],
            },
        ],
        category_codes: vec!["theft".into()],
        category_harm: vec![1.0],
        category_group: vec![None],
        partner_codes: vec!["polisen".into()],
        keys: vec![],
        start: vec![],
        end: vec![],
        category: vec![],
        partner: vec![],
        location: vec![],
        cells: vec![],
        area: vec![vec![], vec![]],
    };
    for (i, (place, at)) in incidents.iter().enumerate() {
        t.keys.push(i as i64 + 1);
        t.start.push(at.timestamp());
        t.end.push(at.timestamp());
        t.category.push(0);
        t.partner.push(0);
        t.location.push(place.location(i as f64 % 50.0));
        let (district, muni) = match place {
            Place::Target => (1, 0),
            Place::Control => (0, 0),
            Place::Ring | Place::NearControl => (NO_AREA, 0),
            Place::Outside => (NO_AREA, NO_AREA),
        };
        t.area[0].push(district);
        t.area[1].push(muni);
    }
    t
}

fn tz() -> chrono_tz::Tz {
    chrono_tz::Europe::Stockholm
}

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    tz().with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn intervention(target: serde_json::Value) -> Intervention {
    let spec = serde_json::from_value::<InterventionInput>(serde_json::json!({
        "kind": "patrol", "partner": "polisen", "target": target,
        "start": "2026-03-01", "end": "2026-03-10"
    }))
    .unwrap()
    .validate()
    .unwrap();
    Intervention {
        id: InterventionId(1),
        action: crate::intervention::ActionSpec::defaults_for(&spec, spec.start),
        spec,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// Target 20 → 8, ring 10 → 6, control 100 → 125 (of which 5 → 5 in the near-control
/// spot 600 m away), plus incidents that must not count: outside the municipality, and
/// just outside both windows.
fn worked_example() -> IncidentTable {
    let mut v = Vec::new();
    // Before: 2026-02-19 .. 2026-02-28 (10 days). After (during): 2026-03-01 .. 03-10.
    let before = |i: u32| local(2026, 2, 19 + i % 10, 12, 0);
    let after = |i: u32| local(2026, 3, 1 + i % 10, 12, 0);
    v.extend((0..20).map(|i| (Place::Target, before(i))));
    v.extend((0..8).map(|i| (Place::Target, after(i))));
    v.extend((0..10).map(|i| (Place::Ring, before(i))));
    v.extend((0..6).map(|i| (Place::Ring, after(i))));
    v.extend((0..95).map(|i| (Place::Control, before(i))));
    v.extend((0..5).map(|i| (Place::NearControl, before(i))));
    v.extend((0..120).map(|i| (Place::Control, after(i))));
    v.extend((0..5).map(|i| (Place::NearControl, after(i))));
    // Edges: the last minute before the before window, the first minute after the after
    // window, and the very edges inside (00:00 on the first day, 23:59 on the last).
    v.push((Place::Target, local(2026, 2, 18, 23, 59)));
    v.push((Place::Target, local(2026, 3, 11, 0, 0)));
    v.push((Place::Control, local(2026, 2, 19, 0, 0)));
    v.push((Place::Control, local(2026, 3, 10, 23, 59)));
    v.extend((0..30).map(|i| (Place::Outside, after(i))));
    table(&v)
}

fn analyzer(t: IncidentTable) -> Analyzer {
    Analyzer::new(
        Arc::new(t),
        Categories::builtin(),
        tz(),
        Some("municipality"),
    )
    .unwrap()
}

#[test]
fn hand_worked_wdq() {
    // Bowers & Johnson (2003) by hand, with the two edge incidents inside the control:
    // Rb = 20, Ra = 8; Db = 10, Da = 6; Cb = 101, Ca = 126.
    //   S   = Ra/Ca − Rb/Cb = 8/126 − 20/101 = 0.063492063 − 0.198019802 = −0.134527739
    //   num = Da/Ca − Db/Cb = 6/126 − 10/101 = 0.047619048 − 0.099009901 = −0.051390853
    //   WDQ = −0.051390853 / −0.134527739 = 0.382010...  (0 < WDQ ≤ 1: some diffusion)
    //   TNE = (20·126/101 − 8) + (10·126/101 − 6) = 16.950495 + 6.475248 = 23.425743
    let a = analyzer(worked_example());
    let f = followup(
        &a,
        &intervention(serde_json::json!({"type": "area", "layer": "districts", "id": "target"})),
        &FollowupOptions::default(),
    )
    .unwrap();
    assert_eq!((f.target.before, f.target.after), (20, 8));
    assert_eq!((f.buffer.before, f.buffer.after), (10, 6));
    assert_eq!((f.control.before, f.control.after), (101, 126));
    let s = f.displacement.success_measure.unwrap();
    assert!((s - (8.0 / 126.0 - 20.0 / 101.0)).abs() < 1e-12);
    assert!((s - (-0.134527739)).abs() < 1e-8);
    let q = f.displacement.wdq.unwrap();
    assert!((q - 0.382010).abs() < 1e-5, "{q}");
    assert!((f.displacement.total_net_effect.unwrap() - 23.425743).abs() < 1e-5);
    assert!(
        f.displacement.reading.contains("some diffusion of benefit"),
        "{}",
        f.displacement.reading
    );
    assert_eq!(f.before.first_day.to_string(), "2026-02-19");
    assert_eq!(f.after.last_day.to_string(), "2026-03-10");
    // 28 incidents in the target is enough to try; the fall relative to the control is
    // (8/20)/(126/101) ≈ 0.32, and its interval should exclude 1.
    assert!(
        f.relative_change.high.unwrap() < 1.0,
        "{:?}",
        f.relative_change
    );
    assert!(f.verdict.contains("fell by about"), "{}", f.verdict);
    assert!(f.verdict.contains("not that the intervention caused it"));
}

#[test]
fn a_polygon_target_counts_like_the_same_area() {
    let a = analyzer(worked_example());
    let poly = serde_json::json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[17.80, 59.20], [17.81, 59.20], [17.81, 59.21], [17.80, 59.21], [17.80, 59.20]]]}});
    let f = followup(&a, &intervention(poly), &FollowupOptions::default()).unwrap();
    assert_eq!((f.target.before, f.target.after), (20, 8));
    assert_eq!((f.buffer.before, f.buffer.after), (10, 6));
    assert_eq!((f.control.before, f.control.after), (101, 126));
}

#[test]
fn a_hex_target_counts_the_incidents_in_its_cells() {
    let a = analyzer(worked_example());
    let cell = h3o::LatLng::new(59.205, 17.805)
        .unwrap()
        .to_cell(h3o::Resolution::Nine);
    let f = followup(
        &a,
        &intervention(serde_json::json!({"type": "hexes", "cells": [cell.to_string()]})),
        &FollowupOptions::default(),
    )
    .unwrap();
    assert_eq!((f.target.before, f.target.after), (20, 8));
    // The ring incidents are ~200 m east of the target square's edge but about 0.5 km
    // from this one hex (its edge is about 0.3 km from them): a 100 m ring leaves them in the control.
    let narrow = FollowupOptions {
        buffer_m: 100.0,
        ..FollowupOptions::default()
    };
    let f = followup(
        &a,
        &intervention(serde_json::json!({"type": "hexes", "cells": [cell.to_string()]})),
        &narrow,
    )
    .unwrap();
    assert_eq!((f.buffer.before, f.buffer.after), (0, 0));
    assert_eq!((f.control.before, f.control.after), (111, 132));
}

#[test]
fn the_ring_width_and_the_control_are_configurable() {
    let a = analyzer(worked_example());
    let target = serde_json::json!({"type": "area", "layer": "districts", "id": "target"});
    // An 800 m ring takes in the near-control spot (about 600 m away).
    let wide = FollowupOptions {
        buffer_m: 800.0,
        ..FollowupOptions::default()
    };
    let f = followup(&a, &intervention(target.clone()), &wide).unwrap();
    assert_eq!((f.buffer.before, f.buffer.after), (15, 11));
    assert_eq!((f.control.before, f.control.after), (96, 121));
    // A chosen control area: only district "other" (the far control spot).
    let chosen = FollowupOptions {
        control: Control::Area {
            layer: "districts".into(),
            id: "other".into(),
        },
        ..FollowupOptions::default()
    };
    let f = followup(&a, &intervention(target.clone()), &chosen).unwrap();
    assert_eq!((f.control.before, f.control.after), (96, 121));
    assert!(f.control_description.contains("\"other\""));
    // Bad options are named.
    for (opts, needle) in [
        (
            FollowupOptions {
                buffer_m: 0.0,
                ..FollowupOptions::default()
            },
            "buffer",
        ),
        (
            FollowupOptions {
                buffer_m: f64::NAN,
                ..FollowupOptions::default()
            },
            "buffer",
        ),
        (
            FollowupOptions {
                window_days: Some(0),
                ..FollowupOptions::default()
            },
            "window_days",
        ),
        (
            FollowupOptions {
                control: Control::Area {
                    layer: "districts".into(),
                    id: "nope".into(),
                },
                ..FollowupOptions::default()
            },
            "control",
        ),
    ] {
        let err = followup(&a, &intervention(target.clone()), &opts)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err}");
    }
    let err = followup(
        &a,
        &intervention(serde_json::json!({"type": "area", "layer": "districts", "id": "gone"})),
        &FollowupOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("target:"), "{err}");
}

#[test]
fn the_following_window_and_incomplete_data_are_reported() {
    let a = analyzer(worked_example());
    let target = serde_json::json!({"type": "area", "layer": "districts", "id": "target"});
    let opts = FollowupOptions {
        after: AfterWindow::Following,
        ..FollowupOptions::default()
    };
    let f = followup(&a, &intervention(target), &opts).unwrap();
    assert_eq!(f.after.first_day.to_string(), "2026-03-11");
    // Only the 00:00 incident on 11 March falls in it, and the data end there.
    assert_eq!((f.target.before, f.target.after), (20, 1));
    assert!(
        f.warnings.iter().any(|w| w.contains("incomplete")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn small_counts_are_called_too_small() {
    let v = vec![
        (Place::Target, local(2026, 2, 20, 12, 0)),
        (Place::Target, local(2026, 2, 21, 12, 0)),
        (Place::Target, local(2026, 2, 22, 12, 0)),
        (Place::Control, local(2026, 2, 20, 12, 0)),
        (Place::Control, local(2026, 3, 2, 12, 0)),
    ];
    let a = analyzer(table(&v));
    let f = followup(
        &a,
        &intervention(serde_json::json!({"type": "area", "layer": "districts", "id": "target"})),
        &FollowupOptions::default(),
    )
    .unwrap();
    assert_eq!((f.target.before, f.target.after), (3, 0));
    assert!(f.verdict.contains("too few"), "{}", f.verdict);
    assert!(f.relative_change.contains_one());
}

#[test]
fn wdq_edge_cases() {
    // No control incidents: undefined, not a division by zero.
    let w = weighted_displacement([5, 3], [2, 2], [0, 10]);
    assert_eq!((w.success_measure, w.wdq), (None, None));
    // A success measure of exactly 0: WDQ undefined.
    let w = weighted_displacement([10, 10], [5, 1], [100, 100]);
    assert_eq!((w.success_measure, w.wdq), (Some(0.0), None));
    // Displacement larger than the direct effect: R 10 → 8, D 10 → 14, C flat.
    //   S = 0.08 − 0.10 = −0.02; num = 0.14 − 0.10 = 0.04; WDQ = −2.
    let w = weighted_displacement([10, 8], [10, 14], [100, 100]);
    assert!((w.wdq.unwrap() + 2.0).abs() < 1e-12);
    let ring = ratio_of_ratios(14, 10, 100, 100, 0.95).unwrap();
    assert!(wdq_reading(&w, &ring).contains("net loss"));
    let w = weighted_displacement([10, 12], [10, 5], [100, 100]);
    assert!(wdq_reading(&w, &ring).contains("not read"));
}
