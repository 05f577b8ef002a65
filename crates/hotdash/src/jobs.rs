//! The job runner: workers claim batches of due jobs with a lease, hand them to the handler for
//! their kind, and commit the outcomes: completions atomically with their effects, failures into
//! retry (exponential backoff with jitter, capped) or the dead-letter state.
//!
//! Job kinds live with their domain; today there is one, [`crate::webhooks::process`].

pub mod retry;

use std::sync::Arc;
use std::time::Duration;

use hotdash_db::{ClaimedJob, Completion, FailureOutcome, JobSpec, Store};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, JobsConfig};
use crate::webhooks::payload::PayloadDefaults;
use crate::{metrics, now_ms, webhooks};

/// The queue webhook processing runs on.
pub const WEBHOOK_QUEUE: &str = "webhooks";

/// What a handler decided for one job.
pub enum JobResult {
    Done(Completion),
    /// Failed; `retryable` failures back off and retry, others are dead-lettered at once.
    Failed {
        job: ClaimedJob,
        error: String,
        retryable: bool,
    },
}

/// Claims and runs jobs from one queue.
pub struct Runner {
    store: Arc<dyn Store>,
    config: JobsConfig,
    defaults: PayloadDefaults,
    worker: String,
}

impl Runner {
    pub fn new(store: Arc<dyn Store>, config: &Config, worker: String) -> Self {
        Self {
            store,
            config: config.jobs.clone(),
            defaults: PayloadDefaults::from_config(config),
            worker,
        }
    }

    /// The job spec for a webhook delivery: live traffic or a replay.
    pub fn webhook_job(config: &JobsConfig, replay: bool) -> JobSpec {
        JobSpec {
            queue: WEBHOOK_QUEUE.into(),
            kind: webhooks::process::KIND.into(),
            priority: if replay { config.replay_priority } else { 0 },
            max_attempts: config.max_attempts,
        }
    }

    /// Runs until `shutdown`, polling when the queue is empty.
    pub async fn run(self, shutdown: CancellationToken) {
        let idle = Duration::from_millis(self.config.poll_interval_ms);
        while !shutdown.is_cancelled() {
            match self.run_once().await {
                Ok(0) => {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(idle) => {}
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(worker = %self.worker, error = %error, "Job runner failed to reach the store; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(idle * 10) => {}
                    }
                }
            }
        }
    }

    /// Claims and runs one batch. Returns how many jobs it claimed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let lease_ms = i64::try_from(self.config.lease_secs * 1000).unwrap_or(i64::MAX);
        let claimed = self
            .store
            .claim_jobs(
                WEBHOOK_QUEUE,
                &self.worker,
                self.config.batch_size,
                lease_ms,
                now_ms(),
            )
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let (over, runnable): (Vec<_>, Vec<_>) = claimed
            .into_iter()
            .partition(|j| j.attempt > j.max_attempts);
        let mut results: Vec<JobResult> = over
            .into_iter()
            .map(|job| JobResult::Failed {
                job,
                error: "lease expired on the final attempt".into(),
                retryable: false,
            })
            .collect();
        let (webhook_jobs, unknown): (Vec<_>, Vec<_>) = runnable
            .into_iter()
            .partition(|j| j.kind == webhooks::process::KIND);
        results.extend(unknown.into_iter().map(|job| {
            let error = format!("no handler for job kind `{}`", job.kind);
            JobResult::Failed {
                job,
                error,
                retryable: false,
            }
        }));
        results.extend(
            webhooks::process::handle_batch(self.store.as_ref(), &self.defaults, webhook_jobs)
                .await,
        );
        self.commit(results).await?;
        Ok(count)
    }

    async fn commit(&self, results: Vec<JobResult>) -> anyhow::Result<()> {
        let mut completions = Vec::new();
        for result in results {
            match result {
                JobResult::Done(completion) => completions.push(completion),
                JobResult::Failed {
                    job,
                    error,
                    retryable,
                } => self.fail(&job, &error, retryable).await?,
            }
        }
        if completions.is_empty() {
            return Ok(());
        }
        match self.store.complete_jobs(&completions, now_ms()).await {
            Ok(lost) => self.note_completed(&completions, &lost),
            Err(error) => {
                // One bad effect fails the whole batch: retry one by one to isolate it.
                tracing::warn!(error = %error, jobs = completions.len(), "Batch completion failed; completing jobs one by one");
                for completion in completions {
                    match self
                        .store
                        .complete_jobs(std::slice::from_ref(&completion), now_ms())
                        .await
                    {
                        Ok(lost) => self.note_completed(std::slice::from_ref(&completion), &lost),
                        Err(error) => {
                            self.fail(
                                &completion.job,
                                &format!("storing effects failed: {error}"),
                                true,
                            )
                            .await?
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn note_completed(&self, completions: &[Completion], lost: &[i64]) {
        for c in completions {
            if lost.contains(&c.job.id) {
                tracing::warn!(
                    job.id = c.job.id,
                    "Job lease was lost before completion; its new holder finishes it"
                );
                metrics::job_finished(&c.job.kind, "lost_claim");
            } else {
                metrics::job_finished(&c.job.kind, c.status.as_str());
            }
        }
    }

    async fn fail(&self, job: &ClaimedJob, error: &str, retryable: bool) -> anyhow::Result<()> {
        let now = now_ms();
        let retry_at = retryable.then(|| {
            let delay = retry::delay(
                job.attempt,
                self.config.retry_base_ms,
                self.config.retry_cap_secs,
                &mut rand::rng(),
            );
            now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)
        });
        let outcome = self.store.fail_job(job, error, retry_at, now).await?;
        match outcome {
            FailureOutcome::Retrying { run_at } => {
                tracing::warn!(
                    job.id = job.id,
                    job.attempt = job.attempt,
                    retry_in_ms = run_at - now,
                    "Job failed, will retry: {error}"
                );
                metrics::job_finished(&job.kind, "retrying");
            }
            FailureOutcome::DeadLettered => {
                tracing::error!(
                    job.id = job.id,
                    job.attempt = job.attempt,
                    "Job dead-lettered: {error}"
                );
                metrics::job_finished(&job.kind, "dead");
            }
            FailureOutcome::LostClaim => metrics::job_finished(&job.kind, "lost_claim"),
        }
        Ok(())
    }
}
