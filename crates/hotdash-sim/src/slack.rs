//! A Slack incoming-webhook receiver: `POST /services/T…/B…/…` with `{"text": …, "blocks": …}`
//! (JSON, or a form field `payload=` as Slack also takes), answered like hooks.slack.com:
//! `200 ok` (text/plain), `400 invalid_payload` / `no_text` / `invalid_blocks`, `404 no_service`
//! for an unknown hook (when hooks are configured), and `429 rate_limited` with `Retry-After: 1`
//! above one message per second per hook ("short bursts" are configurable).
//!
//! Every accepted message is recorded, readable at `GET /__sim/slack/messages` and through
//! [`RunningSlack::messages`]. Facts: `shared/monitoring.md` §2.2.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::chaos::{Chaos, Faults, VendorFaults, with_chaos};
use crate::server::{RunningServer, any_loopback};

/// The hook path used when none is configured.
pub const DEFAULT_HOOK: &str = "T000/B000/XXXX";

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub addr: SocketAddr,
    /// Hook paths (after `/services/`) that exist; others get `404 no_service`. Empty: any path.
    pub hooks: Vec<String>,
    /// Sustained messages per second per hook (Slack: 1).
    pub per_second: f64,
    /// Messages a hook may send at once before the rate applies (Slack allows short bursts).
    pub burst: u32,
    pub faults: Faults,
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            addr: any_loopback(),
            hooks: Vec::new(),
            per_second: 1.0,
            burst: 1,
            faults: Faults::default(),
        }
    }
}

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    /// The path after `/services/`, e.g. `T000/B000/XXXX`.
    pub hook: String,
    pub text: Option<String>,
    pub blocks: Option<Value>,
    /// The whole payload as received.
    pub payload: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
struct Receiver {
    hooks: Vec<String>,
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    messages: Mutex<Vec<SlackMessage>>,
}

impl Receiver {
    /// Takes one token from the hook's bucket; `false` when it is empty.
    fn admit(&self, hook: &str) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("slack buckets lock");
        let bucket = buckets.entry(hook.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let refill = now.duration_since(bucket.last).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Slack's plain-text error answers.
fn slack_error(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// The payload as JSON: the body itself, or the `payload` form field.
fn parse_payload(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return serde_json::from_slice(body).ok();
    }
    // Reuse the query-string decoder for the form body.
    let uri: Uri = format!("/?{}", std::str::from_utf8(body).ok()?)
        .parse()
        .ok()?;
    let Query(fields) = Query::<HashMap<String, String>>::try_from_uri(&uri).ok()?;
    serde_json::from_str(fields.get("payload")?).ok()
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !receiver.hooks.is_empty() && !receiver.hooks.contains(&hook) {
        return slack_error(StatusCode::NOT_FOUND, "no_service");
    }
    let Some(payload) = parse_payload(&headers, &body).filter(Value::is_object) else {
        return slack_error(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let text = payload
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let blocks = payload.get("blocks").cloned();
    if blocks.as_ref().is_some_and(|b| !b.is_array()) {
        return slack_error(StatusCode::BAD_REQUEST, "invalid_blocks");
    }
    let has_blocks = blocks
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|b| !b.is_empty());
    if text.as_deref().is_none_or(|t| t.trim().is_empty()) && !has_blocks {
        return slack_error(StatusCode::BAD_REQUEST, "no_text");
    }
    if !receiver.admit(&hook) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, "text/plain"),
                (header::RETRY_AFTER, "1"),
            ],
            "rate_limited",
        )
            .into_response();
    }
    receiver
        .messages
        .lock()
        .expect("slack messages lock")
        .push(SlackMessage {
            hook,
            text,
            blocks,
            payload,
            received_at: OffsetDateTime::now_utc(),
        });
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response()
}

async fn list(State(receiver): State<Arc<Receiver>>) -> Json<Vec<SlackMessage>> {
    Json(
        receiver
            .messages
            .lock()
            .expect("slack messages lock")
            .clone(),
    )
}

async fn clear(State(receiver): State<Arc<Receiver>>) -> StatusCode {
    receiver
        .messages
        .lock()
        .expect("slack messages lock")
        .clear();
    StatusCode::NO_CONTENT
}

/// Slack's words for injected faults.
#[derive(Debug, Clone, Copy)]
struct SlackFaults;

impl VendorFaults for SlackFaults {
    fn server_error(&self) -> Response {
        slack_error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }

    fn rate_limited(&self) -> Response {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, "text/plain"),
                (header::RETRY_AFTER, "1"),
            ],
            "rate_limited",
        )
            .into_response()
    }

    fn unauthorized(&self) -> Response {
        slack_error(StatusCode::FORBIDDEN, "invalid_token")
    }
}

/// A running Slack receiver. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningSlack {
    server: RunningServer,
    hook: String,
    receiver: Arc<Receiver>,
    chaos: Chaos,
}

impl RunningSlack {
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A webhook URL that is accepted: the first configured hook, else [`DEFAULT_HOOK`].
    pub fn webhook_url(&self) -> String {
        format!("{}/services/{}", self.server.url(), self.hook)
    }

    /// Every accepted message, oldest first.
    pub fn messages(&self) -> Vec<SlackMessage> {
        self.receiver
            .messages
            .lock()
            .expect("slack messages lock")
            .clone()
    }

    pub fn clear_messages(&self) {
        self.receiver
            .messages
            .lock()
            .expect("slack messages lock")
            .clear();
    }

    /// The fault switches (also at `/__sim/chaos`).
    pub fn chaos(&self) -> &Chaos {
        &self.chaos
    }
}

pub async fn start(config: SlackConfig) -> anyhow::Result<RunningSlack> {
    let hook = config
        .hooks
        .first()
        .cloned()
        .unwrap_or_else(|| DEFAULT_HOOK.to_owned());
    let receiver = Arc::new(Receiver {
        hooks: config.hooks,
        per_second: config.per_second.max(f64::MIN_POSITIVE),
        burst: f64::from(config.burst.max(1)),
        buckets: Mutex::default(),
        messages: Mutex::default(),
    });
    let chaos = Chaos::new(config.faults);
    let hooks = Router::new()
        .route("/services/{*hook}", post(receive))
        .with_state(receiver.clone());
    let admin = Router::new()
        .route("/__sim/slack/messages", get(list).delete(clear))
        .with_state(receiver.clone());
    let router = with_chaos(hooks, chaos.clone(), SlackFaults).merge(admin);
    let server = RunningServer::start(config.addr, router).await?;
    Ok(RunningSlack {
        server,
        hook,
        receiver,
        chaos,
    })
}
