//! Every GraphQL operation the Shopify connector sends, one `.graphql` file each, validated
//! against the pinned Admin schema (2026-07) by the tests below: an unknown or deprecated
//! field fails the build's tests, not a sync in production.

pub const SHOP: &str = include_str!("graphql/shop.graphql");
pub const SCOPES: &str = include_str!("graphql/scopes.graphql");
pub const LOCATIONS: &str = include_str!("graphql/locations.graphql");
pub const PRODUCTS: &str = include_str!("graphql/products.graphql");
pub const LOCATION_LEVELS: &str = include_str!("graphql/location_levels.graphql");
pub const ORDERS: &str = include_str!("graphql/orders.graphql");
pub const ORDER_LINE_ITEMS: &str = include_str!("graphql/order_line_items.graphql");
pub const FULFILLMENT_ORDERS: &str = include_str!("graphql/fulfillment_orders.graphql");
/// A template: `QUERY_FILTER` becomes the `query:` argument (or nothing).
pub const BULK_ORDERS: &str = include_str!("graphql/bulk_orders.graphql");
pub const BULK_FULFILLMENT_ORDERS: &str = include_str!("graphql/bulk_fulfillment_orders.graphql");
pub const BULK_RUN: &str = include_str!("graphql/bulk_run.graphql");
pub const BULK_POLL: &str = include_str!("graphql/bulk_poll.graphql");
pub const SUBSCRIPTIONS: &str = include_str!("graphql/subscriptions.graphql");
pub const SUBSCRIPTION_CREATE: &str = include_str!("graphql/subscription_create.graphql");
pub const SUBSCRIPTION_UPDATE: &str = include_str!("graphql/subscription_update.graphql");

/// The bulk orders query with an optional search filter (`created_at:>='…'`).
pub fn bulk_orders(filter: Option<&str>) -> String {
    with_order_filter(BULK_ORDERS, filter)
}

/// The bulk fulfilment-orders query (every order's), with the same optional order filter.
pub fn bulk_fulfillment_orders(filter: Option<&str>) -> String {
    with_order_filter(BULK_FULFILLMENT_ORDERS, filter)
}

fn with_order_filter(query: &str, filter: Option<&str>) -> String {
    let args = match filter {
        Some(f) => format!("query: {}", serde_json::Value::String(f.to_owned())),
        None => "sortKey: CREATED_AT".to_owned(),
    };
    query.replace("QUERY_FILTER", &args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotdash_sim::shopify::schema::{deprecated_fields, parse_document};

    #[test]
    fn every_operation_validates_against_the_pinned_schema_without_deprecated_fields() {
        let documents = [
            ("shop", SHOP.to_owned()),
            ("scopes", SCOPES.to_owned()),
            ("locations", LOCATIONS.to_owned()),
            ("products", PRODUCTS.to_owned()),
            ("location_levels", LOCATION_LEVELS.to_owned()),
            ("orders", ORDERS.to_owned()),
            ("order_line_items", ORDER_LINE_ITEMS.to_owned()),
            ("fulfillment_orders", FULFILLMENT_ORDERS.to_owned()),
            ("bulk_orders (all)", bulk_orders(None)),
            (
                "bulk_orders (window)",
                bulk_orders(Some("created_at:>='2026-01-01T00:00:00Z'")),
            ),
            (
                "bulk_fulfillment_orders (all)",
                bulk_fulfillment_orders(None),
            ),
            (
                "bulk_fulfillment_orders (window)",
                bulk_fulfillment_orders(Some("created_at:>='2026-01-01T00:00:00Z'")),
            ),
            ("bulk_run", BULK_RUN.to_owned()),
            ("bulk_poll", BULK_POLL.to_owned()),
            ("subscriptions", SUBSCRIPTIONS.to_owned()),
            ("subscription_create", SUBSCRIPTION_CREATE.to_owned()),
            ("subscription_update", SUBSCRIPTION_UPDATE.to_owned()),
        ];
        for (name, source) in documents {
            let document = parse_document(&source)
                .unwrap_or_else(|e| panic!("{name} does not validate: {}", e.errors));
            let deprecated = deprecated_fields(&document);
            assert!(
                deprecated.is_empty(),
                "{name} selects deprecated fields: {deprecated:?}"
            );
        }
    }
}
