-- Sync: cursors, runs, findings and reconcile passes, the columns the API reports beyond
-- webhook payloads, and the tables only sync fills. Same DDL on both backends except ids. Plain SQL, no extensions: runs on Supabase.
--
-- `webhook_updated_at` on a table is the newest version a webhook delivered for the row; a
-- reconcile pass counts rows whose `updated_at` is newer as changes webhooks missed.

CREATE TABLE sync_cursors (
    connector  TEXT    NOT NULL,
    stream     TEXT    NOT NULL,
    page_cursor TEXT,
    resume     TEXT,
    full_pass  INTEGER NOT NULL DEFAULT 0,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (connector, stream)
);

CREATE TABLE sync_runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector    TEXT    NOT NULL,
    stream       TEXT    NOT NULL,
    full_pass    INTEGER NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT,
    status       TEXT    NOT NULL,
    items        BIGINT  NOT NULL DEFAULT 0,
    pages        BIGINT  NOT NULL DEFAULT 0,
    retries      BIGINT  NOT NULL DEFAULT 0,
    rate_wait_ms BIGINT  NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX sync_runs_connector ON sync_runs (connector, started_at);

CREATE TABLE connector_findings (
    connector     TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    message       TEXT   NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (connector, kind, subject)
);

CREATE TABLE reconcile_passes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector   TEXT   NOT NULL,
    table_name  TEXT   NOT NULL,
    window_from BIGINT NOT NULL,
    window_to   BIGINT NOT NULL,
    changes     BIGINT NOT NULL,
    missed      BIGINT NOT NULL,
    ran_at      BIGINT NOT NULL
);
CREATE INDEX reconcile_passes_table ON reconcile_passes (connector, table_name, id);

ALTER TABLE shopify_orders ADD COLUMN processed_at BIGINT;
ALTER TABLE shopify_orders ADD COLUMN presentment_currency TEXT;
ALTER TABLE shopify_orders ADD COLUMN total_price_presentment TEXT;
ALTER TABLE shopify_orders ADD COLUMN current_total_price TEXT;
ALTER TABLE shopify_orders ADD COLUMN total_refunded TEXT;
ALTER TABLE shopify_orders ADD COLUMN total_tax TEXT;
ALTER TABLE shopify_orders ADD COLUMN total_shipping TEXT;
ALTER TABLE shopify_orders ADD COLUMN webhook_updated_at BIGINT;
CREATE INDEX shopify_orders_updated ON shopify_orders (updated_at);

ALTER TABLE shopify_order_line_items ADD COLUMN price_presentment TEXT;

ALTER TABLE shopify_products ADD COLUMN webhook_updated_at BIGINT;
CREATE INDEX shopify_products_updated ON shopify_products (updated_at);
ALTER TABLE shopify_variants ADD COLUMN unit_cost TEXT;

ALTER TABLE shopify_inventory_levels ADD COLUMN on_hand BIGINT;
ALTER TABLE shopify_inventory_levels ADD COLUMN committed BIGINT;
ALTER TABLE shopify_inventory_levels ADD COLUMN incoming BIGINT;
ALTER TABLE shopify_inventory_levels ADD COLUMN webhook_updated_at BIGINT;
CREATE INDEX shopify_inventory_levels_updated ON shopify_inventory_levels (updated_at);

ALTER TABLE shopify_fulfillment_orders ADD COLUMN assigned_location_gid TEXT;
ALTER TABLE shopify_fulfillment_orders ADD COLUMN created_at BIGINT;
ALTER TABLE shopify_fulfillment_orders ADD COLUMN webhook_updated_at BIGINT;
CREATE INDEX shopify_fulfillment_orders_updated ON shopify_fulfillment_orders (updated_at);

ALTER TABLE shopify_fulfillments ADD COLUMN tracking_number TEXT;

ALTER TABLE chatwoot_conversations ADD COLUMN webhook_updated_at BIGINT;
CREATE INDEX chatwoot_conversations_updated ON chatwoot_conversations (updated_at);

CREATE TABLE shopify_shop (
    gid              TEXT   PRIMARY KEY,
    name             TEXT   NOT NULL,
    myshopify_domain TEXT   NOT NULL,
    currency         TEXT   NOT NULL,
    iana_timezone    TEXT,
    plan             TEXT,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE shopify_locations (
    gid        TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    is_active  INTEGER NOT NULL,
    updated_at BIGINT  NOT NULL
);

CREATE TABLE shopify_refunds (
    gid               TEXT   PRIMARY KEY,
    order_gid         TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    total             TEXT   NOT NULL,
    total_presentment TEXT
);
CREATE INDEX shopify_refunds_order ON shopify_refunds (order_gid);

CREATE TABLE chatwoot_csat_responses (
    account_id        BIGINT NOT NULL,
    id                BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL,
    rating            BIGINT NOT NULL,
    feedback          TEXT,
    assigned_agent_id BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE chatwoot_daily_metrics (
    account_id BIGINT           NOT NULL,
    metric     TEXT             NOT NULL,
    day        BIGINT           NOT NULL,
    value      DOUBLE PRECISION NOT NULL,
    fetched_at BIGINT           NOT NULL,
    PRIMARY KEY (account_id, metric, day)
);

CREATE TABLE ga4_report_days (
    property_id TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    thresholded INTEGER NOT NULL,
    sampled     INTEGER NOT NULL,
    row_count   BIGINT  NOT NULL,
    currency    TEXT,
    fetched_at  BIGINT  NOT NULL,
    PRIMARY KEY (property_id, date)
);

CREATE TABLE ga4_traffic (
    property_id      TEXT             NOT NULL,
    date             TEXT             NOT NULL,
    channel_group    TEXT             NOT NULL,
    landing_page     TEXT             NOT NULL,
    sessions         BIGINT           NOT NULL,
    total_users      BIGINT           NOT NULL,
    key_events       DOUBLE PRECISION NOT NULL,
    purchase_revenue DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (property_id, date, channel_group, landing_page)
);
