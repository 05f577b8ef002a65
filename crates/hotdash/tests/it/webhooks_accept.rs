//! Valid deliveries from each source are stored durably before the 2xx, processed once into
//! typed tables, and duplicates are answered 200, counted, and never processed again.

use hotdash_db::WebhookFilter;
use serde_json::Value;

use crate::support::*;

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("a JSON body")
}

#[tokio::test]
async fn a_shopify_order_is_stored_before_the_ack_and_processed_once() {
    let app = TestApp::spawn().await;
    let body = order_body(820_982_911, "2026-11-22T10:00:00-05:00", "paid");
    let resp = app
        .post(
            "shopify",
            shopify("orders/create", "wh-1", &body, SHOPIFY_SECRET),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let reply = json(resp).await;
    assert_eq!(reply["status"], "accepted");
    let id = reply["id"].as_i64().unwrap();

    // Durable before the answer: the raw bytes and the metadata are there already.
    let stored = app.store.webhook_event(id).await.unwrap();
    assert_eq!(stored.body, body.as_bytes());
    assert_eq!(stored.event.topic, "orders/create");
    assert_eq!(stored.event.event_id.as_deref(), Some("event-wh-1"));
    assert_eq!(
        stored.event.shop_domain.as_deref(),
        Some("hot-rod-an.myshopify.com")
    );
    assert_eq!(stored.event.api_version.as_deref(), Some("2026-07"));
    assert_eq!(stored.event.triggered_at, Some(1_795_341_600_123));
    assert_eq!(stored.event.status, "pending");
    assert!(stored.headers_json.contains("x-shopify-hmac-sha256"));

    assert_eq!(app.run_jobs().await, 1);
    let order = app
        .store
        .order("gid://shopify/Order/820982911")
        .await
        .unwrap()
        .expect("order stored");
    assert_eq!(
        (
            order.financial_status.as_deref(),
            order.total_price.as_str(),
            order.line_items.len()
        ),
        (Some("PAID"), "129.95", 2)
    );
    let event = app.store.webhook_event(id).await.unwrap().event;
    assert_eq!((event.status.as_str(), event.attempts), ("processed", 1));

    // Shopify retries the same delivery: 200, counted, not processed again.
    let resp = app
        .post(
            "shopify",
            shopify("orders/create", "wh-1", &body, SHOPIFY_SECRET),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["status"], "duplicate");
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(
        app.store
            .webhook_event(id)
            .await
            .unwrap()
            .event
            .duplicate_count,
        1
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_previous_shopify_secret_still_verifies_during_rotation() {
    let app = TestApp::spawn().await;
    let body = order_body(5, "2026-11-22T10:00:00Z", "paid");
    let resp = app
        .post(
            "shopify",
            shopify("orders/create", "rot-1", &body, SHOPIFY_OLD_SECRET),
        )
        .await;
    assert_eq!(resp.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn ten_concurrent_copies_of_a_delivery_make_one_event_and_nine_duplicates_for_every_source() {
    let app = TestApp::spawn().await;
    let order = order_body(77, "2026-11-22T10:00:00Z", "paid");
    let gold_reply = gold_body(4242);
    let now = now_secs();
    let cases = [
        (
            "shopify",
            shopify("orders/paid", "same-shopify", &order, SHOPIFY_SECRET),
        ),
        (
            "chatwoot",
            chatwoot(Some("same-chatwoot"), CHATWOOT_MESSAGE, now),
        ),
        ("gold-replies", gold("same-gold", &gold_reply, now)),
    ];
    for (source, request) in cases {
        let url = app.url(&format!("/webhooks/{source}"));
        let sends = (0..10).map(|_| {
            let (client, url, request) = (app.client.clone(), url.clone(), request.clone());
            async move { post_to(&client, &url, request).await }
        });
        let replies = futures_join_all(sends).await;
        let mut statuses = Vec::new();
        for resp in replies {
            assert_eq!(resp.status(), 200, "{source}");
            let body = json(resp).await;
            statuses.push(if source == "gold-replies" {
                body["message"].as_str().unwrap().to_owned()
            } else {
                body["status"].as_str().unwrap().to_owned()
            });
        }
        let accepted = statuses
            .iter()
            .filter(|s| *s == "accepted" || s.contains("received for review"))
            .count();
        assert_eq!(accepted, 1, "{source}: {statuses:?}");
        let events = app
            .store
            .list_webhook_events(&WebhookFilter {
                source: Some(source.into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{source}");
        assert_eq!(events[0].duplicate_count, 9, "{source}");
    }
    assert_eq!(app.run_jobs().await, 3, "one job per source");
    assert_eq!(app.run_jobs().await, 0);
    let processed = app
        .store
        .list_webhook_events(&WebhookFilter {
            status: Some("processed".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(processed.len(), 3);
    assert!(app.store.gold_reply(4242).await.unwrap().is_some());
    app.shutdown().await;
}

/// Joins futures concurrently without pulling in the `futures` crate.
async fn futures_join_all<F: std::future::Future<Output = reqwest::Response> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<reqwest::Response> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("request task"));
    }
    out
}

#[tokio::test]
async fn a_chatwoot_message_is_verified_stored_and_processed() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "chatwoot",
            chatwoot(Some("cw-delivery-1"), CHATWOOT_MESSAGE, now_secs()),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let id = json(resp).await["id"].as_i64().unwrap();
    assert_eq!(
        app.store.webhook_event(id).await.unwrap().event.topic,
        "message_created"
    );
    app.run_jobs().await;
    let message = app
        .store
        .message(1, 118)
        .await
        .unwrap()
        .expect("message stored");
    assert_eq!(
        (message.conversation_id, message.message_type.as_str()),
        (10, "incoming")
    );
    // Ruby-escaped characters arrive as sent: verification used the raw bytes.
    assert_eq!(
        message.content.as_deref(),
        Some("Do you stock <AN-8> fittings?")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn chatwoot_without_a_delivery_header_dedups_on_event_id_and_timestamp() {
    let app = TestApp::spawn().await;
    let first = app
        .post("chatwoot", chatwoot(None, CHATWOOT_MESSAGE, now_secs()))
        .await;
    let second = app
        .post("chatwoot", chatwoot(None, CHATWOOT_MESSAGE, now_secs()))
        .await;
    assert_eq!(json(first).await["status"], "accepted");
    assert_eq!(json(second).await["status"], "duplicate");
    app.shutdown().await;
}

#[tokio::test]
async fn a_gold_reply_answers_the_contract_and_is_stored_for_review() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "gold-replies",
            gold("msg_gold_1", &gold_body(12345), now_secs()),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let reply = json(resp).await;
    assert_eq!(
        (reply["success"].as_bool(), reply["status"].as_str()),
        (Some(true), Some("pending_review"))
    );
    let id = reply["goldReplyId"].as_i64().unwrap();
    let stored = app.store.webhook_event(id).await.unwrap();
    assert!(
        !stored.headers_json.contains(GOLD_TOKEN),
        "the bearer token is not stored"
    );
    app.run_jobs().await;
    let gold_reply = app
        .store
        .gold_reply(12345)
        .await
        .unwrap()
        .expect("gold reply stored");
    assert_eq!(
        (gold_reply.category.as_str(), gold_reply.status.as_str()),
        ("shipping_delay", "pending_review")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_older_delivery_arriving_late_does_not_overwrite_newer_state() {
    let app = TestApp::spawn().await;
    let newer = order_body(9, "2026-11-22T12:00:00Z", "refunded");
    let older = order_body(9, "2026-11-22T11:00:00Z", "paid");
    app.post(
        "shopify",
        shopify("orders/updated", "late-2", &newer, SHOPIFY_SECRET),
    )
    .await;
    app.run_jobs().await;
    app.post(
        "shopify",
        shopify("orders/updated", "late-1", &older, SHOPIFY_SECRET),
    )
    .await;
    app.run_jobs().await;
    let order = app
        .store
        .order("gid://shopify/Order/9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.financial_status.as_deref(), Some("REFUNDED"));
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_accepted_and_duplicate_deliveries() {
    let app = TestApp::spawn().await;
    let body = order_body(31, "2026-11-22T10:00:00Z", "paid");
    app.post(
        "shopify",
        shopify("orders/create", "m-1", &body, SHOPIFY_SECRET),
    )
    .await;
    app.post(
        "shopify",
        shopify("orders/create", "m-1", &body, SHOPIFY_SECRET),
    )
    .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "hotdash_webhooks_accepted_total{source=\"shopify\"}",
        "hotdash_webhooks_duplicate_total{source=\"shopify\"}",
        "hotdash_webhook_ack_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    let health: Value = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["queue"]["depth"], 1);
    app.shutdown().await;
}
