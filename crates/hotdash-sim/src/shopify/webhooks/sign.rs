//! One Shopify webhook delivery as it goes on the wire: the body bytes, the HMAC Shopify puts in
//! `X-Shopify-Hmac-Sha256`, and the rest of the header set a real delivery carries
//! (shared/vendors/shopify.md §3.1–3.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use time::OffsetDateTime;
use time::macros::format_description;

/// What real deliveries carry as `User-Agent`.
pub const USER_AGENT: &str = "Shopify-Captain-Hook";

/// `base64(HMAC-SHA256(key = client secret, message = the exact body bytes))`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC-SHA256 accepts keys of any length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `X-Shopify-Triggered-At` as Shopify writes it: UTC, nine fraction digits, `Z`
/// (`2024-08-03T18:28:37.234647458Z`).
pub fn triggered_at(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    let utc = at.to_offset(time::UtcOffset::UTC);
    // The format has only numeric components, which always render.
    utc.format(format).unwrap_or_default()
}

/// A random (version 4) UUID, the form of `X-Shopify-Webhook-Id` and `X-Shopify-Event-Id`.
pub fn new_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// One delivery: the serialized body and everything its headers say. Retries and injected
/// duplicates resend the same envelope, so `webhook_id` and `triggered_at` stay put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Envelope {
    /// `orders/create`
    pub topic: String,
    /// `hotrodan.myshopify.com`
    pub shop_domain: String,
    /// The version the payload was serialized with, e.g. `2026-07`.
    pub api_version: String,
    /// Unique per subscription delivery; the same across its retries.
    pub webhook_id: String,
    /// Shared by every delivery of the same event (one per subscription).
    pub event_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub triggered_at: OffsetDateTime,
    /// The subscription's `name`, sent as `X-Shopify-Name` when set.
    pub name: Option<String>,
    /// A per-resource header such as (`X-Shopify-Order-Id`, `5001`).
    pub resource_header: Option<(String, String)>,
    /// The exact bytes that are signed and sent.
    pub body: Vec<u8>,
}

impl Envelope {
    /// A fresh delivery of `payload` (compact JSON) with new ids, triggered now.
    pub fn new(topic: &str, payload: &Value, shop_domain: &str, api_version: &str) -> Envelope {
        Envelope {
            topic: topic.to_owned(),
            shop_domain: shop_domain.to_owned(),
            api_version: api_version.to_owned(),
            webhook_id: new_uuid(),
            event_id: new_uuid(),
            triggered_at: OffsetDateTime::now_utc(),
            name: None,
            resource_header: resource_header(topic, payload),
            body: serde_json::to_vec(payload).unwrap_or_default(),
        }
    }

    /// The request headers in the order Shopify sends them, signed with `secret`.
    pub fn headers(&self, secret: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), USER_AGENT.into()),
            ("X-Shopify-Topic".into(), self.topic.clone()),
            ("X-Shopify-Hmac-Sha256".into(), sign(secret, &self.body)),
            ("X-Shopify-Shop-Domain".into(), self.shop_domain.clone()),
            ("X-Shopify-API-Version".into(), self.api_version.clone()),
            ("X-Shopify-Webhook-Id".into(), self.webhook_id.clone()),
            ("X-Shopify-Event-Id".into(), self.event_id.clone()),
            (
                "X-Shopify-Triggered-At".into(),
                triggered_at(self.triggered_at),
            ),
            ("X-Shopify-Test".into(), "false".into()),
        ];
        if let Some(name) = &self.name {
            headers.push(("X-Shopify-Name".into(), name.clone()));
        }
        if let Some((header, value)) = &self.resource_header {
            headers.push((header.clone(), value.clone()));
        }
        headers
    }
}

/// Real captures name the subject of order and product deliveries in its own header.
pub(crate) fn resource_header(topic: &str, payload: &Value) -> Option<(String, String)> {
    let header = match topic.split_once('/')?.0 {
        "orders" => "X-Shopify-Order-Id",
        "products" => "X-Shopify-Product-Id",
        _ => return None,
    };
    let id = payload.get("id")?.as_u64()?;
    Some((header.to_owned(), id.to_string()))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn signs_shopifys_published_vectors() {
        // shared/vendors/shopify.md §3.2: the first is from Shopify's own test suite, the
        // second shows that whitespace changes the signature.
        let vectors = [
            (
                "test_secret_key",
                r#"{"foo": "bar"}"#,
                "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
            ),
            (
                "test_secret_key",
                r#"{"foo":"bar"}"#,
                "1kjVjZBASoDr0j4pTeXLurkG6u87OrkQXzf+h707p2w=",
            ),
            (
                "hush",
                r##"{"id":1,"name":"#1001"}"##,
                "ybi5GMyq3UlgsyWLTJU1wvBRjL3uJyvuWTBki5k2cJY=",
            ),
        ];
        for (secret, body, want) in vectors {
            assert_eq!(sign(secret, body.as_bytes()), want, "{body}");
        }
    }

    #[test]
    fn triggered_at_has_nanoseconds_and_z() {
        let at = datetime!(2024-08-03 13:28:37.234647458 -05:00);
        assert_eq!(triggered_at(at), "2024-08-03T18:28:37.234647458Z");
        assert_eq!(
            triggered_at(datetime!(2024-08-03 18:28:37 UTC)),
            "2024-08-03T18:28:37.000000000Z"
        );
    }

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn headers_name_the_order_and_carry_the_subscription_name() {
        let payload = serde_json::json!({"id": 5001, "name": "#1001"});
        let mut envelope =
            Envelope::new("orders/paid", &payload, "hotrodan.myshopify.com", "2026-07");
        envelope.name = Some("hotdash".into());
        let headers = envelope.headers("hush");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(h, _)| h == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("X-Shopify-Order-Id"), Some("5001"));
        assert_eq!(get("X-Shopify-Name"), Some("hotdash"));
        assert_eq!(
            get("X-Shopify-Hmac-Sha256"),
            Some(sign("hush", &envelope.body).as_str())
        );
        assert_eq!(envelope.body, br##"{"id":5001,"name":"#1001"}"##);
    }
}
