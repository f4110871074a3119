//! Cutting and encoding tiles from a prepared hex layer: the per-tile work once the layer
//! is computed (the layer itself is the analysis, benchmarked in `analysis`).
//!
//! Data, no RNG: the res-9 cells within 60 rings of a cell in Alby (Botkyrka), 10,981
//! hexagons, each with a count `(u64(cell) · 0x9E3779B97F4A7C15) >> 60` and a few other
//! attributes. Tiles: zoom 13 over Alby (about 100 hexes) and zoom 10 (the whole layer).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Map, json};

use lagesbild::tiles::layer::Feature;
use lagesbild::tiles::tile::lonlat_to_world;
use lagesbild::tiles::{Format, LayerKind, PreparedLayer, TileId, encode};

fn layer() -> PreparedLayer {
    let centre = LatLng::new(59.2395, 17.8453)
        .expect("valid coordinates")
        .to_cell(Resolution::Nine);
    let features = centre
        .grid_disk::<Vec<CellIndex>>(60)
        .into_iter()
        .map(|cell| {
            let mut ring: Vec<Coord<f64>> = cell
                .boundary()
                .iter()
                .map(|ll| {
                    let (x, y) = lonlat_to_world(ll.lng(), ll.lat());
                    Coord { x, y }
                })
                .collect();
            ring.push(ring[0]);
            let count = (u64::from(cell).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as f64;
            let mut properties = Map::new();
            properties.insert("cell".into(), json!(cell.to_string()));
            properties.insert("count".into(), json!(count));
            properties.insert("harm".into(), json!(count * 2.5));
            properties.insert("gi_z".into(), json!(count / 4.0 - 1.0));
            properties.insert("gi_bin".into(), json!((count as i64 % 7) - 3));
            properties.insert("rise".into(), json!(count > 12.0));
            Feature {
                id: cell.to_string(),
                mvt_id: u64::from(cell),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                properties,
            }
        })
        .collect();
    PreparedLayer::new(LayerKind::Hexes, features)
}

fn bench(c: &mut Criterion) {
    let layer = layer();
    let z13 = TileId::containing(17.8453, 59.2395, 13);
    let z10 = TileId::containing(17.8453, 59.2395, 10);
    let mut g = c.benchmark_group("tiles");
    g.sample_size(20);
    g.bench_function("hexes_z13_mvt", |b| {
        b.iter(|| encode(black_box(&layer), z13, Format::Mvt).expect("encodes"))
    });
    g.bench_function("hexes_z13_geojson", |b| {
        b.iter(|| encode(black_box(&layer), z13, Format::GeoJson).expect("encodes"))
    });
    g.bench_function("hexes_z10_mvt_whole_layer", |b| {
        b.iter(|| encode(black_box(&layer), z10, Format::Mvt).expect("encodes"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
