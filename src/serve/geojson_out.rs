//! GeoJSON encoding for responses: RFC 7946 (lon/lat, exterior rings counter-clockwise,
//! no `crs` member) with coordinates rounded to 7 decimals (about 1 cm).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::store::StoredArea;

fn round7(v: f64) -> f64 {
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

/// The areas of a layer with their incident counts.
pub(crate) fn areas_collection(
    layer: &str,
    areas: &[StoredArea],
    counts: &HashMap<i64, i64>,
    data_version: i64,
) -> String {
    let features: Vec<Value> = areas
        .iter()
        .map(|a| {
            let count = counts.get(&a.key).copied().unwrap_or(0);
            let rate = a
                .area
                .population
                .filter(|p| *p > 0)
                .map(|p| count as f64 * 1000.0 / p as f64);
            json!({
                "type": "Feature",
                "id": a.area.id,
                "geometry": multipolygon(&a.area.geometry),
                "properties": {
                    "id": a.area.id,
                    "name": a.area.name,
                    "layer": layer,
                    "parent": a.area.parent,
                    "population": a.area.population,
                    "count": count,
                    "rate_per_1000": rate,
                },
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "parameters": { "layer": layer, "window": "all time" },
        "data_version": data_version,
    })
    .to_string()
}
