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

use lagesbild::access::{self, Role, audit, tokens};
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
  lagesbild --db /var/lib/lagesbild/data.db serve --bind 0.0.0.0:8080
  lagesbild partner add polisen --name Polisen --shares yes
  lagesbild token create --partner polisen --role analyst --expires 90d --label anna-lpo
  lagesbild audit --since 2026-11-01 --action incidents

Configuration: flags win over LAGESBILD_* environment variables, which win over the TOML file
given by --config (keys: db, categories, timezone, region, h3_resolutions, study_area, bind).";

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
        /// The web map's directory (index.html, app/, node_modules/ after `npm ci`)
        /// [default: the repository's web/]
        #[arg(long, env = "LAGESBILD_WEB_DIR")]
        web_dir: Option<std::path::PathBuf>,
        /// An XYZ raster base map under the map's layers, e.g.
        /// https://tile.openstreetmap.org/{z}/{x}/{y}.png [default: none; the map works offline]
        #[arg(long, env = "LAGESBILD_BASEMAP_URL")]
        basemap_url: Option<String>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAGESBILD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
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
        } => {
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
                serve::web::WebConfig {
                    dir: web_dir.unwrap_or_else(serve::web::default_web_dir),
                    basemap_url,
                    basemap_attribution,
                },
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
            let mut store = open_store(&config)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let report = pipeline::import_areas(
                &mut store,
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
            let mut store = open_store(&config)?;
            let was_empty = store.incident_count()? == 0;
            let report = load_demo(&mut store, &config, &spec)?;
            if was_empty {
                mark_demo(&store)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(ExitCode::SUCCESS)
        }
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

fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.db)
        .with_context(|| format!("cannot open the database {}", config.db.display()))
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

fn load_demo(store: &mut Store, config: &Config, spec: &DemoSpec) -> Result<demo::DemoReport> {
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
    let mut store = open_store(config)?;
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
    };
    let report = pipeline::ingest(
        &mut store,
        config,
        std::io::BufReader::with_capacity(1 << 20, input),
        &req,
    );
    bar.finish_and_clear();
    let report = report.with_context(|| format!("{}: nothing was stored", file.display()))?;
    audit::append(
        &store,
        &audit::Entry::by_cli(
            &audit::cli_user(),
            "ingest",
            &file.display().to_string(),
            report.counts.accepted as i64,
        )
        .with_detail(format!(
            "batch {:?}: {} rows, {} accepted, {} duplicates, {} rejected",
            report.batch,
            report.rows,
            report.counts.accepted,
            report.counts.duplicates,
            report.counts.rejected
        )),
    )?;
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
    println!(
        "{}: {} rows: {} accepted, {} duplicates, {} rejected, {} outside study area{}",
        r.source,
        r.rows,
        c.accepted,
        c.duplicates,
        c.rejected,
        c.outside,
        if r.committed {
            String::new()
        } else {
            " (nothing stored)".into()
        }
    );
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
            access::put_partner(store, code, &format!("{code} (demo, synthetic)"), true)?;
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
            let p = access::put_partner(&store, &code, &name, shares)?;
            audit::append(
                &store,
                &audit::Entry::by_cli(
                    &audit::cli_user(),
                    "partner.put",
                    &format!("partner {}", p.code),
                    1,
                )
                .with_detail(format!("name {:?}, shares {}", p.name, p.shares)),
            )?;
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
            let role = Role::parse(&role)?;
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
    web: serve::web::WebConfig,
) -> Result<ExitCode> {
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
        let mut store = open_store(&config)?;
        if !no_demo && store.incident_count()? == 0 && store.layers()?.is_empty() {
            tracing::info!(db = %config.db.display(), "empty database: loading the Botkyrka demo with SYNTHETIC incidents");
            let spec = DemoSpec {
                seed: demo::DEFAULT_SEED,
                end: demo::default_end(Utc::now()),
                years: demo::DEFAULT_YEARS,
            };
            load_demo(&mut store, &config, &spec)?;
            mark_demo(&store)?;
        }
    }
    let settings = access_settings(&config, public, suppress_k, public_max_res, &base_url)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(serve::run(
            serve::AppState::with_auth(config, base_url, settings).with_web(web),
            addr,
            std::time::Duration::from_secs(read_timeout),
        ))
        .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}
