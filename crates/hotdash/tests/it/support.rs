//! Test support: [`TestApp`] (the real server in-process on 127.0.0.1:0, over a fresh
//! [`TestDb`]), request signing for each source, and payload builders.

use std::sync::Arc;

use hotdash::config::{Config, Secret};
use hotdash::jobs::Runner;
use hotdash::serve::{self, Running};
use hotdash::webhooks::verify;
use hotdash_db::Store;
use hotdash_db::testing::TestDb;
use tokio::net::TcpListener;

pub const SHOPIFY_SECRET: &str = "shpss_test_secret_current";
pub const SHOPIFY_OLD_SECRET: &str = "shpss_test_secret_previous";
pub const CHATWOOT_SECRET: &str = "cw_test_webhook_secret";
pub const GOLD_TOKEN: &str = "gold_test_bearer_token";
pub const GOLD_SIGNING_SECRET: &str = "whsec_dGVzdC1nb2xkLXNpZ25pbmcta2V5LTEyMzQ1Njc4";

/// Environment that configures every source with the test secrets.
pub fn secret_env() -> Vec<(String, String)> {
    [
        (
            "HOTDASH_WEBHOOKS__SHOPIFY__SECRETS",
            format!("{SHOPIFY_SECRET},{SHOPIFY_OLD_SECRET}"),
        ),
        (
            "HOTDASH_WEBHOOKS__CHATWOOT__SECRET",
            CHATWOOT_SECRET.to_owned(),
        ),
        (
            "HOTDASH_WEBHOOKS__GOLD_REPLIES__BEARER_TOKEN",
            GOLD_TOKEN.to_owned(),
        ),
        (
            "HOTDASH_WEBHOOKS__GOLD_REPLIES__SIGNING_SECRETS",
            GOLD_SIGNING_SECRET.to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub config: Config,
    running: Option<Running>,
    // Last: the database outlives the server's pools.
    pub db: TestDb,
}

impl TestApp {
    /// The server with no background workers: tests run jobs with [`TestApp::run_jobs`].
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// As [`TestApp::spawn`], with extra `HOTDASH_*` settings.
    pub async fn spawn_with(extra_env: &[(&str, &str)]) -> Self {
        let db = TestDb::new().await;
        // CI's Postgres run sets this: a silent fall-back to SQLite must fail, not pass.
        if let Ok(expected) = std::env::var("HOTDASH_TEST_EXPECT_BACKEND") {
            assert_eq!(
                db.backend().as_str(),
                expected,
                "the suite is not running on the backend CI asked for"
            );
        }
        let mut env = secret_env();
        env.push(("HOTDASH_DATABASE__URL".into(), db.url().to_owned()));
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let text = "[server]\nlisten = \"127.0.0.1:0\"\n[jobs]\nworkers = 0\nretry_base_ms = 1\n";
        let config = Config::from_sources(text, env).expect("test config is valid");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let running = serve::start(config.clone(), listener)
            .await
            .expect("server starts");
        Self {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::new(),
            store: db.store(),
            config,
            running: Some(running),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The running server's store: on SQLite, the one writer tests must share with it.
    pub fn server_store(&self) -> Arc<dyn Store> {
        match &self.running {
            Some(running) => running.app.store.clone(),
            None => self.store.clone(),
        }
    }

    /// Runs due jobs until none is left, as the workers would. Returns how many ran.
    pub async fn run_jobs(&self) -> usize {
        // Through the server's own store, as its workers would: on SQLite a second store is a
        // second writer, racing the server's ingest for the database lock.
        let store = match &self.running {
            Some(running) => running.app.store.clone(),
            None => self.store.clone(),
        };
        let runner = Runner::new(store, &self.config, "test-worker".into());
        let mut total = 0;
        loop {
            let n = runner
                .run_once()
                .await
                .expect("job runner reaches the store");
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    pub async fn post(&self, source: &str, req: SignedRequest) -> reqwest::Response {
        post_to(&self.client, &self.url(&format!("/webhooks/{source}")), req).await
    }

    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }
}

/// A body and the headers a vendor would send with it.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl SignedRequest {
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
}

pub fn now_secs() -> i64 {
    hotdash::now_ms() / 1000
}

/// A Shopify delivery signed with `secret`.
pub fn shopify(topic: &str, webhook_id: &str, body: &str, secret: &str) -> SignedRequest {
    SignedRequest {
        body: body.as_bytes().to_vec(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Shopify-Topic".into(), topic.into()),
            (
                "X-Shopify-Hmac-Sha256".into(),
                verify::shopify::sign(secret, body.as_bytes()),
            ),
            (
                "X-Shopify-Shop-Domain".into(),
                "hot-rod-an.myshopify.com".into(),
            ),
            ("X-Shopify-API-Version".into(), "2026-07".into()),
            ("X-Shopify-Webhook-Id".into(), webhook_id.into()),
            ("X-Shopify-Event-Id".into(), format!("event-{webhook_id}")),
            (
                "X-Shopify-Triggered-At".into(),
                "2026-11-22T10:00:00.123456789Z".into(),
            ),
        ],
    }
}

/// A Chatwoot delivery signed at `timestamp` like Chatwoot's `lib/webhooks/trigger.rb`.
pub fn chatwoot(delivery: Option<&str>, body: &str, timestamp: i64) -> SignedRequest {
    let mut headers = vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Chatwoot-Timestamp".into(), timestamp.to_string()),
        (
            "X-Chatwoot-Signature".into(),
            verify::chatwoot::sign(CHATWOOT_SECRET, timestamp, body.as_bytes()),
        ),
    ];
    if let Some(id) = delivery {
        headers.push(("X-Chatwoot-Delivery".into(), id.into()));
    }
    SignedRequest {
        body: body.as_bytes().to_vec(),
        headers,
    }
}

/// A gold reply with the bearer token and a Standard Webhooks signature.
pub fn gold(webhook_id: &str, body: &str, timestamp: i64) -> SignedRequest {
    let signature = verify::standard::sign(
        &Secret::new(GOLD_SIGNING_SECRET),
        webhook_id,
        timestamp,
        body.as_bytes(),
    )
    .expect("the test secret is a whsec_ secret");
    SignedRequest {
        body: body.as_bytes().to_vec(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), format!("Bearer {GOLD_TOKEN}")),
            ("webhook-id".into(), webhook_id.into()),
            ("webhook-timestamp".into(), timestamp.to_string()),
            ("webhook-signature".into(), signature),
        ],
    }
}

/// A REST-shaped `orders/*` payload, about 1 KB.
pub fn order_body(id: u64, updated_at: &str, financial_status: &str) -> String {
    format!(
        r##"{{"id":{id},"admin_graphql_api_id":"gid://shopify/Order/{id}","name":"#{name}","created_at":"2026-11-22T09:00:00-05:00","updated_at":"{updated_at}","currency":"USD","financial_status":"{financial_status}","fulfillment_status":null,"total_price":"129.95","subtotal_price":"119.95","total_discounts":"0.00","line_items":[{{"id":{li},"admin_graphql_api_id":"gid://shopify/LineItem/{li}","sku":"HRA-FIT-AN6","title":"AN-6 Straight Hose End","quantity":2,"price":"24.99","product_id":7001,"variant_id":8001}},{{"id":{li2},"admin_graphql_api_id":"gid://shopify/LineItem/{li2}","sku":"HRA-HOSE-AN6","title":"AN-6 Braided Hose (ft)","quantity":10,"price":"7.00","product_id":7002,"variant_id":8002}}]}}"##,
        name = 1000 + id % 100_000,
        li = id * 10 + 1,
        li2 = id * 10 + 2,
    )
}

pub const CHATWOOT_MESSAGE: &str = r#"{"event":"message_created","id":118,"content":"Do you stock \u003cAN-8\u003e fittings?","created_at":"2026-11-22T10:02:48.000Z","message_type":"incoming","content_type":"text","private":false,"content_attributes":{},"source_id":null,"sender":{"id":14,"name":"Jane","type":"contact"},"inbox":{"id":1,"name":"Hot Rod AN Support"},"conversation":{"id":10,"inbox_id":1,"status":"open","channel":"Channel::WebWidget","can_reply":true,"unread_count":1,"timestamp":1795341768},"account":{"id":1,"name":"Hot Rod AN"}}"#;

pub fn gold_body(conversation_id: i64) -> String {
    format!(
        r#"{{"conversationId":{conversation_id},"shopDomain":"hot-rod-an.myshopify.com","originalReply":"Hi Sarah, your AN-6 fittings shipped today with UPS; tracking follows by email.","category":"shipping_delay","submittedBy":"operator@hotrodan.com","evidenceUrl":"https://chatwoot.example/conversations/{conversation_id}","qualityMetrics":{{"customerSatisfactionScore":5}},"metadata":{{"tags":["urgent"]}}}}"#
    )
}

/// The real `hotdash` binary running `serve`, with its stderr captured.
pub struct HotdashProcess {
    pub child: std::process::Child,
    pub base: String,
    pub log: Arc<std::sync::Mutex<String>>,
}

impl HotdashProcess {
    /// Starts `hotdash serve` on a free port over `db_url` and waits until it listens.
    pub fn start(db_url: &str, extra_env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hotdash"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOTDASH_DATABASE__URL", db_url)
            .env("HOTDASH_SERVER__LISTEN", "127.0.0.1:0")
            .env("HOTDASH_JOBS__RETRY_BASE_MS", "10")
            .envs(secret_env())
            .envs(extra_env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("the hotdash binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(at) = line.find("listening on http://") {
                    let addr = line[at + "listening on http://".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(addr);
                    }
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = ready_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "hotdash did not start listening; log:\n{}",
                    log.lock().unwrap()
                )
            });
        Self {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Ends the process with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ends the process with SIGTERM and waits for a graceful exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        self.child.wait().expect("hotdash exits")
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for HotdashProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `hotdash` binary with `args` and `env` (nothing inherited but PATH).
pub fn hotdash_cli(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hotdash"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("the hotdash binary runs")
}

/// Sends a signed request to `url`.
pub async fn post_to(client: &reqwest::Client, url: &str, req: SignedRequest) -> reqwest::Response {
    send_to(client, url, req)
        .await
        .expect("request reaches the server")
}

/// Sends a signed request to `url`, returning transport errors (the server may be gone).
pub async fn send_to(
    client: &reqwest::Client,
    url: &str,
    req: SignedRequest,
) -> reqwest::Result<reqwest::Response> {
    let mut builder = client.post(url).body(req.body);
    for (name, value) in req.headers {
        builder = builder.header(name, value);
    }
    builder.send().await
}
