//! An AWS handshake id.
use super::FieldViolation;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HandshakeId(String);

impl HandshakeId {
    /// Parses `^h-[0-9a-z]{8,32}$`, the AWS model's pattern.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let ok = s
            .strip_prefix("h-")
            .map(|rest| {
                (8..=32).contains(&rest.len())
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            })
            .unwrap_or(false);
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "id",
                "a handshake id is h- followed by 8 to 32 lowercase letters or digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HandshakeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_8_to_32_lowercase_alphanumerics_are_valid() {
        for ok in [
            "h-examplehandshakeid111",
            "h-12345678",
            &format!("h-{}", "a".repeat(32)),
        ] {
            assert_eq!(HandshakeId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn other_shapes_are_rejected() {
        for bad in [
            "",
            "h-",
            "h-1234567",
            &format!("h-{}", "a".repeat(33)),
            "h-ABCDEFGH",
            "x-12345678",
            "h-1234 5678",
            "h_12345678",
        ] {
            assert!(HandshakeId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
