use super::*;
use crate::analysis::fdr::bh_cutoff;
use crate::analysis::weights::tests::{columbus_areas, f64s, fixture, lists};
use h3o::CellIndex;
use proptest::prelude::*;

const TOL: f64 = 1e-9;

fn opts(fdr: bool, min_units: usize) -> GiStarOptions {
    GiStarOptions { fdr, min_units }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn assert_no_nan(g: &GiStar) {
    assert!(g.z.iter().chain(&g.p).all(|v| v.is_finite()), "{g:?}");
    assert!(g.p.iter().all(|p| (0.0..=1.0).contains(p)));
    assert!(g.bin.iter().all(|b| (-3..=3).contains(b)));
}

#[test]
fn matches_esda_on_the_small_vector() {
    let fx = fixture("gistar_esda_small.json");
    let points: Vec<(f64, f64)> = fx["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let w = Weights::distance_band(&points, fx["threshold"].as_f64().unwrap());
    let g = gi_star(&f64s(&fx["y"]), &w, &opts(false, 0)).unwrap();
    let d = max_abs_diff(&g.z, &f64s(&fx["z"]));
    assert!(d <= TOL, "max |dz| = {d:e}");
    // NOTES.md's rounded values, as a guard on the fixture itself.
    let notes = [
        -1.39727626,
        -0.28917762,
        0.65064964,
        -0.28917762,
        1.23452088,
        2.02424331,
    ];
    assert!(max_abs_diff(&g.z, &notes) <= 1e-8);
    assert_eq!(g.bin, vec![0, 0, 0, 0, 0, 2]);
    assert_no_nan(&g);
}

#[test]
fn matches_esda_on_columbus_with_our_queen_weights() {
    let fx = fixture("gistar_esda_columbus.json");
    let crime = f64s(&fx["crime"]);
    let expected = f64s(&fx["z"]);
    let ours = Weights::queen(&columbus_areas());
    let theirs = Weights::binary(lists(&fx["neighbours"]));
    for w in [ours, theirs] {
        let g = gi_star(&crime, &w, &GiStarOptions::default()).unwrap();
        let d = max_abs_diff(&g.z, &expected);
        assert!(d <= TOL, "max |dz| = {d:e}");
        assert!(g.islands.is_empty() && g.warnings.is_empty());
        assert_no_nan(&g);
    }
}

#[test]
fn matches_esda_on_the_demo_h3_grid() {
    let fx = fixture("gistar_esda_demo_h3.json");
    let cells: Vec<CellIndex> = fx["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().parse().unwrap())
        .collect();
    let counts = f64s(&fx["counts"]);
    let expected = f64s(&fx["z"]);
    let w = Weights::h3_disk(&cells, 1);
    let g = gi_star(&counts, &w, &GiStarOptions::default()).unwrap();
    let islands: Vec<usize> = lists(&serde_json::json!([fx["islands"]])).remove(0);
    assert_eq!(g.islands, islands);
    for (i, (z, e)) in g.z.iter().zip(&expected).enumerate() {
        if islands.contains(&i) {
            assert_eq!(*z, 0.0);
        } else {
            assert!((z - e).abs() <= TOL, "cell {}: {z} vs esda {e}", cells[i]);
        }
    }
    assert!(g.bin.contains(&3), "the demo has hot spots");
    assert_no_nan(&g);
}

#[test]
fn p_values_are_two_sided_normal() {
    assert!((two_sided_p(1.959963984540054) - 0.05).abs() < 1e-15);
    assert!((two_sided_p(-2.5758293035489004) - 0.01).abs() < 1e-15);
    assert!((two_sided_p(1.6448536269514722) - 0.10).abs() < 1e-15);
    assert_eq!(two_sided_p(0.0), 1.0);
    assert!(two_sided_p(40.0) >= 0.0);
}

#[test]
fn bins_follow_the_arcgis_levels() {
    let raw = [(3, 0.01), (2, 0.05), (1, 0.10)];
    assert_eq!(gi_bin(3.0, 0.0027, &raw), 3);
    assert_eq!(gi_bin(-2.0, 0.0455, &raw), -2);
    assert_eq!(gi_bin(1.7, 0.089, &raw), 1);
    assert_eq!(gi_bin(1.0, 0.3173, &raw), 0);
    assert_eq!(gi_bin(2.0, 0.0455, &[(3, 0.0), (2, 0.0), (1, 0.0455)]), 1);
}

#[test]
fn fdr_bins_use_the_bh_cutoff_per_level() {
    let fx = fixture("gistar_esda_demo_h3.json");
    let cells: Vec<CellIndex> = fx["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().parse().unwrap())
        .collect();
    let w = Weights::h3_disk(&cells, 1);
    let counts = f64s(&fx["counts"]);
    let g = gi_star(&counts, &w, &opts(true, 30)).unwrap();
    assert!(g.fdr);
    let cut = [0.01, 0.05, 0.10].map(|a| bh_cutoff(&g.p, a));
    for i in 0..g.z.len() {
        let level = if g.p[i] <= cut[0] {
            3
        } else if g.p[i] <= cut[1] {
            2
        } else if g.p[i] <= cut[2] {
            1
        } else {
            0
        };
        assert_eq!(g.bin[i], level * g.z[i].signum() as i8, "unit {i}");
    }
    let raw = gi_star(&counts, &w, &opts(false, 30)).unwrap();
    assert_eq!(raw.z, g.z);
    let significant = |g: &GiStar| g.bin.iter().filter(|&&b| b != 0).count();
    assert!(significant(&g) < significant(&raw));
}

fn chain(n: usize) -> Weights {
    Weights::binary(
        (0..n)
            .map(|i| {
                [i.wrapping_sub(1), i + 1]
                    .into_iter()
                    .filter(|&j| j < n)
                    .collect()
            })
            .collect(),
    )
}

#[test]
fn refuses_too_few_units_zero_variance_and_bad_input() {
    let w = chain(29);
    let v: Vec<f64> = (0..29).map(f64::from).collect();
    assert_eq!(
        gi_star(&v, &w, &GiStarOptions::default()),
        Err(AnalysisError::TooFewUnits {
            method: "Getis-Ord Gi*",
            found: 29,
            needed: 30
        })
    );
    assert!(matches!(
        gi_star(&[], &Weights::binary(vec![]), &opts(true, 0)),
        Err(AnalysisError::TooFewUnits { needed: 2, .. })
    ));
    assert_eq!(
        gi_star(&[4.0; 29], &w, &opts(true, 5)),
        Err(AnalysisError::ZeroVariance {
            method: "Getis-Ord Gi*"
        })
    );
    assert!(matches!(
        gi_star(&v[..28], &w, &opts(true, 5)),
        Err(AnalysisError::Invalid(m)) if m.contains("28 values but weights for 29 units")
    ));
    let mut bad = v.clone();
    bad[3] = f64::NAN;
    assert!(matches!(
        gi_star(&bad, &w, &opts(true, 5)),
        Err(AnalysisError::Invalid(_))
    ));
    bad[3] = f64::INFINITY;
    assert!(matches!(
        gi_star(&bad, &w, &opts(true, 5)),
        Err(AnalysisError::Invalid(_))
    ));
    let huge = vec![1e300, -1e300, 0.0];
    assert!(matches!(
        gi_star(&huge, &chain(3), &opts(true, 2)),
        Err(AnalysisError::Invalid(_))
    ));
}

#[test]
fn islands_and_whole_area_units_are_zero_not_nan() {
    // 30 units on a chain, plus unit 30 with no neighbours and a high value.
    let mut lists: Vec<Vec<usize>> = (0..30)
        .map(|i: usize| {
            [i.wrapping_sub(1), i + 1]
                .into_iter()
                .filter(|&j| j < 30)
                .collect()
        })
        .collect();
    lists.push(vec![]);
    let mut v: Vec<f64> = (0..30).map(|i| f64::from(i % 4)).collect();
    v.push(50.0);
    let g = gi_star(&v, &Weights::binary(lists), &GiStarOptions::default()).unwrap();
    assert_eq!(g.islands, vec![30]);
    assert_eq!((g.z[30], g.p[30], g.bin[30]), (0.0, 1.0, 0));
    assert_eq!(g.warnings.len(), 1);
    assert!(g.warnings[0].contains("no neighbours"), "{}", g.warnings[0]);
    assert_no_nan(&g);

    // A star: unit 0 neighbours everyone, so W_0 = n and its variance term is zero.
    let star = Weights::binary(
        (0..5)
            .map(|i| if i == 0 { (1..5).collect() } else { vec![0] })
            .collect(),
    );
    let g = gi_star(&[5.0, 1.0, 2.0, 3.0, 4.0], &star, &opts(true, 2)).unwrap();
    assert_eq!((g.z[0], g.p[0], g.bin[0]), (0.0, 1.0, 0));
    assert!(g.islands.is_empty());
    assert!(g.warnings[0].contains("every other unit"));
    assert_no_nan(&g);

    // All islands: every unit is untested, nothing is significant, still no NaN.
    let g = gi_star(
        &[1.0, 2.0, 3.0],
        &Weights::binary(vec![vec![]; 3]),
        &opts(true, 2),
    )
    .unwrap();
    assert_eq!(g.z, vec![0.0; 3]);
    assert_no_nan(&g);
}

#[test]
fn does_not_depend_on_the_thread_count() {
    let n = 20_000;
    let cells: Vec<CellIndex> = h3o::LatLng::new(59.2, 17.83)
        .unwrap()
        .to_cell(h3o::Resolution::Ten)
        .grid_disk::<Vec<_>>(80)
        .into_iter()
        .take(n)
        .collect();
    let values: Vec<f64> = (0..cells.len()).map(|i| ((i * 7919) % 13) as f64).collect();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let w = Weights::h3_disk(&cells, 2);
                (
                    w.clone(),
                    gi_star(&values, &w, &GiStarOptions::default()).unwrap(),
                )
            })
    };
    let (w1, g1) = run(1);
    let (w3, g3) = run(3);
    assert_eq!(w1, w3);
    assert_eq!(g1, g3);
}

/// A random symmetric graph on `n` units plus integer values that are not all equal.
fn graph_and_values() -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<f64>)> {
    (3usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec((0..n, 0..n), 0..3 * n),
            prop::collection::vec(0u8..20, n),
        )
            .prop_map(move |(edges, v)| {
                let mut lists = vec![Vec::new(); n];
                for (a, b) in edges {
                    if a != b {
                        lists[a].push(b);
                        lists[b].push(a);
                    }
                }
                (lists, v.into_iter().map(f64::from).collect::<Vec<f64>>())
            })
            .prop_filter("values must vary", |(_, v)| v.iter().any(|&x| x != v[0]))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (a) Permuting the units (values and weights alike) permutes the result.
    #[test]
    fn invariant_to_input_order((lists, v) in graph_and_values(), seed in any::<u64>()) {
        let n = v.len();
        // A deterministic permutation from the seed: sort indices by a hash.
        let mut perm: Vec<usize> = (0..n).collect();
        perm.sort_by_key(|&i| (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut inverse = vec![0; n];
        for (new, &old) in perm.iter().enumerate() {
            inverse[old] = new;
        }
        let pv: Vec<f64> = perm.iter().map(|&old| v[old]).collect();
        let plists: Vec<Vec<usize>> = perm
            .iter()
            .map(|&old| lists[old].iter().map(|&j| inverse[j]).collect())
            .collect();

        for fdr in [false, true] {
            let a = gi_star(&v, &Weights::binary(lists.clone()), &opts(fdr, 2)).unwrap();
            let b = gi_star(&pv, &Weights::binary(plists.clone()), &opts(fdr, 2)).unwrap();
            for (new, &old) in perm.iter().enumerate() {
                prop_assert!((a.z[old] - b.z[new]).abs() <= 1e-12 * (1.0 + a.z[old].abs()));
                prop_assert_eq!(a.bin[old], b.bin[new]);
            }
            let mut islands: Vec<usize> = a.islands.iter().map(|&i| inverse[i]).collect();
            islands.sort_unstable();
            prop_assert_eq!(islands, b.islands);
        }
    }

    /// (b) A far-away zero-count island enters the other units' Gi* only through n, the
    /// mean and the standard deviation. With `D_i = S·sqrt(W_i (n − W_i)/(n − 1))` the
    /// denominator before and `D'_i` after (n' = n + 1, x̄' = n x̄/n', S' from the new
    /// sums), every other unit satisfies the identity
    ///     z'_i = (z_i·D_i + (x̄ − x̄')·W_i) / D'_i            (checked to 1e-9 relative)
    /// and hence the bound
    ///     |z'_i − z_i| <= |z_i|·|D_i/D'_i − 1| + W_i·|x̄ − x̄'| / D'_i.
    #[test]
    fn a_far_zero_island_changes_z_only_through_n_mean_and_sd((lists, v) in graph_and_values()) {
        let n = v.len();
        let before = gi_star(&v, &Weights::binary(lists.clone()), &opts(false, 2)).unwrap();
        let mut lists2 = lists.clone();
        lists2.push(vec![]);
        let mut v2 = v.clone();
        v2.push(0.0);
        let after = gi_star(&v2, &Weights::binary(lists2), &opts(false, 2)).unwrap();
        prop_assert!(after.islands.contains(&n));
        prop_assert_eq!(after.z[n], 0.0);

        let stats = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt();
            (v.len() as f64, m, s)
        };
        let (nf, m, s) = stats(&v);
        let (nf2, m2, s2) = stats(&v2);
        let w = Weights::binary(lists);
        for i in 0..n {
            let k = w.row(i).0.len();
            let big_w = (k + 1) as f64;
            if k == 0 || k + 1 >= n {
                // Untested before; after, W_i = n < n' may make a whole-area unit testable.
                continue;
            }
            let d = s * (big_w * (nf - big_w) / (nf - 1.0)).sqrt();
            let d2 = s2 * (big_w * (nf2 - big_w) / (nf2 - 1.0)).sqrt();
            let predicted = (before.z[i] * d + (m - m2) * big_w) / d2;
            prop_assert!((after.z[i] - predicted).abs() <= 1e-9 * (1.0 + predicted.abs()));
            let bound = before.z[i].abs() * (d / d2 - 1.0).abs() + big_w * (m - m2).abs() / d2;
            prop_assert!((after.z[i] - before.z[i]).abs() <= bound + 1e-9);
        }
    }

    /// (c) FDR never makes a unit more significant, nor flips its sign.
    #[test]
    fn fdr_bins_are_never_more_significant((lists, v) in graph_and_values()) {
        let w = Weights::binary(lists);
        let raw = gi_star(&v, &w, &opts(false, 2)).unwrap();
        let adj = gi_star(&v, &w, &opts(true, 2)).unwrap();
        for (r, a) in raw.bin.iter().zip(&adj.bin) {
            prop_assert!(a.abs() <= r.abs());
            prop_assert!(*a == 0 || a.signum() == r.signum());
        }
        prop_assert!(raw.z.iter().chain(&raw.p).chain(&adj.p).all(|x| x.is_finite()));
    }
}
