//! Chatwoot API records to store rows, with the webhook path's conventions
//! (`webhooks/payload/chatwoot.rs`) so both give identical rows for the same state: labels as
//! a JSON array, status strings as sent, `message_type` names, `sender.type`, times in unix ms
//! with 0 meaning "not yet".

use hotdash_db::{ConversationRow, CsatRow, DailyMetricRow, MessageRow};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::connectors::ConnectorError;

fn bad(what: &str, key: &str) -> ConnectorError {
    ConnectorError::Invalid(format!("{what} without a usable `{key}`"))
}

fn int(object: &Value, key: &str) -> Option<i64> {
    object.get(key)?.as_i64()
}

fn text(object: &Value, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

/// A Chatwoot time as unix ms: integer or float seconds, or an RFC 3339 string. Absent, null
/// and non-positive values are `None` (Chatwoot sends `0` for times that have not happened).
pub fn time_ms(object: &Value, key: &str) -> Result<Option<i64>, ConnectorError> {
    let ms = match object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(iso)) => {
            let at = OffsetDateTime::parse(iso, &Rfc3339).map_err(|_| bad("a record", key))?;
            i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
                .map_err(|_| bad("a record", key))?
        }
        Some(Value::Number(n)) => match n.as_i64() {
            Some(secs) => secs.checked_mul(1000).ok_or_else(|| bad("a record", key))?,
            None => {
                let secs = n
                    .as_f64()
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| bad("a record", key))?;
                // The webhook path rounds the same way, so both agree to the millisecond.
                (secs * 1000.0).round() as i64
            }
        },
        Some(_) => return Err(bad("a record", key)),
    };
    Ok((ms > 0).then_some(ms))
}

/// A conversation list item (or `GET /conversations/{id}`) as a row.
pub fn conversation(c: &Value, account_id: i64) -> Result<ConversationRow, ConnectorError> {
    let labels: Vec<&str> = c
        .get("labels")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let created_at = time_ms(c, "created_at")?;
    let last_activity_at = match time_ms(c, "last_activity_at")? {
        Some(at) => Some(at),
        None => time_ms(c, "timestamp")?,
    };
    // Versions without `updated_at` leave the last activity as the best bound on a change.
    let updated_at = time_ms(c, "updated_at")?
        .or(last_activity_at)
        .or(created_at)
        .ok_or_else(|| bad("a conversation", "updated_at"))?;
    Ok(ConversationRow {
        account_id: int(c, "account_id").unwrap_or(account_id),
        id: int(c, "id").ok_or_else(|| bad("a conversation", "id"))?,
        inbox_id: int(c, "inbox_id"),
        status: text(c, "status").ok_or_else(|| bad("a conversation", "status"))?,
        assignee_id: c
            .get("meta")
            .and_then(|m| m.get("assignee"))
            .and_then(|a| int(a, "id")),
        labels: serde_json::to_string(&labels)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?,
        created_at: created_at.unwrap_or(updated_at),
        updated_at,
        last_activity_at,
        first_reply_created_at: time_ms(c, "first_reply_created_at")?,
        waiting_since: time_ms(c, "waiting_since")?,
    })
}

/// `message_type`: the API's integer enum or the webhook's string.
fn message_type(m: &Value) -> Option<String> {
    match m.get("message_type")? {
        Value::String(name) => Some(name.clone()),
        Value::Number(n) => Some(
            match n.as_i64()? {
                0 => "incoming",
                1 => "outgoing",
                2 => "activity",
                3 => "template",
                _ => return None,
            }
            .to_owned(),
        ),
        _ => None,
    }
}

/// A message of conversation `conversation_id` (from `GET .../messages`) as a row.
pub fn message(
    m: &Value,
    account_id: i64,
    conversation_id: i64,
) -> Result<MessageRow, ConnectorError> {
    let created_at = time_ms(m, "created_at")?.ok_or_else(|| bad("a message", "created_at"))?;
    // `sender.type` as webhooks carry it (`contact`, `user`); else the polymorphic type.
    let sender_type = m
        .get("sender")
        .and_then(|s| text(s, "type"))
        .or_else(|| text(m, "sender_type").map(|t| t.to_lowercase()));
    Ok(MessageRow {
        account_id: int(m, "account_id").unwrap_or(account_id),
        id: int(m, "id").ok_or_else(|| bad("a message", "id"))?,
        conversation_id: int(m, "conversation_id").unwrap_or(conversation_id),
        message_type: message_type(m).ok_or_else(|| bad("a message", "message_type"))?,
        is_private: m.get("private").and_then(Value::as_bool).unwrap_or(false),
        content: text(m, "content"),
        sender_type,
        created_at,
        updated_at: time_ms(m, "updated_at")?.unwrap_or(created_at),
    })
}

/// A CSAT survey response as a row. Responses carry no `updated_at`: `created_at` stands in.
pub fn csat(r: &Value, account_id: i64) -> Result<CsatRow, ConnectorError> {
    let created_at =
        time_ms(r, "created_at")?.ok_or_else(|| bad("a CSAT response", "created_at"))?;
    Ok(CsatRow {
        account_id: int(r, "account_id").unwrap_or(account_id),
        id: int(r, "id").ok_or_else(|| bad("a CSAT response", "id"))?,
        conversation_id: int(r, "conversation_id")
            .ok_or_else(|| bad("a CSAT response", "conversation_id"))?,
        rating: int(r, "rating").ok_or_else(|| bad("a CSAT response", "rating"))?,
        feedback: text(r, "feedback_message"),
        assigned_agent_id: r.get("assigned_agent").and_then(|a| int(a, "id")),
        created_at,
        updated_at: time_ms(r, "updated_at")?.unwrap_or(created_at),
    })
}

/// A report figure: a JSON number, or the numeric string Rails renders a BigDecimal as.
pub fn figure(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// A `/reports?metric=..&group_by=day` series as rows. An average over no events is
/// Chatwoot's placeholder `0`, not a measurement: such days are left out.
pub fn series(
    points: &Value,
    metric: &str,
    account_id: i64,
    fetched_at: i64,
) -> Result<Vec<DailyMetricRow>, ConnectorError> {
    let points = points
        .as_array()
        .ok_or_else(|| ConnectorError::Invalid(format!("{metric} report is not an array")))?;
    let average = metric.starts_with("avg_");
    let mut rows = Vec::with_capacity(points.len());
    for point in points {
        let day = int(point, "timestamp").ok_or_else(|| bad("a report point", "timestamp"))?;
        let value = point
            .get("value")
            .and_then(figure)
            .ok_or_else(|| bad("a report point", "value"))?;
        if average && int(point, "count") == Some(0) {
            continue;
        }
        rows.push(DailyMetricRow {
            account_id,
            metric: metric.to_owned(),
            day: day
                .checked_mul(1000)
                .ok_or_else(|| bad("a report point", "timestamp"))?,
            value,
            fetched_at,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The list item from `shared/vendors/chatwoot.md` (the conversation partial).
    fn list_item() -> Value {
        json!({
            "id": 42, "account_id": 1, "uuid": "5f2c", "inbox_id": 2, "status": "open",
            "priority": null,
            "meta": { "sender": { "id": 7, "name": "Jane" }, "channel": "Channel::WebWidget",
                      "assignee": { "id": 3, "name": "Agent A" }, "team": null },
            "messages": [ { "id": 901, "content": "Do you stock -8 AN fittings?",
                            "message_type": 0, "created_at": 1_732_240_000, "conversation_id": 42 } ],
            "labels": ["wholesale"], "created_at": 1_732_239_000, "updated_at": 1_732_240_000.123_456,
            "timestamp": 1_732_240_000, "last_activity_at": 1_732_240_000,
            "first_reply_created_at": 0, "waiting_since": 1_732_239_000
        })
    }

    #[test]
    fn a_list_item_maps_like_its_webhook() {
        let row = conversation(&list_item(), 9).unwrap();
        assert_eq!(
            row,
            ConversationRow {
                account_id: 1,
                id: 42,
                inbox_id: Some(2),
                status: "open".into(),
                assignee_id: Some(3),
                labels: r#"["wholesale"]"#.into(),
                created_at: 1_732_239_000_000,
                updated_at: 1_732_240_000_123,
                last_activity_at: Some(1_732_240_000_000),
                first_reply_created_at: None,
                waiting_since: Some(1_732_239_000_000),
            }
        );
        let mut unassigned = list_item();
        unassigned["meta"]["assignee"] = Value::Null;
        unassigned["labels"] = json!([]);
        let row = conversation(&unassigned, 9).unwrap();
        assert_eq!((row.assignee_id, row.labels.as_str()), (None, "[]"));
        let mut broken = list_item();
        broken["status"] = Value::Null;
        assert!(matches!(
            conversation(&broken, 9),
            Err(ConnectorError::Invalid(_))
        ));
    }

    #[test]
    fn api_messages_use_integer_types_and_sender_type() {
        let m = json!({ "id": 933, "content": "Thanks!", "account_id": 1, "conversation_id": 42,
            "message_type": 1, "created_at": 1_732_240_100, "updated_at": "2024-11-22T01:48:20.000Z",
            "private": true, "sender_type": "User", "sender": { "id": 3, "type": "user" } });
        let row = message(&m, 9, 41).unwrap();
        assert_eq!(
            row,
            MessageRow {
                account_id: 1,
                id: 933,
                conversation_id: 42,
                message_type: "outgoing".into(),
                is_private: true,
                content: Some("Thanks!".into()),
                sender_type: Some("user".into()),
                created_at: 1_732_240_100_000,
                updated_at: 1_732_240_100_000,
            }
        );
        let activity = json!({ "id": 934, "content": "Conversation was marked resolved",
            "message_type": 2, "created_at": 1_732_240_200, "sender": null });
        let row = message(&activity, 9, 42).unwrap();
        assert_eq!(
            (
                row.message_type.as_str(),
                row.sender_type,
                row.conversation_id,
                row.account_id
            ),
            ("activity", None, 42, 9)
        );
        assert!(
            message(
                &json!({ "id": 1, "message_type": 7, "created_at": 1 }),
                9,
                1
            )
            .is_err()
        );
    }

    #[test]
    fn csat_responses_map_with_agent_and_feedback() {
        let r = json!({ "id": 10, "rating": 5, "feedback_message": "Fast help", "account_id": 1,
            "message_id": 933, "conversation_id": 42, "contact": { "id": 7 },
            "assigned_agent": { "id": 3, "name": "Agent A" }, "created_at": 1_732_240_500 });
        let row = csat(&r, 9).unwrap();
        assert_eq!(
            row,
            CsatRow {
                account_id: 1,
                id: 10,
                conversation_id: 42,
                rating: 5,
                feedback: Some("Fast help".into()),
                assigned_agent_id: Some(3),
                created_at: 1_732_240_500_000,
                updated_at: 1_732_240_500_000,
            }
        );
        let bare = json!({ "id": 11, "rating": 2, "conversation_id": 43, "created_at": 5 });
        let row = csat(&bare, 9).unwrap();
        assert_eq!(
            (row.feedback, row.assigned_agent_id, row.account_id),
            (None, None, 9)
        );
    }

    #[test]
    fn series_accept_numeric_strings_and_skip_empty_averages() {
        let points = json!([
            { "value": "412.5", "timestamp": 1_731_628_800, "count": 2 },
            { "value": 0, "timestamp": 1_731_715_200, "count": 0 },
            { "value": 18_230.0, "timestamp": 1_731_801_600, "count": 1 }
        ]);
        let rows = series(&points, "avg_first_response_time", 1, 77).unwrap();
        let got: Vec<(i64, f64)> = rows.iter().map(|r| (r.day, r.value)).collect();
        assert_eq!(
            got,
            [(1_731_628_800_000, 412.5), (1_731_801_600_000, 18_230.0)]
        );
        let counts = json!([{ "value": 0, "timestamp": 1_731_715_200 }, { "value": "12", "timestamp": 1_731_801_600 }]);
        let rows = series(&counts, "conversations_count", 1, 77).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
            [0.0, 12.0]
        );
        assert!(series(&json!({"error": "x"}), "conversations_count", 1, 77).is_err());
        assert!(
            series(
                &json!([{ "value": "n/a", "timestamp": 1 }]),
                "conversations_count",
                1,
                77
            )
            .is_err()
        );
    }
}
