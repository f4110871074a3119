use super::*;
use proptest::prelude::*;

fn line(n: usize) -> Weights {
    Weights::binary(
        (0..n)
            .map(|i| {
                let mut row = Vec::new();
                if i > 0 {
                    row.push(i - 1);
                }
                if i + 1 < n {
                    row.push(i + 1);
                }
                row
            })
            .collect(),
    )
}

/// Dense textbook formulas, written independently of the sparse code.
fn dense_reference(values: &[f64], w: &[Vec<f64>]) -> (f64, f64) {
    let n = values.len();
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let z: Vec<f64> = values.iter().map(|y| y - mean).collect();
    let (mut s0, mut s1, mut num) = (0.0, 0.0, 0.0);
    let mut s2 = 0.0;
    for i in 0..n {
        let (mut row, mut col) = (0.0, 0.0);
        for j in 0..n {
            s0 += w[i][j];
            s1 += 0.5 * (w[i][j] + w[j][i]).powi(2);
            num += w[i][j] * z[i] * z[j];
            row += w[i][j];
            col += w[j][i];
        }
        s2 += (row + col).powi(2);
    }
    let i = nf / s0 * num / z.iter().map(|v| v * v).sum::<f64>();
    let e = -1.0 / (nf - 1.0);
    let v = (nf * nf * s1 - nf * s2 + 3.0 * s0 * s0) / ((nf - 1.0) * (nf + 1.0) * s0 * s0) - e * e;
    (i, v)
}

#[test]
fn asymmetric_weights_match_the_dense_formulas() {
    // Each unit's two nearest on a ring, but unit 0 also points at 3 with weight 2.
    let lists: Vec<Vec<(usize, f64)>> = (0..7)
        .map(|i| {
            let mut row = vec![((i + 1) % 7, 1.0), ((i + 6) % 7, 0.5)];
            if i == 0 {
                row.push((3, 2.0));
            }
            row
        })
        .collect();
    let mut dense = vec![vec![0.0; 7]; 7];
    for (i, row) in lists.iter().enumerate() {
        for &(j, v) in row {
            dense[i][j] = v;
        }
    }
    let values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0];
    let m = moran_global(&values, &Weights::from_lists(lists)).unwrap();
    let (i, v) = dense_reference(&values, &dense);
    assert!((m.i - i).abs() < 1e-14, "{} {i}", m.i);
    assert!(
        (m.variance_normal - v).abs() < 1e-14,
        "{} {v}",
        m.variance_normal
    );
    assert!((m.z_normal - (i + 1.0 / 6.0) / v.sqrt()).abs() < 1e-12);
}

#[test]
fn p_value_is_two_sided() {
    let w = line(8).row_standardised();
    let up = moran_global(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &w).unwrap();
    let alternating = moran_global(&[1.0, 8.0, 1.0, 8.0, 1.0, 8.0, 1.0, 8.0], &w).unwrap();
    assert!(up.z_normal > 0.0 && alternating.z_normal < 0.0);
    for m in [up, alternating] {
        let one_sided = 0.5 * libm::erfc(m.z_normal.abs() / 2f64.sqrt());
        assert!((m.p_normal - 2.0 * one_sided).abs() < 1e-15);
        assert!(m.p_normal > 0.0 && m.p_normal <= 1.0);
    }
}

#[test]
fn degenerate_input_is_an_error() {
    assert_eq!(
        moran_global(&[1.0, 2.0], &line(2)),
        Err(AnalysisError::TooFewUnits {
            method: METHOD,
            found: 2,
            needed: 3
        })
    );
    assert_eq!(
        moran_global(&[0.1; 5], &line(5)),
        Err(AnalysisError::ZeroVariance { method: METHOD })
    );
    let mismatch = moran_global(&[1.0, 2.0, 3.0], &line(4)).unwrap_err();
    assert!(
        mismatch
            .to_string()
            .contains("3 values but the weights have 4 units")
    );
    assert!(matches!(
        moran_global(&[1.0, f64::NAN, 3.0], &line(3)),
        Err(AnalysisError::Invalid(_))
    ));
    let all_islands = Weights::binary(vec![vec![]; 4]);
    assert!(matches!(
        moran_global(&[1.0, 2.0, 3.0, 4.0], &all_islands),
        Err(AnalysisError::Invalid(m)) if m.contains("S0 = 0")
    ));
    let nan_weight = Weights::from_lists(vec![vec![(1, f64::NAN)], vec![(0, 1.0)], vec![(1, 1.0)]]);
    assert!(matches!(
        moran_global(&[1.0, 2.0, 3.0], &nan_weight),
        Err(AnalysisError::Invalid(_))
    ));
}

#[test]
fn islands_give_finite_results() {
    let w = Weights::binary(vec![vec![1], vec![0, 2], vec![1], vec![], vec![]]).row_standardised();
    let m = moran_global(&[1.0, 2.0, 3.0, 10.0, 0.0], &w).unwrap();
    for v in [m.i, m.expected, m.variance_normal, m.z_normal, m.p_normal] {
        assert!(v.is_finite());
    }
}

proptest! {
    #[test]
    fn relabelling_units_changes_nothing(
        values in prop::collection::vec(-50.0f64..50.0, 6..20),
        shift in 1usize..5,
    ) {
        prop_assume!(values.iter().any(|&v| v != values[0]));
        let n = values.len();
        let w = line(n).row_standardised();
        let m = moran_global(&values, &w).unwrap();
        // Unit i moves to position (i + shift) mod n, with its neighbours.
        let to = |i: usize| (i + shift) % n;
        let mut lists = vec![Vec::new(); n];
        let mut moved = vec![0.0; n];
        for i in 0..n {
            let (nb, wt) = w.row(i);
            lists[to(i)] = nb.iter().zip(wt).map(|(&j, &v)| (to(j as usize), v)).collect();
            moved[to(i)] = values[i];
        }
        let r = moran_global(&moved, &Weights::from_lists(lists)).unwrap();
        prop_assert!((m.i - r.i).abs() < 1e-12);
        prop_assert!((m.variance_normal - r.variance_normal).abs() < 1e-12);
    }
}
