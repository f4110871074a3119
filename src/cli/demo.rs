//! `lagesbild demo`: the Botkyrka demo (real boundaries, SYNTHETIC incidents).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use lagesbild::access::{self, audit};
use lagesbild::config::Config;
use lagesbild::demo::{self, DemoSpec};
use lagesbild::store::Store;

use super::{open_store, progress_bar};

#[derive(Args, Clone)]
pub(crate) struct DemoArgs {
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
pub(crate) enum DemoCommand {
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

pub(crate) fn demo_command(config: &Config, cmd: DemoCommand) -> Result<ExitCode> {
    match cmd {
        DemoCommand::Generate { args, out } => {
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
        DemoCommand::Load { args, json } => {
            let spec = demo_spec(&args)?;
            let store = open_store(config)?;
            let was_empty = store.incident_count()? == 0;
            let report = load_demo(&store, config, &spec)?;
            if was_empty {
                mark_demo(&store)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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

pub(crate) fn load_demo(
    store: &Store,
    config: &Config,
    spec: &DemoSpec,
) -> Result<demo::DemoReport> {
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

/// Marks a database that now holds only the synthetic demo, and adds the demo's partners.
pub(crate) fn mark_demo(store: &Store) -> Result<()> {
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
