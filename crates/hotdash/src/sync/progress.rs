//! Progress output for `hotdash sync`: bars on a terminal (items, rate, ETA when the vendor
//! gives a total, time spent waiting on rate limits), plain log lines otherwise.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::StreamReport;

/// Receives a pass's progress. Called from the runner; must not block.
pub trait Progress: Send + Sync {
    fn stream_started(&self, connector: &str, stream: &str, full: bool);
    /// A page was stored: `items` more, of `total` when known; `rate_wait` so far this stream.
    fn page(
        &self,
        connector: &str,
        stream: &str,
        items: u64,
        total: Option<u64>,
        rate_wait: Duration,
    );
    fn stream_finished(&self, connector: &str, report: &StreamReport);
}

/// Progress bars, one per stream, for an interactive terminal.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Bars {
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn key(connector: &str, stream: &str) -> String {
        format!("{connector}/{stream}")
    }
}

impl Progress for Bars {
    fn stream_started(&self, connector: &str, stream: &str, full: bool) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:28} {pos:>8} items {per_sec:>12} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(format!(
            "{connector}/{stream}{}",
            if full { " (full)" } else { "" }
        ));
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Self::key(connector, stream), bar);
    }

    fn page(
        &self,
        connector: &str,
        stream: &str,
        items: u64,
        total: Option<u64>,
        rate_wait: Duration,
    ) {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let Some(bar) = bars.get(&Self::key(connector, stream)) else {
            return;
        };
        if let Some(total) = total
            && bar.length() != Some(total)
        {
            bar.set_length(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {prefix:28} {pos:>8}/{len:8} {per_sec:>12} eta {eta:>4} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        bar.inc(items);
        bar.set_message(format!("rate-limit wait {:.1}s", rate_wait.as_secs_f64()));
    }

    fn stream_finished(&self, connector: &str, report: &StreamReport) {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.get(&Self::key(connector, &report.stream)) {
            bar.finish_with_message(summary(report));
        }
    }
}

/// Log lines (one per ~5 s per stream and one at the end) for non-interactive output.
#[derive(Default)]
pub struct LogLines {
    last: Mutex<HashMap<String, (std::time::Instant, u64)>>,
}

impl Progress for LogLines {
    fn stream_started(&self, connector: &str, stream: &str, full: bool) {
        tracing::info!(
            connector.id = connector,
            stream,
            full,
            "Sync of {stream} started"
        );
        self.last.lock().unwrap_or_else(|e| e.into_inner()).insert(
            format!("{connector}/{stream}"),
            (std::time::Instant::now(), 0),
        );
    }

    fn page(
        &self,
        connector: &str,
        stream: &str,
        items: u64,
        total: Option<u64>,
        rate_wait: Duration,
    ) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let entry = last
            .entry(format!("{connector}/{stream}"))
            .or_insert((std::time::Instant::now(), 0));
        entry.1 += items;
        if entry.0.elapsed() >= Duration::from_secs(5) {
            entry.0 = std::time::Instant::now();
            tracing::info!(
                connector.id = connector,
                stream,
                items = entry.1,
                total,
                rate_wait_ms = rate_wait.as_millis() as u64,
                "Sync of {stream} in progress"
            );
        }
    }

    fn stream_finished(&self, _connector: &str, _report: &StreamReport) {
        // The runner logs the final line of every stream itself.
    }
}

/// One line saying how a stream's pass ended.
pub fn summary(report: &StreamReport) -> String {
    let secs = report.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        report.items as f64 / secs
    } else {
        0.0
    };
    let mut line = format!(
        "{} items in {secs:.2}s ({rate:.0}/s), {} pages, {} retries, rate-limit wait {:.1}s",
        report.items,
        report.pages,
        report.retries,
        report.rate_wait.as_secs_f64()
    );
    if let Some(r) = &report.reconcile {
        line.push_str(&format!(
            ", webhooks missed {} of {} changes",
            r.missed, r.changes
        ));
    }
    if let Some(e) = &report.error {
        line.push_str(&format!(
            ", {}: {e}",
            if report.parked { "PARKED" } else { "FAILED" }
        ));
    }
    line
}
