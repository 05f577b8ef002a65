//! Rack::Attack throttles as Chatwoot configures them (`config/initializers/rack_attack.rb`):
//! fixed windows, evaluated in order, the first exceeded one answering with Rack::Attack's
//! default plain-text `429 Retry later` and no `Retry-After`.
//!
//! Real Chatwoot safelists 127.0.0.1; the simulator only listens on loopback, so it throttles
//! loopback too (that is what tests are for). Windows count from server start rather than the
//! epoch so a test never straddles a window boundary by accident.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Throttle limits per window (defaults: Chatwoot's, per minute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// `ENABLE_RACK_ATTACK`.
    pub enabled: bool,
    /// Window length (Chatwoot: 1 minute for all of these).
    pub period_secs: u64,
    /// `req/ip`, every request by client IP (`RACK_ATTACK_LIMIT`).
    pub per_ip: u32,
    /// `/api/v2/accounts/:id/reports*` per token (or `uid`) and account
    /// (`RATE_LIMIT_REPORTS_API_USER_LEVEL`).
    pub reports_per_user: u32,
    /// `/api/v2/accounts/:id/reports*` per account (`RATE_LIMIT_REPORTS_API_ACCOUNT_LEVEL`).
    pub reports_per_account: u32,
    /// `GET /api/v1/accounts/:id/conversations/meta` per token and account
    /// (`RATE_LIMIT_CONVERSATIONS_META`).
    pub conversations_meta: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            period_secs: 60,
            per_ip: 3000,
            reports_per_user: 100,
            reports_per_account: 1000,
            conversations_meta: 30,
        }
    }
}

/// Rack::Attack's default throttled response.
pub fn retry_later() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "text/plain")],
        "Retry later\n",
    )
        .into_response()
}

/// The throttle counters of one simulator.
#[derive(Debug)]
pub struct Throttle {
    limits: RateLimits,
    started: Instant,
    /// key -> (window number, requests counted in it)
    counters: Mutex<HashMap<String, (u64, u32)>>,
}

impl Throttle {
    pub fn new(limits: RateLimits) -> Arc<Self> {
        Arc::new(Throttle {
            limits,
            started: Instant::now(),
            counters: Mutex::default(),
        })
    }

    /// Counts the request against each matching throttle in Chatwoot's order; `true` when
    /// one is exceeded (later throttles are then not counted, as in Rack::Attack's `any?`).
    pub fn throttled(&self, method: &Method, path: &str, headers: &HeaderMap) -> bool {
        if !self.limits.enabled || path == "/health" {
            return false;
        }
        let window = self.started.elapsed().as_secs() / self.limits.period_secs.max(1);
        let token =
            header_value(headers, "uid").or_else(|| header_value(headers, "api_access_token"));
        let reports = account_in(path, "/api/v2/accounts/", "/reports");
        let meta = (method == Method::GET)
            .then(|| account_in(path, "/api/v1/accounts/", "/conversations/meta"))
            .flatten();
        let checks = [
            Some((format!("req/ip:{}", client_ip(headers)), self.limits.per_ip)),
            reports.zip(token).map(|(account, token)| {
                (
                    format!("reports/user:{token}:{account}"),
                    self.limits.reports_per_user,
                )
            }),
            reports.map(|account| {
                (
                    format!("reports/account:{account}"),
                    self.limits.reports_per_account,
                )
            }),
            meta.zip(header_value(headers, "api_access_token"))
                .map(|(account, token)| {
                    (
                        format!("conversations/meta:{token}:{account}"),
                        self.limits.conversations_meta,
                    )
                }),
        ];
        let mut counters = self.counters.lock().expect("throttle lock");
        if counters.len() > 10_000 {
            counters.retain(|_, (w, _)| *w == window);
        }
        checks.into_iter().flatten().any(|(key, limit)| {
            let entry = counters.entry(key).or_insert((window, 0));
            if entry.0 != window {
                *entry = (window, 0);
            }
            entry.1 += 1;
            entry.1 > limit
        })
    }
}

fn header_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Rails' `remote_ip` behind a proxy, else loopback (the simulator only listens there).
fn client_ip(headers: &HeaderMap) -> &str {
    header_value(headers, "x-forwarded-for")
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .unwrap_or("127.0.0.1")
}

/// The account id in `<prefix><digits><suffix>` anywhere in `path` (Chatwoot's unanchored
/// `%r{/api/v2/accounts/(?<account_id>\d+)/reports}`).
fn account_in<'p>(path: &'p str, prefix: &str, suffix: &str) -> Option<&'p str> {
    let start = path.find(prefix)? + prefix.len();
    let rest = &path[start..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with(suffix)).then(|| &rest[..digits])
}

/// The middleware: throttled requests never reach the app.
pub async fn layer(
    State(throttle): State<Arc<Throttle>>,
    request: Request,
    next: Next,
) -> Response {
    if throttle.throttled(request.method(), request.uri().path(), request.headers()) {
        return retry_later();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("api_access_token", token.parse().unwrap());
        h
    }

    #[test]
    fn account_is_found_like_the_rack_attack_regex() {
        assert_eq!(
            account_in(
                "/api/v2/accounts/12/reports/summary",
                "/api/v2/accounts/",
                "/reports"
            ),
            Some("12")
        );
        assert_eq!(
            account_in(
                "/api/v2/accounts/12/summary_reports/agent",
                "/api/v2/accounts/",
                "/reports"
            ),
            None
        );
        assert_eq!(
            account_in(
                "/api/v2/accounts/x/reports",
                "/api/v2/accounts/",
                "/reports"
            ),
            None
        );
    }

    #[test]
    fn meta_is_limited_per_token_and_other_paths_are_not() {
        let t = Throttle::new(RateLimits {
            conversations_meta: 2,
            ..RateLimits::default()
        });
        let path = "/api/v1/accounts/1/conversations/meta";
        assert!(!t.throttled(&Method::GET, path, &headers("a")));
        assert!(!t.throttled(&Method::GET, path, &headers("a")));
        assert!(t.throttled(&Method::GET, path, &headers("a")));
        // Another token has its own bucket; other endpoints are only under req/ip.
        assert!(!t.throttled(&Method::GET, path, &headers("b")));
        assert!(!t.throttled(
            &Method::GET,
            "/api/v1/accounts/1/conversations",
            &headers("a")
        ));
    }

    #[test]
    fn health_is_safelisted() {
        let t = Throttle::new(RateLimits {
            per_ip: 1,
            ..RateLimits::default()
        });
        for _ in 0..3 {
            assert!(!t.throttled(&Method::GET, "/health", &HeaderMap::new()));
        }
        assert!(!t.throttled(&Method::GET, "/api", &HeaderMap::new()));
        assert!(t.throttled(&Method::GET, "/api", &HeaderMap::new()));
    }
}
