//! Seeded generator of **synthetic** incidents for the Botkyrka demo.
//!
//! Every record made here is invented: no real incident, person or address lies behind it,
//! and each one says so in its `description` ("Syntetisk händelse (demo): …"). The data only
//! look plausible so that hotspot maps, trends and forecasts can be shown and tested.
//!
//! # Determinism
//! The same ([`DemoSpec`], boundary) gives the same output, bit for bit, on any IEEE 754
//! machine: each stream below draws from its own `ChaCha8Rng` (seeded from `seed`, stream
//! number = table row), work is single-threaded and nothing iterates a hash map. We avoid
//! `rand_distr` and libm (`exp`, `ln`, `cos`), whose last bits differ between platforms:
//! normal offsets are Irwin–Hall sums of 12 uniforms, Poisson counts use inversion with a
//! polynomial `exp`, and metres→degrees uses a polynomial `cos`; only `+ − × ÷` remain.
//! Default seed: [`DEFAULT_SEED`] = 20261125 (the date the demo was built); default 3 years.
//!
//! # Volume and mix (expected counts per year, whole municipality)
//! About 7,000 a year (Botkyrka has ~95,000 residents). `polisen` ≈ 3,600: theft 1,350,
//! vehicle_crime 650 (+30 % near-repeats), assault 480, drug_offence 380, burglary 300
//! (+40 % near-repeats), robbery 100, shooting_explosion 4 (+75 % retaliation) ≈ 7.
//! `bostadsbolaget` ≈ 1,750: graffiti 550, vandalism 400, littering 280, loitering_group 200,
//! broken_lighting 180, suspected_drug_dealing 110, fire in stairwells 45.
//! `kommunen` ≈ 1,250: graffiti 380, littering 320, broken_lighting 260, loitering_group 110
//! (field workers), and 22 trygghetsvandringar (safety walks) with 4–12 findings each.
//! `raddningstjansten` ≈ 260: fire 190, vandalism 70 (burnt containers). About 50 a year
//! are double reports: 35 % of stairwell fires also by `raddningstjansten`, 15 % of rescue
//! fires and 10 % of container fires also by `bostadsbolaget` (new id, 5–90 min later).
//! Planted dynamics (below) add ≈ 250, 120 and 250 in years 1, 2 and 3.
//!
//! # Space
//! Each stream puts a share (10–40 %, about 25 % overall) uniformly over the boundary
//! (rejection sampling in its bounding box; lon/lat-uniform, < 0.3 % area distortion here).
//! The rest is a mixture of Gaussian clusters (σ = `radius_m`/2 = 150–400 m) around the
//! centres, stations and residential areas in [`PLANTED`] (approximate WGS 84), weighted by
//! size (Alby, Fittja, Tumba 1.0, Hallunda 0.9, residential 0.5–0.6, Tullinge 0.5,
//! Norsborg 0.4, Vårsta 0.3); burglary, vehicle crime and the housing company weigh the
//! residential clusters 2–3×. Points outside the boundary are redrawn (64 tries, then the
//! background); a site whose centre lies outside the boundary is not used.
//!
//! # Time (Europe/Stockholm local time, stored as UTC)
//! Intensity is set per UTC hour from the local hour, weekday and month, so DST gaps and
//! overlaps need no special case (the repeated autumn hour simply happens twice). Hour
//! profiles: assault/robbery/drugs/loitering peak 20–02, graffiti/vandalism/vehicle crime
//! 22–04, burglary 09–16 (homes empty), theft in shop hours, fires 17–23, office reports
//! 08–16 on weekdays (weekends ×0.25). Fri/Sat 18–06 ×1.2–2.5 for night-life categories.
//! Season: summer ×1.3–1.4 for loitering, vandalism, assault, fire; burglary ×1.3–1.4 in
//! Nov–Jan; broken lighting ×1.6–1.8 in Nov–Jan and ×0.2 in summer. New Year's Eve
//! (Dec 31 18:00–Jan 1 06:00) ×10 for fire and ×3 for vandalism, Valborg (Apr 30 18:00–
//! May 1 03:00) half that boost. Follow-ups are placed on a local date and hour; a time in
//! the spring gap moves an hour on, an ambiguous one takes the earlier instant.
//! Uncertain times: 45 % of burglaries (a quarter of them "weekend away", 6–36 h either
//! side), 50 % of vehicle crimes and 25 % of vandalism get a window of 1–8 h either side of
//! the true time; `occurred_at` is its start, `occurred_to` its end (a window that would
//! cross the edges of the period is left out, so none piles up at its start or end).
//!
//! # Near repeats
//! After a burglary (p = 0.2) or vehicle crime (p = 0.15), 1–3 follow-ups within 200 m and
//! 1–14 days: the near-repeat pattern (Bowers & Johnson 2004, "Who commits near repeats? A
//! test of the boost explanation", Western Criminology Review 5(3) 12–24; Johnson et al.
//! 2007, "Space–time patterns of risk", J. Quant. Criminol. 23 201–219). A shooting or
//! explosion triggers (p = 0.5) 1–2 retaliations within 500 m and 1–10 days. Follow-ups do
//! not trigger further ones.
//!
//! # Planted ground truth
//! [`PLANTED`] lists the persistent clusters and two dynamic ones for testing detection and
//! forecasting: an EMERGING cluster (nothing in the first half of the span, i.e. ~18 months
//! of 3 years, then a linear rise to ≈ 380 incidents/year at the end: drugs, dealing,
//! loitering, assault, robbery, graffiti) and a FADING one (≈ 340/year at the start, linear
//! fall to nothing two thirds into the span, i.e. background-only in the last year: vehicle
//! crime, car fires, vandalism, graffiti, loitering, assault). Both are fictional scenarios.

use HotspotKind::{Emerging, Fading, Persistent};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Stockholm;
use geo::{BoundingRect, Contains, MultiPolygon, Point, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Default seed of the demo data set.
pub const DEFAULT_SEED: u64 = 20_261_125;
/// Default length of the demo period in years of 365.25 days.
pub const DEFAULT_YEARS: u32 = 3;
/// Longest period generated; a larger `years` is clamped to this.
pub const MAX_YEARS: u32 = 30;
const YEAR_S: i64 = 31_557_600;
const M_PER_DEG_LAT: f64 = 111_320.0;

/// What to generate: the period `[end − years × 365.25 days, end)` with a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    /// Seed of the random streams; default [`DEFAULT_SEED`] (20261125).
    pub seed: u64,
    /// Exclusive end: no incident at or after it.
    pub end: DateTime<Utc>,
    /// Number of 365.25-day years before `end`; default [`DEFAULT_YEARS`] (3).
    pub years: u32,
}

impl DemoSpec {
    /// The default seed and length, ending at `end`.
    pub fn new(end: DateTime<Utc>) -> Self {
        Self {
            seed: DEFAULT_SEED,
            end,
            years: DEFAULT_YEARS,
        }
    }
}

/// One synthetic incident as a partner would report it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoIncident {
    /// Reporting partner, one of [`PARTNER_CATEGORIES`].
    pub partner: &'static str,
    /// Partner's own id, unique per partner ("P-0000123").
    pub id: String,
    /// Category code as in `data/categories.toml`.
    pub category: &'static str,
    /// Time (or start of the uncertain window) of the incident.
    pub occurred_at: DateTime<Utc>,
    /// End of the uncertain window, if any: after `occurred_at`, at most `end`.
    pub occurred_to: Option<DateTime<Utc>>,
    /// Longitude, WGS 84.
    pub lon: f64,
    /// Latitude, WGS 84.
    pub lat: f64,
    /// Short Swedish text, always marked as synthetic.
    pub description: Option<String>,
}

/// How a planted hotspot changes over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotspotKind {
    /// Absent in the first half of the period, then growing linearly to its peak at `end`.
    Emerging,
    /// Strongest at the start, gone two thirds into the period.
    Fading,
    /// Constant (apart from the hour, weekday and season profiles).
    Persistent,
}

/// A cluster planted in the demo data (ground truth for detection tests).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlantedHotspot {
    /// Name (approximate place; the dynamic ones are fictional scenarios).
    pub name: &'static str,
    /// Longitude of the centre, WGS 84 (approximate).
    pub lon: f64,
    /// Latitude of the centre, WGS 84 (approximate).
    pub lat: f64,
    /// Radius in metres: 2σ of the cluster, so ~86 % of its own incidents fall inside.
    pub radius_m: f64,
    /// How it develops over the period.
    pub kind: HotspotKind,
}

#[rustfmt::skip]
const fn spot(name: &'static str, lon: f64, lat: f64, radius_m: f64, kind: HotspotKind) -> PlantedHotspot {
    PlantedHotspot { name, lon, lat, radius_m, kind }
}

/// Planted clusters: nine persistent centres, stations and residential areas, then the
/// emerging and the fading one. Coordinates are approximate.
#[rustfmt::skip]
pub const PLANTED: &[PlantedHotspot] = &[
    spot("Alby centrum/T-bana", 17.8453, 59.2395, 600.0, Persistent),
    spot("Fittja centrum/T-bana", 17.8611, 59.2475, 600.0, Persistent),
    spot("Hallunda centrum/T-bana", 17.8256, 59.2435, 600.0, Persistent),
    spot("Norsborg T-bana", 17.8143, 59.2437, 400.0, Persistent),
    spot("Tumba centrum/pendeltåg", 17.8325, 59.1999, 700.0, Persistent),
    spot("Tullinge pendeltåg", 17.9036, 59.2053, 500.0, Persistent),
    spot("Vårsta centrum", 17.7972, 59.1653, 400.0, Persistent),
    spot("Alby/Eriksberg bostäder", 17.8500, 59.2330, 800.0, Persistent),
    spot("Tumba bostäder söder om centrum", 17.8350, 59.1950, 800.0, Persistent),
    spot("Hallunda södra, nytt torg (fiktivt, framväxande)", 17.8200, 59.2370, 300.0, Emerging),
    spot("Storvreten parkering (fiktivt, avtagande)", 17.8470, 59.1930, 300.0, Fading),
];
/// (size weight, residential?) of the persistent entries of [`PLANTED`].
#[rustfmt::skip]
const SITE_WEIGHTS: [(f64, bool); 9] = [
    (1.0, false), (1.0, false), (0.9, false), (0.4, false), (1.0, false),
    (0.5, false), (0.3, false), (0.6, true), (0.5, true),
];
const EMERGING: usize = 9;
const FADING: usize = 10;

const POL: usize = 0;
const BOS: usize = 1;
const KOM: usize = 2;
const RAD: usize = 3;
const ID_PREFIX: [&str; 4] = ["P", "B", "K", "R"];
/// Partners and the categories each of them reports.
#[rustfmt::skip]
pub const PARTNER_CATEGORIES: [(&str, &[&str]); 4] = [
    ("polisen", &["assault", "robbery", "burglary", "theft", "vehicle_crime", "drug_offence", "shooting_explosion"]),
    ("bostadsbolaget", &["graffiti", "vandalism", "littering", "broken_lighting", "loitering_group", "suspected_drug_dealing", "fire"]),
    ("kommunen", &["broken_lighting", "littering", "graffiti", "loitering_group"]),
    ("raddningstjansten", &["fire", "vandalism"]),
];

/// Hour-of-day (local, 0–23), month (Jan–Dec) and weekday (Mon–Sun) profiles, and texts.
#[rustfmt::skip]
mod profiles {
    pub(super) type Hours = [f64; 24];
    pub(super) const NIGHTLIFE: Hours = [6., 5., 4., 2., 1., 1., 1., 1., 1., 1., 1., 2., 2., 2., 2., 3., 3., 3., 4., 5., 6., 7., 8., 7.];
    pub(super) const NIGHT: Hours = [7., 7., 6., 5., 3., 2., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 2., 2., 2., 3., 4., 5., 6., 7.];
    pub(super) const HOME_DAY: Hours = [2., 2., 1., 1., 1., 1., 1., 2., 4., 6., 7., 7., 7., 7., 7., 6., 5., 4., 3., 3., 3., 2., 2., 2.];
    pub(super) const SHOPS: Hours = [1., 1., 0.5, 0.5, 0.5, 0.5, 1., 2., 3., 4., 5., 6., 6., 6., 6., 6., 6., 5., 4., 3., 2., 2., 1., 1.];
    pub(super) const OFFICE: Hours = [0., 0., 0., 0., 0., 0., 0.5, 2., 6., 6., 6., 5., 5., 6., 6., 5., 3., 1., 0.5, 0.5, 0., 0., 0., 0.];
    pub(super) const DAY_EVE: Hours = [0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 1., 2., 4., 5., 5., 5., 5., 5., 5., 5., 5., 5., 4., 4., 3., 2., 1., 1.];
    pub(super) const FIRE: Hours = [4., 4., 3., 2., 1., 1., 1., 1., 1., 1., 1., 2., 2., 2., 3., 3., 4., 5., 6., 7., 7., 7., 6., 5.];
    pub(super) const WALK: Hours = [0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 1., 1., 0., 0., 0., 0.];
    pub(super) type Months = [f64; 12];
    pub(super) const FLAT: Months = [1.; 12];
    pub(super) const SUMMER: Months = [0.7, 0.7, 0.8, 0.9, 1.1, 1.3, 1.4, 1.4, 1.1, 0.9, 0.8, 0.7];
    pub(super) const DARK: Months = [1.3, 1.2, 1.0, 0.8, 0.7, 0.7, 0.8, 0.8, 0.9, 1.1, 1.3, 1.4];
    pub(super) const LIGHTING: Months = [1.6, 1.4, 1.0, 0.6, 0.3, 0.2, 0.2, 0.4, 0.8, 1.3, 1.7, 1.8];
    pub(super) const WALK_MONTHS: Months = [0., 0., 1., 1., 1., 0., 0., 0., 1., 1., 1., 0.];
    pub(super) type Days = [f64; 7];
    pub(super) const ALL_DAYS: Days = [1.; 7];
    pub(super) const WEEKDAYS: Days = [1., 1., 1., 1., 1., 0.25, 0.25];
    pub(super) const WALK_DAYS: Days = [0., 1., 1., 1., 0., 0., 0.];

    pub(super) const T_ASSAULT: &[&str] = &["misshandel utomhus", "misshandel vid centrumentré", "bråk mellan flera personer"];
    pub(super) const T_ROBBERY: &[&str] = &["personrån", "rån mot butik"];
    pub(super) const T_DRUGS: &[&str] = &["innehav av narkotika", "ringa narkotikabrott"];
    pub(super) const T_GRAFFITI: &[&str] = &["klotter på fasad", "klotter i trapphus", "klotter på elskåp"];
    pub(super) const T_VANDAL: &[&str] = &["krossad ruta", "skadad porttelefon", "sönderslagen lekplatsutrustning"];
    pub(super) const T_LOITER: &[&str] = &["grupp ungdomar i trapphus", "grupp vid busshållplats", "grupp vid entré"];
    pub(super) const T_FIRE_RAD: &[&str] = &["brand i lägenhet", "brand utomhus", "gräsbrand", "brand i bil"];
    pub(super) const T_FIRE_BOS: &[&str] = &["brand i barnvagn i trapphus", "brand i soprum"];
    pub(super) const T_LITTER: &[&str] = &["nedskräpning vid återvinningsstation", "grovsopor i soprum", "nedskräpning i park"];
    pub(super) const T_LIGHT: &[&str] = &["trasig gatubelysning", "släckt belysning i gångtunnel", "trasig belysning i entré"];
    pub(super) const T_DEALING: &[&str] = &["misstänkt langning vid entré", "misstänkt narkotikaförsäljning i trapphus"];
    pub(super) const T_CONTAINER: &[&str] = &["brand i container", "brand i soptunna"];
    /// Findings of a trygghetsvandring, category and text (repeats give weight).
    pub(super) const WALK_FINDINGS: [(&str, &str); 8] = [
        ("broken_lighting", "trygghetsvandring: mörk gångväg"), ("broken_lighting", "trygghetsvandring: trasig belysning i gångtunnel"),
        ("broken_lighting", "trygghetsvandring: släckt lyktstolpe vid lekplats"), ("littering", "trygghetsvandring: nedskräpning vid busshållplats"),
        ("littering", "trygghetsvandring: krossat glas på gångväg"), ("graffiti", "trygghetsvandring: klotter i gångtunnel"),
        ("graffiti", "trygghetsvandring: klotter på skylt"), ("loitering_group", "trygghetsvandring: otrygg plats med grupp"),
    ];
}
use profiles::*;

/// Near-repeat follow-ups: probability, max count, radius (m), days (min, max).
#[derive(Clone, Copy)]
struct Repeat(f64, u32, f64, (u32, u32));

/// One Poisson stream of incidents of one partner and category.
#[derive(Clone, Copy)]
struct Stream {
    /// Index into [`PARTNER_CATEGORIES`].
    partner: usize,
    category: &'static str,
    /// Expected incidents a year (for a planted cluster: at full strength).
    per_year: f64,
    /// `Some(i)`: all at planted site `i`; `None`: background plus site mixture.
    site: Option<usize>,
    /// Share spread uniformly over the boundary.
    background: f64,
    /// Weight factor for residential sites in the mixture.
    residential: f64,
    hours: &'static Hours,
    season: &'static Months,
    days: &'static Days,
    /// Factor for Fri 18:00 – Sat 06:00 and Sat 18:00 – Sun 06:00.
    weekend_night: f64,
    /// Factor on New Year's Eve night (half of the boost on Valborg night).
    festive: f64,
    /// Probability of an uncertain time window.
    span: f64,
    repeat: Option<Repeat>,
    /// Another partner that also reports it, with probability.
    co_report: Option<(usize, f64)>,
    /// A trygghetsvandring: each event is a walk with several findings.
    walk: bool,
    texts: &'static [&'static str],
}

#[rustfmt::skip]
const fn s(partner: usize, category: &'static str, per_year: f64, hours: &'static Hours, texts: &'static [&'static str]) -> Stream {
    Stream {
        partner, category, per_year, hours, texts, site: None, background: 0.25, residential: 1.0,
        season: &FLAT, days: &ALL_DAYS, weekend_night: 1.0, festive: 1.0, span: 0.0, repeat: None,
        co_report: None, walk: false,
    }
}

/// Builder steps for the [`STREAMS`] table.
#[rustfmt::skip]
impl Stream {
    const fn bg(mut self, share: f64, residential: f64) -> Self { self.background = share; self.residential = residential; self }
    const fn when(mut self, season: &'static Months, days: &'static Days, wknd: f64) -> Self { self.season = season; self.days = days; self.weekend_night = wknd; self }
    const fn festive(mut self, factor: f64) -> Self { self.festive = factor; self }
    const fn span(mut self, p: f64) -> Self { self.span = p; self }
    const fn repeat(mut self, r: Repeat) -> Self { self.repeat = Some(r); self }
    const fn co(mut self, partner: usize, p: f64) -> Self { self.co_report = Some((partner, p)); self }
    const fn at(mut self, site: usize) -> Self { self.site = Some(site); self }
    const fn walk(mut self) -> Self { self.walk = true; self }
}

const BURGLARY_REPEAT: Repeat = Repeat(0.2, 3, 200.0, (1, 14));
const VEHICLE_REPEAT: Repeat = Repeat(0.15, 3, 200.0, (1, 14));
const SHOT_REPEAT: Repeat = Repeat(0.5, 2, 500.0, (1, 10));
/// All streams. The row number is the ChaCha stream id: append, never reorder.
#[rustfmt::skip]
const STREAMS: &[Stream] = &[
    s(POL, "theft", 1350.0, &SHOPS, &["stöld ur butik", "cykelstöld", "ficktjuveri"]).bg(0.15, 0.3).when(&FLAT, &ALL_DAYS, 1.2),
    s(POL, "vehicle_crime", 650.0, &NIGHT, &["inbrott i bil", "bilstöld", "stöld av katalysator"])
        .bg(0.35, 2.0).when(&FLAT, &ALL_DAYS, 1.3).span(0.5).repeat(VEHICLE_REPEAT),
    s(POL, "burglary", 300.0, &HOME_DAY, &["inbrott i lägenhet", "inbrott i villa", "källarförrådsinbrott"])
        .bg(0.4, 3.0).when(&DARK, &ALL_DAYS, 1.0).span(0.45).repeat(BURGLARY_REPEAT),
    s(POL, "assault", 480.0, &NIGHTLIFE, T_ASSAULT).bg(0.2, 0.7).when(&SUMMER, &ALL_DAYS, 2.5),
    s(POL, "robbery", 100.0, &NIGHTLIFE, T_ROBBERY).bg(0.15, 0.5).when(&FLAT, &ALL_DAYS, 1.8),
    s(POL, "drug_offence", 380.0, &NIGHTLIFE, T_DRUGS).bg(0.15, 1.0).when(&FLAT, &ALL_DAYS, 1.5),
    s(POL, "shooting_explosion", 4.0, &NIGHT, &["skottlossning", "explosion vid entré"])
        .bg(0.3, 1.5).when(&FLAT, &ALL_DAYS, 1.5).repeat(SHOT_REPEAT),
    s(BOS, "graffiti", 550.0, &NIGHT, T_GRAFFITI).bg(0.15, 2.0),
    s(BOS, "vandalism", 400.0, &NIGHT, T_VANDAL).bg(0.15, 2.0).when(&SUMMER, &ALL_DAYS, 1.5).festive(3.0).span(0.25),
    s(BOS, "littering", 280.0, &DAY_EVE, T_LITTER).bg(0.15, 2.0).when(&SUMMER, &ALL_DAYS, 1.0),
    s(BOS, "broken_lighting", 180.0, &OFFICE, T_LIGHT).bg(0.15, 2.0).when(&LIGHTING, &WEEKDAYS, 1.0),
    s(BOS, "loitering_group", 200.0, &NIGHTLIFE, T_LOITER).bg(0.1, 2.0).when(&SUMMER, &ALL_DAYS, 2.0),
    s(BOS, "suspected_drug_dealing", 110.0, &NIGHTLIFE, T_DEALING).bg(0.1, 2.0).when(&FLAT, &ALL_DAYS, 1.5),
    s(BOS, "fire", 45.0, &FIRE, T_FIRE_BOS).bg(0.15, 2.0).when(&SUMMER, &ALL_DAYS, 1.3).festive(10.0).co(RAD, 0.35),
    s(KOM, "broken_lighting", 260.0, &OFFICE, T_LIGHT).bg(0.4, 1.5).when(&LIGHTING, &WEEKDAYS, 1.0),
    s(KOM, "littering", 320.0, &OFFICE, T_LITTER).bg(0.3, 1.0).when(&SUMMER, &WEEKDAYS, 1.0),
    s(KOM, "graffiti", 380.0, &OFFICE, T_GRAFFITI).bg(0.25, 1.0).when(&FLAT, &WEEKDAYS, 1.0),
    s(KOM, "loitering_group", 110.0, &NIGHTLIFE, T_LOITER).bg(0.15, 1.0).when(&SUMMER, &ALL_DAYS, 2.0),
    // Trygghetsvandringar (22 a year); the findings carry their own categories.
    s(KOM, "loitering_group", 22.0, &WALK, &[]).when(&WALK_MONTHS, &WALK_DAYS, 1.0).walk(),
    s(RAD, "fire", 190.0, &FIRE, T_FIRE_RAD).bg(0.35, 1.0).when(&SUMMER, &ALL_DAYS, 1.3).festive(10.0).co(BOS, 0.15),
    s(RAD, "vandalism", 70.0, &FIRE, T_CONTAINER).bg(0.3, 1.5).when(&SUMMER, &ALL_DAYS, 1.3).festive(6.0).co(BOS, 0.1),
    // Emerging cluster: per_year is the rate at full strength (at `end`).
    s(POL, "drug_offence", 90.0, &NIGHTLIFE, T_DRUGS).at(EMERGING).when(&FLAT, &ALL_DAYS, 1.5),
    s(POL, "assault", 40.0, &NIGHTLIFE, T_ASSAULT).at(EMERGING).when(&SUMMER, &ALL_DAYS, 2.5),
    s(POL, "robbery", 20.0, &NIGHTLIFE, T_ROBBERY).at(EMERGING),
    s(BOS, "loitering_group", 80.0, &NIGHTLIFE, T_LOITER).at(EMERGING).when(&SUMMER, &ALL_DAYS, 2.0),
    s(BOS, "suspected_drug_dealing", 70.0, &NIGHTLIFE, T_DEALING).at(EMERGING),
    s(KOM, "loitering_group", 40.0, &NIGHTLIFE, T_LOITER).at(EMERGING),
    s(BOS, "graffiti", 40.0, &NIGHT, T_GRAFFITI).at(EMERGING),
    // Fading cluster: per_year is the rate at the start.
    s(POL, "vehicle_crime", 90.0, &NIGHT, &["inbrott i bil", "bilstöld"]).at(FADING).span(0.5),
    s(RAD, "fire", 40.0, &FIRE, &["brand i bil"]).at(FADING).festive(10.0),
    s(BOS, "vandalism", 70.0, &NIGHT, T_VANDAL).at(FADING).span(0.25),
    s(BOS, "graffiti", 60.0, &NIGHT, T_GRAFFITI).at(FADING),
    s(BOS, "loitering_group", 50.0, &NIGHTLIFE, T_LOITER).at(FADING).when(&SUMMER, &ALL_DAYS, 2.0),
    s(POL, "assault", 30.0, &NIGHTLIFE, T_ASSAULT).at(FADING).when(&FLAT, &ALL_DAYS, 2.5),
];

/// Texts used when `partner` co-reports an incident of `category`.
fn texts_for(partner: usize, category: &str) -> &'static [&'static str] {
    STREAMS
        .iter()
        .find(|st| st.partner == partner && st.category == category && !st.walk)
        .map_or(&[], |st| st.texts)
}

/// `e^x` for `x ≤ 0` from `+ − × ÷` only (halving, Taylor, squaring): platform-independent.
fn exp_neg(x: f64) -> f64 {
    let (mut y, mut k) = (x, 0);
    while y < -0.125 {
        y /= 2.0;
        k += 1;
    }
    let mut r = 1.0;
    for n in (1..=12).rev() {
        r = 1.0 + y * r / f64::from(n);
    }
    for _ in 0..k {
        r *= r;
    }
    r
}

/// `cos` of an angle in degrees (|deg| ≤ 90) by a Taylor polynomial (platform-independent).
fn cos_deg(deg: f64) -> f64 {
    let x = deg * (std::f64::consts::PI / 180.0);
    let (x2, mut r) = (x * x, 1.0);
    for n in (1..=10).rev() {
        r = 1.0 - x2 * r / f64::from((2 * n - 1) * (2 * n));
    }
    r
}

/// Poisson(λ) by inversion, in chunks of at most 10 to keep `e^−λ` well away from 0.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    let (mut n, mut rest) = (0, lambda);
    while rest > 0.0 {
        let l = rest.min(10.0);
        rest -= l;
        let u: f64 = rng.random();
        let (mut p, mut k) = (exp_neg(-l), 0);
        let mut cdf = p;
        while u > cdf && k < 100 {
            k += 1;
            p *= l / f64::from(k);
            cdf += p;
        }
        n += k;
    }
    n
}

/// Standard normal approximated by the Irwin–Hall sum of 12 uniforms minus 6.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0
}

/// The boundary and what we know about sampling inside it.
struct Area<'a> {
    boundary: &'a MultiPolygon<f64>,
    rect: Rect<f64>,
    /// Whether each entry of [`PLANTED`] has its centre inside the boundary.
    usable: Vec<bool>,
}

impl Area<'_> {
    fn inside(&self, lon: f64, lat: f64) -> bool {
        let (min, max) = (self.rect.min(), self.rect.max());
        lon > min.x
            && lon < max.x
            && lat > min.y
            && lat < max.y
            && self.boundary.contains(&Point::new(lon, lat))
    }

    /// Uniform point in the boundary (lon/lat-uniform), `None` if 10,000 tries miss.
    fn background(&self, rng: &mut ChaCha8Rng) -> Option<(f64, f64)> {
        let (min, max) = (self.rect.min(), self.rect.max());
        (0..10_000).find_map(|_| {
            let lon = min.x + (max.x - min.x) * rng.random::<f64>();
            let lat = min.y + (max.y - min.y) * rng.random::<f64>();
            self.inside(lon, lat).then_some((lon, lat))
        })
    }

    /// A point offset from (lon, lat) by `draw` metres (east, north), redrawn until inside.
    fn near(
        &self,
        rng: &mut ChaCha8Rng,
        lon: f64,
        lat: f64,
        mut draw: impl FnMut(&mut ChaCha8Rng) -> (f64, f64),
    ) -> Option<(f64, f64)> {
        let m_per_deg_lon = M_PER_DEG_LAT * cos_deg(lat);
        (0..64).find_map(|_| {
            let (dx, dy) = draw(rng);
            let p = (lon + dx / m_per_deg_lon, lat + dy / M_PER_DEG_LAT);
            self.inside(p.0, p.1).then_some(p)
        })
    }

    /// Gaussian around a site of [`PLANTED`] with σ = radius / 2.
    fn gaussian(&self, rng: &mut ChaCha8Rng, site: usize) -> Option<(f64, f64)> {
        let (h, sigma) = (PLANTED[site], PLANTED[site].radius_m / 2.0);
        self.near(rng, h.lon, h.lat, |r| {
            (sigma * normal(r), sigma * normal(r))
        })
    }

    /// Uniform in the disk of `radius` metres (rejection from the square: no trigonometry).
    fn disk(&self, rng: &mut ChaCha8Rng, lon: f64, lat: f64, radius: f64) -> Option<(f64, f64)> {
        self.near(rng, lon, lat, |r| {
            loop {
                let (x, y) = (2.0 * r.random::<f64>() - 1.0, 2.0 * r.random::<f64>() - 1.0);
                if x * x + y * y <= 1.0 {
                    return (radius * x, radius * y);
                }
            }
        })
    }

    /// Where an incident of a mixture stream happens.
    fn place(&self, rng: &mut ChaCha8Rng, st: &Stream) -> Option<(f64, f64)> {
        if rng.random::<f64>() >= st.background {
            let w = |i: usize| {
                let (w, res) = SITE_WEIGHTS[i];
                if self.usable[i] {
                    w * if res { st.residential } else { 1.0 }
                } else {
                    0.0
                }
            };
            let total: f64 = (0..SITE_WEIGHTS.len()).map(w).sum();
            let mut u = rng.random::<f64>() * total;
            if let Some(i) = (0..SITE_WEIGHTS.len()).find(|&i| {
                u -= w(i);
                u < 0.0
            }) {
                if let Some(p) = self.gaussian(rng, i) {
                    return Some(p);
                }
            }
        }
        self.background(rng)
    }
}

/// One UTC hour (clipped to the period) with its Stockholm local attributes.
struct Slot {
    t0: i64,
    t1: i64,
    hour: usize,
    weekday: usize,
    month: usize,
    weekend_night: bool,
    /// 1 on New Year's Eve night, 0.5 on Valborg night, else 0.
    festive: f64,
    /// Position of the slot's middle in the period, 0..1.
    frac: f64,
}

impl Slot {
    fn weight(&self, st: &Stream) -> f64 {
        let wn = if self.weekend_night {
            st.weekend_night
        } else {
            1.0
        };
        let len = (self.t1 - self.t0) as f64 / 3600.0;
        st.hours[self.hour]
            * st.days[self.weekday]
            * st.season[self.month]
            * wn
            * (1.0 + (st.festive - 1.0) * self.festive)
            * len
    }
}

/// Trend multiplier of a stream at position `frac` (0..1) of the period.
fn trend(st: &Stream, frac: f64) -> f64 {
    match st.site.map(|i| PLANTED[i].kind) {
        Some(Emerging) => ((frac - 0.5) * 2.0).max(0.0),
        Some(Fading) => (1.0 - 1.5 * frac).max(0.0),
        _ => 1.0,
    }
}

/// The hour slots covering `[lo, hi)` (Unix seconds).
fn slots(lo: i64, hi: i64) -> Vec<Slot> {
    let mut out = Vec::new();
    let mut h = lo.div_euclid(3600) * 3600;
    while h < hi {
        if let Some(l) = DateTime::from_timestamp(h, 0).map(|t| t.with_timezone(&Stockholm)) {
            let (hour, wd) = (
                l.hour() as usize,
                l.weekday().num_days_from_monday() as usize,
            );
            let (month, day) = (l.month0() as usize, l.day());
            let festive = match (month, day, hour) {
                (11, 31, 18..) | (0, 1, ..6) => 1.0,
                (3, 30, 18..) | (4, 1, ..3) => 0.5,
                _ => 0.0,
            };
            let (t0, t1) = (h.max(lo), (h + 3600).min(hi));
            let weekend_night = matches!((wd, hour), (4, 18..) | (5, _) | (6, ..6))
                && !(wd == 5 && (6..18).contains(&hour));
            let frac = ((t0 + t1) / 2 - lo) as f64 / (hi - lo) as f64;
            out.push(Slot {
                t0,
                t1,
                hour,
                weekday: wd,
                month,
                weekend_night,
                festive,
                frac,
            });
        }
        h += 3600;
    }
    out
}

/// An incident before ids are given: partner, category, time, window end, (lon, lat), text.
struct Raw(
    usize,
    &'static str,
    i64,
    Option<i64>,
    (f64, f64),
    &'static str,
);

/// A uniformly chosen item, or `fallback` if there is none.
fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T], fallback: T) -> T {
    let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
    if n == 0 {
        fallback
    } else {
        items[rng.random_range(0..n) as usize]
    }
}

/// The generator's state while running through the period.
struct Gen<'a> {
    area: Area<'a>,
    lo: i64,
    hi: i64,
    /// `end` rounded down to the second: the latest allowed `occurred_to`.
    to_max: i64,
    out: Vec<Raw>,
}

impl Gen<'_> {
    /// Records an incident at true time `t`, giving it an uncertain window if drawn.
    fn push(&mut self, rng: &mut ChaCha8Rng, st: &Stream, t: i64, at: (f64, f64)) {
        let text = pick(rng, st.texts, "");
        let (mut from, mut to) = (t, None);
        if rng.random::<f64>() < st.span {
            let away = st.category == "burglary" && rng.random::<f64>() < 0.25;
            let mut side = || {
                if away {
                    3600 * rng.random_range(6..=36)
                } else {
                    900 * rng.random_range(4..=32)
                }
            };
            let (before, after) = (side(), side());
            // A window crossing the period's edges is left out rather than clipped.
            if t - before >= self.lo && t + after <= self.to_max {
                (from, to) = (t - before, Some(t + after));
            }
        }
        self.out
            .push(Raw(st.partner, st.category, from, to, at, text));
    }

    /// A follow-up `days` after `t` on a local date, at an hour drawn from the profile.
    fn later(&self, rng: &mut ChaCha8Rng, st: &Stream, t: i64, days: (u32, u32)) -> Option<i64> {
        let local = DateTime::from_timestamp(t, 0)?
            .with_timezone(&Stockholm)
            .date_naive();
        let date =
            local.checked_add_days(chrono::Days::new(rng.random_range(days.0..=days.1).into()))?;
        let max = st.hours.iter().copied().fold(0.0, f64::max);
        let mut hour = 12;
        for _ in 0..1000 {
            let h = rng.random_range(0..24u32);
            if rng.random::<f64>() * max < st.hours[h as usize] {
                hour = h;
                break;
            }
        }
        let naive: NaiveDateTime = date.and_hms_opt(hour, rng.random_range(0..60), 0)?;
        // Spring gap: move on an hour; autumn overlap: the earlier instant.
        let t = (0..3).find_map(|h| {
            Stockholm
                .from_local_datetime(&(naive + TimeDelta::hours(h)))
                .earliest()
        })?;
        Some(t.timestamp()).filter(|&t| t < self.hi)
    }

    fn event(&mut self, rng: &mut ChaCha8Rng, st: &Stream, t: i64) {
        if st.walk {
            return self.walk(rng, t);
        }
        let at = match st.site {
            Some(i) if self.area.usable[i] => self.area.gaussian(rng, i),
            Some(_) => None,
            None => self.area.place(rng, st),
        };
        let Some(at) = at else { return };
        self.push(rng, st, t, at);
        let co = st.co_report.filter(|&(_, p)| rng.random::<f64>() < p);
        if let Some((partner, _)) = co {
            let t2 = t + 60 * rng.random_range(5..=90);
            let at2 = self.area.disk(rng, at.0, at.1, 30.0).unwrap_or(at);
            let text = pick(rng, texts_for(partner, st.category), "");
            if t2 < self.hi {
                self.out
                    .push(Raw(partner, st.category, t2, None, at2, text));
            }
        }
        let repeat = st.repeat.filter(|r| rng.random::<f64>() < r.0);
        if let Some(Repeat(_, max, radius, days)) = repeat {
            for _ in 0..rng.random_range(1..=max) {
                let t2 = self.later(rng, st, t, days);
                let at2 = self.area.disk(rng, at.0, at.1, radius);
                if let (Some(t2), Some(at2)) = (t2, at2) {
                    self.push(rng, st, t2, at2);
                }
            }
        }
    }

    /// A trygghetsvandring: 4–12 findings within 400 m of a site over two hours.
    fn walk(&mut self, rng: &mut ChaCha8Rng, t: i64) {
        let sites: Vec<usize> = (0..SITE_WEIGHTS.len())
            .filter(|&i| self.area.usable[i])
            .collect();
        let Some(site) = sites
            .get(rng.random_range(0..sites.len().max(1) as u32) as usize)
            .copied()
        else {
            return;
        };
        for _ in 0..rng.random_range(4..=12) {
            let t2 = t + 600 * rng.random_range(0..=12);
            let at = self
                .area
                .disk(rng, PLANTED[site].lon, PLANTED[site].lat, 400.0);
            let (category, text) = pick(rng, &WALK_FINDINGS, WALK_FINDINGS[0]);
            if let (true, Some(at)) = (t2 < self.hi, at) {
                self.out.push(Raw(KOM, category, t2, None, at, text));
            }
        }
    }
}

/// First whole second at or after `t`.
fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// Generates the synthetic incidents of `spec` inside `boundary` (lon/lat, WGS 84).
///
/// Deterministic: same spec and boundary, same output. Sorted by (occurred_at, partner, id).
/// `progress(done, total)` is called about once per generated month. An empty boundary
/// gives no incidents; `years` above [`MAX_YEARS`] is clamped.
pub fn generate(
    spec: &DemoSpec,
    boundary: &MultiPolygon<f64>,
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<DemoIncident> {
    let span = TimeDelta::seconds(YEAR_S * i64::from(spec.years.min(MAX_YEARS)));
    let (Some(start), Some(rect)) = (spec.end.checked_sub_signed(span), boundary.bounding_rect())
    else {
        return Vec::new();
    };
    let (lo, hi) = (ceil_secs(start), ceil_secs(spec.end));
    if lo >= hi {
        return Vec::new();
    }
    let usable = PLANTED
        .iter()
        .map(|h| boundary.contains(&Point::new(h.lon, h.lat)))
        .collect();
    let mut g = Gen {
        area: Area {
            boundary,
            rect,
            usable,
        },
        lo,
        hi,
        to_max: spec.end.timestamp(),
        out: Vec::new(),
    };
    let slots = slots(lo, hi);
    let hours_in_span = (hi - lo) as f64 / 3600.0;
    // λ per slot = per_year × (years in span) × weight / Σ weight × trend.
    let norms: Vec<f64> = STREAMS
        .iter()
        .map(|st| {
            let sum: f64 = slots.iter().map(|sl| sl.weight(st)).sum();
            if sum > 0.0 {
                st.per_year * hours_in_span / 8766.0 / sum
            } else {
                0.0
            }
        })
        .collect();
    let mut rngs: Vec<ChaCha8Rng> = (0..STREAMS.len())
        .map(|k| {
            let mut r = ChaCha8Rng::seed_from_u64(spec.seed);
            r.set_stream(k as u64);
            r
        })
        .collect();
    let total = slots.len() as u64 + 1;
    for (i, slot) in slots.iter().enumerate() {
        if i % 720 == 0 {
            progress(i as u64, total);
        }
        for ((st, rng), norm) in STREAMS.iter().zip(rngs.iter_mut()).zip(&norms) {
            let lambda = norm * slot.weight(st) * trend(st, slot.frac);
            if lambda <= 0.0 {
                continue;
            }
            for _ in 0..poisson(rng, lambda) {
                // A whole minute inside [t0, t1).
                let first = slot.t0 + (60 - slot.t0.rem_euclid(60)) % 60;
                let minutes = (slot.t1 - first + 59) / 60;
                if minutes > 0 {
                    let t = first + 60 * rng.random_range(0..minutes);
                    g.event(rng, st, t);
                }
            }
        }
    }
    // Ids in time order per partner; the generation order breaks ties deterministically.
    let mut raw = g.out;
    raw.sort_by_key(|r| (r.2, r.0));
    let mut next = [0u64; 4];
    let mut out: Vec<DemoIncident> = raw
        .into_iter()
        .filter_map(|Raw(partner, category, t, to, (lon, lat), text)| {
            next[partner] += 1;
            Some(DemoIncident {
                partner: PARTNER_CATEGORIES[partner].0,
                id: format!("{}-{:07}", ID_PREFIX[partner], next[partner]),
                category,
                occurred_at: DateTime::from_timestamp(t, 0)?,
                occurred_to: to.and_then(|t| DateTime::from_timestamp(t, 0)),
                lon,
                lat,
                description: Some(match text {
                    "" => "Syntetisk händelse (demo)".to_owned(),
                    _ => format!("Syntetisk händelse (demo): {text}"),
                }),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.occurred_at, a.partner, &a.id).cmp(&(b.occurred_at, b.partner, &b.id)));
    progress(total, total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use geo::{LineString, Polygon};
    use std::collections::BTreeSet;
    use std::sync::OnceLock;

    /// Rectangle lon 17.70..17.98, lat 59.12..59.30 around Botkyrka, optionally with a hole.
    fn boundary(hole: bool) -> MultiPolygon<f64> {
        let ring = |x0: f64, y0: f64, x1: f64, y1: f64| {
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
        };
        let holes = if hole {
            vec![ring(17.835, 59.232, 17.855, 59.246)]
        } else {
            vec![]
        };
        MultiPolygon(vec![Polygon::new(ring(17.70, 59.12, 17.98, 59.30), holes)])
    }

    fn end() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    /// The default three years, generated once for all tests.
    fn default_run() -> &'static [DemoIncident] {
        static OUT: OnceLock<Vec<DemoIncident>> = OnceLock::new();
        OUT.get_or_init(|| generate(&DemoSpec::new(end()), &boundary(false), &mut |_, _| {}))
    }

    fn within(i: &DemoIncident, h: &PlantedHotspot) -> bool {
        let dx = (i.lon - h.lon) * M_PER_DEG_LAT * h.lat.to_radians().cos();
        let dy = (i.lat - h.lat) * M_PER_DEG_LAT;
        dx * dx + dy * dy <= h.radius_m * h.radius_m
    }

    /// Incidents within `h` in the first and in the last 182 days.
    fn first_last(h: &PlantedHotspot) -> (usize, usize) {
        let start = end() - TimeDelta::seconds(3 * YEAR_S);
        let half_year = TimeDelta::days(182);
        let near: Vec<_> = default_run().iter().filter(|i| within(i, h)).collect();
        let first = near
            .iter()
            .filter(|i| i.occurred_at < start + half_year)
            .count();
        (
            first,
            near.iter()
                .filter(|i| i.occurred_at >= end() - half_year)
                .count(),
        )
    }

    #[test]
    fn same_spec_gives_identical_output() {
        let spec = DemoSpec {
            seed: 7,
            end: end(),
            years: 1,
        };
        let mut calls = Vec::new();
        let a = generate(&spec, &boundary(false), &mut |d, t| calls.push((d, t)));
        let b = generate(&spec, &boundary(false), &mut |_, _| {});
        assert!(!a.is_empty() && a == b);
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.lon.to_bits() == y.lon.to_bits()
                    && x.lat.to_bits() == y.lat.to_bits())
        );
        assert!(calls.len() > 10 && calls.iter().all(|&(d, t)| d <= t));
        assert!(
            calls.windows(2).all(|w| w[0].0 <= w[1].0)
                && calls.last().is_some_and(|&(d, t)| d == t)
        );
        let other = generate(
            &DemoSpec { seed: 8, ..spec },
            &boundary(false),
            &mut |_, _| {},
        );
        assert_ne!(a, other);
    }

    /// Golden value: catches a platform or dependency that changes the data set. Update it
    /// only on purpose (the demo data set then changes for everyone).
    #[test]
    fn output_fingerprint_is_stable() {
        let spec = DemoSpec {
            seed: DEFAULT_SEED,
            end: end(),
            years: 1,
        };
        let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
        for i in generate(&spec, &boundary(false), &mut |_, _| {}) {
            let line = format!(
                "{}|{}|{}|{}|{:?}|{:x}|{:x}|{:?}",
                i.partner,
                i.id,
                i.category,
                i.occurred_at,
                i.occurred_to,
                i.lon.to_bits(),
                i.lat.to_bits(),
                i.description
            );
            for b in line.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        assert_eq!(h, 0x6fc9_6556_ac2c_81f2, "fingerprint {h:#018x}");
    }

    #[test]
    fn points_inside_boundary_with_hole() {
        let area = boundary(true);
        let spec = DemoSpec {
            seed: 1,
            end: end(),
            years: 1,
        };
        let out = generate(&spec, &area, &mut |_, _| {});
        assert!(out.len() > 5000);
        assert!(out.iter().all(|i| area.contains(&Point::new(i.lon, i.lat))));
        assert!(
            default_run()
                .iter()
                .all(|i| boundary(false).contains(&Point::new(i.lon, i.lat)))
        );
    }

    #[test]
    fn degenerate_input_gives_nothing() {
        let none = |years| {
            generate(
                &DemoSpec {
                    seed: 1,
                    end: end(),
                    years,
                },
                &boundary(false),
                &mut |_, _| {},
            )
        };
        assert!(none(0).is_empty());
        let empty = generate(&DemoSpec::new(end()), &MultiPolygon(vec![]), &mut |_, _| {});
        assert!(empty.is_empty());
    }

    #[test]
    fn times_in_range_and_sorted() {
        let out = default_run();
        let start = end() - TimeDelta::seconds(3 * YEAR_S);
        for i in out {
            assert!(i.occurred_at >= start && i.occurred_at < end(), "{i:?}");
            assert!(
                i.occurred_to
                    .is_none_or(|t| t > i.occurred_at && t <= end()),
                "{i:?}"
            );
            assert!(
                i.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("Syntetisk händelse (demo)"))
            );
        }
        let key = |i: &DemoIncident| (i.occurred_at, i.partner, i.id.clone());
        assert!(out.windows(2).all(|w| key(&w[0]) < key(&w[1])));
        let spans = out.iter().filter(|i| i.occurred_to.is_some()).count();
        assert!(spans > 500, "{spans} uncertain windows");
    }

    #[test]
    fn ids_unique_and_partner_categories_valid() {
        let mut seen = BTreeSet::new();
        for i in default_run() {
            assert!(seen.insert((i.partner, i.id.as_str())), "duplicate {i:?}");
            let cats = PARTNER_CATEGORIES
                .iter()
                .find(|(p, _)| *p == i.partner)
                .map(|(_, c)| *c);
            assert!(
                cats.is_some_and(|c| c.contains(&i.category)),
                "{} {}",
                i.partner,
                i.category
            );
        }
        let valid = |p: usize, c: &str| PARTNER_CATEGORIES[p].1.contains(&c);
        assert!(STREAMS.iter().all(|st| valid(st.partner, st.category)));
        assert!(
            STREAMS
                .iter()
                .all(|st| st.co_report.is_none_or(|(p, _)| valid(p, st.category)))
        );
        assert!(WALK_FINDINGS.iter().all(|(c, _)| valid(KOM, c)));
        let all: BTreeSet<&str> = PARTNER_CATEGORIES
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect();
        let codes = "assault robbery burglary theft vehicle_crime drug_offence shooting_explosion vandalism \
                     graffiti loitering_group suspected_drug_dealing littering fire broken_lighting";
        assert_eq!(all, codes.split_whitespace().collect());
        let groups = ["polisen", "bostadsbolaget", "kommunen", "raddningstjansten"];
        assert!(
            groups
                .iter()
                .all(|p| default_run().iter().any(|i| i.partner == *p))
        );
        let names: BTreeSet<_> = PLANTED.iter().map(|h| h.name).collect();
        assert_eq!(names.len(), PLANTED.len());
        assert_eq!(PLANTED[EMERGING].kind, Emerging);
        assert_eq!(PLANTED[FADING].kind, Fading);
        assert!(
            PLANTED[..SITE_WEIGHTS.len()]
                .iter()
                .all(|h| h.kind == Persistent)
        );
    }

    #[test]
    fn volume_per_year_near_target() {
        for y in 0..3 {
            let hi = end() - TimeDelta::seconds(y * YEAR_S);
            let lo = hi - TimeDelta::seconds(YEAR_S);
            let year: Vec<_> = default_run()
                .iter()
                .filter(|i| i.occurred_at >= lo && i.occurred_at < hi)
                .collect();
            assert!(
                (5600..=8400).contains(&year.len()),
                "year {y}: {}",
                year.len()
            );
            let shots = year
                .iter()
                .filter(|i| i.category == "shooting_explosion")
                .count();
            assert!((1..=25).contains(&shots), "year {y}: {shots} shootings");
            let theft = year.iter().filter(|i| i.category == "theft").count();
            assert!(theft > 50 * shots.max(1), "theft {theft}");
        }
    }

    #[test]
    fn emerging_grows_and_fading_fades() {
        let (first, last) = first_last(&PLANTED[EMERGING]);
        assert!(
            last > 3 * first + 50,
            "emerging: first {first}, last {last}"
        );
        let (first, last) = first_last(&PLANTED[FADING]);
        assert!(first > 3 * last + 50, "fading: first {first}, last {last}");
    }

    #[test]
    fn evenings_and_weekend_nights_overrepresented() {
        let local: Vec<_> = default_run()
            .iter()
            .map(|i| i.occurred_at.with_timezone(&Stockholm))
            .collect();
        let evening = local
            .iter()
            .filter(|t| t.hour() >= 18 || t.hour() < 2)
            .count();
        let share = evening as f64 / local.len() as f64;
        assert!(share > 0.38, "evening share {share:.3} vs uniform 0.333");
        let assaults: Vec<_> = default_run()
            .iter()
            .filter(|i| i.category == "assault")
            .collect();
        let fri_sat = assaults
            .iter()
            .filter(|i| {
                matches!(
                    i.occurred_at.with_timezone(&Stockholm).weekday(),
                    Weekday::Fri | Weekday::Sat
                )
            })
            .count();
        let share = fri_sat as f64 / assaults.len() as f64;
        assert!(
            share > 1.25 * 2.0 / 7.0,
            "Fri/Sat assault share {share:.3} vs uniform 0.286"
        );
    }

    #[test]
    fn polynomial_helpers_match_libm() {
        for k in 0..=400 {
            let x = f64::from(k) / 40.0;
            assert!(
                (exp_neg(-x) - (-x).exp()).abs() <= 1e-12 * (-x).exp(),
                "exp {x}"
            );
            let d = f64::from(k) * 0.225;
            assert!((cos_deg(d) - d.to_radians().cos()).abs() < 1e-13, "cos {d}");
        }
    }
}
