//! Chatwoot webhook bodies turned into conversation and message effects. The event name is
//! the body's `event` field (and the stored topic); conversation events carry the conversation
//! object itself, message events the message with its `conversation` and `account`. Times come
//! as unix seconds (integer or float) or ISO 8601 strings, depending on field and version.

use hotdash_db::{ConversationRow, Effect, MessageRow};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Handled, PayloadContext, PayloadError, int, required, rfc3339_ms, text};

/// Effects for one Chatwoot delivery of event `topic`.
pub(super) fn derive(
    topic: &str,
    body: &[u8],
    cx: &PayloadContext,
) -> Result<Handled, PayloadError> {
    let effect = match topic {
        "conversation_created" | "conversation_updated" | "conversation_status_changed" => {
            Effect::Conversation(conversation(&serde_json::from_slice(body)?, cx)?)
        }
        "message_created" | "message_updated" => {
            Effect::Message(message(&serde_json::from_slice(body)?, cx)?)
        }
        _ => return Ok(Handled::Ignored),
    };
    Ok(Handled::Effects(vec![effect]))
}

/// `chatwoot:conversation:<account>:<id>` or `chatwoot:message:<account>:<id>`.
pub(super) fn resource_key(topic: &str, body: &[u8], default_account: i64) -> Option<String> {
    key_of(topic, &serde_json::from_slice(body).ok()?, default_account)
}

/// [`resource_key`] of an already parsed body.
pub(super) fn key_of(topic: &str, body: &Value, default_account: i64) -> Option<String> {
    let kind = match topic {
        "conversation_created" | "conversation_updated" | "conversation_status_changed" => {
            "conversation"
        }
        "message_created" | "message_updated" => "message",
        _ => return None,
    };
    let id = int(body, "id")?;
    Some(format!(
        "chatwoot:{kind}:{}:{id}",
        account_id(body, default_account)
    ))
}

/// `<event>:<id>:<updated_at>` as written in the body. Without `updated_at` (message payloads
/// lack it), `created_at` stands in; for an `*_updated` event it is the same for every edit, so a
/// digest of the body is added: two different edits stay two deliveries while a resent copy of
/// one edit is still a duplicate.
/// `body` is `raw` parsed.
pub(super) fn fallback_delivery_id(body: &Value, raw: &[u8]) -> Option<String> {
    let event = text(body, "event")?;
    let id = scalar(body.get("id")?)?;
    if let Some(updated_at) = body.get("updated_at").and_then(scalar) {
        return Some(format!("{event}:{id}:{updated_at}"));
    }
    let created_at = body.get("created_at").and_then(scalar)?;
    if event.ends_with("_updated") {
        let digest = hex::encode(&Sha256::digest(raw)[..8]);
        return Some(format!("{event}:{id}:{created_at}:{digest}"));
    }
    Some(format!("{event}:{id}:{created_at}"))
}

/// A number or string as text; anything else (null, objects) is `None`.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The account a body belongs to: `account.id`, else `account_id`, else the configured one.
/// Conversation payloads carry no account at all (Chatwoot's `push_data` omits it) while
/// message payloads name theirs, so without the configured default the two would not join.
fn account_id(body: &Value, default_account: i64) -> i64 {
    (body.get("account").and_then(|a| int(a, "id")))
        .or_else(|| int(body, "account_id"))
        .unwrap_or(default_account)
}

/// A Chatwoot time as unix ms: seconds as an integer or float, or an ISO 8601 string.
/// Absent, null and non-positive values are `None`: Chatwoot sends `nil.to_i`, i.e. 0, for
/// times that have not happened (`waiting_since`, `first_reply_created_at`).
fn chatwoot_time(object: &Value, key: &'static str) -> Result<Option<i64>, PayloadError> {
    let ms = match object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(iso)) => rfc3339_ms(iso, key)?,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(secs) => required(secs.checked_mul(1000), key)?,
            None => {
                let secs = required(n.as_f64().filter(|s| s.is_finite()), key)?;
                // Within i64 for any plausible date; `as` saturates rather than wraps anyway.
                (secs * 1000.0).round() as i64
            }
        },
        Some(_) => return Err(PayloadError::Field(key)),
    };
    Ok((ms > 0).then_some(ms))
}

fn conversation(c: &Value, cx: &PayloadContext) -> Result<ConversationRow, PayloadError> {
    let labels = c.get("labels").and_then(Value::as_array).map(Vec::as_slice);
    let labels: Vec<&str> = labels
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // `updated_at` (float seconds) is absent from older Chatwoot versions: fall back to the
    // delivery's trigger time, else our receipt time, which are no earlier than the change.
    let updated_at = chatwoot_time(c, "updated_at")?.unwrap_or_else(|| cx.event_time());
    Ok(ConversationRow {
        account_id: account_id(c, cx.defaults.chatwoot_account_id),
        id: required(int(c, "id"), "id")?,
        inbox_id: int(c, "inbox_id"),
        status: required(text(c, "status"), "status")?,
        assignee_id: c
            .get("meta")
            .and_then(|m| m.get("assignee"))
            .and_then(|a| int(a, "id")),
        labels: serde_json::to_string(&labels)?,
        // Older versions omit `created_at` too; the best bound we have is the change time.
        created_at: chatwoot_time(c, "created_at")?.unwrap_or(updated_at),
        updated_at,
        // `timestamp` is `last_activity_at.to_i` in every version, including those without
        // a `last_activity_at` field.
        last_activity_at: match chatwoot_time(c, "last_activity_at")? {
            Some(at) => Some(at),
            None => chatwoot_time(c, "timestamp")?,
        },
        first_reply_created_at: chatwoot_time(c, "first_reply_created_at")?,
        waiting_since: chatwoot_time(c, "waiting_since")?,
    })
}

fn message(m: &Value, cx: &PayloadContext) -> Result<MessageRow, PayloadError> {
    let conversation_id =
        (m.get("conversation").and_then(|c| int(c, "id"))).or_else(|| int(m, "conversation_id"));
    // Webhooks send the string enum; `push_event_data` shapes send its integer.
    let message_type = match m.get("message_type") {
        Some(Value::String(name)) => Some(name.clone()),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some("incoming".to_owned()),
            Some(1) => Some("outgoing".to_owned()),
            Some(2) => Some("activity".to_owned()),
            Some(3) => Some("template".to_owned()),
            _ => None,
        },
        _ => None,
    };
    let created_at = required(chatwoot_time(m, "created_at")?, "created_at")?;
    Ok(MessageRow {
        account_id: account_id(m, cx.defaults.chatwoot_account_id),
        id: required(int(m, "id"), "id")?,
        conversation_id: required(conversation_id, "conversation.id")?,
        message_type: required(message_type, "message_type")?,
        is_private: m.get("private").and_then(Value::as_bool).unwrap_or(false),
        content: text(m, "content"),
        sender_type: m.get("sender").and_then(|s| text(s, "type")),
        created_at,
        // Message webhook data has no `updated_at` in most versions; an edit then keeps the
        // creation time, which the `>=` watermark still lets through.
        updated_at: chatwoot_time(m, "updated_at")?.unwrap_or(created_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: i64 = 1_700_000_000_000;

    fn json(body: &[u8]) -> Value {
        serde_json::from_slice(body).expect("test bodies are JSON")
    }

    fn cx(triggered_at: Option<i64>) -> PayloadContext {
        PayloadContext {
            triggered_at,
            received_at: RECEIVED,
            webhook_event_id: 1,
            defaults: super::super::PayloadDefaults {
                chatwoot_account_id: 9,
            },
        }
    }

    fn one(topic: &str, body: &str, cx: &PayloadContext) -> Effect {
        match derive(topic, body.as_bytes(), cx) {
            Ok(Handled::Effects(mut effects)) if effects.len() == 1 => effects.remove(0),
            other => panic!("{topic}: expected one effect, got {other:?}"),
        }
    }

    // The `conversation_status_changed` sample from the Chatwoot webhook docs.
    const STATUS_CHANGED: &str = r#"{ "event": "conversation_status_changed", "id": 10,
      "inbox_id": 1, "status": "open", "channel": "Channel::WebWidget", "can_reply": true,
      "unread_count": 0, "agent_last_seen_at": 1627063451, "contact_last_seen_at": 0,
      "timestamp": 1627063369,
      "meta": { "sender": { "id": 12, "email": "jane@acme.inc", "type": "contact" },
                "assignee": { "id": 1, "name": "John", "type": "user" } },
      "messages": [], "contact_inbox": { "id": 12 }, "additional_attributes": {},
      "changed_attributes": [ { "status": { "previous_value": "pending", "current_value": "open" } } ] }"#;

    #[test]
    fn conversation_status_changed_without_times_falls_back_to_event_time() {
        let want = ConversationRow {
            account_id: 9,
            id: 10,
            inbox_id: Some(1),
            status: "open".into(),
            assignee_id: Some(1),
            labels: "[]".into(),
            created_at: 42,
            updated_at: 42,
            last_activity_at: Some(1_627_063_369_000),
            first_reply_created_at: None,
            waiting_since: None,
        };
        let got = one("conversation_status_changed", STATUS_CHANGED, &cx(Some(42)));
        assert_eq!(got, Effect::Conversation(want));
        let Effect::Conversation(row) = one("conversation_created", STATUS_CHANGED, &cx(None))
        else {
            panic!("expected a conversation");
        };
        assert_eq!(row.updated_at, RECEIVED);
    }

    #[test]
    fn conversation_updated_reads_float_seconds_iso_strings_and_labels() {
        let body = r#"{"event": "conversation_updated", "id": 42, "account_id": 3, "status": "pending",
          "inbox_id": 2, "meta": {"assignee": null}, "labels": ["wholesale", "vip"],
          "created_at": 1732239000, "updated_at": 1732240000.123456,
          "last_activity_at": 1732240000, "first_reply_created_at": "2024-11-22T01:50:00.000Z",
          "waiting_since": 0, "priority": null}"#;
        let Effect::Conversation(c) = one("conversation_updated", body, &cx(None)) else {
            panic!("expected a conversation");
        };
        assert_eq!((c.account_id, c.id, c.assignee_id), (3, 42, None));
        assert_eq!(c.labels, r#"["wholesale","vip"]"#);
        assert_eq!(
            (c.created_at, c.updated_at),
            (1_732_239_000_000, 1_732_240_000_123)
        );
        assert_eq!(c.first_reply_created_at, Some(1_732_240_200_000));
        assert_eq!(
            (c.last_activity_at, c.waiting_since),
            (Some(1_732_240_000_000), None)
        );
    }

    // The `message_created` sample from the Chatwoot webhook docs (trimmed).
    const MESSAGE: &str = r#"{ "event": "message_created", "id": 118, "content": "hi",
      "created_at": "2021-07-23T18:02:48.000Z", "message_type": "incoming",
      "content_type": "text", "private": false, "content_attributes": {}, "source_id": null,
      "sender": { "id": 14, "name": "little-haze-776", "avatar": "", "type": "contact" },
      "inbox": { "id": 1, "name": "Acme Support" },
      "conversation": { "id": 10, "inbox_id": 1, "status": "open", "timestamp": 1627063369,
        "messages": [ { "id": 120, "message_type": 3, "created_at": 1627063369, "conversation_id": 10 } ] },
      "account": { "id": 1, "name": "Acme Inc" } }"#;

    #[test]
    fn message_created_maps_sample_with_created_at_as_updated_at() {
        let want = MessageRow {
            account_id: 1,
            id: 118,
            conversation_id: 10,
            message_type: "incoming".into(),
            is_private: false,
            content: Some("hi".into()),
            sender_type: Some("contact".into()),
            created_at: 1_627_063_368_000,
            updated_at: 1_627_063_368_000,
        };
        assert_eq!(
            one("message_created", MESSAGE, &cx(Some(5))),
            Effect::Message(want)
        );
    }

    #[test]
    fn message_updated_accepts_integer_type_and_flat_conversation_id() {
        let body = r#"{"event": "message_updated", "id": 901, "message_type": 1, "private": true,
          "content": null, "conversation_id": 42, "account_id": 1,
          "created_at": 1732240000, "updated_at": 1732240500.5}"#;
        let Effect::Message(m) = one("message_updated", body, &cx(None)) else {
            panic!("expected a message");
        };
        assert_eq!(
            (m.message_type.as_str(), m.is_private, m.content),
            ("outgoing", true, None)
        );
        assert_eq!(
            (m.conversation_id, m.created_at, m.updated_at),
            (42, 1_732_240_000_000, 1_732_240_500_500)
        );
    }

    #[test]
    fn bad_message_fields_are_named_errors() {
        let field = |body: String| match derive("message_created", body.as_bytes(), &cx(None)) {
            Err(PayloadError::Field(name)) => name,
            other => panic!("expected a field error, got {other:?}"),
        };
        let untyped = MESSAGE.replace(r#""message_type": "incoming""#, r#""message_type": 9"#);
        assert_eq!(field(untyped), "message_type");
        let bad_time = MESSAGE.replace("2021-07-23T18:02:48.000Z", "last tuesday");
        assert_eq!(field(bad_time), "created_at");
        assert_eq!(
            field(r#"{"id": 1, "created_at": 1, "message_type": 0}"#.into()),
            "conversation.id"
        );
        let malformed = derive("message_created", b"{\"id\":", &cx(None));
        assert!(
            matches!(malformed, Err(PayloadError::Json(_))),
            "{malformed:?}"
        );
    }

    #[test]
    fn contact_and_widget_events_are_ignored() {
        for topic in [
            "contact_created",
            "contact_updated",
            "webwidget_triggered",
            "inbox_created",
        ] {
            let handled = derive(topic, br#"{"event": "x", "id": 7}"#, &cx(None));
            assert_eq!(handled.ok(), Some(Handled::Ignored), "{topic}");
        }
    }

    #[test]
    fn resource_keys_carry_account_and_id() {
        let key = |topic: &str, body: &str| resource_key(topic, body.as_bytes(), 9);
        assert_eq!(
            key("message_created", MESSAGE).as_deref(),
            Some("chatwoot:message:1:118")
        );
        let conversation = key("conversation_status_changed", STATUS_CHANGED);
        assert_eq!(conversation.as_deref(), Some("chatwoot:conversation:9:10"));
        let flat = r#"{"id": 5, "account_id": 2}"#;
        assert_eq!(
            key("conversation_updated", flat).as_deref(),
            Some("chatwoot:conversation:2:5")
        );
        assert_eq!(key("contact_created", flat), None);
        assert_eq!(key("message_created", "{}"), None);
    }

    #[test]
    fn fallback_delivery_id_prefers_updated_at_as_written() {
        let updated = br#"{"event": "conversation_updated", "id": 42, "created_at": 1, "updated_at": 1732240000.5}"#;
        assert_eq!(
            fallback_delivery_id(&json(updated), updated).as_deref(),
            Some("conversation_updated:42:1732240000.5")
        );
        let id = fallback_delivery_id(&json(MESSAGE.as_bytes()), MESSAGE.as_bytes());
        assert_eq!(
            id.as_deref(),
            Some("message_created:118:2021-07-23T18:02:48.000Z")
        );
        assert_eq!(
            fallback_delivery_id(&json(br#"{"event": "contact_created", "id": 7}"#), b""),
            None
        );
        assert_eq!(
            fallback_delivery_id(&json(br#"{"id": 7, "created_at": 1}"#), b""),
            None
        );
    }

    #[test]
    fn fallback_delivery_ids_tell_message_edits_apart() {
        let edit = |content: &str| {
            let body = format!(
                r#"{{"event": "message_updated", "id": 118, "created_at": "2021-07-23T18:02:48.000Z", "content": "{content}"}}"#
            );
            fallback_delivery_id(&json(body.as_bytes()), body.as_bytes()).expect("an id")
        };
        assert_ne!(edit("first"), edit("second"));
        assert_eq!(edit("first"), edit("first"));
        assert!(edit("first").starts_with("message_updated:118:2021-07-23T18:02:48.000Z:"));
    }
}
