use super::*;
use crate::analysis::moran::moran_global;
use proptest::prelude::*;

fn grid(side: usize) -> Weights {
    let at = |r: usize, c: usize| r * side + c;
    Weights::binary(
        (0..side * side)
            .map(|i| {
                let (r, c) = (i / side, i % side);
                let mut row = Vec::new();
                if r > 0 {
                    row.push(at(r - 1, c));
                }
                if r + 1 < side {
                    row.push(at(r + 1, c));
                }
                if c > 0 {
                    row.push(at(r, c - 1));
                }
                if c + 1 < side {
                    row.push(at(r, c + 1));
                }
                row
            })
            .collect(),
    )
}

fn opts(permutations: usize, seed: u64) -> LisaOptions {
    LisaOptions {
        permutations,
        seed,
        alpha: 0.05,
    }
}

fn hot_corner() -> Vec<f64> {
    (0..25)
        .map(|i| {
            let (r, c) = (i / 5, i % 5);
            (8 - r - c) as f64 + if i % 3 == 0 { 0.5 } else { 0.0 }
        })
        .collect()
}

#[test]
fn same_seed_same_p_values_any_thread_count() {
    let values = hot_corner();
    let w = grid(5);
    let a = lisa(&values, &w, &opts(499, 42)).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool.install(|| lisa(&values, &w, &opts(499, 42)).unwrap());
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_different_but_close_p_values() {
    let values = hot_corner();
    let w = grid(5);
    let a = lisa(&values, &w, &opts(1999, 1)).unwrap();
    let b = lisa(&values, &w, &opts(1999, 2)).unwrap();
    assert_ne!(a.p_sim, b.p_sim);
    assert_eq!(a.i, b.i);
    for (pa, pb) in a.p_sim.iter().zip(&b.p_sim) {
        // Binomial noise at 1999 permutations: sd <= 0.011 per run.
        assert!((pa - pb).abs() < 0.05, "{pa} {pb}");
    }
}

#[test]
fn p_values_are_on_the_permutation_grid() {
    let r = lisa(&hot_corner(), &grid(5), &opts(99, 3)).unwrap();
    for &p in &r.p_sim {
        let m = p * 100.0 - 1.0;
        assert!(
            (m - m.round()).abs() < 1e-9 && (0.0..=99.0).contains(&m.round()),
            "{p}"
        );
    }
    // The hot corner and the cold corner stand out even with 99 permutations.
    assert!(r.significant[0] && r.significant[24]);
    assert_eq!(r.quadrant[0], Quadrant::HH);
    assert_eq!(r.quadrant[24], Quadrant::LL);
}

#[test]
fn islands_are_finite_and_never_significant() {
    let w = Weights::binary(vec![vec![1], vec![0, 2], vec![1], vec![], vec![]]);
    let r = lisa(&[1.0, 2.0, 3.0, 10.0, 0.0], &w, &opts(99, 0)).unwrap();
    for field in [&r.i, &r.z, &r.lag, &r.p_sim] {
        assert!(field.iter().all(|v| v.is_finite()));
    }
    for island in [3, 4] {
        assert_eq!(r.i[island], 0.0);
        assert_eq!(r.lag[island], 0.0);
        assert_eq!(r.p_sim[island], 1.0);
        assert!(!r.significant[island]);
    }
    assert_eq!(r.quadrant[3], Quadrant::HL);
    assert_eq!(r.quadrant[4], Quadrant::LL);
}

#[test]
fn a_unit_at_the_mean_is_not_significant() {
    // Unit 4 equals the mean exactly: every permuted I ties with the observed 0.
    let values = [0.0, 0.0, 1.0, 3.0, 2.0, 3.0, 4.0, 4.0, 1.0];
    let r = lisa(&values, &grid(3), &opts(199, 5)).unwrap();
    assert_eq!(r.z[4], 0.0);
    assert_eq!(r.p_sim[4], 1.0);
    // z = 0 counts as Low; the neighbours (0, 3, 3, 4) are above the mean.
    assert_eq!(r.quadrant[4], Quadrant::LH);
}

#[test]
fn degenerate_input_is_an_error() {
    let o = LisaOptions::default();
    assert!(matches!(
        lisa(&[1.0, 2.0], &grid(1), &o),
        Err(AnalysisError::Invalid(_))
    ));
    assert_eq!(
        lisa(&[1.0, 2.0], &Weights::binary(vec![vec![1], vec![0]]), &o),
        Err(AnalysisError::TooFewUnits {
            method: METHOD,
            found: 2,
            needed: 3
        })
    );
    assert_eq!(
        lisa(&[4.0; 9], &grid(3), &o),
        Err(AnalysisError::ZeroVariance { method: METHOD })
    );
    assert!(matches!(
        lisa(&hot_corner(), &grid(5), &opts(0, 1)),
        Err(AnalysisError::Invalid(_))
    ));
    for alpha in [0.0, 1.0, f64::NAN] {
        let bad = LisaOptions { alpha, ..o };
        assert!(matches!(
            lisa(&hot_corner(), &grid(5), &bad),
            Err(AnalysisError::Invalid(_))
        ));
    }
}

#[test]
fn quadrant_serialises_as_its_name() {
    let json = serde_json::to_string(&[Quadrant::HH, Quadrant::LH, Quadrant::LL, Quadrant::HL]);
    assert_eq!(json.unwrap(), r#"["HH","LH","LL","HL"]"#);
}

/// Random symmetric neighbour lists on `n` units, some of them islands.
fn neighbour_lists() -> impl Strategy<Value = (Vec<f64>, Vec<Vec<usize>>)> {
    (4usize..24).prop_flat_map(|n| {
        (
            prop::collection::vec(prop_oneof![-20.0f64..20.0, Just(0.0), Just(1.0)], n),
            prop::collection::vec((0..n, 0..n), 0..3 * n),
        )
            .prop_map(move |(values, edges)| {
                let mut lists = vec![Vec::new(); n];
                for (a, b) in edges {
                    lists[a].push(b);
                    lists[b].push(a);
                }
                (values, lists)
            })
    })
}

proptest! {
    #[test]
    fn quadrant_follows_the_signs_of_z_and_lag((values, lists) in neighbour_lists()) {
        prop_assume!(values.iter().any(|&v| v != values[0]));
        let r = lisa(&values, &Weights::binary(lists), &opts(9, 0)).unwrap();
        for u in 0..values.len() {
            let expected = match (r.z[u] > 0.0, r.lag[u] > 0.0) {
                (true, true) => Quadrant::HH,
                (false, true) => Quadrant::LH,
                (false, false) => Quadrant::LL,
                (true, false) => Quadrant::HL,
            };
            prop_assert_eq!(r.quadrant[u], expected);
            prop_assert!(r.i[u].is_finite() && r.p_sim[u] > 0.0 && r.p_sim[u] <= 1.0);
            // The sign of I_i is the sign of z_i · lag_i: HH/LL positive, outliers negative.
            prop_assert!(r.i[u] * r.z[u] * r.lag[u] >= 0.0);
        }
    }

    /// Anselin (1995): Σ_i I_i = (n - 1) · (S0 / n) · I, with S0 = n - islands for
    /// row-standardised weights.
    #[test]
    fn local_statistics_sum_to_the_global_one((values, lists) in neighbour_lists()) {
        prop_assume!(values.iter().any(|&v| v != values[0]));
        let w = Weights::binary(lists);
        let n = values.len();
        let s0 = (n - w.islands().len()) as f64;
        prop_assume!(s0 > 0.0);
        let local = lisa(&values, &w, &opts(1, 0)).unwrap();
        let global = moran_global(&values, &w.row_standardised()).unwrap();
        let sum: f64 = local.i.iter().sum();
        let identity = (n as f64 - 1.0) * s0 / n as f64 * global.i;
        let tolerance = 1e-9 * (1.0 + identity.abs());
        prop_assert!((sum - identity).abs() <= tolerance, "{} {}", sum, identity);
    }
}
