//! The [`Store`] trait: every storage operation the rest of HotDash uses.

use async_trait::async_trait;

use crate::rows::{
    ConversationRow, CursorUpdate, Effect, FindingRow, FulfillmentOrderRow, FulfillmentRow,
    MessageRow, ReconcilePassRow, ReconcileTable, SyncCursorRow, SyncRunEnd, SyncRunRow,
};
use crate::{
    Backend, ClaimedJob, Completion, DbResult, FailureOutcome, GoldReplyRow, IngestOutcome,
    InventoryLevelRow, JobSpec, NewRejection, NewWebhookEvent, OrderRow, ProductRow, QueueStats,
    RejectionRow, StoredDelivery, WebhookEventDetail, WebhookEventRow, WebhookFilter,
};

/// Persistence for HotDash. Implemented by [`crate::SqlStore`] for SQLite and Postgres; both
/// pass the same suite in `tests/store.rs`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies this backend's pending migrations.
    async fn migrate(&self) -> DbResult<()>;

    /// Stores deliveries and rejections in one durable transaction (the group commit), enqueuing
    /// one `job` per newly stored delivery. Duplicates by (source, delivery id) are counted on
    /// the stored event. Outcomes are in the order of `events`.
    async fn ingest(
        &self,
        events: &[NewWebhookEvent],
        rejections: &[NewRejection],
        job: &JobSpec,
    ) -> DbResult<Vec<IngestOutcome>> {
        self.ingest_pipelined(events.to_vec(), rejections.to_vec(), job, &|| {})
            .await
    }

    /// [`Store::ingest`] taking the batch by value (on SQLite it moves to the ingest thread),
    /// calling `write_free` as soon as the next transaction may begin: on SQLite that is once
    /// this one has committed and released the write lock, while its log fsync is still to
    /// come; elsewhere, when the commit has returned. Still returns only once the batch is
    /// durable. A group-commit writer gathers its next batch at that moment, so the batch
    /// holds everything that arrived while the connection was busy.
    async fn ingest_pipelined(
        &self,
        events: Vec<NewWebhookEvent>,
        rejections: Vec<NewRejection>,
        job: &JobSpec,
        write_free: &(dyn Fn() + Send + Sync),
    ) -> DbResult<Vec<IngestOutcome>>;

    /// Claims up to `limit` due jobs from `queue` for `lease_ms`. Jobs whose lease expired are
    /// reclaimed; the lost attempt is recorded and counted. Lower `priority` runs first.
    async fn claim_jobs(
        &self,
        queue: &str,
        worker: &str,
        limit: i64,
        lease_ms: i64,
        now: i64,
    ) -> DbResult<Vec<ClaimedJob>>;

    /// Applies each completion's effects, deletes its job and marks its event, atomically per
    /// batch. Completions whose claim was lost are skipped and returned by job id.
    async fn complete_jobs(&self, completions: &[Completion], now: i64) -> DbResult<Vec<i64>>;

    /// Records a failed attempt: the job retries at `retry_at`, or is dead-lettered when it has
    /// used its attempts (or `retry_at` is `None`: a permanent failure).
    async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> DbResult<FailureOutcome>;

    /// Enqueues processing jobs for stored deliveries matching `filter` (dead letters included).
    /// Deliveries with a job already queued are skipped. Returns how many were enqueued.
    async fn enqueue_replay(
        &self,
        filter: &WebhookFilter,
        job: &JobSpec,
        now: i64,
    ) -> DbResult<u64>;

    /// The deliveries with these ids, for processing (any order; missing ids are skipped).
    async fn deliveries(&self, ids: &[i64]) -> DbResult<Vec<StoredDelivery>>;

    async fn list_webhook_events(&self, filter: &WebhookFilter) -> DbResult<Vec<WebhookEventRow>>;
    async fn webhook_event(&self, id: i64) -> DbResult<WebhookEventDetail>;
    async fn list_rejections(
        &self,
        source: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<RejectionRow>>;
    async fn queue_stats(&self, queue: &str, now: i64) -> DbResult<QueueStats>;

    async fn order(&self, gid: &str) -> DbResult<Option<OrderRow>>;
    async fn product(&self, gid: &str) -> DbResult<Option<ProductRow>>;
    async fn inventory_level(
        &self,
        item_gid: &str,
        location_gid: &str,
    ) -> DbResult<Option<InventoryLevelRow>>;
    async fn fulfillment_order(&self, gid: &str) -> DbResult<Option<FulfillmentOrderRow>>;
    async fn fulfillment(&self, gid: &str) -> DbResult<Option<FulfillmentRow>>;
    async fn conversation(&self, account_id: i64, id: i64) -> DbResult<Option<ConversationRow>>;
    async fn message(&self, account_id: i64, id: i64) -> DbResult<Option<MessageRow>>;
    async fn gold_reply(&self, conversation_id: i64) -> DbResult<Option<GoldReplyRow>>;
    /// Whether a delivery other than `delivery_id` already submitted a gold reply for
    /// `conversation_id` (stored or still being processed; dead letters do not count).
    async fn gold_reply_conflicts(&self, conversation_id: i64, delivery_id: &str)
    -> DbResult<bool>;

    // ---- sync ----

    /// Where a connector stream stands, if it ever ran.
    async fn sync_cursor(&self, connector: &str, stream: &str) -> DbResult<Option<SyncCursorRow>>;

    /// Applies a sync page's effects (as the API's state: it wins over any older webhook
    /// version) and moves the stream's cursor, in one durable transaction.
    async fn commit_sync_page(
        &self,
        connector: &str,
        stream: &str,
        effects: &[Effect],
        cursor: &CursorUpdate,
        now: i64,
    ) -> DbResult<()>;

    /// Records the start of a stream's pass; returns the run id.
    async fn start_sync_run(
        &self,
        connector: &str,
        stream: &str,
        full: bool,
        now: i64,
    ) -> DbResult<i64>;
    async fn finish_sync_run(&self, id: i64, end: &SyncRunEnd, now: i64) -> DbResult<()>;
    /// Newest first.
    async fn sync_runs(&self, connector: Option<&str>, limit: i64) -> DbResult<Vec<SyncRunRow>>;

    /// Records (or refreshes) a connector finding for the health view.
    async fn record_finding(
        &self,
        connector: &str,
        kind: &str,
        subject: &str,
        message: &str,
        now: i64,
    ) -> DbResult<()>;
    async fn findings(&self, connector: Option<&str>) -> DbResult<Vec<FindingRow>>;

    /// One reconcile pass over `table`: counts the changes since the previous pass that no
    /// webhook delivered, stores a synthetic event for each, and records the pass.
    async fn reconcile(
        &self,
        connector: &str,
        table: ReconcileTable,
        grace_ms: i64,
        now: i64,
    ) -> DbResult<ReconcilePassRow>;
    /// Newest first.
    async fn reconcile_passes(
        &self,
        connector: Option<&str>,
        limit: i64,
    ) -> DbResult<Vec<ReconcilePassRow>>;

    /// Every row of a synced table as `|`-joined text (NULL as `~`, bookkeeping columns left
    /// out), sorted: for parity checks against a vendor's ground truth. Unknown table: NotFound.
    async fn dump_table(&self, table: &str) -> DbResult<Vec<String>>;
}
