//! HotDash's vendor simulators: Shopify Admin GraphQL (with webhooks and bulk operations),
//! Chatwoot, the GA4 Data API with Google's OAuth token endpoint, and a Slack incoming webhook,
//! all over one deterministic Hot Rod AN store (`world`). Tests start each in-process on
//! 127.0.0.1:0; `hotdash sim` starts them all on fixed loopback ports.

pub mod chaos;
pub mod chatwoot;
pub mod ga4;
pub mod server;
pub mod shopify;
pub mod slack;
pub mod suite;
pub mod world;
