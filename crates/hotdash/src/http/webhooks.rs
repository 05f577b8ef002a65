//! `POST /webhooks/{source}`: check the request, verify its signature over the raw bytes, store
//! it durably through the group commit, and only then answer 2xx. Every refusal is recorded
//! with its cause (never with its body) and answered with a status that says what was wrong.

use std::time::Instant;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hotdash_db::{IngestOutcome, NewRejection, NewWebhookEvent, gold_reply_resource_key};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::{App, AppState};
use crate::webhooks::payload::{self, FieldError, validate_gold_reply};
use crate::webhooks::rejection::RejectCause;
use crate::webhooks::verify::{self, VerifyError};
use crate::webhooks::{Source, ingest::IngestError};
use crate::{metrics, now_ms};

/// A refused request, before it is recorded.
struct Rejection {
    cause: RejectCause,
    detail: String,
    delivery_id: Option<String>,
    topic: Option<String>,
    field_errors: Vec<FieldError>,
}

impl Rejection {
    fn new(cause: RejectCause, detail: impl Into<String>) -> Self {
        Self {
            cause,
            detail: detail.into(),
            delivery_id: None,
            topic: None,
            field_errors: Vec::new(),
        }
    }
}

impl From<VerifyError> for Rejection {
    fn from(error: VerifyError) -> Self {
        let cause = match error {
            VerifyError::MissingSignature | VerifyError::MissingTimestamp => {
                RejectCause::MissingSignature
            }
            VerifyError::BadSignature => RejectCause::BadSignature,
            VerifyError::StaleTimestamp(_) => RejectCause::StaleTimestamp,
            VerifyError::BadToken => RejectCause::BadToken,
        };
        Rejection::new(cause, error.to_string())
    }
}

/// A verified delivery ready to store, and what to answer once it is stored.
struct Verified {
    event: NewWebhookEvent,
    gold_reply: bool,
}

pub async fn receive(
    State(app): State<AppState>,
    Path(source_name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let received_at = now_ms();
    let source = match Source::parse(&source_name) {
        Some(source) if app.source_enabled(source) => source,
        unusable => {
            let detail = if unusable.is_some() {
                "source is not configured"
            } else {
                "no such webhook source"
            };
            let rejection = Rejection::new(RejectCause::UnknownSource, detail);
            return refuse(&app, &source_name, &[], received_at, rejection).await;
        }
    };
    let body = match read_body(&app, &headers, body).await {
        Ok(body) => body,
        Err(rejection) => return refuse(&app, source.as_str(), &[], received_at, rejection).await,
    };
    let verified = match check(&app, source, &headers, &body, received_at).await {
        Ok(verified) => verified,
        Err(rejection) => {
            return refuse(&app, source.as_str(), &body, received_at, rejection).await;
        }
    };
    let gold_reply = verified.gold_reply;
    match app.ingest.submit(verified.event).await {
        Ok(IngestOutcome::Accepted { event_id }) => {
            metrics::webhook_accepted(source.as_str(), started.elapsed());
            accepted(gold_reply, event_id, "accepted")
        }
        // Already stored: say so with 200, so the sender stops retrying; nothing is processed twice.
        Ok(IngestOutcome::Duplicate { event_id }) => {
            metrics::webhook_duplicate(source.as_str(), started.elapsed());
            accepted(gold_reply, event_id, "duplicate")
        }
        Err(IngestError::Overloaded) => {
            metrics::webhook_rejected(source.as_str(), RejectCause::Overloaded.as_str());
            app.rejections.note(
                source.as_str(),
                RejectCause::Overloaded,
                "ingest queue full",
            );
            error_response(RejectCause::Overloaded, "busy, retry later", &[])
        }
        Err(IngestError::Store) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"code": "internal", "message": "storage failed, retry later"}})),
        )
            .into_response(),
    }
}

/// Content type and size checks, then the whole body (bounded).
async fn read_body(app: &App, headers: &HeaderMap, body: Body) -> Result<Bytes, Rejection> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(Rejection::new(
            RejectCause::UnsupportedContentType,
            format!("content type `{mime}` is not application/json"),
        ));
    }
    let limit = app.config.server.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(Rejection::new(
            RejectCause::BodyTooLarge,
            format!("body is larger than {limit} bytes"),
        ));
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        Rejection::new(
            RejectCause::BodyTooLarge,
            format!("body is larger than {limit} bytes or was cut short"),
        )
    })
}

/// Verification and the per-source contract. Runs over the raw bytes before any parsing.
async fn check(
    app: &App,
    source: Source,
    headers: &HeaderMap,
    body: &Bytes,
    received_at: i64,
) -> Result<Verified, Rejection> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let now_secs = received_at / 1000;
    let webhooks = &app.config.webhooks;
    let base = |delivery_id: String, topic: String, verification: &str| NewWebhookEvent {
        source: source.as_str().into(),
        delivery_id,
        topic,
        event_id: None,
        shop_domain: None,
        api_version: None,
        triggered_at: None,
        resource_key: None,
        received_at,
        verification: verification.into(),
        headers_json: stored_headers(headers),
        body: body.to_vec(),
        synthetic: false,
    };
    match source {
        Source::Shopify => {
            verify::shopify::verify(
                &webhooks.shopify.secrets,
                header("x-shopify-hmac-sha256"),
                body,
            )?;
            let topic = header("x-shopify-topic");
            let resource_key =
                payload::shopify_resource_key(topic.unwrap_or(""), body).map_err(malformed)?;
            let topic = topic.ok_or_else(|| missing_header("X-Shopify-Topic"))?;
            let delivery = header("x-shopify-webhook-id")
                .ok_or_else(|| missing_header("X-Shopify-Webhook-Id"))?;
            let mut event = base(delivery.into(), topic.into(), "hmac-sha256");
            event.event_id = header("x-shopify-event-id").map(Into::into);
            event.shop_domain = header("x-shopify-shop-domain").map(Into::into);
            event.api_version = header("x-shopify-api-version").map(Into::into);
            event.triggered_at = header("x-shopify-triggered-at").and_then(parse_rfc3339_ms);
            event.resource_key = resource_key;
            Ok(Verified {
                event,
                gold_reply: false,
            })
        }
        Source::Chatwoot => {
            let verification = match &webhooks.chatwoot.secret {
                Some(secret) => {
                    verify::chatwoot::verify(
                        secret,
                        header("x-chatwoot-signature"),
                        header("x-chatwoot-timestamp"),
                        body,
                        now_secs,
                        webhooks.chatwoot.timestamp_tolerance_secs,
                    )?;
                    "hmac-sha256"
                }
                None => "unsigned",
            };
            let parsed: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
            // Chatwoot names the event only in the body.
            let topic = parsed
                .get("event")
                .and_then(|e| e.as_str())
                .unwrap_or("unknown")
                .to_owned();
            let delivery = match header("x-chatwoot-delivery") {
                Some(id) => id.to_owned(),
                None => payload::chatwoot_fallback_delivery_id(&parsed, body)
                    .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body)))),
            };
            let mut event = base(delivery, topic.clone(), verification);
            event.resource_key = payload::chatwoot_resource_key(
                &topic,
                &parsed,
                &payload::PayloadDefaults::from_config(&app.config),
            );
            Ok(Verified {
                event,
                gold_reply: false,
            })
        }
        Source::GoldReplies => {
            let token = webhooks
                .gold_replies
                .bearer_token
                .as_ref()
                .ok_or(VerifyError::BadToken)?;
            let presented = header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Compare digests so neither content nor length leaks through timing.
            if !bool::from(
                Sha256::digest(presented.as_bytes())
                    .ct_eq(&Sha256::digest(token.expose().as_bytes())),
            ) {
                return Err(VerifyError::BadToken.into());
            }
            let id = header("webhook-id").ok_or_else(|| missing_header("webhook-id"))?;
            verify::standard::verify(
                &webhooks.gold_replies.signing_secrets,
                id,
                header("webhook-timestamp"),
                header("webhook-signature"),
                body,
                now_secs,
                webhooks.gold_replies.timestamp_tolerance_secs,
            )?;
            let reply = validate_gold_reply(body).map_err(|errors| {
                let malformed_json = errors.iter().any(|e| e.field == "$");
                let cause = if malformed_json {
                    RejectCause::MalformedJson
                } else {
                    RejectCause::InvalidPayload
                };
                let mut rejection =
                    Rejection::new(cause, format!("{} invalid field(s)", errors.len()));
                rejection.delivery_id = Some(id.into());
                rejection.field_errors = errors;
                rejection
            })?;
            if app
                .store
                .gold_reply_conflicts(reply.conversation_id, id)
                .await
                .unwrap_or(false)
            {
                let mut rejection = Rejection::new(
                    RejectCause::Conflict,
                    "a gold reply already exists for this conversation",
                );
                rejection.delivery_id = Some(id.into());
                return Err(rejection);
            }
            let mut event = base(
                id.into(),
                payload::GOLD_REPLY_TOPIC.into(),
                "bearer+standard-webhooks",
            );
            event.shop_domain = Some(reply.shop_domain.clone());
            event.resource_key = Some(gold_reply_resource_key(reply.conversation_id));
            Ok(Verified {
                event,
                gold_reply: true,
            })
        }
    }
}

fn malformed(error: serde_json::Error) -> Rejection {
    Rejection::new(
        RejectCause::MalformedJson,
        format!("body is not valid JSON: {error}"),
    )
}

fn missing_header(name: &str) -> Rejection {
    Rejection::new(
        RejectCause::MissingHeader,
        format!("required header {name} is missing"),
    )
}

/// Request headers as a JSON object, without credentials (the bearer token, cookies).
fn stored_headers(headers: &HeaderMap) -> String {
    serde_json::to_string(&StoredHeaders(headers)).unwrap_or_else(|_| "{}".to_owned())
}

/// The headers kept with a delivery, as one JSON object written straight from the `HeaderMap`:
/// credentials dropped, a repeated header's values joined with ", ".
struct StoredHeaders<'a>(&'a HeaderMap);

impl serde::Serialize for StoredHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kept = self.0.keys().filter(|name| {
            !matches!(
                name.as_str(),
                "authorization" | "proxy-authorization" | "cookie"
            )
        });
        serializer.collect_map(kept.map(|name| {
            let mut values = self.0.get_all(name).iter();
            let first = values
                .next()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .unwrap_or_default();
            let value = values.fold(first, |mut joined, v| {
                let joined_mut = joined.to_mut();
                joined_mut.push_str(", ");
                joined_mut.push_str(&String::from_utf8_lossy(v.as_bytes()));
                joined
            });
            (name.as_str(), value)
        }))
    }
}

fn parse_rfc3339_ms(value: &str) -> Option<i64> {
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

fn accepted(gold_reply: bool, event_id: i64, status: &str) -> Response {
    if gold_reply {
        // The contract the support tool was built against (shared/fixtures/gold-replies.md).
        return Json(json!({
            "success": true,
            "goldReplyId": event_id,
            "status": "pending_review",
            "message": if status == "duplicate" { "Gold reply already received" } else { "Gold reply received for review" },
            "reviewUrl": format!("/webhooks/events/{event_id}"),
        }))
        .into_response();
    }
    Json(json!({ "status": status, "id": event_id })).into_response()
}

/// Records and answers a refusal.
async fn refuse(
    app: &App,
    source: &str,
    body: &[u8],
    received_at: i64,
    rejection: Rejection,
) -> Response {
    let cause = rejection.cause;
    metrics::webhook_rejected(
        if Source::parse(source).is_some() {
            source
        } else {
            "unknown"
        },
        cause.as_str(),
    );
    app.rejections.note(source, cause, &rejection.detail);
    let record = NewRejection {
        // Unknown path segments are attacker-chosen: cap what is stored.
        source: source.chars().take(64).collect(),
        cause: cause.as_str().into(),
        status_code: cause.status(),
        received_at,
        delivery_id: rejection.delivery_id.clone(),
        topic: rejection.topic.clone(),
        body_len: i64::try_from(body.len()).unwrap_or(i64::MAX),
        body_sha256: if body.is_empty() {
            String::new()
        } else {
            hex::encode(Sha256::digest(body))
        },
        detail: rejection.detail.chars().take(500).collect(),
    };
    app.ingest.reject(record).await;
    error_response(cause, &rejection.detail, &rejection.field_errors)
}

fn error_response(cause: RejectCause, message: &str, field_errors: &[FieldError]) -> Response {
    let status = StatusCode::from_u16(cause.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut error = json!({ "code": cause.as_str(), "message": message });
    if !field_errors.is_empty() {
        error["fields"] = json!(field_errors);
    }
    let mut response = (status, Json(json!({ "success": false, "error": error }))).into_response();
    if cause == RejectCause::Overloaded {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}
