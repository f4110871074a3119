use super::*;
use geo::{LineString, Polygon, Rect, coord};
use h3o::{LatLng, Resolution};
use proptest::prelude::*;
use serde_json::Value;

/// Reads a JSON fixture from `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub(crate) fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub(crate) fn lists(v: &Value) -> Vec<Vec<usize>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|j| j.as_u64().unwrap() as usize)
                .collect()
        })
        .collect()
}

fn ring(v: &Value) -> LineString<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let c = f64s(c);
            coord! { x: c[0], y: c[1] }
        })
        .collect()
}

fn polygon(v: &Value) -> Polygon<f64> {
    let rings = v.as_array().unwrap();
    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

/// libpysal's `columbus` polygons (feature order) from `columbus.geojson`.
pub(crate) fn columbus_areas() -> Vec<MultiPolygon<f64>> {
    let fc = fixture("columbus.geojson");
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let g = &f["geometry"];
            match g["type"].as_str().unwrap() {
                "Polygon" => MultiPolygon::new(vec![polygon(&g["coordinates"])]),
                "MultiPolygon" => g["coordinates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(polygon)
                    .collect(),
                other => panic!("unexpected geometry {other}"),
            }
        })
        .collect()
}

fn rows(w: &Weights) -> Vec<Vec<usize>> {
    (0..w.n())
        .map(|i| w.row(i).0.iter().map(|&j| j as usize).collect())
        .collect()
}

fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
    Rect::new(coord! { x: x, y: y }, coord! { x: x + size, y: y + size })
        .to_polygon()
        .into()
}

fn is_symmetric(w: &Weights) -> bool {
    (0..w.n()).all(|i| {
        w.row(i)
            .0
            .iter()
            .all(|&j| w.row(j as usize).0.binary_search(&(i as u32)).is_ok())
    })
}

#[test]
fn lists_become_sorted_rows_without_self() {
    let w = Weights::from_lists(vec![
        vec![(2, 1.0), (0, 5.0), (1, 2.0), (1, 9.0)],
        vec![(0, 1.0)],
        vec![],
    ]);
    assert_eq!(w.n(), 3);
    assert_eq!(w.row(0), (&[1u32, 2][..], &[2.0, 1.0][..]));
    assert_eq!(w.islands(), vec![2]);
    assert_eq!(w.nnz(), 3);
    let r = w.row_standardised();
    assert_eq!(r.row(0).1, &[2.0 / 3.0, 1.0 / 3.0]);
}

#[test]
fn distance_band_matches_libpysal_on_the_small_vector() {
    let fx = fixture("gistar_esda_small.json");
    let points: Vec<(f64, f64)> = fx["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let w = Weights::distance_band(&points, fx["threshold"].as_f64().unwrap());
    // (15,20)-(30,20) is exactly 15 apart: the band is inclusive.
    assert_eq!(rows(&w), lists(&fx["neighbours"]));
    assert!(w.values.iter().all(|&v| v == 1.0));
}

#[test]
fn distance_band_edge_cases() {
    let pts = [(0.0, 0.0), (0.0, 0.0), (f64::NAN, 0.0), (1.0, 0.0)];
    let w = Weights::distance_band(&pts, 0.5);
    assert_eq!(rows(&w), vec![vec![1], vec![0], vec![], vec![]]);
    assert_eq!(Weights::distance_band(&pts, -1.0).nnz(), 0);
    assert_eq!(Weights::distance_band(&pts, f64::NAN).nnz(), 0);
    assert_eq!(Weights::distance_band(&[], 1.0).n(), 0);
}

#[test]
fn queen_matches_libpysal_on_columbus() {
    let fx = fixture("gistar_esda_columbus.json");
    let w = Weights::queen(&columbus_areas());
    assert_eq!(rows(&w), lists(&fx["neighbours"]));
}

#[test]
fn queen_joins_corners_t_junctions_and_enclaves() {
    let hole = LineString::from(vec![
        (1.0, 1.0),
        (2.0, 1.0),
        (2.0, 2.0),
        (1.0, 2.0),
        (1.0, 1.0),
    ]);
    let outer = LineString::from(vec![
        (0.0, 0.0),
        (3.0, 0.0),
        (3.0, 3.0),
        (0.0, 3.0),
        (0.0, 0.0),
    ]);
    let areas = vec![
        // 0: a square with a hole, 1: the enclave filling the hole.
        MultiPolygon::new(vec![Polygon::new(outer, vec![hole])]),
        square(1.0, 1.0, 1.0),
        // 2: touches 0's right edge in its middle only (a T-junction, no shared vertex).
        square(3.0, 1.0, 1.0),
        // 3: touches 0 only at the corner (3, 3).
        square(3.0, 3.0, 1.0),
        // 4: a hair's breadth (1e-6) away from 0: not a neighbour.
        square(-1.0 - 1e-6, 0.0, 1.0),
        // 5: empty.
        MultiPolygon::new(vec![]),
    ];
    let w = Weights::queen(&areas);
    assert_eq!(
        rows(&w),
        vec![vec![1, 2, 3], vec![0], vec![0], vec![0], vec![], vec![]]
    );
    assert!(is_symmetric(&w));
}

#[test]
fn queen_tolerates_rounding_at_large_coordinates() {
    // SWEREF 99 TM-like magnitudes; the shared edge of the second square is off by 1e-4 m.
    let (x, y) = (674_000.0, 6_570_000.0);
    let a = square(x, y, 100.0);
    let b: MultiPolygon<f64> = Polygon::new(
        LineString::from(vec![
            (x + 100.0 + 1e-4, y),
            (x + 200.0, y),
            (x + 200.0, y + 100.0),
            (x + 100.0, y + 100.0),
            (x + 100.0 + 1e-4, y),
        ]),
        vec![],
    )
    .into();
    let far = square(x + 100.0 + 1.0, y + 200.0, 1.0);
    let w = Weights::queen(&[a, b, far]);
    assert_eq!(rows(&w), vec![vec![1], vec![0], vec![]]);
}

fn botkyrka_cell() -> CellIndex {
    LatLng::new(59.2, 17.83).unwrap().to_cell(Resolution::Nine)
}

#[test]
fn h3_disk_matches_brute_force_grid_distance() {
    let cells: Vec<CellIndex> = botkyrka_cell().grid_disk(6);
    // Leave a gap so some units sit at the edge of the study area.
    let cells: Vec<CellIndex> = cells
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 7 != 3)
        .map(|(_, c)| c)
        .collect();
    for k in 0..=3 {
        let w = Weights::h3_disk(&cells, k);
        let expected: Vec<Vec<usize>> = cells
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (0..cells.len())
                    .filter(|&j| j != i && a.grid_distance(cells[j]).unwrap() <= k as i32)
                    .collect()
            })
            .collect();
        assert_eq!(rows(&w), expected, "k = {k}");
        assert!(is_symmetric(&w));
    }
}

#[test]
fn h3_disk_handles_pentagons_duplicates_and_strangers() {
    let pentagon = CellIndex::base_cells()
        .find(|b| b.is_pentagon())
        .map(|b| b.children(Resolution::Seven).next().unwrap())
        .unwrap();
    assert!(pentagon.is_pentagon());
    let mut cells: Vec<CellIndex> = pentagon.grid_disk_safe(2).collect();
    assert_eq!(cells.len(), 16); // 1 + 5 + 10
    let w = Weights::h3_disk(&cells, 1);
    assert_eq!(w.row(0).0.len(), 5);
    assert!(is_symmetric(&w));

    // A second copy of a cell gets the same neighbours and is not its own neighbour; a
    // cell of another resolution is nobody's neighbour.
    cells.push(cells[0]);
    cells.push(botkyrka_cell());
    let w = Weights::h3_disk(&cells, 1);
    let last = cells.len() - 1;
    assert_eq!(w.row(last - 1).0, w.row(0).0);
    assert!(w.row(1).0.contains(&((last - 1) as u32)));
    assert_eq!(w.islands(), vec![last]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn distance_band_matches_brute_force(
        pts in prop::collection::vec((0i32..40, 0i32..40), 0..60),
        t in 0.0f64..12.0,
    ) {
        let pts: Vec<(f64, f64)> = pts.into_iter().map(|(x, y)| (x as f64, y as f64)).collect();
        let w = Weights::distance_band(&pts, t);
        let expected: Vec<Vec<usize>> = pts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (0..pts.len())
                    .filter(|&j| {
                        let (dx, dy) = (a.0 - pts[j].0, a.1 - pts[j].1);
                        j != i && dx * dx + dy * dy <= t * t
                    })
                    .collect()
            })
            .collect();
        prop_assert_eq!(rows(&w), expected);
    }

    #[test]
    fn queen_on_a_grid_of_squares_is_the_king_graph(nx in 1usize..6, ny in 1usize..6) {
        let areas: Vec<_> = (0..nx * ny)
            .map(|k| square((k % nx) as f64, (k / nx) as f64, 1.0))
            .collect();
        let w = Weights::queen(&areas);
        for k in 0..nx * ny {
            let (x, y) = ((k % nx) as i64, (k / nx) as i64);
            let expected: Vec<u32> = (0..nx * ny)
                .filter(|&m| {
                    let (u, v) = ((m % nx) as i64, (m / nx) as i64);
                    m != k && (u - x).abs() <= 1 && (v - y).abs() <= 1
                })
                .map(|m| m as u32)
                .collect();
            prop_assert_eq!(w.row(k).0, &expected[..]);
        }
    }
}
