//! Vendor webhook bodies turned into typed storage [`Effect`]s: [`derive_effects`] for the job
//! that processes a stored delivery, [`resource_key`] and [`chatwoot_fallback_delivery_id`] for
//! ingest. Each source has its own module ([`shopify`], [`chatwoot`], [`gold_reply`]); this one
//! dispatches on the source and holds what they share (the context, the error, time parsing).

pub mod chatwoot;
pub mod gold_reply;
pub mod shopify;

use hotdash_db::Effect;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::webhooks::Source;

pub use gold_reply::{FieldError, GoldReply, validate_gold_reply};

/// The topic under which gold reply submissions are stored and processed.
pub const GOLD_REPLY_TOPIC: &str = "gold_reply";

/// Context a handler may need beyond the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadContext {
    /// When the vendor says it fired the delivery (`X-Shopify-Triggered-At`), unix ms.
    pub triggered_at: Option<i64>,
    /// When HotDash stored the delivery, unix ms.
    pub received_at: i64,
    /// The stored delivery's id, recorded on rows that keep their provenance.
    pub webhook_event_id: i64,
    /// What the payload may leave out, from configuration.
    pub defaults: PayloadDefaults,
}

/// Facts a vendor leaves out of some payloads, taken from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadDefaults {
    /// The Chatwoot account for payloads that do not name theirs (conversation events).
    pub chatwoot_account_id: i64,
}

impl PayloadDefaults {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            chatwoot_account_id: config.webhooks.chatwoot.account_id,
        }
    }
}

#[cfg(test)]
impl Default for PayloadDefaults {
    fn default() -> Self {
        Self {
            chatwoot_account_id: 1,
        }
    }
}

impl PayloadContext {
    /// The best available time of the change when a payload carries none: the vendor's
    /// trigger time if known, else our receipt time. Both bound the real change from above,
    /// so a late retry of an old payload still loses to a newer row in the watermarked upsert.
    pub fn event_time(&self) -> i64 {
        self.triggered_at.unwrap_or(self.received_at)
    }
}

/// What processing a delivery yields.
#[derive(Debug, PartialEq)]
pub enum Handled {
    /// Typed changes to apply, in order, in one transaction.
    Effects(Vec<Effect>),
    /// Nothing to store for this topic (or this body, e.g. an untracked inventory level).
    Ignored,
}

/// A payload that cannot be turned into effects: a permanent failure (not retried).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not valid JSON.
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A field the effect needs is absent, null, or of a value we cannot interpret.
    #[error("missing or invalid field `{0}`")]
    Field(&'static str),
    /// A gold reply submission that fails its contract, with every field problem.
    #[error("invalid gold reply: {}", describe(.0))]
    GoldReply(Vec<FieldError>),
}

fn describe(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect();
    parts.join("; ")
}

/// Turns a stored delivery into typed effects. Topics without a handler are `Handled::Ignored`.
pub fn derive_effects(
    source: Source,
    topic: &str,
    body: &[u8],
    cx: &PayloadContext,
) -> Result<Handled, PayloadError> {
    match source {
        Source::Shopify => shopify::derive(topic, body, cx),
        Source::Chatwoot => chatwoot::derive(topic, body, cx),
        Source::GoldReplies if topic == GOLD_REPLY_TOPIC => {
            let reply = validate_gold_reply(body).map_err(PayloadError::GoldReply)?;
            Ok(Handled::Effects(vec![Effect::GoldReply(
                reply.into_row(cx),
            )]))
        }
        Source::GoldReplies => Ok(Handled::Ignored),
    }
}

/// The resource a delivery is about, for filtering and per-resource lookups, e.g.
/// `shopify:order:820982911946154508`, `shopify:inventory_level:<item>:<location>`,
/// `chatwoot:conversation:<account>:<id>`, or [`hotdash_db::gold_reply_resource_key`].
///
/// Never fails: it runs at ingest on verified bodies, and a body it cannot read gives `None`
/// (processing then reports the real error).
pub fn resource_key(
    source: Source,
    topic: &str,
    body: &[u8],
    defaults: &PayloadDefaults,
) -> Option<String> {
    match source {
        Source::Shopify => shopify::resource_key(topic, body).ok().flatten(),
        Source::Chatwoot => chatwoot::resource_key(topic, body, defaults.chatwoot_account_id),
        Source::GoldReplies => gold_reply::resource_key(body),
    }
}

/// A Shopify delivery's resource key, in the same pass that proves the body is JSON: `Err` when
/// it is not.
pub fn shopify_resource_key(topic: &str, body: &[u8]) -> Result<Option<String>, serde_json::Error> {
    shopify::resource_key(topic, body)
}

/// For Chatwoot deliveries without an `X-Chatwoot-Delivery` header: the fallback dedup key
/// `<event>:<id>:<updated_at>` from the body (`updated_at`, else `created_at`, as written).
/// `None` if the body lacks any part.
pub fn chatwoot_fallback_delivery_id(body: &Value, raw: &[u8]) -> Option<String> {
    chatwoot::fallback_delivery_id(body, raw)
}

/// A Chatwoot delivery's resource key from its already parsed body (see [`resource_key`]).
pub fn chatwoot_resource_key(
    topic: &str,
    body: &Value,
    defaults: &PayloadDefaults,
) -> Option<String> {
    chatwoot::key_of(topic, body, defaults.chatwoot_account_id)
}

/// `value`, or an error naming `field` when the payload lacks it.
fn required<T>(value: Option<T>, field: &'static str) -> Result<T, PayloadError> {
    value.ok_or(PayloadError::Field(field))
}

/// An RFC 3339 time (`2021-12-31T19:00:00-05:00`, `2021-07-23T18:02:48.000Z`) as unix ms;
/// `field` names the error when it does not parse.
fn rfc3339_ms(text: &str, field: &'static str) -> Result<i64, PayloadError> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| PayloadError::Field(field))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).map_err(|_| PayloadError::Field(field))
}

/// A string field; absent, null or another type is `None`.
fn text(object: &Value, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

/// An integer field; absent, null or another type is `None`.
fn int(object: &Value, key: &str) -> Option<i64> {
    object.get(key)?.as_i64()
}

/// An RFC 3339 time field as unix ms: absent or null is `None`, anything else must parse.
fn time_ms(object: &Value, key: &'static str) -> Result<Option<i64>, PayloadError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => rfc3339_ms(text, key).map(Some),
        Some(_) => Err(PayloadError::Field(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> PayloadContext {
        PayloadContext {
            triggered_at: None,
            received_at: 1_700_000_000_000,
            webhook_event_id: 7,
            defaults: PayloadDefaults::default(),
        }
    }

    #[test]
    fn rfc3339_with_offset_and_fraction_converts_to_unix_ms() {
        assert_eq!(
            rfc3339_ms("2021-12-31T19:00:00-05:00", "t").ok(),
            Some(1_640_995_200_000)
        );
        assert_eq!(
            rfc3339_ms("2021-07-23T18:02:48.123Z", "t").ok(),
            Some(1_627_063_368_123)
        );
        assert!(matches!(
            rfc3339_ms("yesterday", "t"),
            Err(PayloadError::Field("t"))
        ));
    }

    #[test]
    fn event_time_prefers_triggered_at_over_received_at() {
        assert_eq!(cx().event_time(), 1_700_000_000_000);
        let triggered = PayloadContext {
            triggered_at: Some(5),
            ..cx()
        };
        assert_eq!(triggered.event_time(), 5);
    }

    #[test]
    fn unknown_topics_are_ignored_for_every_source() {
        for source in Source::ALL {
            let handled = derive_effects(source, "shop/update", br#"{"id":1}"#, &cx());
            assert_eq!(handled.ok(), Some(Handled::Ignored), "{source}");
        }
    }

    #[test]
    fn malformed_json_is_a_json_error_for_vendor_sources() {
        let shopify = derive_effects(Source::Shopify, "orders/create", b"{not json", &cx());
        assert!(matches!(shopify, Err(PayloadError::Json(_))));
        let chatwoot = derive_effects(Source::Chatwoot, "message_created", b"[", &cx());
        assert!(matches!(chatwoot, Err(PayloadError::Json(_))));
    }

    #[test]
    fn invalid_gold_reply_is_a_permanent_error_listing_fields() {
        let err = derive_effects(Source::GoldReplies, GOLD_REPLY_TOPIC, b"{}", &cx());
        let Err(PayloadError::GoldReply(errors)) = err else {
            panic!("expected GoldReply error")
        };
        assert!(errors.iter().any(|e| e.field == "conversationId"));
        let text = PayloadError::GoldReply(errors).to_string();
        assert!(text.contains("shopDomain is required"), "{text}");
    }

    #[test]
    fn resource_key_is_none_for_unreadable_bodies() {
        for source in Source::ALL {
            assert_eq!(
                resource_key(
                    source,
                    "orders/create",
                    b"\xff\xfe",
                    &PayloadDefaults::default()
                ),
                None
            );
        }
        assert_eq!(chatwoot_fallback_delivery_id(&Value::Null, b"nope"), None);
    }
}
