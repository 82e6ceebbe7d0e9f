//! The service's messages in the AWS CLI's output shape: `{"Handshake":
//! {"Id", "Arn", "Parties", ..., "Onboarding", "Renewal"}}`, `{"Quota":
//! {...}}`, enum values by their AWS names, timestamps as epoch seconds
//! with milliseconds.
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
    if let Some(o) = &h.onboarding {
        m.insert("Onboarding".into(), onboarding(o));
    }
    if let Some(t) = &h.expiry_warning_time {
        m.insert("ExpiryWarningTimestamp".into(), epoch(t));
    }
    if let Some(r) = &h.renewal {
        m.insert("Renewal".into(), renewal(r));
    }
    // What this service adds, beside the campaign: the billing transfer a
    // TRANSFER_RESPONSIBILITY handshake belongs to.
    for (name, value) in [
        ("CampaignId", &h.campaign_id),
        ("TransferId", &h.transfer_id),
    ] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    Value::Object(m)
}

/// `{"RenewalsLeft", "RenewedFrom", "RenewedTo", "Reason", "WaitingUntil"}`;
/// what is empty or unset is left out (RenewalsLeft is always there).
fn renewal(r: &pb::Renewal) -> Value {
    let mut m = Map::new();
    m.insert("RenewalsLeft".into(), json!(r.renewals_left));
    for (name, value) in [
        ("RenewedFrom", &r.renewed_from),
        ("RenewedTo", &r.renewed_to),
        ("Reason", &r.reason),
    ] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    if let Some(t) = &r.waiting_until {
        m.insert("WaitingUntil".into(), epoch(t));
    }
    Value::Object(m)
}

/// What `quota` prints: `{"Quota": {"Limit", "Used", "Remaining",
/// "WindowSeconds", "NextSlotTimestamp", "PendingInvitations",
/// "MemberAccounts", "MemberAccountsTimestamp"}}`; MemberAccounts is left
/// out before the first count (-1), the timestamps while unset.
pub fn quota_output(q: &pb::InvitationQuota) -> Value {
    let mut m = Map::new();
    m.insert("Limit".into(), json!(q.limit));
    m.insert("Used".into(), json!(q.used));
    m.insert("Remaining".into(), json!(q.remaining));
    if let Some(w) = &q.window {
        m.insert("WindowSeconds".into(), seconds(w));
    }
    if let Some(t) = &q.next_slot_time {
        m.insert("NextSlotTimestamp".into(), epoch(t));
    }
    m.insert("PendingInvitations".into(), json!(q.pending_invitations));
    if q.member_accounts >= 0 {
        m.insert("MemberAccounts".into(), json!(q.member_accounts));
    }
    if let Some(t) = &q.member_accounts_time {
        m.insert("MemberAccountsTimestamp".into(), epoch(t));
    }
    json!({ "Quota": Value::Object(m) })
}

/// `{"Spec", "Status", "Steps", "ParentId"}`; what is unset is left out.
fn onboarding(o: &pb::Onboarding) -> Value {
    let mut m = Map::new();
    if let Some(spec) = &o.spec {
        m.insert("Spec".into(), onboarding_spec(spec));
    }
    if let Some(status) = onboarding_status_name(o.status) {
        m.insert("Status".into(), json!(status));
    }
    m.insert(
        "Steps".into(),
        Value::Array(o.steps.iter().map(onboarding_step).collect()),
    );
    if !o.parent_id.is_empty() {
        m.insert("ParentId".into(), json!(o.parent_id));
    }
    Value::Object(m)
}

fn onboarding_spec(s: &pb::OnboardingSpec) -> Value {
    let mut m = Map::new();
    m.insert("DestinationParentId".into(), json!(s.destination_parent_id));
    if !s.accept_role.is_empty() {
        m.insert("AcceptRole".into(), json!(s.accept_role));
    }
    if !s.external_id.is_empty() {
        m.insert("ExternalId".into(), json!(s.external_id));
    }
    let failure = aws_name(
        s.on_accept_failure,
        pb::OnAcceptFailure::as_str_name,
        "ON_ACCEPT_FAILURE_",
    );
    if let Some(f) = failure {
        m.insert("OnAcceptFailure".into(), json!(f));
    }
    if s.leave_previous_organization {
        m.insert("LeavePreviousOrganization".into(), json!(true));
    }
    Value::Object(m)
}

fn onboarding_step(s: &pb::OnboardingStep) -> Value {
    let mut m = Map::new();
    let kind = aws_name(
        s.step,
        pb::OnboardingStepKind::as_str_name,
        "ONBOARDING_STEP_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Step".into(), json!(k));
    }
    if let Some(t) = &s.start_time {
        m.insert("StartTimestamp".into(), epoch(t));
    }
    if let Some(t) = &s.end_time {
        m.insert("EndTimestamp".into(), epoch(t));
    }
    m.insert("Attempts".into(), json!(s.attempts));
    if let Some(e) = &s.error {
        let mut err = Map::new();
        err.insert("AwsError".into(), json!(e.aws_error));
        if !e.reason.is_empty() {
            err.insert("Reason".into(), json!(e.reason));
        }
        err.insert("Message".into(), json!(e.message));
        m.insert("Error".into(), Value::Object(err));
    }
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
    let kind = aws_name(
        e.kind,
        pb::HandshakeEventKind::as_str_name,
        "HANDSHAKE_EVENT_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Kind".into(), json!(k));
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

/// `COMPLETE` for `ONBOARDING_STATUS_COMPLETE`; `None` for UNSPECIFIED or unknown.
pub fn onboarding_status_name(status: i32) -> Option<&'static str> {
    aws_name(
        status,
        pb::OnboardingStatus::as_str_name,
        "ONBOARDING_STATUS_",
    )
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

/// `CANCEL` → `ON_ACCEPT_FAILURE_CANCEL`, for requests.
pub fn on_accept_failure_from_name(name: &str) -> Option<pb::OnAcceptFailure> {
    pb::OnAcceptFailure::from_str_name(&format!("ON_ACCEPT_FAILURE_{name}"))
        .filter(|f| *f != pb::OnAcceptFailure::Unspecified)
}

/// `IF_OPEN_EXISTS_RETURN_EXISTING` for `RETURN_EXISTING`, for requests.
pub fn if_open_exists_from_name(name: &str) -> Option<pb::IfOpenExists> {
    pb::IfOpenExists::from_str_name(&format!("IF_OPEN_EXISTS_{name}"))
        .filter(|w| *w != pb::IfOpenExists::Unspecified)
}

/// A duration in whole seconds (86400), with milliseconds when it has them.
fn seconds(d: &prost_types::Duration) -> Value {
    if d.nanos == 0 {
        json!(d.seconds)
    } else {
        let millis = d.seconds * 1000 + i64::from(d.nanos / 1_000_000);
        json!(millis as f64 / 1000.0)
    }
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
        "Onboarding": {
            "Spec": {
                "DestinationParentId": "DestinationParentId",
                "AcceptRole": "AcceptRole",
                "ExternalId": "ExternalId",
                "OnAcceptFailure": "OnAcceptFailure",
                "LeavePreviousOrganization": false,
            },
            "Status": "Status",
            "Steps": [{
                "Step": "Step",
                "StartTimestamp": 0.0,
                "EndTimestamp": 0.0,
                "Attempts": 0,
                "Error": {"AwsError": "AwsError", "Reason": "Reason", "Message": "Message"},
            }],
            "ParentId": "ParentId",
        },
        "ExpiryWarningTimestamp": 0.0,
        "Renewal": {
            "RenewalsLeft": 0,
            "RenewedFrom": "RenewedFrom",
            "RenewedTo": "RenewedTo",
            "Reason": "Reason",
            "WaitingUntil": 0.0,
        },
        "CampaignId": "CampaignId",
        "TransferId": "TransferId",
    })
}

/// What `invite`, `get` and `cancel` print, made up.
pub fn sample_handshake_output() -> Value {
    json!({ "Handshake": sample_handshake() })
}

/// What `quota` prints, made up.
pub fn sample_quota_output() -> Value {
    json!({
        "Quota": {
            "Limit": 0,
            "Used": 0,
            "Remaining": 0,
            "WindowSeconds": 0,
            "NextSlotTimestamp": 0.0,
            "PendingInvitations": 0,
            "MemberAccounts": 0,
            "MemberAccountsTimestamp": 0.0,
        },
    })
}

/// What `watch` and `watch-all` print per change, made up.
pub fn sample_event_output() -> Value {
    json!({
        "Handshake": sample_handshake(),
        "PreviousState": "PreviousState",
        "ResumeToken": "ResumeToken",
        "ObservedTimestamp": 0.0,
        "Kind": "Kind",
    })
}

mod campaign;
pub use campaign::{
    campaign_output, campaign_state_name, campaigns_output, sample_campaign_output,
    sample_campaigns_output, sample_targets_output, target_state_from_name, targets_output,
};

mod transfer;
#[cfg(test)]
pub use transfer::tests::example as transfer_example;
pub use transfer::{
    direction_from_name, sample_transfer_event_output, sample_transfer_output,
    sample_transfers_output, transfer_event_output, transfer_output, transfer_status_from_name,
    transfer_status_name, transfer_type_from_name, transfers_output,
};

mod delivery;
pub use delivery::{
    deliveries_output, delivery_state_from_name, sample_deliveries_output, sample_deliveries_page,
    sample_subscription_output, sample_subscriptions_output, subscription_output,
    subscriptions_output,
};

#[cfg(test)]
pub mod tests;
