//! Getis-Ord Gi* on about 1 M H3 res-9 cells with k = 2 ring weights.
//!
//! Target: weights plus Gi* in <= 1 s on 2 cores, and >= 50× faster than PySAL esda
//! (`scripts/bench_esda.py` times the same data in esda and libpysal).
//!
//! Data, no RNG: the cells are `grid_disk(radius)` around a Stockholm res-9 cell
//! (radius 577 gives 1,000,519 cells, 258 gives 200,467), and each cell's value is
//! `(u64(cell) · 0x9E3779B97F4A7C15 mod 2⁶⁴) >> 59`, an integer 0..31 that depends on the
//! cell only, so the Python script makes the same values whatever its cell order.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h3o::{CellIndex, LatLng, Resolution};
use lagesbild::analysis::gistar::{GiStarOptions, gi_star};
use lagesbild::analysis::weights::Weights;

const K: u32 = 2;

fn cells(radius: u32) -> Vec<CellIndex> {
    LatLng::new(59.3293, 18.0686)
        .expect("valid coordinates")
        .to_cell(Resolution::Nine)
        .grid_disk(radius)
}

fn value(cell: CellIndex) -> f64 {
    (u64::from(cell).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59) as f64
}

fn gistar(c: &mut Criterion) {
    for radius in [258, 577] {
        let cells = cells(radius);
        let values: Vec<f64> = cells.iter().map(|&c| value(c)).collect();
        let n = cells.len();
        let opts = GiStarOptions::default();

        let mut g = c.benchmark_group(format!("gistar_h3r9_k2_{n}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("weights_h3_disk", |b| {
            b.iter(|| black_box(Weights::h3_disk(black_box(&cells), K)))
        });
        let w = Weights::h3_disk(&cells, K);
        g.bench_function("gi_star_fdr", |b| {
            b.iter(|| black_box(gi_star(black_box(&values), &w, &opts)))
        });
        g.bench_function("weights_and_gi_star", |b| {
            b.iter(|| {
                let w = Weights::h3_disk(black_box(&cells), K);
                black_box(gi_star(&values, &w, &opts))
            })
        });
        g.finish();

        // Check values to compare with scripts/bench_esda.py.
        if let Ok(gi) = gi_star(&values, &w, &opts) {
            let centre = gi.z[0];
            let sum: f64 = gi.z.iter().sum();
            let max = gi.z.iter().copied().fold(f64::MIN, f64::max);
            eprintln!(
                "check n={n} nnz={}: z_centre={centre} z_sum={sum} z_max={max}",
                w.nnz()
            );
        }
    }
}

criterion_group!(benches, gistar);
criterion_main!(benches);
