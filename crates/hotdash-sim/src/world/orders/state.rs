//! An order as it stands at one instant: which planned events have happened (payment,
//! holds, picking, shipping, carrier scans, refunds, cancellation), the `Order` record that
//! results, what it does to stock, and when it will next change.

use time::{Duration, OffsetDateTime};

use super::{Plan, after};
use crate::world::catalog::{Catalog, MAIN_WH};
use crate::world::ids;
use crate::world::model::{
    FinancialStatus, Fulfillment, FulfillmentDisplayStatus, FulfillmentOrder,
    FulfillmentOrderLineItem, FulfillmentOrderStatus, FulfillmentRequestStatus, FulfillmentStatus,
    LineItem, Order, OrderFulfillmentStatus, Refund, RefundLineItem,
};

/// How an order touches one inventory level, as of some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StockEffect {
    pub item: usize,
    pub location: usize,
    /// Units that left the building.
    pub shipped: i64,
    /// Units promised but not yet shipped.
    pub committed: i64,
    /// Units returned to stock by refunds.
    pub restocked: i64,
}

/// What an order looks like at `as_of`, plus what it does to stock and when it next changes.
pub(crate) struct Materialized {
    pub order: Order,
    pub effects: Vec<StockEffect>,
    pub next_event: Option<OffsetDateTime>,
    /// Counts toward GA4: online and not cancelled.
    pub web_sale: bool,
}

/// Tracks the latest applied event and the earliest pending one.
struct Clock {
    as_of: OffsetDateTime,
    last: OffsetDateTime,
    next: Option<OffsetDateTime>,
}

impl Clock {
    /// Whether the event at `t` has happened; records it either way.
    fn seen(&mut self, t: OffsetDateTime) -> bool {
        if t <= self.as_of {
            self.last = self.last.max(t);
            true
        } else {
            self.next = Some(self.next.map_or(t, |n| n.min(t)));
            false
        }
    }
}

pub(crate) fn materialize(plan: &Plan, catalog: &Catalog, as_of: OffsetDateTime) -> Materialized {
    let index = plan.index;
    let order_id = ids::order_id(index);
    let mut clock = Clock {
        as_of,
        last: plan.created,
        next: None,
    };
    let cancelled_at = plan
        .cancel
        .as_ref()
        .and_then(|c| clock.seen(c.at).then_some(c.at));
    // A cancelled order never receives its late payment.
    let paid = match plan.paid_at {
        None => true,
        Some(_) if cancelled_at.is_some() => false,
        Some(t) => clock.seen(t),
    };

    let line_items: Vec<LineItem> = plan
        .lines
        .iter()
        .enumerate()
        .map(|(pos, l)| {
            let (p, v) = catalog.variant_at(l.variant);
            LineItem {
                id: ids::line_item_id(index, pos),
                product_id: p.id,
                variant_id: v.id,
                sku: v.sku.clone(),
                title: p.title.clone(),
                variant_title: v.title.clone(),
                quantity: l.quantity,
                unit_price_cents: l.unit_price,
                total_discount_cents: l.discount,
            }
        })
        .collect();

    let mut fulfillment_orders = Vec::new();
    let mut fulfillments = Vec::new();
    let mut effects = Vec::new();
    let mut shipped_lines = vec![false; plan.lines.len()];
    let (mut closed, mut held, mut in_progress) = (0, 0, 0);
    let mut last_ship = plan.created;
    for (k, fo) in plan.fos.iter().enumerate() {
        let location_id = catalog.location_id(fo.location);
        let mut fo_updated = plan.created;
        let status = if let Some(at) = cancelled_at {
            fo_updated = at;
            FulfillmentOrderStatus::Cancelled
        } else {
            let on_hold = fo.hold.is_some_and(|(start, end)| {
                let started = clock.seen(start);
                let ended = clock.seen(end);
                if ended {
                    fo_updated = end;
                } else if started {
                    fo_updated = start;
                }
                started && !ended
            });
            if on_hold {
                FulfillmentOrderStatus::OnHold
            } else if clock.seen(fo.ship_at) {
                fo_updated = fo.ship_at;
                FulfillmentOrderStatus::Closed
            } else if clock.seen(fo.pick_at) {
                fo_updated = fo.pick_at;
                FulfillmentOrderStatus::InProgress
            } else {
                FulfillmentOrderStatus::Open
            }
        };
        let done = matches!(
            status,
            FulfillmentOrderStatus::Closed | FulfillmentOrderStatus::Cancelled
        );
        match status {
            FulfillmentOrderStatus::Closed => closed += 1,
            FulfillmentOrderStatus::OnHold => held += 1,
            FulfillmentOrderStatus::InProgress => in_progress += 1,
            _ => {}
        }
        let fo_lines = fo
            .lines
            .iter()
            .map(|pos| {
                let line = &plan.lines[*pos];
                let item = &catalog.items[line.variant];
                FulfillmentOrderLineItem {
                    id: ids::fulfillment_order_line_id(index, *pos),
                    line_item_id: ids::line_item_id(index, *pos),
                    inventory_item_id: item.id,
                    sku: item.sku.clone(),
                    total_quantity: line.quantity,
                    remaining_quantity: if done { 0 } else { line.quantity },
                }
            })
            .collect();
        fulfillment_orders.push(FulfillmentOrder {
            id: ids::fulfillment_order_id(index, k),
            order_id,
            assigned_location_id: location_id,
            status,
            request_status: FulfillmentRequestStatus::Unsubmitted,
            fulfill_at: Some(plan.created),
            created_at: plan.created,
            updated_at: fo_updated,
            line_items: fo_lines,
        });
        for pos in &fo.lines {
            let line = &plan.lines[*pos];
            let (shipped, committed) = match status {
                FulfillmentOrderStatus::Cancelled => (0, 0),
                FulfillmentOrderStatus::Closed => (line.quantity, 0),
                _ => (0, line.quantity),
            };
            if shipped + committed > 0 {
                effects.push(StockEffect {
                    item: line.variant,
                    location: fo.location,
                    shipped,
                    committed,
                    restocked: 0,
                });
            }
        }
        if status == FulfillmentOrderStatus::Closed {
            last_ship = last_ship.max(fo.ship_at);
            for pos in &fo.lines {
                shipped_lines[*pos] = true;
            }
            let mut updated = fo.ship_at;
            let mut delivered_at = None;
            let display = if fo.delivered_at.is_some_and(|t| clock.seen(t)) {
                updated = fo.delivered_at.unwrap_or(updated);
                delivered_at = fo.delivered_at;
                FulfillmentDisplayStatus::Delivered
            } else if fo.attempted_at.is_some_and(|t| clock.seen(t)) {
                updated = fo.attempted_at.unwrap_or(updated);
                FulfillmentDisplayStatus::AttemptedDelivery
            } else if fo.delivered_at.is_none()
                && clock.seen(after(fo.in_transit_at, Duration::days(7)))
            {
                updated = after(fo.in_transit_at, Duration::days(7));
                FulfillmentDisplayStatus::Failure
            } else if fo.delivered_at.is_some() && clock.seen(fo.out_for_delivery_at) {
                updated = fo.out_for_delivery_at;
                FulfillmentDisplayStatus::OutForDelivery
            } else if clock.seen(fo.in_transit_at) {
                updated = fo.in_transit_at;
                FulfillmentDisplayStatus::InTransit
            } else {
                FulfillmentDisplayStatus::LabelPrinted
            };
            fulfillments.push(Fulfillment {
                id: ids::fulfillment_id(index, k),
                order_id,
                location_id,
                status: FulfillmentStatus::Success,
                display_status: display,
                tracking_company: Some(fo.carrier.to_owned()),
                tracking_number: Some(fo.tracking.clone()),
                created_at: fo.ship_at,
                updated_at: updated,
                delivered_at,
                line_items: fo
                    .lines
                    .iter()
                    .map(|pos| (ids::line_item_id(index, *pos), plan.lines[*pos].quantity))
                    .collect(),
            });
        }
    }

    let mut refunds = Vec::new();
    if let Some(r) = &plan.refund
        && clock.seen(r.at)
    {
        let mut refund_lines = Vec::new();
        let mut items_total = 0;
        for (pos, qty, restock) in &r.lines {
            let line = &plan.lines[*pos];
            let share = |amount: i64| amount * qty / line.quantity.max(1);
            let subtotal = line.unit_price * qty - share(line.discount);
            items_total += subtotal + share(line.tax);
            refund_lines.push(RefundLineItem {
                line_item_id: ids::line_item_id(index, *pos),
                quantity: *qty,
                subtotal_cents: subtotal,
                restocked: *restock,
            });
            if *restock && shipped_lines[*pos] {
                let location = plan
                    .fos
                    .iter()
                    .find(|f| f.lines.contains(pos))
                    .map_or(MAIN_WH, |f| f.location);
                effects.push(StockEffect {
                    item: line.variant,
                    location,
                    shipped: 0,
                    committed: 0,
                    restocked: *qty,
                });
            }
        }
        let total_cents = if r.full { plan.total } else { items_total };
        refunds.push(Refund {
            id: ids::refund_id(index, 0),
            order_id,
            created_at: r.at,
            note: Some(r.note.to_owned()),
            total_cents,
            line_items: refund_lines,
        });
    }
    let total_refunded: i64 = refunds.iter().map(|r| r.total_cents).sum();

    let financial_status = if cancelled_at.is_some() && plan.cancel.as_ref().is_some_and(|c| c.void)
    {
        FinancialStatus::Voided
    } else if total_refunded >= plan.total && total_refunded > 0 {
        FinancialStatus::Refunded
    } else if total_refunded > 0 {
        FinancialStatus::PartiallyRefunded
    } else if !paid {
        FinancialStatus::Pending
    } else {
        FinancialStatus::Paid
    };
    let fo_count = plan.fos.len();
    let fulfillment_status = if cancelled_at.is_some() || fo_count == 0 {
        OrderFulfillmentStatus::Unfulfilled
    } else if closed == fo_count {
        OrderFulfillmentStatus::Fulfilled
    } else if closed > 0 {
        OrderFulfillmentStatus::PartiallyFulfilled
    } else if held > 0 {
        OrderFulfillmentStatus::OnHold
    } else if in_progress > 0 {
        OrderFulfillmentStatus::InProgress
    } else {
        OrderFulfillmentStatus::Unfulfilled
    };
    // Shopify archives an order once it is paid and fully shipped (the default setting).
    let closed_at = match cancelled_at {
        Some(at) => Some(at),
        None if paid && fulfillment_status == OrderFulfillmentStatus::Fulfilled => {
            Some(last_ship.max(plan.paid_at.unwrap_or(plan.created)))
        }
        None => None,
    };

    let order = Order {
        id: order_id,
        number: ids::FIRST_ORDER_NUMBER + index,
        name: plan.name(),
        email: plan.customer.email.clone(),
        customer_id: plan.customer.id,
        created_at: plan.created,
        processed_at: plan.created,
        updated_at: clock.last,
        cancelled_at,
        closed_at,
        currency_code: "USD".to_owned(),
        presentment_currency_code: plan.presentment.0.to_owned(),
        presentment_rate: plan.presentment.1,
        financial_status,
        fulfillment_status,
        source_name: if plan.web {
            "web"
        } else {
            "shopify_draft_order"
        }
        .to_owned(),
        tags: plan.tags.clone(),
        shipping_country_code: plan.customer.country_code.to_owned(),
        line_items,
        subtotal_cents: plan.subtotal,
        total_discounts_cents: plan.discounts,
        total_shipping_cents: plan.shipping,
        total_tax_cents: plan.tax,
        total_price_cents: plan.total,
        total_refunded_cents: total_refunded,
        refunds,
        fulfillment_orders,
        fulfillments,
    };
    Materialized {
        web_sale: plan.web && cancelled_at.is_none(),
        order,
        effects,
        next_event: clock.next,
    }
}
