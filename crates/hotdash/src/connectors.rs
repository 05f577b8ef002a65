//! Connectors: one module per vendor, each turning the vendor's API into store [`Effect`]s one
//! page at a time. The shape (after vector's components): config → [`ConnectorConfig::build`]
//! (pure, no I/O) → [`Connector::healthcheck`] (one cheap real call) → [`Connector::sync_page`].
//!
//! The runner (`crate::sync`) owns the loop, retries with backoff, cancellation, checkpoints and
//! reconciliation; a connector's client owns its vendor's rate limit (waiting inside its limiter,
//! never sleeping on its own); a connector owns one page of work.

pub mod chatwoot;
pub mod ga4;
pub mod http;
pub mod shopify;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use hotdash_db::{Effect, Store};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// One `[connectors.<id>]` table. Adding a vendor = one variant + one module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConnectorConfig {
    Shopify(shopify::ShopifyConfig),
    Chatwoot(chatwoot::ChatwootConfig),
    Ga4(ga4::Ga4Config),
}

impl ConnectorConfig {
    /// Validates and constructs the connector. Pure: no network, no database, no spawning.
    /// Errors name the offending key relative to the connector's table (`shop_domain`).
    pub fn build(&self, id: &str) -> Result<Arc<dyn Connector>, BuildError> {
        Ok(match self {
            Self::Shopify(config) => Arc::new(config.build(id)?),
            Self::Chatwoot(config) => Arc::new(config.build(id)?),
            Self::Ga4(config) => Arc::new(config.build(id)?),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Shopify(_) => "shopify",
            Self::Chatwoot(_) => "chatwoot",
            Self::Ga4(_) => "ga4",
        }
    }

    /// The connector's HTTP and retry settings.
    pub fn request(&self) -> &RequestSettings {
        match self {
            Self::Shopify(c) => &c.request,
            Self::Chatwoot(c) => &c.request,
            Self::Ga4(c) => &c.request,
        }
    }

    /// Seconds between incremental passes when `hotdash serve` runs the schedule.
    pub fn sync_interval_secs(&self) -> u64 {
        match self {
            Self::Shopify(c) => c.sync_interval_secs,
            Self::Chatwoot(c) => c.sync_interval_secs,
            Self::Ga4(c) => c.sync_interval_secs,
        }
    }
}

/// Builds every configured connector, failing on the first invalid one with its key path
/// (`connectors.shopify_main.shop_domain`).
pub fn build_all(
    configs: &BTreeMap<String, ConnectorConfig>,
) -> Result<Vec<Arc<dyn Connector>>, BuildError> {
    configs
        .iter()
        .map(|(id, config)| {
            config.build(id).map_err(|e| BuildError {
                key: format!("connectors.{id}.{}", e.key),
                message: e.message,
            })
        })
        .collect()
}

/// A connector config that cannot be built; `key` names the offending key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{key}: {message}")]
pub struct BuildError {
    pub key: String,
    pub message: String,
}

impl BuildError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// HTTP settings shared by every connector's `request` table (vector's vocabulary).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestSettings {
    /// Per-request timeout; a timeout is a retryable failure.
    pub timeout_secs: u64,
    /// Consecutive failed attempts of one page before the stream's pass is given up.
    pub retry_attempts: u32,
    /// First backoff after a failure; doubles per attempt, with ±20 % jitter.
    pub retry_initial_backoff_ms: u64,
    /// Longest backoff between two attempts.
    pub retry_max_backoff_secs: u64,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            timeout_secs: 30,
            retry_attempts: 12,
            retry_initial_backoff_ms: 500,
            retry_max_backoff_secs: 30,
        }
    }
}

/// Why a connector call failed. Only [`ConnectorError::is_retryable`] errors are retried.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectorError {
    /// 401/403 or a token the vendor refuses: retrying cannot help.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The credentials work but lack a permission (Shopify ACCESS_DENIED, a missing scope).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The vendor asked us to slow down (429, THROTTLED, quota); `retry_after` when it said.
    #[error("rate limited{}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: worth another attempt.
    #[error("transient: {0}")]
    Transient(String),
    /// A request or response we cannot work with (4xx other than the above, bad JSON).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Shutdown was requested.
    #[error("cancelled")]
    Cancelled,
}

impl ConnectorError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }
}

/// What a page of sync work produced.
#[derive(Debug, Clone, Default)]
pub struct SyncPage {
    /// Rows to store, applied with the cursor update in one transaction.
    pub effects: Vec<Effect>,
    /// Records fetched (for progress and the run's item count).
    pub items: u64,
    /// Where the stream goes next.
    pub next: PageNext,
    /// Total records this pass will see, when the vendor says (progress bars show an ETA).
    pub total_hint: Option<u64>,
}

/// After a page: more to fetch from a cursor, or the pass is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageNext {
    /// Fetch the next page from this cursor (stored, so a crash resumes here).
    More(String),
    /// Caught up. The next incremental pass starts from this cursor (`None`: from scratch).
    Done(Option<String>),
}

impl Default for PageNext {
    fn default() -> Self {
        Self::Done(None)
    }
}

/// How a stream's pass begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassStart {
    /// Everything, from the beginning (`--full`, or no pass has finished yet).
    Full,
    /// Changes since the cursor a finished pass left.
    Incremental(String),
}

/// One page request: which stream, how its pass started, and where it stands.
#[derive(Debug, Clone)]
pub struct PageRequest<'a> {
    pub stream: &'a str,
    pub start: &'a PassStart,
    /// `None` on the pass's first page; otherwise the last [`PageNext::More`] cursor.
    pub cursor: Option<&'a str>,
}

/// What a connector may use while syncing: the store (read-only use: connectors return
/// effects, the runner writes them), the shutdown token, and the run's meter.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Arc<dyn Store>,
    pub shutdown: CancellationToken,
    pub meter: Arc<SyncMeter>,
}

/// Counters a connector's client feeds while a pass runs, read by progress output and by
/// the runner (which stores findings at the end of each page).
#[derive(Debug, Default)]
pub struct SyncMeter {
    rate_wait_ms: AtomicU64,
    requests: AtomicU64,
    findings: Mutex<Vec<Finding>>,
}

impl SyncMeter {
    /// Time spent waiting for the vendor's rate budget (limiter waits, Retry-After).
    pub fn add_rate_wait(&self, waited: Duration) {
        let ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
        self.rate_wait_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn rate_wait(&self) -> Duration {
        Duration::from_millis(self.rate_wait_ms.load(Ordering::Relaxed))
    }

    pub fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Reports something operators should see (stored by the runner, shown by the health view).
    pub fn finding(&self, kind: &str, subject: &str, message: impl Into<String>) {
        let finding = Finding {
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            message: message.into(),
        };
        let mut findings = self.findings.lock().unwrap_or_else(|e| e.into_inner());
        if !findings.contains(&finding) {
            findings.push(finding);
        }
    }

    /// Findings reported since the last call.
    pub fn take_findings(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.findings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A fact about a connector for the health view: a deprecated field, an API version
/// fall-forward, a missing scope, a truncated history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Short machine name: `deprecated`, `api_version`, `access_denied`, `order_window`, ...
    pub kind: String,
    /// What it is about (a field, a stream, a version).
    pub subject: String,
    pub message: String,
}

/// A configured, ready-to-run integration with one external system.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// Instance id from config (`shopify_main`): logs, metrics, cursors, the dashboard.
    fn id(&self) -> &str;
    /// Vendor kind (`shopify`).
    fn kind(&self) -> &'static str;
    /// The streams one pass syncs, in order (`shop`, `products`, `orders`, ...). Each has its
    /// own cursor, so one failing stream does not hold the others back.
    fn streams(&self) -> Vec<&'static str>;
    /// One cheap authenticated request on the real code path.
    async fn healthcheck(&self, cx: &SyncContext) -> Result<(), ConnectorError>;
    /// Fetches one page of `request.stream`. Never sleeps outside its rate limiter, never
    /// writes to the store: the runner stores the effects together with the cursor.
    async fn sync_page(
        &self,
        cx: &SyncContext,
        request: PageRequest<'_>,
    ) -> Result<SyncPage, ConnectorError>;
    /// Called once before each pass (e.g. to keep webhook subscriptions registered).
    /// Failures are reported as findings by the runner; the pass goes on.
    async fn before_pass(&self, _cx: &SyncContext) -> Result<(), ConnectorError> {
        Ok(())
    }
}
