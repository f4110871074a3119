//! End-to-end ingest (parse, validate, assign, commit) of a deterministic CSV into a fresh
//! SQLite file, in process. `scripts/bench_ingest.sh` times the release binary on 1 M rows
//! and reports peak memory; this bench tracks the library path on 200,000 rows.

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lagesbild::config::Config;
use lagesbild::ingest::Format;
use lagesbild::pipeline::{IngestRequest, import_areas, ingest};
use lagesbild::store::Store;

mod common;

const ROWS: u64 = 200_000;
const CATEGORIES: [&str; 5] = ["theft", "vandalism", "burglary", "graffiti", "assault"];

/// Incidents spread over Botkyrka (lon 17.70..17.98, lat 59.12..59.30) over three years.
pub fn csv(rows: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows as usize * 70);
    out.extend_from_slice(b"id,occurred_at,category,lat,lon\n");
    for i in 0..rows {
        let lon = 17.70 + 0.28 * common::halton(i + 1, 2);
        let lat = 59.12 + 0.18 * common::halton(i + 1, 3);
        let day = i % 1000;
        let t = chrono::DateTime::from_timestamp(
            1_700_000_000 + day as i64 * 86_400 + (i % 86_400) as i64,
            0,
        )
        .expect("valid time");
        writeln!(
            out,
            "b{i},{},{},{lat:.6},{lon:.6}",
            t.format("%Y-%m-%dT%H:%M:%SZ"),
            CATEGORIES[(i % 5) as usize]
        )
        .expect("write to Vec");
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = csv(ROWS);
    let districts = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo/botkyrka_districts.geojson"
    ))
    .expect("districts");
    let mut g = c.benchmark_group("ingest_csv");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS));
    g.bench_function("200k_rows_fresh_db", |b| {
        b.iter_with_setup(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let config = Config::with_db(dir.path().join("b.db"));
                let store = Store::open(&config.db).expect("open");
                let opts = lagesbild::ingest::AreaImportOptions {
                    layer: "districts".into(),
                    id_field: "id".into(),
                    name_field: "name".into(),
                    population_field: None,
                    parent_field: None,
                    crs: None,
                };
                import_areas(&store, districts.as_slice(), &opts, "districts").expect("areas");
                (dir, config, store)
            },
            |(dir, config, store)| {
                let req = IngestRequest {
                    source: "bench".into(),
                    format: Format::Csv,
                    partner: Some(lagesbild::model::Partner::parse("polisen").expect("partner")),
                    crs: None,
                    strict: false,
                    now: chrono::Utc::now(),
                    audit: None,
                };
                let r = ingest(&store, &config, std::io::Cursor::new(data.clone()), &req)
                    .expect("ingest");
                assert_eq!(r.counts.accepted, ROWS);
                black_box((r, dir))
            },
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
