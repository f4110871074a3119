//! `lagesbild serve`: checks the flags, loads the demo into an empty database, runs the server.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Args;

use lagesbild::access;
use lagesbild::config::Config;
use lagesbild::demo::{self, DemoSpec};
use lagesbild::serve;

use super::demo::{load_demo, mark_demo};
use super::open_store;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "LAGESBILD_BIND")]
    pub(crate) bind: Option<String>,
    /// Do not load the demo into an empty database
    #[arg(long)]
    pub(crate) no_demo: bool,
    /// Public base URL (e.g. https://example.org/lagesbild) for absolute links behind a
    /// reverse proxy [default: taken from each request's Host]
    #[arg(long, env = "LAGESBILD_BASE_URL")]
    pub(crate) base_url: Option<String>,
    /// Seconds a client may take to send its request headers
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(crate) read_timeout: u64,
    /// Anonymous access to aggregates (suppressed): on, off, or auto = on only while the
    /// database holds just the synthetic demo
    #[arg(long, env = "LAGESBILD_PUBLIC", default_value = "auto")]
    pub(crate) public: String,
    /// Counts from 1 to k-1 are hidden from viewers, reporters and the public
    #[arg(long, env = "LAGESBILD_SUPPRESS_K", default_value_t = access::suppress::DEFAULT_K,
          value_parser = clap::value_parser!(u32).range(2..=100))]
    pub(crate) suppress_k: u32,
    /// The finest H3 resolution shown to viewers, reporters and the public
    #[arg(long, env = "LAGESBILD_PUBLIC_MAX_RES", default_value_t = access::suppress::DEFAULT_MAX_PUBLIC_RES,
          value_parser = clap::value_parser!(u8).range(0..=15))]
    pub(crate) public_max_res: u8,
    /// Serve the web map from this directory (index.html, report.html, app/,
    /// node_modules/ after `npm ci`) instead of the copy built into the binary, e.g. while
    /// editing web/app [default: the built-in copy]
    #[arg(long, env = "LAGESBILD_WEB_DIR")]
    pub(crate) web_dir: Option<std::path::PathBuf>,
    /// An XYZ raster base map under the map's layers, e.g.
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png [default: none; the map works offline]
    #[arg(long, env = "LAGESBILD_BASEMAP_URL")]
    pub(crate) basemap_url: Option<String>,
    /// Memory for all caches together (responses, tiles, prepared layers, analysis
    /// results), MiB; at least 32
    #[arg(long, env = "LAGESBILD_CACHE_MB", default_value_t = serve::DEFAULT_CACHE_MB)]
    pub(crate) cache_mb: usize,
    /// A bearer token Prometheus may scrape GET /metrics with (admins always may)
    #[arg(long, env = "LAGESBILD_METRICS_TOKEN", hide_env_values = true)]
    pub(crate) metrics_token: Option<String>,
    /// Attribution shown for the base map, e.g. "© OpenStreetMap contributors"
    #[arg(long, env = "LAGESBILD_BASEMAP_ATTRIBUTION")]
    pub(crate) basemap_attribution: Option<String>,
}

/// Access settings for `serve`: public access from `--public` (on, off, auto = on only for
/// the demo database), suppression k and the public resolution cap.
fn access_settings(
    config: &Config,
    public: String,
    k: u32,
    max_res: u8,
    base_url: &Option<String>,
) -> Result<serve::auth::AuthSettings> {
    let store = open_store(config)?;
    let demo = access::is_demo(&store)?;
    let (public, for_demo) = match public.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => (true, false),
        "off" | "false" | "no" => (false, false),
        "auto" => (demo, demo),
        other => bail!("--public {other:?}: use on, off or auto"),
    };
    if public && for_demo {
        tracing::warn!(
            "PUBLIC ACCESS IS ON because this database holds only the SYNTHETIC demo: anyone who can reach the server sees aggregates (suppressed, k = {k}). Real deployments: add data and tokens; set --public off to close it now"
        );
    } else if public {
        tracing::warn!(
            "public access is on (--public on): anonymous callers see aggregates with small counts suppressed (k = {k})"
        );
    } else {
        tracing::info!(
            "public access is off: every request needs a token (lagesbild token create)"
        );
    }
    if access::tokens::list(&store)?.is_empty() {
        tracing::info!(
            "no API tokens yet; create one with `lagesbild token create --partner polisen --role analyst`"
        );
    }
    Ok(serve::auth::AuthSettings {
        public,
        public_for_demo: for_demo,
        suppression: access::suppress::Suppression {
            k,
            max_public_res: max_res,
        },
        secure_cookies: base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        ..serve::auth::AuthSettings::default()
    })
}

pub(crate) fn serve_command(
    config: Config,
    args: ServeArgs,
    bind_from_file: Option<String>,
) -> Result<ExitCode> {
    let ServeArgs {
        bind,
        no_demo,
        base_url,
        read_timeout,
        public,
        suppress_k,
        public_max_res,
        web_dir,
        basemap_url,
        basemap_attribution,
        cache_mb,
        metrics_token,
    } = args;
    let budget = serve::CacheBudget::from_mb(cache_mb).map_err(anyhow::Error::msg)?;
    let bind = bind
        .or(bind_from_file)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let bind = bind.as_str();
    let web = serve::web::WebConfig {
        dir: web_dir,
        basemap_url,
        basemap_attribution,
    };
    if let Some(dir) = &web.dir
        && let Some(missing) = web.missing()
    {
        bail!(
            "--web-dir / LAGESBILD_WEB_DIR {}: {missing} (sv: mappen saknar webbkartan)",
            dir.display()
        );
    }
    if let Some(url) = &web.basemap_url {
        serve::web::WebConfig::check_basemap_url(url)
            .map_err(|e| anyhow::anyhow!("--basemap-url: {e}"))?;
    }
    if let Some(u) = &base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        bail!("--base-url {u:?} must start with http:// or https://");
    }
    let addr: SocketAddr = bind
        .parse()
        .with_context(|| format!("--bind {bind:?} is not an address such as 127.0.0.1:8080"))?;
    {
        let store = open_store(&config)?;
        if !no_demo && store.incident_count()? == 0 && store.layers()?.is_empty() {
            tracing::info!(db = %config.db.display(), "empty database: loading the Botkyrka demo with SYNTHETIC incidents");
            let spec = DemoSpec {
                seed: demo::DEFAULT_SEED,
                end: demo::default_end(Utc::now()),
                years: demo::DEFAULT_YEARS,
            };
            load_demo(&store, &config, &spec)?;
            mark_demo(&store)?;
        }
    }
    let settings = access_settings(&config, public, suppress_k, public_max_res, &base_url)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime
        .block_on(serve::run(
            serve::AppState::with_auth(config, base_url, settings)
                .with_web(web)
                .with_operations(budget, metrics_token),
            addr,
            std::time::Duration::from_secs(read_timeout),
        ))
        .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}
