//! Tags to attach to the invited account, validated as the AWS model does.
use std::{collections::HashSet, sync::LazyLock};

use regex::Regex;

use super::{FieldViolation, Violations};

pub const MAX_TAGS: usize = 50;
const KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=128;
const MAX_VALUE_CHARS: usize = 256;

static ALLOWED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$").expect("valid regex"));

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    /// Key 1 to 128 and value 0 to 256 characters, both of the AWS character class.
    pub fn parse(key: &str, value: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut bad = Vec::new();
        let key_len = key.chars().count();
        if !KEY_CHARS.contains(&key_len) {
            bad.push(FieldViolation::new(
                "key",
                format!("a tag key must be 1 to 128 characters, got {key_len}"),
            ));
        } else if !ALLOWED.is_match(key) {
            bad.push(FieldViolation::new(
                "key",
                "a tag key may hold only letters, digits, spaces and _ . : / = + - @",
            ));
        }
        let value_len = value.chars().count();
        if value_len > MAX_VALUE_CHARS {
            bad.push(FieldViolation::new(
                "value",
                format!("a tag value must be at most 256 characters, got {value_len}"),
            ));
        } else if !ALLOWED.is_match(value) {
            bad.push(FieldViolation::new(
                "value",
                "a tag value may hold only letters, digits, spaces and _ . : / = + - @",
            ));
        }
        if bad.is_empty() {
            Ok(Self {
                key: key.to_string(),
                value: value.to_string(),
            })
        } else {
            Err(bad)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// At most 50 tags, each valid, no key twice. Violations name the field
    /// (`tags[3].key`), so every bad tag is reported at once.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Violations> {
        let mut violations = Violations::default();
        let mut tags = Vec::new();
        let mut seen = HashSet::new();
        let mut count = 0;
        for (i, (key, value)) in pairs.into_iter().enumerate() {
            count += 1;
            match Tag::parse(key, value) {
                Ok(tag) => {
                    if !seen.insert(tag.key.clone()) {
                        violations.push(FieldViolation::new(
                            format!("tags[{i}].key"),
                            "duplicate tag key (DUPLICATE_TAG_KEY)",
                        ));
                    }
                    tags.push(tag);
                }
                Err(bad) => {
                    for v in bad {
                        violations.push(v.under(&format!("tags[{i}]")));
                    }
                }
            }
        }
        if count > MAX_TAGS {
            violations.push(FieldViolation::new(
                "tags",
                format!("at most {MAX_TAGS} tags are allowed, got {count}"),
            ));
        }
        if violations.is_empty() {
            Ok(Self(tags))
        } else {
            Err(violations)
        }
    }

    /// Tags read back from Postgres: validated when they were written, and
    /// not again (a later release may allow what this one would refuse).
    pub fn from_stored(tags: Vec<Tag>) -> Self {
        Self(tags)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: Violations) -> Vec<String> {
        err.0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn keys_and_values_of_the_aws_character_class_are_accepted() {
        let tags =
            Tags::parse([("team", "Platform Ops"), ("cost:center", "a/b=c+d-e@f_g.h")]).unwrap();
        assert_eq!(tags.iter().count(), 2);
        assert!(
            Tags::parse([("ключ", "値 ٣")]).is_ok(),
            "unicode letters and numbers"
        );
    }

    #[test]
    fn an_empty_value_is_allowed_but_an_empty_key_is_not() {
        assert!(Tags::parse([("k", "")]).is_ok());
        assert_eq!(
            fields(Tags::parse([("", "v")]).unwrap_err()),
            ["tags[0].key"]
        );
    }

    #[test]
    fn lengths_are_limited() {
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        assert!(Tags::parse([("k".repeat(128).as_str(), "v".repeat(256).as_str())]).is_ok());
        assert_eq!(
            fields(Tags::parse([(long_key.as_str(), long_value.as_str())]).unwrap_err()),
            ["tags[0].key", "tags[0].value"]
        );
    }

    #[test]
    fn characters_outside_the_class_are_rejected() {
        assert_eq!(
            fields(
                Tags::parse([("ok", "fine"), ("bad*key", "v"), ("k", "semi;colon")]).unwrap_err()
            ),
            ["tags[1].key", "tags[2].value"]
        );
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert_eq!(
            fields(Tags::parse([("a", "1"), ("b", "2"), ("a", "3")]).unwrap_err()),
            ["tags[2].key"]
        );
    }

    #[test]
    fn at_most_fifty_tags() {
        let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        assert!(Tags::parse(keys[..50].iter().map(|k| (k.as_str(), ""))).is_ok());
        assert_eq!(
            fields(Tags::parse(keys.iter().map(|k| (k.as_str(), ""))).unwrap_err()),
            ["tags"]
        );
    }
}
