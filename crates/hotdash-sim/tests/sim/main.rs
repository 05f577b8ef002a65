//! Integration tests for the simulators: real HTTP over loopback against in-process servers.
mod chatwoot;
mod ga4;
mod shopify;
mod shopify_access;
mod shopify_webhooks;
mod slack;
mod suite;
mod world;
