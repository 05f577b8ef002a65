//! Orders and what hangs off them: line items, refunds and the customer (fulfilment is in
//! `fulfillment`). Money follows Shopify's meanings: `subtotalPriceSet` is after discounts and
//! before shipping and tax, `current*` fields are net of refunds.

use std::rc::Rc;

use apollo_compiler::resolvers::{ObjectValue, ResolveInfo};
use serde::Serialize;
use time::OffsetDateTime;

use super::catalog::{ProductObj, VariantObj};
use super::fulfillment::{FulfillmentObj, FulfillmentOrderObj};
use super::{
    Connection, Cx, MoneyBag, Resolved, fallback, id_leaf, leaf, list, null, object, opt_time_leaf,
    string_list, time_leaf, u64_leaf,
};
use crate::shopify::pagination::{Key, Page, PageArgs, paginate};
use crate::shopify::search::{FieldValue, SearchQuery, Searchable};
use crate::world::model::{FinancialStatus, LineItem, Order, decimal, gid};

/// A model enum as its GraphQL name (they serialise as SCREAMING_SNAKE_CASE).
pub fn enum_name(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

pub struct OrderObj<'c> {
    pub cx: &'c Cx<'c>,
    pub order: Rc<Order>,
}

impl<'c> OrderObj<'c> {
    pub fn new(cx: &'c Cx<'c>, order: Order) -> Self {
        OrderObj {
            cx,
            order: Rc::new(order),
        }
    }

    fn bag(&self, cents: i64) -> MoneyBag<'_> {
        money(&self.order, cents)
    }
}

fn money(order: &Order, cents: i64) -> MoneyBag<'_> {
    MoneyBag::new(
        cents,
        &order.currency_code,
        &order.presentment_currency_code,
        order.presentment_rate,
    )
}

/// Units of a line item refunded so far.
fn refunded_quantity(order: &Order, line_item_id: u64) -> i64 {
    order
        .refunds
        .iter()
        .flat_map(|r| &r.line_items)
        .filter(|l| l.line_item_id == line_item_id)
        .map(|l| l.quantity)
        .sum()
}

/// Line-item subtotals refunded so far.
fn refunded_subtotal(order: &Order) -> i64 {
    order
        .refunds
        .iter()
        .flat_map(|r| &r.line_items)
        .map(|l| l.subtotal_cents)
        .sum()
}

impl ObjectValue for OrderObj<'_> {
    fn type_name(&self) -> &str {
        "Order"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let after_discounts = o.subtotal_cents - o.total_discounts_cents;
        match info.field_name() {
            "id" => id_leaf("Order", o.id),
            "legacyResourceId" => u64_leaf(o.id),
            "name" => leaf(o.name.as_str()),
            "email" => leaf(o.email.as_str()),
            "createdAt" => time_leaf(o.created_at),
            "updatedAt" => time_leaf(o.updated_at),
            "processedAt" => time_leaf(o.processed_at),
            "cancelledAt" => opt_time_leaf(o.cancelled_at),
            "closedAt" => opt_time_leaf(o.closed_at),
            "closed" => leaf(o.closed_at.is_some()),
            "cancelReason" => match o.cancelled_at {
                Some(_) => leaf("CUSTOMER"),
                None => null(),
            },
            "confirmed" => leaf(true),
            "test" => leaf(false),
            "displayFinancialStatus" => leaf(enum_name(o.financial_status)),
            "displayFulfillmentStatus" => leaf(enum_name(o.fulfillment_status)),
            "fullyPaid" => leaf(matches!(
                o.financial_status,
                FinancialStatus::Paid
                    | FinancialStatus::PartiallyRefunded
                    | FinancialStatus::Refunded
            )),
            "unpaid" => leaf(matches!(
                o.financial_status,
                FinancialStatus::Pending | FinancialStatus::Authorized | FinancialStatus::Expired
            )),
            "currencyCode" => leaf(o.currency_code.as_str()),
            "presentmentCurrencyCode" => leaf(o.presentment_currency_code.as_str()),
            "totalPriceSet" => object(self.bag(o.total_price_cents)),
            "subtotalPriceSet" => object(self.bag(after_discounts)),
            "currentSubtotalPriceSet" => object(self.bag(after_discounts - refunded_subtotal(o))),
            "totalDiscountsSet" | "currentTotalDiscountsSet" | "cartDiscountAmountSet" => {
                object(self.bag(o.total_discounts_cents))
            }
            "totalShippingPriceSet" | "currentShippingPriceSet" => {
                object(self.bag(o.total_shipping_cents))
            }
            "totalTaxSet" | "currentTotalTaxSet" => object(self.bag(o.total_tax_cents)),
            "totalRefundedSet" => object(self.bag(o.total_refunded_cents)),
            "currentTotalPriceSet" | "netPaymentSet" | "totalReceivedSet" => {
                object(self.bag(o.total_price_cents - o.total_refunded_cents))
            }
            "totalOutstandingSet" => object(self.bag(0)),
            // Deprecated `Money` scalars, still valid to select.
            "totalPrice" => leaf(decimal(o.total_price_cents)),
            "subtotalPrice" => leaf(decimal(after_discounts)),
            "totalDiscounts" => leaf(decimal(o.total_discounts_cents)),
            "totalRefunded" => leaf(decimal(o.total_refunded_cents)),
            "totalTax" => leaf(decimal(o.total_tax_cents)),
            "totalShippingPrice" => leaf(decimal(o.total_shipping_cents)),
            "subtotalLineItemsQuantity" => {
                leaf(o.line_items.iter().map(|l| l.quantity).sum::<i64>())
            }
            "currentSubtotalLineItemsQuantity" => leaf(
                o.line_items
                    .iter()
                    .map(|l| l.quantity - refunded_quantity(o, l.id))
                    .sum::<i64>(),
            ),
            "tags" => string_list(&o.tags),
            "sourceName" => leaf(o.source_name.as_str()),
            "customer" => object(CustomerObj {
                order: Rc::clone(&self.order),
            }),
            "lineItems" => {
                let items = (0..o.line_items.len())
                    .map(|index| {
                        (
                            o.line_items[index].id,
                            LineItemObj {
                                cx: self.cx,
                                order: Rc::clone(&self.order),
                                index,
                            },
                        )
                    })
                    .collect();
                let args = self.cx.page_args(info, false)?;
                object(Connection::by_id(info, &args, items))
            }
            "fulfillmentOrders" => {
                let items = (0..o.fulfillment_orders.len())
                    .map(|index| {
                        (
                            o.fulfillment_orders[index].id,
                            FulfillmentOrderObj {
                                cx: self.cx,
                                order: Rc::clone(&self.order),
                                index,
                            },
                        )
                    })
                    .collect();
                let args = self.cx.page_args(info, false)?;
                object(Connection::by_id(info, &args, items))
            }
            "fulfillments" => {
                let first = info
                    .arguments()
                    .get("first")
                    .and_then(|v| v.as_i64())
                    .map_or(usize::MAX, |n| n.max(0) as usize);
                list(
                    (0..o.fulfillments.len())
                        .take(first)
                        .map(|index| FulfillmentObj {
                            cx: self.cx,
                            order: Rc::clone(&self.order),
                            index,
                        }),
                )
            }
            "refunds" => {
                let first = info
                    .arguments()
                    .get("first")
                    .and_then(|v| v.as_i64())
                    .map_or(usize::MAX, |n| n.max(0) as usize);
                list((0..o.refunds.len()).take(first).map(|index| RefundObj {
                    cx: self.cx,
                    order: Rc::clone(&self.order),
                    index,
                }))
            }
            _ => fallback(info),
        }
    }
}

impl Searchable for Order {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        let text = |s: &str| Some(FieldValue::Text(s.to_owned()));
        match field {
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "processed_at" => Some(FieldValue::Time(self.processed_at)),
            "cancelled_at" => Some(
                self.cancelled_at
                    .map_or(FieldValue::Missing, FieldValue::Time),
            ),
            "id" => Some(FieldValue::Number(self.id as f64)),
            "name" => Some(FieldValue::Texts(vec![
                self.name.clone(),
                self.number.to_string(),
            ])),
            "email" => text(&self.email),
            "financial_status" => text(&enum_name(self.financial_status)),
            "fulfillment_status" => Some(FieldValue::Texts(fulfillment_aliases(self))),
            "status" => text(if self.cancelled_at.is_some() {
                "cancelled"
            } else if self.closed_at.is_some() {
                "closed"
            } else {
                "open"
            }),
            "source_name" => text(&self.source_name),
            "tag" => Some(FieldValue::Texts(self.tags.clone())),
            "sku" => Some(FieldValue::Texts(
                self.line_items.iter().map(|l| l.sku.clone()).collect(),
            )),
            "test" => text("false"),
            "customer_id" => Some(FieldValue::Number(self.customer_id as f64)),
            "currency" | "presentment_currency" => text(&self.presentment_currency_code),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        let mut text = vec![self.name.clone(), self.email.clone()];
        text.extend(self.line_items.iter().map(|l| l.sku.clone()));
        text
    }
}

/// The REST-era values `fulfillment_status:` accepts, alongside the display status.
fn fulfillment_aliases(order: &Order) -> Vec<String> {
    let display = enum_name(order.fulfillment_status);
    let alias = match display.as_str() {
        "FULFILLED" => "shipped",
        "PARTIALLY_FULFILLED" => "partial",
        "UNFULFILLED" => "unshipped",
        _ => "",
    };
    vec![display, alias.to_owned()]
}

/// The sort position of an order under `sortKey` (time keys stream from the world's indexes).
pub fn order_key(order: &Order, sort_key: &str) -> Key {
    match sort_key {
        "UPDATED_AT" => Key::time(order.updated_at, order.id),
        "TOTAL_PRICE" => Key::number(order.total_price_cents, order.id),
        "CURRENT_TOTAL_PRICE" => Key::number(
            order.total_price_cents - order.total_refunded_cents,
            order.id,
        ),
        "CUSTOMER_NAME" => Key::text(&order.email, order.id),
        "FINANCIAL_STATUS" => Key::text(&enum_name(order.financial_status), order.id),
        "FULFILLMENT_STATUS" => Key::text(&enum_name(order.fulfillment_status), order.id),
        "TOTAL_ITEMS_QUANTITY" => {
            Key::number(order.line_items.iter().map(|l| l.quantity).sum(), order.id)
        }
        "DESTINATION" => Key::text(&order.shipping_country_code, order.id),
        // ID, ORDER_NUMBER, CREATED_AT, PROCESSED_AT: ids and numbers follow creation time.
        _ => Key::time(order.created_at, order.id),
    }
}

/// One page of `orders`. Sorting by update or creation time streams from the world's indexes
/// (bounded by the query's time range), so a page of the large store stays cheap; other sorts
/// and backward paging read the whole range, keeping only keys. Orders outside the app's
/// 60-day window (no `read_all_orders`) are not there at all.
pub fn order_page(
    cx: &Cx<'_>,
    args: &PageArgs,
    query: &SearchQuery,
    sort_key: &str,
) -> Result<Page<Order>, apollo_compiler::resolvers::FieldError> {
    let world = cx.world;
    let by_updated = sort_key == "UPDATED_AT";
    let streams = matches!(
        sort_key,
        "UPDATED_AT" | "CREATED_AT" | "ID" | "PROCESSED_AT" | "ORDER_NUMBER"
    );
    let (from, to) = query.time_bounds(if by_updated {
        "updated_at"
    } else {
        "created_at"
    });
    let from = cx.order_floor(from);
    let wanted = |o: &Order| cx.order_visible(o) && query.matches(o);
    let source = |after: Option<(OffsetDateTime, u64)>| {
        if by_updated {
            world.orders_by_updated_at(after, from, to)
        } else {
            world.orders_by_created_at(after, from, to)
        }
    };
    if streams && args.is_forward() {
        let after = match &args.after {
            Some(key) => Some((
                key.as_time()
                    .ok_or_else(|| apollo_compiler::resolvers::FieldError {
                        message: "Invalid cursor for current pagination sort.".to_owned(),
                    })?,
                key.id,
            )),
            None => None,
        };
        let limit = args.first.unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut has_next = false;
        for order in source(after).filter(|o| wanted(o)) {
            if items.len() == limit {
                has_next = true;
                break;
            }
            items.push((order_key(&order, sort_key), order));
        }
        return Ok(Page {
            items,
            has_next,
            has_previous: args.after.is_some(),
        });
    }
    // Backward pages, `reverse` and the other sorts page over keys alone (a million keys take
    // ~24 MB where a million orders take gigabytes), then build only the page's orders.
    let all = if streams {
        source(None)
    } else {
        world.orders_by_created_at(None, cx.order_cutoff, None)
    };
    let keys: Vec<(Key, u64)> = all
        .filter(|o| wanted(o))
        .map(|o| (order_key(&o, sort_key), o.id))
        .collect();
    let page = paginate(keys, args);
    Ok(Page {
        items: (page.items.into_iter())
            .filter_map(|(key, id)| world.order(id).map(|order| (key, order)))
            .collect(),
        has_next: page.has_next,
        has_previous: page.has_previous,
    })
}

/// `ordersCount(query:, limit:)` over the orders the app may see.
pub fn order_count(cx: &Cx<'_>, query: &SearchQuery, limit: Option<i64>) -> u64 {
    let world = cx.world;
    if query.is_empty() {
        // Creation times are indexed: no order needs generating.
        return match cx.order_cutoff {
            None => world.order_count(),
            Some(cutoff) => world.count_orders_created(Some(cutoff), None),
        };
    }
    let (from, to) = query.time_bounds("updated_at");
    let limit = limit.map_or(usize::MAX, |l| l.max(0) as usize + 1);
    world
        .orders_by_updated_at(None, cx.order_floor(from), to)
        .filter(|o| cx.order_visible(o) && query.matches(o))
        .take(limit)
        .count() as u64
}

pub struct LineItemObj<'c> {
    pub cx: &'c Cx<'c>,
    pub order: Rc<Order>,
    pub index: usize,
}

impl LineItemObj<'_> {
    fn line(&self) -> &LineItem {
        &self.order.line_items[self.index]
    }
}

impl ObjectValue for LineItemObj<'_> {
    fn type_name(&self) -> &str {
        "LineItem"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let l = self.line();
        // Computed only for the fields that need them: most reads ask for none.
        let current = || l.quantity - refunded_quantity(o, l.id);
        let unfulfilled = || -> i64 {
            (o.fulfillment_orders.iter())
                .flat_map(|fo| &fo.line_items)
                .filter(|fl| fl.line_item_id == l.id)
                .map(|fl| fl.remaining_quantity)
                .sum()
        };
        let original_total = l.unit_price_cents * l.quantity;
        let discounted_total = original_total - l.total_discount_cents;
        match info.field_name() {
            "id" => id_leaf("LineItem", l.id),
            "sku" => leaf(l.sku.as_str()),
            "title" => leaf(l.title.as_str()),
            "variantTitle" => leaf(l.variant_title.as_str()),
            "name" => leaf(line_name(l)),
            "quantity" => leaf(l.quantity),
            "currentQuantity" | "refundableQuantity" => leaf(current()),
            "unfulfilledQuantity" | "fulfillableQuantity" => leaf(unfulfilled()),
            "nonFulfillableQuantity" => leaf(l.quantity - current()),
            "originalUnitPriceSet" => object(money(o, l.unit_price_cents)),
            "originalUnitPrice" => leaf(decimal(l.unit_price_cents)),
            "discountedUnitPriceSet" | "discountedUnitPriceAfterAllDiscountsSet" => {
                object(money(o, discounted_total / l.quantity.max(1)))
            }
            "discountedUnitPrice" => leaf(decimal(discounted_total / l.quantity.max(1))),
            "originalTotalSet" => object(money(o, original_total)),
            "discountedTotalSet" | "priceAfterAllDiscountsBeforeTaxesSet" => {
                object(money(o, discounted_total))
            }
            "totalDiscountSet" => object(money(o, l.total_discount_cents)),
            "requiresShipping" | "taxable" | "merchantEditable" | "restockable" => leaf(true),
            "isGiftCard" => leaf(false),
            "vendor" => match self.cx.world.product(l.product_id) {
                Some(product) => leaf(product.vendor.as_str()),
                None => null(),
            },
            "variant" => match self.cx.world.variant(l.variant_id) {
                Some((product, variant)) => object(VariantObj {
                    cx: self.cx,
                    product,
                    variant,
                }),
                None => null(),
            },
            "product" => match self.cx.world.product(l.product_id) {
                Some(product) => object(ProductObj {
                    cx: self.cx,
                    product,
                }),
                None => null(),
            },
            _ => fallback(info),
        }
    }
}

/// `LineItem.name`: the product title, plus the variant title unless it is the default one.
fn line_name(line: &LineItem) -> String {
    if line.variant_title.is_empty() || line.variant_title == "Default Title" {
        line.title.clone()
    } else {
        format!("{} - {}", line.title, line.variant_title)
    }
}

pub struct RefundObj<'c> {
    pub cx: &'c Cx<'c>,
    pub order: Rc<Order>,
    pub index: usize,
}

impl ObjectValue for RefundObj<'_> {
    fn type_name(&self) -> &str {
        "Refund"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let r = &o.refunds[self.index];
        match info.field_name() {
            "id" => id_leaf("Refund", r.id),
            "legacyResourceId" => u64_leaf(r.id),
            "createdAt" | "updatedAt" | "processedAt" => time_leaf(r.created_at),
            "note" => match &r.note {
                Some(note) => leaf(note.as_str()),
                None => null(),
            },
            "totalRefundedSet" => object(money(o, r.total_cents)),
            "totalRefunded" => object(super::MoneyV2 {
                cents: r.total_cents,
                currency: &o.currency_code,
            }),
            "order" => object(OrderObj {
                cx: self.cx,
                order: Rc::clone(&self.order),
            }),
            "refundLineItems" => {
                let items = (0..r.line_items.len())
                    .map(|line| {
                        (
                            Key::id(r.line_items[line].line_item_id),
                            RefundLineItemObj {
                                cx: self.cx,
                                order: Rc::clone(&self.order),
                                refund: self.index,
                                line,
                            },
                        )
                    })
                    .collect();
                let args = self.cx.page_args(info, false)?;
                object(Connection::new(info, paginate(items, &args)))
            }
            _ => fallback(info),
        }
    }
}

struct RefundLineItemObj<'c> {
    cx: &'c Cx<'c>,
    order: Rc<Order>,
    refund: usize,
    line: usize,
}

impl ObjectValue for RefundLineItemObj<'_> {
    fn type_name(&self) -> &str {
        "RefundLineItem"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let rl = &o.refunds[self.refund].line_items[self.line];
        match info.field_name() {
            "quantity" => leaf(rl.quantity),
            "restocked" => leaf(rl.restocked),
            "restockType" => leaf(if rl.restocked { "RETURN" } else { "NO_RESTOCK" }),
            "subtotalSet" => object(money(o, rl.subtotal_cents)),
            "priceSet" => object(money(o, rl.subtotal_cents / rl.quantity.max(1))),
            "subtotal" => leaf(decimal(rl.subtotal_cents)),
            "lineItem" => match o.line_items.iter().position(|l| l.id == rl.line_item_id) {
                Some(index) => object(LineItemObj {
                    cx: self.cx,
                    order: Rc::clone(&self.order),
                    index,
                }),
                None => fallback(info),
            },
            _ => fallback(info),
        }
    }
}

/// The order's customer, as far as the order knows them.
struct CustomerObj {
    order: Rc<Order>,
}

impl ObjectValue for CustomerObj {
    fn type_name(&self) -> &str {
        "Customer"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        match info.field_name() {
            "id" => leaf(gid("Customer", o.customer_id)),
            "legacyResourceId" => u64_leaf(o.customer_id),
            "email" => leaf(o.email.as_str()),
            "displayName" => leaf(o.email.split('@').next().unwrap_or_default()),
            "tags" => string_list(&[]),
            _ => fallback(info),
        }
    }
}
