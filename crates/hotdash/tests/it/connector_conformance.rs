//! The one conformance suite every connector passes (vector's component compliance, cut
//! down): its example block in hotdash.example.toml parses and documents every key; `build`
//! does no I/O; the healthcheck passes against the simulator; 401, 429 and 5xx map to
//! Unauthorized, RateLimited and Transient; a pass resumes from a saved cursor instead of
//! starting over.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotdash::config::Config;
use hotdash::connectors::{
    Connector, ConnectorConfig, ConnectorError, PageNext, PageRequest, PassStart, SyncContext,
};
use hotdash::sync::{SyncOptions, run_pass};
use hotdash_db::CursorUpdate;
use hotdash_sim::chaos::{Chaos, Faults};
use hotdash_sim::suite::{Simulators, SuiteConfig};

const EXAMPLE: &str = include_str!("../../../../hotdash.example.toml");

/// The example file with its connector blocks switched on.
fn example_with_connectors() -> String {
    EXAMPLE
        .lines()
        .map(|l| l.strip_prefix("#| ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_connector_blocks_parse_build_and_document_every_key() {
    let secrets = [
        (
            "HOTDASH_CONNECTORS__SHOPIFY_MAIN__ACCESS_TOKEN",
            "shpat_example_token",
        ),
        (
            "HOTDASH_CONNECTORS__CHATWOOT_MAIN__API_ACCESS_TOKEN",
            "chatwoot-example-token",
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let config = Config::from_sources(&example_with_connectors(), secrets)
        .expect("the example's connector blocks load (build runs at load)");
    let kinds: Vec<&str> = config
        .connectors
        .values()
        .map(ConnectorConfig::kind)
        .collect();
    assert_eq!(kinds, ["chatwoot", "ga4", "shopify"]);
    let rendered = config.to_redacted_toml();
    for line in rendered.lines().filter(|l| l.contains(" = ")) {
        let key = line.split(" = ").next().unwrap().trim();
        assert!(
            EXAMPLE.contains(&format!("{key} =")),
            "hotdash.example.toml lacks `{key}`"
        );
    }
    assert!(
        !rendered.contains("shpat_example_token") && !rendered.contains("chatwoot-example-token")
    );
}

/// Each vendor's connector config pointed at the simulators.
fn configs(sims: &Simulators) -> Vec<(&'static str, ConnectorConfig, Chaos)> {
    let shopify = format!(
        "type = \"shopify\"\nshop_domain = \"hot-rod-an.myshopify.com\"\naccess_token = \"{}\"\napi_base_url = \"{}\"\n[request]\ntimeout_secs = 2\n",
        sims.shopify.access_token(),
        sims.shopify.url()
    );
    let chatwoot = format!(
        "type = \"chatwoot\"\nbase_url = \"{}\"\naccount_id = {}\napi_access_token = \"{}\"\nrequests_per_window = 1000000\nreports_per_window = 10000\nbackfill_days = 30\n[request]\ntimeout_secs = 2\n",
        sims.chatwoot.url(),
        sims.chatwoot.account_id(),
        sims.chatwoot.admin_token()
    );
    let ga4 = format!(
        "type = \"ga4\"\nproperty_id = {}\napi_base_url = \"{}\"\ncredentials_json = {}\nbackfill_days = 5\n[request]\ntimeout_secs = 2\n",
        sims.ga4.property_id(),
        sims.ga4.url(),
        toml::Value::String(sims.ga4.service_account_json())
    );
    let parse =
        |text: &str| -> ConnectorConfig { toml::from_str(text).expect("connector config parses") };
    vec![
        ("shopify", parse(&shopify), sims.shopify.chaos().clone()),
        ("chatwoot", parse(&chatwoot), sims.chatwoot.chaos().clone()),
        ("ga4", parse(&ga4), sims.ga4.chaos().clone()),
    ]
}

fn context(store: Arc<dyn hotdash_db::Store>) -> SyncContext {
    SyncContext {
        store,
        shutdown: Default::default(),
        meter: Default::default(),
    }
}

#[tokio::test]
async fn every_connector_conforms() {
    let sims = Simulators::start(SuiteConfig {
        seed: 5,
        now: Some(time::OffsetDateTime::now_utc()),
        ..SuiteConfig::default()
    })
    .await
    .expect("simulators start");
    let db = crate::sync_support::database().await;
    let store = db.store();
    for (kind, config, chaos) in configs(&sims) {
        // build does no I/O: it succeeds at once even when nothing listens at the address.
        let started = Instant::now();
        let connector: Arc<dyn Connector> = config.build(&format!("{kind}_main")).expect("builds");
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{kind}: build took {:?}",
            started.elapsed()
        );
        assert_eq!(connector.kind(), kind);
        let cx = context(store.clone());
        connector
            .healthcheck(&cx)
            .await
            .unwrap_or_else(|e| panic!("{kind}: healthcheck: {e}"));

        for (faults, expect) in [
            (
                Faults {
                    auth_failure: true,
                    ..Faults::default()
                },
                "unauthorized",
            ),
            (
                Faults {
                    rate_limit_rate: 1.0,
                    ..Faults::default()
                },
                "rate limited",
            ),
            (
                Faults {
                    error_rate: 1.0,
                    ..Faults::default()
                },
                "transient",
            ),
        ] {
            chaos.set(faults);
            // A fresh connector: no cached token or bucket state from the call before.
            let fresh = config.build(&format!("{kind}_main")).unwrap();
            let error = fresh
                .healthcheck(&context(store.clone()))
                .await
                .expect_err("fails");
            let matches = match expect {
                "unauthorized" => matches!(error, ConnectorError::Unauthorized(_)),
                "rate limited" => matches!(error, ConnectorError::RateLimited { .. }),
                _ => matches!(error, ConnectorError::Transient(_)),
            };
            assert!(matches, "{kind}: expected {expect}, got {error:?}");
            assert_eq!(
                error.is_retryable(),
                expect != "unauthorized",
                "{kind}: {error:?}"
            );
            chaos.clear();
        }

        // Resume: store a stream's first page and its cursor, then run a pass: it goes on
        // from there (fewer items than a pass from scratch), ending where a fresh one ends.
        let mut resumed = false;
        for stream in connector.streams() {
            let start = PassStart::Full;
            let page = connector
                .sync_page(
                    &cx,
                    PageRequest {
                        stream,
                        start: &start,
                        cursor: None,
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("{kind}/{stream}: {e}"));
            let PageNext::More(cursor) = page.next else {
                continue;
            };
            if page.items == 0 {
                continue;
            }
            let db = crate::sync_support::database().await;
            let resume_store = db.store();
            resume_store
                .commit_sync_page(
                    connector.id(),
                    stream,
                    &page.effects,
                    &CursorUpdate::Continue {
                        page_cursor: cursor,
                        full_pass: true,
                    },
                    hotdash::now_ms(),
                )
                .await
                .unwrap();
            let options = SyncOptions {
                streams: vec![stream.to_owned()],
                ..SyncOptions::default()
            };
            let rest = run_pass(resume_store.clone(), connector.clone(), &options)
                .await
                .unwrap();
            let fresh_db = crate::sync_support::database().await;
            let whole = run_pass(fresh_db.store(), connector.clone(), &options)
                .await
                .unwrap();
            let (rest, whole) = (rest.stream(stream).unwrap(), whole.stream(stream).unwrap());
            assert_eq!(rest.error, None, "{kind}/{stream}");
            assert_eq!(
                rest.items + page.items,
                whole.items,
                "{kind}/{stream}: resumed {rest:?}, whole {whole:?}"
            );
            resumed = true;
            break;
        }
        assert!(
            resumed,
            "{kind}: no stream had a second page to resume from"
        );
    }
}
