//! The thin Data API client: `runReport` with a bearer token from [`TokenSource`], through
//! the [`QuotaGuard`] (the only place the connector waits), with Google's error envelope
//! mapped to [`ConnectorError`].

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::auth::TokenSource;
use super::quota::{Admission, QuotaGuard};
use super::report::RunReportResponse;
use crate::connectors::{ConnectorError, SyncContext, http};

pub struct Ga4Client {
    pub tokens: TokenSource,
    pub http: reqwest::Client,
    /// `https://analyticsdata.googleapis.com`, without a trailing slash.
    pub base: String,
    pub property_id: String,
    pub quota: QuotaGuard,
}

#[derive(Deserialize)]
struct Envelope {
    error: Option<GoogleError>,
}

#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
}

impl Ga4Client {
    fn url(&self) -> String {
        format!(
            "{}/v1beta/properties/{}:runReport",
            self.base, self.property_id
        )
    }

    /// Runs one report. Waits (inside the quota guard) while a quota bucket is low; refuses
    /// without sending while one is spent.
    pub async fn run_report(
        &self,
        cx: &SyncContext,
        body: &Value,
    ) -> Result<RunReportResponse, ConnectorError> {
        // One retry with a new token when the API refuses a cached one (revoked, expired early).
        let mut refreshed = false;
        loop {
            self.admit(cx).await?;
            let token = self.tokens.token(&self.http, &cx.meter).await?;
            let mut bearer =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    ConnectorError::Invalid("the access token is not a header value".into())
                })?;
            bearer.set_sensitive(true);
            cx.meter.add_request();
            let response = tokio::select! {
                () = cx.shutdown.cancelled() => return Err(ConnectorError::Cancelled),
                response = self.http.post(self.url()).header(AUTHORIZATION, bearer).json(body).send() => response?,
            };
            let status = response.status();
            let headers = response.headers().clone();
            let text = response.text().await?;
            if status.is_success() {
                // A cut-off body is a transfer failure: reading a report again is harmless.
                let report: RunReportResponse = serde_json::from_str(&text).map_err(|e| {
                    ConnectorError::Transient(format!("runReport answer is not complete JSON: {e}"))
                })?;
                if let Some(quota) = &report.property_quota {
                    self.quota.observe(quota, OffsetDateTime::now_utc());
                }
                return Ok(report);
            }
            let google = serde_json::from_str::<Envelope>(&text)
                .ok()
                .and_then(|e| e.error);
            let (canonical, message) = google.map(|e| (e.status, e.message)).unwrap_or_default();
            let message: String = message.chars().take(300).collect();
            match canonical.as_str() {
                "UNAUTHENTICATED" if !refreshed => {
                    self.tokens.invalidate(&token).await;
                    refreshed = true;
                }
                "UNAUTHENTICATED" => return Err(ConnectorError::Unauthorized(message)),
                "PERMISSION_DENIED" => {
                    return Err(ConnectorError::AccessDenied(format!(
                        "property {}: {message}",
                        self.property_id
                    )));
                }
                "RESOURCE_EXHAUSTED" => {
                    let (bucket, retry_after) =
                        self.quota.exhausted(&message, OffsetDateTime::now_utc());
                    let subject = bucket.map_or("unknown", |b| b.name());
                    tracing::warn!(
                        quota = subject,
                        retry_after_secs = retry_after.as_secs(),
                        "GA4 quota exhausted"
                    );
                    return Err(ConnectorError::RateLimited {
                        retry_after: Some(retry_after),
                    });
                }
                "INVALID_ARGUMENT" | "NOT_FOUND" | "FAILED_PRECONDITION" => {
                    return Err(ConnectorError::Invalid(format!("{status}: {message}")));
                }
                _ => {
                    let excerpt = if message.is_empty() {
                        text.as_str()
                    } else {
                        message.as_str()
                    };
                    return Err(http::status_error(status, &headers, excerpt));
                }
            }
        }
    }

    /// Waits while the guard paces requests; fails fast while a bucket is spent.
    async fn admit(&self, cx: &SyncContext) -> Result<(), ConnectorError> {
        loop {
            match self.quota.admit(OffsetDateTime::now_utc()) {
                Admission::Go => return Ok(()),
                Admission::Blocked {
                    bucket,
                    retry_after,
                } => {
                    cx.meter.finding(
                        "quota_exhausted",
                        bucket.name(),
                        format!(
                            "GA4 quota {} is spent; requests resume in {} s",
                            bucket.name(),
                            retry_after.as_secs()
                        ),
                    );
                    return Err(ConnectorError::RateLimited {
                        retry_after: Some(retry_after),
                    });
                }
                Admission::Wait {
                    bucket,
                    wait,
                    remaining,
                    of,
                } => {
                    cx.meter.finding(
                        "quota_low",
                        bucket.name(),
                        format!(
                            "GA4 quota {} is low ({remaining} of {of} left): requests slowed",
                            bucket.name()
                        ),
                    );
                    tokio::select! {
                        () = cx.shutdown.cancelled() => return Err(ConnectorError::Cancelled),
                        () = tokio::time::sleep(wait) => {}
                    }
                    cx.meter.add_rate_wait(wait.min(Duration::from_secs(60)));
                }
            }
        }
    }
}
