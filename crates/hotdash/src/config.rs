//! Configuration: `hotdash.toml` (optional), overridden key by key by `HOTDASH_*` environment
//! variables (see [`env`]), validated at load with errors that name the key and its variable.
//! Credentials are [`Secret`]s: the whole [`Config`] can be printed (`hotdash check-config`).
//! Every key is documented in `hotdash.example.toml`, which a test parses.

pub mod env;
pub mod secret;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use secret::deserialize_secret_list;
pub use secret::{DatabaseUrl, Secret};

/// The checked configuration of one HotDash process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the default SQLite database lives (`<data_dir>/hotdash.db`).
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub webhooks: WebhooksConfig,
    pub jobs: JobsConfig,
    pub sync: SyncConfig,
    /// `[connectors.<id>]` tables: one per vendor account to sync (`type = "shopify"`, ...).
    pub connectors: std::collections::BTreeMap<String, crate::connectors::ConnectorConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            webhooks: WebhooksConfig::default(),
            jobs: JobsConfig::default(),
            sync: SyncConfig::default(),
            connectors: std::collections::BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on (`HOTDASH_SERVER__LISTEN`). Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Largest accepted webhook body; larger requests get 413 and are recorded as rejections.
    pub max_body_bytes: usize,
    /// Requests taking longer are answered 408 (keeps shutdown bounded).
    pub request_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…` (`HOTDASH_DATABASE__URL`). Empty: SQLite in `data_dir`.
    pub url: DatabaseUrl,
    /// Pool size (SQLite adds its two writer connections and a checkpointer). 0 means the default, 8.
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `hotdash=debug,sqlx=warn`. `RUST_LOG` overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Most deliveries stored in one group commit.
    pub batch_max: usize,
    /// Requests waiting for the store before new ones are refused with 503 (back-pressure).
    pub queue_capacity: usize,
    /// At most one log line per source and rejection cause in this many seconds.
    pub rejection_log_interval_secs: u64,
    pub shopify: ShopifyWebhookConfig,
    pub chatwoot: ChatwootWebhookConfig,
    pub gold_replies: GoldRepliesWebhookConfig,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            batch_max: 256,
            queue_capacity: 16_384,
            rejection_log_interval_secs: 10,
            shopify: ShopifyWebhookConfig::default(),
            chatwoot: ChatwootWebhookConfig::default(),
            gold_replies: GoldRepliesWebhookConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopifyWebhookConfig {
    /// App client secrets (`HOTDASH_WEBHOOKS__SHOPIFY__SECRETS`, comma-separated). Several are
    /// accepted at once during a rotation. Empty: the endpoint refuses every delivery.
    #[serde(deserialize_with = "deserialize_secret_list")]
    pub secrets: Vec<Secret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatwootWebhookConfig {
    /// The webhook's secret (`HOTDASH_WEBHOOKS__CHATWOOT__SECRET`).
    pub secret: Option<Secret>,
    /// Accept unsigned deliveries (Chatwoot before the 2026 signing). Logged as a warning.
    pub unsigned: bool,
    /// The Chatwoot account these webhooks come from. Conversation payloads do not name their
    /// account (message payloads do), so this keeps conversations and messages together.
    pub account_id: i64,
    /// Largest accepted distance between `X-Chatwoot-Timestamp` and now.
    pub timestamp_tolerance_secs: u64,
}

impl Default for ChatwootWebhookConfig {
    fn default() -> Self {
        Self {
            secret: None,
            unsigned: false,
            account_id: 1,
            timestamp_tolerance_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GoldRepliesWebhookConfig {
    /// Bearer token the internal tool sends (`HOTDASH_WEBHOOKS__GOLD_REPLIES__BEARER_TOKEN`).
    pub bearer_token: Option<Secret>,
    /// Standard Webhooks secrets (`whsec_…`), several during a rotation.
    #[serde(deserialize_with = "deserialize_secret_list")]
    pub signing_secrets: Vec<Secret>,
    pub timestamp_tolerance_secs: u64,
}

impl Default for GoldRepliesWebhookConfig {
    fn default() -> Self {
        Self {
            bearer_token: None,
            signing_secrets: Vec::new(),
            timestamp_tolerance_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Worker tasks processing queued deliveries in this process. 0 runs none (ingest only).
    pub workers: usize,
    /// Jobs claimed (and committed) together by one worker.
    pub batch_size: i64,
    /// How long a claimed job stays leased before another worker may reclaim it.
    pub lease_secs: u64,
    /// Idle poll interval when the queue is empty.
    pub poll_interval_ms: u64,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt, with ±20 % jitter, up to `retry_cap_secs`.
    pub retry_base_ms: u64,
    pub retry_cap_secs: u64,
    /// Priority of replayed deliveries; live traffic runs at 0 and always goes first.
    pub replay_priority: i32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            batch_size: 64,
            lease_secs: 60,
            poll_interval_ms: 100,
            max_attempts: 8,
            retry_base_ms: 1_000,
            retry_cap_secs: 600,
            replay_priority: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// Whether `hotdash serve` runs every connector on its `sync_interval_secs` schedule.
    pub in_serve: bool,
    /// A reconcile window ends this long before the newest change, so webhooks still in
    /// flight are not counted as lost.
    pub reconcile_grace_secs: u64,
    /// Longest Retry-After or quota reset a pass waits for; beyond it the stream is parked
    /// until the next pass.
    pub max_rate_wait_secs: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            in_serve: true,
            reconcile_grace_secs: 30,
            max_rate_wait_secs: 300,
        }
    }
}

/// A configuration that could not be loaded. The message names the key and its variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads `path` (or `hotdash.toml` if present when `path` is `None`) plus the process
    /// environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let text = match path {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                ConfigError(format!("cannot read config file {}: {e}", path.display()))
            })?,
            None => std::fs::read_to_string("hotdash.toml").unwrap_or_default(),
        };
        Self::from_sources(&text, std::env::vars())
    }

    /// Parses TOML `text` overridden by `vars`, then validates. Pure, for tests.
    pub fn from_sources(
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError(format!("config file is not valid TOML: {e}"))
        })?;
        env::apply(&mut table, vars).map_err(ConfigError)?;
        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = e.path().to_string();
                ConfigError(format!(
                    "config key `{key}` (env {}): {}",
                    env::var_for_key(&key),
                    e.inner()
                ))
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| {
            Err(ConfigError(format!(
                "config key `{key}` (env {}): {why}",
                env::var_for_key(key)
            )))
        };
        let url = self.database.url.expose();
        if !url.is_empty() && hotdash_db::Backend::from_url(url).is_err() {
            return fail("database.url", "must start with sqlite: or postgres:");
        }
        if self.server.max_body_bytes == 0 {
            return fail("server.max_body_bytes", "must be at least 1");
        }
        if self.webhooks.batch_max == 0 {
            return fail("webhooks.batch_max", "must be at least 1");
        }
        if self.webhooks.queue_capacity == 0 {
            return fail("webhooks.queue_capacity", "must be at least 1");
        }
        if self.jobs.batch_size < 1 {
            return fail("jobs.batch_size", "must be at least 1");
        }
        if self.jobs.max_attempts < 1 {
            return fail("jobs.max_attempts", "must be at least 1");
        }
        if self.jobs.lease_secs == 0 {
            return fail("jobs.lease_secs", "must be at least 1");
        }
        if self.webhooks.chatwoot.account_id < 1 {
            return fail(
                "webhooks.chatwoot.account_id",
                "must be a Chatwoot account id (1 or more)",
            );
        }
        if self.webhooks.chatwoot.unsigned && self.webhooks.chatwoot.secret.is_some() {
            return fail(
                "webhooks.chatwoot.unsigned",
                "cannot be true while a secret is set: pick one",
            );
        }
        for (key, secrets) in [
            ("webhooks.shopify.secrets", &self.webhooks.shopify.secrets),
            (
                "webhooks.gold_replies.signing_secrets",
                &self.webhooks.gold_replies.signing_secrets,
            ),
        ] {
            if secrets.iter().any(|s| s.expose().len() < 8) {
                return fail(key, "every secret must be at least 8 characters");
            }
        }
        for secret in &self.webhooks.gold_replies.signing_secrets {
            if crate::webhooks::verify::standard::decode_secret(secret).is_none() {
                return fail(
                    "webhooks.gold_replies.signing_secrets",
                    "each must be `whsec_` followed by base64",
                );
            }
        }
        for id in self.connectors.keys() {
            let valid = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return fail(
                    &format!("connectors.{id}"),
                    "connector ids are lowercase snake_case (`shopify_main`)",
                );
            }
        }
        if let Err(e) = crate::connectors::build_all(&self.connectors) {
            return fail(&e.key, &e.message);
        }
        if self.webhooks.gold_replies.bearer_token.is_some()
            == self.webhooks.gold_replies.signing_secrets.is_empty()
        {
            return fail(
                "webhooks.gold_replies",
                "needs both bearer_token and signing_secrets (or neither, to disable the endpoint)",
            );
        }
        Ok(())
    }

    /// The database URL to open: the configured one, or SQLite in `data_dir`.
    pub fn database_url(&self) -> DatabaseUrl {
        if self.database.url.is_empty() {
            DatabaseUrl::new(format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("hotdash.db").display()
            ))
        } else {
            self.database.url.clone()
        }
    }

    /// The effective configuration as TOML, every credential redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = self.database_url();
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_sources(
            text,
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn the_example_file_parses_and_documents_every_key() {
        let example = include_str!("../../../hotdash.example.toml");
        let config = load(example, &[]).expect("hotdash.example.toml must load");
        // Every key the program knows appears in the example (as a line `key =` or `# key =`).
        let rendered = config.to_redacted_toml();
        for line in rendered.lines().filter(|l| l.contains(" = ")) {
            let key = line.split(" = ").next().unwrap().trim();
            assert!(
                example.contains(&format!("{key} =")),
                "hotdash.example.toml lacks `{key}`"
            );
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(
            "[server]\nlisten = \"127.0.0.1:1\"\n",
            &[
                ("HOTDASH_SERVER__LISTEN", "127.0.0.1:2"),
                (
                    "HOTDASH_WEBHOOKS__SHOPIFY__SECRETS",
                    "old-secret-1,new-secret-2",
                ),
            ],
        )
        .unwrap();
        assert_eq!(config.server.listen.port(), 2);
        assert_eq!(config.webhooks.shopify.secrets.len(), 2);
    }

    #[test]
    fn errors_name_the_key_and_its_variable() {
        let err = load("[server]\nlisten = \"nowhere\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`server.listen`") && err.contains("HOTDASH_SERVER__LISTEN"),
            "{err}"
        );
        let err = load("", &[("HOTDASH_JOBS__WORKERS", "many")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`jobs.workers`"), "{err}");
        let err = load("[jobs]\nlease_sec = 3\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("lease_sec"), "{err}");
        let err = load("[database]\nurl = \"mysql://x\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`database.url`"), "{err}");
    }

    #[test]
    fn printed_config_contains_no_secret() {
        let config = load(
            "",
            &[
                ("HOTDASH_WEBHOOKS__SHOPIFY__SECRETS", "shpss_topsecret1"),
                ("HOTDASH_WEBHOOKS__CHATWOOT__SECRET", "cw-topsecret2"),
                ("HOTDASH_DATABASE__URL", "postgres://u:pw-topsecret3@h/db"),
            ],
        )
        .unwrap();
        let shown = format!("{}{config:?}", config.to_redacted_toml());
        for secret in ["shpss_topsecret1", "cw-topsecret2", "pw-topsecret3"] {
            assert!(!shown.contains(secret), "{secret} leaked");
        }
    }
}
