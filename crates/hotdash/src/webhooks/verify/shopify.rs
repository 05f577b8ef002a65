//! Shopify: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(app secret, raw body)). No timestamp is
//! signed, so replay protection is the delivery-id dedup. Several secrets are tried (rotation).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;

use super::{VerifyError, hmac_sha256};
use crate::config::Secret;

/// Verifies `header` (the `X-Shopify-Hmac-Sha256` value) against `body` with any of `secrets`.
pub fn verify(secrets: &[Secret], header: Option<&str>, body: &[u8]) -> Result<(), VerifyError> {
    let header = header.ok_or(VerifyError::MissingSignature)?;
    let expected = STANDARD
        .decode(header.trim())
        .map_err(|_| VerifyError::BadSignature)?;
    let matches = secrets.iter().any(|secret| {
        hmac_sha256(secret.expose().as_bytes(), &[body])
            .verify_slice(&expected)
            .is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// The header value Shopify would send for `body` (used by tests, benchmarks and the simulator).
pub fn sign(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(
        hmac_sha256(secret.as_bytes(), &[body])
            .finalize()
            .into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shopify's published vectors (shared/vendors/shopify.md §3.2).
    const VECTORS: [(&str, &str, &str); 3] = [
        (
            "test_secret_key",
            r#"{"foo": "bar"}"#,
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
        ),
        (
            "test_secret_key",
            r#"{"foo":"bar"}"#,
            "1kjVjZBASoDr0j4pTeXLurkG6u87OrkQXzf+h707p2w=",
        ),
        (
            "hush",
            r##"{"id":1,"name":"#1001"}"##,
            "ybi5GMyq3UlgsyWLTJU1wvBRjL3uJyvuWTBki5k2cJY=",
        ),
    ];

    #[test]
    fn accepts_shopifys_test_vectors() {
        for (secret, body, hmac) in VECTORS {
            assert_eq!(sign(secret, body.as_bytes()), hmac);
            assert_eq!(
                verify(&[Secret::new(secret)], Some(hmac), body.as_bytes()),
                Ok(())
            );
        }
    }

    #[test]
    fn accepts_any_secret_during_rotation() {
        let (secret, body, hmac) = VECTORS[0];
        let secrets = [Secret::new("the-new-secret"), Secret::new(secret)];
        assert_eq!(verify(&secrets, Some(hmac), body.as_bytes()), Ok(()));
    }

    #[test]
    fn rejects_tampered_bodies_wrong_secrets_and_missing_headers() {
        let (secret, body, hmac) = VECTORS[0];
        let secrets = [Secret::new(secret)];
        // Whitespace matters: vector 2's body with vector 1's signature.
        assert_eq!(
            verify(&secrets, Some(hmac), VECTORS[1].1.as_bytes()),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&[Secret::new("other")], Some(hmac), body.as_bytes()),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&secrets, Some("not base64!"), body.as_bytes()),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(&secrets, None, body.as_bytes()),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify(&[], Some(hmac), body.as_bytes()),
            Err(VerifyError::BadSignature)
        );
    }
}
