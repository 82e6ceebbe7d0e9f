//! One JSON row shape for the status page, from the domain record (so a
//! rename in the proto never changes what the page reads).
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::domain::{Campaign, HandshakeRecord, HandshakeState, TargetState, TransferRecord};

/// `OPEN`, `ACCEPTED`, …; empty for UNSPECIFIED.
pub fn state_name(state: HandshakeState) -> &'static str {
    match state {
        HandshakeState::Unspecified => "",
        s => s.as_str(),
    }
}

fn time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

pub fn row(r: &HandshakeRecord) -> Value {
    let h = &r.handshake;
    let (target, target_type) = match &r.target {
        Some(p) => (p.id.as_str(), p.kind.as_str()),
        None => ("", ""),
    };
    json!({
        "id": h.id.as_str(),
        "target": target,
        "target_type": target_type,
        "state": state_name(h.state),
        "requested_time": time(h.requested_time),
        "expiration_time": time(h.expiration_time),
        "requested_by": r.requested_by.as_deref().unwrap_or_default(),
        "onboarding": r.onboarding.as_ref().map(|o| o.status.as_str()),
        "expiring_soon": h.state == HandshakeState::Open && r.expiry_warning_time.is_some(),
        "renewed_to": r.renewal.as_ref().and_then(|n| n.renewed_to.as_ref()).map(|h| h.as_str()),
    })
}

/// A campaign's progress: its counts by target state, and how many
/// targets are finished (neither queued, invited nor accepted).
pub fn campaign(c: &Campaign) -> Value {
    let counts: serde_json::Map<String, Value> = TargetState::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), c.counts.of(*s).into()))
        .collect();
    let open: u32 = TargetState::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| c.counts.of(*s))
        .sum();
    json!({
        "id": c.id.as_str(),
        "name": c.display_name,
        "state": c.state.as_str(),
        "total": c.counts.total(),
        "finished": c.counts.total() - open,
        "counts": counts,
        "next_send_time": time(c.next_send_time.filter(|_| c.counts.of(TargetState::Queued) > 0)),
        "pause_reason": c.pause_reason,
    })
}

/// A billing transfer: its start and the last moment to accept it.
pub fn transfer(r: &TransferRecord) -> Value {
    let t = &r.transfer;
    json!({
        "id": t.id.as_str(),
        "name": t.name,
        "direction": r.direction.as_str(),
        "status": t.status.as_str(),
        "start_time": time(Some(t.start_time)),
        "accept_deadline": time(Some(t.accept_deadline())),
        "deadline_soon": t.status.is_open() && r.deadline_warning_time.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_lose_their_enum_prefix() {
        assert_eq!(state_name(HandshakeState::Accepted), "ACCEPTED");
        assert_eq!(state_name(HandshakeState::Unspecified), "");
    }
}
