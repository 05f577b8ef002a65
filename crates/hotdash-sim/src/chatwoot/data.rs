//! A read-only view of the Chatwoot half of the world, with the lookups every endpoint needs.
//! Built under the world's read lock and dropped before any await.

use time::OffsetDateTime;

use crate::world::World;
use crate::world::model::{Agent, Contact, Conversation, Inbox, Message, MessageType};

/// The account's records, borrowed from the world.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    pub account_id: u64,
    pub account_name: &'a str,
    pub agents: &'a [Agent],
    pub inboxes: &'a [Inbox],
    pub contacts: &'a [Contact],
    /// Ordered by display id.
    pub conversations: &'a [Conversation],
}

impl<'a> Data<'a> {
    pub fn new(world: &'a World, account_id: u64, account_name: &'a str) -> Self {
        Data {
            account_id,
            account_name,
            agents: world.agents(),
            inboxes: world.inboxes(),
            contacts: world.contacts(),
            conversations: world.conversations(),
        }
    }

    pub fn agent(&self, id: u64) -> Option<&'a Agent> {
        by_id(self.agents, id, |a| a.id)
    }

    pub fn inbox(&self, id: u64) -> Option<&'a Inbox> {
        by_id(self.inboxes, id, |i| i.id)
    }

    pub fn contact(&self, id: u64) -> Option<&'a Contact> {
        by_id(self.contacts, id, |c| c.id)
    }

    pub fn conversation(&self, display_id: u64) -> Option<&'a Conversation> {
        by_id(self.conversations, display_id, |c| c.id)
    }
}

/// Binary search on id-ordered records, with a linear fallback should a list not be ordered.
fn by_id<T>(items: &[T], id: u64, key: impl Fn(&T) -> u64) -> Option<&T> {
    match items.binary_search_by_key(&id, &key) {
        Ok(i) => items.get(i),
        Err(_) => items.iter().find(|item| key(item) == id),
    }
}

/// Chatwoot's `chat` scope: what a customer sees (no activity messages, no private notes).
pub fn is_chat(m: &Message) -> bool {
    m.message_type != MessageType::Activity && !m.private
}

/// `unattended`: open conversations with no first reply yet, or waiting on the agent again.
pub fn is_unattended(c: &Conversation) -> bool {
    c.first_reply_created_at.is_none() || c.waiting_since.is_some()
}

/// When an agent last looked at the conversation: we take their last outgoing message.
pub fn agent_last_seen_at(c: &Conversation) -> Option<OffsetDateTime> {
    c.messages
        .iter()
        .filter(|m| m.message_type == MessageType::Outgoing)
        .map(|m| m.created_at)
        .max()
}

/// Incoming messages the agents have not seen (after `agent_last_seen_at`).
pub fn unread_count(c: &Conversation) -> usize {
    let seen = agent_last_seen_at(c);
    c.messages
        .iter()
        .filter(|m| m.message_type == MessageType::Incoming)
        .filter(|m| seen.is_none_or(|s| m.created_at > s))
        .count()
}
