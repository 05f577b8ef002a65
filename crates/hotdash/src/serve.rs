//! Runs HotDash: the HTTP server, the ingest writers and the job workers under one shutdown
//! token. Shutdown order matters: stop accepting requests, let in-flight ones finish (their
//! deliveries are committed by the writers), then stop the workers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::{App, open_store};
use crate::config::Config;
use crate::jobs::{Runner, WEBHOOK_QUEUE};
use crate::webhooks::ingest::Ingestor;
use crate::{http, metrics, now_ms};

/// A started server. Dropping it does not stop it: call [`Running::shutdown`].
pub struct Running {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    shutdown: CancellationToken,
    tasks: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops gracefully and waits until every accepted delivery is committed.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        drop(self.app);
        self.tasks.await.context("server task panicked")?
    }
}

/// Starts everything on `listener` and returns once the server accepts connections.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Running> {
    let store = open_store(&config).await?;
    let addr = listener.local_addr()?;
    if config.webhooks.chatwoot.unsigned {
        tracing::warn!(
            "Chatwoot webhooks are accepted UNSIGNED (webhooks.chatwoot.unsigned = true): anyone who can reach this server can submit them"
        );
    }
    // SQLite has one writer, so one transaction at a time: of its three writer tasks
    // one is inserting while the others wait for their log fsync (see hotdash-db's `wal_sync`)
    // or answer their senders. Postgres commits four transactions in parallel.
    let (writers, transactions) = match store.backend() {
        hotdash_db::Backend::Sqlite => (3, 1),
        hotdash_db::Backend::Postgres => (4, 4),
    };
    let job = Runner::webhook_job(&config.jobs, false);
    let (ingest, writer_tasks) = Ingestor::start(
        store.clone(),
        job,
        writers,
        transactions,
        config.webhooks.batch_max,
        config.webhooks.queue_capacity,
    );
    let app = Arc::new(App {
        rejections: App::rejection_log(&config),
        metrics: metrics::install(),
        store: store.clone(),
        ingest,
        config,
    });

    let shutdown = CancellationToken::new();
    let mut workers = JoinSet::new();
    let worker_prefix = format!("{}-{}", hostname(), std::process::id());
    for i in 0..app.config.jobs.workers {
        let runner = Runner::new(store.clone(), &app.config, format!("{worker_prefix}-{i}"));
        workers.spawn(runner.run(shutdown.clone()));
    }
    workers.spawn(sample_queue(store.clone(), shutdown.clone()));
    if app.config.sync.in_serve && !app.config.connectors.is_empty() {
        let connectors = crate::connectors::build_all(&app.config.connectors)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .zip(app.config.connectors.values())
            .map(|(c, config)| (c, Duration::from_secs(config.sync_interval_secs().max(1))))
            .collect();
        let options = crate::sync::SyncOptions {
            reconcile_grace_ms: i64::try_from(app.config.sync.reconcile_grace_secs).unwrap_or(0)
                * 1000,
            max_rate_wait: Duration::from_secs(app.config.sync.max_rate_wait_secs),
            ..crate::sync::SyncOptions::default()
        };
        workers.spawn(crate::sync::schedule::run(
            store.clone(),
            connectors,
            options,
            shutdown.clone(),
        ));
    }

    let router = http::router(app.clone());
    let server =
        axum::serve(listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    tracing::info!(
        backend = store.backend().as_str(),
        "HotDash listening on http://{addr}"
    );
    let stop = shutdown.clone();
    let tasks = tokio::spawn(async move {
        let served = server.await;
        stop.cancel();
        while workers.join_next().await.is_some() {}
        // The router (and its App) is gone; once the caller drops its App the writers drain.
        writer_tasks.join_all().await;
        served.context("HTTP server failed")
    });
    Ok(Running {
        addr,
        app,
        shutdown,
        tasks,
    })
}

/// `hotdash serve`: runs until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let running = start(config, listener).await?;
    shutdown_signal().await;
    tracing::info!("Shutting down: finishing in-flight requests");
    running.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler works on Unix");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Refreshes the queue gauges (depth, oldest pending, dead letters) every few seconds.
async fn sample_queue(store: Arc<dyn hotdash_db::Store>, shutdown: CancellationToken) {
    loop {
        match store.queue_stats(WEBHOOK_QUEUE, now_ms()).await {
            Ok(stats) => metrics::queue(&stats),
            Err(error) => tracing::warn!(error = %error, "Cannot read queue statistics"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "hotdash".into())
}
