//! `hotdash webhooks list|show|replay`: operator access to the stored deliveries. Works against
//! the database directly, so it also works while (or when) the server is down; a running
//! server's workers pick replayed jobs up.

use clap::{Args, Subcommand};
use hotdash_db::WebhookFilter;

use super::UsageError;
use crate::app::open_store;
use crate::config::Config;
use crate::jobs::Runner;
use crate::now_ms;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List stored deliveries, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one delivery: metadata, headers, failed attempts (and the body with --body).
    Show {
        id: i64,
        /// Also print the raw body.
        #[arg(long)]
        body: bool,
    },
    /// Queue deliveries for processing again, at a priority below live traffic.
    Replay {
        /// Delivery ids; combined with the filters.
        ids: Vec<i64>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Only count what would be replayed.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// shopify, chatwoot or gold-replies.
    #[arg(long)]
    source: Option<String>,
    /// e.g. orders/create, message_created, gold_reply.
    #[arg(long)]
    topic: Option<String>,
    /// pending, processed, ignored, failed or dead.
    #[arg(long)]
    status: Option<String>,
    /// Received at or after: RFC 3339 (2026-11-22T10:00:00Z) or an age (90s, 15m, 2h, 7d).
    #[arg(long)]
    since: Option<String>,
    /// Received before: same forms as --since.
    #[arg(long)]
    until: Option<String>,
    /// At most this many deliveries.
    #[arg(long)]
    limit: Option<i64>,
}

impl FilterArgs {
    fn to_filter(&self, ids: Vec<i64>, now: i64) -> Result<WebhookFilter, UsageError> {
        if let Some(status) = self
            .status
            .as_deref()
            .filter(|s| hotdash_db::EventStatus::parse(s).is_none())
        {
            return Err(UsageError(format!(
                "--status `{status}`: expected pending, processed, ignored, failed or dead"
            )));
        }
        if let Some(source) = self
            .source
            .as_deref()
            .filter(|s| crate::webhooks::Source::parse(s).is_none())
        {
            return Err(UsageError(format!(
                "--source `{source}`: expected shopify, chatwoot or gold-replies"
            )));
        }
        Ok(WebhookFilter {
            source: self.source.clone(),
            topic: self.topic.clone(),
            status: self.status.clone(),
            received_from: self
                .since
                .as_deref()
                .map(|t| parse_time(t, now))
                .transpose()?,
            received_until: self
                .until
                .as_deref()
                .map(|t| parse_time(t, now))
                .transpose()?,
            ids,
            limit: self.limit,
        })
    }
}

/// An RFC 3339 time, or an age before `now` like `15m`, as unix ms.
fn parse_time(value: &str, now: i64) -> Result<i64, UsageError> {
    if let Ok(at) =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
    {
        return i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| UsageError(format!("time `{value}` is out of range")));
    }
    let (digits, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let amount: i64 = digits
        .parse()
        .map_err(|_| UsageError(format!("time `{value}`: use RFC 3339 or an age like 15m")))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(UsageError(format!(
                "time `{value}`: unit must be s, m, h or d"
            )));
        }
    };
    Ok(now - amount * unit_ms)
}

fn format_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

pub async fn run(command: WebhooksCommand, config: &Config) -> anyhow::Result<()> {
    let now = now_ms();
    match command {
        WebhooksCommand::List { filter, json } => {
            let filter = filter.to_filter(Vec::new(), now)?;
            let store = open_store(config).await?;
            let events = store.list_webhook_events(&filter).await?;
            if json {
                for event in &events {
                    println!("{}", serde_json::to_string(event)?);
                }
            } else {
                println!(
                    "{:>8}  {:<24}  {:<12}  {:<28}  {:<9}  {:>3}  DELIVERY",
                    "ID", "RECEIVED", "SOURCE", "TOPIC", "STATUS", "TRY"
                );
                for e in &events {
                    println!(
                        "{:>8}  {:<24}  {:<12}  {:<28}  {:<9}  {:>3}  {}",
                        e.id,
                        format_ms(e.received_at),
                        e.source,
                        e.topic,
                        e.status,
                        e.attempts,
                        e.delivery_id
                    );
                }
            }
        }
        WebhooksCommand::Show { id, body } => {
            let store = open_store(config).await?;
            let detail = match store.webhook_event(id).await {
                Err(hotdash_db::DbError::NotFound) => {
                    return Err(UsageError(format!("no webhook delivery with id {id}")).into());
                }
                other => other?,
            };
            println!("{}", serde_json::to_string_pretty(&detail)?);
            if body {
                println!("{}", String::from_utf8_lossy(&detail.body));
            }
        }
        WebhooksCommand::Replay {
            ids,
            filter,
            dry_run,
        } => {
            let filter = filter.to_filter(ids, now)?;
            let store = open_store(config).await?;
            if dry_run {
                let mut all = filter.clone();
                all.limit = Some(filter.limit.unwrap_or(i64::MAX));
                let n = store.list_webhook_events(&all).await?.len();
                println!("would replay {n} deliveries");
            } else {
                let n = store
                    .enqueue_replay(&filter, &Runner::webhook_job(&config.jobs, true), now)
                    .await?;
                println!("queued {n} deliveries for replay");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_ages() {
        assert_eq!(
            parse_time("2026-11-22T00:00:00Z", 0).unwrap(),
            1_795_305_600_000
        );
        assert_eq!(parse_time("15m", 1_000_000).unwrap(), 100_000);
        assert!(parse_time("yesterday", 0).is_err());
        assert!(parse_time("5w", 0).is_err());
    }
}
