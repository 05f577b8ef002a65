//! The sync runner: drives one connector's streams page by page, storing each page's rows with
//! its cursor in one transaction (a killed sync resumes after the last stored page), retrying
//! retryable failures with jittered exponential backoff (honouring the vendor's Retry-After),
//! recording runs and findings, and reconciling each stream against what webhooks delivered.
//!
//! Connectors own one page of work and their rate limit; everything about time, retries and
//! persistence is here. `hotdash sync` runs one pass in the foreground; `hotdash serve` runs
//! [`schedule::run`] for every configured connector.

pub mod progress;
pub mod schedule;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotdash_db::{CursorUpdate, ReconcileTable, Store, SyncRunEnd};
use rand::SeedableRng;
use tokio_util::sync::CancellationToken;

use crate::connectors::{
    Connector, ConnectorError, PageNext, PageRequest, PassStart, SyncContext, SyncMeter,
};
use crate::jobs::retry;
use crate::now_ms;
use progress::Progress;

/// How a pass runs.
#[derive(Clone)]
pub struct SyncOptions {
    /// Start every stream from scratch instead of from its last finished pass (an interrupted
    /// full pass still resumes where it stopped).
    pub full: bool,
    pub shutdown: CancellationToken,
    /// Only these streams (all when empty).
    pub streams: Vec<String>,
    /// How far before the newest change a reconcile window ends (deliveries in flight).
    pub reconcile_grace_ms: i64,
    /// Longest wait on a vendor's Retry-After before the stream is parked until the next pass.
    pub max_rate_wait: Duration,
    /// Consecutive failures of one page before its stream's pass fails.
    pub retry_attempts: u32,
    pub retry_initial_backoff_ms: u64,
    pub retry_max_backoff_secs: u64,
    /// Where progress goes (bars on a terminal, log lines otherwise); `None`: nowhere.
    pub progress: Option<Arc<dyn Progress>>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            full: false,
            shutdown: CancellationToken::new(),
            streams: Vec::new(),
            reconcile_grace_ms: 0,
            max_rate_wait: Duration::from_secs(300),
            retry_attempts: 12,
            retry_initial_backoff_ms: 500,
            retry_max_backoff_secs: 30,
            progress: None,
        }
    }
}

/// What one pass did, per stream.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    pub streams: Vec<StreamReport>,
}

impl PassReport {
    pub fn ok(&self) -> bool {
        self.streams.iter().all(|s| s.error.is_none())
    }

    pub fn stream(&self, name: &str) -> Option<&StreamReport> {
        self.streams.iter().find(|s| s.stream == name)
    }
}

#[derive(Debug, Clone, Default)]
pub struct StreamReport {
    pub stream: String,
    pub full: bool,
    pub items: u64,
    pub pages: u64,
    pub retries: u64,
    pub rate_wait: Duration,
    pub elapsed: Duration,
    /// Why the stream's pass did not finish (`None`: it did).
    pub error: Option<String>,
    /// Whether it stopped to wait for a quota reset (resumes on the next pass).
    pub parked: bool,
    /// The reconcile pass run after it, when the stream has a webhook counterpart.
    pub reconcile: Option<hotdash_db::ReconcilePassRow>,
}

/// The table a stream's rows land in, when webhooks also write it (so a reconcile pass can
/// count what they missed).
pub fn reconcile_table(kind: &str, stream: &str) -> Option<ReconcileTable> {
    match (kind, stream) {
        ("shopify", "orders") => Some(ReconcileTable::Orders),
        ("shopify", "products") => Some(ReconcileTable::Products),
        ("shopify", "inventory_levels") => Some(ReconcileTable::InventoryLevels),
        ("shopify", "fulfillment_orders") => Some(ReconcileTable::FulfillmentOrders),
        ("chatwoot", "conversations") => Some(ReconcileTable::Conversations),
        _ => None,
    }
}

/// Runs one pass of every stream of `connector` (or of `options.streams`).
pub async fn run_pass(
    store: Arc<dyn Store>,
    connector: Arc<dyn Connector>,
    options: &SyncOptions,
) -> anyhow::Result<PassReport> {
    let meter = Arc::new(SyncMeter::default());
    let cx = SyncContext {
        store: store.clone(),
        shutdown: options.shutdown.clone(),
        meter: meter.clone(),
    };
    if let Err(e) = connector.before_pass(&cx).await {
        tracing::warn!(connector.id = connector.id(), error = %e, "Preparing the pass failed");
        meter.finding("before_pass", "setup", e.to_string());
    }
    store_findings(&*store, connector.id(), &meter).await?;
    let mut report = PassReport::default();
    for stream in connector.streams() {
        if !options.streams.is_empty() && !options.streams.iter().any(|s| s == stream) {
            continue;
        }
        if options.shutdown.is_cancelled() {
            break;
        }
        let stream_report = run_stream(&*store, &*connector, &cx, stream, options).await?;
        report.streams.push(stream_report);
    }
    Ok(report)
}

async fn store_findings(
    store: &dyn Store,
    connector: &str,
    meter: &SyncMeter,
) -> anyhow::Result<()> {
    for f in meter.take_findings() {
        tracing::warn!(connector.id = connector, finding.kind = %f.kind, finding.subject = %f.subject, "{}", f.message);
        store
            .record_finding(connector, &f.kind, &f.subject, &f.message, now_ms())
            .await?;
    }
    Ok(())
}

/// One stream's pass: resume an interrupted pass, else start full or incremental.
async fn run_stream(
    store: &dyn Store,
    connector: &dyn Connector,
    cx: &SyncContext,
    stream: &'static str,
    options: &SyncOptions,
) -> anyhow::Result<StreamReport> {
    let id = connector.id();
    let saved = store.sync_cursor(id, stream).await?;
    // An interrupted pass resumes from its page cursor, whatever this pass asked for.
    let (start, mut cursor) = match &saved {
        Some(c) if c.page_cursor.is_some() => {
            let start = match (&c.full_pass, &c.resume) {
                (false, Some(resume)) => PassStart::Incremental(resume.clone()),
                _ => PassStart::Full,
            };
            (start, c.page_cursor.clone())
        }
        Some(c) if !options.full && c.resume.is_some() => (
            PassStart::Incremental(c.resume.clone().unwrap_or_default()),
            None,
        ),
        _ => (PassStart::Full, None),
    };
    let full = start == PassStart::Full;
    if cursor.is_some() {
        tracing::info!(
            connector.id = id,
            stream,
            full,
            "Resuming an interrupted pass from its checkpoint"
        );
    }
    let run_id = store.start_sync_run(id, stream, full, now_ms()).await?;
    let started = Instant::now();
    let wait_before = cx.meter.rate_wait();
    let mut report = StreamReport {
        stream: stream.to_owned(),
        full,
        ..StreamReport::default()
    };
    if let Some(p) = &options.progress {
        p.stream_started(id, stream, full);
    }
    let mut failures = 0u32;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    loop {
        if options.shutdown.is_cancelled() {
            report.error = Some("cancelled".into());
            break;
        }
        let request = PageRequest {
            stream,
            start: &start,
            cursor: cursor.as_deref(),
        };
        let result = tokio::select! {
            r = connector.sync_page(cx, request) => r,
            () = options.shutdown.cancelled() => Err(ConnectorError::Cancelled),
        };
        store_findings(store, id, &cx.meter).await?;
        match result {
            Ok(page) => {
                failures = 0;
                let update = match &page.next {
                    PageNext::More(next) => CursorUpdate::Continue {
                        page_cursor: next.clone(),
                        full_pass: full,
                    },
                    PageNext::Done(resume) => CursorUpdate::Finish {
                        resume: resume.clone(),
                    },
                };
                store
                    .commit_sync_page(id, stream, &page.effects, &update, now_ms())
                    .await?;
                report.items += page.items;
                report.pages += 1;
                if let Some(p) = &options.progress {
                    p.page(
                        id,
                        stream,
                        page.items,
                        page.total_hint,
                        cx.meter.rate_wait() - wait_before,
                    );
                }
                match page.next {
                    PageNext::More(next) => cursor = Some(next),
                    PageNext::Done(_) => break,
                }
            }
            Err(ConnectorError::Cancelled) => {
                report.error = Some("cancelled".into());
                break;
            }
            Err(e) if e.is_retryable() => {
                failures += 1;
                report.retries += 1;
                let backoff = retry::delay(
                    i32::try_from(failures).unwrap_or(i32::MAX),
                    options.retry_initial_backoff_ms,
                    options.retry_max_backoff_secs,
                    &mut rng,
                );
                let wait = match &e {
                    ConnectorError::RateLimited {
                        retry_after: Some(after),
                    } => {
                        if *after > options.max_rate_wait {
                            tracing::warn!(
                                connector.id = id,
                                stream,
                                retry_after_secs = after.as_secs(),
                                "Rate budget exhausted: parking the stream until the next pass"
                            );
                            report.parked = true;
                            report.error = Some(e.to_string());
                            break;
                        }
                        cx.meter.add_rate_wait(*after);
                        // Retry-After is exact; a little jitter keeps parallel clients apart.
                        *after + backoff.min(Duration::from_millis(250))
                    }
                    _ => backoff,
                };
                if failures > options.retry_attempts {
                    tracing::warn!(connector.id = id, stream, error = %e, attempts = failures, "Giving up the stream's pass after repeated failures");
                    report.error = Some(e.to_string());
                    break;
                }
                tracing::info!(connector.id = id, stream, error = %e, attempt = failures, wait_ms = wait.as_millis() as u64, "Page failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = options.shutdown.cancelled() => {}
                }
            }
            Err(e) => {
                tracing::warn!(connector.id = id, stream, error = %e, "Stream failed");
                if let ConnectorError::AccessDenied(msg) | ConnectorError::Unauthorized(msg) = &e {
                    store
                        .record_finding(id, "access_denied", stream, msg, now_ms())
                        .await?;
                }
                report.error = Some(e.to_string());
                break;
            }
        }
    }
    report.elapsed = started.elapsed();
    report.rate_wait = cx.meter.rate_wait() - wait_before;
    let status = match (&report.error, report.parked) {
        (None, _) => "ok",
        (Some(_), true) => "parked",
        (Some(_), false) => "failed",
    };
    store
        .finish_sync_run(
            run_id,
            &SyncRunEnd {
                status: status.to_owned(),
                items: i64::try_from(report.items).unwrap_or(i64::MAX),
                pages: i64::try_from(report.pages).unwrap_or(i64::MAX),
                retries: i64::try_from(report.retries).unwrap_or(i64::MAX),
                rate_wait_ms: i64::try_from(report.rate_wait.as_millis()).unwrap_or(i64::MAX),
                error: report.error.clone(),
            },
            now_ms(),
        )
        .await?;
    if report.error.is_none()
        && let Some(table) = reconcile_table(connector.kind(), stream)
    {
        let pass = store
            .reconcile(id, table, options.reconcile_grace_ms, now_ms())
            .await?;
        if pass.missed > 0 {
            tracing::warn!(
                connector.id = id,
                stream,
                missed = pass.missed,
                changes = pass.changes,
                "Webhooks missed {} of {} changes; stored them as synthetic events",
                pass.missed,
                pass.changes
            );
        }
        report.reconcile = Some(pass);
    }
    if let Some(p) = &options.progress {
        p.stream_finished(id, &report);
    }
    tracing::info!(
        connector.id = id,
        stream,
        full,
        items = report.items,
        pages = report.pages,
        retries = report.retries,
        rate_wait_ms = report.rate_wait.as_millis() as u64,
        duration_ms = report.elapsed.as_millis() as u64,
        status,
        "Synced {} {stream} for connector `{id}`",
        report.items
    );
    Ok(report)
}
