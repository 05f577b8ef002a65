//! Environment overrides: `HOTDASH_SECTION__KEY=value` sets `section.key` in the config tree
//! (`__` separates nesting levels, names are lower-cased). Values are read as TOML scalars where
//! they look like one (`8080`, `true`), except for credential keys, which are taken verbatim so a
//! numeric-looking token is never altered.

use toml::{Table, Value};

pub const PREFIX: &str = "HOTDASH_";

/// Variables with these prefixes belong to the tooling around HotDash (the config path, the
/// test harness, CI), not to the config tree.
const NOT_CONFIG: [&str; 3] = ["HOTDASH_CONFIG", "HOTDASH_TEST_", "HOTDASH_PG_"];

/// Keys whose values are taken verbatim (see module docs).
const VERBATIM_KEYS: [&str; 10] = [
    "secret",
    "access_token",
    "api_access_token",
    "credentials_json",
    "property_id",
    "secrets",
    "bearer_token",
    "signing_secrets",
    "url",
    "password",
];

/// The config key path (`server.listen`) an environment variable name sets, if it is one of ours.
pub fn key_for_var(name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix(PREFIX)?;
    if NOT_CONFIG.iter().any(|p| name.starts_with(p)) || rest.is_empty() {
        return None;
    }
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// The environment variable that sets `path` (`server.listen` → `HOTDASH_SERVER__LISTEN`).
pub fn var_for_key(path: &str) -> String {
    format!("{PREFIX}{}", path.replace('.', "__").to_ascii_uppercase())
}

/// Applies every `HOTDASH_*` variable in `vars` to `table`. Returns the variables applied.
pub fn apply(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, String> {
    let mut applied = Vec::new();
    for (name, raw) in vars {
        let Some(path) = key_for_var(&name) else {
            continue;
        };
        let verbatim = path
            .last()
            .is_some_and(|k| VERBATIM_KEYS.contains(&k.as_str()));
        let value = if verbatim {
            Value::String(raw)
        } else {
            parse_scalar(raw)
        };
        set(table, &path, value)
            .map_err(|conflict| format!("{name}: `{conflict}` is not a table"))?;
        applied.push(name);
    }
    Ok(applied)
}

fn parse_scalar(raw: String) -> Value {
    match format!("v = {raw}").parse::<Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Array(_)),
            ) => v,
            _ => Value::String(raw),
        },
        Err(_) => Value::String(raw),
    }
}

fn set(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path
        .split_last()
        .expect("key_for_var never yields an empty path");
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = entry.as_table_mut().ok_or_else(|| key.clone())?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_and_scalars() {
        let mut table = Table::new();
        let vars = [
            (
                "HOTDASH_SERVER__LISTEN".to_owned(),
                "127.0.0.1:9000".to_owned(),
            ),
            ("HOTDASH_JOBS__WORKERS".to_owned(), "4".to_owned()),
            (
                "HOTDASH_WEBHOOKS__CHATWOOT__SECRET".to_owned(),
                "12345".to_owned(),
            ),
            ("HOTDASH_TEST_DATABASE_URL".to_owned(), "ignored".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let applied = apply(&mut table, vars).unwrap();
        assert_eq!(applied.len(), 3);
        assert_eq!(table["server"]["listen"].as_str(), Some("127.0.0.1:9000"));
        assert_eq!(table["jobs"]["workers"].as_integer(), Some(4));
        // A numeric-looking secret stays a string.
        assert_eq!(
            table["webhooks"]["chatwoot"]["secret"].as_str(),
            Some("12345")
        );
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(
            var_for_key("webhooks.shopify.secrets"),
            "HOTDASH_WEBHOOKS__SHOPIFY__SECRETS"
        );
        assert_eq!(
            key_for_var("HOTDASH_DATABASE__URL").unwrap(),
            ["database", "url"]
        );
    }
}
