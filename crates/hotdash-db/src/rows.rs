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
    Order(OrderRow),
    Product(ProductRow),
    ProductDeleted { gid: String, deleted_at: i64 },
    InventoryLevel(InventoryLevelRow),
    FulfillmentOrder(FulfillmentOrderRow),
    Fulfillment(FulfillmentRow),
    Conversation(ConversationRow),
    Message(MessageRow),
    GoldReply(GoldReplyRow),
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
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct InventoryLevelRow {
    pub inventory_item_gid: String,
    pub location_gid: String,
    pub available: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FulfillmentOrderRow {
    pub gid: String,
    pub order_gid: Option<String>,
    pub status: String,
    pub updated_at: i64,
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
