//! What part of the study area a report covers: the area layer whose areas it ranks, and
//! optionally a region (an area of any layer, e.g. `regions:norra`, "Norra Botkyrka") that
//! limits every section to the incidents, areas and hexes inside it.
//!
//! Statistics that need their neighbours (Gi*, emerging classes) are still computed over
//! the whole study area, so a hotspot at the region's edge is judged in its real
//! surroundings; the region only selects which rows the report lists.

use geo::{Contains, InteriorPoint, MultiPolygon, Point};
use h3o::{CellIndex, LatLng};
use serde::Serialize;

use super::ReportError;
use crate::analysis::table::{IncidentTable, TableArea};

/// The layer searched first for a region given without a layer.
pub const DEFAULT_REGION_LAYER: &str = "regions";
/// The area layer used when none is given (else the first loaded layer).
pub const DEFAULT_AREA_LAYER: &str = "districts";

/// The region a report is limited to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRef {
    /// Its layer.
    pub layer: String,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Residents, when known.
    pub population: Option<u64>,
}

/// A resolved scope.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The layer whose areas are ranked.
    pub layer: String,
    /// The region, if any.
    pub region: Option<RegionRef>,
    region_geometry: Option<MultiPolygon<f64>>,
    region_rows: Option<(usize, u32)>,
}

impl Scope {
    /// Resolves `layer` (default `districts`, else the first layer) and `region`
    /// (`LAYER:ID`, or an id or name looked up in `regions` first, then every layer).
    pub fn resolve(
        table: &IncidentTable,
        layer: Option<&str>,
        region: Option<&str>,
    ) -> Result<Scope, ReportError> {
        let names: Vec<&str> = table.layers.iter().map(|l| l.name.as_str()).collect();
        let layer = match layer.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => {
                if table.layer(l).is_none() {
                    return Err(ReportError::Invalid(format!(
                        "unknown layer {l:?}; layer must be one of: {}",
                        names.join(", ")
                    )));
                }
                l.to_owned()
            }
            None => names
                .iter()
                .find(|n| **n == DEFAULT_AREA_LAYER)
                .or(names.first())
                .map(|n| (*n).to_owned())
                .ok_or_else(|| {
                    ReportError::Invalid(
                        "no area layers are loaded; run `lagesbild areas import` or `lagesbild demo load`".into(),
                    )
                })?,
        };
        let mut scope = Scope {
            layer,
            region: None,
            region_geometry: None,
            region_rows: None,
        };
        let Some(region) = region.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(scope);
        };
        if region.len() > 200 {
            return Err(ReportError::Invalid("region: longer than 200 bytes".into()));
        }
        let (layer_hint, key) = match region.split_once(':') {
            Some((l, k)) => (Some(l.trim()), k.trim()),
            None => (None, region),
        };
        let mut order: Vec<usize> = Vec::new();
        match layer_hint {
            Some(l) => match table.layer(l) {
                Some((i, _)) => order.push(i),
                None => {
                    return Err(ReportError::Invalid(format!(
                        "region {region:?}: unknown layer {l:?}; layers: {}",
                        names.join(", ")
                    )));
                }
            },
            None => {
                if let Some((i, _)) = table.layer(DEFAULT_REGION_LAYER) {
                    order.push(i);
                }
                let first = order.first().copied();
                order.extend((0..table.layers.len()).filter(|i| Some(*i) != first));
            }
        }
        for li in order {
            let l = &table.layers[li];
            let found = l.areas.iter().position(|a| a.id == key).or_else(|| {
                l.areas
                    .iter()
                    .position(|a| a.name.eq_ignore_ascii_case(key))
            });
            if let Some(pos) = found {
                let a = &l.areas[pos];
                scope.region = Some(RegionRef {
                    layer: l.name.clone(),
                    id: a.id.clone(),
                    name: a.name.clone(),
                    population: a.population,
                });
                scope.region_geometry = Some(a.geometry.clone());
                scope.region_rows = Some((li, pos as u32));
                return Ok(scope);
            }
        }
        let known: Vec<String> = table
            .layer(layer_hint.unwrap_or(DEFAULT_REGION_LAYER))
            .map(|(_, l)| {
                l.areas
                    .iter()
                    .map(|a| format!("{}:{}", l.name, a.id))
                    .collect()
            })
            .unwrap_or_default();
        Err(ReportError::Invalid(format!(
            "region {region:?} is not an area of any loaded layer{}",
            if known.is_empty() {
                String::new()
            } else {
                format!("; e.g. {}", known.join(", "))
            }
        )))
    }

    /// The key notes are stored under: `""` for the whole study area, else `LAYER:ID`.
    pub fn key(&self) -> String {
        self.region
            .as_ref()
            .map_or_else(String::new, |r| format!("{}:{}", r.layer, r.id))
    }

    /// `mask` further limited to incidents in the region.
    pub fn restrict(&self, table: &IncidentTable, mut mask: Vec<bool>) -> Vec<bool> {
        if let Some((li, pos)) = self.region_rows {
            for (i, keep) in mask.iter_mut().enumerate() {
                *keep = *keep && table.area[li][i] == pos;
            }
        }
        mask
    }

    /// Whether an area belongs to the region: its parent is the region, or its interior
    /// point lies inside it. Always true without a region.
    pub fn contains_area(&self, area: &TableArea) -> bool {
        match (&self.region, &self.region_geometry) {
            (Some(r), Some(g)) => {
                area.parent.as_deref() == Some(r.id.as_str())
                    || area.id == r.id && area.name == r.name
                    || area
                        .geometry
                        .interior_point()
                        .is_some_and(|p| g.contains(&p))
            }
            _ => true,
        }
    }

    /// Whether a hex's centre lies in the region. Always true without a region.
    pub fn contains_cell(&self, cell: CellIndex) -> bool {
        match &self.region_geometry {
            Some(g) => {
                let c = LatLng::from(cell);
                g.contains(&Point::new(c.lng(), c.lat()))
            }
            None => true,
        }
    }

    /// The region's geometry, if any.
    pub fn region_geometry(&self) -> Option<&MultiPolygon<f64>> {
        self.region_geometry.as_ref()
    }
}
