//! Paged streams: each page is one connection page sorted by UPDATED_AT from the pass's start
//! time (`updated_at:>='…'`, quoted so Shopify keeps the time of day). The cursor carries the
//! GraphQL `endCursor`, the pass's start and the newest `updated_at` seen; a finished pass
//! leaves `newest − overlap` as the next pass's start.

use hotdash_db::Effect;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ShopifyConnector, map, queries};
use crate::connectors::{ConnectorError, PageNext, PageRequest, PassStart, SyncContext, SyncPage};

/// Where a paged pass stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PagedCursor {
    /// Changes at or after this time (unix ms); `None` on a full pass.
    pub since: Option<i64>,
    /// The connection's `endCursor` of the last stored page.
    pub after: Option<String>,
    /// Newest `updated_at` stored so far this pass.
    pub newest: Option<i64>,
    /// `inventory_levels` only: the locations to walk and which one is under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    #[serde(default)]
    pub location: usize,
}

/// What a finished pass leaves for the next one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResumePoint {
    pub since: i64,
}

fn bad_cursor(e: serde_json::Error) -> ConnectorError {
    ConnectorError::Invalid(format!("unreadable cursor: {e}"))
}

/// The cursor this page starts from.
pub fn start_cursor(request: &PageRequest<'_>) -> Result<PagedCursor, ConnectorError> {
    if let Some(c) = request.cursor {
        return serde_json::from_str(c).map_err(bad_cursor);
    }
    Ok(match request.start {
        PassStart::Full => PagedCursor::default(),
        PassStart::Incremental(resume) => {
            let resume: ResumePoint = serde_json::from_str(resume).map_err(bad_cursor)?;
            PagedCursor {
                since: Some(resume.since),
                ..PagedCursor::default()
            }
        }
    })
}

fn encode(cursor: &PagedCursor) -> String {
    serde_json::to_string(cursor).expect("a cursor serialises")
}

/// The next-pass start a finished pass leaves.
fn resume(connector: &ShopifyConnector, cursor: &PagedCursor) -> Option<String> {
    let overlap = i64::try_from(connector.config.overlap_secs).unwrap_or(0) * 1000;
    let since = match (cursor.newest, cursor.since) {
        (Some(newest), _) => newest - overlap,
        (None, Some(since)) => since,
        (None, None) => 0,
    };
    Some(serde_json::to_string(&ResumePoint { since }).expect("serialises"))
}

/// `updated_at:>='…'` (and the order window for order queries), or `None`.
fn search(since: Option<i64>, created_from: Option<i64>) -> Option<String> {
    let mut terms = Vec::new();
    if let Some(since) = since {
        terms.push(format!("updated_at:>='{}'", map::rfc3339(since)));
    }
    if let Some(from) = created_from {
        terms.push(format!("created_at:>='{}'", map::rfc3339(from)));
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// A connection's nodes, whether there is more, and the end cursor.
fn connection(value: Option<&Value>) -> Result<(Vec<Value>, bool, Option<String>), ConnectorError> {
    let c =
        value.ok_or_else(|| ConnectorError::Invalid("Shopify returned no connection".into()))?;
    let nodes = map::nodes(Some(c)).cloned().collect();
    let info = c.get("pageInfo");
    let more = info
        .and_then(|i| i.get("hasNextPage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let end = info
        .and_then(|i| i.get("endCursor"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((nodes, more, end))
}

/// Builds the page result from a connection page.
fn finish_page(
    connector: &ShopifyConnector,
    mut cursor: PagedCursor,
    effects: Vec<Effect>,
    items: u64,
    newest: Option<i64>,
    more: bool,
    end: Option<String>,
) -> SyncPage {
    cursor.newest = cursor.newest.max(newest);
    let next = if more {
        cursor.after = end;
        PageNext::More(encode(&cursor))
    } else {
        PageNext::Done(resume(connector, &cursor))
    };
    SyncPage {
        effects,
        items,
        next,
        total_hint: None,
    }
}

pub async fn shop(
    connector: &ShopifyConnector,
    cx: &SyncContext,
) -> Result<SyncPage, ConnectorError> {
    let data = connector
        .run_once(cx, "Shop", queries::SHOP, json!({}))
        .await?;
    let shop = map::shop(data.get("shop").unwrap_or(&Value::Null))?;
    Ok(SyncPage {
        effects: vec![Effect::Shop(shop)],
        items: 1,
        next: PageNext::Done(None),
        total_hint: Some(1),
    })
}

pub async fn locations(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let cursor = start_cursor(request)?;
    let data = connector
        .run_paged(
            cx,
            "locations",
            "Locations",
            queries::LOCATIONS,
            50,
            |first| json!({ "first": first, "after": cursor.after }),
        )
        .await?;
    let (nodes, more, end) = connection(data.get("locations"))?;
    let effects = nodes
        .iter()
        .map(|n| map::location(n).map(Effect::Location))
        .collect::<Result<Vec<_>, _>>()?;
    let items = effects.len() as u64;
    // Locations are few: every pass reads them all.
    let next = if more {
        PageNext::More(encode(&PagedCursor {
            after: end,
            ..PagedCursor::default()
        }))
    } else {
        PageNext::Done(None)
    };
    Ok(SyncPage {
        effects,
        items,
        next,
        total_hint: None,
    })
}

/// A top-level connection of records with an `updatedAt`, paged from the pass's start.
struct Listing<T> {
    stream: &'static str,
    operation: &'static str,
    query: &'static str,
    /// The connection's field in `data`.
    field: &'static str,
    default_size: i64,
    map: fn(&Value) -> Result<T, ConnectorError>,
    updated_at: fn(&T) -> i64,
    effect: fn(T) -> Effect,
}

async fn listing<T>(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
    listing: Listing<T>,
) -> Result<SyncPage, ConnectorError> {
    let cursor = start_cursor(request)?;
    let query = search(cursor.since, None);
    let data = connector
        .run_paged(
            cx,
            listing.stream,
            listing.operation,
            listing.query,
            listing.default_size,
            |first| json!({ "first": first, "after": cursor.after, "query": query }),
        )
        .await?;
    let (nodes, more, end) = connection(data.get(listing.field))?;
    let mut effects = Vec::with_capacity(nodes.len());
    let mut newest = None;
    for n in &nodes {
        let row = (listing.map)(n)?;
        newest = newest.max(Some((listing.updated_at)(&row)));
        effects.push((listing.effect)(row));
    }
    let items = nodes.len() as u64;
    Ok(finish_page(
        connector, cursor, effects, items, newest, more, end,
    ))
}

pub async fn products(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    listing(
        connector,
        cx,
        request,
        Listing {
            stream: "products",
            operation: "Products",
            query: queries::PRODUCTS,
            field: "products",
            default_size: 25,
            map: map::product,
            updated_at: |p| p.updated_at,
            effect: Effect::Product,
        },
    )
    .await
}

pub async fn inventory_levels(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let mut cursor = start_cursor(request)?;
    if cursor.locations.is_none() {
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = connector
                .run_paged(
                    cx,
                    "locations",
                    "Locations",
                    queries::LOCATIONS,
                    50,
                    |first| json!({ "first": first, "after": after }),
                )
                .await?;
            let (nodes, more, end) = connection(data.get("locations"))?;
            ids.extend(
                nodes
                    .iter()
                    .filter_map(|n| n.get("id").and_then(Value::as_str).map(str::to_owned)),
            );
            if !more {
                break;
            }
            after = end;
        }
        cursor.locations = Some(ids);
        cursor.location = 0;
        cursor.after = None;
    }
    let locations = cursor.locations.clone().unwrap_or_default();
    let Some(location) = locations.get(cursor.location).cloned() else {
        return Ok(SyncPage {
            next: PageNext::Done(resume(connector, &cursor)),
            ..SyncPage::default()
        });
    };
    let query = search(cursor.since, None);
    let data = connector
        .run_paged(cx, "inventory_levels", "LocationLevels", queries::LOCATION_LEVELS, 100, |first| {
            json!({ "id": location, "first": first, "after": cursor.after, "query": query })
        })
        .await?;
    let (nodes, more, end) = connection(data.pointer("/location/inventoryLevels"))?;
    let mut effects = Vec::with_capacity(nodes.len());
    let mut newest = None;
    for n in &nodes {
        let level = map::inventory_level(n, &location)?;
        newest = newest.max(Some(level.updated_at));
        effects.push(Effect::InventoryLevel(level));
    }
    let items = nodes.len() as u64;
    cursor.newest = cursor.newest.max(newest);
    let next = if more {
        cursor.after = end;
        PageNext::More(encode(&cursor))
    } else if cursor.location + 1 < locations.len() {
        cursor.location += 1;
        cursor.after = None;
        PageNext::More(encode(&cursor))
    } else {
        PageNext::Done(resume(connector, &cursor))
    };
    Ok(SyncPage {
        effects,
        items,
        next,
        total_hint: None,
    })
}

pub async fn orders(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let cursor = start_cursor(request)?;
    let query = search(cursor.since, connector.order_window_start());
    let default_size = connector.config.page_size;
    let data = connector
        .run_paged(
            cx,
            "orders",
            "Orders",
            queries::ORDERS,
            default_size,
            |first| json!({ "first": first, "after": cursor.after, "query": query }),
        )
        .await?;
    let (nodes, more, end) = connection(data.get("orders"))?;
    let mut effects = Vec::new();
    let mut newest = None;
    for n in &nodes {
        let mut items = map::nodes(n.get("lineItems"))
            .map(map::line_item)
            .collect::<Result<Vec<_>, _>>()?;
        let (_, mut more_items, mut after) = connection(n.get("lineItems"))?;
        while more_items {
            let id = n.get("id").cloned().unwrap_or(Value::Null);
            let data = connector
                .run_paged(
                    cx,
                    "order_line_items",
                    "OrderLineItems",
                    queries::ORDER_LINE_ITEMS,
                    50,
                    |first| json!({ "id": id, "first": first, "after": after }),
                )
                .await?;
            let (rest, more, end) = connection(data.pointer("/order/lineItems"))?;
            for li in &rest {
                items.push(map::line_item(li)?);
            }
            more_items = more;
            after = end;
        }
        let order_effects = map::order(n, items)?;
        if let Some(Effect::Order(o)) = order_effects.first() {
            newest = newest.max(Some(o.updated_at));
        }
        effects.extend(order_effects);
    }
    let items = nodes.len() as u64;
    Ok(finish_page(
        connector, cursor, effects, items, newest, more, end,
    ))
}

pub async fn fulfillment_orders(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    listing(
        connector,
        cx,
        request,
        Listing {
            stream: "fulfillment_orders",
            operation: "FulfillmentOrders",
            query: queries::FULFILLMENT_ORDERS,
            field: "fulfillmentOrders",
            // The API's maximum: each node costs 3 points, so a page asks for ~750.
            default_size: 250,
            map: map::fulfillment_order,
            updated_at: |f| f.updated_at,
            effect: Effect::FulfillmentOrder,
        },
    )
    .await
}
