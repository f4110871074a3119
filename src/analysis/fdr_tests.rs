use super::*;
use crate::analysis::weights::tests::{f64s, fixture};
use proptest::prelude::*;

#[test]
fn cutoff_and_q_values_match_esda_and_statsmodels() {
    let fx = fixture("fdr_reference.json");
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let p = f64s(&case["p"]);

        let q = bh_adjust(&p);
        for (i, (ours, theirs)) in q.iter().zip(f64s(&case["q_fdr_bh"])).enumerate() {
            assert!(
                (ours - theirs).abs() <= 1e-12,
                "{name}[{i}]: q {ours} vs statsmodels {theirs}"
            );
        }

        for (alpha, esda) in case["esda_fdr"].as_object().unwrap() {
            let alpha: f64 = alpha.parse().unwrap();
            let esda = esda.as_f64().unwrap();
            let cutoff = bh_cutoff(&p, alpha);
            // Same rejections as esda's threshold, and the cutoff is one of the p-values.
            for &pi in &p {
                assert_eq!(pi <= cutoff, pi <= esda, "{name} alpha {alpha}: p = {pi}");
            }
            assert!(cutoff == 0.0 || p.contains(&cutoff), "{name} alpha {alpha}");
            // ... and q <= alpha is the same decision.
            for (&pi, &qi) in p.iter().zip(&q) {
                assert_eq!(pi <= cutoff, qi <= alpha, "{name} alpha {alpha}: p = {pi}");
            }
        }
    }
}

#[test]
fn edge_cases() {
    assert_eq!(bh_cutoff(&[], 0.05), 0.0);
    assert!(bh_adjust(&[]).is_empty());
    assert_eq!(bh_cutoff(&[0.0, 0.0], 0.05), 0.0);
    assert_eq!(bh_cutoff(&[0.04, 0.05], 0.05), 0.05);
    let q = bh_adjust(&[0.2, f64::NAN, 0.01]);
    assert!(q[1].is_nan());
    assert_eq!(q[2], 0.03);
    assert_eq!(bh_cutoff(&[0.2, f64::NAN, 0.01], 0.05), 0.01);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn q_values_are_monotone_capped_and_consistent(
        p in prop::collection::vec(0.0f64..=1.0, 1..80),
        alpha in 0.001f64..0.3,
    ) {
        let q = bh_adjust(&p);
        let cutoff = bh_cutoff(&p, alpha);
        prop_assert!(cutoff <= alpha);
        for i in 0..p.len() {
            // m·p/j can round below p when j = m.
            prop_assert!(q[i] >= p[i] * (1.0 - 4.0 * f64::EPSILON) && q[i] <= 1.0);
            prop_assert_eq!(p[i] <= cutoff, q[i] <= alpha);
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(q[i] <= q[j]);
                }
            }
        }
    }
}
