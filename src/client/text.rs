//! `--output text`: awscli's text formatter, ported. Scalars of an object go
//! on one tab-separated line (keys sorted), nested lists and objects follow
//! under their upper-cased key, so `--query Handshake.Id` prints just the id.
use serde_json::{Map, Value};

pub fn render(value: &Value) -> String {
    let mut out = String::new();
    format(value, &mut out, None, None);
    out
}

/// A scalar as Python's `str()` writes it, which is what awscli prints.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn format(item: &Value, out: &mut String, identifier: Option<&str>, keys: Option<&[String]>) {
    match item {
        Value::Object(map) => format_dict(map, out, identifier, keys),
        Value::Array(items) => format_list(items, out, identifier),
        scalar => {
            out.push_str(&py_str(scalar));
            out.push('\n');
        }
    }
}

fn format_list(items: &[Value], out: &mut String, identifier: Option<&str>) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(Value::is_object) {
        let keys = all_scalar_keys(items);
        for item in items {
            format(item, out, identifier, Some(&keys));
        }
    } else if items.iter().any(Value::is_array) {
        let scalars: Vec<&Value> = items.iter().filter(|v| is_scalar(v)).collect();
        if !scalars.is_empty() {
            format_scalars(&scalars, out, identifier);
        }
        for nested in items.iter().filter(|v| !is_scalar(v)) {
            format(nested, out, identifier, None);
        }
    } else {
        format_scalars(&items.iter().collect::<Vec<_>>(), out, identifier);
    }
}

fn format_scalars(items: &[&Value], out: &mut String, identifier: Option<&str>) {
    match identifier {
        Some(id) => {
            for item in items {
                out.push_str(&format!("{}\t{}\n", id.to_uppercase(), py_str(item)));
            }
        }
        None => {
            let line: Vec<String> = items.iter().map(|v| py_str(v)).collect();
            out.push_str(&line.join("\t"));
            out.push('\n');
        }
    }
}

fn format_dict(
    map: &Map<String, Value>,
    out: &mut String,
    identifier: Option<&str>,
    keys: Option<&[String]>,
) {
    let mut sorted: Vec<(&String, &Value)> = map.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let (mut scalars, nested): (Vec<String>, Vec<(&String, &Value)>) = match keys {
        None => (
            sorted
                .iter()
                .filter(|(_, v)| is_scalar(v))
                .map(|(_, v)| py_str(v))
                .collect(),
            sorted.into_iter().filter(|(_, v)| !is_scalar(v)).collect(),
        ),
        Some(keys) => (
            keys.iter()
                .map(|k| map.get(k).map(py_str).unwrap_or_default())
                .collect(),
            sorted
                .into_iter()
                .filter(|(k, _)| !keys.contains(k))
                .collect(),
        ),
    };
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (key, value) in nested {
        format(value, out, Some(key), None);
    }
}

fn all_scalar_keys(items: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|m| {
            m.iter()
                .filter(|(_, v)| is_scalar(v))
                .map(|(k, _)| k.clone())
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
