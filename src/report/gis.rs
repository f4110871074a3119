//! The weekly aggregates that GIS clients read straight from the database
//! (`lagesbild gis refresh`, PostgreSQL): per ISO week, every area of every layer and every
//! H3 cell of the study area at one resolution, with counts, harm and Gi* — the same
//! numbers as `/api/areas` and `/api/hexes` give an analyst for that week. The store keeps
//! them behind read-only views in schema `lagesbild_gis` (see docs/deployment.md).

use h3o::{CellIndex, Resolution};

use super::ReportError;
use crate::analysis::hotspots::{AreaQuery, HexQuery};
use crate::analysis::service::AnalysisService;
use crate::analysis::window::TimeWindow;
use crate::store::{GisAreaWeek, GisHexWeek, Store};

/// What a refresh wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GisRefresh {
    /// The weeks replaced, oldest first.
    pub weeks: Vec<String>,
    /// The area layers.
    pub layers: Vec<String>,
    /// The H3 resolution of the hex rows.
    pub resolution: u8,
    /// Area-week rows written.
    pub area_rows: usize,
    /// Hex-week rows written.
    pub hex_rows: usize,
    /// The data version the numbers come from.
    pub data_version: i64,
}

/// Computes `weeks` ISO weeks ending with `last` (inclusive) and replaces them in the
/// store's GIS tables.
pub fn refresh(
    service: &AnalysisService,
    store: &Store,
    last: &TimeWindow,
    weeks: usize,
    res: Resolution,
) -> Result<GisRefresh, ReportError> {
    if !matches!(last, TimeWindow::IsoWeek { .. }) {
        return Err(ReportError::Invalid(format!(
            "{last} is not an ISO week such as 2026-W47"
        )));
    }
    if !(1..=520).contains(&weeks) {
        return Err(ReportError::Invalid(
            "--weeks must be 1..=520 (ten years)".into(),
        ));
    }
    let mut windows = last.previous_n(weeks - 1);
    windows.reverse();
    windows.push(*last);
    windows.retain(|w| matches!(w, TimeWindow::IsoWeek { .. }));
    let analyzer = service.analyzer(store)?;
    let layers: Vec<String> = analyzer
        .table()
        .layers
        .iter()
        .map(|l| l.name.clone())
        .collect();
    let data_version = store.data_version()?;
    let mut areas = Vec::new();
    let mut hexes = Vec::new();
    for w in &windows {
        let week = w.to_string();
        for layer in &layers {
            let r = service.areas(store, &AreaQuery::new(layer, *w))?;
            areas.extend(r.areas.iter().map(|a| GisAreaWeek {
                layer: layer.clone(),
                area: a.id.clone(),
                week: week.clone(),
                incidents: a.aggregate.count,
                harm: a.aggregate.harm,
                gi_z: a.gi_z,
                gi_bin: a.gi_bin,
                significance: a.significance.to_owned(),
            }));
        }
        let mut q = HexQuery::new(*w);
        q.resolution = Some(res);
        q.emerging_weeks = 0;
        let r = service.hexes(store, &q)?;
        for c in &r.cells {
            let cell: CellIndex = c
                .cell
                .parse()
                .map_err(|e| ReportError::Output(format!("cell {}: {e}", c.cell)))?;
            hexes.push(GisHexWeek {
                res: u8::from(res),
                cell: c.cell.clone(),
                week: week.clone(),
                incidents: c.aggregate.count,
                harm: c.aggregate.harm,
                gi_z: c.gi_z,
                gi_bin: c.gi_bin,
                boundary: cell
                    .boundary()
                    .iter()
                    .map(|ll| (ll.lng(), ll.lat()))
                    .collect(),
            });
        }
    }
    let weeks: Vec<String> = windows.iter().map(ToString::to_string).collect();
    store.replace_gis_weeks(&weeks, &areas, &hexes)?;
    Ok(GisRefresh {
        weeks,
        layers,
        resolution: u8::from(res),
        area_rows: areas.len(),
        hex_rows: hexes.len(),
        data_version,
    })
}
