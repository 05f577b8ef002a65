//! Reads: stored deliveries, rejections, and typed rows.

use sqlx::{Any, AssertSqlSafe, FromRow, Row};

use super::filter::Where;
use super::{SqlStore, in_list};
use crate::rows::{ConversationRow, FulfillmentOrderRow, FulfillmentRow, MessageRow};
use crate::{
    AttemptRow, DbError, DbResult, GoldReplyRow, InventoryLevelRow, LineItemRow, OrderRow,
    ProductRow, RejectionRow, StoredDelivery, VariantRow, WebhookEventDetail, WebhookEventRow,
    WebhookFilter, webhook_subject,
};

const EVENT_ROW_COLUMNS: &str = "id, source, delivery_id, topic, event_id, shop_domain, api_version, \
     triggered_at, resource_key, received_at, verification, synthetic, status, attempts, \
     duplicate_count, last_error, processed_at";

impl SqlStore {
    pub(super) async fn list_events(
        &self,
        filter: &WebhookFilter,
    ) -> DbResult<Vec<WebhookEventRow>> {
        let mut cond = Where::starting_at(1);
        cond.webhook_filter(filter, "");
        let sql = format!(
            "SELECT {EVENT_ROW_COLUMNS} FROM webhook_events WHERE {} ORDER BY id DESC LIMIT {}",
            cond.sql(),
            filter.limit.unwrap_or(100)
        );
        let query = cond.bind_all_as(sqlx::query_as::<Any, WebhookEventRow>(AssertSqlSafe(sql)));
        Ok(query.fetch_all(&self.read).await?)
    }

    pub(super) async fn read_deliveries(&self, ids: &[i64]) -> DbResult<Vec<StoredDelivery>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, source, topic, triggered_at, received_at, body FROM webhook_events WHERE id IN ({})",
            in_list(1, ids.len())
        );
        let mut query = sqlx::query_as::<Any, StoredDelivery>(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.read).await?)
    }

    pub(super) async fn event_detail(&self, id: i64) -> DbResult<WebhookEventDetail> {
        // One read of the row: its metadata columns plus the headers and body.
        let sql =
            format!("SELECT {EVENT_ROW_COLUMNS}, headers, body FROM webhook_events WHERE id = $1");
        let row = sqlx::query::<Any>(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(DbError::NotFound)?;
        let event = WebhookEventRow::from_row(&row)?;
        let headers_json: String = row.try_get("headers")?;
        let body: Vec<u8> = row.try_get("body")?;
        let attempts = sqlx::query_as::<Any, AttemptRow>(
            "SELECT attempt, outcome, error, finished_at FROM job_attempts WHERE subject = $1 \
             ORDER BY id",
        )
        .bind(webhook_subject(id))
        .fetch_all(&self.read)
        .await?;
        Ok(WebhookEventDetail {
            event,
            headers_json,
            body,
            attempts,
        })
    }

    pub(super) async fn rejections(
        &self,
        source: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<RejectionRow>> {
        Ok(sqlx::query_as::<Any, RejectionRow>(
            "SELECT id, source, cause, status_code, received_at, delivery_id, topic, body_len, \
             body_sha256, detail FROM webhook_rejections WHERE ($1 IS NULL OR source = $1) \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(source)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    pub(super) async fn read_order(&self, gid: &str) -> DbResult<Option<OrderRow>> {
        let Some(mut order) = sqlx::query_as::<Any, OrderRow>(
            "SELECT gid, legacy_id, name, financial_status, fulfillment_status, currency, total_price, \
             subtotal_price, total_discounts, created_at, updated_at, cancelled_at, closed_at, processed_at, \
             presentment_currency, total_price_presentment, current_total_price, total_refunded, \
             total_tax, total_shipping FROM shopify_orders WHERE gid = $1",
        )
        .bind(gid)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        order.line_items = sqlx::query_as::<Any, LineItemRow>(
            "SELECT gid, sku, title, quantity, price, product_gid, variant_gid, price_presentment \
             FROM shopify_order_line_items WHERE order_gid = $1 ORDER BY gid",
        )
        .bind(gid)
        .fetch_all(&self.read)
        .await?;
        Ok(Some(order))
    }

    pub(super) async fn read_product(&self, gid: &str) -> DbResult<Option<ProductRow>> {
        let Some(mut product) = sqlx::query_as::<Any, ProductRow>(
            "SELECT gid, title, handle, status, vendor, product_type, created_at, updated_at \
             FROM shopify_products WHERE gid = $1",
        )
        .bind(gid)
        .fetch_optional(&self.read)
        .await?
        else {
            return Ok(None);
        };
        product.variants = sqlx::query_as::<Any, VariantRow>(
            "SELECT gid, sku, title, price, inventory_item_gid, updated_at, unit_cost FROM shopify_variants \
             WHERE product_gid = $1 ORDER BY gid",
        )
        .bind(gid)
        .fetch_all(&self.read)
        .await?;
        Ok(Some(product))
    }

    pub(super) async fn read_inventory_level(
        &self,
        item_gid: &str,
        location_gid: &str,
    ) -> DbResult<Option<InventoryLevelRow>> {
        Ok(sqlx::query_as::<Any, InventoryLevelRow>(
            "SELECT inventory_item_gid, location_gid, available, updated_at, on_hand, committed, incoming \
             FROM shopify_inventory_levels \
             WHERE inventory_item_gid = $1 AND location_gid = $2",
        )
        .bind(item_gid)
        .bind(location_gid)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_fulfillment_order(
        &self,
        gid: &str,
    ) -> DbResult<Option<FulfillmentOrderRow>> {
        Ok(sqlx::query_as::<Any, FulfillmentOrderRow>(
            "SELECT gid, order_gid, status, updated_at, assigned_location_gid, created_at \
             FROM shopify_fulfillment_orders WHERE gid = $1",
        )
        .bind(gid)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_fulfillment(&self, gid: &str) -> DbResult<Option<FulfillmentRow>> {
        Ok(sqlx::query_as::<Any, FulfillmentRow>(
            "SELECT gid, order_gid, status, shipment_status, tracking_company, created_at, updated_at, \
             tracking_number FROM shopify_fulfillments WHERE gid = $1",
        )
        .bind(gid)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_conversation(
        &self,
        account_id: i64,
        id: i64,
    ) -> DbResult<Option<ConversationRow>> {
        Ok(sqlx::query_as::<Any, ConversationRow>(
            "SELECT account_id, id, inbox_id, status, assignee_id, labels, created_at, updated_at, \
             last_activity_at, first_reply_created_at, waiting_since FROM chatwoot_conversations \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_message(
        &self,
        account_id: i64,
        id: i64,
    ) -> DbResult<Option<MessageRow>> {
        Ok(sqlx::query_as::<Any, MessageRow>(
            "SELECT account_id, id, conversation_id, message_type, is_private, content, sender_type, \
             created_at, updated_at FROM chatwoot_messages WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_gold_reply(
        &self,
        conversation_id: i64,
    ) -> DbResult<Option<GoldReplyRow>> {
        Ok(sqlx::query_as::<Any, GoldReplyRow>(
            "SELECT conversation_id, webhook_event_id, shop_domain, category, original_reply, \
             submitted_by, evidence_url, payload, status, created_at FROM gold_replies \
             WHERE conversation_id = $1",
        )
        .bind(conversation_id)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn read_gold_reply_conflicts(
        &self,
        conversation_id: i64,
        delivery_id: &str,
    ) -> DbResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM webhook_events WHERE source = 'gold-replies' AND resource_key = $1 \
             AND delivery_id <> $2 AND status <> 'dead' LIMIT 1",
        )
        .bind(gold_reply_resource_key(conversation_id))
        .bind(delivery_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }
}

/// The `resource_key` of a gold-reply delivery for `conversation_id`.
pub fn gold_reply_resource_key(conversation_id: i64) -> String {
    format!("gold-replies:conversation:{conversation_id}")
}
