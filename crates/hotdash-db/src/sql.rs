//! [`SqlStore`]: the [`Store`] implementation for SQLite and Postgres over sqlx's `Any` driver.
//!
//! One code path serves both backends; the SQL is portable except where a submodule says
//! otherwise, with one exception: SQLite's ingest transaction runs on a rusqlite connection of
//! its own (`sqlite_ingest`). On SQLite every write holds one lock (SQLite has one writer anyway,
//! and a queue of our own is fairer and faster than lock retries inside SQLite): sqlx's kept
//! write connection behind a mutex, which the ingest connection takes too; reads use a separate
//! pool. Durability is chosen per transaction: ingest is acknowledged only once
//! its commit is on disk (SQLite: the log fsynced right after the commit, see `wal_sync`;
//! Postgres: the default `synchronous_commit=on`), while job
//! completions, which can always be recomputed from the stored delivery, commit without waiting
//! for the flush.

mod checkpoint;
mod effects;
mod filter;
mod ingest;
mod jobs;
mod read;
mod sqlite_ingest;
mod sync;
mod upsert;
mod wal_sync;

pub use read::gold_reply_resource_key;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, AssertSqlSafe, Connection, Executor};

use crate::rows::{
    ConversationRow, CursorUpdate, Effect, FindingRow, FulfillmentOrderRow, FulfillmentRow,
    MessageRow, ReconcilePassRow, ReconcileTable, SyncCursorRow, SyncRunEnd, SyncRunRow,
};
use crate::{
    Backend, ClaimedJob, Completion, DbError, DbResult, FailureOutcome, GoldReplyRow,
    IngestOutcome, InventoryLevelRow, JobSpec, NewRejection, NewWebhookEvent, OrderRow, ProductRow,
    QueueStats, RejectionRow, Store, StoredDelivery, WebhookEventDetail, WebhookEventRow,
    WebhookFilter,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Pool settings.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Connections in the (read) pool. SQLite adds its writers (sqlx's write connection and the
    /// ingest connection) and a checkpointer.
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Storage on SQLite or Postgres. Cheap to share behind an `Arc`.
pub struct SqlStore {
    backend: Backend,
    /// Writes. On SQLite a pool of exactly one connection; on Postgres the same pool as `read`.
    write: AnyPool,
    /// SQLite: that one connection, checked out of `write` at the first write and kept, so that
    /// handing it from one transaction to the next is a mutex hand-off rather than sqlx's
    /// return-to-pool ping, a round trip to its worker thread (~0.5 ms of each ingest batch's
    /// 3.5 ms cycle on the 2-core bench machine). `None` until then. Its mutex is SQLite's
    /// write lock: `sqlite_ingest`'s connection writes only while holding it too.
    sqlite_writer: Arc<tokio::sync::Mutex<Option<PoolConnection<Any>>>>,
    /// SQLite: the ingest transaction's own connection and thread, and its pipelined log fsync
    /// (see `sqlite_ingest`, `wal_sync`). On Postgres ingest commits at full durability.
    sqlite_ingest: Option<sqlite_ingest::IngestWriter>,
    /// The `synchronous` level last set on SQLite's write connection, so a run of commits at one
    /// level costs no extra statement. It can only be stale towards safety: a reconnected
    /// connection starts at FULL (see `sqlite_pool`) whatever this says.
    sqlite_sync: std::sync::Mutex<Option<Durability>>,
    read: AnyPool,
    /// SQLite only: WAL checkpoints in the background (see `checkpoint`), stopped on drop.
    _checkpointer: Option<checkpoint::Checkpointer>,
}

/// Opens `url` (`sqlite://…` or `postgres://…`). Does not migrate: call [`Store::migrate`].
pub async fn connect(url: &str, options: &ConnectOptions) -> DbResult<Arc<SqlStore>> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let store = match backend {
        Backend::Sqlite => {
            let write = sqlite_pool(1, options).connect(url).await?;
            let read = sqlite_pool(options.max_connections, options)
                .connect(url)
                .await?;
            // The file SQLite actually opened (empty for an in-memory database).
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&write)
                    .await?;
            if file.is_empty() {
                // Each sqlx pool would open a database of its own: readers would see nothing.
                return Err(DbError::InMemorySqlite);
            }
            SqlStore {
                backend,
                write,
                read,
                sqlite_writer: Arc::new(tokio::sync::Mutex::new(None)),
                sqlite_ingest: Some(sqlite_ingest::IngestWriter::open(&file)?),
                sqlite_sync: std::sync::Mutex::new(None),
                _checkpointer: Some(checkpoint::start(url).await?),
            }
        }
        Backend::Postgres => {
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect(url)
                .await?;
            SqlStore {
                backend,
                write: pool.clone(),
                read: pool,
                sqlite_writer: Arc::new(tokio::sync::Mutex::new(None)),
                sqlite_ingest: None,
                sqlite_sync: std::sync::Mutex::new(None),
                _checkpointer: None,
            }
        }
    };
    Ok(Arc::new(store))
}

fn sqlite_pool(max: u32, options: &ConnectOptions) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(options.acquire_timeout)
        // A connection to a local file cannot go stale between uses, and a ping before each
        // acquire is one more round trip to the connection's worker thread per read. (The write
        // connection is acquired once and kept: see `SqlStore::sqlite_writer`.)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // Set before WAL so that a new database is created with it (an existing one
                // keeps its own). A webhook row (a ~2 KB body plus headers) fits once in a 4 KiB
                // page and wastes the rest; 8 KiB pages hold three: 6 % fewer bytes written per
                // delivery and ~6 % more acknowledged in alternating A/B runs (docs/benchmarks.md).
                conn.execute("PRAGMA page_size = 8192").await?;
                // WAL lets readers run beside the writer; FULL makes every commit survive power
                // loss (relaxed per transaction where losing it is harmless, see `Durability`).
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                // A 64-row insert outgrows the 64 KiB in-memory statement journal; keep the
                // spill in memory too instead of a temporary file.
                conn.execute("PRAGMA temp_store = MEMORY").await?;
                // Checkpoints run in the background (see `checkpoint`); only the write
                // connection commits, so this matters for it alone (`sqlite_ingest`'s
                // connection sets the same).
                conn.execute(AssertSqlSafe(format!(
                    "PRAGMA wal_autocheckpoint = {}",
                    checkpoint::WRITER_AUTOCHECKPOINT_PAGES
                )))
                .await?;
                Ok(())
            })
        })
}

/// How long a transaction's commit must wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// Survives power loss before the call returns: acknowledged data.
    Full,
    /// The commit does not wait for the disk, so it may be lost in a power cut (never in a
    /// process crash). Used for derived data that a retried job recomputes (its job deletion is
    /// lost with it). (SQLite ingest, on its own connection, commits this way too and then waits
    /// for the disk itself, see `wal_sync`.)
    Relaxed,
}

/// A connection for one write transaction: SQLite's kept write connection, held until dropped,
/// or a connection from the Postgres pool.
enum WriteConnection {
    Sqlite(tokio::sync::OwnedMutexGuard<Option<PoolConnection<Any>>>),
    Pooled(PoolConnection<Any>),
}

impl std::ops::Deref for WriteConnection {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConnection::Sqlite(held) => held.as_ref().expect("writer() fills the slot"),
            WriteConnection::Pooled(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for WriteConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConnection::Sqlite(held) => held.as_mut().expect("writer() fills the slot"),
            WriteConnection::Pooled(conn) => conn,
        }
    }
}

impl SqlStore {
    /// A write connection with the durability pragma set, ready for `begin()`.
    async fn writer(&self, durability: Durability) -> DbResult<WriteConnection> {
        if self.backend != Backend::Sqlite {
            return Ok(WriteConnection::Pooled(self.write.acquire().await?));
        }
        let mut held = self.sqlite_write_lock().await?;
        if held.is_none() {
            *held = Some(self.write.acquire().await?);
            // A new connection starts at FULL (see `sqlite_pool`).
            *self.sqlite_sync.lock().expect("sqlite_sync lock") = None;
        }
        let mut conn = WriteConnection::Sqlite(held);
        // Holding the only write connection, nobody else changes its level meanwhile.
        let current = *self.sqlite_sync.lock().expect("sqlite_sync lock");
        if current != Some(durability) {
            let pragma = match durability {
                Durability::Full => "PRAGMA synchronous = FULL",
                Durability::Relaxed => "PRAGMA synchronous = NORMAL",
            };
            conn.execute(pragma).await?;
            *self.sqlite_sync.lock().expect("sqlite_sync lock") = Some(durability);
        }
        Ok(conn)
    }

    /// SQLite's write lock, waited for as long as the pool's acquire would wait.
    async fn sqlite_write_lock(
        &self,
    ) -> DbResult<tokio::sync::OwnedMutexGuard<Option<PoolConnection<Any>>>> {
        let timeout = self.write.options().get_acquire_timeout();
        let lock = self.sqlite_writer.clone().lock_owned();
        Ok(tokio::time::timeout(timeout, lock)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?)
    }

    /// Begins a transaction on `conn`; on Postgres, relaxed durability is set for it alone.
    async fn begin<'c>(
        &self,
        conn: &'c mut AnyConnection,
        durability: Durability,
    ) -> DbResult<sqlx::Transaction<'c, Any>> {
        let mut tx = conn.begin().await?;
        if self.backend == Backend::Postgres && durability == Durability::Relaxed {
            tx.execute("SET LOCAL synchronous_commit = off").await?;
        }
        Ok(tx)
    }

    /// `FOR UPDATE SKIP LOCKED` where the backend has it. SQLite needs none: its single writer
    /// connection already serialises claims.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

/// Placeholders for one statement, in the backend's style: `$1, $2, …` on Postgres (sqlx's
/// `QueryBuilder` would write `?`, which Postgres rejects, so the `Any` path numbers its own);
/// anonymous `?` on SQLite, where every `$n` is resolved by a linear scan of the statement's
/// parameter names per bound value: quadratic in a 64-row insert, about 4% of ingest CPU in a
/// perf profile.
struct Params {
    backend: Backend,
    next: usize,
}

impl Params {
    fn new(backend: Backend) -> Self {
        Params { backend, next: 1 }
    }

    /// The next placeholder.
    fn next(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        match self.backend {
            Backend::Postgres => format!("${n}"),
            Backend::Sqlite => "?".to_owned(),
        }
    }

    /// `p, p, …` for an `IN (…)` list of `n` items.
    fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `(p, p, …), (…)` for `rows` rows of `cols` columns.
    fn rows(&mut self, rows: usize, cols: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(cols)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The text of statement `name` for `rows` rows on `backend`, built by `build` the first time
/// only: multi-row statements have thousands of placeholders, and the hot paths (ingest, sync
/// upserts) write the same few sizes over and over. `name`s are unique per statement shape.
fn cached_statement(
    name: &'static str,
    backend: Backend,
    rows: usize,
    build: impl FnOnce() -> String,
) -> String {
    type Cache = std::sync::Mutex<HashMap<(&'static str, Backend, usize), String>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry((name, backend, rows))
        .or_insert_with(build)
        .clone()
}

/// `$from, $from+1, …` for an `IN (…)` list of `n` items.
fn in_list(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `n` rows into power-of-two chunks of at most 64, so multi-row statements reuse seven
/// prepared statements instead of one per batch size, in at most seven round trips.
fn fixed_chunks(n: usize) -> Vec<usize> {
    fixed_chunks_of(n, 64)
}

/// As [`fixed_chunks`], with chunks of at most `max` (a power of two) rows.
fn fixed_chunks_of(mut n: usize, max: usize) -> Vec<usize> {
    let mut chunks = Vec::new();
    let mut size = max;
    while n > 0 {
        while size > n {
            size /= 2;
        }
        chunks.push(size);
        n -= size;
    }
    chunks
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> DbResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        // Through the write connection: on SQLite it may be checked out and kept already.
        let mut conn = self.writer(Durability::Full).await?;
        migrator
            .run_direct(None, &mut *conn, false)
            .await
            .map_err(DbError::from)
    }

    async fn ingest_pipelined(
        &self,
        events: Vec<NewWebhookEvent>,
        rejections: Vec<NewRejection>,
        job: &JobSpec,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>> {
        self.ingest_batch(events, rejections, job, write_free).await
    }

    async fn claim_jobs(
        &self,
        queue: &str,
        worker: &str,
        limit: i64,
        lease_ms: i64,
        now: i64,
    ) -> DbResult<Vec<ClaimedJob>> {
        self.claim(queue, worker, limit, lease_ms, now).await
    }

    async fn complete_jobs(&self, completions: &[Completion], now: i64) -> DbResult<Vec<i64>> {
        self.complete(completions, now).await
    }

    async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> DbResult<FailureOutcome> {
        self.fail(job, error, retry_at, now).await
    }

    async fn enqueue_replay(
        &self,
        filter: &WebhookFilter,
        job: &JobSpec,
        now: i64,
    ) -> DbResult<u64> {
        self.replay(filter, job, now).await
    }

    async fn deliveries(&self, ids: &[i64]) -> DbResult<Vec<StoredDelivery>> {
        self.read_deliveries(ids).await
    }

    async fn list_webhook_events(&self, filter: &WebhookFilter) -> DbResult<Vec<WebhookEventRow>> {
        self.list_events(filter).await
    }

    async fn webhook_event(&self, id: i64) -> DbResult<WebhookEventDetail> {
        self.event_detail(id).await
    }

    async fn list_rejections(
        &self,
        source: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<RejectionRow>> {
        self.rejections(source, limit).await
    }

    async fn queue_stats(&self, queue: &str, now: i64) -> DbResult<QueueStats> {
        self.stats(queue, now).await
    }

    async fn order(&self, gid: &str) -> DbResult<Option<OrderRow>> {
        self.read_order(gid).await
    }

    async fn product(&self, gid: &str) -> DbResult<Option<ProductRow>> {
        self.read_product(gid).await
    }

    async fn inventory_level(
        &self,
        item_gid: &str,
        location_gid: &str,
    ) -> DbResult<Option<InventoryLevelRow>> {
        self.read_inventory_level(item_gid, location_gid).await
    }

    async fn fulfillment_order(&self, gid: &str) -> DbResult<Option<FulfillmentOrderRow>> {
        self.read_fulfillment_order(gid).await
    }

    async fn fulfillment(&self, gid: &str) -> DbResult<Option<FulfillmentRow>> {
        self.read_fulfillment(gid).await
    }

    async fn conversation(&self, account_id: i64, id: i64) -> DbResult<Option<ConversationRow>> {
        self.read_conversation(account_id, id).await
    }

    async fn message(&self, account_id: i64, id: i64) -> DbResult<Option<MessageRow>> {
        self.read_message(account_id, id).await
    }

    async fn gold_reply(&self, conversation_id: i64) -> DbResult<Option<GoldReplyRow>> {
        self.read_gold_reply(conversation_id).await
    }

    async fn gold_reply_conflicts(
        &self,
        conversation_id: i64,
        delivery_id: &str,
    ) -> DbResult<bool> {
        self.read_gold_reply_conflicts(conversation_id, delivery_id)
            .await
    }

    async fn sync_cursor(&self, connector: &str, stream: &str) -> DbResult<Option<SyncCursorRow>> {
        self.read_sync_cursor(connector, stream).await
    }

    async fn commit_sync_page(
        &self,
        connector: &str,
        stream: &str,
        effects: &[Effect],
        cursor: &CursorUpdate,
        now: i64,
    ) -> DbResult<()> {
        self.write_sync_page(connector, stream, effects, cursor, now)
            .await
    }

    async fn start_sync_run(
        &self,
        connector: &str,
        stream: &str,
        full: bool,
        now: i64,
    ) -> DbResult<i64> {
        self.insert_sync_run(connector, stream, full, now).await
    }

    async fn finish_sync_run(&self, id: i64, end: &SyncRunEnd, now: i64) -> DbResult<()> {
        self.update_sync_run(id, end, now).await
    }

    async fn sync_runs(&self, connector: Option<&str>, limit: i64) -> DbResult<Vec<SyncRunRow>> {
        self.read_sync_runs(connector, limit).await
    }

    async fn record_finding(
        &self,
        connector: &str,
        kind: &str,
        subject: &str,
        message: &str,
        now: i64,
    ) -> DbResult<()> {
        self.upsert_finding(connector, kind, subject, message, now)
            .await
    }

    async fn findings(&self, connector: Option<&str>) -> DbResult<Vec<FindingRow>> {
        self.read_findings(connector).await
    }

    async fn reconcile(
        &self,
        connector: &str,
        table: ReconcileTable,
        grace_ms: i64,
        now: i64,
    ) -> DbResult<ReconcilePassRow> {
        self.run_reconcile(connector, table, grace_ms, now).await
    }

    async fn reconcile_passes(
        &self,
        connector: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<ReconcilePassRow>> {
        self.read_reconcile_passes(connector, limit).await
    }

    async fn dump_table(&self, table: &str) -> DbResult<Vec<String>> {
        self.read_table_dump(table).await
    }
}

impl SqlStore {
    /// Runs one statement outside any transaction (e.g. `CREATE DATABASE` for tests).
    pub async fn execute_raw(&self, sql: &str) -> DbResult<()> {
        let mut conn = self.writer(Durability::Full).await?;
        conn.execute(sqlx::AssertSqlSafe(sql.to_owned())).await?;
        Ok(())
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(ingest) = &self.sqlite_ingest {
            ingest.close().await;
        }
        // SQLite's kept write connection goes back first, or closing its pool would wait for it.
        drop(self.sqlite_writer.lock().await.take());
        self.write.close().await;
        self.read.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = Params::new(Backend::Postgres);
        assert_eq!(pg.rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(pg.list(2), "$5, $6");
        assert_eq!(Params::new(Backend::Sqlite).rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(in_list(3, 2), "$3, $4");
    }

    #[test]
    fn chunks_cover_every_row_with_few_sizes() {
        assert_eq!(fixed_chunks(85), vec![64, 16, 4, 1]);
        assert_eq!(fixed_chunks(63), vec![32, 16, 8, 4, 2, 1]);
        assert_eq!(fixed_chunks(0), Vec::<usize>::new());
        assert_eq!(fixed_chunks(130).iter().sum::<usize>(), 130);
    }
}
