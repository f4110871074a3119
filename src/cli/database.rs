//! `lagesbild backup` and `lagesbild migrate`: copies of the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use lagesbild::config::Config;
use lagesbild::store::copy::{TABLES, copy_database};
use lagesbild::store::sqlite::SqliteStore;
use lagesbild::store::{Store, is_postgres, redact};

use super::{open_store, progress_bar};

pub(crate) const MIGRATE_EXAMPLES: &str = "\
Examples:
  lagesbild --db lagesbild.db migrate --to postgres://lagesbild@db.example.org/lagesbild
  lagesbild --db postgres://lagesbild@db.example.org/lagesbild migrate --to copy.db
  lagesbild --db lagesbild.db backup /var/backups/lagesbild-$(date +%F).db

The target must be empty (a new SQLite file, or a new PostgreSQL database; the schema is
created on the way). Everything is copied in one transaction: incidents with their H3
cells and area assignments, layers, the change log, interventions, notes, partners,
tokens (hashes), sessions and the whole audit log. Afterwards every table is read back and
its row count and SHA-256 checksum compared with the source's; any difference fails the
command (exit status 1).";

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The new file to write (must not exist)
    pub(crate) file: PathBuf,
}

#[derive(Args)]
pub(crate) struct MigrateArgs {
    /// The target: postgres://USER@HOST:PORT/DB or a new SQLite file
    #[arg(long)]
    pub(crate) to: PathBuf,
    /// Print the per-table check as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

/// `lagesbild backup FILE`: a consistent online copy of a SQLite database (SQLite's backup
/// API; the server may keep running), checked afterwards.
pub(crate) fn backup_command(config: &Config, args: BackupArgs) -> Result<ExitCode> {
    let db = config.db.to_string_lossy();
    if is_postgres(&db) {
        bail!(
            "`backup` copies a SQLite database; for PostgreSQL use pg_dump, e.g. `pg_dump -Fc -f lagesbild.dump {}` (see docs/deployment.md) / använd pg_dump för PostgreSQL",
            redact(&db)
        );
    }
    if !config.db.exists() {
        bail!("there is no database at {} to back up", config.db.display());
    }
    let store = SqliteStore::open(&config.db)?;
    store
        .backup_to(&args.file)
        .with_context(|| format!("the backup to {} failed", args.file.display()))?;
    let copy = Store::open(&args.file)?;
    let check = copy.integrity_check()?;
    if check != "ok" {
        bail!(
            "the backup {} failed its integrity check: {check}",
            args.file.display()
        );
    }
    eprintln!(
        "backup written to {}: {} incidents, data version {}, integrity ok / säkerhetskopian är skriven",
        args.file.display(),
        copy.incident_count()?,
        copy.data_version()?
    );
    Ok(ExitCode::SUCCESS)
}

/// `lagesbild migrate --to TARGET`: copies the whole database into an empty one of either
/// backend and checks every table.
pub(crate) fn migrate_command(config: &Config, args: MigrateArgs) -> Result<ExitCode> {
    let from = open_store(config)?;
    let target = args.to.to_string_lossy().into_owned();
    if !is_postgres(&target) && args.to == config.db {
        bail!("--to names the database itself; give a new file or a PostgreSQL URL");
    }
    let to = Store::open(&args.to)
        .with_context(|| format!("cannot open the target {}", redact(&target)))?;
    let mut total = 0;
    for t in TABLES {
        total += from.table_rows(t)?;
    }
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        progress_bar(Some(total), "copying rows")
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let copied = copy_database(&from, &to, &mut |done| bar.set_position(done));
    bar.finish_and_clear();
    let copied = copied.with_context(|| {
        format!(
            "nothing was copied to {} (the copy is one transaction)",
            redact(&target)
        )
    })?;
    let all_identical = copied.iter().all(|c| c.identical);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "from": from.location(),
                "to": to.location(),
                "identical": all_identical,
                "tables": copied,
            }))?
        );
    } else {
        println!(
            "{:<16} {:>10} {:>10}  checksum (SHA-256)",
            "table", "source", "target"
        );
        for c in &copied {
            println!(
                "{:<16} {:>10} {:>10}  {}  {}",
                c.table,
                c.rows,
                c.rows_in_target,
                &c.checksum[..16],
                if c.identical { "ok" } else { "DIFFERS" }
            );
        }
        if all_identical {
            println!(
                "copied {} rows from {} to {}; every table identical / alla tabeller identiska",
                total,
                from.location(),
                to.location()
            );
        }
    }
    if !all_identical {
        bail!("the copy differs from the source in the tables marked DIFFERS; do not use it");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) const GIS_EXAMPLES: &str = "\
Examples:
  lagesbild --db postgres://lagesbild@db/lagesbild gis refresh               # the last 12 complete weeks
  lagesbild --db postgres://lagesbild@db/lagesbild gis refresh --weeks 52 --to 2026-W47 --res 9
  psql -c \"CREATE ROLE qgis LOGIN PASSWORD 'secret'\" && lagesbild --db postgres://... gis grant qgis

Then QGIS (or GDAL, martin, pg_featureserv) opens the views lagesbild_gis.area_weeks and
lagesbild_gis.hex_weeks with that role, which can read nothing else lagesbild stores. The
numbers are an analyst's (not suppressed): give the role to analysts only. Run the refresh
after each week's ingest (e.g. a systemd timer, see docs/deployment.md).";

#[derive(clap::Subcommand)]
pub(crate) enum GisCommand {
    /// Recompute the weekly aggregates behind the GIS views (counts, harm, Gi* per area and
    /// per H3 cell)
    Refresh {
        /// How many weeks, ending with --to
        #[arg(long, default_value_t = 12)]
        weeks: usize,
        /// The last week, YYYY-Www [default: the last complete week]
        #[arg(long)]
        to: Option<String>,
        /// H3 resolution of the hex rows
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(5..=10))]
        res: u8,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Let an existing database role read the GIS views (and nothing else)
    Grant {
        /// The role, e.g. qgis (create it first with CREATE ROLE ... LOGIN)
        role: String,
    },
}

pub(crate) fn gis_command(config: &Config, cmd: GisCommand) -> Result<ExitCode> {
    if !is_postgres(&config.db.to_string_lossy()) {
        bail!(
            "the GIS views are a PostgreSQL + PostGIS feature (--db postgres://...); on SQLite, GIS clients read the OGC API at /ogc (README: OGC API - Features) / GIS-vyerna finns bara i PostgreSQL; använd OGC API på /ogc"
        );
    }
    let store = open_store(config)?;
    match cmd {
        GisCommand::Refresh {
            weeks,
            to,
            res,
            json,
        } => {
            use lagesbild::analysis::window::{TimeWindow, WindowKind};
            let last = match to {
                Some(w) => lagesbild::report::parse_week_id(&w)?,
                None => {
                    TimeWindow::containing(chrono::Utc::now(), WindowKind::IsoWeek, config.timezone)
                        .previous()
                }
            };
            let res = h3o::Resolution::try_from(res).context("--res")?;
            let service = lagesbild::analysis::service::AnalysisService::new(
                config.categories.clone(),
                config.timezone,
                config.study_area.clone(),
            );
            let r = lagesbild::report::gis::refresh(&service, &store, &last, weeks, res)
                .context("the GIS aggregates were not refreshed")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "GIS views refreshed for {} .. {} (data version {}): {} area rows ({}), {} hex rows at resolution {}",
                    r.weeks.first().map(String::as_str).unwrap_or(""),
                    r.weeks.last().map(String::as_str).unwrap_or(""),
                    r.data_version,
                    r.area_rows,
                    r.layers.join(", "),
                    r.hex_rows,
                    r.resolution
                );
            }
        }
        GisCommand::Grant { role } => {
            store.grant_gis_reader(&role)?;
            println!(
                "role {role} may now read lagesbild_gis.area_weeks and lagesbild_gis.hex_weeks (and nothing else)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
