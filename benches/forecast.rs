//! The forecast with its rolling back-test on the Botkyrka demo (synthetic incidents, 3
//! years, seeded): two years of weeks (104) back-tested at H3 resolution 9, each week
//! predicted by the forecast and both baselines (last week, a quartic KDE) and scored at
//! four coverages. Target (issue 6): <= 5 s.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lagesbild::analysis::forecast::{ForecastOptions, forecast};
use lagesbild::analysis::hotspots::Analyzer;
use lagesbild::analysis::table::IncidentTable;
use lagesbild::analysis::window::TimeWindow;
use lagesbild::config::Config;
use lagesbild::demo::{self, DemoSpec};
use lagesbild::model::Categories;
use lagesbild::store::Store;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::with_db(dir.path().join("demo.db"));
    let store = Store::open(&config.db).expect("open");
    let end = DateTime::parse_from_rfc3339("2026-11-23T00:00:00+01:00")
        .expect("time")
        .with_timezone(&Utc);
    let spec = DemoSpec {
        seed: demo::DEFAULT_SEED,
        end,
        years: demo::DEFAULT_YEARS,
    };
    demo::load(&store, &config, &spec, &mut |_, _| {}).expect("demo");
    let cats = Categories::builtin();
    let tz = chrono_tz::Europe::Stockholm;
    let table = Arc::new(IncidentTable::load(&store, &cats).expect("load"));
    let week = TimeWindow::parse("2026-W48").expect("week");
    let opts = ForecastOptions {
        backtest_weeks: 104,
        ..ForecastOptions::default()
    };
    let mut group = c.benchmark_group("forecast");
    group.sample_size(10);
    group.bench_function("backtest_104_weeks_res9_demo", |b| {
        b.iter(|| {
            // A fresh analyzer each time, so the study grid is built inside the timing.
            let a = Analyzer::new(table.clone(), cats.clone(), tz, None).expect("analyzer");
            let f = forecast(&a, &week, &opts).expect("forecast");
            assert_eq!(f.backtest.weeks, 104);
            black_box(f)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
