//! Shopify webhook bodies, which are REST-shaped JSON (snake_case, numeric ids,
//! `admin_graphql_api_id`), turned into effects keyed by GraphQL GIDs: orders, products,
//! inventory levels, fulfillments and fulfillment orders. Money stays a decimal string and
//! times become unix ms. Other topics are ignored.

use hotdash_db::{
    Effect, FulfillmentOrderRow, FulfillmentRow, InventoryLevelRow, LineItemRow, OrderRow,
    ProductRow, VariantRow,
};
use serde::Deserialize;
use serde_json::Value;

use super::{Handled, PayloadContext, PayloadError, int, required, text, time_ms};

/// Effects for one Shopify delivery of `topic`.
pub(super) fn derive(
    topic: &str,
    body: &[u8],
    cx: &PayloadContext,
) -> Result<Handled, PayloadError> {
    // Parsed only for topics we handle, so unknown topics never fail on odd bodies.
    let json = || serde_json::from_slice::<Value>(body);
    let effects = match topic {
        // `orders/edited` is deliberately absent: its body is an `order_edit`, not an order.
        "orders/create"
        | "orders/updated"
        | "orders/paid"
        | "orders/cancelled"
        | "orders/fulfilled"
        | "orders/partially_fulfilled" => {
            vec![Effect::Order(Box::new(order(&json()?, cx)?))]
        }
        "products/create" | "products/update" => vec![Effect::Product(product(&json()?, cx)?)],
        "products/delete" => {
            let body = json()?;
            let id = required(int(&body, "id"), "id")?;
            // The body is only the id: the trigger time is the best deletion time we have.
            let gid = gid(&body, "Product", id);
            vec![Effect::ProductDeleted {
                gid,
                deleted_at: cx.event_time(),
            }]
        }
        "inventory_levels/update" => match inventory_level(&json()?, cx)? {
            Some(level) => vec![Effect::InventoryLevel(level)],
            None => return Ok(Handled::Ignored),
        },
        "fulfillments/create" | "fulfillments/update" => {
            vec![Effect::Fulfillment(fulfillment(&json()?, cx)?)]
        }
        t if t.starts_with("fulfillment_orders/") => fulfillment_orders(&json()?, cx)?,
        _ => return Ok(Handled::Ignored),
    };
    Ok(Handled::Effects(effects))
}

/// The top-level fields a resource key can come from. Everything else in the body is skipped
/// without being built into values, so one pass is both the ingest path's JSON check and its key,
/// instead of a check plus a `Value` of the whole body.
#[derive(Deserialize)]
struct KeyFields {
    id: Option<Value>,
    inventory_item_id: Option<Value>,
    location_id: Option<Value>,
    fulfillment_order: Option<Value>,
    original_fulfillment_order: Option<Value>,
    order_edit: Option<Value>,
}

/// `shopify:<resource>:<legacy id>` for the delivery's subject; see [`super::resource_key`].
/// Errs only when the body is not JSON; JSON of another shape has no key.
pub(super) fn resource_key(topic: &str, body: &[u8]) -> Result<Option<String>, serde_json::Error> {
    match serde_json::from_slice::<KeyFields>(body) {
        Ok(fields) => Ok(key_of(topic, &fields)),
        // Valid JSON that is not such an object (an array, a repeated key): no key.
        Err(error) if error.is_data() => {
            serde_json::from_slice::<serde::de::IgnoredAny>(body)?;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

fn key_of(topic: &str, body: &KeyFields) -> Option<String> {
    let (family, _) = topic.split_once('/')?;
    let (kind, id) = match family {
        "inventory_levels" => {
            let item = legacy_id(body.inventory_item_id.as_ref()?)?;
            let location = legacy_id(body.location_id.as_ref()?)?;
            return Some(format!("shopify:inventory_level:{item}:{location}"));
        }
        "fulfillment_orders" => {
            let fo =
                (body.fulfillment_order.as_ref()).or(body.original_fulfillment_order.as_ref())?;
            ("fulfillment_order", fo.get("id")?)
        }
        "orders" if topic == "orders/edited" => {
            ("order", body.order_edit.as_ref()?.get("order_id")?)
        }
        // Topics whose body is the resource itself, with its own `id`.
        "orders" | "products" | "fulfillments" | "refunds" | "customers" | "inventory_items" => (
            family.strip_suffix('s').unwrap_or(family),
            body.id.as_ref()?,
        ),
        _ => return None,
    };
    Some(format!("shopify:{kind}:{}", legacy_id(id)?))
}

/// The GID Shopify gave in `admin_graphql_api_id`, else one built from the REST id.
fn gid(object: &Value, kind: &str, id: i64) -> String {
    text(object, "admin_graphql_api_id")
        .filter(|g| g.starts_with("gid://"))
        .unwrap_or_else(|| format!("gid://shopify/{kind}/{id}"))
}

/// A money amount: Shopify sends decimal strings; a bare JSON number is kept as written.
fn decimal(object: &Value, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The objects in an array field; absent or not an array is empty.
fn each<'a>(object: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    object
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A payload's `updated_at`. When it is missing (e.g. trimmed by a subscription's
/// `includeFields`) use the trigger time, else the receipt time: both are no earlier than
/// the change, and the watermark only needs a time that orders deliveries sensibly.
fn updated_at(object: &Value, cx: &PayloadContext) -> Result<i64, PayloadError> {
    Ok(time_ms(object, "updated_at")?.unwrap_or_else(|| cx.event_time()))
}

/// A REST status (`partially_refunded`) as the Admin GraphQL enum spells it
/// (`PARTIALLY_REFUNDED`), so webhook and API rows agree.
fn graphql_enum(rest: &str) -> String {
    rest.to_ascii_uppercase()
}

/// REST `fulfillment_status` (null, `partial`, `fulfilled`, `restocked`) as GraphQL's
/// `displayFulfillmentStatus`.
fn display_fulfillment_status(rest: Option<&str>) -> String {
    match rest {
        None => "UNFULFILLED".to_owned(),
        Some("partial") => "PARTIALLY_FULFILLED".to_owned(),
        Some(other) => graphql_enum(other),
    }
}

/// `object[set][money].amount`, e.g. `total_price_set.presentment_money.amount`.
fn money_set(object: &Value, set: &str, money: &str) -> Option<String> {
    decimal(object.get(set)?.get(money)?, "amount")
}

fn created_at(object: &Value) -> Result<i64, PayloadError> {
    required(time_ms(object, "created_at")?, "created_at")
}

fn order(o: &Value, cx: &PayloadContext) -> Result<OrderRow, PayloadError> {
    let legacy_id = required(int(o, "id"), "id")?;
    Ok(OrderRow {
        gid: gid(o, "Order", legacy_id),
        legacy_id,
        name: required(text(o, "name"), "name")?,
        financial_status: text(o, "financial_status").map(|s| graphql_enum(&s)),
        fulfillment_status: Some(display_fulfillment_status(
            text(o, "fulfillment_status").as_deref(),
        )),
        currency: required(text(o, "currency"), "currency")?,
        total_price: required(decimal(o, "total_price"), "total_price")?,
        subtotal_price: decimal(o, "subtotal_price"),
        total_discounts: decimal(o, "total_discounts"),
        created_at: created_at(o)?,
        updated_at: updated_at(o, cx)?,
        cancelled_at: time_ms(o, "cancelled_at")?,
        closed_at: time_ms(o, "closed_at")?,
        processed_at: time_ms(o, "processed_at")?,
        presentment_currency: text(o, "presentment_currency"),
        total_price_presentment: money_set(o, "total_price_set", "presentment_money"),
        current_total_price: decimal(o, "current_total_price"),
        total_refunded: None,
        total_tax: decimal(o, "total_tax"),
        total_shipping: money_set(o, "total_shipping_price_set", "shop_money"),
        line_items: each(o, "line_items")
            .map(line_item)
            .collect::<Result<_, _>>()?,
    })
}

fn line_item(li: &Value) -> Result<LineItemRow, PayloadError> {
    let id = required(int(li, "id"), "line_items.id")?;
    Ok(LineItemRow {
        gid: gid(li, "LineItem", id),
        sku: text(li, "sku").filter(|s| !s.is_empty()),
        // Custom line items can lack a title; `name` is what the admin shows then.
        title: required(
            text(li, "title").or_else(|| text(li, "name")),
            "line_items.title",
        )?,
        quantity: required(int(li, "quantity"), "line_items.quantity")?,
        price: required(decimal(li, "price"), "line_items.price")?,
        product_gid: int(li, "product_id").map(|id| format!("gid://shopify/Product/{id}")),
        variant_gid: int(li, "variant_id").map(|id| format!("gid://shopify/ProductVariant/{id}")),
        price_presentment: money_set(li, "price_set", "presentment_money"),
    })
}

fn product(p: &Value, cx: &PayloadContext) -> Result<ProductRow, PayloadError> {
    let id = required(int(p, "id"), "id")?;
    let updated_at = updated_at(p, cx)?;
    let variants = each(p, "variants").map(|v| {
        let id = required(int(v, "id"), "variants.id")?;
        let item = int(v, "inventory_item_id");
        Ok(VariantRow {
            gid: gid(v, "ProductVariant", id),
            sku: text(v, "sku").filter(|s| !s.is_empty()),
            title: text(v, "title"),
            price: decimal(v, "price"),
            inventory_item_gid: item.map(|i| format!("gid://shopify/InventoryItem/{i}")),
            // A variant without its own time changed no later than the product did.
            updated_at: time_ms(v, "updated_at")?.unwrap_or(updated_at),
            unit_cost: None,
        })
    });
    Ok(ProductRow {
        gid: gid(p, "Product", id),
        title: required(text(p, "title"), "title")?,
        handle: text(p, "handle"),
        status: text(p, "status").map(|s| graphql_enum(&s)),
        vendor: text(p, "vendor"),
        product_type: text(p, "product_type"),
        created_at: created_at(p)?,
        updated_at,
        variants: variants.collect::<Result<_, PayloadError>>()?,
    })
}

/// `None` when `available` is null or absent: the item is not tracked, so there is no level.
fn inventory_level(
    l: &Value,
    cx: &PayloadContext,
) -> Result<Option<InventoryLevelRow>, PayloadError> {
    let item = required(int(l, "inventory_item_id"), "inventory_item_id")?;
    let location = required(int(l, "location_id"), "location_id")?;
    let available = match l.get("available") {
        None | Some(Value::Null) => return Ok(None),
        Some(n) => required(n.as_i64(), "available")?,
    };
    Ok(Some(InventoryLevelRow {
        inventory_item_gid: format!("gid://shopify/InventoryItem/{item}"),
        location_gid: format!("gid://shopify/Location/{location}"),
        available,
        updated_at: updated_at(l, cx)?,
        on_hand: None,
        committed: None,
        incoming: None,
    }))
}

fn fulfillment(f: &Value, cx: &PayloadContext) -> Result<FulfillmentRow, PayloadError> {
    let id = required(int(f, "id"), "id")?;
    Ok(FulfillmentRow {
        gid: gid(f, "Fulfillment", id),
        order_gid: format!(
            "gid://shopify/Order/{}",
            required(int(f, "order_id"), "order_id")?
        ),
        status: text(f, "status").map(|s| graphql_enum(&s)),
        shipment_status: text(f, "shipment_status").map(|s| graphql_enum(&s)),
        tracking_company: text(f, "tracking_company"),
        created_at: created_at(f)?,
        updated_at: updated_at(f, cx)?,
        tracking_number: text(f, "tracking_number"),
    })
}

/// Every fulfillment order a `fulfillment_orders/*` body reports: `fulfillment_order`, plus
/// the other end of a move, split, cancel or submit (`moved_fulfillment_order`,
/// `remaining_fulfillment_order`, `replacement_fulfillment_order`, …) and merges.
fn fulfillment_orders(body: &Value, cx: &PayloadContext) -> Result<Vec<Effect>, PayloadError> {
    let object = required(body.as_object(), "fulfillment_order")?;
    let mut found = Vec::new();
    for (key, value) in object {
        if key.ends_with("fulfillment_order") {
            found.push(value);
        } else if key == "fulfillment_order_merges" {
            found.extend(each(body, key).filter_map(|m| m.get("fulfillment_order")));
        }
    }
    let effects = (found.into_iter().filter(|fo| !fo.is_null()))
        .map(|fo| {
            let gid = value_gid(fo.get("id"), "FulfillmentOrder");
            let order = fo.get("order_id").or_else(|| body.get("order_id"));
            Ok(Effect::FulfillmentOrder(FulfillmentOrderRow {
                gid: required(gid, "fulfillment_order.id")?,
                order_gid: value_gid(order, "Order"),
                status: graphql_enum(&required(text(fo, "status"), "fulfillment_order.status")?),
                // These payloads carry no `updated_at`: the trigger (else receipt) time orders them.
                updated_at: cx.event_time(),
                assigned_location_gid: None,
                created_at: None,
            }))
        })
        .collect::<Result<Vec<_>, PayloadError>>()?;
    if effects.is_empty() {
        return Err(PayloadError::Field("fulfillment_order"));
    }
    Ok(effects)
}

/// A GID from a JSON id that is either a GID string already or a legacy number.
fn value_gid(id: Option<&Value>, kind: &str) -> Option<String> {
    match id? {
        Value::String(s) if s.starts_with("gid://") => Some(s.clone()),
        other => legacy_id(other).map(|n| format!("gid://shopify/{kind}/{n}")),
    }
}

/// The numeric id in a JSON number, a numeric string, or a GID
/// (`gid://shopify/InventoryLevel/24826418?inventory_item_id=…` gives `24826418`).
fn legacy_id(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => n.as_i64().map(|n| n.to_string()),
        Value::String(s) => {
            let tail = s.rsplit('/').next()?.split('?').next()?;
            let numeric = !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit());
            numeric.then(|| tail.to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const RECEIVED: i64 = 1_700_000_000_000;
    const NEW_YEAR: i64 = 1_640_995_200_000; // 2021-12-31T19:00:00-05:00

    fn cx(triggered_at: Option<i64>) -> PayloadContext {
        PayloadContext {
            triggered_at,
            received_at: RECEIVED,
            webhook_event_id: 1,
            defaults: super::super::PayloadDefaults::default(),
        }
    }

    /// The effects for a delivery as JSON rows (`{"Order": {...}}`), to compare whole rows.
    fn rows(topic: &str, body: &str, cx: &PayloadContext) -> Vec<Value> {
        let Ok(Handled::Effects(effects)) = derive(topic, body.as_bytes(), cx) else {
            panic!(
                "{topic}: expected effects, got {:?}",
                derive(topic, body.as_bytes(), cx)
            );
        };
        let row = |effect: &Effect| match effect {
            Effect::Order(r) => json!({ "Order": r }),
            Effect::Product(r) => json!({ "Product": r }),
            Effect::ProductDeleted { gid, deleted_at } => {
                json!({ "ProductDeleted": [gid, deleted_at] })
            }
            Effect::InventoryLevel(r) => json!({ "InventoryLevel": r }),
            Effect::Fulfillment(r) => json!({ "Fulfillment": r }),
            Effect::FulfillmentOrder(r) => json!({ "FulfillmentOrder": r }),
            other => panic!("not a Shopify effect: {other:?}"),
        };
        effects.iter().map(row).collect()
    }

    fn field_error(topic: &str, body: &str) -> &'static str {
        match derive(topic, body.as_bytes(), &cx(None)) {
            Err(PayloadError::Field(name)) => name,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    // Trimmed from the `orders/create` sample in the Shopify webhooks reference.
    const ORDER: &str = r##"{
      "id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
      "name": "#9999", "currency": "USD", "financial_status": "voided", "fulfillment_status": null,
      "total_price": "403.00", "subtotal_price": "393.00", "total_discounts": "0.00",
      "created_at": "2021-12-31T19:00:00-05:00", "updated_at": "2021-12-31T19:00:00-05:00",
      "cancelled_at": "2021-12-31T19:00:00-05:00", "closed_at": null, "test": true,
      "total_price_set": {"shop_money": {"amount": "403.00", "currency_code": "USD"}},
      "line_items": [
        {"id": 866550311766439020, "admin_graphql_api_id": "gid://shopify/LineItem/866550311766439020",
         "sku": "IPOD2008BLACK", "title": "IPod Nano - 8GB", "quantity": 1, "price": "199.00",
         "product_id": 632910392, "variant_id": 808950810, "fulfillable_quantity": 1},
        {"id": 141249953214522974, "sku": "", "title": null, "name": "Gift wrap",
         "quantity": 2, "price": 5, "product_id": null, "variant_id": null}
      ]}"##;

    #[test]
    fn orders_topics_map_order_and_line_items_to_gids() {
        // The second line item has no GID (built from its id), an empty SKU, no title and a
        // numeric price: all normalised.
        let want = json!({ "Order": {
            "gid": "gid://shopify/Order/820982911946154508", "legacy_id": 820982911946154508_i64,
            "name": "#9999", "financial_status": "VOIDED", "fulfillment_status": "UNFULFILLED",
            "currency": "USD", "total_price": "403.00", "subtotal_price": "393.00",
            "total_discounts": "0.00", "created_at": NEW_YEAR, "updated_at": NEW_YEAR,
            "cancelled_at": NEW_YEAR, "closed_at": null, "processed_at": null,
            "presentment_currency": null, "total_price_presentment": null,
            "current_total_price": null, "total_refunded": null,
            "total_tax": null, "total_shipping": null,
            "line_items": [
                { "gid": "gid://shopify/LineItem/866550311766439020", "sku": "IPOD2008BLACK",
                  "title": "IPod Nano - 8GB", "quantity": 1, "price": "199.00",
                  "product_gid": "gid://shopify/Product/632910392",
                  "variant_gid": "gid://shopify/ProductVariant/808950810", "price_presentment": null },
                { "gid": "gid://shopify/LineItem/141249953214522974", "sku": null,
                  "title": "Gift wrap", "quantity": 2, "price": "5",
                  "product_gid": null, "variant_gid": null, "price_presentment": null },
            ],
        }});
        assert_eq!(rows("orders/cancelled", ORDER, &cx(Some(1))), [want]);
    }

    #[test]
    fn order_without_updated_at_uses_triggered_at_then_received_at() {
        let body = ORDER.replace(r#""updated_at": "2021-12-31T19:00:00-05:00","#, "");
        let updated_at = |cx| rows("orders/updated", &body, &cx)[0]["Order"]["updated_at"].clone();
        assert_eq!(updated_at(cx(Some(42))), 42);
        assert_eq!(updated_at(cx(None)), RECEIVED);
    }

    #[test]
    fn order_missing_or_garbled_fields_are_named_errors() {
        let no_total = ORDER.replace(r#""total_price": "403.00","#, "");
        assert_eq!(field_error("orders/paid", &no_total), "total_price");
        let bad_time = ORDER.replace(r#""closed_at": null"#, r#""closed_at": "soon""#);
        assert_eq!(field_error("orders/paid", &bad_time), "closed_at");
        assert_eq!(
            field_error("orders/paid", r#"{"id": "820982911946154508"}"#),
            "id"
        );
        let malformed = derive("orders/paid", b"{\"id\": 1,", &cx(None));
        assert!(
            matches!(malformed, Err(PayloadError::Json(_))),
            "{malformed:?}"
        );
    }

    #[test]
    fn orders_edited_and_unknown_topics_are_ignored() {
        let edit = br#"{"order_edit": {"id": 78912328, "order_id": 450789469}}"#;
        let ignored = Some(Handled::Ignored);
        assert_eq!(derive("orders/edited", edit, &cx(None)).ok(), ignored);
        assert_eq!(
            derive("app/uninstalled", b"not json", &cx(None)).ok(),
            ignored
        );
    }

    #[test]
    fn products_update_maps_variants_and_inventory_items() {
        let body = r#"{"id": 788032119674292922, "title": "Example T-Shirt",
          "handle": "example-t-shirt", "vendor": "Acme", "product_type": "Shirts",
          "status": "active", "created_at": "2021-12-31T19:00:00-05:00",
          "updated_at": "2022-01-01T00:00:01Z", "tags": "example, mens, t-shirt",
          "admin_graphql_api_id": "gid://shopify/Product/788032119674292922",
          "variants": [
            {"id": 642667041472713922, "title": "Small", "price": "19.99", "sku": "TS-S",
             "inventory_item_id": 271878346596884015, "updated_at": "2021-12-31T19:00:00-05:00"},
            {"id": 757650484644203962, "title": "Medium", "price": "19.99", "inventory_item_id": null}
          ]}"#;
        // The second variant has no `updated_at` of its own and takes the product's.
        let want = json!({ "Product": {
            "gid": "gid://shopify/Product/788032119674292922", "title": "Example T-Shirt",
            "handle": "example-t-shirt", "status": "ACTIVE", "vendor": "Acme",
            "product_type": "Shirts", "created_at": NEW_YEAR, "updated_at": NEW_YEAR + 1000,
            "variants": [
                { "gid": "gid://shopify/ProductVariant/642667041472713922", "sku": "TS-S",
                  "title": "Small", "price": "19.99", "updated_at": NEW_YEAR,
                  "inventory_item_gid": "gid://shopify/InventoryItem/271878346596884015",
                  "unit_cost": null },
                { "gid": "gid://shopify/ProductVariant/757650484644203962", "sku": null,
                  "title": "Medium", "price": "19.99", "inventory_item_gid": null,
                  "updated_at": NEW_YEAR + 1000, "unit_cost": null },
            ],
        }});
        assert_eq!(rows("products/update", body, &cx(None)), [want]);
    }

    #[test]
    fn products_delete_is_stamped_with_trigger_time_else_receipt() {
        let body = r#"{"id": 788032119674292922}"#;
        let gid = "gid://shopify/Product/788032119674292922";
        assert_eq!(
            rows("products/delete", body, &cx(Some(99))),
            [json!({ "ProductDeleted": [gid, 99] })]
        );
        assert_eq!(
            rows("products/delete", body, &cx(None)),
            [json!({ "ProductDeleted": [gid, RECEIVED] })]
        );
        assert_eq!(field_error("products/delete", "{}"), "id");
    }

    // The `inventory_levels/update` sample from the Shopify webhooks reference.
    const LEVEL: &str = r#"{"inventory_item_id":271878346596884015,"location_id":24826418,"available":10,
       "updated_at":"2021-12-31T19:00:00-05:00",
       "admin_graphql_api_id":"gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"}"#;

    #[test]
    fn inventory_levels_update_maps_item_and_location_and_skips_untracked() {
        let want = json!({ "InventoryLevel": {
            "inventory_item_gid": "gid://shopify/InventoryItem/271878346596884015",
            "location_gid": "gid://shopify/Location/24826418", "available": 10, "updated_at": NEW_YEAR,
            "on_hand": null, "committed": null, "incoming": null,
        }});
        assert_eq!(rows("inventory_levels/update", LEVEL, &cx(None)), [want]);
        let untracked = LEVEL.replace(r#""available":10"#, r#""available":null"#);
        let handled = derive("inventory_levels/update", untracked.as_bytes(), &cx(None));
        assert_eq!(handled.ok(), Some(Handled::Ignored));
    }

    #[test]
    fn fulfillments_update_links_order_and_falls_back_to_trigger_time() {
        let body = r#"{"id": 123456, "order_id": 820982911946154508, "status": "success",
          "created_at": "2021-12-31T19:00:00-05:00", "tracking_company": "UPS",
          "shipment_status": "in_transit", "tracking_number": "1Z2345"}"#;
        let want = json!({ "Fulfillment": {
            "gid": "gid://shopify/Fulfillment/123456", "order_gid": "gid://shopify/Order/820982911946154508",
            "status": "SUCCESS", "shipment_status": "IN_TRANSIT", "tracking_company": "UPS",
            "created_at": NEW_YEAR, "updated_at": 77, "tracking_number": "1Z2345",
        }});
        assert_eq!(rows("fulfillments/update", body, &cx(Some(77))), [want]);
    }

    #[test]
    fn fulfillment_orders_report_every_order_involved_at_trigger_time() {
        let body = r#"{"fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/1", "status": "cancelled"},
          "replacement_fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/2", "status": "open"},
          "order_id": 450789469}"#;
        let row = |id: u8, order: Option<&str>, status: &str, at: i64| {
            json!({ "FulfillmentOrder": {
                "gid": format!("gid://shopify/FulfillmentOrder/{id}"), "order_gid": order,
                "status": status.to_ascii_uppercase(), "updated_at": at,
                "assigned_location_gid": null, "created_at": null,
            }})
        };
        let order = Some("gid://shopify/Order/450789469");
        let want = [row(1, order, "cancelled", 5), row(2, order, "open", 5)];
        assert_eq!(
            rows("fulfillment_orders/cancelled", body, &cx(Some(5))),
            want
        );
        let hold = r#"{"fulfillment_order": {"id": 1, "status": "on_hold"}}"#;
        let want = [row(1, None, "on_hold", RECEIVED)];
        assert_eq!(
            rows("fulfillment_orders/placed_on_hold", hold, &cx(None)),
            want
        );
        assert_eq!(
            field_error("fulfillment_orders/moved", "{}"),
            "fulfillment_order"
        );
    }

    #[test]
    fn resource_keys_name_the_resource_by_legacy_id() {
        let key = |topic: &str, body: &str| resource_key(topic, body.as_bytes()).unwrap();
        let fo = r#"{"fulfillment_order": {"id": "gid://shopify/FulfillmentOrder/1"}}"#;
        let edit = r#"{"order_edit": {"id": 1, "order_id": 450789469}}"#;
        let cases = [
            (
                key("orders/create", ORDER),
                "shopify:order:820982911946154508",
            ),
            (key("orders/edited", edit), "shopify:order:450789469"),
            (key("products/delete", r#"{"id": 7}"#), "shopify:product:7"),
            (
                key("inventory_levels/update", LEVEL),
                "shopify:inventory_level:271878346596884015:24826418",
            ),
            (
                key("fulfillment_orders/hold_released", fo),
                "shopify:fulfillment_order:1",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.as_deref(), Some(want));
        }
        assert_eq!(key("app/uninstalled", r#"{"id": 1}"#), None);
        assert_eq!(key("orders/create", r##"{"name": "#1"}"##), None);
        assert_eq!(key("orders/create", "[1, 2]"), None);
        assert_eq!(key("orders/create", r#"{"id": 1, "id": 2}"#), None);
        assert!(resource_key("orders/create", b"not json").is_err());
        assert!(resource_key("orders/create", br#"{"id": 1"#).is_err());
    }
}
