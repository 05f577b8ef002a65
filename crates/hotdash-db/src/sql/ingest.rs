//! The ingest transaction: a batch of deliveries and rejections stored in one durable commit,
//! each new delivery enqueued for processing in the same transaction (no dual write).

use std::collections::HashMap;

use sqlx::{Any, AnyConnection, AssertSqlSafe, Row};

use super::{Durability, Params, SqlStore, fixed_chunks};
use crate::rows::WEBHOOK_SUBJECT_PREFIX;
use crate::{DbResult, IngestOutcome, JobSpec, NewRejection, NewWebhookEvent};

const EVENT_COLUMNS: &str = "source, delivery_id, topic, event_id, shop_domain, api_version, \
     triggered_at, resource_key, received_at, verification, headers, body, synthetic";
const EVENT_COLUMN_COUNT: usize = 13;

const JOB_COLUMNS: &str =
    "queue, kind, payload, subject, priority, max_attempts, run_at, created_at, updated_at";

const REJECTION_COLUMNS: &str =
    "source, cause, status_code, received_at, delivery_id, topic, body_len, body_sha256, detail";
const REJECTION_COLUMN_COUNT: usize = 9;

impl SqlStore {
    pub(super) async fn ingest_batch(
        &self,
        events: &[NewWebhookEvent],
        rejections: &[NewRejection],
        job: &JobSpec,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>> {
        // With the log synced separately, the commit itself need not wait for the disk; the
        // caller hears of it only once `commit_durable` has returned (see `wal_sync`).
        let commit_durability = match self.wal_sync {
            Some(_) => Durability::Relaxed,
            None => Durability::Full,
        };
        let mut conn = self.writer(commit_durability).await?;
        let mut tx = self.begin(&mut conn, commit_durability).await?;

        // Rows the unique constraint let in, by (source, delivery id).
        let mut inserted: HashMap<(String, String), i64> = HashMap::with_capacity(events.len());
        let mut offset = 0;
        for size in fixed_chunks(events.len()) {
            let chunk = &events[offset..offset + size];
            offset += size;
            let sql = format!(
                "INSERT INTO webhook_events ({EVENT_COLUMNS}) VALUES {} \
                 ON CONFLICT (source, delivery_id) DO NOTHING RETURNING id, source, delivery_id",
                Params::new(self.backend).rows(size, EVENT_COLUMN_COUNT)
            );
            let mut query = sqlx::query::<Any>(AssertSqlSafe(sql));
            for e in chunk {
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
            for row in query.fetch_all(&mut *tx).await? {
                inserted.insert(
                    (row.try_get("source")?, row.try_get("delivery_id")?),
                    row.try_get("id")?,
                );
            }
        }

        // The first occurrence of an inserted key is accepted; any later one in the same batch,
        // and every key the constraint turned away, is a duplicate of the stored row.
        let mut outcomes = Vec::with_capacity(events.len());
        let mut new_ids = Vec::with_capacity(inserted.len());
        for e in events {
            let key = (e.source.clone(), e.delivery_id.clone());
            match inserted.remove(&key) {
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
                    .fetch_one(&mut *tx)
                    .await?;
                    outcomes.push(IngestOutcome::Duplicate { event_id: id });
                }
            }
        }

        let now = events.first().map(|e| e.received_at).unwrap_or_default();
        self.enqueue_webhook_jobs(&mut tx, &new_ids, job, now)
            .await?;

        let mut offset = 0;
        for size in fixed_chunks(rejections.len()) {
            let chunk = &rejections[offset..offset + size];
            offset += size;
            let sql = format!(
                "INSERT INTO webhook_rejections ({REJECTION_COLUMNS}) VALUES {}",
                Params::new(self.backend).rows(size, REJECTION_COLUMN_COUNT)
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
            query.execute(&mut *tx).await?;
        }

        tx.commit().await?;
        // Hand the write connection to the next batch before waiting for the disk.
        drop(conn);
        write_free();
        if let Some(wal) = &self.wal_sync {
            wal.commit_durable().await?;
        }
        Ok(outcomes)
    }
}

impl SqlStore {
    /// Queues one job per stored webhook event, built in SQL from the event ids: one statement
    /// per 64 events, its id list padded to a power of two (a repeated id matches nothing new) so
    /// seven prepared statements serve every batch size. The subject is `webhook_subject(id)`,
    /// which the job runner parses; the payload says the same for people reading the table.
    pub(super) async fn enqueue_webhook_jobs(
        &self,
        conn: &mut AnyConnection,
        ids: &[i64],
        job: &JobSpec,
        now: i64,
    ) -> DbResult<()> {
        for chunk in ids.chunks(64) {
            let padded = chunk.len().next_power_of_two();
            let mut p = Params::new(self.backend);
            let sql = format!(
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
            );
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
