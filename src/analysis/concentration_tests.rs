use super::*;
use crate::analysis::weights::tests::{f64s, fixture};

#[test]
fn matches_numpy_reference() {
    let fx = fixture("concentration_numpy.json");
    for (k, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        let counts = f64s(&case["counts"]);
        let c = concentration(&counts, &TOP_PERCENTS).unwrap();
        for (t, want) in c.top.iter().zip(f64s(&case["top"])) {
            assert!((t.share - want).abs() < 1e-12, "case {k}: {t:?} vs {want}");
        }
        let g = case["gini"].as_f64().unwrap();
        assert!(
            (c.gini - g).abs() < 1e-12,
            "case {k}: gini {} vs {g}",
            c.gini
        );
        let gg = case["generalised_gini"].as_f64().unwrap();
        assert!(
            (c.generalised_gini - gg).abs() < 1e-12,
            "case {k}: {} vs {gg}",
            c.generalised_gini
        );
    }
}

#[test]
fn hand_worked_example() {
    // Ten cells: 6, 2, 2 and seven zeros; 10 incidents, so N = n and G' = G.
    // Ascending, the non-zero counts are at i = 8, 9, 10 with weights 2i − 11 = 5, 7, 9:
    // Σ = 5·2 + 7·2 + 9·6 = 78; G = 78 / (n · Σx) = 78 / 100 = 0.78.
    let c = concentration(
        &[6.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        &[10.0, 20.0, 30.0],
    )
    .unwrap();
    assert!((c.gini - 0.78).abs() < 1e-12);
    assert_eq!(c.generalised_gini, c.gini);
    assert_eq!(c.top[0].units, 1);
    assert_eq!(c.top[0].share, 0.6);
    assert_eq!(c.top[1].share, 0.8);
    assert_eq!(c.top[2].share, 1.0);
    assert_eq!(c.units_with_incidents, 3);
    assert_eq!(c.lorenz.first(), Some(&(0.0, 0.0)));
    assert_eq!(c.lorenz.last(), Some(&(1.0, 1.0)));
    assert_eq!(c.lorenz[8], (0.8, 0.2));
    // Sparse: 3 incidents in 3 of 100 cells is as even as 3 incidents can be: G' = 0.
    let mut sparse = vec![0.0; 100];
    sparse[..3].fill(1.0);
    let c = concentration(&sparse, &TOP_PERCENTS).unwrap();
    assert!((c.gini - 0.97).abs() < 1e-12);
    assert!(c.generalised_gini.abs() < 1e-12);
    // A single incident cannot be spread more evenly either: G = 0.99, G' = 0.
    let mut one = vec![0.0; 100];
    one[0] = 1.0;
    assert!(
        concentration(&one, &TOP_PERCENTS)
            .unwrap()
            .generalised_gini
            .abs()
            < 1e-12
    );
}

#[test]
fn bad_input_is_refused() {
    assert!(concentration(&[], &TOP_PERCENTS).is_err());
    let e = concentration(&[1.0, -1.0], &TOP_PERCENTS)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unit 1"), "{e}");
    let e = concentration(&[1.0], &[0.0]).unwrap_err().to_string();
    assert!(e.contains("top: 0"), "{e}");
    let e = concentration(&[1.0], &[101.0]).unwrap_err().to_string();
    assert!(e.contains("top: 101"), "{e}");
    let c = concentration(&[0.0; 5], &TOP_PERCENTS).unwrap();
    assert_eq!((c.gini, c.top[0].share), (0.0, 0.0));
}
