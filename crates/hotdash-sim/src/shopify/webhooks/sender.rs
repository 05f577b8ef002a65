//! The sender: fans each event out to its subscriptions, delivers in order per subscription,
//! retries failures on Shopify's schedule (compressed by `time_scale`), reports every attempt to
//! the subscription store (which removes API-created subscriptions after 8 consecutive
//! failures), and applies the delivery faults.
//!
//! Each subscription has one worker task, so its first attempts go out in event order, as the
//! receiver would see them from Shopify on a good day; a failed delivery's retries run in their
//! own task and do not hold up later events.
//!
//! Every task the sender starts (followers, workers, retries) stops at `shutdown()`, which
//! `RunningShopify` calls when dropped: the tasks hold the sender's state alive, so without it
//! a stopped simulator would go on delivering queued events and retries until the runtime ended.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::deliver::{self, API_VERSION, CONNECT_TIMEOUT, TIMEOUT};
use super::faults::{Dice, Roll, WebhookFaults};
use super::log::{Attempt, Outcome};
use super::payload;
use super::sign::{Envelope, new_uuid, resource_header};
use super::targets::{Subscribers, Target, include_fields};
use super::topics::{ChangeTopics, WebhookEvent};
use crate::shopify::bulk::BulkFinished;
use crate::world::{Change, SharedWorld};

/// Attempts kept for `attempts()` and the admin route; a long live run forgets the oldest.
pub const LOG_LIMIT: usize = 100_000;

/// Retries after the first attempt: "retried a total of 8 times over 4 hours".
pub const RETRIES: u32 = 8;

/// The wait before retry `n` (1..=8) at real speed. Shopify publishes only "exponential over
/// 4 hours"; doubling from 56 s spends 3 h 58 min on all eight.
pub fn retry_delay(n: u32) -> Duration {
    Duration::from_secs(56) * 2u32.saturating_pow(n.saturating_sub(1))
}

/// How the sender signs, addresses and paces deliveries.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// The app's client secret, the HMAC key.
    pub secret: String,
    /// `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// `X-Shopify-API-Version`.
    pub api_version: String,
    /// Multiplies the retry waits: 1.0 is Shopify's pace; 1e-5 runs all eight in ~0.15 s.
    pub time_scale: f64,
    pub connect_timeout: Duration,
    /// The whole attempt, answer included, must finish within this.
    pub timeout: Duration,
    /// Longest an out-of-order delivery waits for a later one before it goes anyway.
    pub hold_limit: Duration,
    /// Seeds the fault dice.
    pub seed: u64,
}

impl SenderConfig {
    /// Shopify's defaults for the Hot Rod AN store, signing with `secret`.
    pub fn new(secret: impl Into<String>) -> SenderConfig {
        SenderConfig {
            secret: secret.into(),
            shop_domain: "hotrodan.myshopify.com".into(),
            api_version: API_VERSION.into(),
            time_scale: 1.0,
            connect_timeout: CONNECT_TIMEOUT,
            timeout: TIMEOUT,
            hold_limit: Duration::from_secs(2),
            seed: 0,
        }
    }

    fn scaled(&self, wait: Duration) -> Duration {
        let secs = wait.as_secs_f64() * self.time_scale;
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
    }
}

/// A delivery on its way to one subscription.
#[derive(Debug, Clone)]
struct Delivery {
    target: Target,
    envelope: Envelope,
    roll: Roll,
}

struct Shared {
    config: SenderConfig,
    subscribers: Arc<dyn Subscribers>,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    attempts: Mutex<VecDeque<Attempt>>,
    dice: Mutex<Dice>,
    workers: Mutex<HashMap<String, mpsc::UnboundedSender<Delivery>>>,
    /// Deliveries queued, held back or waiting for a retry.
    pending: watch::Sender<usize>,
    /// The world `follow` turns into deliveries, and how many of its changes it has taken in
    /// (turned into deliveries, or lost to lag): `settle` first waits for it to catch up.
    followed: Mutex<Option<SharedWorld>>,
    forwarded: watch::Sender<u64>,
    /// Cancelled by `shutdown`: every task the sender started ends.
    stop: CancellationToken,
}

impl Shared {
    /// Runs `task` on the sender's runtime until it ends or the sender shuts down.
    fn spawn(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let stop = self.stop.clone();
        self.runtime.spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = task => {}
            }
        })
    }
}

/// The handle to a running sender; cheap to clone.
#[derive(Clone)]
pub struct WebhookSender {
    shared: Arc<Shared>,
}

impl WebhookSender {
    /// A sender delivering to `subscribers`. Call inside a Tokio runtime: its tasks run there.
    pub fn new(config: SenderConfig, subscribers: Arc<dyn Subscribers>) -> WebhookSender {
        let client = deliver::client(config.connect_timeout, config.timeout);
        let dice = Dice::new(config.seed);
        WebhookSender {
            shared: Arc::new(Shared {
                config,
                subscribers,
                client,
                runtime: tokio::runtime::Handle::current(),
                attempts: Mutex::default(),
                dice: Mutex::new(dice),
                workers: Mutex::default(),
                pending: watch::Sender::new(0),
                followed: Mutex::new(None),
                forwarded: watch::Sender::new(0),
                stop: CancellationToken::new(),
            }),
        }
    }

    pub fn config(&self) -> &SenderConfig {
        &self.shared.config
    }

    /// Delivers the webhooks `changes` fire, reading bodies from `world`, until the channel
    /// closes.
    pub fn follow(
        &self,
        world: SharedWorld,
        mut changes: broadcast::Receiver<Change>,
    ) -> JoinHandle<()> {
        let sender = self.clone();
        let seen = world.read().expect("world lock").changes_sent();
        self.shared.forwarded.send_replace(seen);
        *self.shared.followed.lock().expect("followed lock") = Some(world.clone());
        self.shared.spawn(async move {
            let mut topics = ChangeTopics::default();
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        // Like Shopify's lost webhooks: reconciliation has to catch these.
                        tracing::warn!(skipped, "webhook sender fell behind the store's changes");
                        sender.shared.forwarded.send_modify(|n| *n += skipped);
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let events = {
                    let world = world.read().expect("world lock");
                    topics.events(&world, &change)
                };
                for event in events {
                    sender.send_event(event);
                }
                sender.shared.forwarded.send_modify(|n| *n += 1);
            }
        })
    }

    /// Delivers `bulk_operations/finish` for every bulk operation the GraphQL side reports
    /// finished (`ShopifyHandles::bulk_finished`), until the channel closes.
    pub fn follow_bulk(&self, mut finished: broadcast::Receiver<BulkFinished>) -> JoinHandle<()> {
        let sender = self.clone();
        self.shared.spawn(async move {
            loop {
                let f = match finished.recv().await {
                    Ok(f) => f,
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "webhook sender fell behind bulk operations");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let body = payload::bulk_operations_finish(
                    f.id,
                    f.status.as_enum(),
                    f.error_code,
                    "QUERY",
                    f.created_at,
                    f.completed_at,
                );
                sender.send("bulk_operations/finish", body);
            }
        })
    }

    /// Sends `payload` as `topic` to every subscription of it; returns how many deliveries were
    /// queued (dropped ones not counted).
    pub fn send(&self, topic: &str, payload: Value) -> usize {
        self.send_event(WebhookEvent::new(topic, payload))
    }

    /// [`Self::send`] for a prepared event. Nothing is sent once the sender has shut down.
    pub fn send_event(&self, event: WebhookEvent) -> usize {
        if self.is_shut_down() {
            return 0;
        }
        let config = &self.shared.config;
        let targets = self.shared.subscribers.for_topic(&event.topic);
        // One event id for the event, one webhook id per subscription (shopify.md §3.4).
        let event_id = new_uuid();
        let triggered_at = OffsetDateTime::now_utc();
        let mut queued = 0;
        for target in targets {
            let body = include_fields(&event.payload, &target.include_fields);
            let envelope = Envelope {
                topic: event.topic.clone(),
                shop_domain: config.shop_domain.clone(),
                api_version: (target.api_version.clone())
                    .unwrap_or_else(|| config.api_version.clone()),
                webhook_id: new_uuid(),
                event_id: event_id.clone(),
                triggered_at,
                name: target.name.clone(),
                resource_header: resource_header(&event.topic, &event.payload),
                body: serde_json::to_vec(&body).unwrap_or_default(),
            };
            let roll = self.shared.dice.lock().expect("dice lock").roll();
            let delivery = Delivery {
                target,
                envelope,
                roll,
            };
            if roll.drop {
                self.shared.record_dropped(&delivery);
                continue;
            }
            self.shared.pending.send_modify(|n| *n += 1);
            self.worker(&delivery.target.id).send(delivery).ok();
            queued += 1;
        }
        queued
    }

    /// Every attempt so far (the last `LOG_LIMIT`), in the order they finished.
    pub fn attempts(&self) -> Vec<Attempt> {
        let attempts = self.shared.attempts.lock().expect("attempts lock");
        attempts.iter().cloned().collect()
    }

    pub fn faults(&self) -> WebhookFaults {
        self.shared.dice.lock().expect("dice lock").faults.clone()
    }

    pub fn set_faults(&self, faults: WebhookFaults) {
        self.shared.dice.lock().expect("dice lock").faults = faults;
    }

    /// Stops every task this sender started: followers, per-subscription workers (with what
    /// they had queued) and pending retries, including a POST in flight. Later `send`s do
    /// nothing. Idempotent; `RunningShopify` calls it when dropped.
    pub fn shutdown(&self) {
        self.shared.stop.cancel();
        self.shared.workers.lock().expect("workers lock").clear();
        // What was pending will never finish now; `settle` should not wait for it.
        self.shared.pending.send_replace(0);
    }

    pub fn is_shut_down(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Waits until every change the followed world has made so far has become deliveries, and
    /// nothing is queued, held back or waiting for a retry; false if `limit` ran out first.
    /// (Changes reach the sender through a channel: right after a change, nothing may be
    /// pending yet only because the sender has not read it.)
    pub async fn settle(&self, limit: Duration) -> bool {
        let made = (self.shared.followed.lock().expect("followed lock").clone())
            .map(|world| world.read().expect("world lock").changes_sent());
        let idle = async {
            if let Some(made) = made {
                let mut forwarded = self.shared.forwarded.subscribe();
                forwarded.wait_for(|n| *n >= made).await?;
            }
            let mut pending = self.shared.pending.subscribe();
            pending.wait_for(|n| *n == 0).await.map(|_| ())
        };
        matches!(tokio::time::timeout(limit, idle).await, Ok(Ok(())))
    }

    /// The worker queue of subscription `id`, started on first use.
    fn worker(&self, id: &str) -> mpsc::UnboundedSender<Delivery> {
        let mut workers = self.shared.workers.lock().expect("workers lock");
        if let Some(queue) = workers.get(id).filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (queue, deliveries) = mpsc::unbounded_channel();
        let shared = Arc::clone(&self.shared);
        self.shared.spawn(run_worker(shared, deliveries));
        workers.insert(id.to_owned(), queue.clone());
        queue
    }
}

/// Sends one subscription's deliveries in order, holding back the ones the out-of-order fault
/// picked until the next one has gone (or `hold_limit` passes).
async fn run_worker(shared: Arc<Shared>, mut deliveries: mpsc::UnboundedReceiver<Delivery>) {
    let mut held: Option<Delivery> = None;
    loop {
        let next = if held.is_some() {
            let limit = shared.config.hold_limit;
            tokio::time::timeout(limit, deliveries.recv()).await.ok()
        } else {
            Some(deliveries.recv().await)
        };
        match next {
            Some(Some(delivery)) if delivery.roll.hold && held.is_none() => held = Some(delivery),
            Some(Some(delivery)) => {
                first_attempt(&shared, delivery, false).await;
                if let Some(late) = held.take() {
                    first_attempt(&shared, late, true).await;
                }
            }
            // The hold ran out with nothing behind it, or the queue closed.
            timed_out_or_closed => {
                if let Some(late) = held.take() {
                    first_attempt(&shared, late, true).await;
                }
                if timed_out_or_closed.is_some() {
                    return;
                }
            }
        }
    }
}

/// Attempt 1; on failure the retries continue in their own task.
async fn first_attempt(shared: &Arc<Shared>, delivery: Delivery, held_back: bool) {
    let (ok, subscribed) = shared.attempt(&delivery, 1, false, held_back).await;
    if ok {
        shared.duplicate(&delivery, 1, held_back).await;
    }
    if ok || !subscribed {
        shared.finish();
        return;
    }
    let retrying = Arc::clone(shared);
    shared.spawn(async move {
        let shared = retrying;
        for retry in 1..=RETRIES {
            tokio::time::sleep(shared.config.scaled(retry_delay(retry))).await;
            let (ok, subscribed) = shared.attempt(&delivery, retry + 1, false, held_back).await;
            if ok {
                shared.duplicate(&delivery, retry + 1, held_back).await;
            }
            if ok || !subscribed {
                break;
            }
        }
        shared.finish();
    });
}

impl Shared {
    /// One POST, reported to the subscription store and recorded. Returns (delivered,
    /// subscription still exists).
    async fn attempt(
        &self,
        d: &Delivery,
        attempt: u32,
        duplicate: bool,
        held_back: bool,
    ) -> (bool, bool) {
        let at = OffsetDateTime::now_utc();
        let uri = &d.target.uri;
        let result = deliver::post(&self.client, uri, &self.config.secret, &d.envelope).await;
        let ok = result.ok();
        let subscribed = self.subscribers.record_delivery_result(&d.target.id, ok);
        self.record(Attempt {
            attempt,
            duplicate,
            held_back,
            outcome: if ok {
                Outcome::Delivered
            } else {
                Outcome::Failed
            },
            status: result.status,
            error: result.error,
            duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
            at,
            ..attempt_of(d)
        });
        (ok, subscribed)
    }

    /// The duplicate fault: the same delivery, same webhook id, once more after it succeeded.
    async fn duplicate(&self, d: &Delivery, attempt: u32, held_back: bool) {
        if d.roll.duplicate {
            self.attempt(d, attempt, true, held_back).await;
        }
    }

    fn record_dropped(&self, d: &Delivery) {
        self.record(Attempt {
            at: OffsetDateTime::now_utc(),
            ..attempt_of(d)
        });
    }

    fn record(&self, attempt: Attempt) {
        let mut attempts = self.attempts.lock().expect("attempts lock");
        if attempts.len() == LOG_LIMIT {
            attempts.pop_front();
        }
        attempts.push_back(attempt);
    }

    fn finish(&self) {
        self.pending.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// The record of `d` before any attempt: what a dropped delivery logs.
fn attempt_of(d: &Delivery) -> Attempt {
    Attempt {
        subscription_id: d.target.id.clone(),
        uri: d.target.uri.clone(),
        topic: d.envelope.topic.clone(),
        webhook_id: d.envelope.webhook_id.clone(),
        event_id: d.envelope.event_id.clone(),
        attempt: 0,
        duplicate: false,
        held_back: false,
        outcome: Outcome::Dropped,
        status: None,
        error: None,
        duration_ms: 0,
        at: d.envelope.triggered_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_over_about_four_hours() {
        let waits: Vec<u64> = (1..=RETRIES).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(waits, [56, 112, 224, 448, 896, 1792, 3584, 7168]);
        let total: u64 = waits.iter().sum();
        assert!(
            (3 * 3600 + 50 * 60..=4 * 3600).contains(&total),
            "{total} s"
        );
        let config = SenderConfig {
            time_scale: 1e-3,
            ..SenderConfig::new("s")
        };
        assert_eq!(config.scaled(retry_delay(1)), Duration::from_millis(56));
        let broken = SenderConfig {
            time_scale: -1.0,
            ..SenderConfig::new("s")
        };
        assert_eq!(broken.scaled(retry_delay(1)), Duration::ZERO);
    }
}
