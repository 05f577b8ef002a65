//! The Chatwoot simulator: the Application API subset HotDash reads (conversations with
//! filters and meta counts, messages, contacts, profile, v2 reports, CSAT) with Chatwoot's exact
//! envelopes and errors, Rack::Attack's plain-text 429s, `/health` and `/api`, fault injection,
//! and account webhooks signed exactly like `lib/webhooks/trigger.rb` (or unsigned).
//!
//! Facts: `shared/vendors/chatwoot.md`. Start with [`start`]; tests use
//! `ChatwootConfig::default()` (loopback, free port, small store from the given world).

mod admin;
mod auth;
mod contacts;
mod conversations;
mod data;
mod faults;
mod limits;
mod metrics;
mod params;
mod render;
mod reports;
mod webhooks;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::chaos::{Chaos, Faults, with_chaos};
use crate::server::{RunningServer, any_loopback};
use crate::world::model::AgentRole;
use crate::world::{Change, SharedWorld};

pub use auth::User;
pub use limits::RateLimits;
pub use render::ruby_json;
pub use webhooks::{
    Delivery, Emit, EmitError, Subscription, WebhookEvent, WebhookFaults, Webhooks,
};

/// How to run the simulator. `Default` gives Chatwoot's own limits and test credentials.
#[derive(Debug, Clone)]
pub struct ChatwootConfig {
    /// Where to listen (default: 127.0.0.1 on a free port).
    pub addr: SocketAddr,
    pub account_id: u64,
    pub account_name: String,
    /// Token of an administrator (reports work).
    pub admin_token: String,
    /// Token of a plain agent (reports answer 401).
    pub agent_token: String,
    /// What `GET /api` reports as `version`.
    pub version: String,
    pub rate_limits: RateLimits,
    /// Faults switched on from the start (also settable at `PUT /__sim/chaos`).
    pub faults: Faults,
    /// Account webhooks present from the start.
    pub webhooks: Vec<Subscription>,
    pub webhook_faults: WebhookFaults,
    /// `WEBHOOK_TIMEOUT` (Chatwoot: 5 s open and read).
    pub webhook_timeout: Duration,
    /// Render report averages as numeric strings, as Rails serialises a BigDecimal average;
    /// `false` renders plain numbers. Either way an average with no data is the integer `0`.
    pub averages_as_strings: bool,
}

impl Default for ChatwootConfig {
    fn default() -> Self {
        ChatwootConfig {
            addr: any_loopback(),
            account_id: 1,
            account_name: "Hot Rod AN".to_owned(),
            admin_token: "cw-admin-token-hotrodan".to_owned(),
            agent_token: "cw-agent-token-hotrodan".to_owned(),
            version: "4.8.0".to_owned(),
            rate_limits: RateLimits::default(),
            faults: Faults::default(),
            webhooks: Vec::new(),
            webhook_faults: WebhookFaults::default(),
            webhook_timeout: Duration::from_secs(5),
            averages_as_strings: true,
        }
    }
}

/// Fixed for the simulator's life; shared by every handler.
#[derive(Debug)]
pub(crate) struct Settings {
    pub account_id: u64,
    pub account_name: String,
    pub version: String,
    pub averages_as_strings: bool,
    pub users: Vec<User>,
    /// `GET /api`'s `queue_services` (Redis) and `data_services` (Postgres).
    pub queue_ok: AtomicBool,
    pub data_ok: AtomicBool,
}

#[derive(Clone)]
pub(crate) struct AppState {
    world: SharedWorld,
    settings: Arc<Settings>,
}

impl AppState {
    /// Runs `f` over the account's data under the world's read lock.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&data::Data<'_>) -> R) -> R {
        let world = self.world.read().expect("world lock");
        let data = data::Data::new(
            &world,
            self.settings.account_id,
            &self.settings.account_name,
        );
        f(&data)
    }

    /// Authenticates the token, then checks the account in the path (in Chatwoot's order).
    pub(crate) fn caller(
        &self,
        headers: &HeaderMap,
        account: &str,
    ) -> Result<&User, auth::ApiError> {
        let user = auth::authenticate(headers, &self.settings.users)?;
        auth::account(account, self.settings.account_id)?;
        Ok(user)
    }
}

/// A running Chatwoot simulator. Dropping it stops the server and its live webhook tasks.
#[derive(Debug)]
pub struct RunningChatwoot {
    server: RunningServer,
    account_id: u64,
    admin_token: String,
    agent_token: String,
    chaos: Chaos,
    webhooks: Webhooks,
    live: Mutex<Vec<JoinHandle<()>>>,
}

impl RunningChatwoot {
    /// `http://127.0.0.1:<port>`, the Chatwoot base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn account_id(&self) -> u64 {
        self.account_id
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    pub fn agent_token(&self) -> &str {
        &self.agent_token
    }

    /// The fault switches (also at `/__sim/chaos`).
    pub fn chaos(&self) -> &Chaos {
        &self.chaos
    }

    /// Subscriptions, `emit`, the delivery log and sender faults.
    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// Sends webhooks for the world's live changes until the channel closes or this
    /// simulator is dropped.
    pub fn send_live_webhooks(&self, changes: broadcast::Receiver<Change>) {
        let task = self.webhooks.spawn_live(changes);
        self.live.lock().expect("live tasks lock").push(task);
    }
}

impl Drop for RunningChatwoot {
    fn drop(&mut self) {
        if let Ok(tasks) = self.live.get_mut() {
            tasks.iter().for_each(JoinHandle::abort);
        }
    }
}

/// The world's first agent with `role`, falling back to a fixed id if it has none.
fn user_for(world: &SharedWorld, role: AgentRole, token: &str, fallback: u64) -> User {
    let agent_id = world
        .read()
        .expect("world lock")
        .agents()
        .iter()
        .find(|a| a.role == role)
        .map_or(fallback, |a| a.id);
    User {
        token: token.to_owned(),
        agent_id,
        role,
    }
}

/// Starts the simulator over `world`.
pub async fn start(world: SharedWorld, config: ChatwootConfig) -> anyhow::Result<RunningChatwoot> {
    let users = vec![
        user_for(&world, AgentRole::Administrator, &config.admin_token, 1),
        user_for(&world, AgentRole::Agent, &config.agent_token, 2),
    ];
    let chaos = Chaos::new(config.faults.clone());
    let webhooks = Webhooks::new(
        world.clone(),
        config.account_id,
        config.account_name.clone(),
        chaos.clone(),
        config.webhook_timeout,
    )?;
    for subscription in &config.webhooks {
        webhooks.subscribe(subscription.clone());
    }
    webhooks.set_faults(config.webhook_faults.clone());
    let state = AppState {
        world,
        settings: Arc::new(Settings {
            account_id: config.account_id,
            account_name: config.account_name.clone(),
            version: config.version.clone(),
            averages_as_strings: config.averages_as_strings,
            users,
            queue_ok: AtomicBool::new(true),
            data_ok: AtomicBool::new(true),
        }),
    };
    let router = router(
        state,
        chaos.clone(),
        webhooks.clone(),
        config.rate_limits.clone(),
    );
    let server = RunningServer::start(config.addr, router).await?;
    Ok(RunningChatwoot {
        server,
        account_id: config.account_id,
        admin_token: config.admin_token,
        agent_token: config.agent_token,
        chaos,
        webhooks,
        live: Mutex::default(),
    })
}

fn router(state: AppState, chaos: Chaos, webhooks: Webhooks, limits: RateLimits) -> Router {
    let throttle = limits::Throttle::new(limits);
    let api = Router::new()
        .route("/api/v1/profile", get(contacts::profile))
        .route(
            "/api/v1/accounts/{account}/conversations",
            get(conversations::list),
        )
        .route(
            "/api/v1/accounts/{account}/conversations/meta",
            get(conversations::meta),
        )
        .route(
            "/api/v1/accounts/{account}/conversations/{id}",
            get(conversations::show),
        )
        .route(
            "/api/v1/accounts/{account}/conversations/{id}/messages",
            get(conversations::messages),
        )
        .route("/api/v1/accounts/{account}/contacts", get(contacts::list))
        .route(
            "/api/v1/accounts/{account}/csat_survey_responses",
            get(reports::csat_list),
        )
        .route(
            "/api/v1/accounts/{account}/csat_survey_responses/metrics",
            get(reports::csat_metrics),
        )
        .route(
            "/api/v2/accounts/{account}/reports",
            get(reports::timeseries),
        )
        .route(
            "/api/v2/accounts/{account}/reports/summary",
            get(reports::summary),
        )
        .route(
            "/api/v2/accounts/{account}/reports/conversations",
            get(reports::conversations),
        )
        .fallback(routing_error)
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            throttle.clone(),
            limits::layer,
        ));
    // The token-free probes get their own, narrower fault set (see `faults`).
    let probes = Router::new()
        .route("/health", get(health))
        .route("/api", get(api_index))
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(throttle, limits::layer))
        .layer(middleware::from_fn_with_state(
            chaos.clone(),
            faults::probes,
        ));
    let services = Router::new()
        .route("/__sim/services", get(services).put(set_services))
        .with_state(state);
    with_chaos(api, chaos, faults::ChatwootFaults)
        .merge(probes)
        .merge(services)
        .merge(admin::router(webhooks))
}

/// Rails' production answer to an unknown route.
async fn routing_error() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html>\n<html><head><title>The page you were looking for doesn't exist (404)</title></head><body><h1>The page you were looking for doesn't exist.</h1></body></html>\n",
    )
        .into_response()
}

/// `HealthController#show`: a pure liveness probe.
async fn health() -> Json<Value> {
    Json(json!({ "status": "woot" }))
}

fn service(ok: &AtomicBool) -> &'static str {
    if ok.load(Ordering::Relaxed) {
        "ok"
    } else {
        "failing"
    }
}

/// `ApiController#index`: version and the Redis/Postgres checks.
async fn api_index(State(state): State<AppState>) -> Json<Value> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let settings = &state.settings;
    Json(json!({
        "version": settings.version,
        "timestamp": OffsetDateTime::now_utc().format(&format).unwrap_or_default(),
        "queue_services": service(&settings.queue_ok),
        "data_services": service(&settings.data_ok),
    }))
}

/// `GET/PUT /__sim/services`: make `/api` report Redis or Postgres as failing.
#[derive(Debug, Serialize, Deserialize)]
struct Services {
    queue_services: String,
    data_services: String,
}

async fn services(State(state): State<AppState>) -> Json<Services> {
    Json(Services {
        queue_services: service(&state.settings.queue_ok).to_owned(),
        data_services: service(&state.settings.data_ok).to_owned(),
    })
}

async fn set_services(
    State(state): State<AppState>,
    Json(wanted): Json<Services>,
) -> Json<Services> {
    let settings = &state.settings;
    settings
        .queue_ok
        .store(wanted.queue_services == "ok", Ordering::Relaxed);
    settings
        .data_ok
        .store(wanted.data_services == "ok", Ordering::Relaxed);
    services(State(state)).await
}
