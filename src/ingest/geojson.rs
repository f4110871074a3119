//! The GeoJSON incident reader: a FeatureCollection of Point features.
//!
//! Properties carry the same fields as the CSV columns (`id` may also be the feature's own
//! `id`). Coordinates are WGS 84 as RFC 7946 says, unless `--crs EPSG:3006` is given or the
//! file carries a legacy `crs` member naming EPSG:3006 (old QGIS/ArcGIS exports do).
//! The document is parsed in memory, so its size is capped at [`MAX_GEOJSON_BYTES`]; large
//! exports should come as CSV, which is streamed.

use std::io::Read;

use serde_json::Value;

use super::{IngestError, RawRow, Rejection, RowOutcome, RowPos, RowRules};
use crate::model::Crs;

/// The largest GeoJSON incident file read, in bytes.
pub const MAX_GEOJSON_BYTES: u64 = 256 << 20;

/// Reads a GeoJSON FeatureCollection of incidents.
pub fn read_geojson<R: Read>(input: R, rules: RowRules) -> Result<Vec<RowOutcome>, IngestError> {
    read_geojson_limited(input, rules, MAX_GEOJSON_BYTES)
}

pub(crate) fn read_geojson_limited<R: Read>(
    input: R,
    rules: RowRules,
    limit: u64,
) -> Result<Vec<RowOutcome>, IngestError> {
    let mut bytes = Vec::new();
    input.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(IngestError::TooLarge { limit });
    }
    let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty);
    }
    let doc: Value = serde_json::from_slice(text)
        .map_err(|e| IngestError::Geojson(format!("the file is not valid JSON: {e}")))?;
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("(none)");
    if kind != "FeatureCollection" {
        return Err(IngestError::Geojson(format!(
            "GeoJSON must be a FeatureCollection of Point features; this file's type is {kind:?}"
        )));
    }
    let Some(features) = doc.get("features").and_then(Value::as_array) else {
        return Err(IngestError::Geojson(
            "the FeatureCollection has no \"features\" array".into(),
        ));
    };
    let crs = resolve_crs(&doc, rules.crs)?;
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let pos = RowPos {
                row: i as u64 + 1,
                line: None,
            };
            RowOutcome {
                pos,
                result: read_feature(f, pos, crs, &rules),
            }
        })
        .collect())
}

/// The legacy `crs` member wins only when it agrees with `--crs` (or `--crs` is absent).
fn resolve_crs(doc: &Value, forced: Option<Crs>) -> Result<Crs, IngestError> {
    let named = doc
        .pointer("/crs/properties/name")
        .and_then(Value::as_str)
        .map(|name| {
            Crs::parse(name).ok_or_else(|| {
                IngestError::Geojson(format!(
                    "the file's crs member names {name:?}; lagesbild reads EPSG:4326 and EPSG:3006"
                ))
            })
        })
        .transpose()?;
    match (named, forced) {
        (Some(a), Some(b)) if a != b => Err(IngestError::Options(format!(
            "--crs {b} was given but the file says its crs is {a}"
        ))),
        (Some(a), _) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Ok(Crs::Wgs84),
    }
}

fn read_feature(
    f: &Value,
    pos: RowPos,
    crs: Crs,
    rules: &RowRules,
) -> Result<crate::model::Incident, Rejection> {
    let reject = |field: Option<&str>, value: Option<&str>, reason: &str| {
        Rejection::new(pos, field, value, reason)
    };
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(reject(None, None, "is not a GeoJSON Feature"));
    }
    let geometry = f.get("geometry").filter(|g| !g.is_null()).ok_or_else(|| {
        reject(
            Some("geometry"),
            None,
            "is missing; each incident needs a Point",
        )
    })?;
    let gtype = geometry
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if gtype != "Point" {
        return Err(reject(
            Some("geometry"),
            Some(gtype),
            "is not a Point; incidents are points (use `lagesbild areas import` for polygons)",
        ));
    }
    let coords = geometry.get("coordinates").and_then(Value::as_array);
    let xy = match coords.map(|c| c.as_slice()) {
        Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x, y),
            _ => {
                return Err(reject(
                    Some("coordinates"),
                    Some(&geometry["coordinates"].to_string()),
                    "must be numbers",
                ));
            }
        },
        _ => return Err(reject(Some("coordinates"), None, "must be an array [x, y]")),
    };
    let empty = serde_json::Map::new();
    let props = f
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Numbers are accepted where text is expected (ids are often numeric).
    let text = |key: &str| -> Result<Option<String>, Rejection> {
        match props.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(reject(
                Some(key),
                Some(&other.to_string()),
                "must be a string",
            )),
        }
    };
    let id = match text("id")? {
        Some(id) => Some(id),
        None => match f.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
    };
    let (occurred_at, occurred_to, category, partner, description) = (
        text("occurred_at")?,
        text("occurred_to")?,
        text("category")?,
        text("partner")?,
        text("description")?,
    );
    let raw = RawRow {
        id: id.as_deref(),
        occurred_at: occurred_at.as_deref(),
        occurred_to: occurred_to.as_deref(),
        category: category.as_deref(),
        partner: partner.as_deref(),
        description: description.as_deref(),
    };
    rules.validate(pos, &raw, xy, crs)
}
