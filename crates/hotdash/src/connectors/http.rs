//! HTTP plumbing every connector shares: one reqwest client per connector with its timeout,
//! and the mapping from HTTP outcomes to [`ConnectorError`].

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::{BuildError, ConnectorError, RequestSettings};

/// A client with the connector's timeout and a `hotdash/<version>` user agent.
///
/// The timeout bounds each API call as a whole and, separately, every read: a long download
/// (a bulk operation's result) overrides the total with [`RequestBuilder::timeout`] and is
/// still cut off when the connection stalls for one timeout.
///
/// [`RequestBuilder::timeout`]: reqwest::RequestBuilder::timeout
pub fn client(settings: &RequestSettings) -> Result<reqwest::Client, BuildError> {
    let timeout = Duration::from_secs(settings.timeout_secs.max(1));
    reqwest::Client::builder()
        .timeout(timeout)
        .read_timeout(timeout)
        .connect_timeout(Duration::from_secs(settings.timeout_secs.clamp(1, 10)))
        .user_agent(concat!("hotdash/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BuildError::new("request", format!("cannot build HTTP client: {e}")))
}

/// A reqwest error is a transport failure (connect, timeout, reset, a body cut short — which
/// reqwest reports as a decode error) and worth retrying: no connector lets reqwest parse a
/// body (each reads text or bytes and parses them itself, deciding what a bad body means). The
/// message carries the error's causes but never the URL: query strings may carry credentials.
impl From<reqwest::Error> for ConnectorError {
    fn from(e: reqwest::Error) -> Self {
        ConnectorError::Transient(with_causes(&e.without_url()))
    }
}

/// "outer: cause: root cause", each cause once (reqwest repeats hyper's text at times).
fn with_causes(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Maps a non-success status to an error. `body` is a short excerpt for the message (callers
/// pass vendor error text, never request data).
pub fn status_error(status: StatusCode, headers: &HeaderMap, body: &str) -> ConnectorError {
    let excerpt: String = body.chars().take(200).collect();
    match status {
        StatusCode::UNAUTHORIZED => ConnectorError::Unauthorized(format!("{status}: {excerpt}")),
        StatusCode::FORBIDDEN => ConnectorError::AccessDenied(format!("{status}: {excerpt}")),
        StatusCode::TOO_MANY_REQUESTS => ConnectorError::RateLimited {
            retry_after: retry_after(headers),
        },
        StatusCode::SERVICE_UNAVAILABLE if retry_after(headers).is_some() => {
            ConnectorError::RateLimited {
                retry_after: retry_after(headers),
            }
        }
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
            ConnectorError::Transient(format!("{status}: {excerpt}"))
        }
        _ => ConnectorError::Invalid(format!("{status}: {excerpt}")),
    }
}

/// `Retry-After` in seconds (fractions allowed, as Shopify sends them). HTTP dates are not
/// used by any of our vendors and are ignored.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with_retry_after(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn statuses_map_to_errors() {
        let none = HeaderMap::new();
        assert!(matches!(
            status_error(StatusCode::UNAUTHORIZED, &none, ""),
            ConnectorError::Unauthorized(_)
        ));
        assert!(matches!(
            status_error(StatusCode::TOO_MANY_REQUESTS, &with_retry_after("2.5"), ""),
            ConnectorError::RateLimited { retry_after: Some(d) } if d == Duration::from_millis(2500)
        ));
        assert!(status_error(StatusCode::BAD_GATEWAY, &none, "").is_retryable());
        assert!(!status_error(StatusCode::BAD_REQUEST, &none, "").is_retryable());
    }

    #[test]
    fn retry_after_ignores_garbage() {
        assert_eq!(retry_after(&with_retry_after("soon")), None);
        assert_eq!(retry_after(&with_retry_after("-1")), None);
    }
}
