//! Where deliveries go: the subscriptions the sender asks for when an event fires, and the
//! rule that removes an API-created subscription after 8 consecutive failed attempts
//! (shopify.md §3.3). The GraphQL simulator's `SubscriptionRegistry` implements `Subscribers`
//! here; `MemorySubscribers` is a plain list with the same rule for tests and standalone use.

use std::sync::Mutex;

use serde::Serialize;

use crate::shopify::subscriptions::{
    DeliveryEffect, MAX_CONSECUTIVE_FAILURES, SubscriptionRegistry,
};
use crate::world::model::{gid, parse_gid};

/// A webhook subscription as the sender needs it at the moment an event fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The subscription's GID, `gid://shopify/WebhookSubscription/1`.
    pub id: String,
    /// The HTTPS (here: loopback HTTP) address deliveries are POSTed to.
    pub uri: String,
    /// The subscription's `name`, sent as `X-Shopify-Name`.
    pub name: Option<String>,
    /// `includeFields`: the top-level body keys to keep (`a.b` keeps `a`); empty keeps all.
    pub include_fields: Vec<String>,
    /// The version this subscription's payloads claim (`X-Shopify-API-Version`); None uses
    /// the sender's.
    pub api_version: Option<String>,
}

/// The subscription store the sender reads and reports to.
pub trait Subscribers: Send + Sync + 'static {
    /// The subscriptions for `topic` (REST form, `orders/create`) right now.
    fn for_topic(&self, topic: &str) -> Vec<Target>;

    /// Records one delivery attempt. Returns false once the subscription no longer exists
    /// (removed after repeated failures, or deleted), which stops further retries.
    fn record_delivery_result(&self, id: &str, ok: bool) -> bool;
}

#[derive(Debug)]
struct Entry {
    topic: String,
    target: Target,
    /// Only API-created subscriptions are removed for failing; app-config ones stay.
    api_created: bool,
    failures: u32,
}

/// An in-memory subscription list.
#[derive(Debug, Default)]
pub struct MemorySubscribers {
    entries: Mutex<Vec<Entry>>,
}

impl MemorySubscribers {
    pub fn new() -> MemorySubscribers {
        MemorySubscribers::default()
    }

    /// Subscribes `target` to `topic` (REST form).
    pub fn add(&self, topic: &str, target: Target, api_created: bool) {
        self.lock().push(Entry {
            topic: topic.to_owned(),
            target,
            api_created,
            failures: 0,
        });
    }

    /// The ids of the subscriptions that still exist.
    pub fn ids(&self) -> Vec<String> {
        self.lock().iter().map(|e| e.target.id.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().expect("subscriptions lock")
    }
}

impl Subscribers for MemorySubscribers {
    fn for_topic(&self, topic: &str) -> Vec<Target> {
        let entries = self.lock();
        (entries.iter())
            .filter(|e| e.topic == topic)
            .map(|e| e.target.clone())
            .collect()
    }

    fn record_delivery_result(&self, id: &str, ok: bool) -> bool {
        let mut entries = self.lock();
        let mut found = false;
        for entry in entries.iter_mut().filter(|e| e.target.id == id) {
            found = true;
            entry.failures = if ok { 0 } else { entry.failures + 1 };
        }
        entries.retain(|e| !(e.api_created && e.failures >= MAX_CONSECUTIVE_FAILURES));
        found && entries.iter().any(|e| e.target.id == id)
    }
}

impl Subscribers for SubscriptionRegistry {
    fn for_topic(&self, topic: &str) -> Vec<Target> {
        // XML subscriptions are not simulated: they get the JSON body.
        let subscriptions = SubscriptionRegistry::for_topic(self, topic);
        (subscriptions.into_iter())
            .map(|s| Target {
                id: gid("WebhookSubscription", s.id),
                uri: s.uri,
                name: s.name,
                include_fields: s.include_fields,
                api_version: Some(s.api_version),
            })
            .collect()
    }

    fn record_delivery_result(&self, id: &str, ok: bool) -> bool {
        let Some(id) = parse_gid("WebhookSubscription", id) else {
            return false;
        };
        let effect = SubscriptionRegistry::record_delivery_result(self, id, ok);
        matches!(effect, DeliveryEffect::Kept { .. })
    }
}

/// Keeps only the `include_fields` of a JSON object body (Shopify's `includeFields`).
pub(crate) fn include_fields(payload: &serde_json::Value, fields: &[String]) -> serde_json::Value {
    let (false, Some(object)) = (fields.is_empty(), payload.as_object()) else {
        return payload.clone();
    };
    let keep = |key: &str| (fields.iter()).any(|f| f.split('.').next() == Some(key));
    let kept = (object.iter())
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()));
    serde_json::Value::Object(kept.collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn target(id: &str) -> Target {
        Target {
            id: id.into(),
            uri: "http://127.0.0.1:9/hook".into(),
            name: None,
            include_fields: vec![],
            api_version: None,
        }
    }

    #[test]
    fn api_subscriptions_go_after_eight_consecutive_failures() {
        let subs = MemorySubscribers::new();
        subs.add("orders/create", target("api"), true);
        subs.add("orders/create", target("app"), false);
        for _ in 0..7 {
            assert!(subs.record_delivery_result("api", false));
        }
        // A success resets the count.
        assert!(subs.record_delivery_result("api", true));
        for _ in 0..7 {
            assert!(subs.record_delivery_result("api", false));
        }
        assert!(!subs.record_delivery_result("api", false));
        for _ in 0..20 {
            assert!(subs.record_delivery_result("app", false));
        }
        assert_eq!(subs.ids(), ["app"]);
        assert_eq!(subs.for_topic("orders/create"), [target("app")]);
        assert!(subs.for_topic("orders/paid").is_empty());
    }

    #[test]
    fn include_fields_keeps_named_top_level_keys() {
        let body = json!({"id": 1, "updated_at": "x", "line_items": [{"sku": "A"}], "note": "n"});
        let fields = ["id".to_owned(), "line_items.sku".to_owned()];
        assert_eq!(
            include_fields(&body, &fields),
            json!({"id": 1, "line_items": [{"sku": "A"}]})
        );
        assert_eq!(include_fields(&body, &[]), body);
    }
}
