//! Metric names and the functions that record them, so call sites never spell a metric name.
//! Exported in Prometheus text format at `GET /metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const WEBHOOKS_ACCEPTED: &str = "hotdash_webhooks_accepted_total";
pub const WEBHOOKS_DUPLICATE: &str = "hotdash_webhooks_duplicate_total";
pub const WEBHOOKS_REJECTED: &str = "hotdash_webhooks_rejected_total";
pub const WEBHOOK_ACK_SECONDS: &str = "hotdash_webhook_ack_seconds";
pub const REJECTIONS_UNRECORDED: &str = "hotdash_webhook_rejections_unrecorded_total";
pub const INGEST_BATCH_SIZE: &str = "hotdash_ingest_batch_size";
pub const INGEST_COMMIT_SECONDS: &str = "hotdash_ingest_commit_seconds";
pub const JOBS_QUEUE_DEPTH: &str = "hotdash_jobs_queue_depth";
pub const JOBS_OLDEST_PENDING_SECONDS: &str = "hotdash_jobs_oldest_pending_seconds";
pub const JOBS_DEAD_LETTERS: &str = "hotdash_jobs_dead_letters";
pub const JOBS_FINISHED: &str = "hotdash_jobs_finished_total";

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];
const SIZE_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once and returns the handle that renders it.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(INGEST_BATCH_SIZE.into()), &SIZE_BUCKETS)
                })
                .expect("bucket lists are non-empty constants");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests); ours then still renders nothing
            // wrong, it just sees no samples.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn webhook_accepted(source: &'static str, ack: Duration) {
    counter!(WEBHOOKS_ACCEPTED, "source" => source).increment(1);
    histogram!(WEBHOOK_ACK_SECONDS, "source" => source).record(ack.as_secs_f64());
}

pub fn webhook_duplicate(source: &'static str, ack: Duration) {
    counter!(WEBHOOKS_DUPLICATE, "source" => source).increment(1);
    histogram!(WEBHOOK_ACK_SECONDS, "source" => source).record(ack.as_secs_f64());
}

pub fn webhook_rejected(source: &str, cause: &'static str) {
    counter!(WEBHOOKS_REJECTED, "source" => source.to_owned(), "cause" => cause).increment(1);
}

pub fn rejection_record_dropped() {
    counter!(REJECTIONS_UNRECORDED).increment(1);
}

pub fn ingest_batch(items: usize, commit: Duration) {
    histogram!(INGEST_BATCH_SIZE).record(items as f64);
    histogram!(INGEST_COMMIT_SECONDS).record(commit.as_secs_f64());
}

pub fn queue(stats: &hotdash_db::QueueStats) {
    gauge!(JOBS_QUEUE_DEPTH).set(stats.depth as f64);
    gauge!(JOBS_OLDEST_PENDING_SECONDS)
        .set(stats.oldest_pending_age_ms.unwrap_or(0) as f64 / 1000.0);
    gauge!(JOBS_DEAD_LETTERS).set(stats.dead_letters as f64);
}

pub fn job_finished(kind: &str, outcome: &'static str) {
    counter!(JOBS_FINISHED, "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
}
