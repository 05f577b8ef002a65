//! The Google Analytics 4 Data API v1beta simulator, with Google's OAuth token endpoint, over
//! the World's daily traffic.
//!
//! Routes (one server): `POST /v1beta/properties/{id}:runReport`, `:batchRunReports`,
//! `:runRealtimeReport`, `:checkCompatibility`, `GET /v1beta/properties/{id}/metadata`,
//! `POST /token` (JWT-bearer grant), and the admin routes `/__sim/chaos`,
//! `/__sim/ga4/switches`, `/__sim/ga4/quota` and `/__sim/ga4/access-token`.
//!
//! Start reading at `start`. The request path is `handlers` → `request` (validation, in
//! Google's words) → `engine` (the report) → `response` (proto3 JSON); `auth` and `quota`
//! guard it. The official Python client is tested against it in `tests/sim/ga4.rs`.

mod auth;
mod dates;
mod engine;
mod error;
mod filter;
mod handlers;
mod json;
mod quota;
mod request;
mod response;
mod schema;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use time::Date;

pub use auth::{
    API_AUDIENCE, GOOGLE_TOKEN_AUDIENCE, SCOPE_FULL, SCOPE_READONLY, ServiceAccountKey,
};
pub use error::GoogleError;
pub use quota::QuotaLimits;
pub use response::Ga4Switches;

use crate::chaos::{Chaos, Faults, with_chaos};
use crate::server::{RunningServer, any_loopback};
use crate::world::SharedWorld;

/// How to run the GA4 simulator.
#[derive(Debug, Clone)]
pub struct Ga4Config {
    /// Where to listen; a free loopback port by default.
    pub addr: SocketAddr,
    /// The one property the service account can read.
    pub property_id: u64,
    /// `metadata.currencyCode` of reports.
    pub currency_code: String,
    /// The property's reporting time zone (what `today` means). `None`: the shop's.
    pub time_zone: Option<String>,
    /// Per-category limits (Core and Realtime each get these). Standard by default.
    pub quotas: QuotaLimits,
    /// Thresholding, sampling and "(other)"-row flags, switchable later too.
    pub switches: Ga4Switches,
    /// Faults in force from the start.
    pub faults: Faults,
    /// The service account the simulator trusts, and its public key (PEM).
    pub service_account: ServiceAccountKey,
    pub service_account_public_key_pem: String,
}

impl Default for Ga4Config {
    fn default() -> Self {
        Ga4Config {
            addr: any_loopback(),
            property_id: 123_456_789,
            currency_code: "USD".into(),
            time_zone: None,
            quotas: QuotaLimits::standard(),
            switches: Ga4Switches::default(),
            faults: Faults::default(),
            service_account: ServiceAccountKey::test_key(),
            service_account_public_key_pem: ServiceAccountKey::test_public_key_pem().into(),
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub(crate) struct Ga4State {
    inner: Arc<Inner>,
}

struct Inner {
    world: SharedWorld,
    property_id: u64,
    currency_code: String,
    time_zone: Option<String>,
    project: String,
    quota: Arc<quota::QuotaBook>,
    switches: Mutex<Ga4Switches>,
    auth: auth::AuthState,
}

impl Ga4State {
    fn world(&self) -> SharedWorld {
        Arc::clone(&self.inner.world)
    }

    fn auth(&self) -> &auth::AuthState {
        &self.inner.auth
    }

    fn quota(&self) -> &Arc<quota::QuotaBook> {
        &self.inner.quota
    }

    fn project(&self) -> String {
        self.inner.project.clone()
    }

    fn currency_code(&self) -> &str {
        &self.inner.currency_code
    }

    fn switches(&self) -> Ga4Switches {
        self.inner
            .switches
            .lock()
            .expect("switches lock poisoned")
            .clone()
    }

    fn set_switches(&self, switches: Ga4Switches) {
        *self.inner.switches.lock().expect("switches lock poisoned") = switches;
    }

    fn time_zone(&self) -> String {
        match &self.inner.time_zone {
            Some(tz) => tz.clone(),
            None => {
                let world = self.inner.world.read().expect("world lock poisoned");
                world.shop().iana_timezone.clone()
            }
        }
    }

    /// `today` in the property's zone, at the World's "now".
    fn today(&self) -> Date {
        let time_zone = self.time_zone();
        let world = self.inner.world.read().expect("world lock poisoned");
        dates::property_today(&time_zone, world.now())
    }

    /// 403 unless `id` is the simulated property (Google does not say whether it exists).
    fn check_property(&self, id: &str) -> Result<u64, GoogleError> {
        match id.parse::<u64>() {
            Ok(n) if n == self.inner.property_id => Ok(n),
            _ => Err(GoogleError::wrong_property()),
        }
    }
}

/// A running GA4 simulator; stops when dropped.
pub struct RunningGa4 {
    server: RunningServer,
    state: Ga4State,
    chaos: Chaos,
    service_account: ServiceAccountKey,
}

impl RunningGa4 {
    /// `http://127.0.0.1:<port>`: the `api_endpoint` for the official clients.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `http://127.0.0.1:<port>/token`, the `token_uri` of `service_account_json`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.server.url())
    }

    pub fn property_id(&self) -> u64 {
        self.state.inner.property_id
    }

    /// `properties/<id>`, as the API names it.
    pub fn property(&self) -> String {
        format!("properties/{}", self.property_id())
    }

    /// The trusted service-account key file, with `token_uri` pointing at this simulator.
    pub fn service_account_json(&self) -> String {
        self.service_account
            .to_json_with_token_uri(&self.token_url())
    }

    pub fn service_account(&self) -> &ServiceAccountKey {
        &self.service_account
    }

    /// This simulator's fault switches (also at `/__sim/chaos`).
    pub fn chaos(&self) -> &Chaos {
        &self.chaos
    }

    pub fn set_switches(&self, switches: Ga4Switches) {
        self.state.set_switches(switches);
    }

    pub fn set_quota_limits(&self, limits: QuotaLimits) {
        self.state.quota().set_limits(limits);
    }

    /// Forgets all quota consumption.
    pub fn reset_quota(&self) {
        self.state.quota().reset();
    }

    /// An access token for the trusted service account, as `/token` would issue.
    pub fn issue_access_token(&self) -> String {
        self.state.auth().issue(&self.state.project())
    }
}

/// Starts the GA4 simulator over `world`.
pub async fn start(world: SharedWorld, config: Ga4Config) -> anyhow::Result<RunningGa4> {
    let quota = Arc::new(quota::QuotaBook::new(config.quotas));
    let project = config.service_account.project();
    let auth = auth::AuthState::new(
        &config.service_account,
        &config.service_account_public_key_pem,
    )?;
    let state = Ga4State {
        inner: Arc::new(Inner {
            world,
            property_id: config.property_id,
            currency_code: config.currency_code,
            time_zone: config.time_zone,
            project: project.clone(),
            quota: Arc::clone(&quota),
            switches: Mutex::new(config.switches),
            auth,
        }),
    };
    let api = Router::new()
        .route("/v1beta/properties/{call}", post(handlers::post_call))
        .route(
            "/v1beta/properties/{id}/metadata",
            get(handlers::get_metadata),
        )
        .route("/token", post(auth::token))
        .with_state(state.clone());
    let chaos = Chaos::new(config.faults);
    let faults = error::GoogleFaults { quota, project };
    // Admin routes are merged outside the chaos layer so they always answer.
    let admin = Router::new()
        .route(
            "/__sim/ga4/switches",
            get(handlers::get_switches).put(handlers::put_switches),
        )
        .route(
            "/__sim/ga4/quota",
            get(handlers::get_quota)
                .put(handlers::put_quota)
                .delete(handlers::reset_quota),
        )
        .route(
            "/__sim/ga4/access-token",
            post(handlers::issue_access_token),
        )
        .with_state(state.clone());
    let router = with_chaos(api, chaos.clone(), faults).merge(admin);
    let server = RunningServer::start(config.addr, router).await?;
    let token_url = format!("{}/token", server.url());
    // Set once, right after binding: the only writer.
    let _ = state.inner.auth.token_uri.set(token_url);
    Ok(RunningGa4 {
        server,
        state,
        chaos,
        service_account: config.service_account,
    })
}
