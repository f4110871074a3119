//! `lagesbild areas`: import and list area layers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

use lagesbild::config::Config;
use lagesbild::ingest::AreaImportOptions;
use lagesbild::pipeline;

use super::{open_store, parse_crs};

#[derive(Subcommand)]
pub(crate) enum AreasCommand {
    /// Import (or replace) an area layer from a GeoJSON FeatureCollection of (Multi)Polygons
    Import {
        /// The GeoJSON file
        file: PathBuf,
        /// Layer name, e.g. districts
        #[arg(long)]
        layer: String,
        /// Property holding the area id
        #[arg(long)]
        id_field: String,
        /// Property holding the area name
        #[arg(long)]
        name_field: String,
        /// Property holding the number of residents
        #[arg(long)]
        population_field: Option<String>,
        /// Property holding the parent area's id (e.g. a region)
        #[arg(long)]
        parent_field: Option<String>,
        /// CRS of the coordinates: EPSG:4326 or EPSG:3006
        #[arg(long)]
        crs: Option<String>,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// List the area layers
    List {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn areas_command(config: &Config, cmd: AreasCommand) -> Result<ExitCode> {
    match cmd {
        AreasCommand::Import {
            file,
            layer,
            id_field,
            name_field,
            population_field,
            parent_field,
            crs,
            json,
        } => {
            let opts = AreaImportOptions {
                layer,
                id_field,
                name_field,
                population_field,
                parent_field,
                crs: crs.as_deref().map(parse_crs).transpose()?,
            };
            let store = open_store(config)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let report = pipeline::import_areas(
                &store,
                std::io::BufReader::new(input),
                &opts,
                &file.display().to_string(),
            )
            .with_context(|| format!("{} was not imported", file.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "layer {}: {} areas imported; {} stored incidents assigned, {} outside the layer",
                    report.layer, report.areas, report.incidents_assigned, report.incidents_outside
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AreasCommand::List { json } => {
            let store = open_store(config)?;
            let layers = store.layers()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&layers)?);
            } else if layers.is_empty() {
                println!(
                    "no area layers; import one with `lagesbild areas import` or run `lagesbild demo load`"
                );
            } else {
                for l in layers {
                    println!(
                        "{:<16} {:>5} areas  from {}  ({})",
                        l.name, l.areas, l.source, l.imported_at
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
