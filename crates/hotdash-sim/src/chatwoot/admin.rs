//! Simulator-only routes under `/__sim/webhooks` (never faulted, never throttled): manage
//! subscriptions, emit an event now, read the delivery log, set sender faults.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::json;

use super::webhooks::{Delivery, Emit, EmitError, Subscription, WebhookFaults, Webhooks};

pub fn router(webhooks: Webhooks) -> Router {
    Router::new()
        .route("/__sim/webhooks", get(list).post(subscribe).delete(clear))
        .route("/__sim/webhooks/{id}", delete(unsubscribe))
        .route("/__sim/webhooks/emit", post(emit))
        .route(
            "/__sim/webhooks/deliveries",
            get(deliveries).delete(clear_deliveries),
        )
        .route("/__sim/webhooks/faults", get(faults).put(set_faults))
        .with_state(webhooks)
}

async fn list(State(hooks): State<Webhooks>) -> Json<Vec<Subscription>> {
    Json(hooks.subscriptions())
}

async fn subscribe(
    State(hooks): State<Webhooks>,
    Json(subscription): Json<Subscription>,
) -> (StatusCode, Json<Subscription>) {
    (StatusCode::CREATED, Json(hooks.subscribe(subscription)))
}

async fn clear(State(hooks): State<Webhooks>) -> StatusCode {
    hooks.clear_subscriptions();
    StatusCode::NO_CONTENT
}

async fn unsubscribe(State(hooks): State<Webhooks>, Path(id): Path<u64>) -> StatusCode {
    if hooks.unsubscribe(id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn emit(State(hooks): State<Webhooks>, Json(request): Json<Emit>) -> Response {
    match hooks.emit(&request).await {
        Ok(sent) => Json(sent).into_response(),
        Err(error) => {
            let status = match error {
                EmitError::NoEvent => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::NOT_FOUND,
            };
            (status, Json(json!({ "error": error.to_string() }))).into_response()
        }
    }
}

async fn deliveries(State(hooks): State<Webhooks>) -> Json<Vec<Delivery>> {
    Json(hooks.deliveries())
}

async fn clear_deliveries(State(hooks): State<Webhooks>) -> StatusCode {
    hooks.clear_deliveries();
    StatusCode::NO_CONTENT
}

async fn faults(State(hooks): State<Webhooks>) -> Json<WebhookFaults> {
    Json(hooks.faults())
}

async fn set_faults(
    State(hooks): State<Webhooks>,
    Json(faults): Json<WebhookFaults>,
) -> Json<WebhookFaults> {
    hooks.set_faults(faults);
    Json(hooks.faults())
}
