//! Types that cross the storage boundary: what callers write (`New*`, [`Effect`]) and what they
//! read back (`*Row`, stats). Times are unix milliseconds.

use serde::Serialize;

/// A verified delivery to store durably before it is acknowledged.
#[derive(Debug, Clone)]
pub struct NewWebhookEvent {
    /// `shopify`, `chatwoot` or `gold-replies`.
    pub source: String,
    /// The sender's delivery id; unique per source (the dedup key).
    pub delivery_id: String,
    pub topic: String,
    /// Shopify `X-Shopify-Event-Id`: shared by every delivery of one merchant action.
    pub event_id: Option<String>,
    pub shop_domain: Option<String>,
    pub api_version: Option<String>,
    pub triggered_at: Option<i64>,
    /// The resource the delivery is about (`shopify:order:820982911946154508`), for filters.
    pub resource_key: Option<String>,
    pub received_at: i64,
    /// How the delivery was authenticated (`hmac-sha256`, `unsigned`, `bearer+standard-webhooks`).
    pub verification: String,
    /// Request headers as a JSON object, credentials removed.
    pub headers_json: String,
    pub body: Vec<u8>,
    /// True for events injected by reconciliation rather than sent by the vendor.
    pub synthetic: bool,
}

/// A rejected request: recorded with its cause, never with its body.
#[derive(Debug, Clone)]
pub struct NewRejection {
    pub source: String,
    /// Machine-readable cause, e.g. `bad_signature`, `stale_timestamp`, `body_too_large`.
    pub cause: String,
    pub status_code: u16,
    pub received_at: i64,
    pub delivery_id: Option<String>,
    pub topic: Option<String>,
    pub body_len: i64,
    pub body_sha256: String,
    pub detail: String,
}

/// What became of one delivery in an ingest batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored, with a processing job enqueued in the same transaction.
    Accepted { event_id: i64 },
    /// Already stored under the same (source, delivery id); counted, not processed again.
    Duplicate { event_id: i64 },
}

/// Settings for jobs created by an ingest batch or a replay.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub queue: String,
    pub kind: String,
    pub priority: i32,
    pub max_attempts: i32,
}

/// A job handed to a worker. The pair (`locked_by`, `attempt`) is the claim: only its holder
/// may complete or fail the job, so a worker whose lease expired cannot finish it twice.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub subject: Option<String>,
    pub attempt: i32,
    pub max_attempts: i32,
    pub locked_by: String,
}

/// Where a failed job goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    Retrying {
        run_at: i64,
    },
    DeadLettered,
    /// The claim had already been lost (lease expired and reclaimed): nothing was changed.
    LostClaim,
}

/// A typed change derived from a webhook payload, applied with a watermark on `updated_at`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Boxed: an order is several times larger than any other effect.
    Order(Box<OrderRow>),
    Product(ProductRow),
    ProductDeleted {
        gid: String,
        deleted_at: i64,
    },
    InventoryLevel(InventoryLevelRow),
    FulfillmentOrder(FulfillmentOrderRow),
    Fulfillment(FulfillmentRow),
    Conversation(ConversationRow),
    Message(MessageRow),
    GoldReply(GoldReplyRow),
    /// The shop's own record (sync only).
    Shop(ShopRow),
    Location(LocationRow),
    Refund(RefundRow),
    Csat(CsatRow),
    /// One Chatwoot report figure for one day.
    DailyMetric(DailyMetricRow),
    /// One GA4 report day: its rows replace whatever the store held for that day.
    Ga4Day {
        day: Ga4DayRow,
        rows: Vec<Ga4TrafficRow>,
    },
}

/// How a processed event ended: with effects applied, or with nothing to do for its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Pending,
    Processed,
    Ignored,
    Failed,
    Dead,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "processed" => Self::Processed,
            "ignored" => Self::Ignored,
            "failed" => Self::Failed,
            "dead" => Self::Dead,
            _ => return None,
        })
    }
}

/// A successfully handled job: its effects, applied atomically with its completion.
#[derive(Debug, Clone)]
pub struct Completion {
    pub job: ClaimedJob,
    /// The webhook event the job processed, if any; its status is updated in the same transaction.
    pub webhook_event_id: Option<i64>,
    pub status: EventStatus,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OrderRow {
    pub gid: String,
    pub legacy_id: i64,
    pub name: String,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub currency: String,
    pub total_price: String,
    pub subtotal_price: Option<String>,
    pub total_discounts: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub processed_at: Option<i64>,
    /// The currency the customer paid in, with the order total in it.
    pub presentment_currency: Option<String>,
    pub total_price_presentment: Option<String>,
    /// Totals after edits and refunds, in shop money.
    pub current_total_price: Option<String>,
    pub total_refunded: Option<String>,
    pub total_tax: Option<String>,
    pub total_shipping: Option<String>,
    #[sqlx(skip)]
    pub line_items: Vec<LineItemRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LineItemRow {
    pub gid: String,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: i64,
    pub price: String,
    pub product_gid: Option<String>,
    pub variant_gid: Option<String>,
    /// Unit price in presentment money.
    pub price_presentment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    pub gid: String,
    pub title: String,
    pub handle: Option<String>,
    pub status: Option<String>,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(skip)]
    pub variants: Vec<VariantRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct VariantRow {
    pub gid: String,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub price: Option<String>,
    pub inventory_item_gid: Option<String>,
    pub updated_at: i64,
    /// The inventory item's unit cost (what the shop paid), when known.
    pub unit_cost: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct InventoryLevelRow {
    pub inventory_item_gid: String,
    pub location_gid: String,
    pub available: i64,
    pub updated_at: i64,
    /// Further quantities the API reports (webhooks carry only `available`).
    pub on_hand: Option<i64>,
    pub committed: Option<i64>,
    pub incoming: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FulfillmentOrderRow {
    pub gid: String,
    pub order_gid: Option<String>,
    pub status: String,
    pub updated_at: i64,
    pub assigned_location_gid: Option<String>,
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FulfillmentRow {
    pub gid: String,
    pub order_gid: String,
    pub status: Option<String>,
    pub shipment_status: Option<String>,
    pub tracking_company: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ConversationRow {
    pub account_id: i64,
    pub id: i64,
    pub inbox_id: Option<i64>,
    pub status: String,
    pub assignee_id: Option<i64>,
    /// JSON array of label names.
    pub labels: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_activity_at: Option<i64>,
    pub first_reply_created_at: Option<i64>,
    pub waiting_since: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct MessageRow {
    pub account_id: i64,
    pub id: i64,
    pub conversation_id: i64,
    pub message_type: String,
    #[sqlx(try_from = "IntBool")]
    pub is_private: bool,
    pub content: Option<String>,
    pub sender_type: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct GoldReplyRow {
    pub conversation_id: i64,
    pub webhook_event_id: i64,
    pub shop_domain: String,
    pub category: String,
    pub original_reply: String,
    pub submitted_by: String,
    pub evidence_url: String,
    /// The validated submission as JSON.
    pub payload: String,
    pub status: String,
    pub created_at: i64,
}

/// A stored delivery, without its body (see [`WebhookEventDetail`]).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WebhookEventRow {
    pub id: i64,
    pub source: String,
    pub delivery_id: String,
    pub topic: String,
    pub event_id: Option<String>,
    pub shop_domain: Option<String>,
    pub api_version: Option<String>,
    pub triggered_at: Option<i64>,
    pub resource_key: Option<String>,
    pub received_at: i64,
    pub verification: String,
    #[sqlx(try_from = "IntBool")]
    pub synthetic: bool,
    pub status: String,
    pub attempts: i32,
    pub duplicate_count: i32,
    pub last_error: Option<String>,
    pub processed_at: Option<i64>,
}

/// What a worker needs to process a stored delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredDelivery {
    pub id: i64,
    pub source: String,
    pub topic: String,
    pub triggered_at: Option<i64>,
    pub received_at: i64,
    pub body: Vec<u8>,
}

/// One processing attempt that did not succeed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub attempt: i32,
    pub outcome: String,
    pub error: String,
    pub finished_at: i64,
}

/// A stored delivery with headers, body and failed attempts.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookEventDetail {
    pub event: WebhookEventRow,
    pub headers_json: String,
    #[serde(skip)]
    pub body: Vec<u8>,
    pub attempts: Vec<AttemptRow>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RejectionRow {
    pub id: i64,
    pub source: String,
    pub cause: String,
    pub status_code: i32,
    pub received_at: i64,
    pub delivery_id: Option<String>,
    pub topic: Option<String>,
    pub body_len: i64,
    pub body_sha256: String,
    pub detail: String,
}

/// Filters for listing and replaying stored deliveries. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    pub source: Option<String>,
    pub topic: Option<String>,
    pub status: Option<String>,
    pub received_from: Option<i64>,
    pub received_until: Option<i64>,
    pub ids: Vec<i64>,
    pub limit: Option<i64>,
}

/// A snapshot of the job queue, for gauges and the health view.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueStats {
    /// Jobs waiting to run or running.
    pub depth: i64,
    /// Age of the oldest job that is due and not yet finished, in ms.
    pub oldest_pending_age_ms: Option<i64>,
    pub dead_letters: i64,
}

/// How the `jobs.subject` of a webhook event's job starts; the event id follows.
pub(crate) const WEBHOOK_SUBJECT_PREFIX: &str = "webhook_event:";

/// The `jobs.subject` of the job that processes webhook event `id`.
pub fn webhook_subject(id: i64) -> String {
    format!("{WEBHOOK_SUBJECT_PREFIX}{id}")
}

/// The webhook event id a job subject refers to, if it refers to one.
pub fn parse_webhook_subject(subject: &str) -> Option<i64> {
    subject.strip_prefix(WEBHOOK_SUBJECT_PREFIX)?.parse().ok()
}

/// A boolean stored as INTEGER 0/1. sqlx's `Any` driver reads no SQLite BOOLEAN, so both
/// backends use integers; rows convert with `#[sqlx(try_from = "IntBool")]`.
pub struct IntBool(i64);

impl From<IntBool> for bool {
    fn from(value: IntBool) -> Self {
        value.0 != 0
    }
}

impl sqlx::Type<sqlx::Any> for IntBool {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for IntBool {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value).map(IntBool)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ShopRow {
    pub gid: String,
    pub name: String,
    pub myshopify_domain: String,
    pub currency: String,
    pub iana_timezone: Option<String>,
    pub plan: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct LocationRow {
    pub gid: String,
    pub name: String,
    #[sqlx(try_from = "IntBool")]
    pub is_active: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RefundRow {
    pub gid: String,
    pub order_gid: String,
    pub created_at: i64,
    /// Refunded amount in shop money.
    pub total: String,
    pub total_presentment: Option<String>,
}

/// One Chatwoot CSAT survey response.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CsatRow {
    pub account_id: i64,
    pub id: i64,
    pub conversation_id: i64,
    /// 1 to 5.
    pub rating: i64,
    pub feedback: Option<String>,
    pub assigned_agent_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One figure from Chatwoot's reports API for one account day (`metric` is the API's name:
/// `avg_first_response_time`, `avg_resolution_time`, `conversations_count`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DailyMetricRow {
    pub account_id: i64,
    pub metric: String,
    /// Start of the day, unix ms, as the API reports it.
    pub day: i64,
    pub value: f64,
    pub fetched_at: i64,
}

/// What GA4 said about one report day as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Ga4DayRow {
    pub property_id: String,
    /// `YYYYMMDD`, the property's own calendar day.
    pub date: String,
    /// `metadata.subjectToThresholding`: GA withheld rows to protect privacy.
    #[sqlx(try_from = "IntBool")]
    pub thresholded: bool,
    /// `metadata.samplingMetadatas` was present: figures are estimates.
    #[sqlx(try_from = "IntBool")]
    pub sampled: bool,
    pub row_count: i64,
    pub currency: Option<String>,
    pub fetched_at: i64,
}

/// One GA4 row: a day x channel group x landing page.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Ga4TrafficRow {
    pub property_id: String,
    pub date: String,
    pub channel_group: String,
    pub landing_page: String,
    pub sessions: i64,
    pub total_users: i64,
    pub key_events: f64,
    pub purchase_revenue: f64,
}

/// Where one connector stream stands: `page_cursor` while a pass is under way (resume there
/// after a crash), `resume` once a pass has finished (the next incremental pass starts there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SyncCursorRow {
    pub connector: String,
    pub stream: String,
    pub page_cursor: Option<String>,
    pub resume: Option<String>,
    /// Whether the pass under way is a full one (`--full` or a first backfill).
    #[sqlx(try_from = "IntBool")]
    pub full_pass: bool,
    pub updated_at: i64,
}

/// What a page commit does to the stream's cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorUpdate {
    /// The pass goes on from `page_cursor`.
    Continue {
        page_cursor: String,
        full_pass: bool,
    },
    /// The pass is over; the next one starts from `resume`.
    Finish { resume: Option<String> },
}

/// One stream's pass, as the health view and `hotdash sync` report it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SyncRunRow {
    pub id: i64,
    pub connector: String,
    pub stream: String,
    #[sqlx(try_from = "IntBool")]
    pub full_pass: bool,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok` or `failed`.
    pub status: String,
    pub items: i64,
    pub pages: i64,
    pub retries: i64,
    pub rate_wait_ms: i64,
    pub error: Option<String>,
}

/// Something a connector learned that an operator should see: a deprecated field, an API
/// version fall-forward, a missing scope, a truncated history. One row per (connector, kind,
/// subject); repeats bump `last_seen_at` and `count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FindingRow {
    pub connector: String,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub count: i64,
}

/// Rows a reconcile pass looks at: a table with an `updated_at` watermark and a
/// `webhook_updated_at` column that webhook effects set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconcileTable {
    Orders,
    Products,
    InventoryLevels,
    FulfillmentOrders,
    Conversations,
}

impl ReconcileTable {
    pub const ALL: [Self; 5] = [
        Self::Orders,
        Self::Products,
        Self::InventoryLevels,
        Self::FulfillmentOrders,
        Self::Conversations,
    ];

    /// The webhook topic whose deliveries would have carried these changes.
    pub fn topic(self) -> &'static str {
        match self {
            Self::Orders => "orders/updated",
            Self::Products => "products/update",
            Self::InventoryLevels => "inventory_levels/update",
            Self::FulfillmentOrders => "fulfillment_orders/updated",
            Self::Conversations => "conversation_updated",
        }
    }

    /// The webhook source of that topic.
    pub fn source(self) -> &'static str {
        match self {
            Self::Conversations => "chatwoot",
            _ => "shopify",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Products => "products",
            Self::InventoryLevels => "inventory_levels",
            Self::FulfillmentOrders => "fulfillment_orders",
            Self::Conversations => "conversations",
        }
    }
}

/// The result of comparing one table's changes in a window with what webhooks delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReconcilePassRow {
    pub id: i64,
    pub connector: String,
    pub table_name: String,
    pub window_from: i64,
    pub window_to: i64,
    /// Changes the API showed in the window.
    pub changes: i64,
    /// Of those, changes no webhook delivered: the lost-webhook count.
    pub missed: i64,
    pub ran_at: i64,
}

/// How a sync run ended, written by `Store::finish_sync_run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRunEnd {
    /// `ok` or `failed`, or `parked` (stopped to wait for a quota reset; resumes next pass).
    pub status: String,
    pub items: i64,
    pub pages: i64,
    pub retries: i64,
    pub rate_wait_ms: i64,
    pub error: Option<String>,
}
