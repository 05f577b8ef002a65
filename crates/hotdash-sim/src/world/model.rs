//! The simulated store's records: what Shopify, Chatwoot and GA4 hold for Hot Rod AN.
//!
//! One vocabulary for every simulator: the Shopify GraphQL resolvers, the REST-shaped webhook
//! payloads, the Chatwoot API, the GA4 report engine and the ground-truth export all read these
//! types. Money is integer cents in the shop currency (USD) unless a field says otherwise; times are
//! UTC `OffsetDateTime`; ids are the numeric part of Shopify GIDs / Chatwoot ids.

use serde::Serialize;
use time::{Date, OffsetDateTime};

// Dates export as `2025-06-01`, the way GA4 and humans write them (time's default is a tuple).
time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Shopify global id, e.g. `gid://shopify/Order/5001`.
pub fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// Parses `gid://shopify/<kind>/<id>` back into its numeric id, if the kind matches.
pub fn parse_gid(kind: &str, gid: &str) -> Option<u64> {
    gid.strip_prefix("gid://shopify/")?
        .strip_prefix(kind)?
        .strip_prefix('/')?
        .split('?')
        .next()?
        .parse()
        .ok()
}

/// Cents rendered as Shopify's `Decimal`/`Money` string: `12.5` dollars is `"12.50"`.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[derive(Debug, Clone, Serialize)]
pub struct Shop {
    pub id: u64,
    pub name: String,
    /// `hotrodan.myshopify.com`
    pub myshopify_domain: String,
    pub email: String,
    pub currency_code: String,
    pub iana_timezone: String,
    pub plan_display_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub id: u64,
    /// "Main WH", "Canada WH"
    pub name: String,
    pub country_code: String,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductStatus {
    Active,
    Draft,
    Archived,
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub vendor: String,
    pub product_type: String,
    /// e.g. `AN-6`, `BUNDLE:TRUE`, `PACK:8`
    pub tags: Vec<String>,
    pub status: ProductStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub id: u64,
    pub product_id: u64,
    pub title: String,
    /// `HRA-<FAMILY>[-<SIZE>]`
    pub sku: String,
    pub price_cents: i64,
    pub compare_at_price_cents: Option<i64>,
    pub position: u32,
    pub inventory_item_id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct InventoryItem {
    pub id: u64,
    pub variant_id: u64,
    pub sku: String,
    pub unit_cost_cents: i64,
    pub tracked: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One inventory item at one location. Quantities follow Shopify's names:
/// `on_hand = available + committed` (reserved/damaged are not simulated).
#[derive(Debug, Clone, Serialize)]
pub struct InventoryLevel {
    pub inventory_item_id: u64,
    pub location_id: u64,
    pub available: i64,
    pub on_hand: i64,
    pub committed: i64,
    pub incoming: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// `OrderDisplayFinancialStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FinancialStatus {
    Authorized,
    Expired,
    Paid,
    PartiallyPaid,
    PartiallyRefunded,
    Pending,
    Refunded,
    Voided,
}

/// `OrderDisplayFulfillmentStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderFulfillmentStatus {
    Fulfilled,
    InProgress,
    OnHold,
    Open,
    PartiallyFulfilled,
    PendingFulfillment,
    RequestDeclined,
    Restocked,
    Scheduled,
    Unfulfilled,
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: u64,
    /// 1001, 1002, ...
    pub number: u64,
    /// `#1001`
    pub name: String,
    pub email: String,
    pub customer_id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub processed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// Shop currency, "USD".
    pub currency_code: String,
    /// What the buyer saw: "USD" or "CAD".
    pub presentment_currency_code: String,
    /// Presentment units per shop unit (1.0 for USD; e.g. 1.37 for CAD).
    pub presentment_rate: f64,
    pub financial_status: FinancialStatus,
    pub fulfillment_status: OrderFulfillmentStatus,
    pub source_name: String,
    pub tags: Vec<String>,
    pub shipping_country_code: String,
    pub line_items: Vec<LineItem>,
    pub subtotal_cents: i64,
    pub total_discounts_cents: i64,
    pub total_shipping_cents: i64,
    pub total_tax_cents: i64,
    /// subtotal - discounts + shipping + tax
    pub total_price_cents: i64,
    pub total_refunded_cents: i64,
    pub refunds: Vec<Refund>,
    pub fulfillment_orders: Vec<FulfillmentOrder>,
    pub fulfillments: Vec<Fulfillment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineItem {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub sku: String,
    pub title: String,
    pub variant_title: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub total_discount_cents: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub id: u64,
    pub order_id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub note: Option<String>,
    pub total_cents: i64,
    pub line_items: Vec<RefundLineItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefundLineItem {
    pub line_item_id: u64,
    pub quantity: i64,
    pub subtotal_cents: i64,
    pub restocked: bool,
}

/// `FulfillmentOrderStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentOrderStatus {
    Cancelled,
    Closed,
    Incomplete,
    InProgress,
    OnHold,
    Open,
    Scheduled,
}

/// `FulfillmentOrderRequestStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentRequestStatus {
    Unsubmitted,
    Submitted,
    Accepted,
    Rejected,
    CancellationRequested,
    CancellationAccepted,
    CancellationRejected,
    Closed,
}

#[derive(Debug, Clone, Serialize)]
pub struct FulfillmentOrder {
    pub id: u64,
    pub order_id: u64,
    pub assigned_location_id: u64,
    pub status: FulfillmentOrderStatus,
    pub request_status: FulfillmentRequestStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub fulfill_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub line_items: Vec<FulfillmentOrderLineItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FulfillmentOrderLineItem {
    pub id: u64,
    pub line_item_id: u64,
    pub inventory_item_id: u64,
    pub sku: String,
    pub total_quantity: i64,
    pub remaining_quantity: i64,
}

/// `FulfillmentStatus`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentStatus {
    Cancelled,
    Error,
    Failure,
    Open,
    Pending,
    Success,
}

/// A subset of `FulfillmentDisplayStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfillmentDisplayStatus {
    LabelPrinted,
    Fulfilled,
    InTransit,
    OutForDelivery,
    AttemptedDelivery,
    Delivered,
    Failure,
    Canceled,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fulfillment {
    pub id: u64,
    pub order_id: u64,
    pub location_id: u64,
    pub status: FulfillmentStatus,
    pub display_status: FulfillmentDisplayStatus,
    /// "UPS", "USPS", "Canada Post"
    pub tracking_company: Option<String>,
    pub tracking_number: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
    /// (line item id, quantity)
    pub line_items: Vec<(u64, i64)>,
}

// ---------------------------------------------------------------------------------------------
// Chatwoot
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentRole {
    Administrator,
    Agent,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub role: AgentRole,
    /// "online", "busy", "offline"
    pub availability_status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inbox {
    pub id: u64,
    pub name: String,
    /// "Channel::WebWidget", "Channel::Email"
    pub channel_type: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_activity_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    Open,
    Resolved,
    Pending,
    Snoozed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    /// The account-scoped `display_id`, which Chatwoot's API calls `id`.
    pub id: u64,
    pub account_id: u64,
    pub uuid: String,
    pub inbox_id: u64,
    pub contact_id: u64,
    pub assignee_id: Option<u64>,
    pub status: ConversationStatus,
    pub priority: Option<String>,
    pub labels: Vec<String>,
    /// A Shopify order this conversation is about, if any (its `name`, e.g. `#1042`).
    pub order_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub first_reply_created_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_activity_at: OffsetDateTime,
    /// Set while the last message is from the customer and unanswered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub waiting_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    pub messages: Vec<Message>,
    pub csat: Option<CsatResponse>,
}

/// Chatwoot's `message_type` enum: integers 0..=3 in the API, strings in webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Incoming,
    Outgoing,
    Activity,
    Template,
}

impl MessageType {
    pub fn as_int(self) -> u8 {
        match self {
            Self::Incoming => 0,
            Self::Outgoing => 1,
            Self::Activity => 2,
            Self::Template => 3,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: u64,
    pub conversation_id: u64,
    pub content: String,
    pub message_type: MessageType,
    pub private: bool,
    /// The contact for incoming messages, the agent for outgoing ones; None for activity.
    pub sender_contact_id: Option<u64>,
    pub sender_agent_id: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct CsatResponse {
    pub id: u64,
    pub conversation_id: u64,
    /// The CSAT survey message the rating answers.
    pub message_id: u64,
    pub rating: u8,
    pub feedback_message: Option<String>,
    pub contact_id: u64,
    pub assigned_agent_id: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------------
// GA4
// ---------------------------------------------------------------------------------------------

/// One day's traffic for one (channel group, landing page, device) cell. Revenue and
/// transactions agree with the online orders created that day (in the shop's time zone).
#[derive(Debug, Clone, Serialize)]
pub struct TrafficRow {
    #[serde(with = "iso_date")]
    pub date: Date,
    /// `sessionDefaultChannelGroup`: "Organic Search", "Direct", "Paid Search", "Email", ...
    pub channel_group: String,
    /// `landingPage`, e.g. "/collections/an-fittings"
    pub landing_page: String,
    /// `deviceCategory`: "desktop", "mobile", "tablet"
    pub device_category: String,
    pub sessions: i64,
    pub total_users: i64,
    pub new_users: i64,
    pub engaged_sessions: i64,
    pub screen_page_views: i64,
    /// Sum of session durations, seconds (for averageSessionDuration).
    pub session_duration_secs: f64,
    pub key_events: i64,
    pub transactions: i64,
    pub purchase_revenue_cents: i64,
}
