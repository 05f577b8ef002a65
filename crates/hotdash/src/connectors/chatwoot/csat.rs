//! The `csat` stream: CSAT survey responses, 25 a page in id order (new responses come last,
//! so paging never skips one). A full pass asks for all of them; an incremental one for those
//! created since the previous pass's newest less `overlap_secs`.

use hotdash_db::Effect;
use serde::{Deserialize, Serialize};

use super::client::Api;
use super::pacer::Budget;
use super::{
    ChatwootConnector, PER_PAGE, REQUESTS_PER_PAGE, Step, map, next_of, read_cursor, resume_of,
    stop_page, write_cursor,
};
use crate::connectors::{ConnectorError, PageRequest, SyncContext, SyncPage};

const STREAM: &str = "csat";

/// `until` of an incremental pass: the API wants both ends; this one is 2100-01-01.
const FAR_FUTURE: i64 = 4_102_444_800;

/// Where a finished pass leaves the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// Newest `created_at` seen, unix seconds.
    pub newest: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pass {
    /// The next page (1-based).
    page: u32,
    /// Incremental: responses created from here on (unix seconds).
    since: Option<i64>,
    newest: i64,
}

pub(super) async fn page(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    request: &PageRequest<'_>,
) -> Result<SyncPage, ConnectorError> {
    let mut pass = request
        .cursor
        .and_then(|c| read_cursor::<Pass>(cx, STREAM, c))
        .unwrap_or_else(|| match resume_of::<Resume>(cx, STREAM, request.start) {
            None => Pass {
                page: 1,
                ..Pass::default()
            },
            Some(resume) => Pass {
                page: 1,
                since: Some(
                    resume
                        .newest
                        .saturating_sub(connector.settings.overlap_secs)
                        .max(0),
                ),
                newest: resume.newest,
            },
        });
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
    out.next = next_of(finished, &pass, || {
        write_cursor(&Resume {
            newest: pass.newest,
        })
    })?;
    Ok(out)
}

async fn step(
    connector: &ChatwootConnector,
    cx: &SyncContext,
    pass: &mut Pass,
    out: &mut SyncPage,
) -> Result<Step, ConnectorError> {
    let mut query = vec![("page", pass.page.to_string())];
    if let Some(since) = pass.since {
        query.push(("since", since.to_string()));
        query.push(("until", FAR_FUTURE.to_string()));
    }
    let client = &connector.client;
    let url = client.url(Api::V1, &["csat_survey_responses"], &query);
    let body = client.get(cx, Budget::General, url).await?;
    let items = body
        .as_array()
        .ok_or_else(|| ConnectorError::Invalid("CSAT response list is not an array".into()))?;
    let rows = items
        .iter()
        .map(|r| map::csat(r, connector.settings.account_id))
        .collect::<Result<Vec<_>, _>>()?;
    for row in &rows {
        pass.newest = pass.newest.max(row.created_at / 1000);
    }
    out.items += rows.len() as u64;
    out.effects.extend(rows.into_iter().map(Effect::Csat));
    if items.len() < PER_PAGE {
        return Ok(Step::Finished);
    }
    pass.page += 1;
    Ok(Step::Progress)
}
