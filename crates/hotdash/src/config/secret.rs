//! Redacting types for credentials: [`Secret`] and [`DatabaseUrl`]. Their `Debug`, `Display` and
//! `Serialize` never show the value, so a config can be printed, logged or put in an error whole.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const REDACTED: &str = "**redacted**";

/// A credential (token, webhook secret, password). Read it only where it is used, with
/// [`Secret::expose`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value, for the one place that needs it (an HMAC key, a comparison).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// One secret or several (during a rotation): a TOML array, or a comma-separated string as an
/// environment variable gives it.
pub fn deserialize_secret_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Secret>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let values = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => s.split(',').map(|v| v.trim().to_owned()).collect(),
        OneOrMany::Many(v) => v,
    };
    Ok(values
        .into_iter()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .collect())
}

/// A database URL whose password never leaves it: shown as `postgres://user:**redacted**@host/db`.
#[derive(Clone, Default)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The full URL, for connecting.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// The URL with any password replaced, safe to print.
    pub fn redacted(&self) -> String {
        let url = self.expose();
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return url.to_owned();
        };
        let rest = &url[scheme_end..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            return redact_query_password(url);
        };
        let userinfo = &rest[..at];
        let user = userinfo.split(':').next().unwrap_or_default();
        let masked = if userinfo.contains(':') {
            format!("{user}:{REDACTED}")
        } else {
            user.to_owned()
        };
        redact_query_password(&format!("{}{masked}{}", &url[..scheme_end], &rest[at..]))
    }
}

/// Masks a `password=` query parameter, the other place libpq-style URLs carry one.
fn redact_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={REDACTED}"),
            _ => kv.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(DatabaseUrl::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let secret = Secret::new("hunter2-value");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&secret).unwrap().contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2-value");
    }

    #[test]
    fn database_urls_hide_passwords_in_userinfo_and_query() {
        let url = DatabaseUrl::new("postgres://app:s3cr3t@db.example:5432/hotdash?sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgres://app:**redacted**@db.example:5432/hotdash?sslmode=require"
        );
        let url = DatabaseUrl::new("postgres://db.example/hotdash?user=app&password=s3cr3t");
        assert!(!format!("{url:?}").contains("s3cr3t"));
        assert_eq!(
            DatabaseUrl::new("sqlite://data/hotdash.db").to_string(),
            "sqlite://data/hotdash.db"
        );
    }
}
