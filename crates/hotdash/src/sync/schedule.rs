//! The schedule `hotdash serve` runs: every configured connector passes again
//! `sync_interval_secs` after its previous pass ended, until shutdown. Passes of different
//! connectors run side by side (each has its own vendor budget); one connector never runs two.

use std::sync::Arc;
use std::time::Duration;

use hotdash_db::Store;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{SyncOptions, run_pass};
use crate::connectors::Connector;

/// Runs until `shutdown`. A failing pass is logged and retried at the next interval.
pub async fn run(
    store: Arc<dyn Store>,
    connectors: Vec<(Arc<dyn Connector>, Duration)>,
    options: SyncOptions,
    shutdown: CancellationToken,
) {
    let mut tasks = JoinSet::new();
    for (connector, interval) in connectors {
        let store = store.clone();
        let shutdown = shutdown.clone();
        let options = SyncOptions {
            shutdown: shutdown.clone(),
            ..options.clone()
        };
        tasks.spawn(async move {
            loop {
                match run_pass(store.clone(), connector.clone(), &options).await {
                    Ok(report) if !report.ok() => {
                        let failed: Vec<&str> = report
                            .streams
                            .iter()
                            .filter(|s| s.error.is_some())
                            .map(|s| s.stream.as_str())
                            .collect();
                        tracing::warn!(connector.id = connector.id(), ?failed, "Sync pass finished with failed streams");
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(connector.id = connector.id(), error = %e, "Sync pass failed");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = shutdown.cancelled() => break,
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}
