//! `lagesbild profile`: import profiles, a partner's own columns and formats
//! (`profile add|list|show|delete`); `ingest FILE --profile NAME` reads with one. And
//! `lagesbild categories map|mappings`: a partner's own category codes and labels.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use lagesbild::access::audit;
use lagesbild::config::Config;
use lagesbild::ingest::profile::{parse_mapping_pairs, read_mapping_file};
use lagesbild::ingest::{ColumnMap, Decimal, Encoding, ImportProfile};
use lagesbild::model::Partner;
use lagesbild::pipeline;

use super::{open_store, parse_crs};

#[derive(Subcommand)]
pub(crate) enum ProfileCommand {
    /// Add an import profile, or replace the one of this name
    Add {
        /// Profile name: lower-case letters, digits, - and _ (e.g. polisen-vecka)
        name: String,
        /// The partner whose files it reads, e.g. polisen
        #[arg(long)]
        partner: String,
        /// Columns: "id=Händelsenummer,occurred_at=Tidpunkt,category=Brottstyp,easting=X,northing=Y";
        /// a date and a time of day: occurred_at=Datum+Klockslag. Fields: id, occurred_at,
        /// occurred_to, category, partner, lat, lon, easting, northing, address, description
        #[arg(long)]
        map: String,
        /// Time format in strftime syntax, e.g. "%d/%m/%Y %H:%M" (of the date column alone
        /// with Datum+Klockslag) [default: ISO dates]
        #[arg(long)]
        date_format: Option<String>,
        /// Decimal mark of coordinates: auto, comma or point
        #[arg(long, default_value = "auto")]
        decimal: String,
        /// CRS: EPSG:4326 or EPSG:3006 [default: from the columns]
        #[arg(long)]
        crs: Option<String>,
        /// Encoding: utf8 or latin1 (Windows-1252)
        #[arg(long, default_value = "utf8")]
        encoding: String,
    },
    /// List the import profiles
    List {
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one import profile as JSON
    Show {
        /// Profile name
        name: String,
    },
    /// Delete an import profile
    Delete {
        /// Profile name
        name: String,
    },
}

pub(crate) fn profile_command(config: &Config, cmd: ProfileCommand) -> Result<ExitCode> {
    let store = open_store(config)?;
    match cmd {
        ProfileCommand::Add {
            name,
            partner,
            map,
            date_format,
            decimal,
            crs,
            encoding,
        } => {
            let map = ColumnMap::parse(&map).map_err(|e| anyhow::anyhow!("--map: {e}"))?;
            let decimal = Decimal::parse(&decimal)
                .with_context(|| format!("--decimal {decimal:?}: use auto, comma or point"))?;
            let encoding = Encoding::parse(&encoding)
                .with_context(|| format!("--encoding {encoding:?}: use utf8 or latin1"))?;
            let crs = crs.as_deref().map(parse_crs).transpose()?;
            let profile = ImportProfile {
                name: name.clone(),
                partner,
                map,
                date_format,
                decimal,
                crs,
                encoding,
            };
            let entry = audit::Entry::by_cli(&audit::cli_user(), "profile.put", &name, 1)
                .with_detail(serde_json::to_string(&profile)?);
            pipeline::put_profile(&store, &profile, &entry)?;
            println!(
                "import profile {name} saved for partner {}; use it with `lagesbild ingest FILE --profile {name}` / importprofilen {name} sparades",
                profile.partner
            );
        }
        ProfileCommand::List { json } => {
            let list = store.profiles()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!(
                    "no import profiles; add one with `lagesbild profile add NAME --partner P --map \"id=...\"` / inga importprofiler"
                );
            } else {
                for p in list {
                    println!("{}\t{}\t{}", p.name, p.partner, p.map);
                }
            }
        }
        ProfileCommand::Show { name } => {
            let p = pipeline::load_profile(&store, &name)?;
            println!("{}", serde_json::to_string_pretty(&p)?);
        }
        ProfileCommand::Delete { name } => {
            let entry = audit::Entry::by_cli(&audit::cli_user(), "profile.delete", &name, 1);
            if !store.delete_profile(&name, &entry)? {
                bail!(
                    "there is no import profile {name:?}; `lagesbild profile list` lists them / importprofilen finns inte"
                );
            }
            println!("import profile {name} deleted / importprofilen {name} togs bort");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct CategoriesArgs {
    /// Print as JSON
    #[arg(long)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Option<MappingCommand>,
}

#[derive(Subcommand)]
pub(crate) enum MappingCommand {
    /// Map a partner's own category codes or labels to category codes:
    /// `categories map --partner polisen "Bedrägeri via internet=fraud" "0901=fraud"`
    Map {
        /// The partner whose codes these are
        #[arg(long)]
        partner: String,
        /// Value=code pairs
        pairs: Vec<String>,
        /// A CSV file of value;code rows (optional header value;category)
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// List the stored mappings
    Mappings {
        /// Only this partner's
        #[arg(long)]
        partner: Option<String>,
        /// Print as JSON
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn mapping_command(config: &Config, cmd: MappingCommand) -> Result<ExitCode> {
    let store = open_store(config)?;
    match cmd {
        MappingCommand::Map {
            partner,
            pairs,
            file,
        } => {
            let partner = Partner::parse(&partner)
                .map_err(|e| anyhow::anyhow!("--partner {partner:?}: {e}"))?;
            let mut all = parse_mapping_pairs(&pairs).map_err(anyhow::Error::msg)?;
            if let Some(f) = &file {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let more = read_mapping_file(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                all.extend(more);
            }
            let entry =
                audit::Entry::by_cli(&audit::cli_user(), "categories.map", partner.as_str(), 0)
                    .with_detail(
                        all.iter()
                            .map(|(v, c)| format!("{v}={c}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
            let n = pipeline::map_categories(&store, config, &partner, &all, &entry)?;
            println!(
                "{n} mapping(s) stored for {partner}; later imports read these values as the categories given / {n} mappning(ar) sparades för {partner}"
            );
        }
        MappingCommand::Mappings { partner, json } => {
            let list = store.category_mappings(partner.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("no category mappings / inga kategorimappningar");
            } else {
                for m in list {
                    println!("{}\t{}\t{}", m.partner, m.value, m.category);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
