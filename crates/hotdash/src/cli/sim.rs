//! `hotdash sim`: every vendor simulator on loopback over one seeded Hot Rod AN store, printing
//! where they listen and the test credentials to use, until Ctrl-C. With `--webhooks-to`, the
//! simulated Shopify and Chatwoot deliver signed webhooks to a HotDash server, using the secrets
//! from this HotDash configuration (never printed).

use clap::{Args, ValueEnum};
use hotdash_sim::suite::{Live, Simulators, SuiteConfig, WebhookTarget};
use hotdash_sim::world::Scale;

use super::UsageError;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seed for the simulated store: the same seed gives the same store.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How much history: small (the real store, ~40 orders a month), medium (~50k orders),
    /// large (1M orders, generated lazily).
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SimScale {
    Small,
    Medium,
    Large,
}

impl From<SimScale> for Scale {
    fn from(scale: SimScale) -> Self {
        match scale {
            SimScale::Small => Scale::Small,
            SimScale::Medium => Scale::Medium,
            SimScale::Large => Scale::Large,
        }
    }
}

pub async fn run(args: SimArgs, config: &Config) -> anyhow::Result<()> {
    let suite = suite_config(&args, config)?;
    let simulators = Simulators::start(suite).await?;
    println!("{}", simulators.summary());
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    drop(simulators);
    Ok(())
}

fn suite_config(args: &SimArgs, config: &Config) -> anyhow::Result<SuiteConfig> {
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
        ..SuiteConfig::default()
    })
}
