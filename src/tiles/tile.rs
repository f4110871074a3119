//! Tile addressing and Web Mercator math: `z/x/y` tiles in the XYZ scheme (y grows
//! southwards, as OpenStreetMap, MapLibre and TileJSON expect), lon/lat ↔ "world"
//! coordinates, and each tile's bounds.
//!
//! World coordinates are Web Mercator (EPSG:3857) scaled to the unit square: `(0, 0)` is the
//! north-west corner of the map (−180°, ~85.05° N) and `(1, 1)` the south-east. A tile's
//! own coordinates are `(world · 2^z − (x, y)) · extent`, so one tile spans `0..extent` on
//! both axes with y pointing down, which is what MVT stores. Parsing of the path segments
//! lives here too, so every error names the segment at fault.

use std::f64::consts::PI;

use super::TileError;

/// The deepest zoom any tile endpoint accepts.
pub const MAX_ZOOM: u8 = 22;

/// The latitude limit of Web Mercator, degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile address in the XYZ scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom level, `0..=MAX_ZOOM`.
    pub z: u8,
    /// Column, west to east, `0..2^z`.
    pub x: u32,
    /// Row, north to south, `0..2^z`.
    pub y: u32,
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

impl TileId {
    /// A tile; fails when `z > max_zoom` or `x`/`y` is not below `2^z`.
    pub fn new(z: u8, x: u32, y: u32, max_zoom: u8) -> Result<TileId, TileError> {
        if z > max_zoom.min(MAX_ZOOM) {
            return Err(TileError::Zoom {
                z: i64::from(z),
                max: max_zoom.min(MAX_ZOOM),
            });
        }
        let n = 1u64 << z;
        for (name, v) in [("x", x), ("y", y)] {
            if u64::from(v) >= n {
                return Err(TileError::OutOfRange {
                    name,
                    value: i64::from(v),
                    z,
                    n,
                });
            }
        }
        Ok(TileId { z, x, y })
    }

    /// Parses the path segments `z`, `x` and `y` (the extension already removed).
    pub fn parse(z: &str, x: &str, y: &str, max_zoom: u8) -> Result<TileId, TileError> {
        let number = |name: &'static str, s: &str| -> Result<i64, TileError> {
            s.parse::<i64>().map_err(|_| TileError::NotANumber {
                name,
                value: s.to_owned(),
            })
        };
        let (zi, xi, yi) = (number("z", z)?, number("x", x)?, number("y", y)?);
        let max = max_zoom.min(MAX_ZOOM);
        let z = u8::try_from(zi)
            .ok()
            .filter(|z| *z <= max)
            .ok_or(TileError::Zoom { z: zi, max })?;
        let coord = |name: &'static str, v: i64| {
            u32::try_from(v).map_err(|_| TileError::OutOfRange {
                name,
                value: v,
                z,
                n: 1u64 << z,
            })
        };
        TileId::new(z, coord("x", xi)?, coord("y", yi)?, max)
    }

    /// Tiles per side at this zoom, `2^z`.
    pub fn n(&self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile containing a lon/lat point at zoom `z` (latitudes are clamped to Web
    /// Mercator's range, longitudes wrap at ±180°).
    pub fn containing(lon: f64, lat: f64, z: u8) -> TileId {
        let (wx, wy) = lonlat_to_world(lon, lat);
        let n = f64::from(1u32 << z);
        let max = (1u32 << z) - 1;
        let clamp = |v: f64| (v * n).floor().clamp(0.0, f64::from(max)) as u32;
        TileId {
            z,
            x: clamp(wx),
            y: clamp(wy),
        }
    }

    /// The tile's bounds in world coordinates, `(min_x, min_y, max_x, max_y)`, grown by
    /// `buffer` tile units of an `extent`-unit tile on every side.
    pub fn world_bounds(&self, buffer: f64, extent: f64) -> (f64, f64, f64, f64) {
        let n = self.n();
        let b = buffer / extent;
        (
            (f64::from(self.x) - b) / n,
            (f64::from(self.y) - b) / n,
            (f64::from(self.x) + 1.0 + b) / n,
            (f64::from(self.y) + 1.0 + b) / n,
        )
    }

    /// The tile's lon/lat bounds `(west, south, east, north)`.
    pub fn lonlat_bounds(&self) -> (f64, f64, f64, f64) {
        let (x0, y0, x1, y1) = self.world_bounds(0.0, 1.0);
        let (w, n) = world_to_lonlat(x0, y0);
        let (e, s) = world_to_lonlat(x1, y1);
        (w, s, e, n)
    }

    /// World coordinates to this tile's coordinates (`0..extent`, y down).
    pub fn to_tile(&self, wx: f64, wy: f64, extent: f64) -> (f64, f64) {
        let n = self.n();
        (
            (wx * n - f64::from(self.x)) * extent,
            (wy * n - f64::from(self.y)) * extent,
        )
    }

    /// This tile's coordinates back to world coordinates.
    pub fn to_world(&self, tx: f64, ty: f64, extent: f64) -> (f64, f64) {
        let n = self.n();
        (
            (tx / extent + f64::from(self.x)) / n,
            (ty / extent + f64::from(self.y)) / n,
        )
    }
}

/// Lon/lat (degrees) to world coordinates (Web Mercator on the unit square, y down).
/// Latitudes beyond ±[`MAX_LAT`] are clamped.
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    (x, y)
}

/// World coordinates back to lon/lat (degrees).
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn lonlat_round_trips_through_world_coordinates() {
        for (lon, lat) in [
            (17.8453, 59.2395),
            (0.0, 0.0),
            (-122.4, 37.8),
            (179.9, -60.0),
        ] {
            let (x, y) = lonlat_to_world(lon, lat);
            let (lon2, lat2) = world_to_lonlat(x, y);
            assert!(close(lon, lon2, 1e-9) && close(lat, lat2, 1e-9));
        }
        assert_eq!(lonlat_to_world(-180.0, MAX_LAT).0, 0.0);
        assert!(close(lonlat_to_world(-180.0, MAX_LAT).1, 0.0, 1e-12));
        assert!(close(lonlat_to_world(0.0, 0.0).1, 0.5, 1e-12));
    }

    #[test]
    fn alby_is_in_the_expected_tiles() {
        // Reference values from the slippy-map formula (OpenStreetMap wiki).
        assert_eq!(
            TileId::containing(17.8453, 59.2395, 13),
            TileId {
                z: 13,
                x: 4502,
                y: 2413
            }
        );
        assert_eq!(
            TileId::containing(17.8453, 59.2395, 0),
            TileId { z: 0, x: 0, y: 0 }
        );
        assert_eq!(TileId::containing(0.0, 0.0, 1), TileId { z: 1, x: 1, y: 1 });
    }

    #[test]
    fn tile_bounds_contain_the_point_and_nest() {
        let t = TileId::containing(17.8453, 59.2395, 13);
        let (w, s, e, n) = t.lonlat_bounds();
        assert!(w <= 17.8453 && 17.8453 < e && s < 59.2395 && 59.2395 <= n);
        assert!(close(e - w, 360.0 / 8192.0, 1e-12));
        let z0 = TileId { z: 0, x: 0, y: 0 }.lonlat_bounds();
        assert!(close(z0.0, -180.0, 1e-12) && close(z0.2, 180.0, 1e-12));
        assert!(close(z0.3, MAX_LAT, 1e-9) && close(z0.1, -MAX_LAT, 1e-9));
        // A child's bounds lie inside its parent's.
        let child = TileId::containing(17.8453, 59.2395, 14).lonlat_bounds();
        assert!(child.0 >= w && child.1 >= s && child.2 <= e && child.3 <= n);
    }

    #[test]
    fn tile_coordinates_span_the_extent() {
        let t = TileId { z: 3, x: 5, y: 2 };
        let (x0, y0, x1, y1) = t.world_bounds(0.0, 4096.0);
        assert_eq!(t.to_tile(x0, y0, 4096.0), (0.0, 0.0));
        let (tx, ty) = t.to_tile(x1, y1, 4096.0);
        assert!(close(tx, 4096.0, 1e-9) && close(ty, 4096.0, 1e-9));
        let (wx, wy) = t.to_world(100.0, 200.0, 4096.0);
        let (bx, by) = t.to_tile(wx, wy, 4096.0);
        assert!(close(bx, 100.0, 1e-9) && close(by, 200.0, 1e-9));
    }

    #[test]
    fn bad_addresses_name_the_segment() {
        let e = TileId::parse("a", "0", "0", 22).unwrap_err().to_string();
        assert!(e.contains("z"), "{e}");
        let e = TileId::parse("2", "4", "0", 22).unwrap_err().to_string();
        assert!(e.contains("x"), "{e}");
        let e = TileId::parse("2", "0", "-1", 22).unwrap_err().to_string();
        assert!(e.contains("y"), "{e}");
        let e = TileId::parse("23", "0", "0", 22).unwrap_err().to_string();
        assert!(e.contains("zoom"), "{e}");
        let e = TileId::parse("-1", "0", "0", 22).unwrap_err().to_string();
        assert!(e.contains("zoom"), "{e}");
        assert!(TileId::parse("19", "0", "0", 18).is_err());
        assert_eq!(
            TileId::parse("1", "1", "0", 22).unwrap(),
            TileId { z: 1, x: 1, y: 0 }
        );
    }
}
