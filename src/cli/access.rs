//! `lagesbild partner`, `token` and `audit`: who may see what, and what was done.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use lagesbild::access::{self, audit, tokens};
use lagesbild::config::Config;
use lagesbild::model::Partner;

use super::open_store;

#[derive(Args)]
pub(crate) struct AuditArgs {
    /// Entries at or after this date/time (2026-11-01 or RFC 3339)
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Entries before this date/time
    #[arg(long)]
    pub(crate) until: Option<String>,
    /// Only this action or family, e.g. incidents, ingest, token.create
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// Only this actor, e.g. token:3 or cli:anna
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Only this partner
    #[arg(long)]
    pub(crate) partner: Option<String>,
    /// At most this many entries, newest first
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: usize,
    /// Print as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
pub(crate) enum PartnerCommand {
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
pub(crate) enum TokenCommand {
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

pub(crate) fn partner_command(config: &Config, cmd: PartnerCommand) -> Result<ExitCode> {
    let store = open_store(config)?;
    match cmd {
        PartnerCommand::Add { code, name, shares } => {
            let shares = match shares.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" => true,
                "no" | "false" | "off" => false,
                other => bail!("--shares {other:?}: use yes or no"),
            };
            let p = access::put_partner(&store, &code, &name, shares, &audit::cli_user())?;
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

pub(crate) fn token_command(config: &Config, cmd: TokenCommand) -> Result<ExitCode> {
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
            let role = access::parse_role(&role)?;
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

pub(crate) fn audit_command(config: &Config, args: AuditArgs) -> Result<ExitCode> {
    let AuditArgs {
        since,
        until,
        action,
        actor,
        partner,
        limit,
        json,
    } = args;
    let store = open_store(config)?;
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
