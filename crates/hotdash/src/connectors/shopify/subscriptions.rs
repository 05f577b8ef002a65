//! Keeps HotDash's webhook subscriptions registered: every configured topic must have a
//! subscription whose address is `webhook_url`. Missing ones are created; one pointing
//! elsewhere (an old tunnel, a typo) is moved. Subscriptions for other topics are left alone:
//! they may belong to someone else's tool on the same app.

use serde_json::{Value, json};

use super::{ShopifyConnector, map, queries};
use crate::connectors::{ConnectorError, SyncContext};

/// What `ensure` changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub created: Vec<String>,
    pub repointed: Vec<String>,
}

pub async fn ensure(
    connector: &ShopifyConnector,
    cx: &SyncContext,
    url: &str,
) -> Result<Changes, ConnectorError> {
    let mut existing: Vec<(String, String, String)> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = connector
            .run_once(
                cx,
                "Subscriptions",
                queries::SUBSCRIPTIONS,
                json!({ "first": 100, "after": after }),
            )
            .await?;
        let c = data.get("webhookSubscriptions");
        for n in map::nodes(c) {
            let field = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            existing.push((field("id"), field("topic"), field("uri")));
        }
        let info = c.and_then(|c| c.get("pageInfo"));
        if info
            .and_then(|i| i.get("hasNextPage"))
            .and_then(Value::as_bool)
            != Some(true)
        {
            break;
        }
        after = info
            .and_then(|i| i.get("endCursor"))
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let mut changes = Changes::default();
    for topic in &connector.config.webhook_topics {
        let ours: Vec<&(String, String, String)> =
            existing.iter().filter(|(_, t, _)| t == topic).collect();
        if ours.iter().any(|(_, _, uri)| uri == url) {
            continue;
        }
        if let Some((id, _, old)) = ours.first() {
            let data = connector
                .run_once(
                    cx,
                    "SubscriptionUpdate",
                    queries::SUBSCRIPTION_UPDATE,
                    json!({ "id": id, "sub": { "uri": url } }),
                )
                .await?;
            user_errors(&data, "webhookSubscriptionUpdate")?;
            tracing::warn!(connector.id = connector.id, topic, old_uri = %old, "Moved a webhook subscription to HotDash's address");
            changes.repointed.push(topic.clone());
        } else {
            let data = connector
                .run_once(
                    cx,
                    "SubscriptionCreate",
                    queries::SUBSCRIPTION_CREATE,
                    json!({ "topic": topic, "sub": { "uri": url, "format": "JSON" } }),
                )
                .await?;
            user_errors(&data, "webhookSubscriptionCreate")?;
            tracing::info!(
                connector.id = connector.id,
                topic,
                "Created a missing webhook subscription"
            );
            changes.created.push(topic.clone());
        }
    }
    Ok(changes)
}

fn user_errors(data: &Value, field: &str) -> Result<(), ConnectorError> {
    let errors = data
        .get(field)
        .and_then(|r| r.get("userErrors"))
        .and_then(Value::as_array);
    match errors {
        Some(list) if !list.is_empty() => Err(ConnectorError::Invalid(format!(
            "{field}: {}",
            list.iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        _ => Ok(()),
    }
}
