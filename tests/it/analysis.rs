//! Hotspot analytics on the Botkyrka demo (synthetic incidents with planted hotspots):
//! the planted emerging and fading hotspots are found, results are reproducible bit for
//! bit, and the cache recomputes only what an ingest touched.

use std::sync::Arc;

use geo::{Distance, Haversine, Point};
use h3o::CellIndex;
use lagesbild::analysis::emerging::EmergingClass;
use lagesbild::analysis::hotspots::{Analyzer, AreaQuery, HexQuery};
use lagesbild::analysis::service::AnalysisService;
use lagesbild::analysis::table::IncidentTable;
use lagesbild::analysis::window::TimeWindow;
use lagesbild::demo::{HotspotKind, PLANTED};
use lagesbild::model::Categories;
use lagesbild::store::Store;

use crate::support::*;

fn analyzer() -> Analyzer {
    let store = Store::open(&demo_db().db()).unwrap();
    let table = IncidentTable::load(&store, &Categories::builtin()).unwrap();
    Analyzer::new(
        Arc::new(table),
        Categories::builtin(),
        chrono_tz::Europe::Stockholm,
        None,
    )
    .unwrap()
}

fn cells_near(
    cells: &[(CellIndex, EmergingClass)],
    lon: f64,
    lat: f64,
    radius_m: f64,
) -> Vec<EmergingClass> {
    cells
        .iter()
        .filter(|(c, _)| {
            let ll = h3o::LatLng::from(*c);
            Haversine.distance(Point::new(ll.lng(), ll.lat()), Point::new(lon, lat)) <= radius_m
        })
        .map(|(_, e)| *e)
        .collect()
}

/// The count, Gi* z and bin of the res-9 cell that contains a point, for a window.
fn cell_at(a: &Analyzer, window: &str, lon: f64, lat: f64) -> (f64, f64, i8) {
    let mut q = HexQuery::new(TimeWindow::parse(window).unwrap());
    q.resolution = Some(h3o::Resolution::Nine);
    q.k = Some(1);
    q.emerging_weeks = 0;
    let cell = h3o::LatLng::new(lat, lon)
        .unwrap()
        .to_cell(h3o::Resolution::Nine)
        .to_string();
    let r = a.hexes(&q).unwrap();
    let c = r.cells.iter().find(|c| c.cell == cell).unwrap();
    (c.aggregate.count, c.gi_z.unwrap(), c.gi_bin)
}

#[test]
fn planted_emerging_and_fading_hotspots_are_found() {
    let a = analyzer();
    // The emerging-hotspot cube over all 156 weeks of data, at resolution 9.
    let mut q = HexQuery::new(TimeWindow::parse("2026-W47").unwrap());
    q.resolution = Some(h3o::Resolution::Nine);
    q.k = Some(1);
    q.emerging_weeks = 156;
    let r = a.hexes(&q).unwrap();
    assert!(
        r.warnings.iter().all(|w| !w.contains("not computed")),
        "{:?}",
        r.warnings
    );
    let classes: Vec<(CellIndex, EmergingClass)> = r
        .cells
        .iter()
        .filter_map(|c| Some((c.cell.parse().unwrap(), c.emerging?)))
        .collect();
    let hot_new = |e: &EmergingClass| {
        matches!(
            e,
            EmergingClass::NewHot
                | EmergingClass::ConsecutiveHot
                | EmergingClass::IntensifyingHot
                | EmergingClass::SporadicHot
        )
    };
    for p in PLANTED {
        match p.kind {
            HotspotKind::Emerging => {
                let near = cells_near(&classes, p.lon, p.lat, 200.0);
                assert!(near.iter().any(hot_new), "{}: {near:?}", p.name);
                // Its cell grows from background to a 99 % hotspot: first tertial vs last.
                let (early, late) = (
                    cell_at(&a, "2024-T1", p.lon, p.lat),
                    cell_at(&a, "2026-T3", p.lon, p.lat),
                );
                assert!(
                    late.0 >= 5.0 * early.0 && late.1 > early.1 + 5.0 && late.2 == 3,
                    "{}: {early:?} {late:?}",
                    p.name
                );
            }
            // ArcGIS's classes only name a faded hotspot "historical" when it was hot in 90 %
            // of the steps, so check the fading one by its windows: hot early, gone late.
            HotspotKind::Fading => {
                let (early, late) = (
                    cell_at(&a, "2024-T1", p.lon, p.lat),
                    cell_at(&a, "2026-T3", p.lon, p.lat),
                );
                assert!(
                    early.0 >= 5.0 * late.0 && early.2 == 3 && late.2 <= 0,
                    "{}: {early:?} {late:?}",
                    p.name
                );
            }
            HotspotKind::Persistent => {}
        }
    }
    // Zero cells are part of the grid.
    assert!(r.cells.iter().filter(|c| c.aggregate.count == 0.0).count() > 100);
}

#[test]
fn weekly_results_are_reproducible_bit_for_bit() {
    let q = HexQuery::new(TimeWindow::parse("2026-W46").unwrap());
    let a = serde_json::to_string(&analyzer().hexes(&q).unwrap()).unwrap();
    let b = serde_json::to_string(&analyzer().hexes(&q).unwrap()).unwrap();
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    for key in [
        "window",
        "from",
        "to",
        "filter",
        "resolution",
        "k",
        "alpha",
        "fdr",
        "data_version",
        "weights",
    ] {
        assert!(
            v["parameters"].get(key).is_some(),
            "parameters lack {key}: {}",
            v["parameters"]
        );
    }
    assert_eq!(v["scale"]["automatic"], true);
}

#[test]
fn area_hotspots_explain_too_few_areas() {
    let a = analyzer();
    let r = a
        .areas(&AreaQuery::new(
            "districts",
            TimeWindow::parse("2026-T3").unwrap(),
        ))
        .unwrap();
    assert_eq!(r.areas.len(), 6);
    assert!(r.areas.iter().all(|x| x.gi_z.is_none()));
    assert!(
        r.warnings.iter().any(|w| w.contains("too few")),
        "{:?}",
        r.warnings
    );
    let tumba = r.areas.iter().find(|x| x.id == "tumba").unwrap();
    assert!(tumba.aggregate.rate_per_1000.unwrap() > 0.0);
    let total: f64 = r.areas.iter().map(|x| x.aggregate.count).sum();
    assert!((r.total - total).abs() < 1e-9);
}

#[test]
fn an_ingest_into_an_old_window_keeps_other_results_cached() {
    let sb = Sandbox::new();
    let out = sb.run(&["demo", "load", "--years", "1", "--end", END]);
    assert!(out.status.success(), "{}", stderr(&out));
    let service = AnalysisService::new(Categories::builtin(), chrono_tz::Europe::Stockholm, None);
    let recent = HexQuery::new(TimeWindow::parse("2026-W47").unwrap());
    let store = Store::open(&sb.db()).unwrap();
    let first = service.hexes(&store, &recent).unwrap();
    // A late report from two years back: outside everything the W47 result reads.
    let old = sb.file(
        "late.csv",
        b"id,occurred_at,category,lat,lon\nlate-1,2024-06-01 12:00,theft,59.2395,17.8453\n",
    );
    assert!(
        sb.run(&["ingest", old.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );
    let store = Store::open(&sb.db()).unwrap();
    let again = service.hexes(&store, &recent).unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the W47 result was recomputed needlessly"
    );
    // A report inside W47 invalidates it.
    let new = sb.file(
        "new.csv",
        b"id,occurred_at,category,lat,lon\nnew-1,2026-11-18 12:00,theft,59.2395,17.8453\n",
    );
    assert!(
        sb.run(&["ingest", new.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );
    let store = Store::open(&sb.db()).unwrap();
    let fresh = service.hexes(&store, &recent).unwrap();
    assert!(!Arc::ptr_eq(&first, &fresh));
    assert!(
        (fresh.total - first.total - 1.0).abs() < 1e-9,
        "{} vs {}",
        fresh.total,
        first.total
    );
}

#[test]
fn lisa_on_hexes_is_seeded_and_labels_by_sign() {
    use lagesbild::analysis::lisa::{LisaOptions, Quadrant};
    let a = analyzer();
    let mut q = HexQuery::new(TimeWindow::parse("2026-T3").unwrap());
    q.resolution = Some(h3o::Resolution::Eight);
    q.k = Some(1);
    let opts = LisaOptions {
        permutations: 199,
        seed: 7,
        alpha: 0.05,
    };
    let r1 = a.hex_lisa(&q, &opts).unwrap();
    let r2 = a.hex_lisa(&q, &opts).unwrap();
    assert_eq!(r1, r2);
    assert_eq!(r1.parameters.seed, Some(7));
    for c in &r1.cells {
        let expected = match (c.z > 0.0, c.lag > 0.0) {
            (true, true) => Quadrant::HH,
            (false, true) => Quadrant::LH,
            (false, false) => Quadrant::LL,
            (true, false) => Quadrant::HL,
        };
        assert_eq!(c.quadrant, expected, "{c:?}");
    }
    assert!(
        r1.cells
            .iter()
            .any(|c| c.significant && c.quadrant == Quadrant::HH)
    );
}
