use super::*;
use crate::model::Area;
use geo::{LineString, MultiPolygon, Polygon};
use proptest::prelude::*;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn stored(
    key: i64,
    layer_key: i64,
    layer: &str,
    id: &str,
    geometry: MultiPolygon<f64>,
) -> StoredArea {
    StoredArea {
        key,
        layer_key,
        area: Area {
            layer: layer.into(),
            id: id.into(),
            name: id.into(),
            geometry,
            population: None,
            parent: None,
        },
    }
}

/// Two districts sharing the edge lon = 17.5, and one region covering both.
fn town() -> Vec<StoredArea> {
    vec![
        stored(1, 10, "districts", "west", rect(17.0, 59.0, 17.5, 59.5)),
        stored(2, 10, "districts", "east", rect(17.5, 59.0, 18.0, 59.5)),
        stored(3, 20, "regions", "all", rect(17.0, 59.0, 18.0, 59.5)),
    ]
}

#[test]
fn shared_boundaries_go_to_the_first_id() {
    let index = AreaIndex::build(&town());
    let on_edge = Wgs84 {
        lon: 17.5,
        lat: 59.2,
    };
    // "east" < "west": the east district (key 2) wins the shared edge, every time.
    assert_eq!(index.locate(on_edge), vec![(10, 2), (20, 3)]);
    assert_eq!(index.locate_brute_force(on_edge), index.locate(on_edge));
    assert_eq!(
        index.locate(Wgs84 {
            lon: 17.2,
            lat: 59.2
        }),
        vec![(10, 1), (20, 3)]
    );
    assert!(
        index
            .locate(Wgs84 {
                lon: 16.0,
                lat: 59.2
            })
            .is_empty()
    );
    // Corners and outer edges count as inside.
    assert_eq!(
        index.locate(Wgs84 {
            lon: 17.0,
            lat: 59.0
        }),
        vec![(10, 1), (20, 3)]
    );
}

#[test]
fn default_region_is_the_extent_plus_margin() {
    let r = AreaIndex::build(&town()).default_region().unwrap();
    assert!((r.min.lon - (17.0 - REGION_MARGIN_DEG)).abs() < 1e-12);
    assert!((r.max.lat - (59.5 + REGION_MARGIN_DEG)).abs() < 1e-12);
    assert!(AreaIndex::build(&[]).default_region().is_none());
}

#[test]
fn cells_are_computed_per_resolution_from_the_point() {
    let p = Wgs84 {
        lon: 17.8453,
        lat: 59.2395,
    };
    let res = [Resolution::Seven, Resolution::Ten];
    let cells = cells_for(p, &res).unwrap();
    assert_eq!(cells.len(), 2);
    assert_eq!(cells[0].resolution(), Resolution::Seven);
    assert_eq!(cells[1].resolution(), Resolution::Ten);
    assert!(
        cells_for(
            Wgs84 {
                lon: f64::NAN,
                lat: 59.0
            },
            &res
        )
        .is_none()
    );
}

proptest! {
    #[test]
    fn tree_and_brute_force_agree(lon in 16.9f64..18.1, lat in 58.9f64..59.6, snap in 0u8..4) {
        // Snap some points onto the grid of edges to exercise boundaries.
        let (lon, lat) = match snap {
            0 => ((lon * 2.0).round() / 2.0, lat),
            1 => (lon, (lat * 2.0).round() / 2.0),
            _ => (lon, lat),
        };
        let index = AreaIndex::build(&town());
        let p = Wgs84 { lon, lat };
        let got = index.locate(p);
        prop_assert_eq!(&got, &index.locate_brute_force(p));
        let inside = (17.0..=18.0).contains(&lon) && (59.0..=59.5).contains(&lat);
        // Inside the study area: exactly one area per layer.
        prop_assert_eq!(got.len(), if inside { 2 } else { 0 });
    }
}
