//! Gold reply submissions: operator-approved replies sent by the internal support tool (the
//! contract is `fixtures/gold-replies.md` in the shared docs). [`validate_gold_reply`] checks a
//! body field by field and reports every problem at once, so the 400 response can list them;
//! a valid submission becomes one `gold_replies` row awaiting review.

use hotdash_db::GoldReplyRow;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::PayloadContext;

/// The categories a gold reply may be filed under.
pub const CATEGORIES: [&str; 6] = [
    "shipping_delay",
    "product_inquiry",
    "return_refund",
    "order_modification",
    "technical_support",
    "general_inquiry",
];

/// The longest `originalReply` accepted, in characters.
pub const MAX_REPLY_CHARS: usize = 10_000;

/// The status every new gold reply starts in.
pub const PENDING_REVIEW: &str = "pending_review";

/// One field-level validation problem, e.g. `{field: "conversationId", message: "is required"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// The field's JSON name, dotted for nested fields (`qualityMetrics.customerSatisfactionScore`);
    /// `$` for the body as a whole.
    pub field: String,
    /// What is wrong, phrased to follow the field name (`is required`).
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A validated gold reply submission.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldReply {
    /// The Chatwoot conversation the reply belongs to; at most one gold reply each.
    pub conversation_id: i64,
    /// The store, as `<name>.myshopify.com`.
    pub shop_domain: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// The approved reply text.
    pub original_reply: String,
    /// The operator's email.
    pub submitted_by: String,
    /// Link to the conversation in Chatwoot.
    pub evidence_url: String,
    /// `metadata.tags`; empty when absent.
    pub tags: Vec<String>,
    /// The whole submission as received, optional sections included.
    pub document: Value,
}

impl GoldReply {
    /// The row to store for this submission: pending review, stamped with its delivery.
    pub fn into_row(self, cx: &PayloadContext) -> GoldReplyRow {
        GoldReplyRow {
            conversation_id: self.conversation_id,
            webhook_event_id: cx.webhook_event_id,
            shop_domain: self.shop_domain,
            category: self.category,
            original_reply: self.original_reply,
            submitted_by: self.submitted_by,
            evidence_url: self.evidence_url,
            // `Value`'s `Display` is compact JSON and cannot fail.
            payload: self.document.to_string(),
            status: PENDING_REVIEW.to_owned(),
            created_at: cx.received_at,
        }
    }
}

/// Validates the JSON body against the contract; returns every field error at once (not just
/// the first). Malformed JSON is one [`FieldError`] with field `$` naming the problem.
pub fn validate_gold_reply(body: &[u8]) -> Result<GoldReply, Vec<FieldError>> {
    let document: Value = serde_json::from_slice(body)
        .map_err(|e| vec![FieldError::new("$", format!("malformed JSON: {e}"))])?;
    let Some(object) = document.as_object() else {
        return Err(vec![FieldError::new("$", "must be a JSON object")]);
    };
    let mut errors = Vec::new();
    for (name, kind) in REQUIRED {
        match present(object, name) {
            Some(value) => check(name.to_owned(), value, kind, &mut errors),
            None => errors.push(FieldError::new(name, "is required")),
        }
    }
    for (section, fields) in SECTIONS {
        match object.get(section) {
            None | Some(Value::Null) => {}
            Some(Value::Object(inner)) => {
                for &(key, kind) in fields {
                    if let Some(value) = present(inner, key) {
                        check(format!("{section}.{key}"), value, kind, &mut errors);
                    }
                }
            }
            Some(_) => errors.push(FieldError::new(section, "must be an object")),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Everything below was checked above, so the defaults are never used.
    let text = |name| {
        present(object, name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let tags = document.pointer("/metadata/tags").and_then(Value::as_array);
    Ok(GoldReply {
        conversation_id: present(object, "conversationId")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        shop_domain: text("shopDomain"),
        category: text("category"),
        original_reply: text("originalReply"),
        submitted_by: text("submittedBy"),
        evidence_url: text("evidenceUrl"),
        tags: tags
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        document,
    })
}

/// The `resource_key` of a gold reply delivery, from its `conversationId`.
pub(super) fn resource_key(body: &[u8]) -> Option<String> {
    let body: Value = serde_json::from_slice(body).ok()?;
    let id = body.get("conversationId")?.as_i64().filter(|id| *id > 0)?;
    Some(hotdash_db::gold_reply_resource_key(id))
}

/// What a field must hold.
#[derive(Clone, Copy)]
enum Kind {
    PositiveId,
    ShopDomain,
    Reply,
    Category,
    Email,
    HttpUrl,
    Text,
    Bool,
    NonNegative,
    /// An integer from 1 to 5.
    Score,
    /// An array of strings.
    Tags,
    /// An RFC 3339 timestamp string.
    Timestamp,
}

const REQUIRED: [(&str, Kind); 6] = [
    ("conversationId", Kind::PositiveId),
    ("shopDomain", Kind::ShopDomain),
    ("originalReply", Kind::Reply),
    ("category", Kind::Category),
    ("submittedBy", Kind::Email),
    ("evidenceUrl", Kind::HttpUrl),
];

/// The optional sections and their known fields; unknown fields pass through unchecked.
const SECTIONS: [(&str, &[(&str, Kind)]); 3] = [
    (
        "customerContext",
        &[
            ("issueType", Kind::Text),
            ("orderValue", Kind::NonNegative),
            ("customerTier", Kind::Text),
            ("orderNumber", Kind::Text),
            ("carrierName", Kind::Text),
        ],
    ),
    (
        "qualityMetrics",
        &[
            ("responseTimeMinutes", Kind::NonNegative),
            ("customerSatisfactionScore", Kind::Score),
            ("followUpRequired", Kind::Bool),
            ("followUpTimeframe", Kind::Text),
        ],
    ),
    (
        "metadata",
        &[
            ("sourceTemplate", Kind::Text),
            ("aiSuggestionUsed", Kind::Bool),
            ("operatorNote", Kind::Text),
            ("tags", Kind::Tags),
            ("submissionTimestamp", Kind::Timestamp),
        ],
    ),
];

/// A field's value, with null treated as absent.
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// Records what is wrong with `value` as a `kind`, if anything.
fn check(field: String, value: &Value, kind: Kind, errors: &mut Vec<FieldError>) {
    let text = value.as_str();
    let message = match kind {
        Kind::PositiveId if value.as_i64().is_none_or(|n| n <= 0) => "must be a positive integer",
        Kind::ShopDomain if !text.is_some_and(is_shop_domain) => "must be a *.myshopify.com domain",
        Kind::Reply | Kind::Text if text.is_none() => "must be a string",
        Kind::Reply if text.is_some_and(|s| s.trim().is_empty()) => "must not be empty",
        Kind::Reply if text.is_some_and(|s| s.chars().count() > MAX_REPLY_CHARS) => {
            &format!("must be at most {MAX_REPLY_CHARS} characters")
        }
        Kind::Category if !text.is_some_and(|s| CATEGORIES.contains(&s)) => {
            &format!("must be one of {}", CATEGORIES.join(", "))
        }
        Kind::Email if !text.is_some_and(is_email) => "must be an email address",
        Kind::HttpUrl if !text.is_some_and(is_http_url) => "must be an http or https URL",
        Kind::Bool if !value.is_boolean() => "must be true or false",
        Kind::NonNegative if !value.as_f64().is_some_and(|n| n >= 0.0) => {
            "must be a non-negative number"
        }
        Kind::Score if !value.as_i64().is_some_and(|n| (1..=5).contains(&n)) => {
            "must be an integer from 1 to 5"
        }
        Kind::Timestamp if !text.is_some_and(is_rfc3339) => "must be an RFC 3339 timestamp",
        Kind::Tags => match value.as_array() {
            None => "must be an array of strings",
            Some(tags) => {
                let bad = tags.iter().enumerate().filter(|(_, tag)| !tag.is_string());
                let bad =
                    bad.map(|(i, _)| FieldError::new(format!("{field}[{i}]"), "must be a string"));
                errors.extend(bad);
                return;
            }
        },
        _ => return,
    };
    errors.push(FieldError::new(field, message));
}

/// A `<store>.myshopify.com` host name.
fn is_shop_domain(s: &str) -> bool {
    s.strip_suffix(".myshopify.com").is_some_and(|store| {
        !store.is_empty()
            && !store.starts_with('-')
            && store
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Loosely an email address: one `@`, a non-empty local part, a dotted domain, no spaces.
/// Deliverability is not our concern; this catches names and typos pasted in the wrong field.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// An absolute `http` or `https` URL with a host.
fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

fn is_rfc3339(s: &str) -> bool {
    OffsetDateTime::parse(s, &Rfc3339).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A copy of `fixtures/gold-reply-sample.json` from the shared docs, embedded so the crate
    // builds and tests on its own.
    const SAMPLE: &str = r#"{
  "conversationId": 12345,
  "shopDomain": "staging-demo.myshopify.com",
  "originalReply": "Hi Sarah, thanks for reaching out about your order PWA-4098. I can see it's been sitting with our carrier for 2 days. I've just escalated this with UPS and they've promised an update within 3 hours. I'll email you directly once I hear back with a concrete delivery timeline. Thanks for your patience!",
  "category": "shipping_delay",
  "customerContext": {
    "issueType": "shipping_delay",
    "orderValue": 125.50,
    "customerTier": "regular",
    "orderNumber": "PWA-4098",
    "carrierName": "UPS"
  },
  "qualityMetrics": {
    "responseTimeMinutes": 12,
    "customerSatisfactionScore": 5,
    "followUpRequired": true,
    "followUpTimeframe": "3 hours"
  },
  "submittedBy": "operator@hotrodan.com",
  "evidenceUrl": "https://hotdash-chatwoot.fly.dev/conversations/12345",
  "metadata": {
    "sourceTemplate": "ack_delay",
    "aiSuggestionUsed": false,
    "operatorNote": "Customer particularly frustrated, escalated directly with carrier",
    "tags": ["shipping_delay", "urgent", "carrier_escalation"],
    "submissionTimestamp": "2025-10-11T01:15:00Z"
  }
}"#;

    fn sample() -> Value {
        serde_json::from_str(SAMPLE).unwrap_or_else(|e| panic!("sample is JSON: {e}"))
    }

    /// The problems with `body`, as `field: message` lines.
    fn errors(body: &Value) -> Vec<String> {
        match validate_gold_reply(body.to_string().as_bytes()) {
            Err(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect(),
            Ok(reply) => panic!("expected errors, got {reply:?}"),
        }
    }

    #[test]
    fn full_sample_validates_and_becomes_a_pending_row() {
        let reply = validate_gold_reply(SAMPLE.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            reply.tags,
            ["shipping_delay", "urgent", "carrier_escalation"]
        );
        let cx = PayloadContext {
            triggered_at: None,
            received_at: 1_760_000_000_000,
            webhook_event_id: 9,
            defaults: crate::webhooks::payload::PayloadDefaults::default(),
        };
        let row = reply.into_row(&cx);
        let want = GoldReplyRow {
            conversation_id: 12345,
            webhook_event_id: 9,
            shop_domain: "staging-demo.myshopify.com".into(),
            category: "shipping_delay".into(),
            original_reply: sample()["originalReply"]
                .as_str()
                .unwrap_or_default()
                .into(),
            submitted_by: "operator@hotrodan.com".into(),
            evidence_url: "https://hotdash-chatwoot.fly.dev/conversations/12345".into(),
            payload: row.payload.clone(),
            status: "pending_review".into(),
            created_at: 1_760_000_000_000,
        };
        assert_eq!(row, want);
        // The payload is the whole submission, re-serialised compactly.
        assert!(!row.payload.contains('\n'), "{}", row.payload);
        assert_eq!(
            serde_json::from_str::<Value>(&row.payload).ok(),
            Some(sample())
        );
    }

    #[test]
    fn every_required_field_problem_is_reported_at_once() {
        let mut body = sample();
        body["conversationId"] = Value::Null;
        body["shopDomain"] = "staging-demo.example.com".into();
        body["originalReply"] = "   ".into();
        body["category"] = "complaint".into();
        body["submittedBy"] = "Sarah the operator".into();
        body["evidenceUrl"] = "ftp://hotdash-chatwoot.fly.dev/conversations/12345".into();
        assert_eq!(
            errors(&body),
            [
                "conversationId: is required",
                "shopDomain: must be a *.myshopify.com domain",
                "originalReply: must not be empty",
                "category: must be one of shipping_delay, product_inquiry, return_refund, order_modification, technical_support, general_inquiry",
                "submittedBy: must be an email address",
                "evidenceUrl: must be an http or https URL",
            ]
        );
        let missing: Vec<String> = errors(&serde_json::json!({"metadata": {}}));
        assert_eq!(missing.len(), 6, "{missing:?}");
        assert!(
            missing.iter().all(|e| e.ends_with(": is required")),
            "{missing:?}"
        );
    }

    #[test]
    fn optional_sections_are_type_checked_with_nested_field_names() {
        let mut body = sample();
        body["conversationId"] = (-3).into();
        body["qualityMetrics"]["customerSatisfactionScore"] = 6.into();
        body["qualityMetrics"]["followUpRequired"] = "yes".into();
        body["customerContext"]["orderValue"] = "125.50".into();
        body["metadata"]["tags"] = serde_json::json!(["urgent", 7, "ai_ready", null]);
        body["metadata"]["submissionTimestamp"] = "last friday".into();
        assert_eq!(
            errors(&body),
            [
                "conversationId: must be a positive integer",
                "customerContext.orderValue: must be a non-negative number",
                "qualityMetrics.customerSatisfactionScore: must be an integer from 1 to 5",
                "qualityMetrics.followUpRequired: must be true or false",
                "metadata.tags[1]: must be a string",
                "metadata.tags[3]: must be a string",
                "metadata.submissionTimestamp: must be an RFC 3339 timestamp",
            ]
        );
        // Unknown fields pass, null optional fields count as absent, sections must be objects.
        let mut body = sample();
        body["customerContext"]["loyaltyPoints"] = 120.into();
        body["qualityMetrics"]["customerSatisfactionScore"] = Value::Null;
        body["metadata"] = "none".into();
        assert_eq!(errors(&body), ["metadata: must be an object"]);
    }

    #[test]
    fn original_reply_is_limited_to_ten_thousand_characters() {
        let mut body = sample();
        body["originalReply"] = "é".repeat(MAX_REPLY_CHARS).into();
        assert!(validate_gold_reply(body.to_string().as_bytes()).is_ok());
        body["originalReply"] = "é".repeat(MAX_REPLY_CHARS + 1).into();
        assert_eq!(
            errors(&body),
            ["originalReply: must be at most 10000 characters"]
        );
    }

    #[test]
    fn malformed_json_or_non_object_is_one_body_error() {
        let Err(malformed) = validate_gold_reply(b"{\"conversationId\": 1,") else {
            panic!("malformed JSON accepted");
        };
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].field, "$");
        assert!(
            malformed[0].message.starts_with("malformed JSON: "),
            "{malformed:?}"
        );
        assert_eq!(
            errors(&serde_json::json!([1, 2])),
            ["$: must be a JSON object"]
        );
    }

    #[test]
    fn resource_key_names_the_conversation() {
        let key = resource_key(SAMPLE.as_bytes());
        assert_eq!(key, Some(hotdash_db::gold_reply_resource_key(12345)));
        assert_eq!(resource_key(br#"{"conversationId": "12345"}"#), None);
        assert_eq!(resource_key(b"nope"), None);
    }
}
