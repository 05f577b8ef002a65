//! Signature checks for each source, over the raw body bytes, before anything parses them.
//! Every comparison is constant-time (`Mac::verify_slice`, `subtle`).

pub mod chatwoot;
pub mod shopify;
pub mod standard;

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key` over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The signed timestamp header: its text (as signed) and its value in Unix seconds.
pub(crate) fn parse_timestamp(header: Option<&str>) -> Result<(&str, i64), VerifyError> {
    let text = header.ok_or(VerifyError::MissingTimestamp)?.trim();
    let secs = text.parse().map_err(|_| VerifyError::MissingTimestamp)?;
    Ok((text, secs))
}

/// Rejects a signed timestamp further than `tolerance_secs` from now, past or future, so a
/// captured delivery cannot be replayed later. Checked after the MAC, so unsigned junk learns
/// nothing about the timing rules.
pub(crate) fn check_skew(ts: i64, now_secs: i64, tolerance_secs: u64) -> Result<(), VerifyError> {
    let skew = (now_secs - ts).abs();
    if skew.unsigned_abs() > tolerance_secs {
        Err(VerifyError::StaleTimestamp(skew))
    } else {
        Ok(())
    }
}

/// Why a delivery failed verification. The `cause` strings are stored with the rejection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("signature header is missing")]
    MissingSignature,
    #[error("signature does not match")]
    BadSignature,
    #[error("timestamp header is missing or not a number")]
    MissingTimestamp,
    #[error("timestamp is {0} s away from now, outside the tolerance")]
    StaleTimestamp(i64),
    #[error("bearer token is missing or wrong")]
    BadToken,
}
