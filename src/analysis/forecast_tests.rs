use super::*;

#[test]
fn top_selection_splits_ties_evenly() {
    assert_eq!(top_selection(&[1.0, 3.0, 2.0], 2), vec![0.0, 1.0, 1.0]);
    let w = top_selection(&[0.0; 4], 1);
    assert!(w.iter().all(|x| (x - 0.25).abs() < 1e-15));
    assert!(
        (top_selection(&[2.0, 1.0, 1.0, 1.0, 1.0], 3)
            .iter()
            .sum::<f64>()
            - 3.0)
            .abs()
            < 1e-12
    );
    assert_eq!(top_selection(&[1.0, 2.0], 0), vec![0.0, 0.0]);
    assert_eq!(top_selection(&[1.0, 2.0], 5), vec![1.0, 1.0]);
    assert_eq!(cells_at(0.01, 50), 1);
    assert_eq!(cells_at(0.05, 1850), 93);
    assert_eq!(cells_at(0.10, 0), 1);
}

/// Two weeks worked by hand; five cells of equal area, two selected (40 %).
///
/// Week 1: scores [4, 3, 2, 1, 0] select cells 0 and 1. Actual [2, 0, 1, 5, 2] (N = 10):
/// n = 2; the best two cells hold n* = 5 + 2 = 7. Previous week [1, 1, 0, 0, 2] (N₀ = 4):
/// n₀ = 2.
///   hit rate 2/10 = 0.2; PAI = 0.2 / 0.4 = 0.5; PEI = 2/7; RRI = (2/2) / (10/4) = 0.4.
///
/// Week 2: scores [0, 0, 1, 1, 1]: three cells tie for two places, 2/3 each. Actual
/// [0, 3, 3, 0, 0] (N = 6): n = 2/3 · 3 = 2, n* = 6. Previous [0, 0, 3, 3, 0] (N₀ = 6):
/// n₀ = 2/3 · (3 + 3) = 4.
///
/// Pooled: n = 4, N = 16, n* = 13, n₀ = 6, N₀ = 10, mean area share 0.4:
///   hit rate 0.25; PAI 0.625; PEI 4/13; RRI = (4/6) / (16/10) = 5/12.
#[test]
fn hit_rate_pai_pei_rri_by_hand() {
    let areas = [1.0; 5];
    let mut week1 = HitSums::default();
    add_week(
        &mut week1,
        &[4.0, 3.0, 2.0, 1.0, 0.0],
        &[2.0, 0.0, 1.0, 5.0, 2.0],
        &[1.0, 1.0, 0.0, 0.0, 2.0],
        &areas,
        2,
    );
    let s = week1.scores();
    assert!((s.hit_rate.unwrap() - 0.2).abs() < 1e-12);
    assert!((s.pai.unwrap() - 0.5).abs() < 1e-12);
    assert!((s.pei.unwrap() - 2.0 / 7.0).abs() < 1e-12);
    assert!((s.rri.unwrap() - 0.4).abs() < 1e-12);
    let mut pooled = week1;
    add_week(
        &mut pooled,
        &[0.0, 0.0, 1.0, 1.0, 1.0],
        &[0.0, 3.0, 3.0, 0.0, 0.0],
        &[0.0, 0.0, 3.0, 3.0, 0.0],
        &areas,
        2,
    );
    let s = pooled.scores();
    assert!((s.hit_rate.unwrap() - 0.25).abs() < 1e-12);
    assert!((s.pai.unwrap() - 0.625).abs() < 1e-12);
    assert!((s.pei.unwrap() - 4.0 / 13.0).abs() < 1e-12);
    assert!((s.rri.unwrap() - 5.0 / 12.0).abs() < 1e-12);
}

#[test]
fn pai_uses_the_cells_areas_and_empty_weeks_give_none() {
    // Cell 0 is half the study area: catching all incidents there is a PAI of 2.
    let mut s = HitSums::default();
    add_week(
        &mut s,
        &[1.0, 0.0, 0.0],
        &[4.0, 0.0, 0.0],
        &[0.0, 0.0, 0.0],
        &[2.0, 1.0, 1.0],
        1,
    );
    let sc = s.scores();
    assert!((sc.pai.unwrap() - 2.0).abs() < 1e-12);
    assert_eq!(sc.pei, Some(1.0));
    assert_eq!(sc.rri, None, "no incidents the week before");
    let mut e = HitSums::default();
    add_week(
        &mut e,
        &[1.0, 0.0],
        &[0.0, 0.0],
        &[0.0, 0.0],
        &[1.0, 1.0],
        1,
    );
    assert_eq!(
        e.scores(),
        Scores {
            hit_rate: None,
            pai: None,
            pei: None,
            rri: None
        }
    );
}

#[test]
fn bad_options_are_named() {
    for (o, name) in [
        (
            ForecastOptions {
                half_life_weeks: 0.0,
                ..ForecastOptions::default()
            },
            "half_life_weeks",
        ),
        (
            ForecastOptions {
                near_repeat_m: -1.0,
                ..ForecastOptions::default()
            },
            "near_repeat_m",
        ),
        (
            ForecastOptions {
                kde_weeks: 0,
                ..ForecastOptions::default()
            },
            "kde_weeks",
        ),
        (
            ForecastOptions {
                kde_cell_m: f64::NAN,
                ..ForecastOptions::default()
            },
            "kde_cell_m",
        ),
        (
            ForecastOptions {
                backtest_weeks: 1000,
                ..ForecastOptions::default()
            },
            "backtest_weeks",
        ),
    ] {
        assert!(check_options(&o).unwrap_err().to_string().starts_with(name));
    }
}

#[test]
fn the_boost_falls_with_rings_and_weeks() {
    // Three cells in a row; an incident in cell 0 two weeks ago and one in cell 2 last week.
    let neighbours = vec![
        vec![(0, 1.0), (1, 0.5)],
        vec![(0, 0.5), (1, 1.0), (2, 0.5)],
        vec![(1, 0.5), (2, 1.0)],
    ];
    let cube = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0];
    let b = near_repeat_boost(&cube, 3, 2, 8, &neighbours);
    // Cell 0: 1 · 1 · 1/2. Cell 1: 0.5 · 1/2 + 0.5 · 1. Cell 2: 1 · 1.
    assert_eq!(b, vec![0.5, 0.75, 1.0]);
    // With T = 1 only last week counts.
    assert_eq!(
        near_repeat_boost(&cube, 3, 2, 1, &neighbours),
        vec![0.0, 0.5, 1.0]
    );
}
