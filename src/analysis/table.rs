//! The store's incidents held in memory, column by column, for fast aggregation.
//!
//! Analysis runs over every incident of a window many times (per window, per baseline
//! window, per week of the space-time cube), so the table is loaded once per data version
//! and shared. Columns are plain vectors indexed by row; categories and partners are
//! interned to small integers. Rows are in store order (by key), which makes every
//! aggregate deterministic.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use h3o::{CellIndex, Resolution};

use crate::model::{Categories, CategoryGroup, Wgs84};
use crate::store::{Change, Store, StoreError, StoredIncident};

/// One area layer as analysis sees it.
#[derive(Debug, Clone)]
pub struct TableLayer {
    /// Store key of the layer.
    pub key: i64,
    /// Layer name.
    pub name: String,
    /// The areas, sorted by id.
    pub areas: Vec<TableArea>,
}

/// One area.
#[derive(Debug, Clone)]
pub struct TableArea {
    /// Store key.
    pub key: i64,
    /// Area id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Residents, when known.
    pub population: Option<u64>,
    /// Parent area id.
    pub parent: Option<String>,
    /// Geometry (WGS 84).
    pub geometry: geo::MultiPolygon<f64>,
}

/// Marks "no area in this layer" in [`IncidentTable::area`].
pub const NO_AREA: u32 = u32::MAX;

/// All incidents of the store, columnar.
#[derive(Debug, Clone)]
pub struct IncidentTable {
    /// The store's data version the table was read at.
    pub data_version: i64,
    /// The H3 resolutions of [`IncidentTable::cells`], ascending.
    pub resolutions: Vec<Resolution>,
    /// Area layers, sorted by name.
    pub layers: Vec<TableLayer>,
    /// Interned category codes.
    pub category_codes: Vec<String>,
    /// Harm weight per interned category (0 for codes no longer in the catalogue).
    pub category_harm: Vec<f64>,
    /// Group per interned category (`None` for codes no longer in the catalogue).
    pub category_group: Vec<Option<CategoryGroup>>,
    /// Interned partner codes.
    pub partner_codes: Vec<String>,
    /// Store key of each row, ascending.
    pub keys: Vec<i64>,
    /// Start of each incident's time (Unix seconds).
    pub start: Vec<i64>,
    /// End of its time span (equal to `start` for an exact time).
    pub end: Vec<i64>,
    /// Category index into `category_codes`.
    pub category: Vec<u16>,
    /// Partner index into `partner_codes`.
    pub partner: Vec<u16>,
    /// Location.
    pub location: Vec<Wgs84>,
    /// Cells, row-major: row `i`, resolution `r` at `i * resolutions.len() + r`.
    pub cells: Vec<CellIndex>,
    /// Per layer (same order as `layers`): the index of the row's area, or [`NO_AREA`].
    pub area: Vec<Vec<u32>>,
}

impl IncidentTable {
    /// Reads every incident, layer and assignment from the store.
    pub fn load(store: &Store, categories: &Categories) -> Result<IncidentTable, StoreError> {
        let data_version = store.data_version()?;
        let stored = store.incidents(None, None)?;
        Self::build(store, categories, data_version, stored)
    }

    /// The table at the store's current version. When every change since this table's
    /// version only appended incidents, only those are read and appended (with their
    /// assignments); otherwise (new layers, changed resolutions) the table is read anew.
    pub fn refreshed(
        &self,
        store: &Store,
        categories: &Categories,
    ) -> Result<IncidentTable, StoreError> {
        let data_version = store.data_version()?;
        if data_version == self.data_version {
            return Ok(self.clone());
        }
        let changes = store.changes_since(self.data_version)?;
        if changes.contains(&Change::All) {
            return Self::load(store, categories);
        }
        let after = self.keys.last().copied().unwrap_or(0);
        let stored = store.incidents_after(after, None, None)?;
        let mut table = self.clone();
        table.data_version = data_version;
        let mut new_categories = false;
        for s in &stored {
            new_categories |= !table.category_codes.contains(&s.incident.category)
                || !table.partner_codes.contains(&s.incident.partner);
        }
        if new_categories {
            return Self::load(store, categories);
        }
        let first_new = table.len();
        for s in &stored {
            table.push(s);
        }
        for (li, layer) in table.layers.iter().enumerate() {
            let position: BTreeMap<i64, u32> = layer
                .areas
                .iter()
                .enumerate()
                .map(|(i, a)| (a.key, i as u32))
                .collect();
            let mut column = vec![NO_AREA; table.len() - first_new];
            for (incident, area) in store.assignments_after(layer.key, after)? {
                let row = table.keys[first_new..].binary_search(&incident);
                if let (Ok(row), Some(pos)) = (row, position.get(&area)) {
                    column[row] = *pos;
                }
            }
            table.area[li].extend(column);
        }
        Ok(table)
    }

    fn push(&mut self, s: &StoredIncident) {
        let inc = &s.incident;
        let start = inc.occurred_at.timestamp();
        self.keys.push(s.key);
        self.start.push(start);
        self.end
            .push(inc.occurred_to.map_or(start, |t| t.timestamp()));
        let cat = self
            .category_codes
            .iter()
            .position(|c| *c == inc.category)
            .unwrap_or(0);
        let partner = self
            .partner_codes
            .iter()
            .position(|p| *p == inc.partner)
            .unwrap_or(0);
        self.category.push(cat as u16);
        self.partner.push(partner as u16);
        self.location.push(inc.location);
        self.cells.extend_from_slice(&s.cells);
    }

    fn build(
        store: &Store,
        categories: &Categories,
        data_version: i64,
        stored: Vec<StoredIncident>,
    ) -> Result<IncidentTable, StoreError> {
        let resolutions = store.h3_resolutions()?.unwrap_or_default();
        let mut cat_index: BTreeMap<String, u16> = BTreeMap::new();
        let mut partner_index: BTreeMap<String, u16> = BTreeMap::new();
        for s in &stored {
            let n = cat_index.len() as u16;
            cat_index.entry(s.incident.category.clone()).or_insert(n);
            let n = partner_index.len() as u16;
            partner_index.entry(s.incident.partner.clone()).or_insert(n);
        }
        let mut category_codes = vec![String::new(); cat_index.len()];
        for (code, i) in &cat_index {
            category_codes[*i as usize] = code.clone();
        }
        let mut partner_codes = vec![String::new(); partner_index.len()];
        for (code, i) in &partner_index {
            partner_codes[*i as usize] = code.clone();
        }
        let category_harm = category_codes
            .iter()
            .map(|c| categories.get(c).map_or(0.0, |c| c.harm))
            .collect();
        let category_group = category_codes
            .iter()
            .map(|c| categories.get(c).map(|c| c.group))
            .collect();

        let n = stored.len();
        let mut table = IncidentTable {
            data_version,
            resolutions,
            layers: Vec::new(),
            category_codes,
            category_harm,
            category_group,
            partner_codes,
            keys: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            partner: Vec::with_capacity(n),
            location: Vec::with_capacity(n),
            cells: Vec::with_capacity(n * 4),
            area: Vec::new(),
        };
        let mut row_of_key = BTreeMap::new();
        for (row, s) in stored.iter().enumerate() {
            table.push(s);
            row_of_key.insert(s.key, row);
        }
        let areas = store.areas(None)?;
        for info in store.layers()? {
            let mut layer_areas: Vec<TableArea> = areas
                .iter()
                .filter(|a| a.layer_key == info.key)
                .map(|a| TableArea {
                    key: a.key,
                    id: a.area.id.clone(),
                    name: a.area.name.clone(),
                    population: a.area.population,
                    parent: a.area.parent.clone(),
                    geometry: a.area.geometry.clone(),
                })
                .collect();
            layer_areas.sort_by(|a, b| a.id.cmp(&b.id));
            let position: BTreeMap<i64, u32> = layer_areas
                .iter()
                .enumerate()
                .map(|(i, a)| (a.key, i as u32))
                .collect();
            let mut column = vec![NO_AREA; n];
            for (incident, area) in store.assignments(info.key)? {
                if let (Some(row), Some(pos)) = (row_of_key.get(&incident), position.get(&area)) {
                    column[*row] = *pos;
                }
            }
            table.layers.push(TableLayer {
                key: info.key,
                name: info.name,
                areas: layer_areas,
            });
            table.area.push(column);
        }
        Ok(table)
    }

    /// Number of incidents.
    pub fn len(&self) -> usize {
        self.start.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// The layer named `name`, with its position.
    pub fn layer(&self, name: &str) -> Option<(usize, &TableLayer)> {
        self.layers.iter().enumerate().find(|(_, l)| l.name == name)
    }

    /// The position of `res` among the stored resolutions.
    pub fn resolution_index(&self, res: Resolution) -> Option<usize> {
        self.resolutions.iter().position(|r| *r == res)
    }

    /// Row `i`'s cell at resolution index `r`.
    pub fn cell(&self, i: usize, r: usize) -> CellIndex {
        self.cells[i * self.resolutions.len() + r]
    }

    /// The time span of row `i`.
    pub fn span(&self, i: usize) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let at = DateTime::from_timestamp(self.start[i], 0).unwrap_or_default();
        let to = (self.end[i] != self.start[i])
            .then(|| DateTime::from_timestamp(self.end[i], 0).unwrap_or_default());
        (at, to)
    }

    /// The earliest and latest instants covered by any incident, or `None` when empty.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let lo = self.start.iter().min()?;
        let hi = self.end.iter().max()?;
        Some((*lo, *hi))
    }
}
