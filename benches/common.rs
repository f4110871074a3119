//! Deterministic benchmark data shared by the benches: no RNG, so numbers are comparable
//! across runs and with `scripts/bench_geopandas.py`, which makes the same points.

#![allow(
    dead_code,
    reason = "each bench or test uses only some of these helpers"
)]

/// The radical inverse of `index` in `base` (the Halton sequence).
pub fn halton(mut index: u64, base: u64) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while index > 0 {
        f /= base as f64;
        r += f * (index % base) as f64;
        index /= base;
    }
    r
}

/// Point `i` of the benchmark set: a Halton (2, 3) point in Sweden's bounding box.
pub fn point(i: u64) -> lagesbild::model::Wgs84 {
    lagesbild::model::Wgs84 {
        lon: 10.5 + 14.0 * halton(i + 1, 2),
        lat: 55.0 + 14.5 * halton(i + 1, 3),
    }
}

/// The 290 Swedish kommuner as stored areas of one layer.
pub fn kommuner() -> Vec<lagesbild::store::StoredArea> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sweden_kommuner.geojson");
    let file = std::fs::File::open(path).expect("data/sweden_kommuner.geojson");
    let opts = lagesbild::ingest::AreaImportOptions {
        layer: "kommuner".into(),
        id_field: "kommun_kod".into(),
        name_field: "kommun".into(),
        population_field: None,
        parent_field: None,
        crs: None,
    };
    lagesbild::ingest::read_area_layer(std::io::BufReader::new(file), &opts)
        .expect("valid kommuner")
        .into_iter()
        .enumerate()
        .map(|(i, area)| lagesbild::store::StoredArea {
            key: i as i64 + 1,
            layer_key: 1,
            area,
        })
        .collect()
}
