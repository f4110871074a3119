//! `lagesbild interventions`: the interventions register and the follow-up of each.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use lagesbild::config::Config;

use super::open_store;

pub(crate) const INTERVENTION_EXAMPLES: &str = "\
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
pub(crate) struct TargetArgs {
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
pub(crate) struct InterventionArgs {
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
pub(crate) enum InterventionsCommand {
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

pub(crate) fn interventions_command(
    config: &Config,
    cmd: InterventionsCommand,
) -> Result<ExitCode> {
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
