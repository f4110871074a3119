//! `lagesbild report`: the weekly situation picture, the period analysis and meeting notes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use lagesbild::config::Config;

use super::open_store;

pub(crate) const REPORT_EXAMPLES: &str = "\
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

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
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
pub(crate) struct ReportArgs {
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

pub(crate) fn report_command(
    config: &Config,
    cmd: ReportCommand,
    region: Option<String>,
) -> Result<ExitCode> {
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
