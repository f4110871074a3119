//! Limits on expensive queries, so one request cannot hold a worker for seconds or answer
//! with tens of megabytes. Each limit answers with a 400 that names the parameter, the
//! limit and the way round it; docs/operations.md lists them.
//!
//! The cost of a hex query grows with the number of cells (four to seven times per finer
//! H3 resolution), the ring size `k` (Gi* visits 3k(k+1)+1 cells per cell) and the weeks of
//! the emerging-hotspot cube (one Gi* per week), so the limits tighten with the resolution.
//! When `res` is not given, the automatic scale may choose the finest configured resolution,
//! so its limits apply.

use h3o::Resolution;

use super::ApiError;
use crate::analysis::hotspots::{AreaQuery, HexQuery};
use crate::config::Config;

/// What a hex query may ask for at a resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexLimits {
    /// The longest window, days.
    pub window_days: i64,
    /// The largest Gi* ring size `k`.
    pub k: u32,
    /// The most weeks in the emerging-hotspot cube.
    pub emerging_weeks: usize,
}

/// The longest window of an area query, days (ten years and a leap day or three).
pub const AREA_WINDOW_DAYS: i64 = 3653;
/// The largest `/api/hexes` or `/api/areas` answer, bytes.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// The limits of a hex query at resolution `res`.
pub fn hex_limits(res: u8) -> HexLimits {
    match res {
        0..=8 => HexLimits {
            window_days: 3653,
            k: 8,
            emerging_weeks: 520,
        },
        9 => HexLimits {
            window_days: 3653,
            k: 6,
            emerging_weeks: 260,
        },
        10 => HexLimits {
            window_days: 1827,
            k: 4,
            emerging_weeks: 156,
        },
        _ => HexLimits {
            window_days: 731,
            k: 2,
            emerging_weeks: 52,
        },
    }
}

fn window_days(window: &crate::analysis::window::TimeWindow, config: &Config) -> i64 {
    let (from, to) = window.bounds(config.timezone);
    (to - from).num_days()
}

/// Checks a hex query against [`hex_limits`] of its resolution (or of the finest configured
/// one when the resolution is automatic).
pub fn check_hex(q: &HexQuery, config: &Config) -> Result<(), ApiError> {
    let (res, which) = match q.resolution {
        Some(r) => (u8::from(r), format!("res={}", u8::from(r))),
        None => {
            let finest = config
                .h3_resolutions
                .iter()
                .copied()
                .max()
                .map_or(10, u8::from);
            (
                finest,
                format!("the automatic scale (it may choose res={finest}; give res= to choose)"),
            )
        }
    };
    let lim = hex_limits(res);
    let coarser = Resolution::try_from(res.saturating_sub(1))
        .map(|r| format!(" or a coarser res= (e.g. {})", u8::from(r)))
        .unwrap_or_default();
    let days = window_days(&q.window, config);
    if days > lim.window_days {
        return Err(ApiError::BadRequest(format!(
            "parameter window: {days} days is over the limit of {} days for {which}; give a \
             shorter window{coarser} / fönstret är för långt",
            lim.window_days
        )));
    }
    if let Some(k) = q.k
        && k > lim.k
    {
        return Err(ApiError::BadRequest(format!(
            "parameter k: {k} is over the limit of {} for {which}; give k={}{coarser} / k är \
             för stort",
            lim.k, lim.k
        )));
    }
    if q.emerging_weeks > lim.emerging_weeks {
        return Err(ApiError::BadRequest(format!(
            "parameter emerging_weeks: {} is over the limit of {} for {which}; give \
             emerging_weeks={}{coarser} / för många veckor",
            q.emerging_weeks, lim.emerging_weeks, lim.emerging_weeks
        )));
    }
    Ok(())
}

/// Checks an area query's window against [`AREA_WINDOW_DAYS`].
pub fn check_area(q: &AreaQuery, config: &Config) -> Result<(), ApiError> {
    let days = window_days(&q.window, config);
    if days > AREA_WINDOW_DAYS {
        return Err(ApiError::BadRequest(format!(
            "parameter window: {days} days is over the limit of {AREA_WINDOW_DAYS} days (ten \
             years); give a shorter window / fönstret är för långt"
        )));
    }
    Ok(())
}

/// Checks an encoded answer against [`MAX_RESPONSE_BYTES`].
pub fn check_response(bytes: usize) -> Result<(), ApiError> {
    if bytes > MAX_RESPONSE_BYTES {
        return Err(ApiError::BadRequest(format!(
            "the answer would be {:.1} MiB, over the limit of {} MiB; give a coarser res=, a \
             shorter window or a filter (category=, group=, partner=) / svaret blir för stort",
            bytes as f64 / f64::from(1 << 20),
            MAX_RESPONSE_BYTES >> 20
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_tighten_with_the_resolution() {
        let mut last = hex_limits(0);
        for res in 1..=15 {
            let l = hex_limits(res);
            assert!(l.k <= last.k && l.emerging_weeks <= last.emerging_weeks);
            assert!(l.window_days <= last.window_days);
            last = l;
        }
        assert_eq!(hex_limits(8).k, 8, "k=8 stays open where it is cheap");
    }

    #[test]
    fn oversized_answers_name_the_limit() {
        assert!(check_response(MAX_RESPONSE_BYTES).is_ok());
        let e = check_response(MAX_RESPONSE_BYTES + 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("16 MiB") && e.contains("coarser res"), "{e}");
    }
}
