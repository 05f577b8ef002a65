//! SQLite's ingest transaction, run by rusqlite on a connection and a thread of its own.
//!
//! Everything else in this crate goes through sqlx's `Any` driver; this one transaction, the
//! hottest path in HotDash, does not. Under `bench/ingest.sh` a perf profile put ~15 % of the
//! server's CPU in sqlx around it rather than in SQLite: the `Any` layer copies every bound
//! body twice (its own value, then SQLite's arguments), decodes each returned row into an
//! `AnyRow`, and every statement is a round trip to sqlx's connection thread. Here a batch is
//! one request to a thread that owns a plain SQLite connection and runs the same SQL (built by
//! the functions in `ingest`) as prepared statements, binding straight from the batch
//! (docs/benchmarks.md: +3 % and +8 % acknowledged per second in two A/B sets, 9 of 10 pairs).
//!
//! SQLite allows one writer at a time. This connection writes only while holding the store's
//! write lock (the mutex around sqlx's kept write connection, see `SqlStore::writer`), which
//! travels to the thread with each batch and is released there once the transaction has ended,
//! even when the caller stopped waiting half-way. (After a failed or abandoned sqlx write, sqlx
//! finishes its rollback on its own thread just after releasing the lock; a batch starting at
//! that moment waits the millisecond or so in SQLite's busy handler.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ToSql, TransactionBehavior, named_params, params};
use tokio::sync::{OwnedMutexGuard, oneshot};

use super::checkpoint::WRITER_AUTOCHECKPOINT_PAGES;
use super::ingest::{
    COUNT_DUPLICATE, enqueue_jobs_sql, event_chunks, insert_events_sql, insert_rejections_sql,
    job_chunks, stored_ids,
};
use super::wal_sync::WalSync;
use crate::{Backend, DbError, DbResult, IngestOutcome, JobSpec, NewRejection, NewWebhookEvent};

/// One batch, owned: it crosses to the writer thread.
pub(super) struct Batch {
    pub(super) events: Vec<NewWebhookEvent>,
    pub(super) rejections: Vec<NewRejection>,
    pub(super) job: JobSpec,
}

type WriteLock = OwnedMutexGuard<Option<sqlx::pool::PoolConnection<sqlx::Any>>>;

struct Request {
    batch: Batch,
    /// Held until the transaction has ended.
    write_lock: WriteLock,
    reply: oneshot::Sender<DbResult<Vec<IngestOutcome>>>,
}

/// The ingest connection's thread, and the way to it.
pub(super) struct IngestWriter {
    requests: Mutex<Option<mpsc::Sender<Request>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The log fsync after each commit, pipelined behind it.
    wal_sync: WalSync,
}

impl IngestWriter {
    /// Opens a second connection to the database file at `file` (created by sqlx and in WAL
    /// mode already; statements are prepared at first use, so after any migration) and starts
    /// its thread.
    pub(super) fn open(file: &str) -> DbResult<Self> {
        let conn = open_connection(file)?;
        let wal_sync = WalSync::new(file);
        let file = file.to_owned();
        let (requests, incoming) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-ingest".into())
            .spawn(move || serve(&file, conn, incoming))
            .map_err(DbError::IngestThread)?;
        Ok(Self {
            requests: Mutex::new(Some(requests)),
            thread: Mutex::new(Some(thread)),
            wal_sync,
        })
    }

    /// Stores `batch` in one transaction at `synchronous = NORMAL`, releasing `write_lock` as it
    /// ends and calling `write_free` once it has committed, then returns when `WalSync` has
    /// made the commit durable.
    pub(super) async fn ingest(
        &self,
        batch: Batch,
        write_lock: WriteLock,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>> {
        let (reply, answer) = oneshot::channel();
        let sent = match &*self.requests.lock().expect("ingest requests lock") {
            Some(requests) => requests
                .send(Request {
                    batch,
                    write_lock,
                    reply,
                })
                .is_ok(),
            None => false,
        };
        if !sent {
            return Err(DbError::IngestClosed);
        }
        let outcomes = answer.await.unwrap_or(Err(DbError::IngestClosed))?;
        // The write lock is free again: let the next batch begin before the disk sync.
        write_free();
        self.wal_sync.commit_durable().await?;
        Ok(outcomes)
    }

    /// Finishes the batch in hand, closes the connection and stops the thread.
    pub(super) async fn close(&self) {
        drop(self.requests.lock().expect("ingest requests lock").take());
        let thread = self.thread.lock().expect("ingest thread lock").take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn open_connection(file: &str) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // NORMAL: the commit writes the log without syncing it; `WalSync` syncs it before any
    // delivery in the batch is acknowledged (the durability of FULL, see `wal_sync`).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // As sqlx sets on its connections.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)?;
    // The write lock keeps sqlx's writer out; the background checkpointer may still briefly
    // hold the log, as it may for sqlx's writer.
    conn.busy_timeout(Duration::from_secs(10))?;
    // Up to 16 event-insert and 9 job-insert shapes, and the rare statements.
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// The thread: one batch at a time, each answered once the write lock is released.
fn serve(file: &str, first: Connection, incoming: mpsc::Receiver<Request>) {
    let mut conn = Some(first);
    for request in incoming {
        let result = ingest_on(&mut conn, file, &request.batch);
        drop(request.write_lock);
        let _ = request.reply.send(result);
    }
}

/// Runs `batch` on `conn`, opened first if a failure closed it. A connection in doubt afterwards
/// (inside a transaction a failed ROLLBACK left open, or after a panic) is closed, which rolls
/// back, so it never holds SQLite's write lock past the store's and the next batch starts on a
/// fresh one.
fn ingest_on(
    conn: &mut Option<Connection>,
    file: &str,
    batch: &Batch,
) -> DbResult<Vec<IngestOutcome>> {
    let open = match conn {
        Some(open) => open,
        None => conn.insert(open_connection(file)?),
    };
    let written = catch_unwind(AssertUnwindSafe(|| write_batch(open, batch)));
    if written.is_err() || !open.is_autocommit() {
        *conn = None;
    }
    match written {
        Ok(result) => Ok(result?),
        Err(_) => {
            tracing::error!("the SQLite ingest transaction panicked; it was rolled back");
            Err(DbError::IngestPanicked)
        }
    }
}

/// The transaction, in the statements `ingest_statements` runs through sqlx on Postgres: the
/// deliveries in padded multi-row inserts (one per 256; a single-row statement per delivery
/// cost SQLite more than the sqlx overhead it saved), duplicates counted, a job queued per new
/// delivery; then the rejections, here one row per statement (they are few).
fn write_batch(conn: &mut Connection, batch: &Batch) -> rusqlite::Result<Vec<IngestOutcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let events = &batch.events;
    let mut returned: Vec<(String, String, i64)> = Vec::with_capacity(events.len());
    let mut offset = 0;
    for (rows, padded) in event_chunks(events.len()) {
        let chunk = &events[offset..offset + rows];
        offset += rows;
        let mut insert = tx.prepare_cached(&insert_events_sql(Backend::Sqlite, padded))?;
        let mut p = 0;
        let mut bind = |value: &dyn ToSql| {
            p += 1;
            insert.raw_bind_parameter(p, value)
        };
        for i in 0..padded {
            let e = &chunk[i.min(rows - 1)];
            bind(&e.source)?;
            bind(&e.delivery_id)?;
            bind(&e.topic)?;
            bind(&e.event_id)?;
            bind(&e.shop_domain)?;
            bind(&e.api_version)?;
            bind(&e.triggered_at)?;
            bind(&e.resource_key)?;
            bind(&e.received_at)?;
            bind(&e.verification)?;
            bind(&e.headers_json)?;
            bind(&e.body)?;
            bind(&e.synthetic)?;
        }
        let mut rows = insert.raw_query();
        while let Some(row) = rows.next()? {
            returned.push((row.get(1)?, row.get(2)?, row.get(0)?));
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
                event_id: tx
                    .prepare_cached(COUNT_DUPLICATE)?
                    .query_row(named_params! {"$1": e.source, "$2": e.delivery_id}, |row| {
                        row.get(0)
                    })?,
            },
        });
    }

    let now = events.first().map(|e| e.received_at).unwrap_or_default();
    let job = &batch.job;
    for (chunk, padded) in job_chunks(&new_ids) {
        let mut enqueue = tx.prepare_cached(&enqueue_jobs_sql(Backend::Sqlite, padded))?;
        let values: [&dyn ToSql; 7] = [
            &job.queue,
            &job.kind,
            &job.priority,
            &job.max_attempts,
            &now,
            &now,
            &now,
        ];
        for (p, value) in values.iter().enumerate() {
            enqueue.raw_bind_parameter(p + 1, value)?;
        }
        for i in 0..padded {
            enqueue.raw_bind_parameter(values.len() + i + 1, chunk[i.min(chunk.len() - 1)])?;
        }
        enqueue.raw_execute()?;
    }

    if !batch.rejections.is_empty() {
        let mut reject = tx.prepare_cached(&insert_rejections_sql(Backend::Sqlite, 1))?;
        for r in &batch.rejections {
            reject.execute(params![
                r.source,
                r.cause,
                r.status_code,
                r.received_at,
                r.delivery_id,
                r.topic,
                r.body_len,
                r.body_sha256,
                r.detail,
            ])?;
        }
    }
    tx.commit()?;
    Ok(outcomes)
}
