//! Administrator-only reports: `/api/v2/accounts/{id}/reports/summary` (with `previous`),
//! `/reports/conversations` (live open/unattended/unassigned counts), `/reports` (time series)
//! and the CSAT endpoints `/api/v1/accounts/{id}/csat_survey_responses` (+ `/metrics`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use super::AppState;
use super::auth::{ApiError, require_admin};
use super::data::{Data, is_unattended};
use super::metrics::{Metric, Scope, Window, average, points_in};
use super::params::{Params, paginate};
use super::render;
use crate::world::model::{Conversation, ConversationStatus, CsatResponse, MessageType};

const SUMMARY_METRICS: [(&str, Metric); 7] = [
    ("conversations_count", Metric::ConversationsCount),
    ("incoming_messages_count", Metric::IncomingMessagesCount),
    ("outgoing_messages_count", Metric::OutgoingMessagesCount),
    ("avg_first_response_time", Metric::AvgFirstResponseTime),
    ("avg_resolution_time", Metric::AvgResolutionTime),
    ("resolutions_count", Metric::ResolutionsCount),
    ("reply_time", Metric::ReplyTime),
];

/// `V2::AccountsController::AGENT_RESULTS_PER_PAGE` and the CSAT page size.
const PER_PAGE: usize = 25;

/// `ReportBuilder#summary` for one window; no window (since/until missing) matches nothing.
fn summary_of(data: &Data<'_>, scope: Scope, window: Option<Window>, strings: bool) -> Value {
    let mut out = serde_json::Map::new();
    for (key, metric) in SUMMARY_METRICS {
        let points = window.map_or_else(Vec::new, |w| points_in(data, scope, metric, w));
        let value = if metric.is_average() {
            let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
            average(&values, strings)
        } else {
            json!(points.len())
        };
        out.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

pub async fn summary(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    require_admin(user)?;
    let strings = app.settings.averages_as_strings;
    app.read(|data| {
        let scope = Scope::from_params(&params, data)?;
        let window = Window::from_params(&params);
        let mut out = summary_of(data, scope, window, strings);
        out["previous"] = summary_of(data, scope, window.map(Window::previous), strings);
        Ok(Json(out))
    })
}

/// `{open, unattended}` over the open conversations of `scope` (+ `unassigned` for the account).
fn live(data: &Data<'_>, scope: Scope) -> Value {
    let open: Vec<&Conversation> = data
        .conversations
        .iter()
        .filter(|c| c.status == ConversationStatus::Open && scope.covers(c))
        .collect();
    let mut out = json!({
        "open": open.len(),
        "unattended": open.iter().filter(|c| is_unattended(c)).count(),
    });
    if scope == Scope::Account {
        out["unassigned"] = json!(open.iter().filter(|c| c.assignee_id.is_none()).count());
    }
    out
}

pub async fn conversations(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    require_admin(user)?;
    // `return head :unprocessable_entity if params[:type].blank?`
    let kind = params.get("type").ok_or(ApiError::Unprocessable)?;
    app.read(|data| {
        if kind != "agent" {
            return Ok(Json(live(data, Scope::from_params(&params, data)?)));
        }
        let mut rows: Vec<(usize, Value)> =
            paginate(data.agents.iter().collect(), params.page(), PER_PAGE)
                .into_iter()
                .map(|a| {
                    let metric = live(data, Scope::Agent(a.id));
                    let open = metric["open"].as_u64().unwrap_or(0) as usize;
                    let row = json!({
                        "id": a.id,
                        "name": a.name,
                        "email": a.email,
                        "thumbnail": "",
                        "availability": a.availability_status,
                        "metric": metric,
                    });
                    (open, row)
                })
                .collect();
        // `sort_by { open }.reverse`: most open first.
        rows.sort_by_key(|(open, _)| *open);
        rows.reverse();
        Ok(Json(Value::Array(
            rows.into_iter().map(|(_, r)| r).collect(),
        )))
    })
}

/// `group_by` periods groupdate permits.
#[derive(Debug, Clone, Copy)]
enum Period {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Period {
    fn parse(name: Option<&str>) -> Option<Period> {
        Some(match name.unwrap_or("day") {
            "hour" => Period::Hour,
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            "year" => Period::Year,
            _ => return None,
        })
    }

    /// The start of the period holding `t`, in the report's time zone (weeks start Sunday).
    fn start(self, t: OffsetDateTime, offset: UtcOffset) -> OffsetDateTime {
        let local = t.to_offset(offset);
        let day = local.replace_time(Time::MIDNIGHT);
        match self {
            Period::Hour => {
                local.replace_time(Time::from_hms(local.hour(), 0, 0).unwrap_or(Time::MIDNIGHT))
            }
            Period::Day => day,
            Period::Week => {
                day - Duration::days(i64::from(local.weekday().number_days_from_sunday()))
            }
            Period::Month => day.replace_day(1).unwrap_or(day),
            Period::Year => day
                .replace_day(1)
                .and_then(|d| d.replace_month(time::Month::January))
                .unwrap_or(day),
        }
    }

    fn next(self, start: OffsetDateTime) -> OffsetDateTime {
        match self {
            Period::Hour => start + Duration::hours(1),
            Period::Day => start + Duration::days(1),
            Period::Week => start + Duration::weeks(1),
            Period::Month => {
                let (y, m) = (start.year(), start.month());
                let (y, m) = if m == time::Month::December {
                    (y + 1, time::Month::January)
                } else {
                    (y, m.next())
                };
                start
                    .replace_day(1)
                    .and_then(|d| d.replace_month(m))
                    .and_then(|d| d.replace_year(y))
                    .unwrap_or(start + Duration::days(31))
            }
            Period::Year => start
                .replace_year(start.year() + 1)
                .unwrap_or(start + Duration::days(365)),
        }
    }
}

/// `timezone_offset` (hours, may be fractional) as an offset; junk is UTC.
fn offset(params: &Params) -> UtcOffset {
    let hours: f64 = params
        .get("timezone_offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let secs = (hours * 3600.0).round().clamp(-86_399.0, 86_399.0) as i32;
    UtcOffset::from_whole_seconds(secs).unwrap_or(UtcOffset::UTC)
}

fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"status": 500, "error": "Internal Server Error"})),
    )
        .into_response()
}

/// `GET /api/v2/accounts/{id}/reports?metric=..&since=..&until=..`: one point per period in
/// the window (zeros included); averages also carry `count`.
pub async fn timeseries(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let user = app.caller(&headers, &account)?;
    require_admin(user)?;
    let strings = app.settings.averages_as_strings;
    // A nil metric logs an error and renders `[]`; an unknown one is a NoMethodError (500),
    // as is a period groupdate does not permit.
    let Some(metric) = params.get("metric") else {
        return Ok(Json(json!([])).into_response());
    };
    let (Some(metric), Some(period)) =
        (Metric::parse(metric), Period::parse(params.get("group_by")))
    else {
        return Ok(internal_error());
    };
    let Some(window) = Window::from_params(&params) else {
        return Ok(Json(json!([])).into_response());
    };
    let tz = offset(&params);
    app.read(|data| {
        let scope = Scope::from_params(&params, data)?;
        let mut buckets: BTreeMap<OffsetDateTime, Vec<f64>> = BTreeMap::new();
        let (Ok(since), Ok(until)) = (
            OffsetDateTime::from_unix_timestamp(window.since),
            OffsetDateTime::from_unix_timestamp(window.until),
        ) else {
            return Ok(Json(json!([])).into_response());
        };
        let mut cursor = period.start(since, tz);
        while cursor < until && buckets.len() < 10_000 {
            buckets.insert(cursor, Vec::new());
            cursor = period.next(cursor);
        }
        for (at, value) in points_in(data, scope, metric, window) {
            buckets.entry(period.start(at, tz)).or_default().push(value);
        }
        let series: Vec<Value> = buckets
            .into_iter()
            .map(|(start, values)| {
                if metric.is_average() {
                    json!({"value": average(&values, strings), "timestamp": start.unix_timestamp(), "count": values.len()})
                } else {
                    json!({"value": values.len(), "timestamp": start.unix_timestamp()})
                }
            })
            .collect();
        Ok(Json(Value::Array(series)).into_response())
    })
}

/// The CSAT responses matching the controller's filters, by id.
fn csat_responses<'a>(
    data: &Data<'a>,
    params: &Params,
) -> Vec<(&'a Conversation, &'a CsatResponse)> {
    let window = Window::from_params(params);
    let agents = params.list("user_ids");
    let ratings = params.list("rating");
    let inbox = params.get("inbox_id");
    // No teams exist, so a team filter matches nothing.
    let team = params.get("team_id");
    let mut out: Vec<_> = data
        .conversations
        .iter()
        .filter_map(|c| c.csat.as_ref().map(|r| (c, r)))
        .filter(|(_, r)| window.is_none_or(|w| w.contains(r.created_at)))
        .filter(|(_, r)| {
            agents.is_empty()
                || r.assigned_agent_id
                    .is_some_and(|a| agents.contains(&a.to_string().as_str()))
        })
        .filter(|(_, r)| ratings.is_empty() || ratings.contains(&r.rating.to_string().as_str()))
        .filter(|(c, _)| inbox.is_none_or(|i| i == c.inbox_id.to_string()))
        .filter(|_| team.is_none())
        .collect();
    out.sort_by_key(|(_, r)| r.id);
    match params.get("sort") {
        Some("created_at") => out.sort_by_key(|(_, r)| (r.created_at, r.id)),
        Some("-created_at") => out.sort_by_key(|(_, r)| std::cmp::Reverse((r.created_at, r.id))),
        _ => {}
    }
    out
}

pub async fn csat_list(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    require_admin(user)?;
    app.read(|data| {
        let page = paginate(csat_responses(data, &params), params.page(), PER_PAGE);
        Ok(Json(Value::Array(
            page.into_iter()
                .map(|(_, r)| render::csat(r, data))
                .collect(),
        )))
    })
}

/// When a conversation's survey went out: the survey message the response answers, else the
/// template message sent on resolution, else the resolution itself (surveys go out on resolve).
fn survey_sent_at(c: &Conversation) -> Option<OffsetDateTime> {
    if let Some(r) = &c.csat {
        let answered = c.messages.iter().find(|m| m.id == r.message_id);
        return Some(answered.map_or(r.created_at, |m| m.created_at));
    }
    let resolved = c.resolved_at?;
    let template = c
        .messages
        .iter()
        .find(|m| m.message_type == MessageType::Template && m.created_at >= resolved);
    Some(template.map_or(resolved, |m| m.created_at))
}

pub async fn csat_metrics(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let user = app.caller(&headers, &account)?;
    require_admin(user)?;
    app.read(|data| {
        let responses = csat_responses(data, &params);
        let mut ratings: BTreeMap<String, usize> = BTreeMap::new();
        for (_, r) in &responses {
            *ratings.entry(r.rating.to_string()).or_default() += 1;
        }
        // `Current.account.messages.input_csat` in the range: the other filters do not apply.
        let window = Window::from_params(&params);
        let sent = data
            .conversations
            .iter()
            .filter_map(survey_sent_at)
            .filter(|at| window.is_none_or(|w| w.contains(*at)))
            .count();
        Ok(Json(json!({
            "total_count": responses.len(),
            "ratings_count": ratings,
            "total_sent_messages_count": sent,
        })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn periods_follow_groupdate() {
        // 2026-11-20 is a Friday; groupdate weeks start on Sunday.
        let friday = datetime!(2026-11-20 18:00 UTC);
        assert_eq!(
            Period::Week.start(friday, UtcOffset::UTC),
            datetime!(2026-11-15 0:00 UTC)
        );
        assert_eq!(
            Period::Month.start(friday, UtcOffset::UTC),
            datetime!(2026-11-01 0:00 UTC)
        );
        assert_eq!(
            Period::Month.next(datetime!(2026-12-01 0:00 UTC)),
            datetime!(2027-01-01 0:00 UTC)
        );
        // Days are cut in the report's time zone.
        assert_eq!(
            Period::Day.start(datetime!(2026-11-20 03:00 UTC), offset!(-5)),
            datetime!(2026-11-19 0:00 -5)
        );
    }
}
