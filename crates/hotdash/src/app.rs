//! [`App`]: everything a request handler may use, built once at start-up and shared as
//! [`AppState`].

use std::sync::Arc;
use std::time::Duration;

use hotdash_db::{ConnectOptions, Store};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Config;
use crate::webhooks::Source;
use crate::webhooks::ingest::Ingestor;
use crate::webhooks::rejection::RejectionLog;

/// Shared state of the HTTP server.
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub ingest: Ingestor,
    pub rejections: RejectionLog,
    pub metrics: PrometheusHandle,
}

pub type AppState = Arc<App>;

impl App {
    /// Whether `source` is configured to receive webhooks. An unconfigured source refuses every
    /// delivery (fail closed) rather than accepting unverified ones.
    pub fn source_enabled(&self, source: Source) -> bool {
        let webhooks = &self.config.webhooks;
        match source {
            Source::Shopify => !webhooks.shopify.secrets.is_empty(),
            Source::Chatwoot => webhooks.chatwoot.secret.is_some() || webhooks.chatwoot.unsigned,
            Source::GoldReplies => webhooks.gold_replies.bearer_token.is_some(),
        }
    }

    pub fn rejection_log(config: &Config) -> RejectionLog {
        RejectionLog::new(Duration::from_secs(
            config.webhooks.rejection_log_interval_secs,
        ))
    }
}

/// Opens the configured database (creating the data directory for the default SQLite file)
/// and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context;
    let url = config.database_url();
    if config.database.url.is_empty() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let mut options = ConnectOptions::default();
    if config.database.max_connections > 0 {
        options.max_connections = config.database.max_connections;
    }
    let store = hotdash_db::connect(url.expose(), &options)
        .await
        .with_context(|| format!("cannot open database {url}"))?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}
