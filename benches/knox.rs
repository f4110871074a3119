//! The Knox near-repeat test on 10,000 burglaries with 999 permutations (issue 15 target:
//! <= 2 s on 2 cores), with the default table (200 m bands to 1,000 m, 7-day bands to 56
//! days). Deterministic data, no RNG: Halton (2, 3, 5) points, a 15 km × 15 km
//! municipality-sized square over two years, where 20 % of the points are followers placed
//! 0–200 m and 0–14 days after an earlier one (a planted near-repeat pattern). SYNTHETIC.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lagesbild::analysis::knox::{KnoxOptions, KnoxPoint, knox};

mod common;
use common::halton;

fn points(n: u64) -> Vec<KnoxPoint> {
    let mut pts: Vec<KnoxPoint> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (a, b, c) = (halton(i + 1, 2), halton(i + 1, 3), halton(i + 1, 5));
        if i % 5 == 4 {
            let p = pts[(i / 2) as usize];
            pts.push(KnoxPoint {
                x: p.x + 200.0 * a - 100.0,
                y: p.y + 200.0 * b - 100.0,
                t: p.t + 14.0 * c,
            });
        } else {
            pts.push(KnoxPoint {
                x: 15_000.0 * a,
                y: 15_000.0 * b,
                t: 730.0 * c,
            });
        }
    }
    pts
}

fn bench(c: &mut Criterion) {
    let pts = points(10_000);
    let opts = KnoxOptions::default();
    let mut g = c.benchmark_group("knox");
    g.sample_size(10);
    g.bench_function("10000 points, 999 permutations, 7 x 9 table", |b| {
        b.iter(|| black_box(knox(black_box(&pts), &opts).expect("knox")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
