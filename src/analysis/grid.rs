//! The study area's hex grid: every H3 cell of one resolution that covers the study area,
//! including cells where nothing was reported.
//!
//! Hotspot statistics computed only on cells that have incidents are biased: the zeros are
//! information, and without them every cluster looks like the whole world. So the grid is
//! the H3 coverage of the study-area polygons (h3o's `Tiler` in `Covers` mode: every cell
//! that touches the area, so none of it is left uncovered), plus the cells of any incident
//! outside that coverage that still needs a unit (it keeps its count).
//!
//! Cells are kept sorted, so a cell's position is a binary search away.

use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};

use super::AnalysisError;

/// The largest grid built, in cells (about 1,600 km² at resolution 10, a whole county at 9).
pub const MAX_GRID_CELLS: usize = 2_000_000;

/// The H3 cells covering a study area at one resolution, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyGrid {
    resolution: Resolution,
    cells: Vec<CellIndex>,
}

impl StudyGrid {
    /// Covers `areas` at `resolution`.
    ///
    /// # Errors
    /// [`AnalysisError::Invalid`] for invalid polygons, no areas, or a grid over
    /// [`MAX_GRID_CELLS`] (with the advice to choose a coarser resolution).
    pub fn cover(
        areas: &[MultiPolygon<f64>],
        resolution: Resolution,
    ) -> Result<StudyGrid, AnalysisError> {
        if areas.is_empty() {
            return Err(AnalysisError::Invalid(
                "no study area: load an area layer first (`lagesbild areas import` or `lagesbild demo load`)".into(),
            ));
        }
        let mut tiler = TilerBuilder::new(resolution)
            .containment_mode(ContainmentMode::Covers)
            .build();
        let mut estimate = 0usize;
        for mp in areas {
            for poly in &mp.0 {
                tiler.add(poly.clone()).map_err(|e| {
                    AnalysisError::Invalid(format!("the study area has an invalid polygon: {e}"))
                })?;
            }
        }
        estimate += tiler.coverage_size_hint();
        if estimate > MAX_GRID_CELLS * 2 {
            return Err(too_many(estimate, resolution));
        }
        let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
        cells.sort_unstable();
        cells.dedup();
        if cells.len() > MAX_GRID_CELLS {
            return Err(too_many(cells.len(), resolution));
        }
        Ok(StudyGrid { resolution, cells })
    }

    /// A grid of exactly these cells (all at one resolution).
    pub fn from_cells(
        resolution: Resolution,
        mut cells: Vec<CellIndex>,
    ) -> Result<StudyGrid, AnalysisError> {
        if let Some(c) = cells.iter().find(|c| c.resolution() != resolution) {
            return Err(AnalysisError::Invalid(format!(
                "cell {c} has resolution {}, not {resolution}",
                c.resolution()
            )));
        }
        cells.sort_unstable();
        cells.dedup();
        Ok(StudyGrid { resolution, cells })
    }

    /// Adds cells (e.g. of incidents just outside the coverage); keeps the order.
    pub fn extend(&mut self, extra: impl IntoIterator<Item = CellIndex>) {
        let before = self.cells.len();
        self.cells.extend(
            extra
                .into_iter()
                .filter(|c| c.resolution() == self.resolution),
        );
        if self.cells.len() != before {
            self.cells.sort_unstable();
            self.cells.dedup();
        }
    }

    /// The resolution.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The cells, sorted.
    pub fn cells(&self) -> &[CellIndex] {
        &self.cells
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The position of `cell` in [`StudyGrid::cells`].
    pub fn position(&self, cell: CellIndex) -> Option<usize> {
        self.cells.binary_search(&cell).ok()
    }
}

fn too_many(n: usize, res: Resolution) -> AnalysisError {
    AnalysisError::Invalid(format!(
        "the study area needs about {n} cells at H3 resolution {res}, more than the limit of {MAX_GRID_CELLS}; choose a coarser resolution"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};
    use h3o::LatLng;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (17.80, 59.20),
                (17.85, 59.20),
                (17.85, 59.23),
                (17.80, 59.23),
                (17.80, 59.20),
            ]),
            vec![],
        )])
    }

    #[test]
    fn the_cover_leaves_no_point_of_the_area_uncovered() {
        let grid = StudyGrid::cover(&[square()], Resolution::Nine).unwrap();
        assert!(grid.len() > 100);
        // Every point of the area (corners included) falls in a grid cell.
        for (lon, lat) in [
            (17.80, 59.20),
            (17.85, 59.23),
            (17.8251, 59.2149),
            (17.80, 59.2299),
        ] {
            let cell = LatLng::new(lat, lon).unwrap().to_cell(Resolution::Nine);
            assert!(grid.position(cell).is_some(), "{lon},{lat}");
        }
        assert!(grid.cells().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn errors_are_clear() {
        assert!(
            StudyGrid::cover(&[], Resolution::Nine)
                .unwrap_err()
                .to_string()
                .contains("area layer")
        );
        let big = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (10.0, 55.0),
                (24.0, 55.0),
                (24.0, 69.0),
                (10.0, 69.0),
                (10.0, 55.0),
            ]),
            vec![],
        )]);
        let e = StudyGrid::cover(&[big], Resolution::Ten)
            .unwrap_err()
            .to_string();
        assert!(e.contains("coarser"), "{e}");
    }

    #[test]
    fn extend_and_from_cells_keep_one_resolution() {
        let c9 = LatLng::new(59.2, 17.8).unwrap().to_cell(Resolution::Nine);
        let c8 = c9.parent(Resolution::Eight).unwrap();
        assert!(StudyGrid::from_cells(Resolution::Nine, vec![c9, c8]).is_err());
        let mut g = StudyGrid::from_cells(Resolution::Nine, vec![c9, c9]).unwrap();
        assert_eq!(g.len(), 1);
        g.extend([c8]);
        assert_eq!(g.len(), 1);
    }
}
