//! Which webhook topics a change in the simulated store fires, and with what body.
//!
//! A `Change` says what moved, not how, so topics that name a transition are inferred: from the
//! new state where it tells (`orders/cancelled` when the cancellation is the latest update,
//! `orders/paid` for an order created paid), and otherwise from the state this mapper last saw
//! (an order becoming paid, a fulfilment order being held or released). A transition it never
//! saw the start of fires only the generic topic; reconciliation covers the rest, as with real
//! Shopify's missed webhooks.

use std::collections::HashMap;

use serde_json::Value;

use super::payload;
use crate::world::model::{
    FinancialStatus, FulfillmentOrder, FulfillmentOrderStatus, OrderFulfillmentStatus,
};
use crate::world::{Change, World};

/// One event to deliver to every subscription of `topic`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// `orders/create`
    pub topic: String,
    pub payload: Value,
}

impl WebhookEvent {
    pub fn new(topic: &str, payload: Value) -> WebhookEvent {
        WebhookEvent {
            topic: topic.to_owned(),
            payload,
        }
    }
}

/// Turns world changes into webhook events, remembering the order and fulfilment order states
/// it has seen (only those that changed while it ran, so memory follows live activity).
#[derive(Debug, Default)]
pub struct ChangeTopics {
    financial: HashMap<u64, FinancialStatus>,
    fulfillment_orders: HashMap<u64, FulfillmentOrderStatus>,
}

impl ChangeTopics {
    /// The events `change` fires, read from `world` as it is now. Chatwoot changes fire none.
    pub fn events(&mut self, world: &World, change: &Change) -> Vec<WebhookEvent> {
        let event = WebhookEvent::new;
        match *change {
            Change::OrderCreated { order_id } => {
                let Some(o) = world.order(order_id) else {
                    return vec![];
                };
                self.financial.insert(o.id, o.financial_status);
                let body = payload::order(&o);
                let mut events = vec![event("orders/create", body.clone())];
                if o.financial_status == FinancialStatus::Paid {
                    events.push(event("orders/paid", body));
                }
                events
            }
            Change::OrderUpdated { order_id } => {
                let Some(o) = world.order(order_id) else {
                    return vec![];
                };
                let was = self.financial.insert(o.id, o.financial_status);
                let body = payload::order(&o);
                let mut events = vec![event("orders/updated", body.clone())];
                let paid = FinancialStatus::Paid;
                if o.financial_status == paid && was.is_some_and(|w| w != paid) {
                    events.push(event("orders/paid", body.clone()));
                }
                if o.cancelled_at.is_some() && o.cancelled_at == Some(o.updated_at) {
                    events.push(event("orders/cancelled", body));
                }
                events
            }
            // The store announces the order's own update separately (`OrderUpdated`).
            Change::OrderFulfilled {
                order_id,
                fulfillment_id,
            } => {
                let Some(o) = world.order(order_id) else {
                    return vec![];
                };
                let mut events = Vec::new();
                if let Some(f) = o.fulfillments.iter().find(|f| f.id == fulfillment_id) {
                    events.push(event("fulfillments/create", payload::fulfillment(&o, f)));
                }
                let done = match o.fulfillment_status {
                    OrderFulfillmentStatus::Fulfilled => Some("orders/fulfilled"),
                    OrderFulfillmentStatus::PartiallyFulfilled => {
                        Some("orders/partially_fulfilled")
                    }
                    _ => None,
                };
                if let Some(topic) = done {
                    events.push(event(topic, payload::order(&o)));
                }
                events
            }
            Change::FulfillmentOrderUpdated {
                order_id,
                fulfillment_order_id,
            } => {
                let Some(o) = world.order(order_id) else {
                    return vec![];
                };
                let Some(fo) =
                    (o.fulfillment_orders.iter()).find(|fo| fo.id == fulfillment_order_id)
                else {
                    return vec![];
                };
                let before = self.fulfillment_orders.insert(fo.id, fo.status);
                fulfillment_order_topic(before, fo)
                    .map(|topic| event(topic, payload::fulfillment_order_event(topic, fo)))
                    .into_iter()
                    .collect()
            }
            Change::InventoryLevelUpdated {
                inventory_item_id,
                location_id,
            } => (world
                .inventory_level(inventory_item_id, location_id)
                .into_iter())
            .map(|l| event("inventory_levels/update", payload::inventory_level(l)))
            .collect(),
            Change::ProductUpdated { product_id } => (world.product(product_id).into_iter())
                .map(|p| event("products/update", payload::product(p)))
                .collect(),
            Change::ConversationCreated { .. }
            | Change::ConversationUpdated { .. }
            | Change::MessageCreated { .. } => vec![],
        }
    }
}

/// The `fulfillment_orders/*` topic for `fo` reaching its status from `before` (None: not seen
/// yet). Closing goes out as `fulfillments/*` instead, as on Shopify.
fn fulfillment_order_topic(
    before: Option<FulfillmentOrderStatus>,
    fo: &FulfillmentOrder,
) -> Option<&'static str> {
    use FulfillmentOrderStatus as S;
    let brand_new = before.is_none() && fo.created_at == fo.updated_at;
    Some(match (before, fo.status) {
        (Some(was), now) if was == now && now != S::Scheduled => return None,
        (_, S::OnHold) => "fulfillment_orders/placed_on_hold",
        (_, S::Cancelled) => "fulfillment_orders/cancelled",
        (_, S::InProgress) => "fulfillment_orders/progress_reported",
        (Some(S::OnHold), S::Open) => "fulfillment_orders/hold_released",
        (Some(S::Scheduled), S::Open) => "fulfillment_orders/scheduled_fulfillment_order_ready",
        (Some(S::Scheduled), S::Scheduled) => "fulfillment_orders/rescheduled",
        (None, S::Open | S::Scheduled) if brand_new => "fulfillment_orders/order_routing_complete",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::world::model::FulfillmentRequestStatus;
    use FulfillmentOrderStatus as S;

    fn fo(status: FulfillmentOrderStatus, new: bool) -> FulfillmentOrder {
        let at = datetime!(2026-11-20 15:04:05 UTC);
        FulfillmentOrder {
            id: 1,
            order_id: 2,
            assigned_location_id: 3,
            status,
            request_status: FulfillmentRequestStatus::Unsubmitted,
            fulfill_at: None,
            created_at: at,
            updated_at: if new {
                at
            } else {
                at + time::Duration::hours(1)
            },
            line_items: vec![],
        }
    }

    #[test]
    fn fulfillment_order_topics_follow_the_transition() {
        let cases = [
            (
                None,
                fo(S::Open, true),
                Some("fulfillment_orders/order_routing_complete"),
            ),
            (None, fo(S::Open, false), None),
            (
                Some(S::Open),
                fo(S::OnHold, false),
                Some("fulfillment_orders/placed_on_hold"),
            ),
            (
                Some(S::OnHold),
                fo(S::Open, false),
                Some("fulfillment_orders/hold_released"),
            ),
            (Some(S::OnHold), fo(S::OnHold, false), None),
            (
                Some(S::Scheduled),
                fo(S::Open, false),
                Some("fulfillment_orders/scheduled_fulfillment_order_ready"),
            ),
            (
                Some(S::Scheduled),
                fo(S::Scheduled, false),
                Some("fulfillment_orders/rescheduled"),
            ),
            (
                Some(S::Open),
                fo(S::Cancelled, false),
                Some("fulfillment_orders/cancelled"),
            ),
            (
                Some(S::Open),
                fo(S::InProgress, false),
                Some("fulfillment_orders/progress_reported"),
            ),
            (Some(S::InProgress), fo(S::Closed, false), None),
        ];
        for (before, now, want) in cases {
            let got = fulfillment_order_topic(before, &now);
            assert_eq!(got, want, "{before:?} -> {:?}", now.status);
        }
    }
}
