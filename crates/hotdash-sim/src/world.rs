//! The simulated Hot Rod AN store, deterministic from a seed: catalog, orders, inventory,
//! fulfilments, support conversations and web traffic, plus the changes live mode makes.
//!
//! Every simulator reads one `World` behind a `SharedWorld` lock. Orders are generated lazily
//! from `(seed, index)` so the large scale (1M orders) never sits in memory: the world keeps a
//! creation-time table and an `updated_at` index (about 24 bytes per order) and regenerates an
//! order whenever it is read. Everything else is small enough to hold. Live changes are kept as
//! an overlay and announced on a broadcast channel (`World::subscribe`) that the webhook
//! senders listen to; `live_driver` runs live mode on a timer.

mod book;
mod calendar;
mod catalog;
mod customers;
mod export;
mod history;
pub mod ids;
mod inventory;
mod live;
pub mod model;
mod orders;
mod rng;
mod support;
mod traffic;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use time::{Date, Duration, OffsetDateTime};
use tokio::sync::broadcast;

use book::{OrderBook, key_range};
use catalog::Catalog;
use history::DaySales;
use model::{
    Agent, Contact, Conversation, Inbox, InventoryItem, InventoryLevel, Location, Order, Product,
    Shop, TrafficRow, Variant,
};
use orders::Picker;

pub use calendar::{SHOP_TIME_ZONE, SHOP_UTC_OFFSET, local_date, local_midnight};
pub use live::live_driver;

/// How much history the store has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// The real store: about 40 orders a month over a year.
    Small,
    /// About 50,000 orders over two years.
    Medium,
    /// About 100,000 orders over two years: the store of the bulk-backfill benchmark.
    Bench,
    /// About 1,000,000 orders over two years, generated lazily.
    Large,
}

#[derive(Debug, Clone)]
pub struct WorldConfig {
    pub seed: u64,
    pub scale: Scale,
    /// The simulated "now": history ends here. Tests pin it; `hotdash sim` uses the wall clock.
    pub now: OffsetDateTime,
}

/// A change the world made after generation (live mode or an admin action), announced to the
/// webhook senders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    OrderCreated {
        order_id: u64,
    },
    OrderUpdated {
        order_id: u64,
    },
    OrderFulfilled {
        order_id: u64,
        fulfillment_id: u64,
    },
    FulfillmentOrderUpdated {
        order_id: u64,
        fulfillment_order_id: u64,
    },
    InventoryLevelUpdated {
        inventory_item_id: u64,
        location_id: u64,
    },
    ProductUpdated {
        product_id: u64,
    },
    ConversationCreated {
        conversation_id: u64,
    },
    ConversationUpdated {
        conversation_id: u64,
    },
    MessageCreated {
        conversation_id: u64,
        message_id: u64,
    },
}

pub type SharedWorld = Arc<RwLock<World>>;

/// Order facts the `Order` record does not carry (see `World::order_details`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderDetails {
    pub customer_first_name: String,
    pub customer_last_name: String,
    pub customer_phone: Option<String>,
    pub discount_codes: Vec<String>,
    /// "Standard Shipping", "Free Shipping", "UPS 2-Day", "UPS Next Day Air", "Canada Flat Rate"
    pub shipping_title: String,
}

/// How many changes a slow subscriber may fall behind before it sees `Lagged`.
const CHANGE_BUFFER: usize = 4_096;

pub struct World {
    config: WorldConfig,
    catalog: Catalog,
    picker: Picker,
    levels: Vec<InventoryLevel>,
    book: OrderBook,
    /// First shop-local day with history.
    history_start: Date,
    /// Online sales per day from `history_start`, kept in step with live orders.
    sales: Vec<DaySales>,
    /// Orders each history day was expected to have (drives GA4 sessions).
    expected: Vec<f64>,
    /// GA4 landing pages and their share of sessions.
    landing_pages: Vec<(String, f64)>,
    support: support::Support,
    /// The world's current time: `config.now` until live mode moves it forward.
    now: OffsetDateTime,
    changes: broadcast::Sender<Change>,
    /// Changes broadcast so far, so a follower can tell when it has seen them all.
    changes_sent: u64,
}

impl World {
    pub fn generate(config: WorldConfig) -> World {
        let now = calendar::whole_seconds(config.now);
        let (days, total) = history::extent(config.scale);
        let history_start = local_date(now) - Duration::days(days - 1);
        let start_instant = local_midnight(history_start);
        let opened = calendar::whole_seconds(start_instant - Duration::days(420));
        let catalog = catalog::build(config.seed, opened, start_instant, now);
        let picker = Picker::new(&catalog, total as u64);
        let expected = history::expected_per_day(config.seed, history_start, days, total);
        let created = history::schedule(config.seed, history_start, &expected, now);
        let scan = history::scan(&history::ScanInput {
            seed: config.seed,
            catalog: &catalog,
            picker: &picker,
            created: &created,
            start: history_start,
            days: days as usize,
            now,
        });
        let levels = inventory::build_levels(config.seed, &catalog, &scan.stock, days, now);
        let book = OrderBook {
            base_count: created.len() as u64,
            created,
            by_updated: scan.by_updated,
            overlay: BTreeMap::new(),
            overlay_by_updated: BTreeSet::new(),
            active: scan.active.into_iter().collect(),
        };
        let landing_pages = traffic::landing_pages(&catalog);
        let mut world = World {
            config: WorldConfig { now, ..config },
            catalog,
            picker,
            levels,
            book,
            history_start,
            sales: scan.sales,
            expected,
            landing_pages,
            support: support::Support::default(),
            now,
            changes: broadcast::channel(CHANGE_BUFFER).0,
            changes_sent: 0,
        };
        world.support = support::generate(&world);
        world
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The world's current time: the configured `now`, or later once live mode has run.
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// Receives every change made from now on (live mode, admin actions).
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// How many changes have been broadcast (to subscribers or to none).
    pub fn changes_sent(&self) -> u64 {
        self.changes_sent
    }

    pub fn shop(&self) -> &Shop {
        &self.catalog.shop
    }

    pub fn locations(&self) -> &[Location] {
        &self.catalog.locations
    }

    pub fn products(&self) -> &[Product] {
        &self.catalog.products
    }

    pub fn product(&self, id: u64) -> Option<&Product> {
        let pos = self
            .catalog
            .products
            .binary_search_by_key(&id, |p| p.id)
            .ok()?;
        self.catalog.products.get(pos)
    }

    pub fn variant(&self, id: u64) -> Option<(&Product, &Variant)> {
        let flat = usize::try_from(id.checked_sub(ids::VARIANT_BASE)?).ok()?;
        (flat < self.catalog.variants_flat.len()).then(|| self.catalog.variant_at(flat))
    }

    pub fn inventory_items(&self) -> &[InventoryItem] {
        &self.catalog.items
    }

    pub fn inventory_item(&self, id: u64) -> Option<&InventoryItem> {
        let pos = usize::try_from(id.checked_sub(ids::INVENTORY_ITEM_BASE)?).ok()?;
        self.catalog.items.get(pos)
    }

    /// Every level, ordered by (inventory item id, location id).
    pub fn inventory_levels(&self) -> &[InventoryLevel] {
        &self.levels
    }

    /// One level, if the item is stocked at the location.
    pub fn inventory_level(
        &self,
        inventory_item_id: u64,
        location_id: u64,
    ) -> Option<&InventoryLevel> {
        let pos = self
            .levels
            .binary_search_by_key(&(inventory_item_id, location_id), |l| {
                (l.inventory_item_id, l.location_id)
            })
            .ok()?;
        self.levels.get(pos)
    }

    pub fn order_count(&self) -> u64 {
        self.book.count()
    }

    /// The current state of one order (generated, then any live changes applied).
    pub fn order(&self, id: u64) -> Option<Order> {
        self.order_at(ids::order_index(id)?)
    }

    /// The order with number `number` (`#1001` is number 1001).
    pub fn order_by_number(&self, number: u64) -> Option<Order> {
        self.order_at(number.checked_sub(ids::FIRST_ORDER_NUMBER)?)
    }

    /// What Shopify knows about an order beyond the `Order` record: the buyer's name and
    /// phone, discount codes and the shipping method.
    pub fn order_details(&self, id: u64) -> Option<OrderDetails> {
        let plan = self.plan(ids::order_index(id)?)?;
        Some(OrderDetails {
            customer_first_name: plan.customer.first_name.to_owned(),
            customer_last_name: plan.customer.last_name.to_owned(),
            customer_phone: plan.customer.phone.clone(),
            discount_codes: plan.discount_code.iter().map(|c| (*c).to_owned()).collect(),
            shipping_title: plan.shipping_title.to_owned(),
        })
    }

    fn order_at(&self, index: u64) -> Option<Order> {
        if let Some(order) = self.book.overlay.get(&index) {
            return Some(order.clone());
        }
        if index >= self.book.base_count {
            return None;
        }
        Some(self.materialize(index, self.config.now).order)
    }

    /// Regenerates order `index` as it stands at `as_of`.
    fn materialize(&self, index: u64, as_of: OffsetDateTime) -> orders::Materialized {
        let created = calendar::from_unix(self.book.created_secs(index).unwrap_or_default());
        let plan = orders::plan(
            self.config.seed,
            &self.catalog,
            &self.picker,
            index,
            created,
        );
        orders::materialize(&plan, &self.catalog, as_of)
    }

    /// The plan behind an order (used by the support generator to talk about real orders).
    fn plan(&self, index: u64) -> Option<orders::Plan> {
        let created = calendar::from_unix(self.book.created_secs(index)?);
        Some(orders::plan(
            self.config.seed,
            &self.catalog,
            &self.picker,
            index,
            created,
        ))
    }

    /// Orders in ascending (updated_at, id) order, starting strictly after `after`, restricted to
    /// `updated_at` in `[from, to)` where given. Lazy: the large scale streams.
    pub fn orders_by_updated_at(
        &self,
        after: Option<(OffsetDateTime, u64)>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Box<dyn Iterator<Item = Order> + '_> {
        let (lo, hi) = key_range(after, from, to);
        Box::new(
            self.book
                .updated_keys(lo, hi)
                .filter_map(move |(_, index)| self.order_at(index)),
        )
    }

    /// Orders in ascending (created_at, id) order, with the same conventions.
    pub fn orders_by_created_at(
        &self,
        after: Option<(OffsetDateTime, u64)>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> Box<dyn Iterator<Item = Order> + '_> {
        let (lo, hi) = key_range(after, from, to);
        Box::new(
            self.book
                .created_keys(lo, hi)
                .filter_map(move |(_, index)| self.order_at(index)),
        )
    }

    /// How many orders have `updated_at` in `[from, to)`, without generating them.
    pub fn count_orders_updated(
        &self,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> u64 {
        let (lo, hi) = key_range(None, from, to);
        self.book.updated_keys(lo, hi).count() as u64
    }

    /// How many orders have `created_at` in `[from, to)`, without generating them.
    pub fn count_orders_created(
        &self,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
    ) -> u64 {
        let (lo, hi) = key_range(None, from, to);
        self.book.created_keys(lo, hi).count() as u64
    }

    pub fn agents(&self) -> &[Agent] {
        &self.support.agents
    }

    pub fn inboxes(&self) -> &[Inbox] {
        &self.support.inboxes
    }

    pub fn contacts(&self) -> &[Contact] {
        &self.support.contacts
    }

    /// Conversations ordered by id (Chatwoot's display id).
    pub fn conversations(&self) -> &[Conversation] {
        &self.support.conversations
    }

    /// The Chatwoot account every conversation belongs to.
    pub fn chatwoot_account_id(&self) -> u64 {
        support::ACCOUNT_ID
    }

    /// The days GA4 has data for, oldest first (both ends inclusive; the last is today, partial).
    pub fn traffic_days(&self) -> (Date, Date) {
        (self.history_start, local_date(self.now))
    }

    /// One day's GA4 rows (computed on demand, deterministic). Empty outside `traffic_days`.
    pub fn traffic(&self, date: Date) -> Vec<TrafficRow> {
        let (first, last) = self.traffic_days();
        if date < first || date > last {
            return Vec::new();
        }
        let offset = (date - first).whole_days();
        let sales = usize::try_from(offset)
            .ok()
            .and_then(|d| self.sales.get(d))
            .copied()
            .unwrap_or_default();
        traffic::day_rows(self, date, sales)
    }

    /// Orders a day is expected to have: the history's plan, extended past it by the same
    /// seasonality for days live mode reaches.
    fn expected_orders(&self, date: Date) -> f64 {
        let offset = (date - self.history_start).whole_days();
        if let Some(e) = usize::try_from(offset)
            .ok()
            .and_then(|d| self.expected.get(d))
        {
            return *e;
        }
        let weight_sum: f64 = (0..self.expected.len())
            .map(|d| calendar::day_weight(self.history_start + Duration::days(d as i64)))
            .sum();
        let per_weight = self.expected.iter().sum::<f64>() / weight_sum.max(f64::MIN_POSITIVE);
        calendar::day_weight(date) * per_weight
    }

    /// Writes the whole store as JSON lines, one record per line tagged by kind
    /// (`{"kind":"order","record":{...}}`). Streams orders, so it suits the large scale.
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        export::write(self, out)
    }
}
