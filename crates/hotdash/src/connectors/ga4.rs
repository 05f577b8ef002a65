//! The Google Analytics 4 connector: one stream, `traffic`, one page per report day (sessions,
//! users, key events and purchase revenue by channel group and landing page), stored as
//! `Effect::Ga4Day` so the store replaces the day whole.
//!
//! A pass first reads the relative `today` (which tells it the property's calendar day), then
//! the days from its first day up to yesterday, oldest first. A full pass starts
//! `backfill_days` back; an incremental pass starts after the last day stored, but always
//! re-reads the last three days, because GA4 figures settle for about 48 hours.
//!
//! Modules: `config` (the table and `build`), `auth` (service-account tokens), `client`
//! (runReport and error mapping), `quota` (the property-quota guard), `report` (request and
//! rows), `dates` (days, cursors).

mod auth;
mod client;
mod config;
mod dates;
mod quota;
mod report;

use async_trait::async_trait;
use hotdash_db::{Effect, Ga4DayRow};
use time::{Date, OffsetDateTime};

pub use config::{DEFAULT_API_BASE_URL, Ga4Config, PropertyId};
pub use dates::REPULL_DAYS;

use self::client::Ga4Client;
use self::dates::{PageCursor, ResumeCursor};
use self::report::{Day, DayRows};
use super::{Connector, ConnectorError, PageNext, PageRequest, PassStart, SyncContext, SyncPage};

/// The connector's one stream.
pub const TRAFFIC_STREAM: &str = "traffic";

/// A configured GA4 property reader (built by [`Ga4Config::build`]).
pub struct Ga4Connector {
    id: String,
    property_id: String,
    backfill_days: u32,
    page_size: u32,
    client: Ga4Client,
}

/// One report day as read.
struct FetchedDay {
    rows: DayRows,
    thresholded: bool,
    sampled: bool,
    other_row: bool,
    row_count: u64,
    currency: Option<String>,
    time_zone: Option<String>,
}

impl Ga4Connector {
    /// Reads all pages of one day's report.
    async fn fetch_day(&self, cx: &SyncContext, day: Day) -> Result<FetchedDay, ConnectorError> {
        let mut fetched = FetchedDay {
            rows: DayRows::default(),
            thresholded: false,
            sampled: false,
            other_row: false,
            row_count: 0,
            currency: None,
            time_zone: None,
        };
        let mut offset: u64 = 0;
        loop {
            let body = report::request_body(day, offset, self.page_size);
            let page = self.client.run_report(cx, &body).await?;
            fetched
                .rows
                .add(&page)
                .map_err(|m| ConnectorError::Invalid(format!("runReport rows: {m}")))?;
            fetched.thresholded |= page.metadata.subject_to_thresholding;
            fetched.sampled |= page.sampled();
            fetched.other_row |= page.metadata.data_loss_from_other_row;
            fetched.row_count = page.row_count();
            if fetched.currency.is_none() {
                fetched.currency = page.metadata.currency_code.clone();
            }
            if fetched.time_zone.is_none() {
                fetched.time_zone = page.metadata.time_zone.clone();
            }
            let got = page.rows.len() as u64;
            offset += got;
            if got == 0 || offset >= fetched.row_count {
                return Ok(fetched);
            }
        }
    }

    /// The effect storing `fetched` as `date`, with findings about its quality.
    fn day_effect(&self, cx: &SyncContext, date: Date, fetched: FetchedDay) -> (Effect, u64) {
        let compact = dates::compact(date);
        if fetched.thresholded {
            cx.meter.finding(
                "thresholded",
                TRAFFIC_STREAM,
                format!("GA4 withheld rows to protect privacy (thresholding), latest on {compact}"),
            );
        }
        if fetched.sampled {
            cx.meter.finding(
                "sampled",
                TRAFFIC_STREAM,
                format!("GA4 figures are sampled estimates, latest on {compact}"),
            );
        }
        if fetched.other_row {
            cx.meter.finding(
                "other_row",
                TRAFFIC_STREAM,
                format!("GA4 rolled rare landing pages into \"(other)\", latest on {compact}"),
            );
        }
        let rows = fetched.rows.into_rows(&self.property_id, &compact);
        let items = rows.len() as u64;
        let day = Ga4DayRow {
            property_id: self.property_id.clone(),
            date: compact,
            thresholded: fetched.thresholded,
            sampled: fetched.sampled,
            row_count: i64::try_from(fetched.row_count).unwrap_or(i64::MAX),
            currency: fetched.currency,
            fetched_at: crate::now_ms(),
        };
        (Effect::Ga4Day { day, rows }, items)
    }

    /// The pass's first page: today's report, which also says what "today" is.
    async fn first_page(
        &self,
        cx: &SyncContext,
        start: &PassStart,
    ) -> Result<SyncPage, ConnectorError> {
        let fetched = self.fetch_day(cx, Day::Today).await?;
        let from_rows = match fetched.rows.dates.as_slice() {
            [one] => dates::parse_compact(one),
            _ => None,
        };
        let today = from_rows.unwrap_or_else(|| {
            dates::today_in(fetched.time_zone.as_deref(), OffsetDateTime::now_utc())
        });
        let last_stored = match start {
            PassStart::Full => None,
            PassStart::Incremental(cursor) => ResumeCursor::decode(cursor),
        };
        let first = dates::first_day(today, self.backfill_days, last_stored);
        let mut page = SyncPage::default();
        // With no rows, "today" is only our reading of the zone: store nothing rather than
        // risk writing an empty day over a real one.
        if from_rows.is_some() {
            let (effect, items) = self.day_effect(cx, today, fetched);
            page.effects.push(effect);
            page.items = items;
        }
        let days_before_today = (today - first).whole_days();
        page.next = match today.previous_day().filter(|_| days_before_today > 0) {
            Some(end) => PageNext::More(
                PageCursor {
                    next: dates::compact(first),
                    end: dates::compact(end),
                    today: dates::compact(today),
                }
                .encode(),
            ),
            None => PageNext::Done(Some(resume(today))),
        };
        Ok(page)
    }
}

fn resume(today: Date) -> String {
    ResumeCursor {
        last: dates::compact(today),
    }
    .encode()
}

#[async_trait]
impl Connector for Ga4Connector {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "ga4"
    }

    fn streams(&self) -> Vec<&'static str> {
        vec![TRAFFIC_STREAM]
    }

    /// One small report of today: token, property access and quota on the real path.
    async fn healthcheck(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        let body = report::request_body(Day::Today, 0, 1);
        self.client.run_report(cx, &body).await.map(drop)
    }

    async fn sync_page(
        &self,
        cx: &SyncContext,
        request: PageRequest<'_>,
    ) -> Result<SyncPage, ConnectorError> {
        if request.stream != TRAFFIC_STREAM {
            return Err(ConnectorError::Invalid(format!(
                "unknown GA4 stream `{}`",
                request.stream
            )));
        }
        if cx.shutdown.is_cancelled() {
            return Err(ConnectorError::Cancelled);
        }
        let Some(cursor) = request.cursor else {
            return self.first_page(cx, request.start).await;
        };
        let Some((_, day, end, today)) = PageCursor::decode(cursor) else {
            // An unreadable cursor (an older format): start the pass again.
            return self.first_page(cx, request.start).await;
        };
        let fetched = self.fetch_day(cx, Day::On(day)).await?;
        let (effect, items) = self.day_effect(cx, day, fetched);
        let next = match day.next_day().filter(|d| *d <= end) {
            Some(next) => PageNext::More(
                PageCursor {
                    next: dates::compact(next),
                    end: dates::compact(end),
                    today: dates::compact(today),
                }
                .encode(),
            ),
            None => PageNext::Done(Some(resume(today))),
        };
        Ok(SyncPage {
            effects: vec![effect],
            items,
            next,
            total_hint: None,
        })
    }
}
