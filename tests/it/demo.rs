//! The Botkyrka demo: layers, synthetic incidents, and the assignment checked against a
//! brute-force scan on the real polygons.

use lagesbild::index::AreaIndex;
use lagesbild::store::Store;

use crate::support::*;

#[test]
fn demo_load_fills_layers_and_assigns_every_incident() {
    let sb = Sandbox::new();
    let (code, v) = sb.run_json(&[
        "demo",
        "load",
        "--years",
        "1",
        "--end",
        "2026-11-23T00:00:00+01:00",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["kommun", "districts", "regions", "kommuner"]);
    let accepted = v["incidents"]["accepted"].as_u64().unwrap();
    assert!(
        (5_000..10_000).contains(&accepted),
        "about 7,000 a year, got {accepted}"
    );
    assert_eq!(v["incidents"]["rejected"], 0);
    assert_eq!(
        v["incidents"]["outside"], 0,
        "generated incidents lie inside Botkyrka"
    );
    assert!(
        v["incidents"]["source"]
            .as_str()
            .unwrap()
            .contains("synthetic")
    );

    let store = Store::open(&sb.db()).unwrap();
    let areas = store.areas(None).unwrap();
    let index = AreaIndex::build(&areas);
    let layer_key = |name: &str| {
        store
            .layers()
            .unwrap()
            .into_iter()
            .find(|l| l.name == name)
            .unwrap()
            .key
    };
    let (districts, regions) = (layer_key("districts"), layer_key("regions"));
    let stored_district: std::collections::HashMap<i64, i64> =
        store.assignments(districts).unwrap().into_iter().collect();
    let stored_region: std::collections::HashMap<i64, i64> =
        store.assignments(regions).unwrap().into_iter().collect();
    let incidents = store.incidents(None, None).unwrap();
    assert_eq!(incidents.len() as u64, accepted);
    for s in &incidents {
        // Every incident inside the study area: exactly one district and one region, the
        // same as a brute-force scan, and one cell per stored resolution.
        let brute = index.locate_brute_force(s.incident.location);
        let by_layer = |k: i64| {
            brute
                .iter()
                .filter(|(l, _)| *l == k)
                .map(|(_, a)| *a)
                .collect::<Vec<_>>()
        };
        assert_eq!(by_layer(districts), vec![stored_district[&s.key]]);
        assert_eq!(by_layer(regions), vec![stored_region[&s.key]]);
        assert_eq!(s.cells.len(), 4);
        assert!(
            s.incident
                .description
                .as_deref()
                .unwrap_or("")
                .contains("Syntetisk")
        );
    }
    // Deterministic: the same seed and end give the same CSV.
    let a = sb.run(&[
        "demo",
        "generate",
        "--years",
        "1",
        "--end",
        "2026-11-23T00:00:00+01:00",
    ]);
    let b = sb.run(&[
        "demo",
        "generate",
        "--years",
        "1",
        "--end",
        "2026-11-23T00:00:00+01:00",
    ]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(
        String::from_utf8_lossy(&a.stdout).lines().count() as u64,
        accepted + 1
    );
}

#[test]
fn re_importing_a_layer_reassigns_stored_incidents() {
    let sb = Sandbox::new();
    let f = sb.file("a.csv", format!("{HEADER}{}{}", row(1), row(2)).as_bytes());
    let (_, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(v["outside"], 0, "no layers: nothing counts as outside");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no area layers")
    );
    sb.import_districts();
    let store = Store::open(&sb.db()).unwrap();
    let key = store.layers().unwrap()[0].key;
    assert_eq!(store.assignments(key).unwrap().len(), 2);
    let alby = store
        .areas(Some("districts"))
        .unwrap()
        .into_iter()
        .find(|a| a.area.id == "alby")
        .unwrap();
    assert!(
        store
            .assignments(key)
            .unwrap()
            .iter()
            .all(|(_, a)| *a == alby.key)
    );
}

mod districts_property {
    use geo::Intersects;
    use lagesbild::index::AreaIndex;
    use lagesbild::model::Wgs84;
    use lagesbild::store::StoredArea;
    use proptest::prelude::*;

    fn layer(name: &str, file: &str, layer_key: i64) -> Vec<StoredArea> {
        let text =
            std::fs::read(format!("{}/data/demo/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let opts = lagesbild::ingest::AreaImportOptions {
            layer: name.into(),
            id_field: "id".into(),
            name_field: "name".into(),
            population_field: None,
            parent_field: None,
            crs: None,
        };
        lagesbild::ingest::read_area_layer(text.as_slice(), &opts)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, area)| StoredArea {
                key: layer_key * 100 + i as i64,
                layer_key,
                area,
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Every point inside Botkyrka gets exactly one district and one region, the same as
        /// a brute-force scan; points outside get none.
        #[test]
        fn every_point_in_botkyrka_has_one_district(lon in 17.60f64..18.05, lat in 59.10f64..59.32) {
            let boundary = layer("kommun", "botkyrka_boundary.geojson", 1);
            let mut areas = layer("districts", "botkyrka_districts.geojson", 2);
            areas.extend(layer("regions", "botkyrka_regions.geojson", 3));
            let index = AreaIndex::build(&areas);
            let p = Wgs84 { lon, lat };
            let inside = boundary[0].area.geometry.intersects(&geo::Point::new(lon, lat));
            let got = index.locate(p);
            prop_assert_eq!(&got, &index.locate_brute_force(p));
            prop_assert_eq!(got.len(), if inside { 2 } else { 0 });
        }
    }
}
