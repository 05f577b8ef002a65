//! The client's request pacer: sliding-window budgets mirroring Chatwoot's Rack::Attack
//! throttles (every request per IP; `/api/v2/.../reports*` per token; `/conversations/meta`
//! per token), so a sync stays under them instead of collecting 429s.
//!
//! Rack::Attack counts fixed windows whose boundaries we cannot see. A sliding window of the
//! same length, widened by a margin for the request's travel time, never lets more than the
//! limit into any window of that length, fixed ones included.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::connectors::{ConnectorError, SyncMeter};

/// Added to each window: a request stamped when sent may be counted later, when it arrives.
const TRAVEL_MARGIN: Duration = Duration::from_secs(1);

/// Which throttles a request counts against, besides the per-IP one every request counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Only the per-IP limit.
    General,
    /// `/api/v2/accounts/:id/reports*` (per token).
    Reports,
    /// `GET /api/v1/accounts/:id/conversations/meta` (per token).
    ConversationsMeta,
}

/// Requests allowed per window, for each throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub window: Duration,
    pub per_ip: u32,
    pub reports: u32,
    pub conversations_meta: u32,
}

/// One sliding window: the send times of the requests still inside it.
#[derive(Debug)]
struct Window {
    limit: usize,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new(limit: u32) -> Self {
        Window {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            sent: VecDeque::new(),
        }
    }

    /// When a request may next be sent (`now` if there is room).
    fn free_at(&mut self, now: Instant, span: Duration) -> Instant {
        while self.sent.front().is_some_and(|t| *t + span <= now) {
            self.sent.pop_front();
        }
        if self.sent.len() < self.limit {
            now
        } else {
            // The oldest request that must leave the window before another may enter.
            self.sent[self.sent.len() - self.limit] + span
        }
    }
}

#[derive(Debug)]
struct State {
    per_ip: Window,
    reports: Window,
    meta: Window,
}

/// Paces one connector's requests; shared by all its streams.
#[derive(Debug)]
pub struct Pacer {
    span: Duration,
    state: Mutex<State>,
}

impl Pacer {
    pub fn new(limits: Limits) -> Self {
        Pacer {
            span: limits.window + TRAVEL_MARGIN,
            state: Mutex::new(State {
                per_ip: Window::new(limits.per_ip),
                reports: Window::new(limits.reports),
                meta: Window::new(limits.conversations_meta),
            }),
        }
    }

    /// Takes a slot for one request at `now` if every throttle it counts against has room;
    /// otherwise returns when to try again.
    pub fn try_take(&self, budget: Budget, now: Instant) -> Result<(), Instant> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State {
            per_ip,
            reports,
            meta,
        } = &mut *state;
        let mut windows: Vec<&mut Window> = vec![per_ip];
        match budget {
            Budget::General => {}
            Budget::Reports => windows.push(reports),
            Budget::ConversationsMeta => windows.push(meta),
        }
        let ready = windows
            .iter_mut()
            .map(|w| w.free_at(now, self.span))
            .max()
            .unwrap_or(now);
        if ready > now {
            return Err(ready);
        }
        for window in windows {
            window.sent.push_back(now);
        }
        Ok(())
    }

    /// Waits until the request may be sent, recording the wait on `meter`. Shutdown ends the
    /// wait with [`ConnectorError::Cancelled`].
    pub async fn take(
        &self,
        budget: Budget,
        meter: &SyncMeter,
        shutdown: &CancellationToken,
    ) -> Result<(), ConnectorError> {
        let started = Instant::now();
        let result = loop {
            match self.try_take(budget, Instant::now()) {
                Ok(()) => break Ok(()),
                Err(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = shutdown.cancelled() => break Err(ConnectorError::Cancelled),
                    }
                }
            }
        };
        let waited = started.elapsed();
        if waited >= Duration::from_millis(1) {
            meter.add_rate_wait(waited);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip: u32, reports: u32, meta: u32) -> Limits {
        Limits {
            window: Duration::from_secs(60),
            per_ip,
            reports,
            conversations_meta: meta,
        }
    }

    /// Sends as fast as the pacer lets for `total`, returning every send time.
    fn schedule(pacer: &Pacer, budget: Budget, start: Instant, count: usize) -> Vec<Instant> {
        let mut now = start;
        let mut sent = Vec::new();
        while sent.len() < count {
            match pacer.try_take(budget, now) {
                Ok(()) => sent.push(now),
                Err(at) => {
                    assert!(at > now, "a refusal names a later time");
                    now = at;
                }
            }
        }
        sent
    }

    /// The most requests in any `span`-long interval starting at a send.
    fn busiest(sent: &[Instant], span: Duration) -> usize {
        sent.iter()
            .map(|s| sent.iter().filter(|t| **t >= *s && **t < *s + span).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn meta_requests_never_exceed_thirty_in_any_minute() {
        let pacer = Pacer::new(limits(3000, 100, 30));
        let start = Instant::now();
        let sent = schedule(&pacer, Budget::ConversationsMeta, start, 95);
        assert_eq!(busiest(&sent, Duration::from_secs(60)), 30);
        // A burst of 30, then the window's worth of margin, then the next 30.
        assert_eq!(sent[29], start);
        assert_eq!(sent[30], start + Duration::from_secs(61));
        assert_eq!(sent[94], start + Duration::from_secs(183));
    }

    #[test]
    fn reports_and_general_requests_share_the_per_ip_budget() {
        let pacer = Pacer::new(limits(5, 3, 30));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(pacer.try_take(Budget::Reports, start), Ok(()));
        }
        let later = start + Duration::from_secs(61);
        assert_eq!(pacer.try_take(Budget::Reports, start), Err(later));
        // The per-IP budget still has two slots for other requests.
        assert_eq!(pacer.try_take(Budget::General, start), Ok(()));
        assert_eq!(pacer.try_take(Budget::General, start), Ok(()));
        assert_eq!(pacer.try_take(Budget::General, start), Err(later));
        assert_eq!(pacer.try_take(Budget::Reports, later), Ok(()));
    }

    #[test]
    fn steady_traffic_stays_under_the_limit_in_every_window() {
        let pacer = Pacer::new(limits(100, 100, 30));
        let start = Instant::now();
        let sent = schedule(&pacer, Budget::General, start, 450);
        assert!(busiest(&sent, Duration::from_secs(60)) <= 100);
        assert!(busiest(&sent, Duration::from_secs(61)) <= 100);
        // And it is not needlessly slow: 450 requests in under five windows.
        assert!(sent[449] - start < Duration::from_secs(5 * 61));
    }

    #[tokio::test]
    async fn take_records_the_wait_and_stops_on_shutdown() {
        let pacer = Pacer::new(Limits {
            window: Duration::from_millis(200),
            per_ip: 1,
            reports: 1,
            conversations_meta: 1,
        });
        let meter = SyncMeter::default();
        let shutdown = CancellationToken::new();
        pacer
            .take(Budget::General, &meter, &shutdown)
            .await
            .unwrap();
        assert_eq!(meter.rate_wait(), Duration::ZERO);
        shutdown.cancel();
        let stopped = pacer.take(Budget::General, &meter, &shutdown).await;
        assert!(matches!(stopped, Err(ConnectorError::Cancelled)));
        assert!(meter.rate_wait() < Duration::from_millis(200));
    }
}
