//! Standard Webhooks (used by the gold-replies endpoint): `webhook-signature` holds a
//! space-separated list of `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` with the key
//! from a `whsec_<base64>` secret; `webhook-timestamp` must be within a tolerance of now.
//!
//! Hand-rolled (about 40 lines) rather than the `standardwebhooks` crate, which rejects non-UTF-8
//! bodies and brings a second HMAC implementation; this reuses our HMAC and base64 crates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;

use super::{VerifyError, check_skew, hmac_sha256, parse_timestamp};
use crate::config::Secret;

/// The signing key inside a `whsec_…` secret, or `None` if it is not one.
pub fn decode_secret(secret: &Secret) -> Option<Vec<u8>> {
    let encoded = secret.expose().strip_prefix("whsec_")?;
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// Verifies the three Standard Webhooks headers against `body` with any of `secrets`.
pub fn verify(
    secrets: &[Secret],
    id: &str,
    timestamp: Option<&str>,
    signatures: Option<&str>,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let signatures = signatures.ok_or(VerifyError::MissingSignature)?;
    let (timestamp, ts) = parse_timestamp(timestamp)?;
    let candidates: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .collect();
    let matches = secrets.iter().filter_map(decode_secret).any(|key| {
        let mac = hmac_sha256(
            &key,
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
        );
        candidates
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
    });
    if !matches {
        return Err(VerifyError::BadSignature);
    }
    check_skew(ts, now_secs, tolerance_secs)
}

/// The `webhook-signature` value for one secret (for tests, benchmarks and the simulator).
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = decode_secret(secret)?;
    let ts = timestamp.to_string();
    let mac = hmac_sha256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification's reference test suite.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn matches_the_specification_example() {
        assert_eq!(
            sign(&Secret::new(SECRET), ID, TS, BODY).as_deref(),
            Some(SIG)
        );
        assert_eq!(
            verify(
                &[Secret::new(SECRET)],
                ID,
                Some("1614265330"),
                Some(SIG),
                BODY,
                TS,
                300
            ),
            Ok(())
        );
    }

    #[test]
    fn accepts_any_listed_signature_and_any_configured_secret() {
        let list = format!("v1,bm90IGl0 {SIG}");
        let secrets = [Secret::new("whsec_b3RoZXIta2V5"), Secret::new(SECRET)];
        assert_eq!(
            verify(
                &secrets,
                ID,
                Some("1614265330"),
                Some(&list),
                BODY,
                TS + 10,
                300
            ),
            Ok(())
        );
    }

    #[test]
    fn rejects_wrong_id_stale_timestamp_and_bad_secrets() {
        let secrets = [Secret::new(SECRET)];
        assert_eq!(
            verify(
                &secrets,
                "msg_other",
                Some("1614265330"),
                Some(SIG),
                BODY,
                TS,
                300
            ),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(
                &secrets,
                ID,
                Some("1614265330"),
                Some(SIG),
                BODY,
                TS + 301,
                300
            ),
            Err(VerifyError::StaleTimestamp(301))
        );
        assert_eq!(
            verify(&secrets, ID, None, Some(SIG), BODY, TS, 300),
            Err(VerifyError::MissingTimestamp)
        );
        assert_eq!(
            verify(&secrets, ID, Some("1614265330"), None, BODY, TS, 300),
            Err(VerifyError::MissingSignature)
        );
        assert!(decode_secret(&Secret::new("not-a-whsec")).is_none());
    }
}
