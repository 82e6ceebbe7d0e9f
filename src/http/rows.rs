//! One JSON row shape for the status page, from a record or a watch event.
use serde_json::{json, Value};

use crate::{domain::HandshakeRecord, grpc::convert::handshake_to_proto, proto::v1 as pb};

/// `HANDSHAKE_STATE_OPEN` → `OPEN`; empty for UNSPECIFIED.
pub fn state_name(state: i32) -> String {
    match pb::HandshakeState::try_from(state) {
        Ok(pb::HandshakeState::Unspecified) | Err(_) => String::new(),
        Ok(s) => s
            .as_str_name()
            .trim_start_matches("HANDSHAKE_STATE_")
            .to_string(),
    }
}

fn time(t: &Option<prost_types::Timestamp>) -> Value {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
}

pub fn from_proto(h: &pb::Handshake) -> Value {
    let (target, target_type) = match &h.target {
        Some(p) => (
            p.id.clone(),
            pb::HandshakePartyType::try_from(p.r#type)
                .map(|t| {
                    t.as_str_name()
                        .trim_start_matches("HANDSHAKE_PARTY_TYPE_")
                        .to_string()
                })
                .unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    };
    json!({
        "id": h.id,
        "target": target,
        "target_type": target_type,
        "state": state_name(h.state),
        "requested_time": time(&h.requested_time),
        "expiration_time": time(&h.expiration_time),
        "requested_by": h.requested_by,
    })
}

pub fn from_record(r: &HandshakeRecord) -> Value {
    from_proto(&handshake_to_proto(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_lose_their_enum_prefix() {
        assert_eq!(state_name(pb::HandshakeState::Accepted as i32), "ACCEPTED");
        assert_eq!(state_name(0), "");
    }
}
