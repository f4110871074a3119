//! `lagesbild nearrepeat` and `categories`: analyses and the catalogue from the command line.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use lagesbild::config::Config;

use super::open_store;

#[derive(Args)]
pub(crate) struct NearrepeatArgs {
    /// Window: 2026, 2026-T3, 2026-11, 2026-W47 or FROM/TO [default: the 52 weeks up to
    /// the last complete week]
    #[arg(long)]
    pub(crate) window: Option<String>,
    /// Category codes or labels, comma-separated, e.g. burglary
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// Category groups: crime, disorder, safety
    #[arg(long)]
    pub(crate) group: Option<String>,
    /// Partner codes
    #[arg(long)]
    pub(crate) partner: Option<String>,
    /// Upper edges of the distance bands in metres, increasing, at most 20
    #[arg(long, default_value = "200,400,600,800,1000")]
    pub(crate) distance_bands: String,
    /// Upper edges of the time bands in days, increasing, at most 20
    #[arg(long, default_value = "7,14,21,28,35,42,49,56")]
    pub(crate) time_bands: String,
    /// Monte Carlo permutations of the times, 19..=9999
    #[arg(long, default_value_t = 999)]
    pub(crate) permutations: u32,
    /// Seed of the permutations (the same seed gives the same table)
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Print as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn nearrepeat_command(config: &Config, args: NearrepeatArgs) -> Result<ExitCode> {
    let NearrepeatArgs {
        window,
        category,
        group,
        partner,
        distance_bands,
        time_bands,
        permutations,
        seed,
        json,
    } = args;
    use lagesbild::analysis::knox::{KnoxOptions, default_window, near_repeat, parse_bands};
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
    let store = open_store(config)?;
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

pub(crate) fn categories_command(config: &Config, json: bool) -> Result<ExitCode> {
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
