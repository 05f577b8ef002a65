//! Processing failures and replay through the real job runner.

use hotdash::jobs::Runner;
use hotdash_db::WebhookFilter;

use crate::support::*;

#[tokio::test]
async fn an_unreadable_payload_is_dead_lettered_with_its_attempt_and_can_be_replayed() {
    let app = TestApp::spawn().await;
    // Valid JSON, correctly signed, but not an order: processing cannot succeed.
    let resp = app
        .post(
            "shopify",
            shopify(
                "orders/create",
                "bad-order",
                r#"{"id":"not-a-number"}"#,
                SHOPIFY_SECRET,
            ),
        )
        .await;
    assert_eq!(
        resp.status(),
        200,
        "accepted: the pipeline never loses a verified delivery"
    );
    let id = resp.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    app.run_jobs().await;

    let detail = app.store.webhook_event(id).await.unwrap();
    assert_eq!(detail.event.status, "dead");
    assert_eq!(detail.attempts.len(), 1);
    assert!(
        detail.attempts[0].error.contains("orders/create"),
        "{}",
        detail.attempts[0].error
    );
    let stats = app
        .store
        .queue_stats("webhooks", hotdash::now_ms())
        .await
        .unwrap();
    assert_eq!(stats.dead_letters, 1);

    // Replaying a dead letter runs it again (still failing here), keeping every attempt.
    let filter = WebhookFilter {
        status: Some("dead".into()),
        ..Default::default()
    };
    let queued = app
        .store
        .enqueue_replay(
            &filter,
            &Runner::webhook_job(&app.config.jobs, true),
            hotdash::now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(queued, 1);
    app.run_jobs().await;
    let detail = app.store.webhook_event(id).await.unwrap();
    assert_eq!(
        (detail.event.status.as_str(), detail.attempts.len()),
        ("dead", 2)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn replaying_processed_deliveries_reprocesses_them_without_changing_state() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        let body = order_body(100 + i, "2026-11-22T10:00:00Z", "paid");
        app.post(
            "shopify",
            shopify("orders/create", &format!("rp-{i}"), &body, SHOPIFY_SECRET),
        )
        .await;
    }
    assert_eq!(app.run_jobs().await, 5);
    let filter = WebhookFilter {
        source: Some("shopify".into()),
        topic: Some("orders/create".into()),
        ..Default::default()
    };
    let queued = app
        .store
        .enqueue_replay(
            &filter,
            &Runner::webhook_job(&app.config.jobs, true),
            hotdash::now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(queued, 5);
    assert_eq!(app.run_jobs().await, 5);
    let processed = app
        .store
        .list_webhook_events(&WebhookFilter {
            status: Some("processed".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(processed.len(), 5);
    let order = app
        .store
        .order("gid://shopify/Order/100")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.line_items.len(),
        2,
        "replay replaced, not duplicated, the line items"
    );
    app.shutdown().await;
}
