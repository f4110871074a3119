//! Emerging hot spot classification of a whole cube: 20 000 locations × 150 weekly steps.
//!
//! Target: the classification plus one Mann–Kendall test per location in ≤ 2 s on 2 cores
//! (the Gi* z and p per step are computed elsewhere and not timed here). The cube is
//! generated from a fixed formula and an integer hash, no RNG, so numbers are comparable
//! across runs; its locations follow all 17 patterns, so every branch of the classifier
//! is taken.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lagesbild::analysis::emerging::{EmergingClass, EmergingOptions, classify_all};
use lagesbild::analysis::mann_kendall::mann_kendall;

const LOCATIONS: usize = 20_000;
const STEPS: usize = 150;

/// A uniform value in `[0, 1)` from `(location, step)`: SplitMix64's finaliser.
fn unit(location: usize, step: usize) -> f64 {
    let mut x = (location as u64) << 32 | step as u64;
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Gi* z-score of one bin: a shape chosen by the location, plus noise in ±0.8. Location
/// `l` gets shape `l % 17`: 0 is noise, 1–8 the hot patterns and 9–16 their cold mirrors
/// (new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating,
/// historical).
fn z_score(location: usize, step: usize) -> f64 {
    let t = step as f64 / (STEPS - 1) as f64;
    let last = STEPS - 1;
    let noise = (unit(location, step) - 0.5) * 1.6;
    let shape = location % 17;
    let (kind, sign) = if shape > 8 {
        (shape - 8, -1.0)
    } else {
        (shape, 1.0)
    };
    let level = match kind {
        0 => 0.0,
        1 => f64::from(u8::from(step == last)) * 4.0,
        2 => f64::from(u8::from(step + 10 > last)) * 3.5,
        3 => 2.8 + 2.0 * t,
        4 => 3.0,
        5 => 4.8 - 2.0 * t,
        6 if step == last || unit(location, step + 1000) < 0.2 => 3.0,
        6 => 0.5,
        7 => 3.0 * (std::f64::consts::TAU * (last - step) as f64 / 30.0).cos(),
        _ => f64::from(u8::from(step + 5 <= last)) * 3.0,
    };
    sign * level + noise
}

fn cube() -> (Vec<f64>, Vec<f64>) {
    let z: Vec<f64> = (0..LOCATIONS * STEPS)
        .map(|i| z_score(i / STEPS, i % STEPS))
        .collect();
    let p = z
        .iter()
        .map(|z| libm::erfc(z.abs() / std::f64::consts::SQRT_2))
        .collect();
    (z, p)
}

fn emerging(c: &mut Criterion) {
    let (z, p) = cube();
    let opts = EmergingOptions::default();

    let out = classify_all(&z, &p, LOCATIONS, STEPS, &opts).expect("valid cube");
    let mut counts = [0usize; 17];
    for (class, _) in &out {
        counts[EmergingClass::ALL
            .iter()
            .position(|c| c == class)
            .expect("listed")] += 1;
    }
    let summary: Vec<String> = EmergingClass::ALL
        .iter()
        .zip(counts)
        .filter(|&(_, n)| n > 0)
        .map(|(c, n)| format!("{}: {n}", c.label_en()))
        .collect();
    eprintln!("classes in the bench cube: {}", summary.join(", "));

    let mut g = c.benchmark_group("emerging_20k_locations_150_steps");
    g.sample_size(10);
    g.throughput(Throughput::Elements(LOCATIONS as u64));
    g.bench_function("classify_all", |b| {
        b.iter(|| black_box(classify_all(&z, &p, LOCATIONS, STEPS, &opts)))
    });
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    g.bench_function("classify_all_one_thread", |b| {
        b.iter(|| one_thread.install(|| black_box(classify_all(&z, &p, LOCATIONS, STEPS, &opts))))
    });
    g.finish();

    let mut g = c.benchmark_group("mann_kendall");
    g.bench_function("one_series_150_steps", |b| {
        b.iter(|| black_box(mann_kendall(black_box(&z[..STEPS]), 0.05)))
    });
    g.finish();
}

criterion_group!(benches, emerging);
criterion_main!(benches);
