//! Live mode: the store keeps trading after generation. `World::advance` moves the clock
//! forward: new orders arrive (committing stock and opening fulfilment orders), orders in
//! motion move on along their plans (picked, shipped, delivered, refunded), purchase orders
//! land, customers write in and the team answers and resolves. Every change is returned and
//! broadcast to `World::subscribe` receivers (the webhook senders).
//!
//! Orders follow the same `(seed, index)` plans as history; only how many arrive and when is
//! drawn from the caller's RNG. Every change carries a timestamp after the previous `now`, so
//! a sync that read the world before a tick never misses what the tick did.

use std::sync::PoisonError;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::calendar::{from_unix, in_business_hours, local_date, whole_seconds};
use super::history::DaySales;
use super::model::{ConversationStatus, CsatResponse, Message, MessageType, Order};
use super::orders::{self, Materialized};
use super::rng::{chance, poisson};
use super::support::text::{self, Fill, Topic};
use super::{Change, SharedWorld, World, inventory};

/// Conversations opened per order placed (the store's support load).
const CONVERSATIONS_PER_ORDER: f64 = 0.15;

impl World {
    /// Moves the world forward to `now`, at `orders_per_hour` new orders per simulated hour
    /// (other activity scales with it), and returns what changed. Does nothing if `now` is not
    /// after the world's current time.
    pub fn advance(
        &mut self,
        now: OffsetDateTime,
        orders_per_hour: f64,
        rng: &mut impl Rng,
    ) -> Vec<Change> {
        let now = whole_seconds(now);
        let before = self.now;
        if now <= before {
            return Vec::new();
        }
        let hours = (now - before).as_seconds_f64() / 3600.0;
        let mut changes = Vec::new();

        let mut arrivals: Vec<i64> = (0..poisson(rng, orders_per_hour.max(0.0) * hours))
            .map(|_| rng.random_range(before.unix_timestamp() + 1..=now.unix_timestamp()))
            .collect();
        arrivals.sort_unstable();
        for secs in arrivals {
            self.create_order(from_unix(secs), &mut changes);
        }
        self.move_orders(now, &mut changes);
        self.move_stock(now, hours, rng, &mut changes);
        self.move_conversations(
            before,
            now,
            orders_per_hour * CONVERSATIONS_PER_ORDER * hours,
            rng,
            &mut changes,
        );

        self.now = now;
        super::support::set_availability(&mut self.support.agents, now);
        for change in &changes {
            // No subscribers is fine: the changes are still returned.
            let _ = self.changes.send(change.clone());
            self.changes_sent += 1;
        }
        changes
    }

    fn day_sales_mut(&mut self, at: OffsetDateTime) -> Option<&mut DaySales> {
        let day = usize::try_from((local_date(at) - self.history_start).whole_days()).ok()?;
        if self.sales.len() <= day {
            self.sales.resize(day + 1, DaySales::default());
        }
        self.sales.get_mut(day)
    }

    fn create_order(&mut self, created: OffsetDateTime, changes: &mut Vec<Change>) {
        let index = self.book.count();
        self.book.created.push(created.unix_timestamp());
        let plan = orders::plan(
            self.config.seed,
            &self.catalog,
            &self.picker,
            index,
            created,
        );
        let m = orders::materialize(&plan, &self.catalog, created);
        changes.push(Change::OrderCreated {
            order_id: m.order.id,
        });
        for fo in &m.order.fulfillment_orders {
            changes.push(Change::FulfillmentOrderUpdated {
                order_id: m.order.id,
                fulfillment_order_id: fo.id,
            });
        }
        self.apply_stock(&[], &m.effects, created, changes);
        if m.web_sale
            && let Some(day) = self.day_sales_mut(created)
        {
            day.transactions += 1;
            day.revenue_cents += m.order.total_price_cents;
        }
        self.store(index, m);
    }

    /// Puts an order's new state in the overlay and the indexes.
    fn store(&mut self, index: u64, m: Materialized) {
        if let Some(old) = self.book.overlay.get(&index) {
            self.book
                .overlay_by_updated
                .remove(&(old.updated_at.unix_timestamp(), index));
        }
        self.book
            .overlay_by_updated
            .insert((m.order.updated_at.unix_timestamp(), index));
        if let Some(next) = m.next_event {
            self.book.active.insert((next.unix_timestamp(), index));
        }
        self.book.overlay.insert(index, m.order);
    }

    fn apply_stock(
        &mut self,
        before: &[orders::StockEffect],
        after: &[orders::StockEffect],
        at: OffsetDateTime,
        changes: &mut Vec<Change>,
    ) {
        for pos in inventory::apply_effects(&mut self.levels, &self.catalog, before, after, at) {
            let level = &self.levels[pos];
            let change = Change::InventoryLevelUpdated {
                inventory_item_id: level.inventory_item_id,
                location_id: level.location_id,
            };
            if !changes.contains(&change) {
                changes.push(change);
            }
        }
    }

    /// Re-reads every order whose next planned event has come.
    fn move_orders(&mut self, now: OffsetDateTime, changes: &mut Vec<Change>) {
        while let Some(&(secs, index)) = self.book.active.first() {
            if secs > now.unix_timestamp() {
                break;
            }
            self.book.active.pop_first();
            let Some(plan) = self.plan(index) else {
                continue;
            };
            let old: Order = match self.book.overlay.get(&index) {
                Some(order) => order.clone(),
                None => orders::materialize(&plan, &self.catalog, self.config.now).order,
            };
            // An order's state is the same anywhere between its updated_at and its next event.
            let old_effects = orders::materialize(&plan, &self.catalog, old.updated_at).effects;
            let new = orders::materialize(&plan, &self.catalog, now);
            if new.order.updated_at == old.updated_at {
                self.store(index, new);
                continue;
            }
            let order_id = new.order.id;
            changes.push(Change::OrderUpdated { order_id });
            for fo in &new.order.fulfillment_orders {
                let was = old.fulfillment_orders.iter().find(|f| f.id == fo.id);
                if was.is_none_or(|w| w.status != fo.status || w.updated_at != fo.updated_at) {
                    changes.push(Change::FulfillmentOrderUpdated {
                        order_id,
                        fulfillment_order_id: fo.id,
                    });
                }
            }
            for f in &new.order.fulfillments {
                if !old.fulfillments.iter().any(|o| o.id == f.id) {
                    changes.push(Change::OrderFulfilled {
                        order_id,
                        fulfillment_id: f.id,
                    });
                }
            }
            let at = new.order.updated_at;
            self.apply_stock(&old_effects, &new.effects, at, changes);
            let was_sale = plan.web && old.cancelled_at.is_none();
            if was_sale
                && !new.web_sale
                && let Some(day) = self.day_sales_mut(plan.created)
            {
                day.transactions -= 1;
                day.revenue_cents -= plan.total;
            }
            self.store(index, new);
        }
    }

    /// Purchase orders land, and low shelves get new ones.
    fn move_stock(
        &mut self,
        now: OffsetDateTime,
        hours: f64,
        rng: &mut impl Rng,
        changes: &mut Vec<Change>,
    ) {
        if self.levels.is_empty() {
            return;
        }
        // About one delivery every six hours, one new purchase order every eight.
        for _ in 0..poisson(rng, hours / 6.0) {
            let waiting: Vec<usize> = (0..self.levels.len())
                .filter(|p| self.levels[*p].incoming > 0)
                .collect();
            if waiting.is_empty() {
                break;
            }
            let level = &mut self.levels[waiting[rng.random_range(0..waiting.len())]];
            level.on_hand += level.incoming;
            level.available += level.incoming;
            level.incoming = 0;
            level.updated_at = now;
            changes.push(Change::InventoryLevelUpdated {
                inventory_item_id: level.inventory_item_id,
                location_id: level.location_id,
            });
        }
        for _ in 0..poisson(rng, hours / 8.0) {
            let low: Vec<usize> = (0..self.levels.len())
                .filter(|p| self.levels[*p].incoming == 0 && self.levels[*p].available <= 4)
                .collect();
            if low.is_empty() {
                break;
            }
            let level = &mut self.levels[low[rng.random_range(0..low.len())]];
            level.incoming = rng.random_range(4..=12) * 5;
            level.updated_at = now;
            changes.push(Change::InventoryLevelUpdated {
                inventory_item_id: level.inventory_item_id,
                location_id: level.location_id,
            });
        }
    }

    fn next_message_id(&mut self) -> u64 {
        let id = self.support.next_message_id;
        self.support.next_message_id += 1;
        id
    }

    fn move_conversations(
        &mut self,
        before: OffsetDateTime,
        now: OffsetDateTime,
        expected_new: f64,
        rng: &mut impl Rng,
        changes: &mut Vec<Change>,
    ) {
        let minutes = (now - before).as_seconds_f64() / 60.0;
        // The team answers during business hours: a waiting customer gets a reply within
        // about 35 staffed minutes, and a settled conversation is resolved within about two hours.
        if in_business_hours(now) {
            let p_reply = 1.0 - (-minutes / 35.0).exp();
            let p_resolve = 1.0 - (-minutes / 120.0).exp();
            let p_follow_up = 1.0 - (-minutes / 240.0).exp();
            for pos in 0..self.support.conversations.len() {
                let conversation = &self.support.conversations[pos];
                if conversation.status == ConversationStatus::Resolved {
                    continue;
                }
                let waiting = conversation.waiting_since.is_some();
                if waiting && chance(rng, p_reply) {
                    let agent = conversation
                        .assignee_id
                        .unwrap_or(2 + rng.random_range(0..3));
                    let content = self
                        .support
                        .pending_answers
                        .remove(&conversation.id)
                        .unwrap_or_else(|| {
                            "Thanks for waiting! Checking on that for you now.".to_owned()
                        });
                    self.add_message(
                        pos,
                        MessageType::Outgoing,
                        Some(agent),
                        content,
                        now,
                        changes,
                    );
                } else if !waiting && chance(rng, p_follow_up * 0.3) {
                    let (question, answer) = text::follow_up(rng);
                    self.support.pending_answers.insert(conversation.id, answer);
                    self.add_message(pos, MessageType::Incoming, None, question, now, changes);
                } else if !waiting && chance(rng, p_resolve) {
                    self.resolve(pos, now, rng, changes);
                }
            }
        }
        for _ in 0..poisson(rng, expected_new) {
            let at =
                from_unix(rng.random_range(before.unix_timestamp() + 1..=now.unix_timestamp()));
            self.open_conversation(at, rng, changes);
        }
    }

    fn add_message(
        &mut self,
        pos: usize,
        kind: MessageType,
        agent: Option<u64>,
        content: String,
        at: OffsetDateTime,
        changes: &mut Vec<Change>,
    ) {
        let id = self.next_message_id();
        let conversation = &mut self.support.conversations[pos];
        conversation.messages.push(Message {
            id,
            conversation_id: conversation.id,
            content,
            message_type: kind,
            private: false,
            sender_contact_id: (kind == MessageType::Incoming).then_some(conversation.contact_id),
            sender_agent_id: agent,
            created_at: at,
        });
        match kind {
            MessageType::Outgoing => {
                conversation.first_reply_created_at.get_or_insert(at);
                conversation.assignee_id = conversation.assignee_id.or(agent);
                conversation.waiting_since = None;
                if conversation.status == ConversationStatus::Pending {
                    conversation.status = ConversationStatus::Open;
                }
            }
            _ => {
                conversation.waiting_since.get_or_insert(at);
                conversation.status = ConversationStatus::Open;
            }
        }
        conversation.last_activity_at = at;
        conversation.updated_at = at;
        let conversation_id = conversation.id;
        if let Some(contact) = self
            .support
            .contacts
            .get_mut((conversation.contact_id - 1) as usize)
        {
            contact.last_activity_at = at;
        }
        changes.push(Change::MessageCreated {
            conversation_id,
            message_id: id,
        });
        changes.push(Change::ConversationUpdated { conversation_id });
    }

    fn resolve(
        &mut self,
        pos: usize,
        now: OffsetDateTime,
        rng: &mut impl Rng,
        changes: &mut Vec<Change>,
    ) {
        let activity = self.next_message_id();
        let survey = self.next_message_id();
        let csat_id = self.support.next_csat_id;
        let agent_name = {
            let assignee = self.support.conversations[pos].assignee_id.unwrap_or(1);
            self.support
                .agents
                .iter()
                .find(|a| a.id == assignee)
                .map_or_else(String::new, |a| a.name.clone())
        };
        let conversation = &mut self.support.conversations[pos];
        let id = conversation.id;
        for (message_id, kind, content) in [
            (
                activity,
                MessageType::Activity,
                format!("Conversation was marked resolved by {agent_name}"),
            ),
            (
                survey,
                MessageType::Template,
                "Please rate this conversation".to_owned(),
            ),
        ] {
            conversation.messages.push(Message {
                id: message_id,
                conversation_id: id,
                content,
                message_type: kind,
                private: false,
                sender_contact_id: None,
                sender_agent_id: None,
                created_at: now,
            });
            changes.push(Change::MessageCreated {
                conversation_id: id,
                message_id,
            });
        }
        conversation.status = ConversationStatus::Resolved;
        conversation.resolved_at = Some(now);
        conversation.waiting_since = None;
        conversation.updated_at = now;
        // Customers who rate do it right away in live mode; ratings skew high as in history.
        if chance(rng, 0.6) {
            let rating = [5, 5, 5, 4, 4, 3, 1][rng.random_range(0..7)];
            conversation.csat = Some(CsatResponse {
                id: csat_id,
                conversation_id: id,
                message_id: survey,
                rating,
                feedback_message: text::csat_feedback(rating, rng),
                contact_id: conversation.contact_id,
                assigned_agent_id: conversation.assignee_id,
                created_at: now,
            });
            self.support.next_csat_id += 1;
        }
        changes.push(Change::ConversationUpdated {
            conversation_id: id,
        });
    }

    fn open_conversation(
        &mut self,
        at: OffsetDateTime,
        rng: &mut impl Rng,
        changes: &mut Vec<Change>,
    ) {
        // Live conversations are mostly about recent orders: the newest are what people ask about.
        let count = self.book.count();
        if count == 0 {
            return;
        }
        let index = count - 1 - rng.random_range(0..count.min(200));
        let Some(plan) = self.plan(index) else {
            return;
        };
        let topic = if chance(rng, 0.5) {
            Topic::OrderStatus
        } else {
            Topic::Fitment
        };
        let contact_id = match self.support.contact_by_customer.get(&plan.customer.id) {
            Some(id) => *id,
            None => {
                let id = self.support.contacts.len() as u64 + 1;
                self.support.contacts.push(super::model::Contact {
                    id,
                    name: plan.customer.name(),
                    email: Some(plan.customer.email.clone()),
                    phone_number: plan.customer.phone.clone(),
                    created_at: at,
                    last_activity_at: at,
                });
                self.support
                    .contact_by_customer
                    .insert(plan.customer.id, id);
                id
            }
        };
        let name = plan.name();
        let fo = plan.fos.first();
        let sku = plan
            .lines
            .first()
            .map_or_else(String::new, |l| self.catalog.items[l.variant].sku.clone());
        let fill = Fill {
            order: &name,
            carrier: fo.map_or("UPS", |f| f.carrier),
            tracking: fo.map_or("", |f| f.tracking.as_str()),
            size: 6,
            sku: &sku,
        };
        let content = text::opening(topic, &fill, rng);
        let answer = text::first_reply(topic, &fill, rng);
        let id = self.support.conversations.last().map_or(1, |c| c.id + 1);
        let uuid = format!("{:032x}", rng.random::<u128>());
        self.support.conversations.push(super::model::Conversation {
            id,
            account_id: super::support::ACCOUNT_ID,
            uuid: format!(
                "{}-{}-4{}-a{}-{}",
                &uuid[0..8],
                &uuid[8..12],
                &uuid[13..16],
                &uuid[17..20],
                &uuid[20..32]
            ),
            inbox_id: 1,
            contact_id,
            assignee_id: None,
            status: ConversationStatus::Open,
            priority: None,
            labels: vec![topic.label().to_owned()],
            order_name: topic.about_an_order().then(|| name.clone()),
            created_at: at,
            updated_at: at,
            first_reply_created_at: None,
            last_activity_at: at,
            waiting_since: None,
            resolved_at: None,
            messages: Vec::new(),
            csat: None,
        });
        changes.push(Change::ConversationCreated {
            conversation_id: id,
        });
        self.support.pending_answers.insert(id, answer);
        let pos = self.support.conversations.len() - 1;
        self.add_message(pos, MessageType::Incoming, None, content, at, changes);
    }
}

/// Runs live mode on a timer: every 250 ms of real time the world advances by
/// `time_scale` times as much simulated time, with `rate_per_min` new orders per real minute.
/// Returns the task and a receiver of every change; more receivers come from
/// `World::subscribe`. Needs a Tokio runtime; abort the handle to stop.
pub fn live_driver(
    world: SharedWorld,
    rate_per_min: f64,
    time_scale: f64,
) -> (JoinHandle<()>, broadcast::Receiver<Change>) {
    let (receiver, seed, start) = {
        let w = world.read().unwrap_or_else(PoisonError::into_inner);
        (w.subscribe(), w.config.seed, w.now)
    };
    let time_scale = if time_scale > 0.0 { time_scale } else { 1.0 };
    // Per simulated hour: a real minute holds `time_scale` simulated minutes.
    let orders_per_hour = rate_per_min.max(0.0) * 60.0 / time_scale;
    let handle = tokio::spawn(async move {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_11FE);
        let began = tokio::time::Instant::now();
        let mut ticks = tokio::time::interval(std::time::Duration::from_millis(250));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            let elapsed = began.elapsed().as_secs_f64() * time_scale;
            let now = start + Duration::seconds_f64(elapsed);
            let mut w = world.write().unwrap_or_else(PoisonError::into_inner);
            w.advance(now, orders_per_hour, &mut rng);
        }
    });
    (handle, receiver)
}
