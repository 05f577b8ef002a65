//! `hotdash sim`: every vendor simulator on loopback over one seeded Hot Rod AN store, printing
//! where they listen and the test credentials to use, until Ctrl-C. With `--webhooks-to`, the
//! simulated Shopify and Chatwoot deliver signed webhooks to a HotDash server, using the secrets
//! from this HotDash configuration (never printed).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use hotdash_sim::suite::{FaultSetting, Live, Simulators, SuiteConfig, WebhookTarget};
use hotdash_sim::world::{Scale, World, WorldConfig};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::UsageError;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seed for the simulated store: the same seed gives the same store.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How much history: small (the real store, ~40 orders a month), medium (~50k orders),
    /// bench (~100k orders), large (1M orders, generated lazily).
    #[arg(long, value_enum, default_value_t = SimScale::Small)]
    scale: SimScale,
    /// Live mode: new orders per minute (stock, fulfilments and conversations follow).
    #[arg(long, value_name = "ORDERS_PER_MINUTE")]
    live: Option<f64>,
    /// Simulated time per real time in live mode (60: an hour of store life per minute).
    #[arg(long, default_value_t = 60.0)]
    time_scale: f64,
    /// First port: Shopify listens here, Chatwoot, GA4 and Slack on the next three. 0 picks free
    /// ports.
    #[arg(long, default_value_t = 8701)]
    port: u16,
    /// Deliver Shopify and Chatwoot webhooks to this HotDash base URL (e.g.
    /// http://127.0.0.1:8080), signed with the secrets configured for HotDash.
    #[arg(long, value_name = "URL")]
    webhooks_to: Option<String>,
    /// The store's "now" (RFC 3339): history ends here. Default: the wall clock. Fix it to get
    /// the same store from the same seed on another day.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Write the store's full state as JSON lines (the ground truth tests compare against) to
    /// this file, or `-` for stdout, and exit without serving.
    #[arg(long, value_name = "PATH")]
    export_truth: Option<PathBuf>,
    /// Fault injection, repeatable: `VENDOR:KEY=VALUE,...` on from the start, or
    /// `VENDOR@AFTER+FOR:KEY=VALUE,...` for a window in seconds. VENDOR is shopify, chatwoot,
    /// ga4, slack or all; keys: latency_ms, error_rate, rate_limit_rate, timeout_rate,
    /// timeout_secs, malformed_rate, outage, auth_failure. E.g. `--fault all:error_rate=0.3`,
    /// `--fault shopify@10+60:outage=true`.
    #[arg(long, value_name = "SPEC")]
    fault: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SimScale {
    Small,
    Medium,
    /// About 100,000 orders: the store of the bulk-backfill benchmark.
    Bench,
    Large,
}

impl From<SimScale> for Scale {
    fn from(scale: SimScale) -> Self {
        match scale {
            SimScale::Small => Scale::Small,
            SimScale::Medium => Scale::Medium,
            SimScale::Bench => Scale::Bench,
            SimScale::Large => Scale::Large,
        }
    }
}

pub async fn run(args: SimArgs, config: &Config) -> anyhow::Result<()> {
    let suite = suite_config(&args, config)?;
    if let Some(path) = args.export_truth {
        let world = WorldConfig {
            seed: suite.seed,
            scale: suite.scale,
            now: suite.now.unwrap_or_else(OffsetDateTime::now_utc),
        };
        return tokio::task::spawn_blocking(move || export_truth(world, &path)).await?;
    }
    let simulators = Simulators::start(suite).await?;
    // Clients need the key as a file (its token_uri points at this run's GA4 simulator).
    let key_path = config.data_dir.join("sim").join("ga4-service-account.json");
    std::fs::create_dir_all(config.data_dir.join("sim"))
        .and_then(|()| std::fs::write(&key_path, simulators.ga4.service_account_json()))
        .with_context(|| format!("cannot write {}", key_path.display()))?;
    println!("{}", simulators.summary());
    println!(
        "GA4 service-account key (a test credential): {}",
        key_path.display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    drop(simulators);
    Ok(())
}

/// Generates the store and streams it out: memory stays bounded at every scale.
fn export_truth(config: WorldConfig, path: &Path) -> anyhow::Result<()> {
    let world = World::generate(config);
    let out: Box<dyn Write> = if path == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Box::new(file)
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    world.export_jsonl(&mut out)?;
    out.flush()?;
    Ok(())
}

fn suite_config(args: &SimArgs, config: &Config) -> anyhow::Result<SuiteConfig> {
    let now = match &args.now {
        None => None,
        Some(text) => Some(
            OffsetDateTime::parse(text, &Rfc3339)
                .map_err(|e| UsageError(format!("--now `{text}` is not an RFC 3339 time: {e}")))?,
        ),
    };
    if let Some(rate) = args.live
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(UsageError(format!("--live must be a positive rate, not {rate}")).into());
    }
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(UsageError("--time-scale must be positive".into()).into());
    }
    let webhooks = match &args.webhooks_to {
        None => None,
        Some(url) => {
            let shopify_secret = config.webhooks.shopify.secrets.first().ok_or_else(|| {
                UsageError(
                    "--webhooks-to needs webhooks.shopify.secrets (HOTDASH_WEBHOOKS__SHOPIFY__SECRETS) to sign with".into(),
                )
            })?;
            Some(WebhookTarget {
                hotdash_url: url.clone(),
                shopify_secret: shopify_secret.expose().to_owned(),
                chatwoot_secret: (config.webhooks.chatwoot.secret.as_ref())
                    .map(|s| s.expose().to_owned()),
                retry_time_scale: 1.0 / args.time_scale,
            })
        }
    };
    Ok(SuiteConfig {
        seed: args.seed,
        scale: args.scale.into(),
        base_port: args.port,
        live: args.live.map(|orders_per_minute| Live {
            orders_per_minute,
            time_scale: args.time_scale,
        }),
        webhooks,
        now,
        faults: (args.fault.iter())
            .map(|spec| FaultSetting::parse(spec).map_err(|e| UsageError(format!("--fault {e}"))))
            .collect::<Result<_, _>>()?,
        ..SuiteConfig::default()
    })
}
