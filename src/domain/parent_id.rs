//! Where an account is placed: a root or an organizational unit.
use std::sync::LazyLock;

use regex::Regex;

use super::FieldViolation;

static ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^r-[0-9a-z]{4,32}$").expect("valid regex"));
static OU: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$").expect("valid regex"));

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParentId(String);

impl ParentId {
    /// A root id (`r-` + 4 to 32 of a-z 0-9) or an OU id
    /// (`ou-` + 4 to 32 + `-` + 8 to 32), the AWS model's patterns.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        if ROOT.is_match(s) || OU.is_match(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "destination_parent_id",
                "must be a root id (r-...) or an organizational unit id (ou-...-...)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.starts_with("r-")
    }
}

impl std::fmt::Display for ParentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_ous_parse() {
        assert!(ParentId::parse("r-37b3").unwrap().is_root());
        let ou = ParentId::parse("ou-37b393545cf6-0e8b96e0").unwrap();
        assert!(!ou.is_root());
        assert_eq!(ou.as_str(), "ou-37b393545cf6-0e8b96e0");
    }

    #[test]
    fn anything_else_is_rejected() {
        for bad in [
            "",
            "r-abc",
            "r-ABCD",
            "ou-abcd",
            "ou-abcd-1234567",
            "ou-abcd-12345678 ",
            "o-abcdefghij",
            "123456789012",
        ] {
            assert!(ParentId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
