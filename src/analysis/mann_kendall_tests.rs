use proptest::prelude::*;

use super::*;

/// Reference values from `pymannkendall.original_test`, written by
/// `tests/fixtures/make_mann_kendall_fixture.py`.
fn pymannkendall_fixture() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mann_kendall_pymannkendall.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn matches_pymannkendall_on_every_fixture_series() {
    let fixture = pymannkendall_fixture();
    let alpha = fixture["alpha"].as_f64().unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "fixture has {} series", cases.len());

    let mut worst = [0.0_f64; 7];
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let series: Vec<f64> = case["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mk = mann_kendall(&series, alpha).unwrap();
        let trend = match case["trend"].as_str().unwrap() {
            "increasing" => Trend::Increasing,
            "decreasing" => Trend::Decreasing,
            _ => Trend::NoTrend,
        };
        assert_eq!(mk.trend, trend, "{name}: trend");
        assert_eq!(mk.n, series.len(), "{name}: n");
        let pairs = [
            ("s", mk.s),
            ("var_s", mk.var_s),
            ("z", mk.z),
            ("p", mk.p),
            ("tau", mk.tau),
            ("slope", mk.slope),
            ("intercept", mk.intercept),
        ];
        for (k, (field, ours)) in pairs.into_iter().enumerate() {
            let theirs = case[field].as_f64().unwrap();
            let diff = (ours - theirs).abs();
            worst[k] = worst[k].max(diff);
            assert!(
                diff <= 1e-9,
                "{name}: {field} = {ours}, pymannkendall {theirs} (diff {diff:e})"
            );
        }
    }
    // S is an integer on both sides. (Var(S) is too, divided by 18, but serde_json's
    // default float parser may read the fixture's text one ulp off.)
    assert_eq!(worst[0], 0.0, "max |ΔS|");
    eprintln!(
        "max |Δ| vs pymannkendall: s {:e}, var_s {:e}, z {:e}, p {:e}, tau {:e}, slope {:e}, \
         intercept {:e}",
        worst[0], worst[1], worst[2], worst[3], worst[4], worst[5], worst[6]
    );
}

#[test]
fn three_rising_values_by_hand() {
    let mk = mann_kendall(&[1.0, 2.0, 3.0], 0.05).unwrap();
    assert_eq!(mk.s, 3.0);
    assert_eq!(mk.var_s, 66.0 / 18.0);
    assert!((mk.z - 2.0 / (66.0_f64 / 18.0).sqrt()).abs() < 1e-15);
    assert_eq!(mk.tau, 1.0);
    assert_eq!((mk.slope, mk.intercept), (1.0, 1.0));
    // Three points can never reach 5 % significance.
    assert_eq!(mk.trend, Trend::NoTrend);
}

#[test]
fn constant_series_is_no_trend_not_an_error() {
    let mk = mann_kendall(&[4.5; 12], 0.05).unwrap();
    assert_eq!(
        mk,
        MannKendall {
            s: 0.0,
            var_s: 0.0,
            z: 0.0,
            p: 1.0,
            tau: 0.0,
            slope: 0.0,
            intercept: 4.5,
            trend: Trend::NoTrend,
            n: 12,
        }
    );
}

#[test]
fn zero_score_with_ties_gives_z_zero_and_p_one() {
    let mk = mann_kendall(&[1.0, 2.0, 2.0, 1.0], 0.05).unwrap();
    assert_eq!((mk.s, mk.z, mk.p), (0.0, 0.0, 1.0));
    assert!(mk.var_s > 0.0);
}

#[test]
fn negative_zero_ties_with_zero() {
    let a = mann_kendall(&[0.0, -0.0, 1.0, 0.0], 0.05).unwrap();
    let b = mann_kendall(&[0.0, 0.0, 1.0, 0.0], 0.05).unwrap();
    assert_eq!((a.s, a.var_s), (b.s, b.var_s));
}

#[test]
fn fewer_than_three_values_is_too_few_units() {
    for n in 0..3 {
        let err = mann_kendall(&vec![1.0; n], 0.05).unwrap_err();
        assert_eq!(
            err,
            AnalysisError::TooFewUnits {
                method: METHOD,
                found: n,
                needed: 3
            }
        );
    }
}

#[test]
fn non_finite_values_are_invalid() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e301, f64::MAX] {
        let err = mann_kendall(&[1.0, bad, 3.0], 0.05).unwrap_err();
        assert!(
            matches!(&err, AnalysisError::Invalid(m) if m.contains("value 1")),
            "{err}"
        );
    }
}

#[test]
fn extreme_values_give_finite_statistics() {
    let mk = mann_kendall(&[-MAX_ABS_VALUE, MAX_ABS_VALUE, -MAX_ABS_VALUE, 0.0], 0.05).unwrap();
    assert!(mk.slope.is_finite() && mk.intercept.is_finite());
}

#[test]
fn alpha_outside_zero_one_is_invalid() {
    for alpha in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
        let err = mann_kendall(&[1.0, 2.0, 3.0], alpha).unwrap_err();
        assert!(matches!(err, AnalysisError::Invalid(_)), "alpha {alpha}");
    }
}

#[test]
fn overlong_series_is_refused_before_allocating() {
    let long = vec![0.0; MAX_SERIES_LEN + 1];
    assert!(matches!(
        mann_kendall(&long, 0.05),
        Err(AnalysisError::Invalid(_))
    ));
}

#[test]
fn reused_scratch_buffer_does_not_leak_between_calls() {
    let mut scratch = vec![1e9; 7];
    let a = mann_kendall_in(&[5.0, 1.0, 4.0, 2.0, 8.0], 0.05, &mut scratch).unwrap();
    let b = mann_kendall_in(&[5.0, 1.0, 4.0, 2.0, 8.0], 0.05, &mut scratch).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, mann_kendall(&[5.0, 1.0, 4.0, 2.0, 8.0], 0.05).unwrap());
}

#[test]
fn serde_names_are_lower_snake_case() {
    let json = serde_json::to_string(&[Trend::Increasing, Trend::Decreasing, Trend::NoTrend]);
    assert_eq!(json.unwrap(), r#"["increasing","decreasing","no_trend"]"#);
}

/// Integer-valued series, so adding or reversing is exact and ties are common.
fn integer_series() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((-50i32..50).prop_map(f64::from), 3..80)
}

proptest! {
    #[test]
    fn adding_a_constant_changes_only_the_intercept(
        x in integer_series(),
        c in (-1000i32..1000).prop_map(f64::from),
    ) {
        let a = mann_kendall(&x, 0.05).unwrap();
        let shifted: Vec<f64> = x.iter().map(|v| v + c).collect();
        let b = mann_kendall(&shifted, 0.05).unwrap();
        prop_assert_eq!((a.s, a.var_s, a.z, a.p, a.tau, a.trend), (b.s, b.var_s, b.z, b.p, b.tau, b.trend));
        prop_assert_eq!(a.slope, b.slope);
        prop_assert!((b.intercept - (a.intercept + c)).abs() < 1e-9);
    }

    #[test]
    fn scaling_by_a_positive_constant_scales_only_slope_and_intercept(
        x in integer_series(),
        k in 1e-3f64..1e3,
    ) {
        let a = mann_kendall(&x, 0.05).unwrap();
        let scaled: Vec<f64> = x.iter().map(|v| v * k).collect();
        let b = mann_kendall(&scaled, 0.05).unwrap();
        prop_assert_eq!((a.s, a.var_s, a.z, a.p, a.tau, a.trend), (b.s, b.var_s, b.z, b.p, b.tau, b.trend));
        prop_assert!((b.slope - a.slope * k).abs() <= 1e-9 * (1.0 + (a.slope * k).abs()));
        prop_assert!((b.intercept - a.intercept * k).abs() <= 1e-9 * (1.0 + (a.intercept * k).abs()));
    }

    #[test]
    fn reversing_flips_the_direction(x in integer_series()) {
        let a = mann_kendall(&x, 0.05).unwrap();
        let reversed: Vec<f64> = x.iter().rev().copied().collect();
        let b = mann_kendall(&reversed, 0.05).unwrap();
        prop_assert_eq!((b.s, b.z, b.tau, b.slope), (-a.s, -a.z, -a.tau, -a.slope));
        prop_assert_eq!((b.var_s, b.p), (a.var_s, a.p));
        let flipped = match a.trend {
            Trend::Increasing => Trend::Decreasing,
            Trend::Decreasing => Trend::Increasing,
            Trend::NoTrend => Trend::NoTrend,
        };
        prop_assert_eq!(b.trend, flipped);
    }

    #[test]
    fn statistics_stay_in_range_for_any_finite_series(
        x in prop::collection::vec(-1e12f64..1e12, 3..60),
    ) {
        let mk = mann_kendall(&x, 0.05).unwrap();
        prop_assert!((0.0..=1.0).contains(&mk.p));
        prop_assert!((-1.0..=1.0).contains(&mk.tau));
        prop_assert!(mk.var_s >= 0.0 && mk.z.is_finite() && mk.slope.is_finite());
    }
}
