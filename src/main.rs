//! The `lagesbild` command line: parses flags, sets up logging, opens the store and runs one
//! command. Everything else lives in the library.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use lagesbild::access::{self, audit, tokens};
use lagesbild::config::{Config, ConfigInput, FileConfig};
use lagesbild::demo::{self, DemoSpec};
use lagesbild::ingest::{AreaImportOptions, Format};
use lagesbild::model::{Crs, Partner};
use lagesbild::pipeline::{self, IngestReport, IngestRequest};
use lagesbild::serve;
use lagesbild::store::Store;

const EXAMPLES: &str = "\
Examples:
  lagesbild serve                                   # map + API on http://127.0.0.1:8080 (loads the demo into an empty database)
  lagesbild ingest polisen_v47.csv --partner polisen
  lagesbild ingest avvikelser.geojson --partner bostadsbolaget --strict --json
  lagesbild ingest export_sweref.csv --crs EPSG:3006
  lagesbild areas import stadsdelar.geojson --layer districts --id-field kod --name-field namn --population-field folkmangd
  lagesbild demo load                               # Botkyrka demo: boundaries + synthetic incidents
  lagesbild report week 2026-W47 --out v47.html     # weekly situation picture (also --format json|csv)
  lagesbild report tertial 2026-T3 --lang en --format csv --out t3.csv
  lagesbild --db /var/lib/lagesbild/data.db serve --bind 0.0.0.0:8080
  lagesbild serve --web-dir /opt/lagesbild/web --basemap-url 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
  lagesbild partner add polisen --name Polisen --shares yes
  lagesbild token create --partner polisen --role analyst --expires 90d --label anna-lpo
  lagesbild audit --since 2026-11-01 --action incidents

Configuration: flags win over LAGESBILD_* environment variables, which win over the TOML file
given by --config (keys: db, categories, timezone, region, h3_resolutions, study_area, bind,
priority_weights).";

const REPORT_EXAMPLES: &str = "\
Examples:
  lagesbild report week 2026-W47                               # HTML (Swedish) on standard output
  lagesbild report week 2026-W47 --format html --out v47.html  # then print it from a browser (A4)
  lagesbild report week 2026-W47 --region regions:norra --lang en --out v47-norra.html
  lagesbild report week 2026-W47 --format json --out v47.json
  lagesbild report week 2026-W47 --format csv --out v47.csv    # semicolons, decimal comma, UTF-8 BOM
  lagesbild report tertial 2026-T3 --format html --out t3.html
  lagesbild report tertial 2026-T3 --layer districts --format csv --decimal point
  lagesbild report quarter 2026-Q4 --format html --out q4.html    # with --cadence quarter
  lagesbild report week 2026-W50 --as-of 2026-12-09T12:00:00Z  # a running week, to-date
  lagesbild report notes 2026-W47 --text \"Beslut: extra belysning i Alby\"
  lagesbild report notes 2026-W47 --file anteckningar.txt --region norra

--region limits a report to an area, LAYER:ID (e.g. regions:norra) or an id or name in the
`regions` layer (four numbers are still the deployment's bounding box).
Report ids: YYYY-Www (ISO week, 01..52 or 53) and YYYY-T1, -T2, -T3 (Jan–Apr, May–Aug, Sep–Dec).
The tertial priority weights come from --priority-weights, LAGESBILD_PRIORITY_WEIGHTS or
priority_weights in the --config file (default harm=0.4,trend=0.2,significance=0.3,population=0.1).";

/// lagesbild: spatial hotspots for local crime-prevention partnerships (veckolägesbild,
/// tertialanalys). Ingests partners' incidents, assigns them to areas and H3 cells, and
/// serves hotspot maps.
#[derive(Parser)]
#[command(name = "lagesbild", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
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
enum Command {
    /// Run the HTTP server (loads the Botkyrka demo into an empty database unless --no-demo)
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "LAGESBILD_BIND")]
        bind: Option<String>,
        /// Do not load the demo into an empty database
        #[arg(long)]
        no_demo: bool,
        /// Public base URL (e.g. https://example.org/lagesbild) for absolute links behind a
        /// reverse proxy [default: taken from each request's Host]
        #[arg(long, env = "LAGESBILD_BASE_URL")]
        base_url: Option<String>,
        /// Seconds a client may take to send its request headers
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
        read_timeout: u64,
        /// Anonymous access to aggregates (suppressed): on, off, or auto = on only while the
        /// database holds just the synthetic demo
        #[arg(long, env = "LAGESBILD_PUBLIC", default_value = "auto")]
        public: String,
        /// Counts from 1 to k-1 are hidden from viewers, reporters and the public
        #[arg(long, env = "LAGESBILD_SUPPRESS_K", default_value_t = access::suppress::DEFAULT_K,
              value_parser = clap::value_parser!(u32).range(2..=100))]
        suppress_k: u32,
        /// The finest H3 resolution shown to viewers, reporters and the public
        #[arg(long, env = "LAGESBILD_PUBLIC_MAX_RES", default_value_t = access::suppress::DEFAULT_MAX_PUBLIC_RES,
              value_parser = clap::value_parser!(u8).range(0..=15))]
        public_max_res: u8,
        /// Serve the web map from this directory (index.html, report.html, app/,
        /// node_modules/ after `npm ci`) instead of the copy built into the binary, e.g. while
        /// editing web/app [default: the built-in copy]
        #[arg(long, env = "LAGESBILD_WEB_DIR")]
        web_dir: Option<std::path::PathBuf>,
        /// An XYZ raster base map under the map's layers, e.g.
        /// https://tile.openstreetmap.org/{z}/{x}/{y}.png [default: none; the map works offline]
        #[arg(long, env = "LAGESBILD_BASEMAP_URL")]
        basemap_url: Option<String>,
        /// Memory for all caches together (responses, tiles, prepared layers, analysis
        /// results), MiB; at least 32
        #[arg(long, env = "LAGESBILD_CACHE_MB", default_value_t = serve::DEFAULT_CACHE_MB)]
        cache_mb: usize,
        /// A bearer token Prometheus may scrape GET /metrics with (admins always may)
        #[arg(long, env = "LAGESBILD_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Attribution shown for the base map, e.g. "© OpenStreetMap contributors"
        #[arg(long, env = "LAGESBILD_BASEMAP_ATTRIBUTION")]
        basemap_attribution: Option<String>,
    },
    /// Ingest an incident file (CSV or GeoJSON); `-` reads standard input.
    ///
    /// CSV columns: id, occurred_at, category, and lat,lon (WGS 84) or easting,northing
    /// (SWEREF 99 TM); optional occurred_to, partner, description. Delimiter ',' or ';'.
    /// Times: RFC 3339, or local YYYY-MM-DD HH:MM (Europe/Stockholm by default).
    ///
    /// Exit status: 0 all rows stored or already stored; 3 stored, but some rows rejected;
    /// 1 nothing stored (file error, or --strict with rejections).
    Ingest {
        /// The file, or - for standard input
        file: PathBuf,
        /// Partner for rows without a partner column, e.g. polisen
        #[arg(long)]
        partner: Option<String>,
        /// CRS of the coordinates: EPSG:4326 (lat/lon) or EPSG:3006 (easting/northing)
        #[arg(long)]
        crs: Option<String>,
        /// csv or geojson [default: from the file extension, else csv]
        #[arg(long)]
        format: Option<String>,
        /// Store nothing if any row is rejected
        #[arg(long)]
        strict: bool,
        /// Print the summary as JSON on standard output
        #[arg(long)]
        json: bool,
    },
    /// Manage area layers (neighbourhood polygons)
    #[command(subcommand)]
    Areas(AreasCommand),
    /// The Botkyrka demo (real boundaries, approximate districts, SYNTHETIC incidents)
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Reports: the weekly situation picture and the tertial analysis (HTML, JSON, CSV)
    #[command(subcommand)]
    Report(ReportCommand),
    /// The interventions register (insatser) and the follow-up of each intervention
    #[command(subcommand, after_help = INTERVENTION_EXAMPLES)]
    Interventions(InterventionsCommand),
    /// Near-repeat analysis (Knox test): pairs of incidents in distance × time bands
    /// against seeded permutations of the times. Bands are lo < x ≤ hi (the first time band
    /// is [0, hi]); "same location" is distance 0.
    Nearrepeat {
        /// Window: 2026, 2026-T3, 2026-11, 2026-W47 or FROM/TO [default: the 52 weeks up to
        /// the last complete week]
        #[arg(long)]
        window: Option<String>,
        /// Category codes or labels, comma-separated, e.g. burglary
        #[arg(long)]
        category: Option<String>,
        /// Category groups: crime, disorder, safety
        #[arg(long)]
        group: Option<String>,
        /// Partner codes
        #[arg(long)]
        partner: Option<String>,
        /// Upper edges of the distance bands in metres, increasing, at most 20
        #[arg(long, default_value = "200,400,600,800,1000")]
        distance_bands: String,
        /// Upper edges of the time bands in days, increasing, at most 20
        #[arg(long, default_value = "7,14,21,28,35,42,49,56")]
        time_bands: String,
        /// Monte Carlo permutations of the times, 19..=9999
        #[arg(long, default_value_t = 999)]
        permutations: u32,
        /// Seed of the permutations (the same seed gives the same table)
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// List the incident categories
    Categories {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Partner organisations and whether they share incidents with the collaboration
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// API tokens: create (printed once), list, revoke
    #[command(subcommand)]
    Token(TokenCommand),
    /// List the audit log (reads and exports of incidents, ingests, corrections, token changes)
    Audit {
        /// Entries at or after this date/time (2026-11-01 or RFC 3339)
        #[arg(long)]
        since: Option<String>,
        /// Entries before this date/time
        #[arg(long)]
        until: Option<String>,
        /// Only this action or family, e.g. incidents, ingest, token.create
        #[arg(long)]
        action: Option<String>,
        /// Only this actor, e.g. token:3 or cli:anna
        #[arg(long)]
        actor: Option<String>,
        /// Only this partner
        #[arg(long)]
        partner: Option<String>,
        /// At most this many entries, newest first
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Add a partner, or change its name or sharing
    Add {
        /// Partner code as used in incidents, e.g. polisen
        code: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// Whether other partners' analysts see its incidents: yes or no
        #[arg(long, default_value = "yes")]
        shares: String,
    },
    /// List the partners
    List {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed once and stored only as a hash
    Create {
        /// The partner it acts for
        #[arg(long)]
        partner: String,
        /// admin, analyst, reporter or viewer
        #[arg(long)]
        role: String,
        /// When it stops working: 90d, 12h, 30m, 2027-06-30 or RFC 3339 [default: never]
        #[arg(long)]
        expires: Option<String>,
        /// A note on who holds it
        #[arg(long, default_value = "")]
        label: String,
        /// Print as JSON (with the token)
        #[arg(long)]
        json: bool,
    },
    /// List the tokens (never the tokens themselves)
    List {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token at once
    Revoke {
        /// The token's id (from `token list`)
        id: i64,
    },
}

#[derive(Subcommand)]
enum AreasCommand {
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

#[derive(Subcommand)]
enum ReportCommand {
    /// Weekly situation picture (veckolägesbild) for an ISO week, e.g. 2026-W47
    #[command(after_help = REPORT_EXAMPLES)]
    Week {
        /// The ISO week, YYYY-Www
        id: String,
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Tertial analysis (tertialanalys) for YYYY-T1, -T2 or -T3
    #[command(after_help = REPORT_EXAMPLES)]
    Tertial {
        /// The tertial, YYYY-Tn
        id: String,
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Quarterly analysis for YYYY-Q1..Q4 (the tertial analysis's content per quarter;
    /// for the cadence quarter)
    #[command(after_help = REPORT_EXAMPLES)]
    Quarter {
        /// The quarter, YYYY-Qn
        id: String,
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Store the meeting notes of a report (replaces earlier notes; an empty text deletes)
    #[command(after_help = REPORT_EXAMPLES)]
    Notes {
        /// The report: YYYY-Www, YYYY-Tn or YYYY-Qn
        id: String,
        /// The notes
        #[arg(long, conflicts_with = "file")]
        text: Option<String>,
        /// Read the notes from a file (- = standard input)
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct ReportArgs {
    /// html, json or csv
    #[arg(long, default_value = "html", value_parser = ["html", "json", "csv"])]
    format: String,
    /// Output file [default: standard output]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Language of HTML and CSV labels: sv or en
    #[arg(long, default_value = "sv", value_parser = ["sv", "en"])]
    lang: String,
    /// Area layer to rank [default: districts, else the first layer]
    #[arg(long)]
    layer: Option<String>,
    /// H3 resolution of the hex sections (0..=15), or auto [default: auto, the same
    /// automatic scale as the map's]
    #[arg(long)]
    res: Option<String>,
    /// The present, RFC 3339 [default: now]: a period still running then is reported as in
    /// progress and compared to-date (the same number of days of the earlier periods)
    #[arg(long)]
    as_of: Option<String>,
    /// Gi* ring size [default: automatic]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=8))]
    k: Option<u32>,
    /// CSV decimal sign: comma (Swedish Excel) or point
    #[arg(long, default_value = "comma", value_parser = ["comma", "point"])]
    decimal: String,
}

#[derive(Args, Clone)]
struct DemoArgs {
    /// Generator seed
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    seed: u64,
    /// Years of data
    #[arg(long, default_value_t = demo::DEFAULT_YEARS)]
    years: u32,
    /// End of the data (exclusive), RFC 3339 [default: Monday 00:00 of the current week]
    #[arg(long)]
    end: Option<String>,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Write synthetic incidents as CSV (to --out, or standard output)
    Generate {
        #[command(flatten)]
        args: DemoArgs,
        /// Output file [default: standard output]
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load the demo layers and synthetic incidents into the database
    Load {
        #[command(flatten)]
        args: DemoArgs,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
}

/// glibc gives each thread of the blocking pool its own malloc arena, and freed memory stays
/// in them: the server's resident memory then grows with every data version although its
/// caches stay within `--cache-mb` (measured in BENCHMARKS.md, "Memory"). Two arenas keep it
/// flat, so `serve` re-executes itself once with `MALLOC_ARENA_MAX=2` unless the variable is
/// set (set it to another value to choose; glibc reads it only at start).
#[cfg(target_os = "linux")]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("MALLOC_ARENA_MAX", "2")
        .exec();
    eprintln!("warning: could not restart with MALLOC_ARENA_MAX=2 ({err}); memory may grow");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(target_os = "linux")]
    if matches!(cli.command, Command::Serve { .. }) {
        limit_malloc_arenas();
    }
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAGESBILD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // LAGESBILD_LOG_FORMAT=json: one JSON object per line (for Loki, ELK).
    match std::env::var("LAGESBILD_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok(other) if !other.is_empty() && other != "text" => {
            eprintln!(
                "error: LAGESBILD_LOG_FORMAT={other:?}: use json or text / använd json eller text"
            );
            return ExitCode::from(2);
        }
        _ => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init(),
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(mut cli: Cli) -> Result<ExitCode> {
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
        Command::Serve {
            bind,
            no_demo,
            base_url,
            read_timeout,
            public,
            suppress_k,
            public_max_res,
            web_dir,
            basemap_url,
            basemap_attribution,
            cache_mb,
            metrics_token,
        } => {
            let budget = serve::CacheBudget::from_mb(cache_mb).map_err(anyhow::Error::msg)?;
            let bind = bind
                .or(bind_from_file)
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            serve_command(
                config,
                &bind,
                no_demo,
                base_url,
                read_timeout,
                (public, suppress_k, public_max_res),
                (
                    serve::web::WebConfig {
                        dir: web_dir,
                        basemap_url,
                        basemap_attribution,
                    },
                    budget,
                    metrics_token,
                ),
            )
        }
        Command::Ingest {
            file,
            partner,
            crs,
            format,
            strict,
            json,
        } => ingest_command(&config, &file, partner, crs, format, strict, json),
        Command::Areas(AreasCommand::Import {
            file,
            layer,
            id_field,
            name_field,
            population_field,
            parent_field,
            crs,
            json,
        }) => {
            let opts = AreaImportOptions {
                layer,
                id_field,
                name_field,
                population_field,
                parent_field,
                crs: crs.as_deref().map(parse_crs).transpose()?,
            };
            let store = open_store(&config)?;
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
        Command::Areas(AreasCommand::List { json }) => {
            let store = open_store(&config)?;
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
        Command::Demo(DemoCommand::Generate { args, out }) => {
            let spec = demo_spec(&args)?;
            let boundary = demo::botkyrka_boundary()?;
            let bar = progress_bar(None, "generating synthetic incidents");
            let incidents = demo::generate::generate(&spec, &boundary, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    demo::write_csv(&incidents, std::io::BufWriter::new(f))?;
                    eprintln!(
                        "wrote {} SYNTHETIC incidents to {}",
                        incidents.len(),
                        path.display()
                    );
                }
                None => demo::write_csv(&incidents, std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(DemoCommand::Load { args, json }) => {
            let spec = demo_spec(&args)?;
            let store = open_store(&config)?;
            let was_empty = store.incident_count()? == 0;
            let report = load_demo(&store, &config, &spec)?;
            if was_empty {
                mark_demo(&store)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(cmd) => report_command(&config, cmd, report_region),
        Command::Interventions(cmd) => interventions_command(&config, cmd),
        Command::Partner(cmd) => partner_command(&config, cmd),
        Command::Token(cmd) => token_command(&config, cmd),
        Command::Audit {
            since,
            until,
            action,
            actor,
            partner,
            limit,
            json,
        } => {
            let store = open_store(&config)?;
            let when = |s: Option<String>, flag: &str| -> Result<Option<DateTime<Utc>>> {
                s.map(|s| {
                    tokens::parse_expiry(&s, Utc::now())
                        .ok()
                        .filter(|_| !s.ends_with(['d', 'h', 'm']))
                        .with_context(|| {
                            format!("{flag} {s:?}: give a date (2026-11-01) or an RFC 3339 time")
                        })
                })
                .transpose()
            };
            let f = audit::Filter {
                since: when(since, "--since")?,
                until: when(until, "--until")?,
                action,
                actor,
                partner,
                limit,
            };
            let entries = audit::list(&store, &f)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else if entries.is_empty() {
                println!("no audit entries match");
            } else {
                for e in entries {
                    println!(
                        "{}  {:<12} {:<16} {:<18} {:>6} rows  {}{}",
                        e.at.format("%Y-%m-%d %H:%M:%S"),
                        e.actor,
                        e.partner
                            .map(|p| format!("{p}/{}", e.role.unwrap_or_default()))
                            .unwrap_or_default(),
                        e.action,
                        e.rows,
                        e.target,
                        if e.detail.is_empty() {
                            String::new()
                        } else {
                            format!("  ({})", e.detail)
                        }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Nearrepeat {
            window,
            category,
            group,
            partner,
            distance_bands,
            time_bands,
            permutations,
            seed,
            json,
        } => {
            use lagesbild::analysis::knox::{
                KnoxOptions, default_window, near_repeat, parse_bands,
            };
            let window = match window {
                Some(w) => lagesbild::analysis::window::TimeWindow::parse_in(&w, config.timezone)
                    .map_err(|e| anyhow::anyhow!("--window: {e}"))?,
                None => default_window(chrono::Utc::now(), config.timezone),
            };
            let filter = lagesbild::analysis::filter::IncidentFilter::parse(
                category.as_deref(),
                group.as_deref(),
                partner.as_deref(),
                &config.categories,
            )
            .map_err(|e| anyhow::anyhow!("--category/--group/--partner: {e}"))?;
            let opts = KnoxOptions {
                distance_bands: parse_bands("--distance-bands", &distance_bands)?,
                time_bands: parse_bands("--time-bands", &time_bands)?,
                permutations,
                seed,
                ..KnoxOptions::default()
            };
            let store = open_store(&config)?;
            let service = lagesbild::analysis::service::AnalysisService::new(
                config.categories.clone(),
                config.timezone,
                config.study_area.clone(),
            );
            let analyzer = service.analyzer(&store)?;
            let r = near_repeat(&analyzer, &window, &filter, &opts)
                .map_err(|e| anyhow::anyhow!("near-repeat analysis: {e}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "Knox test, {} incidents, window {} ({}), {} permutations, seed {}",
                    r.table.n, r.parameters.window, r.parameters.filter, permutations, seed
                );
                println!("cells: observed pairs (Knox ratio), * = raised risk (p <= 0.05)");
                print!("{}", r.table.to_text());
                println!("{}", r.sentence_en);
                println!("{}", r.sentence_sv);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Categories { json } => {
            if json {
                let list: Vec<_> = config.categories.iter().collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in config.categories.iter() {
                    println!(
                        "{:<24} {:<9} harm {:>6}  {} / {}",
                        c.code,
                        format!("{:?}", c.group).to_lowercase(),
                        c.harm,
                        c.sv,
                        c.en
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn report_command(config: &Config, cmd: ReportCommand, region: Option<String>) -> Result<ExitCode> {
    use lagesbild::analysis::service::AnalysisService;
    use lagesbild::report::{self, Lang, csv_out, html, week::ReportOptions};
    if let ReportCommand::Notes { id, text, file } = cmd {
        let window = report::parse_week_id(&id)
            .or_else(|_| report::parse_tertial_id(&id))
            .or_else(|_| report::parse_quarter_id(&id))
            .map_err(|_| {
                anyhow::anyhow!("{id:?} is not a report id: give YYYY-Www (e.g. 2026-W47), YYYY-Tn (e.g. 2026-T3) or YYYY-Qn (e.g. 2026-Q4)")
            })?;
        let text = match (text, file) {
            (Some(t), _) => t,
            (None, Some(path)) if path == Path::new("-") => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            }
            (None, Some(path)) => std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            (None, None) => bail!("give the notes with --text TEXT or --file FILE"),
        };
        let text = report::check_notes(&text)?;
        let store = open_store(config)?;
        let service = AnalysisService::new(
            config.categories.clone(),
            config.timezone,
            config.study_area.clone(),
        );
        let analyzer = service.analyzer(&store)?;
        let scope = report::scope::Scope::resolve(analyzer.table(), None, region.as_deref())?.key();
        let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        store.set_report_notes(&window.to_string(), &scope, &text, &now)?;
        eprintln!(
            "notes of {window}{} {}",
            if scope.is_empty() {
                String::new()
            } else {
                format!(" ({scope})")
            },
            if text.is_empty() { "deleted" } else { "stored" }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (is_week, window, args) = match cmd {
        ReportCommand::Week { id, args } => (true, report::parse_week_id(&id)?, args),
        ReportCommand::Tertial { id, args } => (false, report::parse_tertial_id(&id)?, args),
        ReportCommand::Quarter { id, args } => (false, report::parse_quarter_id(&id)?, args),
        ReportCommand::Notes { .. } => return Ok(ExitCode::SUCCESS),
    };
    let as_of = match &args.as_of {
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .with_context(|| {
                    format!("--as-of {s:?} is not an RFC 3339 time such as 2026-12-07T12:00:00Z")
                })?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let lang = Lang::parse(&args.lang)?;
    let opts = ReportOptions {
        layer: args.layer,
        region,
        resolution: match args.res.as_deref() {
            None | Some("auto") => None,
            Some(r) => Some(
                r.parse::<u8>()
                    .ok()
                    .and_then(|r| h3o::Resolution::try_from(r).ok())
                    .with_context(|| {
                        format!("--res {r:?}: give an H3 resolution 0..=15, or auto")
                    })?,
            ),
        },
        k: args.k,
        priority_weights: config.priority_weights,
        as_of,
        ..ReportOptions::default()
    };
    let store = open_store(config)?;
    let service = AnalysisService::new(
        config.categories.clone(),
        config.timezone,
        config.study_area.clone(),
    );
    let csv_opts = csv_out::CsvOptions {
        decimal_comma: args.decimal == "comma",
        lang,
    };
    let bytes = if is_week {
        let r = report::week::build(&service, &store, &window, &opts)
            .with_context(|| format!("the weekly report for {window} could not be made"))?;
        match args.format.as_str() {
            "json" => serde_json::to_vec_pretty(&r)?,
            "csv" => csv_out::week(&r, csv_opts)?,
            _ => html::week(&r, lang).into_bytes(),
        }
    } else {
        let r = report::tertial::build(&service, &store, &window, &opts)
            .with_context(|| format!("the period analysis for {window} could not be made"))?;
        match args.format.as_str() {
            "json" => serde_json::to_vec_pretty(&r)?,
            "csv" => csv_out::tertial(&r, csv_opts)?,
            _ => html::tertial(&r, lang).into_bytes(),
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

fn demo_spec(args: &DemoArgs) -> Result<DemoSpec> {
    let end = match &args.end {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .with_context(|| {
                format!("--end {s:?} is not an RFC 3339 time such as 2026-11-23T00:00:00+01:00")
            })?
            .with_timezone(&Utc),
        None => demo::default_end(Utc::now()),
    };
    if end > Utc::now() {
        bail!("--end lies in the future; incidents in the future are rejected on ingest");
    }
    if args.years == 0 || args.years > 20 {
        bail!("--years must be 1..=20");
    }
    Ok(DemoSpec {
        seed: args.seed,
        end,
        years: args.years,
    })
}

fn load_demo(store: &Store, config: &Config, spec: &DemoSpec) -> Result<demo::DemoReport> {
    let bar = progress_bar(None, "generating the Botkyrka demo (synthetic incidents)");
    let report = demo::load(store, config, spec, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .context("the demo could not be loaded")?;
    bar.finish_and_clear();
    eprintln!(
        "demo loaded: {} layers, {} SYNTHETIC incidents (seed {}, {} years up to {}); these are made up, not real reports",
        report.layers.len(),
        report.incidents.counts.accepted,
        spec.seed,
        spec.years,
        spec.end.format("%Y-%m-%d")
    );
    Ok(report)
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

fn ingest_command(
    config: &Config,
    file: &Path,
    partner: Option<String>,
    crs: Option<String>,
    format: Option<String>,
    strict: bool,
    json: bool,
) -> Result<ExitCode> {
    let partner = partner
        .map(|p| Partner::parse(&p).map_err(|e| anyhow::anyhow!("--partner {p:?}: {e}")))
        .transpose()?;
    let crs = crs.as_deref().map(parse_crs).transpose()?;
    let format = match format {
        Some(f) => {
            Format::parse(&f).with_context(|| format!("--format {f:?}: use csv or geojson"))?
        }
        None => Format::from_path(file).unwrap_or(Format::Csv),
    };
    let store = open_store(config)?;
    let stdin = file == Path::new("-");
    let (input, len): (Box<dyn Read + Send>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin()), None)
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let bar = if json {
        ProgressBar::hidden()
    } else {
        progress_bar(len, "ingesting")
    };
    let input = bar.wrap_read(input);
    let req = IngestRequest {
        source: file.display().to_string(),
        format,
        partner,
        crs,
        strict,
        now: Utc::now(),
        audit: Some(audit::Entry::by_cli(
            &audit::cli_user(),
            "ingest",
            &file.display().to_string(),
            0,
        )),
    };
    let report = pipeline::ingest(
        &store,
        config,
        std::io::BufReader::with_capacity(1 << 20, input),
        &req,
    );
    bar.finish_and_clear();
    let report = report.with_context(|| format!("{}: nothing was stored", file.display()))?;
    if report.counts.accepted > 0 && access::is_demo(&store)? {
        access::set_demo(&store, false)?;
        eprintln!(
            "note: real incidents were added to the demo database; it is no longer marked as demo, so public access is off by default"
        );
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
    }
    Ok(if strict && report.counts.rejected > 0 {
        ExitCode::from(1)
    } else if report.counts.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_summary(r: &IngestReport) {
    let c = &r.counts;
    if r.committed {
        println!(
            "{}: {} rows: {} accepted, {} duplicates, {} rejected, {} outside study area",
            r.source, r.rows, c.accepted, c.duplicates, c.rejected, c.outside,
        );
    } else {
        println!(
            "{}: NOTHING WAS STORED / INGENTING SPARADES. {} rows checked: {} valid (not stored), {} duplicates, {} rejected",
            r.source, r.rows, c.accepted, c.duplicates, c.rejected,
        );
    }
    for w in &r.warnings {
        println!("note: {w}");
    }
    for rej in r.rejections.iter().take(50) {
        println!("rejected: {}: {rej}", r.source);
    }
    if r.rejections.len() > 50 || r.rejections_truncated {
        println!(
            "... {} rejections in all; use --json for the full list (first {})",
            c.rejected,
            r.rejections.len()
        );
    }
    if c.outside > 0 {
        let rows: Vec<String> = r
            .outside_rows
            .iter()
            .take(10)
            .map(|p| p.to_string())
            .collect();
        println!(
            "outside study area (stored, not in any area): {}{}",
            rows.join(", "),
            if c.outside > 10 { ", ..." } else { "" }
        );
    }
}

/// Marks a database that now holds only the synthetic demo, and adds the demo's partners.
fn mark_demo(store: &Store) -> Result<()> {
    access::set_demo(store, true)?;
    for (code, _) in demo::generate::PARTNER_CATEGORIES {
        if access::partner(store, code)?.is_none() {
            access::put_partner(
                store,
                code,
                &format!("{code} (demo, synthetic)"),
                true,
                &audit::cli_user(),
            )?;
        }
    }
    Ok(())
}

/// Access settings for `serve`: public access from `--public` (on, off, auto = on only for
/// the demo database), suppression k and the public resolution cap.
fn access_settings(
    config: &Config,
    public: String,
    k: u32,
    max_res: u8,
    base_url: &Option<String>,
) -> Result<serve::auth::AuthSettings> {
    let store = open_store(config)?;
    let demo = access::is_demo(&store)?;
    let (public, for_demo) = match public.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => (true, false),
        "off" | "false" | "no" => (false, false),
        "auto" => (demo, demo),
        other => bail!("--public {other:?}: use on, off or auto"),
    };
    if public && for_demo {
        tracing::warn!(
            "PUBLIC ACCESS IS ON because this database holds only the SYNTHETIC demo: anyone who can reach the server sees aggregates (suppressed, k = {k}). Real deployments: add data and tokens; set --public off to close it now"
        );
    } else if public {
        tracing::warn!(
            "public access is on (--public on): anonymous callers see aggregates with small counts suppressed (k = {k})"
        );
    } else {
        tracing::info!(
            "public access is off: every request needs a token (lagesbild token create)"
        );
    }
    if access::tokens::list(&store)?.is_empty() {
        tracing::info!(
            "no API tokens yet; create one with `lagesbild token create --partner polisen --role analyst`"
        );
    }
    Ok(serve::auth::AuthSettings {
        public,
        public_for_demo: for_demo,
        suppression: access::suppress::Suppression {
            k,
            max_public_res: max_res,
        },
        secure_cookies: base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        ..serve::auth::AuthSettings::default()
    })
}

fn partner_command(config: &Config, cmd: PartnerCommand) -> Result<ExitCode> {
    let store = open_store(config)?;
    match cmd {
        PartnerCommand::Add { code, name, shares } => {
            let shares = match shares.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" => true,
                "no" | "false" | "off" => false,
                other => bail!("--shares {other:?}: use yes or no"),
            };
            let p = access::put_partner(&store, &code, &name, shares, &audit::cli_user())?;
            println!(
                "partner {}: {} ({})",
                p.code,
                p.name,
                if p.shares {
                    "shares its incidents with the collaboration"
                } else {
                    "does not share its incidents"
                }
            );
        }
        PartnerCommand::List { json } => {
            let list = access::partners(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!(
                    "no partners; add one with `lagesbild partner add polisen --name Polisen`"
                );
            } else {
                for p in list {
                    println!(
                        "{:<20} shares: {:<3}  {}",
                        p.code,
                        if p.shares { "yes" } else { "no" },
                        p.name
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token_command(config: &Config, cmd: TokenCommand) -> Result<ExitCode> {
    let store = open_store(config)?;
    let user = audit::cli_user();
    match cmd {
        TokenCommand::Create {
            partner,
            role,
            expires,
            label,
            json,
        } => {
            let role = access::parse_role(&role)?;
            let expires = expires
                .map(|e| tokens::parse_expiry(&e, Utc::now()))
                .transpose()?;
            let partner = Partner::parse(&partner)
                .map_err(|e| anyhow::anyhow!("--partner {partner:?}: {e}"))?;
            let (token, info) =
                tokens::create(&store, partner.as_str(), role, &label, expires, &user)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "token": token, "info": info })
                    )?
                );
            } else {
                println!("{token}");
                eprintln!(
                    "token {} for {} ({}){}: shown only now; it is stored as a hash and cannot be shown again",
                    info.id,
                    info.partner,
                    info.role,
                    info.expires_at
                        .map(|e| format!(", expires {}", e.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default()
                );
            }
        }
        TokenCommand::List { json } => {
            let list = tokens::list(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!(
                    "no tokens; create one with `lagesbild token create --partner P --role R`"
                );
            } else {
                let now = Utc::now();
                for t in list {
                    let state = if t.revoked_at.is_some() {
                        "revoked".to_owned()
                    } else if !t.is_active(now) {
                        "expired".to_owned()
                    } else {
                        t.expires_at
                            .map(|e| format!("until {}", e.format("%Y-%m-%d")))
                            .unwrap_or_else(|| "active".into())
                    };
                    println!(
                        "{:>4}  {:<20} {:<9} {:<17} created {}  {}",
                        t.id,
                        t.partner,
                        t.role,
                        state,
                        t.created_at.format("%Y-%m-%d"),
                        t.label
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let t = tokens::revoke(&store, id, &user)?;
            println!("token {} ({} {}) is revoked", t.id, t.partner, t.role);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve_command(
    config: Config,
    bind: &str,
    no_demo: bool,
    base_url: Option<String>,
    read_timeout: u64,
    (public, suppress_k, public_max_res): (String, u32, u8),
    (web, budget, metrics_token): (serve::web::WebConfig, serve::CacheBudget, Option<String>),
) -> Result<ExitCode> {
    if let Some(dir) = &web.dir
        && let Some(missing) = web.missing()
    {
        bail!(
            "--web-dir / LAGESBILD_WEB_DIR {}: {missing} (sv: mappen saknar webbkartan)",
            dir.display()
        );
    }
    if let Some(url) = &web.basemap_url {
        serve::web::WebConfig::check_basemap_url(url)
            .map_err(|e| anyhow::anyhow!("--basemap-url: {e}"))?;
    }
    if let Some(u) = &base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        bail!("--base-url {u:?} must start with http:// or https://");
    }
    let addr: SocketAddr = bind
        .parse()
        .with_context(|| format!("--bind {bind:?} is not an address such as 127.0.0.1:8080"))?;
    {
        let store = open_store(&config)?;
        if !no_demo && store.incident_count()? == 0 && store.layers()?.is_empty() {
            tracing::info!(db = %config.db.display(), "empty database: loading the Botkyrka demo with SYNTHETIC incidents");
            let spec = DemoSpec {
                seed: demo::DEFAULT_SEED,
                end: demo::default_end(Utc::now()),
                years: demo::DEFAULT_YEARS,
            };
            load_demo(&store, &config, &spec)?;
            mark_demo(&store)?;
        }
    }
    let settings = access_settings(&config, public, suppress_k, public_max_res, &base_url)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(serve::run(
            serve::AppState::with_auth(config, base_url, settings)
                .with_web(web)
                .with_operations(budget, metrics_token),
            addr,
            std::time::Duration::from_secs(read_timeout),
        ))
        .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}

const INTERVENTION_EXAMPLES: &str = "\
Examples:
  lagesbild interventions add --kind patrol --partner polisen --area districts:alby --start 2026-03-01 --end 2026-03-31 --description 'Kvällspatruller vid centrum'
  lagesbild interventions add --kind lighting --partner kommunen --hexes 891f1d48a3bffff,891f1d48a37ffff --start 2026-04-01 --end 2026-09-30
  lagesbild interventions add --kind camera --partner bostadsbolaget --polygon gard.geojson --start 2026-01-15 --end 2026-12-31
  lagesbild interventions list --from 2026-03-01 --to 2026-03-31 --json
  lagesbild interventions show 3
  lagesbild interventions update 3 --end 2026-04-15
  lagesbild interventions delete 3
  lagesbild interventions followup 3 --buffer 400 --control districts:fittja --after during --group crime

Kinds: patrol, guards, lighting, camera, clean-up, dialogue. Days are local calendar days,
both included. The follow-up compares equal-length windows before and during (or after) the
intervention against a control area, with the Weighted Displacement Quotient for the ring
around it; see docs/interventions.md.";

/// Where an intervention was made, as flags (exactly one).
#[derive(Args, Clone, Default)]
struct TargetArgs {
    /// Target area as LAYER:ID, e.g. districts:alby
    #[arg(long, conflicts_with_all = ["hexes", "polygon"])]
    area: Option<String>,
    /// Target H3 cells, comma-separated
    #[arg(long, value_delimiter = ',', conflicts_with = "polygon")]
    hexes: Option<Vec<String>>,
    /// Target polygon: a GeoJSON file holding a Polygon or MultiPolygon (a geometry, a
    /// Feature, or a FeatureCollection with one feature), WGS 84
    #[arg(long)]
    polygon: Option<PathBuf>,
}

/// The fields of an intervention, as flags.
#[derive(Args, Clone, Default)]
struct InterventionArgs {
    /// patrol, guards, lighting, camera, clean-up or dialogue
    #[arg(long)]
    kind: Option<String>,
    /// The responsible partner, e.g. polisen
    #[arg(long)]
    partner: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
    /// First day, YYYY-MM-DD
    #[arg(long)]
    start: Option<String>,
    /// Last day (included), YYYY-MM-DD
    #[arg(long)]
    end: Option<String>,
    /// Free text
    #[arg(long)]
    description: Option<String>,
}

#[derive(Subcommand)]
enum InterventionsCommand {
    /// Register an intervention
    Add {
        #[command(flatten)]
        fields: InterventionArgs,
        /// Print the stored intervention as JSON
        #[arg(long)]
        json: bool,
    },
    /// List interventions, or those active in --from..--to
    List {
        /// First day of the range, YYYY-MM-DD
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last day of the range (included), YYYY-MM-DD
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one intervention
    Show {
        /// The intervention's id
        id: i64,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Change an intervention: the fields given replace the stored ones
    Update {
        /// The intervention's id
        id: i64,
        #[command(flatten)]
        fields: InterventionArgs,
        /// Print the stored intervention as JSON
        #[arg(long)]
        json: bool,
    },
    /// Delete an intervention
    Delete {
        /// The intervention's id
        id: i64,
    },
    /// Follow up an intervention: before/after against a control, displacement (WDQ)
    Followup {
        /// The intervention's id
        id: i64,
        /// Width of the ring around the target, metres
        #[arg(long, default_value_t = lagesbild::analysis::followup::DEFAULT_BUFFER_M)]
        buffer: f64,
        /// Control area: `rest` (the rest of the study area) or LAYER:ID
        #[arg(long, default_value = "rest")]
        control: String,
        /// Compare the days `during` the intervention, or the days `following` its end,
        /// with as many days before it
        #[arg(long, default_value = "during", value_parser = ["during", "following"])]
        after: String,
        /// Length of each window in days [default: the intervention's length]
        #[arg(long)]
        days: Option<u32>,
        /// Only these categories (codes or labels, comma-separated)
        #[arg(long)]
        category: Option<String>,
        /// Only these groups: crime, disorder, safety (comma-separated)
        #[arg(long)]
        group: Option<String>,
        /// Only incidents reported by these partners (comma-separated)
        #[arg(long)]
        partner: Option<String>,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

/// The intervention's fields as the API's JSON body, from flags (over `base`, for updates).
fn intervention_input(
    args: InterventionArgs,
    base: lagesbild::intervention::InterventionInput,
) -> Result<lagesbild::intervention::InterventionInput> {
    use lagesbild::intervention::TargetInput;
    let t = args.target;
    let target = if let Some(area) = t.area {
        let (layer, id) = area.split_once(':').with_context(|| {
            format!("--area {area:?} is not LAYER:ID; write e.g. --area districts:alby")
        })?;
        Some(TargetInput {
            kind: Some("area".into()),
            layer: Some(layer.into()),
            id: Some(id.into()),
            ..TargetInput::default()
        })
    } else if let Some(cells) = t.hexes {
        Some(TargetInput {
            kind: Some("hexes".into()),
            cells: Some(cells),
            ..TargetInput::default()
        })
    } else if let Some(path) = t.polygon {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("--polygon: cannot read {}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("--polygon: {} is not JSON", path.display()))?;
        let geometry = match value.get("type").and_then(|t| t.as_str()) {
            Some("Feature") => value.get("geometry").cloned(),
            Some("FeatureCollection") => match value.get("features").and_then(|f| f.as_array()) {
                Some(list) if list.len() == 1 => list[0].get("geometry").cloned(),
                _ => bail!(
                    "--polygon: {} must hold exactly one feature",
                    path.display()
                ),
            },
            _ => Some(value),
        };
        Some(TargetInput {
            kind: Some("polygon".into()),
            geometry,
            ..TargetInput::default()
        })
    } else {
        base.target
    };
    Ok(lagesbild::intervention::InterventionInput {
        kind: args.kind.or(base.kind),
        partner: args.partner.or(base.partner),
        target,
        start: args.start.or(base.start),
        end: args.end.or(base.end),
        description: args.description.or(base.description),
    })
}

fn print_intervention(i: &lagesbild::intervention::Intervention, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(i)?);
    } else {
        let s = &i.spec;
        let target = match &s.target {
            lagesbild::intervention::InterventionTarget::Area { layer, id } => {
                format!("area {layer}:{id}")
            }
            lagesbild::intervention::InterventionTarget::Hexes(c) => format!("{} hexes", c.len()),
            lagesbild::intervention::InterventionTarget::Polygon(p) => {
                format!("polygon ({} parts)", p.0.len())
            }
        };
        println!(
            "{:>4}  {:<9} {:<18} {} .. {}  {}  {}",
            i.id, s.kind, s.partner, s.start, s.end, target, s.description
        );
    }
    Ok(())
}

fn interventions_command(config: &Config, cmd: InterventionsCommand) -> Result<ExitCode> {
    use lagesbild::intervention::{InterventionId, InterventionInput, parse_day};
    let store = open_store(config)?;
    match cmd {
        InterventionsCommand::Add { fields, json } => {
            let spec = intervention_input(fields, InterventionInput::default())?
                .validate()
                .context("the intervention was not registered; fix the field named")?;
            let stored = store
                .add_intervention(&spec)
                .context("the intervention was not registered")?;
            print_intervention(&stored, json)?;
        }
        InterventionsCommand::List { from, to, json } => {
            let list = match (from, to) {
                (Some(f), Some(t)) => store
                    .interventions_overlapping(parse_day(&f, "--from")?, parse_day(&t, "--to")?)?,
                _ => store.interventions()?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no interventions; register one with `lagesbild interventions add`");
            } else {
                for i in &list {
                    print_intervention(i, false)?;
                }
            }
        }
        InterventionsCommand::Show { id, json } => {
            let i = store.intervention(InterventionId(id))?.with_context(|| {
                format!("there is no intervention {id}; `lagesbild interventions list` shows them")
            })?;
            print_intervention(&i, json)?;
        }
        InterventionsCommand::Update { id, fields, json } => {
            let old = store.intervention(InterventionId(id))?.with_context(|| {
                format!("there is no intervention {id}; `lagesbild interventions list` shows them")
            })?;
            let base: InterventionInput = serde_json::from_value(serde_json::to_value(&old.spec)?)?;
            let spec = intervention_input(fields, base)?
                .validate()
                .context("the intervention was not changed; fix the field named")?;
            let stored = store
                .update_intervention(InterventionId(id), &spec)
                .context("the intervention was not changed")?
                .with_context(|| format!("intervention {id} was deleted meanwhile"))?;
            print_intervention(&stored, json)?;
        }
        InterventionsCommand::Delete { id } => {
            if !store.delete_intervention(InterventionId(id))? {
                bail!("there is no intervention {id}; `lagesbild interventions list` shows them");
            }
            eprintln!("intervention {id} deleted");
        }
        InterventionsCommand::Followup {
            id,
            buffer,
            control,
            after,
            days,
            category,
            group,
            partner,
            json,
        } => {
            use lagesbild::analysis::followup::{AfterWindow, Control, FollowupOptions, followup};
            let i = store.intervention(InterventionId(id))?.with_context(|| {
                format!("there is no intervention {id}; `lagesbild interventions list` shows them")
            })?;
            let control = match control.as_str() {
                "rest" => Control::RestOfStudyArea,
                other => {
                    let (layer, id) = other.split_once(':').with_context(|| {
                        format!(
                            "--control {other:?} is not `rest` or LAYER:ID (e.g. districts:fittja)"
                        )
                    })?;
                    Control::Area {
                        layer: layer.into(),
                        id: id.into(),
                    }
                }
            };
            let filter = lagesbild::analysis::filter::IncidentFilter::parse(
                category.as_deref(),
                group.as_deref(),
                partner.as_deref(),
                &config.categories,
            )
            .map_err(|e| anyhow::anyhow!("--category/--group/--partner: {e}"))?;
            let opts = FollowupOptions {
                buffer_m: buffer,
                control,
                after: if after == "following" {
                    AfterWindow::Following
                } else {
                    AfterWindow::During
                },
                window_days: days,
                filter,
                ..FollowupOptions::default()
            };
            let service = lagesbild::analysis::service::AnalysisService::new(
                config.categories.clone(),
                config.timezone,
                config.study_area.clone(),
            );
            let analyzer = service.analyzer(&store)?;
            let f = followup(&analyzer, &i, &opts)
                .with_context(|| format!("intervention {id} could not be followed up"))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"intervention": i, "followup": f})
                    )?
                );
            } else {
                print_intervention(&i, false)?;
                println!(
                    "before {} .. {}   after {} .. {}",
                    f.before.first_day, f.before.last_day, f.after.first_day, f.after.last_day
                );
                println!("{:<10} {:>7} {:>7}", "zone", "before", "after");
                for (name, z) in [
                    ("target", &f.target),
                    ("ring", &f.buffer),
                    ("control", &f.control),
                ] {
                    println!("{name:<10} {:>7} {:>7}", z.before, z.after);
                }
                println!("control: {}", f.control_description);
                println!("{}", f.verdict);
                println!("{}", f.displacement.reading);
                for w in &f.warnings {
                    println!("note: {w}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
