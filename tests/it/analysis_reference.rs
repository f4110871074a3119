//! Moran's I, LISA and the Poisson test checked against independent implementations:
//! PySAL esda on libpysal's Columbus data and SciPy's Poisson distribution. The fixtures
//! are written by `tests/fixtures/make_moran_poisson_fixtures.py`.

use lagesbild::analysis::lisa::{LisaOptions, Quadrant, lisa};
use lagesbild::analysis::moran::moran_global;
use lagesbild::analysis::poisson::poisson_rise;
use lagesbild::analysis::weights::Weights;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// libpysal's Columbus CRIME and its `columbus.gal` neighbours (binary).
fn columbus() -> (Value, Vec<f64>, Weights) {
    let f = fixture("columbus_moran_esda.json");
    let crime = floats(&f["crime"]);
    let lists = f["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|j| j.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    (f, crime, Weights::binary(lists))
}

fn close(ours: f64, theirs: f64, tolerance: f64, what: &str) {
    assert!(
        (ours - theirs).abs() <= tolerance,
        "{what}: ours {ours}, reference {theirs}"
    );
}

#[test]
fn global_moran_matches_esda_on_columbus() {
    let (f, crime, w) = columbus();
    let g = &f["global"];
    let m = moran_global(&crime, &w.row_standardised()).unwrap();
    close(m.i, 0.500188, 1e-6, "I (0.500188, NOTES.md)");
    close(m.i, g["I"].as_f64().unwrap(), 1e-9, "I");
    close(m.expected, g["EI"].as_f64().unwrap(), 1e-12, "EI");
    close(
        m.variance_normal,
        g["VI_norm"].as_f64().unwrap(),
        1e-9,
        "VI_norm",
    );
    close(m.z_normal, g["z_norm"].as_f64().unwrap(), 1e-9, "z_norm");
    let p = g["p_norm"].as_f64().unwrap();
    close(m.p_normal, p, 1e-9 * p, "p_norm (relative)");
}

#[test]
fn local_moran_matches_esda_on_columbus() {
    let (f, crime, w) = columbus();
    let local = &f["local"];
    let r = lisa(&crime, &w, &LisaOptions::default()).unwrap();
    for (k, (ours, theirs)) in r.i.iter().zip(floats(&local["Is"])).enumerate() {
        close(*ours, theirs, 1e-9, &format!("Is[{k}]"));
    }
    for (k, (ours, theirs)) in r.z.iter().zip(floats(&local["z"])).enumerate() {
        close(*ours, theirs, 1e-12, &format!("z[{k}]"));
    }
    let q: Vec<Quadrant> = local["q"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| match q.as_u64().unwrap() {
            1 => Quadrant::HH,
            2 => Quadrant::LH,
            3 => Quadrant::LL,
            4 => Quadrant::HL,
            other => panic!("esda quadrant {other}"),
        })
        .collect();
    assert_eq!(r.quadrant, q);
}

/// Pseudo p-values come from different random generators, so only their distributions can
/// agree: at 9,999 permutations a p-value's binomial standard error is at most 0.005, and
/// two esda runs with different seeds already differ by up to ~0.008 on Columbus.
#[test]
fn local_moran_p_values_agree_with_esda_in_distribution() {
    let (f, crime, w) = columbus();
    let local = &f["local"];
    let permutations = local["permutations"].as_u64().unwrap() as usize;
    assert_eq!(permutations, 9999);
    let runs: Vec<Vec<f64>> = local["p_sim_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| floats(&run["p_sim"]))
        .collect();
    let opts = LisaOptions {
        permutations,
        seed: 2024,
        alpha: 0.05,
    };
    let r = lisa(&crime, &w, &opts).unwrap();

    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    let between_esda_runs = max_diff(&runs[0], &runs[1]);
    for run in &runs {
        let ours_vs_esda = max_diff(&r.p_sim, run);
        assert!(
            ours_vs_esda < 0.03,
            "max |p_ours - p_esda| = {ours_vs_esda}"
        );
        let mean_diff = r
            .p_sim
            .iter()
            .zip(run)
            .map(|(x, y)| (x - y).abs())
            .sum::<f64>()
            / run.len() as f64;
        eprintln!(
            "p_sim: max |ours - esda| {ours_vs_esda:.4}, mean {mean_diff:.4}; \
             between esda seeds {between_esda_runs:.4}"
        );
        for (k, (&ours, &theirs)) in r.p_sim.iter().zip(run).enumerate() {
            // Far from the threshold (more than 4 standard errors at p = 0.05).
            if (theirs - 0.05).abs() > 0.01 {
                assert_eq!(ours <= 0.05, theirs <= 0.05, "unit {k}: {ours} vs {theirs}");
            }
        }
    }
    let count = |p: &[f64]| p.iter().filter(|&&p| p <= 0.05).count();
    eprintln!(
        "significant at 0.05: ours {}, esda {:?}",
        count(&r.p_sim),
        runs.iter().map(|run| count(run)).collect::<Vec<_>>()
    );
}

/// The same comparison with a fifth of the noise: esda's mean p-value over 20 seeds against
/// ours over 5. Each difference, divided by its binomial standard error, should look like a
/// draw from N(0, 1).
#[test]
fn mean_p_values_agree_with_esda_within_binomial_noise() {
    let (f, crime, w) = columbus();
    let local = &f["local"];
    let permutations = local["permutations"].as_u64().unwrap() as usize;
    let esda_mean = floats(&local["p_sim_mean"]["mean"]);
    let esda_runs = local["p_sim_mean"]["seeds"].as_array().unwrap().len() as f64;
    let seeds = 1..=5u64;
    let our_runs = seeds.clone().count() as f64;
    let mut ours = vec![0.0; crime.len()];
    for seed in seeds {
        let opts = LisaOptions {
            permutations,
            seed,
            alpha: 0.05,
        };
        for (sum, p) in ours.iter_mut().zip(lisa(&crime, &w, &opts).unwrap().p_sim) {
            *sum += p / our_runs;
        }
    }
    let standardised: Vec<f64> = ours
        .iter()
        .zip(&esda_mean)
        .map(|(&o, &e)| {
            let per_run = (e * (1.0 - e)).max(1e-4) / permutations as f64;
            (o - e) / (per_run / our_runs + per_run / esda_runs).sqrt()
        })
        .collect();
    let n = standardised.len() as f64;
    let mean = standardised.iter().sum::<f64>() / n;
    let sd = (standardised.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max = standardised.iter().fold(0.0, |m: f64, d| m.max(d.abs()));
    eprintln!("standardised mean-p differences: mean {mean:.2}, sd {sd:.2}, max |d| {max:.2}");
    assert!(max < 4.5, "max |d| = {max}");
    assert!(mean.abs() < 0.6, "mean d = {mean}");
    assert!((0.6..1.5).contains(&sd), "sd of d = {sd}");
}

#[test]
fn poisson_tails_match_scipy() {
    let f = fixture("poisson_scipy.json");
    let mut worst: f64 = 0.0;
    for case in f["cases"].as_array().unwrap() {
        let k = case["observed"].as_u64().unwrap();
        let mu = case["expected"].as_f64().unwrap();
        let t = poisson_rise(k, mu).unwrap();
        for (ours, key) in [(t.p_upper, "p_upper"), (t.p_lower, "p_lower")] {
            let theirs = case[key].as_f64().unwrap();
            if theirs < 1e-300 {
                assert!(
                    ours < 1e-300,
                    "{key}({k}, {mu}): ours {ours}, scipy {theirs}"
                );
                continue;
            }
            let relative = (ours - theirs).abs() / theirs;
            worst = worst.max(relative);
            assert!(
                relative <= 1e-9,
                "{key}({k}, {mu}): ours {ours:e}, scipy {theirs:e}, relative {relative:e}"
            );
        }
    }
    eprintln!("Poisson: worst relative difference from SciPy {worst:e}");
}
