//! The command groups of the `lagesbild` binary, one file each; `run` resolves the
//! configuration and dispatches.

mod access;
mod analysis;
mod areas;
mod database;
mod delete;
mod demo;
mod ingest;
mod interventions;
mod profile;
mod report;
mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use lagesbild::config::{Config, ConfigInput, FileConfig};
use lagesbild::model::Crs;
use lagesbild::store::Store;

const EXAMPLES: &str = "\
Examples:
  lagesbild serve                                   # map + API on http://127.0.0.1:8080 (loads the demo into an empty database)
  lagesbild ingest polisen_v47.csv --partner polisen
  lagesbild ingest avvikelser.geojson --partner bostadsbolaget --strict --json
  lagesbild ingest export_sweref.csv --crs EPSG:3006
  lagesbild profile add polisen-vecka --partner polisen --map \"id=Händelsenummer,occurred_at=Datum+Klockslag,category=Brottstyp\"
  lagesbild ingest vecka47.csv --profile polisen-vecka --encoding latin1
  lagesbild categories map --partner polisen \"Bedrägeri via internet=fraud\" \"0901=fraud\"
  lagesbild areas import stadsdelar.geojson --layer districts --id-field kod --name-field namn --population-field folkmangd
  lagesbild demo load                               # Botkyrka demo: boundaries + synthetic incidents
  lagesbild report week 2026-W47 --out v47.html     # weekly situation picture (also --format json|csv)
  lagesbild report tertial 2026-T3 --lang en --format csv --out t3.csv
  lagesbild --db /var/lib/lagesbild/data.db serve --bind 0.0.0.0:8080
  lagesbild serve --web-dir /opt/lagesbild/web --basemap-url 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
  lagesbild partner add polisen --name Polisen --shares yes
  lagesbild token create --partner polisen --role analyst --expires 90d --label anna-lpo
  lagesbild audit --since 2026-11-01 --action incidents
  lagesbild backup /var/backups/lagesbild.db         # online copy of the SQLite database
  lagesbild migrate --to postgres://lagesbild@db/lagesbild   # move to PostgreSQL + PostGIS

Configuration: flags win over LAGESBILD_* environment variables, which win over the TOML file
given by --config (keys: db, categories, timezone, region, h3_resolutions, study_area, bind,
priority_weights).";

/// lagesbild: spatial hotspots for local crime-prevention partnerships (veckolägesbild,
/// tertialanalys). Ingests partners' incidents, assigns them to areas and H3 cells, and
/// serves hotspot maps.
#[derive(Parser)]
#[command(name = "lagesbild", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// SQLite database file [default: ./lagesbild.db]
    #[arg(long, env = "LAGESBILD_DB", global = true)]
    db: Option<PathBuf>,
    /// TOML configuration file
    #[arg(long, env = "LAGESBILD_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Category catalogue replacing the built-in data/categories.toml
    #[arg(long, env = "LAGESBILD_CATEGORIES", global = true)]
    categories: Option<PathBuf>,
    /// Time zone for local times without an offset [default: Europe/Stockholm]
    #[arg(long, env = "LAGESBILD_TIMEZONE", global = true)]
    timezone: Option<String>,
    /// Deployment region min_lon,min_lat,max_lon,max_lat; coordinates outside are rejected
    /// [default: extent of the loaded areas plus 0.1°, or Sweden when none are loaded]
    #[arg(
        long,
        env = "LAGESBILD_REGION",
        global = true,
        allow_hyphen_values = true
    )]
    region: Option<String>,
    /// H3 resolutions assigned to every incident [default: 7,8,9,10]
    #[arg(long, env = "LAGESBILD_H3_RESOLUTIONS", global = true)]
    h3_resolutions: Option<String>,
    /// Area layer whose union is the study area for hex grids [default: the loaded layer
    /// with the smallest extent]
    #[arg(long, env = "LAGESBILD_STUDY_AREA", global = true)]
    study_area: Option<String>,
    /// Weights of the tertial analysis's priority score, e.g.
    /// harm=0.4,trend=0.2,significance=0.3,population=0.1 (omitted keys keep these defaults)
    #[arg(long, env = "LAGESBILD_PRIORITY_WEIGHTS", global = true)]
    priority_weights: Option<String>,
    /// The period analysis's cadence: tertial (T1–T3) or quarter (Q1–Q4) [default: tertial]
    #[arg(long, env = "LAGESBILD_CADENCE", global = true)]
    cadence: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server (loads the Botkyrka demo into an empty database unless --no-demo)
    Serve(serve::ServeArgs),
    /// Ingest an incident file (CSV or GeoJSON); `-` reads standard input.
    ///
    /// CSV columns: id, occurred_at, category, and lat,lon (WGS 84) or easting,northing
    /// (SWEREF 99 TM); optional occurred_to, partner, description. Common Swedish and
    /// English names are recognised (Händelsenummer, Tidpunkt, Datum + Klockslag,
    /// Brottstyp, Latitud, Longitud, X, Y, ...; see docs/input-format.md), other names via
    /// an import profile (--profile). Delimiter ',' or ';'. Times: RFC 3339, or local
    /// YYYY-MM-DD HH:MM (Europe/Stockholm by default).
    ///
    /// Exit status: 0 all rows stored or already stored; 3 stored, but some rows rejected;
    /// 1 nothing stored (file error, or --strict with rejections).
    Ingest(ingest::IngestArgs),
    /// Import profiles: a partner's own column names and formats, for `ingest --profile`
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Delete incidents: undo an import (--batch N), a partner's (--partner P [--before
    /// DATE]) or a list of its ids (--partner P --ids FILE); audited, aggregates recompute
    Delete(delete::DeleteArgs),
    /// Manage area layers (neighbourhood polygons)
    #[command(subcommand)]
    Areas(areas::AreasCommand),
    /// The Botkyrka demo (real boundaries, approximate districts, SYNTHETIC incidents)
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Reports: the weekly situation picture and the tertial analysis (HTML, JSON, CSV)
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The interventions register (insatser) and the follow-up of each intervention
    #[command(subcommand, after_help = interventions::INTERVENTION_EXAMPLES)]
    Interventions(interventions::InterventionsCommand),
    /// Near-repeat analysis (Knox test): pairs of incidents in distance × time bands
    /// against seeded permutations of the times. Bands are lo < x ≤ hi (the first time band
    /// is [0, hi]); "same location" is distance 0.
    Nearrepeat(analysis::NearrepeatArgs),
    /// Copy the whole database into an empty one of either backend (SQLite file or
    /// PostgreSQL URL), then check every table's rows and checksum
    #[command(after_help = database::MIGRATE_EXAMPLES)]
    Migrate(database::MigrateArgs),
    /// Write a consistent copy of the SQLite database to a new file while it is in use
    #[command(after_help = database::MIGRATE_EXAMPLES)]
    Backup(database::BackupArgs),
    /// Read-only views of weekly aggregates for GIS clients (PostgreSQL + PostGIS)
    #[command(subcommand, after_help = database::GIS_EXAMPLES)]
    Gis(database::GisCommand),
    /// List the incident categories; map a partner's own codes and labels onto them
    Categories(profile::CategoriesArgs),
    /// Partner organisations and whether they share incidents with the collaboration
    #[command(subcommand)]
    Partner(access::PartnerCommand),
    /// API tokens: create (printed once), list, revoke
    #[command(subcommand)]
    Token(access::TokenCommand),
    /// List the audit log (reads and exports of incidents, ingests, corrections, token changes)
    Audit(access::AuditArgs),
}

pub fn run(mut cli: Cli) -> Result<ExitCode> {
    // For `report`, the global --region names the report's region (regions:norra), unless
    // it is a deployment bounding box (four numbers).
    let mut report_region = None;
    if matches!(cli.command, Command::Report(_))
        && let Some(r) = &cli.global.region
        && lagesbild::config::Region::parse(r).is_err()
    {
        report_region = cli.global.region.take();
    }
    let g = &cli.global;
    let file = match &g.config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let bind_from_file = file.bind.clone();
    let config = Config::resolve(
        ConfigInput {
            db: g.db.clone(),
            categories: g.categories.clone(),
            timezone: g.timezone.clone(),
            region: g.region.clone(),
            h3_resolutions: g.h3_resolutions.clone(),
            study_area: g.study_area.clone(),
            priority_weights: g.priority_weights.clone(),
            cadence: g.cadence.clone(),
        },
        file,
    )?;
    match cli.command {
        Command::Serve(args) => serve::serve_command(config, args, bind_from_file),
        Command::Ingest(args) => ingest::ingest_command(&config, args),
        Command::Profile(cmd) => profile::profile_command(&config, cmd),
        Command::Delete(args) => delete::delete_command(&config, args),
        Command::Areas(cmd) => areas::areas_command(&config, cmd),
        Command::Demo(cmd) => demo::demo_command(&config, cmd),
        Command::Report(cmd) => report::report_command(&config, cmd, report_region),
        Command::Interventions(cmd) => interventions::interventions_command(&config, cmd),
        Command::Partner(cmd) => access::partner_command(&config, cmd),
        Command::Token(cmd) => access::token_command(&config, cmd),
        Command::Audit(args) => access::audit_command(&config, args),
        Command::Nearrepeat(args) => analysis::nearrepeat_command(&config, args),
        Command::Migrate(args) => database::migrate_command(&config, args),
        Command::Backup(args) => database::backup_command(&config, args),
        Command::Gis(cmd) => database::gis_command(&config, cmd),
        Command::Categories(args) => match args.command {
            None => analysis::categories_command(&config, args.json),
            Some(cmd) => profile::mapping_command(&config, cmd),
        },
    }
}

fn open_store(config: &Config) -> Result<Store> {
    // StoreError::Open names the file or the URL (password redacted) and the reason.
    Ok(Store::open(&config.db)?)
}

fn parse_crs(s: &str) -> Result<Crs> {
    Crs::parse(s).with_context(|| {
        format!("unknown CRS {s:?}: use EPSG:4326 (WGS 84 lat/lon) or EPSG:3006 (SWEREF 99 TM)")
    })
}

/// A progress bar on standard error when it is a terminal; hidden otherwise.
fn progress_bar(len: Option<u64>, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        ),
        None => ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        ),
    };
    bar.with_message(message)
}
