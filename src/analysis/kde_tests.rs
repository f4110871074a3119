//! Tests for `kde`: mass, symmetry, peak, a brute-force reference written from the
//! formulas (independently of `spread`), a geodesic cross-check of the projection, the
//! default bandwidth rule, warnings and errors.

use super::*;
use geo::{Contains, Distance, Geodesic, Point};
use std::f64::consts::PI;

/// splitmix64: deterministic test data without a dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [a, b).
    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn ll(lon: f64, lat: f64) -> Wgs84 {
    Wgs84 { lon, lat }
}

/// About 5.7 km × 6.7 km in Botkyrka.
fn extent() -> (Wgs84, Wgs84) {
    (ll(17.80, 59.18), ll(17.90, 59.24))
}

fn opts(cell_m: f64, h: f64) -> KdeOptions {
    KdeOptions {
        cell_m,
        bandwidth_m: Some(h),
    }
}

/// The quartic kernel per km², written out from Chainey et al. (2008).
fn kernel_km2(d: f64, h: f64) -> f64 {
    if d < h {
        3.0 / (PI * h * h) * (1.0 - (d / h).powi(2)).powi(2) * 1e6
    } else {
        0.0
    }
}

/// Distance in metres in the documented local projection, computed from scratch: WGS 84
/// radii of curvature at `lat0`.
fn local_distance(a: Wgs84, b: Wgs84, lat0: f64) -> f64 {
    let a_axis = 6_378_137.0_f64;
    let f = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let s = lat0.to_radians().sin();
    let n = a_axis / (1.0 - e2 * s * s).sqrt();
    let m = a_axis * (1.0 - e2) / (1.0 - e2 * s * s).powf(1.5);
    let dx = n * lat0.to_radians().cos() * (a.lon - b.lon).to_radians();
    let dy = m * (a.lat - b.lat).to_radians();
    dx.hypot(dy)
}

fn random_points(rng: &mut Rng, n: usize, lon: (f64, f64), lat: (f64, f64)) -> Vec<(Wgs84, f64)> {
    (0..n)
        .map(|_| {
            (
                ll(rng.uniform(lon.0, lon.1), rng.uniform(lat.0, lat.1)),
                rng.uniform(0.1, 3.0),
            )
        })
        .collect()
}

#[test]
fn mass_equals_total_weight_for_interior_points() {
    let mut rng = Rng(1);
    // At least 0.006° of longitude (≈ 340 m) and 0.003° of latitude (≈ 335 m) from the edges.
    let pts = random_points(&mut rng, 500, (17.806, 17.894), (59.183, 59.237));
    let total: f64 = pts.iter().map(|p| p.1).sum();
    for o in [opts(25.0, 300.0), opts(50.0, 300.0), opts(10.0, 120.0)] {
        let g = quartic_kde(&pts, extent(), &o).unwrap();
        let rel = (g.total_mass() - total).abs() / total;
        assert!(
            rel < 0.01,
            "{o:?}: mass {} vs weight {total}",
            g.total_mass()
        );
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        assert!(g.values.iter().all(|v| *v >= 0.0));
    }
}

#[test]
fn single_point_is_symmetric_with_the_kernel_peak() {
    let o = opts(20.0, 250.0);
    let empty = quartic_kde(&[], extent(), &o).unwrap();
    let (c0, r0) = (120, 150);
    let centre = empty.cell_center(c0, r0);
    let w = 2.5;
    let g = quartic_kde(&[(centre, w)], extent(), &o).unwrap();
    let peak = 3.0 / (PI * 250.0 * 250.0) * w * 1e6;
    let v = |c: usize, r: usize| g.value(c, r).unwrap();
    assert!(
        (v(c0, r0) - peak).abs() < 1e-9 * peak,
        "{} vs {peak}",
        v(c0, r0)
    );
    assert!((g.max_value() - peak).abs() < 1e-9 * peak);
    for i in 0..14 {
        for j in 0..14 {
            let a = v(c0 + i, r0 + j);
            for b in [
                v(c0 - i, r0 + j),
                v(c0 + i, r0 - j),
                v(c0 - i, r0 - j),
                v(c0 + j, r0 + i),
            ] {
                assert!((a - b).abs() < 1e-9 * peak, "({i}, {j}): {a} vs {b}");
            }
        }
    }
    // Nothing at or beyond h: 250 m is 12.5 cells.
    assert_eq!(v(c0 + 13, r0), 0.0);
    assert!(v(c0 + 12, r0) > 0.0);
}

#[test]
fn matches_brute_force_at_random_cells() {
    let mut rng = Rng(7);
    // Some points outside the extent, within and beyond the bandwidth.
    let pts = random_points(&mut rng, 300, (17.79, 17.91), (59.175, 59.245));
    for o in [opts(50.0, 400.0), opts(30.0, 150.0), opts(100.0, 90.0)] {
        let g = quartic_kde(&pts, extent(), &o).unwrap();
        let h = g.bandwidth_m;
        for _ in 0..400 {
            let c = (rng.next_u64() % g.cols as u64) as usize;
            let r = (rng.next_u64() % g.rows as u64) as usize;
            let s = g.cell_center(c, r);
            let direct: f64 = pts
                .iter()
                .map(|&(p, w)| w * kernel_km2(local_distance(s, p, g.projection_lat), h))
                .sum();
            let got = g.value(c, r).unwrap();
            assert!(
                (got - direct).abs() <= 1e-9 * direct.max(1.0),
                "{o:?} cell ({c}, {r}): {got} vs {direct}"
            );
        }
    }
}

#[test]
fn projection_agrees_with_geodesic_distances() {
    // The same surface computed with ellipsoidal geodesic distances differs by well under
    // 1 % of the peak over a 6 km area (the module documents ≈ 0.26 % per 10 km).
    let mut rng = Rng(11);
    let pts = random_points(&mut rng, 200, (17.80, 17.90), (59.18, 59.24));
    let g = quartic_kde(&pts, extent(), &opts(50.0, 400.0)).unwrap();
    let peak = g.max_value();
    for _ in 0..200 {
        let c = (rng.next_u64() % g.cols as u64) as usize;
        let r = (rng.next_u64() % g.rows as u64) as usize;
        let s = g.cell_center(c, r);
        let geodesic: f64 = pts
            .iter()
            .map(|&(p, w)| {
                let d = Geodesic.distance(Point::new(s.lon, s.lat), Point::new(p.lon, p.lat));
                w * kernel_km2(d, 400.0)
            })
            .sum();
        let got = g.value(c, r).unwrap();
        assert!((got - geodesic).abs() < 0.005 * peak, "{got} vs {geodesic}");
    }
}

/// `n` points evenly on a circle of `radius` metres about (17.85, 59.21), in the local
/// projection of the extent ±0.1° about the same centre.
fn circle(n: usize, radius: f64) -> (Vec<(Wgs84, f64)>, (Wgs84, Wgs84)) {
    let lat0: f64 = 59.21;
    let a_axis = 6_378_137.0_f64;
    let e2 = 0.006_694_379_990_141_317;
    let s = lat0.to_radians().sin();
    let n_r = a_axis / (1.0 - e2 * s * s).sqrt();
    let m_r = a_axis * (1.0 - e2) / (1.0 - e2 * s * s).powf(1.5);
    let pts = (0..n)
        .map(|i| {
            let t = 2.0 * PI * i as f64 / n as f64;
            let lon = 17.85 + (radius * t.cos() / (n_r * lat0.to_radians().cos())).to_degrees();
            let lat = lat0 + (radius * t.sin() / m_r).to_degrees();
            (ll(lon, lat), 1.0)
        })
        .collect();
    (pts, (ll(17.75, 59.11), ll(17.95, 59.31)))
}

#[test]
fn default_bandwidth_rule() {
    // On a circle SD = Dm = R, so h = 0.9 · R · n^-0.2; with n = 32, n^-0.2 = 1/2.
    let (pts, ext) = circle(32, 2000.0);
    let g = quartic_kde(&pts, ext, &KdeOptions::default()).unwrap();
    assert!((g.bandwidth_m - 900.0).abs() < 1e-6, "{}", g.bandwidth_m);
    assert_eq!(
        g.bandwidth_rule,
        "ArcGIS spatial Silverman rule: 0.9 × min(SD 2000 m, √(1/ln 2) × Dm 2402 m) × n^-0.2 \
         with n = 32 → 900 m"
    );
    // Weights do not change the bandwidth.
    let heavy: Vec<_> = pts
        .iter()
        .enumerate()
        .map(|(i, &(p, _))| (p, 1.0 + i as f64))
        .collect();
    assert_eq!(
        quartic_kde(&heavy, ext, &KdeOptions::default())
            .unwrap()
            .bandwidth_m,
        g.bandwidth_m
    );
    // Clamped at both ends.
    let (small, ext) = circle(32, 100.0);
    let g = quartic_kde(&small, ext, &KdeOptions::default()).unwrap();
    assert_eq!(g.bandwidth_m, MIN_DEFAULT_BANDWIDTH_M);
    assert!(
        g.bandwidth_rule
            .ends_with("→ 45 m, raised to the minimum 100 m"),
        "{}",
        g.bandwidth_rule
    );
    let (large, ext) = circle(32, 5000.0);
    let g = quartic_kde(&large, ext, &KdeOptions::default()).unwrap();
    assert_eq!(g.bandwidth_m, MAX_DEFAULT_BANDWIDTH_M);
    assert!(
        g.bandwidth_rule.ends_with("lowered to the maximum 1000 m"),
        "{}",
        g.bandwidth_rule
    );
    // Median distance rule wins when most points are close and a few far away.
    let mut clustered: Vec<_> = (0..99)
        .map(|i| (ll(17.85 + 1e-5 * i as f64, 59.21), 1.0))
        .collect();
    clustered.push((ll(17.95, 59.30), 1.0));
    let g = quartic_kde(&clustered, extent(), &KdeOptions::default()).unwrap();
    assert_eq!(g.bandwidth_m, MIN_DEFAULT_BANDWIDTH_M);
}

#[test]
fn undefined_rule_and_empty_input_warn() {
    let g = quartic_kde(&[(ll(17.85, 59.21), 1.0)], extent(), &KdeOptions::default()).unwrap();
    assert_eq!(g.bandwidth_m, 100.0);
    assert!(
        g.warnings[0].contains("undefined for 1 point"),
        "{:?}",
        g.warnings
    );
    let same = vec![(ll(17.85, 59.21), 1.0); 5];
    let g = quartic_kde(&same, extent(), &KdeOptions::default()).unwrap();
    assert!(
        g.warnings[0].contains("median distance of 0 m"),
        "{:?}",
        g.warnings
    );
    // Zero weights are ignored.
    let g = quartic_kde(&[(ll(17.85, 59.21), 0.0)], extent(), &KdeOptions::default()).unwrap();
    assert!(g.values.iter().all(|&v| v == 0.0));
    assert!(
        g.warnings
            .iter()
            .any(|w| w.contains("no incidents with a positive weight"))
    );
}

#[test]
fn bandwidth_below_cell_size_warns() {
    let g = quartic_kde(&[(ll(17.85, 59.21), 1.0)], extent(), &opts(100.0, 60.0)).unwrap();
    assert_eq!(g.warnings.len(), 1);
    assert!(g.warnings[0].contains("the bandwidth (60 m) is smaller than the cell size (100 m)"));
}

#[test]
fn tall_extent_warns_about_projection_error() {
    let g = quartic_kde(&[], (ll(17.0, 59.0), ll(17.5, 60.0)), &opts(500.0, 1000.0)).unwrap();
    assert!(
        g.warnings.iter().any(|w| w.contains("off by up to 1.5 %")),
        "{:?}",
        g.warnings
    );
}

#[test]
fn errors_name_the_problem() {
    let e = |pts: &[(Wgs84, f64)], ext: (Wgs84, Wgs84), o: KdeOptions| match quartic_kde(
        pts, ext, &o,
    ) {
        Ok(g) => panic!("expected an error, got a {} × {} grid", g.cols, g.rows),
        Err(e) => e.to_string(),
    };
    let p = ll(17.85, 59.21);
    let o = KdeOptions::default();
    assert_eq!(
        e(&[(p, 1.0), (p, -1.0)], extent(), o),
        "point 1 has weight -1; weights must be finite and >= 0"
    );
    assert!(e(&[(p, f64::NAN)], extent(), o).contains("point 0 has weight NaN"));
    assert!(e(&[(p, f64::INFINITY)], extent(), o).contains("weight inf"));
    assert!(e(&[(ll(f64::NAN, 59.0), 1.0)], extent(), o).contains("non-finite position"));
    assert!(e(&[], (p, p), o).starts_with("the extent is empty"));
    assert!(e(&[], (extent().1, extent().0), o).starts_with("the extent is empty"));
    assert!(e(&[], (ll(17.0, f64::NAN), p), o).contains("not a pair of WGS 84"));
    assert!(e(&[], (ll(17.0, 88.0), ll(18.0, 89.0)), o).contains("pole"));
    assert!(e(&[], extent(), opts(0.0, 100.0)).contains("cell size must be a positive"));
    assert!(e(&[], extent(), opts(f64::NAN, 100.0)).contains("cell size must be a positive"));
    assert!(e(&[], extent(), opts(50.0, -3.0)).contains("bandwidth must be a positive"));
    // About 115 × 111 km at 50 m is over 5 million cells.
    let big = (ll(17.0, 59.0), ll(19.0, 60.0));
    let msg = e(&[], big, opts(50.0, 500.0));
    assert!(
        msg.contains("more than the limit of 4000000; use a cell of at least 60 m"),
        "{msg}"
    );
    assert!(quartic_kde(&[], big, &opts(60.0, 500.0)).is_ok());
    // Too much work: 70 000 points with a 5 km bandwidth at 10 m cells.
    let many = vec![(p, 1.0); 70_000];
    let msg = e(&many, extent(), opts(10.0, 5000.0));
    assert!(
        msg.contains("kernel evaluations") && msg.contains("use a cell of at least"),
        "{msg}"
    );
}

#[test]
fn points_outside_the_extent_reach_in() {
    // 150 m west of the extent, h = 300 m: the western columns get part of the kernel.
    let west = ll(17.80 - 150.0 / 56_900.0, 59.21);
    let g = quartic_kde(&[(west, 1.0)], extent(), &opts(25.0, 300.0)).unwrap();
    let mass = g.total_mass();
    assert!(mass > 0.05 && mass < 0.5, "{mass}");
    assert!(g.value(0, g.rows / 2).unwrap() > 0.0);
    // Far away: nothing.
    let far = quartic_kde(&[(ll(18.5, 59.21), 1.0)], extent(), &opts(25.0, 300.0)).unwrap();
    assert_eq!(far.max_value(), 0.0);
}

#[test]
fn input_order_does_not_matter() {
    let mut rng = Rng(3);
    let pts = random_points(&mut rng, 400, (17.80, 17.90), (59.18, 59.24));
    let mut rev = pts.clone();
    rev.reverse();
    let a = quartic_kde(&pts, extent(), &KdeOptions::default()).unwrap();
    let b = quartic_kde(&rev, extent(), &KdeOptions::default()).unwrap();
    assert_eq!(a.bandwidth_m, b.bandwidth_m);
    let peak = a.max_value();
    for (x, y) in a.values.iter().zip(&b.values) {
        assert!((x - y).abs() <= 1e-12 * peak);
    }
}

#[test]
fn grid_geometry() {
    let g = quartic_kde(&[], extent(), &opts(50.0, 300.0)).unwrap();
    // ≈ 5.70 km × 6.68 km.
    assert_eq!((g.cols, g.rows), (115, 134));
    assert_eq!(g.values.len(), g.cols * g.rows);
    assert_eq!(g.origin_lon_lat, (17.80, 59.18));
    let poly = g.cell_polygon(0, 0);
    let ring: Vec<_> = poly.exterior().points().collect();
    assert_eq!(ring[0], Point::new(17.80, 59.18));
    assert_eq!(ring.first(), ring.last());
    // Counter-clockwise: east along the bottom first.
    assert!(ring[1].x() > ring[0].x() && ring[1].y() == ring[0].y());
    let c = g.cell_center(0, 0);
    assert!(poly.contains(&Point::new(c.lon, c.lat)));
    // Neighbours share an edge.
    let right = g.cell_polygon(1, 0);
    assert_eq!(right.exterior().0[0], poly.exterior().0[1]);
    // Sides are 50 m on the ground, within the projection's error.
    let side = Geodesic.distance(ring[0], ring[1]);
    assert!((side - 50.0).abs() < 0.05, "{side}");
    let up = Geodesic.distance(ring[1], ring[2]);
    assert!((up - 50.0).abs() < 0.05, "{up}");
    assert_eq!(g.value(g.cols, 0), None);
    assert_eq!(g.index(3, 2), 2 * g.cols + 3);
    assert!((g.cell_area_km2() - 0.0025).abs() < 1e-15);
    // North-east corner is inside the last cell.
    let last = g.cell_polygon(g.cols - 1, g.rows - 1);
    assert!(last.contains(&Point::new(17.8999, 59.2399)));
}
