//! The notes sent with an invitation. Sensitive: no Debug or Display shows them.
use super::FieldViolation;

pub const MAX_NOTES_CHARS: usize = 1024;

/// Stored in Postgres (event snapshots), never shown in logs.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Notes(String);

impl Notes {
    /// At most 1024 characters, as the AWS model allows.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let len = s.chars().count();
        if len > MAX_NOTES_CHARS {
            return Err(FieldViolation::new(
                "notes",
                format!("notes must be at most {MAX_NOTES_CHARS} characters, got {len}"),
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Notes(<{} chars redacted>)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_1024_characters_are_accepted() {
        assert!(Notes::parse("").unwrap().is_empty());
        assert!(
            Notes::parse(&"é".repeat(1024)).is_ok(),
            "counts characters, not bytes"
        );
        assert!(Notes::parse(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn debug_output_never_shows_the_text() {
        let notes = Notes::parse("secret plans").unwrap();
        let shown = format!("{notes:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
