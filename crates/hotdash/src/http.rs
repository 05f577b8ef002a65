//! The one route table, and the small handlers that are not webhooks.

pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;

use crate::app::AppState;
use crate::jobs::WEBHOOK_QUEUE;
use crate::now_ms;

/// Every route HotDash serves.
pub fn router(app: AppState) -> Router {
    let timeout = Duration::from_secs(app.config.server.request_timeout_secs);
    Router::new()
        .route("/webhooks/{source}", post(webhooks::receive))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(app)
}

/// Liveness plus one real store query: 200 when the database answers, 503 otherwise.
async fn health(State(app): State<AppState>) -> Response {
    match app.store.queue_stats(WEBHOOK_QUEUE, now_ms()).await {
        Ok(stats) => axum::Json(serde_json::json!({ "status": "ok", "database": app.store.backend().as_str(), "queue": stats }))
            .into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "Health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "unavailable" }))).into_response()
        }
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}
