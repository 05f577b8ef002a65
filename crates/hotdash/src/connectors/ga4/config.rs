//! The `[connectors.<id>]` table for `type = "ga4"` ([`Ga4Config`]) and its pure `build`:
//! validation, key parsing, no network.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Ga4Connector;
use super::auth::{KeySource, ServiceAccount, TokenSource};
use super::client::Ga4Client;
use super::quota::QuotaGuard;
use crate::config::Secret;
use crate::connectors::{BuildError, RequestSettings, http};

/// Google's Data API host.
pub const DEFAULT_API_BASE_URL: &str = "https://analyticsdata.googleapis.com";
/// The most rows the Data API returns per request.
const MAX_PAGE_SIZE: u32 = 250_000;

/// One `[connectors.<id>]` table with `type = "ga4"`: a GA4 property read with a service
/// account. The key is a credential: give it with
/// `HOTDASH_CONNECTORS__<ID>__CREDENTIALS_JSON` or as a file, never in `hotdash.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ga4Config {
    /// The numeric GA4 property id (Admin → Property details), as a number or a string;
    /// `properties/123` is accepted too.
    pub property_id: PropertyId,
    /// The service-account key file's JSON (its `token_uri` is honoured). Never logged.
    #[serde(default)]
    pub credentials_json: Option<Secret>,
    /// Path of the service-account key file, read when the first token is needed. Give this
    /// or `credentials_json`, not both.
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    /// The Data API's base URL (tests point it at the simulator).
    #[serde(default = "default_api_base_url")]
    pub api_base_url: String,
    /// Days a full pass reads, ending today (the property's calendar day).
    #[serde(default = "default_backfill_days")]
    pub backfill_days: u32,
    /// Rows per runReport request (`limit`); a day with more rows is read in several pages.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Seconds between incremental passes under `hotdash serve`.
    #[serde(default = "default_interval")]
    pub sync_interval_secs: u64,
    /// Timeouts and the runner's retry budget.
    #[serde(default)]
    pub request: RequestSettings,
}

fn default_api_base_url() -> String {
    DEFAULT_API_BASE_URL.to_owned()
}

fn default_backfill_days() -> u32 {
    90
}

fn default_page_size() -> u32 {
    10_000
}

fn default_interval() -> u64 {
    3600
}

/// A GA4 property id: digits only. TOML numbers and strings (environment variables) both work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyId(pub String);

impl Serialize for PropertyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PropertyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumberOrString {
            Number(u64),
            String(String),
        }
        Ok(PropertyId(
            match NumberOrString::deserialize(deserializer)? {
                NumberOrString::Number(n) => n.to_string(),
                NumberOrString::String(s) => s,
            },
        ))
    }
}

impl PropertyId {
    /// The bare digits, or why not.
    fn normalized(&self) -> Result<String, String> {
        let id = self.0.trim();
        let id = id.strip_prefix("properties/").unwrap_or(id);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || id.len() > 20 {
            return Err(format!(
                "`{}` is not a GA4 property id (the digits shown under Admin → Property details)",
                self.0.chars().take(40).collect::<String>()
            ));
        }
        Ok(id.to_owned())
    }
}

impl Ga4Config {
    /// Validates the table and builds the connector. Pure: parses the key, fetches nothing.
    pub fn build(&self, id: &str) -> Result<Ga4Connector, BuildError> {
        let property_id = self
            .property_id
            .normalized()
            .map_err(|m| BuildError::new("property_id", m))?;
        let key = match (&self.credentials_json, &self.credentials_file) {
            (Some(_), Some(_)) => {
                return Err(BuildError::new(
                    "credentials_json",
                    "set credentials_json or credentials_file, not both",
                ));
            }
            (None, None) => {
                return Err(BuildError::new(
                    "credentials_json",
                    "a service-account key is required: set credentials_json \
                     (HOTDASH_CONNECTORS__<ID>__CREDENTIALS_JSON) or credentials_file",
                ));
            }
            (Some(json), None) => {
                let account = ServiceAccount::parse(json.expose())
                    .map_err(|m| BuildError::new("credentials_json", m))?;
                KeySource::Parsed(Arc::new(account))
            }
            (None, Some(path)) => {
                if path.as_os_str().is_empty() {
                    return Err(BuildError::new("credentials_file", "the path is empty"));
                }
                KeySource::file(path.clone())
            }
        };
        let base = self.api_base_url.trim().trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(BuildError::new(
                "api_base_url",
                format!("`{base}` is not an http(s) URL"),
            ));
        }
        if self.backfill_days == 0 || self.backfill_days > 3650 {
            return Err(BuildError::new(
                "backfill_days",
                "must be between 1 and 3650 days",
            ));
        }
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(BuildError::new(
                "page_size",
                format!("must be between 1 and {MAX_PAGE_SIZE} (the API's maximum)"),
            ));
        }
        if self.request.timeout_secs >= self.sync_interval_secs {
            tracing::warn!(
                connector = id,
                timeout_secs = self.request.timeout_secs,
                sync_interval_secs = self.sync_interval_secs,
                "request.timeout_secs is not below sync_interval_secs"
            );
        }
        let http = http::client(&self.request)?;
        let client = Ga4Client {
            tokens: TokenSource::new(key),
            http,
            base: base.to_owned(),
            property_id: property_id.clone(),
            quota: QuotaGuard::default(),
        };
        Ok(Ga4Connector {
            id: id.to_owned(),
            property_id,
            backfill_days: self.backfill_days,
            page_size: self.page_size,
            client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> Ga4Config {
        toml::from_str(toml_text).expect("config parses")
    }

    #[test]
    fn property_id_is_a_number_or_a_string() {
        assert_eq!(config("property_id = 123").property_id.0, "123");
        let c = config("property_id = \"properties/456\"");
        assert_eq!(c.property_id.normalized().as_deref(), Ok("456"));
        assert!(PropertyId("G-ABC123".into()).normalized().is_err());
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let c = config("property_id = 1");
        assert_eq!(c.api_base_url, DEFAULT_API_BASE_URL);
        assert_eq!(c.sync_interval_secs, 3600);
        assert!(toml::from_str::<Ga4Config>("property_id = 1\nbogus = 2").is_err());
    }

    #[test]
    fn build_names_the_key_and_never_echoes_the_secret() {
        let missing = config("property_id = 1").build("ga4_main").err();
        assert_eq!(missing.map(|e| e.key).as_deref(), Some("credentials_json"));
        let mut c = config("property_id = 1");
        c.credentials_json = Some(Secret::new("{\"private_key\": \"hunter2-secret\"}"));
        let error = c
            .build("ga4_main")
            .err()
            .expect("a key without fields fails");
        assert_eq!(error.key, "credentials_json");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let mut c = config("property_id = \"abc\"");
        c.credentials_file = Some("/nonexistent/key.json".into());
        assert_eq!(
            c.build("x").err().map(|e| e.key).as_deref(),
            Some("property_id")
        );
    }
}
