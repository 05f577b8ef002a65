//! The Shopify Admin GraphQL simulator, pinned to API version 2026-07.
//!
//! It validates every document against Shopify's real schema (`schema`), prices it with
//! Shopify's cost rules (`cost`) against a per-plan leaky bucket (`bucket`), executes it over the
//! simulated store (`exec`), runs bulk operations into JSONL (`bulk`), and keeps webhook
//! subscriptions (`subscriptions`) for the webhook sender (`webhooks`).
//!
//! Start it in-process with [`start`] (tests) or mount [`ShopifySim::router`] yourself:
//!
//! ```no_run
//! # async fn demo(world: hotdash_sim::world::SharedWorld) -> anyhow::Result<()> {
//! use hotdash_sim::shopify::{self, ShopifyConfig};
//! let shop = shopify::start(world, ShopifyConfig::default()).await?;
//! let _endpoint = shop.graphql_url(); // http://127.0.0.1:PORT/admin/api/2026-07/graphql.json
//! let _finished = shop.handles.bulk_finished.subscribe(); // bulk_operations/finish events
//! # Ok(()) }
//! ```
//!
//! Admin routes (never faulted): `GET/PUT/DELETE /__sim/chaos`, `GET/PUT /__sim/shopify/settings`
//! (the run-time switches in [`Settings`]), `GET/PUT /__sim/shopify/access-scopes` (the granted
//! [`AccessScopes`], `{"access_scopes": ["read_orders", ...]}`), `GET/DELETE
//! /__sim/shopify/stats` ([`ShopifyStats`]; DELETE resets them), and
//! `GET /__sim/bulk/<id>.jsonl?expires=…&sig=…` (bulk results; 403 once expired).

pub mod bucket;
pub mod bulk;
pub mod cost;
pub mod errors;
mod exec;
mod graphql;
pub mod pagination;
pub mod schema;
pub mod scopes;
pub mod search;
mod state;
pub mod stats;
pub mod subscriptions;
pub mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use bucket::{Plan, ThrottleStatus};
pub use bulk::{BulkFinished, BulkStatus};
pub use scopes::{AccessScopes, DEFAULT_ACCESS_SCOPES, ORDER_WINDOW_DAYS, READ_ALL_ORDERS};
pub use state::{Settings, ThrottleMode};
pub use stats::ShopifyStats;
pub use subscriptions::SubscriptionRegistry;

use crate::chaos::{Chaos, Faults, with_chaos};
use crate::server::{RunningServer, any_loopback};
use crate::world::SharedWorld;
use bucket::Bucket;
use bulk::{BulkStore, DownloadError};
use state::ShopifyState;

/// How a Shopify simulator is set up. Everything has a sensible default (`Default`).
#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    /// Sets the cost bucket; Standard (2000 points, 100/s) by default.
    pub plan: Plan,
    /// The Admin API access token clients must send as `X-Shopify-Access-Token`.
    pub access_token: String,
    /// The version the schema describes (the only one served): 2026-07.
    pub api_version: String,
    /// Versions answered as themselves; any other falls forward to the oldest of these.
    pub supported_versions: Vec<String>,
    /// The initial run-time switches (throttle mode, fake fall-forward, ...).
    pub settings: Settings,
    /// The scopes the app was granted: every read scope HotDash needs, `read_all_orders`
    /// included, by default. Changeable while running (`ShopifyControls::set_access_scopes`).
    pub access_scopes: AccessScopes,
    /// How long bulk download URLs work: Shopify's 7 days by default.
    pub bulk_url_ttl: Duration,
    /// Top-level objects a bulk operation reads per world lock.
    pub bulk_chunk: usize,
    /// Threads a bulk operation executes its chunks on: 0 (the default) uses every core, up
    /// to 4; 1 runs chunk after chunk.
    pub bulk_workers: usize,
    /// Faults switched on from the start (also settable via `/__sim/chaos`).
    pub faults: Faults,
    /// How webhooks are signed and paced (`start` runs the sender; `router` leaves it to you).
    pub webhooks: webhooks::SenderConfig,
}

/// The app secret the simulator signs webhooks with unless told otherwise (a test credential).
pub const DEFAULT_WEBHOOK_SECRET: &str = "hotdash-sim-shopify-app-secret";

impl Default for ShopifyConfig {
    fn default() -> Self {
        ShopifyConfig {
            plan: Plan::Standard,
            access_token: "shpat_hotdash_sim_0000000000000000".to_owned(),
            api_version: schema::PINNED_VERSION.to_owned(),
            supported_versions: vec![schema::PINNED_VERSION.to_owned()],
            settings: Settings::default(),
            access_scopes: AccessScopes::default(),
            bulk_url_ttl: Duration::from_secs(7 * 24 * 3600),
            bulk_chunk: 1000,
            bulk_workers: 0,
            faults: Faults::default(),
            webhooks: webhooks::SenderConfig::new(DEFAULT_WEBHOOK_SECRET),
        }
    }
}

/// What the owner of a Shopify simulator can reach while it runs.
#[derive(Clone)]
pub struct ShopifyHandles {
    pub chaos: Chaos,
    pub subscriptions: SubscriptionRegistry,
    /// Fires when a bulk operation completes, fails or is canceled.
    pub bulk_finished: broadcast::Sender<BulkFinished>,
    pub controls: ShopifyControls,
}

/// Run-time control of one simulator: switches, plan and bucket.
#[derive(Clone)]
pub struct ShopifyControls {
    state: Arc<ShopifyState>,
}

impl ShopifyControls {
    pub fn settings(&self) -> Settings {
        self.state.settings()
    }

    pub fn set_settings(&self, settings: Settings) {
        *self.state.settings.lock().expect("shopify settings lock") = settings;
    }

    /// Changes the plan; the bucket starts full.
    pub fn set_plan(&self, plan: Plan) {
        self.state.set_plan(plan);
    }

    /// The bucket right now, as `throttleStatus` would report it.
    pub fn throttle_status(&self) -> ThrottleStatus {
        self.state.throttle_status()
    }

    /// The API version this simulator serves.
    pub fn api_version(&self) -> &str {
        &self.state.config.api_version
    }

    /// The scopes granted right now.
    pub fn access_scopes(&self) -> AccessScopes {
        (*self.state.access_scopes()).clone()
    }

    /// Replaces the granted scopes; requests (and bulk operations) that start afterwards see
    /// the new set.
    pub fn set_access_scopes<S: Into<String>>(&self, scopes: impl IntoIterator<Item = S>) {
        self.state.set_access_scopes(scopes.into_iter().collect());
    }

    /// Grants one more scope.
    pub fn grant_access_scope(&self, scope: &str) {
        let mut scopes = self.access_scopes();
        scopes.insert(scope);
        self.state.set_access_scopes(scopes);
    }

    /// Takes one scope away (e.g. `read_all_orders`, to see the 60-day window).
    pub fn revoke_access_scope(&self, scope: &str) {
        let mut scopes = self.access_scopes();
        scopes.remove(scope);
        self.state.set_access_scopes(scopes);
    }

    /// Usage since start or the last reset.
    pub fn stats(&self) -> ShopifyStats {
        self.state.stats().clone()
    }

    /// Zeroes the usage statistics.
    pub fn reset_stats(&self) {
        *self.state.stats() = ShopifyStats::default();
    }
}

pub struct ShopifySim;

impl ShopifySim {
    /// The simulator's routes (GraphQL, wrapped in fault injection, plus admin routes) and the
    /// handles to steer it. Fails if the bulk temp directory cannot be created (or the
    /// committed schema were broken).
    pub fn router(
        world: SharedWorld,
        config: ShopifyConfig,
    ) -> std::io::Result<(Router, ShopifyHandles)> {
        schema::load_admin_schema().map_err(std::io::Error::other)?;
        let chaos = Chaos::new(config.faults.clone());
        let bulk = BulkStore::new(config.bulk_url_ttl, config.bulk_chunk)?;
        let subscriptions = SubscriptionRegistry::new(&config.api_version);
        let state = Arc::new(ShopifyState {
            world,
            settings: Mutex::new(config.settings.clone()),
            bucket: Mutex::new(Bucket::new(config.plan)),
            subscriptions: subscriptions.clone(),
            bulk: bulk.clone(),
            access_scopes: Mutex::new(Arc::new(config.access_scopes.clone())),
            stats: Mutex::new(ShopifyStats::default()),
            config,
        });
        let api = Router::new()
            .route(
                "/admin/api/{version}/graphql.json",
                post(graphql::versioned),
            )
            .route("/admin/api/graphql.json", post(graphql::unversioned))
            .with_state(Arc::clone(&state));
        let admin = Router::new()
            .route(
                "/__sim/shopify/settings",
                get(show_settings).put(replace_settings),
            )
            .route(
                "/__sim/shopify/access-scopes",
                get(show_access_scopes).put(replace_access_scopes),
            )
            .route("/__sim/shopify/stats", get(show_stats).delete(reset_stats))
            .route("/__sim/bulk/{file}", get(download))
            .with_state(Arc::clone(&state));
        let router = with_chaos(api, chaos.clone(), errors::ShopifyFaults).merge(admin);
        let handles = ShopifyHandles {
            chaos,
            subscriptions,
            bulk_finished: bulk.finished(),
            controls: ShopifyControls { state },
        };
        Ok((router, handles))
    }
}

/// A Shopify simulator serving on loopback, with its webhook sender following the world's
/// changes and finished bulk operations; stops when dropped.
pub struct RunningShopify {
    server: RunningServer,
    access_token: String,
    api_version: String,
    pub handles: ShopifyHandles,
    pub webhooks: webhooks::WebhookSender,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningShopify {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // Workers and retries would otherwise outlive the simulator (they hold the sender).
        self.webhooks.shutdown();
    }
}

impl RunningShopify {
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The pinned version's GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        format!(
            "{}/admin/api/{}/graphql.json",
            self.server.url(),
            self.api_version
        )
    }

    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    pub fn chaos(&self) -> &Chaos {
        &self.handles.chaos
    }

    pub fn subscriptions(&self) -> &SubscriptionRegistry {
        &self.handles.subscriptions
    }

    pub fn controls(&self) -> &ShopifyControls {
        &self.handles.controls
    }
}

/// Starts a Shopify simulator on `127.0.0.1:0`.
pub async fn start(world: SharedWorld, config: ShopifyConfig) -> anyhow::Result<RunningShopify> {
    start_on(any_loopback(), world, config).await
}

/// Starts a Shopify simulator on `addr`.
pub async fn start_on(
    addr: std::net::SocketAddr,
    world: SharedWorld,
    config: ShopifyConfig,
) -> anyhow::Result<RunningShopify> {
    let access_token = config.access_token.clone();
    let api_version = config.api_version.clone();
    let sender_config = config.webhooks.clone();
    let (router, handles) = ShopifySim::router(world.clone(), config)?;
    let sender =
        webhooks::WebhookSender::new(sender_config, Arc::new(handles.subscriptions.clone()));
    let changes = world
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .subscribe();
    let tasks = vec![
        sender.follow(world, changes),
        sender.follow_bulk(handles.bulk_finished.subscribe()),
    ];
    let router = router.merge(webhooks::routes(sender.clone()));
    let server = RunningServer::start(addr, router).await?;
    Ok(RunningShopify {
        server,
        access_token,
        api_version,
        handles,
        webhooks: sender,
        tasks,
    })
}

async fn show_settings(State(state): State<Arc<ShopifyState>>) -> Json<Settings> {
    Json(state.settings())
}

async fn replace_settings(
    State(state): State<Arc<ShopifyState>>,
    Json(settings): Json<Settings>,
) -> Json<Settings> {
    *state.settings.lock().expect("shopify settings lock") = settings;
    Json(state.settings())
}

/// The body of `GET/PUT /__sim/shopify/access-scopes`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopesBody {
    access_scopes: AccessScopes,
}

async fn show_access_scopes(State(state): State<Arc<ShopifyState>>) -> Json<ScopesBody> {
    Json(ScopesBody {
        access_scopes: (*state.access_scopes()).clone(),
    })
}

async fn replace_access_scopes(
    State(state): State<Arc<ShopifyState>>,
    Json(body): Json<ScopesBody>,
) -> Json<ScopesBody> {
    state.set_access_scopes(body.access_scopes);
    show_access_scopes(State(state)).await
}

async fn show_stats(State(state): State<Arc<ShopifyState>>) -> Json<ShopifyStats> {
    Json(state.stats().clone())
}

async fn reset_stats(State(state): State<Arc<ShopifyState>>) -> StatusCode {
    *state.stats() = ShopifyStats::default();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Signed {
    expires: i64,
    sig: String,
}

/// A bulk result file, streamed. Expired or forged links get the storage service's 403.
async fn download(
    State(state): State<Arc<ShopifyState>>,
    Path(file): Path<String>,
    Query(signed): Query<Signed>,
) -> Response {
    let denied = |code: &str, message: &str| {
        let body = format!(
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        );
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
            body,
        )
            .into_response()
    };
    let Some(id) = file
        .strip_suffix(".jsonl")
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = match state.bulk.download(id, signed.expires, &signed.sig) {
        Ok(path) => path,
        Err(DownloadError::Expired) => {
            return denied("ExpiredToken", "The provided token has expired.");
        }
        Err(DownloadError::BadSignature) => {
            return denied(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            );
        }
        Err(DownloadError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::File::open(&path).await {
        Ok(file) => {
            let stream = tokio_util::io::ReaderStream::with_capacity(file, 1 << 16);
            let body = match state.settings().download_bytes_per_sec {
                Some(rate) => axum::body::Body::from_stream(throttled(stream, rate)),
                None => axum::body::Body::from_stream(stream),
            };
            ([(header::CONTENT_TYPE, "application/jsonl")], body).into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `stream` paced to `bytes_per_sec`, in slices of a tenth of a second's worth.
fn throttled<S>(
    stream: S,
    bytes_per_sec: u64,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>>
where
    S: futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    use futures_util::StreamExt;
    let rate = bytes_per_sec.max(1);
    let slice = usize::try_from(rate / 10).unwrap_or(usize::MAX).max(1);
    futures_util::stream::unfold(
        (stream, bytes::Bytes::new()),
        move |(mut stream, mut pending)| async move {
            if pending.is_empty() {
                match stream.next().await? {
                    Ok(chunk) => pending = chunk,
                    Err(e) => return Some((Err(e), (stream, pending))),
                }
            }
            let out = pending.split_to(slice.min(pending.len()));
            tokio::time::sleep(Duration::from_secs_f64(out.len() as f64 / rate as f64)).await;
            Some((Ok(out), (stream, pending)))
        },
    )
}
