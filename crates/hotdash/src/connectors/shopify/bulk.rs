//! Back-fills through bulk operations, for `orders` (with line items, refunds, fulfilments)
//! and `fulfillment_orders`: start `bulkOperationRunQuery`, poll it to completion, stream the
//! JSONL result and attach every child line to its parent by `__parentId` (never by
//! adjacency: Shopify does not promise children follow their parent). The whole file is read
//! before the first page is emitted, since a child may come last; records are then stored
//! 1,000 per page.
//!
//! Fulfilment orders come through a bulk operation of their own (every order's
//! `fulfillmentOrders`) rather than pages of the top-level connection: a shop has about one per
//! order, so paging a million of them at 750 points a page would take the Standard plan's
//! 100 points/s over eight hours.
//!
//! The cursor names the operation, so a killed sync resumes the same operation (polling it,
//! or downloading its result again and skipping the records already stored) instead of
//! starting over.

use std::collections::HashMap;
use std::time::Duration;

use hotdash_db::{Effect, LineItemRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pages::ResumePoint;
use super::{ShopifyConnector, map, queries};
use crate::connectors::{ConnectorError, PageNext, PageRequest, SyncContext, SyncPage};

/// Records stored per page once the result is read.
const RECORDS_PER_PAGE: usize = 1_000;
/// Restarts after a failed, cancelled or expired operation before the pass gives up.
const MAX_RESTARTS: u32 = 3;
/// Bounds a result download as a whole. Shopify's files run to gigabytes, so this is generous;
/// a stalled connection is caught sooner by the client's per-read timeout.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "bulk", rename_all = "snake_case")]
pub enum BulkCursor {
    /// Start an operation (again, after `restarts` failed ones).
    Start { restarts: u32 },
    /// The operation is running.
    Running { op: String, restarts: u32 },
    /// Its result is being stored; `done` records are stored already.
    Reading {
        op: String,
        url: String,
        done: usize,
    },
}

pub fn is_bulk_cursor(cursor: &str) -> bool {
    serde_json::from_str::<BulkCursor>(cursor).is_ok()
}

/// Which stream a bulk operation back-fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkStream {
    Orders,
    FulfillmentOrders,
}

impl BulkStream {
    fn query(self, filter: Option<&str>) -> String {
        match self {
            BulkStream::Orders => queries::bulk_orders(filter),
            BulkStream::FulfillmentOrders => queries::bulk_fulfillment_orders(filter),
        }
    }

    fn name(self) -> &'static str {
        match self {
            BulkStream::Orders => "orders",
            BulkStream::FulfillmentOrders => "fulfillment_orders",
        }
    }
}

/// A bulk result read into rows, kept between pages.
pub struct Download {
    op: String,
    /// Each record's effects in file order: an order first, then its refunds and fulfilments;
    /// or one fulfilment order.
    records: Vec<Vec<Effect>>,
    /// Line items by their order's id.
    line_items: HashMap<String, Vec<LineItemRow>>,
    newest: Option<i64>,
}

fn encode(cursor: &BulkCursor) -> String {
    serde_json::to_string(cursor).expect("a cursor serialises")
}

pub async fn backfill(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
    stream: BulkStream,
) -> Result<SyncPage, ConnectorError> {
    let cursor = match request.cursor {
        Some(c) => serde_json::from_str(c)
            .map_err(|e| ConnectorError::Invalid(format!("unreadable bulk cursor: {e}")))?,
        None => BulkCursor::Start { restarts: 0 },
    };
    match cursor {
        BulkCursor::Start { restarts } => start(connector, cx, stream, restarts).await,
        BulkCursor::Running { op, restarts } => poll(connector, cx, stream, op, restarts).await,
        BulkCursor::Reading { op, url, done } => read(connector, cx, stream, op, url, done).await,
    }
}

async fn start(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    stream: BulkStream,
    restarts: u32,
) -> Result<SyncPage, ConnectorError> {
    let filter = connector
        .order_window_start()
        .map(|from| format!("created_at:>='{}'", map::rfc3339(from)));
    let inner = stream.query(filter.as_deref());
    let data = connector
        .run_once(cx, "BulkRun", queries::BULK_RUN, json!({ "query": inner }))
        .await?;
    let result = data.get("bulkOperationRunQuery").unwrap_or(&Value::Null);
    if let Some(errors) = result.get("userErrors").and_then(Value::as_array)
        && !errors.is_empty()
    {
        let message = errors
            .iter()
            .filter_map(|e| e.get("message").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("; ");
        // Another bulk query of this app is running (ours, from a crashed process that lost
        // its cursor, or someone else's): worth waiting for.
        return Err(ConnectorError::Transient(format!(
            "bulkOperationRunQuery refused: {message}"
        )));
    }
    let op = result
        .pointer("/bulkOperation/id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ConnectorError::Invalid("bulkOperationRunQuery returned no operation".into())
        })?
        .to_owned();
    tracing::info!(connector.id = connector.id, bulk.operation = %op, stream = stream.name(), "Started a bulk operation");
    Ok(SyncPage {
        next: PageNext::More(encode(&BulkCursor::Running { op, restarts })),
        ..SyncPage::default()
    })
}

/// Polls until the operation ends. The wait between polls grows from 100 ms to 2 s: a bulk
/// operation has no push notification we can receive here, and each poll costs a point.
async fn poll(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    stream: BulkStream,
    op: String,
    restarts: u32,
) -> Result<SyncPage, ConnectorError> {
    let mut interval = Duration::from_millis(100);
    loop {
        let data = connector
            .run_once(cx, "BulkPoll", queries::BULK_POLL, json!({ "id": op }))
            .await?;
        let operation = data.get("bulkOperation").unwrap_or(&Value::Null);
        let status = operation
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("");
        match status {
            "COMPLETED" => {
                let url = operation.get("url").and_then(Value::as_str);
                let Some(url) = url else {
                    // No objects at all: nothing to read.
                    return Ok(SyncPage {
                        next: PageNext::Done(None),
                        ..SyncPage::default()
                    });
                };
                return Ok(SyncPage {
                    next: PageNext::More(encode(&BulkCursor::Reading {
                        op,
                        url: url.to_owned(),
                        done: 0,
                    })),
                    // Root objects are orders: a count of records for the orders stream only.
                    total_hint: operation
                        .get("rootObjectCount")
                        .filter(|_| stream == BulkStream::Orders)
                        .and_then(|c| c.as_str().and_then(|s| s.parse().ok()).or(c.as_u64())),
                    ..SyncPage::default()
                });
            }
            "FAILED" | "CANCELED" | "CANCELLED" | "EXPIRED" => {
                let code = operation
                    .get("errorCode")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if code == "ACCESS_DENIED" {
                    return Err(ConnectorError::AccessDenied(format!(
                        "bulk operation {op} failed: ACCESS_DENIED"
                    )));
                }
                if restarts >= MAX_RESTARTS {
                    return Err(ConnectorError::Invalid(format!(
                        "bulk operation {op} ended {status} ({code}) {restarts} times"
                    )));
                }
                tracing::warn!(connector.id = connector.id, bulk.operation = %op, status, code, "Bulk operation ended without a result; starting another");
                return Ok(SyncPage {
                    next: PageNext::More(encode(&BulkCursor::Start {
                        restarts: restarts + 1,
                    })),
                    ..SyncPage::default()
                });
            }
            _ => {}
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = cx.shutdown.cancelled() => return Err(ConnectorError::Cancelled),
        }
        interval = (interval * 2).min(Duration::from_secs(2));
    }
}

async fn read(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    stream: BulkStream,
    op: String,
    url: String,
    done: usize,
) -> Result<SyncPage, ConnectorError> {
    let mut guard = connector.bulk.lock().await;
    if guard.as_ref().is_none_or(|d| d.op != op) {
        *guard = Some(download(connector, cx, stream, &op, &url).await?);
    }
    let download = guard.as_mut().expect("just loaded");
    let end = (done + RECORDS_PER_PAGE).min(download.records.len());
    let mut effects = Vec::new();
    for record in &mut download.records[done..end] {
        let mut record = std::mem::take(record);
        if let Some(Effect::Order(o)) = record.first_mut() {
            o.line_items = download.line_items.remove(&o.gid).unwrap_or_default();
        }
        effects.extend(record);
    }
    let items = (end - done) as u64;
    let total = download.records.len() as u64;
    let next = if end < download.records.len() {
        PageNext::More(encode(&BulkCursor::Reading { op, url, done: end }))
    } else {
        let overlap = i64::try_from(connector.config.overlap_secs).unwrap_or(0) * 1000;
        // The next pass pages from the newest change the backfill saw (minus the overlap);
        // changes made while the operation ran are at least that new.
        let since = download.newest.map_or(0, |n| n - overlap);
        *guard = None;
        PageNext::Done(Some(
            serde_json::to_string(&ResumePoint { since }).expect("serialises"),
        ))
    };
    Ok(SyncPage {
        effects,
        items,
        next,
        total_hint: Some(total),
    })
}

/// Streams the JSONL result into rows.
async fn download(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    stream: BulkStream,
    op: &str,
    url: &str,
) -> Result<Download, ConnectorError> {
    cx.meter.add_request();
    let mut response = connector
        .client()
        .http()
        .get(url)
        .timeout(DOWNLOAD_TIMEOUT)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        return Err(crate::connectors::http::status_error(
            status, &headers, &body,
        ));
    }
    let mut out = Download {
        op: op.to_owned(),
        records: Vec::new(),
        line_items: HashMap::new(),
        newest: None,
    };
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(pos) = pending[start..].iter().position(|b| *b == b'\n') {
            parse_line(stream, &pending[start..start + pos], &mut out)?;
            start += pos + 1;
        }
        pending.drain(..start);
    }
    parse_line(stream, &pending, &mut out)?;
    tracing::info!(connector.id = connector.id, bulk.operation = %op, stream = stream.name(), records = out.records.len(), "Read the bulk result");
    Ok(out)
}

fn parse_line(stream: BulkStream, line: &[u8], out: &mut Download) -> Result<(), ConnectorError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| ConnectorError::Invalid(format!("bulk result line is not JSON: {e}")))?;
    let parent = value.get("__parentId").and_then(Value::as_str);
    let id = value.get("id").and_then(Value::as_str).unwrap_or("");
    match (stream, parent) {
        (BulkStream::Orders, Some(parent)) if id.contains("/LineItem/") => {
            out.line_items
                .entry(parent.to_owned())
                .or_default()
                .push(map::line_item(&value)?);
        }
        (BulkStream::Orders, None) => {
            let effects = map::order(&value, Vec::new())?;
            if let Some(Effect::Order(o)) = effects.first() {
                out.newest = out.newest.max(Some(o.updated_at));
            }
            out.records.push(effects);
        }
        (BulkStream::FulfillmentOrders, Some(parent)) if id.contains("/FulfillmentOrder/") => {
            let mut row = map::fulfillment_order(&value)?;
            row.order_gid.get_or_insert_with(|| parent.to_owned());
            out.newest = out.newest.max(Some(row.updated_at));
            out.records.push(vec![Effect::FulfillmentOrder(row)]);
        }
        // The orders that hold the fulfilment orders, and children we did not ask for.
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_attach_by_parent_id_wherever_they_appear() {
        let mut out = Download {
            op: "op".into(),
            records: Vec::new(),
            line_items: HashMap::new(),
            newest: None,
        };
        let child = r#"{"id":"gid://shopify/LineItem/9","sku":"A","title":"T","quantity":2,"originalUnitPriceSet":{"shopMoney":{"amount":"1.5"}},"__parentId":"gid://shopify/Order/2"}"#;
        let order = |id: u32| {
            format!(
                r##"{{"id":"gid://shopify/Order/{id}","name":"#{id}","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-02T00:00:00Z","currencyCode":"USD","totalPriceSet":{{"shopMoney":{{"amount":"3.0"}}}}}}"##
            )
        };
        // The child comes first, and an unrelated order sits between.
        for line in [child.to_owned(), order(1), order(2)] {
            parse_line(BulkStream::Orders, line.as_bytes(), &mut out).unwrap();
        }
        assert_eq!(out.records.len(), 2);
        assert_eq!(out.line_items["gid://shopify/Order/2"].len(), 1);
        assert!(!out.line_items.contains_key("gid://shopify/Order/1"));
    }

    #[test]
    fn fulfilment_orders_are_the_records_of_their_backfill_and_orders_are_skipped() {
        let mut out = Download {
            op: "op".into(),
            records: Vec::new(),
            line_items: HashMap::new(),
            newest: None,
        };
        let lines = [
            r#"{"id":"gid://shopify/FulfillmentOrder/7","status":"CLOSED","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-03T00:00:00Z","orderId":null,"assignedLocation":{"location":{"id":"gid://shopify/Location/1"}},"__parentId":"gid://shopify/Order/2"}"#,
            r#"{"id":"gid://shopify/Order/2"}"#,
        ];
        for line in lines {
            parse_line(BulkStream::FulfillmentOrders, line.as_bytes(), &mut out).unwrap();
        }
        assert_eq!(out.records.len(), 1);
        let Effect::FulfillmentOrder(fo) = &out.records[0][0] else {
            panic!("{:?}", out.records[0]);
        };
        // Without an orderId the parent names the order.
        assert_eq!(fo.order_gid.as_deref(), Some("gid://shopify/Order/2"));
        assert_eq!(out.newest, Some(fo.updated_at));
    }

    #[test]
    fn cursors_round_trip_and_are_recognised() {
        let c = BulkCursor::Reading {
            op: "gid://shopify/BulkOperation/1".into(),
            url: "http://x/y".into(),
            done: 1000,
        };
        let text = encode(&c);
        assert!(is_bulk_cursor(&text));
        assert!(!is_bulk_cursor(r#"{"since":1,"after":null,"newest":null}"#));
        assert_eq!(serde_json::from_str::<BulkCursor>(&text).unwrap(), c);
    }
}
