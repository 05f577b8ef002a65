//! HotDash's integration suite: one test binary. Each test starts the real server on a random
//! loopback port over a fresh database (SQLite, or Postgres when HOTDASH_TEST_DATABASE_URL is
//! set) and talks to it over real HTTP.

/// Spawning the app, signing requests the way each vendor does, and the test database.
mod support;

/// The CLI: exit codes, config errors, webhooks list/show/replay.
mod cli;
/// Every connector: config, build without I/O, healthcheck, error mapping, resume.
mod connector_conformance;
/// The real binary killed with SIGKILL mid-stream loses no acknowledged delivery.
mod crash;
/// Configured secrets never appear in check-config output or in logs.
mod secrets;
/// The vendor simulators' deliveries, accepted and processed end to end.
mod simulators;
/// Chatwoot sync: parity, incremental passes, faults, pacing, refused tokens.
mod sync_chatwoot;
/// Sync crash: the real `hotdash sync` killed mid-backfill resumes from its checkpoint.
mod sync_crash;
/// GA4 sync: parity, the three-day re-pull, tokens, quotas, faults.
mod sync_ga4;
/// Shopify sync: bulk parity, faults and outage, reconciliation, throttling, scopes.
mod sync_shopify;
/// Shared pieces of the sync tests.
mod sync_support;
/// Valid deliveries from each source: stored, acknowledged, processed once; duplicates counted.
mod webhooks_accept;
/// Retries, dead letters and replay through the real job runner.
mod webhooks_jobs;
/// Every rejection cause: status code, recorded cause, nothing processed.
mod webhooks_reject;
