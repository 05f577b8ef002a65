//! Load generator for `bench/ingest.sh`: signed ~2 KB Shopify `orders/create` deliveries, each
//! with its own webhook id, sent to `POST /webhooks/shopify`.
//!
//! Two modes. `--rate R`: open loop, one request scheduled every 1/R s whatever the server does,
//! latency measured from the scheduled time (so a slow server cannot hide queueing, the
//! "coordinated omission" trap). Without `--rate`: closed loop with `--concurrency` senders, for
//! the maximum acknowledged rate. Prints one JSON line of results.
//!
//! cargo run --release -p hotdash --example loadgen -- --url http://127.0.0.1:8080 --secret S --rate 5000 --seconds 20

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hotdash::webhooks::verify::shopify::sign;

struct Args {
    url: String,
    secret: String,
    rate: Option<f64>,
    concurrency: usize,
    seconds: f64,
    run_id: String,
    /// Write the body to this path, print its signature, and exit (for wrk).
    write_body: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        secret: String::new(),
        rate: None,
        concurrency: 64,
        seconds: 20.0,
        run_id: format!("{:x}", hotdash::now_ms()),
        write_body: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value,
            "--secret" => args.secret = value,
            "--rate" => args.rate = Some(value.parse().expect("--rate is a number")),
            "--concurrency" => args.concurrency = value.parse().expect("--concurrency is a number"),
            "--seconds" => args.seconds = value.parse().expect("--seconds is a number"),
            "--run-id" => args.run_id = value,
            "--write-body" => args.write_body = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.secret.is_empty(), "--secret is required");
    args
}

/// A realistic ~2 KB order payload (five line items).
fn body() -> String {
    let items: Vec<String> = (0..5)
        .map(|i| {
            format!(
                r#"{{"id":{id},"admin_graphql_api_id":"gid://shopify/LineItem/{id}","sku":"HRA-FIT-AN{size}","title":"AN-{size} 45 degree hose end, black anodized","quantity":{q},"price":"{p}.99","product_id":{pid},"variant_id":{vid},"fulfillable_quantity":{q},"vendor":"Hot Rod AN","requires_shipping":true,"taxable":true}}"#,
                id = 9_000_000 + i,
                size = 4 + 2 * i,
                q = 1 + i,
                p = 12 + 3 * i,
                pid = 7_000 + i,
                vid = 8_000 + i
            )
        })
        .collect();
    format!(
        r##"{{"id":4101,"admin_graphql_api_id":"gid://shopify/Order/4101","name":"#4101","created_at":"2026-11-22T09:00:00-05:00","updated_at":"2026-11-22T09:00:00-05:00","currency":"USD","financial_status":"paid","fulfillment_status":null,"total_price":"184.95","subtotal_price":"174.95","total_discounts":"0.00","source_name":"web","test":false,"line_items":[{}]}}"##,
        items.join(",")
    )
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let body = Arc::new(body());
    let hmac = Arc::new(sign(&args.secret, body.as_bytes()));
    if let Some(path) = &args.write_body {
        std::fs::write(path, body.as_bytes()).expect("write the body file");
        println!("{hmac}");
        return;
    }
    let url = Arc::new(format!(
        "{}/webhooks/shopify",
        args.url.trim_end_matches('/')
    ));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .expect("client");
    let seq = Arc::new(AtomicU64::new(0));
    let (ok, bad, failed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::with_capacity(1 << 20)));
    let run_id = Arc::new(args.run_id.clone());
    let send = {
        let (client, body, hmac, url, seq, ok, bad, failed, latencies, run_id) = (
            client,
            body.clone(),
            hmac,
            url,
            seq,
            ok.clone(),
            bad.clone(),
            failed.clone(),
            latencies.clone(),
            run_id,
        );
        move |scheduled: Instant| {
            let n = seq.fetch_add(1, Ordering::Relaxed);
            let request = client
                .post(url.as_str())
                .header("Content-Type", "application/json")
                .header("X-Shopify-Topic", "orders/create")
                .header("X-Shopify-Hmac-Sha256", hmac.as_str())
                .header("X-Shopify-Shop-Domain", "hot-rod-an.myshopify.com")
                .header("X-Shopify-API-Version", "2026-07")
                .header("X-Shopify-Webhook-Id", format!("bench-{run_id}-{n}"))
                .header("X-Shopify-Triggered-At", "2026-11-22T14:00:00.000000000Z")
                .body(body.to_string());
            let (ok, bad, failed, latencies) =
                (ok.clone(), bad.clone(), failed.clone(), latencies.clone());
            async move {
                match request.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        latencies
                            .lock()
                            .unwrap()
                            .push(scheduled.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(_) => {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    };

    let started = Instant::now();
    let duration = Duration::from_secs_f64(args.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    match args.rate {
        Some(rate) => {
            let total = (rate * args.seconds) as u64;
            for i in 0..total {
                let scheduled = started + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(scheduled.into()).await;
                tasks.spawn(send(scheduled));
            }
        }
        None => {
            for _ in 0..args.concurrency {
                let send = send.clone();
                tasks.spawn(async move {
                    while started.elapsed() < duration {
                        send(Instant::now()).await;
                    }
                });
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let ok = ok.load(Ordering::Relaxed);
    println!(
        "{{\"mode\":\"{}\",\"seconds\":{elapsed:.2},\"acked\":{ok},\"non_2xx\":{},\"errors\":{},\"acked_per_sec\":{:.0},\"p50_ms\":{:.2},\"p90_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"body_bytes\":{}}}",
        args.rate
            .map(|r| format!("rate {r}/s"))
            .unwrap_or_else(|| format!("closed loop x{}", args.concurrency)),
        bad.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        ok as f64 / elapsed,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        lat.last().copied().unwrap_or(0.0),
        body.len()
    );
}
