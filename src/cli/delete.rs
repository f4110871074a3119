//! `lagesbild delete`: undo an import (`--batch N`), remove a partner's incidents (all or
//! `--before DATE`), or a list of its ids (`--ids FILE`). Audited; aggregates recompute.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use lagesbild::access::audit;
use lagesbild::config::Config;
use lagesbild::model::Partner;
use lagesbild::pipeline;
use lagesbild::store::Deletion;

use super::open_store;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["batch", "partner"])))]
pub(crate) struct DeleteArgs {
    /// Undo one import: delete every incident its batch stored
    #[arg(long)]
    batch: Option<i64>,
    /// Delete this partner's incidents (all, or with --before / --ids)
    #[arg(long)]
    partner: Option<String>,
    /// Only incidents that occurred before this date (YYYY-MM-DD, local midnight) or time
    #[arg(long, requires = "partner")]
    before: Option<String>,
    /// Only these ids of the partner: a file with one id per line
    #[arg(long, requires = "partner", conflicts_with = "before")]
    ids: Option<std::path::PathBuf>,
    /// Print the outcome as JSON
    #[arg(long)]
    json: bool,
}

pub(crate) fn delete_command(config: &Config, args: DeleteArgs) -> Result<ExitCode> {
    let store = open_store(config)?;
    let ids: Vec<String> = match &args.ids {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read {} (one id per line, UTF-8)", f.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let partner = args
        .partner
        .as_deref()
        .map(|p| Partner::parse(p).map_err(|e| anyhow::anyhow!("--partner {p:?}: {e}")))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|b| before_time(b, config.timezone))
        .transpose()?;
    let (what, target) = match (args.batch, &partner) {
        (Some(b), None) => (Deletion::Batch(b), format!("batch {b}")),
        (None, Some(p)) if args.ids.is_some() => {
            if ids.is_empty() {
                bail!("--ids: the file holds no ids; nothing was deleted");
            }
            (
                Deletion::Ids {
                    partner: p.as_str(),
                    ids: &ids,
                },
                format!("partner {p}, {} id(s)", ids.len()),
            )
        }
        (None, Some(p)) => (
            Deletion::Partner {
                partner: p.as_str(),
                before,
            },
            match &args.before {
                Some(b) => format!("partner {p} before {b}"),
                None => format!("partner {p}"),
            },
        ),
        _ => bail!("give --batch N or --partner P, not both"),
    };
    let entry = audit::Entry::by_cli(&audit::cli_user(), "incidents.delete", &target, 0);
    let report = pipeline::delete_incidents(&store, &what, &entry)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{target}: {} incident(s) deleted; aggregates, tiles and reports recompute from data version {} / {} händelse(r) togs bort",
            report.deleted, report.data_version, report.deleted
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `YYYY-MM-DD` (local midnight in `tz`) or an RFC 3339 time.
fn before_time(s: &str, tz: chrono_tz::Tz) -> Result<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("--before {s:?}: give a date (2026-01-01) or an RFC 3339 time"))?;
    tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .with_context(|| format!("--before {s:?}: midnight does not exist in {tz}"))
}
