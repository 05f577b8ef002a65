//! How Chatwoot words each injected fault, and the narrower fault set for `/health` and `/api`.
//!
//! Those two need no token, so a revoked-token fault must not touch them (the monitor tells
//! "down" from "auth failing" by exactly that); outages, latency, timeouts and 5xx do.

use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::auth::ApiError;
use super::limits::retry_later;
use crate::chaos::{Chaos, VendorFaults};

/// Chatwoot's answers: Rails' JSON 500, Rack::Attack's plain-text 429, the token helper's 401,
/// and a proxy's 503 page when the app is down.
#[derive(Debug, Clone, Copy)]
pub struct ChatwootFaults;

impl VendorFaults for ChatwootFaults {
    fn server_error(&self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"status": 500, "error": "Internal Server Error"})),
        )
            .into_response()
    }

    fn rate_limited(&self) -> Response {
        retry_later()
    }

    fn unauthorized(&self) -> Response {
        ApiError::InvalidToken.into_response()
    }

    fn unavailable(&self) -> Response {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>\n",
        )
            .into_response()
    }
}

/// Outage, latency, timeouts and 5xx for the unauthenticated probes.
pub async fn probes(State(chaos): State<Chaos>, request: Request, next: Next) -> Response {
    let faults = chaos.current();
    if faults.outage {
        return ChatwootFaults.unavailable();
    }
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let (timeout, server_error) = {
        let mut rng = rand::rng();
        (
            rng.random_bool(faults.timeout_rate.clamp(0.0, 1.0)),
            rng.random_bool(faults.error_rate.clamp(0.0, 1.0)),
        )
    };
    if timeout {
        let secs = if faults.timeout_secs == 0 {
            30
        } else {
            faults.timeout_secs
        };
        tokio::time::sleep(Duration::from_secs(secs)).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    if server_error {
        return ChatwootFaults.server_error();
    }
    next.run(request).await
}
