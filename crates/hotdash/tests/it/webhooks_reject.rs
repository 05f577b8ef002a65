//! Every rejection cause: the status code, the recorded cause (without the body), and that
//! nothing was stored as a delivery or processed.

use hotdash_db::WebhookFilter;
use serde_json::Value;

use crate::support::*;

/// Posts `request` and checks the answer, the recorded rejection, and that nothing was stored.
async fn assert_rejected(
    app: &TestApp,
    source: &str,
    request: SignedRequest,
    status: u16,
    cause: &str,
) -> Value {
    let before = app.store.list_rejections(None, 1000).await.unwrap().len();
    let resp = app.post(source, request).await;
    assert_eq!(resp.status().as_u16(), status, "{source}: {cause}");
    let body: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], cause);
    let rejections = app.store.list_rejections(None, 1000).await.unwrap();
    assert_eq!(rejections.len(), before + 1, "{cause} recorded once");
    let newest = &rejections[0];
    assert_eq!(
        (newest.cause.as_str(), newest.status_code),
        (cause, i32::from(status))
    );
    assert!(!newest.detail.is_empty());
    let events = app
        .store
        .list_webhook_events(&WebhookFilter::default())
        .await
        .unwrap();
    assert!(
        events.is_empty(),
        "{cause}: a rejected request must not be stored as a delivery"
    );
    assert_eq!(app.run_jobs().await, 0, "{cause}: nothing to process");
    body
}

#[tokio::test]
async fn shopify_rejections() {
    let app = TestApp::spawn().await;
    let body = order_body(1, "2026-11-22T10:00:00Z", "paid");
    let good = shopify("orders/create", "r-1", &body, SHOPIFY_SECRET);

    assert_rejected(
        &app,
        "shopify",
        good.clone().without("X-Shopify-Hmac-Sha256"),
        401,
        "missing_signature",
    )
    .await;
    assert_rejected(
        &app,
        "shopify",
        shopify("orders/create", "r-1", &body, "shpss_not_our_secret"),
        401,
        "bad_signature",
    )
    .await;
    let mut tampered = good.clone();
    tampered.body = body.replace("129.95", "0.01").into_bytes();
    assert_rejected(&app, "shopify", tampered, 401, "bad_signature").await;
    assert_rejected(
        &app,
        "shopify",
        good.clone().set("Content-Type", "text/plain"),
        415,
        "unsupported_content_type",
    )
    .await;
    assert_rejected(
        &app,
        "shopify",
        good.clone().without("Content-Type"),
        415,
        "unsupported_content_type",
    )
    .await;
    assert_rejected(
        &app,
        "shopify",
        shopify("orders/create", "r-1", "{\"id\": 1,", SHOPIFY_SECRET),
        400,
        "malformed_json",
    )
    .await;
    assert_rejected(
        &app,
        "shopify",
        good.clone().without("X-Shopify-Topic"),
        400,
        "missing_header",
    )
    .await;
    assert_rejected(
        &app,
        "shopify",
        good.clone().without("X-Shopify-Webhook-Id"),
        400,
        "missing_header",
    )
    .await;

    // The rejection keeps a fingerprint of the body, never the body.
    let stored = app
        .store
        .list_rejections(Some("shopify"), 100)
        .await
        .unwrap();
    // Newest first: the last bad_signature in the list is the wrong-secret one, with the full body.
    let bad_sig = stored
        .iter()
        .rev()
        .find(|r| r.cause == "bad_signature")
        .unwrap();
    assert_eq!(bad_sig.body_sha256.len(), 64);
    assert_eq!(bad_sig.body_len, body.len() as i64);
    app.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_before_verification() {
    let app = TestApp::spawn_with(&[("HOTDASH_SERVER__MAX_BODY_BYTES", "2048")]).await;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(4096));
    assert_rejected(
        &app,
        "shopify",
        shopify("orders/create", "big-1", &big, SHOPIFY_SECRET),
        413,
        "body_too_large",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_sources_get_404() {
    let app = TestApp::spawn().await;
    let body = order_body(1, "2026-11-22T10:00:00Z", "paid");
    assert_rejected(
        &app,
        "stripe",
        shopify("orders/create", "u-1", &body, SHOPIFY_SECRET),
        404,
        "unknown_source",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_unconfigured_source_fails_closed() {
    let app = TestApp::spawn_with(&[("HOTDASH_WEBHOOKS__SHOPIFY__SECRETS", "")]).await;
    let body = order_body(1, "2026-11-22T10:00:00Z", "paid");
    assert_rejected(
        &app,
        "shopify",
        shopify("orders/create", "u-1", &body, SHOPIFY_SECRET),
        404,
        "unknown_source",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn chatwoot_rejections() {
    let app = TestApp::spawn().await;
    let now = now_secs();
    let good = chatwoot(Some("cw-r"), CHATWOOT_MESSAGE, now);
    assert_rejected(
        &app,
        "chatwoot",
        chatwoot(Some("cw-r"), CHATWOOT_MESSAGE, now - 301),
        401,
        "stale_timestamp",
    )
    .await;
    assert_rejected(
        &app,
        "chatwoot",
        chatwoot(Some("cw-r"), CHATWOOT_MESSAGE, now + 400),
        401,
        "stale_timestamp",
    )
    .await;
    assert_rejected(
        &app,
        "chatwoot",
        good.clone()
            .set("X-Chatwoot-Timestamp", &(now - 1).to_string()),
        401,
        "bad_signature",
    )
    .await;
    assert_rejected(
        &app,
        "chatwoot",
        good.clone().without("X-Chatwoot-Signature"),
        401,
        "missing_signature",
    )
    .await;
    assert_rejected(
        &app,
        "chatwoot",
        good.clone().without("X-Chatwoot-Timestamp"),
        401,
        "missing_signature",
    )
    .await;
    assert_rejected(
        &app,
        "chatwoot",
        chatwoot(Some("cw-r"), "[not json", now),
        400,
        "malformed_json",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn gold_reply_rejections() {
    let app = TestApp::spawn().await;
    let now = now_secs();
    let body = gold_body(777);
    let good = gold("msg_r1", &body, now);
    assert_rejected(
        &app,
        "gold-replies",
        good.clone().set("Authorization", "Bearer wrong-token"),
        401,
        "bad_token",
    )
    .await;
    assert_rejected(
        &app,
        "gold-replies",
        good.clone().without("Authorization"),
        401,
        "bad_token",
    )
    .await;
    assert_rejected(
        &app,
        "gold-replies",
        good.clone().set("webhook-id", "msg_other"),
        401,
        "bad_signature",
    )
    .await;
    assert_rejected(
        &app,
        "gold-replies",
        gold("msg_r1", &body, now - 600),
        401,
        "stale_timestamp",
    )
    .await;
    assert_rejected(
        &app,
        "gold-replies",
        good.clone().without("webhook-id"),
        400,
        "missing_header",
    )
    .await;
    assert_rejected(
        &app,
        "gold-replies",
        gold("msg_r1", "{nope", now),
        400,
        "malformed_json",
    )
    .await;
    let invalid = r#"{"conversationId":"twelve","shopDomain":"hot-rod-an.myshopify.com","category":"complaint","submittedBy":"operator@hotrodan.com","evidenceUrl":"https://chatwoot.example/c/1"}"#;
    let reply = assert_rejected(
        &app,
        "gold-replies",
        gold("msg_r2", invalid, now),
        400,
        "invalid_payload",
    )
    .await;
    let fields: Vec<&str> = reply["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for field in ["conversationId", "originalReply", "category"] {
        assert!(
            fields.contains(&field),
            "field error for {field} expected in {fields:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_second_gold_reply_for_a_conversation_gets_409() {
    let app = TestApp::spawn().await;
    let now = now_secs();
    let first = app
        .post("gold-replies", gold("msg_first", &gold_body(555), now))
        .await;
    assert_eq!(first.status(), 200);
    let resp = app
        .post("gold-replies", gold("msg_second", &gold_body(555), now))
        .await;
    assert_eq!(resp.status(), 409);
    let rejections = app
        .store
        .list_rejections(Some("gold-replies"), 10)
        .await
        .unwrap();
    assert_eq!(rejections[0].cause, "conflict");
    // The original's retry is still an idempotent 200.
    assert_eq!(
        app.post("gold-replies", gold("msg_first", &gold_body(555), now))
            .await
            .status(),
        200
    );
    assert_eq!(app.run_jobs().await, 1);
    app.shutdown().await;
}
