//! The `webhook.process` job: load stored deliveries, turn each into typed effects with
//! [`super::payload`], and hand the results back to the runner, which applies the effects in the
//! same transaction that finishes the job (exactly once in effect).

use std::collections::HashMap;

use hotdash_db::{ClaimedJob, Completion, EventStatus, Store, StoredDelivery};
use serde::Deserialize;

use super::Source;
use super::payload::{Handled, PayloadContext, PayloadDefaults, derive_effects};
use crate::jobs::JobResult;

/// The job kind stored in the queue. Never rename a shipped kind.
pub const KIND: &str = "webhook.process";

#[derive(Deserialize)]
struct WebhookJobPayload {
    event_id: i64,
}

/// Processes a batch of `webhook.process` jobs.
pub async fn handle_batch(
    store: &dyn Store,
    defaults: &PayloadDefaults,
    jobs: Vec<ClaimedJob>,
) -> Vec<JobResult> {
    let mut results = Vec::with_capacity(jobs.len());
    let mut parsed = Vec::with_capacity(jobs.len());
    for job in jobs {
        match serde_json::from_str::<WebhookJobPayload>(&job.payload) {
            Ok(p) => parsed.push((job, p.event_id)),
            Err(e) => results.push(JobResult::Failed {
                job,
                error: format!("bad job payload: {e}"),
                retryable: false,
            }),
        }
    }
    let ids: Vec<i64> = parsed.iter().map(|(_, id)| *id).collect();
    let deliveries = match store.deliveries(&ids).await {
        Ok(rows) => rows
            .into_iter()
            .map(|d| (d.id, d))
            .collect::<HashMap<_, _>>(),
        Err(e) => {
            let error = format!("loading deliveries failed: {e}");
            results.extend(parsed.into_iter().map(|(job, _)| JobResult::Failed {
                job,
                error: error.clone(),
                retryable: true,
            }));
            return results;
        }
    };
    for (job, event_id) in parsed {
        results.push(match deliveries.get(&event_id) {
            Some(delivery) => process_one(job, delivery, defaults),
            None => JobResult::Failed {
                job,
                error: format!("webhook event {event_id} not found"),
                retryable: false,
            },
        });
    }
    results
}

fn process_one(
    job: ClaimedJob,
    delivery: &StoredDelivery,
    defaults: &PayloadDefaults,
) -> JobResult {
    let Some(source) = Source::parse(&delivery.source) else {
        let error = format!("unknown source `{}`", delivery.source);
        return JobResult::Failed {
            job,
            error,
            retryable: false,
        };
    };
    let cx = PayloadContext {
        triggered_at: delivery.triggered_at,
        received_at: delivery.received_at,
        webhook_event_id: delivery.id,
        defaults: *defaults,
    };
    match derive_effects(source, &delivery.topic, &delivery.body, &cx) {
        Ok(Handled::Effects(effects)) => JobResult::Done(Completion {
            job,
            webhook_event_id: Some(delivery.id),
            status: EventStatus::Processed,
            effects,
        }),
        Ok(Handled::Ignored) => JobResult::Done(Completion {
            job,
            webhook_event_id: Some(delivery.id),
            status: EventStatus::Ignored,
            effects: Vec::new(),
        }),
        // A payload we cannot read will not get better by retrying: dead-letter it for a human
        // (and a replay once the handler is fixed).
        Err(e) => JobResult::Failed {
            job,
            error: format!("cannot process {} {}: {e}", delivery.source, delivery.topic),
            retryable: false,
        },
    }
}
