//! Which incidents an analysis looks at: by category, category group and partner.
//!
//! [`IncidentFilter::parse`] reads the `category`, `group` and `partner` request
//! parameters (comma-separated lists) and checks every code against the catalogue, so a
//! typo is an error that lists the codes that exist, not a silently empty map.
//! [`IncidentFilter::matches`] applies the filter; its canonical text form
//! ([`Display`](fmt::Display), and serde) is what reports print beside their numbers.
//!
//! Time is not part of the filter: windows are `window`'s business.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::AnalysisError;
use crate::model::{Categories, CategoryGroup, Incident, Partner};

/// A selection of incidents. `None` in a field means "no restriction"; the
/// [`Default`] filter takes every incident.
///
/// A field that is `Some` keeps incidents whose value is in the set (OR within a field);
/// the fields combine with AND. So `categories = {burglary, theft}, partners = {polisen}`
/// keeps the police's burglaries and thefts.
///
/// # Text form
/// `all` for the default filter; otherwise the restricted fields in the order category,
/// group, partner, each as `name=code,code` with codes sorted, separated by `"; "`, e.g.
/// `category=burglary,theft; partner=polisen`. Serde writes and reads that string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct IncidentFilter {
    /// Category codes from the catalogue.
    pub categories: Option<BTreeSet<String>>,
    /// Category groups (crime, disorder, safety).
    pub groups: Option<BTreeSet<CategoryGroup>>,
    /// Partner codes, e.g. `polisen`.
    pub partners: Option<BTreeSet<String>>,
}

/// The lower-case code of a category group, as in `data/categories.toml`.
fn group_code(g: CategoryGroup) -> &'static str {
    match g {
        CategoryGroup::Crime => "crime",
        CategoryGroup::Disorder => "disorder",
        CategoryGroup::Safety => "safety",
    }
}

const GROUPS: [CategoryGroup; 3] = [
    CategoryGroup::Crime,
    CategoryGroup::Disorder,
    CategoryGroup::Safety,
];

fn parse_group(s: &str) -> Option<CategoryGroup> {
    let lower = s.to_ascii_lowercase();
    GROUPS.into_iter().find(|&g| group_code(g) == lower)
}

/// The items of a comma-separated list, trimmed, empty ones dropped; `None` for a missing
/// or empty list or the word `all`.
fn items(list: Option<&str>) -> Option<Vec<&str>> {
    let list = list?.trim();
    if list.is_empty() || list.eq_ignore_ascii_case("all") {
        return None;
    }
    let v: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then_some(v)
}

fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl IncidentFilter {
    /// Builds a filter from request parameters, checking every code.
    ///
    /// # Parameters
    /// - `category`: comma-separated category codes; the Swedish or English label is
    ///   accepted too (`Inbrott`, `Burglary`), case-insensitively, and stored as the code.
    /// - `group`: comma-separated groups: `crime`, `disorder`, `safety`.
    /// - `partner`: comma-separated partner codes (checked for form only: the catalogue
    ///   of partners lives in the store, so an unknown partner simply matches nothing).
    /// - `cats`: the category catalogue.
    ///
    /// `None`, an empty string, or `all` leaves that field unrestricted. Spaces around
    /// items and empty items (`a,,b`) are ignored.
    ///
    /// # Returns
    /// The filter, or [`AnalysisError::Invalid`] naming every unknown code and listing the
    /// known ones.
    ///
    /// # Example
    /// ```
    /// use lagesbild::analysis::filter::IncidentFilter;
    /// use lagesbild::model::Categories;
    /// let cats = Categories::builtin();
    /// let f = IncidentFilter::parse(Some("theft, Inbrott"), None, Some("polisen"), &cats).unwrap();
    /// assert_eq!(f.to_string(), "category=burglary,theft; partner=polisen");
    /// let e = IncidentFilter::parse(Some("burgalry"), None, None, &cats).unwrap_err();
    /// assert!(e.to_string().starts_with("unknown category \"burgalry\"; known categories: "));
    /// assert_eq!(IncidentFilter::parse(None, Some("all"), None, &cats).unwrap().to_string(), "all");
    /// ```
    pub fn parse(
        category: Option<&str>,
        group: Option<&str>,
        partner: Option<&str>,
        cats: &Categories,
    ) -> Result<IncidentFilter, AnalysisError> {
        let categories = match items(category) {
            None => None,
            Some(list) => {
                let mut codes = BTreeSet::new();
                let mut unknown = Vec::new();
                for item in list {
                    match cats.resolve(item) {
                        Some(c) => {
                            codes.insert(c.code.clone());
                        }
                        None => unknown.push(item),
                    }
                }
                if !unknown.is_empty() {
                    let noun = if unknown.len() == 1 {
                        "category"
                    } else {
                        "categories"
                    };
                    return Err(AnalysisError::Invalid(format!(
                        "unknown {noun} {}; known categories: {}",
                        quoted_list(unknown),
                        cats.iter()
                            .map(|c| c.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                Some(codes)
            }
        };
        let groups = match items(group) {
            None => None,
            Some(list) => {
                let mut set = BTreeSet::new();
                let mut unknown = Vec::new();
                for item in list {
                    match parse_group(item) {
                        Some(g) => {
                            set.insert(g);
                        }
                        None => unknown.push(item),
                    }
                }
                if !unknown.is_empty() {
                    let noun = if unknown.len() == 1 {
                        "group"
                    } else {
                        "groups"
                    };
                    return Err(AnalysisError::Invalid(format!(
                        "unknown category {noun} {}; known groups: crime, disorder, safety",
                        quoted_list(unknown)
                    )));
                }
                Some(set)
            }
        };
        let partners = match items(partner) {
            None => None,
            Some(list) => {
                let mut set = BTreeSet::new();
                for item in list {
                    let p = Partner::parse(item).map_err(|why| {
                        AnalysisError::Invalid(format!("partner {item:?}: {why}"))
                    })?;
                    set.insert(p.as_str().to_owned());
                }
                Some(set)
            }
        };
        Ok(IncidentFilter {
            categories,
            groups,
            partners,
        })
    }

    /// True for the default filter, which takes every incident.
    pub fn is_all(&self) -> bool {
        self.categories.is_none() && self.groups.is_none() && self.partners.is_none()
    }

    /// Whether the filter keeps `inc`.
    ///
    /// # Parameters
    /// - `inc`: the incident; its `category` is a catalogue code, as ingest stores it.
    /// - `cats`: the catalogue, to find the incident's group. An incident whose category
    ///   is not in the catalogue has no group and fails any group restriction.
    ///
    /// # Returns
    /// `true` when every restricted field holds the incident's value.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use lagesbild::analysis::filter::IncidentFilter;
    /// use lagesbild::model::{Categories, Incident, Wgs84};
    /// let cats = Categories::builtin();
    /// let inc = Incident {
    ///     id: "1".into(),
    ///     partner: "polisen".into(),
    ///     category: "burglary".into(),
    ///     occurred_at: Utc.with_ymd_and_hms(2026, 11, 20, 21, 0, 0).unwrap(),
    ///     occurred_to: None,
    ///     location: Wgs84 { lon: 17.9, lat: 59.2 },
    ///     description: None,
    /// };
    /// let crime = IncidentFilter::parse(None, Some("crime"), None, &cats).unwrap();
    /// let disorder = IncidentFilter::parse(None, Some("disorder"), None, &cats).unwrap();
    /// assert!(crime.matches(&inc, &cats));
    /// assert!(!disorder.matches(&inc, &cats));
    /// assert!(IncidentFilter::default().matches(&inc, &cats));
    /// ```
    pub fn matches(&self, inc: &Incident, cats: &Categories) -> bool {
        if let Some(codes) = &self.categories {
            if !codes.contains(&inc.category) {
                return false;
            }
        }
        if let Some(groups) = &self.groups {
            match cats.get(&inc.category) {
                Some(c) if groups.contains(&c.group) => {}
                _ => return false,
            }
        }
        if let Some(partners) = &self.partners {
            if !partners.contains(&inc.partner) {
                return false;
            }
        }
        true
    }

    /// Reads the canonical text form (see the type's documentation) without a catalogue:
    /// groups must be known, category and partner codes are only checked for form.
    fn from_canonical(s: &str) -> Result<IncidentFilter, AnalysisError> {
        let s = s.trim();
        let mut f = IncidentFilter::default();
        if s == "all" {
            return Ok(f);
        }
        let bad = |why: String| AnalysisError::Invalid(format!("filter {s:?}: {why}"));
        for part in s.split(';') {
            let (key, list) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("{:?} is not name=codes", part.trim())))?;
            let values = list.split(',').map(str::trim).filter(|v| !v.is_empty());
            match key.trim() {
                "category" => {
                    let mut set = BTreeSet::new();
                    for v in values {
                        if !v
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                        {
                            return Err(bad(format!("{v:?} is not a category code")));
                        }
                        set.insert(v.to_owned());
                    }
                    f.categories = Some(set);
                }
                "group" => {
                    let mut set = BTreeSet::new();
                    for v in values {
                        set.insert(
                            parse_group(v).ok_or_else(|| bad(format!("unknown group {v:?}")))?,
                        );
                    }
                    f.groups = Some(set);
                }
                "partner" => {
                    let mut set = BTreeSet::new();
                    for v in values {
                        let p = Partner::parse(v).map_err(|why| bad(format!("{v:?}: {why}")))?;
                        set.insert(p.as_str().to_owned());
                    }
                    f.partners = Some(set);
                }
                other => return Err(bad(format!("unknown field {other:?}"))),
            }
        }
        Ok(f)
    }
}

impl fmt::Display for IncidentFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("all");
        }
        let mut parts = Vec::new();
        if let Some(c) = &self.categories {
            parts.push(format!(
                "category={}",
                c.iter().map(String::as_str).collect::<Vec<_>>().join(",")
            ));
        }
        if let Some(g) = &self.groups {
            parts.push(format!(
                "group={}",
                g.iter()
                    .map(|&g| group_code(g))
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        if let Some(p) = &self.partners {
            parts.push(format!(
                "partner={}",
                p.iter().map(String::as_str).collect::<Vec<_>>().join(",")
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

impl From<IncidentFilter> for String {
    fn from(f: IncidentFilter) -> String {
        f.to_string()
    }
}

impl TryFrom<String> for IncidentFilter {
    type Error = AnalysisError;

    fn try_from(s: String) -> Result<IncidentFilter, AnalysisError> {
        IncidentFilter::from_canonical(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Wgs84;
    use chrono::{TimeZone, Utc};

    fn inc(partner: &str, category: &str) -> Incident {
        Incident {
            id: "x".into(),
            partner: partner.into(),
            category: category.into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            occurred_to: None,
            location: Wgs84 {
                lon: 17.9,
                lat: 59.2,
            },
            description: None,
        }
    }

    #[test]
    fn empty_and_all_mean_everything() {
        let cats = Categories::builtin();
        for v in [
            None,
            Some(""),
            Some(" "),
            Some("all"),
            Some("ALL"),
            Some(" , "),
        ] {
            let f = IncidentFilter::parse(v, v, v, &cats).unwrap();
            assert!(f.is_all());
            assert_eq!(f, IncidentFilter::default());
            assert_eq!(f.to_string(), "all");
        }
    }

    #[test]
    fn unknown_codes_are_named_with_the_known_ones() {
        let cats = Categories::builtin();
        let e = IncidentFilter::parse(Some("theft,foo,bar"), None, None, &cats)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unknown categories \"foo\", \"bar\"; known categories: "),
            "{e}"
        );
        assert!(e.contains("burglary") && e.contains("graffiti"), "{e}");
        let e = IncidentFilter::parse(None, Some("crime,brott"), None, &cats)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unknown category group \"brott\"; known groups: crime, disorder, safety"
        );
        let e = IncidentFilter::parse(None, None, Some("polisen,a b"), &cats)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("partner \"a b\": "), "{e}");
    }

    #[test]
    fn matches_combines_fields_with_and() {
        let cats = Categories::builtin();
        let f = IncidentFilter::parse(
            Some("burglary,graffiti"),
            Some("Crime"),
            Some("Polisen, bostadsbolaget"),
            &cats,
        )
        .unwrap();
        assert_eq!(
            f.to_string(),
            "category=burglary,graffiti; group=crime; partner=bostadsbolaget,polisen"
        );
        assert!(f.matches(&inc("polisen", "burglary"), &cats));
        assert!(f.matches(&inc("bostadsbolaget", "burglary"), &cats));
        // Graffiti is disorder, not crime.
        assert!(!f.matches(&inc("polisen", "graffiti"), &cats));
        assert!(!f.matches(&inc("kommunen", "burglary"), &cats));
        assert!(!f.matches(&inc("polisen", "theft"), &cats));
        // Unknown category fails a group restriction but passes no restriction.
        let g = IncidentFilter::parse(None, Some("crime"), None, &cats).unwrap();
        assert!(!g.matches(&inc("polisen", "not_in_catalogue"), &cats));
        assert!(IncidentFilter::default().matches(&inc("polisen", "not_in_catalogue"), &cats));
    }

    #[test]
    fn serde_round_trips_the_canonical_form() {
        let cats = Categories::builtin();
        let f = IncidentFilter::parse(Some("theft,assault"), Some("crime"), Some("polisen"), &cats)
            .unwrap();
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            "\"category=assault,theft; group=crime; partner=polisen\""
        );
        assert_eq!(serde_json::from_str::<IncidentFilter>(&json).unwrap(), f);
        assert_eq!(
            serde_json::from_str::<IncidentFilter>("\"all\"").unwrap(),
            IncidentFilter::default()
        );
        assert_eq!(
            serde_json::to_string(&IncidentFilter::default()).unwrap(),
            "\"all\""
        );
        assert!(serde_json::from_str::<IncidentFilter>("\"group=brott\"").is_err());
        assert!(serde_json::from_str::<IncidentFilter>("\"colour=red\"").is_err());
        assert!(serde_json::from_str::<IncidentFilter>("\"theft\"").is_err());
        // A field restricted to nothing matches nothing and still round-trips.
        let none = IncidentFilter {
            partners: Some(BTreeSet::new()),
            ..IncidentFilter::default()
        };
        assert_eq!(none.to_string(), "partner=");
        assert_eq!(IncidentFilter::from_canonical("partner=").unwrap(), none);
        assert!(!none.matches(&inc("polisen", "theft"), &cats));
    }
}
