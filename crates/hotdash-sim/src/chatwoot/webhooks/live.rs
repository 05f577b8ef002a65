//! Live mode: the world's `Change`s turned into the webhooks Chatwoot's listeners would send.
//! A conversation update only produces `conversation_updated` when one of Chatwoot's tracked
//! attributes moved (`allowed_keys`), plus `conversation_status_changed` when the status did;
//! activity messages are not sent (`webhook_sendable?`).

use std::collections::HashMap;

use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Emit, WebhookEvent, Webhooks, uuid_v4};
use crate::chatwoot::render;
use crate::world::Change;
use crate::world::model::{Conversation, MessageType};

/// What `conversation_updated` compares (Chatwoot's `allowed_keys`).
#[derive(Debug, Clone, PartialEq)]
struct Snapshot(Vec<(&'static str, Value)>);

impl Snapshot {
    fn of(c: &Conversation) -> Self {
        Snapshot(vec![
            ("status", json!(c.status)),
            ("assignee_id", json!(c.assignee_id)),
            ("label_list", json!(c.labels)),
            ("priority", json!(c.priority)),
            (
                "waiting_since",
                json!(c.waiting_since.map(render::rails_time)),
            ),
            (
                "first_reply_created_at",
                json!(c.first_reply_created_at.map(render::rails_time)),
            ),
        ])
    }

    /// `[{"<attr>": {"previous_value": .., "current_value": ..}}]` for what changed.
    fn changes(&self, now: &Snapshot) -> Vec<Value> {
        (self.0.iter().zip(&now.0))
            .filter(|((_, before), (_, after))| before != after)
            .map(|((key, before), (_, after))| {
                json!({ *key: { "previous_value": before, "current_value": after } })
            })
            .collect()
    }
}

impl Webhooks {
    /// Sends webhooks for the world's live changes until the channel closes. Deliveries run
    /// concurrently and unordered, like Sidekiq jobs; during a chaos outage nothing is sent.
    pub fn spawn_live(&self, mut changes: broadcast::Receiver<Change>) -> JoinHandle<()> {
        let hooks = self.clone();
        tokio::spawn(async move {
            let mut seen: HashMap<u64, Snapshot> = hooks.with_data(|data| {
                data.conversations
                    .iter()
                    .map(|c| (c.id, Snapshot::of(c)))
                    .collect()
            });
            loop {
                let change = match changes.recv().await {
                    Ok(change) => change,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "chatwoot webhooks lagged behind the world");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                for (event, body) in hooks.events_for(&change, &mut seen) {
                    for target in hooks.targets(event) {
                        let hooks = hooks.clone();
                        let body = body.clone();
                        tokio::spawn(async move {
                            if hooks.inner.chaos.current().outage {
                                let id = uuid_v4();
                                hooks.record(
                                    &target,
                                    event,
                                    &id,
                                    Err("outage".into()),
                                    true,
                                    false,
                                );
                            } else {
                                hooks.deliver(event, &body, &target).await;
                            }
                        });
                    }
                }
            }
        })
    }

    /// The webhooks one world change causes, as Chatwoot's listeners would send them.
    fn events_for(
        &self,
        change: &Change,
        seen: &mut HashMap<u64, Snapshot>,
    ) -> Vec<(WebhookEvent, Value)> {
        let emit = |event, conversation_id, message_id, changed| {
            self.payload(&Emit {
                event: Some(event),
                conversation_id,
                message_id,
                changed_attributes: changed,
                ..Emit::default()
            })
            .ok()
        };
        match *change {
            Change::ConversationCreated { conversation_id } => {
                if let Some(now) =
                    self.with_data(|d| d.conversation(conversation_id).map(Snapshot::of))
                {
                    seen.insert(conversation_id, now);
                }
                emit(
                    WebhookEvent::ConversationCreated,
                    conversation_id,
                    None,
                    None,
                )
                .into_iter()
                .collect()
            }
            Change::ConversationUpdated { conversation_id } => {
                let Some(now) =
                    self.with_data(|d| d.conversation(conversation_id).map(Snapshot::of))
                else {
                    return Vec::new();
                };
                let changes = seen
                    .get(&conversation_id)
                    .map_or_else(Vec::new, |before| before.changes(&now));
                seen.insert(conversation_id, now);
                let mut out = Vec::new();
                if let Some(status) = changes.iter().find(|c| c.get("status").is_some()) {
                    out.extend(emit(
                        WebhookEvent::ConversationStatusChanged,
                        conversation_id,
                        None,
                        Some(json!([status])),
                    ));
                }
                // `conversation_updated` only fires when one of the allowed keys changed.
                if !changes.is_empty() {
                    out.extend(emit(
                        WebhookEvent::ConversationUpdated,
                        conversation_id,
                        None,
                        Some(json!(changes)),
                    ));
                }
                out
            }
            Change::MessageCreated {
                conversation_id,
                message_id,
            } => {
                // `webhook_sendable?`: activity messages are not sent.
                let sendable = self.with_data(|d| {
                    d.conversation(conversation_id)
                        .and_then(|c| c.messages.iter().find(|m| m.id == message_id))
                        .is_some_and(|m| m.message_type != MessageType::Activity)
                });
                if !sendable {
                    return Vec::new();
                }
                emit(
                    WebhookEvent::MessageCreated,
                    conversation_id,
                    Some(message_id),
                    None,
                )
                .into_iter()
                .collect()
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_changes_list_only_what_moved() {
        let before = Snapshot(vec![
            ("status", json!("open")),
            ("assignee_id", json!(null)),
        ]);
        let after = Snapshot(vec![
            ("status", json!("resolved")),
            ("assignee_id", json!(null)),
        ]);
        assert_eq!(
            before.changes(&after),
            vec![json!({"status": {"previous_value": "open", "current_value": "resolved"}})]
        );
        assert!(after.changes(&after).is_empty());
    }
}
