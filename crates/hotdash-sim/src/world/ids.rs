//! Numeric id ranges, one per record kind, so GIDs look like real Shopify ones and an id of one
//! kind can never be mistaken for another. Per-order children derive their ids from the order's
//! index, which is what lets any order be regenerated alone.

pub const SHOP_ID: u64 = 68_817_100_001;
pub const LOCATION_BASE: u64 = 71_234_500_001;
pub const PRODUCT_BASE: u64 = 8_100_000_001;
pub const VARIANT_BASE: u64 = 41_000_000_001;
pub const INVENTORY_ITEM_BASE: u64 = 43_000_000_001;
pub const CUSTOMER_BASE: u64 = 7_000_000_001;
pub const ORDER_BASE: u64 = 5_000_000_001;
/// The first order's `number` (its name is `#1001`).
pub const FIRST_ORDER_NUMBER: u64 = 1001;
pub const FULFILLMENT_BASE: u64 = 4_500_000_001;
pub const FULFILLMENT_ORDER_BASE: u64 = 6_000_000_001;
pub const REFUND_BASE: u64 = 9_000_000_001;
pub const LINE_ITEM_BASE: u64 = 13_000_000_001;
pub const FULFILLMENT_ORDER_LINE_BASE: u64 = 15_000_000_001;

/// Children per order: at most this many line items, fulfilment orders, fulfilments, refunds.
pub const LINES_PER_ORDER: u64 = 8;
pub const CHILDREN_PER_ORDER: u64 = 4;

pub fn order_id(index: u64) -> u64 {
    ORDER_BASE + index
}

/// The order index behind an order id, if the id is in the order range.
pub fn order_index(id: u64) -> Option<u64> {
    id.checked_sub(ORDER_BASE)
}

pub fn line_item_id(order_index: u64, line: usize) -> u64 {
    LINE_ITEM_BASE + order_index * LINES_PER_ORDER + line as u64
}

pub fn fulfillment_order_line_id(order_index: u64, line: usize) -> u64 {
    FULFILLMENT_ORDER_LINE_BASE + order_index * LINES_PER_ORDER + line as u64
}

pub fn fulfillment_order_id(order_index: u64, k: usize) -> u64 {
    FULFILLMENT_ORDER_BASE + order_index * CHILDREN_PER_ORDER + k as u64
}

pub fn fulfillment_id(order_index: u64, k: usize) -> u64 {
    FULFILLMENT_BASE + order_index * CHILDREN_PER_ORDER + k as u64
}

pub fn refund_id(order_index: u64, k: usize) -> u64 {
    REFUND_BASE + order_index * CHILDREN_PER_ORDER + k as u64
}
