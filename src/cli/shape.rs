//! The service's messages in the AWS CLI's output shape: `{"Handshake":
//! {"Id", "Arn", "Parties", ...}}`, enum values by their AWS names,
//! timestamps as epoch seconds with milliseconds.
use serde_json::{json, Map, Value};

use crate::proto::v1 as pb;

pub fn handshake(h: &pb::Handshake) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(h.id));
    if !h.arn.is_empty() {
        m.insert("Arn".into(), json!(h.arn));
    }
    m.insert(
        "Parties".into(),
        Value::Array(h.parties.iter().map(party).collect()),
    );
    if let Some(state) = state_name(h.state) {
        m.insert("State".into(), json!(state));
    }
    if let Some(t) = &h.requested_time {
        m.insert("RequestedTimestamp".into(), epoch(t));
    }
    if let Some(t) = &h.expiration_time {
        m.insert("ExpirationTimestamp".into(), epoch(t));
    }
    if let Some(action) = aws_name(
        h.action,
        pb::HandshakeAction::as_str_name,
        "HANDSHAKE_ACTION_",
    ) {
        m.insert("Action".into(), json!(action));
    }
    m.insert(
        "Resources".into(),
        Value::Array(h.resources.iter().map(resource).collect()),
    );
    Value::Object(m)
}

/// What `invite`, `get` and `cancel` print.
pub fn handshake_output(h: &pb::Handshake) -> Value {
    json!({ "Handshake": handshake(h) })
}

/// What `watch` and `watch-all` print for each change.
pub fn event_output(e: &pb::HandshakeEvent) -> Value {
    let mut m = Map::new();
    if let Some(h) = &e.handshake {
        m.insert("Handshake".into(), handshake(h));
    }
    if let Some(prev) = state_name(e.previous_state) {
        m.insert("PreviousState".into(), json!(prev));
    }
    if !e.resume_token.is_empty() {
        m.insert("ResumeToken".into(), json!(e.resume_token));
    }
    if let Some(t) = &e.observe_time {
        m.insert("ObservedTimestamp".into(), epoch(t));
    }
    Value::Object(m)
}

fn party(p: &pb::HandshakeParty) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(p.id));
    if let Some(t) = party_type_name(p.r#type) {
        m.insert("Type".into(), json!(t));
    }
    Value::Object(m)
}

fn resource(r: &pb::HandshakeResource) -> Value {
    let mut m = Map::new();
    m.insert("Value".into(), json!(r.value));
    let type_name = pb::HandshakeResourceType::as_str_name;
    if let Some(t) = aws_name(r.r#type, type_name, "HANDSHAKE_RESOURCE_TYPE_") {
        m.insert("Type".into(), json!(t));
    }
    if !r.resources.is_empty() {
        m.insert(
            "Resources".into(),
            Value::Array(r.resources.iter().map(resource).collect()),
        );
    }
    Value::Object(m)
}

/// `OPEN` for `HANDSHAKE_STATE_OPEN`; `None` for UNSPECIFIED or unknown.
pub fn state_name(state: i32) -> Option<&'static str> {
    aws_name(state, pb::HandshakeState::as_str_name, "HANDSHAKE_STATE_")
}

pub fn party_type_name(t: i32) -> Option<&'static str> {
    aws_name(
        t,
        pb::HandshakePartyType::as_str_name,
        "HANDSHAKE_PARTY_TYPE_",
    )
}

/// The AWS name of a proto enum value: its proto name without the type's
/// prefix; `None` for UNSPECIFIED or a value this build does not know.
fn aws_name<E: TryFrom<i32>>(
    value: i32,
    proto_name: fn(&E) -> &'static str,
    prefix: &str,
) -> Option<&'static str> {
    let full = E::try_from(value).ok()?;
    proto_name(&full)
        .strip_prefix(prefix)
        .filter(|n| *n != "UNSPECIFIED")
}

/// `OPEN` → `HANDSHAKE_STATE_OPEN`, for requests.
pub fn state_from_name(name: &str) -> Option<pb::HandshakeState> {
    pb::HandshakeState::from_str_name(&format!("HANDSHAKE_STATE_{name}"))
        .filter(|s| *s != pb::HandshakeState::Unspecified)
}

pub fn party_type_from_name(name: &str) -> Option<pb::HandshakePartyType> {
    pb::HandshakePartyType::from_str_name(&format!("HANDSHAKE_PARTY_TYPE_{name}"))
        .filter(|t| *t != pb::HandshakePartyType::Unspecified)
}

/// Epoch seconds with milliseconds, as the page's example shows
/// (`1481656459.257`); whole milliseconds keep the float free of noise.
fn epoch(t: &prost_types::Timestamp) -> Value {
    let millis = t.seconds * 1000 + i64::from(t.nanos / 1_000_000);
    json!(millis as f64 / 1000.0)
}

/// A made-up handshake, for `--generate-cli-skeleton output`.
pub fn sample_handshake() -> Value {
    json!({
        "Id": "Id",
        "Arn": "Arn",
        "Parties": [{"Id": "Id", "Type": "Type"}],
        "State": "State",
        "RequestedTimestamp": 0.0,
        "ExpirationTimestamp": 0.0,
        "Action": "Action",
        "Resources": [{"Value": "Value", "Type": "Type", "Resources": [{}]}],
    })
}

/// What `invite`, `get` and `cancel` print, made up.
pub fn sample_handshake_output() -> Value {
    json!({ "Handshake": sample_handshake() })
}

/// What `watch` and `watch-all` print per change, made up.
pub fn sample_event_output() -> Value {
    json!({
        "Handshake": sample_handshake(),
        "PreviousState": "PreviousState",
        "ResumeToken": "ResumeToken",
        "ObservedTimestamp": 0.0,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The handshake on the AWS CLI page, as the service returns it.
    pub fn page_example() -> pb::Handshake {
        let res = |t: pb::HandshakeResourceType, v: &str, children| pb::HandshakeResource {
            r#type: t as i32,
            value: v.into(),
            resources: children,
        };
        use pb::HandshakeResourceType as R;
        pb::Handshake {
            id: "h-examplehandshakeid111".into(),
            arn: "arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111".into(),
            parties: vec![
                pb::HandshakeParty { id: "o-exampleorgid".into(), r#type: pb::HandshakePartyType::Organization as i32 },
                pb::HandshakeParty { id: "juan@example.com".into(), r#type: pb::HandshakePartyType::Email as i32 },
            ],
            state: pb::HandshakeState::Open as i32,
            requested_time: Some(prost_types::Timestamp { seconds: 1481656459, nanos: 257_000_000 }),
            expiration_time: Some(prost_types::Timestamp { seconds: 1482952459, nanos: 257_000_000 }),
            action: pb::HandshakeAction::Invite as i32,
            resources: vec![
                res(R::Organization, "o-exampleorgid", vec![
                    res(R::MasterEmail, "bill@amazon.com", vec![]),
                    res(R::MasterName, "Org Master Account", vec![]),
                    res(R::OrganizationFeatureSet, "FULL", vec![]),
                ]),
                res(R::Email, "juan@example.com", vec![]),
            ],
            notes: "secret plans".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_pages_handshake_comes_out_in_the_pages_shape() {
        let got = handshake_output(&page_example());
        let want = json!({
            "Handshake": {
                "Action": "INVITE",
                "Arn": "arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111",
                "ExpirationTimestamp": 1482952459.257,
                "Id": "h-examplehandshakeid111",
                "Parties": [
                    {"Id": "o-exampleorgid", "Type": "ORGANIZATION"},
                    {"Id": "juan@example.com", "Type": "EMAIL"}
                ],
                "RequestedTimestamp": 1481656459.257,
                "Resources": [
                    {
                        "Resources": [
                            {"Type": "MASTER_EMAIL", "Value": "bill@amazon.com"},
                            {"Type": "MASTER_NAME", "Value": "Org Master Account"},
                            {"Type": "ORGANIZATION_FEATURE_SET", "Value": "FULL"}
                        ],
                        "Type": "ORGANIZATION",
                        "Value": "o-exampleorgid"
                    },
                    {"Type": "EMAIL", "Value": "juan@example.com"}
                ],
                "State": "OPEN"
            }
        });
        assert_eq!(got, want);
    }

    #[test]
    fn timestamps_print_as_the_page_prints_them() {
        let v = handshake(&page_example());
        assert_eq!(v["RequestedTimestamp"].to_string(), "1481656459.257");
    }

    #[test]
    fn aws_names_map_both_ways() {
        assert_eq!(
            state_name(pb::HandshakeState::Accepted as i32),
            Some("ACCEPTED")
        );
        assert_eq!(state_name(0), None);
        assert_eq!(state_from_name("OPEN"), Some(pb::HandshakeState::Open));
        assert_eq!(state_from_name("UNSPECIFIED"), None);
        assert_eq!(
            party_type_from_name("EMAIL"),
            Some(pb::HandshakePartyType::Email)
        );
        assert_eq!(party_type_from_name("email"), None);
    }
}
