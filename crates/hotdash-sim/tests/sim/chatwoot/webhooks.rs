//! Webhook deliveries to a real receiver: trigger.rb signatures verified independently over
//! the raw bytes, unsigned mode, explicit URLs, no retries, fault switches and live changes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use hotdash_sim::chatwoot::{self, ChatwootConfig};
use hotdash_sim::server::{RunningServer, any_loopback};
use hotdash_sim::world::Change;
use hotdash_sim::world::model::MessageType;
use reqwest::Response;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::broadcast;

use super::{sim, start, world};

#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// A webhook receiver on loopback answering `status` after `delay`.
async fn receiver(status: StatusCode, delay: Duration) -> (RunningServer, Inbox) {
    let inbox: Inbox = Arc::default();
    let router = Router::new()
        .route(
            "/hook",
            post(
                move |State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes| async move {
                    inbox.lock().unwrap().push(Received { headers, body });
                    tokio::time::sleep(delay).await;
                    status
                },
            ),
        )
        .with_state(inbox.clone());
    (
        RunningServer::start(any_loopback(), router).await.unwrap(),
        inbox,
    )
}

fn hmac_hex(secret: &str, signed: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed);
    hex::encode(mac.finalize().into_bytes())
}

async fn post_json(url: String, body: Value) -> Response {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A conversation with at least one incoming and one outgoing message.
fn busy_conversation() -> u64 {
    let w = world();
    let w = w.read().unwrap();
    w.conversations()
        .iter()
        .find(|c| {
            c.messages
                .iter()
                .any(|m| m.message_type == MessageType::Incoming)
                && c.messages
                    .iter()
                    .any(|m| m.message_type == MessageType::Outgoing)
        })
        .unwrap()
        .id
}

#[tokio::test]
async fn webhooks_are_signed_exactly_like_trigger_rb() {
    // The account name rides in message payloads, so it exercises Rails' HTML escaping.
    let cw = start(ChatwootConfig {
        account_name: "Hot Rod AN <Speed & Fuel>".to_owned(),
        ..ChatwootConfig::default()
    })
    .await;
    let (hook, inbox) = receiver(StatusCode::OK, Duration::ZERO).await;
    let created = post_json(
        format!("{}/__sim/webhooks", cw.url()),
        json!({"url": format!("{}/hook", hook.url()), "secret": "cw-s3cret", "subscriptions": ["message_created", "conversation_status_changed"]}),
    )
    .await;
    assert_eq!(created.status(), 201);

    let conversation = busy_conversation();
    let sent: Value = post_json(
        format!("{}/__sim/webhooks/emit", cw.url()),
        json!({"event": "message_created", "conversation_id": conversation}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(sent[0]["status"], 200);
    assert_eq!(sent[0]["signed"], true);

    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let Received { headers, body } = &got[0];
    let ts = headers["x-chatwoot-timestamp"].to_str().unwrap();
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(body);
    assert_eq!(
        headers["x-chatwoot-signature"].to_str().unwrap(),
        format!("sha256={}", hmac_hex("cw-s3cret", &signed))
    );
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - ts.parse::<i64>().unwrap();
    assert!((0..5).contains(&age));
    assert_eq!(
        headers["x-chatwoot-delivery"].to_str().unwrap(),
        sent[0]["delivery_id"]
    );
    assert_eq!(headers["content-type"], "application/json");
    // Rails' to_json never leaves these raw, so a receiver must verify the bytes it got: a
    // re-serialisation would differ.
    assert!(!body.iter().any(|b| matches!(b, b'<' | b'>' | b'&')));
    let raw = std::str::from_utf8(body).unwrap();
    assert!(
        raw.contains(r#""name":"Hot Rod AN \u003cSpeed \u0026 Fuel\u003e""#),
        "{raw}"
    );

    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["event"], "message_created");
    assert!(matches!(
        payload["message_type"].as_str(),
        Some("incoming" | "outgoing")
    ));
    assert!(payload["created_at"].as_str().unwrap().ends_with(".000Z"));
    assert_eq!(payload["conversation"]["id"], conversation);
    assert_eq!(
        payload["account"],
        json!({"id": 1, "name": "Hot Rod AN <Speed & Fuel>"})
    );
    assert_ne!(serde_json::to_vec(&payload).unwrap(), body.to_vec());

    // A status change is the conversation object itself, with changed_attributes.
    post_json(
        format!("{}/__sim/webhooks/emit", cw.url()),
        json!({"event": "conversation_status_changed", "conversation_id": conversation}),
    )
    .await;
    let got = inbox.lock().unwrap().clone();
    let payload: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(payload["event"], "conversation_status_changed");
    assert_eq!(payload["id"], conversation);
    assert!(payload["changed_attributes"][0]["status"]["current_value"].is_string());
    assert!(payload["updated_at"].is_f64());

    // Not subscribed: nothing sent.
    let none: Value = post_json(
        format!("{}/__sim/webhooks/emit", cw.url()),
        json!({"event": "conversation_created", "conversation_id": conversation}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(none, json!([]));
    let log: Value = reqwest::get(format!("{}/__sim/webhooks/deliveries", cw.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unsigned_mode_and_emitting_to_any_url() {
    let cw = sim().await;
    let (hook, inbox) = receiver(StatusCode::OK, Duration::ZERO).await;
    let url = format!("{}/hook", hook.url());
    cw.webhooks()
        .subscribe(chatwoot::Subscription::new(url.clone(), None));
    let conversation = busy_conversation();
    let emit = chatwoot::Emit {
        event: Some(chatwoot::WebhookEvent::ConversationCreated),
        conversation_id: conversation,
        ..chatwoot::Emit::default()
    };
    cw.webhooks().emit(&emit).await.unwrap();
    let first = inbox.lock().unwrap()[0].clone();
    assert!(first.headers.get("x-chatwoot-signature").is_none());
    assert!(first.headers.get("x-chatwoot-timestamp").is_none());
    assert_eq!(first.headers["x-chatwoot-delivery"].len(), 36);

    // An explicit URL and secret, no subscription needed.
    cw.webhooks().clear_subscriptions();
    let sent = cw
        .webhooks()
        .send_to(
            &url,
            Some("direct"),
            chatwoot::WebhookEvent::ConversationCreated,
            conversation,
        )
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let second = inbox.lock().unwrap()[1].clone();
    let ts = second.headers["x-chatwoot-timestamp"]
        .to_str()
        .unwrap()
        .to_owned();
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(&second.body);
    assert_eq!(
        second.headers["x-chatwoot-signature"].to_str().unwrap(),
        format!("sha256={}", hmac_hex("direct", &signed))
    );

    let unknown = post_json(
        format!("{}/__sim/webhooks/emit", cw.url()),
        json!({"event": "conversation_created", "conversation_id": 999_999}),
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn failed_deliveries_are_never_retried() {
    let cw = start(ChatwootConfig {
        webhook_timeout: Duration::from_millis(300),
        ..ChatwootConfig::default()
    })
    .await;
    let (failing, failing_inbox) =
        receiver(StatusCode::INTERNAL_SERVER_ERROR, Duration::ZERO).await;
    let (slow, slow_inbox) = receiver(StatusCode::OK, Duration::from_secs(2)).await;
    cw.webhooks().subscribe(chatwoot::Subscription::new(
        format!("{}/hook", failing.url()),
        Some("s"),
    ));
    cw.webhooks().subscribe(chatwoot::Subscription::new(
        format!("{}/hook", slow.url()),
        Some("s"),
    ));
    let emit = chatwoot::Emit {
        event: Some(chatwoot::WebhookEvent::ConversationUpdated),
        conversation_id: busy_conversation(),
        ..chatwoot::Emit::default()
    };
    let sent = cw.webhooks().emit(&emit).await.unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].status, Some(500));
    assert!(
        sent[1].status.is_none() && sent[1].error.as_deref().unwrap().contains("timeout"),
        "{sent:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(failing_inbox.lock().unwrap().len(), 1);
    assert_eq!(slow_inbox.lock().unwrap().len(), 1);
    assert_eq!(cw.webhooks().deliveries().len(), 2);
}

#[tokio::test]
async fn fault_switches_drop_or_duplicate_deliveries() {
    let cw = sim().await;
    let (hook, inbox) = receiver(StatusCode::OK, Duration::ZERO).await;
    cw.webhooks().subscribe(chatwoot::Subscription::new(
        format!("{}/hook", hook.url()),
        Some("s"),
    ));
    let emit = json!({"event": "message_created", "conversation_id": busy_conversation()});

    let faults = reqwest::Client::new()
        .put(format!("{}/__sim/webhooks/faults", cw.url()))
        .json(&json!({"drop_rate": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    let sent: Value = post_json(format!("{}/__sim/webhooks/emit", cw.url()), emit.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent[0]["dropped"], true);
    assert!(inbox.lock().unwrap().is_empty());

    cw.webhooks().set_faults(chatwoot::WebhookFaults {
        drop_rate: 0.0,
        duplicate_rate: 1.0,
    });
    post_json(format!("{}/__sim/webhooks/emit", cw.url()), emit).await;
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].headers["x-chatwoot-delivery"],
        got[1].headers["x-chatwoot-delivery"]
    );
    assert_eq!(got[0].body, got[1].body);
}

async fn wait_for(inbox: &Inbox, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while inbox.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    inbox.lock().unwrap().clone()
}

#[tokio::test]
async fn live_changes_become_webhooks() {
    let cw = sim().await;
    let (hook, inbox) = receiver(StatusCode::OK, Duration::ZERO).await;
    cw.webhooks().subscribe(chatwoot::Subscription::new(
        format!("{}/hook", hook.url()),
        Some("s"),
    ));
    let (tx, rx) = broadcast::channel(16);
    cw.send_live_webhooks(rx);
    let (conversation, message) = {
        let w = world();
        let w = w.read().unwrap();
        let c = w
            .conversations()
            .iter()
            .find(|c| {
                c.messages
                    .iter()
                    .any(|m| m.message_type == MessageType::Incoming)
            })
            .unwrap();
        (
            c.id,
            c.messages
                .iter()
                .find(|m| m.message_type == MessageType::Incoming)
                .unwrap()
                .id,
        )
    };
    tx.send(Change::MessageCreated {
        conversation_id: conversation,
        message_id: message,
    })
    .unwrap();
    let got = wait_for(&inbox, 1).await;
    assert_eq!(got.len(), 1);
    let payload: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(payload["event"], "message_created");
    assert_eq!(payload["id"], message);
    assert_eq!(payload["message_type"], "incoming");

    // An update that changed none of Chatwoot's tracked attributes sends nothing, so the next
    // delivery is the creation event.
    tx.send(Change::ConversationUpdated {
        conversation_id: conversation,
    })
    .unwrap();
    tx.send(Change::ConversationCreated {
        conversation_id: conversation,
    })
    .unwrap();
    let got = wait_for(&inbox, 2).await;
    let payload: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(payload["event"], "conversation_created");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(inbox.lock().unwrap().len(), 2);
}
