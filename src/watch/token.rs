//! Resume tokens: an event id, opaque to clients. WatchHandshakes and the
//! status page's event stream hand them out and take them back.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::domain::FieldViolation;

/// Versions the format, so a later one can tell old tokens apart.
const TOKEN_PREFIX: &str = "e1:";
/// WatchTransfers' tokens: another log, so another prefix (a handshake
/// token given to WatchTransfers is refused, not misread).
const TRANSFER_PREFIX: &str = "t1:";

pub fn encode_resume_token(event_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{event_id}"))
}

pub fn encode_transfer_token(event_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TRANSFER_PREFIX}{event_id}"))
}

/// The event id in `token`; a violation of `resume_token` if it is not one
/// this service issued.
pub fn decode_resume_token(token: &str) -> Result<i64, FieldViolation> {
    decode(token, TOKEN_PREFIX)
}

pub fn decode_transfer_token(token: &str) -> Result<i64, FieldViolation> {
    decode(token, TRANSFER_PREFIX)
}

fn decode(token: &str, prefix: &str) -> Result<i64, FieldViolation> {
    let bad = || {
        FieldViolation::new(
            "resume_token",
            "resume_token is not one this service issued",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    raw.strip_prefix(prefix)
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_tokens_round_trip() {
        for id in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_resume_token(&encode_resume_token(id)), Ok(id));
        }
    }

    #[test]
    fn transfer_and_handshake_tokens_are_not_interchangeable() {
        assert_eq!(decode_transfer_token(&encode_transfer_token(7)), Ok(7));
        assert!(decode_transfer_token(&encode_resume_token(7)).is_err());
        assert!(decode_resume_token(&encode_transfer_token(7)).is_err());
    }

    #[test]
    fn malformed_resume_tokens_are_rejected() {
        for bad in [
            "",
            "!!",
            "e1:5",
            &URL_SAFE_NO_PAD.encode("e1:-3"),
            &URL_SAFE_NO_PAD.encode("x:5"),
        ] {
            assert!(decode_resume_token(bad).is_err(), "{bad:?}");
        }
    }
}
