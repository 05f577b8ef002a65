//! Typed upserts for [`Effect`]s. Each applies only when the incoming `updated_at` is not older
//! than the stored one (the watermark), so late or reordered deliveries never regress state.
//! Child rows (line items, variants) are replaced only when their parent's upsert applied.

use sqlx::{Any, Transaction};

use super::SqlStore;
use crate::{DbResult, Effect};

impl SqlStore {
    pub(super) async fn apply_effect(
        &self,
        tx: &mut Transaction<'_, Any>,
        effect: &Effect,
        source_event_id: Option<i64>,
        now: i64,
    ) -> DbResult<()> {
        match effect {
            Effect::Order(o) => {
                let applied: Option<String> = sqlx::query_scalar(
                    "INSERT INTO shopify_orders (gid, legacy_id, name, financial_status, \
                     fulfillment_status, currency, total_price, subtotal_price, total_discounts, \
                     created_at, updated_at, cancelled_at, closed_at, source_event_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     ON CONFLICT (gid) DO UPDATE SET legacy_id = excluded.legacy_id, name = excluded.name, \
                     financial_status = excluded.financial_status, fulfillment_status = excluded.fulfillment_status, \
                     currency = excluded.currency, total_price = excluded.total_price, \
                     subtotal_price = excluded.subtotal_price, total_discounts = excluded.total_discounts, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at, \
                     cancelled_at = excluded.cancelled_at, closed_at = excluded.closed_at, \
                     source_event_id = excluded.source_event_id \
                     WHERE excluded.updated_at >= shopify_orders.updated_at RETURNING gid",
                )
                .bind(&o.gid)
                .bind(o.legacy_id)
                .bind(&o.name)
                .bind(&o.financial_status)
                .bind(&o.fulfillment_status)
                .bind(&o.currency)
                .bind(&o.total_price)
                .bind(&o.subtotal_price)
                .bind(&o.total_discounts)
                .bind(o.created_at)
                .bind(o.updated_at)
                .bind(o.cancelled_at)
                .bind(o.closed_at)
                .bind(source_event_id)
                .fetch_optional(&mut **tx)
                .await?;
                if applied.is_some() {
                    sqlx::query("DELETE FROM shopify_order_line_items WHERE order_gid = $1")
                        .bind(&o.gid)
                        .execute(&mut **tx)
                        .await?;
                    for item in &o.line_items {
                        sqlx::query(
                            "INSERT INTO shopify_order_line_items (gid, order_gid, sku, title, quantity, \
                             price, product_gid, variant_gid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (gid) DO UPDATE SET order_gid = excluded.order_gid, sku = excluded.sku, \
                             title = excluded.title, quantity = excluded.quantity, price = excluded.price, \
                             product_gid = excluded.product_gid, variant_gid = excluded.variant_gid",
                        )
                        .bind(&item.gid)
                        .bind(&o.gid)
                        .bind(&item.sku)
                        .bind(&item.title)
                        .bind(item.quantity)
                        .bind(&item.price)
                        .bind(&item.product_gid)
                        .bind(&item.variant_gid)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
            }
            Effect::Product(p) => {
                let applied: Option<String> = sqlx::query_scalar(
                    "INSERT INTO shopify_products (gid, title, handle, status, vendor, product_type, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (gid) DO UPDATE SET title = excluded.title, handle = excluded.handle, \
                     status = excluded.status, vendor = excluded.vendor, product_type = excluded.product_type, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = NULL \
                     WHERE excluded.updated_at >= shopify_products.updated_at RETURNING gid",
                )
                .bind(&p.gid)
                .bind(&p.title)
                .bind(&p.handle)
                .bind(&p.status)
                .bind(&p.vendor)
                .bind(&p.product_type)
                .bind(p.created_at)
                .bind(p.updated_at)
                .fetch_optional(&mut **tx)
                .await?;
                if applied.is_some() {
                    sqlx::query("DELETE FROM shopify_variants WHERE product_gid = $1")
                        .bind(&p.gid)
                        .execute(&mut **tx)
                        .await?;
                    for v in &p.variants {
                        sqlx::query(
                            "INSERT INTO shopify_variants (gid, product_gid, sku, title, price, \
                             inventory_item_gid, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (gid) DO UPDATE SET product_gid = excluded.product_gid, \
                             sku = excluded.sku, title = excluded.title, price = excluded.price, \
                             inventory_item_gid = excluded.inventory_item_gid, updated_at = excluded.updated_at",
                        )
                        .bind(&v.gid)
                        .bind(&p.gid)
                        .bind(&v.sku)
                        .bind(&v.title)
                        .bind(&v.price)
                        .bind(&v.inventory_item_gid)
                        .bind(v.updated_at)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
            }
            Effect::ProductDeleted { gid, deleted_at } => {
                sqlx::query("UPDATE shopify_products SET deleted_at = $1 WHERE gid = $2 AND updated_at <= $1")
                    .bind(*deleted_at)
                    .bind(gid)
                    .execute(&mut **tx)
                    .await?;
            }
            Effect::InventoryLevel(l) => {
                sqlx::query(
                    "INSERT INTO shopify_inventory_levels (inventory_item_gid, location_gid, available, \
                     updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (inventory_item_gid, location_gid) \
                     DO UPDATE SET available = excluded.available, updated_at = excluded.updated_at \
                     WHERE excluded.updated_at >= shopify_inventory_levels.updated_at",
                )
                .bind(&l.inventory_item_gid)
                .bind(&l.location_gid)
                .bind(l.available)
                .bind(l.updated_at)
                .execute(&mut **tx)
                .await?;
            }
            Effect::FulfillmentOrder(f) => {
                sqlx::query(
                    "INSERT INTO shopify_fulfillment_orders (gid, order_gid, status, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (gid) DO UPDATE SET \
                     order_gid = COALESCE(excluded.order_gid, shopify_fulfillment_orders.order_gid), \
                     status = excluded.status, updated_at = excluded.updated_at \
                     WHERE excluded.updated_at >= shopify_fulfillment_orders.updated_at",
                )
                .bind(&f.gid)
                .bind(&f.order_gid)
                .bind(&f.status)
                .bind(f.updated_at)
                .execute(&mut **tx)
                .await?;
            }
            Effect::Fulfillment(f) => {
                sqlx::query(
                    "INSERT INTO shopify_fulfillments (gid, order_gid, status, shipment_status, \
                     tracking_company, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (gid) DO UPDATE SET order_gid = excluded.order_gid, status = excluded.status, \
                     shipment_status = excluded.shipment_status, tracking_company = excluded.tracking_company, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at \
                     WHERE excluded.updated_at >= shopify_fulfillments.updated_at",
                )
                .bind(&f.gid)
                .bind(&f.order_gid)
                .bind(&f.status)
                .bind(&f.shipment_status)
                .bind(&f.tracking_company)
                .bind(f.created_at)
                .bind(f.updated_at)
                .execute(&mut **tx)
                .await?;
            }
            Effect::Conversation(c) => {
                sqlx::query(
                    "INSERT INTO chatwoot_conversations (account_id, id, inbox_id, status, assignee_id, \
                     labels, created_at, updated_at, last_activity_at, first_reply_created_at, waiting_since) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (account_id, id) DO UPDATE SET inbox_id = excluded.inbox_id, \
                     status = excluded.status, assignee_id = excluded.assignee_id, labels = excluded.labels, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at, \
                     last_activity_at = excluded.last_activity_at, \
                     first_reply_created_at = excluded.first_reply_created_at, \
                     waiting_since = excluded.waiting_since \
                     WHERE excluded.updated_at >= chatwoot_conversations.updated_at",
                )
                .bind(c.account_id)
                .bind(c.id)
                .bind(c.inbox_id)
                .bind(&c.status)
                .bind(c.assignee_id)
                .bind(&c.labels)
                .bind(c.created_at)
                .bind(c.updated_at)
                .bind(c.last_activity_at)
                .bind(c.first_reply_created_at)
                .bind(c.waiting_since)
                .execute(&mut **tx)
                .await?;
            }
            Effect::Message(m) => {
                sqlx::query(
                    "INSERT INTO chatwoot_messages (account_id, id, conversation_id, message_type, \
                     is_private, content, sender_type, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (account_id, id) DO UPDATE SET conversation_id = excluded.conversation_id, \
                     message_type = excluded.message_type, is_private = excluded.is_private, \
                     content = excluded.content, sender_type = excluded.sender_type, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at \
                     WHERE excluded.updated_at >= chatwoot_messages.updated_at",
                )
                .bind(m.account_id)
                .bind(m.id)
                .bind(m.conversation_id)
                .bind(&m.message_type)
                .bind(i64::from(m.is_private))
                .bind(&m.content)
                .bind(&m.sender_type)
                .bind(m.created_at)
                .bind(m.updated_at)
                .execute(&mut **tx)
                .await?;
            }
            Effect::GoldReply(g) => {
                // First submission per conversation wins; a later one is refused at the door (409).
                sqlx::query(
                    "INSERT INTO gold_replies (conversation_id, webhook_event_id, shop_domain, category, \
                     original_reply, submitted_by, evidence_url, payload, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (conversation_id) DO NOTHING",
                )
                .bind(g.conversation_id)
                .bind(source_event_id.unwrap_or(g.webhook_event_id))
                .bind(&g.shop_domain)
                .bind(&g.category)
                .bind(&g.original_reply)
                .bind(&g.submitted_by)
                .bind(&g.evidence_url)
                .bind(&g.payload)
                .bind(&g.status)
                .bind(if g.created_at > 0 { g.created_at } else { now })
                .execute(&mut **tx)
                .await?;
            }
        }
        Ok(())
    }
}
