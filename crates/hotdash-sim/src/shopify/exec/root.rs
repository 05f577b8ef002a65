//! `QueryRoot`: the entry points HotDash reads, lookups by GID (`node`, `nodes` and the typed
//! ones) and the counts.

use std::rc::Rc;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};

use super::admin::{
    API_VERSIONS, ApiVersionObj, BulkOperationObj, WebhookSubscriptionObj, bulk_operations,
    webhook_subscriptions,
};
use super::catalog::{
    InventoryItemObj, InventoryLevelObj, LocationObj, ProductObj, ShopObj, VariantObj,
    inventory_items, locations, parse_inventory_level_gid, product_variants, products,
};
use super::fulfillment::{FulfillmentObj, FulfillmentOrderObj, is_closed};
use super::orders::{LineItemObj, OrderObj, RefundObj, order_page};
use super::{Connection, Count, Cx, Resolved, bool_arg, fallback, list, null, object, str_arg};
use crate::shopify::pagination::{Key, Page, paginate};
use crate::shopify::search::SearchQuery;
use crate::world::ids;
use crate::world::model::Order;

pub struct QueryRoot<'c> {
    pub cx: &'c Cx<'c>,
}

impl ObjectValue for QueryRoot<'_> {
    fn type_name(&self) -> &str {
        "QueryRoot"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let cx = self.cx;
        let world = cx.world;
        match info.field_name() {
            "shop" => object(ShopObj { cx }),
            "orders" => {
                let args = cx.page_args(info, true)?;
                let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
                let sort_key = str_arg(info, "sortKey").unwrap_or("PROCESSED_AT");
                let page = order_page(cx, &args, &query, sort_key)?;
                cx.note_page(&page, true);
                object(Connection::new(
                    info,
                    page.map(|order| OrderObj::new(cx, order)),
                ))
            }
            "ordersCount" => {
                let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
                let count = if query.is_empty() {
                    world.order_count()
                } else {
                    let (from, to) = query.time_bounds("updated_at");
                    let limit = info
                        .arguments()
                        .get("limit")
                        .and_then(|v| v.as_i64())
                        .map_or(usize::MAX, |l| l.max(0) as usize + 1);
                    world
                        .orders_by_updated_at(None, from, to)
                        .filter(|o| query.matches(o))
                        .take(limit)
                        .count() as u64
                };
                object(Count::limited(info, count))
            }
            "products" => object(products(cx, info, true)?),
            "productsCount" => {
                let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
                let count = world
                    .products()
                    .iter()
                    .filter(|p| query.matches(*p))
                    .count();
                object(Count::limited(info, count as u64))
            }
            "productVariants" => object(product_variants(cx, info, true)?),
            "productVariantsCount" => {
                let count = world
                    .products()
                    .iter()
                    .map(|p| p.variants.len())
                    .sum::<usize>();
                object(Count::limited(info, count as u64))
            }
            "inventoryItems" => object(inventory_items(cx, info, true)?),
            "locations" => object(locations(cx, info, true)?),
            "locationsCount" => object(Count::limited(info, world.locations().len() as u64)),
            "fulfillmentOrders" => object(fulfillment_orders(cx, info)?),
            "webhookSubscriptions" => object(webhook_subscriptions(cx, info, true)?),
            "webhookSubscriptionsCount" => object(Count::limited(
                info,
                cx.state.subscriptions.list().len() as u64,
            )),
            "bulkOperations" => object(bulk_operations(cx, info, true)?),
            "currentBulkOperation" => match cx.state.bulk.latest() {
                Some(op) => object(BulkOperationObj { cx, op }),
                None => null(),
            },
            "publicApiVersions" => {
                list(API_VERSIONS.iter().map(|v| ApiVersionObj((*v).to_owned())))
            }
            "location" => match str_arg(info, "id") {
                // Without an id: the shop's primary location.
                None => match world.locations().first() {
                    Some(location) => object(LocationObj { cx, location }),
                    None => null(),
                },
                Some(id) => Ok(lookup(cx, id)),
            },
            "node"
            | "order"
            | "product"
            | "productVariant"
            | "inventoryItem"
            | "inventoryLevel"
            | "fulfillmentOrder"
            | "fulfillment"
            | "refund"
            | "bulkOperation"
            | "webhookSubscription" => match str_arg(info, "id") {
                Some(id) => Ok(typed_lookup(cx, info, id)),
                None => null(),
            },
            "nodes" => {
                let ids = super::str_list_arg(info, "ids").unwrap_or_default();
                Ok(ResolvedValue::List(Box::new(
                    ids.into_iter().map(move |id| Ok(lookup(cx, &id))),
                )))
            }
            _ => fallback(info),
        }
    }
}

/// A lookup by GID through a typed field: only objects of the field's type answer.
fn typed_lookup<'a>(cx: &'a Cx<'a>, info: &ResolveInfo<'_>, id: &str) -> ResolvedValue<'a> {
    let wanted = info.field_definition().ty.inner_named_type().as_str();
    let found = lookup(cx, id);
    match &found {
        ResolvedValue::Object(object) if wanted == "Node" || object.type_name() == wanted => found,
        _ => ResolvedValue::null(),
    }
}

/// Any object by GID, or null.
pub fn lookup<'a>(cx: &'a Cx<'a>, id: &str) -> ResolvedValue<'a> {
    let world = cx.world;
    let Some(rest) = id.strip_prefix("gid://shopify/") else {
        return ResolvedValue::null();
    };
    let Some((kind, number)) = rest.split_once('/') else {
        return ResolvedValue::null();
    };
    if kind == "InventoryLevel" {
        return match parse_inventory_level_gid(id)
            .and_then(|(item, location)| world.inventory_level(item, location))
        {
            Some(level) => ResolvedValue::object(InventoryLevelObj { cx, level }),
            None => ResolvedValue::null(),
        };
    }
    let Ok(number) = number.split('?').next().unwrap_or_default().parse::<u64>() else {
        return ResolvedValue::null();
    };
    let order_of = |base: u64, per_order: u64| -> Option<Rc<Order>> {
        let index = number.checked_sub(base)? / per_order;
        world.order(ids::order_id(index)).map(Rc::new)
    };
    let found: Option<ResolvedValue<'a>> = match kind {
        "Order" => world
            .order(number)
            .map(|order| ResolvedValue::object(OrderObj::new(cx, order))),
        "Product" => world
            .product(number)
            .map(|product| ResolvedValue::object(ProductObj { cx, product })),
        "ProductVariant" => world.variant(number).map(|(product, variant)| {
            ResolvedValue::object(VariantObj {
                cx,
                product,
                variant,
            })
        }),
        "InventoryItem" => world
            .inventory_item(number)
            .map(|item| ResolvedValue::object(InventoryItemObj { cx, item })),
        "Location" => world
            .locations()
            .iter()
            .find(|l| l.id == number)
            .map(|location| ResolvedValue::object(LocationObj { cx, location })),
        "FulfillmentOrder" => order_of(ids::FULFILLMENT_ORDER_BASE, ids::CHILDREN_PER_ORDER)
            .and_then(|order| {
                let index = order
                    .fulfillment_orders
                    .iter()
                    .position(|f| f.id == number)?;
                Some(ResolvedValue::object(FulfillmentOrderObj {
                    cx,
                    order,
                    index,
                }))
            }),
        "Fulfillment" => {
            order_of(ids::FULFILLMENT_BASE, ids::CHILDREN_PER_ORDER).and_then(|order| {
                let index = order.fulfillments.iter().position(|f| f.id == number)?;
                Some(ResolvedValue::object(FulfillmentObj { cx, order, index }))
            })
        }
        "Refund" => order_of(ids::REFUND_BASE, ids::CHILDREN_PER_ORDER).and_then(|order| {
            let index = order.refunds.iter().position(|r| r.id == number)?;
            Some(ResolvedValue::object(RefundObj { cx, order, index }))
        }),
        "LineItem" => order_of(ids::LINE_ITEM_BASE, ids::LINES_PER_ORDER).and_then(|order| {
            let index = order.line_items.iter().position(|l| l.id == number)?;
            Some(ResolvedValue::object(LineItemObj { cx, order, index }))
        }),
        "BulkOperation" => cx
            .state
            .bulk
            .get(number)
            .map(|op| ResolvedValue::object(BulkOperationObj { cx, op })),
        "WebhookSubscription" => cx
            .state
            .subscriptions
            .get(number)
            .map(|subscription| ResolvedValue::object(WebhookSubscriptionObj { subscription })),
        "Shop" if number == world.shop().id => Some(ResolvedValue::object(ShopObj { cx })),
        _ => None,
    };
    found.unwrap_or_else(ResolvedValue::null)
}

/// The top-level `fulfillmentOrders`. An order's `updated_at` is never older than its
/// fulfilment orders', so an `updated_at:>=` filter only needs orders updated since then.
fn fulfillment_orders<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
) -> Result<Connection<'c>, FieldError> {
    let args = cx.page_args(info, true)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let include_closed = bool_arg(info, "includeClosed").unwrap_or(false);
    let by_updated = str_arg(info, "sortKey") == Some("UPDATED_AT");
    let world = cx.world;
    let wanted = |order: &Order, index: usize| {
        let fo = &order.fulfillment_orders[index];
        (include_closed || !is_closed(fo)) && query.matches(fo)
    };
    let key = |order: &Order, index: usize| {
        let fo = &order.fulfillment_orders[index];
        match by_updated {
            true => Key::time(fo.updated_at, fo.id),
            false => Key::id(fo.id),
        }
    };
    let page: Page<FulfillmentOrderObj<'c>> = if !by_updated && args.is_forward() {
        // Ids follow order creation: stream orders from the cursor's and stop after a page.
        let after = match &args.after {
            Some(cursor) => {
                let index =
                    cursor.id.saturating_sub(ids::FULFILLMENT_ORDER_BASE) / ids::CHILDREN_PER_ORDER;
                world
                    .order(ids::order_id(index))
                    .map(|o| (o.created_at, o.id))
                    .map(|(t, id)| (t - time::Duration::nanoseconds(1), id))
            }
            None => None,
        };
        let limit = args.first.unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut has_next = false;
        'orders: for order in world.orders_by_created_at(after, None, None) {
            let order = Rc::new(order);
            for index in 0..order.fulfillment_orders.len() {
                let fo_key = key(&order, index);
                if args.after.as_ref().is_some_and(|after| &fo_key <= after)
                    || !wanted(&order, index)
                {
                    continue;
                }
                if items.len() == limit {
                    has_next = true;
                    break 'orders;
                }
                items.push((
                    fo_key,
                    FulfillmentOrderObj {
                        cx,
                        order: Rc::clone(&order),
                        index,
                    },
                ));
            }
        }
        Page {
            items,
            has_next,
            has_previous: args.after.is_some(),
        }
    } else {
        // Keep keys only while scanning (the large store has a million orders), then build
        // the page's objects.
        let (from, _) = query.time_bounds("updated_at");
        let mut keys = Vec::new();
        for order in world.orders_by_updated_at(None, from, None) {
            for index in 0..order.fulfillment_orders.len() {
                if wanted(&order, index) {
                    keys.push((key(&order, index), (order.id, index)));
                }
            }
        }
        let page = paginate(keys, &args);
        let items = (page.items.into_iter())
            .filter_map(|(key, (order_id, index))| {
                let order = Rc::new(world.order(order_id)?);
                Some((key, FulfillmentOrderObj { cx, order, index }))
            })
            .collect();
        Page {
            items,
            has_next: page.has_next,
            has_previous: page.has_previous,
        }
    };
    cx.note_page(&page, true);
    Ok(Connection::new(info, page))
}
