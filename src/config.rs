//! Deployment settings shared by every command, validated once.
//!
//! `main.rs` gathers flags, `LAGESBILD_*` environment variables and an optional TOML file
//! into a [`FileConfig`]-shaped set of options; [`Config::resolve`] applies the defaults and
//! checks everything, so nothing downstream re-validates. This module knows nothing of clap.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use h3o::Resolution;
use serde::Deserialize;

use crate::model::{Categories, CategoryError, Wgs84};

/// Default database path.
pub const DEFAULT_DB: &str = "lagesbild.db";
/// Default H3 resolutions assigned to every incident (7 ≈ 5 km², 10 ≈ 0.015 km² per cell).
pub const DEFAULT_H3_RESOLUTIONS: [u8; 4] = [7, 8, 9, 10];
/// Default local time zone for times written without an offset.
pub const DEFAULT_TIMEZONE: &str = "Europe/Stockholm";
/// Degrees added on every side of the loaded areas' extent to form the default region.
pub const REGION_MARGIN_DEG: f64 = 0.1;
/// Sweden's extent (with a little margin), the region used before any area layer is loaded.
pub const SWEDEN: Region = Region {
    min: Wgs84 {
        lon: 10.5,
        lat: 55.0,
    },
    max: Wgs84 {
        lon: 24.5,
        lat: 69.5,
    },
};

/// A lon/lat rectangle: the deployment's region, used to catch swapped or wrong coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// South-west corner.
    pub min: Wgs84,
    /// North-east corner.
    pub max: Wgs84,
}

impl Region {
    /// Parses `min_lon,min_lat,max_lon,max_lat`.
    pub fn parse(s: &str) -> Result<Region, ConfigError> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || ConfigError::Region(s.to_owned());
        if parts.len() != 4 {
            return Err(bad());
        }
        let mut v = [0.0; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            *slot = p.parse::<f64>().map_err(|_| bad())?;
        }
        Region::from_array(v).ok_or_else(bad)
    }

    /// Builds a region from `[min_lon, min_lat, max_lon, max_lat]`, or `None` if that is not a
    /// valid, non-empty lon/lat rectangle.
    pub fn from_array([a, b, c, d]: [f64; 4]) -> Option<Region> {
        let ok = [a, b, c, d].iter().all(|x| x.is_finite())
            && (-180.0..=180.0).contains(&a)
            && (-180.0..=180.0).contains(&c)
            && (-90.0..=90.0).contains(&b)
            && (-90.0..=90.0).contains(&d)
            && a < c
            && b < d;
        ok.then_some(Region {
            min: Wgs84 { lon: a, lat: b },
            max: Wgs84 { lon: c, lat: d },
        })
    }

    /// True when `p` lies inside (edges included).
    pub fn contains(&self, p: Wgs84) -> bool {
        p.lon >= self.min.lon
            && p.lon <= self.max.lon
            && p.lat >= self.min.lat
            && p.lat <= self.max.lat
    }

    /// The region grown by `deg` degrees on every side, clamped to the globe.
    pub fn grown(&self, deg: f64) -> Region {
        Region {
            min: Wgs84 {
                lon: (self.min.lon - deg).max(-180.0),
                lat: (self.min.lat - deg).max(-90.0),
            },
            max: Wgs84 {
                lon: (self.max.lon + deg).min(180.0),
                lat: (self.max.lat + deg).min(90.0),
            },
        }
    }

    /// `min_lon,min_lat,max_lon,max_lat` with 4 decimals, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{:.4},{:.4},{:.4},{:.4}",
            self.min.lon, self.min.lat, self.max.lon, self.max.lat
        )
    }
}

/// The optional TOML configuration file (`--config` / `LAGESBILD_CONFIG`). Every key is
/// optional; flags and environment variables win over the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database path.
    pub db: Option<PathBuf>,
    /// Category catalogue (TOML) replacing the built-in one.
    pub categories: Option<PathBuf>,
    /// Local time zone (IANA name).
    pub timezone: Option<String>,
    /// Region as `[min_lon, min_lat, max_lon, max_lat]`.
    pub region: Option<[f64; 4]>,
    /// H3 resolutions assigned on ingest.
    pub h3_resolutions: Option<Vec<u8>>,
    /// Address the server binds to.
    pub bind: Option<String>,
    /// The area layer whose union is the study area.
    pub study_area: Option<String>,
    /// Weights of the tertial analysis's priority score, e.g.
    /// `priority_weights = { harm = 0.4, trend = 0.2, significance = 0.3, population = 0.1 }`.
    pub priority_weights: Option<PriorityWeights>,
    /// The period analysis's cadence: `tertial` (default) or `quarter`.
    pub cadence: Option<String>,
    /// The network's own kinds of action beside the six built-in ones, each with Swedish
    /// and English labels:
    /// `[action_kinds] trygghetsvandring = { sv = "Trygghetsvandring", en = "Safety walk" }`.
    pub action_kinds: Option<std::collections::BTreeMap<String, ActionKindLabels>>,
}

/// The labels of a configured kind of action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionKindLabels {
    /// Swedish label.
    pub sv: String,
    /// English label.
    pub en: String,
}

/// A kind of action the network configured (`[action_kinds]`), accepted by the
/// interventions register beside the built-in kinds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActionKind {
    /// The code used in JSON, the CLI and the database: lower-case letters `a`–`z`,
    /// Swedish `åäö`, digits, `_` and `-`, 1–40 characters, starting with a letter.
    pub code: String,
    /// Swedish label.
    pub sv: String,
    /// English label.
    pub en: String,
}

/// The built-in kinds' codes, which a configured kind may not reuse.
const BUILTIN_KIND_CODES: [&str; 6] = [
    "patrol", "guards", "lighting", "camera", "clean-up", "dialogue",
];

impl ActionKind {
    /// Whether `code` is a well-formed kind code.
    pub fn valid_code(code: &str) -> bool {
        let n = code.chars().count();
        (1..=40).contains(&n)
            && code
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || "åäö".contains(c))
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-åäö".contains(c))
    }

    /// Checks the configured kinds: well-formed codes that are not built in, non-empty
    /// labels of at most 80 characters. Returned in code order.
    pub fn from_config(
        map: std::collections::BTreeMap<String, ActionKindLabels>,
    ) -> Result<Vec<ActionKind>, ConfigError> {
        let mut out = Vec::with_capacity(map.len());
        for (code, labels) in map {
            if !ActionKind::valid_code(&code) {
                return Err(ConfigError::ActionKind(format!(
                    "{code:?} is not a kind code; use 1–40 lower-case letters, digits, _ or -, starting with a letter (e.g. trygghetsvandring)"
                )));
            }
            if BUILTIN_KIND_CODES.contains(&code.as_str()) {
                return Err(ConfigError::ActionKind(format!(
                    "{code:?} is a built-in kind; remove it from [action_kinds]"
                )));
            }
            for (lang, label) in [("sv", &labels.sv), ("en", &labels.en)] {
                let n = label.trim().chars().count();
                if n == 0 || n > 80 {
                    return Err(ConfigError::ActionKind(format!(
                        "{code}.{lang}: the label must have 1–80 characters"
                    )));
                }
            }
            out.push(ActionKind {
                code,
                sv: labels.sv.trim().to_owned(),
                en: labels.en.trim().to_owned(),
            });
        }
        Ok(out)
    }
}

impl FileConfig {
    /// Reads and parses a TOML configuration file.
    pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.to_owned(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            source: e,
        })
    }
}

/// Settings as given (flags/env merged over the file), before defaults and validation.
#[derive(Debug, Default, Clone)]
pub struct ConfigInput {
    /// `--db`.
    pub db: Option<PathBuf>,
    /// `--categories`.
    pub categories: Option<PathBuf>,
    /// `--timezone`.
    pub timezone: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--h3-resolutions`, comma separated.
    pub h3_resolutions: Option<String>,
    /// `--study-area`.
    pub study_area: Option<String>,
    /// `--priority-weights` / `LAGESBILD_PRIORITY_WEIGHTS`, e.g.
    /// `harm=0.4,trend=0.2,significance=0.3,population=0.1` (omitted keys keep the default).
    pub priority_weights: Option<String>,
    /// `--cadence` / `LAGESBILD_CADENCE`: `tertial` or `quarter`.
    pub cadence: Option<String>,
}

/// How often the partnership analyses a longer period: every tertial (four months, the
/// Swedish EST default) or every quarter. The weekly picture is the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// `YYYY-T1..3`, `/api/reports/tertial/...`.
    #[default]
    Tertial,
    /// `YYYY-Q1..4`, `/api/reports/quarter/...`.
    Quarter,
}

impl Cadence {
    /// Parses `tertial` or `quarter` (any case).
    pub fn parse(s: &str) -> Result<Cadence, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tertial" => Ok(Cadence::Tertial),
            "quarter" => Ok(Cadence::Quarter),
            _ => Err(ConfigError::Cadence(s.to_owned())),
        }
    }

    /// `tertial` or `quarter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Tertial => "tertial",
            Cadence::Quarter => "quarter",
        }
    }
}

/// The weights of the four components of the tertial analysis's priority score (see
/// `report::tertial`). Each is `>= 0` and they need not sum to 1: the score divides by
/// their sum. Defaults: harm 0.4, trend 0.2, significance 0.3, population 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityWeights {
    /// Weight of the harm level (harm-weighted score, relative to the highest area).
    pub harm: f64,
    /// Weight of the trend (Mann–Kendall z of the weekly counts, rises only).
    pub trend: f64,
    /// Weight of Gi* significance (hot spot confidence 90/95/99 %).
    pub significance: f64,
    /// Weight of the population (residents, relative to the largest area).
    pub population: f64,
}

impl Default for PriorityWeights {
    fn default() -> Self {
        PriorityWeights {
            harm: 0.4,
            trend: 0.2,
            significance: 0.3,
            population: 0.1,
        }
    }
}

impl PriorityWeights {
    /// Parses `harm=0.4,trend=0.2,significance=0.3,population=0.1`; omitted keys keep their
    /// default.
    pub fn parse(s: &str) -> Result<PriorityWeights, ConfigError> {
        let mut w = PriorityWeights::default();
        let bad = |why: &str| ConfigError::PriorityWeights(format!("{s:?}: {why}"));
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(&format!("{part:?} is not key=number")))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| bad(&format!("{:?} is not a number", value.trim())))?;
            let slot = match key.trim() {
                "harm" => &mut w.harm,
                "trend" => &mut w.trend,
                "significance" => &mut w.significance,
                "population" => &mut w.population,
                other => return Err(bad(&format!("unknown key {other:?}"))),
            };
            *slot = value;
        }
        w.validate()
    }

    /// Checks that every weight is finite and `>= 0` and that they do not all vanish.
    pub fn validate(self) -> Result<PriorityWeights, ConfigError> {
        let all = [self.harm, self.trend, self.significance, self.population];
        if all.iter().any(|v| !v.is_finite() || *v < 0.0) || all.iter().sum::<f64>() <= 0.0 {
            return Err(ConfigError::PriorityWeights(format!(
                "{self:?}: every weight must be a finite number >= 0, and at least one > 0"
            )));
        }
        Ok(self)
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite database file.
    pub db: PathBuf,
    /// The category catalogue.
    pub categories: Categories,
    /// Time zone for local times without an offset.
    pub timezone: Tz,
    /// Explicit region; `None` means "derive from the loaded areas" (see `index`).
    pub region: Option<Region>,
    /// H3 resolutions assigned to every incident, ascending, no duplicates.
    pub h3_resolutions: Vec<Resolution>,
    /// The area layer that is the study area; `None` = the loaded layer with the smallest
    /// extent (see `analysis::hotspots::Analyzer::new`).
    pub study_area: Option<String>,
    /// Weights of the tertial analysis's priority score.
    pub priority_weights: PriorityWeights,
    /// The period analysis's cadence.
    pub cadence: Cadence,
    /// The network's own kinds of action (`[action_kinds]`), by code.
    pub action_kinds: Vec<ActionKind>,
}

/// A setting is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config or category file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys.
    #[error("{path} is not a valid lagesbild config: {source}")]
    Toml {
        path: PathBuf,
        source: toml::de::Error,
    },
    /// The category catalogue is invalid.
    #[error("category catalogue: {0}")]
    Categories(#[from] CategoryError),
    /// Unknown time zone name.
    #[error("unknown time zone {0:?}: use an IANA name such as Europe/Stockholm")]
    Timezone(String),
    /// Malformed region.
    #[error(
        "invalid region {0:?}: give min_lon,min_lat,max_lon,max_lat in degrees, e.g. 17.6,59.1,18.0,59.3"
    )]
    Region(String),
    /// Malformed H3 resolution list.
    #[error(
        "invalid H3 resolutions {0:?}: give distinct numbers 0..=15 separated by commas, e.g. 7,8,9,10"
    )]
    Resolutions(String),
    /// Malformed priority weights.
    #[error(
        "invalid priority weights {0}; give e.g. harm=0.4,trend=0.2,significance=0.3,population=0.1"
    )]
    PriorityWeights(String),
    /// An unknown cadence.
    #[error(
        "cadence {0:?} is not known; give tertial (T1–T3, the default) or quarter (Q1–Q4) \
         (--cadence, LAGESBILD_CADENCE or the config key cadence)"
    )]
    Cadence(String),
    /// A configured kind of action is invalid.
    #[error(
        "[action_kinds] in the config file: {0}; write e.g. trygghetsvandring = {{ sv = \"Trygghetsvandring\", en = \"Safety walk\" }}"
    )]
    ActionKind(String),
}

impl Config {
    /// Applies defaults and validates. `file` fills what `input` leaves unset.
    pub fn resolve(input: ConfigInput, file: FileConfig) -> Result<Config, ConfigError> {
        let db = input
            .db
            .or(file.db)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
        let categories = match input.categories.or(file.categories) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Io {
                    path: path.clone(),
                    source: e,
                })?;
                Categories::from_toml(&text)?
            }
            None => Categories::builtin(),
        };
        let tz_name = input
            .timezone
            .or(file.timezone)
            .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
        let timezone: Tz = tz_name
            .parse()
            .map_err(|_| ConfigError::Timezone(tz_name.clone()))?;
        let region = match (input.region, file.region) {
            (Some(s), _) => Some(Region::parse(&s)?),
            (None, Some(a)) => {
                Some(Region::from_array(a).ok_or_else(|| ConfigError::Region(format!("{a:?}")))?)
            }
            (None, None) => None,
        };
        let res_list: Vec<u8> = match (input.h3_resolutions, file.h3_resolutions) {
            (Some(s), _) => s
                .split(',')
                .map(|p| p.trim().parse::<u8>())
                .collect::<Result<_, _>>()
                .map_err(|_| ConfigError::Resolutions(s.clone()))?,
            (None, Some(v)) => v,
            (None, None) => DEFAULT_H3_RESOLUTIONS.to_vec(),
        };
        let h3_resolutions = parse_resolutions(&res_list)?;
        let priority_weights = match (input.priority_weights, file.priority_weights) {
            (Some(s), _) => PriorityWeights::parse(&s)?,
            (None, Some(w)) => w.validate()?,
            (None, None) => PriorityWeights::default(),
        };
        let cadence = match input.cadence.or(file.cadence) {
            Some(s) => Cadence::parse(&s)?,
            None => Cadence::default(),
        };
        let action_kinds = match file.action_kinds {
            Some(map) => ActionKind::from_config(map)?,
            None => Vec::new(),
        };
        Ok(Config {
            action_kinds,
            cadence,
            priority_weights,
            db,
            categories,
            timezone,
            region,
            h3_resolutions,
            study_area: input.study_area.or(file.study_area),
        })
    }

    /// Defaults for a database path (used by tests and the demo).
    pub fn with_db(db: impl Into<PathBuf>) -> Config {
        Config {
            db: db.into(),
            categories: Categories::builtin(),
            timezone: chrono_tz::Europe::Stockholm,
            region: None,
            h3_resolutions: DEFAULT_H3_RESOLUTIONS
                .iter()
                .filter_map(|&r| Resolution::try_from(r).ok())
                .collect(),
            study_area: None,
            priority_weights: PriorityWeights::default(),
            cadence: Cadence::default(),
            action_kinds: Vec::new(),
        }
    }
}

/// Validates a resolution list: non-empty, each 0..=15, no duplicates; returned ascending.
pub fn parse_resolutions(list: &[u8]) -> Result<Vec<Resolution>, ConfigError> {
    let bad = || ConfigError::Resolutions(format!("{list:?}"));
    let mut out = Vec::with_capacity(list.len());
    for &r in list {
        out.push(Resolution::try_from(r).map_err(|_| bad())?);
    }
    out.sort();
    let n = out.len();
    out.dedup();
    if out.is_empty() || out.len() != n {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_parses_and_rejects() {
        let r = Region::parse("17.6, 59.1, 18.0, 59.3").unwrap();
        assert!(r.contains(Wgs84 {
            lon: 17.8,
            lat: 59.2
        }));
        assert!(!r.contains(Wgs84 {
            lon: 59.2,
            lat: 17.8
        }));
        for bad in [
            "",
            "1,2,3",
            "18,59,17,60",
            "a,b,c,d",
            "0,0,0,NaN",
            "0,-91,1,1",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolve_applies_defaults_and_precedence() {
        let file = FileConfig {
            timezone: Some("Europe/Oslo".into()),
            h3_resolutions: Some(vec![9, 8]),
            ..FileConfig::default()
        };
        let input = ConfigInput {
            timezone: Some("Europe/Helsinki".into()),
            ..ConfigInput::default()
        };
        let c = Config::resolve(input, file).unwrap();
        assert_eq!(c.timezone, chrono_tz::Europe::Helsinki);
        assert_eq!(c.h3_resolutions, vec![Resolution::Eight, Resolution::Nine]);
        assert_eq!(c.db, PathBuf::from(DEFAULT_DB));
        let bad = ConfigInput {
            h3_resolutions: Some("7,7".into()),
            ..ConfigInput::default()
        };
        assert!(Config::resolve(bad, FileConfig::default()).is_err());
        let bad_tz = ConfigInput {
            timezone: Some("Mars/Olympus".into()),
            ..ConfigInput::default()
        };
        assert!(matches!(
            Config::resolve(bad_tz, FileConfig::default()),
            Err(ConfigError::Timezone(_))
        ));
    }

    #[test]
    fn priority_weights_parse_merge_and_reject() {
        let w = PriorityWeights::parse("trend=0.5, population=0").unwrap();
        assert_eq!(w.trend, 0.5);
        assert_eq!(w.population, 0.0);
        assert_eq!(w.harm, PriorityWeights::default().harm);
        for bad in [
            "harm",
            "harm=x",
            "risk=1",
            "harm=-1",
            "harm=inf",
            "harm=0,trend=0,significance=0,population=0",
        ] {
            assert!(PriorityWeights::parse(bad).is_err(), "{bad}");
        }
        let file: FileConfig =
            toml::from_str("priority_weights = { harm = 1.0, trend = 0.0 }").unwrap();
        let c = Config::resolve(ConfigInput::default(), file).unwrap();
        assert_eq!(c.priority_weights.harm, 1.0);
        assert_eq!(c.priority_weights.significance, 0.3);
        assert!(toml::from_str::<FileConfig>("priority_weights = { risk = 1.0 }").is_err());
    }

    #[test]
    fn cadence_from_flag_file_or_default() {
        let c = Config::resolve(ConfigInput::default(), FileConfig::default()).unwrap();
        assert_eq!(c.cadence, Cadence::Tertial);
        let file: FileConfig = toml::from_str("cadence = \"quarter\"").unwrap();
        let c = Config::resolve(ConfigInput::default(), file).unwrap();
        assert_eq!(c.cadence, Cadence::Quarter);
        let input = ConfigInput {
            cadence: Some("Tertial".into()),
            ..ConfigInput::default()
        };
        let file: FileConfig = toml::from_str("cadence = \"quarter\"").unwrap();
        assert_eq!(
            Config::resolve(input, file).unwrap().cadence,
            Cadence::Tertial
        );
        let input = ConfigInput {
            cadence: Some("monthly".into()),
            ..ConfigInput::default()
        };
        let e = Config::resolve(input, FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"monthly\"") && e.contains("quarter"), "{e}");
    }
}
