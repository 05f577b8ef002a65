//! The Chatwoot connector: conversations with their messages, CSAT responses and daily report
//! figures, read from the Application API (`shared/vendors/chatwoot.md`) into the same rows
//! the webhook path writes.
//!
//! Layout: [`config`] (settings and `build`), `client` (HTTP, auth header, error mapping),
//! `pacer` (Rack::Attack budgets), `map` (records to rows), and one module per stream:
//! `conversations`, `csat`, `reports`. Each page makes a few requests; when one fails after
//! others succeeded, the page ends early with what it has, so under a flaky server a pass
//! still moves forward and the runner only retries the request that failed.

mod client;
pub mod config;
mod conversations;
mod csat;
mod map;
mod pacer;
mod reports;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::client::{Api, Client};
use self::pacer::Budget;
use super::{Connector, ConnectorError, PageNext, PageRequest, PassStart, SyncContext, SyncPage};

pub use self::config::ChatwootConfig;

/// Streams, in the order a pass runs them.
const STREAMS: [&str; 3] = ["conversations", "csat", "reports"];

/// Requests one page may make before it is committed.
const REQUESTS_PER_PAGE: usize = 8;

/// Chatwoot's page size for conversation lists and CSAT responses.
const PER_PAGE: usize = 25;

/// What `build` derived from the config for the streams.
#[derive(Debug, Clone)]
struct Settings {
    account_id: i64,
    overlap_secs: i64,
    backfill_days: i64,
    chunk_days: i64,
    report_overlap_days: i64,
    metrics: Vec<String>,
    timezone_offset_secs: i64,
}

/// A configured Chatwoot account.
#[derive(Debug)]
pub struct ChatwootConnector {
    id: String,
    client: Client,
    settings: Settings,
}

/// What one request of a pass did.
enum Step {
    /// Work was done; the pass goes on.
    Progress,
    /// Nothing is left: the pass is over.
    Finished,
}

/// Reads a page cursor or resume point this connector wrote. An unreadable one (a cursor
/// from another version) restarts from scratch and says so.
fn read_cursor<T: DeserializeOwned>(cx: &SyncContext, stream: &str, text: &str) -> Option<T> {
    match serde_json::from_str(text) {
        Ok(value) => Some(value),
        Err(e) => {
            cx.meter.finding(
                "cursor",
                stream,
                format!("unreadable {stream} cursor ({e}); the pass started over"),
            );
            None
        }
    }
}

fn write_cursor(value: &impl Serialize) -> Result<String, ConnectorError> {
    serde_json::to_string(value).map_err(|e| ConnectorError::Invalid(format!("cursor: {e}")))
}

/// The resume point of an incremental pass, or `None` for a full one (or an unreadable point).
fn resume_of<T: DeserializeOwned>(cx: &SyncContext, stream: &str, start: &PassStart) -> Option<T> {
    match start {
        PassStart::Full => None,
        PassStart::Incremental(text) => read_cursor(cx, stream, text),
    }
}

/// Ends a page after a failed request: the error itself when the page holds nothing yet,
/// otherwise the page as it stands (the next page starts with the failed request).
fn stop_page(error: ConnectorError, made_progress: bool) -> Result<(), ConnectorError> {
    if made_progress {
        tracing::debug!(%error, "chatwoot page ends early");
        Ok(())
    } else {
        Err(error)
    }
}

impl ChatwootConnector {
    /// Unix seconds now (the connector's only clock: report windows end today).
    fn now_secs() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }

    /// The start of the report day holding `at` (unix seconds), in the configured offset.
    fn day_start(&self, at: i64) -> i64 {
        let offset = self.settings.timezone_offset_secs;
        (at + offset).div_euclid(86_400) * 86_400 - offset
    }
}

#[async_trait]
impl Connector for ChatwootConnector {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "chatwoot"
    }

    fn streams(&self) -> Vec<&'static str> {
        STREAMS.to_vec()
    }

    /// The token and account (`/conversations/meta`), then the administrator role reports
    /// and CSAT need (`/reports/summary`; Chatwoot answers 401 for other roles).
    async fn healthcheck(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        let meta = self.client.url(
            Api::V1,
            &["conversations", "meta"],
            &[("status", "all".into())],
        );
        self.client.get(cx, Budget::ConversationsMeta, meta).await?;
        let now = Self::now_secs();
        let summary = self.client.url(
            Api::V2,
            &["reports", "summary"],
            &[
                ("type", "account".into()),
                ("since", self.day_start(now).to_string()),
                ("until", now.to_string()),
            ],
        );
        self.client.get(cx, Budget::Reports, summary).await?;
        Ok(())
    }

    async fn sync_page(
        &self,
        cx: &SyncContext,
        request: PageRequest<'_>,
    ) -> Result<SyncPage, ConnectorError> {
        match request.stream {
            "conversations" => conversations::page(self, cx, &request).await,
            "csat" => csat::page(self, cx, &request).await,
            "reports" => reports::page(self, cx, &request).await,
            other => Err(ConnectorError::Invalid(format!("unknown stream {other}"))),
        }
    }
}

/// Finishes a page: `More(cursor)` while work is left, else `Done(resume)`.
fn next_of(
    finished: bool,
    pass: &impl Serialize,
    resume: impl FnOnce() -> Result<String, ConnectorError>,
) -> Result<PageNext, ConnectorError> {
    Ok(if finished {
        PageNext::Done(Some(resume()?))
    } else {
        PageNext::More(write_cursor(pass)?)
    })
}
