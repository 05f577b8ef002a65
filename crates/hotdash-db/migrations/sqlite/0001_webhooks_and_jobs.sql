-- Inbound webhook archive, rejection log, and the job queue (SQLite dialect).
-- Times are unix milliseconds (BIGINT): sqlx's Any driver cannot read TIMESTAMPTZ, and one
-- representation keeps both backends' queries identical.

CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    source          TEXT    NOT NULL,
    delivery_id     TEXT    NOT NULL,
    topic           TEXT    NOT NULL,
    event_id        TEXT,
    shop_domain     TEXT,
    api_version     TEXT,
    triggered_at    BIGINT,
    resource_key    TEXT,
    received_at     BIGINT  NOT NULL,
    verification    TEXT    NOT NULL,
    headers         TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    synthetic       INTEGER NOT NULL DEFAULT 0, -- 0 or 1: the Any driver reads no SQLite BOOLEAN
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    duplicate_count INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    processed_at    BIGINT,
    CONSTRAINT webhook_events_delivery_key UNIQUE (source, delivery_id)
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);
CREATE INDEX webhook_events_status ON webhook_events (status, received_at);
CREATE INDEX webhook_events_topic ON webhook_events (source, topic, received_at);
CREATE INDEX webhook_events_resource ON webhook_events (resource_key);

CREATE TABLE webhook_rejections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT    NOT NULL,
    cause        TEXT    NOT NULL,
    status_code  INTEGER NOT NULL,
    received_at  BIGINT  NOT NULL,
    delivery_id  TEXT,
    topic        TEXT,
    body_len     BIGINT  NOT NULL,
    body_sha256  TEXT    NOT NULL,
    detail       TEXT    NOT NULL
);
CREATE INDEX webhook_rejections_received ON webhook_rejections (received_at);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    queue        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    subject      TEXT,
    priority     INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       BIGINT  NOT NULL,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX jobs_claim ON jobs (queue, status, priority, run_at);
CREATE INDEX jobs_subject ON jobs (subject);

CREATE TABLE job_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      BIGINT  NOT NULL,
    subject     TEXT,
    attempt     INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    finished_at BIGINT  NOT NULL
);
CREATE INDEX job_attempts_job ON job_attempts (job_id);
CREATE INDEX job_attempts_subject ON job_attempts (subject);
