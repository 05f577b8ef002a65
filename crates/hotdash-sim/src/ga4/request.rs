//! Parsing and validating `RunReportRequest`, `RunRealtimeReportRequest` and
//! `CheckCompatibilityRequest` bodies into typed requests, with Google's 400 wording.
//!
//! Names are checked against the simulated property's schema (`schema.rs`); relative dates are
//! resolved against the property's `today`. Features the simulator does not model (cohorts,
//! comparisons, pivots, derived metric expressions) are refused with a 400 that says so rather
//! than silently ignored.

use serde_json::Value;
use time::Date;

use super::dates::parse_date;
use super::error::GoogleError;
use super::filter::{self, FilterExpr};
use super::json::{Obj, enum_value};
use super::schema::{self, Dim, Met, MetricType, RealtimeMet};

pub const MAX_DIMENSIONS: usize = 9;
pub const MAX_METRICS: usize = 10;
pub const MAX_DATE_RANGES: usize = 4;
pub const DEFAULT_LIMIT: usize = 10_000;
pub const MAX_LIMIT: usize = 250_000;

/// A report column: a schema dimension or the implicit `dateRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Dim(Dim),
    DateRange,
}

#[derive(Debug, Clone)]
pub struct DimensionColumn {
    /// The name as requested (a deprecated alias stays as sent).
    pub header: String,
    pub column: Column,
}

#[derive(Debug, Clone)]
pub struct MetricColumn {
    pub header: String,
    pub met: Met,
    pub kind: MetricType,
    /// Usable in filters and ordering but left out of the response.
    pub invisible: bool,
}

#[derive(Debug, Clone)]
pub struct NamedRange {
    pub name: String,
    pub start: Date,
    pub end: Date,
}

#[derive(Debug, Clone, Copy)]
pub enum OrderKey {
    Metric(usize),
    Dimension {
        index: usize,
        order_type: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct OrderBy {
    pub key: OrderKey,
    pub desc: bool,
}

#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub dimensions: Vec<DimensionColumn>,
    pub metrics: Vec<MetricColumn>,
    pub date_ranges: Vec<NamedRange>,
    pub dimension_filter: Option<FilterExpr>,
    pub metric_filter: Option<FilterExpr>,
    pub order_bys: Vec<OrderBy>,
    pub offset: usize,
    pub limit: usize,
    pub aggregations: Vec<&'static str>,
    pub keep_empty_rows: bool,
    pub return_property_quota: bool,
}

const AGGREGATIONS: &[(&str, i64)] = &[("TOTAL", 1), ("COUNT", 4), ("MINIMUM", 5), ("MAXIMUM", 6)];

const ORDER_TYPES: &[(&str, i64)] = &[
    ("ALPHANUMERIC", 1),
    ("CASE_INSENSITIVE_ALPHANUMERIC", 2),
    ("NUMERIC", 3),
];

fn unsupported(field: &str) -> GoogleError {
    GoogleError::invalid_argument(format!(
        "{field} is not supported by the HotDash GA4 simulator."
    ))
}

/// The `property` a request body may repeat must match the URL's.
fn check_body_property(obj: &Obj<'_>, property: &str) -> Result<(), GoogleError> {
    match obj.string("property")? {
        Some(p) if !p.is_empty() && p != property => Err(GoogleError::invalid_argument(format!(
            "Requests in a batch must all be for the same property; got {p} in a request for \
             {property}."
        ))),
        _ => Ok(()),
    }
}

/// Dimension names of a request: each known (or `dateRange`), at most 9, no duplicates.
fn parse_dimensions(obj: &Obj<'_>) -> Result<Vec<DimensionColumn>, GoogleError> {
    let items = obj.array("dimensions")?;
    if items.len() > MAX_DIMENSIONS {
        return Err(GoogleError::invalid_argument(format!(
            "Requests are limited to {MAX_DIMENSIONS} dimensions; this request has {}.",
            items.len()
        )));
    }
    let path = obj.child("dimensions");
    let mut out: Vec<DimensionColumn> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let dim = Obj::new(item, &format!("{path}[{i}]"), "Dimension")?;
        dim.allow_only(&["name", "dimensionExpression"])?;
        if dim.get("dimensionExpression").is_some() {
            return Err(unsupported("dimensionExpression"));
        }
        let name = dim.string("name")?.unwrap_or_default();
        let column = if name == "dateRange" {
            Column::DateRange
        } else {
            let def = schema::dimension(name).ok_or_else(|| {
                GoogleError::invalid_argument(schema::invalid_field_message(name, "dimension"))
            })?;
            Column::Dim(def.dim)
        };
        if out.iter().any(|d| d.column == column) {
            return Err(GoogleError::invalid_argument(format!(
                "Duplicate dimension names are not allowed: {name}."
            )));
        }
        out.push(DimensionColumn {
            header: name.to_owned(),
            column,
        });
    }
    Ok(out)
}

fn parse_metrics(obj: &Obj<'_>) -> Result<Vec<MetricColumn>, GoogleError> {
    let items = obj.array("metrics")?;
    if items.len() > MAX_METRICS {
        return Err(GoogleError::invalid_argument(format!(
            "Requests are limited to {MAX_METRICS} metrics; this request has {}.",
            items.len()
        )));
    }
    let path = obj.child("metrics");
    let mut out: Vec<MetricColumn> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let metric = Obj::new(item, &format!("{path}[{i}]"), "Metric")?;
        metric.allow_only(&["name", "expression", "invisible"])?;
        if metric.string("expression")?.is_some_and(|e| !e.is_empty()) {
            return Err(unsupported("Metric expression"));
        }
        let name = metric.string("name")?.unwrap_or_default();
        let def = schema::metric(name).ok_or_else(|| {
            GoogleError::invalid_argument(schema::invalid_field_message(name, "metric"))
        })?;
        if out.iter().any(|m| m.met == def.met) {
            return Err(GoogleError::invalid_argument(format!(
                "Duplicate metric names are not allowed: {name}."
            )));
        }
        out.push(MetricColumn {
            header: name.to_owned(),
            met: def.met,
            kind: def.kind,
            invisible: metric.bool("invisible")?,
        });
    }
    Ok(out)
}

fn dimension_filter(obj: &Obj<'_>) -> Result<Option<FilterExpr>, GoogleError> {
    let resolve = |name: &str| {
        schema::dimension(name)
            .map(|d| d.api_name.to_owned())
            .ok_or_else(|| {
                GoogleError::invalid_argument(schema::invalid_field_message(name, "dimension"))
            })
    };
    obj.get("dimensionFilter")
        .map(|v| filter::parse(v, &obj.child("dimensionFilter"), &resolve))
        .transpose()
}

fn metric_filter(obj: &Obj<'_>) -> Result<Option<FilterExpr>, GoogleError> {
    let resolve = |name: &str| {
        schema::metric(name)
            .map(|m| m.api_name.to_owned())
            .ok_or_else(|| {
                GoogleError::invalid_argument(schema::invalid_field_message(name, "metric"))
            })
    };
    obj.get("metricFilter")
        .map(|v| filter::parse(v, &obj.child("metricFilter"), &resolve))
        .transpose()
}

/// Refuses a request whose dimensions (including filter dimensions) and metrics do not
/// combine, naming the metric to remove as Google does.
pub fn check_compatible(dims: &[Dim], metrics: &[(String, Met)]) -> Result<(), GoogleError> {
    for (header, met) in metrics {
        if dims.iter().any(|d| schema::incompatible(*d, *met)) {
            return Err(GoogleError::invalid_argument(schema::incompatible_message(
                header,
            )));
        }
    }
    Ok(())
}

fn parse_date_ranges(obj: &Obj<'_>, today: Date) -> Result<Vec<NamedRange>, GoogleError> {
    let items = obj.array("dateRanges")?;
    if items.is_empty() {
        return Err(GoogleError::invalid_argument(
            "A report request must specify at least one dateRange.",
        ));
    }
    if items.len() > MAX_DATE_RANGES {
        return Err(GoogleError::invalid_argument(format!(
            "Requests are limited to {MAX_DATE_RANGES} dateRanges; this request has {}.",
            items.len()
        )));
    }
    let path = obj.child("dateRanges");
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let range = Obj::new(item, &format!("{path}[{i}]"), "DateRange")?;
        range.allow_only(&["startDate", "endDate", "name"])?;
        let start = parse_date(
            "startDate",
            range.string("startDate")?.unwrap_or_default(),
            today,
        )?;
        let end = parse_date(
            "endDate",
            range.string("endDate")?.unwrap_or_default(),
            today,
        )?;
        if start > end {
            return Err(GoogleError::invalid_argument(format!(
                "Invalid date range: startDate {start} is after endDate {end}."
            )));
        }
        let name = match range.string("name")?.filter(|n| !n.is_empty()) {
            Some(n) if n.starts_with("date_range_") || n.starts_with("RESERVED_") => {
                return Err(GoogleError::invalid_argument(format!(
                    "Invalid date range name: {n}. Names cannot begin with date_range_ or \
                     RESERVED_."
                )));
            }
            Some(n) => n.to_owned(),
            None => format!("date_range_{i}"),
        };
        out.push(NamedRange { name, start, end });
    }
    Ok(out)
}

fn parse_order_bys(
    obj: &Obj<'_>,
    dimensions: &[DimensionColumn],
    metrics: &[MetricColumn],
) -> Result<Vec<OrderBy>, GoogleError> {
    let path = obj.child("orderBys");
    let mut out = Vec::new();
    for (i, item) in obj.array("orderBys")?.iter().enumerate() {
        let order = Obj::new(item, &format!("{path}[{i}]"), "OrderBy")?;
        order.allow_only(&["metric", "dimension", "pivot", "desc"])?;
        let desc = order.bool("desc")?;
        let key = if let Some(metric) = order.get("metric") {
            let metric = Obj::new(metric, &order.child("metric"), "MetricOrderBy")?;
            metric.allow_only(&["metricName"])?;
            let name = metric.string("metricName")?.unwrap_or_default();
            let met = schema::metric(name).map(|d| d.met);
            let index = metrics
                .iter()
                .position(|m| Some(m.met) == met)
                .ok_or_else(|| {
                    GoogleError::invalid_argument(format!(
                        "Field {name} in orderBys must be one of the request's metrics."
                    ))
                })?;
            OrderKey::Metric(index)
        } else if let Some(dimension) = order.get("dimension") {
            let dimension = Obj::new(dimension, &order.child("dimension"), "DimensionOrderBy")?;
            dimension.allow_only(&["dimensionName", "orderType"])?;
            let name = dimension.string("dimensionName")?.unwrap_or_default();
            let column = if name == "dateRange" {
                Some(Column::DateRange)
            } else {
                schema::dimension(name).map(|d| Column::Dim(d.dim))
            };
            let index = dimensions
                .iter()
                .position(|d| Some(d.column) == column)
                .ok_or_else(|| {
                    GoogleError::invalid_argument(format!(
                        "Field {name} in orderBys must be one of the request's dimensions."
                    ))
                })?;
            let order_type = dimension
                .enumeration(
                    "orderType",
                    "OrderBy.DimensionOrderBy.OrderType",
                    ORDER_TYPES,
                )?
                .unwrap_or("ALPHANUMERIC");
            OrderKey::Dimension { index, order_type }
        } else if order.get("pivot").is_some() {
            return Err(unsupported("Pivot orderBys"));
        } else {
            return Err(GoogleError::invalid_argument(format!(
                "OrderBy at '{path}[{i}]' must set metric or dimension."
            )));
        };
        out.push(OrderBy { key, desc });
    }
    Ok(out)
}

fn non_negative(obj: &Obj<'_>, field: &str) -> Result<Option<usize>, GoogleError> {
    match obj.int64(field)? {
        None => Ok(None),
        Some(n) if n < 0 => Err(GoogleError::invalid_argument(format!(
            "{field} must be non-negative; got {n}."
        ))),
        Some(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
    }
}

/// Parses one `RunReportRequest` for `property` (`properties/123`).
pub fn parse_report(
    value: &Value,
    path: &str,
    property: &str,
    today: Date,
) -> Result<ReportRequest, GoogleError> {
    let obj = Obj::new(value, path, "RunReportRequest")?;
    obj.allow_only(&[
        "property",
        "dimensions",
        "metrics",
        "dateRanges",
        "dimensionFilter",
        "metricFilter",
        "offset",
        "limit",
        "metricAggregations",
        "orderBys",
        "currencyCode",
        "cohortSpec",
        "keepEmptyRows",
        "returnPropertyQuota",
        "comparisons",
    ])?;
    check_body_property(&obj, property)?;
    if obj.get("cohortSpec").is_some() {
        return Err(unsupported("cohortSpec"));
    }
    if !obj.array("comparisons")?.is_empty() {
        return Err(unsupported("comparisons"));
    }
    let mut dimensions = parse_dimensions(&obj)?;
    let metrics = parse_metrics(&obj)?;
    if dimensions.is_empty() && metrics.is_empty() {
        return Err(GoogleError::invalid_argument(
            "A report request must have at least one dimension or metric.",
        ));
    }
    let date_ranges = parse_date_ranges(&obj, today)?;
    if date_ranges.len() > 1 && !dimensions.iter().any(|d| d.column == Column::DateRange) {
        // With several ranges Google adds the `dateRange` column so rows stay apart.
        dimensions.push(DimensionColumn {
            header: "dateRange".into(),
            column: Column::DateRange,
        });
    }
    let dimension_filter = dimension_filter(&obj)?;
    let metric_filter = metric_filter(&obj)?;
    let mut dims: Vec<Dim> = dimensions
        .iter()
        .filter_map(|d| match d.column {
            Column::Dim(dim) => Some(dim),
            Column::DateRange => None,
        })
        .collect();
    if let Some(f) = &dimension_filter {
        dims.extend(
            f.fields()
                .into_iter()
                .filter_map(|n| schema::dimension(n).map(|d| d.dim)),
        );
    }
    let named: Vec<(String, Met)> = metrics.iter().map(|m| (m.header.clone(), m.met)).collect();
    check_compatible(&dims, &named)?;
    let order_bys = parse_order_bys(&obj, &dimensions, &metrics)?;
    let offset = non_negative(&obj, "offset")?.unwrap_or(0);
    let limit = match non_negative(&obj, "limit")? {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) => n.min(MAX_LIMIT),
    };
    let aggregations_path = obj.child("metricAggregations");
    let mut aggregations = Vec::new();
    for (i, item) in obj.array("metricAggregations")?.iter().enumerate() {
        let path = format!("{aggregations_path}[{i}]");
        if let Some(name) = enum_value(item, &path, "MetricAggregation", AGGREGATIONS)? {
            aggregations.push(name);
        }
    }
    Ok(ReportRequest {
        dimensions,
        metrics,
        date_ranges,
        dimension_filter,
        metric_filter,
        order_bys,
        offset,
        limit,
        aggregations,
        keep_empty_rows: obj.bool("keepEmptyRows")?,
        return_property_quota: obj.bool("returnPropertyQuota")?,
    })
}

/// A realtime report: what happened in the last minutes on the simulated store.
#[derive(Debug, Clone)]
pub struct RealtimeRequest {
    pub dimensions: Vec<(String, Dim)>,
    pub metrics: Vec<(String, RealtimeMet, MetricType)>,
    /// (name, startMinutesAgo, endMinutesAgo)
    pub minute_ranges: Vec<(String, i64, i64)>,
    pub dimension_filter: Option<FilterExpr>,
    pub limit: usize,
    pub return_property_quota: bool,
}

/// Standard properties can look back 30 minutes (`startMinutesAgo <= 29`).
const REALTIME_MAX_MINUTES_AGO: i64 = 29;

pub fn parse_realtime(value: &Value, property: &str) -> Result<RealtimeRequest, GoogleError> {
    let obj = Obj::new(value, "", "RunRealtimeReportRequest")?;
    obj.allow_only(&[
        "property",
        "dimensions",
        "metrics",
        "dimensionFilter",
        "metricFilter",
        "limit",
        "metricAggregations",
        "orderBys",
        "returnPropertyQuota",
        "minuteRanges",
    ])?;
    check_body_property(&obj, property)?;
    for field in ["metricFilter", "metricAggregations", "orderBys"] {
        let set = match obj.get(field) {
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        };
        if set {
            return Err(unsupported(&format!("{field} in realtime reports")));
        }
    }
    let path = obj.child("dimensions");
    let mut dimensions = Vec::new();
    for (i, item) in obj.array("dimensions")?.iter().enumerate() {
        let dim = Obj::new(item, &format!("{path}[{i}]"), "Dimension")?;
        dim.allow_only(&["name", "dimensionExpression"])?;
        let name = dim.string("name")?.unwrap_or_default();
        let parsed = schema::realtime_dimension(name).ok_or_else(|| {
            GoogleError::invalid_argument(schema::invalid_field_message(name, "dimension"))
        })?;
        dimensions.push((name.to_owned(), parsed));
    }
    let path = obj.child("metrics");
    let mut metrics = Vec::new();
    for (i, item) in obj.array("metrics")?.iter().enumerate() {
        let metric = Obj::new(item, &format!("{path}[{i}]"), "Metric")?;
        metric.allow_only(&["name", "expression", "invisible"])?;
        let name = metric.string("name")?.unwrap_or_default();
        let (met, kind) = schema::realtime_metric(name).ok_or_else(|| {
            GoogleError::invalid_argument(schema::invalid_field_message(name, "metric"))
        })?;
        metrics.push((name.to_owned(), met, kind));
    }
    if metrics.is_empty() {
        return Err(GoogleError::invalid_argument(
            "A realtime report request must have at least one metric.",
        ));
    }
    let path = obj.child("minuteRanges");
    let mut minute_ranges = Vec::new();
    let ranges = obj.array("minuteRanges")?;
    if ranges.len() > 2 {
        return Err(GoogleError::invalid_argument(
            "Requests are limited to 2 minuteRanges.",
        ));
    }
    for (i, item) in ranges.iter().enumerate() {
        let range = Obj::new(item, &format!("{path}[{i}]"), "MinuteRange")?;
        range.allow_only(&["name", "startMinutesAgo", "endMinutesAgo"])?;
        let start = range
            .int64("startMinutesAgo")?
            .unwrap_or(REALTIME_MAX_MINUTES_AGO);
        let end = range.int64("endMinutesAgo")?.unwrap_or(0);
        if !(0..=REALTIME_MAX_MINUTES_AGO).contains(&start) || end < 0 || end > start {
            return Err(GoogleError::invalid_argument(format!(
                "Invalid minute range: startMinutesAgo {start}, endMinutesAgo {end}. Standard \
                 properties can request up to the last 30 minutes (startMinutesAgo <= 29)."
            )));
        }
        let name = range
            .string("name")?
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("date_range_{i}"), str::to_owned);
        minute_ranges.push((name, start, end));
    }
    if minute_ranges.is_empty() {
        minute_ranges.push(("date_range_0".into(), REALTIME_MAX_MINUTES_AGO, 0));
    }
    let resolve = |name: &str| {
        schema::realtime_dimension(name)
            .map(|_| name.to_owned())
            .ok_or_else(|| {
                GoogleError::invalid_argument(schema::invalid_field_message(name, "dimension"))
            })
    };
    let dimension_filter = obj
        .get("dimensionFilter")
        .map(|v| filter::parse(v, &obj.child("dimensionFilter"), &resolve))
        .transpose()?;
    let limit = match non_negative(&obj, "limit")? {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) => n.min(MAX_LIMIT),
    };
    Ok(RealtimeRequest {
        dimensions,
        metrics,
        minute_ranges,
        dimension_filter,
        limit,
        return_property_quota: obj.bool("returnPropertyQuota")?,
    })
}

/// A `checkCompatibility` request: the selection so far and which side to list.
#[derive(Debug, Clone)]
pub struct CompatibilityRequest {
    pub dims: Vec<Dim>,
    pub metrics: Vec<Met>,
    /// `COMPATIBLE`, `INCOMPATIBLE`, or None for both.
    pub filter: Option<&'static str>,
}

pub fn parse_compatibility(
    value: &Value,
    property: &str,
) -> Result<CompatibilityRequest, GoogleError> {
    let obj = Obj::new(value, "", "CheckCompatibilityRequest")?;
    obj.allow_only(&[
        "property",
        "dimensions",
        "metrics",
        "dimensionFilter",
        "metricFilter",
        "compatibilityFilter",
    ])?;
    check_body_property(&obj, property)?;
    let dimensions = parse_dimensions(&obj)?;
    let metrics = parse_metrics(&obj)?;
    let dimension_filter = dimension_filter(&obj)?;
    let metric_filter = metric_filter(&obj)?;
    let mut dims: Vec<Dim> = dimensions
        .iter()
        .filter_map(|d| match d.column {
            Column::Dim(dim) => Some(dim),
            Column::DateRange => None,
        })
        .collect();
    if let Some(f) = &dimension_filter {
        dims.extend(
            f.fields()
                .into_iter()
                .filter_map(|n| schema::dimension(n).map(|d| d.dim)),
        );
    }
    let mut named: Vec<(String, Met)> = metrics.iter().map(|m| (m.header.clone(), m.met)).collect();
    if let Some(f) = &metric_filter {
        named.extend(
            f.fields()
                .into_iter()
                .filter_map(|n| schema::metric(n).map(|m| (n.to_owned(), m.met))),
        );
    }
    // "This method fails if the request's dimensions and metrics are incompatible."
    check_compatible(&dims, &named)?;
    let filter = obj.enumeration(
        "compatibilityFilter",
        "Compatibility",
        &[("COMPATIBLE", 1), ("INCOMPATIBLE", 2)],
    )?;
    Ok(CompatibilityRequest {
        dims,
        metrics: named.into_iter().map(|(_, m)| m).collect(),
        filter,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    const PROPERTY: &str = "properties/123456789";
    const TODAY: Date = date!(2026 - 03 - 01);

    fn error_of(body: Value) -> String {
        match parse_report(&body, "", PROPERTY, TODAY) {
            Ok(_) => panic!("expected a 400 for {body}"),
            Err(error) => {
                assert_eq!(error.status, "INVALID_ARGUMENT");
                error.message
            }
        }
    }

    #[test]
    fn a_seo_pulse_request_parses() {
        let body = json!({
            "dateRanges": [{"startDate": "28daysAgo", "endDate": "yesterday"}],
            "dimensions": [{"name": "landingPagePlusQueryString"}],
            "metrics": [{"name": "sessions"}, {"name": "totalUsers"}, {"name": "conversions"}],
            "dimensionFilter": {"filter": {"fieldName": "sessionDefaultChannelGrouping",
                "stringFilter": {"matchType": 1, "value": "Organic Search"}}},
            "orderBys": [{"metric": {"metricName": "sessions"}, "desc": true}],
            "limit": "50", "offset": "0", "keepEmptyRows": false, "returnPropertyQuota": true
        });
        let parsed = parse_report(&body, "", PROPERTY, TODAY).map_err(|e| e.message);
        let Ok(report) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(report.limit, 50);
        assert_eq!(report.metrics[2].met, Met::KeyEvents);
        assert_eq!(report.metrics[2].header, "conversions");
        assert_eq!(report.date_ranges[0].start, date!(2026 - 02 - 01));
        assert_eq!(report.date_ranges[0].end, date!(2026 - 02 - 28));
        assert!(report.return_property_quota);
    }

    #[test]
    fn bad_requests_get_googles_wording() {
        let range = json!([{"startDate": "7daysAgo", "endDate": "today"}]);
        assert_eq!(
            error_of(json!({"dateRanges": range, "metrics": [{"name": "pageViews"}]})),
            "Field pageViews is not a valid metric. For a list of valid dimensions and metrics, \
             see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
        );
        assert!(
            error_of(
                json!({"dateRanges": range, "dimensions": [{"name": "landingPagePlusQueryString"}],
                "metrics": [{"name": "purchaseRevenue"}]})
            )
            .starts_with("Please remove purchaseRevenue to make the request compatible")
        );
        assert!(
            error_of(json!({"dateRanges": range, "metrics": [{"name": "sessions"}], "foo": 1}))
                .contains("Unknown name \"foo\"")
        );
        assert!(error_of(json!({"metrics": [{"name": "sessions"}]})).contains("dateRange"));
        let five = json!([range[0], range[0], range[0], range[0], range[0]]);
        assert!(
            error_of(json!({"dateRanges": five, "metrics": [{"name": "sessions"}]}))
                .contains("limited to 4")
        );
    }

    #[test]
    fn several_ranges_add_the_date_range_column() {
        let body = json!({
            "dateRanges": [{"startDate": "14daysAgo", "endDate": "8daysAgo"},
                           {"startDate": "7daysAgo", "endDate": "yesterday", "name": "this_week"}],
            "dimensions": [{"name": "date"}],
            "metrics": [{"name": "sessions"}],
            "limit": 5
        });
        let Ok(report) = parse_report(&body, "", PROPERTY, TODAY) else {
            panic!("parses");
        };
        assert_eq!(report.dimensions.len(), 2);
        assert_eq!(report.dimensions[1].column, Column::DateRange);
        assert_eq!(report.date_ranges[0].name, "date_range_0");
        assert_eq!(report.date_ranges[1].name, "this_week");
    }
}
