//! The simulated Hot Rod AN store, deterministic from a seed: catalog, orders, inventory,
//! fulfilments, support conversations and web traffic, plus the changes live mode makes.
//!
//! Every simulator reads one `World` behind a `SharedWorld` lock. Orders are generated lazily
//! from `(seed, index)` so the large scale (1M+ orders) never sits in memory; everything else is
//! small enough to hold. Live changes are kept as an overlay and announced on a broadcast channel
//! that the webhook senders subscribe to.
//!
//! STUB: the API below is the contract the simulators code against; bodies are being written.

pub mod model;

use std::sync::{Arc, RwLock};

use time::{Date, OffsetDateTime};

use model::{
    Agent, Contact, Conversation, Inbox, InventoryItem, InventoryLevel, Location, Order, Product,
    Shop, TrafficRow, Variant,
};

/// How much history the store has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// The real store: about 40 orders a month over a year.
    Small,
    /// About 50,000 orders.
    Medium,
    /// 1,000,000 orders, generated lazily.
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
    OrderCreated { order_id: u64 },
    OrderUpdated { order_id: u64 },
    OrderFulfilled { order_id: u64, fulfillment_id: u64 },
    FulfillmentOrderUpdated { order_id: u64, fulfillment_order_id: u64 },
    InventoryLevelUpdated { inventory_item_id: u64, location_id: u64 },
    ProductUpdated { product_id: u64 },
    ConversationCreated { conversation_id: u64 },
    ConversationUpdated { conversation_id: u64 },
    MessageCreated { conversation_id: u64, message_id: u64 },
}

pub type SharedWorld = Arc<RwLock<World>>;

pub struct World {
    config: WorldConfig,
}

impl World {
    pub fn generate(config: WorldConfig) -> World {
        World { config }
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    pub fn shop(&self) -> &Shop {
        unimplemented!()
    }
    pub fn locations(&self) -> &[Location] {
        unimplemented!()
    }
    pub fn products(&self) -> &[Product] {
        unimplemented!()
    }
    pub fn product(&self, _id: u64) -> Option<&Product> {
        unimplemented!()
    }
    pub fn variant(&self, _id: u64) -> Option<(&Product, &Variant)> {
        unimplemented!()
    }
    pub fn inventory_items(&self) -> &[InventoryItem] {
        unimplemented!()
    }
    pub fn inventory_item(&self, _id: u64) -> Option<&InventoryItem> {
        unimplemented!()
    }
    /// Every level, ordered by (inventory item id, location id).
    pub fn inventory_levels(&self) -> &[InventoryLevel] {
        unimplemented!()
    }
    pub fn order_count(&self) -> u64 {
        unimplemented!()
    }
    /// The current state of one order (generated, then any live changes applied).
    pub fn order(&self, _id: u64) -> Option<Order> {
        unimplemented!()
    }
    /// Orders in ascending (updated_at, id) order, starting strictly after `after`, restricted to
    /// `updated_at` in `[from, to)` where given. Lazy: the large scale streams.
    pub fn orders_by_updated_at(
        &self,
        _after: Option<(OffsetDateTime, u64)>,
        _from: Option<OffsetDateTime>,
        _to: Option<OffsetDateTime>,
    ) -> Box<dyn Iterator<Item = Order> + '_> {
        unimplemented!()
    }
    /// Orders in ascending (created_at, id) order, with the same conventions.
    pub fn orders_by_created_at(
        &self,
        _after: Option<(OffsetDateTime, u64)>,
        _from: Option<OffsetDateTime>,
        _to: Option<OffsetDateTime>,
    ) -> Box<dyn Iterator<Item = Order> + '_> {
        unimplemented!()
    }
    pub fn agents(&self) -> &[Agent] {
        unimplemented!()
    }
    pub fn inboxes(&self) -> &[Inbox] {
        unimplemented!()
    }
    pub fn contacts(&self) -> &[Contact] {
        unimplemented!()
    }
    /// Conversations ordered by id (Chatwoot's display id).
    pub fn conversations(&self) -> &[Conversation] {
        unimplemented!()
    }
    /// The days GA4 has data for, oldest first.
    pub fn traffic_days(&self) -> (Date, Date) {
        unimplemented!()
    }
    /// One day's GA4 rows (computed on demand, deterministic).
    pub fn traffic(&self, _date: Date) -> Vec<TrafficRow> {
        unimplemented!()
    }
}
