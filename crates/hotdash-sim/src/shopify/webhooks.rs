//! Shopify's webhook sender: REST-shaped payloads built from the simulated store, the real
//! delivery headers and HMAC signature, Shopify's 1 s / 5 s limits, 8 retries with exponential
//! backoff (compressible for tests), removal of API-created subscriptions after 8 consecutive
//! failures, and switchable duplicate, out-of-order and drop faults (shopify.md §3 and
//! requirement 10).
//!
//! Wiring: `WebhookSender::new(config, Arc::new(handles.subscriptions.clone()))`, then
//! `follow(world, world.subscribe())` to deliver what the store does, `follow_bulk(handles
//! .bulk_finished.subscribe())` for `bulk_operations/finish`, and `send(topic, payload)` for
//! anything else; merge `routes(sender)` into the Shopify router.

mod deliver;
mod faults;
mod log;
pub mod payload;
mod routes;
mod sender;
mod sign;
mod targets;
mod topics;

pub use deliver::{API_VERSION, CONNECT_TIMEOUT, PostResult, Sent, TIMEOUT, send_one, send_order};
pub use faults::WebhookFaults;
pub use log::{Attempt, Outcome};
pub use routes::routes;
pub use sender::{LOG_LIMIT, RETRIES, SenderConfig, WebhookSender, retry_delay};
pub use sign::{Envelope, USER_AGENT, sign, triggered_at};
pub use targets::{MemorySubscribers, Subscribers, Target};
pub use topics::{ChangeTopics, WebhookEvent};
