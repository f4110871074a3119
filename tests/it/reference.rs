//! Area and H3 assignment checked against an independent implementation: geopandas `sjoin`
//! (GEOS) and h3-py (the H3 C library) on the same deterministic points. The reference is
//! `tests/fixtures/geopandas_assign_reference.json`, written by
//! `scripts/bench_geopandas.py --points 200000 --write-fixture ...`.

use std::collections::BTreeMap;

use h3o::Resolution;
use lagesbild::index::{AreaIndex, cells_for};

#[path = "../../benches/common.rs"]
mod common;

#[test]
fn assignment_matches_geopandas_and_h3_py() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/geopandas_assign_reference.json"
    ))
    .unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = reference["points"].as_u64().unwrap();
    assert_eq!(reference["res"], 9);

    let areas = common::kommuner();
    let code_of: BTreeMap<i64, String> = areas.iter().map(|a| (a.key, a.area.id.clone())).collect();
    let index = AreaIndex::build(&areas);
    let points: Vec<_> = (0..n).map(common::point).collect();
    let located = index.locate_all(&points);

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for hits in &located {
        assert!(hits.len() <= 1);
        if let Some((_, area)) = hits.first() {
            *counts.entry(code_of[area].clone()).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, u64> = reference["counts_per_kommun"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(counts, expected);
    assert_eq!(
        counts.values().sum::<u64>(),
        reference["points_with_kommun"].as_u64().unwrap()
    );

    let cells: Vec<String> = points
        .iter()
        .step_by(1000)
        .map(|p| cells_for(*p, &[Resolution::Nine]).unwrap()[0].to_string())
        .collect();
    let expected_cells: Vec<String> = reference["h3_every_1000th"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(cells, expected_cells);
}
