//! Rack::Attack throttles, the `/health` and `/api` probes, and chaos faults.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hotdash_sim::chatwoot::{ChatwootConfig, RateLimits, RunningChatwoot};
use reqwest::Response;
use serde_json::{Value, json};

use super::{get, sim, start};

fn assert_retry_later(status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    assert_eq!(status, 429);
    assert_eq!(headers["content-type"], "text/plain");
    assert!(
        headers.get("retry-after").is_none(),
        "Rack::Attack sends no Retry-After"
    );
    assert_eq!(body, b"Retry later\n");
}

async fn parts(response: Response) -> (StatusCode, HeaderMap, Bytes) {
    (
        response.status(),
        response.headers().clone(),
        response.bytes().await.unwrap(),
    )
}

#[tokio::test]
async fn throttles_answer_plain_text_429_without_retry_after() {
    let cw = start(ChatwootConfig {
        rate_limits: RateLimits {
            conversations_meta: 2,
            reports_per_user: 3,
            ..RateLimits::default()
        },
        ..ChatwootConfig::default()
    })
    .await;
    let meta = "/api/v1/accounts/1/conversations/meta";
    for _ in 0..2 {
        assert_eq!(get(&cw, meta, Some(cw.admin_token())).await.status(), 200);
    }
    let (status, headers, body) = parts(get(&cw, meta, Some(cw.admin_token())).await).await;
    assert_retry_later(status, &headers, &body);
    // Per token: the agent still has its own budget; other endpoints are unaffected.
    assert_eq!(get(&cw, meta, Some(cw.agent_token())).await.status(), 200);
    assert_eq!(
        get(
            &cw,
            "/api/v1/accounts/1/conversations",
            Some(cw.admin_token())
        )
        .await
        .status(),
        200
    );

    let summary = "/api/v2/accounts/1/reports/summary?type=account&since=0&until=1";
    for _ in 0..3 {
        assert_eq!(
            get(&cw, summary, Some(cw.admin_token())).await.status(),
            200
        );
    }
    let (status, headers, body) = parts(
        get(
            &cw,
            "/api/v2/accounts/1/reports/conversations?type=account",
            Some(cw.admin_token()),
        )
        .await,
    )
    .await;
    assert_retry_later(status, &headers, &body);
}

#[tokio::test]
async fn per_ip_limit_covers_everything_but_health() {
    let cw = start(ChatwootConfig {
        rate_limits: RateLimits {
            per_ip: 3,
            ..RateLimits::default()
        },
        ..ChatwootConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            get(&cw, "/api/v1/profile", Some(cw.admin_token()))
                .await
                .status(),
            200
        );
    }
    let (status, headers, body) = parts(get(&cw, "/api", None).await).await;
    assert_retry_later(status, &headers, &body);
    assert_eq!(
        get(&cw, "/health", None).await.status(),
        200,
        "/health is safelisted"
    );
}

#[tokio::test]
async fn health_and_api_probes() {
    let cw = sim().await;
    let health = get(&cw, "/health", None).await;
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "woot"})
    );
    let api: Value = get(&cw, "/api", None).await.json().await.unwrap();
    assert_eq!(api["queue_services"], "ok");
    assert_eq!(api["data_services"], "ok");
    assert!(api["version"].as_str().unwrap().starts_with('4'));
    assert_eq!(
        api["timestamp"].as_str().unwrap().len(),
        "2026-11-22 02:00:00".len()
    );

    let client = reqwest::Client::new();
    let set = client
        .put(format!("{}/__sim/services", cw.url()))
        .json(&json!({"queue_services": "ok", "data_services": "failing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let api: Value = get(&cw, "/api", None).await.json().await.unwrap();
    assert_eq!(api["data_services"], "failing");
}

async fn set_chaos(cw: &RunningChatwoot, faults: Value) {
    let response = reqwest::Client::new()
        .put(format!("{}/__sim/chaos", cw.url()))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn chaos_outage_takes_down_health_too() {
    let cw = sim().await;
    set_chaos(&cw, json!({"outage": true})).await;
    assert_eq!(get(&cw, "/health", None).await.status(), 503);
    assert_eq!(get(&cw, "/api", None).await.status(), 503);
    assert_eq!(
        get(&cw, "/api/v1/profile", Some(cw.admin_token()))
            .await
            .status(),
        503
    );

    set_chaos(&cw, json!({"auth_failure": true})).await;
    let revoked = get(&cw, "/api/v1/profile", Some(cw.admin_token())).await;
    assert_eq!(revoked.status(), 401);
    assert_eq!(
        revoked.json::<Value>().await.unwrap(),
        json!({"error": "Invalid Access Token"})
    );
    assert_eq!(
        get(&cw, "/health", None).await.status(),
        200,
        "a revoked token does not stop liveness"
    );

    set_chaos(&cw, json!({"rate_limit_rate": 1.0})).await;
    let (status, headers, body) =
        parts(get(&cw, "/api/v1/profile", Some(cw.admin_token())).await).await;
    assert_retry_later(status, &headers, &body);

    set_chaos(&cw, json!({"error_rate": 1.0})).await;
    assert_eq!(get(&cw, "/health", None).await.status(), 500);

    set_chaos(&cw, json!({"latency_ms": 300})).await;
    let started = Instant::now();
    assert_eq!(get(&cw, "/health", None).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    reqwest::Client::new()
        .delete(format!("{}/__sim/chaos", cw.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&cw, "/api/v1/profile", Some(cw.admin_token()))
            .await
            .status(),
        200
    );
}
