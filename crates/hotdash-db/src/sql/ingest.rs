//! The ingest transaction: a batch of deliveries and rejections stored in one durable commit,
//! each new delivery enqueued for processing in the same transaction (no dual write).
//!
//! On SQLite every statement is a round trip to the connection's worker thread, and each one
//! waits for that thread (and then this task) to be scheduled on a busy two-core machine. A
//! perf trace showed the worker idle for more than half of each transaction, so a batch is
//! written in as few statements as possible: all of its deliveries in one padded insert with
//! `BEGIN` in front, and its jobs in one insert with `COMMIT` behind.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row};

use super::{Durability, Params, SqlStore, WriteConnection, cached_statement, fixed_chunks};
use crate::rows::WEBHOOK_SUBJECT_PREFIX;
use crate::{Backend, DbResult, IngestOutcome, JobSpec, NewRejection, NewWebhookEvent};

const EVENT_COLUMNS: &str = "source, delivery_id, topic, event_id, shop_domain, api_version, \
     triggered_at, resource_key, received_at, verification, headers, body, synthetic";
const EVENT_COLUMN_COUNT: usize = 13;

/// Rows per event insert: 3,328 parameters, well inside both backends' limits, and the
/// configured default batch (`webhooks.batch_max`) in one statement.
const EVENT_CHUNK_MAX: usize = 256;
/// Event inserts are padded up to a multiple of this many rows by repeating the chunk's last
/// row, which the unique constraint then skips: 16 prepared statements serve every batch size,
/// at the cost of at most 15 repeated rows (a bind and an index probe each).
const EVENT_CHUNK_STEP: usize = 16;

/// Ids per job insert (padded to a power of two, see `enqueue_webhook_jobs`).
const JOB_CHUNK_MAX: usize = 256;

const JOB_COLUMNS: &str =
    "queue, kind, payload, subject, priority, max_attempts, run_at, created_at, updated_at";

const REJECTION_COLUMNS: &str =
    "source, cause, status_code, received_at, delivery_id, topic, body_len, body_sha256, detail";
const REJECTION_COLUMN_COUNT: usize = 9;

/// Where a transaction's `BEGIN` and `COMMIT` go. SQLite runs a script of several statements in
/// one call, so they ride on the first and last statements; Postgres's extended protocol takes
/// one statement per message, so there the caller's sqlx transaction frames the statements.
pub(super) struct Framing {
    begin: &'static str,
    commit: &'static str,
}

impl Framing {
    const INLINE: Framing = Framing {
        begin: "BEGIN IMMEDIATE; ",
        commit: "; COMMIT",
    };
    pub(super) const NONE: Framing = Framing {
        begin: "",
        commit: "",
    };

    /// The prefix for the next statement: `BEGIN` the first time, nothing after.
    fn open(&mut self) -> &'static str {
        std::mem::take(&mut self.begin)
    }

    /// The suffix for the last statement: `COMMIT`, once.
    fn close(&mut self) -> &'static str {
        std::mem::take(&mut self.commit)
    }

    /// Commits with a statement of its own if no statement carried the commit.
    async fn finish(mut self, conn: &mut AnyConnection) -> DbResult<()> {
        if self.commit.is_empty() {
            return Ok(());
        }
        let sql = format!("{}COMMIT", self.open());
        conn.execute(AssertSqlSafe(sql)).await?;
        Ok(())
    }
}

/// Chunk sizes for `n` event rows: `(rows, padded rows)` per statement.
fn event_chunks(mut n: usize) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    while n > 0 {
        let rows = n.min(EVENT_CHUNK_MAX);
        chunks.push((rows, rows.next_multiple_of(EVENT_CHUNK_STEP)));
        n -= rows;
    }
    chunks
}

impl SqlStore {
    pub(super) async fn ingest_batch(
        &self,
        events: &[NewWebhookEvent],
        rejections: &[NewRejection],
        job: &JobSpec,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>> {
        if events.is_empty() && rejections.is_empty() {
            write_free();
            return Ok(Vec::new());
        }
        // With the log synced separately, the commit itself need not wait for the disk; the
        // caller hears of it only once `commit_durable` has returned (see `wal_sync`).
        let commit_durability = match self.wal_sync {
            Some(_) => Durability::Relaxed,
            None => Durability::Full,
        };
        let mut conn = self.writer(commit_durability).await?;
        let outcomes = match self.backend {
            Backend::Postgres => {
                let mut tx = self.begin(&mut conn, commit_durability).await?;
                let outcomes = self
                    .ingest_statements(&mut tx, events, rejections, job, Framing::NONE)
                    .await?;
                tx.commit().await?;
                outcomes
            }
            Backend::Sqlite => {
                let mut inline = InlineTransaction::open(&mut conn);
                let written = self
                    .ingest_statements(inline.conn, events, rejections, job, Framing::INLINE)
                    .await;
                if written.is_err() {
                    roll_back(inline.conn).await;
                }
                inline.ended();
                written?
            }
        };
        // Hand the write connection to the next batch before waiting for the disk.
        drop(conn);
        write_free();
        if let Some(wal) = &self.wal_sync {
            wal.commit_durable().await?;
        }
        Ok(outcomes)
    }

    /// The transaction's statements, framed by `framing`.
    async fn ingest_statements(
        &self,
        conn: &mut AnyConnection,
        events: &[NewWebhookEvent],
        rejections: &[NewRejection],
        job: &JobSpec,
        mut framing: Framing,
    ) -> DbResult<Vec<IngestOutcome>> {
        // Rows the unique constraint let in: (source, delivery id, id).
        let mut returned: Vec<(String, String, i64)> = Vec::with_capacity(events.len());
        let mut offset = 0;
        for (rows, padded) in event_chunks(events.len()) {
            let chunk = &events[offset..offset + rows];
            offset += rows;
            let insert = cached_statement("ingest webhook_events", self.backend, padded, || {
                format!(
                    "INSERT INTO webhook_events ({EVENT_COLUMNS}) VALUES {} \
                     ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id, source, delivery_id",
                    Params::new(self.backend).rows(padded, EVENT_COLUMN_COUNT)
                )
            });
            let sql = format!("{}{insert}", framing.open());
            let mut query = sqlx::query::<Any>(AssertSqlSafe(sql));
            for i in 0..padded {
                let e = &chunk[i.min(rows - 1)];
                query = query
                    .bind(&e.source)
                    .bind(&e.delivery_id)
                    .bind(&e.topic)
                    .bind(&e.event_id)
                    .bind(&e.shop_domain)
                    .bind(&e.api_version)
                    .bind(e.triggered_at)
                    .bind(&e.resource_key)
                    .bind(e.received_at)
                    .bind(&e.verification)
                    .bind(&e.headers_json)
                    .bind(&e.body)
                    .bind(i64::from(e.synthetic));
            }
            for row in query.fetch_all(&mut *conn).await? {
                returned.push((row.try_get(1)?, row.try_get(2)?, row.try_get(0)?));
            }
        }
        let mut inserted: HashMap<(&str, &str), i64> = (returned.iter())
            .map(|(source, delivery_id, id)| ((source.as_str(), delivery_id.as_str()), *id))
            .collect();

        // The first occurrence of an inserted key is accepted; any later one in the same batch,
        // and every key the constraint turned away, is a duplicate of the stored row.
        let mut outcomes = Vec::with_capacity(events.len());
        let mut new_ids = Vec::with_capacity(inserted.len());
        for e in events {
            match inserted.remove(&(e.source.as_str(), e.delivery_id.as_str())) {
                Some(id) => {
                    new_ids.push(id);
                    outcomes.push(IngestOutcome::Accepted { event_id: id });
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "UPDATE webhook_events SET duplicate_count = duplicate_count + 1 \
                         WHERE source = $1 AND delivery_id = $2 RETURNING id",
                    )
                    .bind(&e.source)
                    .bind(&e.delivery_id)
                    .fetch_one(&mut *conn)
                    .await?;
                    outcomes.push(IngestOutcome::Duplicate { event_id: id });
                }
            }
        }

        let mut offset = 0;
        for size in fixed_chunks(rejections.len()) {
            let chunk = &rejections[offset..offset + size];
            offset += size;
            let sql = format!(
                "{begin}INSERT INTO webhook_rejections ({REJECTION_COLUMNS}) VALUES {values}",
                begin = framing.open(),
                values = Params::new(self.backend).rows(size, REJECTION_COLUMN_COUNT)
            );
            let mut query = sqlx::query::<Any>(AssertSqlSafe(sql));
            for r in chunk {
                query = query
                    .bind(&r.source)
                    .bind(&r.cause)
                    .bind(i32::from(r.status_code))
                    .bind(r.received_at)
                    .bind(&r.delivery_id)
                    .bind(&r.topic)
                    .bind(r.body_len)
                    .bind(&r.body_sha256)
                    .bind(&r.detail);
            }
            query.execute(&mut *conn).await?;
        }

        let now = events.first().map(|e| e.received_at).unwrap_or_default();
        self.enqueue_webhook_jobs(conn, &new_ids, job, now, &mut framing)
            .await?;
        framing.finish(conn).await?;
        Ok(outcomes)
    }
}

/// A transaction begun and committed by the statements themselves (`Framing::INLINE`), which no
/// sqlx `Transaction` rolls back if the future is dropped half-way (a writer task aborted at
/// shutdown): then the kept write connection would stay inside it and every later write fail.
/// Unless told the transaction ended, dropping this discards the connection instead (closing it
/// rolls back).
struct InlineTransaction<'c, 'a> {
    conn: &'c mut WriteConnection<'a>,
    ended: bool,
}

impl<'c, 'a> InlineTransaction<'c, 'a> {
    fn open(conn: &'c mut WriteConnection<'a>) -> Self {
        Self { conn, ended: false }
    }

    /// Committed, or rolled back (or the connection discarded) after a failure.
    fn ended(&mut self) {
        self.ended = true;
    }
}

impl Drop for InlineTransaction<'_, '_> {
    fn drop(&mut self) {
        if !self.ended {
            self.conn.discard();
        }
    }
}

/// Ends a failed SQLite ingest transaction (a failed statement leaves it open). If even that
/// fails, the connection is discarded rather than handed to the next writer in an unknown state.
async fn roll_back(conn: &mut WriteConnection<'_>) {
    if let Err(error) = conn.execute("ROLLBACK").await {
        // "no transaction is active": BEGIN itself failed, or COMMIT had already ended it.
        if !error.to_string().contains("no transaction is active") {
            tracing::warn!(error = %error, "ROLLBACK after a failed ingest failed; closing the write connection");
            conn.discard();
        }
    }
}

impl SqlStore {
    /// Queues one job per stored webhook event, built in SQL from the event ids: one statement
    /// per 256 events, its id list padded to a power of two (a repeated id matches nothing new)
    /// so nine prepared statements serve every batch size. The last statement carries the
    /// transaction's commit where `framing` puts it there. The subject is `webhook_subject(id)`,
    /// which the job runner parses; the payload says the same for people reading the table.
    pub(super) async fn enqueue_webhook_jobs(
        &self,
        conn: &mut AnyConnection,
        ids: &[i64],
        job: &JobSpec,
        now: i64,
        framing: &mut Framing,
    ) -> DbResult<()> {
        let chunks = ids.len().div_ceil(JOB_CHUNK_MAX);
        for (i, chunk) in ids.chunks(JOB_CHUNK_MAX).enumerate() {
            let padded = chunk.len().next_power_of_two();
            let insert = cached_statement("enqueue webhook jobs", self.backend, padded, || {
                let mut p = Params::new(self.backend);
                format!(
                    "INSERT INTO jobs ({JOB_COLUMNS}) \
                     SELECT {queue}, {kind}, '{{\"event_id\":' || id || '}}', '{WEBHOOK_SUBJECT_PREFIX}' || id, \
                     {priority}, {max_attempts}, {run_at}, {created_at}, {updated_at} \
                     FROM webhook_events WHERE id IN ({ids})",
                    queue = p.next(),
                    kind = p.next(),
                    priority = p.next(),
                    max_attempts = p.next(),
                    run_at = p.next(),
                    created_at = p.next(),
                    updated_at = p.next(),
                    ids = p.list(padded),
                )
            });
            let commit = if i + 1 == chunks { framing.close() } else { "" };
            let sql = format!("{}{insert}{commit}", framing.open());
            let mut query = sqlx::query::<Any>(AssertSqlSafe(sql))
                .bind(&job.queue)
                .bind(&job.kind)
                .bind(job.priority)
                .bind(job.max_attempts)
                .bind(now)
                .bind(now)
                .bind(now);
            for i in 0..padded {
                query = query.bind(chunk[i.min(chunk.len() - 1)]);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
