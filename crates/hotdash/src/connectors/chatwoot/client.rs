//! Thin typed access to the Chatwoot Application API: URLs under the account, the
//! `api_access_token` header (marked sensitive, never logged), pacing, request counting, and
//! the mapping of answers to [`ConnectorError`] (Chatwoot's 429s are plain text).

use reqwest::Url;
use reqwest::header::HeaderValue;
use serde_json::Value;

use super::pacer::{Budget, Limits, Pacer};
use crate::config::Secret;
use crate::connectors::{ConnectorError, SyncContext, http};

/// The API version prefix of a path.
#[derive(Debug, Clone, Copy)]
pub enum Api {
    V1,
    V2,
}

#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    account_id: u64,
    token: Secret,
    pacer: Pacer,
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        base: Url,
        account_id: u64,
        token: Secret,
        limits: Limits,
    ) -> Self {
        Client {
            http,
            base,
            account_id,
            token,
            pacer: Pacer::new(limits),
        }
    }

    /// `<base>/api/<v1|v2>/accounts/<account>/<segments...>` with `query`.
    pub fn url(&self, api: Api, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let account = self.account_id.to_string();
        let version = match api {
            Api::V1 => "v1",
            Api::V2 => "v2",
        };
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["api", version, "accounts", account.as_str()])
                .extend(segments);
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        url
    }

    /// GETs `url` once its budget allows and parses the JSON answer.
    pub async fn get(
        &self,
        cx: &SyncContext,
        budget: Budget,
        url: Url,
    ) -> Result<Value, ConnectorError> {
        self.get_found(cx, budget, url).await?.ok_or_else(|| {
            ConnectorError::Invalid("404 Not Found: Resource could not be found".into())
        })
    }

    /// As [`Client::get`], with a 404 (a record deleted meanwhile) as `None`.
    pub async fn get_found(
        &self,
        cx: &SyncContext,
        budget: Budget,
        url: Url,
    ) -> Result<Option<Value>, ConnectorError> {
        self.pacer.take(budget, &cx.meter, &cx.shutdown).await?;
        cx.meter.add_request();
        let mut token = HeaderValue::from_str(self.token.expose()).map_err(|_| {
            ConnectorError::Invalid("the access token is not a header value".into())
        })?;
        token.set_sensitive(true);
        tracing::debug!(path = url.path(), "chatwoot request");
        let request = self.http.get(url).header("api_access_token", token).send();
        let response = tokio::select! {
            response = request => response?,
            () = cx.shutdown.cancelled() => return Err(ConnectorError::Cancelled),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(http::status_error(status, &headers, &error_text(&body)));
        }
        parse_body(&body).map(Some)
    }
}

/// A success body as JSON. A body cut short (a dropped connection, a proxy) is worth another
/// try; a complete body of the wrong shape is not.
pub fn parse_body(body: &[u8]) -> Result<Value, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() {
            ConnectorError::Transient(format!("truncated response body: {e}"))
        } else {
            ConnectorError::Invalid(format!("response is not JSON: {e}"))
        }
    })
}

/// What an error body says: Chatwoot's `{"error": ..}` / `{"errors": [..]}`, else its text
/// (Rack::Attack's `Retry later`, a proxy's HTML page), on one line.
pub fn error_text(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        if let Some(message) = json.get("error").and_then(Value::as_str) {
            return message.to_owned();
        }
        if let Some(list) = json.get("errors").and_then(Value::as_array) {
            let messages: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            if !messages.is_empty() {
                return messages.join("; ");
            }
        }
    }
    String::from_utf8_lossy(body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn client(base: &str) -> Client {
        Client::new(
            reqwest::Client::new(),
            Url::parse(base).unwrap(),
            7,
            Secret::new("t"),
            Limits {
                window: Duration::from_secs(60),
                per_ip: 10,
                reports: 10,
                conversations_meta: 10,
            },
        )
    }

    #[test]
    fn urls_keep_a_path_prefix_and_encode_queries() {
        let url = client("https://x.example/chat/").url(
            Api::V1,
            &["conversations", "42", "messages"],
            &[("after", "9".into()), ("labels[]", "a b".into())],
        );
        assert_eq!(
            url.as_str(),
            "https://x.example/chat/api/v1/accounts/7/conversations/42/messages?after=9&labels%5B%5D=a+b"
        );
        let url = client("http://127.0.0.1:9").url(Api::V2, &["reports"], &[]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v2/accounts/7/reports");
    }

    #[test]
    fn plain_text_429_and_json_401_map_to_their_errors() {
        let none = HeaderMap::new();
        let throttled = http::status_error(
            StatusCode::TOO_MANY_REQUESTS,
            &none,
            &error_text(b"Retry later\n"),
        );
        assert!(matches!(
            throttled,
            ConnectorError::RateLimited { retry_after: None }
        ));
        let text = error_text(br#"{"error":"Invalid Access Token"}"#);
        assert_eq!(text, "Invalid Access Token");
        let denied = http::status_error(StatusCode::UNAUTHORIZED, &none, &text);
        assert!(
            matches!(denied, ConnectorError::Unauthorized(m) if m.contains("Invalid Access Token"))
        );
        assert_eq!(
            error_text(br#"{"errors":["You need to sign in or sign up before continuing."]}"#),
            "You need to sign in or sign up before continuing."
        );
        assert_eq!(
            error_text(b"<html><body>\n<h1>503</h1></body></html>\n"),
            "<html><body> <h1>503</h1></body></html>"
        );
    }

    #[test]
    fn truncated_bodies_are_retried_and_wrong_ones_are_not() {
        assert!(
            parse_body(br#"{"data": {"payload": [1, 2"#)
                .unwrap_err()
                .is_retryable()
        );
        assert!(!parse_body(b"<html>").unwrap_err().is_retryable());
        assert!(parse_body(b"[]").is_ok());
    }
}
