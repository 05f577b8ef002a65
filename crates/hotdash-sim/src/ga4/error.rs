//! Google's error envelope, `{"error":{"code","message","status"}}`, and the faults the chaos
//! layer injects in Google's words.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::quota::QuotaBook;
use crate::chaos::VendorFaults;

/// The 401 text Google sends for a missing, expired or unknown credential.
pub const INVALID_CREDENTIALS: &str = "Request had invalid authentication credentials. Expected \
     OAuth 2 access token, login cookie or other valid authentication credential. See \
     https://developers.google.com/identity/sign-in/web/devconsole-project.";

pub const MISSING_CREDENTIALS: &str = "Request is missing required authentication credential. \
     Expected OAuth 2 access token, login cookie or other valid authentication credential. See \
     https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// One Google API error: HTTP status plus the canonical `google.rpc.Code` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleError {
    pub code: StatusCode,
    pub status: &'static str,
    pub message: String,
}

impl GoogleError {
    pub fn new(code: StatusCode, status: &'static str, message: impl Into<String>) -> Self {
        GoogleError {
            code,
            status,
            message: message.into(),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", message)
    }

    /// The answer for a property the caller cannot read (or that does not exist: Google does
    /// not tell the two apart).
    pub fn wrong_property() -> Self {
        Self::permission_denied(
            "User does not have sufficient permissions for this property. To learn more about \
             Property ID, see \
             https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
        )
    }

    pub fn resource_exhausted(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Internal error encountered.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "The service is currently unavailable.",
        )
    }
}

impl IntoResponse for GoogleError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.code.as_u16(),
                "message": self.message,
                "status": self.status,
            }
        });
        let mut response = (self.code, axum::Json(body)).into_response();
        if self.code == StatusCode::UNAUTHORIZED {
            // Google names the realm on every 401; some clients look for it.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
        }
        response
    }
}

/// Chaos faults in Google's words. Injected 5xx count against the property's
/// `serverErrorsPerProjectPerHour`, as real server errors do.
pub struct GoogleFaults {
    pub quota: Arc<QuotaBook>,
    pub project: String,
}

impl VendorFaults for GoogleFaults {
    fn server_error(&self) -> Response {
        self.quota.record_server_error(&self.project);
        GoogleError::internal().into_response()
    }

    /// A stray 429 is the concurrency refusal, the one Google sends at random. An exhausted
    /// token bucket is not random: it persists until the refill, contradicts no
    /// `propertyQuota` the client has seen, and the quota book produces it for real.
    fn rate_limited(&self) -> Response {
        GoogleError::resource_exhausted(
            super::quota::Bucket::ConcurrentRequests.exhausted_message(),
        )
        .into_response()
    }

    fn unauthorized(&self) -> Response {
        GoogleError::unauthenticated(INVALID_CREDENTIALS).into_response()
    }

    fn unavailable(&self) -> Response {
        self.quota.record_server_error(&self.project);
        GoogleError::unavailable().into_response()
    }
}
