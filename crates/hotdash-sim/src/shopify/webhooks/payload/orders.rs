//! `orders/*`, `fulfillments/*` and refund bodies: the REST Order resource with its line items,
//! refunds and fulfillments. HotDash's parser reads `id`, `name`, `currency`, `total_price`,
//! `created_at`, `updated_at` and each line item's `id`, `title`, `quantity`, `price`.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{MoneySet, lower, opt_time, rest_time};
use crate::world::model::{
    Fulfillment, FulfillmentDisplayStatus, FulfillmentStatus, LineItem, Order,
    OrderFulfillmentStatus, Refund, decimal, gid,
};

/// The body of `orders/create`, `orders/updated`, `orders/paid`, `orders/cancelled`,
/// `orders/fulfilled` and `orders/partially_fulfilled`.
pub fn order(o: &Order) -> Value {
    let money = money(o);
    let fulfilled = fulfilled_quantities(o);
    let refunded = refunded_quantities(o);
    let line_items_total: i64 = o
        .line_items
        .iter()
        .map(|li| li.unit_price_cents * li.quantity)
        .sum();
    let current_total = o.total_price_cents - o.total_refunded_cents;
    let cancelled = o.cancelled_at.is_some();
    json!({
        "id": o.id,
        "admin_graphql_api_id": gid("Order", o.id),
        "name": o.name,
        // REST counts orders from 1; `order_number` is the display number from 1001.
        "number": o.number.saturating_sub(1000),
        "order_number": o.number,
        "email": o.email,
        "contact_email": o.email,
        "created_at": rest_time(o.created_at),
        "updated_at": rest_time(o.updated_at),
        "processed_at": rest_time(o.processed_at),
        "cancelled_at": opt_time(o.cancelled_at),
        "cancel_reason": if cancelled { json!("customer") } else { Value::Null },
        "closed_at": opt_time(o.closed_at),
        "confirmed": true,
        "test": false,
        "taxes_included": false,
        "currency": o.currency_code,
        "presentment_currency": o.presentment_currency_code,
        "financial_status": lower(o.financial_status),
        "fulfillment_status": order_fulfillment_status(o.fulfillment_status),
        "source_name": o.source_name,
        "tags": o.tags.join(", "),
        "subtotal_price": decimal(o.subtotal_cents),
        "subtotal_price_set": money.set(o.subtotal_cents),
        "total_line_items_price": decimal(line_items_total),
        "total_line_items_price_set": money.set(line_items_total),
        "total_discounts": decimal(o.total_discounts_cents),
        "total_discounts_set": money.set(o.total_discounts_cents),
        "total_shipping_price_set": money.set(o.total_shipping_cents),
        "total_tax": decimal(o.total_tax_cents),
        "total_tax_set": money.set(o.total_tax_cents),
        "total_price": decimal(o.total_price_cents),
        "total_price_set": money.set(o.total_price_cents),
        "current_total_price": decimal(current_total),
        "current_total_price_set": money.set(current_total),
        "customer": {
            "id": o.customer_id,
            "admin_graphql_api_id": gid("Customer", o.customer_id),
            "email": o.email,
        },
        "shipping_address": {"country_code": o.shipping_country_code},
        "line_items": o.line_items.iter().map(|li| {
            let done = fulfilled.get(&li.id).copied().unwrap_or(0);
            let gone = refunded.get(&li.id).copied().unwrap_or(0);
            line_item(li, money, done, gone)
        }).collect::<Vec<_>>(),
        "refunds": o.refunds.iter().map(|r| refund(o, r)).collect::<Vec<_>>(),
        "fulfillments": o.fulfillments.iter().map(|f| fulfillment(o, f)).collect::<Vec<_>>(),
    })
}

/// One `line_items[]` entry; `fulfilled` and `refunded` are quantities already shipped and
/// refunded, which REST folds into `fulfillable_quantity` and `current_quantity`.
fn line_item(li: &LineItem, money: MoneySet<'_>, fulfilled: i64, refunded: i64) -> Value {
    let fulfillable = (li.quantity - fulfilled - refunded).max(0);
    let status = match fulfilled {
        0 => Value::Null,
        n if n >= li.quantity => json!("fulfilled"),
        _ => json!("partial"),
    };
    let name = if li.variant_title.is_empty() {
        li.title.clone()
    } else {
        format!("{} - {}", li.title, li.variant_title)
    };
    json!({
        "id": li.id,
        "admin_graphql_api_id": gid("LineItem", li.id),
        "product_id": li.product_id,
        "variant_id": li.variant_id,
        "sku": li.sku,
        "title": li.title,
        "variant_title": li.variant_title,
        "name": name,
        "quantity": li.quantity,
        "current_quantity": (li.quantity - refunded).max(0),
        "fulfillable_quantity": fulfillable,
        "fulfillment_status": status,
        "fulfillment_service": "manual",
        "price": decimal(li.unit_price_cents),
        "price_set": money.set(li.unit_price_cents),
        "total_discount": decimal(li.total_discount_cents),
        "total_discount_set": money.set(li.total_discount_cents),
        "requires_shipping": true,
        "taxable": true,
        "gift_card": false,
    })
}

/// A `refunds[]` entry (and the body of `refunds/create`).
pub fn refund(o: &Order, r: &Refund) -> Value {
    let money = money(o);
    let lines: Vec<Value> = (r.line_items.iter().enumerate())
        .map(|(i, rl)| {
            json!({
                // The model has no ids for refund lines; these are stable and unique per refund.
                "id": r.id * 100 + i as u64,
                "line_item_id": rl.line_item_id,
                "quantity": rl.quantity,
                "restock_type": if rl.restocked { "return" } else { "no_restock" },
                "subtotal": decimal(rl.subtotal_cents),
                "subtotal_set": money.set(rl.subtotal_cents),
                "total_tax": "0.00",
            })
        })
        .collect();
    json!({
        "id": r.id,
        "admin_graphql_api_id": gid("Refund", r.id),
        "order_id": r.order_id,
        "created_at": rest_time(r.created_at),
        "processed_at": rest_time(r.created_at),
        "note": r.note,
        "restock": r.line_items.iter().any(|rl| rl.restocked),
        "refund_line_items": lines,
        "transactions": [{
            "id": r.id,
            "admin_graphql_api_id": gid("OrderTransaction", r.id),
            "order_id": r.order_id,
            "kind": "refund",
            "status": "success",
            "amount": decimal(r.total_cents),
            "currency": o.currency_code,
        }],
    })
}

/// The body of `fulfillments/create` and `fulfillments/update` (and a `fulfillments[]` entry).
pub fn fulfillment(o: &Order, f: &Fulfillment) -> Value {
    let money = money(o);
    let position = o
        .fulfillments
        .iter()
        .position(|x| x.id == f.id)
        .unwrap_or(0)
        + 1;
    let lines: Vec<Value> = (f.line_items.iter())
        .filter_map(|&(line_item_id, quantity)| {
            let li = o.line_items.iter().find(|li| li.id == line_item_id)?;
            let mut line = line_item(li, money, 0, 0);
            line["quantity"] = json!(quantity);
            Some(line)
        })
        .collect();
    json!({
        "id": f.id,
        "admin_graphql_api_id": gid("Fulfillment", f.id),
        "order_id": f.order_id,
        "location_id": f.location_id,
        "name": format!("{}.{position}", o.name),
        "status": lower(f.status),
        "shipment_status": shipment_status(f.display_status, f.status),
        "service": "manual",
        "tracking_company": f.tracking_company,
        "tracking_number": f.tracking_number,
        "tracking_numbers": f.tracking_number.iter().collect::<Vec<_>>(),
        "tracking_url": Value::Null,
        "tracking_urls": [],
        "created_at": rest_time(f.created_at),
        "updated_at": rest_time(f.updated_at),
        "line_items": lines,
    })
}

fn money(o: &Order) -> MoneySet<'_> {
    MoneySet {
        shop_currency: &o.currency_code,
        presentment_currency: &o.presentment_currency_code,
        rate: o.presentment_rate,
    }
}

/// REST's order-level fulfilment status: null until something ships.
fn order_fulfillment_status(status: OrderFulfillmentStatus) -> Value {
    match status {
        OrderFulfillmentStatus::Fulfilled => json!("fulfilled"),
        OrderFulfillmentStatus::PartiallyFulfilled => json!("partial"),
        OrderFulfillmentStatus::Restocked => json!("restocked"),
        _ => Value::Null,
    }
}

/// REST's `shipment_status`: the carrier's view, null when there is none yet.
fn shipment_status(display: FulfillmentDisplayStatus, status: FulfillmentStatus) -> Value {
    if status == FulfillmentStatus::Cancelled {
        return Value::Null;
    }
    match display {
        FulfillmentDisplayStatus::Fulfilled | FulfillmentDisplayStatus::Canceled => Value::Null,
        other => json!(lower(other)),
    }
}

/// Quantities shipped per line item by fulfilments that were not cancelled.
fn fulfilled_quantities(o: &Order) -> HashMap<u64, i64> {
    let mut done = HashMap::new();
    let live = (o.fulfillments.iter()).filter(|f| f.status != FulfillmentStatus::Cancelled);
    for &(line_item_id, quantity) in live.flat_map(|f| &f.line_items) {
        *done.entry(line_item_id).or_insert(0) += quantity;
    }
    done
}

fn refunded_quantities(o: &Order) -> HashMap<u64, i64> {
    let mut gone = HashMap::new();
    for rl in o.refunds.iter().flat_map(|r| &r.line_items) {
        *gone.entry(rl.line_item_id).or_insert(0) += rl.quantity;
    }
    gone
}

/// A two-line order for unit tests.
#[cfg(test)]
pub(super) fn tests_fixture() -> Order {
    use crate::world::model::FinancialStatus;
    let at = time::macros::datetime!(2026-11-20 15:04:05 UTC);
    let line = |n: u64, quantity: i64| LineItem {
        id: 50010 + n,
        product_id: 70,
        variant_id: 80 + n,
        sku: format!("HRA-STRAIGHT-{n}"),
        title: "AN Straight Fitting".into(),
        variant_title: format!("AN-{n}"),
        quantity,
        unit_price_cents: 1299,
        total_discount_cents: 0,
    };
    Order {
        id: 5001,
        number: 1001,
        name: "#1001".into(),
        email: "buyer@example.com".into(),
        customer_id: 42,
        created_at: at,
        processed_at: at,
        updated_at: at,
        cancelled_at: None,
        closed_at: None,
        currency_code: "USD".into(),
        presentment_currency_code: "USD".into(),
        presentment_rate: 1.0,
        financial_status: FinancialStatus::Paid,
        fulfillment_status: OrderFulfillmentStatus::PartiallyFulfilled,
        source_name: "web".into(),
        tags: vec![],
        shipping_country_code: "US".into(),
        line_items: vec![line(1, 2), line(2, 1)],
        subtotal_cents: 3897,
        total_discounts_cents: 0,
        total_shipping_cents: 0,
        total_tax_cents: 0,
        total_price_cents: 3897,
        total_refunded_cents: 0,
        refunds: vec![],
        fulfillment_orders: vec![],
        fulfillments: vec![],
    }
}
