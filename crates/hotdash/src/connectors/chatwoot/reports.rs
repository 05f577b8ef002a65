//! The `reports` stream: per-day account figures from `GET /api/v2/.../reports` (first
//! response and resolution times, conversation, message and resolution counts), one request per
//! metric and `report_chunk_days` window. A full pass covers `backfill_days` up to today; an
//! incremental one starts `report_overlap_days` before the day the previous pass ended on.
//! Days are cut at midnights of the configured `timezone_offset`.

use hotdash_db::Effect;
use serde::{Deserialize, Serialize};

use super::client::Api;
use super::pacer::Budget;
use super::{
    ChatwootConnector, REQUESTS_PER_PAGE, Step, map, next_of, read_cursor, resume_of, stop_page,
    write_cursor,
};
use crate::connectors::{ConnectorError, PageRequest, SyncContext, SyncPage};

const STREAM: &str = "reports";
const DAY: i64 = 86_400;

/// Where a finished pass leaves the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The end (exclusive, a day start) of the window the pass covered, unix seconds.
    pub until: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pass {
    /// The window: day starts, unix seconds.
    since: i64,
    until: i64,
    /// The chunk under way starts here; `metric` indexes the configured metrics.
    chunk: i64,
    metric: usize,
}

impl ChatwootConnector {
    fn begin_reports(&self, resume: Option<Resume>) -> Pass {
        let s = &self.settings;
        let until = self.day_start(Self::now_secs()) + DAY;
        let earliest = until - s.backfill_days * DAY;
        let since = match resume {
            None => earliest,
            Some(r) => (r.until.min(until) - DAY - s.report_overlap_days * DAY).max(earliest),
        };
        Pass {
            since,
            until,
            chunk: since,
            metric: 0,
        }
    }

    /// `timezone_offset` as Chatwoot takes it: hours, fractional when need be.
    fn offset_hours(&self) -> String {
        let secs = self.settings.timezone_offset_secs;
        if secs % 3600 == 0 {
            (secs / 3600).to_string()
        } else {
            (secs as f64 / 3600.0).to_string()
        }
    }
}

pub(super) async fn page(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let mut pass = request
        .cursor
        .and_then(|c| read_cursor::<Pass>(cx, STREAM, c))
        .unwrap_or_else(|| connector.begin_reports(resume_of(cx, STREAM, request.start)));
    let metrics = connector.settings.metrics.len() as u64;
    let days = u64::try_from((pass.until - pass.since) / DAY).unwrap_or(0);
    let mut out = SyncPage {
        total_hint: Some(days * metrics),
        ..SyncPage::default()
    };
    let mut finished = pass.chunk >= pass.until;
    for made in 0..REQUESTS_PER_PAGE {
        if finished {
            break;
        }
        match step(connector, cx, &mut pass, &mut out).await {
            Ok(Step::Progress) => {}
            Ok(Step::Finished) => finished = true,
            Err(e) => {
                stop_page(e, made > 0)?;
                break;
            }
        }
    }
    out.next = next_of(finished, &pass, || {
        write_cursor(&Resume { until: pass.until })
    })?;
    Ok(out)
}

async fn step(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    pass: &mut Pass,
    out: &mut SyncPage,
) -> Result<Step, ConnectorError> {
    let s = &connector.settings;
    let Some(metric) = s.metrics.get(pass.metric) else {
        return Ok(Step::Finished);
    };
    let end = (pass.chunk + s.chunk_days * DAY).min(pass.until);
    let client = &connector.client;
    let url = client.url(
        Api::V2,
        &["reports"],
        &[
            ("metric", metric.clone()),
            ("type", "account".into()),
            ("since", pass.chunk.to_string()),
            ("until", end.to_string()),
            ("group_by", "day".into()),
            ("timezone_offset", connector.offset_hours()),
        ],
    );
    let body = client.get(cx, Budget::Reports, url).await?;
    let rows = map::series(&body, metric, s.account_id, crate::now_ms())?;
    // Only days inside the asked window: a server that pads its buckets must not move others.
    let (from, to) = (pass.chunk * 1000, end * 1000);
    let before = out.effects.len();
    out.effects.extend(
        rows.into_iter()
            .filter(|r| r.day >= from && r.day < to)
            .map(Effect::DailyMetric),
    );
    out.items += (out.effects.len() - before) as u64;
    pass.metric += 1;
    if pass.metric == s.metrics.len() {
        pass.metric = 0;
        pass.chunk = end;
    }
    Ok(if pass.chunk >= pass.until {
        Step::Finished
    } else {
        Step::Progress
    })
}
