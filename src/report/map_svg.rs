//! The report's map as an inline SVG, drawn on the server from the stored geometry (no
//! tiles, no internet), so that it prints and needs nothing but the page.
//!
//! Projection: equirectangular with longitudes scaled by the cosine of the map's middle
//! latitude, which is true to within a fraction of a percent over a municipality. Hexes are
//! filled by their Gi* confidence bin (weekly) or emerging-hotspot class (tertial); the
//! ranked layer's areas are outlined and named; the region, if any, is drawn heavier.

use std::fmt::Write as _;

use geo::{BoundingRect, InteriorPoint, MultiPolygon, Rect};
use h3o::CellIndex;

use super::scope::Scope;
use crate::analysis::emerging::EmergingClass;
use crate::analysis::hotspots::HexResult;
use crate::analysis::table::IncidentTable;

/// Width of the SVG's view box.
pub const WIDTH: f64 = 800.0;

/// What the hex fill shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// Gi* hot/cold spot confidence (90/95/99 %).
    GiStar,
    /// Emerging-hotspot class.
    Emerging,
}

/// Fill for a Gi* bin (ColorBrewer RdBu, as ArcGIS's hot spot renderer).
pub fn gi_fill(bin: i8) -> Option<&'static str> {
    match bin {
        3 => Some("#b2182b"),
        2 => Some("#ef8a62"),
        1 => Some("#fddbc7"),
        -1 => Some("#d1e5f0"),
        -2 => Some("#67a9cf"),
        -3 => Some("#2166ac"),
        _ => None,
    }
}

/// Fill for an emerging class (`None` for no pattern).
pub fn emerging_fill(c: EmergingClass) -> Option<&'static str> {
    use EmergingClass::*;
    match c {
        NoPattern => None,
        NewHot => Some("#fee08b"),
        ConsecutiveHot => Some("#fdae61"),
        IntensifyingHot => Some("#a50026"),
        PersistentHot => Some("#d73027"),
        DiminishingHot => Some("#f46d43"),
        SporadicHot => Some("#fdd0a2"),
        OscillatingHot => Some("#e7298a"),
        HistoricalHot => Some("#bdbdbd"),
        NewCold => Some("#c6dbef"),
        ConsecutiveCold => Some("#9ecae1"),
        IntensifyingCold => Some("#08519c"),
        PersistentCold => Some("#2171b5"),
        DiminishingCold => Some("#6baed6"),
        SporadicCold => Some("#deebf7"),
        OscillatingCold => Some("#807dba"),
        HistoricalCold => Some("#d9d9d9"),
    }
}

struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    scale: f64,
}

impl Projection {
    fn fit(r: Rect<f64>) -> (Projection, f64) {
        let mid = (r.min().y + r.max().y) / 2.0;
        let kx = mid.to_radians().cos();
        let w = ((r.max().x - r.min().x) * kx).max(1e-9);
        let h = (r.max().y - r.min().y).max(1e-9);
        let margin = 10.0;
        let scale = (WIDTH - 2.0 * margin) / w;
        let p = Projection {
            lon0: r.min().x - margin / scale / kx,
            lat1: r.max().y + margin / scale,
            kx,
            scale,
        };
        (p, h * scale + 2.0 * margin)
    }

    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.kx * self.scale,
            (self.lat1 - lat) * self.scale,
        )
    }
}

fn path_of(p: &Projection, g: &MultiPolygon<f64>, out: &mut String) {
    for poly in &g.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for (i, c) in ring.0.iter().enumerate() {
                let (x, y) = p.xy(c.x, c.y);
                let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            out.push('Z');
        }
    }
}

/// Escapes text for XML.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the map: hexes of `cells` in scope filled by `colour`, the scope's layer
/// outlined and named, the region heavier, and `outlines` (intervention targets) dashed
/// green. Deterministic (coordinates at 0.1 px).
pub fn render(
    table: &IncidentTable,
    scope: &Scope,
    cells: &[HexResult],
    colour: Colour,
    outlines: &[MultiPolygon<f64>],
) -> String {
    let layer = table.layer(&scope.layer).map(|(_, l)| l);
    let extent_of = |gs: &mut dyn Iterator<Item = &MultiPolygon<f64>>| {
        gs.filter_map(|g| g.bounding_rect()).reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    };
    let extent = match scope.region_geometry() {
        Some(g) => g.bounding_rect(),
        None => layer.and_then(|l| extent_of(&mut l.areas.iter().map(|a| &a.geometry))),
    };
    let Some(extent) = extent else {
        return String::new();
    };
    let (proj, height) = Projection::fit(extent);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {height:.0}" class="map" role="img">"#
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    // Hexes.
    svg.push_str(r#"<g stroke="none">"#);
    for c in cells {
        let fill = match colour {
            Colour::GiStar => gi_fill(c.gi_bin).or((c.aggregate.count > 0.0).then_some("#eeeeee")),
            Colour::Emerging => c.emerging.and_then(emerging_fill),
        };
        let Some(fill) = fill else { continue };
        let Ok(cell) = c.cell.parse::<CellIndex>() else {
            continue;
        };
        if !scope.contains_cell(cell) {
            continue;
        }
        let mut d = String::new();
        for (i, ll) in cell.boundary().iter().enumerate() {
            let (x, y) = proj.xy(ll.lng(), ll.lat());
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        let _ = write!(svg, r#"<path d="{d}Z" fill="{fill}"/>"#);
    }
    svg.push_str("</g>");
    // Area outlines and names.
    if let Some(l) = layer {
        svg.push_str(r##"<g fill="none" stroke="#333333" stroke-width="1">"##);
        for a in l.areas.iter().filter(|a| scope.contains_area(a)) {
            let mut d = String::new();
            path_of(&proj, &a.geometry, &mut d);
            let _ = write!(svg, r#"<path d="{d}"/>"#);
        }
        svg.push_str("</g>");
        svg.push_str(r##"<g font-family="sans-serif" font-size="13" fill="#111111" text-anchor="middle" paint-order="stroke" stroke="#ffffff" stroke-width="3">"##);
        for a in l.areas.iter().filter(|a| scope.contains_area(a)) {
            if let Some(p) = a.geometry.interior_point() {
                let (x, y) = proj.xy(p.x(), p.y());
                let _ = write!(
                    svg,
                    r#"<text x="{x:.1}" y="{y:.1}">{}</text>"#,
                    xml_escape(&a.name)
                );
            }
        }
        svg.push_str("</g>");
    }
    if let Some(g) = scope.region_geometry() {
        let mut d = String::new();
        path_of(&proj, g, &mut d);
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="#000000" stroke-width="2.5"/>"##
        );
    }
    for g in outlines {
        let mut d = String::new();
        path_of(&proj, g, &mut d);
        let _ = write!(
            svg,
            r##"<path d="{d}" fill="none" stroke="#1a9850" stroke-width="2.5" stroke-dasharray="6 3" class="intervention"/>"##
        );
    }
    svg.push_str("</svg>");
    svg
}
