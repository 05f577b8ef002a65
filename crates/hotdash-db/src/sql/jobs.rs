//! The job queue: claim with a lease, complete atomically with a job's effects, fail into retry
//! or the dead-letter state, and replay stored deliveries.
//!
//! A claim increments `attempts`, so a job reclaimed after its worker died has used an attempt
//! (and the lost attempt is recorded). Completion and failure check the claim (`locked_by` plus
//! `attempts`) so a worker that lost its lease cannot finish a job another worker now holds.

use std::collections::HashMap;

use sqlx::{Any, AssertSqlSafe, Row};

use super::filter::Where;
use super::{Durability, SqlStore, in_list};
use crate::{
    ClaimedJob, Completion, DbResult, FailureOutcome, JobSpec, QueueStats, WebhookFilter,
    parse_webhook_subject, webhook_subject,
};

impl SqlStore {
    pub(super) async fn claim(
        &self,
        queue: &str,
        worker: &str,
        limit: i64,
        lease_ms: i64,
        now: i64,
    ) -> DbResult<Vec<ClaimedJob>> {
        let mut conn = self.writer(Durability::Relaxed).await?;
        let mut tx = self.begin(&mut conn, Durability::Relaxed).await?;
        let select = format!(
            "SELECT id, status, attempts, subject FROM jobs WHERE queue = $1 \
             AND ((status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2)) \
             ORDER BY priority, run_at, id LIMIT $3{}",
            self.skip_locked()
        );
        let candidates = sqlx::query::<Any>(AssertSqlSafe(select))
            .bind(queue)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        if candidates.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }

        let mut ids = Vec::with_capacity(candidates.len());
        for row in &candidates {
            let id: i64 = row.try_get("id")?;
            ids.push(id);
            let status: String = row.try_get("status")?;
            if status == "running" {
                // The previous holder's lease ran out: it crashed or stalled. Keep the attempt.
                sqlx::query(
                    "INSERT INTO job_attempts (job_id, subject, attempt, outcome, error, finished_at) \
                     VALUES ($1, $2, $3, 'lease_expired', 'lease expired before the job finished', $4)",
                )
                .bind(id)
                .bind(row.try_get::<Option<String>, _>("subject")?)
                .bind(row.try_get::<i32, _>("attempts")?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }

        let update = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, \
             locked_until = $2, updated_at = $3 WHERE id IN ({}) \
             RETURNING id, kind, payload, subject, attempts, max_attempts",
            in_list(4, ids.len())
        );
        let mut query = sqlx::query::<Any>(AssertSqlSafe(update))
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now);
        for id in &ids {
            query = query.bind(*id);
        }
        let mut claimed = Vec::with_capacity(ids.len());
        for row in query.fetch_all(&mut *tx).await? {
            claimed.push(ClaimedJob {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                payload: row.try_get("payload")?,
                subject: row.try_get("subject")?,
                attempt: row.try_get("attempts")?,
                max_attempts: row.try_get("max_attempts")?,
                locked_by: worker.to_owned(),
            });
        }
        tx.commit().await?;
        // RETURNING order is unspecified; keep the queue's order.
        let rank: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        claimed.sort_by_key(|job| rank[&job.id]);
        Ok(claimed)
    }

    pub(super) async fn complete(
        &self,
        completions: &[Completion],
        now: i64,
    ) -> DbResult<Vec<i64>> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.writer(Durability::Relaxed).await?;
        let mut tx = self.begin(&mut conn, Durability::Relaxed).await?;

        let select = format!(
            "SELECT id, locked_by, attempts FROM jobs WHERE status = 'running' AND id IN ({}){}",
            in_list(1, completions.len()),
            self.for_update()
        );
        let mut query = sqlx::query::<Any>(AssertSqlSafe(select));
        for c in completions {
            query = query.bind(c.job.id);
        }
        let mut holders: HashMap<i64, (String, i32)> = HashMap::new();
        for row in query.fetch_all(&mut *tx).await? {
            holders.insert(
                row.try_get("id")?,
                (row.try_get("locked_by")?, row.try_get("attempts")?),
            );
        }

        let mut lost = Vec::new();
        for c in completions {
            let holds = holders
                .get(&c.job.id)
                .is_some_and(|(by, attempts)| *by == c.job.locked_by && *attempts == c.job.attempt);
            if !holds {
                lost.push(c.job.id);
                continue;
            }
            self.apply_effects(&mut tx, &c.effects, c.webhook_event_id, now)
                .await?;
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(c.job.id)
                .execute(&mut *tx)
                .await?;
            if let Some(event_id) = c.webhook_event_id {
                sqlx::query(
                    "UPDATE webhook_events SET status = $1, attempts = $2, processed_at = $3, \
                     last_error = NULL WHERE id = $4",
                )
                .bind(c.status.as_str())
                .bind(c.job.attempt)
                .bind(now)
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(lost)
    }

    pub(super) async fn fail(
        &self,
        job: &ClaimedJob,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> DbResult<FailureOutcome> {
        let dead = retry_at.is_none() || job.attempt >= job.max_attempts;
        let (status, run_at) = match retry_at {
            Some(at) if !dead => ("pending", at),
            _ => ("dead", now),
        };
        let mut conn = self.writer(Durability::Full).await?;
        let mut tx = self.begin(&mut conn, Durability::Full).await?;
        let updated = sqlx::query(
            "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, \
             locked_until = NULL, updated_at = $4 \
             WHERE id = $5 AND status = 'running' AND locked_by = $6 AND attempts = $7",
        )
        .bind(status)
        .bind(run_at)
        .bind(error)
        .bind(now)
        .bind(job.id)
        .bind(&job.locked_by)
        .bind(job.attempt)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(FailureOutcome::LostClaim);
        }
        sqlx::query(
            "INSERT INTO job_attempts (job_id, subject, attempt, outcome, error, finished_at) \
             VALUES ($1, $2, $3, 'failed', $4, $5)",
        )
        .bind(job.id)
        .bind(&job.subject)
        .bind(job.attempt)
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(event_id) = job.subject.as_deref().and_then(parse_webhook_subject) {
            sqlx::query("UPDATE webhook_events SET status = $1, attempts = $2, last_error = $3 WHERE id = $4")
                .bind(if dead { "dead" } else { "failed" })
                .bind(job.attempt)
                .bind(error)
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(if dead {
            FailureOutcome::DeadLettered
        } else {
            FailureOutcome::Retrying { run_at }
        })
    }

    pub(super) async fn replay(
        &self,
        filter: &WebhookFilter,
        job: &JobSpec,
        now: i64,
    ) -> DbResult<u64> {
        let mut conn = self.writer(Durability::Full).await?;
        let mut tx = self.begin(&mut conn, Durability::Full).await?;
        let mut cond = Where::starting_at(1);
        cond.webhook_filter(filter, "e.");
        let limit = filter
            .limit
            .map(|n| format!(" LIMIT {n}"))
            .unwrap_or_default();
        let select = format!(
            "SELECT e.id FROM webhook_events e WHERE {} AND NOT EXISTS (SELECT 1 FROM jobs j \
             WHERE j.subject = 'webhook_event:' || e.id AND j.status IN ('pending', 'running')) \
             ORDER BY e.id{limit}",
            cond.sql()
        );
        let ids: Vec<i64> = cond
            .bind_all_scalar(sqlx::query_scalar::<Any, i64>(AssertSqlSafe(select)))
            .fetch_all(&mut *tx)
            .await?;

        for chunk in ids.chunks(64) {
            let subjects: Vec<String> = chunk.iter().map(|id| webhook_subject(*id)).collect();
            // A replayed dead letter is resolved by its new job; its attempts stay recorded.
            let delete = format!(
                "DELETE FROM jobs WHERE status = 'dead' AND subject IN ({})",
                in_list(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(AssertSqlSafe(delete));
            for subject in &subjects {
                query = query.bind(subject);
            }
            query.execute(&mut *tx).await?;

            self.enqueue_webhook_jobs(&mut tx, chunk, job, now).await?;

            let update = format!(
                "UPDATE webhook_events SET status = 'pending' WHERE id IN ({})",
                in_list(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(AssertSqlSafe(update));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    pub(super) async fn stats(&self, queue: &str, now: i64) -> DbResult<QueueStats> {
        let row = sqlx::query(
            "SELECT COUNT(CASE WHEN status IN ('pending', 'running') THEN 1 END) AS depth, \
             MIN(CASE WHEN status IN ('pending', 'running') AND run_at <= $2 THEN created_at END) AS oldest, \
             COUNT(CASE WHEN status = 'dead' THEN 1 END) AS dead \
             FROM jobs WHERE queue = $1",
        )
        .bind(queue)
        .bind(now)
        .fetch_one(&self.read)
        .await?;
        Ok(QueueStats {
            depth: row.try_get("depth")?,
            oldest_pending_age_ms: row.try_get::<Option<i64>, _>("oldest")?.map(|t| now - t),
            dead_letters: row.try_get("dead")?,
        })
    }
}
