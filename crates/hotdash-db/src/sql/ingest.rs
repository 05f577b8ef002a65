//! The ingest transaction: a batch of deliveries and rejections stored in one durable commit,
//! each new delivery enqueued for processing in the same transaction (no dual write).
//!
//! On SQLite the transaction runs on a connection of its own (`sqlite_ingest`), its log fsync
//! pipelined behind the commit (`wal_sync`). On Postgres it is a few multi-row statements
//! through sqlx: every statement is a network round trip there, so a batch's deliveries go in
//! one padded insert and its jobs in another.

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AssertSqlSafe, Row};

use super::sqlite_ingest::Batch;
use super::{Durability, Params, SqlStore, cached_statement, fixed_chunks};
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

/// Ids per job insert (padded to a power of two, see `job_chunks`).
const JOB_CHUNK_MAX: usize = 256;

const JOB_COLUMNS: &str =
    "queue, kind, payload, subject, priority, max_attempts, run_at, created_at, updated_at";

const REJECTION_COLUMNS: &str =
    "source, cause, status_code, received_at, delivery_id, topic, body_len, body_sha256, detail";
const REJECTION_COLUMN_COUNT: usize = 9;

/// Chunk sizes for `n` event rows: `(rows, padded rows)` per statement.
pub(super) fn event_chunks(mut n: usize) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    while n > 0 {
        let rows = n.min(EVENT_CHUNK_MAX);
        chunks.push((rows, rows.next_multiple_of(EVENT_CHUNK_STEP)));
        n -= rows;
    }
    chunks
}

/// The insert of `padded` event rows (columns in `EVENT_COLUMNS` order), returning
/// `id, source, delivery_id` of each row the unique constraint let in.
pub(super) fn insert_events_sql(backend: Backend, padded: usize) -> String {
    cached_statement("ingest webhook_events", backend, padded, || {
        format!(
            "INSERT INTO webhook_events ({EVENT_COLUMNS}) VALUES {} \
             ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id, source, delivery_id",
            Params::new(backend).rows(padded, EVENT_COLUMN_COUNT)
        )
    })
}

/// The insert of one job per webhook event among `padded` ids, built in SQL from the event
/// rows. Parameters: queue, kind, priority, max_attempts, run_at, created_at, updated_at, then
/// the ids (padded by repeating one: a repeated id matches nothing new).
pub(super) fn enqueue_jobs_sql(backend: Backend, padded: usize) -> String {
    cached_statement("enqueue webhook jobs", backend, padded, || {
        let mut p = Params::new(backend);
        format!(
            "INSERT INTO jobs ({JOB_COLUMNS}) \
             SELECT {queue}, {kind}, {job_columns}, \
             {priority}, {max_attempts}, {run_at}, {created_at}, {updated_at} \
             FROM webhook_events WHERE id IN ({ids})",
            queue = p.next(),
            kind = p.next(),
            // The payload says `{"event_id":<id>}` for people reading the table; the subject
            // is `webhook_subject(id)`, which the job runner parses.
            job_columns =
                format_args!("'{{\"event_id\":' || id || '}}', '{WEBHOOK_SUBJECT_PREFIX}' || id"),
            priority = p.next(),
            max_attempts = p.next(),
            run_at = p.next(),
            created_at = p.next(),
            updated_at = p.next(),
            ids = p.list(padded),
        )
    })
}

/// Job inserts for `ids`: `(chunk, padded length)` per statement, padded to a power of two so
/// nine prepared statements serve every batch size.
pub(super) fn job_chunks(ids: &[i64]) -> impl Iterator<Item = (&[i64], usize)> {
    (ids.chunks(JOB_CHUNK_MAX)).map(|chunk| (chunk, chunk.len().next_power_of_two()))
}

/// Which events of a batch were stored: the id for the first occurrence of each key the
/// insert returned (`returned`: source, delivery id, id), `None` for a duplicate (a later
/// occurrence in the batch, or a key the constraint turned away), to be counted on its row.
pub(super) fn stored_ids(
    events: &[NewWebhookEvent],
    returned: &[(String, String, i64)],
) -> Vec<Option<i64>> {
    let mut inserted: HashMap<(&str, &str), i64> = (returned.iter())
        .map(|(source, delivery_id, id)| ((source.as_str(), delivery_id.as_str()), *id))
        .collect();
    (events.iter())
        .map(|e| inserted.remove(&(e.source.as_str(), e.delivery_id.as_str())))
        .collect()
}

/// The insert of `rows` rejections (columns in `REJECTION_COLUMNS` order).
pub(super) fn insert_rejections_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO webhook_rejections ({REJECTION_COLUMNS}) VALUES {}",
        Params::new(backend).rows(rows, REJECTION_COLUMN_COUNT)
    )
}

/// Counts a duplicate delivery on its stored row and returns the row's id.
pub(super) const COUNT_DUPLICATE: &str = "UPDATE webhook_events \
     SET duplicate_count = duplicate_count + 1 WHERE source = $1 AND delivery_id = $2 RETURNING id";

impl SqlStore {
    pub(super) async fn ingest_batch(
        &self,
        events: Vec<NewWebhookEvent>,
        rejections: Vec<NewRejection>,
        job: &JobSpec,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>> {
        if events.is_empty() && rejections.is_empty() {
            write_free();
            return Ok(Vec::new());
        }
        if let Some(ingest) = &self.sqlite_ingest {
            let write_lock = self.sqlite_write_lock().await?;
            let batch = Batch {
                events,
                rejections,
                job: job.clone(),
            };
            return ingest.ingest(batch, write_lock, write_free).await;
        }
        let mut conn = self.writer(Durability::Full).await?;
        let mut tx = self.begin(&mut conn, Durability::Full).await?;
        let outcomes = self
            .ingest_statements(&mut tx, &events, &rejections, job)
            .await?;
        tx.commit().await?;
        drop(conn);
        write_free();
        Ok(outcomes)
    }

    /// The transaction's statements (sqlx's, on Postgres).
    async fn ingest_statements(
        &self,
        conn: &mut AnyConnection,
        events: &[NewWebhookEvent],
        rejections: &[NewRejection],
        job: &JobSpec,
    ) -> DbResult<Vec<IngestOutcome>> {
        // Rows the unique constraint let in: (source, delivery id, id).
        let mut returned: Vec<(String, String, i64)> = Vec::with_capacity(events.len());
        let mut offset = 0;
        for (rows, padded) in event_chunks(events.len()) {
            let chunk = &events[offset..offset + rows];
            offset += rows;
            let mut query =
                sqlx::query::<Any>(AssertSqlSafe(insert_events_sql(self.backend, padded)));
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

        let mut outcomes = Vec::with_capacity(events.len());
        let mut new_ids = Vec::with_capacity(returned.len());
        for (e, stored) in events.iter().zip(stored_ids(events, &returned)) {
            outcomes.push(match stored {
                Some(id) => {
                    new_ids.push(id);
                    IngestOutcome::Accepted { event_id: id }
                }
                None => IngestOutcome::Duplicate {
                    event_id: sqlx::query_scalar(COUNT_DUPLICATE)
                        .bind(&e.source)
                        .bind(&e.delivery_id)
                        .fetch_one(&mut *conn)
                        .await?,
                },
            });
        }

        let mut offset = 0;
        for size in fixed_chunks(rejections.len()) {
            let chunk = &rejections[offset..offset + size];
            offset += size;
            let sql = insert_rejections_sql(self.backend, size);
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
        self.enqueue_webhook_jobs(conn, &new_ids, job, now).await?;
        Ok(outcomes)
    }
}

impl SqlStore {
    /// Queues one job per stored webhook event (see `enqueue_jobs_sql`).
    pub(super) async fn enqueue_webhook_jobs(
        &self,
        conn: &mut AnyConnection,
        ids: &[i64],
        job: &JobSpec,
        now: i64,
    ) -> DbResult<()> {
        for (chunk, padded) in job_chunks(ids) {
            let sql = enqueue_jobs_sql(self.backend, padded);
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
