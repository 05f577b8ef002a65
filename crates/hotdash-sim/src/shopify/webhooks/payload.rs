//! REST-shaped webhook bodies built from the simulated store: snake_case keys, numeric ids with
//! `admin_graphql_api_id` beside them, money as decimal strings with `*_set` (shop and
//! presentment money), enums in lowercase. Modelled on the samples in Shopify's webhooks
//! reference (shared/vendors/shopify.md §3.7), trimmed to what a store like Hot Rod AN produces.

mod catalog;
mod ops;
mod orders;

pub use catalog::{inventory_level, product};
pub use ops::{bulk_operations_finish, fulfillment_order_event};
pub use orders::{fulfillment, order, refund};

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::world::SHOP_UTC_OFFSET;

/// A time as the REST API renders it: seconds precision in the shop's zone
/// (`2026-11-20T08:04:05-07:00` for Hot Rod AN in America/Phoenix, which keeps no DST).
pub fn rest_time(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    // Only numeric components, which always render.
    at.to_offset(SHOP_UTC_OFFSET)
        .format(format)
        .unwrap_or_default()
}

fn opt_time(at: Option<OffsetDateTime>) -> Value {
    at.map_or(Value::Null, |t| Value::String(rest_time(t)))
}

/// A GraphQL enum value (`PARTIALLY_REFUNDED`) as REST writes it (`partially_refunded`).
fn lower(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s.to_lowercase(),
        _ => String::new(),
    }
}

/// Converts shop-currency cents into `*_set` objects, the presentment side at the order's rate.
#[derive(Debug, Clone, Copy)]
struct MoneySet<'a> {
    shop_currency: &'a str,
    presentment_currency: &'a str,
    rate: f64,
}

impl MoneySet<'_> {
    fn set(&self, cents: i64) -> Value {
        // Cents fit f64 exactly far beyond any order total; rounding gives whole cents back.
        let presentment = (cents as f64 * self.rate).round() as i64;
        json!({
            "shop_money": {"amount": crate::world::model::decimal(cents), "currency_code": self.shop_currency},
            "presentment_money": {
                "amount": crate::world::model::decimal(presentment),
                "currency_code": self.presentment_currency,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::world::model::{
        Fulfillment, FulfillmentDisplayStatus, FulfillmentOrder, FulfillmentOrderLineItem,
        FulfillmentOrderStatus, FulfillmentRequestStatus, FulfillmentStatus, InventoryLevel,
        Product, ProductStatus, Variant,
    };

    const AT: OffsetDateTime = datetime!(2026-11-20 15:04:05 UTC);
    const AT_TEXT: &str = "2026-11-20T08:04:05-07:00";

    #[test]
    fn inventory_level_matches_the_reference_sample() {
        let level = InventoryLevel {
            inventory_item_id: 271878346596884015,
            location_id: 24826418,
            available: 10,
            on_hand: 12,
            committed: 2,
            incoming: 0,
            updated_at: AT,
        };
        assert_eq!(
            inventory_level(&level),
            json!({"inventory_item_id": 271878346596884015_u64, "location_id": 24826418,
                   "available": 10, "updated_at": AT_TEXT,
                   "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"})
        );
    }

    #[test]
    fn product_carries_variants_with_inventory_items() {
        let p = Product {
            id: 70,
            title: "AN-6 Straight Fitting".into(),
            handle: "an-6-straight-fitting".into(),
            vendor: "Hot Rod AN".into(),
            product_type: "Fittings".into(),
            tags: vec!["AN-6".into(), "PACK:8".into()],
            status: ProductStatus::Active,
            created_at: AT,
            updated_at: AT,
            variants: vec![Variant {
                id: 80,
                product_id: 70,
                title: "Black".into(),
                sku: "HRA-STRAIGHT-6".into(),
                price_cents: 1299,
                compare_at_price_cents: None,
                position: 1,
                inventory_item_id: 90,
                created_at: AT,
                updated_at: AT,
            }],
        };
        let body = product(&p);
        assert_eq!(body["admin_graphql_api_id"], "gid://shopify/Product/70");
        assert_eq!(body["status"], "active");
        assert_eq!(body["tags"], "AN-6, PACK:8");
        assert_eq!(body["created_at"], AT_TEXT);
        let v = &body["variants"][0];
        assert_eq!(
            (&v["id"], &v["sku"], &v["price"], &v["inventory_item_id"]),
            (
                &json!(80),
                &json!("HRA-STRAIGHT-6"),
                &json!("12.99"),
                &json!(90)
            )
        );
        assert_eq!(v["compare_at_price"], Value::Null);
    }

    #[test]
    fn fulfillment_orders_use_gids_and_lowercase_statuses() {
        let fo = FulfillmentOrder {
            id: 31,
            order_id: 5001,
            assigned_location_id: 1,
            status: FulfillmentOrderStatus::OnHold,
            request_status: FulfillmentRequestStatus::Unsubmitted,
            fulfill_at: None,
            created_at: AT,
            updated_at: AT,
            line_items: vec![FulfillmentOrderLineItem {
                id: 32,
                line_item_id: 50011,
                inventory_item_id: 90,
                sku: "HRA-STRAIGHT-6".into(),
                total_quantity: 2,
                remaining_quantity: 2,
            }],
        };
        let body = fulfillment_order_event("fulfillment_orders/placed_on_hold", &fo);
        assert_eq!(
            body["fulfillment_order"]["id"],
            "gid://shopify/FulfillmentOrder/31"
        );
        assert_eq!(body["fulfillment_order"]["status"], "on_hold");
        assert_eq!(
            body["held_fulfillment_order_line_items"],
            json!([{"id": "gid://shopify/FulfillmentOrderLineItem/32", "quantity": 2}])
        );
        let released = FulfillmentOrder {
            status: FulfillmentOrderStatus::InProgress,
            ..fo
        };
        assert_eq!(
            fulfillment_order_event("fulfillment_orders/progress_reported", &released),
            json!({"fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/31", "status": "in_progress"}})
        );
    }

    #[test]
    fn fulfillment_links_its_order_and_shipped_lines() {
        let mut o = orders::tests_fixture();
        o.fulfillments.push(Fulfillment {
            id: 61,
            order_id: o.id,
            location_id: 1,
            status: FulfillmentStatus::Success,
            display_status: FulfillmentDisplayStatus::InTransit,
            tracking_company: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            created_at: AT,
            updated_at: AT,
            delivered_at: None,
            line_items: vec![(o.line_items[0].id, 1)],
        });
        let body = fulfillment(&o, &o.fulfillments[0]);
        assert_eq!(body["order_id"], o.id);
        assert_eq!(body["name"], "#1001.1");
        assert_eq!(body["status"], "success");
        assert_eq!(body["shipment_status"], "in_transit");
        assert_eq!(body["tracking_numbers"], json!(["1Z999"]));
        assert_eq!(body["line_items"][0]["quantity"], 1);
        // The order now shows one of the two units shipped.
        let order_body = order(&o);
        let line = &order_body["line_items"][0];
        assert_eq!(
            (&line["fulfillable_quantity"], &line["fulfillment_status"]),
            (&json!(1), &json!("partial"))
        );
    }

    #[test]
    fn bulk_operations_finish_is_lowercase() {
        assert_eq!(
            bulk_operations_finish(7, "FAILED", Some("ACCESS_DENIED"), "QUERY", AT, None),
            json!({"admin_graphql_api_id": "gid://shopify/BulkOperation/7", "completed_at": null,
                   "created_at": AT_TEXT, "error_code": "access_denied", "status": "failed",
                   "type": "query"})
        );
    }

    #[test]
    fn rest_times_are_seconds_with_an_offset() {
        let at = datetime!(2021-12-31 19:00:00.123 -05:00);
        assert_eq!(rest_time(at), "2021-12-31T17:00:00-07:00");
    }

    #[test]
    fn money_sets_convert_presentment_at_the_order_rate() {
        let money = MoneySet {
            shop_currency: "USD",
            presentment_currency: "CAD",
            rate: 1.37,
        };
        assert_eq!(
            money.set(1999),
            json!({"shop_money": {"amount": "19.99", "currency_code": "USD"},
                   "presentment_money": {"amount": "27.39", "currency_code": "CAD"}})
        );
    }
}
