//! The caller's idempotency key for InviteAccount.
use super::FieldViolation;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// 1 to 64 of `A-Z a-z 0-9 - _ . :`; a UUID fits.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "request_id",
                "request_id must be 1 to 64 of A-Z a-z 0-9 - _ . : (a UUID fits)",
            ))
        }
    }

    /// A fresh key for a call that gave none, so every attempt is still recorded.
    pub fn generate() -> Self {
        Self(format!("gen-{}", uuid::Uuid::new_v4()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_and_simple_keys_are_accepted() {
        assert!(RequestId::parse("6f1c2b9e-8d1a-4c59-9a43-0c3c2d1f7e11").is_ok());
        assert!(RequestId::parse("deploy:42.retry_1").is_ok());
    }

    #[test]
    fn empty_long_or_odd_keys_are_rejected() {
        for bad in ["", &"a".repeat(65), "has space", "ünï"] {
            assert!(RequestId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let (a, b) = (RequestId::generate(), RequestId::generate());
        assert!(RequestId::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
    }
}
