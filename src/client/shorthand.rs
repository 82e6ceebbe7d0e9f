//! The AWS CLI's shorthand syntax (`Id=123456789012,Type=ACCOUNT`), parsed
//! the way awscli's `ShorthandParser` does, into a JSON value.
//!
//! Like awscli, this works on syntax alone: `a=b,c` is `{"a": ["b", "c"]}`,
//! quotes and `\,` escape commas, `[..]` and `{..}` nest, and `key@=file://p`
//! reads a value from a file. Shapes (what a member should be) are checked
//! afterwards, in `schema`.
use serde_json::{Map, Value};

use super::paramfile::read_param_file;

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
        while self.item_before(']')? {
            values.push(self.explicit_value()?);
            self.separator_before(']')?;
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
        while self.item_before('}')? {
            let key = self.key();
            self.paramfile = self.try_expect('@');
            self.expect('=', true)?;
            let v = self.explicit_value()?;
            self.separator_before('}')?;
            map.insert(key, v);
        }
        self.expect('}', false)?;
        Ok(Value::Object(map))
    }

    /// Inside `[..]` or `{..}`: whether another item comes before `close`;
    /// the input ending first is an error that names `close`.
    fn item_before(&self, close: char) -> Result<bool, ShorthandError> {
        if self.current() == Some(close) {
            return Ok(false);
        }
        if self.at_eof() {
            return Err(self.syntax_error(&close.to_string()));
        }
        Ok(true)
    }

    /// After an item of `[..]` or `{..}`: a `,`, unless `close` follows.
    fn separator_before(&mut self, close: char) -> Result<(), ShorthandError> {
        self.consume_whitespace();
        if self.current() != Some(close) {
            self.expect(',', false)?;
            self.consume_whitespace();
        }
        Ok(())
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
mod tests;
