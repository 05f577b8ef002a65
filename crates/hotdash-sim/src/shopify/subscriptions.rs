//! The shop's webhook subscriptions: what `webhookSubscriptionCreate/Update/Delete` and
//! `webhookSubscriptions` read and write, and what the webhook sender delivers to.
//!
//! Shopify deletes a subscription made through the Admin API after 8 consecutive failed
//! deliveries (shopify.md §3.3); app-configured (TOML) ones are never removed that way, so the
//! registry keeps both kinds and `record_delivery_result` applies the rule.
//!
//! The Admin API sees only the shop-specific subscriptions it created: app-specific (TOML)
//! subscriptions are not listed, counted, found, updated or deleted through it (shopify.md
//! §3.6), though they are delivered to like any other. The GraphQL side therefore reads
//! `api_created()` / `get_api_created()`; `list()` and `get()` see both kinds.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

/// Consecutive failed deliveries after which an API-created subscription is deleted.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 8;

/// Where a subscription came from; only API-created ones are removed after repeated failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionSource {
    /// `webhookSubscriptionCreate` (shop-specific).
    AdminApi,
    /// Declared in the app's configuration (`shopify.app.toml`), applies to every shop.
    AppConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Numeric part of `gid://shopify/WebhookSubscription/<id>`.
    pub id: u64,
    /// The GraphQL enum value, e.g. `ORDERS_CREATE`; see [`rest_topic`] for `orders/create`.
    pub topic: String,
    /// Where deliveries go (`uri` in 2025-10+, `callbackUrl` before).
    pub uri: String,
    /// `JSON` or `XML`.
    pub format: String,
    pub include_fields: Vec<String>,
    pub metafield_namespaces: Vec<String>,
    pub filter: Option<String>,
    /// Sent as `X-Shopify-Name` (2026-04+).
    pub name: Option<String>,
    /// The API version payloads are serialised with (`X-Shopify-API-Version`).
    pub api_version: String,
    pub source: SubscriptionSource,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Failed deliveries since the last success.
    pub consecutive_failures: u32,
}

/// The fields `webhookSubscriptionCreate` takes (`WebhookSubscriptionInput` plus the topic).
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub topic: String,
    pub uri: String,
    /// Defaults to `JSON`.
    pub format: Option<String>,
    pub include_fields: Vec<String>,
    pub metafield_namespaces: Vec<String>,
    pub filter: Option<String>,
    pub name: Option<String>,
}

/// `webhookSubscriptionUpdate`: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionUpdate {
    pub uri: Option<String>,
    pub format: Option<String>,
    pub include_fields: Option<Vec<String>>,
    pub metafield_namespaces: Option<Vec<String>>,
    pub filter: Option<Option<String>>,
    pub name: Option<Option<String>>,
}

/// What one delivery result did to its subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryEffect {
    /// Still subscribed; this many failures in a row so far.
    Kept { consecutive_failures: u32 },
    /// Deleted after `MAX_CONSECUTIVE_FAILURES` failures in a row.
    Removed,
    /// No such subscription (already deleted).
    Unknown,
}

/// The subscription store; cheap to clone, shared by the GraphQL API and the webhook sender.
#[derive(Debug, Clone)]
pub struct SubscriptionRegistry {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    next_id: u64,
    api_version: String,
    by_id: BTreeMap<u64, Subscription>,
}

impl SubscriptionRegistry {
    /// An empty registry whose new subscriptions are serialised with `api_version`.
    pub fn new(api_version: &str) -> Self {
        SubscriptionRegistry {
            inner: Arc::new(Mutex::new(State {
                // Shopify's ids are large; starting high keeps them visibly distinct from orders.
                next_id: 1_000_001,
                api_version: api_version.to_owned(),
                by_id: BTreeMap::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().expect("subscription registry lock")
    }

    /// Adds an Admin API subscription (what `webhookSubscriptionCreate` does).
    pub fn create(&self, new: NewSubscription) -> Subscription {
        self.insert(new, SubscriptionSource::AdminApi)
    }

    /// Adds an app-configured subscription, which repeated failures never remove.
    pub fn create_app_subscription(&self, new: NewSubscription) -> Subscription {
        self.insert(new, SubscriptionSource::AppConfig)
    }

    fn insert(&self, new: NewSubscription, source: SubscriptionSource) -> Subscription {
        let now = OffsetDateTime::now_utc();
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        let subscription = Subscription {
            id,
            topic: enum_topic(&new.topic),
            uri: new.uri,
            format: new.format.unwrap_or_else(|| "JSON".to_owned()),
            include_fields: new.include_fields,
            metafield_namespaces: new.metafield_namespaces,
            filter: new.filter,
            name: new.name,
            api_version: state.api_version.clone(),
            source,
            created_at: now,
            updated_at: now,
            consecutive_failures: 0,
        };
        state.by_id.insert(id, subscription.clone());
        subscription
    }

    /// Every subscription, oldest first, of both kinds.
    pub fn list(&self) -> Vec<Subscription> {
        self.lock().by_id.values().cloned().collect()
    }

    pub fn get(&self, id: u64) -> Option<Subscription> {
        self.lock().by_id.get(&id).cloned()
    }

    /// The subscriptions the Admin API created, oldest first: what `webhookSubscriptions`
    /// lists.
    pub fn api_created(&self) -> Vec<Subscription> {
        (self.lock().by_id.values())
            .filter(|s| s.source == SubscriptionSource::AdminApi)
            .cloned()
            .collect()
    }

    /// One subscription, if the Admin API created it.
    pub fn get_api_created(&self, id: u64) -> Option<Subscription> {
        self.get(id)
            .filter(|s| s.source == SubscriptionSource::AdminApi)
    }

    /// Subscriptions to `topic`, given as the enum (`ORDERS_CREATE`) or REST (`orders/create`)
    /// name.
    pub fn for_topic(&self, topic: &str) -> Vec<Subscription> {
        let wanted = enum_topic(topic);
        self.lock()
            .by_id
            .values()
            .filter(|s| s.topic == wanted)
            .cloned()
            .collect()
    }

    pub fn update(&self, id: u64, update: SubscriptionUpdate) -> Option<Subscription> {
        let mut state = self.lock();
        let subscription = state.by_id.get_mut(&id)?;
        if let Some(uri) = update.uri {
            subscription.uri = uri;
        }
        if let Some(format) = update.format {
            subscription.format = format;
        }
        if let Some(fields) = update.include_fields {
            subscription.include_fields = fields;
        }
        if let Some(namespaces) = update.metafield_namespaces {
            subscription.metafield_namespaces = namespaces;
        }
        if let Some(filter) = update.filter {
            subscription.filter = filter;
        }
        if let Some(name) = update.name {
            subscription.name = name;
        }
        subscription.updated_at = OffsetDateTime::now_utc();
        Some(subscription.clone())
    }

    /// Removes a subscription; false if there was none.
    pub fn delete(&self, id: u64) -> bool {
        self.lock().by_id.remove(&id).is_some()
    }

    /// Counts a delivery outcome: a success resets the failure run, and the 8th consecutive
    /// failure deletes an Admin API subscription (app-configured ones stay).
    pub fn record_delivery_result(&self, id: u64, ok: bool) -> DeliveryEffect {
        let mut state = self.lock();
        let Some(subscription) = state.by_id.get_mut(&id) else {
            return DeliveryEffect::Unknown;
        };
        if ok {
            subscription.consecutive_failures = 0;
            return DeliveryEffect::Kept {
                consecutive_failures: 0,
            };
        }
        subscription.consecutive_failures += 1;
        let failures = subscription.consecutive_failures;
        if failures >= MAX_CONSECUTIVE_FAILURES
            && subscription.source == SubscriptionSource::AdminApi
        {
            state.by_id.remove(&id);
            tracing::info!(
                subscription = id,
                failures,
                "removed webhook subscription after consecutive failures"
            );
            return DeliveryEffect::Removed;
        }
        DeliveryEffect::Kept {
            consecutive_failures: failures,
        }
    }
}

/// Resource prefixes of more than one word, longest first, so `FULFILLMENT_ORDERS_MOVED` splits
/// as `fulfillment_orders/moved` and not `fulfillment/orders_moved`.
const MULTI_WORD_RESOURCES: &[&str] = &[
    "SUBSCRIPTION_BILLING_CYCLE_EDITS",
    "CUSTOMERS_EMAIL_MARKETING_CONSENT",
    "CUSTOMERS_WHATS_APP_MARKETING_CONSENT",
    "SUBSCRIPTION_BILLING_ATTEMPTS",
    "SUBSCRIPTION_BILLING_CYCLES",
    "REVERSE_FULFILLMENT_ORDERS",
    "SCHEDULED_PRODUCT_LISTINGS",
    "CUSTOMERS_MARKETING_CONSENT",
    "CUSTOMER_PAYMENT_METHODS",
    "CUSTOMER_ACCOUNT_SETTINGS",
    "FINANCE_APP_STAFF_MEMBER",
    "DELIVERY_PROMISE_SETTINGS",
    "COLLECTION_PUBLICATIONS",
    "SUBSCRIPTION_CONTRACTS",
    "APP_PURCHASES_ONE_TIME",
    "COMPANY_CONTACT_ROLES",
    "METAFIELD_DEFINITIONS",
    "PRODUCT_PUBLICATIONS",
    "FINANCE_KYC_INFORMATION",
    "FULFILLMENT_ORDERS",
    "FULFILLMENT_EVENTS",
    "FULFILLMENT_HOLDS",
    "INVENTORY_SHIPMENTS",
    "INVENTORY_TRANSFERS",
    "MARKETS_BACKUP_REGION",
    "COLLECTION_LISTINGS",
    "ORDER_TRANSACTIONS",
    "REVERSE_DELIVERIES",
    "SELLING_PLAN_GROUPS",
    "SHIPPING_ADDRESSES",
    "TENDER_TRANSACTIONS",
    "APP_SUBSCRIPTIONS",
    "COMPANY_LOCATIONS",
    "PAYMENT_SCHEDULES",
    "COMPANY_CONTACTS",
    "INVENTORY_LEVELS",
    "PRODUCT_LISTINGS",
    "CUSTOMER_GROUPS",
    "BULK_OPERATIONS",
    "INVENTORY_ITEMS",
    "PAYMENT_TERMS",
    "PRODUCT_FEEDS",
    "CUSTOMER_TAGS",
    "TAX_SERVICES",
    "AUDIT_EVENTS",
    "DRAFT_ORDERS",
    "APP_SCOPES",
];

/// `ORDERS_CREATE` → `orders/create`, `FULFILLMENT_ORDERS_MOVED` → `fulfillment_orders/moved`.
/// A value already in REST form is returned unchanged.
pub fn rest_topic(topic: &str) -> String {
    if topic.contains('/') {
        return topic.to_owned();
    }
    let resource = MULTI_WORD_RESOURCES
        .iter()
        .copied()
        .filter(|prefix| {
            topic
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('_'))
        })
        .max_by_key(|prefix| prefix.len());
    let (resource, event) = match resource {
        Some(resource) => (resource, &topic[resource.len() + 1..]),
        None => topic.split_once('_').unwrap_or((topic, "")),
    };
    format!(
        "{}/{}",
        resource.to_ascii_lowercase(),
        event.to_ascii_lowercase()
    )
}

/// `orders/create` → `ORDERS_CREATE`; an enum value is returned unchanged.
pub fn enum_topic(topic: &str) -> String {
    topic.replace('/', "_").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(topic: &str) -> NewSubscription {
        NewSubscription {
            topic: topic.to_owned(),
            uri: "http://127.0.0.1:9/webhooks/shopify".to_owned(),
            ..NewSubscription::default()
        }
    }

    #[test]
    fn topics_convert_between_enum_and_rest_names() {
        for (enum_name, rest) in [
            ("ORDERS_CREATE", "orders/create"),
            ("ORDERS_PARTIALLY_FULFILLED", "orders/partially_fulfilled"),
            (
                "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
                "fulfillment_orders/placed_on_hold",
            ),
            ("INVENTORY_LEVELS_UPDATE", "inventory_levels/update"),
            ("BULK_OPERATIONS_FINISH", "bulk_operations/finish"),
            ("APP_UNINSTALLED", "app/uninstalled"),
            ("REFUNDS_CREATE", "refunds/create"),
        ] {
            assert_eq!(rest_topic(enum_name), rest);
            assert_eq!(enum_topic(rest), enum_name);
        }
    }

    #[test]
    fn eighth_consecutive_failure_removes_an_api_subscription_only() {
        let registry = SubscriptionRegistry::new("2026-07");
        let api = registry.create(new("ORDERS_CREATE"));
        let app = registry.create_app_subscription(new("ORDERS_CREATE"));
        for attempt in 1..MAX_CONSECUTIVE_FAILURES {
            assert_eq!(
                registry.record_delivery_result(api.id, false),
                DeliveryEffect::Kept {
                    consecutive_failures: attempt
                }
            );
        }
        // A success in between would reset the run; here the 8th failure removes it.
        assert_eq!(
            registry.record_delivery_result(api.id, false),
            DeliveryEffect::Removed
        );
        assert_eq!(registry.get(api.id), None);
        for _ in 0..20 {
            registry.record_delivery_result(app.id, false);
        }
        assert!(registry.get(app.id).is_some());
        assert_eq!(
            registry.record_delivery_result(api.id, true),
            DeliveryEffect::Unknown
        );
    }

    #[test]
    fn a_success_resets_the_failure_run() {
        let registry = SubscriptionRegistry::new("2026-07");
        let sub = registry.create(new("orders/updated"));
        for _ in 0..7 {
            registry.record_delivery_result(sub.id, false);
        }
        registry.record_delivery_result(sub.id, true);
        for _ in 0..7 {
            registry.record_delivery_result(sub.id, false);
        }
        assert!(registry.get(sub.id).is_some());
        assert_eq!(registry.for_topic("ORDERS_UPDATED").len(), 1);
    }
}
