//! A 12-digit AWS account id.
use super::FieldViolation;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// Parses `^\d{12}$`, the AWS model's pattern for an ACCOUNT target.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "id",
                "an ACCOUNT target id must be exactly 12 digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_are_an_account_id() {
        assert_eq!(
            AccountId::parse("123456789012").unwrap().as_str(),
            "123456789012"
        );
    }

    #[test]
    fn anything_else_is_rejected() {
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            " 123456789012",
            "١٢٣٤٥٦٧٨٩٠١٢",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
