//! `campaign create --targets-file`: the accounts to invite, as CSV (a
//! header `Id,Type`, optional `Notes` and `Tags` as `k=v;k2=v2`) or as a
//! JSON or YAML list of `{Id, Type, Notes, Tags}` (Tags as the AWS list
//! `[{"Key", "Value"}]` or the CSV string), read into the `Targets` member
//! of CreateCampaign's input. A file that does not read cleanly is an error
//! naming its line (CSV) or item (JSON, YAML) and field, before anything is
//! sent. Duplicates are left to the service, which names them.
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::client::{exit::CliError, schema::PARTY_TYPES};

/// Where in the file a problem is: `line 4` of a CSV, `item 2` of a list.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    at: String,
    field: Option<&'static str>,
    message: String,
}

impl Problem {
    fn new(at: impl Into<String>, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "{}, {field}: {}", self.at, self.message),
            None => write!(f, "{}: {}", self.at, self.message),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Yaml,
}

/// The file named by `--targets-file` (a path, or `file://path`) as the
/// `Targets` list: `[{"Id", "Type", "Notes"?, "Tags"?: [{"Key", "Value"}]}]`.
pub fn read(flag_value: &str) -> Result<Value, CliError> {
    let path = flag_value.strip_prefix("file://").unwrap_or(flag_value);
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("Cannot read --targets-file {path}: {e}")))?;
    parse(&text, format_of(Path::new(path), &text))
        .map_err(|p| CliError::Usage(format!("Bad --targets-file {path}: {p}; nothing was sent")))
}

/// By extension, else by the content: `[` or `{` is JSON, a `- ` item or
/// `---` YAML, anything else CSV.
pub fn format_of(path: &Path, text: &str) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => return Format::Csv,
        Some("json") => return Format::Json,
        Some("yaml" | "yml") => return Format::Yaml,
        _ => {}
    }
    let first = strip_bom(text)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if first.starts_with(['[', '{']) {
        Format::Json
    } else if first == "---" || first == "-" || first.starts_with("- ") {
        Format::Yaml
    } else {
        Format::Csv
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

pub fn parse(text: &str, format: Format) -> Result<Value, Problem> {
    let text = strip_bom(text);
    let targets = match format {
        Format::Csv => csv_targets(text)?,
        Format::Json => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| Problem::new("the file", None, format!("invalid JSON: {e}")))?;
            list_targets(v)?
        }
        Format::Yaml => {
            let v: Value = serde_norway::from_str(text)
                .map_err(|e| Problem::new("the file", None, format!("invalid YAML: {e}")))?;
            list_targets(v)?
        }
    };
    if targets.is_empty() {
        return Err(Problem::new("the file", None, "it lists no targets"));
    }
    Ok(Value::Array(targets))
}

const COLUMNS: [&str; 4] = ["Id", "Type", "Notes", "Tags"];

/// The column a header (any case) names.
fn column(name: &str) -> Option<&'static str> {
    COLUMNS
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(name.trim()))
}

fn csv_targets(text: &str) -> Result<Vec<Value>, Problem> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Problem::new("line 1", None, e.to_string()))?
        .clone();
    let mut columns = Vec::new();
    for h in headers.iter() {
        let c = column(h).ok_or_else(|| {
            Problem::new(
                "line 1",
                None,
                format!("unknown column {h:?}; the columns are Id, Type, Notes, Tags"),
            )
        })?;
        if columns.contains(&c) {
            return Err(Problem::new("line 1", None, format!("{c} is there twice")));
        }
        columns.push(c);
    }
    if !(columns.contains(&"Id") && columns.contains(&"Type")) {
        return Err(Problem::new(
            "line 1",
            None,
            "the header must name the columns Id and Type (and Notes, Tags if wanted)",
        ));
    }
    let mut targets = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} fields where the header has {expected_len}"),
                _ => e.to_string(),
            };
            Problem::new(format!("line {line}"), None, message)
        })?;
        let at = format!("line {}", record.position().map_or(0, |p| p.line()));
        let mut item = Map::new();
        for (c, v) in columns.iter().zip(record.iter()) {
            item.insert((*c).into(), Value::String(v.to_string()));
        }
        targets.push(target(&at, item)?);
    }
    Ok(targets)
}

/// A JSON or YAML list of targets.
fn list_targets(v: Value) -> Result<Vec<Value>, Problem> {
    let Value::Array(items) = v else {
        return Err(Problem::new(
            "the file",
            None,
            "expected a list of {Id, Type, Notes, Tags}",
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("item {}", i + 1);
            let Value::Object(map) = item else {
                return Err(Problem::new(at, None, "expected {Id, Type, Notes, Tags}"));
            };
            let mut named = Map::new();
            for (k, v) in map {
                let c = column(&k).ok_or_else(|| {
                    Problem::new(
                        at.clone(),
                        None,
                        format!("unknown member {k:?}; the members are Id, Type, Notes, Tags"),
                    )
                })?;
                named.insert(c.into(), v);
            }
            target(&at, named)
        })
        .collect()
}

/// One target, checked, in the input's shape.
fn target(at: &str, mut item: Map<String, Value>) -> Result<Value, Problem> {
    let problem = |field, message: String| Problem::new(at, Some(field), message);
    let id = match item.remove("Id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        // YAML reads 123456789012 as a number; one of 12 digits is an id,
        // anything else lost its leading zeros or was never one.
        Some(Value::Number(n)) if n.is_u64() && n.to_string().len() == 12 => n.to_string(),
        Some(Value::Number(n)) => {
            return Err(problem("Id", format!("{n} is a number; quote account ids")))
        }
        None | Some(Value::Null) => return Err(problem("Id", "missing".into())),
        Some(Value::String(_)) => return Err(problem("Id", "empty".into())),
        Some(other) => return Err(problem("Id", format!("{other} is not a string"))),
    };
    let party_type = match item.remove("Type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_ascii_uppercase(),
        None | Some(Value::Null) => return Err(problem("Type", "missing".into())),
        Some(Value::String(_)) => return Err(problem("Type", "empty".into())),
        Some(other) => return Err(problem("Type", format!("{other} is not a string"))),
    };
    if !PARTY_TYPES.contains(&party_type.as_str()) {
        return Err(problem(
            "Type",
            format!("{party_type:?} is not one of {}", PARTY_TYPES.join(", ")),
        ));
    }
    let mut out = Map::new();
    out.insert("Id".into(), json!(id));
    out.insert("Type".into(), json!(party_type));
    match item.remove("Notes") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => {
            out.insert("Notes".into(), json!(s));
        }
        Some(other) => return Err(problem("Notes", format!("{other} is not a string"))),
    }
    let tags = match item.remove("Tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => tags_string(&s).map_err(|m| problem("Tags", m))?,
        Some(Value::Array(list)) => tags_list(list).map_err(|m| problem("Tags", m))?,
        Some(other) => {
            return Err(problem(
                "Tags",
                format!("{other} is neither k=v;k2=v2 nor [{{\"Key\", \"Value\"}}]"),
            ))
        }
    };
    if !tags.is_empty() {
        out.insert("Tags".into(), Value::Array(tags));
    }
    Ok(Value::Object(out))
}

/// `team=core;env=` → `[{"Key": "team", "Value": "core"}, {"Key": "env",
/// "Value": ""}]`; empty pieces (a trailing `;`) are skipped.
fn tags_string(s: &str) -> Result<Vec<Value>, String> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok(json!({"Key": k.trim(), "Value": v.trim()})),
            _ => Err(format!("{pair:?} is not key=value")),
        })
        .collect()
}

/// `[{"Key": "team", "Value": "core"}]`, each Key a non-empty string and
/// each Value a string (possibly empty).
fn tags_list(list: Vec<Value>) -> Result<Vec<Value>, String> {
    list.into_iter()
        .enumerate()
        .map(|(i, t)| {
            let bad = || {
                format!(
                    "tag {} is not {{\"Key\": \"...\", \"Value\": \"...\"}}",
                    i + 1
                )
            };
            let Value::Object(m) = t else {
                return Err(bad());
            };
            match (m.get("Key"), m.get("Value"), m.len()) {
                (Some(Value::String(k)), Some(Value::String(v)), 2) if !k.is_empty() => {
                    Ok(json!({"Key": k, "Value": v}))
                }
                _ => Err(bad()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
