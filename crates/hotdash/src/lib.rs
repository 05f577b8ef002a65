//! HotDash: the integration hub behind an operator control center for a Shopify store.
//!
//! Where to start reading: [`cli`] lists what the binary does; [`serve`] starts the HTTP server
//! and the workers; [`http`] holds the one route table; [`webhooks`] is the inbound pipeline
//! (verify → store durably → acknowledge → process); [`jobs`] runs queued work with leases and
//! retries. Storage lives in the `hotdash-db` crate. `docs/ARCHITECTURE.md` walks a webhook
//! through all of it.

pub mod app;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod serve;
pub mod sync;
pub mod telemetry;
pub mod webhooks;

/// Milliseconds since the Unix epoch: the one time unit stored by HotDash.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
