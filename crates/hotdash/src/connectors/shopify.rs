//! Shopify Admin GraphQL connector (API version pinned in [`config::API_VERSION`]).
//!
//! Streams, in order: `shop`, `locations`, `products` (variants and unit costs),
//! `inventory_levels` (per location: available, on hand, committed, incoming), `orders` (line
//! items, refunds, fulfilments, totals in shop and presentment money) and
//! `fulfillment_orders`. A first or `--full` pass back-fills orders and fulfilment orders
//! through bulk operations ([`bulk`]); every other pass pages by `updated_at` (quoted dates, sortKey UPDATED_AT, an
//! overlap window) from the previous pass's newest change ([`pages`]). The client's cost
//! limiter ([`limiter`]) spends the shop's budget at its restore rate.
//!
//! Without `read_all_orders` Shopify shows only the last 60 days of orders: the connector
//! limits every order query to that window and records an `order_window` finding, so the
//! dashboard says the history is partial instead of presenting it as complete.

pub mod bulk;
pub mod client;
pub mod config;
pub mod limiter;
pub mod map;
pub mod pages;
pub mod queries;
pub mod subscriptions;

use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{Value, json};

pub use config::ShopifyConfig;

use super::{Connector, ConnectorError, PageRequest, SyncContext, SyncPage};
use client::{GqlError, GraphqlClient};

/// Days of orders an app without `read_all_orders` may read.
pub const ORDER_WINDOW_DAYS: i64 = 60;

pub struct ShopifyConnector {
    id: String,
    config: ShopifyConfig,
    client: GraphqlClient,
    /// Set by `before_pass` from the app's scopes: the earliest `created_at` Shopify will show.
    order_window_start: Mutex<Option<i64>>,
    /// The bulk download being read, kept between pages (see [`bulk`]).
    bulk: tokio::sync::Mutex<Option<bulk::Download>>,
    /// Page sizes after MAX_COST_EXCEEDED halvings, per stream.
    page_sizes: Mutex<std::collections::HashMap<&'static str, i64>>,
}

impl ShopifyConnector {
    pub fn new(id: String, config: ShopifyConfig, url: String, http: reqwest::Client) -> Self {
        let client = GraphqlClient::new(http, url, config.access_token.clone());
        Self {
            id,
            config,
            client,
            order_window_start: Mutex::new(None),
            bulk: tokio::sync::Mutex::new(None),
            page_sizes: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn client(&self) -> &GraphqlClient {
        &self.client
    }

    pub fn config(&self) -> &ShopifyConfig {
        &self.config
    }

    /// Whether this page belongs to a bulk back-fill: a full pass with `bulk_backfill` on, or
    /// one a bulk cursor says is under way.
    fn is_bulk_pass(&self, request: &PageRequest<'_>) -> bool {
        self.config.bulk_backfill
            && (request.start == &super::PassStart::Full
                || request.cursor.is_some_and(bulk::is_bulk_cursor))
    }

    fn order_window_start(&self) -> Option<i64> {
        *self
            .order_window_start
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn page_size(&self, stream: &'static str, default: i64) -> i64 {
        *self
            .page_sizes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(stream)
            .or_insert(default)
    }

    fn halve_page_size(&self, stream: &'static str) -> Result<(), ConnectorError> {
        let mut sizes = self.page_sizes.lock().unwrap_or_else(|e| e.into_inner());
        let size = sizes.entry(stream).or_insert(1);
        if *size <= 1 {
            return Err(ConnectorError::Invalid(format!(
                "{stream}: even one record per page exceeds Shopify's query cost limit"
            )));
        }
        *size = (*size / 2).max(1);
        tracing::info!(connector.id = %self.id, stream, page_size = *size, "MAX_COST_EXCEEDED: halving the page size");
        Ok(())
    }

    /// Runs a paged operation, halving the stream's page size on MAX_COST_EXCEEDED (at once:
    /// the request was refused before it cost anything).
    async fn run_paged(
        &self,
        cx: &SyncContext,
        stream: &'static str,
        operation: &str,
        query: &str,
        default_size: i64,
        variables: impl Fn(i64) -> Value,
    ) -> Result<Value, ConnectorError> {
        loop {
            let size = self.page_size(stream, default_size);
            match self
                .client
                .run(&cx.meter, operation, query, variables(size), size)
                .await
            {
                Ok(data) => return Ok(data),
                Err(GqlError::MaxCostExceeded) => self.halve_page_size(stream)?,
                Err(GqlError::Connector(e)) => return Err(e),
            }
        }
    }

    /// A non-paged operation.
    async fn run_once(
        &self,
        cx: &SyncContext,
        operation: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, ConnectorError> {
        match self
            .client
            .run(&cx.meter, operation, query, variables, 0)
            .await
        {
            Ok(data) => Ok(data),
            Err(GqlError::MaxCostExceeded) => Err(ConnectorError::Invalid(format!(
                "{operation} exceeds Shopify's query cost limit"
            ))),
            Err(GqlError::Connector(e)) => Err(e),
        }
    }

    /// Reads the app's scopes and sets the order window.
    async fn check_scopes(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        let data = self
            .run_once(cx, "Scopes", queries::SCOPES, json!({}))
            .await?;
        let scopes: Vec<&str> = map::nodes(data.pointer("/currentAppInstallation/accessScopes"))
            .filter_map(|s| s.get("handle").and_then(Value::as_str))
            .collect();
        let window = if scopes.contains(&"read_all_orders") {
            None
        } else {
            cx.meter.finding(
                "order_window",
                "orders",
                format!(
                    "The app lacks read_all_orders: Shopify shows only the last {ORDER_WINDOW_DAYS} days of orders, so order history before then is not synced"
                ),
            );
            Some(crate::now_ms() - ORDER_WINDOW_DAYS * 86_400_000)
        };
        *self
            .order_window_start
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = window;
        if !scopes.contains(&"read_orders") {
            cx.meter.finding(
                "access_denied",
                "orders",
                "The app lacks read_orders: orders and fulfilment orders cannot be synced",
            );
        }
        Ok(())
    }
}

#[async_trait]
impl Connector for ShopifyConnector {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "shopify"
    }

    fn streams(&self) -> Vec<&'static str> {
        vec![
            "shop",
            "locations",
            "products",
            "inventory_levels",
            "orders",
            "fulfillment_orders",
        ]
    }

    async fn healthcheck(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        let data = self.run_once(cx, "Shop", queries::SHOP, json!({})).await?;
        map::shop(data.get("shop").unwrap_or(&Value::Null)).map(|_| ())
    }

    async fn before_pass(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        self.check_scopes(cx).await?;
        if let Some(url) = &self.config.webhook_url {
            subscriptions::ensure(self, cx, url).await?;
        }
        Ok(())
    }

    async fn sync_page(
        &self,
        cx: &SyncContext,
        request: PageRequest<'_>,
    ) -> Result<SyncPage, ConnectorError> {
        match request.stream {
            "shop" => pages::shop(self, cx).await,
            "locations" => pages::locations(self, cx, &request).await,
            "products" => pages::products(self, cx, &request).await,
            "inventory_levels" => pages::inventory_levels(self, cx, &request).await,
            "orders" if self.is_bulk_pass(&request) => {
                bulk::backfill(self, cx, &request, bulk::BulkStream::Orders).await
            }
            "orders" => pages::orders(self, cx, &request).await,
            "fulfillment_orders" if self.is_bulk_pass(&request) => {
                bulk::backfill(self, cx, &request, bulk::BulkStream::FulfillmentOrders).await
            }
            "fulfillment_orders" => pages::fulfillment_orders(self, cx, &request).await,
            other => Err(ConnectorError::Invalid(format!("unknown stream {other}"))),
        }
    }
}
