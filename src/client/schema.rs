//! The input shape of each command, as the AWS model describes a
//! parameter: checked like botocore's validator, and printed as the
//! `--generate-cli-skeleton` JSON and YAML.
use serde_json::{json, Map, Value};

use super::timestamp;

pub enum Shape {
    String {
        doc: &'static str,
        values: &'static [&'static str],
    },
    Structure {
        doc: &'static str,
        members: &'static [Member],
    },
    List {
        doc: &'static str,
        member: &'static Shape,
    },
    /// A whole number from `min` to `max`.
    Integer {
        doc: &'static str,
        min: i64,
        max: i64,
    },
    Boolean {
        doc: &'static str,
    },
    /// A point in time, read as botocore reads one (`timestamp::parse`).
    Timestamp {
        doc: &'static str,
    },
}

pub struct Member {
    pub name: &'static str,
    pub shape: &'static Shape,
    pub required: bool,
}

pub(crate) const fn member(name: &'static str, shape: &'static Shape, required: bool) -> Member {
    Member {
        name,
        shape,
        required,
    }
}

pub const PARTY_TYPES: &[&str] = &["ACCOUNT", "ORGANIZATION", "EMAIL"];
pub const STATES: &[&str] = &[
    "REQUESTED",
    "OPEN",
    "CANCELED",
    "ACCEPTED",
    "DECLINED",
    "EXPIRED",
];

pub(crate) static TARGET: Shape = Shape::Structure {
    doc: "The account to invite: Type ACCOUNT with its 12-digit id, or Type EMAIL with the address of its owner.",
    members: &[
        member("Id", &Shape::String { doc: "The account id or email address.", values: &[] }, true),
        member("Type", &Shape::String { doc: "The type of party.", values: PARTY_TYPES }, true),
    ],
};
pub(crate) static TAG: Shape = Shape::Structure {
    doc: "A tag to attach to the account when it joins.",
    members: &[
        member(
            "Key",
            &Shape::String {
                doc: "The key identifier, or name, of the tag.",
                values: &[],
            },
            true,
        ),
        member(
            "Value",
            &Shape::String {
                doc: "The value of the tag; may be empty, not null.",
                values: &[],
            },
            true,
        ),
    ],
};
pub const ON_ACCEPT_FAILURES: &[&str] = &["LEAVE_OPEN", "CANCEL"];
pub(crate) static ONBOARDING: Shape = Shape::Structure {
    doc: "What the service does once the account accepts: move it to its destination, make sure it has the tags, and (with AcceptRole) accept for it.",
    members: &[
        member("DestinationParentId", &Shape::String { doc: "Where the account belongs: a root (r-...) or an organizational unit (ou-...) that exists now.", values: &[] }, true),
        member("AcceptRole", &Shape::String { doc: "A role in the invited account that trusts the management account, by name or ARN: the service assumes it and accepts the invitation (ACCOUNT targets only).", values: &[] }, false),
        member("ExternalId", &Shape::String { doc: "The external id the role's trust policy asks for (2 to 1224 characters).", values: &[] }, false),
        member("OnAcceptFailure", &Shape::String { doc: "What becomes of the invitation when the role cannot accept it: left open for a person, or cancelled.", values: ON_ACCEPT_FAILURES }, false),
        member("LeavePreviousOrganization", &Shape::Boolean { doc: "An account in another organization leaves it first (through AcceptRole, which it needs), then joins this one." }, false),
    ],
};
pub(crate) static RENEWAL: Shape = Shape::Structure {
    doc: "Send the invitation again when it expires (never when it is declined or cancelled).",
    members: &[member(
        "MaxRenewals",
        &Shape::Integer {
            doc: "How many times to send it again: 0 (never) to 10.",
            min: 0,
            max: 10,
        },
        true,
    )],
};
pub const IF_OPEN_EXISTS: &[&str] = &["FAIL", "RETURN_EXISTING"];
static HANDSHAKE_ID: Shape = Shape::String {
    doc: "The handshake id: h- followed by 8 to 32 lowercase letters or digits.",
    values: &[],
};
static STATE: Shape = Shape::String {
    doc: "A handshake state.",
    values: STATES,
};

pub static INVITE: Shape = Shape::Structure {
    doc: "",
    members: &[
        member("Target", &TARGET, true),
        member("Notes", &Shape::String { doc: "Additional information to include in the email to the account owner.", values: &[] }, false),
        member("Tags", &Shape::List { doc: "Tags to attach to the account when it joins the organization.", member: &TAG }, false),
        member("RequestId", &Shape::String { doc: "Makes retries safe: the same id returns the same handshake (1 to 64 of A-Z a-z 0-9 - _ . :).", values: &[] }, false),
        member("Onboarding", &ONBOARDING, false),
        member("Renewal", &RENEWAL, false),
        member("IfOpenExists", &Shape::String { doc: "When the account already has an open invitation: fail (AlreadyExists), or return that invitation and send nothing new.", values: IF_OPEN_EXISTS }, false),
    ],
};
pub static BY_ID: Shape = Shape::Structure {
    doc: "",
    members: &[member("HandshakeId", &HANDSHAKE_ID, true)],
};
/// `quota` takes no parameters.
pub static QUOTA: Shape = Shape::Structure {
    doc: "",
    members: &[],
};
pub static LIST: Shape = Shape::Structure {
    doc: "",
    members: &[
        member(
            "States",
            &Shape::List {
                doc: "Only handshakes in one of these states.",
                member: &STATE,
            },
            false,
        ),
        member(
            "TargetId",
            &Shape::String {
                doc: "Only handshakes whose target id is exactly this.",
                values: &[],
            },
            false,
        ),
        member(
            "CampaignId",
            &Shape::String {
                doc: "Only handshakes this campaign sent or adopted.",
                values: &[],
            },
            false,
        ),
    ],
};
pub static WATCH_ALL: Shape = Shape::Structure {
    doc: "",
    members: &[
        member(
            "ResumeToken",
            &Shape::String {
                doc: "The ResumeToken of the last event seen: replay what came after it.",
                values: &[],
            },
            false,
        ),
        member(
            "States",
            &Shape::List {
                doc: "Only changes into one of these states.",
                member: &STATE,
            },
            false,
        ),
    ],
};

/// Every problem in `value`, as botocore words them; empty when it fits.
pub fn validate(value: &Value, shape: &Shape) -> Vec<String> {
    let mut errors = Vec::new();
    check(value, shape, "", &mut errors);
    errors
}

fn check(value: &Value, shape: &Shape, path: &str, errors: &mut Vec<String>) {
    let name = if path.is_empty() { "input" } else { path };
    match (shape, value) {
        (Shape::String { values, .. }, Value::String(s)) => {
            if !values.is_empty() && !values.contains(&s.as_str()) {
                errors.push(format!(
                    "Invalid value for parameter {name}, value: {s}, valid values: {}",
                    values.join(", ")
                ));
            }
        }
        (Shape::Structure { members, .. }, Value::Object(map)) => {
            for m in members.iter() {
                if m.required && !map.contains_key(m.name) {
                    errors.push(format!(
                        "Missing required parameter in {name}: \"{}\"",
                        m.name
                    ));
                }
            }
            for m in members.iter() {
                if let Some(v) = map.get(m.name) {
                    check(v, m.shape, &join(path, m.name), errors);
                }
            }
            for key in map.keys() {
                if !members.iter().any(|m| m.name == key) {
                    errors.push(format!(
                        "Unknown parameter in {name}: \"{key}\", must be one of: {}",
                        members
                            .iter()
                            .map(|m| m.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        (Shape::List { member, .. }, Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check(v, member, &format!("{path}[{i}]"), errors);
            }
        }
        (Shape::Boolean { .. }, Value::Bool(_)) => {}
        (Shape::Timestamp { .. }, v) if timestamp::parse(v).is_some() => {}
        (Shape::Integer { min, max, .. }, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            // botocore checks the model's min; the max is this service's.
            let n = n.as_i64().unwrap_or(i64::MAX);
            if n < *min {
                errors.push(format!(
                    "Invalid value for parameter {name}, value: {n}, valid min value: {min}"
                ));
            } else if n > *max {
                errors.push(format!(
                    "Invalid value for parameter {name}, value: {n}, valid max value: {max}"
                ));
            }
        }
        (shape, value) => errors.push(format!(
            "Invalid type for parameter {name}, value: {}, type: {}, valid types: {}",
            compact(value),
            type_name(value),
            shape_type(shape)
        )),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn shape_type(shape: &Shape) -> &'static str {
    match shape {
        Shape::String { .. } => "string",
        Shape::Structure { .. } => "object",
        Shape::List { .. } => "list",
        Shape::Integer { .. } => "integer",
        Shape::Boolean { .. } => "boolean",
        Shape::Timestamp { .. } => "timestamp-string",
    }
}

/// A sample input for `--cli-input-json` (`--generate-cli-skeleton input`).
/// A number's placeholder is 0, as botocore's: where 0 is below the
/// minimum (an EventId), an untouched skeleton is refused, not sent.
pub fn skeleton(shape: &Shape) -> Value {
    match shape {
        Shape::String { values, .. } => json!(values.first().copied().unwrap_or("")),
        Shape::Structure { members, .. } => Value::Object(
            members
                .iter()
                .map(|m| (m.name.to_string(), skeleton(m.shape)))
                .collect::<Map<_, _>>(),
        ),
        Shape::List { member, .. } => json!([skeleton(member)]),
        Shape::Integer { .. } => json!(0),
        Shape::Boolean { .. } => json!(false),
        Shape::Timestamp { .. } => json!(timestamp::PLACEHOLDER),
    }
}

mod campaign;
mod delivery;
mod transfer;
mod yaml;
pub use campaign::{
    CAMPAIGN_CANCEL, CAMPAIGN_CREATE, CAMPAIGN_ID, CAMPAIGN_LIST, CAMPAIGN_TARGETS,
};
pub use delivery::{DELIVERIES_LIST, DELIVERIES_REDELIVER, SUBSCRIPTIONS_LIST, SUBSCRIPTION_ID};
pub use transfer::{
    TRANSFER_ID, TRANSFER_INVITE, TRANSFER_LIST, TRANSFER_RENAME, TRANSFER_WITHDRAW,
    WATCH_TRANSFERS,
};
pub use yaml::yaml_skeleton;

#[cfg(test)]
mod tests;
