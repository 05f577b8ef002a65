//! The Chatwoot simulator over real HTTP: envelopes, pagination and filters, auth errors,
//! admin-only reports, Rack::Attack 429s, probes, chaos, and webhooks whose signatures verify
//! with an HMAC computed here, independently, over the raw bytes a real receiver got.

mod api;
mod probes;
mod reports;
mod webhooks;

use std::sync::{Arc, OnceLock, RwLock};

use hotdash_sim::chatwoot::{self, ChatwootConfig, RunningChatwoot};
use hotdash_sim::world::model::Conversation;
use hotdash_sim::world::{Scale, SharedWorld, World, WorldConfig};
use reqwest::Response;
use serde_json::Value;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-20 18:00 UTC);

/// One generated store shared by every test (generation is the slow part; tests only read).
fn world() -> SharedWorld {
    static WORLD: OnceLock<SharedWorld> = OnceLock::new();
    WORLD
        .get_or_init(|| {
            Arc::new(RwLock::new(World::generate(WorldConfig {
                seed: 42,
                scale: Scale::Small,
                now: NOW,
            })))
        })
        .clone()
}

async fn start(config: ChatwootConfig) -> RunningChatwoot {
    chatwoot::start(world(), config).await.unwrap()
}

async fn sim() -> RunningChatwoot {
    start(ChatwootConfig::default()).await
}

/// GET `path` (relative to the account for `/api/v1/accounts/{id}` style paths) with `token`.
async fn get(cw: &RunningChatwoot, path: &str, token: Option<&str>) -> Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", cw.url()));
    if let Some(token) = token {
        request = request.header("api_access_token", token);
    }
    request.send().await.unwrap()
}

async fn admin_json(cw: &RunningChatwoot, path: &str) -> Value {
    let response = get(cw, path, Some(cw.admin_token())).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn total_conversations(pred: impl Fn(&Conversation) -> bool) -> usize {
    world()
        .read()
        .unwrap()
        .conversations()
        .iter()
        .filter(|c| pred(c))
        .count()
}
