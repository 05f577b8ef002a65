//! One HTTP attempt: POST the signed envelope and wait for a 2xx within Shopify's limits
//! (1 s to connect, 5 s in all). Also the one-shot helpers tests and HotDash's end-to-end test
//! call directly to sign and send a single delivery.

use std::time::{Duration, Instant};

use super::payload;
use super::sign::Envelope;
use crate::world::model::Order;

/// Shopify's delivery limits (shopify.md §3.3).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The API version the simulator serializes payloads with: the one the GraphQL side serves.
pub const API_VERSION: &str = crate::shopify::schema::PINNED_VERSION;

/// How one POST ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostResult {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration: Duration,
}

impl PostResult {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A client with Shopify's timeouts; redirects are not followed (a 3xx is a failure).
pub fn client(connect_timeout: Duration, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|error| {
            // Only TLS backend initialisation can fail here; fall back to the defaults.
            tracing::warn!(%error, "webhook client with timeouts unavailable");
            reqwest::Client::new()
        })
}

/// POSTs `envelope` to `uri`, signed with `secret`, and reads the whole answer.
pub async fn post(
    client: &reqwest::Client,
    uri: &str,
    secret: &str,
    envelope: &Envelope,
) -> PostResult {
    let mut request = client.post(uri).body(envelope.body.clone());
    for (name, value) in envelope.headers(secret) {
        request = request.header(name, value);
    }
    let started = Instant::now();
    let answer = match request.send().await {
        // The body counts towards the 5 s as well: a receiver must finish answering in time.
        Ok(response) => {
            let status = response.status().as_u16();
            response.bytes().await.map(|_| status)
        }
        Err(error) => Err(error),
    };
    let duration = started.elapsed();
    match answer {
        Ok(status) => PostResult {
            status: Some(status),
            error: None,
            duration,
        },
        Err(error) => PostResult {
            status: None,
            error: Some(describe(&error)),
            duration,
        },
    }
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "request"
    };
    format!("{kind}: {error}")
}

/// What a one-shot send did: the envelope as sent and the receiver's answer.
#[derive(Debug, Clone)]
pub struct Sent {
    pub envelope: Envelope,
    pub result: PostResult,
}

/// Signs `payload` as a fresh `topic` delivery from `shop_domain` and sends it once to `url`
/// (no retries, no faults), with Shopify's timeouts.
pub async fn send_one(
    url: &str,
    secret: &str,
    topic: &str,
    payload: &serde_json::Value,
    shop_domain: &str,
) -> Sent {
    let envelope = Envelope::new(topic, payload, shop_domain, API_VERSION);
    let client = client(CONNECT_TIMEOUT, TIMEOUT);
    let result = post(&client, url, secret, &envelope).await;
    Sent { envelope, result }
}

/// [`send_one`] for an `orders/*` topic, with the REST order body built from `order`.
pub async fn send_order(
    url: &str,
    secret: &str,
    topic: &str,
    order: &Order,
    shop_domain: &str,
) -> Sent {
    send_one(url, secret, topic, &payload::order(order), shop_domain).await
}
