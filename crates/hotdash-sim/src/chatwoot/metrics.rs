//! Reporting events and report windows derived from the conversations: what Chatwoot's
//! `reporting_events` table would hold (`first_response`, `conversation_resolved`,
//! `reply_time`), so reports and CX Pulse numbers agree with the conversations themselves.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::auth::ApiError;
use super::data::Data;
use super::params::Params;
use crate::world::model::{Conversation, MessageType};

/// A `[since, until)` window in unix seconds (`DateRangeHelper#range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: i64,
    pub until: i64,
}

impl Window {
    /// `since`/`until` as Ruby's `to_i` reads them; `None` when either is blank.
    pub fn from_params(params: &Params) -> Option<Window> {
        Some(Window {
            since: ruby_to_i(params.get("since")?),
            until: ruby_to_i(params.get("until")?),
        })
    }

    /// The same-length window just before this one (`previous` in the summary).
    pub fn previous(self) -> Window {
        Window {
            since: self.since - (self.until - self.since),
            until: self.since,
        }
    }

    pub fn contains(self, t: OffsetDateTime) -> bool {
        let nanos = t.unix_timestamp_nanos();
        nanos >= i128::from(self.since) * 1_000_000_000
            && nanos < i128::from(self.until) * 1_000_000_000
    }
}

/// `String#to_i`: the leading integer, 0 if there is none.
pub fn ruby_to_i(text: &str) -> i64 {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().unwrap_or(0)
}

/// Which conversations a report covers (`type` + `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Agent(u64),
    Inbox(u64),
}

impl Scope {
    /// `type` and `id` as the report builder resolves them; an unknown id is a 404, as is
    /// `label`/`team` (the simulated account has no label or team records).
    pub fn from_params(params: &Params, data: &Data<'_>) -> Result<Scope, ApiError> {
        let id = || params.get("id").and_then(|v| v.parse::<u64>().ok());
        match params.get("type").unwrap_or("account") {
            "account" => Ok(Scope::Account),
            "agent" => id()
                .filter(|id| data.agent(*id).is_some())
                .map(Scope::Agent)
                .ok_or(ApiError::NotFound),
            "inbox" => id()
                .filter(|id| data.inbox(*id).is_some())
                .map(Scope::Inbox)
                .ok_or(ApiError::NotFound),
            _ => Err(ApiError::NotFound),
        }
    }

    pub fn covers(self, c: &Conversation) -> bool {
        match self {
            Scope::Account => true,
            Scope::Agent(id) => c.assignee_id == Some(id),
            Scope::Inbox(id) => c.inbox_id == id,
        }
    }
}

/// The report metrics (`metric=` of the time series, keys of the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    ConversationsCount,
    IncomingMessagesCount,
    OutgoingMessagesCount,
    ResolutionsCount,
    AvgFirstResponseTime,
    AvgResolutionTime,
    ReplyTime,
}

impl Metric {
    pub fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "conversations_count" => Metric::ConversationsCount,
            "incoming_messages_count" => Metric::IncomingMessagesCount,
            "outgoing_messages_count" => Metric::OutgoingMessagesCount,
            "resolutions_count" => Metric::ResolutionsCount,
            "avg_first_response_time" => Metric::AvgFirstResponseTime,
            "avg_resolution_time" => Metric::AvgResolutionTime,
            "reply_time" => Metric::ReplyTime,
            _ => return None,
        })
    }

    pub fn is_average(self) -> bool {
        matches!(
            self,
            Metric::AvgFirstResponseTime | Metric::AvgResolutionTime | Metric::ReplyTime
        )
    }

    /// Every (time, value) point of this metric in one conversation: 1 per counted thing, or
    /// the seconds of a reporting event.
    pub fn points(self, c: &Conversation, out: &mut Vec<(OffsetDateTime, f64)>) {
        let secs = |from: OffsetDateTime, to: OffsetDateTime| (to - from).as_seconds_f64();
        match self {
            Metric::ConversationsCount => out.push((c.created_at, 1.0)),
            Metric::IncomingMessagesCount | Metric::OutgoingMessagesCount => {
                let wanted = if self == Metric::IncomingMessagesCount {
                    MessageType::Incoming
                } else {
                    MessageType::Outgoing
                };
                out.extend(
                    (c.messages.iter())
                        .filter(|m| m.message_type == wanted)
                        .map(|m| (m.created_at, 1.0)),
                );
            }
            Metric::ResolutionsCount => out.extend(c.resolved_at.map(|at| (at, 1.0))),
            Metric::AvgFirstResponseTime => {
                out.extend((c.first_reply_created_at).map(|at| (at, secs(c.created_at, at))))
            }
            Metric::AvgResolutionTime => {
                out.extend(c.resolved_at.map(|at| (at, secs(c.created_at, at))));
            }
            Metric::ReplyTime => reply_times(c, out),
        }
    }
}

/// `reply_time` events: each public agent reply after the first, timed from the moment the
/// customer started waiting (their first unanswered message).
fn reply_times(c: &Conversation, out: &mut Vec<(OffsetDateTime, f64)>) {
    let mut replied = false;
    let mut waiting: Option<OffsetDateTime> = None;
    for m in &c.messages {
        match m.message_type {
            MessageType::Incoming => {
                waiting.get_or_insert(m.created_at);
            }
            MessageType::Outgoing if !m.private => {
                if let (true, Some(since)) = (replied, waiting) {
                    out.push((m.created_at, (m.created_at - since).as_seconds_f64()));
                }
                replied = true;
                waiting = None;
            }
            _ => {}
        }
    }
}

/// The metric's points in `scope`, restricted to `window`.
pub fn points_in(
    data: &Data<'_>,
    scope: Scope,
    metric: Metric,
    window: Window,
) -> Vec<(OffsetDateTime, f64)> {
    let mut out = Vec::new();
    for c in data.conversations.iter().filter(|c| scope.covers(c)) {
        metric.points(c, &mut out);
    }
    out.retain(|(at, _)| window.contains(*at));
    out
}

/// How an average renders: `0` without data (`return 0 if avg.blank?`), else the mean, as a
/// numeric string when Rails would serialise a BigDecimal.
pub fn average(values: &[f64], as_string: bool) -> Value {
    if values.is_empty() {
        return json!(0);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    if as_string {
        json!(big_decimal(mean))
    } else {
        json!(mean)
    }
}

/// `BigDecimal#to_s` as ActiveSupport renders it: plain digits, at least one decimal.
pub fn big_decimal(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_to_i_reads_the_leading_integer() {
        assert_eq!(ruby_to_i("1731628800"), 1_731_628_800);
        assert_eq!(ruby_to_i("1731628800.9"), 1_731_628_800);
        assert_eq!(ruby_to_i("abc"), 0);
        assert_eq!(ruby_to_i("-5x"), -5);
    }

    #[test]
    fn previous_window_has_the_same_length_and_ends_at_since() {
        let w = Window {
            since: 1_000,
            until: 1_600,
        };
        assert_eq!(
            w.previous(),
            Window {
                since: 400,
                until: 1_000
            }
        );
    }

    #[test]
    fn averages_render_like_rails() {
        assert_eq!(average(&[], true), json!(0));
        assert_eq!(average(&[400.0, 425.0], true), json!("412.5"));
        assert_eq!(average(&[18_230.0], true), json!("18230.0"));
        assert_eq!(average(&[400.0, 425.0], false), json!(412.5));
    }
}
