//! The command line: what the `hotdash` binary can do, and the exit codes it promises
//! (0 ok, 1 runtime failure, 2 bad usage or bad configuration).

mod sim;
mod sync;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::{serve, telemetry};

/// HotDash: the integration hub behind the Hot Rod AN operator control center.
#[derive(Debug, Parser)]
#[command(name = "hotdash", version, about)]
pub struct Cli {
    /// Config file (TOML). Every key can be overridden by a HOTDASH_* environment variable.
    #[arg(long, global = true, env = "HOTDASH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (webhooks, health, metrics) and the job workers.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration with every secret redacted, then exit.
    CheckConfig,
    /// Inspect and replay stored webhook deliveries.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Sync connectors now: one pass of every stream (progress bars on a terminal).
    Sync(sync::SyncArgs),
    /// Run the vendor simulators (Shopify, Chatwoot, GA4, Slack) over a seeded Hot Rod AN store.
    Sim(sim::SimArgs),
    /// Print the version.
    Version,
}

/// Exit code for bad usage or configuration.
const USAGE: u8 = 2;

/// Parses arguments, loads config, runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse(); // exits 2 on bad usage, 0 on --help
    if let Command::Version = cli.command {
        println!("hotdash {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("hotdash: {error}");
            return ExitCode::from(USAGE);
        }
    };
    if let Command::CheckConfig = cli.command {
        print!("{}", config.to_redacted_toml());
        return ExitCode::SUCCESS;
    }
    telemetry::init(&config.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hotdash: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve::run(config).await,
            Command::Migrate => crate::app::open_store(&config)
                .await
                .map(|_| println!("migrations applied")),
            Command::Webhooks(command) => webhooks::run(command, &config).await,
            Command::Sim(args) => sim::run(args, &config).await,
            Command::Sync(args) => sync::run(args, &config).await,
            Command::Version | Command::CheckConfig => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if error.downcast_ref::<UsageError>().is_some() {
                eprintln!("hotdash: {error}");
                return ExitCode::from(USAGE);
            }
            tracing::error!(error = format!("{error:#}"), "hotdash failed");
            eprintln!("hotdash: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// An argument that parsed but makes no sense (e.g. an unreadable time): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
