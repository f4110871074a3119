//! Query parameters shared by the JSON API, the tiles and OGC API - Features: the time
//! window and the incident filter. Every error names the parameter at fault.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::analysis::filter::IncidentFilter;
use crate::analysis::hotspots::{AreaQuery, AreaWeights, HexQuery};
use crate::analysis::window::{TimeWindow, WindowKind};
use crate::config::Config;
use h3o::Resolution;

/// `window=`, `from=`/`to=`, `category=`, `group=`, `partner=` as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct WindowFilterParams {
    /// A window: `2026-W47`, `2026-T3`, `2026-11`, `2026`, or `FROM/TO`.
    pub window: Option<String>,
    /// Start of a custom window (date = local midnight, or RFC 3339).
    pub from: Option<String>,
    /// End of a custom window, exclusive.
    pub to: Option<String>,
    /// Category codes or labels, comma-separated.
    pub category: Option<String>,
    /// Category groups (crime, disorder, safety), comma-separated.
    pub group: Option<String>,
    /// Partner codes, comma-separated.
    pub partner: Option<String>,
}

/// The last complete ISO week before `now` (the default window: the current week is still
/// being reported).
pub fn last_complete_week(now: DateTime<Utc>, config: &Config) -> TimeWindow {
    TimeWindow::containing(now, WindowKind::IsoWeek, config.timezone).previous()
}

impl WindowFilterParams {
    /// The window: `window=`, or `from=` + `to=`, or the last complete ISO week.
    pub fn window(&self, config: &Config, now: DateTime<Utc>) -> Result<TimeWindow, ApiError> {
        match (&self.window, &self.from, &self.to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::BadRequest(
                "give either window= or from= and to=, not both".into(),
            )),
            (Some(w), None, None) => TimeWindow::parse_in(w, config.timezone)
                .map_err(|e| ApiError::BadRequest(format!("parameter window: {e}"))),
            (None, Some(from), Some(to)) => {
                TimeWindow::parse_in(&format!("{from}/{to}"), config.timezone)
                    .map_err(|e| ApiError::BadRequest(format!("parameters from/to: {e}")))
            }
            (None, Some(_), None) => Err(ApiError::BadRequest(
                "parameter to is missing (from= needs to=)".into(),
            )),
            (None, None, Some(_)) => Err(ApiError::BadRequest(
                "parameter from is missing (to= needs from=)".into(),
            )),
            (None, None, None) => Ok(last_complete_week(now, config)),
        }
    }

    /// The incident filter.
    pub fn filter(&self, config: &Config) -> Result<IncidentFilter, ApiError> {
        IncidentFilter::parse(
            self.category.as_deref(),
            self.group.as_deref(),
            self.partner.as_deref(),
            &config.categories,
        )
        .map_err(|e| ApiError::BadRequest(format!("parameter category/group/partner: {e}")))
    }
}

/// A query string as a map, consumed parameter by parameter, so that anything left over is
/// an unknown parameter (a 400 that names it).
#[derive(Debug, Default)]
pub struct QueryMap {
    map: std::collections::BTreeMap<String, String>,
}

impl QueryMap {
    /// From the decoded pairs.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> QueryMap {
        QueryMap {
            map: pairs.into_iter().collect(),
        }
    }

    /// Takes a parameter; empty values count as absent.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.map.remove(name).filter(|v| !v.trim().is_empty())
    }

    /// Takes and parses a parameter with `parse`, naming it in the error.
    pub fn parse<T>(
        &mut self,
        name: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => parse(v.trim()).map(Some).ok_or_else(|| {
                ApiError::BadRequest(format!("parameter {name}: {v:?} is not {what}"))
            }),
        }
    }

    /// Takes the window and filter parameters.
    pub fn window_filter(&mut self) -> WindowFilterParams {
        WindowFilterParams {
            window: self.take("window"),
            from: self.take("from"),
            to: self.take("to"),
            category: self.take("category"),
            group: self.take("group"),
            partner: self.take("partner"),
        }
    }

    /// Fails on any parameter not taken. `known` lists the endpoint's parameters.
    pub fn finish(self, known: &[&str]) -> Result<(), ApiError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(k) => Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?}; this endpoint takes: {}",
                known.join(", ")
            ))),
        }
    }
}

/// The parameters of an area query (`/api/areas`, area tiles).
pub const AREA_PARAMS: [&str; 11] = [
    "layer", "window", "from", "to", "category", "group", "partner", "alpha", "fdr", "baseline",
    "distance",
];
/// The parameters of a hex query (`/api/hexes`, hex tiles).
pub const HEX_PARAMS: [&str; 12] = [
    "window",
    "from",
    "to",
    "category",
    "group",
    "partner",
    "res",
    "k",
    "alpha",
    "fdr",
    "baseline",
    "emerging_weeks",
];

/// The parameters every windowed endpoint takes.
pub const WINDOW_FILTER: [&str; 6] = ["window", "from", "to", "category", "group", "partner"];

/// Parses `true/false/1/0/yes/no`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Parses a significance level strictly between 0 and 1.
pub fn parse_alpha(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|a| *a > 0.0 && *a < 1.0)
}

/// A lon/lat box `min_lon,min_lat,max_lon,max_lat`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// West.
    pub min_lon: f64,
    /// South.
    pub min_lat: f64,
    /// East.
    pub max_lon: f64,
    /// North.
    pub max_lat: f64,
}

/// Parses a bbox; corners must be finite, in range and not swapped.
pub fn parse_bbox(s: &str) -> Result<Bbox, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{s:?} is not four numbers min_lon,min_lat,max_lon,max_lat"))?;
    let [a, b, c, d] = v[..] else {
        return Err(format!(
            "{s:?} has {} numbers; give min_lon,min_lat,max_lon,max_lat",
            v.len()
        ));
    };
    if ![a, b, c, d].iter().all(|x| x.is_finite()) {
        return Err("the corners must be finite numbers".into());
    }
    if !(-180.0..=180.0).contains(&a)
        || !(-180.0..=180.0).contains(&c)
        || !(-90.0..=90.0).contains(&b)
        || !(-90.0..=90.0).contains(&d)
    {
        return Err("longitudes must be -180..180 and latitudes -90..90".into());
    }
    if a > c || b > d {
        return Err("the corners are swapped: give the south-west corner first (min_lon,min_lat), then the north-east".into());
    }
    Ok(Bbox {
        min_lon: a,
        min_lat: b,
        max_lon: c,
        max_lat: d,
    })
}

/// The default area layer: `districts` when loaded, else the first.
pub(crate) fn default_layer(layers: &[crate::store::LayerInfo]) -> Result<String, ApiError> {
    layers
        .iter()
        .find(|l| l.name == "districts")
        .or(layers.first())
        .map(|l| l.name.clone())
        .ok_or_else(|| {
            ApiError::NotFound(
                "no area layers are loaded; run `lagesbild areas import` or `lagesbild demo load`"
                    .into(),
            )
        })
}

/// Fails with a 400 naming the known layers when `name` is not loaded.
pub(crate) fn check_layer(layers: &[crate::store::LayerInfo], name: &str) -> Result<(), ApiError> {
    if layers.iter().any(|l| l.name == name) {
        Ok(())
    } else {
        let known: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        Err(ApiError::BadRequest(format!(
            "unknown layer {name:?}; parameter layer must be one of: {}",
            known.join(", ")
        )))
    }
}

/// An area query from `layer` and the query's window, filter and method parameters.
pub(crate) fn area_query(
    q: &mut QueryMap,
    state: &AppState,
    layer: String,
) -> Result<AreaQuery, ApiError> {
    let wf = q.window_filter();
    let mut aq = AreaQuery::new(&layer, wf.window(state.config(), Utc::now())?);
    aq.filter = wf.filter(state.config())?;
    if let Some(a) = q.parse("alpha", "a number between 0 and 1", parse_alpha)? {
        aq.alpha = a;
    }
    if let Some(f) = q.parse("fdr", "true or false", parse_bool)? {
        aq.fdr = f;
    }
    if let Some(n) = q.parse("baseline", "a whole number 1..=52", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=52).contains(n))
    })? {
        aq.baseline_windows = n;
    }
    if let Some(m) = q.parse("distance", "a distance in metres > 0", |s| {
        s.parse::<f64>().ok().filter(|m| m.is_finite() && *m > 0.0)
    })? {
        aq.weights = AreaWeights::DistanceBand(m);
    }
    super::limits::check_area(&aq, state.config())?;
    Ok(aq)
}

/// A hex query from the query's window, filter and method parameters.
pub(crate) fn hex_query(q: &mut QueryMap, state: &AppState) -> Result<HexQuery, ApiError> {
    let wf = q.window_filter();
    let mut hq = HexQuery::new(wf.window(state.config(), Utc::now())?);
    hq.filter = wf.filter(state.config())?;
    hq.resolution = q.parse("res", "an H3 resolution 0..=15", |s| {
        s.parse::<u8>()
            .ok()
            .and_then(|r| Resolution::try_from(r).ok())
    })?;
    hq.k = q.parse("k", "a ring size 1..=8", |s| {
        s.parse::<u32>().ok().filter(|k| (1..=8).contains(k))
    })?;
    if let Some(a) = q.parse("alpha", "a number between 0 and 1", parse_alpha)? {
        hq.alpha = a;
    }
    if let Some(f) = q.parse("fdr", "true or false", parse_bool)? {
        hq.fdr = f;
    }
    if let Some(n) = q.parse("baseline", "a whole number 1..=52", |s| {
        s.parse::<usize>().ok().filter(|n| (1..=52).contains(n))
    })? {
        hq.baseline_windows = n;
    }
    if let Some(n) = q.parse("emerging_weeks", "0, or a whole number 3..=520", |s| {
        s.parse::<usize>()
            .ok()
            .filter(|n| *n == 0 || (3..=520).contains(n))
    })? {
        hq.emerging_weeks = n;
    }
    super::limits::check_hex(&hq, state.config())?;
    Ok(hq)
}
