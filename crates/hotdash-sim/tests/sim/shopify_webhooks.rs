//! The Shopify webhook sender against a real receiver on 127.0.0.1:0: Shopify's headers and
//! HMAC (checked independently here and by Shopify's own Node library), retries with backoff,
//! removal of a failing API subscription, the duplicate, out-of-order and drop faults,
//! subscriptions managed through the Admin API end to end (create, list by `uri`, move to
//! another address, delete; app-configured ones invisible to it), and a dropped simulator
//! going quiet.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hotdash_sim::server::{RunningServer, any_loopback};
use hotdash_sim::shopify::subscriptions::{NewSubscription, SubscriptionRegistry};
use hotdash_sim::shopify::webhooks::{
    MemorySubscribers, Outcome, SenderConfig, Target, WebhookFaults, WebhookSender, payload,
    send_order,
};
use hotdash_sim::world::model::{FinancialStatus, LineItem, Order, OrderFulfillmentStatus};
use serde_json::{Value, json};
use sha2::Sha256;
use time::macros::datetime;

const SECRET: &str = "hush-its-a-simulator";
const SETTLE: Duration = Duration::from_secs(10);

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        (self.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A webhook endpoint that records every request and answers from a script of statuses
/// (then `then`), optionally after a delay.
#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    then: u16,
    delay: Duration,
}

impl Receiver {
    async fn start(script: &[u16], then: u16, delay: Duration) -> (Receiver, RunningServer) {
        let receiver = Receiver {
            seen: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            then,
            delay,
        };
        let app = Router::new()
            .route("/webhooks/shopify", post(receive))
            .with_state(receiver.clone());
        let server = RunningServer::start(any_loopback(), app)
            .await
            .expect("bind");
        (receiver, server)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    r.seen.lock().unwrap().push(Seen { headers, body, at });
    let status = r.script.lock().unwrap().pop_front().unwrap_or(r.then);
    tokio::time::sleep(r.delay).await;
    StatusCode::from_u16(status).unwrap()
}

fn hook(server: &RunningServer) -> String {
    format!("{}/webhooks/shopify", server.url())
}

fn target(id: &str, server: &RunningServer) -> Target {
    Target {
        id: id.into(),
        uri: hook(server),
        name: None,
        include_fields: vec![],
        api_version: None,
    }
}

/// A sender with fast retries (all eight in ~0.15 s) and a short hold for out-of-order.
fn sender(subscribers: Arc<MemorySubscribers>, time_scale: f64) -> WebhookSender {
    let config = SenderConfig {
        time_scale,
        hold_limit: Duration::from_millis(200),
        seed: 42,
        ..SenderConfig::new(SECRET)
    };
    WebhookSender::new(config, subscribers)
}

fn independent_hmac(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Order #1001: two AN fittings, paid in CAD.
fn order(id: u64) -> Order {
    let at = datetime!(2026-11-20 15:04:05 UTC);
    let line = |n: u64, sku: &str, qty: i64, cents: i64| LineItem {
        id: id * 10 + n,
        product_id: 700 + n,
        variant_id: 800 + n,
        sku: sku.into(),
        title: format!("AN fitting {n}"),
        variant_title: "AN-6".into(),
        quantity: qty,
        unit_price_cents: cents,
        total_discount_cents: 0,
    };
    Order {
        id,
        number: 1001,
        name: "#1001".into(),
        email: "buyer@example.com".into(),
        customer_id: 42,
        created_at: at,
        processed_at: at,
        updated_at: at + Duration::from_secs(60),
        cancelled_at: None,
        closed_at: None,
        currency_code: "USD".into(),
        presentment_currency_code: "CAD".into(),
        presentment_rate: 1.37,
        financial_status: FinancialStatus::PartiallyRefunded,
        fulfillment_status: OrderFulfillmentStatus::Unfulfilled,
        source_name: "web".into(),
        tags: vec!["AN-6".into(), "wholesale".into()],
        shipping_country_code: "CA".into(),
        line_items: vec![
            line(1, "HRA-STRAIGHT-6", 2, 1299),
            line(2, "HRA-HOSE-6", 1, 4550),
        ],
        subtotal_cents: 7148,
        total_discounts_cents: 0,
        total_shipping_cents: 1000,
        total_tax_cents: 0,
        total_price_cents: 8148,
        total_refunded_cents: 0,
        refunds: vec![],
        fulfillment_orders: vec![],
        fulfillments: vec![],
    }
}

#[tokio::test]
async fn deliveries_carry_shopifys_headers_and_a_verifiable_hmac() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    let named = Target {
        name: Some("hotdash-orders".into()),
        ..target("gid://shopify/WebhookSubscription/1", &server)
    };
    subs.add("orders/create", named, true);
    subs.add(
        "orders/create",
        target("gid://shopify/WebhookSubscription/2", &server),
        true,
    );
    let sender = sender(subs, 1e-5);

    assert_eq!(
        sender.send("orders/create", payload::order(&order(5001))),
        2
    );
    assert!(sender.settle(SETTLE).await);

    let seen = receiver.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(
            s.header("x-shopify-hmac-sha256"),
            independent_hmac(SECRET, &s.body)
        );
        assert_eq!(s.header("content-type"), "application/json");
        assert_eq!(s.header("user-agent"), "Shopify-Captain-Hook");
        assert_eq!(s.header("x-shopify-topic"), "orders/create");
        assert_eq!(s.header("x-shopify-shop-domain"), "hotrodan.myshopify.com");
        assert_eq!(s.header("x-shopify-api-version"), "2026-07");
        assert_eq!(s.header("x-shopify-order-id"), "5001");
        let triggered = s.header("x-shopify-triggered-at");
        let (_, fraction) = triggered.split_once('.').expect("fractional seconds");
        assert_eq!(fraction.len(), 10, "nine digits and Z: {triggered}");
        assert!(fraction.ends_with('Z'));
        time::OffsetDateTime::parse(triggered, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
        assert_eq!(s.header("x-shopify-webhook-id").len(), 36);
        // The fields HotDash's parser requires, with the types it requires.
        let body = s.json();
        assert_eq!(body["id"], 5001);
        assert_eq!(body["admin_graphql_api_id"], "gid://shopify/Order/5001");
        assert_eq!(body["name"], "#1001");
        assert_eq!(body["currency"], "USD");
        assert_eq!(body["total_price"], "81.48");
        assert_eq!(
            body["total_price_set"]["presentment_money"]["amount"],
            "111.63"
        );
        assert_eq!(body["financial_status"], "partially_refunded");
        assert_eq!(body["fulfillment_status"], Value::Null);
        assert_eq!(body["created_at"], "2026-11-20T08:04:05-07:00");
        assert_eq!(body["line_items"][1]["sku"], "HRA-HOSE-6");
        assert_eq!(body["line_items"][1]["price"], "45.50");
        assert_eq!(body["line_items"][0]["quantity"], 2);
        assert_eq!(body["line_items"][0]["fulfillable_quantity"], 2);
    }
    let header = |i: usize, name: &str| seen[i].header(name).to_owned();
    assert_eq!(header(0, "x-shopify-name"), "hotdash-orders");
    assert!(seen[1].headers.get("x-shopify-name").is_none());
    // One event, two subscriptions: one event id, two webhook ids.
    assert_eq!(
        header(0, "x-shopify-event-id"),
        header(1, "x-shopify-event-id")
    );
    assert_ne!(
        header(0, "x-shopify-webhook-id"),
        header(1, "x-shopify-webhook-id")
    );
    let attempts = sender.attempts();
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome == Outcome::Delivered && a.status == Some(200))
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_growing_waits_then_succeeds() {
    let (receiver, server) = Receiver::start(&[500, 503, 404], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("inventory_levels/update", target("sub", &server), true);
    // 1e-3: waits of 56, 112 and 224 ms.
    let sender = sender(subs.clone(), 1e-3);
    let level = json!({"inventory_item_id": 9001, "location_id": 1, "available": 3,
                       "updated_at": "2026-11-20T15:04:05+00:00"});
    sender.send("inventory_levels/update", level);
    assert!(sender.settle(SETTLE).await);

    let seen = receiver.seen();
    assert_eq!(seen.len(), 4);
    // Retries resend the original delivery: same id, same bytes.
    for s in &seen[1..] {
        assert_eq!(
            s.header("x-shopify-webhook-id"),
            seen[0].header("x-shopify-webhook-id")
        );
        assert_eq!(
            s.header("x-shopify-triggered-at"),
            seen[0].header("x-shopify-triggered-at")
        );
        assert_eq!(s.body, seen[0].body);
    }
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (gap, floor_ms) in gaps.iter().zip([56, 112, 224]) {
        assert!(*gap >= Duration::from_millis(floor_ms), "{gaps:?}");
    }
    assert!(gaps[2] > gaps[0], "backoff grows: {gaps:?}");
    let outcomes: Vec<(u32, Outcome, Option<u16>)> = (sender.attempts().iter())
        .map(|a| (a.attempt, a.outcome, a.status))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, Outcome::Failed, Some(500)),
            (2, Outcome::Failed, Some(503)),
            (3, Outcome::Failed, Some(404)),
            (4, Outcome::Delivered, Some(200)),
        ]
    );
    assert_eq!(subs.ids(), ["sub"]);
}

#[tokio::test]
async fn an_api_subscription_is_removed_after_eight_consecutive_failures() {
    let (receiver, server) = Receiver::start(&[], 500, Duration::ZERO).await;
    let registry = SubscriptionRegistry::new("2026-07");
    let new = |topic: &str| NewSubscription {
        topic: topic.into(),
        uri: hook(&server),
        ..NewSubscription::default()
    };
    let api = registry.create(new("ORDERS_UPDATED"));
    let app = registry.create_app_subscription(new("ORDERS_UPDATED"));
    let config = SenderConfig {
        time_scale: 1e-5,
        ..SenderConfig::new(SECRET)
    };
    let sender = WebhookSender::new(config, Arc::new(registry.clone()));
    sender.send("orders/updated", payload::order(&order(5002)));
    assert!(sender.settle(SETTLE).await);

    let attempts = sender.attempts();
    let count = |id: u64| {
        let gid = format!("gid://shopify/WebhookSubscription/{id}");
        (attempts.iter())
            .filter(|a| a.subscription_id == gid)
            .count()
    };
    // The API subscription is deleted at its 8th failure, which also ends the retries; the
    // app-configured one keeps its subscription and gets all 1 + 8 attempts.
    assert_eq!(count(api.id), 8);
    assert_eq!(count(app.id), 9);
    assert!(attempts.iter().all(|a| a.outcome == Outcome::Failed));
    assert_eq!(registry.get(api.id), None);
    assert!(registry.get(app.id).is_some());
    assert_eq!(receiver.seen().len(), 17);

    // Nothing goes to the removed subscription any more.
    sender.send("orders/updated", payload::order(&order(5002)));
    assert!(sender.settle(SETTLE).await);
    assert_eq!(sender.attempts().len() - attempts.len(), 9);
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_fails_the_attempt() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::from_secs(2)).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("products/update", target("slow", &server), false);
    // Shopify allows 5 s; a shorter limit keeps the test quick and means the same.
    let config = SenderConfig {
        timeout: Duration::from_millis(300),
        time_scale: 1e-5,
        ..SenderConfig::new(SECRET)
    };
    assert_eq!(SenderConfig::new(SECRET).timeout, Duration::from_secs(5));
    assert_eq!(
        SenderConfig::new(SECRET).connect_timeout,
        Duration::from_secs(1)
    );
    let sender = WebhookSender::new(config, subs);
    sender.send("products/update", json!({"id": 1, "title": "AN-6 union"}));
    assert!(sender.settle(SETTLE).await);

    let attempts = sender.attempts();
    assert_eq!(attempts.len(), 9);
    assert_eq!(receiver.seen().len(), 9);
    for a in &attempts {
        assert_eq!(a.outcome, Outcome::Failed);
        assert_eq!(a.status, None);
        assert!(
            a.error.as_deref().unwrap_or("").starts_with("timeout"),
            "{a:?}"
        );
        assert!((300..1500).contains(&a.duration_ms), "{a:?}");
    }
}

#[tokio::test]
async fn duplicates_resend_the_same_webhook_id() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("orders/paid", target("sub", &server), true);
    let sender = sender(subs, 1e-5);
    sender.set_faults(WebhookFaults {
        duplicate_rate: 1.0,
        ..WebhookFaults::default()
    });
    for id in 1..=3 {
        sender.send("orders/paid", payload::order(&order(id)));
    }
    assert!(sender.settle(SETTLE).await);

    let ids: Vec<String> = (receiver.seen().iter())
        .map(|s| s.header("x-shopify-webhook-id").to_owned())
        .collect();
    assert_eq!(ids.len(), 6);
    for pair in ids.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
    assert_ne!(ids[0], ids[2]);
    let duplicates = sender.attempts().iter().filter(|a| a.duplicate).count();
    assert_eq!(duplicates, 3);
}

#[tokio::test]
async fn out_of_order_holds_a_delivery_until_a_later_one_has_gone() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("orders/updated", target("sub", &server), true);
    let sender = sender(subs, 1e-5);
    sender.set_faults(WebhookFaults {
        out_of_order_rate: 1.0,
        ..WebhookFaults::default()
    });
    for id in 1..=4 {
        sender.send("orders/updated", payload::order(&order(id)));
    }
    assert!(sender.settle(SETTLE).await);

    // Each held delivery goes right after the next one: 2, 1, 4, 3 (the last after the hold
    // limit, with nothing behind it).
    let order_ids: Vec<u64> = (receiver.seen().iter())
        .map(|s| s.json()["id"].as_u64().unwrap())
        .collect();
    assert_eq!(order_ids, [2, 1, 4, 3]);
    let held: Vec<bool> = sender.attempts().iter().map(|a| a.held_back).collect();
    assert_eq!(held, [false, true, false, true]);
}

#[tokio::test]
async fn dropped_deliveries_are_never_sent_but_are_counted_over_the_admin_routes() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("orders/create", target("sub", &server), true);
    let sender = sender(subs, 1e-5);
    let admin = RunningServer::start(
        any_loopback(),
        hotdash_sim::shopify::webhooks::routes(sender.clone()),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let faults = json!({"drop_rate": 0.5});
    let set: Value = (http.put(format!("{}/__sim/shopify/webhook-faults", admin.url())))
        .json(&faults)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        set,
        json!({"duplicate_rate": 0.0, "out_of_order_rate": 0.0, "drop_rate": 0.5})
    );

    for id in 1..=20 {
        sender.send("orders/create", payload::order(&order(id)));
    }
    assert!(sender.settle(SETTLE).await);

    let list = |query: &'static str| {
        let url = format!("{}/__sim/shopify/deliveries{query}", admin.url());
        let http = http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };
    let dropped = list("?outcome=dropped").await;
    let delivered = list("?outcome=delivered&topic=orders/create").await;
    assert!(
        !dropped.is_empty() && !delivered.is_empty(),
        "seed 42 drops some, not all"
    );
    assert_eq!(dropped.len() + delivered.len(), 20);
    assert_eq!(receiver.seen().len(), delivered.len());
    assert!(
        dropped
            .iter()
            .all(|d| d["attempt"] == 0 && d["status"].is_null())
    );
    // The receiver never saw a dropped webhook id.
    let seen: Vec<String> = (receiver.seen().iter())
        .map(|s| s.header("x-shopify-webhook-id").to_owned())
        .collect();
    assert!(
        dropped
            .iter()
            .all(|d| !seen.contains(&d["webhook_id"].as_str().unwrap().to_owned()))
    );

    // Clearing the faults over HTTP stops the drops.
    let cleared = http
        .delete(format!("{}/__sim/shopify/webhook-faults", admin.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    sender.send("orders/create", payload::order(&order(99)));
    assert!(sender.settle(SETTLE).await);
    assert_eq!(receiver.seen().len(), delivered.len() + 1);
}

#[tokio::test]
async fn send_order_signs_one_delivery_for_a_given_url_and_secret() {
    let (receiver, server) = Receiver::start(&[], 202, Duration::ZERO).await;
    let sent = send_order(
        &hook(&server),
        "other-secret",
        "orders/cancelled",
        &order(7),
        "hotrodan.myshopify.com",
    )
    .await;
    assert_eq!(sent.result.status, Some(202));
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, sent.envelope.body);
    assert_eq!(seen[0].header("x-shopify-topic"), "orders/cancelled");
    assert_eq!(
        seen[0].header("x-shopify-hmac-sha256"),
        independent_hmac("other-secret", &seen[0].body)
    );
    assert_ne!(
        seen[0].header("x-shopify-hmac-sha256"),
        independent_hmac(SECRET, &seen[0].body)
    );
}

#[tokio::test]
async fn store_changes_become_webhooks_with_the_stores_data() {
    use hotdash_sim::world::{Change, Scale, World, WorldConfig};
    use rand::SeedableRng;

    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    for topic in ["orders/create", "inventory_levels/update"] {
        subs.add(topic, target(topic, &server), true);
    }
    let sender = sender(subs, 1e-5);
    let now = datetime!(2026-06-15 18:30 UTC);
    let world = World::generate(WorldConfig {
        seed: 7,
        scale: Scale::Small,
        now,
    });
    let changes = world.subscribe();
    let world = Arc::new(std::sync::RwLock::new(world));
    let follower = sender.follow(world.clone(), changes);

    // A busy simulated day: 4 orders an hour for 12 hours.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let made =
        (world.write().unwrap()).advance(now + Duration::from_secs(12 * 3600), 4.0, &mut rng);
    let created: Vec<u64> = (made.iter())
        .filter_map(|c| match c {
            Change::OrderCreated { order_id } => Some(*order_id),
            _ => None,
        })
        .collect();
    let levels = (made.iter())
        .filter(|c| matches!(c, Change::InventoryLevelUpdated { .. }))
        .count();
    assert!(!created.is_empty() && levels > 0, "{made:?}");

    let expected = created.len() + levels;
    let deadline = Instant::now() + SETTLE;
    while sender.attempts().len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sender.settle(SETTLE).await);
    follower.abort();

    let seen = receiver.seen();
    assert_eq!(seen.len(), expected);
    let orders: Vec<Value> = (seen.iter())
        .filter(|s| s.header("x-shopify-topic") == "orders/create")
        .map(Seen::json)
        .collect();
    let ids: Vec<u64> = orders.iter().map(|o| o["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, created);
    let w = world.read().unwrap();
    for body in &orders {
        let order = w.order(body["id"].as_u64().unwrap()).unwrap();
        assert_eq!(body["name"], order.name);
        assert_eq!(
            body["total_price"],
            hotdash_sim::world::model::decimal(order.total_price_cents)
        );
        assert_eq!(
            body["line_items"].as_array().unwrap().len(),
            order.line_items.len()
        );
    }
    for s in seen
        .iter()
        .filter(|s| s.header("x-shopify-topic") == "inventory_levels/update")
    {
        let body = s.json();
        let item = body["inventory_item_id"].as_u64().unwrap();
        let location = body["location_id"].as_u64().unwrap();
        let level = w.inventory_level(item, location).unwrap();
        assert_eq!(body["available"], level.available);
        assert_eq!(
            s.header("x-shopify-hmac-sha256"),
            independent_hmac(SECRET, &s.body)
        );
    }
}

#[tokio::test]
async fn finished_bulk_operations_are_announced_in_lowercase() {
    use hotdash_sim::shopify::{BulkFinished, BulkStatus};

    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let subs = Arc::new(MemorySubscribers::new());
    subs.add("bulk_operations/finish", target("bulk", &server), true);
    let sender = sender(subs, 1e-5);
    let (finished, rx) = tokio::sync::broadcast::channel(4);
    let follower = sender.follow_bulk(rx);
    let at = datetime!(2026-11-20 15:04:05 UTC);
    finished
        .send(BulkFinished {
            id: 4039184154813,
            admin_graphql_api_id: "gid://shopify/BulkOperation/4039184154813".into(),
            status: BulkStatus::Failed,
            error_code: Some("ACCESS_DENIED"),
            created_at: at,
            completed_at: None,
        })
        .unwrap();
    let deadline = Instant::now() + SETTLE;
    while receiver.seen().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    follower.abort();
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-shopify-topic"), "bulk_operations/finish");
    assert_eq!(
        seen[0].json(),
        json!({"admin_graphql_api_id": "gid://shopify/BulkOperation/4039184154813",
               "completed_at": null, "created_at": "2026-11-20T08:04:05-07:00",
               "error_code": "access_denied", "status": "failed", "type": "query"})
    );
}

/// A running Shopify simulator over the shared small store, retrying at `time_scale`.
async fn shopify_sim(time_scale: f64) -> hotdash_sim::shopify::RunningShopify {
    let config = hotdash_sim::shopify::ShopifyConfig {
        webhooks: SenderConfig {
            time_scale,
            ..SenderConfig::new(SECRET)
        },
        ..hotdash_sim::shopify::ShopifyConfig::default()
    };
    hotdash_sim::shopify::start(crate::shopify::world(), config)
        .await
        .expect("start shopify")
}

/// One GraphQL request from `tests/graphql/<name>.graphql`; the response body.
async fn graphql(
    shop: &hotdash_sim::shopify::RunningShopify,
    name: &str,
    variables: Value,
) -> Value {
    let body = json!({"query": crate::shopify::document(name), "variables": variables});
    let response = reqwest::Client::new()
        .post(shop.graphql_url())
        .header("X-Shopify-Access-Token", shop.access_token())
        .json(&body)
        .send()
        .await
        .expect("graphql");
    response.json().await.expect("json")
}

/// Waits until `receiver` has seen `n` requests (or SETTLE passes).
async fn wait_for(receiver: &Receiver, n: usize) {
    let deadline = Instant::now() + SETTLE;
    while receiver.seen().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn api_subscriptions_get_deliveries_at_their_uri_and_follow_an_update() {
    let (first, first_server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let (second, second_server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let shop = shopify_sim(1e-5).await;

    let created = graphql(
        &shop,
        "webhook_subscription_create",
        json!({"topic": "ORDERS_CREATE", "sub": {"uri": hook(&first_server), "format": "JSON"}}),
    )
    .await;
    let created = &created["data"]["webhookSubscriptionCreate"];
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let id = created["webhookSubscription"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A delivery goes to the address the API was given.
    assert_eq!(
        shop.webhooks
            .send("orders/create", payload::order(&order(5101))),
        1
    );
    assert!(shop.webhooks.settle(SETTLE).await);
    assert_eq!(first.seen().len(), 1);
    assert_eq!(first.seen()[0].header("x-shopify-topic"), "orders/create");
    assert_eq!(first.seen()[0].json()["id"], 5101);
    assert!(second.seen().is_empty());

    // Finding it by address, as a client checking its subscriptions would.
    let at = |uri: String| json!({"uri": uri});
    let listed = graphql(
        &shop,
        "webhook_subscriptions_by_uri",
        at(hook(&first_server)),
    )
    .await;
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["nodes"],
        json!([{"id": id, "topic": "ORDERS_CREATE", "uri": hook(&first_server)}]),
        "{listed}"
    );
    let elsewhere = graphql(
        &shop,
        "webhook_subscriptions_by_uri",
        at(hook(&second_server)),
    )
    .await;
    assert_eq!(
        elsewhere["data"]["webhookSubscriptions"]["nodes"],
        json!([])
    );

    // Fixing a wrong address: the next delivery goes to the new one only.
    let updated = graphql(
        &shop,
        "webhook_subscription_update",
        json!({"id": id, "sub": {"uri": hook(&second_server)}}),
    )
    .await;
    let updated = &updated["data"]["webhookSubscriptionUpdate"];
    assert_eq!(updated["userErrors"], json!([]), "{updated}");
    assert_eq!(
        updated["webhookSubscription"]["uri"],
        json!(hook(&second_server))
    );
    assert_eq!(updated["webhookSubscription"]["topic"], "ORDERS_CREATE");
    shop.webhooks
        .send("orders/create", payload::order(&order(5102)));
    assert!(shop.webhooks.settle(SETTLE).await);
    assert_eq!(first.seen().len(), 1);
    assert_eq!(second.seen().len(), 1);
    assert_eq!(second.seen()[0].json()["id"], 5102);
    let listed = graphql(
        &shop,
        "webhook_subscriptions_by_uri",
        at(hook(&second_server)),
    )
    .await;
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["nodes"][0]["id"],
        json!(id)
    );
    assert_eq!(listed["data"]["webhookSubscriptionsCount"]["count"], 1);

    // A second subscription to the topic cannot move onto the first one's address.
    let other = graphql(
        &shop,
        "webhook_subscription_create",
        json!({"topic": "ORDERS_CREATE", "sub": {"uri": hook(&first_server)}}),
    )
    .await;
    let other_id = other["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"].clone();
    let clash = graphql(
        &shop,
        "webhook_subscription_update",
        json!({"id": other_id, "sub": {"uri": hook(&second_server)}}),
    )
    .await;
    assert_eq!(
        clash["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["message"],
        "Address for this topic has already been taken"
    );
    // An unknown id is a user error, not a crash.
    let missing = graphql(
        &shop,
        "webhook_subscription_update",
        json!({"id": "gid://shopify/WebhookSubscription/1", "sub": {"uri": hook(&second_server)}}),
    )
    .await;
    assert_eq!(
        missing["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["message"],
        "Webhook subscription does not exist"
    );

    // Deleted, it gets nothing more.
    for id in [json!(id), other_id] {
        let deleted = graphql(&shop, "webhook_subscription_delete", json!({"id": id})).await;
        assert_eq!(
            deleted["data"]["webhookSubscriptionDelete"]["userErrors"],
            json!([])
        );
    }
    assert_eq!(
        shop.webhooks
            .send("orders/create", payload::order(&order(5103))),
        0
    );
}

#[tokio::test]
async fn app_configured_subscriptions_are_delivered_to_but_hidden_from_the_admin_api() {
    let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
    let shop = shopify_sim(1e-5).await;
    let app = shop
        .subscriptions()
        .create_app_subscription(NewSubscription {
            topic: "ORDERS_CREATE".into(),
            uri: hook(&server),
            ..NewSubscription::default()
        });
    let app_gid = format!("gid://shopify/WebhookSubscription/{}", app.id);

    // Shopify lists only the shop-specific subscriptions the API made.
    let listed = graphql(&shop, "webhook_subscriptions_by_uri", json!({"uri": null})).await;
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["nodes"],
        json!([]),
        "{listed}"
    );
    assert_eq!(listed["data"]["webhookSubscriptionsCount"]["count"], 0);
    let found = graphql(
        &shop,
        "node_lookup",
        json!({"id": app_gid, "ids": [app_gid]}),
    )
    .await;
    assert_eq!(found["data"]["node"], Value::Null);
    assert_eq!(found["data"]["nodes"], json!([null]));
    let update = graphql(
        &shop,
        "webhook_subscription_update",
        json!({"id": app_gid, "sub": {"uri": "http://127.0.0.1:9/elsewhere"}}),
    )
    .await;
    assert_eq!(
        update["data"]["webhookSubscriptionUpdate"]["userErrors"][0]["message"],
        "Webhook subscription does not exist"
    );
    let delete = graphql(&shop, "webhook_subscription_delete", json!({"id": app_gid})).await;
    assert_eq!(
        delete["data"]["webhookSubscriptionDelete"]["userErrors"][0]["message"],
        "Webhook subscription does not exist"
    );
    assert_eq!(
        shop.subscriptions().get(app.id).map(|s| s.uri),
        Some(hook(&server))
    );

    // So a client that creates its "missing" subscription gets a second one at the same
    // address, and each delivers.
    let created = graphql(
        &shop,
        "webhook_subscription_create",
        json!({"topic": "ORDERS_CREATE", "sub": {"uri": hook(&server)}}),
    )
    .await;
    assert_eq!(
        created["data"]["webhookSubscriptionCreate"]["userErrors"],
        json!([])
    );
    assert_eq!(
        shop.webhooks
            .send("orders/create", payload::order(&order(5104))),
        2
    );
    assert!(shop.webhooks.settle(SETTLE).await);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(
        seen[0].header("x-shopify-webhook-id"),
        seen[1].header("x-shopify-webhook-id")
    );
    let listed = graphql(
        &shop,
        "webhook_subscriptions_by_uri",
        json!({"uri": hook(&server)}),
    )
    .await;
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_dropped_simulator_stops_its_webhook_workers_and_retries() {
    // One receiver always fails (retries at 112, 224, 448, 896 ms...), one is slow (deliveries
    // queue behind each other in its worker).
    let (failing, failing_server) = Receiver::start(&[], 500, Duration::ZERO).await;
    let (slow, slow_server) = Receiver::start(&[], 200, Duration::from_millis(300)).await;
    let shop = shopify_sim(2e-3).await;
    let subscribe = |topic: &str, server: &RunningServer| NewSubscription {
        topic: topic.into(),
        uri: hook(server),
        ..NewSubscription::default()
    };
    shop.subscriptions()
        .create_app_subscription(subscribe("ORDERS_UPDATED", &failing_server));
    shop.subscriptions()
        .create_app_subscription(subscribe("ORDERS_CREATE", &slow_server));
    let sender = shop.webhooks.clone();
    sender.send("orders/updated", payload::order(&order(5201)));
    for id in 5202..5207 {
        sender.send("orders/create", payload::order(&order(id)));
    }
    wait_for(&failing, 1).await;
    wait_for(&slow, 1).await;

    drop(shop);
    let (failed_at_drop, slow_at_drop) = (failing.seen().len(), slow.seen().len());
    assert_eq!((failed_at_drop, slow_at_drop), (1, 1));
    // Long enough for three retries and three more queued deliveries, had they lived on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        failing.seen().len(),
        failed_at_drop,
        "a retry went out after the drop"
    );
    assert_eq!(
        slow.seen().len(),
        slow_at_drop,
        "a queued delivery went out after the drop"
    );
    assert!(sender.is_shut_down());
    assert_eq!(
        sender.send("orders/create", payload::order(&order(5207))),
        0
    );
    assert!(sender.settle(Duration::from_millis(10)).await);
}

mod official_client {
    //! Acceptance 1: Shopify's Node library (`@shopify/shopify-api`) validates what the sender
    //! signed and rejects tampered copies.

    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn node_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node")
    }

    /// A captured request as validate.mjs reads it.
    fn capture(id: &str, s: &Seen) -> Value {
        let headers: Vec<[&str; 2]> = (s.headers.iter())
            .filter(|(name, _)| {
                !matches!(
                    name.as_str(),
                    "host" | "content-length" | "accept" | "accept-encoding"
                )
            })
            .map(|(name, value)| [name.as_str(), value.to_str().unwrap()])
            .collect();
        json!({"id": id, "headers": headers, "body_base64": STANDARD.encode(&s.body)})
    }

    #[tokio::test]
    async fn official_node_client_validates_signed_deliveries() {
        if !node_dir()
            .join("node_modules/@shopify/shopify-api")
            .exists()
        {
            let why = "tests/clients/node/node_modules is missing: run `npm ci` there";
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return;
        }
        let (receiver, server) = Receiver::start(&[], 200, Duration::ZERO).await;
        let subs = Arc::new(MemorySubscribers::new());
        for topic in [
            "orders/create",
            "inventory_levels/update",
            "bulk_operations/finish",
        ] {
            subs.add(topic, target(topic, &server), true);
        }
        let sender = sender(subs, 1e-5);
        sender.send("orders/create", payload::order(&order(5001)));
        let level = json!({"inventory_item_id": 9001, "location_id": 1, "available": -2,
                           "updated_at": "2026-11-20T15:04:05+00:00"});
        sender.send("inventory_levels/update", level);
        let at = datetime!(2026-11-20 15:04:05 UTC);
        let finish = payload::bulk_operations_finish(77, "COMPLETED", None, "QUERY", at, Some(at));
        sender.send("bulk_operations/finish", finish);
        assert!(sender.settle(SETTLE).await);
        let seen = receiver.seen();
        assert_eq!(seen.len(), 3);

        let mut deliveries: Vec<Value> = (seen.iter().enumerate())
            .map(|(i, s)| capture(&format!("real-{i}"), s))
            .collect();
        // One byte of the body changed.
        let mut body_changed = seen[0].clone();
        let mut bytes = body_changed.body.to_vec();
        let digit = bytes.iter().position(|b| *b == b'5').unwrap();
        bytes[digit] = b'6';
        body_changed.body = bytes.into();
        deliveries.push(capture("tampered-body", &body_changed));
        // The signature header replaced by one made with another secret.
        let mut header_changed = seen[1].clone();
        let forged = independent_hmac("not-the-secret", &header_changed.body);
        header_changed
            .headers
            .insert("x-shopify-hmac-sha256", forged.parse().unwrap());
        deliveries.push(capture("tampered-hmac", &header_changed));

        let file = tempfile::NamedTempFile::new().unwrap();
        let input = json!({"secret": SECRET, "deliveries": deliveries});
        std::fs::write(file.path(), serde_json::to_vec(&input).unwrap()).unwrap();
        let output = Command::new("node")
            .arg(node_dir().join("validate.mjs"))
            .arg(file.path())
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: Vec<Value> = (stdout.lines())
            .filter_map(|l| l.strip_prefix("RESULT "))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let verdict = |id: &str| {
            let r = results
                .iter()
                .find(|r| r["id"] == id)
                .unwrap_or_else(|| panic!("{id}: {stdout}"));
            (r["valid"].as_bool().unwrap(), r.clone())
        };
        for (i, topic) in [
            "ORDERS_CREATE",
            "INVENTORY_LEVELS_UPDATE",
            "BULK_OPERATIONS_FINISH",
        ]
        .iter()
        .enumerate()
        {
            let (valid, r) = verdict(&format!("real-{i}"));
            assert!(valid, "{r}");
            assert_eq!(r["topic"], *topic);
            assert_eq!(r["domain"], "hotrodan.myshopify.com");
            assert_eq!(r["apiVersion"], "2026-07");
            assert_eq!(r["webhookId"], seen[i].header("x-shopify-webhook-id"));
            assert_eq!(r["eventId"], seen[i].header("x-shopify-event-id"));
            assert_eq!(r["triggeredAt"], seen[i].header("x-shopify-triggered-at"));
        }
        for id in ["tampered-body", "tampered-hmac"] {
            let (valid, r) = verdict(id);
            assert!(!valid, "{r}");
            assert_eq!(r["reason"], "invalid_hmac");
        }
    }
}
