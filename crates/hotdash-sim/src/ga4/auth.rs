//! Google service-account auth, both ways the real clients use it:
//!
//! - the OAuth token endpoint (`POST /token`, RFC 7523 JWT-bearer grant) that google-auth and
//!   Airbyte call with a JWT signed by the key's private half, answered with an access token;
//! - self-signed JWTs sent straight as `Authorization: Bearer <jwt>` (`iss = sub =
//!   client_email`, a `scope` claim or `aud = https://analyticsdata.googleapis.com/`), which
//!   the official Python and Node clients send instead of calling the token endpoint.
//!
//! JWTs are verified (RS256) against the public half of the configured key; by default the test
//! key committed in `testdata/` (see the README there).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, OnceLock};

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Ga4State;
use super::error::{GoogleError, INVALID_CREDENTIALS, MISSING_CREDENTIALS};

/// The `aud` google-auth puts in every JWT-bearer assertion, whatever the key's `token_uri`.
pub const GOOGLE_TOKEN_AUDIENCE: &str = "https://oauth2.googleapis.com/token";
/// The `token_uri` of very old keys.
const LEGACY_TOKEN_AUDIENCE: &str = "https://accounts.google.com/o/oauth2/token";
/// The `aud` of a self-signed JWT meant for the Data API (AIP-4111).
pub const API_AUDIENCE: &str = "https://analyticsdata.googleapis.com/";
pub const SCOPE_READONLY: &str = "https://www.googleapis.com/auth/analytics.readonly";
pub const SCOPE_FULL: &str = "https://www.googleapis.com/auth/analytics";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Issued access tokens live this long; Google answers `expires_in: 3599`.
const TOKEN_LIFETIME_SECS: i64 = 3599;
/// Longest JWT lifetime Google accepts, and the clock skew it tolerates either way.
const MAX_JWT_LIFETIME_SECS: i64 = 3600;
const CLOCK_SKEW_SECS: i64 = 300;

const TEST_KEY_JSON: &str = include_str!("../../testdata/ga4-service-account.json");
const TEST_PUBLIC_KEY_PEM: &str = include_str!("../../testdata/ga4-service-account.pub.pem");

/// A service-account key file in Google's format.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountKey {
    #[serde(rename = "type")]
    pub kind: String,
    pub project_id: String,
    pub private_key_id: String,
    pub private_key: String,
    pub client_email: String,
    pub client_id: String,
    pub auth_uri: String,
    pub token_uri: String,
    pub auth_provider_x509_cert_url: String,
    pub client_x509_cert_url: String,
    pub universe_domain: String,
}

/// The private key never appears in logs or panic messages.
impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("project_id", &self.project_id)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &"**REDACTED**")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountKey {
    /// The TEST key committed in `testdata/ga4-service-account.json`.
    pub fn test_key() -> ServiceAccountKey {
        serde_json::from_str(TEST_KEY_JSON).expect("the committed test service-account key parses")
    }

    /// The public half of the test key, PEM.
    pub fn test_public_key_pem() -> &'static str {
        TEST_PUBLIC_KEY_PEM
    }

    /// The test key file with `token_uri` pointing at a simulator (e.g. `RunningGa4::token_url`).
    pub fn for_simulator(token_uri: &str) -> String {
        Self::test_key().to_json_with_token_uri(token_uri)
    }

    /// This key as a key file, with `token_uri` replaced.
    pub fn to_json_with_token_uri(&self, token_uri: &str) -> String {
        let key = ServiceAccountKey {
            token_uri: token_uri.to_owned(),
            ..self.clone()
        };
        serde_json::to_string_pretty(&key).expect("a key of plain strings serializes")
    }

    /// Signs `claims` as the official libraries do: RS256 with `kid = private_key_id`.
    pub fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.private_key_id.clone());
        let key = EncodingKey::from_rsa_pem(self.private_key.as_bytes())?;
        Ok(jsonwebtoken::encode(&header, claims, &key)?)
    }

    /// The GCP project a service account belongs to, from its email
    /// (`name@PROJECT.iam.gserviceaccount.com`), for per-project quotas.
    pub fn project(&self) -> String {
        project_of(&self.client_email)
    }
}

fn project_of(email: &str) -> String {
    email
        .split_once('@')
        .and_then(|(_, domain)| domain.split('.').next())
        .unwrap_or(email)
        .to_owned()
}

/// Who a request is from (after authentication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub project: String,
}

struct Issued {
    project: String,
    expires_at: OffsetDateTime,
}

/// Key material and issued tokens.
pub struct AuthState {
    decoding_key: DecodingKey,
    client_email: String,
    private_key_id: String,
    /// This simulator's own `/token` URL, accepted as an assertion audience (Airbyte sets
    /// `aud` to the key's `token_uri`). Known once the server is bound.
    pub token_uri: OnceLock<String>,
    issued: Mutex<HashMap<String, Issued>>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: Value,
    scope: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
}

impl Claims {
    fn audiences(&self) -> Vec<&str> {
        match &self.aud {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    fn has_analytics_scope(&self) -> bool {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .any(|s| s == SCOPE_READONLY || s == SCOPE_FULL)
    }

    /// Google's time rule: a lifetime of at most an hour, and a window that contains now,
    /// give or take five minutes.
    fn times_ok(&self, now: i64) -> bool {
        let (Some(iat), Some(exp)) = (self.iat, self.exp) else {
            return false;
        };
        exp > iat
            && exp - iat <= MAX_JWT_LIFETIME_SECS
            && iat <= now + CLOCK_SKEW_SECS
            && exp >= now - CLOCK_SKEW_SECS
    }
}

enum JwtError {
    /// Unparseable, wrong algorithm, unknown `kid` or a signature that does not verify.
    Signature,
}

impl AuthState {
    pub fn new(key: &ServiceAccountKey, public_key_pem: &str) -> anyhow::Result<AuthState> {
        Ok(AuthState {
            decoding_key: DecodingKey::from_rsa_pem(public_key_pem.as_bytes())?,
            client_email: key.client_email.clone(),
            private_key_id: key.private_key_id.clone(),
            token_uri: OnceLock::new(),
            issued: Mutex::new(HashMap::new()),
        })
    }

    fn verify(&self, jwt: &str) -> Result<Claims, JwtError> {
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| JwtError::Signature)?;
        if header
            .kid
            .as_deref()
            .is_some_and(|kid| kid != self.private_key_id)
        {
            return Err(JwtError::Signature);
        }
        // Claims are checked by hand below: Google's rules (skew, lifetime, two audiences)
        // are not jsonwebtoken's.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        match jsonwebtoken::decode::<Claims>(jwt, &self.decoding_key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(error) => {
                if !matches!(
                    error.kind(),
                    ErrorKind::InvalidSignature | ErrorKind::InvalidToken
                ) {
                    tracing::debug!(%error, "JWT rejected");
                }
                Err(JwtError::Signature)
            }
        }
    }

    /// Issues an access token for `project` (what `/token` hands out).
    pub fn issue(&self, project: &str) -> String {
        let mut bytes = [0u8; 24];
        rand::rng().fill(&mut bytes);
        let token = format!("ya29.c.sim{}", hex::encode(bytes));
        let expires_at = OffsetDateTime::now_utc() + time::Duration::seconds(TOKEN_LIFETIME_SECS);
        self.issued.lock().expect("token lock poisoned").insert(
            token.clone(),
            Issued {
                project: project.to_owned(),
                expires_at,
            },
        );
        token
    }

    /// Authenticates a Data API request from its `Authorization` header.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, GoogleError> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| GoogleError::unauthenticated(MISSING_CREDENTIALS))?;
        let now = OffsetDateTime::now_utc();
        if let Some(issued) = self.issued.lock().expect("token lock poisoned").get(bearer) {
            return if issued.expires_at > now {
                Ok(Caller {
                    project: issued.project.clone(),
                })
            } else {
                Err(GoogleError::unauthenticated(INVALID_CREDENTIALS))
            };
        }
        let claims = self
            .verify(bearer)
            .map_err(|_| GoogleError::unauthenticated(INVALID_CREDENTIALS))?;
        let issuer_ok = claims.iss.as_deref() == Some(self.client_email.as_str())
            && claims
                .sub
                .as_deref()
                .is_none_or(|sub| sub == self.client_email);
        let now = now.unix_timestamp();
        // A self-signed JWT is only good until its own `exp` (no skew past expiry).
        let fresh = claims.times_ok(now) && claims.exp.is_some_and(|exp| exp > now);
        if !issuer_ok || !fresh {
            return Err(GoogleError::unauthenticated(INVALID_CREDENTIALS));
        }
        if claims.has_analytics_scope() || claims.audiences().contains(&API_AUDIENCE) {
            return Ok(Caller {
                project: project_of(&self.client_email),
            });
        }
        if claims.scope.is_some() {
            return Err(GoogleError::permission_denied(
                "Request had insufficient authentication scopes.",
            ));
        }
        Err(GoogleError::unauthenticated(INVALID_CREDENTIALS))
    }

    /// Checks a JWT-bearer assertion and issues a token, or says why not in RFC 6749 terms.
    fn exchange(&self, form: &HashMap<String, String>) -> Result<String, OAuthError> {
        let grant_type = form
            .get("grant_type")
            .map(String::as_str)
            .unwrap_or_default();
        if grant_type != JWT_BEARER_GRANT {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("Invalid grant_type: {grant_type}"),
            ));
        }
        let Some(assertion) = form.get("assertion").filter(|a| !a.is_empty()) else {
            return Err(OAuthError::new(
                "invalid_request",
                "Missing required parameter: assertion",
            ));
        };
        let claims = self
            .verify(assertion)
            .map_err(|JwtError::Signature| OAuthError::grant("Invalid JWT Signature."))?;
        if claims.iss.as_deref() != Some(self.client_email.as_str()) {
            return Err(OAuthError::grant("Invalid grant: account not found"));
        }
        let own = self.token_uri.get().map(String::as_str);
        let audience_ok = claims.audiences().iter().any(|aud| {
            *aud == GOOGLE_TOKEN_AUDIENCE || *aud == LEGACY_TOKEN_AUDIENCE || Some(*aud) == own
        });
        if !audience_ok {
            return Err(OAuthError::grant("Invalid JWT: Failed audience check."));
        }
        if !claims.times_ok(OffsetDateTime::now_utc().unix_timestamp()) {
            return Err(OAuthError::grant(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
                 timeframe. Check your iat and exp values in the JWT claim.",
            ));
        }
        if !claims.has_analytics_scope() {
            return Err(OAuthError::new(
                "invalid_scope",
                "Invalid OAuth scope or ID token audience provided.",
            ));
        }
        Ok(self.issue(&project_of(&self.client_email)))
    }
}

/// An RFC 6749 error answer: `{"error","error_description"}`, HTTP 400.
#[derive(Debug)]
struct OAuthError {
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            error,
            description: description.into(),
        }
    }

    fn grant(description: &str) -> Self {
        Self::new("invalid_grant", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

/// The token answer Google gives.
pub fn token_response(access_token: &str) -> Json<Value> {
    Json(json!({
        "access_token": access_token,
        "expires_in": TOKEN_LIFETIME_SECS,
        "token_type": "Bearer",
    }))
}

/// `POST /token`: the JWT-bearer grant.
pub async fn token(
    State(state): State<Ga4State>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return OAuthError::new(
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded.",
        )
        .into_response();
    };
    match state.auth().exchange(&form) {
        Ok(access_token) => token_response(&access_token).into_response(),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_key_signs_what_its_public_half_verifies() {
        let key = ServiceAccountKey::test_key();
        let auth = AuthState::new(&key, ServiceAccountKey::test_public_key_pem());
        let Ok(auth) = auth else {
            panic!("the committed public key loads");
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"iss": key.client_email, "sub": key.client_email,
            "scope": SCOPE_READONLY, "iat": now, "exp": now + 3600});
        let Ok(jwt) = key.sign(&claims) else {
            panic!("signs");
        };
        let mut headers = HeaderMap::new();
        let value = format!("Bearer {jwt}");
        headers.insert(header::AUTHORIZATION, value.parse().expect("ascii header"));
        assert_eq!(
            auth.authenticate(&headers),
            Ok(Caller {
                project: "hotdash-sim-test".into()
            })
        );
        assert!(!format!("{key:?}").contains("PRIVATE KEY"));
    }
}
