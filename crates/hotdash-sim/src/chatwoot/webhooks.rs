//! The webhook sender, as `lib/webhooks/trigger.rb` and `WebhookListener` behave: payloads built
//! from the world (conversation `push_data`, message `webhook_data` with `event` merged in),
//! serialised with Rails' `to_json` escaping, signed `sha256=HMAC(secret, "<ts>.<body>")` when
//! the subscription has a secret, POSTed at most once with a 5 s timeout, never retried.
//!
//! Every attempt is recorded (readable at `GET /__sim/webhooks/deliveries`); fault switches
//! drop deliveries or send one twice with the same `X-Chatwoot-Delivery`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use time::OffsetDateTime;

mod live;

use super::data::{Data, is_chat};
use super::render;
use crate::chaos::Chaos;
use crate::world::SharedWorld;
use crate::world::model::{Conversation, MessageType};

/// The events the simulator sends (a subset of `Webhook::ALLOWED_WEBHOOK_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    ConversationCreated,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageCreated,
    MessageUpdated,
    WebwidgetTriggered,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 6] = [
        WebhookEvent::ConversationCreated,
        WebhookEvent::ConversationStatusChanged,
        WebhookEvent::ConversationUpdated,
        WebhookEvent::MessageCreated,
        WebhookEvent::MessageUpdated,
        WebhookEvent::WebwidgetTriggered,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ConversationCreated => "conversation_created",
            Self::ConversationStatusChanged => "conversation_status_changed",
            Self::ConversationUpdated => "conversation_updated",
            Self::MessageCreated => "message_created",
            Self::MessageUpdated => "message_updated",
            Self::WebwidgetTriggered => "webwidget_triggered",
        }
    }
}

fn all_events() -> Vec<WebhookEvent> {
    WebhookEvent::ALL.to_vec()
}

/// An account webhook: where to send, how to sign, which events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// Assigned when added.
    #[serde(default)]
    pub id: u64,
    pub url: String,
    /// The per-webhook secret; `None` sends unsigned, as Chatwoot did before 2026-02.
    #[serde(default)]
    pub secret: Option<String>,
    /// Defaults to every event the simulator sends.
    #[serde(default = "all_events")]
    pub subscriptions: Vec<WebhookEvent>,
}

impl Subscription {
    /// A subscription to every event; `secret: None` for unsigned deliveries.
    pub fn new(url: impl Into<String>, secret: Option<&str>) -> Self {
        Subscription {
            id: 0,
            url: url.into(),
            secret: secret.map(str::to_owned),
            subscriptions: all_events(),
        }
    }
}

/// Sender-side faults. Rates are probabilities per delivery, 0.0..=1.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookFaults {
    /// Share of deliveries never sent (recorded as `dropped`).
    pub drop_rate: f64,
    /// Share of deliveries sent twice with the same `X-Chatwoot-Delivery`.
    pub duplicate_rate: f64,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// `X-Chatwoot-Delivery`
    pub delivery_id: String,
    pub url: String,
    pub event: WebhookEvent,
    /// `None` for a delivery emitted to an explicit URL.
    pub subscription_id: Option<u64>,
    pub signed: bool,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why nothing was answered (timeout, refused, outage, dropped by a fault).
    pub error: Option<String>,
    /// Not sent at all (fault or outage).
    pub dropped: bool,
    /// The second send of a duplicated delivery.
    pub duplicate: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Ask the simulator to send one event now (`POST /__sim/webhooks/emit`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emit {
    pub event: Option<WebhookEvent>,
    pub conversation_id: u64,
    /// For message events; defaults to the conversation's last public incoming or outgoing
    /// message.
    #[serde(default)]
    pub message_id: Option<u64>,
    /// For conversation_updated/status_changed; a plausible default otherwise.
    #[serde(default)]
    pub changed_attributes: Option<Value>,
    /// Send only here instead of to the subscriptions.
    #[serde(default)]
    pub url: Option<String>,
    /// With `url`: sign with this secret (absent: unsigned).
    #[serde(default)]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("no conversation {0}")]
    UnknownConversation(u64),
    #[error("no message {0} in conversation {1}")]
    UnknownMessage(u64, u64),
    #[error("conversation {0} has no message to send")]
    NoMessage(u64),
    #[error("event is required")]
    NoEvent,
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, trigger.rb's header.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so the error arm is unreachable in practice.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("sha256=");
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A random (v4) UUID, as `SecureRandom.uuid` makes delivery ids.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Where one delivery goes.
#[derive(Debug, Clone)]
struct Target {
    url: String,
    secret: Option<String>,
    subscription_id: Option<u64>,
}

#[derive(Debug, Default)]
struct SenderState {
    next_id: u64,
    subscriptions: Vec<Subscription>,
    faults: WebhookFaults,
    deliveries: Vec<Delivery>,
}

/// The webhook sender of one Chatwoot simulator; cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    world: SharedWorld,
    account_id: u64,
    account_name: String,
    chaos: Chaos,
    client: reqwest::Client,
    state: Mutex<SenderState>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("account_id", &self.inner.account_id)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub(crate) fn new(
        world: SharedWorld,
        account_id: u64,
        account_name: String,
        chaos: Chaos,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("rest-client/2.1.0 (linux x86_64) ruby/3.3.3p89")
            .build()?;
        Ok(Webhooks {
            inner: Arc::new(Inner {
                world,
                account_id,
                account_name,
                chaos,
                client,
                state: Mutex::default(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SenderState> {
        self.inner.state.lock().expect("webhook state lock")
    }

    /// Adds a subscription and returns it with its id.
    pub fn subscribe(&self, mut subscription: Subscription) -> Subscription {
        let mut state = self.state();
        state.next_id += 1;
        subscription.id = state.next_id;
        state.subscriptions.push(subscription.clone());
        subscription
    }

    pub fn unsubscribe(&self, id: u64) -> bool {
        let mut state = self.state();
        let before = state.subscriptions.len();
        state.subscriptions.retain(|s| s.id != id);
        state.subscriptions.len() != before
    }

    pub fn clear_subscriptions(&self) {
        self.state().subscriptions.clear();
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.state().subscriptions.clone()
    }

    pub fn set_faults(&self, faults: WebhookFaults) {
        self.state().faults = faults;
    }

    pub fn faults(&self) -> WebhookFaults {
        self.state().faults.clone()
    }

    /// Every attempt so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    pub fn clear_deliveries(&self) {
        self.state().deliveries.clear();
    }

    fn with_data<R>(&self, f: impl FnOnce(&Data<'_>) -> R) -> R {
        let world = self.inner.world.read().expect("world lock");
        let data = Data::new(&world, self.inner.account_id, &self.inner.account_name);
        f(&data)
    }

    /// The body of `event` for a conversation (and message), `event` merged in.
    pub fn payload(&self, emit: &Emit) -> Result<(WebhookEvent, Value), EmitError> {
        let event = emit.event.ok_or(EmitError::NoEvent)?;
        let mut body = self.with_data(|data| {
            let conv = data
                .conversation(emit.conversation_id)
                .ok_or(EmitError::UnknownConversation(emit.conversation_id))?;
            Ok(match event {
                WebhookEvent::MessageCreated | WebhookEvent::MessageUpdated => {
                    let message = match emit.message_id {
                        Some(id) => conv.messages.iter().find(|m| m.id == id),
                        // The last thing a person said, else the last chat message.
                        None => (conv.messages.iter().rev())
                            .find(|m| is_chat(m) && m.message_type != MessageType::Template)
                            .or_else(|| conv.messages.iter().rev().find(|m| is_chat(m))),
                    };
                    let message = message.ok_or(match emit.message_id {
                        Some(id) => EmitError::UnknownMessage(id, conv.id),
                        None => EmitError::NoMessage(conv.id),
                    })?;
                    render::message_webhook(message, conv, data)
                }
                WebhookEvent::WebwidgetTriggered => render::webwidget_triggered(conv, data),
                WebhookEvent::ConversationCreated => render::conversation_webhook(conv, data),
                WebhookEvent::ConversationUpdated | WebhookEvent::ConversationStatusChanged => {
                    let mut body = render::conversation_webhook(conv, data);
                    body["changed_attributes"] = emit
                        .changed_attributes
                        .clone()
                        .unwrap_or_else(|| default_changes(conv));
                    body
                }
            })
        })?;
        body["event"] = json!(event.name());
        Ok((event, body))
    }

    /// Builds and sends one event now: to `emit.url` if given, else to every subscription
    /// that wants it. Returns the attempts, in order.
    pub async fn emit(&self, emit: &Emit) -> Result<Vec<Delivery>, EmitError> {
        let (event, body) = self.payload(emit)?;
        let targets = match &emit.url {
            Some(url) => vec![Target {
                url: url.clone(),
                secret: emit.secret.clone(),
                subscription_id: None,
            }],
            None => self.targets(event),
        };
        let mut out = Vec::new();
        for target in targets {
            out.extend(self.deliver(event, &body, &target).await);
        }
        Ok(out)
    }

    /// Sends `event` about `conversation_id` to `url` alone, signed with `secret` (or unsigned):
    /// the short way for an end-to-end test to feed a receiver of its choice.
    pub async fn send_to(
        &self,
        url: &str,
        secret: Option<&str>,
        event: WebhookEvent,
        conversation_id: u64,
    ) -> Result<Vec<Delivery>, EmitError> {
        self.emit(&Emit {
            event: Some(event),
            conversation_id,
            url: Some(url.to_owned()),
            secret: secret.map(str::to_owned),
            ..Emit::default()
        })
        .await
    }

    fn targets(&self, event: WebhookEvent) -> Vec<Target> {
        self.state()
            .subscriptions
            .iter()
            .filter(|s| s.subscriptions.contains(&event))
            .map(|s| Target {
                url: s.url.clone(),
                secret: s.secret.clone(),
                subscription_id: Some(s.id),
            })
            .collect()
    }

    /// One delivery (plus its duplicate, if the fault fires), recorded.
    async fn deliver(&self, event: WebhookEvent, body: &Value, target: &Target) -> Vec<Delivery> {
        let delivery_id = uuid_v4();
        let bytes = render::ruby_json(body);
        let faults = self.faults();
        let (dropped, duplicated) = {
            let mut rng = rand::rng();
            (
                rng.random_bool(faults.drop_rate.clamp(0.0, 1.0)),
                rng.random_bool(faults.duplicate_rate.clamp(0.0, 1.0)),
            )
        };
        let mut out = Vec::new();
        if dropped {
            out.push(self.record(
                target,
                event,
                &delivery_id,
                Err("dropped by fault".into()),
                true,
                false,
            ));
            return out;
        }
        let first = self.post(target, &delivery_id, &bytes).await;
        out.push(self.record(target, event, &delivery_id, first, false, false));
        if duplicated {
            let second = self.post(target, &delivery_id, &bytes).await;
            out.push(self.record(target, event, &delivery_id, second, false, true));
        }
        out
    }

    /// trigger.rb's request: JSON headers, the delivery id, and the signature when signed.
    async fn post(&self, target: &Target, delivery_id: &str, body: &[u8]) -> Result<u16, String> {
        let mut request = self
            .inner
            .client
            .post(&target.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("X-Chatwoot-Delivery", delivery_id);
        if let Some(secret) = target.secret.as_deref().filter(|s| !s.is_empty()) {
            let ts = OffsetDateTime::now_utc().unix_timestamp();
            request = request
                .header("X-Chatwoot-Timestamp", ts.to_string())
                .header("X-Chatwoot-Signature", sign(secret, ts, body));
        }
        match request.body(body.to_vec()).send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(error) if error.is_timeout() => Err(format!("timeout: {error}")),
            Err(error) => Err(error.to_string()),
        }
    }

    fn record(
        &self,
        target: &Target,
        event: WebhookEvent,
        delivery_id: &str,
        outcome: Result<u16, String>,
        dropped: bool,
        duplicate: bool,
    ) -> Delivery {
        let (status, error) = match outcome {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        let delivery = Delivery {
            delivery_id: delivery_id.to_owned(),
            url: target.url.clone(),
            event,
            subscription_id: target.subscription_id,
            signed: target.secret.as_deref().is_some_and(|s| !s.is_empty()),
            status,
            error,
            dropped,
            duplicate,
            at: OffsetDateTime::now_utc(),
        };
        if let Some(error) = &delivery.error {
            // trigger.rb rescues and logs every failure; nothing is retried.
            tracing::warn!(url = %delivery.url, event = event.name(), %error, "chatwoot webhook not delivered");
        }
        self.state().deliveries.push(delivery.clone());
        delivery
    }
}

/// A status change that ends in the current status (the docs' example for an open one).
fn default_changes(c: &Conversation) -> Value {
    let current = json!(c.status);
    let previous = if current == json!("open") {
        "pending"
    } else {
        "open"
    };
    json!([{ "status": { "previous_value": previous, "current_value": current } }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_prefixed_lowercase_hex_over_timestamp_dot_body() {
        // Independent of `sign`: HMAC-SHA256("secret", "1700000000.{}") computed by hand.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000.{}");
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sign("secret", 1_700_000_000, b"{}"), expected);
        assert_eq!(expected.len(), 7 + 64);
        assert_eq!(expected, expected.to_lowercase());
    }

    #[test]
    fn delivery_ids_are_v4_uuids() {
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, uuid_v4());
    }
}
