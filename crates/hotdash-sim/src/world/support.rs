//! Chatwoot: the support team (one administrator, three agents), two inboxes (website chat
//! and email), contacts (most are the store's buyers) and conversations about real orders,
//! fitment, returns and wholesale. Replies follow business hours, so an evening question waits
//! until morning; most conversations end resolved, about 60% of those with a CSAT rating
//! (skewed high), and the recent or forgotten ones stay open, pending or unassigned.

pub(crate) mod text;

use std::collections::BTreeMap;

use rand::Rng;
use time::OffsetDateTime;

use super::World;
use super::calendar::{add_business_minutes, in_business_hours, minutes, whole_seconds};
use super::model::{
    Agent, AgentRole, Contact, Conversation, ConversationStatus, CsatResponse, Inbox, Message,
    MessageType,
};
use super::rng::{Stream, chance, lognormal, rng_for, weighted};
use text::{Fill, Topic};

pub(crate) const ACCOUNT_ID: u64 = 1;
const WEB_INBOX: u64 = 1;
const EMAIL_INBOX: u64 = 2;
/// Conversations per order, and the most the world holds (so the large scale stays bounded).
const CONVERSATIONS_PER_ORDER: f64 = 0.15;
const MAX_CONVERSATIONS: u64 = 20_000;

#[derive(Debug, Clone, Default)]
pub(crate) struct Support {
    pub agents: Vec<Agent>,
    pub inboxes: Vec<Inbox>,
    pub contacts: Vec<Contact>,
    pub conversations: Vec<Conversation>,
    /// Contact id by Shopify customer id, so a buyer who writes twice is one contact.
    pub contact_by_customer: BTreeMap<u64, u64>,
    pub next_message_id: u64,
    pub next_csat_id: u64,
    /// What the team will say next in conversations waiting on them (live mode sends it).
    pub pending_answers: BTreeMap<u64, String>,
}

/// (name, email local part, role, status while the shop is open). Tyler is part-time and
/// shows offline.
const TEAM: [(&str, &str, AgentRole, &str); 4] = [
    ("Dana Whitfield", "dana", AgentRole::Administrator, "online"),
    ("Marcus Reyes", "marcus", AgentRole::Agent, "online"),
    ("Jess Park", "jess", AgentRole::Agent, "busy"),
    ("Tyler Brooks", "tyler", AgentRole::Agent, "offline"),
];

fn agents(now: OffsetDateTime) -> Vec<Agent> {
    let mut agents: Vec<Agent> = TEAM
        .iter()
        .enumerate()
        .map(|(i, (name, email, role, _))| Agent {
            id: i as u64 + 1,
            name: (*name).to_owned(),
            email: format!("{email}@hotrodan.example.com"),
            role: *role,
            availability_status: String::new(),
        })
        .collect();
    set_availability(&mut agents, now);
    agents
}

/// Agents are online during support hours and offline outside them.
pub(crate) fn set_availability(agents: &mut [Agent], now: OffsetDateTime) {
    let open = in_business_hours(now);
    for (agent, (_, _, _, on_shift)) in agents.iter_mut().zip(TEAM) {
        agent.availability_status = if open { on_shift } else { "offline" }.to_owned();
    }
}

fn inboxes() -> Vec<Inbox> {
    vec![
        Inbox {
            id: WEB_INBOX,
            name: "Website Chat".to_owned(),
            channel_type: "Channel::WebWidget".to_owned(),
        },
        Inbox {
            id: EMAIL_INBOX,
            name: "Support Email".to_owned(),
            channel_type: "Channel::Email".to_owned(),
        },
    ]
}

/// Who a conversation is with, before contact ids are assigned.
#[derive(Debug, Clone)]
struct Person {
    customer_id: Option<u64>,
    name: String,
    email: Option<String>,
    phone: Option<String>,
}

/// One message before ids are assigned.
struct Draft {
    at: OffsetDateTime,
    kind: MessageType,
    agent: Option<u64>,
    content: String,
}

/// One conversation before ids are assigned, with everything planned (future included).
struct Planned {
    person: Person,
    inbox: u64,
    topic: Topic,
    order_name: Option<String>,
    priority: Option<String>,
    agent: u64,
    auto_assigned: bool,
    snooze: bool,
    messages: Vec<Draft>,
    resolved_at: Option<OffsetDateTime>,
    /// (rating, feedback, answered at)
    csat: Option<(u8, Option<String>, OffsetDateTime)>,
}

fn uuid(rng: &mut impl Rng) -> String {
    let a: u128 = rng.random();
    // Shaped like a v4 UUID: version nibble 4, variant bits 10.
    let a = (a & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{a:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn plan_conversation(world: &World, j: u64) -> Option<Planned> {
    let seed = world.config.seed;
    let mut rng = rng_for(seed, Stream::Support, j);
    let count = world.book.base_count;
    if count == 0 {
        return None;
    }
    let topic = [
        Topic::OrderStatus,
        Topic::Returns,
        Topic::Warranty,
        Topic::Fitment,
        Topic::Wholesale,
        Topic::Shipping,
    ][weighted(&mut rng, &[0.3, 0.12, 0.05, 0.33, 0.06, 0.14])];
    let order = world.plan(rng.random_range(0..count))?;
    let (start, order_name) = if topic.about_an_order() {
        let shipped = order.fos.first().map_or(order.created, |f| f.ship_at);
        let delivered = order
            .fos
            .first()
            .and_then(|f| f.delivered_at)
            .unwrap_or(shipped);
        let at = match topic {
            Topic::OrderStatus => order.created + minutes(lognormal(&mut rng, 2.5 * 1_440.0, 0.7)),
            _ => delivered + minutes(lognormal(&mut rng, 6.0 * 1_440.0, 0.6)),
        };
        (at, Some(order.name()))
    } else {
        // Pre-sales questions follow the same seasons as orders: borrow an order's moment.
        (
            order.created - minutes(rng.random_range(10.0..4_000.0)),
            None,
        )
    };
    let start = whole_seconds(start);
    if start > world.now {
        return None;
    }
    // Buyers write about their orders; pre-sales questions come from strangers as often as not.
    let person = if order_name.is_some() || topic == Topic::Wholesale || chance(&mut rng, 0.45) {
        Person {
            customer_id: Some(order.customer.id),
            name: order.customer.name(),
            email: Some(order.customer.email.clone()),
            phone: order.customer.phone.clone(),
        }
    } else {
        Person {
            customer_id: None,
            name: text::visitor_name(&mut rng),
            email: None,
            phone: None,
        }
    };
    let inbox = if person.email.is_some()
        && (matches!(topic, Topic::Returns | Topic::Wholesale) || chance(&mut rng, 0.3))
    {
        EMAIL_INBOX
    } else {
        WEB_INBOX
    };
    let first_fo = order.fos.first();
    let line = order.lines.first();
    let sku = line.map_or("HRA-CUT-001".to_owned(), |l| {
        world.catalog.items[l.variant].sku.clone()
    });
    let size = world
        .catalog
        .sellable
        .iter()
        .find(|s| line.is_some_and(|l| l.variant == s.variant))
        .and_then(|s| s.an_size)
        .unwrap_or(6);
    let name = order_name.clone().unwrap_or_default();
    let fill = Fill {
        order: &name,
        carrier: first_fo.map_or("UPS", |f| f.carrier),
        tracking: first_fo.map_or("", |f| f.tracking.as_str()),
        size,
        sku: &sku,
    };

    // The admin takes wholesale; agents share the rest.
    let agent = if topic == Topic::Wholesale {
        1
    } else {
        2 + weighted(&mut rng, &[0.45, 0.4, 0.15]) as u64
    };
    let auto_assigned = in_business_hours(start) && chance(&mut rng, 0.7);
    let mut messages = vec![Draft {
        at: start,
        kind: MessageType::Incoming,
        agent: None,
        content: text::opening(topic, &fill, &mut rng),
    }];
    let forgotten = chance(&mut rng, 0.03);
    let mut resolved_at = None;
    let mut csat = None;
    if !forgotten {
        let mut t = whole_seconds(add_business_minutes(start, lognormal(&mut rng, 35.0, 1.0)));
        messages.push(Draft {
            at: t,
            kind: MessageType::Outgoing,
            agent: Some(agent),
            content: text::first_reply(topic, &fill, &mut rng),
        });
        for _ in 0..weighted(&mut rng, &[0.45, 0.35, 0.15, 0.05]) {
            let (question, answer) = text::follow_up(&mut rng);
            t = whole_seconds(t + minutes(lognormal(&mut rng, 90.0, 1.2)));
            messages.push(Draft {
                at: t,
                kind: MessageType::Incoming,
                agent: None,
                content: question,
            });
            t = whole_seconds(add_business_minutes(t, lognormal(&mut rng, 30.0, 0.9)));
            messages.push(Draft {
                at: t,
                kind: MessageType::Outgoing,
                agent: Some(agent),
                content: answer,
            });
        }
        if !chance(&mut rng, 0.04) {
            let at = whole_seconds(add_business_minutes(t, lognormal(&mut rng, 90.0, 1.0)));
            resolved_at = Some(at);
            if chance(&mut rng, 0.6) {
                let rating = [5, 4, 3, 2, 1][weighted(&mut rng, &[0.64, 0.2, 0.08, 0.04, 0.04])];
                let answered = whole_seconds(at + minutes(lognormal(&mut rng, 180.0, 1.0)));
                csat = Some((rating, text::csat_feedback(rating, &mut rng), answered));
            }
        }
    }
    let priority = match topic {
        Topic::Warranty | Topic::Returns if chance(&mut rng, 0.3) => Some("high".to_owned()),
        Topic::OrderStatus if chance(&mut rng, 0.05) => Some("urgent".to_owned()),
        _ => None,
    };
    Some(Planned {
        person,
        inbox,
        topic,
        order_name,
        priority,
        agent,
        auto_assigned,
        snooze: chance(&mut rng, 0.15),
        messages,
        resolved_at,
        csat,
    })
}

/// Builds every conversation, then numbers conversations, messages and contacts by time, the
/// way Chatwoot's sequences would have.
pub(crate) fn generate(world: &World) -> Support {
    let now = world.now;
    let target = ((world.book.base_count as f64 * CONVERSATIONS_PER_ORDER).round() as u64)
        .min(MAX_CONVERSATIONS);
    let mut planned: Vec<(u64, Planned)> = (0..target)
        .filter_map(|j| plan_conversation(world, j).map(|p| (j, p)))
        .collect();
    planned.sort_by_key(|(j, p)| (p.messages[0].at, *j));

    let mut support = Support {
        agents: agents(now),
        inboxes: inboxes(),
        ..Support::default()
    };
    // Contacts in order of their first conversation.
    let mut contact_ids = Vec::new();
    for (_, p) in &planned {
        let id = match p
            .person
            .customer_id
            .and_then(|c| support.contact_by_customer.get(&c))
        {
            Some(id) => *id,
            None => {
                let id = support.contacts.len() as u64 + 1;
                support.contacts.push(Contact {
                    id,
                    name: p.person.name.clone(),
                    email: p.person.email.clone(),
                    phone_number: p.person.phone.clone(),
                    created_at: p.messages[0].at,
                    last_activity_at: p.messages[0].at,
                });
                if let Some(c) = p.person.customer_id {
                    support.contact_by_customer.insert(c, id);
                }
                id
            }
        };
        contact_ids.push(id);
    }

    // Message ids follow time across all conversations.
    let mut stamps: Vec<(OffsetDateTime, usize, usize)> = Vec::new();
    for (c, (_, p)) in planned.iter().enumerate() {
        for (m, d) in p.messages.iter().enumerate() {
            stamps.push((d.at, c, m));
        }
        if let Some(at) = p.resolved_at {
            // Resolution activity, then the CSAT survey.
            stamps.push((at, c, usize::MAX - 1));
            stamps.push((at, c, usize::MAX));
        }
    }
    stamps.sort_unstable();
    let mut message_ids = BTreeMap::new();
    for (n, (_, c, m)) in stamps.iter().enumerate() {
        message_ids.insert((*c, *m), n as u64 + 1);
    }
    support.next_message_id = stamps.len() as u64 + 1;

    let mut csat_id = 0;
    for (c, (j, p)) in planned.iter().enumerate() {
        let mut rng = rng_for(world.config.seed, Stream::Contact, *j);
        let id = c as u64 + 1;
        let contact_id = contact_ids[c];
        let mut messages: Vec<Message> = Vec::new();
        if let Some(next) = p
            .messages
            .iter()
            .find(|d| d.at > now && d.kind == MessageType::Outgoing)
        {
            support.pending_answers.insert(id, next.content.clone());
        }
        for (m, d) in p.messages.iter().enumerate() {
            if d.at <= now {
                messages.push(Message {
                    id: message_ids.get(&(c, m)).copied().unwrap_or_default(),
                    conversation_id: id,
                    content: d.content.clone(),
                    message_type: d.kind,
                    private: false,
                    sender_contact_id: (d.kind == MessageType::Incoming).then_some(contact_id),
                    sender_agent_id: d.agent,
                    created_at: d.at,
                });
            }
        }
        let resolved_at = p.resolved_at.filter(|t| *t <= now);
        let agent_name = support.agents[(p.agent - 1) as usize].name.clone();
        let mut csat = None;
        if let Some(at) = resolved_at {
            messages.push(Message {
                id: message_ids
                    .get(&(c, usize::MAX - 1))
                    .copied()
                    .unwrap_or_default(),
                conversation_id: id,
                content: format!("Conversation was marked resolved by {agent_name}"),
                message_type: MessageType::Activity,
                private: false,
                sender_contact_id: None,
                sender_agent_id: None,
                created_at: at,
            });
            let survey_id = message_ids
                .get(&(c, usize::MAX))
                .copied()
                .unwrap_or_default();
            messages.push(Message {
                id: survey_id,
                conversation_id: id,
                content: "Please rate this conversation".to_owned(),
                message_type: MessageType::Template,
                private: false,
                sender_contact_id: None,
                sender_agent_id: None,
                created_at: at,
            });
            if let Some((rating, feedback, answered)) = &p.csat
                && *answered <= now
            {
                csat_id += 1;
                csat = Some(CsatResponse {
                    id: csat_id,
                    conversation_id: id,
                    message_id: survey_id,
                    rating: *rating,
                    feedback_message: feedback.clone(),
                    contact_id,
                    assigned_agent_id: Some(p.agent),
                    created_at: *answered,
                });
            }
        }
        let first_reply = messages
            .iter()
            .find(|m| m.message_type == MessageType::Outgoing)
            .map(|m| m.created_at);
        let last_activity = messages
            .iter()
            .map(|m| m.created_at)
            .max()
            .unwrap_or(p.messages[0].at);
        let assignee_id = (p.auto_assigned || first_reply.is_some()).then_some(p.agent);
        let last_human = messages.iter().rfind(|m| {
            matches!(
                m.message_type,
                MessageType::Incoming | MessageType::Outgoing
            )
        });
        let waiting_since = if resolved_at.is_some() {
            None
        } else {
            // The first customer message after the team last spoke.
            let last_out = messages
                .iter()
                .filter(|m| m.message_type == MessageType::Outgoing)
                .map(|m| m.created_at)
                .max();
            messages
                .iter()
                .filter(|m| {
                    m.message_type == MessageType::Incoming
                        && last_out.is_none_or(|o| m.created_at > o)
                })
                .map(|m| m.created_at)
                .min()
        };
        let status = match (resolved_at, last_human.map(|m| m.message_type)) {
            (Some(_), _) => ConversationStatus::Resolved,
            (None, Some(MessageType::Outgoing)) if p.snooze => ConversationStatus::Snoozed,
            // Website chats nobody has picked up yet sit with the bot.
            (None, _) if first_reply.is_none() && p.inbox == WEB_INBOX && p.snooze => {
                ConversationStatus::Pending
            }
            _ => ConversationStatus::Open,
        };
        let updated_at = csat.as_ref().map_or(last_activity, |c: &CsatResponse| {
            c.created_at.max(last_activity)
        });
        let contact = &mut support.contacts[(contact_id - 1) as usize];
        contact.last_activity_at = contact.last_activity_at.max(last_activity);
        let mut labels = vec![p.topic.label().to_owned()];
        if p.messages.iter().any(|m| m.content.contains("LS")) {
            labels.push("ls-swap".to_owned());
        }
        support.conversations.push(Conversation {
            id,
            account_id: ACCOUNT_ID,
            uuid: uuid(&mut rng),
            inbox_id: p.inbox,
            contact_id,
            assignee_id,
            status,
            priority: p.priority.clone(),
            labels,
            order_name: p.order_name.clone(),
            created_at: p.messages[0].at,
            updated_at,
            first_reply_created_at: first_reply,
            last_activity_at: last_activity,
            waiting_since,
            resolved_at,
            messages,
            csat,
        });
    }
    support.next_csat_id = csat_id + 1;
    support
}
