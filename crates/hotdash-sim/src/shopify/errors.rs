//! Shopify's error bodies, word for word where a real capture or Shopify's docs give them
//! (shopify.md §1.5–1.6 and the Admin API reference's "Sample 200 error responses"), and the
//! `VendorFaults` the chaos middleware answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::bucket::ThrottleStatus;
use crate::chaos::VendorFaults;

/// The single-query ceiling on requested cost (shopify.md §1.1).
pub const MAX_QUERY_COST: u64 = 1000;

/// 401 body for a missing or wrong `X-Shopify-Access-Token`.
pub const INVALID_TOKEN_BODY: &str =
    r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#;

/// 400 body for a request without a usable `query` (Admin API reference, "Sample error codes").
pub const BAD_REQUEST_BODY: &str =
    r#"{"errors":{"query":"Required parameter missing or invalid"}}"#;

/// `extensions.cost`; `actual` is null when the query never ran (throttled, too expensive).
pub fn cost_extension(requested: u64, actual: Option<u64>, status: ThrottleStatus) -> Value {
    json!({
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": status.to_json(),
        }
    })
}

/// The THROTTLED body exactly as captured (shopify.md §1.5): no `data`, `actualQueryCost` null.
pub fn throttled_body(requested: u64, status: ThrottleStatus) -> Value {
    json!({
        "errors": [{
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }],
        "extensions": cost_extension(requested, None, status),
    })
}

/// MAX_COST_EXCEEDED as the Admin API reference prints it, with the cost extension every
/// response carries.
pub fn max_cost_body(requested: u64, status: ThrottleStatus) -> Value {
    let message = format!(
        "Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n\
         See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n\
         cost of a query is calculated.\n\n\
         To query larger amounts of data with fewer limits, bulk operations should be used instead.\n\
         See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    );
    json!({
        "errors": [{
            "message": message,
            "extensions": {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": MAX_QUERY_COST,
                "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
            },
        }],
        "extensions": cost_extension(requested, None, status),
    })
}

/// INTERNAL_SERVER_ERROR on HTTP 200, as the Admin API reference prints it.
pub fn internal_error_body(request_id: &str) -> Value {
    json!({
        "errors": [{
            "message": format!(
                "Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} (include this in support requests)."
            ),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }],
    })
}

/// A JSON response with Shopify's content type.
pub fn json_response(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// How Shopify words the chaos faults.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShopifyFaults;

impl VendorFaults for ShopifyFaults {
    fn server_error(&self) -> Response {
        json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errors":"An unexpected error occurred"}"#,
        )
    }

    /// Shopify's own JS client retries 429 and honours Retry-After; the REST API sends `2.0`.
    fn rate_limited(&self) -> Response {
        let body = json!({
            "errors": [{
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }],
        });
        let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, body.to_string());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2.0"));
        response
    }

    fn unauthorized(&self) -> Response {
        json_response(StatusCode::UNAUTHORIZED, INVALID_TOKEN_BODY)
    }

    /// 503 is the other status Shopify's client retries.
    fn unavailable(&self) -> Response {
        let mut response = json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"errors":"Service Unavailable"}"#,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}
