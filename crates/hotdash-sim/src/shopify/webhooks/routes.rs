//! The sender's admin routes, merged into the Shopify simulator's router:
//! `GET /__sim/shopify/deliveries` (every attempt, filterable by `topic`, `subscription_id`,
//! `webhook_id` and `outcome`), `GET/PUT/DELETE /__sim/shopify/webhook-faults`, and
//! `POST /__sim/shopify/webhooks` (`{"topic": "...", "payload": {...}}`) to fire an event by hand.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::WebhookFaults;
use super::log::{Attempt, Outcome};
use super::sender::WebhookSender;

/// The admin routes for `sender`.
pub fn routes(sender: WebhookSender) -> Router {
    Router::new()
        .route("/__sim/shopify/deliveries", get(deliveries))
        .route(
            "/__sim/shopify/webhook-faults",
            get(show_faults).put(set_faults).delete(clear_faults),
        )
        .route("/__sim/shopify/webhooks", post(fire))
        .with_state(sender)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Filter {
    topic: Option<String>,
    subscription_id: Option<String>,
    webhook_id: Option<String>,
    outcome: Option<Outcome>,
}

impl Filter {
    fn keeps(&self, a: &Attempt) -> bool {
        let matches = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        matches(&self.topic, &a.topic)
            && matches(&self.subscription_id, &a.subscription_id)
            && matches(&self.webhook_id, &a.webhook_id)
            && self.outcome.is_none_or(|o| o == a.outcome)
    }
}

async fn deliveries(
    State(sender): State<WebhookSender>,
    Query(filter): Query<Filter>,
) -> Json<Vec<Attempt>> {
    let attempts = sender.attempts().into_iter().filter(|a| filter.keeps(a));
    Json(attempts.collect())
}

async fn show_faults(State(sender): State<WebhookSender>) -> Json<WebhookFaults> {
    Json(sender.faults())
}

async fn set_faults(
    State(sender): State<WebhookSender>,
    Json(faults): Json<WebhookFaults>,
) -> Json<WebhookFaults> {
    sender.set_faults(faults);
    Json(sender.faults())
}

async fn clear_faults(State(sender): State<WebhookSender>) -> StatusCode {
    sender.set_faults(WebhookFaults::default());
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fire {
    topic: String,
    payload: Value,
}

async fn fire(
    State(sender): State<WebhookSender>,
    Json(fire): Json<Fire>,
) -> (StatusCode, Json<Value>) {
    let queued = sender.send(&fire.topic, fire.payload);
    (StatusCode::ACCEPTED, Json(json!({ "queued": queued })))
}
