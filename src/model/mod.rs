//! The domain vocabulary: incidents, areas, categories, partners and coordinates.
//!
//! Coordinates are **longitude, latitude** (x, y) everywhere in lagesbild, in that order,
//! as in GeoJSON (RFC 7946). [`Wgs84`] is the only geographic type that crosses module
//! borders; projected input (SWEREF 99 TM) is converted at the edge, in `ingest`.
//!
//! This module holds plain data and the category catalogue. Parsing lives in `ingest`,
//! persistence in `store`, spatial assignment in `index`.

pub mod access;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A WGS 84 position: `lon` then `lat`, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Wgs84 {
    /// Longitude, degrees east, -180..=180.
    pub lon: f64,
    /// Latitude, degrees north, -90..=90.
    pub lat: f64,
}

/// A SWEREF 99 TM (EPSG:3006) position in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sweref99Tm {
    /// Easting (x), metres; 500 000 on the central meridian 15° E.
    pub easting: f64,
    /// Northing (y), metres from the equator.
    pub northing: f64,
}

/// The coordinate reference system of input coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Crs {
    /// WGS 84 longitude/latitude (EPSG:4326; GeoJSON's CRS).
    Wgs84,
    /// SWEREF 99 TM easting/northing (EPSG:3006), the Swedish national grid.
    Sweref99Tm,
}

impl Crs {
    /// Parses `EPSG:4326`, `EPSG:3006`, `4326`, `3006` (case-insensitive), and the OGC URN forms.
    pub fn parse(s: &str) -> Option<Crs> {
        let s = s.trim().to_ascii_uppercase();
        let code = s
            .strip_prefix("EPSG:")
            .or_else(|| s.strip_prefix("URN:OGC:DEF:CRS:EPSG::"))
            .unwrap_or(&s);
        match code {
            "4326" | "URN:OGC:DEF:CRS:OGC:1.3:CRS84" | "CRS84" => Some(Crs::Wgs84),
            "3006" => Some(Crs::Sweref99Tm),
            _ => None,
        }
    }

    /// The `EPSG:NNNN` name.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "EPSG:4326",
            Crs::Sweref99Tm => "EPSG:3006",
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One reported incident or deviation, as validated on ingest.
///
/// `(partner, id)` identifies it: each partner numbers its own reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// The reporting partner's own id for the incident.
    pub id: String,
    /// The partner (organisation) that reported it, e.g. `polisen`.
    pub partner: String,
    /// Category code from the catalogue, e.g. `burglary`.
    pub category: String,
    /// Start of the time the incident happened (or the exact time).
    pub occurred_at: DateTime<Utc>,
    /// End of the time span when the time is uncertain (e.g. a burglary over a weekend away).
    pub occurred_to: Option<DateTime<Utc>>,
    /// Where it happened.
    pub location: Wgs84,
    /// Free text from the partner.
    pub description: Option<String>,
}

/// A named neighbourhood polygon in an area layer (districts, regions, municipalities...).
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The layer the area belongs to, e.g. `districts`.
    pub layer: String,
    /// The area's id within its layer.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Geometry in WGS 84, exterior rings counter-clockwise (RFC 7946).
    pub geometry: geo::MultiPolygon<f64>,
    /// Number of residents, when known (for rates per 1,000).
    pub population: Option<u64>,
    /// The id of a parent area, e.g. the region a district belongs to.
    pub parent: Option<String>,
}

/// A partner organisation's code, e.g. `polisen`, `bostadsbolaget`.
///
/// Codes are lower-case ASCII letters, digits, `-` and `_`, 1 to 64 characters, so they are
/// safe in URLs, file names and logs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Partner(String);

impl Partner {
    /// Validates a partner code. Upper case is folded to lower case.
    pub fn parse(s: &str) -> Result<Partner, String> {
        let code = s.trim().to_ascii_lowercase();
        if code.is_empty() || code.len() > 64 {
            return Err("a partner code has 1 to 64 characters".into());
        }
        if let Some(bad) = code
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "a partner code may hold only a-z, 0-9, '-' and '_' (found {bad:?})"
            ));
        }
        Ok(Partner(code))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The broad kind of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryGroup {
    /// Offences under Swedish law (police reports).
    Crime,
    /// Disorder and incivilities (graffiti, littering, loitering groups...).
    Disorder,
    /// Safety deviations (fires, broken lighting...).
    Safety,
}

/// An incident category with its labels and harm weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code used in input files and the API.
    pub code: String,
    /// Swedish label.
    pub sv: String,
    /// English label.
    pub en: String,
    /// Crime, disorder or safety.
    pub group: CategoryGroup,
    /// Harm weight (see `data/categories.toml` for where the defaults come from).
    pub harm: f64,
}

/// The category catalogue, by code.
#[derive(Debug, Clone, PartialEq)]
pub struct Categories {
    by_code: BTreeMap<String, Category>,
}

/// Why a category catalogue could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    /// The TOML is malformed or misses a field.
    #[error("category file is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// A code is used twice.
    #[error("category code {0:?} is defined twice")]
    Duplicate(String),
    /// A code has characters other than a-z, 0-9 and `_`.
    #[error("category code {0:?} must be lower-case a-z, 0-9 and '_'")]
    BadCode(String),
    /// A harm weight is negative or not finite.
    #[error("category {code:?} has harm weight {harm}; it must be a finite number >= 0")]
    BadHarm { code: String, harm: f64 },
    /// No categories at all.
    #[error("the category file defines no [[category]] entries")]
    Empty,
}

#[derive(Deserialize)]
struct CategoryFile {
    category: Vec<Category>,
}

/// The default catalogue, `data/categories.toml`, embedded in the binary.
pub const DEFAULT_CATEGORIES_TOML: &str = include_str!("../../data/categories.toml");

impl Categories {
    /// Parses a catalogue in the `data/categories.toml` format.
    pub fn from_toml(text: &str) -> Result<Categories, CategoryError> {
        let file: CategoryFile = toml::from_str(text)?;
        if file.category.is_empty() {
            return Err(CategoryError::Empty);
        }
        let mut by_code = BTreeMap::new();
        for c in file.category {
            if c.code.is_empty()
                || !c
                    .code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            {
                return Err(CategoryError::BadCode(c.code));
            }
            if !c.harm.is_finite() || c.harm < 0.0 {
                return Err(CategoryError::BadHarm {
                    code: c.code,
                    harm: c.harm,
                });
            }
            if by_code.contains_key(&c.code) {
                return Err(CategoryError::Duplicate(c.code));
            }
            by_code.insert(c.code.clone(), c);
        }
        Ok(Categories { by_code })
    }

    /// The embedded default catalogue.
    pub fn builtin() -> Categories {
        match Categories::from_toml(DEFAULT_CATEGORIES_TOML) {
            Ok(c) => c,
            Err(e) => unreachable!("data/categories.toml is checked by a unit test: {e}"),
        }
    }

    /// Looks a category up by code (case-insensitive).
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).or_else(|| {
            let lower = code.to_ascii_lowercase();
            self.by_code.get(&lower)
        })
    }

    /// Finds a category by code or by its Swedish or English label, ignoring case, so that
    /// exports that write "Inbrott" or "Burglary" are understood.
    pub fn resolve(&self, text: &str) -> Option<&Category> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        self.get(t).or_else(|| {
            let lower = t.to_lowercase();
            self.by_code
                .values()
                .find(|c| c.sv.to_lowercase() == lower || c.en.to_lowercase() == lower)
        })
    }

    /// All categories, sorted by code.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.by_code.values()
    }

    /// Number of categories.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when there are none (never, for a parsed catalogue).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_covers_required_codes() {
        let c = Categories::from_toml(DEFAULT_CATEGORIES_TOML).unwrap();
        for code in [
            "graffiti",
            "vandalism",
            "fire",
            "loitering_group",
            "suspected_drug_dealing",
            "littering",
            "broken_lighting",
            "assault",
            "robbery",
            "burglary",
            "theft",
            "vehicle_crime",
            "drug_offence",
            "shooting_explosion",
        ] {
            assert!(c.get(code).is_some(), "missing {code}");
        }
        assert_eq!(
            c.get("BURGLARY").map(|c| c.group),
            Some(CategoryGroup::Crime)
        );
    }

    #[test]
    fn bad_catalogues_are_rejected() {
        let dup = "[[category]]\ncode='a'\nsv='A'\nen='A'\ngroup='crime'\nharm=1\n".repeat(2);
        assert!(matches!(
            Categories::from_toml(&dup),
            Err(CategoryError::Duplicate(_))
        ));
        let neg = "[[category]]\ncode='a'\nsv='A'\nen='A'\ngroup='crime'\nharm=-1\n";
        assert!(matches!(
            Categories::from_toml(neg),
            Err(CategoryError::BadHarm { .. })
        ));
        let group = "[[category]]\ncode='a'\nsv='A'\nen='A'\ngroup='nope'\nharm=1\n";
        assert!(matches!(
            Categories::from_toml(group),
            Err(CategoryError::Toml(_))
        ));
    }

    #[test]
    fn crs_and_partner_parse() {
        assert_eq!(Crs::parse("epsg:3006"), Some(Crs::Sweref99Tm));
        assert_eq!(Crs::parse("4326"), Some(Crs::Wgs84));
        assert_eq!(Crs::parse("EPSG:3857"), None);
        assert_eq!(Partner::parse(" Polisen ").unwrap().as_str(), "polisen");
        assert!(Partner::parse("a b").is_err());
        assert!(Partner::parse("").is_err());
    }
}
