//! JSON shapes, as Chatwoot's jbuilder views and model `*_data` methods build them: the API
//! form (integer `message_type`, unix-second times) and the webhook form (string
//! `message_type`, Rails datetimes), plus Rails' `to_json` escaping for webhook bodies.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use super::data::{self, Data};
use crate::world::model::{Agent, Contact, Conversation, CsatResponse, Message, MessageType};

pub fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// `updated_at.to_f`: seconds with the fraction.
pub fn unix_f(t: OffsetDateTime) -> f64 {
    // Exact to the microsecond for any plausible date; f64 is what Ruby's to_f gives too.
    t.unix_timestamp_nanos() as f64 / 1e9
}

/// A Rails datetime in JSON: UTC with milliseconds, `2021-07-23T18:02:48.000Z`.
pub fn rails_time(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// Rails' `to_json`: escapes `<`, `>`, `&` (and U+2028/U+2029) as `\u003c`-style sequences.
/// Those characters can only occur inside JSON strings, so replacing them after serde is safe.
pub fn ruby_json(value: &Value) -> Vec<u8> {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + 16);
    for ch in plain.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out.into_bytes()
}

/// A stable UUID-shaped string for `seed` (contact inbox source ids, pubsub tokens).
pub fn uuid_from(seed: &str) -> String {
    let h = hex::encode(Sha256::digest(seed.as_bytes()));
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// `api/v1/models/_contact.json.jbuilder`
pub fn contact(c: &Contact) -> Value {
    json!({
        "additional_attributes": {},
        "availability_status": "offline",
        "email": c.email,
        "id": c.id,
        "name": c.name,
        "phone_number": c.phone_number,
        "identifier": null,
        "thumbnail": "",
        "custom_attributes": {},
        "blocked": false,
        "last_activity_at": unix(c.last_activity_at),
        "created_at": unix(c.created_at),
    })
}

/// `api/v1/models/_agent.json.jbuilder`
pub fn agent(a: &Agent, account_id: u64) -> Value {
    json!({
        "id": a.id,
        "account_id": account_id,
        "availability_status": a.availability_status,
        "auto_offline": true,
        "confirmed": true,
        "email": a.email,
        "provider": "email",
        "available_name": a.name,
        "name": a.name,
        "role": a.role,
        "thumbnail": "",
        "custom_role_id": null,
    })
}

/// `Contact#push_event_data`
fn contact_push(c: &Contact) -> Value {
    json!({
        "additional_attributes": {},
        "custom_attributes": {},
        "email": c.email,
        "id": c.id,
        "identifier": null,
        "name": c.name,
        "phone_number": c.phone_number,
        "thumbnail": "",
        "type": "contact",
    })
}

/// `User#push_event_data`
fn agent_push(a: &Agent) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "available_name": a.name,
        "avatar_url": "",
        "type": "user",
        "availability_status": a.availability_status,
        "thumbnail": "",
    })
}

/// `Message#push_event_data`: the API form, integer `message_type`, unix `created_at`.
pub fn message(m: &Message, conv: &Conversation, data: &Data<'_>) -> Value {
    let (sender_type, sender_id, sender) = sender(m, data, contact_push, agent_push);
    json!({
        "id": m.id,
        "content": m.content,
        "account_id": data.account_id,
        "inbox_id": conv.inbox_id,
        "conversation_id": conv.id,
        "message_type": m.message_type.as_int(),
        "content_type": content_type(m),
        "status": "sent",
        "content_attributes": {},
        "created_at": unix(m.created_at),
        "updated_at": rails_time(m.created_at),
        "private": m.private,
        "source_id": null,
        "sender_type": sender_type,
        "sender_id": sender_id,
        "sender": sender,
    })
}

/// The world's template messages are the CSAT surveys Chatwoot sends on resolution.
fn content_type(m: &Message) -> &'static str {
    if m.message_type == MessageType::Template {
        "input_csat"
    } else {
        "text"
    }
}

/// The sender's polymorphic type, id and rendering (contact for incoming, user for outgoing).
fn sender(
    m: &Message,
    data: &Data<'_>,
    contact_form: fn(&Contact) -> Value,
    agent_form: fn(&Agent) -> Value,
) -> (Value, Value, Value) {
    if let Some(c) = m.sender_contact_id.and_then(|id| data.contact(id)) {
        return (json!("Contact"), json!(c.id), contact_form(c));
    }
    if let Some(a) = m.sender_agent_id.and_then(|id| data.agent(id)) {
        return (json!("User"), json!(a.id), agent_form(a));
    }
    (Value::Null, Value::Null, Value::Null)
}

fn last_chat_message(conv: &Conversation) -> Option<&Message> {
    conv.messages.iter().rev().find(|m| data::is_chat(m))
}

fn custom_attributes(conv: &Conversation) -> Value {
    match &conv.order_name {
        Some(order) => json!({ "shopify_order": order }),
        None => json!({}),
    }
}

fn channel<'a>(conv: &Conversation, data: &Data<'a>) -> Option<&'a str> {
    data.inbox(conv.inbox_id).map(|i| i.channel_type.as_str())
}

fn seen(t: Option<OffsetDateTime>) -> i64 {
    t.map_or(0, unix)
}

/// `api/v1/conversations/partials/_conversation.json.jbuilder`: list items and `show`.
pub fn conversation(conv: &Conversation, data: &Data<'_>) -> Value {
    let messages: Vec<Value> = last_chat_message(conv)
        .map(|m| message(m, conv, data))
        .into_iter()
        .collect();
    let last_non_activity = conv
        .messages
        .iter()
        .rev()
        .find(|m| m.message_type != MessageType::Activity)
        .map(|m| message(m, conv, data));
    json!({
        "meta": {
            "sender": data.contact(conv.contact_id).map(contact),
            "channel": channel(conv, data),
            "assignee": conv.assignee_id.and_then(|id| data.agent(id)).map(|a| agent(a, data.account_id)),
            "team": null,
            "hmac_verified": false,
        },
        "id": conv.id,
        "messages": messages,
        "account_id": data.account_id,
        "uuid": conv.uuid,
        "additional_attributes": {},
        "agent_last_seen_at": seen(data::agent_last_seen_at(conv)),
        "assignee_last_seen_at": seen(data::agent_last_seen_at(conv)),
        "can_reply": true,
        "contact_last_seen_at": 0,
        "custom_attributes": custom_attributes(conv),
        "inbox_id": conv.inbox_id,
        "labels": conv.labels,
        "muted": false,
        "snoozed_until": null,
        "status": conv.status,
        "created_at": unix(conv.created_at),
        "updated_at": unix_f(conv.updated_at),
        "timestamp": unix(conv.last_activity_at),
        "first_reply_created_at": seen(conv.first_reply_created_at),
        "unread_count": data::unread_count(conv),
        "last_non_activity_message": last_non_activity,
        "last_activity_at": unix(conv.last_activity_at),
        "priority": conv.priority,
        "waiting_since": seen(conv.waiting_since),
        "sla_policy_id": null,
    })
}

/// The `ContactInbox` record as `to_json` renders it.
fn contact_inbox(conv: &Conversation) -> Value {
    let created = rails_time(conv.created_at);
    json!({
        "id": conv.contact_id * 10 + conv.inbox_id,
        "contact_id": conv.contact_id,
        "inbox_id": conv.inbox_id,
        "source_id": uuid_from(&format!("contact_inbox:{}:{}", conv.contact_id, conv.inbox_id)),
        "created_at": created,
        "updated_at": created,
        "hmac_verified": false,
        "pubsub_token": uuid_from(&format!("pubsub:{}:{}", conv.contact_id, conv.inbox_id)).replace('-', ""),
    })
}

/// `Conversations::EventDataPresenter#push_data`: the body of conversation webhooks, and the
/// `conversation` inside message webhooks.
pub fn conversation_webhook(conv: &Conversation, data: &Data<'_>) -> Value {
    let messages: Vec<Value> = last_chat_message(conv)
        .map(|m| message(m, conv, data))
        .into_iter()
        .collect();
    let assignee = conv.assignee_id.and_then(|id| data.agent(id));
    json!({
        "additional_attributes": {},
        "can_reply": true,
        "channel": channel(conv, data),
        "contact_inbox": contact_inbox(conv),
        "id": conv.id,
        "inbox_id": conv.inbox_id,
        "messages": messages,
        "labels": conv.labels,
        "meta": {
            "sender": data.contact(conv.contact_id).map(contact_push),
            "assignee": assignee.map(agent_push),
            "assignee_type": assignee.map(|_| "User"),
            "team": null,
            "hmac_verified": false,
        },
        "status": conv.status,
        "custom_attributes": custom_attributes(conv),
        "snoozed_until": null,
        "unread_count": data::unread_count(conv),
        "first_reply_created_at": conv.first_reply_created_at.map(rails_time),
        "priority": conv.priority,
        "waiting_since": seen(conv.waiting_since),
        "agent_last_seen_at": seen(data::agent_last_seen_at(conv)),
        "contact_last_seen_at": 0,
        "last_activity_at": unix(conv.last_activity_at),
        "timestamp": unix(conv.last_activity_at),
        "created_at": unix(conv.created_at),
        "updated_at": unix_f(conv.updated_at),
    })
}

/// `Contact#webhook_data` / `User#webhook_data`
fn contact_webhook(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "avatar": "",
        "type": "contact",
        "email": c.email,
        "phone_number": c.phone_number,
        "identifier": null,
        "additional_attributes": {},
        "custom_attributes": {},
    })
}

fn agent_webhook(a: &Agent) -> Value {
    json!({ "id": a.id, "name": a.name, "email": a.email, "type": "user" })
}

/// `Message#webhook_data`: string `message_type`, Rails datetime `created_at`.
pub fn message_webhook(m: &Message, conv: &Conversation, data: &Data<'_>) -> Value {
    let (_, _, sender) = sender(m, data, contact_webhook, agent_webhook);
    json!({
        "account": { "id": data.account_id, "name": data.account_name },
        "additional_attributes": {},
        "content_attributes": {},
        "content_type": content_type(m),
        "content": m.content,
        "conversation": conversation_webhook(conv, data),
        "created_at": rails_time(m.created_at),
        "id": m.id,
        "inbox": data.inbox(conv.inbox_id).map(|i| json!({ "id": i.id, "name": i.name })),
        "message_type": m.message_type,
        "private": m.private,
        "sender": sender,
        "source_id": null,
    })
}

/// `webwidget_triggered`: `ContactInbox#webhook_data` plus `event_info`.
pub fn webwidget_triggered(conv: &Conversation, data: &Data<'_>) -> Value {
    json!({
        "id": conv.contact_id * 10 + conv.inbox_id,
        "contact": data.contact(conv.contact_id).map(contact_webhook),
        "inbox": data.inbox(conv.inbox_id).map(|i| json!({ "id": i.id, "name": i.name })),
        "account": { "id": data.account_id, "name": data.account_name },
        "current_conversation": null,
        "source_id": uuid_from(&format!("contact_inbox:{}:{}", conv.contact_id, conv.inbox_id)),
        "event_info": {
            "widget_language": "en",
            "browser_language": "en",
            "browser": { "browser_name": "Chrome", "platform_name": "macOS" },
        },
    })
}

/// `api/v1/models/_csat_survey_response.json.jbuilder`
pub fn csat(r: &CsatResponse, data: &Data<'_>) -> Value {
    let mut out = json!({
        "id": r.id,
        "rating": r.rating,
        "feedback_message": r.feedback_message,
        "account_id": data.account_id,
        "message_id": r.message_id,
        "conversation_id": r.conversation_id,
        "created_at": unix(r.created_at),
    });
    // jbuilder leaves the keys out (rather than null) when there is no contact or agent.
    if let Some(c) = data.contact(r.contact_id) {
        out["contact"] = contact(c);
    }
    if let Some(a) = r.assigned_agent_id.and_then(|id| data.agent(id)) {
        out["assigned_agent"] = agent(a, data.account_id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ruby_json_escapes_html_characters_like_active_support() {
        let body = ruby_json(&json!({"content": "<b>AN-6 & AN-8</b>\u{2028}"}));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"content":"\u003cb\u003eAN-6 \u0026 AN-8\u003c/b\u003e\u2028"}"#
        );
    }

    #[test]
    fn escaped_body_still_parses_to_the_same_text() {
        let original = json!({"content": "a<b>&c"});
        let parsed: Value = serde_json::from_slice(&ruby_json(&original)).unwrap();
        assert_eq!(parsed, original);
    }

    #[test]
    fn rails_time_has_milliseconds_and_z() {
        assert_eq!(
            rails_time(datetime!(2021-07-23 18:02:48.5 UTC)),
            "2021-07-23T18:02:48.500Z"
        );
        assert_eq!(
            rails_time(datetime!(2021-07-23 13:02:48 -5)),
            "2021-07-23T18:02:48.000Z"
        );
    }

    #[test]
    fn uuid_from_is_stable_and_uuid_shaped() {
        let a = uuid_from("x");
        assert_eq!(a, uuid_from("x"));
        assert_ne!(a, uuid_from("y"));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
    }
}
