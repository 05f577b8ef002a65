//! All simulators at once: fault settings from the CLI syntax, and scheduled fault windows.

use std::time::Duration;

use hotdash_sim::suite::{FaultSetting, Simulators, SuiteConfig};

#[test]
fn fault_specs_parse_or_name_what_is_wrong() {
    let on = FaultSetting::parse("all:error_rate=0.3,latency_ms=200").expect("valid");
    assert_eq!(on.vendors.len(), 4);
    assert_eq!(on.window, None);
    assert_eq!((on.faults.error_rate, on.faults.latency_ms), (0.3, 200));
    let window = FaultSetting::parse("ga4@10+60:outage=true").expect("valid");
    assert_eq!(window.window, Some((10.0, 60.0)));
    assert!(window.faults.outage);
    for (bad, says) in [
        ("paypal:outage=true", "unknown vendor"),
        ("shopify", "expected VENDOR"),
        ("shopify:error_rate=lots", "not a number"),
        ("shopify:explode=1", "unknown field"),
        ("ga4@soon:outage=true", "AFTER+FOR"),
    ] {
        let error = FaultSetting::parse(bad).expect_err(bad);
        assert!(error.contains(says), "{bad}: {error}");
    }
}

#[tokio::test]
async fn faults_from_the_start_and_in_a_window_reach_each_vendor() {
    let sims = Simulators::start(SuiteConfig {
        faults: vec![FaultSetting::parse("chatwoot:outage=true").expect("valid")],
        ..SuiteConfig::default()
    })
    .await
    .expect("simulators start");
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/health", sims.chatwoot.url()))
        .send()
        .await
        .expect("chatwoot answers");
    assert_eq!(health.status(), 503, "the outage is on from the start");

    // A window scheduled over HTTP switches Slack off for a moment, then on again.
    let schedule = client
        .post(format!("{}/__sim/chaos/schedule", sims.slack.url()))
        .json(&serde_json::json!({"after_secs": 0.0, "for_secs": 0.5, "faults": {"outage": true}}))
        .send()
        .await
        .expect("slack answers");
    assert_eq!(schedule.status(), 204);
    let post = || {
        client
            .post(sims.slack.webhook_url())
            .json(&serde_json::json!({"text": "probe"}))
            .send()
    };
    assert_eq!(post().await.expect("answers").status(), 503);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(post().await.expect("answers").status(), 200);

    let refused = client
        .post(format!("{}/__sim/chaos/schedule", sims.slack.url()))
        .json(&serde_json::json!({"after_secs": -1.0, "for_secs": 1.0, "faults": {}}))
        .send()
        .await
        .expect("slack answers");
    assert_eq!(refused.status(), 400);
}
