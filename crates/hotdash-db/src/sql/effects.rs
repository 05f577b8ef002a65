//! Typed writes for [`Effect`]s, from webhook jobs and sync pages alike. Each table's upsert
//! applies only when the incoming `updated_at` is not older than the stored one (the
//! watermark), so late or reordered deliveries never regress state; a sync page carrying the
//! API's newer state always wins. Child rows (line items, variants) are replaced only under a
//! parent whose upsert applied. Runs of one kind are written in multi-row statements.

use sqlx::{Any, Transaction};

use super::SqlStore;
use super::upsert::{Origin, Spec, Val, delete_children};
use crate::rows::{
    ConversationRow, CsatRow, DailyMetricRow, FulfillmentOrderRow, FulfillmentRow,
    InventoryLevelRow, LocationRow, MessageRow, OrderRow, ProductRow, RefundRow, ShopRow,
};
use crate::{DbResult, Effect};

const ORDERS: Spec = Spec {
    table: "shopify_orders",
    columns: &[
        "gid",
        "legacy_id",
        "name",
        "financial_status",
        "fulfillment_status",
        "currency",
        "total_price",
        "subtotal_price",
        "total_discounts",
        "created_at",
        "updated_at",
        "cancelled_at",
        "closed_at",
        "processed_at",
        "presentment_currency",
        "total_price_presentment",
        "current_total_price",
        "total_refunded",
        "total_tax",
        "total_shipping",
        "source_event_id",
    ],
    key_len: 1,
    watermark: true,
    webhook_column: true,
    keep_existing_when_null: &[
        "processed_at",
        "presentment_currency",
        "total_price_presentment",
        "current_total_price",
        "total_refunded",
        "total_tax",
        "total_shipping",
    ],
};

const LINE_ITEMS: Spec = Spec {
    table: "shopify_order_line_items",
    columns: &[
        "gid",
        "order_gid",
        "sku",
        "title",
        "quantity",
        "price",
        "product_gid",
        "variant_gid",
        "price_presentment",
    ],
    key_len: 1,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const REFUNDS: Spec = Spec {
    table: "shopify_refunds",
    columns: &[
        "gid",
        "order_gid",
        "created_at",
        "total",
        "total_presentment",
    ],
    key_len: 1,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const PRODUCTS: Spec = Spec {
    table: "shopify_products",
    columns: &[
        "gid",
        "title",
        "handle",
        "status",
        "vendor",
        "product_type",
        "created_at",
        "updated_at",
        "deleted_at",
    ],
    key_len: 1,
    watermark: true,
    webhook_column: true,
    keep_existing_when_null: &[],
};

const VARIANTS: Spec = Spec {
    table: "shopify_variants",
    columns: &[
        "gid",
        "product_gid",
        "sku",
        "title",
        "price",
        "inventory_item_gid",
        "updated_at",
        "unit_cost",
    ],
    key_len: 1,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &["unit_cost"],
};

const INVENTORY_LEVELS: Spec = Spec {
    table: "shopify_inventory_levels",
    columns: &[
        "inventory_item_gid",
        "location_gid",
        "available",
        "updated_at",
        "on_hand",
        "committed",
        "incoming",
    ],
    key_len: 2,
    watermark: true,
    webhook_column: true,
    keep_existing_when_null: &["on_hand", "committed", "incoming"],
};

const FULFILLMENT_ORDERS: Spec = Spec {
    table: "shopify_fulfillment_orders",
    columns: &[
        "gid",
        "order_gid",
        "status",
        "updated_at",
        "assigned_location_gid",
        "created_at",
    ],
    key_len: 1,
    watermark: true,
    webhook_column: true,
    keep_existing_when_null: &["order_gid", "assigned_location_gid", "created_at"],
};

const FULFILLMENTS: Spec = Spec {
    table: "shopify_fulfillments",
    columns: &[
        "gid",
        "order_gid",
        "status",
        "shipment_status",
        "tracking_company",
        "created_at",
        "updated_at",
        "tracking_number",
    ],
    key_len: 1,
    watermark: true,
    webhook_column: false,
    keep_existing_when_null: &["tracking_number"],
};

const SHOP: Spec = Spec {
    table: "shopify_shop",
    columns: &[
        "gid",
        "name",
        "myshopify_domain",
        "currency",
        "iana_timezone",
        "plan",
        "updated_at",
    ],
    key_len: 1,
    watermark: true,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const LOCATIONS: Spec = Spec {
    table: "shopify_locations",
    columns: &["gid", "name", "is_active", "updated_at"],
    key_len: 1,
    watermark: true,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const CONVERSATIONS: Spec = Spec {
    table: "chatwoot_conversations",
    columns: &[
        "account_id",
        "id",
        "inbox_id",
        "status",
        "assignee_id",
        "labels",
        "created_at",
        "updated_at",
        "last_activity_at",
        "first_reply_created_at",
        "waiting_since",
    ],
    key_len: 2,
    watermark: true,
    webhook_column: true,
    keep_existing_when_null: &[],
};

const MESSAGES: Spec = Spec {
    table: "chatwoot_messages",
    columns: &[
        "account_id",
        "id",
        "conversation_id",
        "message_type",
        "is_private",
        "content",
        "sender_type",
        "created_at",
        "updated_at",
    ],
    key_len: 2,
    watermark: true,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const CSAT: Spec = Spec {
    table: "chatwoot_csat_responses",
    columns: &[
        "account_id",
        "id",
        "conversation_id",
        "rating",
        "feedback",
        "assigned_agent_id",
        "created_at",
        "updated_at",
    ],
    key_len: 2,
    watermark: true,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const DAILY_METRICS: Spec = Spec {
    table: "chatwoot_daily_metrics",
    columns: &["account_id", "metric", "day", "value", "fetched_at"],
    key_len: 3,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const GA4_DAYS: Spec = Spec {
    table: "ga4_report_days",
    columns: &[
        "property_id",
        "date",
        "thresholded",
        "sampled",
        "row_count",
        "currency",
        "fetched_at",
    ],
    key_len: 2,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &[],
};

const GA4_TRAFFIC: Spec = Spec {
    table: "ga4_traffic",
    columns: &[
        "property_id",
        "date",
        "channel_group",
        "landing_page",
        "sessions",
        "total_users",
        "key_events",
        "purchase_revenue",
    ],
    key_len: 4,
    watermark: false,
    webhook_column: false,
    keep_existing_when_null: &[],
};

/// Every table effects write, for `dump_table`.
pub(super) const SPECS: &[&Spec] = &[
    &ORDERS,
    &LINE_ITEMS,
    &REFUNDS,
    &PRODUCTS,
    &VARIANTS,
    &INVENTORY_LEVELS,
    &FULFILLMENT_ORDERS,
    &FULFILLMENTS,
    &SHOP,
    &LOCATIONS,
    &CONVERSATIONS,
    &MESSAGES,
    &CSAT,
    &DAILY_METRICS,
    &GA4_DAYS,
    &GA4_TRAFFIC,
];

fn order_row(o: &OrderRow, source_event_id: Option<i64>) -> Vec<Val<'_>> {
    vec![
        (&o.gid).into(),
        o.legacy_id.into(),
        (&o.name).into(),
        (&o.financial_status).into(),
        (&o.fulfillment_status).into(),
        (&o.currency).into(),
        (&o.total_price).into(),
        (&o.subtotal_price).into(),
        (&o.total_discounts).into(),
        o.created_at.into(),
        o.updated_at.into(),
        o.cancelled_at.into(),
        o.closed_at.into(),
        o.processed_at.into(),
        (&o.presentment_currency).into(),
        (&o.total_price_presentment).into(),
        (&o.current_total_price).into(),
        (&o.total_refunded).into(),
        (&o.total_tax).into(),
        (&o.total_shipping).into(),
        source_event_id.into(),
    ]
}

fn product_row(p: &ProductRow) -> Vec<Val<'_>> {
    vec![
        (&p.gid).into(),
        (&p.title).into(),
        (&p.handle).into(),
        (&p.status).into(),
        (&p.vendor).into(),
        (&p.product_type).into(),
        p.created_at.into(),
        p.updated_at.into(),
        Val::Int(None),
    ]
}

fn level_row(l: &InventoryLevelRow) -> Vec<Val<'_>> {
    vec![
        (&l.inventory_item_gid).into(),
        (&l.location_gid).into(),
        l.available.into(),
        l.updated_at.into(),
        l.on_hand.into(),
        l.committed.into(),
        l.incoming.into(),
    ]
}

fn fulfillment_order_row(f: &FulfillmentOrderRow) -> Vec<Val<'_>> {
    vec![
        (&f.gid).into(),
        (&f.order_gid).into(),
        (&f.status).into(),
        f.updated_at.into(),
        (&f.assigned_location_gid).into(),
        f.created_at.into(),
    ]
}

fn fulfillment_row(f: &FulfillmentRow) -> Vec<Val<'_>> {
    vec![
        (&f.gid).into(),
        (&f.order_gid).into(),
        (&f.status).into(),
        (&f.shipment_status).into(),
        (&f.tracking_company).into(),
        f.created_at.into(),
        f.updated_at.into(),
        (&f.tracking_number).into(),
    ]
}

fn shop_row(s: &ShopRow) -> Vec<Val<'_>> {
    vec![
        (&s.gid).into(),
        (&s.name).into(),
        (&s.myshopify_domain).into(),
        (&s.currency).into(),
        (&s.iana_timezone).into(),
        (&s.plan).into(),
        s.updated_at.into(),
    ]
}

fn location_row(l: &LocationRow) -> Vec<Val<'_>> {
    vec![
        (&l.gid).into(),
        (&l.name).into(),
        l.is_active.into(),
        l.updated_at.into(),
    ]
}

fn refund_row(r: &RefundRow) -> Vec<Val<'_>> {
    vec![
        (&r.gid).into(),
        (&r.order_gid).into(),
        r.created_at.into(),
        (&r.total).into(),
        (&r.total_presentment).into(),
    ]
}

fn conversation_row(c: &ConversationRow) -> Vec<Val<'_>> {
    vec![
        c.account_id.into(),
        c.id.into(),
        c.inbox_id.into(),
        (&c.status).into(),
        c.assignee_id.into(),
        (&c.labels).into(),
        c.created_at.into(),
        c.updated_at.into(),
        c.last_activity_at.into(),
        c.first_reply_created_at.into(),
        c.waiting_since.into(),
    ]
}

fn message_row(m: &MessageRow) -> Vec<Val<'_>> {
    vec![
        m.account_id.into(),
        m.id.into(),
        m.conversation_id.into(),
        (&m.message_type).into(),
        m.is_private.into(),
        (&m.content).into(),
        (&m.sender_type).into(),
        m.created_at.into(),
        m.updated_at.into(),
    ]
}

fn csat_row(c: &CsatRow) -> Vec<Val<'_>> {
    vec![
        c.account_id.into(),
        c.id.into(),
        c.conversation_id.into(),
        c.rating.into(),
        (&c.feedback).into(),
        c.assigned_agent_id.into(),
        c.created_at.into(),
        c.updated_at.into(),
    ]
}

fn metric_row(m: &DailyMetricRow) -> Vec<Val<'_>> {
    vec![
        m.account_id.into(),
        (&m.metric).into(),
        m.day.into(),
        m.value.into(),
        m.fetched_at.into(),
    ]
}

/// The variant name of an effect, to batch runs of one kind.
fn kind(effect: &Effect) -> std::mem::Discriminant<Effect> {
    std::mem::discriminant(effect)
}

/// `effects` regrouped into runs of one kind, kinds in the order they first appear, each run
/// in its original order: a sync page of orders arrives as order, refunds, fulfilments, order,
/// …, and batched as it came it would cost several statements per order.
///
/// Moving an effect ahead of another kind's is safe: each kind writes its own tables behind its
/// own watermark, and no table references another. The exception is a product and its
/// deletion, which touch one row; where those two alternate a new group of runs starts, so
/// their order is kept.
fn runs_by_kind(effects: &[Effect]) -> Vec<Vec<&Effect>> {
    let mut out = Vec::new();
    let mut open: Vec<(std::mem::Discriminant<Effect>, Vec<&Effect>)> = Vec::new();
    let mut product_side = None;
    for effect in effects {
        let side = match effect {
            Effect::Product(_) => Some(false),
            Effect::ProductDeleted { .. } => Some(true),
            _ => None,
        };
        if side.is_some() {
            if product_side.is_some() && product_side != side {
                out.extend(open.drain(..).map(|(_, run)| run));
            }
            product_side = side;
        }
        let k = kind(effect);
        match open.iter_mut().find(|(open_kind, _)| *open_kind == k) {
            Some((_, run)) => run.push(effect),
            None => open.push((k, vec![effect])),
        }
    }
    out.extend(open.into_iter().map(|(_, run)| run));
    out
}

impl SqlStore {
    /// Applies `effects`, batched by kind (see [`runs_by_kind`]). `source_event_id` is the
    /// webhook event whose processing produced them (`None` for a sync page).
    pub(super) async fn apply_effects(
        &self,
        tx: &mut Transaction<'_, Any>,
        effects: &[Effect],
        source_event_id: Option<i64>,
        now: i64,
    ) -> DbResult<()> {
        let origin = if source_event_id.is_some() {
            Origin::Webhook
        } else {
            Origin::Sync
        };
        for run in runs_by_kind(effects) {
            self.apply_run(tx, &run, origin, source_event_id, now)
                .await?;
        }
        Ok(())
    }

    /// Applies a run of effects of one kind.
    async fn apply_run(
        &self,
        tx: &mut Transaction<'_, Any>,
        run: &[&Effect],
        origin: Origin,
        source_event_id: Option<i64>,
        now: i64,
    ) -> DbResult<()> {
        let backend = self.backend;
        macro_rules! rows_of {
            ($variant:ident, $f:expr) => {
                run.iter()
                    .filter_map(|e| match e {
                        Effect::$variant(x) => Some($f(x)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            };
        }
        match run[0] {
            Effect::Order(_) => {
                let orders: Vec<&OrderRow> = run
                    .iter()
                    .filter_map(|e| match e {
                        Effect::Order(o) => Some(o.as_ref()),
                        _ => None,
                    })
                    .collect();
                let rows: Vec<_> = orders
                    .iter()
                    .map(|o| order_row(o, source_event_id))
                    .collect();
                let applied = ORDERS.upsert(tx, backend, origin, &rows).await?;
                if applied.is_empty() {
                    return Ok(());
                }
                delete_children(tx, backend, LINE_ITEMS.table, "order_gid", &applied).await?;
                let applied: std::collections::HashSet<&str> =
                    applied.iter().map(String::as_str).collect();
                let items: Vec<Vec<Val<'_>>> = orders
                    .iter()
                    .filter(|o| applied.contains(o.gid.as_str()))
                    .flat_map(|o| {
                        o.line_items.iter().map(move |i| {
                            vec![
                                (&i.gid).into(),
                                (&o.gid).into(),
                                (&i.sku).into(),
                                (&i.title).into(),
                                i.quantity.into(),
                                (&i.price).into(),
                                (&i.product_gid).into(),
                                (&i.variant_gid).into(),
                                (&i.price_presentment).into(),
                            ]
                        })
                    })
                    .collect();
                LINE_ITEMS.upsert(tx, backend, origin, &items).await?;
            }
            Effect::Product(_) => {
                let products: Vec<&ProductRow> = run
                    .iter()
                    .filter_map(|e| match e {
                        Effect::Product(p) => Some(p),
                        _ => None,
                    })
                    .collect();
                let rows: Vec<_> = products.iter().map(|p| product_row(p)).collect();
                let applied = PRODUCTS.upsert(tx, backend, origin, &rows).await?;
                if applied.is_empty() {
                    return Ok(());
                }
                delete_children(tx, backend, VARIANTS.table, "product_gid", &applied).await?;
                let applied: std::collections::HashSet<&str> =
                    applied.iter().map(String::as_str).collect();
                let variants: Vec<Vec<Val<'_>>> = products
                    .iter()
                    .filter(|p| applied.contains(p.gid.as_str()))
                    .flat_map(|p| {
                        p.variants.iter().map(move |v| {
                            vec![
                                (&v.gid).into(),
                                (&p.gid).into(),
                                (&v.sku).into(),
                                (&v.title).into(),
                                (&v.price).into(),
                                (&v.inventory_item_gid).into(),
                                v.updated_at.into(),
                                (&v.unit_cost).into(),
                            ]
                        })
                    })
                    .collect();
                VARIANTS.upsert(tx, backend, origin, &variants).await?;
            }
            Effect::ProductDeleted { .. } => {
                for e in run {
                    if let Effect::ProductDeleted { gid, deleted_at } = e {
                        sqlx::query(
                            "UPDATE shopify_products SET deleted_at = $1 \
                             WHERE gid = $2 AND updated_at <= $1",
                        )
                        .bind(*deleted_at)
                        .bind(gid)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
            }
            Effect::InventoryLevel(_) => {
                let rows = rows_of!(InventoryLevel, level_row);
                INVENTORY_LEVELS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::FulfillmentOrder(_) => {
                let rows = rows_of!(FulfillmentOrder, fulfillment_order_row);
                FULFILLMENT_ORDERS
                    .upsert(tx, backend, origin, &rows)
                    .await?;
            }
            Effect::Fulfillment(_) => {
                let rows = rows_of!(Fulfillment, fulfillment_row);
                FULFILLMENTS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Shop(_) => {
                let rows = rows_of!(Shop, shop_row);
                SHOP.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Location(_) => {
                let rows = rows_of!(Location, location_row);
                LOCATIONS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Refund(_) => {
                let rows = rows_of!(Refund, refund_row);
                REFUNDS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Conversation(_) => {
                let rows = rows_of!(Conversation, conversation_row);
                CONVERSATIONS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Message(_) => {
                let rows = rows_of!(Message, message_row);
                MESSAGES.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Csat(_) => {
                let rows = rows_of!(Csat, csat_row);
                CSAT.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::DailyMetric(_) => {
                let rows = rows_of!(DailyMetric, metric_row);
                DAILY_METRICS.upsert(tx, backend, origin, &rows).await?;
            }
            Effect::Ga4Day { .. } => {
                for e in run {
                    let Effect::Ga4Day { day, rows } = e else {
                        continue;
                    };
                    sqlx::query("DELETE FROM ga4_traffic WHERE property_id = $1 AND date = $2")
                        .bind(&day.property_id)
                        .bind(&day.date)
                        .execute(&mut **tx)
                        .await?;
                    let day_row: Vec<Val<'_>> = vec![
                        (&day.property_id).into(),
                        (&day.date).into(),
                        day.thresholded.into(),
                        day.sampled.into(),
                        day.row_count.into(),
                        (&day.currency).into(),
                        day.fetched_at.into(),
                    ];
                    GA4_DAYS.upsert(tx, backend, origin, &[day_row]).await?;
                    let traffic: Vec<Vec<Val<'_>>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                (&r.property_id).into(),
                                (&r.date).into(),
                                (&r.channel_group).into(),
                                (&r.landing_page).into(),
                                r.sessions.into(),
                                r.total_users.into(),
                                r.key_events.into(),
                                r.purchase_revenue.into(),
                            ]
                        })
                        .collect();
                    GA4_TRAFFIC.upsert(tx, backend, origin, &traffic).await?;
                }
            }
            Effect::GoldReply(_) => {
                for e in run {
                    let Effect::GoldReply(g) = e else { continue };
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
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(n: u32) -> Effect {
        Effect::Refund(RefundRow {
            gid: format!("gid://shopify/Refund/{n}"),
            order_gid: "gid://shopify/Order/1".into(),
            created_at: 0,
            total: "1.0".into(),
            total_presentment: None,
        })
    }

    fn product(updated_at: i64) -> Effect {
        Effect::Product(ProductRow {
            gid: "gid://shopify/Product/1".into(),
            title: "Headers".into(),
            handle: None,
            status: None,
            vendor: None,
            product_type: None,
            created_at: 0,
            updated_at,
            variants: Vec::new(),
        })
    }

    fn deleted(deleted_at: i64) -> Effect {
        Effect::ProductDeleted {
            gid: "gid://shopify/Product/1".into(),
            deleted_at,
        }
    }

    /// (kind, a distinguishing number) per run, to compare groupings.
    fn shape(runs: &[Vec<&Effect>]) -> Vec<Vec<i64>> {
        runs.iter()
            .map(|run| {
                run.iter()
                    .map(|e| match e {
                        Effect::Refund(r) => r.gid.rsplit('/').next().unwrap().parse().unwrap(),
                        Effect::Product(p) => 100 + p.updated_at,
                        Effect::ProductDeleted { deleted_at, .. } => 200 + deleted_at,
                        _ => -1,
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn interleaved_kinds_become_one_run_each_in_order() {
        let effects = [refund(1), product(1), refund(2), refund(3), product(2)];
        assert_eq!(
            shape(&runs_by_kind(&effects)),
            vec![vec![1, 2, 3], vec![101, 102]]
        );
    }

    #[test]
    fn a_product_and_its_deletion_keep_their_order() {
        let effects = [product(1), refund(1), deleted(2), refund(2), product(3)];
        assert_eq!(
            shape(&runs_by_kind(&effects)),
            vec![vec![101], vec![1], vec![202], vec![2], vec![103]]
        );
    }
}
