//! Service-account auth: the key file ([`ServiceAccount`], private key never shown), the
//! RFC 7523 JWT-bearer grant against the key's own `token_uri`, and [`TokenSource`], which
//! caches the access token and fetches a new one shortly before it expires.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OnceCell};

use crate::config::Secret;
use crate::connectors::{ConnectorError, SyncMeter, http};

/// The scope the connector asks for: read-only reporting.
pub const SCOPE: &str = "https://www.googleapis.com/auth/analytics.readonly";
/// Google's token endpoint: where keys without a `token_uri` send grants, and the `aud` of
/// every assertion (as google-auth sends it, whatever the key's `token_uri`).
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// `grant_type`, form-encoded.
const JWT_BEARER_GRANT_ENCODED: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";
/// Google refuses assertions living longer than an hour.
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// A token is renewed this long before it expires (a tenth of its life when shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A parsed service-account key: who signs, with what, and where tokens come from.
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key_id: Option<String>,
    pub token_uri: String,
    key: EncodingKey,
}

/// The private key never appears in logs, errors or panics.
impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    token_uri: Option<String>,
}

impl ServiceAccount {
    /// Parses a key file. Errors say which field is wrong, never its value.
    pub fn parse(json: &str) -> Result<ServiceAccount, String> {
        let file: KeyFile = serde_json::from_str(json).map_err(|e| {
            // serde's message may quote input; keep only its position.
            format!(
                "not a service-account key file (invalid JSON at line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if let Some(kind) = file.kind.as_deref().filter(|k| *k != "service_account") {
            return Err(format!(
                "the key's type is `{}`, not `service_account` (user credentials are not supported)",
                kind.chars().take(40).collect::<String>()
            ));
        }
        let client_email = file
            .client_email
            .filter(|e| e.contains('@'))
            .ok_or("the key has no client_email")?;
        let pem = file
            .private_key
            .filter(|k| !k.trim().is_empty())
            .ok_or("the key has no private_key")?;
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|_| "the key's private_key is not an RSA private key in PEM form")?;
        let token_uri = file
            .token_uri
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| GOOGLE_TOKEN_URI.to_owned());
        if !(token_uri.starts_with("https://") || token_uri.starts_with("http://")) {
            return Err("the key's token_uri is not an http(s) URL".to_owned());
        }
        Ok(ServiceAccount {
            client_email,
            private_key_id: file.private_key_id.filter(|k| !k.is_empty()),
            token_uri,
            key,
        })
    }

    /// The signed JWT-bearer assertion for a token request at `now` (unix seconds).
    pub fn assertion(&self, now: i64) -> Result<String, ConnectorError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.private_key_id.clone();
        jsonwebtoken::encode(&header, &self.claims(now), &self.key)
            .map_err(|e| ConnectorError::Invalid(format!("cannot sign the token request: {e}")))
    }

    /// The grant's claims. `aud` is Google's token audience even when the key's `token_uri`
    /// is elsewhere (old keys, proxies, the simulator), as google-auth does.
    pub fn claims(&self, now: i64) -> Claims {
        Claims {
            iss: self.client_email.clone(),
            scope: SCOPE.to_owned(),
            aud: GOOGLE_TOKEN_URI.to_owned(),
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        }
    }
}

/// RFC 7523 assertion claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Where the key comes from: parsed at build, or a file read once on first use.
pub enum KeySource {
    Parsed(Arc<ServiceAccount>),
    File {
        path: PathBuf,
        loaded: OnceCell<Arc<ServiceAccount>>,
    },
}

impl KeySource {
    pub fn file(path: PathBuf) -> Self {
        KeySource::File {
            path,
            loaded: OnceCell::new(),
        }
    }

    async fn account(&self) -> Result<Arc<ServiceAccount>, ConnectorError> {
        match self {
            KeySource::Parsed(account) => Ok(Arc::clone(account)),
            KeySource::File { path, loaded } => loaded
                .get_or_try_init(|| async {
                    let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                        ConnectorError::Invalid(format!("credentials_file {}: {e}", path.display()))
                    })?;
                    ServiceAccount::parse(&text).map(Arc::new).map_err(|m| {
                        ConnectorError::Invalid(format!("credentials_file {}: {m}", path.display()))
                    })
                })
                .await
                .cloned(),
        }
    }
}

struct CachedToken {
    value: Secret,
    refresh_at: Instant,
}

/// Hands out access tokens: the cached one while it is fresh, otherwise one new grant (one
/// fetch at a time, however many callers wait).
pub struct TokenSource {
    key: KeySource,
    cached: Mutex<Option<CachedToken>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OAuthErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
}

/// When a token that lives `lifetime` should be replaced.
pub fn refresh_after(lifetime: Duration) -> Duration {
    let margin = REFRESH_MARGIN.min(lifetime / 10);
    lifetime.saturating_sub(margin)
}

impl TokenSource {
    pub fn new(key: KeySource) -> Self {
        TokenSource {
            key,
            cached: Mutex::new(None),
        }
    }

    /// A fresh access token, fetching one if the cached one is (nearly) expired.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        meter: &SyncMeter,
    ) -> Result<Secret, ConnectorError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.value.clone());
        }
        let token = self.fetch(http, meter).await?;
        let value = token.value.clone();
        *cached = Some(token);
        Ok(value)
    }

    /// Forgets `token` (the API refused it); a newer cached token is kept.
    pub async fn invalidate(&self, token: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.value.expose() == token.expose())
        {
            *cached = None;
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        meter: &SyncMeter,
    ) -> Result<CachedToken, ConnectorError> {
        let account = self.key.account().await?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let assertion = account.assertion(now)?;
        let body = format!("grant_type={JWT_BEARER_GRANT_ENCODED}&assertion={assertion}");
        meter.add_request();
        let started = Instant::now();
        let response = http
            .post(&account.token_uri)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(token_error(status, &headers, &text));
        }
        let answer: TokenAnswer = serde_json::from_str(&text).map_err(|_| {
            ConnectorError::Transient("the token endpoint's answer is not JSON".to_owned())
        })?;
        let value = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ConnectorError::Invalid("the token endpoint sent no access_token".to_owned())
            })?;
        // `expires_in` may be a number or a string; Google's default is an hour.
        let lifetime = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(Duration::from_secs(3600), Duration::from_secs_f64);
        Ok(CachedToken {
            value: Secret::new(value),
            refresh_at: started + refresh_after(lifetime),
        })
    }
}

/// A refused grant: RFC 6749 `invalid_grant`/`invalid_scope` are configuration problems;
/// 5xx and 429 are worth retrying.
fn token_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    text: &str,
) -> ConnectorError {
    let oauth: Option<OAuthErrorAnswer> = serde_json::from_str(text).ok();
    let described = oauth.as_ref().and_then(|o| {
        o.error.as_ref().map(|e| {
            let description = o.error_description.as_deref().unwrap_or_default();
            format!("{e}: {description}")
        })
    });
    match described {
        Some(message) if status.is_client_error() && status.as_u16() != 429 => {
            ConnectorError::Unauthorized(format!("token endpoint refused the key ({message})"))
        }
        _ => match http::status_error(status, headers, "") {
            ConnectorError::Transient(m) => {
                ConnectorError::Transient(format!("token endpoint: {m}"))
            }
            ConnectorError::Invalid(m) => {
                ConnectorError::Unauthorized(format!("token endpoint: {m}"))
            }
            other => other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_key() -> String {
        hotdash_sim::ga4::ServiceAccountKey::for_simulator("http://127.0.0.1:9/token")
    }

    #[test]
    fn claims_follow_the_jwt_bearer_grant() {
        let account = ServiceAccount::parse(&test_key()).expect("the test key parses");
        let claims = account.claims(1_000);
        assert_eq!(claims.iss, account.client_email);
        assert_eq!(claims.scope, SCOPE);
        assert_eq!(claims.aud, "https://oauth2.googleapis.com/token");
        assert_eq!(
            account.token_uri, "http://127.0.0.1:9/token",
            "the key's token_uri is kept"
        );
        assert_eq!(claims.exp - claims.iat, 3600, "Google's maximum lifetime");
        let jwt = account.assertion(1_000).expect("signs");
        let header = jsonwebtoken::decode_header(&jwt).expect("a JWT");
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid, account.private_key_id);
    }

    #[test]
    fn parse_errors_never_show_the_key() {
        let broken =
            test_key().replace("BEGIN PRIVATE KEY-----\\nMI", "BEGIN PRIVATE KEY-----\\nXX");
        let error = ServiceAccount::parse(&broken).expect_err("a broken key is refused");
        assert!(!error.contains("PRIVATE"), "{error}");
        let error = ServiceAccount::parse("{\"private_key\": \"secret-value\"").unwrap_err();
        assert!(!error.contains("secret-value"), "{error}");
        let account = ServiceAccount::parse(&test_key()).expect("parses");
        assert!(!format!("{account:?}").contains("PRIVATE"));
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        assert_eq!(
            refresh_after(Duration::from_secs(3599)),
            Duration::from_secs(3299)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(10)),
            Duration::from_secs(9)
        );
    }
}
