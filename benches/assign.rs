//! Assignment throughput: 1 M points to the 290 Swedish kommuner plus one H3 resolution.
//!
//! Target (issue 2): >= 1.5 M points/s on 2 cores. Compare with
//! `scripts/bench_geopandas.py`, which times geopandas `sjoin` + h3-py on the same points.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h3o::Resolution;
use lagesbild::index::{AreaIndex, cells_for};
use rayon::prelude::*;

mod common;

const N: u64 = 1_000_000;

fn assign(c: &mut Criterion) {
    let areas = common::kommuner();
    let points: Vec<_> = (0..N).map(common::point).collect();
    let res = [Resolution::Nine];

    let mut g = c.benchmark_group("assign_1m_kommuner_h3r9");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    g.bench_function("build_index_290", |b| {
        b.iter(|| black_box(AreaIndex::build(&areas)))
    });
    let index = AreaIndex::build(&areas);
    g.bench_function("parallel", |b| {
        b.iter(|| {
            let out: Vec<_> = points
                .par_iter()
                .map(|p| (index.locate(*p), cells_for(*p, &res)))
                .collect();
            black_box(out)
        })
    });
    g.bench_function("one_thread", |b| {
        b.iter(|| {
            let out: Vec<_> = points
                .iter()
                .map(|p| (index.locate(*p), cells_for(*p, &res)))
                .collect();
            black_box(out)
        })
    });
    g.bench_function("one_thread_areas_only", |b| {
        b.iter(|| {
            let out: Vec<_> = points.iter().map(|p| index.locate(*p)).collect();
            black_box(out)
        })
    });
    g.bench_function("one_thread_h3_only", |b| {
        b.iter(|| {
            let out: Vec<_> = points.iter().map(|p| cells_for(*p, &res)).collect();
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, assign);
criterion_main!(benches);
