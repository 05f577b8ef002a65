//! The one report the connector runs (a day of sessions, users, key events and purchase
//! revenue by channel group and landing page): its `RunReportRequest` body, the response in
//! proto3 JSON (strings everywhere, defaults omitted), and its rows as `hotdash-db` rows.

use std::collections::BTreeMap;

use hotdash_db::Ga4TrafficRow;
use serde::Deserialize;
use serde_json::{Value, json};
use time::Date;

use super::dates;
use super::quota::PropertyQuota;

pub const DIMENSIONS: [&str; 3] = ["date", "sessionDefaultChannelGroup", "landingPage"];
pub const METRICS: [&str; 4] = ["sessions", "totalUsers", "keyEvents", "purchaseRevenue"];

/// Which day a request reads: the relative `today` (the server's notion of it), or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Today,
    On(Date),
}

/// The `RunReportRequest` for one page of one day. `limit`/`offset` travel as strings, and
/// rows are ordered by every dimension so that offset pages are stable.
pub fn request_body(day: Day, offset: u64, limit: u32) -> Value {
    let date = match day {
        Day::Today => "today".to_owned(),
        Day::On(date) => dates::iso(date),
    };
    json!({
        "dateRanges": [{ "startDate": date, "endDate": date }],
        "dimensions": DIMENSIONS.iter().map(|d| json!({ "name": d })).collect::<Vec<_>>(),
        "metrics": METRICS.iter().map(|m| json!({ "name": m })).collect::<Vec<_>>(),
        "orderBys": DIMENSIONS.iter()
            .map(|d| json!({ "dimension": { "dimensionName": d } }))
            .collect::<Vec<_>>(),
        "limit": limit.to_string(),
        "offset": offset.to_string(),
        "keepEmptyRows": false,
        "returnPropertyQuota": true,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunReportResponse {
    pub dimension_headers: Vec<Header>,
    pub metric_headers: Vec<Header>,
    pub rows: Vec<Row>,
    /// Absent in an empty report (proto3 omits zeros); may be a string.
    pub row_count: Option<Value>,
    pub metadata: Metadata,
    pub property_quota: Option<PropertyQuota>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Header {
    pub name: String,
    /// `TYPE_INTEGER`, ... or its number under `enum-encoding=int`.
    #[serde(rename = "type")]
    pub kind: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Row {
    pub dimension_values: Vec<Cell>,
    pub metric_values: Vec<Cell>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Cell {
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    pub currency_code: Option<String>,
    pub time_zone: Option<String>,
    pub subject_to_thresholding: bool,
    pub data_loss_from_other_row: bool,
    pub sampling_metadatas: Vec<Value>,
}

impl RunReportResponse {
    pub fn row_count(&self) -> u64 {
        match &self.row_count {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
            _ => 0,
        }
    }

    pub fn sampled(&self) -> bool {
        !self.metadata.sampling_metadatas.is_empty()
    }
}

/// Metric sums of one (date, channel group, landing page).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub sessions: i64,
    pub total_users: i64,
    pub key_events: f64,
    pub purchase_revenue: f64,
}

/// One day's rows, keyed by (channel group, landing page), collected across pages.
#[derive(Debug, Default)]
pub struct DayRows {
    pub rows: BTreeMap<(String, String), Figures>,
    /// Dates the rows carried (one, normally).
    pub dates: Vec<String>,
}

fn column(headers: &[Header], name: &str) -> Result<usize, String> {
    headers
        .iter()
        .position(|h| h.name == name)
        .ok_or_else(|| format!("the report has no `{name}` column"))
}

/// A metric value: a string, typed by its header; integers may come as `12.0`.
fn number(cell: Option<&Cell>) -> Result<f64, String> {
    let text = cell.and_then(|c| c.value.as_deref()).unwrap_or("0");
    let value: f64 = text.trim().parse().map_err(|_| {
        format!(
            "`{}` is not a number",
            text.chars().take(30).collect::<String>()
        )
    })?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err("a metric is not finite".to_owned())
    }
}

impl DayRows {
    /// Adds a page of rows (summing repeats, which GA does not normally send).
    pub fn add(&mut self, page: &RunReportResponse) -> Result<(), String> {
        let d = &page.dimension_headers;
        let m = &page.metric_headers;
        if page.rows.is_empty() {
            return Ok(());
        }
        let (date, channel, landing) = (
            column(d, DIMENSIONS[0])?,
            column(d, DIMENSIONS[1])?,
            column(d, DIMENSIONS[2])?,
        );
        let (sessions, users, key_events, revenue) = (
            column(m, METRICS[0])?,
            column(m, METRICS[1])?,
            column(m, METRICS[2])?,
            column(m, METRICS[3])?,
        );
        for row in &page.rows {
            let dim = |i: usize| {
                row.dimension_values
                    .get(i)
                    .and_then(|c| c.value.clone())
                    .unwrap_or_default()
            };
            let met = |i: usize| number(row.metric_values.get(i));
            let day = dim(date);
            if !self.dates.contains(&day) {
                self.dates.push(day);
            }
            let figures = self.rows.entry((dim(channel), dim(landing))).or_default();
            figures.sessions += met(sessions)?.round() as i64;
            figures.total_users += met(users)?.round() as i64;
            figures.key_events += met(key_events)?;
            figures.purchase_revenue += met(revenue)?;
        }
        Ok(())
    }

    /// The stored rows of `property_id` on `date` (`YYYYMMDD`).
    pub fn into_rows(self, property_id: &str, date: &str) -> Vec<Ga4TrafficRow> {
        self.rows
            .into_iter()
            .map(|((channel_group, landing_page), f)| Ga4TrafficRow {
                property_id: property_id.to_owned(),
                date: date.to_owned(),
                channel_group,
                landing_page,
                sessions: f.sessions,
                total_users: f.total_users,
                key_events: f.key_events,
                purchase_revenue: f.purchase_revenue,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_request_follows_googles_rules() {
        let body = request_body(Day::On(date!(2026 - 11 - 20)), 500, 250);
        assert_eq!(body["dateRanges"][0]["startDate"], "2026-11-20");
        assert_eq!(body["dateRanges"][0]["endDate"], "2026-11-20");
        assert_eq!(body["limit"], "250");
        assert_eq!(body["offset"], "500");
        assert_eq!(body["returnPropertyQuota"], true);
        assert_eq!(body["metrics"][2]["name"], "keyEvents");
        assert_eq!(body["dimensions"][1]["name"], "sessionDefaultChannelGroup");
        assert_eq!(
            request_body(Day::Today, 0, 1)["dateRanges"][0]["startDate"],
            "today"
        );
    }

    #[test]
    fn rows_parse_by_header_name_and_tolerate_floats() {
        let page: RunReportResponse = serde_json::from_value(json!({
            "dimensionHeaders": [{"name": "landingPage"}, {"name": "date"}, {"name": "sessionDefaultChannelGroup"}],
            "metricHeaders": [
                {"name": "purchaseRevenue", "type": "TYPE_CURRENCY"},
                {"name": "sessions", "type": 1},
                {"name": "totalUsers", "type": "TYPE_INTEGER"},
                {"name": "keyEvents", "type": "TYPE_INTEGER"}
            ],
            "rows": [{
                "dimensionValues": [{"value": "/"}, {"value": "20261120"}, {"value": "Direct"}],
                "metricValues": [{"value": "129.95"}, {"value": "12.0"}, {"value": "10"}, {}]
            }],
            "rowCount": "1",
            "metadata": {"currencyCode": "USD", "subjectToThresholding": true,
                         "samplingMetadatas": [{"samplesReadCount": "10", "samplingSpaceSize": "100"}]}
        }))
        .expect("parses");
        assert_eq!(page.row_count(), 1);
        assert!(page.sampled() && page.metadata.subject_to_thresholding);
        let mut day = DayRows::default();
        day.add(&page).expect("rows parse");
        assert_eq!(day.dates, vec!["20261120".to_owned()]);
        let rows = day.into_rows("123", "20261120");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].sessions, rows[0].total_users), (12, 10));
        assert_eq!(rows[0].key_events, 0.0, "an omitted value is 0");
        assert_eq!(rows[0].purchase_revenue, 129.95);
        assert_eq!(
            (
                rows[0].channel_group.as_str(),
                rows[0].landing_page.as_str()
            ),
            ("Direct", "/")
        );
    }

    #[test]
    fn an_empty_report_has_no_rows_and_no_row_count() {
        let page: RunReportResponse =
            serde_json::from_value(json!({"metadata": {"timeZone": "America/Los_Angeles"}}))
                .expect("parses");
        assert_eq!(page.row_count(), 0);
        let mut day = DayRows::default();
        day.add(&page).expect("nothing to parse");
        assert!(day.rows.is_empty());
    }
}
