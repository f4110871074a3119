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
  lagesbild interventions add --kind trygghetsvandring --partner kommunen --area districts:alby --start 2026-12-08 --status planned --responsible 'Trygghetssamordnaren' --goal 'Färre bränder' --decided-at 2026-W49 --hotspot-area districts:alby
  lagesbild interventions update 3 --end 2026-04-15
  lagesbild interventions update 4 --status active
  lagesbild interventions close 4 --outcome 'Tre vandringar; belysning anmäld'
  lagesbild interventions list --status planned,active
  lagesbild interventions delete 3
  lagesbild interventions followup 3 --buffer 400 --control districts:fittja --after during --group crime

Kinds: patrol, guards, lighting, camera, clean-up, dialogue, and the network's own kinds
from [action_kinds] in the config file. Statuses: planned, active, done, cancelled. Without
--end an action is open-ended. Days are local calendar days, both included. The follow-up compares equal-length windows before and during (or after) the
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
    /// Make the action open-ended (clears a stored end)
    #[arg(long, conflicts_with = "end")]
    open_end: bool,
    /// planned, active, done or cancelled [default: from the days]
    #[arg(long)]
    status: Option<String>,
    /// Who is responsible: a person or a function
    #[arg(long)]
    responsible: Option<String>,
    /// What the action should achieve
    #[arg(long)]
    goal: Option<String>,
    /// The meeting period it was decided at: 2026-W49, 2026-T3 or 2026-Q4
    #[arg(long)]
    decided_at: Option<String>,
    /// The hotspot that motivated it, as LAYER:ID
    #[arg(long, conflicts_with = "hotspot_hexes")]
    hotspot_area: Option<String>,
    /// The hotspot that motivated it, as H3 cells (comma-separated)
    #[arg(long, value_delimiter = ',')]
    hotspot_hexes: Option<Vec<String>>,
    /// What came of it
    #[arg(long)]
    outcome: Option<String>,
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
        /// Only these statuses (comma-separated): planned, active, done, cancelled
        #[arg(long)]
        status: Option<String>,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Close an action with an outcome: done (default) or cancelled
    Close {
        /// The intervention's id
        id: i64,
        /// What came of it (required)
        #[arg(long)]
        outcome: String,
        /// done or cancelled
        #[arg(long, default_value = "done")]
        status: String,
        /// The last day [default: the stored end, or today when open-ended]
        #[arg(long)]
        end: Option<String>,
        /// Print the stored intervention as JSON
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

/// The action's fields as the API's JSON body, from flags (over `base`, for updates).
fn action_input(
    args: InterventionArgs,
    base: lagesbild::intervention::ActionInput,
) -> Result<lagesbild::intervention::ActionInput> {
    use lagesbild::intervention::{ActionInput, TargetInput};
    let t = args.target;
    let b = base.intervention;
    let target = if let Some(area) = t.area {
        Some(area_target(&area, "--area")?)
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
        b.target
    };
    let hotspot = if let Some(area) = args.hotspot_area {
        Some(area_target(&area, "--hotspot-area")?)
    } else if let Some(cells) = args.hotspot_hexes {
        Some(TargetInput {
            kind: Some("hexes".into()),
            cells: Some(cells),
            ..TargetInput::default()
        })
    } else {
        base.hotspot
    };
    Ok(ActionInput {
        intervention: lagesbild::intervention::InterventionInput {
            kind: args.kind.or(b.kind),
            partner: args.partner.or(b.partner),
            target,
            start: args.start.or(b.start),
            end: if args.open_end {
                None
            } else {
                args.end.or(b.end)
            },
            description: args.description.or(b.description),
        },
        status: args.status.or(base.status),
        responsible: args.responsible.or(base.responsible),
        goal: args.goal.or(base.goal),
        decided_at: args.decided_at.or(base.decided_at),
        hotspot,
        outcome: args.outcome.or(base.outcome),
    })
}

/// `LAYER:ID` as an area target.
fn area_target(area: &str, flag: &str) -> Result<lagesbild::intervention::TargetInput> {
    let (layer, id) = area.split_once(':').with_context(|| {
        format!("{flag} {area:?} is not LAYER:ID; write e.g. {flag} districts:alby")
    })?;
    Ok(lagesbild::intervention::TargetInput {
        kind: Some("area".into()),
        layer: Some(layer.into()),
        id: Some(id.into()),
        ..lagesbild::intervention::TargetInput::default()
    })
}

/// A stored intervention as the body that would store it again.
fn as_input(
    i: &lagesbild::intervention::Intervention,
) -> Result<lagesbild::intervention::ActionInput> {
    let mut v = serde_json::to_value(i)?;
    if let Some(m) = v.as_object_mut() {
        for k in ["id", "created_at", "updated_at"] {
            m.remove(k);
        }
    }
    Ok(lagesbild::intervention::ActionInput::from_value(v)?)
}

/// Today in the configured time zone.
fn today(config: &Config) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&config.timezone)
        .date_naive()
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
            "{:>4}  {:<9} {:<9} {:<18} {} .. {}  {}  {}",
            i.id, i.action.status, s.kind, s.partner, s.start, s.end, target, s.description
        );
    }
    Ok(())
}

pub(crate) fn interventions_command(
    config: &Config,
    cmd: InterventionsCommand,
) -> Result<ExitCode> {
    use lagesbild::intervention::{
        ActionInput, ActionStatus, CloseInput, InterventionId, parse_day,
    };
    let store = open_store(config)?;
    match cmd {
        InterventionsCommand::Add { fields, json } => {
            let (spec, action) = action_input(fields, ActionInput::default())?
                .validate(&config.action_kinds, today(config))
                .context("the intervention was not registered; fix the field named")?;
            let stored = store
                .add_action(&spec, &action)
                .context("the intervention was not registered")?;
            print_intervention(&stored, json)?;
        }
        InterventionsCommand::List {
            from,
            to,
            status,
            json,
        } => {
            let list = match (from, to) {
                (Some(f), Some(t)) => store
                    .interventions_overlapping(parse_day(&f, "--from")?, parse_day(&t, "--to")?)?,
                _ => store.interventions()?,
            };
            let list = match status {
                None => list,
                Some(s) => {
                    let want = s
                        .split(',')
                        .map(|x| ActionStatus::parse(x, "--status"))
                        .collect::<Result<Vec<_>, _>>()?;
                    list.into_iter()
                        .filter(|i| want.contains(&i.action.status))
                        .collect()
                }
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
            let (spec, action) = action_input(fields, as_input(&old)?)?
                .validate(&config.action_kinds, today(config))
                .context("the intervention was not changed; fix the field named")?;
            let stored = store
                .update_action(InterventionId(id), &spec, Some(&action))
                .context("the intervention was not changed")?
                .with_context(|| format!("intervention {id} was deleted meanwhile"))?;
            print_intervention(&stored, json)?;
        }
        InterventionsCommand::Close {
            id,
            outcome,
            status,
            end,
            json,
        } => {
            let old = store.intervention(InterventionId(id))?.with_context(|| {
                format!("there is no intervention {id}; `lagesbild interventions list` shows them")
            })?;
            let (mut spec, mut action) = (old.spec, old.action);
            CloseInput {
                status: Some(status),
                outcome: Some(outcome),
                end,
            }
            .apply(&mut spec, &mut action, today(config))
            .context("the action was not closed; fix the field named")?;
            let stored = store
                .update_action(InterventionId(id), &spec, Some(&action))
                .context("the action was not closed")?
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
