//! Reports for the Botkyrka demo (3 years, ~21,000 synthetic incidents): the weekly
//! situation picture for 2026-W47 and the tertial analysis for 2026-T3, built and rendered
//! to HTML. "cold" starts from a fresh analysis service (incident table read from SQLite,
//! no cached analyses), as the CLI does; "warm" reuses the server's service, whose caches
//! hold the hex and area analyses. Targets (issue 6): weekly <= 200 ms, tertial <= 1 s.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lagesbild::analysis::service::AnalysisService;
use lagesbild::config::Config;
use lagesbild::demo::{self, DemoSpec};
use lagesbild::report::week::ReportOptions;
use lagesbild::report::{self, Lang, html};
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
    let service = || {
        AnalysisService::new(
            config.categories.clone(),
            config.timezone,
            config.study_area.clone(),
        )
    };
    let opts = ReportOptions::default();
    let week = report::parse_week_id("2026-W47").expect("week");
    let tertial = report::parse_tertial_id("2026-T3").expect("tertial");

    let mut g = c.benchmark_group("report");
    g.sample_size(20);
    g.bench_function("week_demo_cold_html", |b| {
        b.iter(|| {
            let r = report::week::build(&service(), &store, &week, &opts).expect("week");
            black_box(html::week(&r, Lang::Sv))
        })
    });
    let warm = service();
    g.bench_function("week_demo_warm_html", |b| {
        b.iter(|| {
            let r = report::week::build(&warm, &store, &week, &opts).expect("week");
            black_box(html::week(&r, Lang::Sv))
        })
    });
    g.bench_function("tertial_demo_cold_html", |b| {
        b.iter(|| {
            let r = report::tertial::build(&service(), &store, &tertial, &opts).expect("tertial");
            black_box(html::tertial(&r, Lang::Sv))
        })
    });
    g.bench_function("tertial_demo_warm_html", |b| {
        b.iter(|| {
            let r = report::tertial::build(&warm, &store, &tertial, &opts).expect("tertial");
            black_box(html::tertial(&r, Lang::Sv))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
