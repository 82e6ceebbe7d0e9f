//! `--generate-cli-skeleton yaml-input`: a command's input shape as YAML,
//! each member commented with its help, as the AWS CLI prints it.
use super::{Member, Shape};
use crate::client::timestamp;

/// The skeleton as YAML, each member commented with what it is, as the AWS
/// CLI's `--generate-cli-skeleton yaml-input` does.
pub fn yaml_skeleton(shape: &Shape) -> String {
    let mut out = String::new();
    if let Shape::Structure { members, .. } = shape {
        yaml_members(members, 0, "", &mut out);
    }
    out
}

fn yaml_members(members: &[Member], indent: usize, first_prefix: &str, out: &mut String) {
    for (i, m) in members.iter().enumerate() {
        let pad = if i == 0 {
            first_prefix.to_string()
        } else {
            " ".repeat(indent)
        };
        let comment = comment(m);
        match m.shape {
            Shape::String { values, .. } => {
                let v = values.first().copied().unwrap_or("''");
                out.push_str(&format!("{pad}{}: {v}  # {comment}\n", m.name));
            }
            Shape::Integer { .. } => {
                out.push_str(&format!("{pad}{}: 0  # {comment}\n", m.name));
            }
            Shape::Boolean { .. } => {
                out.push_str(&format!("{pad}{}: false  # {comment}\n", m.name));
            }
            Shape::Timestamp { .. } => {
                let v = timestamp::PLACEHOLDER;
                out.push_str(&format!("{pad}{}: {v}  # {comment}\n", m.name));
            }
            Shape::Structure { members, .. } => {
                out.push_str(&format!("{pad}{}:  # {comment}\n", m.name));
                let inner = " ".repeat(indent + 2);
                yaml_members(members, indent + 2, &inner, out);
            }
            Shape::List { member, .. } => {
                out.push_str(&format!("{pad}{}:  # {comment}\n", m.name));
                let item_pad = format!("{}- ", " ".repeat(indent));
                match member {
                    Shape::Structure { members, .. } => {
                        yaml_members(members, indent + 2, &item_pad, out)
                    }
                    Shape::String { values, doc } => {
                        let v = values.first().copied().unwrap_or("''");
                        let valid = valid_values(values);
                        out.push_str(&format!("{item_pad}{v}  # {doc}{valid}\n"));
                    }
                    Shape::Integer { doc, .. } => {
                        out.push_str(&format!("{item_pad}0  # {doc}\n"));
                    }
                    Shape::List { .. } | Shape::Boolean { .. } | Shape::Timestamp { .. } => {
                        unreachable!("no lists of lists, booleans or timestamps")
                    }
                }
            }
        }
    }
}

fn comment(m: &Member) -> String {
    let (doc, values): (&str, &[&str]) = match m.shape {
        Shape::String { doc, values } => (doc, values),
        Shape::Structure { doc, .. }
        | Shape::List { doc, .. }
        | Shape::Integer { doc, .. }
        | Shape::Boolean { doc }
        | Shape::Timestamp { doc } => (doc, &[]),
    };
    let required = if m.required { "[REQUIRED] " } else { "" };
    format!("{required}{doc}{}", valid_values(values))
}

fn valid_values(values: &[&str]) -> String {
    if values.is_empty() {
        String::new()
    } else {
        format!("  Valid values are: {}.", values.join(", "))
    }
}
