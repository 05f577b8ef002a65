//! `GET /api/v1/accounts/{id}/conversations` (+ `/meta`, `/{display_id}`, `/{display_id}/messages`)
//! with `ConversationFinder` semantics: status defaults to `open` (`all` lifts it, `q` skips
//! it), counts are taken before the `assignee_type` filter, newest activity first, 25 a page.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::auth::{ApiError, User};
use super::data::{Data, agent_last_seen_at};
use super::params::{Params, paginate};
use super::render;
use crate::world::model::{Conversation, ConversationStatus, MessageType};

/// `CONVERSATION_RESULTS_PER_PAGE`
pub const PER_PAGE: usize = 25;

/// The four counts of `data.meta` and `/conversations/meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub mine: usize,
    pub assigned: usize,
    pub unassigned: usize,
    pub all: usize,
}

impl Counts {
    fn to_json(self) -> Value {
        json!({
            "mine_count": self.mine,
            "assigned_count": self.assigned,
            "unassigned_count": self.unassigned,
            "all_count": self.all,
        })
    }
}

fn status_name(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "open",
        ConversationStatus::Resolved => "resolved",
        ConversationStatus::Pending => "pending",
        ConversationStatus::Snoozed => "snoozed",
    }
}

/// `ConversationFinder#perform`: the counts and the (unpaginated, sorted) conversations.
pub fn find<'a>(
    data: &Data<'a>,
    user: &User,
    params: &Params,
) -> Result<(Counts, Vec<&'a Conversation>), ApiError> {
    // No teams exist, so `teams.find(team_id)` always raises RecordNotFound.
    if params.get("team_id").is_some() {
        return Err(ApiError::NotFound);
    }
    let inbox = params.get("inbox_id");
    let query = params.get("q").map(str::to_lowercase);
    let status = params.get("status").unwrap_or("open");
    let labels = params.list("labels");
    let mut found: Vec<&Conversation> = data
        .conversations
        .iter()
        .filter(|c| inbox.is_none_or(|i| i == c.inbox_id.to_string()))
        .filter(|c| query.is_some() || status == "all" || status == status_name(c.status))
        .filter(|c| labels.is_empty() || c.labels.iter().any(|l| labels.contains(&l.as_str())))
        .filter(|c| query.as_deref().is_none_or(|q| mentions(c, q)))
        .collect();
    let unassigned = found.iter().filter(|c| c.assignee_id.is_none()).count();
    let counts = Counts {
        mine: found
            .iter()
            .filter(|c| c.assignee_id == Some(user.agent_id))
            .count(),
        assigned: found.len() - unassigned,
        unassigned,
        all: found.len(),
    };
    match params.get("assignee_type") {
        Some("me") => found.retain(|c| c.assignee_id == Some(user.agent_id)),
        Some("unassigned") => found.retain(|c| c.assignee_id.is_none()),
        Some("assigned") => found.retain(|c| c.assignee_id.is_some()),
        _ => {}
    }
    // The `latest` scope; ties broken by id so pages never overlap.
    found.sort_by(|a, b| {
        b.last_activity_at
            .cmp(&a.last_activity_at)
            .then(b.id.cmp(&a.id))
    });
    Ok((counts, found))
}

/// `filter_by_query`: an incoming or outgoing message containing `q` (ILIKE).
fn mentions(c: &Conversation, q: &str) -> bool {
    c.messages.iter().any(|m| {
        matches!(
            m.message_type,
            MessageType::Incoming | MessageType::Outgoing
        ) && m.content.to_lowercase().contains(q)
    })
}

pub async fn list(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    app.read(|data| {
        let (counts, found) = find(data, user, &params)?;
        let payload: Vec<Value> = paginate(found, params.page(), PER_PAGE)
            .into_iter()
            .map(|c| render::conversation(c, data))
            .collect();
        Ok(Json(
            json!({ "data": { "meta": counts.to_json(), "payload": payload } }),
        ))
    })
}

pub async fn meta(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    app.read(|data| {
        let (counts, _) = find(data, user, &params)?;
        Ok(Json(json!({ "meta": counts.to_json() })))
    })
}

fn display_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

pub async fn show(
    State(app): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    app.caller(&headers, &account)?;
    let id = display_id(&id)?;
    app.read(|data| {
        let conv = data.conversation(id).ok_or(ApiError::NotFound)?;
        Ok(Json(render::conversation(conv, data)))
    })
}

/// `MessageFinder`: the latest 20, 20 before `before`, up to 100 after `after`, or the ids in
/// `[after, before)` (up to 1000), always ascending.
pub async fn messages(
    State(app): State<AppState>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    app.caller(&headers, &account)?;
    let id = display_id(&id)?;
    app.read(|data| {
        let conv = data.conversation(id).ok_or(ApiError::NotFound)?;
        let mut all: Vec<_> = conv.messages.iter().collect();
        all.sort_by_key(|m| (m.created_at, m.id));
        let after = params.int("after");
        let before = params.int("before");
        let picked: Vec<_> = match (after, before) {
            (Some(a), Some(b)) => all
                .into_iter()
                .filter(|m| (m.id as i64) >= a && (m.id as i64) < b)
                .take(1000)
                .collect(),
            (Some(a), None) => all
                .into_iter()
                .filter(|m| (m.id as i64) > a)
                .take(100)
                .collect(),
            (None, Some(b)) => last(all.into_iter().filter(|m| (m.id as i64) < b), 20),
            (None, None) => last(all.into_iter(), 20),
        };
        let payload: Vec<Value> = picked
            .into_iter()
            .map(|m| render::message(m, conv, data))
            .collect();
        let seen = agent_last_seen_at(conv).map_or(0, render::unix);
        Ok(Json(json!({
            "meta": {
                "labels": conv.labels,
                "additional_attributes": {},
                "contact": data.contact(conv.contact_id).map(render::contact),
                "assignee": conv.assignee_id.and_then(|a| data.agent(a)).map(|a| render::agent(a, data.account_id)),
                "agent_last_seen_at": seen,
                "assignee_last_seen_at": seen,
            },
            "payload": payload,
        })))
    })
}

/// The last `n` items, in their original order.
fn last<T>(items: impl Iterator<Item = T>, n: usize) -> Vec<T> {
    let all: Vec<T> = items.collect();
    let skip = all.len().saturating_sub(n);
    all.into_iter().skip(skip).collect()
}
