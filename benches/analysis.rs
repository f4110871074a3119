//! A weekly recompute for the Botkyrka demo: the hex hotspots of one ISO week (automatic
//! scale, counts with an 8-week baseline, Gi* with FDR, and the 52-week emerging-hotspot
//! cube) on a fresh analyzer. Target (issue 3): <= 50 ms. Also the area hotspots of a
//! tertial and the table load.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lagesbild::analysis::hotspots::{Analyzer, AreaQuery, HexQuery};
use lagesbild::analysis::table::IncidentTable;
use lagesbild::analysis::window::TimeWindow;
use lagesbild::config::Config;
use lagesbild::demo::{self, DemoSpec};
use lagesbild::model::Categories;
use lagesbild::store::Store;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::with_db(dir.path().join("demo.db"));
    let mut store = Store::open(&config.db).expect("open");
    let end = DateTime::parse_from_rfc3339("2026-11-23T00:00:00+01:00")
        .expect("time")
        .with_timezone(&Utc);
    let spec = DemoSpec {
        seed: demo::DEFAULT_SEED,
        end,
        years: demo::DEFAULT_YEARS,
    };
    demo::load(&mut store, &config, &spec, &mut |_, _| {}).expect("demo");
    let cats = Categories::builtin();
    let tz = chrono_tz::Europe::Stockholm;

    c.bench_function("table_load_demo", |b| {
        b.iter(|| black_box(IncidentTable::load(&store, &cats).expect("load")))
    });
    let table = Arc::new(IncidentTable::load(&store, &cats).expect("load"));
    let week = HexQuery::new(TimeWindow::parse("2026-W47").expect("week"));
    c.bench_function("weekly_recompute_demo_hexes", |b| {
        b.iter(|| {
            let a = Analyzer::new(table.clone(), cats.clone(), tz, None).expect("analyzer");
            black_box(a.hexes(&week).expect("hexes"))
        })
    });
    let tertial = AreaQuery::new("districts", TimeWindow::parse("2026-T3").expect("tertial"));
    c.bench_function("tertial_demo_areas", |b| {
        b.iter(|| {
            let a = Analyzer::new(table.clone(), cats.clone(), tz, None).expect("analyzer");
            black_box(a.areas(&tertial).expect("areas"))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
