//! Running a checked bulk query over the world into its JSONL file, chunk by chunk.
//!
//! A chunk is one window of the top-level connection (`ShopifyConfig::bulk_chunk` nodes),
//! executed under one world read lock, so live changes are never blocked for long. Chunks run
//! in parallel: a pager walks the top-level connection alone (the same field and arguments,
//! selecting nothing below it) to find where each chunk starts, workers execute the whole query
//! for their chunks and serialise them, and the calling thread writes the chunks to the file in
//! order. For `orders` the pager also hands each worker the orders it generated, so no order is
//! generated twice. A 100k-order backfill must leave most of HotDash's 20 s budget to HotDash;
//! executing and serialising is nearly all of the work, so spreading it over the cores is what
//! shortens it. With one core (or `bulk_workers: 1`) it runs chunk after chunk on the calling
//! thread.
//!
//! Like the sequential walk it replaces, a run is not a snapshot: a live change between chunks
//! can move an order across a chunk boundary (Shopify does not promise a snapshot either).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;

use super::plan::{Plan, Written, write_lines};
use crate::shopify::exec::root::QueryRoot;
use crate::shopify::exec::{BulkWindow, Cx};
use crate::shopify::pagination::Key;
use crate::shopify::schema::{admin_schema, parse_document};
use crate::shopify::scopes::{AccessScopes, Gated, access_denied, check_document};
use crate::shopify::state::ShopifyState;
use crate::world::model::Order;

/// At most this many workers unless configured, whatever the machine offers (each holds one
/// chunk's response).
const MAX_WORKERS: usize = 4;

/// How many chunks past the last one written a worker may start, so one slow chunk cannot
/// make the others pile up in memory.
const MAX_AHEAD: usize = 8;

/// Why a run stopped short.
pub(super) enum RunError {
    /// The query reads something the scopes deny: FAILED with ACCESS_DENIED.
    AccessDenied(String),
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for RunError {
    fn from(error: E) -> Self {
        RunError::Internal(error.into())
    }
}

pub(super) enum Outcome {
    Done {
        objects: u64,
        roots: u64,
        bytes: u64,
    },
    Canceled,
}

/// What every chunk's execution shares.
struct Job<'a> {
    state: &'a Arc<ShopifyState>,
    document: &'a Valid<ExecutableDocument>,
    plan: &'a Plan,
    scopes: &'a Arc<AccessScopes>,
    /// Check every field as it resolves (the document reads something behind an interface).
    gate: bool,
    chunk: usize,
}

impl Job<'_> {
    /// Executes `document` over the chunk starting after `after` (in `window`, with what the
    /// pager captured, if anything); the response data and where the chunk ended.
    fn execute(
        &self,
        document: &Valid<ExecutableDocument>,
        window: BulkWindow,
    ) -> Result<(JsonMap, BulkWindow), RunError> {
        let world = self.state.world.read().expect("world lock");
        let window = BulkWindow {
            chunk: self.chunk,
            ..window
        };
        let cx = Cx::new(
            &world,
            self.state,
            Arc::clone(self.scopes),
            String::new(),
            Some(window),
        );
        let execution = Execution::new(admin_schema(), document);
        let response = match self.gate {
            false => execution.execute_sync(&QueryRoot { cx: &cx }),
            true => execution.execute_sync(&Gated::new(QueryRoot { cx: &cx }, &cx.scopes)),
        }
        .map_err(|error| anyhow::anyhow!("{}", error.message()))?;
        if let Some(error) = response.errors.first() {
            if let Some((message, _)) = access_denied(&error.message) {
                return Err(RunError::AccessDenied(message));
            }
            return Err(anyhow::anyhow!("{}", error.message).into());
        }
        let window = cx.bulk.map(RefCell::into_inner).unwrap_or_default();
        Ok((response.data.unwrap_or_default(), window))
    }

    /// One chunk as JSONL, and where it ended.
    fn chunk_lines(&self, window: BulkWindow) -> Result<(Chunk, BulkWindow), RunError> {
        let (data, window) = self.execute(self.document, window)?;
        let mut bytes = Vec::with_capacity(1 << 20);
        let written = write_lines(data, self.plan, &mut bytes);
        Ok((Chunk { bytes, written }, window))
    }
}

struct Chunk {
    bytes: Vec<u8>,
    written: Written,
}

/// Runs the query into `path`; checks the scopes first.
pub(super) fn write_jsonl(
    state: &Arc<ShopifyState>,
    document: &Valid<ExecutableDocument>,
    plan: &Plan,
    scopes: &Arc<AccessScopes>,
    path: &Path,
    cancel: &AtomicBool,
) -> Result<Outcome, RunError> {
    let operation = document
        .operations
        .get(None)
        .map_err(|_| anyhow::anyhow!("no operation"))?;
    let access = check_document(admin_schema(), document, operation, scopes);
    if let Some(message) = access.denied {
        return Err(RunError::AccessDenied(message));
    }
    let job = Job {
        state,
        document,
        plan,
        scopes,
        gate: access.needs_gate(),
        chunk: state.bulk.inner.chunk,
    };
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let workers = match state.config.bulk_workers {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_WORKERS),
        n => n,
    };
    let totals = if workers > 1 {
        parallel(&job, workers, &mut out, cancel)?
    } else {
        sequential(&job, &mut out, cancel)?
    };
    let Some(totals) = totals else {
        return Ok(Outcome::Canceled);
    };
    let file = out
        .into_inner()
        .map_err(|e| anyhow::Error::from(e.into_error()))?;
    let bytes = file.metadata()?.len();
    Ok(Outcome::Done {
        objects: totals.objects,
        roots: totals.roots,
        bytes,
    })
}

/// Chunk after chunk on this thread. None when canceled.
fn sequential(
    job: &Job<'_>,
    out: &mut impl Write,
    cancel: &AtomicBool,
) -> Result<Option<Written>, RunError> {
    let mut totals = Written::default();
    let mut after = None;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let (chunk, window) = job.chunk_lines(BulkWindow {
            after,
            ..BulkWindow::default()
        })?;
        out.write_all(&chunk.bytes)?;
        totals.roots += chunk.written.roots;
        totals.objects += chunk.written.objects;
        if !window.has_next || window.last.is_none() {
            return Ok(Some(totals));
        }
        after = window.last;
    }
}

/// How far the writer has got, so workers do not run too far ahead of it.
struct Progress {
    written: Mutex<usize>,
    advanced: Condvar,
}

impl Progress {
    /// Blocks while chunk `index` is more than MAX_AHEAD past the writer (or until `halt`).
    fn wait_for_room(&self, index: usize, halt: &AtomicBool) {
        let mut written = self.written.lock().expect("progress lock");
        while index >= *written + MAX_AHEAD && !halt.load(Ordering::SeqCst) {
            written = (self.advanced)
                .wait_timeout(written, Duration::from_millis(50))
                .expect("progress lock")
                .0;
        }
    }

    fn advance(&self, to: usize) {
        *self.written.lock().expect("progress lock") = to;
        self.advanced.notify_all();
    }
}

/// A pager, `workers` workers and the writer (this thread). None when canceled.
fn parallel(
    job: &Job<'_>,
    workers: usize,
    out: &mut impl Write,
    cancel: &AtomicBool,
) -> Result<Option<Written>, RunError> {
    let pager_document = parse_document(&job.plan.pager_query)
        .map_err(|errors| anyhow::anyhow!("pager query: {}", errors.errors))?;
    // Set on cancel or failure: everyone stops at the next chunk.
    let halt = AtomicBool::new(false);
    let stop = || halt.load(Ordering::SeqCst) || cancel.load(Ordering::SeqCst);
    let progress = Progress {
        written: Mutex::new(0),
        advanced: Condvar::new(),
    };
    let (starts_tx, starts_rx) = sync_channel::<(usize, Start)>(workers * 2);
    let (done_tx, done_rx) = sync_channel::<(usize, Result<Chunk, RunError>)>(workers * 2);
    // Shared by the workers only: once they have all stopped, the pager's sends fail.
    let starts_rx = Arc::new(Mutex::new(starts_rx));
    std::thread::scope(|scope| {
        let pager_done = done_tx.clone();
        let pager_document = &pager_document;
        scope.spawn(move || {
            let mut after: Option<Key> = None;
            for index in 0.. {
                if stop() {
                    return;
                }
                let window = BulkWindow {
                    after: after.clone(),
                    capture: true,
                    ..BulkWindow::default()
                };
                let window = match job.execute(pager_document, window) {
                    Ok((_, window)) => window,
                    Err(error) => {
                        let _ = pager_done.send((index, Err(error)));
                        return;
                    }
                };
                let start = Start {
                    after,
                    orders: window.orders,
                };
                if starts_tx.send((index, start)).is_err() {
                    return;
                }
                match (window.has_next, window.last) {
                    (true, Some(last)) => after = Some(last),
                    _ => return,
                }
            }
        });
        for _ in 0..workers {
            let starts = Arc::clone(&starts_rx);
            let done = done_tx.clone();
            let (halt, progress) = (&halt, &progress);
            scope.spawn(move || work(job, &starts, &done, progress, halt, cancel));
        }
        drop(starts_rx);
        drop(done_tx);
        let result = write_in_order(&done_rx, out, &progress, &stop);
        if !matches!(result, Ok(Some(_))) {
            halt.store(true, Ordering::SeqCst);
        }
        // Let blocked senders see the receiver gone.
        drop(done_rx);
        result
    })
}

/// Where a chunk starts, and its top-level orders if the pager generated them.
struct Start {
    after: Option<Key>,
    orders: Option<Vec<(Key, Order)>>,
}

/// A worker: takes chunk starts, executes and serialises them, hands them to the writer.
fn work(
    job: &Job<'_>,
    starts: &Mutex<Receiver<(usize, Start)>>,
    done: &SyncSender<(usize, Result<Chunk, RunError>)>,
    progress: &Progress,
    halt: &AtomicBool,
    cancel: &AtomicBool,
) {
    loop {
        let next = starts.lock().expect("chunk starts lock").recv();
        let Ok((index, start)) = next else {
            return;
        };
        progress.wait_for_room(index, halt);
        if halt.load(Ordering::SeqCst) || cancel.load(Ordering::SeqCst) {
            return;
        }
        let window = BulkWindow {
            after: start.after,
            orders: start.orders,
            ..BulkWindow::default()
        };
        let chunk = job.chunk_lines(window).map(|(chunk, _)| chunk);
        let failed = chunk.is_err();
        if done.send((index, chunk)).is_err() || failed {
            return;
        }
    }
}

/// Receives chunks in any order and writes them in chunk order. None when canceled.
fn write_in_order(
    done: &Receiver<(usize, Result<Chunk, RunError>)>,
    out: &mut impl Write,
    progress: &Progress,
    stop: &dyn Fn() -> bool,
) -> Result<Option<Written>, RunError> {
    let mut totals = Written::default();
    let mut waiting: BTreeMap<usize, Chunk> = BTreeMap::new();
    let mut next = 0;
    // Ends when the pager and every worker have finished (all senders dropped).
    while let Ok((index, chunk)) = done.recv() {
        if stop() {
            return Ok(None);
        }
        waiting.insert(index, chunk?);
        while let Some(chunk) = waiting.remove(&next) {
            out.write_all(&chunk.bytes)?;
            totals.roots += chunk.written.roots;
            totals.objects += chunk.written.objects;
            next += 1;
            progress.advance(next);
        }
    }
    if stop() {
        return Ok(None);
    }
    if !waiting.is_empty() {
        return Err(anyhow::anyhow!("bulk chunk {next} never arrived").into());
    }
    Ok(Some(totals))
}
