//! `hotdash sync [CONNECTOR] [--full]`: one pass of one or every configured connector in the
//! foreground, with progress bars on a terminal and log lines otherwise. Exits 1 when a
//! stream failed (the rest still ran), 2 for an unknown connector.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::UsageError;
use crate::config::Config;
use crate::connectors;
use crate::sync::progress::{self, Bars, LogLines, Progress};
use crate::sync::{SyncOptions, run_pass};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The connector id to sync (`[connectors.<id>]`); every configured one when omitted.
    pub connector: Option<String>,
    /// Re-read everything instead of changes since the last pass (an interrupted pass still
    /// resumes from its checkpoint).
    #[arg(long)]
    pub full: bool,
    /// Only these streams (repeatable), e.g. `--stream orders`.
    #[arg(long = "stream")]
    pub streams: Vec<String>,
}

pub async fn run(args: SyncArgs, config: &Config) -> anyhow::Result<()> {
    let selected: Vec<(&String, &connectors::ConnectorConfig)> = match &args.connector {
        Some(id) => match config.connectors.get_key_value(id) {
            Some(entry) => vec![entry],
            None => {
                return Err(UsageError(format!(
                    "no connector `{id}` is configured (known: {})",
                    config
                        .connectors
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into());
            }
        },
        None => config.connectors.iter().collect(),
    };
    if selected.is_empty() {
        return Err(UsageError(
            "no connectors are configured ([connectors.<id>] in hotdash.toml)".into(),
        )
        .into());
    }
    let store = crate::app::open_store(config).await?;
    let shutdown = CancellationToken::new();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("Interrupted: stopping after the current page (progress is saved)");
                shutdown.cancel();
            }
        });
    }
    let bars = std::io::stderr().is_terminal();
    let progress: Arc<dyn Progress> = if bars {
        Arc::new(Bars::new())
    } else {
        Arc::new(LogLines::default())
    };
    let options = SyncOptions {
        full: args.full,
        shutdown: shutdown.clone(),
        streams: args.streams.clone(),
        reconcile_grace_ms: i64::try_from(config.sync.reconcile_grace_secs).unwrap_or(0) * 1000,
        max_rate_wait: Duration::from_secs(config.sync.max_rate_wait_secs),
        progress: Some(progress),
        ..SyncOptions::default()
    };
    let mut failed = Vec::new();
    for (id, connector_config) in selected {
        let connector = connector_config
            .build(id)
            .map_err(|e| UsageError(format!("connectors.{id}.{e}")))?;
        let request = connector_config.request();
        let options = SyncOptions {
            retry_attempts: request.retry_attempts,
            retry_initial_backoff_ms: request.retry_initial_backoff_ms,
            retry_max_backoff_secs: request.retry_max_backoff_secs,
            ..options.clone()
        };
        let report = run_pass(store.clone(), connector, &options).await?;
        for stream in &report.streams {
            println!("{id}/{}: {}", stream.stream, progress::summary(stream));
            if stream.error.is_some() && !stream.parked {
                failed.push(format!("{id}/{}", stream.stream));
            }
        }
    }
    if shutdown.is_cancelled() {
        anyhow::bail!("interrupted; the next `hotdash sync` resumes from the saved checkpoints");
    }
    if !failed.is_empty() {
        anyhow::bail!("streams failed: {}", failed.join(", "));
    }
    Ok(())
}
