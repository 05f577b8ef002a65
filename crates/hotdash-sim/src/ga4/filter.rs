//! `FilterExpression`: and/or/not groups over field filters (string with every match type,
//! in-list, numeric, between, empty), parsed from JSON and evaluated against report rows.

use std::borrow::Cow;

use regex::Regex;
use serde_json::Value;

use super::error::GoogleError;
use super::json::Obj;

#[derive(Debug, Clone)]
pub enum FilterExpr {
    And(Vec<FilterExpr>),
    Or(Vec<FilterExpr>),
    Not(Box<FilterExpr>),
    Leaf(Filter),
}

#[derive(Debug, Clone)]
pub struct Filter {
    /// The field's current API name (deprecated aliases already resolved).
    pub field: String,
    pub condition: Condition,
}

#[derive(Debug, Clone)]
pub enum Condition {
    /// Every string match type; regex types are compiled once here.
    Text {
        match_type: &'static str,
        value: String,
        case_sensitive: bool,
        regex: Option<Regex>,
    },
    InList {
        values: Vec<String>,
        case_sensitive: bool,
    },
    Numeric {
        operation: &'static str,
        value: f64,
    },
    Between {
        from: f64,
        to: f64,
    },
    Empty,
}

/// A row's value for a filtered field.
pub enum FieldValue<'a> {
    Text(Cow<'a, str>),
    Number(f64),
}

const MATCH_TYPES: &[(&str, i64)] = &[
    ("EXACT", 1),
    ("BEGINS_WITH", 2),
    ("ENDS_WITH", 3),
    ("CONTAINS", 4),
    ("FULL_REGEXP", 5),
    ("PARTIAL_REGEXP", 6),
];

const OPERATIONS: &[(&str, i64)] = &[
    ("EQUAL", 1),
    ("LESS_THAN", 2),
    ("LESS_THAN_OR_EQUAL", 3),
    ("GREATER_THAN", 4),
    ("GREATER_THAN_OR_EQUAL", 5),
];

/// Parses a filter expression; `resolve` maps a `fieldName` to its current API name or says
/// why it is not allowed in this filter.
pub fn parse(
    value: &Value,
    path: &str,
    resolve: &dyn Fn(&str) -> Result<String, GoogleError>,
) -> Result<FilterExpr, GoogleError> {
    let obj = Obj::new(value, path, "FilterExpression")?;
    obj.allow_only(&["andGroup", "orGroup", "notExpression", "filter"])?;
    let set: Vec<&str> = ["andGroup", "orGroup", "notExpression", "filter"]
        .into_iter()
        .filter(|f| obj.get(f).is_some())
        .collect();
    match set.as_slice() {
        ["andGroup"] | ["orGroup"] => {
            let field = set[0];
            let group = obj.get(field).unwrap_or(&Value::Null);
            let group = Obj::new(group, &obj.child(field), "FilterExpressionList")?;
            group.allow_only(&["expressions"])?;
            let path = group.child("expressions");
            let expressions = group
                .array("expressions")?
                .iter()
                .enumerate()
                .map(|(i, e)| parse(e, &format!("{path}[{i}]"), resolve))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if field == "andGroup" {
                FilterExpr::And(expressions)
            } else {
                FilterExpr::Or(expressions)
            })
        }
        ["notExpression"] => {
            let inner = obj.get("notExpression").unwrap_or(&Value::Null);
            let inner = parse(inner, &obj.child("notExpression"), resolve)?;
            Ok(FilterExpr::Not(Box::new(inner)))
        }
        ["filter"] => {
            let filter = obj.get("filter").unwrap_or(&Value::Null);
            parse_filter(filter, &obj.child("filter"), resolve).map(FilterExpr::Leaf)
        }
        [] => Err(GoogleError::invalid_argument(format!(
            "A FilterExpression at '{}' must set one of andGroup, orGroup, notExpression or \
             filter.",
            obj.path()
        ))),
        _ => Err(GoogleError::invalid_argument(format!(
            "Invalid JSON payload received. Oneof field 'expr' at '{}' is already set. Cannot \
             set '{}'.",
            obj.path(),
            set[1]
        ))),
    }
}

fn parse_filter(
    value: &Value,
    path: &str,
    resolve: &dyn Fn(&str) -> Result<String, GoogleError>,
) -> Result<Filter, GoogleError> {
    let obj = Obj::new(value, path, "Filter")?;
    let kinds = [
        "stringFilter",
        "inListFilter",
        "numericFilter",
        "betweenFilter",
        "emptyFilter",
    ];
    let mut allowed = vec!["fieldName"];
    allowed.extend(kinds);
    obj.allow_only(&allowed)?;
    let field_name = obj.string("fieldName")?.unwrap_or_default();
    if field_name.is_empty() {
        return Err(GoogleError::invalid_argument(format!(
            "Filter at '{path}' has no fieldName."
        )));
    }
    let field = resolve(field_name)?;
    let set: Vec<&str> = kinds.into_iter().filter(|k| obj.get(k).is_some()).collect();
    let [kind] = set.as_slice() else {
        return Err(GoogleError::invalid_argument(format!(
            "Filter at '{path}' must set exactly one of stringFilter, inListFilter, \
             numericFilter, betweenFilter or emptyFilter."
        )));
    };
    let inner_value = obj.get(kind).unwrap_or(&Value::Null);
    let inner = Obj::new(inner_value, &obj.child(kind), "Filter")?;
    let condition = match *kind {
        "stringFilter" => {
            inner.allow_only(&["matchType", "value", "caseSensitive"])?;
            let match_type = inner
                .enumeration("matchType", "Filter.StringFilter.MatchType", MATCH_TYPES)?
                .unwrap_or("EXACT");
            let value = inner.string("value")?.unwrap_or_default().to_owned();
            let case_sensitive = inner.bool("caseSensitive")?;
            let regex = compile(match_type, &value, case_sensitive)?;
            Condition::Text {
                match_type,
                value,
                case_sensitive,
                regex,
            }
        }
        "inListFilter" => {
            inner.allow_only(&["values", "caseSensitive"])?;
            let values = inner
                .array("values")?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    GoogleError::invalid_argument(format!(
                        "Invalid value at '{}': values must be strings.",
                        inner.child("values")
                    ))
                })?;
            Condition::InList {
                values,
                case_sensitive: inner.bool("caseSensitive")?,
            }
        }
        "numericFilter" => {
            inner.allow_only(&["operation", "value"])?;
            let operation = inner
                .enumeration("operation", "Filter.NumericFilter.Operation", OPERATIONS)?
                .unwrap_or("EQUAL");
            let value = numeric_value(&inner, "value")?;
            Condition::Numeric { operation, value }
        }
        "betweenFilter" => {
            inner.allow_only(&["fromValue", "toValue"])?;
            Condition::Between {
                from: numeric_value(&inner, "fromValue")?,
                to: numeric_value(&inner, "toValue")?,
            }
        }
        _ => {
            inner.allow_only(&[])?;
            Condition::Empty
        }
    };
    Ok(Filter { field, condition })
}

/// A `NumericValue` (`int64Value` or `doubleValue`).
fn numeric_value(obj: &Obj<'_>, camel: &str) -> Result<f64, GoogleError> {
    let value = obj.get(camel).unwrap_or(&Value::Null);
    let inner = Obj::new(value, &obj.child(camel), "NumericValue")?;
    inner.allow_only(&["int64Value", "doubleValue"])?;
    if let Some(i) = inner.int64("int64Value")? {
        return Ok(i as f64);
    }
    Ok(inner.double("doubleValue")?.unwrap_or(0.0))
}

fn compile(
    match_type: &str,
    value: &str,
    case_sensitive: bool,
) -> Result<Option<Regex>, GoogleError> {
    let flags = if case_sensitive { "" } else { "(?i)" };
    let pattern = match match_type {
        "FULL_REGEXP" => format!("{flags}^(?:{value})$"),
        "PARTIAL_REGEXP" => format!("{flags}{value}"),
        _ => return Ok(None),
    };
    Regex::new(&pattern)
        .map(Some)
        .map_err(|_| GoogleError::invalid_argument(format!("Invalid regular expression: {value}")))
}

impl FilterExpr {
    /// How many field filters the expression holds (a token-cost input).
    pub fn leaves(&self) -> usize {
        match self {
            Self::And(items) | Self::Or(items) => items.iter().map(Self::leaves).sum(),
            Self::Not(inner) => inner.leaves(),
            Self::Leaf(_) => 1,
        }
    }

    /// Every field the expression reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Self::And(items) | Self::Or(items) => items.iter().flat_map(Self::fields).collect(),
            Self::Not(inner) => inner.fields(),
            Self::Leaf(filter) => vec![filter.field.as_str()],
        }
    }

    pub fn matches<'a>(&self, value_of: &dyn Fn(&str) -> FieldValue<'a>) -> bool {
        match self {
            Self::And(items) => items.iter().all(|e| e.matches(value_of)),
            Self::Or(items) => items.iter().any(|e| e.matches(value_of)),
            Self::Not(inner) => !inner.matches(value_of),
            Self::Leaf(filter) => filter.condition.matches(value_of(&filter.field)),
        }
    }
}

impl Condition {
    fn matches(&self, value: FieldValue<'_>) -> bool {
        match self {
            Self::Text {
                match_type,
                value: wanted,
                case_sensitive,
                regex,
            } => {
                let text = as_text(&value);
                if let Some(regex) = regex {
                    return regex.is_match(&text);
                }
                let (text, wanted) = fold(&text, wanted, *case_sensitive);
                match *match_type {
                    "BEGINS_WITH" => text.starts_with(wanted.as_ref()),
                    "ENDS_WITH" => text.ends_with(wanted.as_ref()),
                    "CONTAINS" => text.contains(wanted.as_ref()),
                    _ => text == wanted,
                }
            }
            Self::InList {
                values,
                case_sensitive,
            } => {
                let text = as_text(&value);
                values.iter().any(|v| {
                    let (text, v) = fold(&text, v, *case_sensitive);
                    text == v
                })
            }
            Self::Numeric {
                operation,
                value: wanted,
            } => {
                let Some(n) = as_number(&value) else {
                    return false;
                };
                match *operation {
                    "LESS_THAN" => n < *wanted,
                    "LESS_THAN_OR_EQUAL" => n <= *wanted,
                    "GREATER_THAN" => n > *wanted,
                    "GREATER_THAN_OR_EQUAL" => n >= *wanted,
                    _ => n == *wanted,
                }
            }
            Self::Between { from, to } => as_number(&value).is_some_and(|n| n >= *from && n <= *to),
            Self::Empty => {
                let text = as_text(&value);
                text.is_empty() || text == "(not set)"
            }
        }
    }
}

fn as_text<'a>(value: &'a FieldValue<'_>) -> Cow<'a, str> {
    match value {
        FieldValue::Text(text) => Cow::Borrowed(text.as_ref()),
        FieldValue::Number(n) => Cow::Owned(n.to_string()),
    }
}

fn as_number(value: &FieldValue<'_>) -> Option<f64> {
    match value {
        FieldValue::Text(text) => text.parse().ok(),
        FieldValue::Number(n) => Some(*n),
    }
}

fn fold<'a>(text: &'a str, wanted: &'a str, case_sensitive: bool) -> (Cow<'a, str>, Cow<'a, str>) {
    if case_sensitive {
        (Cow::Borrowed(text), Cow::Borrowed(wanted))
    } else {
        (
            Cow::Owned(text.to_lowercase()),
            Cow::Owned(wanted.to_lowercase()),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn accept(name: &str) -> Result<String, GoogleError> {
        Ok(name.to_owned())
    }

    fn row<'a>(field: &str) -> FieldValue<'a> {
        match field {
            "sessionDefaultChannelGroup" => FieldValue::Text(Cow::Borrowed("Organic Search")),
            "landingPage" => FieldValue::Text(Cow::Borrowed("/collections/an-fittings")),
            "sessions" => FieldValue::Number(12.0),
            _ => FieldValue::Text(Cow::Borrowed("")),
        }
    }

    fn eval(expr: Value) -> bool {
        match parse(&expr, "dimension_filter", &accept) {
            Ok(filter) => filter.matches(&row),
            Err(error) => panic!("{}", error.message),
        }
    }

    #[test]
    fn string_filters_match_like_google() {
        let exact = |m: Value, v: &str| {
            json!({"filter": {"fieldName": "sessionDefaultChannelGroup",
                "stringFilter": {"matchType": m, "value": v}}})
        };
        assert!(eval(exact(json!("EXACT"), "Organic Search")));
        assert!(
            eval(exact(json!(1), "organic search")),
            "case-insensitive by default"
        );
        assert!(eval(exact(json!("BEGINS_WITH"), "Organic")));
        assert!(eval(exact(json!(4), "ic Se")));
        assert!(eval(exact(json!("FULL_REGEXP"), "organic.*")));
        assert!(!eval(exact(json!("FULL_REGEXP"), "organic")));
        assert!(eval(exact(json!("PARTIAL_REGEXP"), "Sea")));
    }

    #[test]
    fn groups_lists_and_numbers_combine() {
        assert!(eval(json!({"andGroup": {"expressions": [
            {"filter": {"fieldName": "landingPage",
                "inListFilter": {"values": ["/", "/collections/an-fittings"]}}},
            {"notExpression": {"filter": {"fieldName": "sessionDefaultChannelGroup",
                "stringFilter": {"value": "Direct"}}}},
            {"filter": {"fieldName": "sessions",
                "numericFilter": {"operation": "GREATER_THAN", "value": {"int64Value": "10"}}}},
            {"filter": {"fieldName": "sessions",
                "betweenFilter": {"fromValue": {"doubleValue": 12}, "toValue": {"int64Value": 12}}}}
        ]}})));
        assert!(!eval(json!({"orGroup": {"expressions": [
            {"filter": {"fieldName": "landingPage", "emptyFilter": {}}}
        ]}})));
    }

    #[test]
    fn malformed_filters_are_invalid_arguments() {
        let both = json!({"filter": {"fieldName": "x", "emptyFilter": {}}, "andGroup": {}});
        let error = parse(&both, "dimension_filter", &accept).expect_err("oneof");
        assert_eq!(error.status, "INVALID_ARGUMENT");
        let bad_enum = json!({"filter": {"fieldName": "x",
            "stringFilter": {"matchType": "SOUNDS_LIKE", "value": "x"}}});
        let error = parse(&bad_enum, "dimension_filter", &accept).expect_err("enum");
        assert!(
            error
                .message
                .contains("dimension_filter.filter.string_filter.match_type")
        );
    }
}
