//! Sync bookkeeping: stream cursors (moved in the same transaction as the page's rows, so a
//! crash resumes exactly after the last stored page), run records, connector findings,
//! reconcile passes, and canonical table dumps for parity checks.

use sqlx::{Any, AssertSqlSafe};

use super::{Durability, Params, SqlStore};
use crate::rows::{
    CursorUpdate, FindingRow, ReconcilePassRow, ReconcileTable, SyncCursorRow, SyncRunEnd,
    SyncRunRow,
};
use crate::{DbError, DbResult, Effect};

/// Columns `dump_table` leaves out: bookkeeping, not data the vendor holds.
const NOT_DUMPED: &[&str] = &["source_event_id", "fetched_at"];

/// The key a reconcile pass gives a row (as webhook `resource_key`s name resources).
fn reconcile_key(table: ReconcileTable) -> (&'static str, &'static str) {
    match table {
        ReconcileTable::Orders => ("shopify_orders", "gid"),
        ReconcileTable::Products => ("shopify_products", "gid"),
        ReconcileTable::InventoryLevels => (
            "shopify_inventory_levels",
            "inventory_item_gid || '@' || location_gid",
        ),
        ReconcileTable::FulfillmentOrders => ("shopify_fulfillment_orders", "gid"),
        ReconcileTable::Conversations => (
            "chatwoot_conversations",
            "CAST(account_id AS TEXT) || ':' || CAST(id AS TEXT)",
        ),
    }
}

impl SqlStore {
    pub(super) async fn read_sync_cursor(
        &self,
        connector: &str,
        stream: &str,
    ) -> DbResult<Option<SyncCursorRow>> {
        Ok(sqlx::query_as::<Any, SyncCursorRow>(
            "SELECT connector, stream, page_cursor, resume, full_pass, updated_at FROM sync_cursors \
             WHERE connector = $1 AND stream = $2",
        )
        .bind(connector)
        .bind(stream)
        .fetch_optional(&self.read)
        .await?)
    }

    pub(super) async fn write_sync_page(
        &self,
        connector: &str,
        stream: &str,
        effects: &[Effect],
        cursor: &CursorUpdate,
        now: i64,
    ) -> DbResult<()> {
        // Relaxed: a power cut can only roll back the newest pages *with* their cursor (one
        // transaction), and the vendor still holds them: the next pass fetches them again.
        let mut conn = self.writer(Durability::Relaxed).await?;
        let mut tx = self.begin(&mut conn, Durability::Relaxed).await?;
        self.apply_effects(&mut tx, effects, None, now).await?;
        let (page_cursor, resume_sql, full) = match cursor {
            CursorUpdate::Continue {
                page_cursor,
                full_pass,
            } => (Some(page_cursor.as_str()), None, *full_pass),
            CursorUpdate::Finish { resume } => (None, Some(resume.as_deref()), false),
        };
        match resume_sql {
            // A page inside a pass: keep the last finished pass's resume point.
            None => {
                sqlx::query(
                    "INSERT INTO sync_cursors (connector, stream, page_cursor, resume, full_pass, updated_at) \
                     VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (connector, stream) DO UPDATE SET \
                     page_cursor = excluded.page_cursor, full_pass = excluded.full_pass, \
                     updated_at = excluded.updated_at",
                )
                .bind(connector)
                .bind(stream)
                .bind(page_cursor)
                .bind(i64::from(full))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Some(resume) => {
                sqlx::query(
                    "INSERT INTO sync_cursors (connector, stream, page_cursor, resume, full_pass, updated_at) \
                     VALUES ($1, $2, NULL, $3, 0, $4) ON CONFLICT (connector, stream) DO UPDATE SET \
                     page_cursor = NULL, resume = excluded.resume, full_pass = 0, \
                     updated_at = excluded.updated_at",
                )
                .bind(connector)
                .bind(stream)
                .bind(resume)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn insert_sync_run(
        &self,
        connector: &str,
        stream: &str,
        full: bool,
        now: i64,
    ) -> DbResult<i64> {
        let mut conn = self.writer(Durability::Relaxed).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sync_runs (connector, stream, full_pass, started_at, status) \
             VALUES ($1, $2, $3, $4, 'running') RETURNING id",
        )
        .bind(connector)
        .bind(stream)
        .bind(i64::from(full))
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        Ok(id)
    }

    pub(super) async fn update_sync_run(
        &self,
        id: i64,
        end: &SyncRunEnd,
        now: i64,
    ) -> DbResult<()> {
        let mut conn = self.writer(Durability::Relaxed).await?;
        sqlx::query(
            "UPDATE sync_runs SET finished_at = $1, status = $2, items = $3, pages = $4, \
             retries = $5, rate_wait_ms = $6, error = $7 WHERE id = $8",
        )
        .bind(now)
        .bind(&end.status)
        .bind(end.items)
        .bind(end.pages)
        .bind(end.retries)
        .bind(end.rate_wait_ms)
        .bind(&end.error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(super) async fn read_sync_runs(
        &self,
        connector: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<SyncRunRow>> {
        Ok(sqlx::query_as::<Any, SyncRunRow>(
            "SELECT id, connector, stream, full_pass, started_at, finished_at, status, items, pages, \
             retries, rate_wait_ms, error FROM sync_runs WHERE ($1 IS NULL OR connector = $1) \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(connector)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    pub(super) async fn upsert_finding(
        &self,
        connector: &str,
        kind: &str,
        subject: &str,
        message: &str,
        now: i64,
    ) -> DbResult<()> {
        let mut conn = self.writer(Durability::Relaxed).await?;
        sqlx::query(
            "INSERT INTO connector_findings (connector, kind, subject, message, first_seen_at, \
             last_seen_at, count) VALUES ($1, $2, $3, $4, $5, $5, 1) \
             ON CONFLICT (connector, kind, subject) DO UPDATE SET message = excluded.message, \
             last_seen_at = excluded.last_seen_at, count = connector_findings.count + 1",
        )
        .bind(connector)
        .bind(kind)
        .bind(subject)
        .bind(message)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(super) async fn read_findings(&self, connector: Option<&str>) -> DbResult<Vec<FindingRow>> {
        Ok(sqlx::query_as::<Any, FindingRow>(
            "SELECT connector, kind, subject, message, first_seen_at, last_seen_at, count \
             FROM connector_findings WHERE ($1 IS NULL OR connector = $1) \
             ORDER BY connector, kind, subject",
        )
        .bind(connector)
        .fetch_all(&self.read)
        .await?)
    }

    /// Compares `table`'s changes since the previous pass with what webhooks delivered, records
    /// the pass, and stores one synthetic, already-processed event per missed change (the sync
    /// pass has applied the change itself). The window ends `grace_ms` before the newest
    /// change, so deliveries still in flight are not counted as lost; the first pass for a
    /// table only sets the baseline.
    pub(super) async fn run_reconcile(
        &self,
        connector: &str,
        table: ReconcileTable,
        grace_ms: i64,
        now: i64,
    ) -> DbResult<ReconcilePassRow> {
        let (name, key) = reconcile_key(table);
        let mut conn = self.writer(Durability::Full).await?;
        let mut tx = self.begin(&mut conn, Durability::Full).await?;
        let previous: Option<i64> = sqlx::query_scalar(
            "SELECT window_to FROM reconcile_passes WHERE connector = $1 AND table_name = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(connector)
        .bind(table.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let newest: Option<i64> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT MAX(updated_at) FROM {name}")))
                .fetch_one(&mut *tx)
                .await?;
        let candidate = newest.map_or(0, |n| n + 1 - grace_ms);
        let (from, to) = match previous {
            Some(prev) => (prev, candidate.max(prev)),
            None => (candidate, candidate),
        };
        let missed_filter = "updated_at >= $1 AND updated_at < $2 \
             AND (webhook_updated_at IS NULL OR webhook_updated_at < updated_at)";
        let changes: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {name} WHERE updated_at >= $1 AND updated_at < $2"
        )))
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        let missed: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {name} WHERE {missed_filter}"
        )))
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        if missed > 0 {
            let mut p = Params::new(self.backend);
            // Positional order matters on SQLite (anonymous `?`): bind in textual order.
            let (p_source, p_topic, p_received, p_body, p_processed, p_from, p_to) = (
                p.next(),
                p.next(),
                p.next(),
                p.next(),
                p.next(),
                p.next(),
                p.next(),
            );
            let sql = format!(
                "INSERT INTO webhook_events (source, delivery_id, topic, resource_key, received_at, \
                 verification, headers, body, synthetic, status, processed_at) \
                 SELECT {p_source}, 'reconcile:' || {key} || ':' || CAST(updated_at AS TEXT), {p_topic}, \
                 {key}, {p_received}, 'synthetic', '{{}}', {p_body}, 1, 'processed', {p_processed} \
                 FROM {name} WHERE updated_at >= {p_from} AND updated_at < {p_to} \
                 AND (webhook_updated_at IS NULL OR webhook_updated_at < updated_at) \
                 ON CONFLICT (source, delivery_id) DO NOTHING"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(table.source())
                .bind(table.topic())
                .bind(now)
                .bind(br#"{"synthetic":true,"reason":"reconcile"}"#.to_vec())
                .bind(now)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reconcile_passes (connector, table_name, window_from, window_to, changes, \
             missed, ran_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(connector)
        .bind(table.as_str())
        .bind(from)
        .bind(to)
        .bind(changes)
        .bind(missed)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ReconcilePassRow {
            id,
            connector: connector.to_owned(),
            table_name: table.as_str().to_owned(),
            window_from: from,
            window_to: to,
            changes,
            missed,
            ran_at: now,
        })
    }

    pub(super) async fn read_reconcile_passes(
        &self,
        connector: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<ReconcilePassRow>> {
        Ok(sqlx::query_as::<Any, ReconcilePassRow>(
            "SELECT id, connector, table_name, window_from, window_to, changes, missed, ran_at \
             FROM reconcile_passes WHERE ($1 IS NULL OR connector = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(connector)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    pub(super) async fn read_table_dump(&self, table: &str) -> DbResult<Vec<String>> {
        let Some(spec) = super::effects::SPECS.iter().find(|s| s.table == table) else {
            return Err(DbError::NotFound);
        };
        let name = spec.table;
        let order = spec.columns[..spec.key_len].join(", ");
        let expr = spec
            .columns
            .iter()
            .filter(|c| !NOT_DUMPED.contains(c))
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '~')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows = sqlx::query_scalar::<Any, String>(AssertSqlSafe(format!(
            "SELECT {expr} FROM {name} ORDER BY {order}"
        )))
        .fetch_all(&self.read)
        .await?;
        // Postgres orders text by its locale's collation, SQLite bytewise: sort here so both
        // backends give the same dump.
        rows.sort_unstable();
        Ok(rows)
    }
}
