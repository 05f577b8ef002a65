-- Typed tables written by webhook handlers (and, later, by sync). Every row carries the
-- vendor's `updated_at` (unix ms): upserts only apply when the incoming version is not older,
-- so a stale or out-of-order delivery never overwrites newer state. Same DDL on both backends.

CREATE TABLE shopify_orders (
    gid                TEXT   PRIMARY KEY,
    legacy_id          BIGINT NOT NULL,
    name               TEXT   NOT NULL,
    financial_status   TEXT,
    fulfillment_status TEXT,
    currency           TEXT   NOT NULL,
    total_price        TEXT   NOT NULL,
    subtotal_price     TEXT,
    total_discounts    TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    cancelled_at       BIGINT,
    closed_at          BIGINT,
    source_event_id    BIGINT
);
CREATE INDEX shopify_orders_created ON shopify_orders (created_at);

CREATE TABLE shopify_order_line_items (
    gid         TEXT   PRIMARY KEY,
    order_gid   TEXT   NOT NULL,
    sku         TEXT,
    title       TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    price       TEXT   NOT NULL,
    product_gid TEXT,
    variant_gid TEXT
);
CREATE INDEX shopify_order_line_items_order ON shopify_order_line_items (order_gid);

CREATE TABLE shopify_products (
    gid          TEXT   PRIMARY KEY,
    title        TEXT   NOT NULL,
    handle       TEXT,
    status       TEXT,
    vendor       TEXT,
    product_type TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);

CREATE TABLE shopify_variants (
    gid                TEXT   PRIMARY KEY,
    product_gid        TEXT   NOT NULL,
    sku                TEXT,
    title              TEXT,
    price              TEXT,
    inventory_item_gid TEXT,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX shopify_variants_product ON shopify_variants (product_gid);

CREATE TABLE shopify_inventory_levels (
    inventory_item_gid TEXT   NOT NULL,
    location_gid       TEXT   NOT NULL,
    available          BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (inventory_item_gid, location_gid)
);

CREATE TABLE shopify_fulfillment_orders (
    gid        TEXT   PRIMARY KEY,
    order_gid  TEXT,
    status     TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE shopify_fulfillments (
    gid              TEXT   PRIMARY KEY,
    order_gid        TEXT   NOT NULL,
    status           TEXT,
    shipment_status  TEXT,
    tracking_company TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE chatwoot_conversations (
    account_id             BIGINT NOT NULL,
    id                     BIGINT NOT NULL,
    inbox_id               BIGINT,
    status                 TEXT   NOT NULL,
    assignee_id            BIGINT,
    labels                 TEXT   NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    last_activity_at       BIGINT,
    first_reply_created_at BIGINT,
    waiting_since          BIGINT,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE chatwoot_messages (
    account_id      BIGINT NOT NULL,
    id              BIGINT NOT NULL,
    conversation_id BIGINT NOT NULL,
    message_type    TEXT   NOT NULL,
    is_private      INTEGER NOT NULL, -- 0 or 1: one boolean encoding on both backends
    content         TEXT,
    sender_type     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX chatwoot_messages_conversation ON chatwoot_messages (account_id, conversation_id);

CREATE TABLE gold_replies (
    conversation_id  BIGINT PRIMARY KEY,
    webhook_event_id BIGINT NOT NULL,
    shop_domain      TEXT   NOT NULL,
    category         TEXT   NOT NULL,
    original_reply   TEXT   NOT NULL,
    submitted_by     TEXT   NOT NULL,
    evidence_url     TEXT   NOT NULL,
    payload          TEXT   NOT NULL,
    status           TEXT   NOT NULL,
    created_at       BIGINT NOT NULL
);
