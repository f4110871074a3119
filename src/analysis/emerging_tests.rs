use proptest::prelude::*;

use super::*;
use EmergingClass as C;

/// Two-sided normal p-value of a z-score, as Gi* reports it.
fn p_of(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Classifies a z-series with default options, p-values taken from the z-scores
/// (|z| > 1.96 is significant at 0.05).
fn class_of(z: &[f64]) -> EmergingClass {
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    classify(z, &p, &EmergingOptions::default()).unwrap().0
}

/// A z-series from a picture of the steps, oldest first: `H` hot (z = 3), `C` cold
/// (z = −3), `.` not significant (z = 0.5). Constant levels keep the trend test quiet
/// unless the picture itself slopes.
fn pattern(steps: &str) -> Vec<f64> {
    steps
        .chars()
        .map(|c| match c {
            'H' => 3.0,
            'C' => -3.0,
            _ => 0.5,
        })
        .collect()
}

fn negated(z: &[f64]) -> Vec<f64> {
    z.iter().map(|z| -z).collect()
}

/// The same pattern on the other side: hot ↔ cold.
fn mirror(class: EmergingClass) -> EmergingClass {
    match class {
        C::NoPattern => C::NoPattern,
        C::NewHot => C::NewCold,
        C::ConsecutiveHot => C::ConsecutiveCold,
        C::IntensifyingHot => C::IntensifyingCold,
        C::PersistentHot => C::PersistentCold,
        C::DiminishingHot => C::DiminishingCold,
        C::SporadicHot => C::SporadicCold,
        C::OscillatingHot => C::OscillatingCold,
        C::HistoricalHot => C::HistoricalCold,
        C::NewCold => C::NewHot,
        C::ConsecutiveCold => C::ConsecutiveHot,
        C::IntensifyingCold => C::IntensifyingHot,
        C::PersistentCold => C::PersistentHot,
        C::DiminishingCold => C::DiminishingHot,
        C::SporadicCold => C::SporadicHot,
        C::OscillatingCold => C::OscillatingHot,
        C::HistoricalCold => C::HistoricalHot,
    }
}

/// Asserts `z` gives `expected`, and its negation the mirror class.
fn check(z: &[f64], expected: EmergingClass) {
    assert_eq!(class_of(z), expected, "z = {z:?}");
    assert_eq!(class_of(&negated(z)), mirror(expected), "-z of {z:?}");
}

fn ramp(start: f64, step: f64, n: usize) -> Vec<f64> {
    (0..n).map(|t| start + step * t as f64).collect()
}

// One hand-built series per class.

#[test]
fn no_pattern_all_quiet() {
    check(
        &[0.1, -0.4, 0.8, 1.2, -1.5, 0.0, 0.3, -0.9, 1.9, 0.2],
        C::NoPattern,
    );
}

#[test]
fn new_hot_only_the_last_step() {
    check(&pattern(".........H"), C::NewHot);
}

#[test]
fn consecutive_hot_final_run_of_three() {
    check(&pattern(".......HHH"), C::ConsecutiveHot);
}

#[test]
fn intensifying_hot_always_hot_and_rising() {
    let z = ramp(2.0, 0.2, 10);
    assert_eq!(mann_kendall(&z).trend, Trend::Increasing);
    check(&z, C::IntensifyingHot);
}

#[test]
fn persistent_hot_always_hot_no_trend() {
    let z = [3.0, 2.5, 3.2, 2.4, 3.1, 2.6, 2.9, 2.7, 3.0, 2.8];
    assert_eq!(mann_kendall(&z).trend, Trend::NoTrend);
    check(&z, C::PersistentHot);
}

#[test]
fn diminishing_hot_always_hot_and_falling() {
    let z = ramp(4.0, -0.2, 10);
    assert_eq!(mann_kendall(&z).trend, Trend::Decreasing);
    check(&z, C::DiminishingHot);
}

#[test]
fn sporadic_hot_on_and_off_never_cold() {
    check(&pattern("H..H...H.H"), C::SporadicHot);
}

#[test]
fn oscillating_hot_on_and_off_with_a_cold_step() {
    check(&pattern("H..C..H..H"), C::OscillatingHot);
}

#[test]
fn historical_hot_nine_of_ten_then_quiet() {
    check(&pattern("HHHHHHHHH."), C::HistoricalHot);
}

#[test]
fn new_cold_only_the_last_step() {
    check(&pattern(".........C"), C::NewCold);
}

#[test]
fn consecutive_cold_final_run_of_three() {
    check(&pattern(".......CCC"), C::ConsecutiveCold);
}

#[test]
fn intensifying_cold_always_cold_and_falling() {
    let z = ramp(-2.0, -0.2, 10);
    assert_eq!(mann_kendall(&z).trend, Trend::Decreasing);
    check(&z, C::IntensifyingCold);
}

#[test]
fn persistent_cold_always_cold_no_trend() {
    let z = [-3.0, -2.5, -3.2, -2.4, -3.1, -2.6, -2.9, -2.7, -3.0, -2.8];
    check(&z, C::PersistentCold);
}

#[test]
fn diminishing_cold_always_cold_and_warming() {
    let z = ramp(-4.0, 0.2, 10);
    assert_eq!(mann_kendall(&z).trend, Trend::Increasing);
    check(&z, C::DiminishingCold);
}

#[test]
fn sporadic_cold_on_and_off_never_hot() {
    check(&pattern("C..C...C.C"), C::SporadicCold);
}

#[test]
fn oscillating_cold_on_and_off_with_a_hot_step() {
    check(&pattern("C..H..C..C"), C::OscillatingCold);
}

#[test]
fn historical_cold_nine_of_ten_then_quiet() {
    check(&pattern("CCCCCCCCC."), C::HistoricalCold);
}

fn mann_kendall(z: &[f64]) -> MannKendall {
    super::super::mann_kendall::mann_kendall(z, 0.05).unwrap()
}

// Precedence and boundaries: the documented choices where ArcGIS's wording overlaps.

#[test]
fn first_hot_step_after_cold_history_is_new_not_oscillating() {
    check(&pattern("CC.C.....H"), C::NewHot);
}

#[test]
fn first_hot_run_after_cold_history_is_consecutive_not_oscillating() {
    check(&pattern("C.C....HHH"), C::ConsecutiveHot);
}

#[test]
fn final_step_picks_the_side_over_a_mostly_cold_history() {
    check(&pattern("CCCCCCCCCH"), C::NewHot);
    check(&pattern("HHHHHHHHHC"), C::NewCold);
}

#[test]
fn intermittent_hot_spot_quiet_at_the_end_is_no_pattern() {
    // Sporadic needs a hot final step (ArcGIS Pro wording).
    check(&pattern("H.H.H.H.H."), C::NoPattern);
}

#[test]
fn hot_then_cold_oscillation_ending_quiet_is_no_pattern() {
    check(&pattern("HHCCHHCC.."), C::NoPattern);
}

#[test]
fn mostly_hot_with_a_cold_step_is_still_in_the_ninety_percent_group() {
    // 9 of 10 hot, one cold step in the middle, hot at the end.
    check(&pattern("HHHHCHHHHH"), C::PersistentHot);
}

#[test]
fn ninety_percent_means_nine_of_ten() {
    check(&pattern(".HHHHHHHHH"), C::PersistentHot);
    check(&pattern("..HHHHHHHH"), C::ConsecutiveHot);
    check(&pattern(".H.HHHHHHH"), C::SporadicHot);
}

#[test]
fn ninety_percent_of_150_steps_is_135() {
    // Quiet steps at 4, 13, 22, ...; everything else hot, the final step too.
    let at = |hot: usize| -> Vec<f64> {
        (0..150)
            .map(|t| {
                if t % 9 == 4 && t / 9 < 150 - hot {
                    0.5
                } else {
                    3.0
                }
            })
            .collect()
    };
    let z135 = at(135);
    assert_eq!(z135.iter().filter(|&&z| z > 2.0).count(), 135);
    assert_eq!(*z135.last().unwrap(), 3.0);
    assert!(matches!(
        class_of(&z135),
        C::PersistentHot | C::IntensifyingHot | C::DiminishingHot
    ));
    let z134 = at(134);
    assert_eq!(z134.iter().filter(|&&z| z > 2.0).count(), 134);
    assert_eq!(class_of(&z134), C::SporadicHot);
}

#[test]
fn historical_needs_ninety_percent() {
    check(&pattern("HHHHHHHH.."), C::NoPattern);
}

#[test]
fn historical_ignores_the_trend() {
    let mut z = ramp(2.0, 0.3, 10);
    z[9] = 0.5;
    check(&z, C::HistoricalHot);
}

#[test]
fn two_step_final_run_is_the_shortest_consecutive() {
    check(&pattern("........HH"), C::ConsecutiveHot);
    check(&pattern(".......H.H"), C::SporadicHot);
}

#[test]
fn three_steps_is_enough() {
    check(&pattern("..H"), C::NewHot);
    check(&pattern(".HH"), C::ConsecutiveHot);
    // ⌈0.9 · 3⌉ = 3, and three points never give a significant trend.
    check(&pattern("HHH"), C::PersistentHot);
    check(&pattern("H.H"), C::SporadicHot);
    check(&pattern("CHH"), C::ConsecutiveHot);
    check(&pattern("HCH"), C::OscillatingHot);
}

#[test]
fn p_equal_to_alpha_is_not_significant() {
    let opts = EmergingOptions::default();
    let z = [0.1, 0.2, 0.3, 2.0];
    let (class, _) = classify(&z, &[0.9, 0.8, 0.7, 0.05], &opts).unwrap();
    assert_eq!(class, C::NoPattern);
    let (class, _) = classify(&z, &[0.9, 0.8, 0.7, 0.0499], &opts).unwrap();
    assert_eq!(class, C::NewHot);
}

#[test]
fn zero_z_is_never_hot_or_cold() {
    let (class, _) = classify(
        &[0.0, 0.0, 0.0],
        &[0.0, 0.0, 0.0],
        &EmergingOptions::default(),
    )
    .unwrap();
    assert_eq!(class, C::NoPattern);
}

#[test]
fn options_change_the_thresholds() {
    let z = pattern("...HHHHHHH");
    assert_eq!(class_of(&z), C::ConsecutiveHot);
    let seventy = EmergingOptions {
        persistent_share: 0.7,
        ..EmergingOptions::default()
    };
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    // 7 of 10 is now "mostly hot", and the step up from quiet is a significant rise.
    assert_eq!(classify(&z, &p, &seventy).unwrap().0, C::IntensifyingHot);
    // z = 3 has p ≈ 0.0027: hot at 0.01, quiet at 0.001.
    let strict = EmergingOptions {
        alpha: 0.001,
        ..EmergingOptions::default()
    };
    assert_eq!(classify(&z, &p, &strict).unwrap().0, C::NoPattern);
}

#[test]
fn trend_alpha_decides_intensifying_versus_persistent() {
    let z = [2.5, 2.4, 2.6, 2.5, 2.7, 2.6, 2.8, 2.7, 2.9, 2.6];
    let mk = mann_kendall(&z);
    assert!(mk.p > 0.01 && mk.p < 0.05, "p = {}", mk.p);
    assert_eq!(class_of(&z), C::IntensifyingHot);
    let strict = EmergingOptions {
        trend_alpha: 0.01,
        ..EmergingOptions::default()
    };
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    let (class, mk) = classify(&z, &p, &strict).unwrap();
    assert_eq!((class, mk.trend), (C::PersistentHot, Trend::NoTrend));
}

#[test]
fn returns_the_mann_kendall_of_z() {
    let z = ramp(2.0, 0.2, 10);
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    let (_, mk) = classify(&z, &p, &EmergingOptions::default()).unwrap();
    assert_eq!(mk, mann_kendall(&z));
}

// Errors.

#[test]
fn fewer_than_three_steps_is_too_few_units() {
    for n in 0..3 {
        let err = classify(&vec![3.0; n], &vec![0.001; n], &EmergingOptions::default());
        assert_eq!(
            err.unwrap_err(),
            AnalysisError::TooFewUnits {
                method: METHOD,
                found: n,
                needed: 3
            }
        );
    }
}

#[test]
fn nan_or_infinite_z_is_invalid() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = classify(
            &[1.0, bad, 2.0],
            &[0.3, 0.3, 0.3],
            &EmergingOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, AnalysisError::Invalid(m) if m.contains("time step 1")),
            "{err}"
        );
    }
}

#[test]
fn nan_or_out_of_range_p_is_invalid() {
    for bad in [f64::NAN, -0.01, 1.01, f64::INFINITY] {
        let err = classify(
            &[1.0, 2.0, 3.0],
            &[0.3, 0.3, bad],
            &EmergingOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, AnalysisError::Invalid(m) if m.contains("time step 2")),
            "{err}"
        );
    }
}

#[test]
fn z_and_p_of_different_lengths_are_invalid() {
    let err = classify(&[1.0; 4], &[0.5; 5], &EmergingOptions::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::Invalid(_)));
}

#[test]
fn out_of_range_options_are_invalid() {
    let d = EmergingOptions::default();
    for opts in [
        EmergingOptions { alpha: 0.0, ..d },
        EmergingOptions { alpha: 1.0, ..d },
        EmergingOptions {
            trend_alpha: f64::NAN,
            ..d
        },
        EmergingOptions {
            persistent_share: 0.5,
            ..d
        },
        EmergingOptions {
            persistent_share: 1.01,
            ..d
        },
    ] {
        let err = classify(&[1.0, 2.0, 3.0], &[0.5; 3], &opts).unwrap_err();
        assert!(matches!(err, AnalysisError::Invalid(_)), "{opts:?}");
    }
    let full = EmergingOptions {
        persistent_share: 1.0,
        ..d
    };
    assert_eq!(
        classify(&pattern("HHH"), &[0.001; 3], &full).unwrap().0,
        C::PersistentHot
    );
}

// The cube.

/// One location per class, from the tests above, each 10 steps.
fn one_location_per_class() -> Vec<(EmergingClass, Vec<f64>)> {
    let hot: Vec<(EmergingClass, Vec<f64>)> = vec![
        (C::NoPattern, pattern("..........")),
        (C::NewHot, pattern(".........H")),
        (C::ConsecutiveHot, pattern(".......HHH")),
        (C::IntensifyingHot, ramp(2.0, 0.2, 10)),
        (
            C::PersistentHot,
            vec![3.0, 2.5, 3.2, 2.4, 3.1, 2.6, 2.9, 2.7, 3.0, 2.8],
        ),
        (C::DiminishingHot, ramp(4.0, -0.2, 10)),
        (C::SporadicHot, pattern("H..H...H.H")),
        (C::OscillatingHot, pattern("H..C..H..H")),
        (C::HistoricalHot, pattern("HHHHHHHHH.")),
    ];
    let cold: Vec<_> = hot[1..]
        .iter()
        .map(|(class, z)| (mirror(*class), negated(z)))
        .collect();
    hot.into_iter().chain(cold).collect()
}

#[test]
fn classify_all_gives_every_class_in_location_order() {
    let cases = one_location_per_class();
    let classes: Vec<EmergingClass> = cases.iter().map(|(c, _)| *c).collect();
    let mut sorted = classes.clone();
    sorted.sort();
    assert_eq!(sorted, EmergingClass::ALL);

    let z: Vec<f64> = cases.iter().flat_map(|(_, z)| z.clone()).collect();
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    let out = classify_all(&z, &p, cases.len(), 10, &EmergingOptions::default()).unwrap();
    let got: Vec<EmergingClass> = out.iter().map(|(c, _)| *c).collect();
    assert_eq!(got, classes);
    for (l, (class, mk)) in out.iter().enumerate() {
        let single = classify(
            &z[l * 10..(l + 1) * 10],
            &p[l * 10..(l + 1) * 10],
            &EmergingOptions::default(),
        )
        .unwrap();
        assert_eq!((*class, *mk), single);
    }
}

#[test]
fn classify_all_is_the_same_on_one_thread_and_many() {
    let (n_loc, n_steps) = (300, 40);
    let z: Vec<f64> = (0..n_loc * n_steps)
        .map(|i| 3.0 * ((i as f64) * 0.37).sin() + ((i / n_steps) as f64 * 0.01))
        .collect();
    let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
    let opts = EmergingOptions::default();
    let many = classify_all(&z, &p, n_loc, n_steps, &opts).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| classify_all(&z, &p, n_loc, n_steps, &opts).unwrap());
    assert_eq!(many, one);
}

#[test]
fn classify_all_names_the_first_bad_location_and_step() {
    let mut z = vec![1.0; 4 * 5];
    let p = vec![0.5; 4 * 5];
    z[3 * 5 + 4] = f64::NAN;
    z[2 * 5 + 1] = f64::INFINITY;
    let err = classify_all(&z, &p, 4, 5, &EmergingOptions::default()).unwrap_err();
    assert_eq!(
        err,
        AnalysisError::Invalid("location 2, time step 1: z-score is inf, must be finite".into())
    );
}

#[test]
fn classify_all_checks_the_cube_shape() {
    let opts = EmergingOptions::default();
    let ok = vec![0.5; 12];
    assert!(matches!(
        classify_all(&ok, &ok[..11], 3, 4, &opts),
        Err(AnalysisError::Invalid(_))
    ));
    assert!(matches!(
        classify_all(&ok, &ok, 4, 4, &opts),
        Err(AnalysisError::Invalid(_))
    ));
    assert!(matches!(
        classify_all(&ok, &ok, usize::MAX, 2, &opts),
        Err(AnalysisError::Invalid(_))
    ));
    assert!(matches!(
        classify_all(&ok, &ok, 6, 2, &opts),
        Err(AnalysisError::TooFewUnits { found: 2, .. })
    ));
    assert_eq!(classify_all(&[], &[], 0, 150, &opts).unwrap(), vec![]);
}

// Labels and names.

#[test]
fn every_class_has_distinct_labels_and_snake_case_names() {
    let mut en: Vec<&str> = EmergingClass::ALL.iter().map(|c| c.label_en()).collect();
    let mut sv: Vec<&str> = EmergingClass::ALL.iter().map(|c| c.label_sv()).collect();
    en.sort();
    en.dedup();
    sv.sort();
    sv.dedup();
    assert_eq!((en.len(), sv.len()), (17, 17));
    assert_eq!(C::IntensifyingHot.label_en(), "intensifying hotspot");
    assert_eq!(C::IntensifyingHot.label_sv(), "intensifierande hotspot");

    let names = serde_json::to_string(&[C::NoPattern, C::NewHot, C::HistoricalCold]).unwrap();
    assert_eq!(names, r#"["no_pattern","new_hot","historical_cold"]"#);
    for class in EmergingClass::ALL {
        let json = serde_json::to_string(&class).unwrap();
        assert_eq!(serde_json::from_str::<EmergingClass>(&json).unwrap(), class);
    }
}

fn any_options() -> impl Strategy<Value = EmergingOptions> {
    (0.0f64..1.2, 0.0f64..1.2, 0.3f64..1.2).prop_map(|(alpha, trend_alpha, persistent_share)| {
        EmergingOptions {
            alpha,
            trend_alpha,
            persistent_share,
        }
    })
}

fn is_hot(class: EmergingClass) -> bool {
    matches!(
        class,
        C::NewHot
            | C::ConsecutiveHot
            | C::IntensifyingHot
            | C::PersistentHot
            | C::DiminishingHot
            | C::SporadicHot
            | C::OscillatingHot
    )
}

proptest! {
    #[test]
    fn classify_never_panics(
        z in prop::collection::vec(any::<f64>(), 0..30),
        p in prop::collection::vec(any::<f64>(), 0..30),
        opts in any_options(),
    ) {
        let _ = classify(&z, &p, &opts);
    }

    #[test]
    fn classify_never_panics_and_ok_results_are_finite(
        zp in prop::collection::vec(
            (
                prop_oneof![any::<f64>(), -1e300f64..1e300, -10.0f64..10.0],
                prop_oneof![any::<f64>(), 0.0f64..=1.0],
            ),
            0..40,
        ),
        opts in any_options(),
    ) {
        let (z, p): (Vec<f64>, Vec<f64>) = zp.into_iter().unzip();
        if let Ok((_, mk)) = classify(&z, &p, &opts) {
            let fields = [mk.s, mk.var_s, mk.z, mk.p, mk.tau, mk.slope, mk.intercept];
            prop_assert!(fields.iter().all(|v| v.is_finite()), "{:?}", mk);
        }
    }

    #[test]
    fn classify_on_finite_input_follows_the_final_step_and_mirrors(
        zp in prop::collection::vec((-6.0f64..6.0, 0.0f64..=1.0), 3..60),
        opts in any_options(),
    ) {
        let (z, p): (Vec<f64>, Vec<f64>) = zp.into_iter().unzip();
        let Ok((class, _)) = classify(&z, &p, &opts) else {
            // Only the options can be wrong here.
            prop_assert!(opts.validate().is_err());
            return Ok(());
        };
        let last = bin(z[z.len() - 1], p[p.len() - 1], opts.alpha);
        match last {
            Bin::Hot => prop_assert!(is_hot(class), "{:?}", class),
            Bin::Cold => prop_assert!(is_hot(mirror(class)), "{:?}", class),
            Bin::Quiet => prop_assert!(
                matches!(class, C::NoPattern | C::HistoricalHot | C::HistoricalCold),
                "{:?}", class
            ),
        }
        let (mirrored, _) = classify(&negated(&z), &p, &opts).unwrap();
        prop_assert_eq!(mirrored, mirror(class));
    }

    #[test]
    fn classify_all_equals_classify_per_location(
        n_loc in 0usize..12,
        n_steps in 3usize..20,
        seed in any::<u64>(),
    ) {
        let len = n_loc * n_steps;
        let z: Vec<f64> = (0..len)
            .map(|i| ((seed.wrapping_add(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64
                / (1u64 << 53) as f64 - 0.5) * 8.0)
            .collect();
        let p: Vec<f64> = z.iter().map(|&z| p_of(z)).collect();
        let opts = EmergingOptions::default();
        let all = classify_all(&z, &p, n_loc, n_steps, &opts).unwrap();
        prop_assert_eq!(all.len(), n_loc);
        for (l, got) in all.iter().enumerate() {
            let range = l * n_steps..(l + 1) * n_steps;
            prop_assert_eq!(*got, classify(&z[range.clone()], &p[range], &opts).unwrap());
        }
    }
}
