//! Bulk query operations (shopify.md §2): `bulkOperationRunQuery` checks the inner query
//! (`plan`), then a background task runs it over the world chunk by chunk (`writer`, in
//! parallel) and writes JSONL to a temporary file, served at an expiring signed URL on this
//! simulator. A query reading a field the app's scopes deny ends FAILED with ACCESS_DENIED.
//!
//! When an operation finishes (completed, failed or canceled) a [`BulkFinished`] goes out on a
//! broadcast channel; the webhook sender turns it into `bulk_operations/finish`.

mod plan;
mod writer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::validation::Valid;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use tokio::sync::broadcast;

pub use plan::{MAX_CONNECTIONS, MAX_DEPTH};
use plan::{Plan, invalid, plan};
use writer::{Outcome, RunError, write_jsonl};

use super::schema::parse_document;
use super::scopes::AccessScopes;
use super::state::ShopifyState;
use crate::world::model::gid;

/// Bulk query operations that may run at once per shop from API version 2026-01 on.
pub const MAX_CONCURRENT_QUERIES: usize = 5;
/// `BulkOperationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BulkStatus {
    Created,
    Running,
    Completed,
    Canceling,
    Canceled,
    Failed,
    Expired,
}

impl BulkStatus {
    /// The GraphQL enum value, e.g. `COMPLETED`.
    pub fn as_enum(self) -> &'static str {
        match self {
            BulkStatus::Created => "CREATED",
            BulkStatus::Running => "RUNNING",
            BulkStatus::Completed => "COMPLETED",
            BulkStatus::Canceling => "CANCELING",
            BulkStatus::Canceled => "CANCELED",
            BulkStatus::Failed => "FAILED",
            BulkStatus::Expired => "EXPIRED",
        }
    }

    fn is_active(self) -> bool {
        matches!(
            self,
            BulkStatus::Created | BulkStatus::Running | BulkStatus::Canceling
        )
    }
}

/// One bulk operation as `BulkOperation` exposes it.
#[derive(Debug, Clone)]
pub struct BulkOperation {
    pub id: u64,
    pub status: BulkStatus,
    /// `BulkOperationErrorCode` when failed.
    pub error_code: Option<&'static str>,
    pub created_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
    pub object_count: u64,
    pub root_object_count: u64,
    pub file_size: Option<u64>,
    pub query: String,
    /// When the download URL stops working.
    pub url_expires_at: Option<OffsetDateTime>,
    file: Option<PathBuf>,
    cancel: Arc<AtomicBool>,
}

impl BulkOperation {
    pub fn gid(&self) -> String {
        gid("BulkOperation", self.id)
    }
}

/// Sent when a bulk operation completes, fails or is canceled.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkFinished {
    pub id: u64,
    pub admin_graphql_api_id: String,
    pub status: BulkStatus,
    /// `BulkOperationErrorCode` (upper case) when it failed.
    pub error_code: Option<&'static str>,
    pub created_at: OffsetDateTime,
    pub completed_at: Option<OffsetDateTime>,
}

impl BulkFinished {
    /// The `bulk_operations/finish` webhook body (values lower case, unlike the GraphQL enums).
    pub fn webhook_payload(&self) -> serde_json::Value {
        let rfc3339 = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        serde_json::json!({
            "admin_graphql_api_id": self.admin_graphql_api_id,
            "completed_at": self.completed_at.map(rfc3339),
            "created_at": rfc3339(self.created_at),
            "error_code": self.error_code.map(str::to_lowercase),
            "status": self.status.as_enum().to_lowercase(),
            "type": "query",
        })
    }
}

/// A `userErrors` entry of `bulkOperationRunQuery` / `bulkOperationCancel`.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkUserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    /// `BulkOperationUserErrorCode`: INVALID, OPERATION_IN_PROGRESS, LIMIT_REACHED.
    pub code: Option<&'static str>,
}

/// Every bulk operation of the shop, and where their files live.
#[derive(Clone)]
pub struct BulkStore {
    inner: Arc<Inner>,
}

struct Inner {
    ops: Mutex<BTreeMap<u64, BulkOperation>>,
    next_id: AtomicU64,
    dir: PathBuf,
    secret: [u8; 64],
    url_ttl: Duration,
    chunk: usize,
    finished: broadcast::Sender<BulkFinished>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Best effort: the directory is under the system temp dir anyway.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl BulkStore {
    /// `url_ttl`: how long download URLs work (Shopify: 7 days). `chunk`: top-level objects
    /// per world read lock while running.
    pub fn new(url_ttl: Duration, chunk: usize) -> std::io::Result<BulkStore> {
        let mut secret = [0u8; 64];
        rand::fill(&mut secret[..]);
        let dir = std::env::temp_dir().join(format!(
            "hotdash-sim-bulk-{}-{}",
            std::process::id(),
            hex::encode(&secret[..6])
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(BulkStore {
            inner: Arc::new(Inner {
                ops: Mutex::new(BTreeMap::new()),
                next_id: AtomicU64::new(4_039_184_154_001),
                dir,
                secret,
                url_ttl,
                chunk: chunk.max(1),
                finished: broadcast::channel(256).0,
            }),
        })
    }

    fn ops(&self) -> MutexGuard<'_, BTreeMap<u64, BulkOperation>> {
        self.inner.ops.lock().expect("bulk operations lock")
    }

    /// The channel `BulkFinished` goes out on; subscribe before starting operations.
    pub fn finished(&self) -> broadcast::Sender<BulkFinished> {
        self.inner.finished.clone()
    }

    pub fn get(&self, id: u64) -> Option<BulkOperation> {
        self.ops().get(&id).cloned()
    }

    /// Every operation, oldest first.
    pub fn list(&self) -> Vec<BulkOperation> {
        self.ops().values().cloned().collect()
    }

    /// The newest operation (what `currentBulkOperation` reports).
    pub fn latest(&self) -> Option<BulkOperation> {
        self.ops().values().next_back().cloned()
    }

    /// The download URL of a completed operation, on the simulator at `base_url`.
    pub fn url(&self, base_url: &str, op: &BulkOperation) -> Option<String> {
        let expires = op.url_expires_at?.unix_timestamp();
        op.file.as_ref()?;
        let sig = self.sign(op.id, expires);
        Some(format!(
            "{base_url}/__sim/bulk/{}.jsonl?expires={expires}&sig={sig}",
            op.id
        ))
    }

    fn sign(&self, id: u64, expires: i64) -> String {
        hex::encode(self.mac(id, expires).finalize().into_bytes())
    }

    fn mac(&self, id: u64, expires: i64) -> Hmac<Sha256> {
        // A key of exactly one block (64 bytes) makes keying infallible.
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.inner.secret.into());
        mac.update(format!("{id}:{expires}").as_bytes());
        mac
    }

    /// The file behind a download URL, if the signature holds and it has not expired.
    pub fn download(&self, id: u64, expires: i64, sig: &str) -> Result<PathBuf, DownloadError> {
        let signature = hex::decode(sig).map_err(|_| DownloadError::BadSignature)?;
        self.mac(id, expires)
            .verify_slice(&signature)
            .map_err(|_| DownloadError::BadSignature)?;
        if OffsetDateTime::now_utc().unix_timestamp() > expires {
            return Err(DownloadError::Expired);
        }
        self.ops()
            .get(&id)
            .and_then(|op| op.file.clone())
            .ok_or(DownloadError::NotFound)
    }

    /// Asks a running operation to stop.
    pub fn cancel(&self, id: u64) -> Result<BulkOperation, BulkUserError> {
        let mut ops = self.ops();
        let Some(op) = ops.get_mut(&id) else {
            return Err(BulkUserError {
                field: Some(vec!["id".to_owned()]),
                message: "Bulk operation does not exist".to_owned(),
                code: None,
            });
        };
        if !op.status.is_active() {
            return Err(BulkUserError {
                field: None,
                message: format!(
                    "A bulk operation cannot be canceled when it is {}",
                    op.status.as_enum().to_lowercase()
                ),
                code: None,
            });
        }
        op.status = BulkStatus::Canceling;
        op.cancel.store(true, Ordering::SeqCst);
        Ok(op.clone())
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut BulkOperation)) -> Option<BulkOperation> {
        let mut ops = self.ops();
        let op = ops.get_mut(&id)?;
        change(op);
        Some(op.clone())
    }

    fn finish(&self, id: u64, change: impl FnOnce(&mut BulkOperation)) {
        let Some(op) = self.update(id, |op| {
            change(op);
            op.completed_at = Some(OffsetDateTime::now_utc());
        }) else {
            return;
        };
        // Nobody listening is fine: webhooks may be off.
        let _ = self.inner.finished.send(BulkFinished {
            id: op.id,
            admin_graphql_api_id: op.gid(),
            status: op.status,
            error_code: op.error_code,
            created_at: op.created_at,
            completed_at: op.completed_at,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadError {
    BadSignature,
    Expired,
    NotFound,
}

/// `bulkOperationRunQuery`: checks `query`, records the operation as CREATED and starts it in
/// the background. Must be called inside a Tokio runtime.
pub fn run_query(state: &Arc<ShopifyState>, query: &str) -> Result<BulkOperation, BulkUserError> {
    let document = parse_document(query).map_err(|errors| {
        let first = errors
            .errors
            .iter()
            .next()
            .map(|d| d.error.to_string())
            .unwrap_or_default();
        invalid(format!("Invalid bulk query: {first}"))
    })?;
    let plan = plan(&document)?;
    let store = &state.bulk;
    let op = {
        let mut ops = store.ops();
        let active = ops.values().filter(|op| op.status.is_active()).count();
        if active >= MAX_CONCURRENT_QUERIES {
            // Wording: inference; 2026-01+ allows five concurrent query operations.
            return Err(BulkUserError {
                field: None,
                message: format!(
                    "A maximum of {MAX_CONCURRENT_QUERIES} bulk query operations can run at the same time for this app and shop."
                ),
                code: Some("LIMIT_REACHED"),
            });
        }
        let id = store.inner.next_id.fetch_add(1, Ordering::SeqCst);
        let op = BulkOperation {
            id,
            status: BulkStatus::Created,
            error_code: None,
            created_at: OffsetDateTime::now_utc(),
            completed_at: None,
            object_count: 0,
            root_object_count: 0,
            file_size: None,
            query: query.to_owned(),
            url_expires_at: None,
            file: None,
            cancel: Arc::new(AtomicBool::new(false)),
        };
        ops.insert(id, op.clone());
        op
    };
    let state = Arc::clone(state);
    let id = op.id;
    // The scopes of the request that started it, as for any other query.
    let scopes = state.access_scopes();
    tokio::task::spawn_blocking(move || run(&state, id, &document, &plan, scopes));
    Ok(op)
}

/// The background half: chunk by chunk, execute, flatten into lines, write.
fn run(
    state: &Arc<ShopifyState>,
    id: u64,
    document: &Valid<ExecutableDocument>,
    plan: &Plan,
    scopes: Arc<AccessScopes>,
) {
    let store = &state.bulk;
    let Some(op) = store.update(id, |op| op.status = BulkStatus::Running) else {
        return;
    };
    let path = store.inner.dir.join(format!("{id}.jsonl"));
    let result = match write_jsonl(state, document, plan, &scopes, &path, &op.cancel) {
        Err(RunError::AccessDenied(message)) => {
            let _ = std::fs::remove_file(&path);
            tracing::info!(bulk_operation = id, %message, "bulk operation denied");
            store.finish(id, |op| {
                op.status = BulkStatus::Failed;
                op.error_code = Some("ACCESS_DENIED");
            });
            return;
        }
        Err(RunError::Internal(error)) => Err(error),
        Ok(outcome) => Ok(outcome),
    };
    match result {
        Ok(Outcome::Canceled) => {
            let _ = std::fs::remove_file(&path);
            store.finish(id, |op| op.status = BulkStatus::Canceled);
        }
        Ok(Outcome::Done {
            objects,
            roots,
            bytes,
        }) => {
            let ttl =
                time::Duration::try_from(store.inner.url_ttl).unwrap_or(time::Duration::days(7));
            store.finish(id, |op| {
                op.status = BulkStatus::Completed;
                op.object_count = objects;
                op.root_object_count = roots;
                op.file_size = Some(bytes);
                op.url_expires_at = Some(OffsetDateTime::now_utc() + ttl);
                op.file = (objects > 0).then(|| path.clone());
            });
        }
        Err(error) => {
            tracing::warn!(%error, bulk_operation = id, "bulk operation failed");
            store.finish(id, |op| {
                op.status = BulkStatus::Failed;
                op.error_code = Some("INTERNAL_SERVER_ERROR");
            });
        }
    }
}
