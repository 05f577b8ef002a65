//! Conversations, messages, contacts and profile: envelopes, ConversationFinder filters,
//! page-based pagination, and how tokens are checked.

use hotdash_sim::world::model::{AgentRole, ConversationStatus};
use serde_json::{Value, json};

use super::{admin_json, get, sim, total_conversations, world};

#[tokio::test]
async fn conversations_page_25_at_a_time_and_all_count_is_the_total() {
    let cw = sim().await;
    let total = total_conversations(|_| true);
    assert!(
        total > 30,
        "the small store should need several pages, has {total}"
    );
    let mut seen = Vec::new();
    for page in 1.. {
        let body = admin_json(
            &cw,
            &format!("/api/v1/accounts/1/conversations?status=all&page={page}"),
        )
        .await;
        let meta = &body["data"]["meta"];
        assert_eq!(meta["all_count"], json!(total));
        assert_eq!(
            meta["assigned_count"].as_u64().unwrap() + meta["unassigned_count"].as_u64().unwrap(),
            total as u64
        );
        let payload = body["data"]["payload"].as_array().unwrap().clone();
        assert!(payload.len() <= 25);
        if payload.is_empty() {
            break;
        }
        seen.extend(payload.iter().map(|c| c["id"].as_u64().unwrap()));
        if payload.len() < 25 {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a conversation appeared on two pages"
    );
    assert_eq!(seen.len(), total);
}

#[tokio::test]
async fn list_items_have_chatwoots_shape_with_integer_message_types() {
    let cw = sim().await;
    let body = admin_json(&cw, "/api/v1/accounts/1/conversations?status=all").await;
    let first = &body["data"]["payload"][0];
    for key in [
        "id",
        "account_id",
        "uuid",
        "inbox_id",
        "status",
        "meta",
        "messages",
        "labels",
        "timestamp",
        "unread_count",
        "waiting_since",
        "first_reply_created_at",
        "last_activity_at",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    assert!(first["meta"]["sender"]["name"].is_string());
    assert!(
        first["meta"]["channel"]
            .as_str()
            .unwrap()
            .starts_with("Channel::")
    );
    assert!(first["created_at"].is_i64());
    let message = &first["messages"][0];
    assert!(
        matches!(message["message_type"].as_u64(), Some(0 | 1 | 3)),
        "{message}"
    );
    assert!(message["created_at"].is_i64());
    // Newest activity first.
    let stamps: Vec<i64> = body["data"]["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_activity_at"].as_i64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] >= w[1]), "{stamps:?}");
}

#[tokio::test]
async fn filters_follow_conversation_finder() {
    let cw = sim().await;
    // Status defaults to open.
    let open = admin_json(&cw, "/api/v1/accounts/1/conversations").await;
    let open_total = total_conversations(|c| c.status == ConversationStatus::Open);
    assert_eq!(open["data"]["meta"]["all_count"], json!(open_total));
    assert!(
        open["data"]["payload"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "open")
    );

    let resolved = admin_json(&cw, "/api/v1/accounts/1/conversations?status=resolved").await;
    assert_eq!(
        resolved["data"]["meta"]["all_count"],
        json!(total_conversations(
            |c| c.status == ConversationStatus::Resolved
        ))
    );
    assert!(
        resolved["data"]["payload"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "resolved")
    );

    let email = admin_json(
        &cw,
        "/api/v1/accounts/1/conversations?status=all&inbox_id=2",
    )
    .await;
    assert_eq!(
        email["data"]["meta"]["all_count"],
        json!(total_conversations(|c| c.inbox_id == 2))
    );
    assert!(
        email["data"]["payload"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["inbox_id"] == 2)
    );

    // assignee_type narrows the payload but not the counts.
    let unassigned = admin_json(
        &cw,
        "/api/v1/accounts/1/conversations?status=all&assignee_type=unassigned",
    )
    .await;
    let all = admin_json(&cw, "/api/v1/accounts/1/conversations?status=all").await;
    assert_eq!(unassigned["data"]["meta"], all["data"]["meta"]);
    let items = unassigned["data"]["payload"].as_array().unwrap();
    assert_eq!(
        items.len().min(25),
        total_conversations(|c| c.assignee_id.is_none()).min(25)
    );
    assert!(items.iter().all(|c| c["meta"]["assignee"].is_null()));

    // mine = assigned to the administrator behind the admin token.
    let mine = admin_json(
        &cw,
        "/api/v1/accounts/1/conversations?status=all&assignee_type=me",
    )
    .await;
    let admin_id = world()
        .read()
        .unwrap()
        .agents()
        .iter()
        .find(|a| a.role == AgentRole::Administrator)
        .unwrap()
        .id;
    assert_eq!(
        mine["data"]["meta"]["mine_count"],
        json!(total_conversations(|c| c.assignee_id == Some(admin_id)))
    );
    assert!(
        mine["data"]["payload"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["meta"]["assignee"]["id"] == admin_id)
    );

    // Labels match any of those given.
    let label = world()
        .read()
        .unwrap()
        .conversations()
        .iter()
        .find_map(|c| c.labels.first().cloned())
        .unwrap();
    let labelled = admin_json(
        &cw,
        &format!("/api/v1/accounts/1/conversations?status=all&labels[]={label}"),
    )
    .await;
    assert_eq!(
        labelled["data"]["meta"]["all_count"],
        json!(total_conversations(|c| c.labels.contains(&label)))
    );
}

#[tokio::test]
async fn meta_endpoint_counts_match_the_list() {
    let cw = sim().await;
    let meta = admin_json(&cw, "/api/v1/accounts/1/conversations/meta?status=all").await;
    let list = admin_json(&cw, "/api/v1/accounts/1/conversations?status=all").await;
    assert_eq!(meta["meta"], list["data"]["meta"]);
}

#[tokio::test]
async fn one_conversation_and_its_messages_page_like_message_finder() {
    let cw = sim().await;
    let (id, ids) = {
        let w = world();
        let w = w.read().unwrap();
        let c = w
            .conversations()
            .iter()
            .max_by_key(|c| c.messages.len())
            .unwrap();
        (c.id, c.messages.iter().map(|m| m.id).collect::<Vec<_>>())
    };
    let show = admin_json(&cw, &format!("/api/v1/accounts/1/conversations/{id}")).await;
    assert_eq!(show["id"], id);

    let latest = admin_json(
        &cw,
        &format!("/api/v1/accounts/1/conversations/{id}/messages"),
    )
    .await;
    let got: Vec<u64> = latest["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = ids.iter().rev().take(20).rev().copied().collect();
    assert_eq!(got, want, "the latest 20, ascending");
    assert!(latest["meta"]["contact"]["name"].is_string());
    assert!(latest["payload"][0]["message_type"].is_u64());

    let after = admin_json(
        &cw,
        &format!(
            "/api/v1/accounts/1/conversations/{id}/messages?after={}",
            ids[0]
        ),
    )
    .await;
    assert_eq!(after["payload"].as_array().unwrap().len(), ids.len() - 1);
    let before = admin_json(
        &cw,
        &format!(
            "/api/v1/accounts/1/conversations/{id}/messages?before={}",
            ids[ids.len() - 1]
        ),
    )
    .await;
    let before_ids: Vec<u64> = before["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert!(before_ids.iter().all(|m| *m < ids[ids.len() - 1]));

    let missing = get(
        &cw,
        "/api/v1/accounts/1/conversations/999999",
        Some(cw.admin_token()),
    )
    .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": "Resource could not be found"})
    );
}

#[tokio::test]
async fn contacts_page_15_at_a_time_with_a_count() {
    let cw = sim().await;
    let first = admin_json(&cw, "/api/v1/accounts/1/contacts").await;
    let count = first["meta"]["count"].as_u64().unwrap();
    assert!(count > 15);
    assert_eq!(first["meta"]["current_page"], 1);
    assert_eq!(first["payload"].as_array().unwrap().len(), 15);
    let second = admin_json(&cw, "/api/v1/accounts/1/contacts?page=2").await;
    assert_eq!(
        second["meta"]["current_page"], "2",
        "Rails echoes the page param as given"
    );
    assert_ne!(first["payload"][0]["id"], second["payload"][0]["id"]);
}

// --- auth -------------------------------------------------------------------------------

#[tokio::test]
async fn tokens_are_checked_like_chatwoot() {
    let cw = sim().await;
    let path = "/api/v1/accounts/1/conversations";
    let wrong = get(&cw, path, Some("nope")).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({"error": "Invalid Access Token"})
    );
    let missing = get(&cw, path, None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"errors": ["You need to sign in or sign up before continuing."]})
    );
    assert_eq!(get(&cw, path, Some(cw.agent_token())).await.status(), 200);
    assert_eq!(
        get(
            &cw,
            "/api/v1/accounts/2/conversations",
            Some(cw.admin_token())
        )
        .await
        .status(),
        404
    );

    let profile: Value = get(&cw, "/api/v1/profile", Some(cw.agent_token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["role"], "agent");
    assert_eq!(profile["accounts"][0]["id"], 1);
    let profile: Value = get(&cw, "/api/v1/profile", Some(cw.admin_token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["role"], "administrator");
}

#[tokio::test]
async fn reports_and_csat_refuse_a_non_administrator() {
    let cw = sim().await;
    for path in [
        "/api/v2/accounts/1/reports/summary?type=account&since=0&until=1",
        "/api/v2/accounts/1/reports/conversations?type=account",
        "/api/v1/accounts/1/csat_survey_responses/metrics",
    ] {
        let response = get(&cw, path, Some(cw.agent_token())).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"error": "You are not authorized to do this action"})
        );
    }
}
