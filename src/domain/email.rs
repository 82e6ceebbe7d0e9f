//! The email address of an account owner, as an EMAIL invitation target.
use std::sync::LazyLock;

use regex::Regex;

use super::FieldViolation;

static SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^\s@]+@[^\s@]+\.[^\s@]+$").expect("valid regex"));

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses the AWS model's shape `[^\s@]+@[^\s@]+\.[^\s@]+`, 6 to 64 characters.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let len = s.chars().count();
        if !(6..=64).contains(&len) {
            return Err(FieldViolation::new(
                "id",
                format!("an EMAIL target must be 6 to 64 characters, got {len}"),
            ));
        }
        if !SHAPE.is_match(s) {
            return Err(FieldViolation::new(
                "id",
                "an EMAIL target must look like name@domain.tld, with no spaces",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_cli_examples_are_valid() {
        for ok in ["juan@example.com", "diego@example.com", "a@b.co"] {
            assert_eq!(EmailAddress::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn length_is_checked_in_characters() {
        assert!(EmailAddress::parse("a@b.c").is_err(), "5 chars");
        let sixty_four = format!("{}@example.com", "a".repeat(52));
        assert_eq!(sixty_four.len(), 64);
        assert!(EmailAddress::parse(&sixty_four).is_ok());
        let sixty_five = format!("{}@example.com", "a".repeat(53));
        assert!(EmailAddress::parse(&sixty_five).is_err());
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "juanexample.com",
            "juan@example",
            "ju an@example.com",
            "juan@@example.com",
            "@example.com",
            "juan@.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
