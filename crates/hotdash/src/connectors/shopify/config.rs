//! `[connectors.<id>]` with `type = "shopify"`: which shop, which credentials, how often.

use serde::{Deserialize, Serialize};

use super::ShopifyConnector;
use crate::config::Secret;
use crate::connectors::{BuildError, RequestSettings};

/// The Admin API version every operation is written and validated against.
pub const API_VERSION: &str = "2026-07";

/// Topics HotDash keeps subscribed when `webhook_url` is set: every topic its webhook
/// handlers write typed rows from (GraphQL `WebhookSubscriptionTopic` names).
pub const DEFAULT_TOPICS: &[&str] = &[
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "ORDERS_PARTIALLY_FULFILLED",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "INVENTORY_LEVELS_UPDATE",
    "FULFILLMENTS_CREATE",
    "FULFILLMENTS_UPDATE",
    "FULFILLMENT_ORDERS_ORDER_ROUTING_COMPLETE",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_CANCELLED",
    "FULFILLMENT_ORDERS_FULFILLMENT_REQUEST_ACCEPTED",
];
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopifyConfig {
    /// The shop's `*.myshopify.com` domain.
    pub shop_domain: String,
    /// Admin API access token (`HOTDASH_CONNECTORS__<ID>__ACCESS_TOKEN`). Never printed.
    pub access_token: Secret,
    /// Where the Admin API lives; defaults to `https://<shop_domain>`. Tests and the demo point
    /// it at the simulator.
    #[serde(default)]
    pub api_base_url: Option<String>,
    /// Seconds between incremental passes under `hotdash serve`.
    #[serde(default = "default_interval")]
    pub sync_interval_secs: u64,
    /// Incremental passes re-read changes this many seconds older than the previous pass's
    /// newest, so records committed out of order around the boundary are not missed.
    #[serde(default = "default_overlap")]
    pub overlap_secs: u64,
    /// Back-fill orders and fulfilment orders with bulk operations on a full pass (otherwise
    /// page through them).
    #[serde(default = "default_true")]
    pub bulk_backfill: bool,
    /// Orders per page before the limiter learns actual costs (halved on MAX_COST_EXCEEDED).
    #[serde(default = "default_page_size")]
    pub page_size: i64,
    /// HotDash's own `/webhooks/shopify` address. When set, every pass makes sure the shop's
    /// subscriptions for `webhook_topics` point there (creating missing ones, fixing wrong ones).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Topics to keep subscribed (GraphQL enum names).
    #[serde(default = "default_topics")]
    pub webhook_topics: Vec<String>,
    #[serde(default)]
    pub request: RequestSettings,
}

fn default_interval() -> u64 {
    300
}
fn default_overlap() -> u64 {
    120
}
fn default_true() -> bool {
    true
}
fn default_page_size() -> i64 {
    10
}
fn default_topics() -> Vec<String> {
    DEFAULT_TOPICS.iter().map(|t| (*t).to_owned()).collect()
}

impl ShopifyConfig {
    /// Validates and builds the connector. Pure: no network.
    pub fn build(&self, id: &str) -> Result<ShopifyConnector, BuildError> {
        let domain = self.shop_domain.trim();
        if domain.is_empty() || domain.contains('/') || !domain.contains('.') {
            return Err(BuildError::new(
                "shop_domain",
                "must be the shop's domain, e.g. `example.myshopify.com`",
            ));
        }
        if self.access_token.is_empty() {
            return Err(BuildError::new("access_token", "must be set"));
        }
        let base = match &self.api_base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("https://{domain}"),
        };
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(BuildError::new(
                "api_base_url",
                "must start with http:// or https://",
            ));
        }
        if !(1..=250).contains(&self.page_size) {
            return Err(BuildError::new("page_size", "must be between 1 and 250"));
        }
        if let Some(url) = &self.webhook_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(BuildError::new(
                "webhook_url",
                "must start with http:// or https://",
            ));
        }
        if self.request.timeout_secs >= self.sync_interval_secs {
            tracing::warn!(
                connector.id = id,
                "request.timeout_secs >= sync_interval_secs: a slow request can overlap the next pass"
            );
        }
        let http = crate::connectors::http::client(&self.request)?;
        Ok(ShopifyConnector::new(
            id.to_owned(),
            self.clone(),
            format!("{base}/admin/api/{API_VERSION}/graphql.json"),
            http,
        ))
    }
}
