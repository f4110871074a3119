use super::*;
use crate::analysis::weights::tests::{f64s, fixture};

fn burkitt() -> (serde_json::Value, Vec<KnoxPoint>) {
    let fx = fixture("knox_burkitt.json");
    let (x, y, t) = (f64s(&fx["x"]), f64s(&fx["y"]), f64s(&fx["t"]));
    let pts = (0..x.len())
        .map(|i| KnoxPoint {
            x: x[i],
            y: y[i],
            t: t[i],
        })
        .collect();
    (fx, pts)
}

fn burkitt_opts(fx: &serde_json::Value) -> KnoxOptions {
    KnoxOptions {
        distance_bands: f64s(&fx["distance_bands"]),
        time_bands: f64s(&fx["time_bands"]),
        permutations: 999,
        seed: 7,
        alpha: 0.05,
    }
}

fn matrix(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(f64s).collect()
}

#[test]
fn burkitt_pair_counts_equal_numpy_and_pointpats_exactly() {
    let (fx, pts) = burkitt();
    let t = knox(&pts, &burkitt_opts(&fx)).unwrap();
    let observed = matrix(&fx["observed"]);
    assert_eq!(t.cells.len(), observed.len());
    for (r, row) in observed.iter().enumerate() {
        for (c, want) in row.iter().enumerate() {
            assert_eq!(t.cells[r][c].observed as f64, *want, "cell ({r}, {c})");
        }
    }
    assert_eq!(t.pairs as f64, fx["pairs"].as_f64().unwrap());
    // pointpats' Knox count for d <= delta, t <= tau = the table summed up to that cell.
    let cum = matrix(&fx["pointpats_cumulative"]);
    for (i, row) in cum.iter().enumerate() {
        for (k, want) in row.iter().enumerate() {
            let sum: u64 = (0..=i + 1)
                .map(|r| (0..=k).map(|c| t.cells[r][c].observed).sum::<u64>())
                .sum();
            assert_eq!(sum as f64, *want, "delta index {i}, tau index {k}");
        }
    }
}

#[test]
fn burkitt_expected_and_p_within_monte_carlo_noise() {
    let (fx, pts) = burkitt();
    let t = knox(&pts, &burkitt_opts(&fx)).unwrap();
    let exact = matrix(&fx["exact_expected"]);
    let mc_p = matrix(&fx["mc_p"]);
    let perms = 999.0;
    for (r, row) in exact.iter().enumerate() {
        for (c, e) in row.iter().enumerate() {
            let cell = t.cells[r][c];
            // The mean of 999 permuted counts: standard error at most sqrt(e / P).
            let tol = 5.0 * (e / perms).sqrt() + 1e-9;
            assert!(
                (cell.expected - e).abs() <= tol,
                "expected ({r}, {c}): {} vs exact {e}",
                cell.expected
            );
            // Two independent Monte Carlo p-values: SE of the difference sqrt(2p(1-p)/P).
            let p = mc_p[r][c];
            let tol = 4.5 * (2.0 * p * (1.0 - p) / perms).sqrt() + 0.003;
            assert!(
                (cell.p - p).abs() <= tol,
                "p ({r}, {c}): {} vs numpy {p}",
                cell.p
            );
        }
    }
}

#[test]
fn same_seed_same_table_other_seed_other_p() {
    let (fx, pts) = burkitt();
    let mut o = burkitt_opts(&fx);
    o.permutations = 99;
    let a = knox(&pts, &o).unwrap();
    assert_eq!(a, knox(&pts, &o).unwrap());
    o.seed = 8;
    let b = knox(&pts, &o).unwrap();
    assert_ne!(
        a.cells.iter().flatten().map(|c| c.p).collect::<Vec<_>>(),
        b.cells.iter().flatten().map(|c| c.p).collect::<Vec<_>>()
    );
    // Input order does not change the counts.
    let mut rev = pts.clone();
    rev.reverse();
    let c = knox(&rev, &burkitt_opts(&fx)).unwrap();
    let d = knox(&pts, &burkitt_opts(&fx)).unwrap();
    for (x, y) in c.cells.iter().flatten().zip(d.cells.iter().flatten()) {
        assert_eq!(x.observed, y.observed);
    }
}

#[test]
fn edges_are_closed_on_the_right() {
    // Pairs at exactly 200 m and 7 days fall in the first bands; 200.001 m and 7.01 d do not.
    let mut pts = vec![
        KnoxPoint {
            x: 0.0,
            y: 0.0,
            t: 0.0,
        },
        KnoxPoint {
            x: 200.0,
            y: 0.0,
            t: 7.0,
        },
    ];
    pts.extend((0..10).map(|i| KnoxPoint {
        x: 1.0e6 + 1.0e5 * f64::from(i),
        y: 0.0,
        t: 1000.0 + f64::from(i),
    }));
    let opts = KnoxOptions {
        distance_bands: vec![200.0, 400.0],
        time_bands: vec![7.0, 14.0],
        permutations: 19,
        ..KnoxOptions::default()
    };
    let t = knox(&pts, &opts).unwrap();
    assert_eq!(t.cells[1][0].observed, 1);
    pts[1] = KnoxPoint {
        x: 200.001,
        y: 0.0,
        t: 7.01,
    };
    let t = knox(&pts, &opts).unwrap();
    assert_eq!(t.cells[2][1].observed, 1);
    assert_eq!(t.distance_bands[1].label, "(0 – 200] m");
    assert_eq!(t.time_bands[0].label, "[0 – 7] d");
    assert_eq!(t.time_bands[2].label, "> 14 d");
    // Every pair is somewhere in the table.
    let total: u64 = t.cells.iter().flatten().map(|c| c.observed).sum();
    assert_eq!(total, t.pairs);
}

/// A planted near-repeat pattern: 40 pairs of incidents 50 m and 2 days apart, among 200
/// background incidents spread over 30 km × 30 km and a year.
fn planted() -> Vec<KnoxPoint> {
    let mut pts = Vec::new();
    let mut s: u64 = 12345;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..200 {
        pts.push(KnoxPoint {
            x: next() * 30_000.0,
            y: next() * 30_000.0,
            t: next() * 365.0,
        });
    }
    for i in 0..40 {
        let p = pts[i];
        pts.push(KnoxPoint {
            x: p.x + 50.0,
            y: p.y,
            t: p.t + 2.0,
        });
    }
    pts
}

#[test]
fn planted_pattern_gives_the_sentence() {
    let t = knox(&planted(), &KnoxOptions::default()).unwrap();
    assert!(t.cells[1][0].raised, "{:?}", t.cells[1][0]);
    let e = extent(&t).unwrap();
    assert_eq!(e.metres, Some(200.0));
    assert_eq!(e.days, 7.0);
    let (en, sv) = sentence(&t, "a burglary", "ett inbrott");
    assert!(
        en.starts_with("After a burglary, the risk of another within 200 m is raised for 7 days"),
        "{en}"
    );
    assert!(
        sv.starts_with("Efter ett inbrott är risken för ett nytt inom 200 m förhöjd i 7 dagar"),
        "{sv}"
    );
}

#[test]
fn no_pattern_says_so() {
    let pts: Vec<KnoxPoint> = planted().into_iter().take(200).collect();
    let t = knox(&pts, &KnoxOptions::default()).unwrap();
    if extent(&t).is_none() {
        let (en, sv) = sentence(&t, "an incident", "en händelse");
        assert!(en.starts_with("No near-repeat pattern"), "{en}");
        assert!(sv.starts_with("Inget near repeat-mönster"), "{sv}");
    }
    // Without interaction, few cells are significant (about alpha of them by chance).
    let raised = t.cells.iter().flatten().filter(|c| c.raised).count();
    assert!(
        raised <= 6,
        "{raised} raised cells of {}",
        t.cells.len() * t.cells[0].len()
    );
}

#[test]
fn bad_options_name_the_parameter() {
    let pts = planted();
    let check = |o: KnoxOptions, want: &str| {
        let e = knox(&pts, &o).unwrap_err().to_string();
        assert!(e.contains(want), "{e} should mention {want}");
    };
    let d = KnoxOptions::default;
    check(
        KnoxOptions {
            distance_bands: vec![200.0, 100.0],
            ..d()
        },
        "distance_bands: the band edges must be increasing",
    );
    check(
        KnoxOptions {
            time_bands: vec![7.0, 7.0],
            ..d()
        },
        "time_bands: the band edges must be increasing",
    );
    check(
        KnoxOptions {
            time_bands: (1..=21).map(f64::from).collect(),
            ..d()
        },
        "time_bands: 21 bands is more than 20",
    );
    check(
        KnoxOptions {
            distance_bands: vec![],
            ..d()
        },
        "distance_bands: give at least one",
    );
    check(
        KnoxOptions {
            distance_bands: vec![-5.0],
            ..d()
        },
        "distance_bands: -5 is not a positive",
    );
    check(
        KnoxOptions {
            distance_bands: vec![f64::NAN],
            ..d()
        },
        "distance_bands: NaN",
    );
    check(
        KnoxOptions {
            permutations: 18,
            ..d()
        },
        "permutations: 18 is outside 19..=9999",
    );
    check(
        KnoxOptions {
            permutations: 10_000,
            ..d()
        },
        "permutations: 10000 is outside",
    );
    check(KnoxOptions { alpha: 1.0, ..d() }, "alpha");
}

#[test]
fn too_few_incidents_and_non_finite_points_are_refused() {
    let pts: Vec<KnoxPoint> = planted().into_iter().take(9).collect();
    let e = knox(&pts, &KnoxOptions::default()).unwrap_err().to_string();
    assert!(e.contains("at least 10 incidents, and there are 9"), "{e}");
    let mut pts: Vec<KnoxPoint> = planted().into_iter().take(12).collect();
    pts[3].t = f64::INFINITY;
    let e = knox(&pts, &KnoxOptions::default()).unwrap_err().to_string();
    assert!(e.contains("point 3"), "{e}");
}

#[test]
fn too_many_near_pairs_is_refused_not_computed() {
    // 4,500 incidents on one spot: 10,122,750 pairs within the largest band.
    let pts = vec![
        KnoxPoint {
            x: 0.0,
            y: 0.0,
            t: 1.0
        };
        4500
    ];
    let e = knox(&pts, &KnoxOptions::default()).unwrap_err().to_string();
    assert!(e.contains("choose a smaller largest distance band"), "{e}");
}
