//! The `conversations` stream: every conversation (status, assignee, inbox, labels, times) and
//! all its messages.
//!
//! The list (`status=all`) comes newest activity first, 25 a page, and a change moves a
//! conversation to the front: walking it page by page never skips a conversation that did not
//! change meanwhile (one that did is newer than this pass's watermark, so the next pass sees
//! it). A full pass walks the whole list; an incremental one stops at the previous pass's
//! newest activity less `overlap_secs`. Resolving does not bump `last_activity_at`, so the
//! resume point also lists the conversations still open, and an incremental pass looks at each
//! of those it did not meet again. Every conversation met gets its messages fetched
//! (`after=<id>`, 100 at a time).

use std::collections::{BTreeSet, VecDeque};

use hotdash_db::Effect;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::Api;
use super::pacer::Budget;
use super::{
    ChatwootConnector, PER_PAGE, REQUESTS_PER_PAGE, Step, map, next_of, read_cursor, resume_of,
    stop_page, write_cursor,
};
use crate::connectors::{ConnectorError, PageRequest, SyncContext, SyncPage};

const STREAM: &str = "conversations";

/// `MessageFinder`'s most messages per `after` request.
const MESSAGES_PER_REQUEST: usize = 100;

/// Where a finished pass leaves the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// Newest `last_activity_at` seen, unix seconds.
    pub newest: i64,
    /// Conversations not resolved at the end of the pass.
    pub open: BTreeSet<i64>,
}

/// A conversation whose messages are still to fetch, from `after` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    id: i64,
    after: i64,
}

/// A pass under way (the page cursor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pass {
    full: bool,
    /// The next list page (1-based); 0 once the walk is over.
    page: u32,
    /// Incremental: the walk ends at conversations last active before this (unix seconds).
    stop_before: Option<i64>,
    pending: VecDeque<Pending>,
    /// Incremental: conversations met so far (each is fetched once).
    seen: BTreeSet<i64>,
    /// Incremental: conversations open at the previous pass's end, to look at again unless
    /// the walk met them.
    recheck: VecDeque<i64>,
    newest: i64,
    open: BTreeSet<i64>,
}

impl Pass {
    fn begin(resume: Option<Resume>, overlap_secs: i64) -> Pass {
        match resume {
            None => Pass {
                full: true,
                page: 1,
                ..Pass::default()
            },
            Some(resume) => Pass {
                full: false,
                page: 1,
                stop_before: Some(resume.newest.saturating_sub(overlap_secs)),
                recheck: resume.open.iter().copied().collect(),
                newest: resume.newest,
                open: resume.open,
                ..Pass::default()
            },
        }
    }

    fn resume(&self) -> Resume {
        Resume {
            newest: self.newest,
            open: self.open.clone(),
        }
    }

    /// Records a conversation's current state; `false` if this pass already had it.
    fn meet(&mut self, row: &hotdash_db::ConversationRow) -> bool {
        if !self.full && !self.seen.insert(row.id) {
            return false;
        }
        let active = row.last_activity_at.unwrap_or(row.updated_at) / 1000;
        self.newest = self.newest.max(active);
        if row.status == "resolved" {
            self.open.remove(&row.id);
        } else {
            self.open.insert(row.id);
        }
        self.pending.push_back(Pending {
            id: row.id,
            after: 0,
        });
        true
    }
}

pub(super) async fn page(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let overlap = connector.settings.overlap_secs;
    let mut pass = request
        .cursor
        .and_then(|c| read_cursor::<Pass>(cx, STREAM, c))
        .unwrap_or_else(|| Pass::begin(resume_of(cx, STREAM, request.start), overlap));
    let mut out = SyncPage::default();
    let mut finished = false;
    for made in 0..REQUESTS_PER_PAGE {
        match step(connector, cx, &mut pass, &mut out).await {
            Ok(Step::Progress) => {}
            Ok(Step::Finished) => {
                finished = true;
                break;
            }
            Err(e) => {
                stop_page(e, made > 0)?;
                break;
            }
        }
    }
    out.next = next_of(finished, &pass, || write_cursor(&pass.resume()))?;
    Ok(out)
}

/// One request's worth of the pass. `pass` changes only when the request succeeded.
async fn step(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    pass: &mut Pass,
    out: &mut SyncPage,
) -> Result<Step, ConnectorError> {
    let client = &connector.client;
    let account = connector.settings.account_id;
    if let Some(front) = pass.pending.front().cloned() {
        let id = front.id.to_string();
        let url = client.url(
            Api::V1,
            &["conversations", &id, "messages"],
            &[("after", front.after.to_string())],
        );
        let Some(body) = client.get_found(cx, Budget::General, url).await? else {
            // Deleted since it was listed.
            pass.pending.pop_front();
            return Ok(Step::Progress);
        };
        let payload = array(&body, &["payload"], "messages")?;
        let rows = payload
            .iter()
            .map(|m| map::message(m, account, front.id))
            .collect::<Result<Vec<_>, _>>()?;
        let last = rows.iter().map(|m| m.id).max();
        out.items += rows.len() as u64;
        out.effects.extend(rows.into_iter().map(Effect::Message));
        match last {
            Some(last) if payload.len() >= MESSAGES_PER_REQUEST => {
                if let Some(front) = pass.pending.front_mut() {
                    front.after = last;
                }
            }
            _ => {
                pass.pending.pop_front();
            }
        }
        return Ok(Step::Progress);
    }
    if pass.page > 0 {
        let url = client.url(
            Api::V1,
            &["conversations"],
            &[
                ("status", "all".into()),
                ("assignee_type", "all".into()),
                ("page", pass.page.to_string()),
            ],
        );
        let body = client.get(cx, Budget::General, url).await?;
        let items = array(&body, &["data", "payload"], "conversation list")?;
        let rows = items
            .iter()
            .map(|c| map::conversation(c, account))
            .collect::<Result<Vec<_>, _>>()?;
        if pass.full {
            out.total_hint = body.pointer("/data/meta/all_count").and_then(Value::as_u64);
        }
        let mut reached_stop = false;
        for row in rows {
            let active = row.last_activity_at.unwrap_or(row.updated_at) / 1000;
            if pass.stop_before.is_some_and(|stop| active < stop) {
                reached_stop = true;
                break;
            }
            if pass.meet(&row) {
                out.items += 1;
                out.effects.push(Effect::Conversation(row));
            }
        }
        pass.page = if reached_stop || items.len() < PER_PAGE {
            0
        } else {
            pass.page + 1
        };
        return Ok(Step::Progress);
    }
    while let Some(id) = pass.recheck.front().copied() {
        if pass.seen.contains(&id) {
            pass.recheck.pop_front();
            continue;
        }
        let url = client.url(Api::V1, &["conversations", &id.to_string()], &[]);
        let found = client.get_found(cx, Budget::General, url).await?;
        pass.recheck.pop_front();
        match found {
            None => {
                pass.open.remove(&id);
            }
            Some(body) => {
                let row = map::conversation(&body, account)?;
                if pass.meet(&row) {
                    out.items += 1;
                    out.effects.push(Effect::Conversation(row));
                }
            }
        }
        return Ok(Step::Progress);
    }
    Ok(Step::Finished)
}

/// The array at `path` in `body`, or an error naming `what`.
fn array<'v>(body: &'v Value, path: &[&str], what: &str) -> Result<&'v Vec<Value>, ConnectorError> {
    path.iter()
        .try_fold(body, |v, key| v.get(key))
        .and_then(Value::as_array)
        .ok_or_else(|| ConnectorError::Invalid(format!("{what} response without its array")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, status: &str, active_secs: i64) -> hotdash_db::ConversationRow {
        hotdash_db::ConversationRow {
            account_id: 1,
            id,
            inbox_id: Some(1),
            status: status.into(),
            assignee_id: None,
            labels: "[]".into(),
            created_at: 1000,
            updated_at: active_secs * 1000,
            last_activity_at: Some(active_secs * 1000),
            first_reply_created_at: None,
            waiting_since: None,
        }
    }

    #[test]
    fn an_incremental_pass_starts_before_the_watermark_and_rechecks_open_ones() {
        let resume = Resume {
            newest: 10_000,
            open: [3, 5].into_iter().collect(),
        };
        let mut pass = Pass::begin(Some(resume), 900);
        assert_eq!(pass.stop_before, Some(9_100));
        assert_eq!(pass.recheck, [3, 5]);
        assert!(pass.meet(&row(5, "resolved", 10_500)));
        assert!(!pass.meet(&row(5, "resolved", 10_500)), "met once per pass");
        assert!(pass.meet(&row(8, "open", 10_400)));
        assert_eq!(
            pass.resume(),
            Resume {
                newest: 10_500,
                open: [3, 8].into_iter().collect()
            }
        );
        assert_eq!(pass.pending.len(), 2);
    }

    #[test]
    fn cursors_round_trip_as_json() {
        let mut pass = Pass::begin(None, 900);
        pass.meet(&row(1, "open", 5));
        let text = write_cursor(&pass).unwrap();
        let back: Pass = serde_json::from_str(&text).unwrap();
        assert_eq!(back, pass);
    }
}
