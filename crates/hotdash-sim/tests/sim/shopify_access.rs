//! Access scopes and usage statistics of the Shopify simulator: `currentAppInstallation`'s
//! scopes and how to change them, the 60-day order window without `read_all_orders` (lists,
//! counts, lookups and bulk operations), ACCESS_DENIED for fields whose scope is missing (also
//! failing a bulk operation), and the counters behind `GET /__sim/shopify/stats`.

use std::collections::BTreeSet;
use std::time::Duration;

use hotdash_sim::shopify::{
    AccessScopes, BulkStatus, DEFAULT_ACCESS_SCOPES, Plan, READ_ALL_ORDERS, Settings,
    ShopifyConfig, ShopifyStats, ThrottleMode,
};
use hotdash_sim::world::model::{Order, gid};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::shopify::{Client, document, run_bulk, sim, world};

/// Every order of the shared store, and the creation time before which an app without
/// `read_all_orders` sees none.
fn orders_and_cutoff() -> (Vec<Order>, OffsetDateTime) {
    let world = world();
    let world = world.read().expect("world");
    let cutoff = world.now() - time::Duration::days(60);
    (
        world.orders_by_created_at(None, None, None).collect(),
        cutoff,
    )
}

/// Every order id `orders(sortKey: UPDATED_AT)` pages through, 250 at a time.
async fn page_all_orders(client: &Client, query: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let reply = client
            .doc(
                "orders_page",
                json!({"first": 250, "after": after, "sortKey": "UPDATED_AT", "query": query}),
            )
            .await;
        let orders = &reply.body["data"]["orders"];
        assert!(orders.is_object(), "{}", reply.body);
        for node in orders["nodes"].as_array().expect("nodes") {
            ids.push(node["id"].as_str().expect("id").to_owned());
        }
        if orders["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = orders["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

fn handles(reply: &Value) -> Vec<String> {
    let scopes = &reply["data"]["currentAppInstallation"]["accessScopes"];
    (scopes.as_array().expect("accessScopes").iter())
        .map(|s| s["handle"].as_str().expect("handle").to_owned())
        .collect()
}

#[tokio::test]
async fn the_app_installation_reports_the_granted_scopes_which_can_change_at_run_time() {
    let client = sim(ShopifyConfig::default()).await;
    let reply = client.doc("app_installation", json!({})).await;
    let expected: BTreeSet<String> = DEFAULT_ACCESS_SCOPES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(handles(&reply.body), Vec::from_iter(expected));
    assert!(handles(&reply.body).contains(&READ_ALL_ORDERS.to_owned()));
    assert!(
        reply.body["data"]["currentAppInstallation"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("gid://shopify/AppInstallation/"))
    );

    client
        .sim
        .controls()
        .set_access_scopes(["read_products", "read_orders"]);
    let reply = client.doc("app_installation", json!({})).await;
    assert_eq!(handles(&reply.body), ["read_orders", "read_products"]);

    // Over HTTP, as a demo or a script would.
    let url = format!("{}/__sim/shopify/access-scopes", client.sim.url());
    let put = client
        .http
        .put(&url)
        .json(&json!({"access_scopes": ["read_orders", "read_all_orders"]}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    let shown: Value = client
        .http
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        shown,
        json!({"access_scopes": ["read_all_orders", "read_orders"]})
    );
    let reply = client.doc("app_installation", json!({})).await;
    assert_eq!(handles(&reply.body), ["read_all_orders", "read_orders"]);
    assert_eq!(
        client.sim.controls().access_scopes(),
        AccessScopes::from_iter(["read_orders", "read_all_orders"])
    );
}

#[tokio::test]
async fn without_read_all_orders_only_the_last_60_days_of_orders_exist() {
    let client = sim(ShopifyConfig::default()).await;
    let (orders, cutoff) = orders_and_cutoff();
    let recent: Vec<&Order> = orders.iter().filter(|o| o.created_at >= cutoff).collect();
    let old: Vec<&Order> = orders.iter().filter(|o| o.created_at < cutoff).collect();
    assert!(
        !recent.is_empty() && !old.is_empty(),
        "the store spans the window"
    );

    // With the scope (the default) every order is there.
    let count = client
        .query("{ ordersCount(limit: null) { count } }", None, json!({}))
        .await;
    assert_eq!(
        count.body["data"]["ordersCount"]["count"],
        json!(orders.len())
    );
    assert_eq!(page_all_orders(&client, None).await.len(), orders.len());

    client.sim.controls().revoke_access_scope(READ_ALL_ORDERS);
    let mut expected: Vec<String> = recent.iter().map(|o| gid("Order", o.id)).collect();
    let mut paged = page_all_orders(&client, None).await;
    expected.sort();
    paged.sort();
    assert_eq!(paged, expected, "orders lists only the last 60 days");
    // A filter reaching back before the window still finds nothing older.
    let since_ever = page_all_orders(&client, Some("created_at:>='2000-01-01T00:00:00Z'")).await;
    assert_eq!(since_ever.len(), recent.len());
    let count = client
        .query("{ ordersCount(limit: null) { count } }", None, json!({}))
        .await;
    assert_eq!(
        count.body["data"]["ordersCount"]["count"],
        json!(recent.len())
    );
    let updated_count = client
        .query(
            "{ ordersCount(query: \"updated_at:>='2000-01-01T00:00:00Z'\", limit: null) { count } }",
            None,
            json!({}),
        )
        .await;
    assert_eq!(
        updated_count.body["data"]["ordersCount"]["count"],
        json!(recent.len())
    );

    // Lookups: an old order is simply not found (no error), a recent one is.
    let lookup = "query($old: ID!, $new: ID!) { old: order(id: $old) { id } new: order(id: $new) { id } node(id: $old) { id } }";
    let reply = client
        .query(
            lookup,
            None,
            json!({"old": gid("Order", old[0].id), "new": gid("Order", recent[0].id)}),
        )
        .await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    assert_eq!(reply.body["data"]["old"], Value::Null);
    assert_eq!(reply.body["data"]["node"], Value::Null);
    assert_eq!(
        reply.body["data"]["new"]["id"],
        json!(gid("Order", recent[0].id))
    );
    // What hangs off an old order is gone with it.
    if let Some(line) = old[0].line_items.first() {
        let reply = client
            .query(
                "query($id: ID!) { node(id: $id) { id } }",
                None,
                json!({"id": gid("LineItem", line.id)}),
            )
            .await;
        assert_eq!(reply.body["data"]["node"], Value::Null, "{}", reply.body);
    }
    let fulfillment_orders = client
        .query(
            "{ fulfillmentOrders(first: 250, includeClosed: true) { nodes { orderId } } }",
            None,
            json!({}),
        )
        .await;
    let recent_ids: BTreeSet<String> = recent.iter().map(|o| gid("Order", o.id)).collect();
    let listed = fulfillment_orders.body["data"]["fulfillmentOrders"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert!(!listed.is_empty());
    for node in listed {
        assert!(recent_ids.contains(node["orderId"].as_str().expect("orderId")));
    }

    // A bulk backfill sees the same window.
    let op = run_bulk(&client, "bulk_orders").await;
    assert_eq!(op["status"], "COMPLETED");
    assert_eq!(op["rootObjectCount"], json!(recent.len().to_string()));

    // Granted again, the history is back.
    client.sim.controls().grant_access_scope(READ_ALL_ORDERS);
    assert_eq!(page_all_orders(&client, None).await.len(), orders.len());
}

/// The ACCESS_DENIED error Shopify sends for `field` at `path`, the scope text as in the schema.
fn denied(field: &str, path: Value, line: u64, column: u64, required: &str) -> Value {
    json!({
        "message": format!("Access denied for {field} field. Required access: {required}"),
        "locations": [{"line": line, "column": column}],
        "path": path,
        "extensions": {"code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": required},
    })
}

const ORDER_ACCESS: &str = "`read_orders` access scope, `read_marketplace_orders` access scope or `read_quick_sale` access scope.";

#[tokio::test]
async fn a_missing_scope_denies_its_fields_with_shopifys_access_denied_error() {
    let client = sim(ShopifyConfig::default()).await;
    let controls = client.sim.controls();

    // No read_orders: `orders` is non-null, so its null takes `data` with it (GraphQL's rule).
    controls.set_access_scopes(["read_products", "read_all_orders"]);
    let reply = client
        .query("{ orders(first: 2) { nodes { id } } }", None, json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["errors"],
        json!([denied("orders", json!(["orders"]), 1, 3, ORDER_ACCESS)])
    );
    assert_eq!(reply.body["data"], Value::Null);
    assert!(reply.cost()["actualQueryCost"].is_number());

    // Nullable fields are null beside the data that is allowed.
    let (orders, _) = orders_and_cutoff();
    let reply = client
        .query(
            "query($id: ID!) { shop { id } ordersCount { count } order(id: $id) { id } products(first: 1) { nodes { id } } }",
            None,
            json!({"id": gid("Order", orders[0].id)}),
        )
        .await;
    let data = &reply.body["data"];
    assert!(data["shop"]["id"].is_string());
    assert_eq!(data["ordersCount"], Value::Null);
    assert_eq!(data["order"], Value::Null);
    assert_eq!(data["products"]["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        reply.body["errors"],
        json!([
            denied(
                "ordersCount",
                json!(["ordersCount"]),
                1,
                31,
                "`read_orders` access scope or `read_marketplace_orders` access scope."
            ),
            denied("order", json!(["order"]), 1, 53, ORDER_ACCESS),
        ])
    );
    // Behind an interface the object's own type decides.
    let reply = client
        .query(
            "query($id: ID!) { node(id: $id) { id } }",
            None,
            json!({"id": gid("Order", orders[0].id)}),
        )
        .await;
    assert_eq!(reply.body["data"], json!({"node": null}));
    assert_eq!(
        reply.body["errors"][0]["message"],
        format!("Access denied for Order object. Required access: {ORDER_ACCESS}")
    );
    assert_eq!(reply.body["errors"][0]["path"], json!(["node"]));
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "ACCESS_DENIED"
    );

    // With read_orders but not read_products, an order's variant is denied where it is read.
    controls.set_access_scopes(["read_orders", "read_all_orders"]);
    let reply = client
        .query(
            "{ orders(first: 1, sortKey: CREATED_AT) { nodes { id lineItems(first: 1) { nodes { sku variant { id } } } } } }",
            None,
            json!({}),
        )
        .await;
    let line = &reply.body["data"]["orders"]["nodes"][0]["lineItems"]["nodes"][0];
    assert!(line["sku"].is_string(), "{}", reply.body);
    assert_eq!(line["variant"], Value::Null);
    assert_eq!(
        reply.body["errors"][0]["path"],
        json!(["orders", "nodes", 0, "lineItems", "nodes", 0, "variant"])
    );
    assert_eq!(
        reply.body["errors"][0]["extensions"]["requiredAccess"],
        "`read_products` access scope."
    );

    // Each tile's root field and the scope it needs.
    controls.set_access_scopes(Vec::<String>::new());
    for (query, field, required) in [
        (
            "{ products(first: 1) { nodes { id } } }",
            "products",
            "`read_products` access scope.",
        ),
        (
            "{ productVariants(first: 1) { nodes { id } } }",
            "productVariants",
            "`read_products` access scope.",
        ),
        (
            "{ inventoryItems(first: 1) { nodes { id } } }",
            "inventoryItems",
            "`read_inventory` access scope or `read_products` access scope.",
        ),
        (
            "{ locations(first: 1) { nodes { id } } }",
            "locations",
            "`read_locations` access scope, `read_inventory` access scope or `read_markets_home` access scope.",
        ),
        (
            "{ fulfillmentOrders(first: 1) { nodes { id } } }",
            "fulfillmentOrders",
            "`read_assigned_fulfillment_orders` access scope, `read_merchant_managed_fulfillment_orders` access scope, `read_third_party_fulfillment_orders` access scope or `read_marketplace_fulfillment_orders` access scope.",
        ),
    ] {
        let reply = client.query(query, None, json!({})).await;
        assert_eq!(
            reply.body["errors"],
            json!([denied(field, json!([field]), 1, 3, required)]),
            "{query}"
        );
    }
    // A `write_` scope implies its `read_`.
    controls.set_access_scopes(["write_products"]);
    let reply = client
        .query("{ products(first: 1) { nodes { id } } }", None, json!({}))
        .await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);

    // The shop, the app's own installation and webhook subscriptions need no scope.
    controls.set_access_scopes(Vec::<String>::new());
    let reply = client
        .query(
            "{ shop { id } currentAppInstallation { accessScopes { handle } } webhookSubscriptions(first: 1) { nodes { id } } }",
            None,
            json!({}),
        )
        .await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    assert_eq!(
        reply.body["data"]["currentAppInstallation"]["accessScopes"],
        json!([])
    );
    assert!(client.sim.controls().stats().access_denied >= 8);
}

#[tokio::test]
async fn a_bulk_operation_reading_a_denied_field_fails_with_access_denied() {
    let client = sim(ShopifyConfig::default()).await;
    let mut finished = client.sim.handles.bulk_finished.subscribe();
    client
        .sim
        .controls()
        .set_access_scopes(["read_products", "read_inventory"]);
    let op = run_bulk(&client, "bulk_orders").await;
    assert_eq!(op["status"], "FAILED", "{op}");
    assert_eq!(op["errorCode"], "ACCESS_DENIED");
    assert_eq!(op["url"], Value::Null);
    assert_eq!(op["objectCount"], "0");
    let event = tokio::time::timeout(Duration::from_secs(5), finished.recv())
        .await
        .expect("finish event")
        .expect("event");
    assert_eq!(event.status, BulkStatus::Failed);
    assert_eq!(event.error_code, Some("ACCESS_DENIED"));
    assert_eq!(event.webhook_payload()["error_code"], "access_denied");

    // A nested field counts as much as the root: variants need read_products.
    client
        .sim
        .controls()
        .set_access_scopes(["read_orders", "read_all_orders"]);
    let inner =
        "{ orders { edges { node { id lineItems { edges { node { id variant { id } } } } } } } }";
    let reply = client.doc("bulk_run_query", json!({"query": inner})).await;
    let id = reply.body["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let op = crate::shopify::wait_for_bulk(&client, &id).await;
    assert_eq!(op["errorCode"], "ACCESS_DENIED");

    // With the scopes back the same query completes.
    client.sim.controls().grant_access_scope("read_products");
    let op = run_bulk(&client, "bulk_orders").await;
    assert_eq!(op["status"], "COMPLETED");
}

#[tokio::test]
async fn usage_statistics_count_every_kind_of_answer_and_reset() {
    let client = sim(ShopifyConfig {
        plan: Plan::Custom {
            maximum: 100.0,
            restore_rate: 1.0,
        },
        ..ShopifyConfig::default()
    })
    .await;
    let controls = client.sim.controls();
    assert_eq!(controls.stats(), ShopifyStats::default());
    let started = OffsetDateTime::now_utc();

    // Ran: cost 1 each.
    let mut requested = 0;
    let mut actual = 0;
    for _ in 0..2 {
        let reply = client.doc("cheap", json!({})).await;
        requested += reply.cost()["requestedQueryCost"].as_u64().expect("cost");
        actual += reply.cost()["actualQueryCost"].as_u64().expect("cost");
    }
    // Ran, refunded to what it returned: 2 + 60 requested, one order found.
    let reply = client
        .doc("orders_page", json!({"first": 60, "query": "name:#1001"}))
        .await;
    requested += reply.cost()["requestedQueryCost"].as_u64().expect("cost");
    actual += reply.cost()["actualQueryCost"].as_u64().expect("cost");
    assert!(actual < requested);
    // Too expensive: never charged.
    let reply = client.doc("too_expensive", json!({})).await;
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "MAX_COST_EXCEEDED"
    );
    // Throttled on 200, then on 429: 2 + 98 points, more than is left of the 100.
    let big = json!({"first": 98});
    let mut throttled_200 = 0;
    for _ in 0..2 {
        let reply = client.doc("orders_page", big.clone()).await;
        if reply.body["errors"][0]["extensions"]["code"] == "THROTTLED" {
            throttled_200 += 1;
        } else {
            requested += reply.cost()["requestedQueryCost"].as_u64().expect("cost");
            actual += reply.cost()["actualQueryCost"].as_u64().expect("cost");
        }
    }
    assert!(throttled_200 >= 1);
    controls.set_settings(Settings {
        throttle_mode: ThrottleMode::Http429,
        ..Settings::default()
    });
    let reply = client.doc("orders_page", big.clone()).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    controls.set_settings(Settings::default());
    // Denied (and cheap enough to run).
    controls.revoke_access_scope("read_products");
    let reply = client
        .query("{ productsCount { count } }", None, json!({}))
        .await;
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "ACCESS_DENIED"
    );
    requested += reply.cost()["requestedQueryCost"].as_u64().expect("cost");
    actual += reply.cost()["actualQueryCost"].as_u64().expect("cost");
    // A wrong token.
    let unauthorized = client
        .post(
            &client.sim.graphql_url(),
            Some("shpat_wrong"),
            json!({"query": document("cheap")}),
        )
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);

    let stats = controls.stats();
    let ran = 3 + (2 - throttled_200) + 1;
    assert_eq!(
        stats.graphql_requests,
        (ran + 1 + throttled_200 + 1 + 1) as u64,
        "{stats:?}"
    );
    assert_eq!(stats.throttled_http_200, throttled_200 as u64);
    assert_eq!(stats.throttled_http_429, 1);
    assert_eq!(stats.throttled, throttled_200 as u64 + 1);
    assert_eq!(stats.max_cost_exceeded, 1);
    assert_eq!(stats.access_denied, 1);
    assert_eq!(stats.unauthorized, 1);
    assert_eq!(stats.internal_errors, 0);
    assert_eq!(stats.requested_cost, requested);
    assert_eq!(stats.actual_cost, actual);
    let (first, last) = (
        stats.first_request_at.expect("first"),
        stats.last_request_at.expect("last"),
    );
    assert!(started <= first && first < last && last <= OffsetDateTime::now_utc());
    assert!((stats.window_secs - (last - first).as_seconds_f64()).abs() < 1e-6);

    // The same over HTTP, then reset.
    let url = format!("{}/__sim/shopify/stats", client.sim.url());
    let shown: ShopifyStats = client
        .http
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("stats json");
    assert_eq!(shown, stats);
    let raw: Value = client
        .http
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(raw["first_request_at"].is_string() && raw["window_secs"].is_number());
    let reset = client.http.delete(&url).send().await.expect("delete");
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(controls.stats(), ShopifyStats::default());
    client.doc("cheap", json!({})).await;
    assert_eq!(controls.stats().graphql_requests, 1);
    controls.reset_stats();
    assert_eq!(controls.stats().first_request_at, None);
}
