//! Reading parameter values the AWS CLI way: `file://` for any value, JSON
//! when it starts with `{` or `[`, shorthand otherwise, and
//! `--cli-input-json`/`--cli-input-yaml` with command-line values on top.
use serde_json::{Map, Value};

use super::{
    exit::CliError,
    paramfile::read_param_file,
    schema::{self, Shape},
    shorthand, untouched,
};

fn param_error(flag: &str, message: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("Error parsing parameter '{flag}': {message}"))
}

/// The value itself, or the file it names.
fn load(flag: &str, raw: &str) -> Result<String, CliError> {
    Ok(read_param_file(raw)
        .map_err(|e| param_error(flag, e))?
        .unwrap_or_else(|| raw.to_string()))
}

fn json(flag: &str, text: &str) -> Result<Value, CliError> {
    serde_json::from_str(text)
        .map_err(|e| param_error(flag, format!("Invalid JSON: {e}\nJSON received: {text}")))
}

fn looks_like_json(text: &str, open: char) -> bool {
    text.trim_start().starts_with(open)
}

/// One flag's value (`--target`, `--notes`, `--max-renewals`) for a parameter
/// of `shape`.
pub fn parse_value(flag: &str, raw: &str, shape: &Shape) -> Result<Value, CliError> {
    let text = load(flag, raw)?;
    match shape {
        // A timestamp stays text, as the AWS CLI passes it: the schema
        // reads it (`timestamp::parse`) and names it if it is no moment.
        Shape::String { .. } | Shape::Timestamp { .. } => Ok(Value::String(text)),
        Shape::Structure { .. } if looks_like_json(&text, '{') => json(flag, &text),
        Shape::Structure { .. } => {
            let parsed = shorthand::parse(&text).map_err(|e| param_error(flag, e))?;
            Ok(coerce(parsed, shape))
        }
        Shape::List { .. } => parse_list(flag, &[raw.to_string()], shape),
        Shape::Boolean { .. } => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(param_error(
                flag,
                format!("expected true or false, got '{text}'"),
            )),
        },
        // As awscli reads an integer parameter: Python's int(), so spaces
        // around it are fine and anything else is an error.
        Shape::Integer { .. } => text.trim().parse::<i64>().map(Value::from).map_err(|_| {
            param_error(
                flag,
                format!("invalid literal for int() with base 10: '{text}'"),
            )
        }),
    }
}

/// A list flag's values, one per argv item (`--tags Key=a,Value=b Key=c,Value=`),
/// or one JSON list.
pub fn parse_list(flag: &str, raw: &[String], shape: &Shape) -> Result<Value, CliError> {
    let Shape::List { member, .. } = shape else {
        unreachable!("parse_list is called for list shapes")
    };
    let items: Vec<String> = raw
        .iter()
        .map(|r| load(flag, r))
        .collect::<Result<_, _>>()?;
    if let [only] = items.as_slice() {
        if looks_like_json(only, '[') {
            return json(flag, only);
        }
    }
    let values = items
        .iter()
        .map(|item| match member {
            Shape::Structure { .. } if looks_like_json(item, '{') => json(flag, item),
            Shape::Structure { .. } => shorthand::parse(item)
                .map(|v| coerce(v, member))
                .map_err(|e| param_error(flag, e)),
            _ => parse_value(flag, item, member),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Array(values))
}

/// What awscli's `BackCompatVisitor` does after shorthand: a single value
/// where a list belongs becomes a one-item list.
fn coerce(value: Value, shape: &Shape) -> Value {
    match (shape, value) {
        (Shape::Structure { members, .. }, Value::Object(map)) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match members.iter().find(|m| m.name == k) {
                        Some(m) => coerce(v, m.shape),
                        None => v,
                    };
                    (k, v)
                })
                .collect(),
        ),
        (Shape::List { member, .. }, Value::Array(items)) => {
            Value::Array(items.into_iter().map(|v| coerce(v, member)).collect())
        }
        (Shape::List { member, .. }, single) => Value::Array(vec![coerce(single, member)]),
        (_, v) => v,
    }
}

/// The parameters of one command: `--cli-input-json`/`-yaml` first, less
/// the skeleton's placeholders left untouched, then each command-line value
/// on top, checked against the command's shape.
pub struct Input {
    map: Map<String, Value>,
    shape: &'static Shape,
}

impl Input {
    pub fn new(
        shape: &'static Shape,
        cli_json: Option<&str>,
        cli_yaml: Option<&str>,
    ) -> Result<Self, CliError> {
        let base = match (cli_json, cli_yaml) {
            (Some(_), Some(_)) => {
                return Err(CliError::Usage(
                    "Only one of --cli-input-json and --cli-input-yaml may be given".into(),
                ))
            }
            (Some(raw), None) => {
                let text = load("--cli-input-json", raw)?;
                json("--cli-input-json", &text)?
            }
            (None, Some(raw)) => {
                let text = load("--cli-input-yaml", raw)?;
                serde_norway::from_str::<Value>(&text)
                    .map_err(|e| param_error("--cli-input-yaml", format!("Invalid YAML: {e}")))?
            }
            (None, None) => Value::Object(Map::new()),
        };
        match base {
            Value::Object(mut map) => {
                untouched::remove(&mut map, shape);
                Ok(Self { map, shape })
            }
            Value::Null => Ok(Self {
                map: Map::new(),
                shape,
            }),
            _ => Err(CliError::Usage(
                "Invalid --cli-input-json/--cli-input-yaml: it must be an object \
                 (see --generate-cli-skeleton)"
                    .into(),
            )),
        }
    }

    /// A value given on the command line, which wins over the input file.
    pub fn set(&mut self, member: &str, value: Value) {
        self.map.insert(member.to_string(), value);
    }

    /// Parses `raw` as the member's shape and sets it.
    pub fn set_flag(&mut self, member: &str, flag: &str, raw: &str) -> Result<(), CliError> {
        let v = parse_value(flag, raw, self.member_shape(member))?;
        self.set(member, v);
        Ok(())
    }

    pub fn set_list_flag(
        &mut self,
        member: &str,
        flag: &str,
        raw: &[String],
    ) -> Result<(), CliError> {
        let v = parse_list(flag, raw, self.member_shape(member))?;
        self.set(member, v);
        Ok(())
    }

    /// A member of a structure member (`Onboarding.AcceptRole`) given on
    /// the command line: it wins over the same member in the input file,
    /// whose other members stay.
    pub fn set_in(&mut self, member: &str, inner: &str, value: Value) {
        let outer = self
            .map
            .entry(member)
            .or_insert_with(|| Value::Object(Map::new()));
        if !outer.is_object() {
            *outer = Value::Object(Map::new());
        }
        if let Value::Object(m) = outer {
            m.insert(inner.to_string(), value);
        }
    }

    /// Parses `raw` as the shape of `member.inner` and sets it.
    pub fn set_in_flag(
        &mut self,
        member: &str,
        inner: &str,
        flag: &str,
        raw: &str,
    ) -> Result<(), CliError> {
        let shape = member_of(member_of(self.shape, member), inner);
        let v = parse_value(flag, raw, shape)?;
        self.set_in(member, inner, v);
        Ok(())
    }

    fn member_shape(&self, member: &str) -> &'static Shape {
        member_of(self.shape, member)
    }

    /// The parameters, once they fit the shape; typed by `T`'s serde
    /// (PascalCase names).
    pub fn finish<T: serde::de::DeserializeOwned>(self) -> Result<T, CliError> {
        let value = Value::Object(self.map);
        let problems = schema::validate(&value, self.shape);
        if !problems.is_empty() {
            return Err(CliError::Usage(format!(
                "Parameter validation failed:\n{}",
                problems.join("\n")
            )));
        }
        serde_json::from_value(value)
            .map_err(|e| CliError::Usage(format!("Parameter validation failed:\n{e}")))
    }
}

/// The shape of a structure's member.
fn member_of(shape: &'static Shape, member: &str) -> &'static Shape {
    match shape {
        Shape::Structure { members, .. } => members
            .iter()
            .find(|m| m.name == member)
            .map(|m| m.shape)
            .expect("flags name members of their command's shape"),
        _ => unreachable!("flags name members of structures"),
    }
}

pub mod targets;

#[cfg(test)]
mod tests;
