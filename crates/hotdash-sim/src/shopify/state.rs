//! What one Shopify simulator holds between requests: the world, the configuration, the switches
//! that can change at run time, the granted access scopes, the cost bucket, webhook
//! subscriptions, bulk operations and usage statistics.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::ShopifyConfig;
use super::bucket::{Bucket, Plan, ThrottleStatus};
use super::bulk::BulkStore;
use super::scopes::AccessScopes;
use super::stats::ShopifyStats;
use super::subscriptions::SubscriptionRegistry;
use crate::world::SharedWorld;

/// How a throttled request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleMode {
    /// What Shopify does: HTTP 200 with the THROTTLED error body.
    #[default]
    Http200,
    /// HTTP 429 with `Retry-After` (seconds) and the same body, for clients' 429 paths.
    Http429,
}

/// Switches that tests and `PUT /__sim/shopify/settings` may flip while the simulator runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub throttle_mode: ThrottleMode,
    /// Report this version in `X-Shopify-API-Version` whatever was asked, as if the pinned one
    /// had been retired (silent fall-forward, shopify.md §5).
    pub fake_fall_forward: Option<String>,
    /// Send this `X-Shopify-API-Deprecated-Reason` on every response, deprecated fields or not.
    pub always_deprecated_reason: Option<String>,
    /// Share of GraphQL requests answered with INTERNAL_SERVER_ERROR on HTTP 200.
    pub internal_error_rate: f64,
    /// Bulk result files stream at most this many bytes per second (a slow link to the
    /// storage host); unlimited when `None`.
    pub download_bytes_per_sec: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            throttle_mode: ThrottleMode::Http200,
            fake_fall_forward: None,
            always_deprecated_reason: None,
            internal_error_rate: 0.0,
            download_bytes_per_sec: None,
        }
    }
}

pub struct ShopifyState {
    pub world: SharedWorld,
    pub config: ShopifyConfig,
    pub settings: Mutex<Settings>,
    pub bucket: Mutex<Bucket>,
    pub subscriptions: SubscriptionRegistry,
    pub bulk: BulkStore,
    /// Swapped whole, so a request keeps the set it started with.
    pub access_scopes: Mutex<Arc<AccessScopes>>,
    pub stats: Mutex<ShopifyStats>,
}

impl ShopifyState {
    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("shopify settings lock").clone()
    }

    pub fn bucket(&self) -> MutexGuard<'_, Bucket> {
        self.bucket.lock().expect("shopify bucket lock")
    }

    pub fn set_plan(&self, plan: Plan) {
        *self.bucket() = Bucket::new(plan);
    }

    pub fn throttle_status(&self) -> ThrottleStatus {
        self.bucket().peek(Instant::now())
    }

    pub fn access_scopes(&self) -> Arc<AccessScopes> {
        Arc::clone(&self.access_scopes.lock().expect("access scopes lock"))
    }

    pub fn set_access_scopes(&self, scopes: AccessScopes) {
        *self.access_scopes.lock().expect("access scopes lock") = Arc::new(scopes);
    }

    pub fn stats(&self) -> MutexGuard<'_, ShopifyStats> {
        self.stats.lock().expect("shopify stats lock")
    }
}
