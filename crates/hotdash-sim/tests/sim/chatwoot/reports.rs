//! Administrator-only reports: the summary with its `previous` window, live counts, the time
//! series and CSAT, checked against the conversations in the world.

use hotdash_sim::chatwoot::ChatwootConfig;
use hotdash_sim::world::model::{Conversation, ConversationStatus, MessageType};
use serde_json::json;

use super::{NOW, admin_json, get, sim, start, total_conversations, world};

#[tokio::test]
async fn summary_counts_the_window_and_the_one_before() {
    let cw = sim().await;
    let until = NOW.unix_timestamp();
    let since = until - 30 * 86_400;
    let body = admin_json(
        &cw,
        &format!("/api/v2/accounts/1/reports/summary?type=account&since={since}&until={until}"),
    )
    .await;
    let in_window = |t: time::OffsetDateTime| (since..until).contains(&t.unix_timestamp());
    assert_eq!(
        body["conversations_count"],
        json!(total_conversations(|c| in_window(c.created_at)))
    );
    assert_eq!(
        body["resolutions_count"],
        json!(total_conversations(|c| c
            .resolved_at
            .is_some_and(in_window)))
    );
    let incoming: usize = world()
        .read()
        .unwrap()
        .conversations()
        .iter()
        .flat_map(|c| &c.messages)
        .filter(|m| m.message_type == MessageType::Incoming && in_window(m.created_at))
        .count();
    assert_eq!(body["incoming_messages_count"], json!(incoming));
    // Averages come as numeric strings, like Rails renders a BigDecimal.
    let frt = body["avg_first_response_time"]
        .as_str()
        .expect("string average");
    assert!(frt.parse::<f64>().unwrap() > 0.0);
    let previous = &body["previous"];
    let in_previous =
        |t: time::OffsetDateTime| (since - 30 * 86_400..since).contains(&t.unix_timestamp());
    assert_eq!(
        previous["conversations_count"],
        json!(total_conversations(|c| in_previous(c.created_at)))
    );
    assert!(previous.get("previous").is_none());

    let numbers = start(ChatwootConfig {
        averages_as_strings: false,
        ..ChatwootConfig::default()
    })
    .await;
    let body = admin_json(
        &numbers,
        &format!("/api/v2/accounts/1/reports/summary?type=account&since={since}&until={until}"),
    )
    .await;
    assert!(body["avg_first_response_time"].is_f64());
}

#[tokio::test]
async fn live_conversation_counts_for_the_cx_pulse_tile() {
    let cw = sim().await;
    let body = admin_json(&cw, "/api/v2/accounts/1/reports/conversations?type=account").await;
    let open = |c: &Conversation| c.status == ConversationStatus::Open;
    assert_eq!(body["open"], json!(total_conversations(open)));
    assert_eq!(
        body["unassigned"],
        json!(total_conversations(|c| open(c) && c.assignee_id.is_none()))
    );
    assert_eq!(
        body["unattended"],
        json!(total_conversations(|c| open(c)
            && (c.first_reply_created_at.is_none()
                || c.waiting_since.is_some())))
    );
    let agents = admin_json(&cw, "/api/v2/accounts/1/reports/conversations?type=agent").await;
    let rows = agents.as_array().unwrap();
    assert_eq!(rows.len(), world().read().unwrap().agents().len());
    assert!(
        rows.iter()
            .all(|r| r["metric"]["open"].is_u64() && r["metric"].get("unassigned").is_none())
    );

    let untyped = get(
        &cw,
        "/api/v2/accounts/1/reports/conversations",
        Some(cw.admin_token()),
    )
    .await;
    assert_eq!(untyped.status(), 422);
    assert!(untyped.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn time_series_has_one_point_per_day() {
    let cw = sim().await;
    let until = NOW.unix_timestamp();
    let since = until - 7 * 86_400;
    let series = admin_json(&cw, &format!("/api/v2/accounts/1/reports?metric=conversations_count&type=account&since={since}&until={until}")).await;
    let points = series.as_array().unwrap();
    assert!((7..=8).contains(&points.len()), "{series}");
    let total: u64 = points.iter().map(|p| p["value"].as_u64().unwrap()).sum();
    let in_window = |t: time::OffsetDateTime| (since..until).contains(&t.unix_timestamp());
    assert_eq!(
        total as usize,
        total_conversations(|c| in_window(c.created_at))
    );
    let averages = admin_json(&cw, &format!("/api/v2/accounts/1/reports?metric=avg_first_response_time&type=account&since={since}&until={until}")).await;
    assert!(
        averages
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("count").is_some())
    );
}

#[tokio::test]
async fn csat_is_a_bare_array_and_metrics_add_up() {
    let cw = sim().await;
    let list = admin_json(&cw, "/api/v1/accounts/1/csat_survey_responses").await;
    let rows = list.as_array().expect("a bare array");
    assert!(!rows.is_empty() && rows.len() <= 25);
    assert!((1..=5).contains(&rows[0]["rating"].as_u64().unwrap()));
    let metrics = admin_json(&cw, "/api/v1/accounts/1/csat_survey_responses/metrics").await;
    let total = metrics["total_count"].as_u64().unwrap();
    assert_eq!(total as usize, total_conversations(|c| c.csat.is_some()));
    let by_rating: u64 = metrics["ratings_count"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_rating, total);
    assert!(metrics["total_sent_messages_count"].as_u64().unwrap() >= total);
}
