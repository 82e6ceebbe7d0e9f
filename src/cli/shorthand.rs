//! The AWS CLI's shorthand syntax (`Id=123456789012,Type=ACCOUNT`), parsed
//! the way awscli's `ShorthandParser` does, into a JSON value.
//!
//! Like awscli, this works on syntax alone: `a=b,c` is `{"a": ["b", "c"]}`,
//! quotes and `\,` escape commas, `[..]` and `{..}` nest, and `key@=file://p`
//! reads a value from a file. Shapes (what a member should be) are checked
//! afterwards, in `schema`.
use serde_json::{Map, Value};

use super::input::read_param_file;

/// A shorthand string that does not parse, with where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShorthandError {
    message: String,
}

pub fn parse(input: &str) -> Result<Value, ShorthandError> {
    let mut p = Parser {
        s: input.chars().collect(),
        i: 0,
        paramfile: false,
    };
    p.parameter()
}

struct Parser {
    s: Vec<char>,
    i: usize,
    /// Set by `key@=`: the value may be `file://...`.
    paramfile: bool,
}

/// A character a bare value may start with (awscli's `_START_WORD`): not
/// whitespace, a quote, `,`, `=`, `[` or `{`.
fn start_char(c: char) -> bool {
    matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='<' | '>'..='Z' | '\\'..='z' | '|'..)
}

/// What may follow in the first value after `=` (`_FIRST_FOLLOW_CHARS`):
/// `=` is allowed, `,` `]` `}` and quotes are not.
fn first_follow(c: char) -> bool {
    c.is_whitespace() || matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='\\' | '^'..='|' | '~'..)
}

/// What may follow in later comma-separated values (`_SECOND_FOLLOW_CHARS`):
/// no `=`, so `a=b,c=d` is two keys, not a list.
fn second_follow(c: char) -> bool {
    c.is_whitespace() || matches!(c, '!' | '#'..='&' | '('..='+' | '-'..='<' | '>'..)
}

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.#/:".contains(c)
}

impl Parser {
    fn parameter(&mut self) -> Result<Value, ShorthandError> {
        let mut params = Map::new();
        let (key, val) = self.keyval()?;
        params.insert(key, val);
        let mut last = self.i;
        while self.i < self.s.len() {
            self.expect(',', true)?;
            let (key, val) = self.keyval()?;
            if params.contains_key(&key) {
                return Err(self.error_at(
                    format!("Second instance of key \"{key}\" encountered for input:"),
                    last + 1,
                    "\nThis is often because there is a preceding \",\" instead of a space.",
                ));
            }
            params.insert(key, val);
            last = self.i;
        }
        Ok(Value::Object(params))
    }

    fn keyval(&mut self) -> Result<(String, Value), ShorthandError> {
        let key = self.key();
        self.paramfile = self.try_expect('@');
        self.expect('=', true)?;
        let values = self.values()?;
        Ok((key, values))
    }

    fn key(&mut self) -> String {
        let start = self.i;
        while self.current().is_some_and(key_char) {
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }

    fn values(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            None => Ok(Value::String(String::new())),
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            Some(_) => self.csv_value(),
        }
    }

    fn csv_value(&mut self) -> Result<Value, ShorthandError> {
        let first = self.first_value()?;
        self.consume_whitespace();
        if self.current() != Some(',') {
            return Ok(first);
        }
        self.expect(',', true)?;
        let mut list = vec![first.clone()];
        loop {
            let attempt = (|| {
                let v = self.second_value()?;
                self.consume_whitespace();
                if self.at_eof() {
                    return Ok((v, true));
                }
                self.expect(',', true)?;
                Ok((v, false))
            })();
            match attempt {
                Ok((v, done)) => {
                    list.push(v);
                    if done {
                        break;
                    }
                }
                Err(e) if self.at_eof() => return Err(e),
                Err(_) => {
                    // `a=b,c=d`: `c` was a key, not a list item. Back up to
                    // the comma before it and let `parameter` go on.
                    self.backtrack_to(',');
                    break;
                }
            }
        }
        Ok(if list.len() == 1 {
            first
        } else {
            Value::Array(list)
        })
    }

    fn explicit_list(&mut self) -> Result<Value, ShorthandError> {
        self.expect('[', true)?;
        let mut values = Vec::new();
        while self.current() != Some(']') {
            if self.at_eof() {
                return Err(self.syntax_error("]"));
            }
            values.push(self.explicit_value()?);
            self.consume_whitespace();
            if self.current() != Some(']') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
        }
        self.expect(']', false)?;
        Ok(Value::Array(values))
    }

    fn explicit_value(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some('[') => self.explicit_list(),
            Some('{') => self.hash_literal(),
            _ => self.first_value(),
        }
    }

    fn hash_literal(&mut self) -> Result<Value, ShorthandError> {
        self.expect('{', true)?;
        let mut map = Map::new();
        while self.current() != Some('}') {
            if self.at_eof() {
                return Err(self.syntax_error("}"));
            }
            let key = self.key();
            self.paramfile = self.try_expect('@');
            self.expect('=', true)?;
            let v = self.explicit_value()?;
            self.consume_whitespace();
            if self.current() != Some('}') {
                self.expect(',', false)?;
                self.consume_whitespace();
            }
            map.insert(key, v);
        }
        self.expect('}', false)?;
        Ok(Value::Object(map))
    }

    fn first_value(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some(q @ ('\'' | '"')) => self.quoted(q),
            _ => {
                let raw = self.bare(first_follow).unwrap_or_default();
                self.finish(unescape_commas(&raw).trim_end().to_string())
            }
        }
    }

    fn second_value(&mut self) -> Result<Value, ShorthandError> {
        match self.current() {
            Some(q @ ('\'' | '"')) => self.quoted(q),
            _ => match self.bare(second_follow) {
                Some(raw) => self.finish(unescape_commas(&raw).trim_end().to_string()),
                None => Err(self.syntax_error("<second>")),
            },
        }
    }

    /// A bare word: a start character (or `\,`), then follow characters.
    fn bare(&mut self, follow: fn(char) -> bool) -> Option<String> {
        let start = self.i;
        let mut first = true;
        while let Some(c) = self.current() {
            if c == '\\' && self.s.get(self.i + 1) == Some(&',') {
                self.i += 2;
            } else if (first && start_char(c)) || (!first && follow(c)) {
                self.i += 1;
            } else {
                break;
            }
            first = false;
        }
        (self.i > start).then(|| self.s[start..self.i].iter().collect())
    }

    fn quoted(&mut self, quote: char) -> Result<Value, ShorthandError> {
        let start = self.i;
        let mut j = self.i + 1;
        loop {
            match self.s.get(j) {
                None => {
                    let expected = if quote == '"' {
                        "<double quoted>"
                    } else {
                        "<singled quoted>"
                    };
                    return Err(self.syntax_error_found(expected, "<none>", start));
                }
                Some('\\') if self.s.get(j + 1) == Some(&quote) => j += 2,
                Some(&c) if c == quote => break,
                Some(_) => j += 1,
            }
        }
        let inner: String = self.s[start + 1..j].iter().collect();
        self.i = j + 1;
        let value = inner
            .replace(&format!("\\{quote}"), &quote.to_string())
            .replace("\\\\", "\\");
        self.finish(value)
    }

    /// `key@=file://path` reads the value from the file.
    fn finish(&self, value: String) -> Result<Value, ShorthandError> {
        if self.paramfile {
            if let Some(contents) =
                read_param_file(&value).map_err(|message| ShorthandError { message })?
            {
                return Ok(Value::String(contents));
            }
        }
        Ok(Value::String(value))
    }

    fn try_expect(&mut self, c: char) -> bool {
        let save = self.i;
        self.consume_whitespace();
        if self.current() == Some(c) {
            self.i += 1;
            self.consume_whitespace();
            true
        } else {
            self.i = save;
            false
        }
    }

    fn expect(&mut self, c: char, whitespace: bool) -> Result<(), ShorthandError> {
        if whitespace {
            self.consume_whitespace();
        }
        match self.current() {
            Some(actual) if actual == c => {
                self.i += 1;
                if whitespace {
                    self.consume_whitespace();
                }
                Ok(())
            }
            _ => Err(self.syntax_error(&c.to_string())),
        }
    }

    fn syntax_error(&self, expected: &str) -> ShorthandError {
        let actual = self
            .current()
            .map_or_else(|| "EOF".to_string(), |c| c.to_string());
        self.syntax_error_found(expected, &actual, self.i)
    }

    fn syntax_error_found(&self, expected: &str, actual: &str, at: usize) -> ShorthandError {
        self.error_at(
            format!("Expected: '{expected}', received: '{actual}' for input:"),
            at,
            "",
        )
    }

    /// The message, the input, and a caret under `index` (awscli's layout).
    fn error_at(&self, head: String, index: usize, tail: &str) -> ShorthandError {
        let before: String = self.s[..index.min(self.s.len())].iter().collect();
        let after: String = self.s[index.min(self.s.len())..].iter().collect();
        let column = match before.rfind('\n') {
            Some(nl) => before[nl + 1..].chars().count(),
            None => before.chars().count(),
        };
        let (consumed, remaining) = match after.find('\n') {
            Some(nl) => (format!("{before}{}", &after[..nl]), after[nl..].to_string()),
            None => (format!("{before}{after}"), String::new()),
        };
        let caret = format!("{}^", " ".repeat(column));
        ShorthandError {
            message: format!("{head}\n{consumed}\n{caret}{remaining}{tail}"),
        }
    }

    fn current(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn at_eof(&self) -> bool {
        self.i >= self.s.len()
    }

    fn backtrack_to(&mut self, c: char) {
        while self.i > 0 && self.s.get(self.i) != Some(&c) {
            self.i -= 1;
        }
    }

    fn consume_whitespace(&mut self) {
        while self.current().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }
}

fn unescape_commas(s: &str) -> String {
    s.replace("\\,", ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(s: &str) -> Value {
        parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn the_pages_account_target_parses_into_id_and_type() {
        assert_eq!(
            ok("Id=123456789012,Type=ACCOUNT"),
            json!({"Id": "123456789012", "Type": "ACCOUNT"})
        );
    }

    #[test]
    fn the_pages_email_target_keeps_the_at_sign_and_dots() {
        assert_eq!(
            ok("Id=diego@example.com,Type=EMAIL"),
            json!({"Id": "diego@example.com", "Type": "EMAIL"})
        );
    }

    #[test]
    fn an_empty_value_at_the_end_is_an_empty_string() {
        assert_eq!(ok("Key=c,Value="), json!({"Key": "c", "Value": ""}));
    }

    #[test]
    fn an_empty_value_in_the_middle_is_an_empty_string() {
        assert_eq!(ok("Value=,Key=c"), json!({"Value": "", "Key": "c"}));
    }

    #[test]
    fn a_value_may_contain_equals_signs_and_spaces() {
        assert_eq!(
            ok("Key=a,Value=x=y z"),
            json!({"Key": "a", "Value": "x=y z"})
        );
    }

    #[test]
    fn a_comma_without_a_following_key_makes_a_list() {
        assert_eq!(ok("a=b,c"), json!({"a": ["b", "c"]}));
        assert_eq!(ok("a=b,c,d=e"), json!({"a": ["b", "c"], "d": "e"}));
    }

    #[test]
    fn escaped_and_quoted_commas_stay_in_the_value() {
        assert_eq!(ok(r"Value=a\,b"), json!({"Value": "a,b"}));
        assert_eq!(ok("Value=\"a,b\""), json!({"Value": "a,b"}));
        assert_eq!(ok("Value='it\\'s, ok'"), json!({"Value": "it's, ok"}));
    }

    #[test]
    fn whitespace_around_separators_is_ignored() {
        assert_eq!(
            ok("Id = 123456789012 , Type = ACCOUNT"),
            json!({"Id": "123456789012", "Type": "ACCOUNT"})
        );
    }

    #[test]
    fn brackets_and_braces_nest() {
        assert_eq!(
            ok("a=[b,c],d={e=f}"),
            json!({"a": ["b", "c"], "d": {"e": "f"}})
        );
    }

    #[test]
    fn a_repeated_key_is_rejected_with_a_caret_under_it() {
        let e = parse("Id=1,Id=2").unwrap_err().to_string();
        assert_eq!(
            e,
            "Second instance of key \"Id\" encountered for input:\nId=1,Id=2\n     ^\n\
             This is often because there is a preceding \",\" instead of a space."
        );
    }

    #[test]
    fn a_key_without_equals_is_rejected() {
        let e = parse("Id").unwrap_err().to_string();
        assert!(
            e.starts_with("Expected: '=', received: 'EOF' for input:\nId\n  ^"),
            "{e}"
        );
        let e = parse("Id=1,Type=ACCOUNT,").unwrap_err().to_string();
        assert!(e.starts_with("Expected: '<second>'"), "{e}");
        // As in awscli, a trailing word is a list item; the shape check
        // then rejects a list where a string belongs.
        assert_eq!(ok("Id=1,Type"), json!({"Id": ["1", "Type"]}));
    }

    #[test]
    fn an_unterminated_quote_or_bracket_is_rejected() {
        assert!(parse("Id=\"abc").is_err());
        assert!(parse("Id=[a,b").is_err());
        assert!(parse("Id={a=b").is_err());
    }

    #[test]
    fn key_at_equals_reads_a_file() {
        let dir = std::env::temp_dir().join(format!("shorthand-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("id.txt");
        std::fs::write(&path, "123456789012").unwrap();
        let v = ok(&format!("Id@=file://{},Type=ACCOUNT", path.display()));
        assert_eq!(v, json!({"Id": "123456789012", "Type": "ACCOUNT"}));
        // Without `@`, a file:// value is taken literally.
        assert_eq!(ok("Id=file://x"), json!({"Id": "file://x"}));
    }

    /// `testdata/shorthand.tsv`: inputs and what awscli's own parser made of
    /// them (`ERR` where it refused).
    #[test]
    fn every_case_parses_as_awscli_parses_it() {
        for line in include_str!("testdata/shorthand.tsv").lines() {
            let (input, want) = line.split_once('\t').unwrap();
            let input: String = serde_json::from_str(input).unwrap();
            match (parse(&input), want) {
                (Err(_), "ERR") => {}
                (Ok(got), want) if want != "ERR" => {
                    let want: Value = serde_json::from_str(want).unwrap();
                    assert_eq!(got, want, "{input:?}");
                }
                (got, want) => panic!("{input:?}: got {got:?}, awscli: {want}"),
            }
        }
    }
}
