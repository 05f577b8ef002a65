//! Fault injection shared by every simulator: added latency, error rates (5xx, 429, timeouts,
//! malformed bodies), full outages and auth failures, switched on demand (admin endpoint, CLI
//! flags, tests) or on a schedule.
//!
//! Each vendor answers faults in its own words (Shopify's JSON errors, Chatwoot's plain-text
//! 429, Google's error envelope), so the middleware asks a `VendorFaults` for the responses.
//! Admin routes under `/__sim/` are never faulted, so a test can always switch chaos off again.
//!
//! `GET/PUT/DELETE /__sim/chaos` read, replace and clear the on-demand faults;
//! `POST /__sim/chaos/schedule` `{"after_secs": 10, "for_secs": 60, "faults": {"outage": true}}`
//! switches faults on later for a while.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The fault switches of one vendor. Rates are probabilities per request, 0.0..=1.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every request before it is answered.
    pub latency_ms: u64,
    /// Share of requests answered with the vendor's 5xx.
    pub error_rate: f64,
    /// Share of requests answered with the vendor's 429.
    pub rate_limit_rate: f64,
    /// Share of requests that hang for `timeout_secs` before a 504 (clients time out first).
    pub timeout_rate: f64,
    /// How long a timed-out request hangs.
    pub timeout_secs: u64,
    /// Share of successful responses whose body is cut in half (invalid JSON).
    pub malformed_rate: f64,
    /// Every request gets the vendor's outage answer (503).
    pub outage: bool,
    /// Every request is refused as unauthenticated (revoked token).
    pub auth_failure: bool,
}

impl Faults {
    pub fn is_quiet(&self) -> bool {
        *self == Faults::default()
    }
}

/// Faults that switch on at `start` and off at `end` (both measured from when they were set).
#[derive(Debug, Clone)]
struct Scheduled {
    start: Instant,
    end: Instant,
    faults: Faults,
}

/// One vendor's live fault state; cheap to clone, shared by its router and its admin routes.
#[derive(Debug, Clone, Default)]
pub struct Chaos {
    inner: Arc<Mutex<ChaosState>>,
}

#[derive(Debug, Default)]
struct ChaosState {
    now: Faults,
    schedule: Vec<Scheduled>,
}

impl Chaos {
    pub fn new(faults: Faults) -> Self {
        let chaos = Chaos::default();
        chaos.set(faults);
        chaos
    }

    /// Replaces the on-demand faults (scheduled ones stay).
    pub fn set(&self, faults: Faults) {
        self.inner.lock().expect("chaos lock").now = faults;
    }

    /// Switches `faults` on after `delay`, for `duration`, in place of the on-demand ones.
    pub fn schedule(&self, delay: Duration, duration: Duration, faults: Faults) {
        let start = Instant::now() + delay;
        let mut state = self.inner.lock().expect("chaos lock");
        state.schedule.push(Scheduled {
            start,
            end: start + duration,
            faults,
        });
    }

    /// Clears on-demand and scheduled faults.
    pub fn clear(&self) {
        let mut state = self.inner.lock().expect("chaos lock");
        state.now = Faults::default();
        state.schedule.clear();
    }

    /// The faults in force right now: a live scheduled window wins over the on-demand setting.
    pub fn current(&self) -> Faults {
        let mut state = self.inner.lock().expect("chaos lock");
        let now = Instant::now();
        state.schedule.retain(|s| s.end > now);
        state
            .schedule
            .iter()
            .find(|s| s.start <= now)
            .map(|s| s.faults.clone())
            .unwrap_or_else(|| state.now.clone())
    }
}

/// How a vendor words each fault.
pub trait VendorFaults: Send + Sync + 'static {
    /// A 5xx as the vendor sends it.
    fn server_error(&self) -> Response;
    /// A 429 as the vendor sends it (with or without Retry-After).
    fn rate_limited(&self) -> Response;
    /// The answer to a revoked or wrong credential.
    fn unauthorized(&self) -> Response;
    /// The answer during a full outage.
    fn unavailable(&self) -> Response {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
    }
}

#[derive(Clone)]
struct ChaosLayerState {
    chaos: Chaos,
    vendor: Arc<dyn VendorFaults>,
}

/// Wraps a vendor router with its fault injection and mounts `GET/PUT/DELETE /__sim/chaos`.
pub fn with_chaos(router: Router, chaos: Chaos, vendor: impl VendorFaults) -> Router {
    let layer_state = ChaosLayerState {
        chaos: chaos.clone(),
        vendor: Arc::new(vendor),
    };
    let faulted = router.layer(axum::middleware::from_fn_with_state(layer_state, inject));
    let admin = Router::new()
        .route("/__sim/chaos", get(show).put(replace).delete(clear))
        .route("/__sim/chaos/schedule", axum::routing::post(add_schedule))
        .with_state(chaos);
    faulted.merge(admin)
}

async fn show(State(chaos): State<Chaos>) -> Json<Faults> {
    Json(chaos.current())
}

async fn replace(State(chaos): State<Chaos>, Json(faults): Json<Faults>) -> Json<Faults> {
    chaos.set(faults);
    Json(chaos.current())
}

/// A window of faults, as the schedule endpoint and `hotdash sim --fault-window` take it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultWindow {
    #[serde(default)]
    pub after_secs: f64,
    pub for_secs: f64,
    pub faults: Faults,
}

impl FaultWindow {
    /// Schedules this window on `chaos`; fails on negative or non-finite times.
    pub fn apply(&self, chaos: &Chaos) -> Result<(), String> {
        let secs = |name: &str, value: f64| {
            Duration::try_from_secs_f64(value)
                .map_err(|_| format!("{name} must be a duration in seconds, not {value}"))
        };
        chaos.schedule(
            secs("after_secs", self.after_secs)?,
            secs("for_secs", self.for_secs)?,
            self.faults.clone(),
        );
        Ok(())
    }
}

async fn add_schedule(State(chaos): State<Chaos>, Json(window): Json<FaultWindow>) -> Response {
    match window.apply(&chaos) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

async fn clear(State(chaos): State<Chaos>) -> StatusCode {
    chaos.clear();
    StatusCode::NO_CONTENT
}

/// Rolls the dice once per request, in a fixed order: outage, auth, latency, timeout, 5xx, 429,
/// then (for a successful answer) a malformed body.
async fn inject(State(state): State<ChaosLayerState>, request: Request, next: Next) -> Response {
    let faults = state.chaos.current();
    if faults.is_quiet() {
        return next.run(request).await;
    }
    if faults.outage {
        return state.vendor.unavailable();
    }
    if faults.auth_failure {
        return state.vendor.unauthorized();
    }
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let (timeout, server_error, rate_limited, malformed) = {
        let mut rng = rand::rng();
        (
            rng.random_bool(faults.timeout_rate.clamp(0.0, 1.0)),
            rng.random_bool(faults.error_rate.clamp(0.0, 1.0)),
            rng.random_bool(faults.rate_limit_rate.clamp(0.0, 1.0)),
            rng.random_bool(faults.malformed_rate.clamp(0.0, 1.0)),
        )
    };
    if timeout {
        let secs = if faults.timeout_secs == 0 {
            30
        } else {
            faults.timeout_secs
        };
        tokio::time::sleep(Duration::from_secs(secs)).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    if server_error {
        return state.vendor.server_error();
    }
    if rate_limited {
        return state.vendor.rate_limited();
    }
    let response = next.run(request).await;
    if malformed && response.status().is_success() {
        return truncate_body(response).await;
    }
    response
}

async fn truncate_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}
