//! The Admin GraphQL client: one POST per operation, the cost limiter before it, and every
//! way Shopify says no mapped to a [`ConnectorError`] (THROTTLED on HTTP 200, 429/503 with
//! Retry-After, MAX_COST_EXCEEDED, ACCESS_DENIED). Response headers that operators should
//! know about (a deprecated field, a version fall-forward) become findings.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::config::API_VERSION;
use super::limiter::{CostLimiter, ThrottleStatus};
use crate::config::Secret;
use crate::connectors::http::status_error;
use crate::connectors::{ConnectorError, SyncMeter};

/// Why an operation failed.
#[derive(Debug)]
pub enum GqlError {
    /// The query's requested cost is above the single-query maximum: ask for less.
    MaxCostExceeded,
    Connector(ConnectorError),
}

impl From<ConnectorError> for GqlError {
    fn from(e: ConnectorError) -> Self {
        Self::Connector(e)
    }
}

impl From<reqwest::Error> for GqlError {
    fn from(e: reqwest::Error) -> Self {
        Self::Connector(e.into())
    }
}

pub struct GraphqlClient {
    http: reqwest::Client,
    url: String,
    token: Secret,
    pub limiter: CostLimiter,
}

impl GraphqlClient {
    pub fn new(http: reqwest::Client, url: String, token: Secret) -> Self {
        Self {
            http,
            url,
            token,
            limiter: CostLimiter::default(),
        }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Runs `query` named `operation` (for cost estimates and findings) with `variables`;
    /// `page_size` keys the cost estimate. Returns `data`.
    pub async fn run(
        &self,
        meter: &SyncMeter,
        operation: &str,
        query: &str,
        variables: Value,
        page_size: i64,
    ) -> Result<Value, GqlError> {
        // Until an answer tells us an operation's cost, assume the worst Shopify admits for
        // a page (1000, the single-query maximum) and little for a single object.
        let cost = self
            .limiter
            .estimate(operation, page_size)
            .unwrap_or(if page_size > 0 { 1000.0 } else { 50.0 });
        self.limiter.acquire(cost, meter).await;
        meter.add_request();
        let response = self
            .http
            .post(&self.url)
            .header("X-Shopify-Access-Token", self.token.expose())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        report_headers(meter, operation, &headers);
        let text = response.text().await?;
        if !status.is_success() {
            return Err(status_error(status, &headers, &text).into());
        }
        let body: Value = serde_json::from_str(&text).map_err(|e| {
            ConnectorError::Transient(format!("{operation}: response is not JSON: {e}"))
        })?;
        let cost = body.pointer("/extensions/cost");
        let requested = cost
            .and_then(|c| c.get("requestedQueryCost"))
            .and_then(Value::as_f64);
        let throttle: Option<ThrottleStatus> = cost
            .and_then(|c| c.get("throttleStatus"))
            .and_then(|t| serde_json::from_value(t.clone()).ok());
        if let Some(t) = throttle {
            self.limiter.observe(operation, page_size, requested, t);
        }
        if let Some(errors) = body.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            return Err(classify(operation, errors, requested, throttle));
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }
}

fn classify(
    operation: &str,
    errors: &[Value],
    requested: Option<f64>,
    throttle: Option<ThrottleStatus>,
) -> GqlError {
    let code = |e: &Value| {
        e.pointer("/extensions/code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let message = errors
        .iter()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    let excerpt: String = message.chars().take(300).collect();
    if errors.iter().any(|e| code(e) == "THROTTLED") {
        let retry_after = throttle.map(|t| {
            CostLimiter::throttled_wait(&t, requested.unwrap_or(t.maximum_available / 2.0))
        });
        return ConnectorError::RateLimited { retry_after }.into();
    }
    if errors.iter().any(|e| code(e) == "MAX_COST_EXCEEDED") {
        return GqlError::MaxCostExceeded;
    }
    if errors.iter().any(|e| code(e) == "ACCESS_DENIED") {
        return ConnectorError::AccessDenied(format!("{operation}: {excerpt}")).into();
    }
    if errors.iter().any(|e| code(e) == "INTERNAL_SERVER_ERROR") {
        return ConnectorError::Transient(format!("{operation}: {excerpt}")).into();
    }
    ConnectorError::Invalid(format!("{operation}: {excerpt}")).into()
}

fn report_headers(meter: &SyncMeter, operation: &str, headers: &HeaderMap) {
    if let Some(reason) = headers
        .get("x-shopify-api-deprecated-reason")
        .and_then(|v| v.to_str().ok())
    {
        meter.finding(
            "deprecated",
            operation,
            format!("Shopify reports deprecated use in {operation}: {reason}"),
        );
    }
    if let Some(served) = headers
        .get("x-shopify-api-version")
        .and_then(|v| v.to_str().ok())
        && served != API_VERSION
    {
        meter.finding(
            "api_version",
            API_VERSION,
            format!("Requested API version {API_VERSION} but Shopify served {served} (fall-forward): the pinned version is no longer supported"),
        );
    }
}
