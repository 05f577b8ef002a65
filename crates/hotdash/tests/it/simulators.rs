//! The vendor simulators deliver to HotDash's own endpoints end to end: signed by the simulator
//! exactly as the vendor signs, verified and stored by HotDash, and processed into the same
//! records the simulated store holds.

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use hotdash_sim::chatwoot::WebhookEvent;
use hotdash_sim::suite::{Live, Simulators, SuiteConfig, WebhookTarget};
use hotdash_sim::world::model::{decimal, gid};
use time::OffsetDateTime;

use crate::support::{CHATWOOT_SECRET, SHOPIFY_SECRET, TestApp};

fn target(app: &TestApp) -> WebhookTarget {
    WebhookTarget {
        hotdash_url: app.base.clone(),
        shopify_secret: SHOPIFY_SECRET.into(),
        chatwoot_secret: Some(CHATWOOT_SECRET.into()),
        retry_time_scale: 0.001,
    }
}

#[tokio::test]
async fn live_store_webhooks_from_the_simulators_are_accepted_and_processed() {
    let app = TestApp::spawn().await;
    let started = OffsetDateTime::now_utc();
    let sims = Simulators::start(SuiteConfig {
        webhooks: Some(target(&app)),
        live: Some(Live {
            orders_per_minute: 1200.0,
            time_scale: 3600.0,
        }),
        ..SuiteConfig::default()
    })
    .await
    .expect("simulators start");

    let deadline = Instant::now() + Duration::from_secs(30);
    let answered_creates = || {
        let attempts = sims.shopify.webhooks.attempts();
        let creates = attempts
            .iter()
            .filter(|a| a.topic == "orders/create" && a.status.is_some());
        creates.count()
    };
    while answered_creates() < 5 {
        assert!(
            Instant::now() < deadline,
            "the live store sent too few orders/create webhooks in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let world = sims.world.clone();
    let attempts = sims.shopify.webhooks.attempts();
    drop(sims);

    // Every delivery the simulator completed was accepted: right signature, headers and body.
    let answered: Vec<_> = attempts.iter().filter(|a| a.status.is_some()).collect();
    assert!(
        answered.iter().all(|a| a.status == Some(200)),
        "HotDash refused simulator deliveries: {:?}",
        answered
            .iter()
            .filter(|a| a.status != Some(200))
            .collect::<Vec<_>>()
    );
    let topics: std::collections::BTreeSet<&str> =
        answered.iter().map(|a| a.topic.as_str()).collect();
    assert!(
        topics.contains("inventory_levels/update"),
        "stock moves with orders: {topics:?}"
    );
    app.run_jobs().await;

    // Each live order HotDash was told about is stored as the store has it.
    let live_orders: Vec<_> = {
        let world = world.read().unwrap_or_else(PoisonError::into_inner);
        world
            .orders_by_created_at(None, Some(started), None)
            .collect()
    };
    let mut stored = 0;
    for order in &live_orders {
        let Some(row) = app
            .store
            .order(&gid("Order", order.id))
            .await
            .expect("store reads")
        else {
            continue;
        };
        stored += 1;
        assert_eq!(row.name, order.name);
        assert_eq!(row.total_price, decimal(order.total_price_cents));
        assert_eq!(row.currency, order.currency_code);
        assert_eq!(row.line_items.len(), order.line_items.len());
    }
    let creates = answered
        .iter()
        .filter(|a| a.topic == "orders/create")
        .count();
    assert!(
        stored >= creates,
        "{creates} orders/create accepted but only {stored} orders stored"
    );
}

#[tokio::test]
async fn chatwoot_conversations_and_messages_from_the_simulator_join_under_one_account() {
    let app = TestApp::spawn().await;
    let sims = Simulators::start(SuiteConfig::default())
        .await
        .expect("simulators start");
    let conversation = {
        let world = sims.world.read().unwrap_or_else(PoisonError::into_inner);
        let with_messages = world.conversations().iter().find(|c| {
            c.messages
                .iter()
                .any(|m| !m.private && m.message_type.as_int() < 2)
        });
        with_messages.expect("a conversation with messages").clone()
    };
    let url = app.url("/webhooks/chatwoot");
    for event in [
        WebhookEvent::ConversationCreated,
        WebhookEvent::MessageCreated,
    ] {
        let deliveries = sims
            .chatwoot
            .webhooks()
            .send_to(&url, Some(CHATWOOT_SECRET), event, conversation.id)
            .await
            .expect("the simulator sends");
        assert!(!deliveries.is_empty());
        for delivery in deliveries {
            assert_eq!(delivery.status, Some(200), "{delivery:?}");
        }
    }
    app.run_jobs().await;

    let account = i64::try_from(sims.chatwoot.account_id()).expect("account id fits");
    let id = i64::try_from(conversation.id).expect("id fits");
    let row = app
        .store
        .conversation(account, id)
        .await
        .expect("store reads")
        .expect("the conversation is stored under the configured account");
    let status = serde_json::to_value(conversation.status).expect("status serialises");
    assert_eq!(Some(row.status.as_str()), status.as_str());
    let mut stored = Vec::new();
    for message in &conversation.messages {
        let id = i64::try_from(message.id).expect("id fits");
        if let Some(row) = app.store.message(account, id).await.expect("store reads") {
            stored.push(row);
        }
    }
    assert_eq!(
        stored.len(),
        1,
        "the one message sent is stored under the same account"
    );
    assert_eq!(stored[0].conversation_id, id);
}
