//! Response bodies in proto3 JSON: all metric values as strings, defaults omitted (no `rows`
//! and no `rowCount` for an empty report), and enums as names, or as integers when the client
//! asked for `$alt=json;enum-encoding=int`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::engine::{Report, ReportRow, format_value};
use super::quota::QuotaReport;
use super::request::{CompatibilityRequest, RealtimeRequest, ReportRequest};
use super::schema::{self, DimensionDef, MetricDef, MetricType};

/// Switches that make reports carry Google's data-quality flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Ga4Switches {
    /// `metadata.subjectToThresholding: true`, and each report counts against
    /// `potentiallyThresholdedRequestsPerHour`.
    pub subject_to_thresholding: bool,
    /// `metadata.samplingMetadatas`, one per date range (10% of the sessions read).
    pub sampling: bool,
    /// `metadata.dataLossFromOtherRow: true`.
    pub data_loss_from_other_row: bool,
}

/// How enums are written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub int_enums: bool,
}

impl Encoding {
    /// Reads the `$alt` system parameter (`json;enum-encoding=int` from the REST clients).
    pub fn from_query(params: &[(String, String)]) -> Encoding {
        let int_enums = params
            .iter()
            .any(|(k, v)| k == "$alt" && v.split(';').any(|p| p.trim() == "enum-encoding=int"));
        Encoding { int_enums }
    }

    fn metric_type(self, kind: MetricType) -> Value {
        if self.int_enums {
            json!(kind.number())
        } else {
            json!(kind.name())
        }
    }

    fn compatibility(self, compatible: bool) -> Value {
        match (self.int_enums, compatible) {
            (true, true) => json!(1),
            (true, false) => json!(2),
            (false, true) => json!("COMPATIBLE"),
            (false, false) => json!("INCOMPATIBLE"),
        }
    }
}

/// Property-level facts every Core report's `metadata` carries.
pub struct PropertyFacts<'a> {
    pub currency_code: &'a str,
    pub time_zone: &'a str,
    pub switches: &'a Ga4Switches,
}

fn rows_json(rows: &[ReportRow], visible: &[usize], kinds: &[MetricType]) -> Value {
    rows.iter()
        .map(|row| {
            json!({
                "dimensionValues": row.dimensions.iter()
                    .map(|v| json!({ "value": v }))
                    .collect::<Vec<_>>(),
                "metricValues": visible.iter()
                    .map(|&i| json!({ "value": format_value(kinds[i], row.metrics[i]) }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// A `RunReportResponse`.
pub fn report_json(
    request: &ReportRequest,
    report: &Report,
    facts: &PropertyFacts<'_>,
    quota: Option<&QuotaReport>,
    encoding: Encoding,
) -> Value {
    let visible: Vec<usize> = (0..request.metrics.len())
        .filter(|&i| !request.metrics[i].invisible)
        .collect();
    let kinds: Vec<MetricType> = request.metrics.iter().map(|m| m.kind).collect();
    let mut out = Map::new();
    out.insert(
        "dimensionHeaders".into(),
        request
            .dimensions
            .iter()
            .map(|d| json!({ "name": d.header }))
            .collect(),
    );
    out.insert(
        "metricHeaders".into(),
        visible
            .iter()
            .map(|&i| {
                let m = &request.metrics[i];
                json!({ "name": m.header, "type": encoding.metric_type(m.kind) })
            })
            .collect(),
    );
    for (field, rows) in [
        ("rows", &report.rows),
        ("totals", &report.totals),
        ("maximums", &report.maximums),
        ("minimums", &report.minimums),
    ] {
        if !rows.is_empty() {
            out.insert(field.into(), rows_json(rows, &visible, &kinds));
        }
    }
    if report.row_count > 0 {
        out.insert("rowCount".into(), json!(report.row_count));
    }
    let mut metadata = Map::new();
    metadata.insert("currencyCode".into(), json!(facts.currency_code));
    metadata.insert("timeZone".into(), json!(facts.time_zone));
    if facts.switches.subject_to_thresholding {
        metadata.insert("subjectToThresholding".into(), json!(true));
    }
    if facts.switches.data_loss_from_other_row {
        metadata.insert("dataLossFromOtherRow".into(), json!(true));
    }
    if facts.switches.sampling {
        let samples: Vec<Value> = report
            .sessions_per_range
            .iter()
            .map(|space| {
                // int64 fields travel as strings in proto3 JSON.
                json!({
                    "samplesReadCount": ((space + 9) / 10).to_string(),
                    "samplingSpaceSize": space.to_string(),
                })
            })
            .collect();
        metadata.insert("samplingMetadatas".into(), Value::Array(samples));
    }
    out.insert("metadata".into(), Value::Object(metadata));
    if let Some(quota) = quota {
        out.insert("propertyQuota".into(), quota.to_json());
    }
    out.insert("kind".into(), json!("analyticsData#runReport"));
    Value::Object(out)
}

/// A `RunRealtimeReportResponse` (no `metadata` block in this message).
pub fn realtime_json(
    request: &RealtimeRequest,
    report: &Report,
    quota: Option<&QuotaReport>,
    encoding: Encoding,
) -> Value {
    let kinds: Vec<MetricType> = request.metrics.iter().map(|(_, _, k)| *k).collect();
    let visible: Vec<usize> = (0..kinds.len()).collect();
    let mut headers: Vec<Value> = request
        .dimensions
        .iter()
        .map(|(name, _)| json!({ "name": name }))
        .collect();
    if request.minute_ranges.len() > 1 {
        headers.push(json!({ "name": "dateRange" }));
    }
    let mut out = Map::new();
    out.insert("dimensionHeaders".into(), Value::Array(headers));
    out.insert(
        "metricHeaders".into(),
        request
            .metrics
            .iter()
            .map(|(name, _, kind)| json!({ "name": name, "type": encoding.metric_type(*kind) }))
            .collect(),
    );
    if !report.rows.is_empty() {
        out.insert("rows".into(), rows_json(&report.rows, &visible, &kinds));
    }
    if report.row_count > 0 {
        out.insert("rowCount".into(), json!(report.row_count));
    }
    if let Some(quota) = quota {
        out.insert("propertyQuota".into(), quota.to_json());
    }
    out.insert("kind".into(), json!("analyticsData#runRealtimeReport"));
    Value::Object(out)
}

fn dimension_metadata(def: &DimensionDef) -> Value {
    let mut out = Map::new();
    out.insert("apiName".into(), json!(def.api_name));
    out.insert("uiName".into(), json!(def.ui_name));
    out.insert("description".into(), json!(def.description));
    if !def.deprecated.is_empty() {
        out.insert("deprecatedApiNames".into(), json!(def.deprecated));
    }
    out.insert("category".into(), json!(def.category));
    Value::Object(out)
}

fn metric_metadata(def: &MetricDef, encoding: Encoding) -> Value {
    let mut out = Map::new();
    out.insert("apiName".into(), json!(def.api_name));
    out.insert("uiName".into(), json!(def.ui_name));
    out.insert("description".into(), json!(def.description));
    if !def.deprecated.is_empty() {
        out.insert("deprecatedApiNames".into(), json!(def.deprecated));
    }
    out.insert("type".into(), encoding.metric_type(def.kind));
    if def.custom {
        out.insert("customDefinition".into(), json!(true));
    }
    out.insert("category".into(), json!(def.category));
    Value::Object(out)
}

/// A `Metadata` resource. `properties/0/metadata` lists the universal fields only.
pub fn metadata_json(property_id: u64, encoding: Encoding) -> Value {
    let universal = property_id == 0;
    json!({
        "name": format!("properties/{property_id}/metadata"),
        "dimensions": schema::DIMENSIONS.iter().map(dimension_metadata).collect::<Vec<_>>(),
        "metrics": schema::METRICS.iter()
            .filter(|m| !(universal && m.custom))
            .map(|m| metric_metadata(m, encoding))
            .collect::<Vec<_>>(),
    })
}

/// A `CheckCompatibilityResponse`: every field of the schema, compatible or not with the
/// selection, narrowed by `compatibilityFilter`.
pub fn compatibility_json(request: &CompatibilityRequest, encoding: Encoding) -> Value {
    let wanted = |compatible: bool| match request.filter {
        Some("COMPATIBLE") => compatible,
        Some(_) => !compatible,
        None => true,
    };
    let dimensions: Vec<Value> = schema::DIMENSIONS
        .iter()
        .filter_map(|def| {
            let compatible = !request
                .metrics
                .iter()
                .any(|m| schema::incompatible(def.dim, *m));
            wanted(compatible).then(|| {
                json!({
                    "dimensionMetadata": dimension_metadata(def),
                    "compatibility": encoding.compatibility(compatible),
                })
            })
        })
        .collect();
    let metrics: Vec<Value> = schema::METRICS
        .iter()
        .filter_map(|def| {
            let compatible = !request
                .dims
                .iter()
                .any(|d| schema::incompatible(*d, def.met));
            wanted(compatible).then(|| {
                json!({
                    "metricMetadata": metric_metadata(def, encoding),
                    "compatibility": encoding.compatibility(compatible),
                })
            })
        })
        .collect();
    let mut out = Map::new();
    if !dimensions.is_empty() {
        out.insert("dimensionCompatibilities".into(), Value::Array(dimensions));
    }
    if !metrics.is_empty() {
        out.insert("metricCompatibilities".into(), Value::Array(metrics));
    }
    Value::Object(out)
}
