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

/// The whole emerging-hotspot cube for 150 weeks × ~20,000 cells: Gi* per week on k = 1
/// ring weights, then Mann–Kendall and the classification. Deterministic values (no RNG):
/// a drifting hotspot over a background pattern. Target (issue 3): <= 2 s.
fn cube(c: &mut Criterion) {
    use lagesbild::analysis::emerging::{EmergingOptions, classify_all};
    use lagesbild::analysis::gistar::{GiStarOptions, gi_star};
    use lagesbild::analysis::weights::Weights;
    let centre = h3o::LatLng::new(59.2, 17.8)
        .expect("latlng")
        .to_cell(h3o::Resolution::Nine);
    let mut cells: Vec<h3o::CellIndex> = centre.grid_disk(81);
    cells.sort_unstable();
    let n = cells.len();
    let steps = 150;
    let w = Weights::h3_disk(&cells, 1);
    let values: Vec<Vec<f64>> = (0..steps)
        .map(|t| {
            (0..n)
                .map(|i| {
                    let drift = ((i as f64 - (t as f64 * 97.0)) / 700.0).powi(2);
                    ((i * 7 + t * 13) % 5) as f64 + 20.0 * (-drift).exp()
                })
                .collect()
        })
        .collect();
    let mut g = c.benchmark_group("emerging_cube");
    g.sample_size(10);
    g.bench_function(format!("150_weeks_x_{n}_cells_gistar_and_classify"), |b| {
        b.iter(|| {
            let (mut z, mut p) = (vec![0.0; n * steps], vec![1.0; n * steps]);
            let opts = GiStarOptions {
                fdr: false,
                ..GiStarOptions::default()
            };
            for (t, v) in values.iter().enumerate() {
                let gi = gi_star(v, &w, &opts).expect("gi*");
                for l in 0..n {
                    z[l * steps + t] = gi.z[l];
                    p[l * steps + t] = gi.p[l];
                }
            }
            black_box(
                classify_all(&z, &p, n, steps, &EmergingOptions::default()).expect("classify"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench, cube);
criterion_main!(benches);
