//! Chatwoot (2026 signing, `lib/webhooks/trigger.rb`): `X-Chatwoot-Signature: sha256=<hex
//! HMAC-SHA256(secret, "<X-Chatwoot-Timestamp>.<raw body>")>`, with the timestamp required to be
//! within a tolerance of now so a captured delivery cannot be replayed later.

use hmac::Mac;

use super::{VerifyError, check_skew, hmac_sha256, parse_timestamp};
use crate::config::Secret;

/// Verifies a Chatwoot delivery. `now_secs` is the receiver's clock in Unix seconds.
pub fn verify(
    secret: &Secret,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let signature = signature.ok_or(VerifyError::MissingSignature)?;
    let (timestamp, ts) = parse_timestamp(timestamp)?;
    let hex_digest = signature
        .trim()
        .strip_prefix("sha256=")
        .ok_or(VerifyError::BadSignature)?;
    let expected = hex::decode(hex_digest).map_err(|_| VerifyError::BadSignature)?;
    hmac_sha256(
        secret.expose().as_bytes(),
        &[timestamp.as_bytes(), b".", body],
    )
    .verify_slice(&expected)
    .map_err(|_| VerifyError::BadSignature)?;
    check_skew(ts, now_secs, tolerance_secs)
}

/// The `X-Chatwoot-Signature` value Chatwoot sends for `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac_sha256(secret.as_bytes(), &[ts.as_bytes(), b".", body]);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"event":"message_created","id":118,"content":"\u003cb\u003ehi\u003c/b\u003e"}"#;

    #[test]
    fn accepts_a_fresh_correctly_signed_delivery() {
        let sig = sign("cw-secret", 1_700_000_000, BODY);
        // The format is exactly Ruby's OpenSSL::HMAC.hexdigest with the prefix: lowercase hex.
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64 && sig == sig.to_lowercase());
        let ok = verify(
            &Secret::new("cw-secret"),
            Some(&sig),
            Some("1700000000"),
            BODY,
            1_700_000_100,
            300,
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn rejects_stale_future_and_tampered_deliveries() {
        let secret = Secret::new("cw-secret");
        let sig = sign("cw-secret", 1_700_000_000, BODY);
        let stale = verify(
            &secret,
            Some(&sig),
            Some("1700000000"),
            BODY,
            1_700_000_301,
            300,
        );
        assert_eq!(stale, Err(VerifyError::StaleTimestamp(301)));
        let future = verify(
            &secret,
            Some(&sig),
            Some("1700000000"),
            BODY,
            1_699_999_000,
            300,
        );
        assert_eq!(future, Err(VerifyError::StaleTimestamp(1000)));
        // Moving the timestamp invalidates the signature: it is signed.
        let moved = verify(
            &secret,
            Some(&sig),
            Some("1700000200"),
            BODY,
            1_700_000_200,
            300,
        );
        assert_eq!(moved, Err(VerifyError::BadSignature));
        let body = verify(
            &secret,
            Some(&sig),
            Some("1700000000"),
            b"{}",
            1_700_000_000,
            300,
        );
        assert_eq!(body, Err(VerifyError::BadSignature));
        let plain_hex = sig.trim_start_matches("sha256=");
        let unprefixed = verify(
            &secret,
            Some(plain_hex),
            Some("1700000000"),
            BODY,
            1_700_000_000,
            300,
        );
        assert_eq!(unprefixed, Err(VerifyError::BadSignature));
        assert_eq!(
            verify(&secret, None, Some("1"), BODY, 1, 300),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify(&secret, Some(&sig), None, BODY, 1, 300),
            Err(VerifyError::MissingTimestamp)
        );
    }
}
