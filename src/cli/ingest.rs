//! `lagesbild ingest`: one partner file into the store, row by row, with its report.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use clap::Args;
use indicatif::ProgressBar;

use lagesbild::access::{self, audit};
use lagesbild::config::Config;
use lagesbild::ingest::{Encoding, Format};
use lagesbild::model::Partner;
use lagesbild::pipeline::{self, IngestReport, IngestRequest, ReadOptions};

use super::{open_store, parse_crs, progress_bar};

#[derive(Args)]
pub(crate) struct IngestArgs {
    /// The file, or - for standard input
    pub(crate) file: PathBuf,
    /// Partner for rows without a partner column, e.g. polisen
    #[arg(long)]
    pub(crate) partner: Option<String>,
    /// CRS of the coordinates: EPSG:4326 (lat/lon) or EPSG:3006 (easting/northing)
    #[arg(long)]
    pub(crate) crs: Option<String>,
    /// csv or geojson [default: from the file extension, else csv]
    #[arg(long)]
    pub(crate) format: Option<String>,
    /// Store nothing if any row is rejected
    #[arg(long)]
    pub(crate) strict: bool,
    /// Print the summary as JSON on standard output
    #[arg(long)]
    pub(crate) json: bool,
    /// Read the file with this import profile (`lagesbild profile list`)
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// The file's encoding: utf8 or latin1 (Windows-1252, Excel's plain CSV)
    /// [default: the profile's, else utf8]
    #[arg(long)]
    pub(crate) encoding: Option<String>,
}

pub(crate) fn ingest_command(config: &Config, args: IngestArgs) -> Result<ExitCode> {
    let IngestArgs {
        file,
        partner,
        crs,
        format,
        strict,
        json,
        profile,
        encoding,
    } = args;
    let encoding = encoding
        .map(|e| {
            Encoding::parse(&e)
                .with_context(|| format!("--encoding {e:?}: use utf8 or latin1 (Windows-1252)"))
        })
        .transpose()?;
    let file = file.as_path();
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
    let profile = profile
        .map(|name| pipeline::load_profile(&store, &name))
        .transpose()?;
    let read = ReadOptions { profile, encoding };
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
    let report = pipeline::ingest_with(
        &store,
        config,
        std::io::BufReader::with_capacity(1 << 20, input),
        &req,
        &read,
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
    if let Some(p) = &r.profile {
        println!("import profile / importprofil: {p}");
    }
    if !r.mapping.is_empty() {
        println!(
            "{}",
            lagesbild::ingest::profile::mapping_summary(&r.mapping)
        );
    }
    for w in &r.warnings {
        println!("note: {w}");
    }
    // Unmapped categories get one line per value, not one per row.
    for u in &r.unmapped_categories {
        println!("rejected: {}: category {}", r.source, u.message);
    }
    let summarised = |rej: &&lagesbild::ingest::Rejection| {
        rej.field.as_deref() == Some("category")
            && rej
                .value
                .as_deref()
                .is_some_and(|v| r.unmapped_categories.iter().any(|u| u.value == v))
    };
    for rej in r.rejections.iter().filter(|rej| !summarised(rej)).take(50) {
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
