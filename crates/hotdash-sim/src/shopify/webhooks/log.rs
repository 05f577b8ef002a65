//! The record of every delivery attempt, readable from the Rust handle and from
//! `GET /__sim/shopify/deliveries`, so tests can count retries, duplicates and gaps.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// A non-2xx answer, a timeout or a connection error.
    Failed,
    /// The drop fault swallowed the delivery: nothing was sent.
    Dropped,
}

/// One delivery attempt (or one dropped delivery).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub subscription_id: String,
    pub uri: String,
    pub topic: String,
    pub webhook_id: String,
    pub event_id: String,
    /// 1 for the first try, 2..=9 for the retries; 0 for a dropped delivery.
    pub attempt: u32,
    /// An injected duplicate of an already delivered webhook.
    pub duplicate: bool,
    /// Held back by the out-of-order fault and sent after a later delivery.
    pub held_back: bool,
    pub outcome: Outcome,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without a status (timeout, refused connection).
    pub error: Option<String>,
    /// From sending the request to the end of the answer (or the failure).
    pub duration_ms: u64,
    /// When the attempt started.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
