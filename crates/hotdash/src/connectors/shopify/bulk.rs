//! The orders backfill through a bulk operation: start `bulkOperationRunQuery`, poll it to
//! completion, stream the JSONL result and attach every line item to its order by
//! `__parentId` (never by adjacency: Shopify does not promise children follow their parent).
//! The whole file is read before the first page is emitted, since a child may come last;
//! orders are then stored 1,000 per page.
//!
//! The cursor names the operation, so a killed sync resumes the same operation (polling it,
//! or downloading its result again and skipping the orders already stored) instead of
//! starting over.

use std::collections::HashMap;
use std::time::Duration;

use hotdash_db::{Effect, LineItemRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pages::ResumePoint;
use super::{ShopifyConnector, map, queries};
use crate::connectors::{ConnectorError, PageNext, PageRequest, SyncContext, SyncPage};

/// Orders stored per page once the result is read.
const ORDERS_PER_PAGE: usize = 1_000;
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
    /// Its result is being stored; `done` orders are stored already.
    Reading {
        op: String,
        url: String,
        done: usize,
    },
}

pub fn is_bulk_cursor(cursor: &str) -> bool {
    serde_json::from_str::<BulkCursor>(cursor).is_ok()
}

/// A bulk result read into rows, kept between pages.
pub struct Download {
    op: String,
    /// Each order's effects (order first, then refunds and fulfilments), in file order.
    orders: Vec<Vec<Effect>>,
    /// Line items by their order's id.
    line_items: HashMap<String, Vec<LineItemRow>>,
    newest: Option<i64>,
}

fn encode(cursor: &BulkCursor) -> String {
    serde_json::to_string(cursor).expect("a cursor serialises")
}

pub async fn orders(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let cursor = match request.cursor {
        Some(c) => serde_json::from_str(c)
            .map_err(|e| ConnectorError::Invalid(format!("unreadable bulk cursor: {e}")))?,
        None => BulkCursor::Start { restarts: 0 },
    };
    match cursor {
        BulkCursor::Start { restarts } => start(connector, cx, restarts).await,
        BulkCursor::Running { op, restarts } => poll(connector, cx, op, restarts).await,
        BulkCursor::Reading { op, url, done } => read(connector, cx, op, url, done).await,
    }
}

async fn start(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    restarts: u32,
) -> Result<SyncPage, ConnectorError> {
    let filter = connector
        .order_window_start()
        .map(|from| format!("created_at:>='{}'", map::rfc3339(from)));
    let inner = queries::bulk_orders(filter.as_deref());
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
    tracing::info!(connector.id = connector.id, bulk.operation = %op, "Started the orders bulk operation");
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
                    total_hint: operation
                        .get("rootObjectCount")
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
    op: String,
    url: String,
    done: usize,
) -> Result<SyncPage, ConnectorError> {
    let mut guard = connector.bulk.lock().await;
    if guard.as_ref().is_none_or(|d| d.op != op) {
        *guard = Some(download(connector, cx, &op, &url).await?);
    }
    let download = guard.as_mut().expect("just loaded");
    let end = (done + ORDERS_PER_PAGE).min(download.orders.len());
    let mut effects = Vec::new();
    for order in &mut download.orders[done..end] {
        let mut order = std::mem::take(order);
        if let Some(Effect::Order(o)) = order.first_mut() {
            o.line_items = download.line_items.remove(&o.gid).unwrap_or_default();
        }
        effects.extend(order);
    }
    let items = (end - done) as u64;
    let total = download.orders.len() as u64;
    let next = if end < download.orders.len() {
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
        orders: Vec::new(),
        line_items: HashMap::new(),
        newest: None,
    };
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(pos) = pending[start..].iter().position(|b| *b == b'\n') {
            parse_line(&pending[start..start + pos], &mut out)?;
            start += pos + 1;
        }
        pending.drain(..start);
    }
    parse_line(&pending, &mut out)?;
    tracing::info!(connector.id = connector.id, bulk.operation = %op, orders = out.orders.len(), "Read the bulk result");
    Ok(out)
}

fn parse_line(line: &[u8], out: &mut Download) -> Result<(), ConnectorError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| ConnectorError::Invalid(format!("bulk result line is not JSON: {e}")))?;
    match value.get("__parentId").and_then(Value::as_str) {
        Some(parent) => {
            let id = value.get("id").and_then(Value::as_str).unwrap_or("");
            if id.contains("/LineItem/") {
                out.line_items
                    .entry(parent.to_owned())
                    .or_default()
                    .push(map::line_item(&value)?);
            }
        }
        None => {
            let effects = map::order(&value, Vec::new())?;
            if let Some(Effect::Order(o)) = effects.first() {
                out.newest = out.newest.max(Some(o.updated_at));
            }
            out.orders.push(effects);
        }
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
            orders: Vec::new(),
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
            parse_line(line.as_bytes(), &mut out).unwrap();
        }
        assert_eq!(out.orders.len(), 2);
        assert_eq!(out.line_items["gid://shopify/Order/2"].len(), 1);
        assert!(!out.line_items.contains_key("gid://shopify/Order/1"));
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
