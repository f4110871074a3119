use super::*;
use crate::analysis::weights::tests::{f64s, fixture};

#[test]
fn tails_and_fdr_bins_match_scipy() {
    let fx = fixture("area_significance_scipy.json");
    for (k, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        let counts = f64s(&case["counts"]);
        let exposure = f64s(&case["exposure"]);
        let t = area_tests(&counts, &exposure, true).unwrap();
        let (up, lo, p, bh) = (
            f64s(&case["p_upper"]),
            f64s(&case["p_lower"]),
            f64s(&case["p"]),
            f64s(&case["p_bh"]),
        );
        for i in 0..counts.len() {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1e-300) + 1e-14;
            assert!(
                close(t[i].p_upper, up[i]),
                "case {k} area {i}: {} vs {}",
                t[i].p_upper,
                up[i]
            );
            assert!(
                close(t[i].p_lower, lo[i]),
                "case {k} area {i}: {} vs {}",
                t[i].p_lower,
                lo[i]
            );
            assert!(close(t[i].p, p[i]), "case {k} area {i}");
            // BH: significant at level a exactly when the adjusted p is at most a.
            let level = [(3, 0.01), (2, 0.05), (1, 0.10)]
                .iter()
                .find(|(_, a)| bh[i] <= *a + 1e-12)
                .map_or(0, |(b, _)| *b);
            assert_eq!(t[i].bin.abs(), level, "case {k} area {i}: p_bh {}", bh[i]);
        }
    }
}

#[test]
fn hand_worked_two_areas() {
    // Two equal areas, 9 and 1 incidents: P(X >= 9 | n = 10, 1/2) = 11/1024.
    let t = area_tests(&[9.0, 1.0], &[1.0, 1.0], false).unwrap();
    assert!((t[0].p_upper - 11.0 / 1024.0).abs() < 1e-15);
    assert!((t[1].p_lower - 11.0 / 1024.0).abs() < 1e-15);
    assert!((t[0].p - 22.0 / 1024.0).abs() < 1e-15);
    assert_eq!(bin_name(t[0].bin), "hot_95");
    assert_eq!(bin_name(t[1].bin), "cold_95");
    assert_eq!(t[0].rate_ratio, Some(9.0));
}

#[test]
fn fdr_is_never_more_significant() {
    let counts = [30.0, 12.0, 9.0, 14.0, 3.0, 11.0, 10.0];
    let exp = [1.0, 1.1, 0.9, 1.0, 1.2, 1.0, 1.0];
    let raw = area_tests(&counts, &exp, false).unwrap();
    let fdr = area_tests(&counts, &exp, true).unwrap();
    for (r, f) in raw.iter().zip(&fdr) {
        assert!(f.bin.abs() <= r.bin.abs());
    }
}

#[test]
fn bad_input_is_refused() {
    assert!(matches!(
        area_tests(&[1.0], &[1.0], true),
        Err(AnalysisError::TooFewUnits { .. })
    ));
    let e = area_tests(&[1.0, 2.0], &[1.0, 0.0], true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("area 1 has no positive exposure"), "{e}");
    let e = area_tests(&[f64::NAN, 2.0], &[1.0, 1.0], true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("area 0"), "{e}");
    // No incidents at all: nothing is significant.
    let t = area_tests(&[0.0; 6], &[1.0; 6], true).unwrap();
    assert!(t.iter().all(|t| t.bin == 0 && t.p == 1.0));
}
