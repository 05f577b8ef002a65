//! Usage statistics of one Shopify simulator, for tests and benchmarks: how many GraphQL
//! requests it answered and how (throttled, too expensive, access denied), what the queries
//! that ran asked for and were charged, and when the first and last request came, so a
//! benchmark can work out points consumed per second. Read with `ShopifyControls::stats()` or
//! `GET /__sim/shopify/stats`; reset with `reset_stats()` or `DELETE /__sim/shopify/stats`.
//!
//! Faults injected by the chaos middleware (`/__sim/chaos`) answer before the GraphQL handler
//! and are not counted here; the INTERNAL_SERVER_ERROR switch of the settings is.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Counters since the simulator started or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShopifyStats {
    /// Every request the GraphQL endpoint answered, whatever the answer (401 and 400
    /// included).
    pub graphql_requests: u64,
    /// THROTTLED answers, both modes together.
    pub throttled: u64,
    /// THROTTLED on HTTP 200 (Shopify's way).
    pub throttled_http_200: u64,
    /// THROTTLED on HTTP 429 (`ThrottleMode::Http429`).
    pub throttled_http_429: u64,
    /// MAX_COST_EXCEEDED answers (requested cost above 1000; never charged).
    pub max_cost_exceeded: u64,
    /// Answers carrying at least one ACCESS_DENIED error.
    pub access_denied: u64,
    /// INTERNAL_SERVER_ERROR answers from `Settings::internal_error_rate`.
    pub internal_errors: u64,
    /// Answers with HTTP 401 (missing or wrong access token).
    pub unauthorized: u64,
    /// Sum of the requested cost of the queries the bucket admitted (throttled and too
    /// expensive ones are not included: they never ran).
    pub requested_cost: u64,
    /// Sum of what those queries were finally charged (requested cost minus the refund).
    pub actual_cost: u64,
    /// When the first counted request arrived.
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_request_at: Option<OffsetDateTime>,
    /// When the last counted request was answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_request_at: Option<OffsetDateTime>,
    /// Seconds from `first_request_at` to `last_request_at` (0 with fewer than one request):
    /// `actual_cost / window_secs` is the points consumed per second.
    pub window_secs: f64,
}

/// How one answered request is counted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    pub throttled_200: bool,
    pub throttled_429: bool,
    pub max_cost_exceeded: bool,
    pub access_denied: bool,
    pub internal_error: bool,
    pub unauthorized: bool,
    /// Requested and charged cost, when the query ran.
    pub charged: Option<(u64, u64)>,
}

impl ShopifyStats {
    pub(crate) fn record(&mut self, arrived: OffsetDateTime, tally: Tally) {
        let answered = OffsetDateTime::now_utc();
        self.graphql_requests += 1;
        self.throttled_http_200 += u64::from(tally.throttled_200);
        self.throttled_http_429 += u64::from(tally.throttled_429);
        self.throttled = self.throttled_http_200 + self.throttled_http_429;
        self.max_cost_exceeded += u64::from(tally.max_cost_exceeded);
        self.access_denied += u64::from(tally.access_denied);
        self.internal_errors += u64::from(tally.internal_error);
        self.unauthorized += u64::from(tally.unauthorized);
        if let Some((requested, actual)) = tally.charged {
            self.requested_cost += requested;
            self.actual_cost += actual;
        }
        let first = *self.first_request_at.get_or_insert(arrived);
        let last = self.last_request_at.map_or(answered, |t| t.max(answered));
        self.last_request_at = Some(last);
        self.window_secs = (last - first).as_seconds_f64().max(0.0);
    }
}
