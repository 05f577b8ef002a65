//! Rejections are data: each refused request has a [`RejectCause`] with its HTTP status, is
//! counted, stored (without its body), and logged at most once per source and cause per interval
//! so a flood of bad requests cannot flood the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a webhook request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectCause {
    UnknownSource,
    UnsupportedContentType,
    BodyTooLarge,
    MissingSignature,
    BadSignature,
    StaleTimestamp,
    BadToken,
    MalformedJson,
    MissingHeader,
    InvalidPayload,
    Conflict,
    Overloaded,
}

impl RejectCause {
    /// The stored and exported name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownSource => "unknown_source",
            Self::UnsupportedContentType => "unsupported_content_type",
            Self::BodyTooLarge => "body_too_large",
            Self::MissingSignature => "missing_signature",
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp => "stale_timestamp",
            Self::BadToken => "bad_token",
            Self::MalformedJson => "malformed_json",
            Self::MissingHeader => "missing_header",
            Self::InvalidPayload => "invalid_payload",
            Self::Conflict => "conflict",
            Self::Overloaded => "overloaded",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::UnknownSource => 404,
            Self::UnsupportedContentType => 415,
            Self::BodyTooLarge => 413,
            Self::MissingSignature | Self::BadSignature | Self::StaleTimestamp | Self::BadToken => {
                401
            }
            Self::MalformedJson | Self::MissingHeader | Self::InvalidPayload => 400,
            Self::Conflict => 409,
            Self::Overloaded => 503,
        }
    }
}

/// Rate-limits rejection log lines per (source, cause).
pub struct RejectionLog {
    interval: Duration,
    last: Mutex<HashMap<(String, RejectCause), (Instant, u64)>>,
}

impl RejectionLog {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Logs a warning unless one for the same source and cause was logged within the interval;
    /// the next line reports how many were suppressed in between.
    pub fn note(&self, source: &str, cause: RejectCause, detail: &str) {
        let now = Instant::now();
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = last
            .entry((source.to_owned(), cause))
            .or_insert((now - self.interval * 2, 0));
        if now.duration_since(entry.0) >= self.interval {
            let suppressed = entry.1;
            *entry = (now, 0);
            drop(last);
            tracing::warn!(
                webhook.source = source,
                rejection.cause = cause.as_str(),
                suppressed,
                "Rejected a {source} webhook: {detail} ({suppressed} similar rejections not logged)"
            );
        } else {
            entry.1 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_has_a_client_or_overload_status() {
        for cause in [
            RejectCause::UnknownSource,
            RejectCause::BodyTooLarge,
            RejectCause::Conflict,
            RejectCause::Overloaded,
        ] {
            assert!((400..600).contains(&cause.status()), "{cause:?}");
        }
        assert_eq!(RejectCause::UnsupportedContentType.status(), 415);
        assert_eq!(RejectCause::BodyTooLarge.status(), 413);
        assert_eq!(RejectCause::MalformedJson.status(), 400);
    }

    #[test]
    fn repeats_within_the_interval_are_counted_not_logged() {
        let log = RejectionLog::new(Duration::from_secs(60));
        log.note("shopify", RejectCause::BadSignature, "x");
        log.note("shopify", RejectCause::BadSignature, "x");
        log.note("shopify", RejectCause::BadSignature, "x");
        let last = log.last.lock().unwrap();
        assert_eq!(
            last[&("shopify".to_owned(), RejectCause::BadSignature)].1,
            2
        );
    }
}
