//! HTTP handlers of the Data API routes (`/v1beta/properties/{id}:method`, `.../metadata`) and
//! the simulator's admin routes under `/__sim/ga4/`.
//!
//! Every API call runs the same checks in Google's order: credentials (401), property access
//! (403), body validation (400), quota admission (429); then the report is computed off the
//! async threads and its token cost charged.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Ga4State;
use super::auth::{Caller, token_response};
use super::engine;
use super::error::GoogleError;
use super::json::Obj;
use super::quota::{Category, QuotaLimits, report_cost};
use super::request::{self, ReportRequest};
use super::response::{self, Encoding, Ga4Switches, PropertyFacts};

/// Requests in one `batchRunReports`.
const MAX_BATCH: usize = 5;

type ApiResult = Result<Response, GoogleError>;

fn parse_body(body: &Bytes) -> Result<Value, GoogleError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|error| {
        GoogleError::invalid_argument(format!("Invalid JSON payload received. {error}"))
    })
}

/// Splits `123456789:runReport` and checks the caller may read that property.
fn split_call(state: &Ga4State, call: &str) -> Result<(String, String), GoogleError> {
    let (id, method) = call
        .split_once(':')
        .ok_or_else(|| GoogleError::not_found(format!("Method not found: {call}")))?;
    state.check_property(id)?;
    Ok((format!("properties/{id}"), method.to_owned()))
}

/// `POST /v1beta/properties/{id}:{method}`
pub async fn post_call(
    State(state): State<Ga4State>,
    Path(call): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let caller = state.auth().authenticate(&headers)?;
    let (property, method) = split_call(&state, &call)?;
    let encoding = Encoding::from_query(&params);
    let body = parse_body(&body)?;
    match method.as_str() {
        "runReport" => run_report(&state, &caller, &property, &body, encoding).await,
        "batchRunReports" => batch_run_reports(&state, &caller, &property, &body, encoding).await,
        "runRealtimeReport" => run_realtime(&state, &caller, &property, &body, encoding).await,
        "checkCompatibility" => {
            let request = request::parse_compatibility(&body, &property)?;
            let _permit = state.quota().admit(Category::Core, &caller.project)?;
            Ok(Json(response::compatibility_json(&request, encoding)).into_response())
        }
        "runPivotReport" | "batchRunPivotReports" => Err(GoogleError::new(
            StatusCode::NOT_IMPLEMENTED,
            "UNIMPLEMENTED",
            format!("{method} is not implemented by the HotDash GA4 simulator."),
        )),
        _ => Err(GoogleError::not_found(format!(
            "Method not found: {method}"
        ))),
    }
}

/// Computes and charges one Core report, returning its response body.
async fn report_body(
    state: &Ga4State,
    caller: &Caller,
    request: ReportRequest,
    encoding: Encoding,
) -> Result<Value, GoogleError> {
    let world = state.world();
    let (request, report) = tokio::task::spawn_blocking(move || {
        let report = engine::run_report(&world.read().expect("world lock poisoned"), &request);
        (request, report)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "GA4 report computation failed");
        GoogleError::internal()
    })?;
    let switches = state.switches();
    let filters = request.dimension_filter.as_ref().map_or(0, |f| f.leaves())
        + request.metric_filter.as_ref().map_or(0, |f| f.leaves());
    let cost = report_cost(
        report.span_days,
        report.scanned_cells,
        report.rows.len(),
        filters,
    );
    let quota = state.quota().charge(
        Category::Core,
        &caller.project,
        cost,
        switches.subject_to_thresholding,
    );
    let time_zone = state.time_zone();
    let facts = PropertyFacts {
        currency_code: state.currency_code(),
        time_zone: &time_zone,
        switches: &switches,
    };
    let quota = request.return_property_quota.then_some(&quota);
    Ok(response::report_json(
        &request, &report, &facts, quota, encoding,
    ))
}

async fn run_report(
    state: &Ga4State,
    caller: &Caller,
    property: &str,
    body: &Value,
    encoding: Encoding,
) -> ApiResult {
    let request = request::parse_report(body, "", property, state.today())?;
    let _permit = state.quota().admit(Category::Core, &caller.project)?;
    let body = report_body(state, caller, request, encoding).await?;
    Ok(Json(body).into_response())
}

async fn batch_run_reports(
    state: &Ga4State,
    caller: &Caller,
    property: &str,
    body: &Value,
    encoding: Encoding,
) -> ApiResult {
    let obj = Obj::new(body, "", "BatchRunReportsRequest")?;
    obj.allow_only(&["property", "requests"])?;
    let items = obj.array("requests")?;
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(GoogleError::invalid_argument(format!(
            "A batch must contain between 1 and {MAX_BATCH} requests; this one has {}.",
            items.len()
        )));
    }
    let today = state.today();
    // The whole batch fails if any request is invalid, before anything is charged.
    let requests = items
        .iter()
        .enumerate()
        .map(|(i, item)| request::parse_report(item, &format!("requests[{i}]"), property, today))
        .collect::<Result<Vec<_>, _>>()?;
    let _permit = state.quota().admit(Category::Core, &caller.project)?;
    let mut reports = Vec::with_capacity(requests.len());
    for request in requests {
        reports.push(report_body(state, caller, request, encoding).await?);
    }
    let body = json!({ "reports": reports, "kind": "analyticsData#batchRunReports" });
    Ok(Json(body).into_response())
}

async fn run_realtime(
    state: &Ga4State,
    caller: &Caller,
    property: &str,
    body: &Value,
    encoding: Encoding,
) -> ApiResult {
    let request = request::parse_realtime(body, property)?;
    let _permit = state.quota().admit(Category::Realtime, &caller.project)?;
    let today = state.today();
    let world = state.world();
    let (request, report) = tokio::task::spawn_blocking(move || {
        let world = world.read().expect("world lock poisoned");
        let report = engine::run_realtime(&world, &request, today);
        (request, report)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "GA4 realtime computation failed");
        GoogleError::internal()
    })?;
    let cost = report_cost(0, report.scanned_cells, report.rows.len(), 0);
    let quota = state
        .quota()
        .charge(Category::Realtime, &caller.project, cost, false);
    let quota = request.return_property_quota.then_some(&quota);
    Ok(Json(response::realtime_json(&request, &report, quota, encoding)).into_response())
}

/// `GET /v1beta/properties/{id}/metadata`
pub async fn get_metadata(
    State(state): State<Ga4State>,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult {
    let caller = state.auth().authenticate(&headers)?;
    // `properties/0/metadata` is the universal schema, readable by anyone.
    let property_id = if id == "0" {
        0
    } else {
        state.check_property(&id)?
    };
    let _permit = state.quota().admit(Category::Core, &caller.project)?;
    let encoding = Encoding::from_query(&params);
    Ok(Json(response::metadata_json(property_id, encoding)).into_response())
}

pub async fn get_switches(State(state): State<Ga4State>) -> Json<Ga4Switches> {
    Json(state.switches())
}

pub async fn put_switches(
    State(state): State<Ga4State>,
    Json(switches): Json<Ga4Switches>,
) -> Json<Ga4Switches> {
    state.set_switches(switches);
    Json(state.switches())
}

pub async fn get_quota(State(state): State<Ga4State>) -> Json<Value> {
    Json(state.quota().status())
}

pub async fn put_quota(
    State(state): State<Ga4State>,
    Json(limits): Json<QuotaLimits>,
) -> Json<Value> {
    state.quota().set_limits(limits);
    Json(state.quota().status())
}

pub async fn reset_quota(State(state): State<Ga4State>) -> StatusCode {
    state.quota().reset();
    StatusCode::NO_CONTENT
}

/// `POST /__sim/ga4/access-token`: a token for the configured service account without the
/// JWT dance, for demos and tools that only need a bearer.
pub async fn issue_access_token(State(state): State<Ga4State>) -> Json<Value> {
    let token = state.auth().issue(&state.project());
    token_response(&token)
}
