//! Every simulator at once over one world: what `hotdash sim` runs, and what end-to-end tests and
//! (later) `hotdash demo` start. Optionally drives live mode and points the vendors' webhooks at a
//! HotDash server, signed with the secrets that server was configured with.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, PoisonError, RwLock};

use time::OffsetDateTime;
use tokio::task::JoinHandle;

use crate::chaos::{FaultWindow, Faults};
use crate::chatwoot::{self, ChatwootConfig, RunningChatwoot};
use crate::ga4::{self, Ga4Config, RunningGa4};
use crate::shopify::subscriptions::NewSubscription;
use crate::shopify::webhooks::SenderConfig;
use crate::shopify::{self, RunningShopify, ShopifyConfig};
use crate::slack::{self, RunningSlack, SlackConfig};
use crate::world::{self, Scale, SharedWorld, World, WorldConfig};

/// The Shopify topics HotDash subscribes to, registered as app-configured subscriptions (the
/// way a `shopify.app.toml` declares them) when a HotDash address is given.
pub const HOTDASH_SHOPIFY_TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "products/create",
    "products/update",
    "products/delete",
    "inventory_levels/update",
    "fulfillments/create",
    "fulfillments/update",
    "fulfillment_orders/order_routing_complete",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/cancelled",
    "fulfillment_orders/fulfillment_request_accepted",
    "bulk_operations/finish",
];

/// Live mode: the store keeps trading while the simulators run.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// New orders per real minute.
    pub orders_per_minute: f64,
    /// Simulated time per real time (60 = an hour of store life per minute).
    pub time_scale: f64,
}

/// Where the vendors deliver webhooks, and the secrets they sign with.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// HotDash's base URL, e.g. `http://127.0.0.1:8080`; deliveries go to `/webhooks/<source>`.
    pub hotdash_url: String,
    /// The Shopify app secret HotDash verifies with.
    pub shopify_secret: String,
    /// The Chatwoot webhook secret; `None` sends unsigned (Chatwoot before 2026).
    pub chatwoot_secret: Option<String>,
    /// Multiplies Shopify's retry waits (1.0 is Shopify's four-hour schedule).
    pub retry_time_scale: f64,
}

/// Which simulators a fault setting applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Shopify,
    Chatwoot,
    Ga4,
    Slack,
}

impl Vendor {
    pub const ALL: [Vendor; 4] = [
        Vendor::Shopify,
        Vendor::Chatwoot,
        Vendor::Ga4,
        Vendor::Slack,
    ];

    /// `shopify`, `chatwoot`, `ga4`, `slack`, or `all`.
    pub fn parse_set(name: &str) -> Option<Vec<Vendor>> {
        Some(match name {
            "shopify" => vec![Vendor::Shopify],
            "chatwoot" => vec![Vendor::Chatwoot],
            "ga4" => vec![Vendor::Ga4],
            "slack" => vec![Vendor::Slack],
            "all" => Vendor::ALL.to_vec(),
            _ => return None,
        })
    }
}

/// Faults for some vendors: on from the start, or in a window.
#[derive(Debug, Clone)]
pub struct FaultSetting {
    pub vendors: Vec<Vendor>,
    /// `None`: on from the start, until changed at `/__sim/chaos`.
    pub window: Option<(f64, f64)>,
    pub faults: Faults,
}

impl FaultSetting {
    /// `VENDOR:KEY=VALUE[,KEY=VALUE…]`, e.g. `shopify:error_rate=0.3,latency_ms=200` or
    /// `all:outage=true`; with `window`, `VENDOR@AFTER+FOR:…` (seconds), e.g. `ga4@10+60:outage=true`.
    /// Keys are the fields of [`Faults`].
    pub fn parse(text: &str) -> Result<FaultSetting, String> {
        let (target, settings) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}`: expected VENDOR:KEY=VALUE[,KEY=VALUE...]"))?;
        let (vendor, window) = match target.split_once('@') {
            None => (target, None),
            Some((vendor, window)) => {
                let (after, duration) = window
                    .split_once('+')
                    .ok_or_else(|| format!("`{window}`: expected AFTER+FOR in seconds"))?;
                let secs = |s: &str| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .ok_or_else(|| format!("`{s}` is not a number of seconds"))
                };
                (vendor, Some((secs(after)?, secs(duration)?)))
            }
        };
        let vendors = Vendor::parse_set(vendor).ok_or_else(|| {
            format!("unknown vendor `{vendor}` (shopify, chatwoot, ga4, slack or all)")
        })?;
        let mut object = serde_json::Map::new();
        for pair in settings.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}`: expected KEY=VALUE"))?;
            let value = serde_json::from_str(value)
                .map_err(|_| format!("`{value}` is not a number or true/false"))?;
            object.insert(key.to_owned(), value);
        }
        let faults = serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|e| format!("`{settings}`: {e}"))?;
        Ok(FaultSetting {
            vendors,
            window,
            faults,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SuiteConfig {
    pub seed: u64,
    pub scale: Scale,
    /// The world's "now"; `None` takes the wall clock.
    pub now: Option<OffsetDateTime>,
    pub host: IpAddr,
    /// 0: every simulator on a free port. Otherwise Shopify, Chatwoot, GA4 and Slack listen on
    /// this port and the three after it.
    pub base_port: u16,
    pub live: Option<Live>,
    pub webhooks: Option<WebhookTarget>,
    /// Faults to switch on at start or in a window (CLI `--fault`).
    pub faults: Vec<FaultSetting>,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            seed: 1,
            scale: Scale::Small,
            now: None,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            live: None,
            webhooks: None,
            faults: Vec::new(),
        }
    }
}

/// The running simulators. Dropping it stops them all.
pub struct Simulators {
    pub world: SharedWorld,
    pub shopify: RunningShopify,
    pub chatwoot: RunningChatwoot,
    pub ga4: RunningGa4,
    pub slack: RunningSlack,
    tasks: Vec<JoinHandle<()>>,
}

impl Simulators {
    pub async fn start(config: SuiteConfig) -> anyhow::Result<Simulators> {
        let world_config = WorldConfig {
            seed: config.seed,
            scale: config.scale,
            now: config.now.unwrap_or_else(OffsetDateTime::now_utc),
        };
        // Generating the large scale takes seconds of CPU: keep it off the async workers.
        let world = tokio::task::spawn_blocking(move || World::generate(world_config)).await?;
        let world: SharedWorld = Arc::new(RwLock::new(world));
        let addr = |offset: u16| {
            let port = match config.base_port {
                0 => 0,
                base => base + offset,
            };
            SocketAddr::new(config.host, port)
        };

        let target = config.webhooks.clone();
        let mut webhooks = SenderConfig::new(
            (target.as_ref().map(|t| t.shopify_secret.as_str()))
                .unwrap_or(shopify::DEFAULT_WEBHOOK_SECRET),
        );
        if let Some(target) = &target {
            webhooks.time_scale = target.retry_time_scale;
        }
        let shopify_config = ShopifyConfig {
            webhooks,
            ..ShopifyConfig::default()
        };
        let shopify = shopify::start_on(addr(0), world.clone(), shopify_config).await?;
        let chatwoot = chatwoot::start(
            world.clone(),
            ChatwootConfig {
                addr: addr(1),
                ..ChatwootConfig::default()
            },
        )
        .await?;
        let ga4 = ga4::start(
            world.clone(),
            Ga4Config {
                addr: addr(2),
                ..Ga4Config::default()
            },
        )
        .await?;
        let slack = slack::start(SlackConfig {
            addr: addr(3),
            ..SlackConfig::default()
        })
        .await?;

        let subscribe = || {
            world
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .subscribe()
        };
        let mut tasks = Vec::new();
        if let Some(target) = &target {
            let base = target.hotdash_url.trim_end_matches('/');
            for topic in HOTDASH_SHOPIFY_TOPICS {
                shopify
                    .handles
                    .subscriptions
                    .create_app_subscription(NewSubscription {
                        topic: (*topic).to_owned(),
                        uri: format!("{base}/webhooks/shopify"),
                        ..NewSubscription::default()
                    });
            }
            chatwoot.webhooks().subscribe(chatwoot::Subscription::new(
                format!("{base}/webhooks/chatwoot"),
                target.chatwoot_secret.as_deref(),
            ));
        }
        chatwoot.send_live_webhooks(subscribe());
        if let Some(live) = config.live {
            let (driver, _changes) =
                world::live_driver(world.clone(), live.orders_per_minute, live.time_scale);
            tasks.push(driver);
        }
        let simulators_chaos = |vendor: Vendor| match vendor {
            Vendor::Shopify => shopify.chaos().clone(),
            Vendor::Chatwoot => chatwoot.chaos().clone(),
            Vendor::Ga4 => ga4.chaos().clone(),
            Vendor::Slack => slack.chaos().clone(),
        };
        for setting in &config.faults {
            for vendor in &setting.vendors {
                let chaos = simulators_chaos(*vendor);
                match setting.window {
                    None => chaos.set(setting.faults.clone()),
                    Some((after_secs, for_secs)) => FaultWindow {
                        after_secs,
                        for_secs,
                        faults: setting.faults.clone(),
                    }
                    .apply(&chaos)
                    .map_err(anyhow::Error::msg)?,
                }
            }
        }
        Ok(Simulators {
            world,
            shopify,
            chatwoot,
            ga4,
            slack,
            tasks,
        })
    }

    /// What a person (or a script) needs to point clients at the simulators.
    pub fn summary(&self) -> String {
        let (orders, conversations) = {
            let world = self.world.read().unwrap_or_else(PoisonError::into_inner);
            (world.order_count(), world.conversations().len())
        };
        let mut lines = vec![
            format!("Simulated Hot Rod AN store: {orders} orders, {conversations} conversations"),
            format!(
                "Shopify Admin GraphQL  {}  (X-Shopify-Access-Token: {})",
                self.shopify.graphql_url(),
                self.shopify.access_token()
            ),
            format!(
                "Chatwoot               {}  (account {}, admin api_access_token: {}, agent: {})",
                self.chatwoot.url(),
                self.chatwoot.account_id(),
                self.chatwoot.admin_token(),
                self.chatwoot.agent_token()
            ),
            format!(
                "GA4 Data API           {}  (property {}, OAuth token endpoint {})",
                self.ga4.url(),
                self.ga4.property_id(),
                self.ga4.token_url()
            ),
            format!("Slack incoming webhook {}", self.slack.webhook_url()),
            "Fault injection: GET/PUT/DELETE <simulator>/__sim/chaos".to_owned(),
        ];
        let shopify_targets = self.shopify.handles.subscriptions.list();
        if let Some(first) = shopify_targets.first() {
            lines.push(format!(
                "Webhooks: Shopify ({} topics) and Chatwoot deliver to {}",
                shopify_targets.len(),
                first.uri.trim_end_matches("/shopify")
            ));
        }
        lines.join("\n")
    }
}

impl Drop for Simulators {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
