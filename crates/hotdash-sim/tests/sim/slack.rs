//! The Slack incoming-webhook receiver over real HTTP: `ok` answers, recorded messages, Slack's
//! plain-text errors, unknown hooks and the one-message-per-second limit with `Retry-After`.

use std::time::Duration;

use hotdash_sim::slack::{self, RunningSlack, SlackConfig};
use reqwest::Response;
use serde_json::{Value, json};

async fn post(url: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_json(url: &str, body: &Value) -> Response {
    post(url, "application/json", body.to_string()).await
}

async fn expect(response: Response, status: u16, body: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), body);
}

async fn slack() -> RunningSlack {
    slack::start(SlackConfig::default()).await.unwrap()
}

#[tokio::test]
async fn accepted_messages_answer_ok_and_are_recorded() {
    let slack = slack().await;
    let message = json!({
        "text": "FIRING: shopify down",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*shopify* is down"}}],
    });
    expect(post_json(&slack.webhook_url(), &message).await, 200, "ok").await;

    let recorded = slack.messages();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].hook, slack::DEFAULT_HOOK);
    assert_eq!(recorded[0].text.as_deref(), Some("FIRING: shopify down"));
    assert_eq!(recorded[0].blocks, Some(message["blocks"].clone()));

    let listed: Value = reqwest::get(format!("{}/__sim/slack/messages", slack.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["payload"], message);
}

#[tokio::test]
async fn bad_bodies_get_slacks_errors_and_are_not_recorded() {
    let slack = slack().await;
    let url = slack.webhook_url();
    expect(
        post(&url, "application/json", "{not json").await,
        400,
        "invalid_payload",
    )
    .await;
    expect(
        post_json(&url, &json!(["text"])).await,
        400,
        "invalid_payload",
    )
    .await;
    expect(post_json(&url, &json!({})).await, 400, "no_text").await;
    expect(
        post_json(&url, &json!({"text": "  "})).await,
        400,
        "no_text",
    )
    .await;
    expect(
        post_json(&url, &json!({"text": "x", "blocks": "x"})).await,
        400,
        "invalid_blocks",
    )
    .await;
    assert!(slack.messages().is_empty());
}

#[tokio::test]
async fn blocks_alone_and_form_payloads_are_accepted() {
    let slack = slack::start(SlackConfig {
        burst: 5,
        ..SlackConfig::default()
    })
    .await
    .unwrap();
    let url = slack.webhook_url();
    let blocks = json!({"blocks": [{"type": "divider"}]});
    expect(post_json(&url, &blocks).await, 200, "ok").await;
    // `payload={"text":"hi & bye"}`, form-encoded.
    let form = "payload=%7B%22text%22%3A%22hi%20%26%20bye%22%7D";
    expect(
        post(&url, "application/x-www-form-urlencoded", form).await,
        200,
        "ok",
    )
    .await;
    assert_eq!(slack.messages()[1].text.as_deref(), Some("hi & bye"));
}

#[tokio::test]
async fn unknown_hooks_are_no_service_when_hooks_are_configured() {
    let slack = slack::start(SlackConfig {
        hooks: vec!["T1/B1/good".to_owned()],
        ..SlackConfig::default()
    })
    .await
    .unwrap();
    assert!(slack.webhook_url().ends_with("/services/T1/B1/good"));
    let message = json!({"text": "hi"});
    let wrong = format!("{}/services/T1/B1/bad", slack.url());
    expect(post_json(&wrong, &message).await, 404, "no_service").await;
    expect(post_json(&slack.webhook_url(), &message).await, 200, "ok").await;
}

#[tokio::test]
async fn more_than_one_message_a_second_per_hook_is_429_with_retry_after() {
    let slack = slack().await;
    let message = json!({"text": "hi"});
    let url = slack.webhook_url();
    expect(post_json(&url, &message).await, 200, "ok").await;
    let limited = post_json(&url, &message).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "1");
    // Another hook has its own budget.
    let other = format!("{}/services/T9/B9/other", slack.url());
    expect(post_json(&other, &message).await, 200, "ok").await;
    // After the advertised wait, the hook takes messages again.
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    expect(post_json(&url, &message).await, 200, "ok").await;
    assert_eq!(
        slack.messages().len(),
        3,
        "the rejected message was not recorded"
    );
}

#[tokio::test]
async fn chaos_outage_fails_every_post() {
    let slack = slack().await;
    reqwest::Client::new()
        .put(format!("{}/__sim/chaos", slack.url()))
        .json(&json!({"outage": true}))
        .send()
        .await
        .unwrap();
    let down = post_json(&slack.webhook_url(), &json!({"text": "hi"})).await;
    assert_eq!(down.status(), 503);
    assert!(slack.messages().is_empty());
}
