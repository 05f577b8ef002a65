//! Reading request bodies the way Google's proto3 JSON parser does: camelCase or snake_case
//! keys, `null` as absent, int64 as a string or a number, enums as names or integers (the
//! official clients send integers under `enum-encoding=int`), and Google's wording for
//! unknown fields and bad values.

use serde_json::{Map, Value};

use super::error::GoogleError;

/// `fooBar` → `foo_bar`, for proto field paths in error messages.
pub fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON object being read, with its proto path (`dimension_filter.filter`) for messages.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

pub fn invalid_value(path: &str, type_name: &str, value: &Value) -> GoogleError {
    GoogleError::invalid_argument(format!("Invalid value at '{path}' ({type_name}), {value}"))
}

impl<'a> Obj<'a> {
    /// Reads `value` as a message; `type_name` names it in the error if it is not an object.
    pub fn new(value: &'a Value, path: &str, type_name: &str) -> Result<Obj<'a>, GoogleError> {
        match value {
            Value::Object(map) => Ok(Obj {
                map,
                path: path.to_owned(),
            }),
            other => Err(invalid_value(path, type_name, other)),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The proto path of a child field.
    pub fn child(&self, camel: &str) -> String {
        if self.path.is_empty() {
            snake(camel)
        } else {
            format!("{}.{}", self.path, snake(camel))
        }
    }

    /// Rejects keys that are not fields of this message, in Google's words.
    pub fn allow_only(&self, fields: &[&str]) -> Result<(), GoogleError> {
        for key in self.map.keys() {
            let known = fields.iter().any(|f| f == key || snake(f) == *key);
            if !known {
                let at = if self.path.is_empty() {
                    String::new()
                } else {
                    format!(" at '{}'", self.path)
                };
                return Err(GoogleError::invalid_argument(format!(
                    "Invalid JSON payload received. Unknown name \"{key}\"{at}: Cannot find \
                     field."
                )));
            }
        }
        Ok(())
    }

    /// A field by its camelCase or snake_case name; `null` counts as absent.
    pub fn get(&self, camel: &str) -> Option<&'a Value> {
        self.map
            .get(camel)
            .or_else(|| self.map.get(&snake(camel)))
            .filter(|v| !v.is_null())
    }

    pub fn string(&self, camel: &str) -> Result<Option<&'a str>, GoogleError> {
        match self.get(camel) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(invalid_value(&self.child(camel), "TYPE_STRING", other)),
        }
    }

    pub fn bool(&self, camel: &str) -> Result<bool, GoogleError> {
        match self.get(camel) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(invalid_value(&self.child(camel), "TYPE_BOOL", other)),
        }
    }

    /// An int64 field: proto3 JSON writes it as a string, but numbers are accepted.
    pub fn int64(&self, camel: &str) -> Result<Option<i64>, GoogleError> {
        let Some(value) = self.get(camel) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| invalid_value(&self.child(camel), "TYPE_INT64", value))
    }

    pub fn double(&self, camel: &str) -> Result<Option<f64>, GoogleError> {
        let Some(value) = self.get(camel) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::String(s) => s.trim().parse::<f64>().ok(),
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| invalid_value(&self.child(camel), "TYPE_DOUBLE", value))
    }

    /// A repeated field; absent is empty.
    pub fn array(&self, camel: &str) -> Result<&'a [Value], GoogleError> {
        match self.get(camel) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(invalid_value(&self.child(camel), "TYPE_MESSAGE", other)),
        }
    }

    /// An enum field given by name or number. `names` maps each accepted name to its number;
    /// the `*_UNSPECIFIED` zero value is absent.
    pub fn enumeration(
        &self,
        camel: &str,
        type_name: &str,
        names: &[(&'static str, i64)],
    ) -> Result<Option<&'static str>, GoogleError> {
        match self.get(camel) {
            None => Ok(None),
            Some(value) => enum_value(value, &self.child(camel), type_name, names),
        }
    }
}

/// An enum value given by name or number; see `Obj::enumeration`.
pub fn enum_value(
    value: &Value,
    path: &str,
    type_name: &str,
    names: &[(&'static str, i64)],
) -> Result<Option<&'static str>, GoogleError> {
    let found = match value {
        Value::String(s) => names.iter().find(|(name, _)| name == s),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| names.iter().find(|(_, number)| *number == n)),
        _ => None,
    };
    if let Some((name, _)) = found {
        return Ok(Some(name));
    }
    let unspecified = matches!(value, Value::Number(n) if n.as_i64() == Some(0))
        || matches!(value, Value::String(s) if s.ends_with("_UNSPECIFIED"));
    if unspecified {
        return Ok(None);
    }
    Err(invalid_value(
        path,
        &format!("type.googleapis.com/google.analytics.data.v1beta.{type_name}"),
        value,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn enums_read_as_names_or_numbers() {
        let names = [("EXACT", 1), ("CONTAINS", 4)];
        let body = json!({"a": "CONTAINS", "b": 1, "c": 0, "d": "EXACTLY"});
        let obj = Obj::new(&body, "", "Msg").map_err(|e| e.message);
        let Ok(obj) = obj else {
            panic!("object");
        };
        assert_eq!(obj.enumeration("a", "T", &names), Ok(Some("CONTAINS")));
        assert_eq!(obj.enumeration("b", "T", &names), Ok(Some("EXACT")));
        assert_eq!(obj.enumeration("c", "T", &names), Ok(None));
        let error = obj.enumeration("d", "T", &names).expect_err("unknown name");
        assert_eq!(
            error.message,
            "Invalid value at 'd' (type.googleapis.com/google.analytics.data.v1beta.T), \
             \"EXACTLY\""
        );
    }

    #[test]
    fn int64_reads_strings_and_numbers_and_snake_case_keys() {
        let body = json!({"limit": "50", "offset": 10, "keep_empty_rows": true});
        let Ok(obj) = Obj::new(&body, "", "Msg") else {
            panic!("object");
        };
        assert_eq!(obj.int64("limit"), Ok(Some(50)));
        assert_eq!(obj.int64("offset"), Ok(Some(10)));
        assert_eq!(obj.bool("keepEmptyRows"), Ok(true));
        assert!(
            obj.allow_only(&["limit", "offset", "keepEmptyRows"])
                .is_ok()
        );
        let error = obj
            .allow_only(&["limit", "keepEmptyRows"])
            .expect_err("offset is unknown");
        assert!(error.message.contains("Unknown name \"offset\""));
    }
}
