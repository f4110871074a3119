//! GeoJSON encoding for responses: RFC 7946 (lon/lat, exterior rings counter-clockwise,
//! no `crs` member) with coordinates rounded to 7 decimals (about 1 cm).

use h3o::{CellIndex, LatLng};
use serde_json::{Value, json};

/// Rounds to 7 decimals.
pub(crate) fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn ring(ls: &geo::LineString<f64>) -> Value {
    Value::Array(
        ls.0.iter()
            .map(|c| json!([round7(c.x), round7(c.y)]))
            .collect(),
    )
}

/// A MultiPolygon as a GeoJSON geometry (a Polygon when it has one part).
pub(crate) fn multipolygon(mp: &geo::MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior())];
                rings.extend(p.interiors().iter().map(ring));
                Value::Array(rings)
            })
            .collect();
    match polys.as_slice() {
        [one] => json!({ "type": "Polygon", "coordinates": one }),
        _ => json!({ "type": "MultiPolygon", "coordinates": polys }),
    }
}

/// An H3 cell's hexagon (or pentagon) as a GeoJSON Polygon, counter-clockwise and closed.
pub(crate) fn cell_polygon(cell: CellIndex) -> Value {
    let boundary = cell.boundary();
    let mut coords: Vec<Value> = boundary
        .iter()
        .map(|ll: &LatLng| json!([round7(ll.lng()), round7(ll.lat())]))
        .collect();
    if let Some(first) = coords.first().cloned() {
        coords.push(first);
    }
    json!({ "type": "Polygon", "coordinates": [coords] })
}

/// A point.
pub(crate) fn point(lon: f64, lat: f64) -> Value {
    json!({ "type": "Point", "coordinates": [round7(lon), round7(lat)] })
}

/// An incident as a GeoJSON Feature; its id is `partner:id`.
pub(crate) fn incident_feature(i: &crate::model::Incident) -> Value {
    json!({
        "type": "Feature",
        "id": format!("{}:{}", i.partner, i.id),
        "geometry": point(i.location.lon, i.location.lat),
        "properties": {
            "id": i.id,
            "partner": i.partner,
            "category": i.category,
            "occurred_at": i.occurred_at.to_rfc3339(),
            "occurred_to": i.occurred_to.map(|t| t.to_rfc3339()),
            "description": i.description,
        },
    })
}

/// Merges `extra` object members into `props`.
pub(crate) fn with(mut props: Value, extra: Value) -> Value {
    if let (Some(p), Value::Object(e)) = (props.as_object_mut(), extra) {
        p.extend(e);
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_polygons_are_closed_and_counter_clockwise() {
        let cell = LatLng::new(59.24, 17.84)
            .unwrap()
            .to_cell(h3o::Resolution::Nine);
        let g = cell_polygon(cell);
        let ring = g["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 7);
        assert_eq!(ring.first(), ring.last());
        // Shoelace: positive area means counter-clockwise.
        let pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let area: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(area > 0.0);
    }
}
