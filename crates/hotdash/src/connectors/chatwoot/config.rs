//! `[connectors.<id>]` with `type = "chatwoot"`: the settings, their defaults, and `build`
//! (pure validation; no network).

use serde::{Deserialize, Serialize};

use super::client::Client;
use super::pacer::Limits;
use super::{ChatwootConnector, Settings};
use crate::config::Secret;
use crate::connectors::{BuildError, RequestSettings, http};

/// The report metrics the `reports` stream can sync (the time-series `metric=` names).
pub const KNOWN_METRICS: [&str; 6] = [
    "conversations_count",
    "incoming_messages_count",
    "outgoing_messages_count",
    "resolutions_count",
    "avg_first_response_time",
    "avg_resolution_time",
];

/// One `[connectors.<id>]` table with `type = "chatwoot"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatwootConfig {
    /// The Chatwoot server, e.g. `https://app.chatwoot.com` or a self-hosted address (a path
    /// prefix is kept).
    pub base_url: String,
    /// The account whose conversations, CSAT and reports are synced.
    pub account_id: u64,
    /// A user's access token (profile page). Reports and CSAT need an administrator's.
    /// Set it from the environment: `HOTDASH_CONNECTORS__<ID>__API_ACCESS_TOKEN`.
    pub api_access_token: Secret,
    /// Seconds between incremental passes under `hotdash serve`.
    #[serde(default = "default_interval")]
    pub sync_interval_secs: u64,
    /// Timeout and retry settings for the connector's HTTP requests.
    #[serde(default)]
    pub request: RequestSettings,
    /// Requests per window to the whole server (Rack::Attack `req/ip`, default 3000/min).
    #[serde(default = "default_per_ip")]
    pub requests_per_window: u32,
    /// Requests per window to `/api/v2/accounts/:id/reports*` with one token
    /// (`RATE_LIMIT_REPORTS_API_USER_LEVEL`, default 100/min).
    #[serde(default = "default_reports")]
    pub reports_per_window: u32,
    /// Requests per window to `/conversations/meta` with one token
    /// (`RATE_LIMIT_CONVERSATIONS_META`, default 30/min; only the healthcheck calls it).
    #[serde(default = "default_meta")]
    pub conversations_meta_per_window: u32,
    /// The window the three limits above count over, in seconds (Rack::Attack: 60).
    #[serde(default = "default_window")]
    pub rate_window_secs: u64,
    /// How far back a full pass of the `reports` stream reaches, in days (today included).
    #[serde(default = "default_backfill_days")]
    pub backfill_days: u32,
    /// Days of a report request (a full pass asks for `backfill_days` in pieces this long).
    #[serde(default = "default_chunk_days")]
    pub report_chunk_days: u32,
    /// Days before the previous pass's end that an incremental `reports` pass fetches again
    /// (late events still move recent days).
    #[serde(default = "default_report_overlap_days")]
    pub report_overlap_days: u32,
    /// The report metrics to store per day.
    #[serde(default = "default_metrics")]
    pub report_metrics: Vec<String>,
    /// The UTC offset, in hours, whose midnights cut report days (the account's time zone,
    /// e.g. -7 for America/Phoenix). Chatwoot's `timezone_offset`.
    #[serde(default)]
    pub timezone_offset: f64,
    /// Seconds before the previous pass's newest activity that an incremental pass of the
    /// `conversations` and `csat` streams reaches back (clock skew, late writes).
    #[serde(default = "default_overlap_secs")]
    pub overlap_secs: u64,
}

fn default_interval() -> u64 {
    300
}
fn default_per_ip() -> u32 {
    3000
}
fn default_reports() -> u32 {
    100
}
fn default_meta() -> u32 {
    30
}
fn default_window() -> u64 {
    60
}
fn default_backfill_days() -> u32 {
    365
}
fn default_chunk_days() -> u32 {
    92
}
fn default_report_overlap_days() -> u32 {
    2
}
fn default_metrics() -> Vec<String> {
    KNOWN_METRICS.iter().map(|m| (*m).to_owned()).collect()
}
fn default_overlap_secs() -> u64 {
    900
}

impl ChatwootConfig {
    /// A config with every default, for `base_url`, `account_id` and `api_access_token`.
    pub fn new(base_url: impl Into<String>, account_id: u64, api_access_token: Secret) -> Self {
        ChatwootConfig {
            base_url: base_url.into(),
            account_id,
            api_access_token,
            sync_interval_secs: default_interval(),
            request: RequestSettings::default(),
            requests_per_window: default_per_ip(),
            reports_per_window: default_reports(),
            conversations_meta_per_window: default_meta(),
            rate_window_secs: default_window(),
            backfill_days: default_backfill_days(),
            report_chunk_days: default_chunk_days(),
            report_overlap_days: default_report_overlap_days(),
            report_metrics: default_metrics(),
            timezone_offset: 0.0,
            overlap_secs: default_overlap_secs(),
        }
    }

    /// Validates the settings and constructs the connector. Pure: no network.
    pub fn build(&self, id: &str) -> Result<ChatwootConnector, BuildError> {
        let base = reqwest::Url::parse(self.base_url.trim())
            .map_err(|e| BuildError::new("base_url", format!("not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(BuildError::new(
                "base_url",
                "must be an http:// or https:// URL with a host",
            ));
        }
        if base.query().is_some() || base.fragment().is_some() || !base.username().is_empty() {
            return Err(BuildError::new(
                "base_url",
                "must not carry a query, fragment or credentials",
            ));
        }
        if self.account_id == 0 {
            return Err(BuildError::new(
                "account_id",
                "must be a positive account id",
            ));
        }
        if self.api_access_token.expose().trim().is_empty() {
            return Err(BuildError::new(
                "api_access_token",
                "is empty (set HOTDASH_CONNECTORS__<ID>__API_ACCESS_TOKEN)",
            ));
        }
        if self.api_access_token.expose().trim() != self.api_access_token.expose()
            || reqwest::header::HeaderValue::from_str(self.api_access_token.expose()).is_err()
        {
            return Err(BuildError::new(
                "api_access_token",
                "holds whitespace or characters a header cannot carry",
            ));
        }
        if self.sync_interval_secs == 0 {
            return Err(BuildError::new("sync_interval_secs", "must be at least 1"));
        }
        for (key, value) in [
            ("requests_per_window", self.requests_per_window),
            ("reports_per_window", self.reports_per_window),
            (
                "conversations_meta_per_window",
                self.conversations_meta_per_window,
            ),
            ("report_chunk_days", self.report_chunk_days),
        ] {
            if value == 0 {
                return Err(BuildError::new(key, "must be at least 1"));
            }
        }
        if self.rate_window_secs == 0 {
            return Err(BuildError::new("rate_window_secs", "must be at least 1"));
        }
        if !(1..=3650).contains(&self.backfill_days) {
            return Err(BuildError::new("backfill_days", "must be 1 to 3650"));
        }
        if self.report_metrics.is_empty() {
            return Err(BuildError::new("report_metrics", "names no metric"));
        }
        for (i, metric) in self.report_metrics.iter().enumerate() {
            if !KNOWN_METRICS.contains(&metric.as_str()) {
                return Err(BuildError::new(
                    "report_metrics",
                    format!(
                        "unknown metric `{metric}` (one of {})",
                        KNOWN_METRICS.join(", ")
                    ),
                ));
            }
            if self.report_metrics[..i].contains(metric) {
                return Err(BuildError::new(
                    "report_metrics",
                    format!("`{metric}` is listed twice"),
                ));
            }
        }
        if !self.timezone_offset.is_finite() || !(-12.0..=14.0).contains(&self.timezone_offset) {
            return Err(BuildError::new(
                "timezone_offset",
                "must be an offset in hours between -12 and 14",
            ));
        }
        if self.request.timeout_secs >= self.sync_interval_secs {
            tracing::warn!(
                connector = id,
                "request.timeout_secs ({}) is not below sync_interval_secs ({}): one slow request can hold up a whole interval",
                self.request.timeout_secs,
                self.sync_interval_secs
            );
        }
        let limits = Limits {
            window: std::time::Duration::from_secs(self.rate_window_secs),
            per_ip: self.requests_per_window,
            reports: self.reports_per_window,
            conversations_meta: self.conversations_meta_per_window,
        };
        let http = http::client(&self.request)?;
        let client = Client::new(
            http,
            base,
            self.account_id,
            self.api_access_token.clone(),
            limits,
        );
        Ok(ChatwootConnector {
            id: id.to_owned(),
            client,
            settings: Settings {
                account_id: i64::try_from(self.account_id)
                    .map_err(|_| BuildError::new("account_id", "is too large"))?,
                overlap_secs: i64::try_from(self.overlap_secs).unwrap_or(i64::MAX / 4),
                backfill_days: i64::from(self.backfill_days),
                chunk_days: i64::from(self.report_chunk_days),
                report_overlap_days: i64::from(self.report_overlap_days),
                metrics: self.report_metrics.clone(),
                timezone_offset_secs: (self.timezone_offset * 3600.0).round() as i64,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ChatwootConfig {
        ChatwootConfig::new("https://chat.example.com", 1, Secret::new("tok-123"))
    }

    fn key_of(config: &ChatwootConfig) -> String {
        match config.build("cw") {
            Ok(_) => panic!("expected a build error"),
            Err(e) => e.key,
        }
    }

    #[test]
    fn toml_with_defaults_builds() {
        let config: ChatwootConfig = toml::from_str(
            "base_url = \"https://chat.example.com/\"\naccount_id = 3\napi_access_token = \"t\"\n",
        )
        .unwrap();
        assert_eq!(config.sync_interval_secs, 300);
        assert_eq!(
            (
                config.requests_per_window,
                config.reports_per_window,
                config.conversations_meta_per_window
            ),
            (3000, 100, 30)
        );
        assert_eq!(config.report_metrics.len(), 6);
        assert!(config.build("cw").is_ok());
        let unknown = toml::from_str::<ChatwootConfig>(
            "base_url = \"https://x\"\naccount_id = 3\napi_access_token = \"t\"\ninterval = 5\n",
        );
        assert!(unknown.is_err(), "unknown keys are refused");
    }

    #[test]
    fn invalid_settings_name_their_key() {
        let mut c = config();
        c.base_url = "ftp://chat.example.com".into();
        assert_eq!(key_of(&c), "base_url");
        c.base_url = "chat.example.com".into();
        assert_eq!(key_of(&c), "base_url");
        let mut c = config();
        c.account_id = 0;
        assert_eq!(key_of(&c), "account_id");
        let mut c = config();
        c.api_access_token = Secret::new(" ");
        assert_eq!(key_of(&c), "api_access_token");
        let mut c = config();
        c.report_metrics = vec!["avg_first_response_time".into(), "bogus".into()];
        assert_eq!(key_of(&c), "report_metrics");
        let mut c = config();
        c.timezone_offset = 20.0;
        assert_eq!(key_of(&c), "timezone_offset");
        let mut c = config();
        c.reports_per_window = 0;
        assert_eq!(key_of(&c), "reports_per_window");
    }

    #[test]
    fn the_token_never_shows_in_debug_or_errors() {
        let mut c = config();
        c.api_access_token = Secret::new("tok-secret-value");
        assert!(!format!("{c:?}").contains("tok-secret-value"));
        c.base_url = "nope".into();
        let error = c.build("cw").err().unwrap();
        assert!(!error.to_string().contains("tok-secret-value"));
    }
}
