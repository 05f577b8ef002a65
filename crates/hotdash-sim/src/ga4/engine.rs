//! The report engine: reads the World's daily traffic cells, filters them, groups them by the
//! requested dimensions, computes the metrics, orders, aggregates and pages the rows.
//!
//! Metrics are computed from summed counts, never by summing ratios: `bounceRate` of a group is
//! `(sessions - engagedSessions) / sessions` over the whole group. `totalUsers` is summed across
//! cells (the simulated store has no user ids to de-duplicate), which is also what makes the
//! report add up to the World's own figures.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use time::{Date, Duration};

use super::dates::yyyymmdd;
use super::filter::FieldValue;
use super::request::{Column, OrderKey, RealtimeRequest, ReportRequest};
use super::schema::{self, Dim, Met, MetricType, RealtimeMet};
use crate::world::World;
use crate::world::model::TrafficRow;

/// Counts that every metric is computed from.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Sums {
    pub sessions: i64,
    pub total_users: i64,
    pub new_users: i64,
    pub engaged_sessions: i64,
    pub screen_page_views: i64,
    pub session_duration_secs: f64,
    pub key_events: i64,
    pub transactions: i64,
    pub purchase_revenue_cents: i64,
}

impl Sums {
    pub fn add(&mut self, row: &TrafficRow) {
        self.sessions += row.sessions;
        self.total_users += row.total_users;
        self.new_users += row.new_users;
        self.engaged_sessions += row.engaged_sessions;
        self.screen_page_views += row.screen_page_views;
        self.session_duration_secs += row.session_duration_secs;
        self.key_events += row.key_events;
        self.transactions += row.transactions;
        self.purchase_revenue_cents += row.purchase_revenue_cents;
    }

    fn merge(&mut self, other: &Sums) {
        self.sessions += other.sessions;
        self.total_users += other.total_users;
        self.new_users += other.new_users;
        self.engaged_sessions += other.engaged_sessions;
        self.screen_page_views += other.screen_page_views;
        self.session_duration_secs += other.session_duration_secs;
        self.key_events += other.key_events;
        self.transactions += other.transactions;
        self.purchase_revenue_cents += other.purchase_revenue_cents;
    }

    pub fn value(&self, met: Met) -> f64 {
        let per_session = |x: f64| {
            if self.sessions == 0 {
                0.0
            } else {
                x / self.sessions as f64
            }
        };
        match met {
            Met::Sessions => self.sessions as f64,
            Met::TotalUsers => self.total_users as f64,
            Met::NewUsers => self.new_users as f64,
            Met::EngagedSessions => self.engaged_sessions as f64,
            Met::ScreenPageViews => self.screen_page_views as f64,
            Met::AverageSessionDuration => per_session(self.session_duration_secs),
            Met::BounceRate => per_session((self.sessions - self.engaged_sessions) as f64),
            Met::EngagementRate => per_session(self.engaged_sessions as f64),
            Met::KeyEvents => self.key_events as f64,
            Met::KeyEventsPurchase | Met::Transactions | Met::EcommercePurchases => {
                self.transactions as f64
            }
            // The simulated store has no subscriptions or ads, so total = purchase revenue.
            Met::PurchaseRevenue | Met::TotalRevenue => self.purchase_revenue_cents as f64 / 100.0,
        }
    }
}

/// A dimension's value for one traffic cell.
pub fn dim_value(row: &TrafficRow, dim: Dim) -> Cow<'_, str> {
    match dim {
        Dim::Date => Cow::Owned(yyyymmdd(row.date)),
        Dim::ChannelGroup => Cow::Borrowed(&row.channel_group),
        // The simulated sessions land without query strings, so both landing dimensions agree.
        Dim::LandingPage | Dim::LandingPagePlusQueryString => Cow::Borrowed(&row.landing_page),
        Dim::DeviceCategory => Cow::Borrowed(&row.device_category),
        Dim::SessionSource => Cow::Borrowed(schema::source_medium(&row.channel_group).0),
        Dim::SessionMedium => Cow::Borrowed(schema::source_medium(&row.channel_group).1),
    }
}

/// Renders a metric value the way the Data API does: integers without a decimal point, other
/// types in their shortest round-trip form.
pub fn format_value(kind: MetricType, value: f64) -> String {
    match kind {
        MetricType::Integer => format!("{}", value.round() as i64),
        MetricType::Float | MetricType::Seconds | MetricType::Currency => format!("{value}"),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub dimensions: Vec<String>,
    /// One per request metric, in request order (invisible ones included).
    pub metrics: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The page of rows asked for by offset/limit.
    pub rows: Vec<ReportRow>,
    /// Rows in the whole result, regardless of paging.
    pub row_count: usize,
    pub totals: Vec<ReportRow>,
    pub maximums: Vec<ReportRow>,
    pub minimums: Vec<ReportRow>,
    /// Traffic cells read, a token-cost input.
    pub scanned_cells: usize,
    /// Days covered by all date ranges.
    pub span_days: i64,
    /// Sessions per date range (the sampling space, should sampling be switched on).
    pub sessions_per_range: Vec<i64>,
}

fn days(start: Date, end: Date) -> impl Iterator<Item = Date> {
    let mut next = Some(start);
    std::iter::from_fn(move || {
        let day = next.filter(|d| *d <= end)?;
        next = day.next_day();
        Some(day)
    })
}

/// Runs one Core report against the World.
pub fn run_report(world: &World, request: &ReportRequest) -> Report {
    let (first, last) = world.traffic_days();
    let mut groups: BTreeMap<Vec<String>, Sums> = BTreeMap::new();
    let mut report = Report::default();
    for range in &request.date_ranges {
        report.span_days += (range.end - range.start).whole_days() + 1;
        let mut range_sessions = 0;
        let start = range.start.max(first);
        let end = range.end.min(last);
        for day in days(start, end) {
            for cell in world.traffic(day) {
                report.scanned_cells += 1;
                let keep = request.dimension_filter.as_ref().is_none_or(|f| {
                    f.matches(&|field| {
                        let value = schema::dimension(field)
                            .map(|d| dim_value(&cell, d.dim).into_owned())
                            .unwrap_or_default();
                        FieldValue::Text(Cow::Owned(value))
                    })
                });
                if !keep {
                    continue;
                }
                range_sessions += cell.sessions;
                let key = request
                    .dimensions
                    .iter()
                    .map(|d| match d.column {
                        Column::Dim(dim) => dim_value(&cell, dim).into_owned(),
                        Column::DateRange => range.name.clone(),
                    })
                    .collect();
                groups.entry(key).or_default().add(&cell);
            }
        }
        report.sessions_per_range.push(range_sessions);
    }

    let mut rows: Vec<(ReportRow, Sums)> = groups
        .into_iter()
        .map(|(dimensions, sums)| {
            let metrics = request.metrics.iter().map(|m| sums.value(m.met)).collect();
            (
                ReportRow {
                    dimensions,
                    metrics,
                },
                sums,
            )
        })
        .collect();
    if let Some(filter) = &request.metric_filter {
        rows.retain(|(_, sums)| {
            filter.matches(&|field| {
                let value = schema::metric(field).map_or(0.0, |m| sums.value(m.met));
                FieldValue::Number(value)
            })
        });
    }
    if !request.keep_empty_rows && !request.metrics.is_empty() {
        rows.retain(|(row, _)| row.metrics.iter().any(|v| *v != 0.0));
    }
    sort_rows(&mut rows, request);

    report.row_count = rows.len();
    let visible_metrics = request.metrics.len();
    let reserved = |label: &str| vec![label.to_owned(); request.dimensions.len()];
    for aggregation in &request.aggregations {
        match *aggregation {
            "TOTAL" => {
                let mut total = Sums::default();
                rows.iter().for_each(|(_, sums)| total.merge(sums));
                report.totals.push(ReportRow {
                    dimensions: reserved("RESERVED_TOTAL"),
                    metrics: request.metrics.iter().map(|m| total.value(m.met)).collect(),
                });
            }
            "MAXIMUM" | "MINIMUM" => {
                let pick = |i: usize| {
                    let values = rows.iter().map(|(row, _)| row.metrics[i]);
                    if *aggregation == "MAXIMUM" {
                        values.fold(None, |acc: Option<f64>, v| {
                            Some(acc.map_or(v, |a| a.max(v)))
                        })
                    } else {
                        values.fold(None, |acc: Option<f64>, v| {
                            Some(acc.map_or(v, |a| a.min(v)))
                        })
                    }
                    .unwrap_or(0.0)
                };
                let row = ReportRow {
                    dimensions: reserved(if *aggregation == "MAXIMUM" {
                        "RESERVED_MAX"
                    } else {
                        "RESERVED_MIN"
                    }),
                    metrics: (0..visible_metrics).map(pick).collect(),
                };
                if *aggregation == "MAXIMUM" {
                    report.maximums.push(row);
                } else {
                    report.minimums.push(row);
                }
            }
            // COUNT has no slot in RunReportResponse (it serves pivot reports).
            _ => {}
        }
    }
    report.rows = rows
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .map(|(row, _)| row)
        .collect();
    report
}

fn sort_rows(rows: &mut [(ReportRow, Sums)], request: &ReportRequest) {
    let by_dimensions = |a: &ReportRow, b: &ReportRow| a.dimensions.cmp(&b.dimensions);
    if request.order_bys.is_empty() {
        // Google leaves the order unspecified; like its UI, show the biggest first.
        rows.sort_by(|(a, _), (b, _)| {
            let first = match (a.metrics.first(), b.metrics.first()) {
                (Some(x), Some(y)) => y.total_cmp(x),
                _ => Ordering::Equal,
            };
            first.then_with(|| by_dimensions(a, b))
        });
        return;
    }
    rows.sort_by(|(a, _), (b, _)| {
        for order in &request.order_bys {
            let ordering = match order.key {
                OrderKey::Metric(i) => a.metrics[i].total_cmp(&b.metrics[i]),
                OrderKey::Dimension { index, order_type } => {
                    let (x, y) = (&a.dimensions[index], &b.dimensions[index]);
                    match order_type {
                        "CASE_INSENSITIVE_ALPHANUMERIC" => x.to_lowercase().cmp(&y.to_lowercase()),
                        "NUMERIC" => {
                            let n = |s: &str| s.parse::<f64>().unwrap_or(f64::NEG_INFINITY);
                            n(x).total_cmp(&n(y))
                        }
                        _ => x.cmp(y),
                    }
                }
            };
            let ordering = if order.desc {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        by_dimensions(a, b)
    });
}

/// Fractional realtime counts: today's figures pro-rated to a minute window.
#[derive(Debug, Default, Clone, Copy)]
struct RealtimeSums {
    users: f64,
    views: f64,
    key_events: f64,
}

impl RealtimeSums {
    fn value(&self, met: RealtimeMet) -> f64 {
        match met {
            RealtimeMet::ActiveUsers => self.users,
            RealtimeMet::ScreenPageViews => self.views,
            RealtimeMet::KeyEvents => self.key_events,
        }
        .round()
    }
}

/// Runs a realtime report: today's traffic (in the property's zone) pro-rated to the minutes
/// asked for, so the figures move with the store's size and stay deterministic.
pub fn run_realtime(world: &World, request: &RealtimeRequest, today: Date) -> Report {
    let (first, last) = world.traffic_days();
    let cells = if today >= first && today <= last {
        world.traffic(today)
    } else {
        Vec::new()
    };
    let minutes_per_day = Duration::DAY.whole_minutes() as f64;
    let several = request.minute_ranges.len() > 1;
    let mut groups: BTreeMap<Vec<String>, RealtimeSums> = BTreeMap::new();
    let mut report = Report::default();
    for (name, start, end) in &request.minute_ranges {
        let share = (start - end + 1) as f64 / minutes_per_day;
        for cell in &cells {
            report.scanned_cells += 1;
            let keep = request.dimension_filter.as_ref().is_none_or(|f| {
                f.matches(&|field| {
                    let value = schema::realtime_dimension(field)
                        .map(|d| dim_value(cell, d).into_owned())
                        .unwrap_or_default();
                    FieldValue::Text(Cow::Owned(value))
                })
            });
            if !keep {
                continue;
            }
            let mut key: Vec<String> = request
                .dimensions
                .iter()
                .map(|(_, d)| dim_value(cell, *d).into_owned())
                .collect();
            if several {
                key.push(name.clone());
            }
            let sums = groups.entry(key).or_default();
            sums.users += cell.total_users as f64 * share;
            sums.views += cell.screen_page_views as f64 * share;
            sums.key_events += cell.key_events as f64 * share;
        }
    }
    let mut rows: Vec<ReportRow> = groups
        .into_iter()
        .map(|(dimensions, sums)| ReportRow {
            dimensions,
            metrics: request
                .metrics
                .iter()
                .map(|(_, met, _)| sums.value(*met))
                .collect(),
        })
        .filter(|row| row.metrics.iter().any(|v| *v != 0.0))
        .collect();
    rows.sort_by(|a, b| {
        let first = match (a.metrics.first(), b.metrics.first()) {
            (Some(x), Some(y)) => y.total_cmp(x),
            _ => Ordering::Equal,
        };
        first.then_with(|| a.dimensions.cmp(&b.dimensions))
    });
    report.row_count = rows.len();
    report.rows = rows.into_iter().take(request.limit).collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_come_from_summed_counts() {
        let mut sums = Sums {
            sessions: 4,
            engaged_sessions: 3,
            session_duration_secs: 100.0,
            purchase_revenue_cents: 709_181,
            ..Sums::default()
        };
        assert_eq!(sums.value(Met::BounceRate), 0.25);
        assert_eq!(sums.value(Met::EngagementRate), 0.75);
        assert_eq!(sums.value(Met::AverageSessionDuration), 25.0);
        assert_eq!(
            format_value(MetricType::Currency, sums.value(Met::PurchaseRevenue)),
            "7091.81"
        );
        sums.merge(&Sums {
            sessions: 4,
            ..Sums::default()
        });
        assert_eq!(sums.value(Met::EngagementRate), 0.375);
        assert_eq!(format_value(MetricType::Integer, 412.0), "412");
        assert_eq!(format_value(MetricType::Float, 0.0), "0");
        assert_eq!(Sums::default().value(Met::BounceRate), 0.0);
    }
}
