//! Admin GraphQL nodes (paged or bulk JSONL) to store rows. The same function maps an order
//! whichever way it arrived, so a backfill and an incremental pass store identical rows.

use hotdash_db::{
    Effect, FulfillmentOrderRow, FulfillmentRow, InventoryLevelRow, LineItemRow, LocationRow,
    OrderRow, ProductRow, RefundRow, ShopRow, VariantRow,
};
use serde_json::Value;

use crate::connectors::ConnectorError;

fn invalid(what: &str) -> ConnectorError {
    ConnectorError::Invalid(format!("Shopify response lacks {what}"))
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn req_text(v: &Value, key: &str) -> Result<String, ConnectorError> {
    text(v, key).ok_or_else(|| invalid(key))
}

/// `v.set.shopMoney.amount` (or `presentmentMoney`).
fn money(v: &Value, set: &str, which: &str) -> Option<String> {
    text(v.get(set)?.get(which)?, "amount")
}

fn id_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|o| text(o, "id"))
}

/// RFC 3339 to unix ms.
pub fn time_ms(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

fn time_at(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_str).and_then(time_ms)
}

fn req_time(v: &Value, key: &str) -> Result<i64, ConnectorError> {
    time_at(v, key).ok_or_else(|| invalid(key))
}

/// Unix ms as the RFC 3339 UTC text Shopify's search syntax takes.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn legacy_id(gid: &str) -> i64 {
    gid.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn shop(v: &Value) -> Result<ShopRow, ConnectorError> {
    Ok(ShopRow {
        gid: req_text(v, "id")?,
        name: req_text(v, "name")?,
        myshopify_domain: req_text(v, "myshopifyDomain")?,
        currency: req_text(v, "currencyCode")?,
        iana_timezone: text(v, "ianaTimezone"),
        plan: v.get("plan").and_then(|p| text(p, "publicDisplayName")),
        updated_at: time_at(v, "updatedAt").unwrap_or(0),
    })
}

pub fn location(v: &Value) -> Result<LocationRow, ConnectorError> {
    Ok(LocationRow {
        gid: req_text(v, "id")?,
        name: req_text(v, "name")?,
        is_active: v.get("isActive").and_then(Value::as_bool).unwrap_or(true),
        updated_at: time_at(v, "updatedAt").unwrap_or(0),
    })
}

pub fn product(v: &Value) -> Result<ProductRow, ConnectorError> {
    let updated_at = req_time(v, "updatedAt")?;
    let variants = nodes(v.get("variants"))
        .map(|n| {
            Ok(VariantRow {
                gid: req_text(n, "id")?,
                sku: text(n, "sku").filter(|s| !s.is_empty()),
                title: text(n, "title"),
                price: text(n, "price"),
                inventory_item_gid: id_at(n, "inventoryItem"),
                updated_at: time_at(n, "updatedAt").unwrap_or(updated_at),
                unit_cost: n
                    .get("inventoryItem")
                    .and_then(|i| i.get("unitCost"))
                    .and_then(|c| text(c, "amount")),
            })
        })
        .collect::<Result<Vec<_>, ConnectorError>>()?;
    Ok(ProductRow {
        gid: req_text(v, "id")?,
        title: req_text(v, "title")?,
        handle: text(v, "handle"),
        status: text(v, "status"),
        vendor: text(v, "vendor"),
        product_type: text(v, "productType"),
        created_at: req_time(v, "createdAt")?,
        updated_at,
        variants,
    })
}

/// The nodes of a connection (`nodes` or `edges[].node`), or the items of a list.
pub fn nodes(connection: Option<&Value>) -> impl Iterator<Item = &Value> {
    let list: &[Value] = match connection {
        Some(Value::Array(items)) => items,
        Some(c) => match (c.get("nodes"), c.get("edges")) {
            (Some(Value::Array(n)), _) => n,
            (_, Some(Value::Array(e))) => e,
            _ => &[],
        },
        None => &[],
    };
    list.iter().map(|n| n.get("node").unwrap_or(n))
}

pub fn line_item(n: &Value) -> Result<LineItemRow, ConnectorError> {
    Ok(LineItemRow {
        gid: req_text(n, "id")?,
        sku: text(n, "sku").filter(|s| !s.is_empty()),
        title: req_text(n, "title")?,
        quantity: n
            .get("quantity")
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid("quantity"))?,
        price: money(n, "originalUnitPriceSet", "shopMoney").ok_or_else(|| invalid("price"))?,
        product_gid: id_at(n, "product"),
        variant_gid: id_at(n, "variant"),
        price_presentment: money(n, "originalUnitPriceSet", "presentmentMoney"),
    })
}

/// An order node as effects: the order (with the line items inline in `line_items`, if any),
/// then its refunds and fulfilments.
pub fn order(v: &Value, line_items: Vec<LineItemRow>) -> Result<Vec<Effect>, ConnectorError> {
    let gid = req_text(v, "id")?;
    let legacy = text(v, "legacyResourceId")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| legacy_id(&gid));
    let row = OrderRow {
        gid: gid.clone(),
        legacy_id: legacy,
        name: req_text(v, "name")?,
        financial_status: text(v, "displayFinancialStatus"),
        fulfillment_status: text(v, "displayFulfillmentStatus"),
        currency: req_text(v, "currencyCode")?,
        total_price: money(v, "totalPriceSet", "shopMoney")
            .ok_or_else(|| invalid("totalPriceSet"))?,
        subtotal_price: money(v, "subtotalPriceSet", "shopMoney"),
        total_discounts: money(v, "totalDiscountsSet", "shopMoney"),
        created_at: req_time(v, "createdAt")?,
        updated_at: req_time(v, "updatedAt")?,
        cancelled_at: time_at(v, "cancelledAt"),
        closed_at: time_at(v, "closedAt"),
        processed_at: time_at(v, "processedAt"),
        presentment_currency: text(v, "presentmentCurrencyCode"),
        total_price_presentment: money(v, "totalPriceSet", "presentmentMoney"),
        current_total_price: money(v, "currentTotalPriceSet", "shopMoney"),
        total_refunded: money(v, "totalRefundedSet", "shopMoney"),
        total_tax: money(v, "totalTaxSet", "shopMoney"),
        total_shipping: money(v, "totalShippingPriceSet", "shopMoney"),
        line_items,
    };
    let mut effects = vec![Effect::Order(Box::new(row))];
    for r in nodes(v.get("refunds")) {
        effects.push(Effect::Refund(RefundRow {
            gid: req_text(r, "id")?,
            order_gid: gid.clone(),
            created_at: req_time(r, "createdAt")?,
            total: money(r, "totalRefundedSet", "shopMoney").unwrap_or_else(|| "0.0".into()),
            total_presentment: money(r, "totalRefundedSet", "presentmentMoney"),
        }));
    }
    for f in nodes(v.get("fulfillments")) {
        let tracking = nodes(f.get("trackingInfo")).next();
        effects.push(Effect::Fulfillment(FulfillmentRow {
            gid: req_text(f, "id")?,
            order_gid: gid.clone(),
            status: text(f, "status"),
            shipment_status: text(f, "displayStatus"),
            tracking_company: tracking.and_then(|t| text(t, "company")),
            created_at: req_time(f, "createdAt")?,
            updated_at: req_time(f, "updatedAt")?,
            tracking_number: tracking.and_then(|t| text(t, "number")),
        }));
    }
    Ok(effects)
}

pub fn inventory_level(v: &Value, location_gid: &str) -> Result<InventoryLevelRow, ConnectorError> {
    let quantity = |name: &str| {
        nodes(v.get("quantities"))
            .find(|q| q.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|q| q.get("quantity").and_then(Value::as_i64))
    };
    Ok(InventoryLevelRow {
        inventory_item_gid: id_at(v, "item").ok_or_else(|| invalid("item.id"))?,
        location_gid: location_gid.to_owned(),
        available: quantity("available").ok_or_else(|| invalid("available"))?,
        updated_at: req_time(v, "updatedAt")?,
        on_hand: quantity("on_hand"),
        committed: quantity("committed"),
        incoming: quantity("incoming"),
    })
}

pub fn fulfillment_order(v: &Value) -> Result<FulfillmentOrderRow, ConnectorError> {
    Ok(FulfillmentOrderRow {
        gid: req_text(v, "id")?,
        order_gid: text(v, "orderId"),
        status: req_text(v, "status")?,
        updated_at: req_time(v, "updatedAt")?,
        assigned_location_gid: v.get("assignedLocation").and_then(|a| id_at(a, "location")),
        created_at: time_at(v, "createdAt"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ms = time_ms("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(rfc3339(ms), "2026-11-22T10:00:00Z");
        assert_eq!(
            time_ms("2026-11-22T10:00:00-05:00"),
            Some(ms + 5 * 3_600_000)
        );
    }
}
