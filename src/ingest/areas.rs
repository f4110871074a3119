//! Reading an area layer (neighbourhood polygons) from a GeoJSON FeatureCollection.
//!
//! A layer is all or nothing: any invalid feature fails the import with a list of every
//! problem found (up to [`MAX_REPORTED`]), so a half-imported layer can never skew rates.
//! Geometry must be Polygon or MultiPolygon with closed rings of at least four positions and
//! finite, in-range coordinates, and must pass `geo`'s OGC validity check (no
//! self-intersections). Rings are re-oriented to RFC 7946 (exterior counter-clockwise).

use std::collections::BTreeSet;
use std::io::Read;

use geo::algorithm::Validation;
use geo::algorithm::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use crate::model::{Area, Crs};

/// The largest area layer file read, in bytes.
pub const MAX_AREA_FILE_BYTES: u64 = 512 << 20;
/// How many problems an error lists before it stops.
pub const MAX_REPORTED: usize = 20;

/// How to read an area layer.
#[derive(Debug, Clone)]
pub struct AreaImportOptions {
    /// Layer name, e.g. `districts`.
    pub layer: String,
    /// Property holding the area id.
    pub id_field: String,
    /// Property holding the display name.
    pub name_field: String,
    /// Property holding the number of residents.
    pub population_field: Option<String>,
    /// Property holding the parent area's id.
    pub parent_field: Option<String>,
    /// CRS of the coordinates (GeoJSON says WGS 84; municipal GIS exports are often SWEREF 99 TM).
    pub crs: Option<Crs>,
}

/// Why an area layer was not imported.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    /// Reading failed.
    #[error("cannot read the area file: {0}")]
    Io(#[from] std::io::Error),
    /// The layer name is not usable.
    #[error("invalid layer name {0:?}: use 1 to 64 characters a-z, 0-9, '-' or '_'")]
    LayerName(String),
    /// Not JSON, not a FeatureCollection, too large, or empty.
    #[error("{0}")]
    File(String),
    /// One or more features are invalid; the list names each.
    #[error("the layer was not imported; {} problem(s):\n  {}", .0.len(), .0.join("\n  "))]
    Features(Vec<String>),
}

/// Reads and validates an area layer.
pub fn read_area_layer<R: Read>(
    input: R,
    opts: &AreaImportOptions,
) -> Result<Vec<Area>, AreaError> {
    let layer_ok = !opts.layer.is_empty()
        && opts.layer.len() <= 64
        && opts
            .layer
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !layer_ok {
        return Err(AreaError::LayerName(opts.layer.clone()));
    }
    let mut bytes = Vec::new();
    input
        .take(MAX_AREA_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_AREA_FILE_BYTES {
        return Err(AreaError::File(format!(
            "the area file is larger than {MAX_AREA_FILE_BYTES} bytes"
        )));
    }
    let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    let doc: Value = serde_json::from_slice(text)
        .map_err(|e| AreaError::File(format!("the area file is not valid JSON: {e}")))?;
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("(none)");
    if kind != "FeatureCollection" {
        return Err(AreaError::File(format!(
            "an area file must be a GeoJSON FeatureCollection; its type is {kind:?}"
        )));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| AreaError::File("the FeatureCollection has no \"features\" array".into()))?;
    if features.is_empty() {
        return Err(AreaError::File(
            "the FeatureCollection has no features".into(),
        ));
    }
    let crs = match (
        doc.pointer("/crs/properties/name").and_then(Value::as_str),
        opts.crs,
    ) {
        (Some(name), forced) => {
            let named = Crs::parse(name).ok_or_else(|| {
                AreaError::File(format!(
                    "the file's crs member names {name:?}; lagesbild reads EPSG:4326 and EPSG:3006"
                ))
            })?;
            if forced.is_some_and(|f| f != named) {
                return Err(AreaError::File(format!(
                    "--crs {} was given but the file says its crs is {named}",
                    forced.map(Crs::name).unwrap_or("")
                )));
            }
            named
        }
        (None, forced) => forced.unwrap_or(Crs::Wgs84),
    };
    let mut problems = Vec::new();
    let mut areas = Vec::with_capacity(features.len());
    let mut seen = BTreeSet::new();
    for (i, f) in features.iter().enumerate() {
        if problems.len() >= MAX_REPORTED {
            problems.push(format!("... stopped after {MAX_REPORTED} problems"));
            break;
        }
        match read_area(f, i + 1, opts, crs) {
            Ok(area) => {
                if !seen.insert(area.id.clone()) {
                    problems.push(format!("feature {}: id {:?} is used by an earlier feature; ids must be unique in a layer", i + 1, area.id));
                } else {
                    areas.push(area);
                }
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(AreaError::Features(problems));
    }
    areas.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(areas)
}

fn read_area(f: &Value, n: usize, opts: &AreaImportOptions, crs: Crs) -> Result<Area, String> {
    let at = |msg: String| format!("feature {n}: {msg}");
    let empty = serde_json::Map::new();
    let props = f
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let text = |field: &str| -> Option<String> {
        match props.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(v)) => Some(v.to_string()),
            _ => None,
        }
    };
    let id = text(&opts.id_field).ok_or_else(|| {
        at(format!(
            "property {:?} (--id-field) is missing or empty",
            opts.id_field
        ))
    })?;
    let name = text(&opts.name_field).ok_or_else(|| {
        at(format!(
            "property {:?} (--name-field) is missing or empty",
            opts.name_field
        ))
    })?;
    let population = match &opts.population_field {
        None => None,
        Some(field) => match props.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(v)) => Some(v.as_u64().ok_or_else(|| {
                at(format!(
                    "population {v} in {field:?} is not a whole number >= 0"
                ))
            })?),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().parse::<u64>().map_err(|_| {
                at(format!(
                    "population {s:?} in {field:?} is not a whole number >= 0"
                ))
            })?),
            Some(other) => {
                return Err(at(format!(
                    "population in {field:?} must be a number, found {other}"
                )));
            }
        },
    };
    let parent = opts.parent_field.as_deref().and_then(text);
    let geometry = f
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| at(format!("area {id:?} has no geometry")))?;
    let geometry = read_polygons(geometry, crs).map_err(|e| at(format!("area {id:?}: {e}")))?;
    Ok(Area {
        layer: opts.layer.clone(),
        id,
        name,
        geometry,
        population,
        parent,
    })
}

fn read_polygons(g: &Value, crs: Crs) -> Result<MultiPolygon<f64>, String> {
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("(none)");
    let coords = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let polys = match kind {
        "Polygon" => vec![read_polygon(coords, crs)?],
        "MultiPolygon" => coords
            .as_array()
            .ok_or("MultiPolygon coordinates must be an array")?
            .iter()
            .map(|p| read_polygon(p, crs))
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(format!(
                "geometry type {other} is not supported; areas must be Polygon or MultiPolygon"
            ));
        }
    };
    if polys.is_empty() {
        return Err("MultiPolygon has no polygons".into());
    }
    let mp = MultiPolygon(polys).orient(Direction::Default);
    if let Some(problem) = mp.validation_errors().first() {
        return Err(format!("invalid geometry: {problem}"));
    }
    Ok(mp)
}

fn read_polygon(v: &Value, crs: Crs) -> Result<Polygon<f64>, String> {
    let rings = v
        .as_array()
        .ok_or("polygon coordinates must be an array of rings")?;
    let mut out = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let positions = ring
            .as_array()
            .ok_or("a ring must be an array of positions")?;
        if positions.len() < 4 {
            return Err(format!(
                "ring {r} has {} positions; a closed ring needs at least 4",
                positions.len()
            ));
        }
        let mut coords = Vec::with_capacity(positions.len());
        for p in positions {
            let (x, y) = match p.as_array().map(|a| a.as_slice()) {
                Some([x, y, ..]) => (x.as_f64(), y.as_f64()),
                _ => (None, None),
            };
            let (Some(x), Some(y)) = (x, y) else {
                return Err(format!(
                    "ring {r} has a position that is not [x, y] numbers: {p}"
                ));
            };
            coords.push(to_wgs84(x, y, crs).map_err(|e| format!("ring {r}: {e}"))?);
        }
        if coords.first() != coords.last() {
            return Err(format!(
                "ring {r} is not closed: its first and last positions differ"
            ));
        }
        out.push(LineString(coords));
    }
    let mut it = out.into_iter();
    let exterior = it.next().ok_or("polygon has no rings")?;
    Ok(Polygon::new(exterior, it.collect()))
}

fn to_wgs84(x: f64, y: f64, crs: Crs) -> Result<Coord<f64>, String> {
    if !x.is_finite() || !y.is_finite() {
        return Err(format!("position [{x}, {y}] is not finite"));
    }
    match crs {
        Crs::Wgs84 => {
            if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                let hint = if super::crs::looks_like_sweref99tm(x, y) {
                    "; these look like SWEREF 99 TM metres: pass --crs EPSG:3006"
                } else {
                    ""
                };
                return Err(format!(
                    "position [{x}, {y}] is not a valid longitude/latitude{hint}"
                ));
            }
            Ok(Coord { x, y })
        }
        Crs::Sweref99Tm => {
            if !super::crs::looks_like_sweref99tm(x, y) || y < x {
                return Err(format!(
                    "position [{x}, {y}] is not a SWEREF 99 TM easting/northing in Sweden"
                ));
            }
            let (lon, lat) = super::crs::sweref99tm_to_wgs84(x, y);
            Ok(Coord { x: lon, y: lat })
        }
    }
}

#[cfg(test)]
#[path = "areas_tests.rs"]
mod tests;
