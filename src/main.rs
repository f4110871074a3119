//! The `lagesbild` command line: parses flags, sets up logging, opens the store and runs one
//! command. Everything else lives in the library.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// glibc gives each thread of the blocking pool its own malloc arena, and freed memory stays
/// in them: the server's resident memory then grows with every data version although its
/// caches stay within `--cache-mb` (measured in BENCHMARKS.md, "Memory"). Two arenas keep it
/// flat, so `serve` re-executes itself once with `MALLOC_ARENA_MAX=2` unless the variable is
/// set (set it to another value to choose; glibc reads it only at start).
#[cfg(target_os = "linux")]
fn limit_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("MALLOC_ARENA_MAX", "2")
        .exec();
    eprintln!("warning: could not restart with MALLOC_ARENA_MAX=2 ({err}); memory may grow");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(target_os = "linux")]
    if matches!(cli.command, Command::Serve(_)) {
        limit_malloc_arenas();
    }
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAGESBILD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // LAGESBILD_LOG_FORMAT=json: one JSON object per line (for Loki, ELK).
    match std::env::var("LAGESBILD_LOG_FORMAT").as_deref() {
        Ok("json") => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Ok(other) if !other.is_empty() && other != "text" => {
            eprintln!(
                "error: LAGESBILD_LOG_FORMAT={other:?}: use json or text / använd json eller text"
            );
            return ExitCode::from(2);
        }
        _ => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init(),
    }
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
