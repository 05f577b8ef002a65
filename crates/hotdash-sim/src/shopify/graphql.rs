//! `POST /admin/api/{version}/graphql.json`: authentication, version fall-forward, validation
//! against the real schema, query cost and the leaky bucket, access scopes, execution, and
//! Shopify's headers (`X-Request-Id`, `X-Shopify-API-Version`,
//! `X-Shopify-API-Deprecated-Reason`). Every answer is counted in the usage statistics.

use std::sync::Arc;
use std::time::Instant;

use apollo_compiler::executable::OperationType;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonMap;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cost::{actual_cost, requested_cost};
use super::errors::{
    BAD_REQUEST_BODY, INVALID_TOKEN_BODY, MAX_QUERY_COST, cost_extension, internal_error_body,
    json_response, max_cost_body, throttled_body,
};
use super::exec::Cx;
use super::exec::admin::MutationRoot;
use super::exec::root::QueryRoot;
use super::schema::{admin_schema, deprecated_fields, parse_document};
use super::scopes::{Gated, access_denied, check_document};
use super::state::{ShopifyState, ThrottleMode};
use super::stats::Tally;

#[derive(Deserialize)]
struct GraphqlRequest {
    query: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

/// What one request produced, before headers.
struct Answer {
    status: StatusCode,
    body: String,
    deprecated: Vec<String>,
    retry_after: Option<u64>,
}

impl Answer {
    fn json(body: Value) -> Answer {
        Answer {
            status: StatusCode::OK,
            body: body.to_string(),
            deprecated: Vec::new(),
            retry_after: None,
        }
    }
}

/// `/admin/api/{version}/graphql.json`
pub async fn versioned(
    State(state): State<Arc<ShopifyState>>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, Some(&version), &headers, &body)
}

/// `/admin/api/graphql.json`: no version means the oldest supported one.
pub async fn unversioned(
    State(state): State<Arc<ShopifyState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(&state, None, &headers, &body)
}

fn respond(
    state: &Arc<ShopifyState>,
    version: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let arrived = time::OffsetDateTime::now_utc();
    let request_id = request_id();
    let settings = state.settings();
    let served = served_version(state, version, settings.fake_fall_forward.as_deref());
    let mut tally = Tally::default();
    let answer = answer(state, headers, body, &request_id, &mut tally);
    state.stats().record(arrived, tally);
    let mut response = json_response(answer.status, answer.body);
    let out = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.insert(name, value);
        }
    };
    set("x-request-id", &request_id);
    set("x-shopify-api-version", &served);
    let deprecated = match settings.always_deprecated_reason {
        Some(reason) => Some(reason),
        None if !answer.deprecated.is_empty() => Some(answer.deprecated.join(", ")),
        None => None,
    };
    if let Some(reason) = deprecated {
        set("x-shopify-api-deprecated-reason", &reason);
    }
    if let Some(seconds) = answer.retry_after {
        out.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The version that answers: the one asked for if supported, otherwise the oldest supported one
/// (Shopify's fall-forward), unless a fake fall-forward is switched on.
fn served_version(state: &ShopifyState, asked: Option<&str>, fake: Option<&str>) -> String {
    if let Some(fake) = fake {
        return fake.to_owned();
    }
    let supported = &state.config.supported_versions;
    match asked {
        Some(asked) if supported.iter().any(|v| v == asked) => asked.to_owned(),
        _ => supported
            .iter()
            .min()
            .cloned()
            .unwrap_or_else(|| state.config.api_version.clone()),
    }
}

/// A Shopify-looking request id (a UUID v4).
fn request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn answer(
    state: &Arc<ShopifyState>,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
    tally: &mut Tally,
) -> Answer {
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(state.config.access_token.as_str()) {
        tally.unauthorized = true;
        return Answer {
            status: StatusCode::UNAUTHORIZED,
            body: INVALID_TOKEN_BODY.to_owned(),
            deprecated: Vec::new(),
            retry_after: None,
        };
    }
    let internal_error_rate = state.settings().internal_error_rate.clamp(0.0, 1.0);
    if internal_error_rate > 0.0 && rand::rng().random_bool(internal_error_rate) {
        tally.internal_error = true;
        return Answer::json(internal_error_body(request_id));
    }
    let Some(request) = read_request(headers, body) else {
        return Answer {
            status: StatusCode::BAD_REQUEST,
            body: BAD_REQUEST_BODY.to_owned(),
            deprecated: Vec::new(),
            retry_after: None,
        };
    };
    let now = Instant::now();
    let status = state.bucket().peek(now);
    let document = match parse_document(&request.query) {
        Ok(document) => document,
        Err(errors) => {
            let errors: Vec<Value> = errors.errors.iter().map(validation_error).collect();
            return Answer::json(json!({
                "errors": errors,
                "extensions": cost_extension(0, Some(0), status),
            }));
        }
    };
    let deprecated = deprecated_fields(&document);
    let request_error = |message: String| {
        Answer::json(json!({
            "errors": [{"message": message}],
            "extensions": cost_extension(0, Some(0), status),
        }))
    };
    let operation = match document.operations.get(request.operation_name.as_deref()) {
        Ok(operation) => operation,
        Err(error) => return request_error(error.message().to_string()),
    };
    let variables = match coerce_variable_values(admin_schema(), operation, &request.variables) {
        Ok(variables) => variables,
        Err(error) => return request_error(error.message().to_string()),
    };
    let requested = match requested_cost(admin_schema(), &document, operation, &variables) {
        Ok(cost) => cost,
        Err(errors) => {
            let errors: Vec<Value> = errors.iter().map(|e| e.to_json()).collect();
            return Answer::json(json!({
                "errors": errors,
                "data": null,
                "extensions": cost_extension(0, Some(0), status),
            }));
        }
    };
    if requested > MAX_QUERY_COST {
        tally.max_cost_exceeded = true;
        return Answer::json(max_cost_body(requested, status));
    }
    if let Err((status, wait)) = state.bucket().take(requested as f64, now) {
        let answer = Answer {
            deprecated,
            ..Answer::json(throttled_body(requested, status))
        };
        return match state.settings().throttle_mode {
            ThrottleMode::Http200 => {
                tally.throttled_200 = true;
                answer
            }
            ThrottleMode::Http429 => {
                tally.throttled_429 = true;
                Answer {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    retry_after: Some(wait.ceil().max(1.0) as u64),
                    ..answer
                }
            }
        };
    }

    let response = {
        let world = state.world.read().expect("world lock");
        let cx = Cx::new(
            &world,
            state,
            state.access_scopes(),
            base_url(headers),
            None,
        );
        // Most documents touch nothing the scopes deny and run unchecked; the others have
        // every field checked where it resolves, so each denial gets its own path.
        let gate = check_document(admin_schema(), &document, operation, &cx.scopes).needs_gate();
        let execution = Execution::new(admin_schema(), &document)
            .operation(operation)
            .coerced_variable_values(&variables);
        match (operation.operation_type, gate) {
            (OperationType::Mutation, false) => execution.execute_sync(&MutationRoot { cx: &cx }),
            (OperationType::Mutation, true) => {
                execution.execute_sync(&Gated::new(MutationRoot { cx: &cx }, &cx.scopes))
            }
            (_, false) => execution.execute_sync(&QueryRoot { cx: &cx }),
            (_, true) => execution.execute_sync(&Gated::new(QueryRoot { cx: &cx }, &cx.scopes)),
        }
    };
    let (data, mut errors) = match response {
        Ok(response) => (response.data, response.errors),
        Err(error) => {
            let refunded = state.bucket().refund(requested as f64, Instant::now());
            tally.charged = Some((requested, 0));
            return Answer::json(json!({
                "errors": [error.to_graphql_error(&document.sources)],
                "extensions": cost_extension(requested, Some(0), refunded),
            }));
        }
    };
    for error in &mut errors {
        if let Some((message, extensions)) = access_denied(&error.message) {
            error.message = message;
            error.extensions = extensions;
            tally.access_denied = true;
        }
    }
    let actual = actual_cost(admin_schema(), &document, operation, data.as_ref());
    let status = state
        .bucket()
        .refund(requested.saturating_sub(actual) as f64, Instant::now());
    tally.charged = Some((requested, actual.min(requested)));
    let mut body = serde_json::Map::new();
    if !errors.is_empty() {
        body.insert("errors".to_owned(), json!(errors));
    }
    body.insert("data".to_owned(), json!(data));
    body.insert(
        "extensions".to_owned(),
        cost_extension(requested, Some(actual), status),
    );
    Answer {
        deprecated,
        ..Answer::json(Value::Object(body))
    }
}

struct Request {
    query: String,
    variables: JsonMap,
    operation_name: Option<String>,
}

/// A JSON body (`{"query", "variables", "operationName"}`) or, with `application/graphql`, the
/// bare query.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Option<Request> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/graphql") {
        let query = std::str::from_utf8(body).ok()?.to_owned();
        return Some(Request {
            query,
            variables: JsonMap::new(),
            operation_name: None,
        });
    }
    let request: GraphqlRequest = serde_json::from_slice(body).ok()?;
    let variables = match request.variables {
        Some(Value::Object(map)) => serde_json::from_value(Value::Object(map)).ok()?,
        Some(Value::Null) | None => JsonMap::new(),
        Some(_) => return None,
    };
    Some(Request {
        query: request.query.filter(|q| !q.trim().is_empty())?,
        variables,
        operation_name: request.operation_name,
    })
}

/// `http://host` as the client addressed this simulator, for URLs it hands out.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A validation error in the words Shopify's GraphQL server (graphql-ruby) uses where they are
/// known, with its `extensions.code`.
fn validation_error(
    diagnostic: apollo_compiler::diagnostic::Diagnostic<
        '_,
        apollo_compiler::validation::DiagnosticData,
    >,
) -> Value {
    let compat = diagnostic.unstable_to_json_compat();
    let mut error = serde_json::to_value(&compat).unwrap_or_else(|_| json!({}));
    let name = diagnostic.error.unstable_error_name();
    let code = match name {
        Some("UndefinedField") => Some("undefinedField"),
        Some("UndefinedArgument") => Some("argumentNotAccepted"),
        Some("RequiredArgument") => Some("missingRequiredArguments"),
        Some("UndefinedVariable") => Some("variableNotDefined"),
        Some("UnusedVariable") => Some("variableNotUsed"),
        Some("UndefinedFragment") => Some("undefinedFragment"),
        Some("UnusedFragment") => Some("useAndDefineFragment"),
        Some("UndefinedDefinition") => Some("undefinedType"),
        Some("UndefinedEnumValue") => Some("argumentLiteralsIncompatible"),
        Some("MissingSubselection") => Some("selectionMismatch"),
        Some(_) => Some("validationFailed"),
        None => None,
    };
    if name == Some("UndefinedField") {
        // `Cannot query field "x" on type "T".` becomes graphql-ruby's
        // `Field 'x' doesn't exist on type 'T'`.
        if let Some((field, ty)) = compat
            .message
            .strip_prefix("Cannot query field \"")
            .and_then(|rest| rest.split_once("\" on type \""))
        {
            let ty = ty.trim_end_matches('.').trim_end_matches('"');
            error["message"] = json!(format!("Field '{field}' doesn't exist on type '{ty}'"));
            error["extensions"] =
                json!({"code": "undefinedField", "typeName": ty, "fieldName": field});
            return error;
        }
    }
    if let Some(code) = code {
        error["extensions"] = json!({"code": code});
    }
    error
}
